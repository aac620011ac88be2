package libssh2_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// pipeTo returns one end of a net.Pipe whose other end an in-process copier joins to addr over TCP:
// a connection without a file descriptor. The copier stops when the test ends.
func pipeTo(t testing.TB, addr string) net.Conn {
	t.Helper()
	tcp, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	go func() { io.Copy(tcp, b); tcp.(*net.TCPConn).CloseWrite() }()
	go func() { io.Copy(b, tcp); b.Close() }()
	t.Cleanup(func() { tcp.Close(); a.Close(); b.Close() })
	return a
}

// pipeSession starts a session over a net.Pipe to srv.
func pipeSession(t testing.TB) (*libssh2.Session, net.Conn) {
	t.Helper()
	conn := pipeTo(t, srv.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := config(t, srv)
	cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey() // the pipe's address is not in known_hosts
	sess, err := libssh2.NewSession(ctx, conn, cfg)
	if err != nil {
		t.Fatalf("NewSession over net.Pipe: %v\nsshd log:\n%s", err, srv.Log())
	}
	t.Cleanup(func() { sess.Close() })
	return sess, conn
}

func TestPipeUploadDownload(t *testing.T) {
	sess, _ := pipeSession(t)
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 8<<20+12345)
	rand.New(rand.NewSource(1)).Read(data)
	path := filepath.Join(srv.Dir, "pipe-upload")
	f, err := sf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(f, bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("upload: %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := sf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	h := sha256.New()
	if _, err := io.Copy(h, g); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Sum(nil), sha256.Sum256(data); !bytes.Equal(got, want[:]) {
		t.Fatal("downloaded bytes differ")
	}
}
