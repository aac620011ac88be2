package libssh2

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Channels other than SFTP's: a command's (Cmd) and a forwarded connection's (Session.Dial). Their
// reads wait for the server for as long as it takes (a command's output, a connection's next bytes),
// so unlike the other operations they do not hold the session while they wait when another
// goroutine wants it (docs/DESIGN.md, "Channels"):
//
//   - a channel read or write whose libssh2 call blocks only for data from the server
//     (libssh2_session_block_directions says inbound) left nothing half done in libssh2: the transport
//     keeps a partly read packet for whoever reads next. Such an operation is yieldable: when another
//     goroutine waits for the session lock (acquire asks it, through the deadline, as Close does), it
//     ends its operation and waits for the next one to end (progress) before it tries again;
//   - when it blocks outbound, a packet is half sent and libssh2 needs the same call again, so it
//     waits like every other operation, and an interruption leaves a pending call (pending.go);
//   - of the goroutines reading channels, the one holding the session waits on the connection; the
//     others wait for progress. One that wakes to data it does not want hands the session on when
//     others wait for progress, since the data may be theirs.

// progress counts ended operations, for channel reads that stepped aside (Session.prog).
type progress struct {
	mu  sync.Mutex
	gen uint64
	ch  chan struct{} // closed by the next bump; nil when nobody waits
	n   int           // goroutines waiting
}

// bump records that an operation ended. It allocates nothing.
func (p *progress) bump() {
	p.mu.Lock()
	p.gen++
	if p.ch != nil {
		close(p.ch)
		p.ch = nil
	}
	p.mu.Unlock()
}

// now returns the count.
func (p *progress) now() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen
}

// expect counts a goroutine that is about to wait for progress: it calls it before its operation
// ends, so that whoever runs next knows that it waits (waiting), and done when it stops waiting.
func (p *progress) expect() {
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
}

func (p *progress) done() {
	p.mu.Lock()
	p.n--
	p.mu.Unlock()
}

// after returns a channel closed once the count exceeds gen (already closed if it does).
func (p *progress) after(gen uint64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen > gen {
		return closedChan
	}
	if p.ch == nil {
		p.ch = make(chan struct{})
	}
	return p.ch
}

// waiting reports whether a goroutine waits for progress.
func (p *progress) waiting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n > 0
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// channel is a libssh2 channel other than an SFTP one.
type channel struct {
	s *Session
	c *cshim.Channel // nil once freed
	deadlines
	closing atomic.Bool
	// dlChanged is signalled when a deadline changes, for a read waiting for progress; closed is
	// closed by close.
	dlChanged, closed chan struct{}
	// stash holds, per stream, what an interrupted read got once it was finished (pending.go).
	stash [2][]byte
	// wbroken is set when a write was cut short in the middle of a packet: as with crypto/tls,
	// later writes fail, since how much of it the peer gets is unknown to the caller.
	wbroken error
	failed  error // the channel is unusable (the server closed it, or it was never opened)
	// freeing is the libssh2 channel, once closed, while its free waits for the server (freeLocked).
	freeing *cshim.Channel
}

// openChannel opens a channel with open (NULL and LIBSSH2_ERROR_EAGAIN: call again) for op name.
func (s *Session) openChannel(ctx context.Context, name, path string, open func() *cshim.Channel) (*channel, error) {
	if s == nil {
		return nil, errInvalid(name, path, errors.New("nil Session"))
	}
	var o op
	if err := s.begin(&o, ctx, name, path, nil, nil, dlSession); err != nil {
		return nil, err
	}
	defer s.end(&o)
	var c *cshim.Channel
	rc, err := o.call(func() int {
		if c = open(); c != nil {
			return 0
		}
		return s.lastErrno()
	}, func(int) {
		// Nobody waits for the channel any more: free it in turn.
		if c != nil {
			s.addPending(&pending{call: func() int { return cshim.ChannelFree(c) }})
		}
	})
	if err != nil {
		return nil, err
	}
	if rc < 0 {
		return nil, o.sftpFail(rc)
	}
	ch := &channel{s: s, c: c, dlChanged: make(chan struct{}, 1), closed: make(chan struct{})}
	if s.chans == nil {
		s.chans = map[*channel]struct{}{}
	}
	s.chans[ch] = struct{}{}
	return ch, nil
}

// do runs f, a libssh2 call on c that does not wait for the peer long (a request, sending EOF),
// through the operation frame.
func (ch *channel) do(ctx context.Context, name string, f func(*cshim.Channel) int) (int, error) {
	s := ch.s
	o := op{dl: &ch.deadlines, closing: &ch.closing}
	if err := s.begin(&o, ctx, name, "", nil, nil, dlWrite); err != nil {
		return 0, err
	}
	defer s.end(&o)
	if err := ch.check(&o); err != nil {
		return 0, err
	}
	c := ch.c
	rc, err := o.call(func() int { return f(c) }, nil)
	if err != nil {
		return rc, err
	}
	if rc < 0 {
		return rc, ch.fail(&o, rc)
	}
	return rc, nil
}

// setDeadline changes ch's deadlines with set and applies them to its waiting operation.
func (ch *channel) setDeadline(set func()) error {
	s := ch.s
	s.dmu.Lock()
	set()
	s.dmu.Unlock()
	s.deadlineChanged(&ch.deadlines)
	signal(ch.dlChanged)
	return nil
}

// close frees ch (libssh2_channel_free, which sends EOF and the channel's close message first): at
// once when the session is free, else after the running operation, which it wakes. It is bounded by
// closeTimeout; a free that cannot finish in time is left to the session's next operation. Closing
// twice returns an error wrapping fs.ErrClosed.
func (ch *channel) close(name string) error {
	if !ch.closing.CompareAndSwap(false, true) {
		return errClosed(name, "")
	}
	close(ch.closed)
	s := ch.s
	s.wakeIf(func(a *active) bool { return a.dl == &ch.deadlines })
	ctx, cancel := closeBound(closeTimeout)
	defer cancel()
	var o op
	if err := s.begin(&o, ctx, name, "", nil, nil, dlSession); err != nil {
		if s.closing.Load() || s.s == nil {
			return nil // the session's Close frees the channel
		}
		if interrupted(err) && !errors.Is(err, fs.ErrClosed) {
			s.closeWhenFree(name, ch.freeLocked)
		}
		return err
	}
	defer s.end(&o)
	return ch.freeLocked(&o)
}

// freeLocked frees ch's libssh2 channel for o (a channel's or the session's Close). The caller holds
// the session lock.
//
// libssh2_channel_free sends EOF and the channel's close message, then waits for the server's close
// message (libssh2's _libssh2_channel_close). OpenSSH sends it for a session channel only once the
// command has ended, so waiting there would hold the session for as long as a cancelled command
// runs, and a pending free would block every later operation as long. So once libssh2 waits for the
// server alone (its close is sent: nothing is half sent), the free is left for later: the channel
// stays in s.chans with freeing set, every operation's begin tries it once more without waiting
// (retryFrees), and libssh2_session_free frees it at the latest.
func (ch *channel) freeLocked(o *op) error {
	s := ch.s
	c := ch.c
	if c == nil {
		if c = ch.freeing; c == nil {
			return nil
		}
	}
	ch.c = nil
	free := func() int {
		rc := cshim.ChannelFree(c)
		if rc == cshim.ErrorEAGAIN && cshim.SessionBlockDirections(s.s)&cshim.SessionBlockOutbound == 0 {
			return waitsForPeer
		}
		return rc
	}
	settle := func(rc int) {
		if rc == waitsForPeer {
			ch.freeing = c
			if s.chans != nil {
				s.chans[ch] = struct{}{}
			}
			return
		}
		ch.freeing = nil
		delete(s.chans, ch)
	}
	rc, err := s.closeCall(o, nil, free, func() { s.addPending(&pending{call: free, done: settle}) })
	if err != nil {
		return o.fail(0, err)
	}
	settle(rc)
	if rc < 0 && !fatal(rc) {
		return s.errorf(o.name, o.path, rc, nil)
	}
	return nil
}

// waitsForPeer is what freeLocked's call returns instead of LIBSSH2_ERROR_EAGAIN when libssh2 waits
// for the server's close message only. libssh2_channel_free never returns a positive number.
const waitsForPeer = 1 << 30

// retryFrees tries once more, without waiting for the server, to free the channels whose free
// waits for the server's close (freeLocked). The caller holds the session lock.
func (s *Session) retryFrees(o *op) error {
	for ch := range s.chans {
		if ch.freeing != nil {
			if err := ch.freeLocked(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// check refuses a channel that is freed or failed. The caller holds the session lock.
func (ch *channel) check(o *op) error {
	switch {
	case ch.c == nil:
		return errClosed(o.name, o.path)
	case ch.failed != nil:
		return o.fail(0, ch.failed)
	}
	return nil
}

// read reads into p from stream (cshim.StreamStdout or StreamStderr) of ch: what is there, or waits
// for something. It returns io.EOF at the end of the stream.
func (ch *channel) read(ctx context.Context, name string, stream int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, err := ch.io(ctx, name, dlRead, stream, p, true)
	if err == nil && n == 0 {
		return 0, io.EOF
	}
	return n, err
}

// write writes all of p to stream of ch, waiting for the server's window as needed; n is what was
// sent when err is not nil.
func (ch *channel) write(ctx context.Context, name string, stream int, p []byte) (int, error) {
	done := 0
	for done < len(p) {
		q := p[done:min(len(p), done+maxChannelWrite)]
		n, err := ch.io(ctx, name, dlWrite, stream, q, false)
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// maxChannelWrite is the most bytes given to one libssh2_channel_write_ex call: what it sends in one
// packet at most (libssh2 cuts larger buffers there).
const maxChannelWrite = 32700

// io makes one libssh2_channel_read_ex (reading) or libssh2_channel_write_ex call on stream of ch
// with p. A call cut short while libssh2 was half way through sending is left pending (pending.go):
// a read is finished into a buffer of its own, whose bytes the next read of the stream returns
// first; a write is finished with a copy of p, its bytes count as written (the packet on its way
// reaches the peer once the call is finished), and the channel refuses later writes.
func (ch *channel) io(ctx context.Context, name string, kind dlKind, stream int, p []byte, reading bool) (int, error) {
	if reading {
		return ch.run(ctx, name, kind, func(c *cshim.Channel) int { return cshim.ChannelReadEx(c, stream, p) },
			func(o *op) (int, bool) {
				if len(ch.stash[stream]) == 0 {
					return 0, false
				}
				n := copy(p, ch.stash[stream])
				ch.stash[stream] = ch.stash[stream][n:]
				return n, true
			},
			func(c *cshim.Channel) int {
				buf := make([]byte, len(p))
				ch.s.addPending(&pending{call: func() int {
					rc := cshim.ChannelReadEx(c, stream, buf)
					if rc == cshim.ErrorEAGAIN && cshim.SessionBlockDirections(ch.s.s)&cshim.SessionBlockOutbound == 0 {
						// Nothing is half sent any more: what is left is waiting for data,
						// which the next read of the stream does.
						return 0
					}
					return rc
				}, done: func(rc int) {
					if rc > 0 {
						ch.stash[stream] = append(ch.stash[stream], buf[:rc]...)
					}
				}})
				return 0
			})
	}
	return ch.run(ctx, name, kind, func(c *cshim.Channel) int { return cshim.ChannelWriteEx(c, stream, p) },
		nil,
		func(c *cshim.Channel) int {
			q := append([]byte(nil), p...)
			ch.s.addPending(&pending{call: func() int { return cshim.ChannelWriteEx(c, stream, q) }})
			ch.wbroken = errWriteCut
			// The packet on its way holds what libssh2 cut p to: at most the window, which it
			// shrinks only once the packet is sent (and at most the server's maximum packet size,
			// which libssh2 does not expose; servers advertise at least 32768, more than
			// maxChannelWrite).
			return int(min(uint64(len(p)), cshim.ChannelWindowWrite(c)))
		})
}

// run makes the libssh2 call f on ch until it returns something other than LIBSSH2_ERROR_EAGAIN,
// stepping aside while it waits for the server only and another goroutine wants the session (see
// the top of this file). first, when not nil, may answer at once instead (under the session lock).
// When the wait is cut short while libssh2 is half way through sending, half queues the call as
// pending (with memory of its own) and returns the bytes that count as done, which run returns
// with the error.
func (ch *channel) run(ctx context.Context, name string, kind dlKind, f func(*cshim.Channel) int,
	first func(*op) (int, bool), half func(*cshim.Channel) int) (int, error) {
	s := ch.s
	for {
		o := op{dl: &ch.deadlines, closing: &ch.closing, yieldable: true}
		if err := s.begin(&o, ctx, name, "", nil, nil, kind); err != nil {
			return 0, err
		}
		if err := ch.check(&o); err != nil {
			s.end(&o)
			return 0, err
		}
		if first != nil {
			if n, ok := first(&o); ok {
				s.end(&o)
				return n, nil
			}
		}
		if kind == dlWrite && ch.wbroken != nil {
			s.end(&o)
			return 0, o.fail(0, ch.wbroken)
		}
		c := ch.c
		rc, yield, waitData, halfSent, err := s.callYieldable(&o, nil, func() int { return f(c) })
		if yield && !waitData {
			s.end(&o) // the goroutine waiting for the lock goes first; this one queues behind it
			continue
		}
		if yield {
			gen := s.prog.now() + 1 // the count once this operation has ended
			s.prog.expect()
			s.end(&o)
			err := ch.waitProgress(ctx, kind, gen)
			s.prog.done()
			if err != nil {
				return 0, o.fail(0, err)
			}
			continue
		}
		if err != nil {
			n := 0
			if halfSent && interrupted(err) && half != nil {
				n = half(c)
			} else if !interrupted(err) {
				s.breakWith(err)
			}
			e := o.fail(0, err)
			s.end(&o)
			return n, e
		}
		if rc < 0 {
			e := ch.fail(&o, rc)
			s.end(&o)
			return 0, e
		}
		s.end(&o)
		return rc, nil
	}
}

// errWriteCut is why a channel refuses writes after one was cut short in the middle of a packet.
var errWriteCut = errors.New("an earlier write was cut short in the middle of a packet: the channel refuses further writes")

// fail makes o's error for rc < 0 from a channel call; a channel the server closed becomes unusable.
// The caller holds the session lock.
func (ch *channel) fail(o *op, rc int) *Error {
	e := o.sftpFail(rc)
	switch Code(rc) {
	case ErrorChannelClosed, ErrorChannelEOFSent, ErrorChannelFailure, ErrorChannelUnknown:
		if ch.failed == nil && Code(rc) != ErrorChannelEOFSent {
			ch.failed = e
		}
	}
	return e
}

// callYieldable runs f for o like Session.call, with one difference: while libssh2 waits only for
// data from the server, it returns yield instead of waiting when another goroutine wants the session,
// or when f read packets from the connection that were not its own and others wait for them (a
// channel read waiting for progress, a lane standing aside with data queued: lanes.go). half
// reports, with a non-nil err, that libssh2 was blocked sending (the call must be repeated).
// waitData, with yield, reports that f is waiting for data from the server; without it f has not
// run yet, and the caller only needs to let the other goroutine go first. ch, when not nil, is the
// SFTP channel whose end ends the wait (errChannelEOF). The caller holds the session lock.
func (s *Session) callYieldable(o *op, ch *cshim.Channel, f func() int) (rc int, yield, waitData, half bool, err error) {
	if s.dead {
		rc, err = s.call(&o.w, ch, f)
		return rc, false, false, false, err
	}
	eof := false
	read := func(uintptr) bool {
		rx := cshim.SessionRx(s.s)
		var r rereader
		for {
			rx1 := cshim.SessionRx(s.s)
			rc = f()
			if rc != cshim.ErrorEAGAIN {
				return true
			}
			if cshim.SessionBlockDirections(s.s)&cshim.SessionBlockOutbound != 0 {
				half = true
				return true
			}
			half = false
			if ch != nil && cshim.ChannelEOF(ch) {
				eof = true
				return true
			}
			waitData = true
			// The call read packets that were not f's: they may be another waiting channel's or
			// lane's.
			if s.lockWaiters.Load() > 0 ||
				(cshim.SessionRx(s.s) != rx && (s.prog.waiting() || s.parkedReady())) {
				yield = true
				return true
			}
			if !r.again(s, rx1) {
				return false
			}
		}
	}
	tried := false
	write := func(uintptr) bool {
		rc = f()
		if rc != cshim.ErrorEAGAIN {
			return true
		}
		half = cshim.SessionBlockDirections(s.s)&cshim.SessionBlockOutbound != 0
		return !half
	}
	for {
		if half {
			if err := s.raw.Write(write); err != nil {
				if s.yieldAsked() && !interruptedForReal(o) {
					// Half way through sending it cannot step aside: finish first.
					s.unaskYield()
					continue
				}
				return rc, false, false, true, o.w.err(err)
			}
			if rc != cshim.ErrorEAGAIN {
				return rc, false, false, false, nil
			}
			continue
		}
		var err error
		if !tried {
			// f runs once before any wait: RawConn.Read would not run it at all with the deadline
			// already past because a goroutine waits for the lock, and every turn must make
			// progress (two channels would otherwise hand the session to each other for ever).
			tried = true
			if !read(0) {
				err = s.raw.Read(read)
			}
		} else {
			err = s.raw.Read(read)
		}
		if err != nil {
			if s.yieldAsked() && !interruptedForReal(o) {
				// Asked before f ran (the deadline was already past), or while it waited for data.
				return rc, true, waitData, false, nil
			}
			return rc, false, false, false, o.w.err(err)
		}
		if eof {
			return rc, false, false, false, errChannelEOF
		}
		if yield || rc != cshim.ErrorEAGAIN {
			return rc, yield, waitData, false, nil
		}
	}
}

// yieldAsked reports whether another goroutine asked the running operation to step aside.
func (s *Session) yieldAsked() bool {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.act.yieldReq
}

// unaskYield withdraws a request to step aside that the running operation cannot follow now; it
// sees the waiting goroutines again once it can.
func (s *Session) unaskYield() {
	s.dmu.Lock()
	s.act.yieldReq = false
	s.applyDeadline()
	s.dmu.Unlock()
}

// interruptedForReal reports whether o's wait ended for a reason of its own rather than because it
// was asked to step aside: its context ended, its deadline passed, or Close.
func interruptedForReal(o *op) bool {
	s := o.s
	if o.w.ctx.Err() != nil || s.closing.Load() || (o.closing != nil && o.closing.Load()) {
		return true
	}
	d := s.deadlineFor(o.dl, kindOf(o), o.w.ctx)
	return !d.IsZero() && !time.Now().Before(d)
}

// kindOf is the deadline kind o runs under.
func kindOf(o *op) dlKind {
	s := o.s
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.act.kind
}

// waitProgress waits, after ch's operation stepped aside (and counted itself with prog.expect), until another operation has ended (the
// count passes gen), bounded by ctx, ch's deadline of kind and Close.
func (ch *channel) waitProgress(ctx context.Context, kind dlKind, gen uint64) error {
	s := ch.s
	done := s.prog.after(gen)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		var timer <-chan time.Time
		if d := s.deadlineFor(&ch.deadlines, kind, ctx); !d.IsZero() {
			wait := time.Until(d)
			if wait <= 0 {
				return os.ErrDeadlineExceeded
			}
			t.Reset(wait)
			timer = t.C
		}
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return errors.Join(fs.ErrClosed, errClosedWhileWaiting)
		case <-ch.closed:
			return errors.Join(fs.ErrClosed, errClosedWhileWaiting)
		case <-timer:
			return os.ErrDeadlineExceeded
		case <-ch.dlChanged:
		}
	}
}
