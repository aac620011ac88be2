package libssh2

import (
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Lanes (docs/DESIGN.md, "Lanes"): several SFTP requests in flight on one session. A lane is an
// SFTP channel that one goroutine has to itself (a Batch's, batch.go). An operation on a lane
// whose call has sent its request and waits only for the reply stands aside (parks) when another
// goroutine needs the session, so that the session is not held across a round trip:
//
//   - the call is half done inside libssh2 (its state is kept per SFTP channel), so it is queued
//     as a pending call marked sent, with the arguments it must be repeated with;
//   - a pending call marked sent has nothing half sent on the connection, so operations on other
//     SFTP channels, and the session's own, go past it (finishPending); only an operation on the
//     same SFTP channel, or that channel's Close, must finish it first;
//   - the parked goroutine waits without the session lock until its channel has data queued, or
//     the session is free and someone must read the connection; then it takes the session back
//     through the operation frame (reenter: the lock, the checks, the deadline, other pending
//     calls), takes its call out of the queue and repeats it;
//   - when its context ends, its deadline passes or Close comes while it is parked, it gives up
//     without the session lock: its call stays queued as an ordinary pending call, finished by the
//     next operation on the channel, and the operation returns its typed error (o.detached).
//
// The one holding the session waits on the connection. Whoever reads data that a parked lane is
// waiting for hands the session over (release wakes that lane).

// parkCheck is how often a parked operation looks at its deadline and at the session, in case
// nobody holds the session to read the connection (a safety net: releases wake it first).
const parkCheck = 20 * time.Millisecond

// parkSlot is a parked operation, listed in Session.parked while it waits. The session lock guards
// the list; gone is set without it.
type parkSlot struct {
	sf   *SFTP
	wake chan struct{} // one token: the session is worth taking back
	gone atomic.Bool   // the operation gave up: the slot is dropped by the next lock holder
}

// errParkedTaken is the cause of a parked call that another operation on the same SFTP channel
// finished (only that channel's Close does, or a goroutine that shares the lane against its rule).
var errParkedTaken = errors.New("another operation on the same SFTP channel finished the call while it stood aside")

// mayPark lets o's calls stand aside when its SFTP channel is a lane. The operations that do are
// those whose code, after a call returns an error, touches nothing that the session lock guards
// (o.detached).
func (o *op) mayPark() { o.lane = o.sf != nil && o.sf.lane && !o.nowait }

// callLane runs p.call for o like Session.call, standing aside (park) while it waits only for its
// reply and another goroutine needs the session. The error is Session.call's; or, with o.detached
// set, o's typed error after it gave up while parked: o no longer holds the session, and p stays
// queued; or o's typed error wrapping errParkedTaken: another operation finished p (its done took
// the result), and o holds the session.
func (o *op) callLane(p *pending) (int, error) {
	s := o.s
	for {
		rc, aside, err := s.callAside(o, o.ch(), p.call)
		if err != nil || !aside {
			return rc, err
		}
		if err := o.park(p); err != nil {
			return cshim.ErrorEAGAIN, err
		}
	}
}

// callAside is Session.call for a lane's operation o: callYieldable, with o marked as one that
// stands aside when asked while it runs. aside: libssh2 waits only for the reply, and another
// goroutine wants the session, or data has come in for a parked lane or a waiting channel read.
// The caller holds the session lock.
func (s *Session) callAside(o *op, ch *cshim.Channel, f func() int) (rc int, aside bool, err error) {
	if s.dead {
		rc, err = s.call(&o.w, ch, f)
		return rc, false, err
	}
	s.pace(time.Now())
	s.laneYieldable(true)
	defer s.laneYieldable(false)
	rc, aside, _, _, err = s.callYieldable(o, ch, f)
	return rc, aside, err
}

// laneYieldable marks the running operation as one that stands aside when asked (acquire asks),
// for the time of one callAside; a request already waiting applies at once.
func (s *Session) laneYieldable(on bool) {
	s.dmu.Lock()
	s.act.yieldable = on
	switch {
	case on && s.lockWaiters.Load() > 0:
		s.act.yieldReq = true
		s.applyDeadline()
	case !on && s.act.yieldReq:
		s.act.yieldReq = false
		s.applyDeadline()
	}
	s.dmu.Unlock()
}

// park stands o aside with its call p half done: p is queued as sent, o leaves the operation
// frame, waits (waitParked), and enters it again (reenter). It returns nil when o holds the session
// again with p out of the queue, ready to repeat the call. Otherwise o is detached (it gave up, and
// p stays queued) or p was finished by another operation on the channel; the error is o's typed
// error. The caller holds the session lock.
func (o *op) park(p *pending) error {
	s := o.s
	s.addSent(p)
	slot := &parkSlot{sf: o.sf, wake: make(chan struct{}, 1)}
	s.parked = append(s.parked, slot)
	o.parked = p
	off := int64(-1)
	if o.f != nil {
		off = o.f.goodOffset()
	}
	kind := o.kind
	idleBy := time.Time{}
	if o.w.idle > 0 {
		idleBy = time.Now().Add(o.w.idle)
	}
	s.parkedNow.Add(1)
	s.end(o)
	err := o.waitParked(slot, kind, idleBy)
	if err == nil {
		err = o.reenter(slot, kind, idleBy)
	}
	s.parkedNow.Add(-1)
	if err != nil {
		slot.gone.Store(true)
		o.detached = true
		var e *Error
		if !errors.As(err, &e) {
			e = newError(o.name, o.path, 0, o.w.err(err))
			if o.f != nil {
				e.Offset = off
			}
		}
		return e
	}
	o.parked = nil
	if !s.takePending(p) {
		return o.fail(0, errors.Join(fs.ErrClosed, errParkedTaken))
	}
	p.sent = false
	return nil
}

// parkDeadline is the deadline of a parked operation of kind: its own, and for Close, whose bound is
// the time without progress, idleBy.
func (o *op) parkDeadline(kind dlKind, idleBy time.Time) time.Time {
	d := o.s.deadlineFor(o.dl, kind, o.w.ctx)
	if !idleBy.IsZero() && (d.IsZero() || idleBy.Before(d)) {
		d = idleBy
	}
	return d
}

// waitParked waits, without the session lock, until slot is woken or the session looks free,
// bounded by o's context and deadline and by Close.
func (o *op) waitParked(slot *parkSlot, kind dlKind, idleBy time.Time) error {
	s := o.s
	t := time.NewTimer(parkCheck)
	defer t.Stop()
	for {
		if o.w.closedByOther() {
			return errors.Join(fs.ErrClosed, errClosedWhileWaiting)
		}
		wait := parkCheck
		if d := o.parkDeadline(kind, idleBy); !d.IsZero() {
			left := time.Until(d)
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			wait = min(wait, left)
		}
		t.Reset(wait)
		select {
		case <-slot.wake:
			return nil
		case <-o.w.ctx.Done():
			return o.w.ctxErr(o.w.ctx.Err())
		case <-s.closed:
			return errors.Join(fs.ErrClosed, errClosedWhileWaiting)
		case <-t.C:
			if len(s.sem) == 0 {
				return nil // nobody holds the session: someone must read the connection
			}
		}
	}
}

// reenter takes the session back for o after it was parked, as begin does: the lock, bounded by
// o's context and deadline; the checks (for Close, only that the session and channel still work);
// the deadline armed; the pending calls finished. On failure o does not hold the lock.
func (o *op) reenter(slot *parkSlot, kind dlKind, idleBy time.Time) error {
	s := o.s
	if err := s.acquire(o.w.ctx, o.parkDeadline(kind, idleBy)); err != nil {
		return err
	}
	s.dropParked(slot)
	var err error
	if o.w.closer() {
		switch {
		case s.s == nil || s.closing.Load() || o.sf.shut:
			err = errClosed(o.name, o.path)
		case s.broken != nil:
			err = newError(o.name, o.path, 0, s.broken)
		case o.sf.broken != nil:
			err = newError(o.name, o.path, 0, o.sf.broken)
		}
	} else {
		err = o.check()
	}
	if err != nil {
		s.release()
		return err
	}
	s.arm(o, kind, o.w.ctx)
	if o.w.closedByOther() {
		s.end(o)
		return errClosed(o.name, o.path)
	}
	if !idleBy.IsZero() {
		// Close's bound, the time without progress, runs on from when it stood aside.
		s.dmu.Lock()
		s.act.ctxDL = idleBy
		s.applyDeadline()
		s.dmu.Unlock()
	}
	if err := s.finishPending(o); err != nil {
		s.end(o)
		return err
	}
	return nil
}

// dropParked takes slot out of the list of parked operations. The caller holds the session lock.
func (s *Session) dropParked(slot *parkSlot) {
	for i, sl := range s.parked {
		if sl == slot {
			s.parked = append(s.parked[:i], s.parked[i+1:]...)
			return
		}
	}
}

// laneReady reports whether the parked operation of slot has something to take the session for:
// data queued on its channel, the channel's end, or a channel or session that is gone. The caller
// holds the session lock.
func (s *Session) laneReady(slot *parkSlot) bool {
	sf := slot.sf
	if s.s == nil || sf.shut || sf.broken != nil || sf.ch == nil {
		return true
	}
	return cshim.ChannelReadAvail(sf.ch) > 0 || cshim.ChannelEOF(sf.ch)
}

// parkedReady reports whether a parked operation has data waiting. The caller holds the session
// lock.
func (s *Session) parkedReady() bool {
	for _, sl := range s.parked {
		if !sl.gone.Load() && s.laneReady(sl) {
			return true
		}
	}
	return false
}

// wakeParked, as the session lock is given back, wakes the parked operations that have data
// waiting, or, when none has and nobody waits for the lock, the first of them, so that someone
// reads the connection. Slots whose operation gave up are dropped. The caller holds the lock.
func (s *Session) wakeParked() {
	kept := s.parked[:0]
	woke := false
	for _, sl := range s.parked {
		if sl.gone.Load() {
			continue
		}
		kept = append(kept, sl)
		if s.laneReady(sl) {
			sl.signal()
			woke = true
		}
	}
	clear(s.parked[len(kept):])
	s.parked = kept
	if !woke && len(kept) > 0 && s.lockWaiters.Load() == 0 {
		kept[0].signal()
	}
}

func (sl *parkSlot) signal() {
	select {
	case sl.wake <- struct{}{}:
	default:
	}
}
