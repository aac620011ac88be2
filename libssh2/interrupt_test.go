package libssh2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// The tests of this file interrupt every public operation that waits, at its wait point, on a real
// sshd behind a stalled link (internal/tcpproxy paused), and check that the same session then works
// and that the remote file holds exactly the bytes accepted (docs/DESIGN.md, I4).

// interruptEnv is one session through a stalled-able proxy, with a File opened on a file of base
// bytes, at offset 0.
type interruptEnv struct {
	proxy  *tcpproxy.Proxy
	sess   *libssh2.Session
	sf     *libssh2.SFTP
	f      *libssh2.File
	d      *libssh2.Dir // dir, opened
	conn   net.Conn     // a connection through the session (Session.Dial) to echo
	echo   string       // the address of a loopback echo server
	name   string       // f's remote path
	dir    string       // a directory of the test, with f's file and a subdirectory "sub"
	want   []byte       // what f's file must hold once f is closed
	closed bool         // f was closed by the test
	setAt  atomic.Int64
}

func newInterruptEnv(t *testing.T) *interruptEnv { return newInterruptEnvVia(t, "tcp") }

// newInterruptEnvVia is newInterruptEnv with the session's connection made as via says: "tcp" (a
// socket to the proxy), "tcpconn" (a TCP connection made here and given to NewSession, whose
// socket stays the caller's), "pipe" (a net.Pipe joined to the proxy: a connection without a file
// descriptor) or "jump" (a direct-tcpip channel of another session, to the proxy).
func newInterruptEnvVia(t *testing.T, via string) *interruptEnv {
	t.Helper()
	var proxy *tcpproxy.Proxy
	var sess *libssh2.Session
	var sf *libssh2.SFTP
	switch via {
	case "tcp":
		proxy, sess, sf = proxySession(t)
	default:
		proxy = tcpproxy.StartT(t, srv.Addr)
		var conn net.Conn
		switch via {
		case "tcpconn":
			var err error
			if conn, err = net.Dial("tcp", proxy.Addr); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
		case "pipe":
			conn = pipeTo(t, proxy.Addr)
		default:
			jump := dial(t, srv, config(t, srv))
			var err error
			if conn, err = jump.Dial("tcp", proxy.Addr); err != nil {
				t.Fatal(err)
			}
		}
		cfg := config(t, srv)
		cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey() // the proxy's address is not in known_hosts
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var err error
		if sess, err = libssh2.NewSession(ctx, conn, cfg); err != nil {
			t.Fatalf("NewSession via %s: %v", via, err)
		}
		t.Cleanup(func() { sess.Close() })
		if sf, err = sess.SFTP(); err != nil {
			t.Fatal(err)
		}
	}
	dir := testDir(t)
	e := &interruptEnv{proxy: proxy, sess: sess, sf: sf, dir: dir, name: filepath.Join(dir, "f.bin")}
	e.want = make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{21}).Read(e.want)
	if err := os.WriteFile(e.name, e.want, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := sf.OpenFile(e.name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.f = f
	if e.d, err = sf.OpenDir(dir); err != nil {
		t.Fatal(err)
	}
	e.echo = echoServer(t)
	if e.conn, err = sess.Dial("tcp", e.echo); err != nil {
		t.Fatal(err)
	}
	return e
}

// upload is what the Write cases write: more than any window holds, so they wait.
var upload = func() []byte {
	b := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{22}).Read(b)
	return b
}()

// waitCase is one public operation that waits on the server. run performs it once; written says
// how many bytes of upload it accepted (they are written at f's offset 0, over the base bytes).
type waitCase struct {
	name string
	file bool // bounded by the File's deadline (else the session's)
	dir  bool // an operation of e.d: Dir.Close ends it
	conn bool // an operation of e.conn, bounded by its deadline: its Close ends it
	ctx  bool // run honours ctx (a Context variant)
	run  func(ctx context.Context, e *interruptEnv) (written int, err error)
	// since, when set, is the libssh2 version (major, minor) that has the call; with an older one
	// it fails at once with ErrNotSupported, without waiting, and the tests check that instead.
	since [2]int
}

// unsupported reports whether c's call is missing from the libssh2 in use; if so, it checks that
// the call fails at once with ErrNotSupported, on e's stalled link.
func (c waitCase) unsupported(t *testing.T, e *interruptEnv) bool {
	t.Helper()
	if c.since == [2]int{} || !libssh2Before(t, c.since[0], c.since[1]) {
		return false
	}
	t.Logf("libssh2 %s lacks %s: checking that it fails at once with ErrNotSupported", libssh2.Version(), c.name)
	start := time.Now()
	if _, err := c.run(context.Background(), e); !errors.Is(err, libssh2.ErrNotSupported) {
		t.Errorf("%s with libssh2 %s = %v, want ErrNotSupported", c.name, libssh2.Version(), err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("%s took %v to say it is not supported", c.name, d)
	}
	return true
}

func noBytes(err error) (int, error) { return 0, err }

var waitCases = []waitCase{
	{name: "File.Write", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return e.f.WriteContext(ctx, upload)
	}},
	{name: "File.ReadFrom", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		n, err := e.f.ReadFromContext(ctx, bytes.NewReader(upload))
		return int(n), err
	}},
	{name: "File.Sync", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		n, err := e.f.Write(upload[:100000]) // into the window: no wait
		if err != nil {
			return n, err
		}
		return n, e.f.SyncContext(ctx)
	}},
	{name: "File.Read", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.f.ReadContext(ctx, make([]byte, 4096))
		return noBytes(err)
	}},
	{name: "File.WriteTo", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.f.WriteToContext(ctx, io.Discard)
		return noBytes(err)
	}},
	{name: "File.ReadAt", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.f.ReadAtContext(ctx, make([]byte, 100000), 5000)
		return noBytes(err)
	}},
	{name: "File.Seek(end)", file: true, ctx: false, run: func(_ context.Context, e *interruptEnv) (int, error) {
		_, err := e.f.Seek(0, io.SeekEnd)
		return noBytes(err)
	}},
	{name: "File.Stat", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.f.StatContext(ctx)
		return noBytes(err)
	}},
	{name: "File.Chmod", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.f.ChmodContext(ctx, 0o640))
	}},
	{name: "File.Chown", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.f.ChownContext(ctx, os.Getuid(), os.Getgid()))
	}},
	{name: "File.Chtimes", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.f.ChtimesContext(ctx, time.Unix(1e9, 0), time.Unix(1e9, 0)))
	}},
	{name: "File.Truncate", file: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.f.TruncateContext(ctx, 1<<20)) // its own size: the content stays
	}},
	{name: "SFTP.OpenFile", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		f, err := e.sf.OpenFileContext(ctx, e.name, os.O_RDONLY, 0)
		if err == nil {
			f.Close()
		}
		return noBytes(err)
	}},
	{name: "SFTP.OpenDir", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		d, err := e.sf.OpenDirContext(ctx, e.dir)
		if err == nil {
			d.Close()
		}
		return noBytes(err)
	}},
	{name: "Dir.ReadDir", dir: true, ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.d.ReadDirContext(ctx, -1)
		return noBytes(err)
	}},
	{name: "SFTP.ReadDir", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.sf.ReadDirContext(ctx, e.dir)
		return noBytes(err)
	}},
	{name: "Session.SFTP", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		sf, err := e.sess.SFTPContext(ctx)
		if err == nil {
			sf.Close()
		}
		return noBytes(err)
	}},
	{name: "SFTP.Stat", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.sf.StatContext(ctx, e.name)
		return noBytes(err)
	}},
	{name: "SFTP.Lstat", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.sf.LstatContext(ctx, e.name)
		return noBytes(err)
	}},
	{name: "SFTP.Chmod", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.ChmodContext(ctx, e.name, 0o600))
	}},
	{name: "SFTP.Chown", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.ChownContext(ctx, e.name, os.Getuid(), os.Getgid()))
	}},
	{name: "SFTP.Chtimes", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.ChtimesContext(ctx, e.name, time.Unix(1e9, 0), time.Unix(1e9, 0)))
	}},
	{name: "SFTP.Truncate", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.TruncateContext(ctx, e.name, 1<<20)) // its own size: the content stays
	}},
	{name: "SFTP.StatVFS", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.sf.StatVFSContext(ctx, e.dir)
		return noBytes(err)
	}},
	{name: "SFTP.Mkdir", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.MkdirContext(ctx, filepath.Join(e.dir, "new"), 0o755))
	}},
	{name: "SFTP.Remove", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.RemoveContext(ctx, filepath.Join(e.dir, "sub")))
	}},
	{name: "SFTP.Rename", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.RenameContext(ctx, filepath.Join(e.dir, "sub"), filepath.Join(e.dir, "sub2")))
	}},
	{name: "SFTP.RenameWithFlags", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.RenameWithFlagsContext(ctx, filepath.Join(e.dir, "sub"), filepath.Join(e.dir, "sub2"), libssh2.RenameNative))
	}},
	{name: "SFTP.PosixRename", ctx: true, since: [2]int{1, 11}, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.PosixRenameContext(ctx, filepath.Join(e.dir, "sub"), filepath.Join(e.dir, "sub2")))
	}},
	{name: "SFTP.MkdirAll", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.MkdirAllContext(ctx, filepath.Join(e.dir, "new", "deeper"), 0o755))
	}},
	{name: "SFTP.RemoveAll", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.RemoveAllContext(ctx, filepath.Join(e.dir, "sub")))
	}},
	{name: "SFTP.Symlink", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sf.SymlinkContext(ctx, e.name, filepath.Join(e.dir, "link")))
	}},
	{name: "SFTP.Readlink", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.sf.ReadlinkContext(ctx, e.name)
		return noBytes(err)
	}},
	{name: "SFTP.RealPath", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.sf.RealPathContext(ctx, e.dir)
		return noBytes(err)
	}},
	{name: "Session.Dial", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		c, err := e.sess.DialContext(ctx, "tcp", e.echo)
		if err == nil {
			c.Close()
		}
		return noBytes(err)
	}},
	{name: "Conn.Read", conn: true, run: func(_ context.Context, e *interruptEnv) (int, error) {
		_, err := e.conn.Read(make([]byte, 100))
		return noBytes(err)
	}},
	{name: "Conn.Write", conn: true, run: func(_ context.Context, e *interruptEnv) (int, error) {
		_, err := e.conn.Write(upload)
		return noBytes(err)
	}},
	{name: "SFTP.Getwd", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		_, err := e.sf.GetwdContext(ctx)
		return noBytes(err)
	}},
	{name: "Cmd.Run", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		return noBytes(e.sess.CommandContext(ctx, "true").Run())
	}},
	{name: "Cmd.Output", ctx: true, run: func(ctx context.Context, e *interruptEnv) (int, error) {
		cmd := e.sess.CommandContext(ctx, "cat")
		cmd.Stdin = bytes.NewReader(upload[:1<<20])
		_, err := cmd.Output()
		return noBytes(err)
	}},
}

// TestInterruptEveryWait interrupts each operation of waitCases at its wait point, by a deadline set
// before it, by a deadline set while it waits (the File's, or the session's), and by cancelling its
// context. The operation returns the matching typed error in bounded time; once the link is back,
// the same session stats, uploads and closes correctly, and the File's remote file holds exactly
// the bytes accepted.
func TestInterruptEveryWait(t *testing.T) {
	checkNoLeaks(t)
	for _, m := range interruptModes {
		for _, c := range waitCases {
			if m.want == context.Canceled && !c.ctx {
				continue
			}
			t.Run(m.name+"/"+c.name, func(t *testing.T) { interruptOne(t, newInterruptEnv(t), m, c) })
		}
	}
}

// TestInterruptOtherConnections runs TestInterruptEveryWait's interruptions and
// TestCloseEndsEveryWait's Session.Close on sessions over other connections: a TCP connection
// given to NewSession (the session waits on the caller's descriptor, which it neither duplicates
// nor closes), and connections without a file descriptor, a net.Pipe and a channel of another
// session (a jump host), whose waits are libssh2's callbacks waiting on Go buffers. They must end
// the same way.
func TestInterruptOtherConnections(t *testing.T) {
	checkNoLeaks(t)
	some := map[string]bool{"File.Write": true, "File.Read": true, "File.Sync": true, "SFTP.Stat": true,
		"SFTP.OpenFile": true, "Session.SFTP": true, "Session.Dial": true, "Conn.Read": true}
	for _, via := range []string{"tcpconn", "pipe", "jump"} {
		for _, m := range interruptModes {
			for _, c := range waitCases {
				if !some[c.name] || (m.want == context.Canceled && !c.ctx) {
					continue
				}
				t.Run(via+"/"+m.name+"/"+c.name, func(t *testing.T) { interruptOne(t, newInterruptEnvVia(t, via), m, c) })
			}
		}
		for _, c := range waitCases {
			if some[c.name] {
				t.Run(via+"/Session.Close/"+c.name, func(t *testing.T) { closeOne(t, newInterruptEnvVia(t, via), c, "Session.Close") })
			}
		}
	}
}

// interruptMode is one way to interrupt a waiting operation.
type interruptMode struct {
	name string
	want error
	// interrupt starts the operation's interruption and returns the context to run it with.
	interrupt func(e *interruptEnv, c waitCase) context.Context
}

// setCaseDeadline sets the deadline that bounds c: its File's, its connection's or the session's.
func setCaseDeadline(e *interruptEnv, c waitCase, d time.Time) {
	if c.file {
		e.f.SetDeadline(d)
	} else if c.conn {
		e.conn.SetDeadline(d)
	} else {
		e.sess.SetDeadline(d)
	}
}

var interruptModes = []interruptMode{
	{"deadline", os.ErrDeadlineExceeded, func(e *interruptEnv, c waitCase) context.Context {
		setCaseDeadline(e, c, time.Now().Add(200*time.Millisecond))
		return context.Background()
	}},
	{"SetDeadline(now) while waiting", os.ErrDeadlineExceeded, func(e *interruptEnv, c waitCase) context.Context {
		time.AfterFunc(200*time.Millisecond, func() {
			e.setAt.Store(time.Now().UnixNano())
			setCaseDeadline(e, c, time.Now())
		})
		return context.Background()
	}},
	{"cancel", context.Canceled, func(e *interruptEnv, c waitCase) context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		return ctx
	}},
}

// interruptOne runs c on e's stalled link, interrupted as m says, and checks the error, the time it
// took and that the session works afterwards.
func interruptOne(t *testing.T, e *interruptEnv, m interruptMode, c waitCase) {
	e.proxy.SetPaused(true)
	if c.unsupported(t, e) {
		e.proxy.SetPaused(false)
		e.checkUsable(t)
		return
	}
	ctx := m.interrupt(e, c)
	start := time.Now()
	n, err := c.run(ctx, e)
	elapsed := time.Since(start)
	if !errors.Is(err, m.want) {
		t.Fatalf("%s on a stalled link = %v; want an error wrapping %v", c.name, err, m.want)
	}
	var le *libssh2.Error
	if !errors.As(err, &le) {
		t.Errorf("error %v is not an *libssh2.Error", err)
	}
	if elapsed > 2*time.Second {
		t.Errorf("%s returned after %v", c.name, elapsed)
	}
	if at := e.setAt.Load(); at != 0 {
		// os.File's rule: a deadline set while I/O waits ends it at once.
		after := time.Since(time.Unix(0, at)) - time.Since(start.Add(elapsed))
		if after > 100*time.Millisecond && (c.name == "File.Write" || c.name == "File.Read") {
			t.Errorf("%s returned %v after SetDeadline(now), want within 100 ms", c.name, after)
		}
	}
	copy(e.want, upload[:n])
	if n > len(e.want) {
		e.want = append(e.want, upload[len(e.want):n]...)
	}
	e.proxy.SetPaused(false)
	setCaseDeadline(e, c, time.Time{})
	e.checkUsable(t)
}

// TestCloseInterrupted interrupts File.Close itself by its write deadline on a stalled link: while
// it drains the window, and while it waits for the answer to the handle's close. Close returns the
// deadline's error in bounded time and the File is closed; once the link is back the session works
// (the interrupted calls are finished by the next operation) and the remote file holds every byte
// Write accepted.
func TestCloseInterrupted(t *testing.T) {
	checkNoLeaks(t)
	for _, c := range []struct {
		name string
		sync bool // Sync before Close: nothing left to drain
	}{{"draining", false}, {"closing the handle", true}} {
		t.Run(c.name, func(t *testing.T) {
			e := newInterruptEnv(t)
			n, err := e.f.Write(upload[:100000]) // into the window: no wait
			if err != nil || n != 100000 {
				t.Fatalf("Write = %d, %v", n, err)
			}
			if c.sync {
				if err := e.f.Sync(); err != nil {
					t.Fatal(err)
				}
			}
			copy(e.want, upload[:n])
			e.proxy.SetPaused(true)
			e.f.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
			start := time.Now()
			err = e.f.Close()
			if !isCloseTimeout(err) {
				t.Errorf("Close on a stalled link = %v; want an error wrapping os.ErrDeadlineExceeded, not a context's", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Close returned after %v", d)
			}
			if err := e.f.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("a second Close = %v; want fs.ErrClosed", err)
			}
			e.proxy.SetPaused(false)
			e.closed = true
			e.checkUsable(t)
		})
	}
}

// isCloseTimeout reports whether err, a Close's, says that its bound passed: os.ErrDeadlineExceeded,
// whether the bound was a deadline set on the session or File or the Close's own closeTimeout, and
// never a context's error, since a Close takes no context.
func isCloseTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded)
}

// TestSFTPCloseInterrupted interrupts SFTP.Close itself on a stalled link, by the session's deadline
// and by closeTimeout, while it drains one of its Files. Close returns the wait's error in bounded
// time; the channel and its File refuse use; the session is not broken: once the link is back its
// next operation finishes the File's writes, the handle's close and the channel's shutdown (the
// remote file then holds every byte Write accepted), a new channel works, and every C block comes
// back.
func TestSFTPCloseInterrupted(t *testing.T) {
	checkNoLeaks(t)
	for _, c := range []struct {
		name     string
		deadline time.Duration // the session's deadline; 0: none, closeTimeout bounds Close
		bound    time.Duration
	}{
		{"session deadline", 300 * time.Millisecond, 2 * time.Second},
		{"closeTimeout", 0, 7 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newInterruptEnv(t)
			n, err := e.f.Write(upload[:100000]) // into the window: no wait
			if err != nil || n != 100000 {
				t.Fatalf("Write = %d, %v", n, err)
			}
			copy(e.want, upload[:n])
			e.proxy.SetPaused(true)
			if c.deadline > 0 {
				e.sess.SetDeadline(time.Now().Add(c.deadline))
			}
			start := time.Now()
			err = e.sf.Close()
			if !isCloseTimeout(err) {
				t.Errorf("SFTP.Close on a stalled link = %v; want an error wrapping os.ErrDeadlineExceeded, not a context's", err)
			}
			if errors.Is(err, libssh2.ErrSessionBroken) {
				t.Errorf("SFTP.Close on a stalled link broke the session: %v", err)
			}
			if d := time.Since(start); d > c.bound {
				t.Errorf("SFTP.Close returned after %v, want at most %v", d, c.bound)
			}
			if err := e.sf.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("a second SFTP.Close = %v; want fs.ErrClosed", err)
			}
			if _, err := e.f.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("File.Write after SFTP.Close = %v; want fs.ErrClosed", err)
			}
			if _, err := e.sf.Stat(e.name); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("Stat on the closed channel = %v; want fs.ErrClosed", err)
			}
			e.proxy.SetPaused(false)
			e.sess.SetDeadline(time.Now().Add(20 * time.Second))
			sf, err := e.sess.SFTP() // finishes the queued writes, the handle's close and the shutdown
			if err != nil {
				t.Fatalf("a new channel after the interrupted SFTP.Close: %v", err)
			}
			if fi, err := sf.Stat(e.name); err != nil || fi.Size() != int64(len(e.want)) {
				t.Fatalf("Stat on the new channel = %v, %v", fi, err)
			}
			if got, err := os.ReadFile(e.name); err != nil || !bytes.Equal(got, e.want) {
				t.Fatalf("remote file: %d bytes, %v; differs from the accepted bytes over the base at %d", len(got), err, firstDiff(got, e.want))
			}
			e.sf = sf
			e.closed = true
			e.checkUsable(t)
		})
	}
}

// TestCloseEndedByOuterClose: a Close that waits on a stalled link for a File's writes (File.Close,
// SFTP.Close) is ended by the Close of what holds it (SFTP.Close, Session.Close) from another
// goroutine. The inner Close returns fs.ErrClosed at once; the outer one finishes what it queued
// once the link is back (SFTP.Close: the remote file then holds every accepted byte, and a new
// channel works) or gives up in bounded time (Session.Close on a link that stays stalled: the
// remote file holds the base overwritten by a prefix of the accepted bytes). Everything closed
// refuses use with fs.ErrClosed, and every C block and goroutine comes back.
func TestCloseEndedByOuterClose(t *testing.T) {
	checkNoLeaks(t)
	for _, c := range []struct{ inner, outer string }{
		{"File.Close", "SFTP.Close"},
		{"File.Close", "Session.Close"},
		{"SFTP.Close", "Session.Close"},
	} {
		t.Run(c.inner+" by "+c.outer, func(t *testing.T) {
			e := newInterruptEnv(t)
			base := append([]byte(nil), e.want...)
			n, err := e.f.Write(upload[:100000]) // into the window: no wait
			if err != nil || n != 100000 {
				t.Fatalf("Write = %d, %v", n, err)
			}
			copy(e.want, upload[:n])
			e.proxy.SetPaused(true)
			type result struct {
				err  error
				took time.Duration
			}
			outer := make(chan result, 1)
			time.AfterFunc(200*time.Millisecond, func() {
				t0 := time.Now()
				var err error
				if c.outer == "SFTP.Close" {
					err = e.sf.Close()
				} else {
					err = e.sess.Close()
				}
				outer <- result{err, time.Since(t0)}
			})
			start := time.Now()
			if c.inner == "File.Close" {
				err = e.f.Close()
			} else {
				err = e.sf.Close()
			}
			if !errors.Is(err, fs.ErrClosed) {
				t.Errorf("%s ended by %s = %v; want fs.ErrClosed", c.inner, c.outer, err)
			}
			// Not ended by the outer Close, it would wait closeTimeout (5 s) for the server; 2 s
			// leaves a loaded machine time to schedule the wake.
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s returned %v after it started, 200 ms after which %s ran", c.inner, d, c.outer)
			}
			if c.outer == "SFTP.Close" {
				e.proxy.SetPaused(false)
			}
			r := <-outer
			t.Logf("%s: %v (%v)", c.outer, r.err, r.took)
			if c.outer == "SFTP.Close" && r.err != nil {
				t.Errorf("SFTP.Close, once the link was back: %v", r.err)
			}
			if c.outer == "Session.Close" && !isCloseTimeout(r.err) { // the link stays stalled
				t.Errorf("Session.Close on the stalled link = %v; want an error wrapping os.ErrDeadlineExceeded, not a context's", r.err)
			}
			if r.err != nil && strings.Count(r.err.Error(), "libssh2: ") > 1 {
				t.Errorf("%s's error wraps the operation's error twice: %v", c.outer, r.err)
			}
			if r.took > 7*time.Second { // Session.Close's polite part: closeTimeout
				t.Errorf("%s took %v", c.outer, r.took)
			}
			if err := e.f.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("a second File.Close = %v; want fs.ErrClosed", err)
			}
			if err := e.sf.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("a second SFTP.Close = %v; want fs.ErrClosed", err)
			}
			if _, err := e.f.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("File.Write after %s = %v; want fs.ErrClosed", c.outer, err)
			}
			if c.outer == "SFTP.Close" {
				e.closed = true
				e.sess.SetDeadline(time.Now().Add(20 * time.Second))
				if e.sf, err = e.sess.SFTP(); err != nil {
					t.Fatalf("a new channel after SFTP.Close: %v", err)
				}
				e.checkUsable(t) // the remote file holds e.want exactly
				return
			}
			if _, err := e.sess.SFTP(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("a new channel after Session.Close: %v; want fs.ErrClosed", err)
			}
			if err := e.sess.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("a second Session.Close = %v; want fs.ErrClosed", err)
			}
			e.proxy.SetPaused(false)           // whatever the proxy held reaches the server now
			time.Sleep(200 * time.Millisecond) // the server's last writes
			got, err := os.ReadFile(e.name)
			if err != nil {
				t.Fatal(err)
			}
			k := firstDiff(got, upload[:n])
			if len(got) != len(base) || !bytes.Equal(got[k:], base[k:]) {
				t.Errorf("remote file: %d bytes, not the %d-byte base overwritten by a prefix of the accepted bytes (%d match, then a difference from the base at %d)",
					len(got), len(base), k, k+firstDiff(got[k:], base[k:]))
			}
			t.Logf("the server wrote %d of the %d accepted bytes", k, n)
		})
	}
}

// TestLateCloseFailure: a File.Close that cannot get the session in time (another channel's Stat
// holds it on a stalled link) returns the wait's error, and the File is closed once the session is
// free. When the server then refuses the bytes that close drains (here past a file size limit),
// nobody has seen that failure: Session.Close returns it, an *Error with the SFTP status and the
// offset up to which the remote file is good, and the remote file holds those bytes.
func TestLateCloseFailure(t *testing.T) {
	checkNoLeaks(t)
	const limit = 64 << 10
	ls := sshd.StartT(t, sshd.Options{FileSizeLimit: limit})
	proxy, sess, sf := proxySessionTo(t, ls)
	other, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	name := ls.Path("late.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	data := upload[:200000]
	if n, err := f.Write(data); err != nil || n != len(data) { // into the window: no wait
		t.Fatalf("Write = %d, %v", n, err)
	}
	proxy.SetPaused(true)
	held := make(chan error, 1)
	go func() { // no deadline: it holds the session until the link is back
		_, err := other.Stat(ls.Path(""))
		held <- err
	}()
	if !settle(func() bool { return libssh2.Running(sess) }) {
		t.Fatal("the other channel's Stat never ran")
	}
	if err := f.Close(); !isCloseTimeout(err) {
		t.Fatalf("File.Close without the session = %v; want an error wrapping os.ErrDeadlineExceeded", err)
	}
	proxy.SetPaused(false)
	if err := <-held; err != nil {
		t.Fatalf("the other channel's Stat: %v", err)
	}
	if !settle(func() bool { return libssh2.OpenFiles(sf) == 0 }) {
		t.Fatal("the File was not closed once the session was free")
	}
	err = sess.Close()
	var e *libssh2.Error
	if !errors.As(err, &e) || e.Status == 0 || e.Path != name {
		t.Fatalf("Session.Close after the File's close failed in the background = %v; want an *Error with an SFTP status for %s", err, name)
	}
	t.Logf("Session.Close: %v (good up to %d)", err, e.Offset)
	if e.Offset < 0 || e.Offset > limit {
		t.Fatalf("reported good offset %d, want 0..%d", e.Offset, limit)
	}
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(got)) < e.Offset || !bytes.Equal(got[:e.Offset], data[:e.Offset]) {
		t.Errorf("the remote file (%d bytes) does not hold the %d bytes reported good", len(got), e.Offset)
	}
}

// TestCloseWithoutSession: a File.Close, SFTP.Close or Conn.Close that cannot get the session in
// time, because an operation on another channel holds it on a stalled link or (SFTP.Close) because
// the session's deadline has passed, returns that wait's error, and what it closes refuses use at
// once. It is closed as soon as the session is free: the File's accepted bytes reach the remote
// file exactly, its handle is closed (SFTP.Close: the channel is shut down, the session holds only
// the other one; Conn.Close: the channel is freed), the session works, and nothing is left behind.
func TestCloseWithoutSession(t *testing.T) {
	checkNoLeaks(t)
	for _, c := range []struct {
		closer string
		held   bool // another channel's Stat holds the session on the stalled link; else the session's deadline has passed
		// sessionClose: Session.Close, on the link still stalled, ends the close waiting for the
		// session in the background
		sessionClose bool
	}{
		{"SFTP.Close", true, false},
		{"SFTP.Close", false, false},
		{"File.Close", true, false},
		{"Conn.Close", true, false},
		{"SFTP.Close", true, true},
	} {
		why := "session deadline passed"
		if c.held {
			why = "held by another channel"
		}
		if c.sessionClose {
			why += ", then Session.Close"
		}
		t.Run(c.closer+"/"+why, func(t *testing.T) {
			e := newInterruptEnv(t)
			n, err := e.f.Write(upload[:100000]) // into the window: no wait
			if err != nil || n != 100000 {
				t.Fatalf("Write = %d, %v", n, err)
			}
			copy(e.want, upload[:n])
			other, err := e.sess.SFTP()
			if err != nil {
				t.Fatal(err)
			}
			held := make(chan error, 1)
			if c.held {
				e.proxy.SetPaused(true)
				go func() { // no deadline: it holds the session until the link is back
					_, err := other.Stat(e.dir)
					held <- err
				}()
				if !settle(func() bool { return libssh2.Running(e.sess) }) {
					t.Fatal("the other channel's Stat never ran")
				}
			} else {
				e.sess.SetDeadline(time.Now().Add(-time.Second))
				held <- nil
			}
			start := time.Now()
			switch c.closer {
			case "File.Close":
				err = e.f.Close()
			case "Conn.Close":
				err = e.conn.Close()
			default:
				err = e.sf.Close()
			}
			if !isCloseTimeout(err) {
				t.Errorf("%s without the session = %v; want an error wrapping os.ErrDeadlineExceeded, not a context's", c.closer, err)
			}
			if d := time.Since(start); d > 7*time.Second {
				t.Errorf("%s returned after %v", c.closer, d)
			}
			if c.closer == "Conn.Close" {
				if _, err := e.conn.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
					t.Errorf("Conn.Write after Conn.Close = %v; want net.ErrClosed", err)
				}
			} else if err := e.f.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("a second File.Close = %v; want fs.ErrClosed", err)
			}
			if c.closer == "SFTP.Close" {
				if err := e.sf.Close(); !errors.Is(err, fs.ErrClosed) {
					t.Errorf("a second SFTP.Close = %v; want fs.ErrClosed", err)
				}
			}
			if c.closer != "Conn.Close" { // else the File is open, and would wait for the session
				if _, err := e.f.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
					t.Errorf("File.Write after %s = %v; want fs.ErrClosed", c.closer, err)
				}
			}
			if c.sessionClose {
				start := time.Now()
				err := e.sess.Close()
				if !isCloseTimeout(err) {
					t.Errorf("Session.Close on the stalled link = %v; want an error wrapping os.ErrDeadlineExceeded, not a context's", err)
				}
				if d := time.Since(start); d > 8*time.Second {
					t.Errorf("Session.Close took %v", d)
				}
				if err := <-held; !errors.Is(err, fs.ErrClosed) {
					t.Errorf("the other channel's Stat, ended by Session.Close = %v; want fs.ErrClosed", err)
				}
				e.proxy.SetPaused(false)
				return // checkNoLeaks: the background close's goroutine and every C block are gone
			}
			e.proxy.SetPaused(false)
			if err := <-held; err != nil {
				t.Errorf("the other channel's Stat: %v", err)
			}
			e.sess.SetDeadline(time.Now().Add(20 * time.Second))
			if _, err := other.Stat(e.dir); err != nil { // finishes what the closing left queued
				t.Fatal(err)
			}
			switch c.closer {
			case "SFTP.Close":
				if !settle(func() bool { return libssh2.SFTPChannels(e.sess) == 1 }) {
					t.Fatalf("%d SFTP channels open after the closed one's session came free; want 1", libssh2.SFTPChannels(e.sess))
				}
				e.sf = other
			case "Conn.Close":
				if !settle(func() bool { return libssh2.OpenChannels(e.sess) == 0 }) {
					t.Fatalf("%d channels open after the closed connection's session came free; want 0", libssh2.OpenChannels(e.sess))
				}
			default:
				if !settle(func() bool { return libssh2.OpenFiles(e.sf) == 1 }) { // e.d
					t.Fatalf("%d handles open on the channel after the File's session came free; want 1 (the Dir)", libssh2.OpenFiles(e.sf))
				}
			}
			if c.closer != "Conn.Close" { // else the File is open: checkUsable closes it and checks
				if got, err := os.ReadFile(e.name); err != nil || !bytes.Equal(got, e.want) {
					t.Fatalf("remote file: %d bytes, %v; differs from the accepted bytes over the base at %d", len(got), err, firstDiff(got, e.want))
				}
				e.closed = true
			}
			e.checkUsable(t)
		})
	}
}

// checkUsable checks that e's session works after an interruption: Stat, closing the File (its
// remote file then holds e.want exactly), an upload of a new file, and closing the session.
func (e *interruptEnv) checkUsable(t *testing.T) {
	t.Helper()
	sess, sf := e.sess, e.sf
	sess.SetDeadline(time.Now().Add(20 * time.Second))
	if fi, err := sf.Stat(e.name); err != nil || fi.IsDir() {
		t.Fatalf("Stat after the interruption = %v, %v", fi, err)
	}
	if !e.closed {
		if err := e.f.Close(); err != nil {
			t.Errorf("File.Close after the interruption: %v", err)
		}
	}
	got, err := os.ReadFile(e.name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, e.want) {
		t.Errorf("remote file: %d bytes, want the %d bytes accepted (first difference at %d)", len(got), len(e.want), firstDiff(got, e.want))
	}
	name := filepath.Join(e.dir, "after.bin")
	g, err := sf.Create(name)
	if err != nil {
		t.Fatalf("Create after the interruption: %v", err)
	}
	if _, err := g.Write(upload[:256<<10]); err != nil {
		t.Fatalf("Write after the interruption: %v", err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("Close after the interruption: %v", err)
	}
	checkRemote(t, name, upload[:256<<10])
	if err := sess.Close(); err != nil {
		t.Errorf("Session.Close after the interruption: %v", err)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestDoneContextStartsNothing: an operation given a done context fails with the context's error at
// once and sends nothing, and the session goes on as if it had not been called (the Sync case of
// issue 10: Write, Sync, SyncContext(cancelled) used to break the session).
func TestDoneContextStartsNothing(t *testing.T) {
	checkNoLeaks(t)
	e := newInterruptEnv(t)
	if _, err := e.f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := e.f.Sync(); err != nil {
		t.Fatal(err)
	}
	copy(e.want, "hello")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.proxy.SetPaused(true)
	sent := e.proxy.BytesUp()
	for _, c := range waitCases {
		if !c.ctx {
			continue
		}
		start := time.Now()
		var err error
		if c.name == "File.Sync" {
			err = e.f.SyncContext(ctx) // without the case's Write, which has no context and sends
		} else {
			_, err = c.run(ctx, e)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a done context = %v, want context.Canceled", c.name, err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%s with a done context took %v", c.name, d)
		}
	}
	if got := e.proxy.BytesUp(); got != sent {
		t.Errorf("operations with a done context sent %d bytes", got-sent)
	}
	e.proxy.SetPaused(false)
	e.checkUsable(t)
}

// TestCloseReachesWaitingOperation: File.Close and Session.Close from another goroutine end an
// operation waiting on a stalled link at once with an error wrapping fs.ErrClosed, and return
// within their documented bounds.
func TestCloseReachesWaitingOperation(t *testing.T) {
	checkNoLeaks(t)
	for _, which := range []string{"File.Close", "Session.Close"} {
		for _, c := range []waitCase{waitCases[0], waitCases[3]} { // Write and Read
			t.Run(which+"/"+c.name, func(t *testing.T) {
				e := newInterruptEnv(t)
				e.proxy.SetPaused(true)
				closed := make(chan error, 1)
				var closeTook time.Duration
				time.AfterFunc(200*time.Millisecond, func() {
					start := time.Now()
					var err error
					if which == "File.Close" {
						err = e.f.Close()
					} else {
						err = e.sess.Close()
					}
					closeTook = time.Since(start)
					closed <- err
				})
				start := time.Now()
				n, err := c.run(context.Background(), e)
				if !errors.Is(err, fs.ErrClosed) {
					t.Errorf("%s interrupted by %s = %d, %v; want fs.ErrClosed", c.name, which, n, err)
				}
				if d := time.Since(start); d > 200*time.Millisecond+500*time.Millisecond {
					t.Errorf("%s returned %v after it started, 200 ms after which %s ran", c.name, d, which)
				}
				cerr := <-closed
				bound := 6 * time.Second // closeTimeout, and Session.Close's closeLockWait
				if closeTook > bound+time.Second {
					t.Errorf("%s took %v, more than its bound of %v", which, closeTook, bound)
				}
				t.Logf("%s on a stalled link: %v after %v", which, cerr, closeTook)
				e.proxy.SetPaused(false)
				if which == "File.Close" {
					// The session outlives the File: the close waits behind the interrupted call.
					e.sess.SetDeadline(time.Now().Add(20 * time.Second))
					if _, err := e.sf.Stat(e.name); err != nil {
						t.Errorf("Stat after File.Close on a stalled link: %v", err)
					}
					if err := e.sess.Close(); err != nil {
						t.Errorf("Session.Close: %v", err)
					}
				}
				// Whatever landed is the base bytes overwritten by a prefix of what was accepted.
				got, err := os.ReadFile(e.name)
				if err != nil {
					t.Fatal(err)
				}
				want := append([]byte(nil), e.want...)
				copy(want, upload[:min(n, len(want))])
				if len(got) < len(want) || !bytes.Equal(got[len(want):], upload[len(want):len(got)]) {
					t.Errorf("remote file of %d bytes is not the base with a prefix of the upload", len(got))
				}
			})
		}
	}
}

// onChannel reports whether c works on the interruptEnv's SFTP channel (e.sf): SFTP.Close ends it.
func onChannel(c waitCase) bool {
	return c.file || c.dir || strings.HasPrefix(c.name, "SFTP.")
}

// TestCloseEndsEveryWait: Session.Close from another goroutine, SFTP.Close for the operations on
// the channel and its Files, and File.Close for the operations of the File, end each operation of waitCases at its wait point on a stalled link with an error
// wrapping fs.ErrClosed. The link then comes back: Session.Close finishes (the interrupted call, the
// disconnect) and frees everything; after File.Close the session works on.
func TestCloseEndsEveryWait(t *testing.T) {
	checkNoLeaks(t)
	for _, c := range waitCases {
		closers := []string{"Session.Close"}
		if onChannel(c) {
			closers = append(closers, "SFTP.Close")
		}
		if c.file {
			closers = append(closers, "File.Close")
		}
		if c.dir {
			closers = append(closers, "Dir.Close")
		}
		if c.conn {
			closers = append(closers, "Conn.Close")
		}
		for _, which := range closers {
			t.Run(which+"/"+c.name, func(t *testing.T) { closeOne(t, newInterruptEnv(t), c, which) })
		}
	}
}

// closeOne ends c, waiting on e's stalled link, with which ("Session.Close", "File.Close", ...) from
// another goroutine, and checks the error, the time it took and the session afterwards.
func closeOne(t *testing.T, e *interruptEnv, c waitCase, which string) {
	e.proxy.SetPaused(true)
	if c.unsupported(t, e) {
		e.proxy.SetPaused(false)
		e.checkUsable(t)
		return
	}
	closed := make(chan error, 1)
	time.AfterFunc(200*time.Millisecond, func() {
		switch which {
		case "File.Close":
			closed <- e.f.Close()
		case "Dir.Close":
			closed <- e.d.Close()
		case "SFTP.Close":
			closed <- e.sf.Close()
		case "Conn.Close":
			closed <- e.conn.Close()
		default:
			closed <- e.sess.Close()
		}
	})
	start := time.Now()
	n, err := c.run(context.Background(), e)
	if !errors.Is(err, fs.ErrClosed) {
		t.Errorf("%s interrupted by %s = %d, %v; want fs.ErrClosed", c.name, which, n, err)
	}
	var le *libssh2.Error
	if !errors.As(err, &le) {
		t.Errorf("error %v is not an *libssh2.Error", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond+500*time.Millisecond {
		t.Errorf("%s returned %v after it started, 200 ms after which %s ran", c.name, d, which)
	}
	e.proxy.SetPaused(false)
	cerr := <-closed
	t.Logf("%s: %v", which, cerr)
	if which == "SFTP.Close" {
		checkChannelClosed(t, e, c, n, cerr)
	}
	if which != "Session.Close" {
		e.sess.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := e.sf.Stat(e.name); err != nil {
			t.Errorf("Stat after %s ended %s: %v", which, c.name, err)
		}
	}
	if err := e.sess.Close(); which == "Session.Close" && !errors.Is(err, fs.ErrClosed) {
		t.Errorf("a second Session.Close = %v, want fs.ErrClosed", err)
	} else if which != "Session.Close" && err != nil {
		t.Errorf("Session.Close after %s ended %s: %v", which, c.name, err)
	}
}

// checkChannelClosed checks what SFTP.Close left once it ended c (which had accepted n bytes of
// upload) and the link came back: Close succeeded, the channel and its File refuse use with
// fs.ErrClosed, the File's remote file holds exactly the base bytes overwritten by the n accepted
// ones (Close drained them), and a new channel works; e.sf becomes that channel.
func checkChannelClosed(t *testing.T, e *interruptEnv, c waitCase, n int, cerr error) {
	t.Helper()
	if cerr != nil {
		t.Errorf("SFTP.Close, once the link was back: %v", cerr)
	}
	if _, err := e.sf.Stat(e.name); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Stat on the closed channel = %v, want fs.ErrClosed", err)
	}
	if _, err := e.f.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write on a File of the closed channel = %v, want fs.ErrClosed", err)
	}
	if err := e.sf.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("a second SFTP.Close = %v, want fs.ErrClosed", err)
	}
	want := append([]byte(nil), e.want...)
	copy(want, upload[:min(n, len(want))])
	if n > len(want) {
		want = append(want, upload[len(want):n]...)
	}
	e.sess.SetDeadline(time.Now().Add(20 * time.Second))
	sf, err := e.sess.SFTP()
	if err != nil {
		t.Fatalf("a new SFTP channel after SFTP.Close ended %s: %v", c.name, err)
	}
	e.sf = sf
	got, err := os.ReadFile(e.name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("remote file: %d bytes, want the base overwritten by the %d accepted (%d bytes); first difference at %d",
			len(got), n, len(want), firstDiff(got, want))
	}
}

// TestSFTPServerKilled: only the sftp-server process dies under an upload (sshd and the SSH session
// stay up). The upload fails within 2 s with a typed error whose Offset is the acknowledged bytes,
// which the server file holds exactly; the SFTP channel refuses further use, and the session opens a
// new one.
func TestSFTPServerKilled(t *testing.T) {
	checkNoLeaks(t)
	ks := sshd.StartT(t, sshd.Options{})
	sess, sf := openSFTP(t, ks)
	name := ks.Path("killed.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 128<<20)
	rand.NewChaCha8([32]byte{23}).Read(data)
	var killed time.Time
	r := &killingReader{r: bytes.NewReader(data), at: 32 << 20, kill: func() {
		if n, err := ks.KillSFTPServers(); n != 1 || err != nil {
			t.Errorf("KillSFTPServers = %d, %v; want 1 process", n, err)
		}
		killed = time.Now()
	}}
	f.SetDeadline(time.Now().Add(20 * time.Second))
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Close()
	} else {
		f.Close()
	}
	if killed.IsZero() {
		t.Fatal("the upload ended before the kill")
	}
	if d := time.Since(killed); d > 2*time.Second {
		t.Errorf("the upload failed %v after sftp-server died", d)
	}
	var e *libssh2.Error
	if !errors.As(err, &e) {
		t.Fatalf("upload after sftp-server died = %v, want an *libssh2.Error", err)
	}
	t.Logf("error: %v", err)
	if e.Code == 0 || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("error %v: want a libssh2 code, not a deadline", err)
	}
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if e.Offset <= 0 || e.Offset > int64(len(got)) || !bytes.Equal(got[:e.Offset], data[:e.Offset]) {
		t.Errorf("Offset %d: the server file has %d bytes; want 0 < Offset <= its size, with the data's prefix", e.Offset, len(got))
	}
	if _, err := sf.Stat(name); err == nil {
		t.Errorf("Stat on the dead SFTP channel succeeded")
	}
	sf2, err := sess.SFTP()
	if err != nil {
		t.Fatalf("a new SFTP channel after sftp-server died: %v", err)
	}
	if fi, err := sf2.Stat(name); err != nil || fi.Size() != int64(len(got)) {
		t.Errorf("Stat on the new channel = %v, %v", fi, err)
	}
}

// TestRawWriteWouldBlockThenStat: a non-blocking RawWrite left at ErrWouldBlock, then an idiomatic
// call: the call finishes the write itself (no hang, docs/DESIGN.md "Pending calls"), and the next
// RawWrite with the same bytes reports what was acknowledged meanwhile; the file ends up exact.
func TestRawWriteWouldBlockThenStat(t *testing.T) {
	checkNoLeaks(t)
	_, sess, sf := proxySession(t, tcpproxy.ReplyDelay(20*time.Millisecond))
	name := srv.Path("raw-then-stat.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 4<<20)
	rand.NewChaCha8([32]byte{24}).Read(data)
	sess.SetNonblocking(true)
	sess.SetDeadline(time.Now().Add(30 * time.Second))
	n, err := f.RawWrite(data)
	if !errors.Is(err, libssh2.ErrWouldBlock) {
		t.Fatalf("non-blocking RawWrite of 4 MiB through a delayed link = %d, %v; want ErrWouldBlock", n, err)
	}
	if _, err := sf.Stat(name); err != nil {
		t.Fatalf("Stat after RawWrite's ErrWouldBlock: %v", err)
	}
	rawWriteAll(t, sess, f, data, len(data))
	sess.SetNonblocking(false)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	checkRemote(t, name, data)
}

// TestErrorsCarryGoodOffset: every error of a write carries the offset up to which the file is good,
// a wait error included.
func TestErrorsCarryGoodOffset(t *testing.T) {
	e := newInterruptEnv(t)
	if _, err := e.f.Write(upload[:1<<20]); err != nil {
		t.Fatal(err)
	}
	if err := e.f.Sync(); err != nil {
		t.Fatal(err)
	}
	e.proxy.SetPaused(true)
	e.f.SetDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := e.f.Write(upload[1<<20:])
	var le *libssh2.Error
	if !errors.As(err, &le) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write on a stalled link = %v", err)
	}
	if le.Offset < 1<<20 {
		t.Errorf("the error says the file is good up to %d; at least %d bytes were acknowledged", le.Offset, 1<<20)
	}
	if diff := cmp.Diff("write", le.Op); diff != "" {
		t.Errorf("Op: %s", diff)
	}
	e.proxy.SetPaused(false)
	e.f.SetDeadline(time.Time{})
	e.want = append(e.want[:0], upload[:1<<20+n]...)
	e.checkUsable(t)
}
