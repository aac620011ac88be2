package libssh2

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Waiting happens in Go (docs/DESIGN.md, I2): the session is non-blocking, and when libssh2 says
// LIBSSH2_ERROR_EAGAIN the goroutine waits on the session's RawConn (on Linux fdLink's ppoll, for a
// connection without a descriptor connLink, elsewhere the netpoller), in the direction
// libssh2_session_block_directions names, so that deadlines, contexts and Close reach it.

// waiter bounds the waits of one operation by its context and deadline. It is part of op.
type waiter struct {
	s   *Session
	ctx context.Context
	f   *File // the File the operation works on, or nil
	// closing is the Close flag of the channel the operation works on, or nil.
	closing *atomic.Bool
	stop    func() bool // stops the context's AfterFunc
	// own is the closing flag of the Close this wait is part of (nil: the operation is not a
	// Close): that Close does not end its own wait; any other one does.
	own *atomic.Bool
	// idle, when set, bounds the time without progress rather than the whole operation (Close):
	// progress calls it again.
	idle time.Duration
}

// progress moves an idle-bounded operation's deadline to idle from now.
func (w *waiter) progress() {
	if w.idle == 0 {
		return
	}
	s := w.s
	s.dmu.Lock()
	s.act.ctxDL = time.Now().Add(w.idle)
	s.applyDeadline()
	s.dmu.Unlock()
}

// aLongTimeAgo is the deadline that wakes a waiting operation at once.
var aLongTimeAgo = time.Unix(1, 0)

// errChannelEOF is the cause of a wait ended because the server closed the SFTP channel.
var errChannelEOF = errors.New("the server closed the SFTP channel (the sftp-server process may have died)")

// errClosedWhileWaiting is the cause of a wait ended by Close from another goroutine.
var errClosedWhileWaiting = errors.New("closed while the operation waited")

// err turns a failed wait into the cause to report: the context's error when it is done, fs.ErrClosed
// when Close woke the wait, else the connection's error (os.ErrDeadlineExceeded for a deadline).
func (w *waiter) err(err error) error {
	if errors.Is(err, errChannelEOF) || errors.Is(err, ErrSessionBroken) {
		return err
	}
	if w.closedByOther() {
		return errors.Join(fs.ErrClosed, errClosedWhileWaiting)
	}
	if d, ok := w.ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
		return w.ctxErr(context.DeadlineExceeded) // the context's deadline, which may fire just after the socket's
	}
	if cerr := w.ctx.Err(); cerr != nil {
		return w.ctxErr(cerr)
	}
	return err
}

// ctxErr is the error to report for the operation's done context, whose error is cerr: the
// context's own, except that the bound of a Close (closeBound), which takes no context, is an
// expired deadline, os.ErrDeadlineExceeded.
func (w *waiter) ctxErr(cerr error) error {
	if errors.Is(cerr, context.DeadlineExceeded) {
		if w.ctx.Value(closeBoundKey{}) != nil {
			return os.ErrDeadlineExceeded
		}
		return context.DeadlineExceeded
	}
	return cerr
}

// closer reports whether the wait is a Close's own.
func (w *waiter) closer() bool { return w.own != nil }

// closedByOther reports whether a Close other than the one the wait is part of has begun on what it
// works on: the session, its File, or its channel.
func (w *waiter) closedByOther() bool {
	other := func(b *atomic.Bool) bool { return b != nil && b != w.own && b.Load() }
	return other(&w.s.closing) || (w.f != nil && other(&w.f.closing)) || other(w.closing)
}

// interrupted reports whether a wait error leaves libssh2 inside its call with the session intact (a
// deadline, a context, Close from another goroutine), so the call can be finished later (pending.go),
// rather than a dead connection or channel.
func interrupted(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || errors.Is(err, fs.ErrClosed) ||
		(err != nil && !errors.Is(err, errChannelEOF) && !errors.Is(err, ErrSessionBroken) && isCtxCause(err))
}

// isCtxCause reports whether err is a context's cause other than the standard two (context.WithCancelCause).
func isCtxCause(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// call runs f, a libssh2 call, until it returns something other than LIBSSH2_ERROR_EAGAIN, waiting
// on the socket in the direction libssh2 names. f runs inside RawConn.Read or Write so that no
// readiness event can be missed between libssh2's EAGAIN and the wait. The caller holds the session
// lock. A non-nil error means the wait failed while the call was unfinished (libssh2 expects the same
// call again): a deadline, a done context, Close, or the end of the SFTP channel ch (nil: none) that
// the call waits on.
func (s *Session) call(w *waiter, ch *cshim.Channel, f func() int) (int, error) {
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
	s.pace(time.Now())
	c := &s.caller
	if c.read == nil {
		c.read, c.write = c.step(false), c.step(true)
	}
	c.f, c.s, c.ch, c.eof = f, s, ch, false
	defer func() { c.f, c.ch = nil, nil }()
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
		if c.eof {
			return c.rc, errChannelEOF
		}
		if !c.switchTo {
			return c.rc, nil
		}
		writing = !writing
	}
}

// yieldAfter is how long an operation runs its libssh2 calls without rescheduling before pace
// yields.
const yieldAfter = 4 * time.Millisecond

// pace lets the scheduler run (runtime.Gosched) once the goroutine has made libssh2 calls for
// yieldAfter without doing so; now is the time. A goroutine that never reschedules is marked for
// preemption by sysmon after 10 ms, and from then on sysmon takes its P away in every system call
// and cgo call that lasts one of its ticks: the call then returns without a P, all Ps look idle,
// sysmon sleeps deeply, and the return wakes it into 20-microsecond polling again, tens of thread
// switches each time on the cores the server needs (measured on downloads, bench/README.md). A
// yield every few milliseconds resets that clock for the price of one. The caller holds the
// session lock.
func (s *Session) pace(now time.Time) {
	if now.Sub(s.yielded) > yieldAfter {
		s.yielded = now
		runtime.Gosched()
	}
}

// caller holds the state of Session.call, kept in the Session so that the hot path allocates nothing.
type caller struct {
	s           *Session
	f           func() int
	ch          *cshim.Channel // the SFTP channel whose end ends the wait, or nil
	rc          int
	switchTo    bool // libssh2 blocks in the other direction
	eof         bool // the channel ended while libssh2 waited to read from it
	read, write func(uintptr) bool
}

// step returns the RawConn callback for waiting in one direction: it runs the call, and asks to wait
// (returns false) while libssh2 blocks in that direction; when libssh2 blocks only in the other one,
// it returns with switchTo set. When libssh2 blocks both ways it waits for writing, which libssh2
// needs before any other progress (docs/DESIGN.md, fact 3). Before waiting to read, it checks that
// the server has not ended the SFTP channel: libssh2 1.10 keeps saying EAGAIN on a channel whose
// server process died, and nothing more will ever arrive.
func (c *caller) step(writing bool) func(uintptr) bool {
	return func(uintptr) bool {
		var r rereader
		for {
			rx := cshim.SessionRx(c.s.s)
			c.rc = c.f()
			if c.rc != cshim.ErrorEAGAIN {
				return true
			}
			wantWrite := cshim.SessionBlockDirections(c.s.s)&cshim.SessionBlockOutbound != 0
			if c.ch != nil && cshim.ChannelEOF(c.ch) {
				c.eof = true
				return true
			}
			if wantWrite != writing {
				c.switchTo = true
				return true
			}
			if writing || !r.again(c.s, rx) {
				return false
			}
		}
	}
}

// rereader decides whether a call that just said EAGAIN, waiting to read, is repeated at once
// instead of waiting: libssh2 1.11's chacha20-poly1305 can say EAGAIN with the rest of a packet
// unread in the socket (docs/DESIGN.md, fact 14), and the netpoller, which wakes on new bytes only,
// would then wait for bytes the server may never send. Each repeat that receives something makes
// progress, and the channel windows bound how much can arrive unasked, so the repeats end. The zero
// value is ready for one wait.
type rereader struct {
	idle int // calls in a row that received nothing
}

// again reports whether to repeat the call at once: bytes are waiting, and the call received
// something (it makes progress) or is the first in a row that did not. rx is the session's
// received-byte count from before the call. On Linux's descriptor path it is always false: the
// wait there is a level-triggered ppoll, which returns at once when bytes are waiting, so a look
// beforehand would only cost a system call per wait (docs/DESIGN.md, I2). The caller holds the
// session lock.
func (r *rereader) again(s *Session, rx uint64) bool {
	if s.fdl != nil {
		return false
	}
	if cshim.SessionRx(s.s) == rx {
		if r.idle++; r.idle > 1 {
			return false
		}
	} else {
		r.idle = 0
	}
	return s.readableNow()
}

// fatal reports whether libssh2's code rc means that the connection itself failed, so that no
// further call on the session can work.
func fatal(rc int) bool {
	switch Code(rc) {
	case ErrorSocketNone, ErrorBannerRecv, ErrorBannerSend, ErrorInvalidMAC, ErrorKexFailure,
		ErrorSocketSend, ErrorKeyExchangeFailure, ErrorDecrypt, ErrorSocketDisconnect,
		ErrorProto, ErrorSocketTimeout, ErrorBadUse, ErrorSocketRecv:
		return true
	}
	return false
}

// WaitSocket waits until the socket is ready in the direction that libssh2 last said it blocked on
// (libssh2_session_block_directions), like the waitsocket() of libssh2's examples. It returns at once
// when libssh2 is not blocked, or blocked reading with bytes already waiting (libssh2 1.11 can say
// EAGAIN before it has read all there is: docs/DESIGN.md, fact 14). It is bounded by ctx and the session's deadline.
func (s *Session) WaitSocket(ctx context.Context) error {
	var o op
	o.quiet = true // it sends nothing: the call the caller repeats next finishes what is pending
	if err := s.begin(&o, ctx, "wait", "", nil, nil, dlSession); err != nil {
		return err
	}
	defer s.end(&o)
	dirs := cshim.SessionBlockDirections(s.s)
	if dirs == 0 || (dirs&cshim.SessionBlockOutbound == 0 && s.readableNow()) {
		return nil // not blocked, or bytes to read are already there (fact 14)
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
		return o.fail(0, o.w.err(err))
	}
	return nil
}
