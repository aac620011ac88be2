package libssh2

import (
	"errors"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Pending calls: docs/DESIGN.md, fact 3. A libssh2 call that returned LIBSSH2_ERROR_EAGAIN is not
// over: libssh2 keeps its state (per SFTP channel, per handle, and in the transport a packet that may
// be half sent) and expects the same call again; until then nothing else may be sent on the session.
// When an operation's wait is cut short (deadline, context, Close), its call is recorded here as a
// pending call that knows how to repeat itself with the same arguments, owning whatever memory the
// call writes into. The next operation on the session, from any File, finishes the pending calls in
// order before it sends anything (op.go, begin), and each pending call's done takes its result, which
// usually belongs to nobody any more. A cancelled or timed-out operation therefore leaves the
// session usable: only a dead connection (Session.breakWith) or a dead SFTP channel (SFTP.fail) stops
// it.

// pending is an interrupted libssh2 call.
type pending struct {
	call func() int   // the same call with the same arguments
	done func(rc int) // takes its result, or nil; it may add pending calls of its own
	sf   *SFTP        // the SFTP channel it runs on, or nil
	// owner and kind: the File whose next call of this kind continues the call itself (its window
	// write, its raw write or read), so that call need not finish it first.
	owner *File
	kind  pendKind
	// sent: the call has sent its request whole and waits only for the reply (a lane's call that
	// stood aside, lanes.go), so nothing of it is half sent on the connection: only operations on
	// its own SFTP channel must finish it first.
	sent bool
}

// pendKind says which calls of its owner continue a pending call.
type pendKind uint8

const (
	pendOther    pendKind = iota
	pendWrite             // File's window write: continued by its next write, Sync or Close's drain
	pendRawWrite          // RawWrite: continued by the caller repeating it
	pendRawRead           // RawRead's or Read's sequential read: continued by the next RawRead
)

// addPending queues p, as a call that may be half sent. The caller holds the session lock.
func (s *Session) addPending(p *pending) {
	p.sent = false
	for _, q := range s.pend {
		if q == p {
			return
		}
	}
	s.pend = append(s.pend, p)
}

// addSent queues p as a call that has sent its request whole (pending.sent), which only
// operations on its own SFTP channel finish. The caller holds the session lock.
func (s *Session) addSent(p *pending) {
	s.addPending(p)
	p.sent = true
}

// dropPending removes p from the queue, if it is there. The caller holds the session lock.
func (s *Session) dropPending(p *pending) {
	for i, q := range s.pend {
		if q == p {
			copy(s.pend[i:], s.pend[i+1:])
			s.pend[len(s.pend)-1] = nil // keep no reference
			s.pend = s.pend[:len(s.pend)-1]
			return
		}
	}
}

// finishPending finishes the pending calls before o sends anything, in the order they were
// interrupted. A wait that fails again leaves the rest queued and fails o with a typed error; the
// end of an SFTP channel drops the channel's pending calls. The caller holds the session lock.
func (s *Session) finishPending(o *op) error {
	for {
		i := s.nextPending(o, 0)
		if i < 0 {
			return nil
		}
		p := s.pend[i]
		if p.owner != nil && p.owner == o.f && p.kind == o.cont && s.nextPending(o, i+1) < 0 {
			return nil // o continues it with the same arguments
		}
		var ch *cshim.Channel
		if p.sf != nil {
			if p.sf.p == nil || p.sf.broken != nil {
				s.dropPending(p)
				continue
			}
			ch = p.sf.ch
		}
		var rc int
		var err error
		if o.nowait {
			// A non-blocking faithful call waits for nothing: the caller waits (WaitSocket) and
			// calls again.
			if rc = p.call(); rc == cshim.ErrorEAGAIN {
				return o.fail(cshim.ErrorEAGAIN, errPendingFirst)
			}
		} else {
			rc, err = s.call(&o.w, ch, p.call)
		}
		if err != nil {
			switch {
			case err == errChannelEOF:
				p.sf.fail(o.fail(int(ErrorChannelClosed), err))
				s.dropChannel(p.sf)
				continue
			case interrupted(err):
				return o.fail(0, err)
			default:
				s.breakWith(err)
				return o.fail(0, err)
			}
		}
		if i == 0 && s.pend[0] == p {
			s.popPending()
		} else {
			s.dropPending(p)
		}
		if fatal(rc) {
			e := s.errorf(o.name, o.path, rc, nil)
			s.breakWith(e)
			return e
		}
		if p.done != nil {
			p.done(rc)
		}
	}
}

// nextPending returns the index, from i on, of the first pending call that o must finish before it
// sends anything, or -1. o passes by its own parked call, and by the calls of other SFTP channels
// that have sent their request whole (lanes.go): nothing of those is half sent on the connection.
func (s *Session) nextPending(o *op, i int) int {
	for ; i < len(s.pend); i++ {
		p := s.pend[i]
		if p == o.parked {
			continue
		}
		if p.sent && p.sf != nil && p.sf != o.sf && p.sf != o.closes {
			continue
		}
		return i
	}
	return -1
}

// takePending removes p from the queue and reports whether it was there. The caller holds the
// session lock.
func (s *Session) takePending(p *pending) bool {
	for _, q := range s.pend {
		if q == p {
			s.dropPending(p)
			return true
		}
	}
	return false
}

// popPending removes the first pending call, keeping the queue's memory: the writer's hot path
// queues its own write often, and must not allocate for it.
func (s *Session) popPending() {
	n := copy(s.pend, s.pend[1:])
	s.pend[n] = nil
	s.pend = s.pend[:n]
}

// errPendingFirst is the cause of ErrWouldBlock from a non-blocking faithful call that found an
// interrupted call of another operation still unfinished.
var errPendingFirst = errors.New("an earlier interrupted call is being finished first: wait (WaitSocket) and call again")

// dropChannel forgets the pending calls of a channel that ended. The caller holds the session lock.
func (s *Session) dropChannel(sf *SFTP) {
	kept := s.pend[:0]
	for _, p := range s.pend {
		if p.sf != sf {
			kept = append(kept, p)
		}
	}
	clear(s.pend[len(kept):])
	s.pend = kept
}

// breakWith marks the session unusable after its connection failed. The caller holds the lock.
func (s *Session) breakWith(err error) {
	if s.broken == nil {
		s.broken = &brokenError{err}
	}
}

// abandon runs the pending calls once more on a killed session, where libssh2 fails them at once,
// so that it frees what they hold (a handle's close frees the handle). The caller holds the lock.
func (s *Session) abandon() {
	for _, p := range s.pend {
		if p.sf == nil || p.sf.p != nil {
			s.call(nil, nil, p.call)
		}
	}
	s.pend = nil
}

// brokenError is why a session is unusable: it wraps ErrSessionBroken and the failure.
type brokenError struct{ cause error }

func (e *brokenError) Error() string   { return ErrSessionBroken.Error() + ": " + e.cause.Error() }
func (e *brokenError) Unwrap() []error { return []error{ErrSessionBroken, e.cause} }

// closeHandleLater queues the close of a handle that nobody holds any more (an interrupted open
// that completed, a File closed while its last calls were pending). The caller holds the lock.
func (s *Session) closeHandleLater(sf *SFTP, h *cshim.Handle) {
	s.addPending(&pending{call: func() int { return cshim.SFTPCloseHandle(h) }, sf: sf})
}
