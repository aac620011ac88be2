package libssh2_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
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

// TestPipeHandshakeCancelled: a handshake over a net.Pipe to a stalled server ends soon after its
// context, with an error wrapping the context's; the session's goroutines and C memory are freed.
func TestPipeHandshakeCancelled(t *testing.T) {
	checkNoLeaks(t)
	proxy := tcpproxy.StartT(t, srv.Addr)
	proxy.SetPaused(true)
	conn := pipeTo(t, proxy.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	sess, err := libssh2.NewSession(ctx, conn, config(t, srv))
	if err == nil {
		sess.Close()
		t.Fatal("NewSession on a stalled pipe succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("NewSession = %v, want an error wrapping the context's deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("NewSession returned after %v", d)
	}
	proxy.SetPaused(false)
}

// TestPipePeerGone: the far end of a net.Pipe goes away in the middle of an upload. Write fails in
// bounded time with a typed error whose Offset the remote file holds exactly; Close frees
// everything.
func TestPipePeerGone(t *testing.T) {
	checkNoLeaks(t)
	tcp, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	go func() { io.Copy(tcp, b) }()
	go func() { io.Copy(b, tcp); b.Close() }()
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := config(t, srv)
	cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey()
	sess, err := libssh2.NewSession(ctx, a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(srv.Dir, "pipe-gone")
	f, err := sf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 256<<20)
	rand.New(rand.NewSource(4)).Read(data)
	time.AfterFunc(300*time.Millisecond, func() { tcp.Close(); b.Close() })
	sess.SetDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	n, err := f.Write(data)
	var le *libssh2.Error
	if err == nil || !errors.As(err, &le) {
		t.Fatalf("Write with the peer gone = %d, %v; want an *libssh2.Error", n, err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("Write noticed the peer gone only after %v: %v", time.Since(start), err)
	}
	t.Logf("Write: %d bytes, %v (Offset %d)", n, err, le.Offset)
	if !connGone(err) {
		t.Errorf("error %v does not carry the connection's failure (io.ErrClosedPipe or io.ErrUnexpectedEOF)", err)
	}
	sess.Close()
	got, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if le.Offset < 0 || int64(len(got)) < le.Offset || !bytes.Equal(got[:le.Offset], data[:le.Offset]) {
		t.Fatalf("the remote file (%d bytes) does not hold the %d good bytes the error reports", len(got), le.Offset)
	}
}

// countingConn is a wrapper that implements syscall.Conn (through the embedded *net.TCPConn) and
// counts the bytes read through it.
type countingConn struct {
	*net.TCPConn
	read atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// TestConnIO: with Config.ConnIO a wrapper that has a file descriptor is read through its methods;
// without it libssh2 reads the socket underneath.
func TestConnIO(t *testing.T) {
	for _, connIO := range []bool{false, true} {
		tcp, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		c := &countingConn{TCPConn: tcp.(*net.TCPConn)}
		cfg := config(t, srv)
		cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey()
		cfg.ConnIO = connIO
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		sess, err := libssh2.NewSession(ctx, c, cfg)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sess.SFTP(); err != nil {
			t.Fatal(err)
		}
		if err := sess.Close(); err != nil {
			t.Fatal(err)
		}
		tcp.Close()
		if got := c.read.Load(); (got > 0) != connIO {
			t.Errorf("ConnIO %v: %d bytes read through the wrapper", connIO, got)
		}
	}
}
