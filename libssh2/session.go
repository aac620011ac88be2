package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

var (
	initOnce sync.Once
	initErr  error
)

// libInit runs libssh2_init once per process: it is global and not thread-safe (docs/DESIGN.md, fact 6).
func libInit() error {
	initOnce.Do(func() {
		if rc := cshim.Init(0); rc != 0 {
			initErr = newError("init", "", Code(rc), nil)
		}
	})
	return initErr
}

// Version returns the version of the libssh2 library loaded at run time, such as "1.10.0".
//
// It wraps libssh2_version.
func Version() string { return cshim.Version() }

// reclaimedCBlocks counts the C blocks that libssh2_session_free did not free and the binding freed
// after it (cshim.SessionFree), for the tests.
var reclaimedCBlocks atomic.Int64

// Session is an SSH connection through libssh2, authenticated and ready for SFTP.
//
// A Session is safe for concurrent use: every libssh2 call on it, its SFTP channels and their files is
// serialized by one lock held across the whole operation (libssh2 allows one caller per session),
// except while a channel read or a Batch lane's request waits only for the peer (see the package
// documentation, "Concurrency"). Operations on different Sessions run in parallel.
type Session struct {
	// sem is the session lock (docs/DESIGN.md, I1): one operation at a time, held across its waits.
	// A channel rather than a mutex, so that waiting for it honours contexts, deadlines and Close.
	sem chan struct{}
	// lockWaiters counts the goroutines waiting for sem; prog counts the operations that ended
	// (channel.go: how channel reads take turns).
	lockWaiters atomic.Int32
	prog        progress
	closed      chan struct{}  // closed by Close: operations waiting for the lock give up
	closing     atomic.Bool    // Close has begun: no operation starts, and the running one is woken
	s           *cshim.Session // nil once closed
	conn        net.Conn
	raw         syscall.RawConn // the socket's, or link
	// link carries the bytes of a connection without a file descriptor (connlink.go); nil on the
	// descriptor path.
	link        *connLink
	linkRelease func() // frees the callbacks' handle of link, after the session
	// fdl is raw on Linux's descriptor path: the socket's waits outside the netpoller (fdlink_linux.go).
	fdl     *fdLink
	ownConn bool // Dial made the connection, so Close closes it
	// cleanup frees the C session and the connection's descriptor or goroutines when the Session
	// is dropped without Close (reclaim); free stops it.
	cleanup  runtime.Cleanup
	broken   error       // set when the connection failed: the session refuses further use
	nonblock atomic.Bool // faithful calls return ErrWouldBlock instead of waiting
	sftps    map[*SFTP]struct{}
	// late is the first failure of a Close finished in the background (whenFree), which
	// Session.Close returns; set under the session lock.
	late error
	// authed is the method that logged the session in; before that, the one to try first (a
	// redial's, so that an extra session skips asking the server for its methods).
	authed AuthMethod
	// orphaned: a File was collected open, and its handle waits in its SFTP channel's orphans for
	// the next operation to close it (orphan.go).
	orphaned atomic.Bool
	chans    map[*channel]struct{} // the open channels of commands and forwarded connections
	cfg      Config
	addr     string
	network  string // Dial's network; "" for a session made by NewSession
	// pend holds the interrupted libssh2 calls that must be finished before anything else is sent
	// (pending.go).
	pend   []*pending
	parked []*parkSlot // the lane operations standing aside (lanes.go)
	// parkedNow counts the operations standing aside, for the tests (lanes.go).
	parkedNow atomic.Int32
	dead      bool      // the socket is shut down (kill): calls fail instead of waiting
	caller    caller    // the state of call, kept here so the hot path allocates nothing
	pollWait  pollWait  // the state of pollReadable (Linux), likewise
	yielded   time.Time // when an operation last let the scheduler run (pace)

	// dmu guards the deadlines, which other goroutines change while an operation waits (op.go).
	dmu          sync.Mutex
	opDeadline   time.Time // SetDeadline: the default deadline of operations
	act          active    // the running operation
	opSeq        uint64    // the number of the last operation armed
	connDeadline time.Time // the deadline now set on conn
	pollDeadline atomic.Int64
}

// Dial connects to addr ("host:port") over network ("tcp") and starts an SSH session on the
// connection, as NewSession does. ctx bounds the connection, the handshake and the authentication:
// Dial returns soon after ctx ends, whatever the server does, with an error wrapping ctx's error
// (errors.Is(err, os.ErrDeadlineExceeded) for a deadline). Closing the Session closes the connection.
//
// It wraps net.Dialer.DialContext and NewSession's calls (libssh2_session_init_ex,
// libssh2_session_handshake, the host key check, libssh2_userauth_*).
func Dial(ctx context.Context, network, addr string, config *Config) (*Session, error) {
	if config == nil || config.HostKeyCallback == nil {
		return nil, errInvalid("dial", "", ErrNoHostKeyCallback)
	}
	return dial(ctx, network, addr, config, nil)
}

// dial is Dial; hint, when not nil, is the method to try first (redial).
func dial(ctx context.Context, network, addr string, config *Config, hint AuthMethod) (*Session, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, newError("dial", "", 0, err)
	}
	s, err := newSession(ctx, conn, addr, config, true, hint)
	if err != nil {
		conn.Close()
		return nil, err
	}
	s.network = network
	return s, nil
}

// redial opens another session like s, for the extra streams of a transfer (transfer.go): Dial
// again with the same network, address and Config, so the same host key check and credentials. A
// session made by NewSession cannot be redialled.
func (s *Session) redial(ctx context.Context) (*Session, error) {
	if s.network == "" {
		return nil, errInvalid("dial", "", errors.New("the session was made by NewSession: give TransferOptions.NewSession to open more"))
	}
	return dial(ctx, s.network, s.addr, &s.cfg, s.authed)
}

// NewSession starts an SSH session over conn: the handshake, the host key check and the
// authentication, all bounded by ctx (libssh2_session_init_ex, libssh2_session_handshake, then the
// host key check and libssh2_userauth_* as Config says). The Session uses conn until it is closed,
// and does not close it.
//
// Any net.Conn works. A connection with a file descriptor (*net.TCPConn, *net.UnixConn: anything
// implementing syscall.Conn) is handed to libssh2 as its socket, the fast path, unless
// Config.ConnIO is set; on Linux the Session waits on that descriptor itself and never sets conn's
// deadline. Any other one (net.Pipe, a *tls.Conn, a connection through a proxy, or a
// channel of another session from Session.Dial, for a jump host) is read and written through its
// methods: libssh2's send and recv callbacks fill and drain two bounded buffers that two
// goroutines copy to and from conn, and every wait honours the same deadlines, contexts and Close
// as on a socket. Such a conn must not be read or written by anyone else while the Session lives;
// when the Session closes it clears conn's deadline again (a conn whose SetDeadline fails keeps
// one goroutine reading it until it is closed).
//
// When ctx ends before NewSession returns, conn is shut down (shutdown(2) both ways; on a conn
// without a descriptor, libssh2's callbacks fail from then on), because that is the only way to
// make libssh2 return from a handshake with a server that keeps talking; the error then wraps
// ctx's error (and os.ErrDeadlineExceeded for a deadline).
func NewSession(ctx context.Context, conn net.Conn, config *Config) (*Session, error) {
	if conn == nil {
		return nil, errInvalid("handshake", "", errors.New("nil net.Conn"))
	}
	return newSession(ctx, conn, conn.RemoteAddr().String(), config, false, nil)
}

// newSession is NewSession; own says that Dial made conn, so the session may take its socket out of
// the netpoller (fdlink_linux.go); hint is the method to try first, or nil (authenticate).
func newSession(ctx context.Context, conn net.Conn, addr string, config *Config, own bool, hint AuthMethod) (*Session, error) {
	if config == nil || config.HostKeyCallback == nil {
		return nil, errInvalid("handshake", "", ErrNoHostKeyCallback)
	}
	cfg := *config
	cfg.Auth = append([]AuthMethod(nil), config.Auth...)
	if err := libInit(); err != nil {
		return nil, err
	}
	var raw syscall.RawConn
	if sc, ok := conn.(syscall.Conn); ok && !cfg.ConnIO {
		var err error
		if raw, err = sc.SyscallConn(); err != nil {
			return nil, newError("handshake", "", 0, err)
		}
	}
	var fdl *fdLink
	if raw != nil {
		var err error
		if fdl, err = newFDLink(conn, raw, own); err != nil {
			return nil, newError("handshake", "", 0, err)
		}
		if fdl != nil {
			raw = fdl
		}
	}
	cs := cshim.SessionInit()
	if cs == nil {
		if fdl != nil {
			fdl.close()
		}
		e := newError("handshake", "", ErrorAlloc, nil)
		e.Msg = "libssh2_session_init_ex returned NULL"
		return nil, e
	}
	s := &Session{s: cs, conn: conn, raw: raw, fdl: fdl, ownConn: own, cfg: cfg, addr: addr, authed: hint,
		sftps: map[*SFTP]struct{}{}, sem: make(chan struct{}, 1), closed: make(chan struct{})}
	if raw == nil {
		s.link = newConnLink(conn)
		s.raw = s.link
		s.linkRelease = cshim.SessionSetTransport(cs, s.link)
	}
	cshim.SessionSetBlocking(cs, false)
	// libssh2 1.10 reads the lines a server may send before its banner one byte per recv() until the
	// socket is empty, so a server that keeps sending them never lets it return EAGAIN, and the
	// waiter never gets to look at ctx. So when ctx ends, the socket is shut down beside the C call:
	// libssh2 then fails at once, and the session is freed.
	shutDone := make(chan struct{})
	stopShut := context.AfterFunc(ctx, func() {
		defer close(shutDone)
		cshim.SessionAbort(cs) // a shut-down socket still hands out what it buffered
		s.shutdownSocket()
	})
	err := s.start(ctx)
	shut := !stopShut()
	if shut {
		<-shutDone // the socket is shut down: the session is of no use, even if start got through
		if cerr := ctx.Err(); !errors.Is(err, cerr) {
			op := "handshake"
			if e, ok := err.(*Error); ok {
				op = e.Op
			}
			err = newError(op, "", 0, cerr)
		}
	}
	if err != nil {
		s.lock()
		if shut {
			s.kill() // mark it dead: free must not wait on the socket
		}
		s.free()
		s.release()
		// Leave the connection as it was found: no deadline.
		s.letGo(0, false)
		return nil, err
	}
	s.cleanup = runtime.AddCleanup(s, reclaim, cres{cs: cs, fdl: s.fdl, link: s.link,
		linkRelease: s.linkRelease, conn: conn, own: own})
	s.startKeepalive()
	return s, nil
}

// start runs the handshake, the host key check and the authentication.
func (s *Session) start(ctx context.Context) error {
	s.lock()
	defer s.release()
	for _, p := range s.cfg.methodPrefs() {
		if rc := cshim.SessionMethodPref(s.s, p.method, p.prefs); rc < 0 {
			return s.errorf("handshake", "", rc, fmt.Errorf("method preference %q", p.prefs))
		}
	}
	if err := s.orderHostKeys(); err != nil {
		return err
	}
	o := op{s: s, name: "handshake", w: waiter{s: s, ctx: ctx}}
	s.arm(&o, dlSession, ctx)
	defer s.disarm(&o)
	w := &o.w
	var fd int
	if err := s.raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return newError("handshake", "", 0, err)
	}
	if rc, err := s.call(w, nil, func() int { return cshim.SessionHandshake(s.s, fd) }); err != nil {
		s.breakWith(err)
		return newError("handshake", "", 0, err)
	} else if rc < 0 {
		return s.errorf("handshake", "", rc, nil)
	}
	if err := s.checkHostKey(); err != nil {
		return err
	}
	return s.authenticate(w)
}

// errorf makes the error for a libssh2 call that returned rc < 0, copying libssh2's message now,
// under the lock of the failing call (docs/DESIGN.md, I5).
func (s *Session) errorf(op, path string, rc int, cause error) *Error {
	code, msg := cshim.SessionLastError(s.s)
	e := newError(op, path, Code(rc), cause)
	if code == rc {
		e.Msg = msg
	}
	return e
}

// SetNonblocking sets whether the faithful calls (such as File.RawWrite) return ErrWouldBlock when
// libssh2 would block, as libssh2 does after libssh2_session_set_blocking(session, 0), instead of
// waiting on the socket. Use WaitSocket to wait, then repeat the call with the same arguments. The
// idiomatic methods (Write, ReadFrom, Close, ...) always wait.
func (s *Session) SetNonblocking(nonblocking bool) {
	s.nonblock.Store(nonblocking)
}

// Methods reports the algorithms negotiated for the session: key exchange, host key, and for each
// direction the cipher and MAC (libssh2_session_methods).
func (s *Session) Methods() (Methods, error) {
	var o op
	o.quiet = true
	if err := s.begin(&o, context.Background(), "methods", "", nil, nil, dlSession); err != nil {
		return Methods{}, err
	}
	defer s.end(&o)
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

// closeTimeout bounds the polite part of Session.Close and File.Close (draining writes, closing
// handles and channels, the disconnect message), so that a stalled server cannot hang them; for a
// drain it is the longest time without any acknowledgement. The C resources are freed in any case.
const closeTimeout = 5 * time.Second

// closeBound returns the context that bounds the polite part of a Close by d. A Close takes no
// context, so when the bound passes its wait is reported as os.ErrDeadlineExceeded, as a deadline
// set with SetDeadline and File.Close's own bound are (waiter.ctxErr), never as a context's error.
func closeBound(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithValue(context.Background(), closeBoundKey{}, true), d)
}

// closeBoundKey marks the contexts that closeBound makes.
type closeBoundKey struct{}

// closeLockWait is how long Session.Close waits for the running operation to give the session back
// after waking it, before it shuts the socket down so that a C call that never says EAGAIN returns.
const closeLockWait = time.Second

// Close closes everything the session holds, innermost first: for each SFTP channel, its open
// Files and Dirs (each drained, as File.Close does, then libssh2_sftp_close_handle), then the
// channel itself (libssh2_sftp_shutdown); then it finishes the calls that interrupted operations
// left pending, sends the SSH disconnect message (libssh2_session_disconnect_ex) and frees the
// session (libssh2_session_free). A connection made by Dial is closed last. The first error met is
// returned, counting the failure of a File's, SFTP channel's or channel's Close that returned
// without the session and finished once it was free (say, the server refused the last bytes a
// File.Close that timed out had left to drain); everything is released in any case (when the link does not answer in time, the socket
// is shut down and libssh2 frees what it holds without talking to the server).
//
// Close may be called from another goroutine while an operation waits: that operation returns at
// once with an error wrapping fs.ErrClosed, and operations waiting for the session give up. Close
// returns within about closeLockWait + closeTimeout (6 s) however the server behaves. Closing a
// closed Session returns an error wrapping fs.ErrClosed.
//
// A Session dropped without Close is freed, with its C memory and the connection Dial made, some
// time after the garbage collector finds it unreachable; the server then sees the connection end
// without a goodbye, and what its Files had not synced may be lost. Close it when done.
func (s *Session) Close() error {
	if s == nil {
		return errInvalid("close", "", fs.ErrInvalid)
	}
	return s.close(closeTimeout)
}

// close is Close with its polite part bounded by polite rather than closeTimeout.
func (s *Session) close(polite time.Duration) error {
	if !s.closing.CompareAndSwap(false, true) {
		return errClosed("close", "")
	}
	close(s.closed)
	s.wakeIf(nil)
	select {
	case s.sem <- struct{}{}:
	case <-time.After(closeLockWait):
		// A C call is not coming back (libssh2 loops inside C without saying EAGAIN): make it.
		s.shutdownSocket()
		s.lock()
	}
	defer s.release()
	if s.s == nil {
		return errClosed("close", "")
	}
	ctx, cancel := closeBound(polite)
	defer cancel()
	o := op{s: s, name: "close", w: waiter{s: s, ctx: ctx, own: &s.closing}}
	s.arm(&o, dlSession, ctx)
	defer s.disarm(&o)
	first := s.late // met before anything of this Close
	for sf := range s.sftps {
		if err := sf.closeLocked(&o); err != nil && first == nil {
			first = err
		}
	}
	for ch := range s.chans {
		ch.closing.Store(true)
		if err := ch.freeLocked(&o); err != nil && first == nil {
			first = err
		}
	}
	if s.broken == nil && !s.dead {
		err := s.finishPending(&o)
		if err == nil {
			_, err = s.call(&o.w, nil, func() int {
				return cshim.SessionDisconnect(s.s, cshim.DisconnectByApplication, "closed by application")
			})
		}
		if err != nil {
			s.kill()
		}
	}
	s.free()
	if err := s.letGo(linkFlush, s.ownConn); err != nil && first == nil {
		first = newError("close", "", 0, err)
	}
	return first
}

// linkFlush bounds how long Close waits for a connection without a descriptor to take the last
// bytes libssh2 sent (the disconnect message).
const linkFlush = time.Second

// letGo gives the connection back when the session is done with it: closed when closeConn (Dial
// made it), else with no deadline. A connection without a descriptor gets up to flush to take the
// last bytes, and its goroutines stop.
func (s *Session) letGo(flush time.Duration, closeConn bool) error {
	if s.link != nil {
		return s.link.stop(flush, closeConn)
	}
	if s.fdl != nil {
		// The link never set conn's deadline. When Dial made conn (closeConn), conn is closed
		// already and the link's descriptor is the socket's last one.
		return s.fdl.close()
	}
	if closeConn {
		return s.conn.Close()
	}
	s.conn.SetDeadline(time.Time{})
	return nil
}

// free releases the libssh2 session. After a disconnect libssh2 sends nothing more; if the
// disconnect could not be sent, the socket is shut down first so that libssh2_session_free cannot
// wait on it, and the descriptor stays open until free returns so its number cannot be reused under
// libssh2. The caller holds the session lock.
func (s *Session) free() {
	if s.s == nil {
		return
	}
	s.cleanup.Stop() // what it would free is freed here, and Close's letGo releases the connection
	if len(s.pend) > 0 {
		s.kill()
		s.abandon()
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
	if s.linkRelease != nil {
		s.linkRelease()
		s.linkRelease = nil
	}
	for ch := range s.chans {
		ch.c = nil // libssh2_session_free freed it
	}
	s.s = nil
	s.sftps = nil
	s.chans = nil
	s.pend = nil
}

// cres is what a Session holds outside Go's heap: the C session (with every block libssh2
// allocated for it, its channels, SFTP channels and handles included), and the connection's
// descriptor or goroutines. Nothing in it points back to the Session, so that a Session can become
// unreachable while its cleanup holds a cres.
type cres struct {
	cs          *cshim.Session
	fdl         *fdLink
	link        *connLink
	linkRelease func()
	conn        net.Conn
	own         bool // Dial made conn
}

// reclaim is the cleanup of a Session dropped without Close (docs/DESIGN.md, "Sessions dropped
// without Close"). The Session is unreachable, so no operation runs on it: reclaim stops libssh2's
// I/O (its callbacks fail every read and drop every send), frees the C session and every block left
// with it, and closes what Close would have: the session's own descriptor and eventfd, the
// goroutines of a connection without one, and a connection Dial made. The peer sees the
// connection end without a disconnect message, as when a process exits.
func reclaim(r cres) {
	cshim.SessionAbort(r.cs)
	rc, reclaimed := cshim.SessionFree(r.cs)
	for i := 0; i < 100 && rc == cshim.ErrorEAGAIN; i++ {
		rc, reclaimed = cshim.SessionFree(r.cs)
	}
	reclaimedCBlocks.Add(reclaimed)
	if r.linkRelease != nil {
		r.linkRelease()
	}
	switch {
	case r.link != nil:
		// Its goroutines end once conn's deadline has woken them: not on the runtime's single
		// cleanup goroutine.
		go r.link.stop(0, r.own)
	case r.fdl != nil:
		r.fdl.close()
	case r.own:
		r.conn.Close()
	}
}

// errPeerClosed is the cause of an error when the peer closed the connection.
var errPeerClosed = fmt.Errorf("connection closed by the peer: %w", io.ErrUnexpectedEOF)

// connErr returns why the connection failed, as far as the binding saw: the error of a connection
// without a descriptor, or the errno of the socket's first failed send or recv; a connection the
// peer closed is errPeerClosed, which wraps io.ErrUnexpectedEOF (never io.EOF, which callers take
// for a clean end). nil when no failure was seen. The caller holds the session lock.
func (s *Session) connErr() error {
	if s.link != nil {
		return s.link.err()
	}
	switch n := cshim.SessionConnErrno(s.s); {
	case n == -1:
		return errPeerClosed
	case n > 0:
		return syscall.Errno(n)
	}
	return nil
}

// kill shuts the socket down so that every later libssh2 call on the session fails at once instead of
// waiting: the way to release C resources when the peer cannot be talked to. Its callbacks then
// fail every read and drop every byte sent (cshim.SessionAbort), so that a pending call repeated by
// abandon gets its half-sent packet out of libssh2's way. The descriptor stays open (its number
// cannot be reused under libssh2) until the connection is closed. The session is unusable
// afterwards. The caller holds the session lock.
func (s *Session) kill() {
	if s.dead {
		return
	}
	s.dead = true
	s.breakWith(errors.New("the connection was shut down"))
	if s.s != nil {
		cshim.SessionAbort(s.s)
	}
	s.shutdownSocket()
}

// shutdownSocket shuts the connection's socket down in both directions, so that a libssh2 call
// blocked or looping on it returns. Safe from any goroutine.
func (s *Session) shutdownSocket() {
	if s.link != nil {
		s.link.shutdown()
		return
	}
	s.raw.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
}

// closeCall runs a libssh2 call that releases C resources for o (Close). It talks to the server
// politely, after the pending calls, while the session is healthy and o's bound allows. When that
// wait is cut short (deadline, context, Close) and later is not nil, the call is left to later
// (it queues the call as pending, to be finished by the next operation) and the session stays
// usable; otherwise, or when the link failed, it shuts the socket down (kill) and runs the call
// again, so that libssh2 frees what it holds without waiting. The error reports a failed polite
// attempt; the resources are released in every case, or queued for release. The caller holds the
// session lock.
func (s *Session) closeCall(o *op, ch *cshim.Channel, f func() int, later func()) (int, error) {
	var werr error
	if s.broken == nil && !s.dead {
		werr = s.finishPending(o)
		if e := (*Error)(nil); errors.As(werr, &e) && e.Err != nil {
			werr = e.Err // the cause: the caller makes it o's error, once
		}
		if werr == nil {
			var rc int
			if o.lane {
				// A lane's close stands aside while it waits for its reply (lanes.go); when it
				// gives up there, it stays queued, as later would queue it.
				rc, werr = o.callLane(&pending{call: f, sf: o.sf})
				if o.detached || errors.Is(werr, errParkedTaken) {
					return rc, werr // queued still, or finished by another operation
				}
			} else {
				rc, werr = s.call(&o.w, ch, f)
			}
			if werr == nil {
				return rc, nil
			}
			if werr == errChannelEOF {
				// The channel is gone, the session is not: libssh2 gave up on the call.
				return rc, werr
			}
		}
		if later != nil && interrupted(werr) && s.broken == nil {
			later() // the call, repeated with the same arguments, continues where it stopped
			return 0, werr
		}
	}
	s.kill()
	s.abandon()
	rc, _ := s.call(&o.w, nil, f)
	return rc, werr
}
