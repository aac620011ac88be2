package libssh2

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// The operation frame (docs/DESIGN.md, "Operations"). Every public operation that calls libssh2
// enters through begin and leaves through end:
//
//   - begin refuses a done context or a passed deadline before any C call, then takes the session
//     lock, waiting for it no longer than the context and deadline allow;
//   - it refuses a closed or broken Session, SFTP or File with a typed error;
//   - it arms the connection's deadline for this operation and records the operation, so that
//     SetDeadline and Close from other goroutines reach its waits (Session.wake);
//   - it finishes the session's pending calls (pending.go): what an earlier, interrupted operation
//     left inside libssh2.
//
// end disarms and unlocks. Between them, the operation makes its libssh2 calls with o.call, which
// turns a wait cut short into a pending call and a typed error, leaving the session usable.

// dlKind says which deadline bounds an operation.
type dlKind uint8

const (
	dlSession dlKind = iota // the session's (SFTP-level operations)
	dlRead                  // the File's read deadline, else the session's
	dlWrite                 // the File's write deadline, else the session's (writes, Sync, Close)
	dlFile                  // the earlier of the File's two, else the session's (Seek, Stat, ...)
)

// op is one public operation in progress.
type op struct {
	s  *Session
	sf *SFTP      // the SFTP channel it works on, or nil
	f  *File      // the File it works on, or nil
	dl *deadlines // the deadlines of what it works on (f's, a channel's), or nil: the session's
	// closing is the Close flag of the channel it works on (an SSH channel's, else sf's), or nil.
	closing *atomic.Bool
	// yieldable: o waits only for data from the server and steps aside while another goroutine wants
	// the session (channel.go).
	yieldable bool
	name      string
	path      string
	w         waiter
	// quiet: the operation sends nothing (WaitSocket, bookkeeping), so it leaves the pending calls
	// alone.
	quiet bool
	// cont: the kind of o.f's own pending call that o continues with the same arguments, so that
	// begin leaves it pending (pendOther: none).
	cont pendKind
	// nowait: a non-blocking faithful call: it waits for nothing (Session.SetNonblocking).
	nowait bool
	// kind: the deadline kind it runs under (arm).
	kind dlKind
	// lane: its calls stand aside while they wait for their reply (lanes.go, mayPark); parked: the
	// call standing aside now, which its own finishPending leaves alone; detached: it gave up while
	// standing aside, and no longer holds the session lock (end does nothing).
	lane     bool
	parked   *pending
	detached bool
	// late: o finishes a File's Close in the background (whenFree); its failure is kept for
	// Session.Close (keepLate).
	late bool
	// closes: the SFTP channel that o closes, whose pending calls o finishes all of (finishPending).
	closes *SFTP
}

// active is what SetDeadline and Close need to know of the running operation. Guarded by Session.dmu.
type active struct {
	running bool
	dl      *deadlines // the deadlines of what it works on (a File's, a channel's), or nil
	sf      *SFTP      // the SFTP channel it works on, or nil: SFTP.Close wakes it
	kind    dlKind
	ctxDL   time.Time // the context's deadline, or zero
	kicked  bool      // its context ended or Close woke it: the deadline stays in the past
	// yieldable: the operation can step aside (op.yieldable); yieldReq: another goroutine asked it to,
	// which also puts the deadline in the past.
	yieldable, yieldReq bool
	// seq tells operations apart, so that a context's AfterFunc that fires late cannot wake the
	// operation after its own.
	seq uint64
}

// begin enters the operation frame; when it returns nil the caller must call end. sf and f may be
// nil; f implies its sf.
func (s *Session) begin(o *op, ctx context.Context, name, path string, sf *SFTP, f *File, kind dlKind) error {
	o.init(s, ctx, name, path, sf, f)
	ctx = o.w.ctx
	if err := ctx.Err(); err != nil {
		return o.failOutside(o.w.ctxErr(err)) // a done context never starts a C call
	}
	if o.w.closedByOther() {
		return errClosed(o.name, o.path) // before the deadline, as os.File says a closed file is closed
	}
	deadline := s.deadlineFor(o.dl, kind, ctx)
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		return o.failOutside(os.ErrDeadlineExceeded)
	}
	if err := s.acquire(ctx, deadline); err != nil {
		return o.failOutside(o.w.err(err)) // a context's deadline is the context's error, as in a wait
	}
	return o.enter(kind)
}

// init gives o what it works on, under ctx (nil: none).
func (o *op) init(s *Session, ctx context.Context, name, path string, sf *SFTP, f *File) {
	if f != nil {
		sf = f.sf
		if path == "" {
			path = f.name
		}
	}
	o.s, o.sf, o.f, o.name, o.path = s, sf, f, name, path
	if f != nil {
		o.dl = &f.deadlines
	}
	if sf != nil && o.closing == nil {
		o.closing = &sf.closing
	}
	if ctx == nil {
		ctx = context.Background()
	}
	o.w = waiter{s: s, ctx: ctx, f: f, closing: o.closing}
}

// enter is the rest of begin once o holds the session lock: the checks, the deadline armed, the
// pending calls finished. On failure o does not hold the lock.
func (o *op) enter(kind dlKind) error {
	s, sf := o.s, o.sf
	if err := o.check(); err != nil {
		s.release()
		return err
	}
	if o.f != nil {
		o.f.applyUntaken()
	}
	// While it finishes what others left (pending calls, frees), o cannot step aside: a request to
	// would only look like a timeout there. It becomes yieldable afterwards.
	yieldable := o.yieldable
	o.yieldable = false
	s.arm(o, kind, o.w.ctx)
	if o.w.closedByOther() {
		// Close came between check and arm, too early to wake this operation: stop here.
		s.end(o)
		return errClosed(o.name, o.path)
	}
	if !o.quiet {
		if s.orphaned.Load() {
			s.closeOrphans()
		}
		err := s.finishPending(o)
		if err == nil && sf != nil && len(sf.busy) > 0 {
			err = sf.settleWrites(o)
		}
		if err == nil && len(s.chans) > 0 && len(s.pend) == 0 && !o.nowait {
			err = s.retryFrees(o) // channels whose free waits for the server (channel.go)
		}
		if err != nil {
			s.end(o)
			return err
		}
	}
	if yieldable {
		o.yieldable = true
		s.dmu.Lock()
		s.act.yieldable = true
		if s.lockWaiters.Load() > 0 {
			s.act.yieldReq = true
			s.applyDeadline()
		}
		s.dmu.Unlock()
	}
	return nil
}

// check refuses a closed or unusable session, channel or file. The caller holds the session lock.
func (o *op) check() error {
	s := o.s
	switch {
	case s.s == nil || s.closing.Load():
		return errClosed(o.name, o.path)
	case s.broken != nil:
		return newError(o.name, o.path, 0, s.broken)
	case o.sf != nil && o.sf.shut:
		return errClosed(o.name, o.path)
	case o.sf != nil && o.sf.broken != nil:
		return o.fail(0, o.sf.broken)
	case o.f != nil && (o.f.h == nil || o.f.closing.Load()):
		return errClosed(o.name, o.path)
	case o.closing != nil && o.closing.Load():
		return errClosed(o.name, o.path)
	}
	return nil
}

// end leaves the operation frame; nothing for an operation that gave up while parked (lanes.go).
func (s *Session) end(o *op) {
	if o.detached {
		return
	}
	if o.f != nil {
		o.f.publishGood()
	}
	s.disarm(o)
	s.prog.bump()
	s.release()
}

// whenFree finishes a Close that could not get the session in time (docs/DESIGN.md, "Close"): in
// a goroutine of its own it waits for the session lock without a bound, then runs locked, which
// gives the lock back. Session.Close ends the wait, and closes what locked would have.
func (s *Session) whenFree(locked func()) {
	go func() {
		if s.acquire(context.Background(), time.Time{}) == nil {
			locked()
		}
	}()
}

// keepLate keeps err, the failure of a Close finished in the background (whenFree), for
// Session.Close to return: the Close that handed its work over has returned. An interruption is
// not kept: that Close returned it already, or Session.Close ended the work. The caller holds the
// session lock.
func (s *Session) keepLate(err error) {
	if err != nil && !interrupted(err) && s.late == nil {
		s.late = err
	}
}

// closeWhenFree is whenFree for a Close that runs in the operation frame: close runs for an op
// named name, bounded by closeTimeout and the session's deadline; its failure is kept (keepLate).
func (s *Session) closeWhenFree(name string, close func(o *op) error) {
	s.whenFree(func() {
		ctx, cancel := closeBound(closeTimeout)
		defer cancel()
		var o op
		o.quiet = true // close finishes the pending calls itself
		o.init(s, ctx, name, "", nil, nil)
		if o.enter(dlSession) != nil {
			return
		}
		defer s.end(&o)
		s.keepLate(close(&o))
	})
}

// ch is the SFTP channel whose end ends o's waits.
func (o *op) ch() *cshim.Channel {
	if o.sf == nil {
		return nil
	}
	return o.sf.ch
}

// call makes one libssh2 call for o, waiting as needed. When the wait is cut short (deadline,
// context, Close), libssh2 is inside the call: it becomes the session's pending call, finished by
// the next operation with the same arguments, and done (nil: nothing) takes its result then. The
// returned error is o's typed error; rc < 0 is left to the caller.
func (o *op) call(f func() int, done func(rc int)) (int, error) {
	if o.lane {
		p := &pending{call: f, done: done, sf: o.sf}
		rc, err := o.callLane(p)
		if err != nil && !o.detached && !errors.Is(err, errParkedTaken) {
			err = o.interrupt(err, p)
		}
		return rc, err
	}
	rc, err := o.s.call(&o.w, o.ch(), f)
	if err != nil {
		return rc, o.interrupt(err, &pending{call: f, done: done, sf: o.sf})
	}
	return rc, nil
}

// interrupt handles a wait that failed with libssh2 inside a call: an interrupted call becomes
// pending p (pending.go); the end of the SFTP channel makes the channel unusable; anything else
// (a dead connection) the session. It returns o's error.
func (o *op) interrupt(err error, p *pending) *Error {
	s := o.s
	switch {
	case err == errChannelEOF:
		o.sf.fail(o.fail(int(ErrorChannelClosed), err))
	case interrupted(err):
		s.addPending(p)
	default:
		s.breakWith(err)
	}
	e := o.fail(0, err)
	if err == errChannelEOF {
		e.Code = ErrorChannelClosed
	}
	return e
}

// fail makes o's *Error: code (0: none) and cause err. The errors of writes carry the offset up to
// which the remote file is known good.
func (o *op) fail(code int, err error) *Error {
	e := newError(o.name, o.path, Code(code), err)
	if o.f != nil {
		e.Offset = o.f.goodOffset()
	}
	return e
}

// failOutside is fail for o when it does not hold the session lock (it never got it): the offset is
// the one the File's last operation published.
func (o *op) failOutside(err error) *Error {
	e := newError(o.name, o.path, 0, err)
	if o.f != nil {
		e.Offset = o.f.good.Load()
	}
	return e
}

// sftpFail makes o's *Error for rc < 0 returned by libssh2, with libssh2's message and, for an SFTP
// protocol error, the SFTP status. A fatal code marks the session broken.
func (o *op) sftpFail(rc int) *Error {
	var e *Error
	if o.sf != nil {
		e = o.sf.sftpError(o.name, o.path, rc, nil)
	} else {
		e = o.s.errorf(o.name, o.path, rc, nil)
	}
	if o.f != nil {
		e.Offset = o.f.goodOffset()
	}
	if fatal(rc) {
		if e.Err == nil {
			e.Err = o.s.connErr()
		}
		o.s.breakWith(e)
	}
	return e
}

// acquire takes the session lock, waiting no longer than ctx and deadline allow.
func (s *Session) acquire(ctx context.Context, deadline time.Time) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	default:
	}
	// Ask a running operation that can step aside to do so (channel.go).
	s.lockWaiters.Add(1)
	defer s.lockWaiters.Add(-1)
	s.dmu.Lock()
	if s.act.running && s.act.yieldable && !s.act.yieldReq {
		s.act.yieldReq = true
		s.applyDeadline()
	}
	s.dmu.Unlock()
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer:
		return os.ErrDeadlineExceeded
	case <-s.closed:
		return fs.ErrClosed
	}
}

// lock takes the session lock for bookkeeping that makes no libssh2 call that waits.
func (s *Session) lock() { s.sem <- struct{}{} }

// release gives the session lock back, waking the parked lanes that should take it (lanes.go).
func (s *Session) release() {
	if len(s.parked) > 0 {
		s.wakeParked()
	}
	<-s.sem
}

// deadlineFor is the deadline of an operation of kind on what has deadlines dl (nil: nothing) under
// ctx: the earlier of ctx's and dl's or the session's.
func (s *Session) deadlineFor(dl *deadlines, kind dlKind, ctx context.Context) time.Time {
	s.dmu.Lock()
	d := s.baseDeadline(dl, kind)
	s.dmu.Unlock()
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		d = cd
	}
	return d
}

// deadlines are the read and write deadlines of a File or a channel, set by their SetDeadline
// methods; zero: the session's deadline applies. Guarded by the session's dmu.
type deadlines struct {
	rdeadline, wdeadline time.Time
}

// baseDeadline is the deadline set with SetDeadline that applies to an operation of kind on what
// has deadlines f. The caller holds s.dmu.
func (s *Session) baseDeadline(f *deadlines, kind dlKind) time.Time {
	if f != nil {
		var d time.Time
		switch kind {
		case dlRead:
			d = f.rdeadline
		case dlWrite:
			d = f.wdeadline
		case dlFile:
			d = f.rdeadline
			if w := f.wdeadline; !w.IsZero() && (d.IsZero() || w.Before(d)) {
				d = w
			}
		}
		if !d.IsZero() {
			return d
		}
	}
	return s.opDeadline
}

// arm records o as the running operation and sets the connection's deadline for it; when ctx can
// be cancelled, its end wakes the operation's waits. The caller holds the session lock.
func (s *Session) arm(o *op, kind dlKind, ctx context.Context) {
	s.dmu.Lock()
	s.opSeq++
	seq := s.opSeq
	o.kind = kind
	s.act = active{running: true, dl: o.dl, sf: o.sf, kind: kind, yieldable: o.yieldable, seq: seq}
	if o.yieldable && s.lockWaiters.Load() > 0 {
		s.act.yieldReq = true
	}
	if d, ok := ctx.Deadline(); ok {
		s.act.ctxDL = d
	}
	s.applyDeadline()
	s.dmu.Unlock()
	if ctx.Done() != nil {
		o.w.stop = context.AfterFunc(ctx, func() { s.wakeIf(func(a *active) bool { return a.seq == seq }) })
	}
}

// disarm forgets the running operation. The connection's deadline is left as it is: the next
// operation sets its own.
func (s *Session) disarm(o *op) {
	if o.w.stop != nil {
		o.w.stop()
		o.w.stop = nil
	}
	s.dmu.Lock()
	s.act = active{}
	s.dmu.Unlock()
}

// applyDeadline sets the connection's deadline for the running operation. The caller holds s.dmu.
func (s *Session) applyDeadline() {
	a := &s.act
	d := s.baseDeadline(a.dl, a.kind)
	if !a.ctxDL.IsZero() && (d.IsZero() || a.ctxDL.Before(d)) {
		d = a.ctxDL
	}
	if a.kicked || a.yieldReq {
		d = aLongTimeAgo
	}
	s.setConnDeadline(d)
}

// setConnDeadline sets the connection's deadline, skipping redundant calls. The caller holds s.dmu.
func (s *Session) setConnDeadline(d time.Time) {
	if d.Equal(s.connDeadline) {
		return
	}
	switch {
	case s.link != nil:
		s.link.SetDeadline(d)
	case s.fdl != nil:
		s.fdl.SetDeadline(d)
	default:
		s.conn.SetDeadline(d)
	}
	s.connDeadline = d
	if d.IsZero() {
		s.pollDeadline.Store(0)
	} else {
		s.pollDeadline.Store(d.UnixNano())
	}
}

// wakeIf ends the running operation's wait at once when match (nil: any operation) says it is the
// one to end: its context ended, or a Close needs the session or what the operation works on. The
// operation's deadline stays in the past (kicked) until it ends. Safe to call from any goroutine.
func (s *Session) wakeIf(match func(a *active) bool) {
	s.dmu.Lock()
	if s.act.running && (match == nil || match(&s.act)) {
		s.act.kicked = true
		s.applyDeadline()
	}
	s.dmu.Unlock()
}

// deadlineChanged applies a new deadline of a File or channel (dl; nil: the session's) to the
// running operation, as os.File's SetDeadline reaches pending I/O. Safe to call from any goroutine.
func (s *Session) deadlineChanged(dl *deadlines) {
	s.dmu.Lock()
	if s.act.running && (dl == nil || s.act.dl == dl) {
		s.applyDeadline()
	}
	s.dmu.Unlock()
}
