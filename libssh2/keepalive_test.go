package libssh2_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
)

// TestKeepAlive: an idle session with KeepAlive sends keepalive requests that the server sees (its
// debug log names each global request), and an upload running meanwhile stays exact.
func TestKeepAlive(t *testing.T) {
	s, err := sshd.Start(sshd.Options{LogLevel: "DEBUG1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := config(t, s)
	cfg.KeepAlive = time.Second
	sess := dial(t, s, cfg)
	const req = "rtype keepalive@libssh2.org want_reply 1"
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.Log(), req) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s idle with KeepAlive 1s the server saw %d keepalive requests, want 2 or more\nsshd log:\n%s", strings.Count(s.Log(), req), s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("keepalive "), 3<<20)
	path := filepath.Join(s.Dir, "ka")
	f, err := sf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // about 3 s of writes, crossing keepalive turns
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fi, err := sf.StatContext(ctx, path)
	if err != nil || fi.Size() != int64(3*len(data)) {
		t.Fatalf("after the upload: %v, %v; want %d bytes", fi, err, 3*len(data))
	}
	if err := sess.Close(); err != nil {
		t.Fatal(err)
	}
}
