package main

import (
	"testing"

	"github.com/seed191f4051/go-libssh2/examples/internal/exampletest"
)

// TestSFTPWrite builds the example, uploads a 5 MiB file with it by key and by password, and compares
// the server's copy by SHA-256; an empty known_hosts makes it refuse the server.
func TestSFTPWrite(t *testing.T) {
	exampletest.CheckFaithful(t, ".", false)
}
