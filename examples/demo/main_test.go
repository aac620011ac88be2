package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/seed191f4051/go-libssh2/examples/internal/upload"
)

// TestDemo runs the demo end to end on a small file: start sshd, upload, verify on the server, and
// print what it did.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), 3<<20+5, &out, nil, 0); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^   demo\.bin  3\.0 MiB  \S+  [0-9.]+ [KMG]?i?B/s$`), // upload's summary line
		regexp.MustCompile(`(?m)^   Throughput: [0-9.]+ MiB/s \(3145733 bytes in [0-9.]+ s\)`),
		regexp.MustCompile(`(?m)^   local:  ([0-9a-f]{64})\n   server: ([0-9a-f]{64})$`),
		regexp.MustCompile(`(?m)^OK: the server holds an identical copy`),
	} {
		if !want.MatchString(text) {
			t.Errorf("the demo's output lacks %s:\n%s", want, text)
		}
	}
	m := regexp.MustCompile(`local:  ([0-9a-f]{64})\n   server: ([0-9a-f]{64})`).FindStringSubmatch(text)
	if m == nil || m[1] != m[2] {
		t.Errorf("the printed hashes differ:\n%s", text)
	}
	if strings.ContainsAny(text, "\r\x1b") {
		t.Errorf("progress noise without a terminal:\n%q", text)
	}
}

// cancelOnWrite cancels a context at its first write: Ctrl-C as the upload starts.
type cancelOnWrite struct{ cancel context.CancelFunc }

func (c cancelOnWrite) Write(p []byte) (int, error) {
	c.cancel()
	return len(p), nil
}

// TestDemoInterrupted checks that a demo interrupted during the upload stops with the upload
// package's report of what reached the server.
func TestDemoInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, 8<<20, &out, cancelOnWrite{cancel}, 80)
	var ie *upload.InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("run interrupted at the start of the upload: %v, want an *upload.InterruptedError\n%s", err, out.String())
	}
	if ie.Durable != 0 {
		t.Errorf("interrupted before the first read, yet %d bytes are reported on the server", ie.Durable)
	}
}
