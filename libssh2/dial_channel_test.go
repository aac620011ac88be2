package libssh2_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// echoServer listens on loopback and echoes every connection until the test ends.
func echoServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	return ln.Addr().String()
}

func TestDialEcho(t *testing.T) {
	sess := dial(t, srv, config(t, srv))
	conn, err := sess.Dial("tcp", echoServer(t))
	if err != nil {
		t.Fatalf("Dial: %v\nsshd log:\n%s", err, srv.Log())
	}
	defer conn.Close()
	data := make([]byte, 4<<20+7)
	rand.New(rand.NewSource(2)).Read(data)
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Write(data)
		if err == nil {
			err = conn.(interface{ CloseWrite() error }).CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echoed %d bytes, differing from the %d sent", len(got), len(data))
	}
	// The session still works for SFTP after the connection.
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.Stat(srv.Dir); err != nil {
		t.Fatal(err)
	}
}

func TestDialReadDeadline(t *testing.T) {
	sess := dial(t, srv, config(t, srv))
	conn, err := sess.Dial("tcp", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	start := time.Now()
	_, err = conn.Read(make([]byte, 10))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past its deadline: %v, want a timeout wrapping os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Read returned %v after its deadline", d)
	}
	// The connection and the session still work.
	conn.SetReadDeadline(time.Time{})
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("after the deadline: %q, %v", buf, err)
	}
}

// TestDialWaitingReadLetsOthersIn: a Read waiting for data does not hold the session: SFTP calls on
// the same session go on meanwhile, and Close from another goroutine ends the Read.
func TestDialWaitingReadLetsOthersIn(t *testing.T) {
	sess, sf := openSFTP(t, srv)
	conn, err := sess.Dial("tcp", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 10))
		readErr <- err
	}()
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := sf.StatContext(ctx, srv.Dir)
		cancel()
		if err != nil {
			t.Fatalf("Stat %d while a Read waits: %v", i, err)
		}
	}
	select {
	case err := <-readErr:
		t.Fatalf("Read returned early: %v", err)
	default:
	}
	conn.Close()
	select {
	case err := <-readErr:
		if !errors.Is(err, net.ErrClosed) || !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read ended by Close: %v, want an error wrapping net.ErrClosed and fs.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the waiting Read")
	}
	if _, err := sf.Stat(srv.Dir); err != nil {
		t.Fatalf("Stat after Close: %v", err)
	}
}

// TestJumpHost: a session through a direct-tcpip channel of another session (ProxyJump), with
// libssh2 on both hops and a separate sshd on each: upload and download an 8 MiB file through the
// inner session.
func TestJumpHost(t *testing.T) {
	// Two sshds: the jump host, whose debug log names each forwarding's target, and srv behind it.
	jumpSrv := sshd.StartT(t, sshd.Options{LogLevel: "DEBUG1"})
	target := srv
	jump := dial(t, jumpSrv, config(t, jumpSrv))
	conn, err := jump.Dial("tcp", target.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inner, err := libssh2.NewSession(ctx, conn, config(t, target))
	if err != nil {
		t.Fatalf("NewSession through the jump session: %v", err)
	}
	defer inner.Close()
	sf, err := inner.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 8<<20+99)
	rand.New(rand.NewSource(3)).Read(data)
	path := filepath.Join(target.Dir, "jump-upload")
	f, err := sf.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(onDisk, data) {
		t.Fatalf("the file on the server differs (%d bytes, %v)", len(onDisk), err)
	}
	g, err := sf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, g); err != nil {
		t.Fatal(err)
	}
	g.Close()
	if want := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("downloaded bytes differ")
	}
	if err := inner.Close(); err != nil {
		t.Fatalf("inner Close: %v", err)
	}
	if err := conn.Close(); err != nil {
		t.Fatalf("channel Close: %v", err)
	}
	// The first sshd forwarded the connection to the second (its debug log names the target).
	_, port, _ := net.SplitHostPort(target.Addr)
	if want := "target 127.0.0.1 port " + port; !strings.Contains(jumpSrv.Log(), want) {
		t.Errorf("the jump sshd's log has no %q: the inner session did not go through it", want)
	}
}

// TestDialRefused: a connection the server cannot make is refused with a typed error naming the
// address, and the session goes on.
func TestDialRefused(t *testing.T) {
	sess, sf := openSFTP(t, srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = sess.Dial("tcp", addr)
	var le *libssh2.Error
	if !errors.As(err, &le) || le.Code != libssh2.ErrorChannelFailure || le.Path != addr {
		t.Fatalf("Dial to a closed port = %v; want an *Error with ErrorChannelFailure for %s", err, addr)
	}
	t.Log(err)
	if _, err := sess.Dial("udp", addr); err == nil {
		t.Fatal("Dial udp succeeded")
	}
	if _, err := sf.Stat(srv.Dir); err != nil {
		t.Fatalf("Stat after the refusal: %v", err)
	}
}

// sourceServer listens on loopback and writes data to every connection, then holds it open until
// the test ends. sent receives once per connection when all of data has gone to the socket.
func sourceServer(t testing.TB, data []byte) (addr string, sent <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go func() {
				if _, err := c.Write(data); err == nil {
					done <- struct{}{}
				}
			}()
		}
	}()
	return ln.Addr().String(), done
}

// TestCallBehindUnreadChannelData fills the session's socket with full-size packets of a forwarded
// connection that nobody reads, then makes SFTP calls, whose answers queue behind them. Each call
// gets its answer in bounded time, with every cipher family, over a socket and over a net.Pipe:
// libssh2 1.11's chacha20-poly1305 (its default) says EAGAIN with the rest of a packet unread, and a
// wait for new bytes would then never end, because the server, its window used up, sends none
// (docs/DESIGN.md, fact 14). Afterwards the connection's bytes arrive whole.
func TestCallBehindUnreadChannelData(t *testing.T) {
	ciphers := []string{"aes128-ctr"}
	if !libssh2Before(t, 1, 11) {
		ciphers = append(ciphers, "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com")
	}
	data := make([]byte, 1<<20) // fits in libssh2's channel window: sshd sends it all at once
	rand.New(rand.NewSource(5)).Read(data)
	src, sent := sourceServer(t, data)
	dir := testDir(t)
	for _, via := range []string{"tcp", "pipe"} {
		for _, c := range ciphers {
			t.Run(via+"/"+c, func(t *testing.T) {
				callBehindUnreadData(t, via, c, src, sent, data, dir)
			})
		}
	}
}

// callBehindUnreadData is one case of TestCallBehindUnreadChannelData: a session with cipher over
// via ("tcp": a socket; "pipe": a net.Pipe, through libssh2's callbacks).
func callBehindUnreadData(t *testing.T, via, cipher, src string, sent <-chan struct{}, data []byte, dir string) {
	checkNoLeaks(t)
	cfg := config(t, srv)
	cfg.Ciphers = []string{cipher}
	var sess *libssh2.Session
	if via == "tcp" {
		sess = dial(t, srv, cfg)
	} else {
		cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey() // the pipe's address is not in known_hosts
		var err error
		if sess, err = libssh2.NewSession(context.Background(), pipeTo(t, srv.Addr), cfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sess.Close() })
	}
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sess.Dial("tcp", src)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	select {
	case <-sent:
	case <-time.After(10 * time.Second):
		t.Fatal("the source server could not send its data")
	}
	for i := 0; i < 20; i++ {
		// Each round gives sshd time to forward more of the data, so that calls start
		// with the socket's buffer in different states.
		time.Sleep(10 * time.Millisecond)
		sess.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := sf.Stat(dir); err != nil {
			t.Fatalf("Stat %d behind unread channel data: %v", i, err)
		}
	}
	sess.SetDeadline(time.Time{})
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, len(data))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("reading the forwarded data: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("forwarded data differ at byte %d", firstDiff(got, data))
	}
}

// TestCloseWriteInterrupted interrupts Conn.CloseWrite at its wait point: with 4 KiB socket buffers
// on a stalled link, a Write cut short by its deadline leaves its packet half sent, and CloseWrite
// must finish that packet before its EOF can go. It returns the deadline's error in bounded time;
// once the link is back, the same conn's CloseWrite succeeds, the echo comes back exactly as far as
// Write reported and then ends, and the session still works.
func TestCloseWriteInterrupted(t *testing.T) {
	checkNoLeaks(t)
	proxy, sess, sf := smallBufferSession(t, srv)
	conn, err := sess.Dial("tcp", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	data := make([]byte, 1<<20)
	rand.New(rand.NewSource(6)).Read(data)

	proxy.SetPaused(true)
	conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := conn.Write(data)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write on a stalled link = %d, %v; want the deadline's error", n, err)
	}
	conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
	start := time.Now()
	err = conn.(interface{ CloseWrite() error }).CloseWrite()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("CloseWrite on a stalled link behind a half-sent packet = %v; want the deadline's error", err)
	}
	var le *libssh2.Error
	if !errors.As(err, &le) {
		t.Errorf("error %v is not an *libssh2.Error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("CloseWrite returned after %v", d)
	}

	proxy.SetPaused(false)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if err := conn.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatalf("CloseWrite once the link is back: %v", err)
	}
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the echo: %v", err)
	}
	if len(got) != n || !bytes.Equal(got, data[:n]) {
		t.Fatalf("echo: %d bytes, want the %d bytes Write reported (first difference at %d)", len(got), n, firstDiff(got, data[:n]))
	}
	sess.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := sf.Stat(srv.Dir); err != nil {
		t.Fatalf("Stat after the interruption: %v", err)
	}
}

// TestCloseWriteClosedWhileWaiting ends Conn.CloseWrite at the same wait point as
// TestCloseWriteInterrupted (behind a half-sent packet on a stalled link), by Conn.Close and by
// Session.Close from another goroutine. CloseWrite returns an error matching net.ErrClosed in
// bounded time; after Conn.Close the session still works, after Session.Close it refuses with
// fs.ErrClosed.
func TestCloseWriteClosedWhileWaiting(t *testing.T) {
	for _, which := range []string{"Conn.Close", "Session.Close"} {
		t.Run(which, func(t *testing.T) {
			checkNoLeaks(t)
			proxy, sess, sf := smallBufferSession(t, srv)
			conn, err := sess.Dial("tcp", echoServer(t))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			proxy.SetPaused(true)
			conn.SetDeadline(time.Now().Add(300 * time.Millisecond))
			if n, err := conn.Write(make([]byte, 1<<20)); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Write on a stalled link = %d, %v; want the deadline's error", n, err)
			}
			conn.SetDeadline(time.Time{})
			closed := make(chan error, 1)
			time.AfterFunc(200*time.Millisecond, func() {
				if which == "Conn.Close" {
					closed <- conn.Close()
				} else {
					closed <- sess.Close()
				}
			})
			start := time.Now()
			err = conn.(interface{ CloseWrite() error }).CloseWrite()
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("CloseWrite ended by %s = %v; want an error matching net.ErrClosed", which, err)
			}
			var le *libssh2.Error
			if !errors.As(err, &le) {
				t.Errorf("error %v is not an *libssh2.Error", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("CloseWrite returned after %v", d)
			}
			proxy.SetPaused(false)
			select {
			case <-closed:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s did not return", which)
			}
			sess.SetDeadline(time.Now().Add(20 * time.Second))
			_, err = sf.Stat(srv.Dir)
			if which == "Session.Close" {
				if !errors.Is(err, fs.ErrClosed) {
					t.Fatalf("Stat after Session.Close = %v; want fs.ErrClosed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Stat after Conn.Close ended CloseWrite: %v", err)
			}
		})
	}
}
