package libssh2

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
	"github.com/seed191f4051/go-libssh2/internal/errmap"
)

var (
	initOnce sync.Once
	initErr  error
)

// libInit runs libssh2_init once per process: it is global and not thread-safe (DESIGN fact 6).
func libInit() error {
	initOnce.Do(func() {
		if rc := cshim.Init(0); rc != 0 {
			initErr = &Error{Op: "init", Code: Code(rc), Offset: -1}
		}
	})
	return initErr
}

// Version returns the version of the libssh2 library loaded at run time, such as "1.10.0".
func Version() string { return cshim.Version() }

// reclaimedCBlocks counts the C blocks that libssh2_session_free did not free and the binding freed
// after it (cshim.SessionFree), for the tests.
var reclaimedCBlocks atomic.Int64

// LiveCAllocations returns the number of C memory blocks that libssh2 allocated through this
// package's sessions and has not freed yet. After every Session is closed it is 0; tests use it to
// prove that nothing leaks. Blocks that libssh2_session_free leaves behind (libssh2 1.10 forgets a
// half-finished key exchange's key pair) are freed by the binding right after it, because the
// allocator links every block to its session.
func LiveCAllocations() int64 { return cshim.LiveAllocs() }

// Session is an SSH connection through libssh2, authenticated and ready for SFTP.
//
// A Session is safe for concurrent use: every libssh2 call on it, its SFTP channels and their files is
// serialized by one lock held across the whole operation (libssh2 allows one caller per session).
// Operations on different Sessions run in parallel.
type Session struct {
	mu         sync.Mutex
	s          *cshim.Session // nil once closed
	conn       net.Conn
	raw        syscall.RawConn
	ownConn    bool      // Dial made the connection, so Close closes it
	broken     error     // set when an operation was interrupted beyond repair
	nonblock   bool      // faithful calls return ErrWouldBlock instead of waiting
	deadline   time.Time // the deadline now set on conn (to skip redundant SetDeadline calls)
	opDeadline time.Time // SetDeadline: the default deadline of operations
	sftps      map[*SFTP]struct{}
	cfg        Config
	addr       string
	// resume, when set, must run before any other call sends on the session: a File's write was
	// interrupted with a packet half sent (DESIGN fact 3).
	resume *File
	dead   bool   // the socket is shut down (kill): calls fail instead of waiting
	caller caller // the state of call, kept here so the hot path allocates nothing
}

// Dial connects to addr ("host:port") over network ("tcp") and starts an SSH session on the
// connection, as NewSession does. ctx bounds the connection, the handshake and the authentication:
// Dial returns soon after ctx ends, whatever the server does, with an error wrapping ctx's error
// (errors.Is(err, os.ErrDeadlineExceeded) for a deadline). Closing the Session closes the connection.
func Dial(ctx context.Context, network, addr string, config *Config) (*Session, error) {
	if config == nil || config.HostKeyCallback == nil {
		return nil, errInvalid("dial", "", ErrNoHostKeyCallback)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &Error{Op: "dial", Offset: -1, Err: err}
	}
	s, err := newSession(ctx, conn, addr, config)
	if err != nil {
		conn.Close()
		return nil, err
	}
	s.ownConn = true
	return s, nil
}

// NewSession starts an SSH session over conn: the handshake, the host key check and the
// authentication, all bounded by ctx. conn must be a connection with a file descriptor (a
// *net.TCPConn or *net.UnixConn: anything implementing syscall.Conn). The Session uses conn until
// it is closed, and does not close it. When ctx ends before NewSession returns, conn is shut down
// (shutdown(2) both ways), because that is the only way to make libssh2 return from a handshake with
// a server that keeps talking; the error then wraps ctx's error (and os.ErrDeadlineExceeded for a
// deadline).
func NewSession(ctx context.Context, conn net.Conn, config *Config) (*Session, error) {
	if conn == nil {
		return nil, errInvalid("handshake", "", errors.New("nil net.Conn"))
	}
	return newSession(ctx, conn, conn.RemoteAddr().String(), config)
}

func newSession(ctx context.Context, conn net.Conn, addr string, config *Config) (*Session, error) {
	if config == nil || config.HostKeyCallback == nil {
		return nil, errInvalid("handshake", "", ErrNoHostKeyCallback)
	}
	cfg := *config
	cfg.Auth = append([]AuthMethod(nil), config.Auth...)
	if err := libInit(); err != nil {
		return nil, err
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errInvalid("handshake", "", fmt.Errorf("%T has no file descriptor (it does not implement syscall.Conn)", conn))
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, &Error{Op: "handshake", Offset: -1, Err: err}
	}
	cs := cshim.SessionInit()
	if cs == nil {
		return nil, &Error{Op: "handshake", Code: errmap.Alloc, Msg: "libssh2_session_init_ex returned NULL", Offset: -1}
	}
	s := &Session{s: cs, conn: conn, raw: raw, cfg: cfg, addr: addr, sftps: map[*SFTP]struct{}{}}
	cshim.SessionSetBlocking(cs, false)
	// libssh2 1.10 reads the lines a server may send before its banner one byte per recv() until the
	// socket is empty, so a server that keeps sending them never lets it return EAGAIN, and the
	// waiter never gets to look at ctx. So when ctx ends, the socket is shut down beside the C call:
	// libssh2 then fails at once, and the session is freed.
	shutDone := make(chan struct{})
	stopShut := context.AfterFunc(ctx, func() {
		defer close(shutDone)
		cshim.SessionAbort(cs) // a shut-down socket still hands out what it buffered
		raw.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
	})
	err = s.start(ctx)
	shut := !stopShut()
	if shut {
		<-shutDone // the socket is shut down: the session is of no use, even if start got through
		if cerr := ctx.Err(); !errors.Is(err, cerr) {
			op := "handshake"
			if e, ok := err.(*Error); ok {
				op = e.Op
			}
			err = &Error{Op: op, Offset: -1, Err: cerr}
		}
	}
	if err != nil {
		s.mu.Lock()
		if shut {
			s.kill() // mark it dead: free must not wait on the socket
		}
		s.free()
		s.mu.Unlock()
		// Leave the connection as it was found: no deadline.
		conn.SetDeadline(time.Time{})
		return nil, err
	}
	runtime.SetFinalizer(s, (*Session).finalize)
	return s, nil
}

// start runs the handshake, the host key check and the authentication.
func (s *Session) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.cfg.methodPrefs() {
		if rc := cshim.SessionMethodPref(s.s, p.method, p.prefs); rc < 0 {
			return s.errorf("handshake", "", rc, fmt.Errorf("method preference %q", p.prefs))
		}
	}
	w := s.newWaiter(ctx, time.Time{})
	defer w.done()
	var fd int
	if err := s.raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return &Error{Op: "handshake", Offset: -1, Err: err}
	}
	if rc, err := s.call(&w, func() int { return cshim.SessionHandshake(s.s, fd) }); err != nil {
		s.broken = ErrSessionBroken
		return s.waitError("handshake", "", err)
	} else if rc < 0 {
		return s.errorf("handshake", "", rc, nil)
	}
	if err := s.checkHostKey(); err != nil {
		return err
	}
	return s.authenticate(&w)
}

// waiter bounds one operation's waits by its context and deadline.
type waiter struct {
	s    *Session
	ctx  context.Context
	stop func() bool
}

var aLongTimeAgo = time.Unix(1, 0)

// newWaiter prepares the connection's deadline for one operation: the earlier of deadline and ctx's.
// The caller holds s.mu and calls done at the end of the operation.
func (s *Session) newWaiter(ctx context.Context, deadline time.Time) waiter {
	if ctx == nil {
		ctx = context.Background()
	}
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	if !deadline.Equal(s.deadline) {
		s.conn.SetDeadline(deadline)
		s.deadline = deadline
	}
	w := waiter{s: s, ctx: ctx}
	if ctx.Done() != nil {
		w.stop = context.AfterFunc(ctx, func() { s.conn.SetDeadline(aLongTimeAgo) })
	}
	return w
}

func (w *waiter) done() {
	if w.stop != nil && !w.stop() {
		// The context fired and moved the deadline: forget what we set.
		w.s.deadline = aLongTimeAgo
	}
}

// err turns a failed wait into the error to report: the context's error when it is done.
func (w *waiter) err(err error) error {
	if d, ok := w.ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
		return context.DeadlineExceeded // the context's deadline, which may fire just after the socket's
	}
	if cerr := w.ctx.Err(); cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return context.DeadlineExceeded
		}
		return cerr
	}
	return err
}

// call runs f, a libssh2 call, until it returns something other than LIBSSH2_ERROR_EAGAIN, waiting
// on the socket in the direction libssh2 names (DESIGN I2). f runs inside RawConn.Read or Write so
// that no readiness event can be missed between libssh2's EAGAIN and the wait. The caller holds s.mu.
// A non-nil error means the wait failed (deadline, cancelled context, closed connection) while the
// call was unfinished: libssh2 expects the same call again.
func (s *Session) call(w *waiter, f func() int) (int, error) {
	if s.dead {
		// The socket is shut down: libssh2 fails at once instead of waiting. Only cleanup gets here.
		rc := cshim.ErrorEAGAIN
		for i := 0; i < 100 && rc == cshim.ErrorEAGAIN; i++ {
			rc = f()
		}
		if rc == cshim.ErrorEAGAIN {
			return rc, ErrSessionBroken
		}
		return rc, nil
	}
	c := &s.caller
	if c.read == nil {
		c.read, c.write = c.step(false), c.step(true)
	}
	c.f, c.s = f, s
	defer func() { c.f = nil }()
	writing := false
	for {
		c.switchTo = false
		var err error
		if writing {
			err = s.raw.Write(c.write)
		} else {
			err = s.raw.Read(c.read)
		}
		if err != nil {
			return c.rc, w.err(err)
		}
		if !c.switchTo {
			return c.rc, nil
		}
		writing = !writing
	}
}

// caller holds the state of Session.call, kept in the Session so that the hot path allocates nothing.
type caller struct {
	s           *Session
	f           func() int
	rc          int
	switchTo    bool // libssh2 blocks in the other direction
	read, write func(uintptr) bool
}

// step returns the RawConn callback for waiting in one direction: it runs the call, and asks to wait
// (returns false) while libssh2 blocks in that direction; when libssh2 blocks only in the other one,
// it returns with switchTo set. When libssh2 blocks both ways it waits for writing, which libssh2
// needs before any other progress (DESIGN fact 3).
func (c *caller) step(writing bool) func(uintptr) bool {
	return func(uintptr) bool {
		c.rc = c.f()
		if c.rc != cshim.ErrorEAGAIN {
			return true
		}
		wantWrite := cshim.SessionBlockDirections(c.s.s)&cshim.SessionBlockOutbound != 0
		if wantWrite == writing {
			return false
		}
		c.switchTo = true
		return true
	}
}

// waitError makes the error for an operation whose wait failed.
func (s *Session) waitError(op, path string, err error) error {
	return &Error{Op: op, Path: path, Offset: -1, Err: err}
}

// errorf makes the error for a libssh2 call that returned rc < 0, copying libssh2's message now,
// under the lock of the failing call (DESIGN I5).
func (s *Session) errorf(op, path string, rc int, cause error) *Error {
	code, msg := cshim.SessionLastError(s.s)
	e := &Error{Op: op, Path: path, Code: Code(rc), Offset: -1, Err: cause}
	if code == rc {
		e.Msg = msg
	}
	return e
}

// lock takes the session lock for an operation and checks that the session can still be used.
func (s *Session) lock(op, path string) error {
	s.mu.Lock()
	if s.s == nil {
		s.mu.Unlock()
		return errClosed(op, path)
	}
	if s.broken != nil {
		s.mu.Unlock()
		return &Error{Op: op, Path: path, Offset: -1, Err: s.broken}
	}
	return nil
}

// settle finishes an interrupted write whose packet is half sent, or an interrupted read, before
// another call may send.
func (s *Session) settle(w *waiter, op, path string) error {
	if s.resume == nil {
		return nil
	}
	if err := s.resume.resume(w); err != nil {
		return &Error{Op: op, Path: path, Offset: -1, Err: err}
	}
	s.resume = nil
	return nil
}

// SetNonblocking sets whether the faithful calls (such as File.RawWrite) return ErrWouldBlock when
// libssh2 would block, as libssh2 does after libssh2_session_set_blocking(session, 0), instead of
// waiting on the socket. Use WaitSocket to wait, then repeat the call with the same arguments. The
// idiomatic methods (Write, ReadFrom, Close, ...) always wait.
func (s *Session) SetNonblocking(nonblocking bool) {
	s.mu.Lock()
	s.nonblock = nonblocking
	s.mu.Unlock()
}

// WaitSocket waits until the socket is ready in the direction that libssh2 last said it blocked on
// (libssh2_session_block_directions), like the waitsocket() of libssh2's examples. It returns at once
// when libssh2 is not blocked.
func (s *Session) WaitSocket(ctx context.Context) error {
	if err := s.lock("wait", ""); err != nil {
		return err
	}
	dirs := cshim.SessionBlockDirections(s.s)
	w := s.newWaiter(ctx, time.Time{})
	s.mu.Unlock()
	defer func() { s.mu.Lock(); w.done(); s.mu.Unlock() }()
	if dirs == 0 {
		return nil
	}
	first := true
	ready := func(uintptr) bool {
		if first {
			first = false
			return false
		}
		return true
	}
	var err error
	if dirs&cshim.SessionBlockOutbound != 0 {
		err = s.raw.Write(ready)
	} else {
		err = s.raw.Read(ready)
	}
	if err != nil {
		return &Error{Op: "wait", Offset: -1, Err: w.err(err)}
	}
	return nil
}

// Methods reports the algorithms negotiated for the session: key exchange, host key, and for each
// direction the cipher and MAC (libssh2_session_methods).
func (s *Session) Methods() (Methods, error) {
	if err := s.lock("methods", ""); err != nil {
		return Methods{}, err
	}
	defer s.mu.Unlock()
	return Methods{
		Kex:                  cshim.SessionMethods(s.s, cshim.MethodKex),
		HostKey:              cshim.SessionMethods(s.s, cshim.MethodHostkey),
		CipherClientToServer: cshim.SessionMethods(s.s, cshim.MethodCryptCS),
		CipherServerToClient: cshim.SessionMethods(s.s, cshim.MethodCryptSC),
		MACClientToServer:    cshim.SessionMethods(s.s, cshim.MethodMACCS),
		MACServerToClient:    cshim.SessionMethods(s.s, cshim.MethodMACSC),
	}, nil
}

// Methods are the algorithms negotiated for a session.
type Methods struct {
	Kex, HostKey                               string
	CipherClientToServer, CipherServerToClient string
	MACClientToServer, MACServerToClient       string
}

// closeTimeout bounds the polite part of Session.Close (closing channels, the disconnect message), so
// that a stalled server cannot hang it; the C resources are freed in any case.
const closeTimeout = 5 * time.Second

// Close closes the session's SFTP channels and their files (in that order), sends the SSH disconnect
// message and frees the session (libssh2_session_disconnect_ex, libssh2_session_free). A connection
// made by Dial is closed too. The first error met is returned; everything is released in any case.
// Closing a closed Session returns an error wrapping fs.ErrClosed.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return errClosed("close", "")
	}
	var first error
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	for sf := range s.sftps {
		if err := sf.closeLocked(ctx); err != nil && first == nil {
			first = err
		}
	}
	if s.broken == nil {
		w := s.newWaiter(ctx, time.Time{})
		err := s.settle(&w, "close", "")
		if err == nil {
			_, err = s.call(&w, func() int {
				return cshim.SessionDisconnect(s.s, cshim.DisconnectByApplication, "closed by application")
			})
		}
		if err != nil {
			s.kill()
		}
		w.done()
	}
	s.free()
	runtime.SetFinalizer(s, nil)
	if s.ownConn {
		if err := s.conn.Close(); err != nil && first == nil {
			first = &Error{Op: "close", Offset: -1, Err: err}
		}
	} else {
		s.conn.SetDeadline(time.Time{})
	}
	return first
}

// free releases the libssh2 session. After a disconnect libssh2 sends nothing more; if the
// disconnect could not be sent, the socket is shut down first so that libssh2_session_free cannot
// wait on it, and the descriptor stays open until free returns so its number cannot be reused under
// libssh2. The caller holds s.mu.
func (s *Session) free() {
	if s.s == nil {
		return
	}
	cs := s.s
	rc, reclaimed := cshim.SessionFree(cs)
	if rc == cshim.ErrorEAGAIN {
		s.kill()
		for i := 0; i < 100 && rc == cshim.ErrorEAGAIN; i++ {
			rc, reclaimed = cshim.SessionFree(cs)
		}
	}
	// Blocks libssh2_session_free left behind (1.10: a half-finished key exchange's key pair) were
	// freed by cshim; they are counted for tests.
	reclaimedCBlocks.Add(reclaimed)
	s.s = nil
	s.sftps = nil
}

// finalize is a safety net for a Session that was never closed: it frees the C memory without any
// network I/O. A finalizer rather than runtime.AddCleanup, because freeing needs the Session's fields.
func (s *Session) finalize() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s != nil {
		s.kill()
		for sf := range s.sftps {
			sf.closeLocked(context.Background())
		}
		s.free()
	}
}

// kill shuts the socket down so that every later libssh2 call on the session fails at once instead of
// waiting: the way to release C resources when the peer cannot be talked to. The descriptor stays
// open (its number cannot be reused under libssh2) until the connection is closed. The session is
// unusable afterwards. The caller holds s.mu.
func (s *Session) kill() {
	if s.dead {
		return
	}
	s.dead = true
	if s.broken == nil {
		s.broken = ErrSessionBroken
	}
	s.raw.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
}

// hostPort splits the address the session was opened for into host and port (22 when absent).
func hostPort(addr string) (string, int) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 22
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return host, 22
	}
	return host, port
}

// closeCall runs a libssh2 call that releases C resources. It talks to the server politely while the
// session is healthy and ctx allows; otherwise, or when that wait fails, it shuts the socket down
// (kill) and runs the call again, so that libssh2 frees what it holds without waiting. The error
// reports a failed polite attempt; the resources are released in every case. The caller holds s.mu.
func (s *Session) closeCall(ctx context.Context, f func() int) (int, error) {
	var werr error
	if s.broken == nil {
		w := s.newWaiter(ctx, time.Time{})
		werr = s.settle(&w, "close", "")
		if werr == nil {
			var rc int
			rc, werr = s.call(&w, f)
			if werr == nil {
				w.done()
				return rc, nil
			}
		}
		w.done()
	}
	s.kill()
	rc, _ := s.call(nil, f)
	return rc, werr
}
