package main

import "testing"

// TestDemo runs the demo end to end on a small file: start sshd, upload, verify on the server.
func TestDemo(t *testing.T) {
	if err := run(3<<20 + 5); err != nil {
		t.Fatalf("demo: %v", err)
	}
}
