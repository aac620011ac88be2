package libssh2

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"sync/atomic"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// packetSize is libssh2's MAX_SFTP_OUTGOING_SIZE: libssh2_sftp_write cuts what it is given into
// write packets of at most this many bytes.
const packetSize = 30000

// DefaultWriteWindow is the most bytes a File keeps in flight while uploading, unless
// SFTP.SetWriteWindow says otherwise: 128 packets of 30000 bytes. A File starts with initialWriteWindow in flight and
// doubles it, up to this, while the server's acknowledgements are what holds the upload back: at a
// 50 ms round trip it takes about 4 MB in flight to stay ahead of sshd's 2 MiB channel window, while
// on loopback 0.5 to 1 MB uploads fastest (bench/README.md).
const DefaultWriteWindow = 128 * packetSize

// initialWriteWindow is the window a File starts with (or the set window, if smaller).
const initialWriteWindow = 16 * packetSize

// slowTurn is how long a window's worth of acknowledgements may take before the window is found
// too small: on loopback 480000 bytes take about 1.5 ms, at a 50 ms round trip at least 50 ms.
const slowTurn = 8 * time.Millisecond

// writeBehind is a File's upload window (docs/DESIGN.md, I3): buf[head:tail] holds the bytes accepted by Write
// and not yet acknowledged by the server, the first of them at file offset off. libssh2 has queued a
// prefix of them; every call passes buf[head:tail] again, so libssh2 always sees the same bytes from
// the first unacknowledged one on. The window uses buf[:2*window], so the bytes move to its front
// (compact) at most once per window's worth of data; buf itself grows from a small size as the data
// needs it.
type writeBehind struct {
	buf    []byte // grows up to 2*max bytes (grow)
	head   int
	tail   int
	window int   // the most bytes in flight now
	max    int   // the most the window may grow to
	queued int   // bytes from head that libssh2 has been given
	off    int64 // file offset of buf[head]
	err    error // a failure on accepted bytes: every later write fails with it
	// total counts the bytes ever acknowledged, for a transfer's progress (transfer.go), which
	// reads it without the session lock.
	total atomic.Int64
	// counted: queued > 0, and owner is in its SFTP channel's busy set, the Files with bytes
	// inside libssh2 (see SFTP.settleWrites); owner is nil once the File is closed.
	counted bool
	owner   *File

	// Growing the window: a turn is the time the server takes to acknowledge a window's worth of
	// bytes. When two turns in a row are slow and were spent mostly waiting for the server, the
	// round trip, not the machine, holds the upload back, and the window doubles.
	turnStart time.Time
	turnAcked int
	waited    time.Duration // spent in waiting pumps during this turn
	slow      int           // slow turns in a row
}

func (wb *writeBehind) pending() int { return wb.tail - wb.head }

// room makes space for up to max more bytes at the tail and returns it.
func (wb *writeBehind) room(max int) []byte {
	free := wb.window - wb.pending()
	if free > max {
		free = max
	}
	if free <= 0 {
		return nil
	}
	if wb.tail+free > 2*wb.window {
		n := copy(wb.buf, wb.buf[wb.head:wb.tail])
		wb.head, wb.tail = 0, n
	}
	if wb.tail+free > len(wb.buf) {
		wb.grow(wb.tail + free)
	}
	return wb.buf[wb.tail : wb.tail+free]
}

// refillPackets is how many packets' room ReadFrom waits for, at most, before it reads from its
// reader again (an eighth of the window at most, one packet at least).
const refillPackets = 4

// minWriteBuffer is the smallest buffer a File's window allocates.
const minWriteBuffer = 32 << 10

// grow makes the buffer hold at least need bytes: it doubles, up to 2*max, so that a small file
// allocates little and a large upload reaches its final buffer after a few copies and then allocates
// nothing. Moving the bytes is safe: libssh2 copies what it is given into its packets (docs/DESIGN.md,
// fact 1), and every call passes buf[head:tail] afresh.
func (wb *writeBehind) grow(need int) {
	n := max(2*len(wb.buf), need, minWriteBuffer)
	n = min(n, max(2*wb.max, need))
	buf := make([]byte, n)
	copy(buf[wb.head:wb.tail], wb.buf[wb.head:wb.tail])
	wb.buf = buf
}

// acked accounts for n acknowledged bytes, and ends a turn when a window's worth is acknowledged.
func (wb *writeBehind) acked(n int) {
	if wb.window >= wb.max {
		return
	}
	wb.turnAcked += n
	if wb.turnAcked < wb.window {
		return
	}
	now := time.Now()
	if !wb.turnStart.IsZero() {
		turn := now.Sub(wb.turnStart)
		if turn > slowTurn && wb.waited > turn/2 {
			wb.slow++
		} else {
			wb.slow = 0
		}
		if wb.slow >= 2 {
			wb.window = min(2*wb.window, wb.max)
			wb.slow = 0
		}
	}
	wb.turnStart, wb.turnAcked, wb.waited = now, 0, 0
}

// writer returns f's upload window, made on first use. The caller holds the session lock.
func (f *File) writer() *writeBehind {
	if f.wb == nil {
		m := f.sf.window
		// The buffer grows with the data (room), so that a small file costs a small buffer.
		wb := &writeBehind{window: min(initialWriteWindow, m), max: m, owner: f}
		if f.share > 0 {
			n := min((f.share+packetSize-1)/packetSize*packetSize, m)
			wb.window, wb.max = n, n
		}
		f.wb = wb
		// Bound once, to the handle and window rather than to f, so that the hot path allocates
		// nothing and a pending write can be finished after f is closed. The call is a bulk one: it
		// asks the kernel for acknowledgements only until the socket is found empty (docs/DESIGN.md,
		// "Bulk calls").
		h, s := f.h, f.sf.s
		f.pumpFn = func() int { return cshim.SFTPWriteBulk(s.s, h, wb.buf[wb.head:wb.tail]) }
		f.pw = pending{call: f.pumpFn, done: wb.took, sf: f.sf, owner: f, kind: pendWrite}
	}
	return f.wb
}

// startWindow makes f's window keep up to n bytes in flight (rounded up to whole packets, at most
// the SFTP channel's window) from its first write on, instead of growing to it: for the streams of
// a transfer (transfer.go), which know the round trip is long and share the memory of one window.
// f has not written yet and no other goroutine has it, so it takes no lock (and waits for none):
// writer applies it when it makes the window.
func (f *File) startWindow(n int) { f.share = n }

// took accounts for what one libssh2_sftp_write returned: acknowledged bytes leave the window; on a
// server error libssh2 has dropped everything in flight (docs/DESIGN.md, fact 2), so the window is
// dropped too and the error, with the offset up to which the file is good, becomes sticky. It is
// the done of the File's pending write.
func (wb *writeBehind) took(rc int) {
	switch {
	case rc > 0:
		wb.head += rc
		wb.off += int64(rc)
		wb.total.Add(int64(rc))
		wb.acked(rc)
	case rc < 0 && rc != cshim.ErrorEAGAIN:
		wb.head, wb.tail = 0, 0
	}
	wb.queued = wb.pending()
	wb.count()
}

// count keeps the SFTP channel's set of Files with bytes inside libssh2 up to date.
func (wb *writeBehind) count() {
	if wb.owner == nil || wb.counted == (wb.queued > 0) {
		return
	}
	wb.counted = !wb.counted
	if wb.counted {
		wb.owner.sf.busy[wb.owner] = struct{}{}
	} else {
		delete(wb.owner.sf.busy, wb.owner)
	}
}

// uncount stops counting the window: its File is closed, and what it has inside libssh2 goes with
// the handle's close, which is queued before anything else.
func (wb *writeBehind) uncount() {
	if wb.owner != nil && wb.counted {
		delete(wb.owner.sf.busy, wb.owner)
	}
	wb.owner, wb.counted = nil, false
}

// pump hands the window to libssh2 and takes in its acknowledgements. With wait false it makes one
// call and returns; with wait true it waits on the socket until at least need bytes are acknowledged
// or everything is. The caller is inside o. On a server error the window is dropped and the error,
// with the offset up to which the file is good, becomes sticky.
func (f *File) pump(o *op, wait bool, need int) error {
	wb := f.wb
	if !wait || wb.window >= wb.max {
		return f.pumpLoop(o, wait, need)
	}
	start := time.Now()
	err := f.pumpLoop(o, wait, need)
	if !o.detached { // a detached o holds no lock (lanes.go)
		wb.waited += time.Since(start)
	}
	return err
}

// pumpLoop is pump without the accounting of the time spent waiting.
func (f *File) pumpLoop(o *op, wait bool, need int) error {
	wb := f.wb
	s := f.sf.s
	got := 0
	for {
		var rc int
		var err error
		if wait {
			if o.lane {
				// The call may stand aside and give up without the session lock (lanes.go):
				// account for it as the interruption below would, while o holds the lock.
				wb.queued = wb.pending()
				wb.count()
			}
			rc, err = f.callPump(o)
		} else {
			rc = f.pumpFn()
		}
		if err != nil && (o.detached || errors.Is(err, errParkedTaken)) {
			return err // o gave up standing aside: the write stays pending, as below
		}
		if err != nil {
			// libssh2 is inside the write (a packet may be half sent): the next operation on the
			// session finishes it with the same bytes (pending.go).
			wb.queued = wb.pending()
			wb.count()
			return o.interrupt(err, &f.pw)
		}
		if rc == cshim.ErrorEAGAIN {
			s.addPending(&f.pw)
			if o.lane && cshim.SessionBlockDirections(s.s)&cshim.SessionBlockOutbound == 0 {
				// Nothing half sent on the connection (a packet the channel's window cut waits
				// inside the SFTP channel, fact 11): the other lanes pass it by (lanes.go).
				f.pw.sent = true
			}
		} else {
			s.dropPending(&f.pw)
		}
		wb.took(rc)
		if rc < 0 && rc != cshim.ErrorEAGAIN {
			e := o.sftpFail(rc)
			e.Offset = wb.off
			wb.err = e
			return e
		}
		if rc > 0 {
			got += rc
			o.w.progress()
		}
		if !wait || got >= need || wb.pending() == 0 {
			return nil
		}
	}
}

// shortWait bounds one wait that callPump makes: under sysmon's 10 ms, so that sysmon never takes
// the P away from the waiting thread, and short enough for a cancelled context to be seen soon.
const shortWait = 5 * time.Millisecond

// pollFor is how long callPump waits in shortWait slices before handing over to s.call's wait:
// longer than a round trip on any link where the window, not the network, is the limit.
const pollFor = 250 * time.Millisecond

// callPump is s.call of f.pumpFn that first waits for the server's acknowledgements on the socket
// itself (pollReadable, a ppoll in a Go system call, not in C), as a blocking C program does, while
// libssh2 waits only to read: one libssh2 call and one ppoll per acknowledgement, without s.call's
// checks around each (bench/README.md). It yields as every call does (pace). When libssh2 must
// send first, the deadline has passed, the context is done, Close woke the operation, or pollFor
// has gone by, it hands over to s.call, which repeats the same call and waits as I2 says: every
// deadline, cancellation and Close is seen within shortWait.
func (f *File) callPump(o *op) (int, error) {
	if o.lane {
		return o.callLane(&f.pw) // on a lane the wait stands aside instead (lanes.go)
	}
	s := f.sf.s
	var start time.Time
	for !s.dead && o.w.ctx.Err() == nil {
		rc := f.pumpFn()
		now := time.Now()
		s.pace(now)
		if rc != cshim.ErrorEAGAIN {
			return rc, nil
		}
		if start.IsZero() {
			start = now
		} else if now.Sub(start) > pollFor {
			break
		}
		d := shortWait
		if dl := s.pollDeadline.Load(); dl != 0 {
			left := time.Duration(dl - now.UnixNano())
			if left <= 0 {
				break
			}
			d = min(d, left)
		}
		if cshim.SessionBlockDirections(s.s)&cshim.SessionBlockOutbound != 0 {
			break
		}
		s.pollReadable(d)
	}
	return s.call(&o.w, f.sf.ch, f.pumpFn)
}

// Write writes p to the file. It returns once p is in the File's upload window, copied, so p may be
// reused at once; the window goes to the server in the background of later calls. Write returns
// n < len(p) only with an error. A failure of bytes written earlier is returned by the next Write,
// ReadFrom, Sync or Close as an *Error whose Offset says up to where the file is good; the File then
// refuses further writes with that error. Bytes are durable only once Sync or Close returns nil.
//
// A deadline, a cancelled context or Close from another goroutine returns the bytes accepted so far
// with the error; they stay in the window and later calls carry on sending them. It implements
// io.Writer.
//
// It wraps libssh2_sftp_write.
func (f *File) Write(p []byte) (int, error) {
	return f.WriteContext(context.Background(), p)
}

// WriteString is Write of a string, without copying it first. It implements io.StringWriter.
//
// It wraps libssh2_sftp_write.
func (f *File) WriteString(s string) (int, error) {
	return f.write(context.Background(), nil, s)
}

// WriteContext is Write bounded by ctx as well.
//
// It wraps libssh2_sftp_write.
func (f *File) WriteContext(ctx context.Context, p []byte) (int, error) {
	return f.write(ctx, p, "")
}

// write writes p, or s when p is nil.
func (f *File) write(ctx context.Context, p []byte, str string) (int, error) {
	var o op
	wb, err := f.startWrite(&o, ctx)
	if err != nil {
		return 0, err
	}
	defer f.endWrite(&o)
	return f.fill(&o, wb, p, str)
}

// fill copies p, or str when p is nil, into the window at its tail, sending full packets and waiting
// for acknowledgements whenever the window is full. The caller is inside o, holding f.wmu.
func (f *File) fill(o *op, wb *writeBehind, p []byte, str string) (int, error) {
	size := len(p)
	if p == nil {
		size = len(str)
	}
	n := 0
	for n < size {
		if wb.pending() >= wb.window {
			if err := f.pump(o, true, packetSize); err != nil {
				return n, err
			}
		}
		room := wb.room(size - n)
		var k int
		if p != nil {
			k = copy(room, p[n:])
		} else {
			k = copy(room, str[n:])
		}
		wb.tail += k
		n += k
		if wb.pending()-wb.queued >= packetSize {
			if err := f.pump(o, false, 0); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// startWrite takes f's write lock (one writer at a time, so that the window's free space handed to
// ReadFrom's reader stays its own) and enters the write; when it succeeds the caller must call
// endWrite.
func (f *File) startWrite(o *op, ctx context.Context) (*writeBehind, error) {
	if f == nil {
		return nil, errInvalid("write", "", fs.ErrInvalid)
	}
	f.wmu.Lock()
	wb, err := f.enterWrite(o, ctx)
	if err != nil {
		f.wmu.Unlock()
	}
	return wb, err
}

// enterWrite enters the operation frame for a write, and readies f's window; when it succeeds the
// caller must call leaveWrite. It checks again everything that another operation may have changed
// while the session was unlocked: f closed, a failure on accepted bytes, f's reading.
func (f *File) enterWrite(o *op, ctx context.Context) (*writeBehind, error) {
	o.cont = pendWrite // f's own pending write is continued, not finished first
	if err := f.begin(o, ctx, "write", dlWrite); err != nil {
		return nil, err
	}
	o.mayPark()
	wb := f.writer()
	if wb.err != nil {
		f.sf.s.end(o)
		return nil, wb.err
	}
	if err := f.beginWrite(o); err != nil { // position.go: writing continues where reading stopped
		f.sf.s.end(o)
		return nil, err
	}
	return wb, nil
}

// leaveWrite ends what enterWrite began.
func (f *File) leaveWrite(o *op) { f.sf.s.end(o) }

// endWrite ends what startWrite began.
func (f *File) endWrite(o *op) {
	f.leaveWrite(o)
	f.wmu.Unlock()
}

// ReadFrom copies from r into the file until r returns io.EOF, reading straight into the upload
// window, so that io.Copy(f, r) copies each byte once on the Go side. It returns the number of bytes
// read from r and accepted; like Write, bytes are durable only once Sync or Close returns nil. It
// implements io.ReaderFrom.
//
// The session is not locked while r.Read runs, so r may be a File of the same session, and a slow r
// holds up no other operation. An error of r is returned as it is, with the bytes r returned before
// it accepted.
//
// It wraps libssh2_sftp_write.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	return f.ReadFromContext(context.Background(), r)
}

// ReadFromContext is ReadFrom bounded by ctx as well; ctx is also checked before each read of r.
//
// It wraps libssh2_sftp_write.
func (f *File) ReadFromContext(ctx context.Context, r io.Reader) (int64, error) {
	var o op
	wb, err := f.startWrite(&o, ctx)
	if err != nil {
		return 0, err
	}
	defer f.wmu.Unlock()
	var total int64
	ask := minWriteBuffer
	for {
		// Refill in steps of a few packets, not one (docs/DESIGN.md, I3): the packets leave in
		// bursts, which wake the server fewer times, and the window, many packets deep, stays
		// about as full.
		refill := max(packetSize, min(refillPackets*packetSize, wb.window/8))
		if wb.window-wb.pending() < refill {
			if err := f.pump(&o, true, refill); err != nil {
				f.leaveWrite(&o)
				return total, err
			}
		}
		// The free space after the tail is f's alone while f.wmu is held: other operations
		// acknowledge, drain or drop the window's bytes, but only a writer moves the tail.
		// A small reader gets a small buffer: what is asked for doubles while r fills it.
		room := wb.room(max(ask, len(wb.buf)-wb.tail))
		f.leaveWrite(&o)
		if err := ctx.Err(); err != nil {
			return total, newError("write", f.name, 0, err)
		}
		k, rerr := r.Read(room)
		if k < 0 || k > len(room) {
			return total, newError("write", f.name, 0, errors.New("reader returned an invalid count"))
		}
		if k == len(room) {
			ask = min(2*ask, wb.window)
		}
		if k > 0 || rerr == nil {
			o = op{}
			if wb, err = f.enterWrite(&o, ctx); err != nil {
				return total, err // f was closed or its window failed meanwhile: the k bytes are not accepted
			}
			wb.tail += k
			total += int64(k)
			if wb.pending()-wb.queued >= packetSize {
				if err := f.pump(&o, false, 0); err != nil {
					f.leaveWrite(&o)
					return total, err
				}
			}
			if rerr == nil {
				continue
			}
			f.leaveWrite(&o)
		}
		if rerr == io.EOF {
			return total, nil
		}
		return total, rerr
	}
}

// settleWrites drains the windows of sf's Files other than o's before o sends a request on sf.
// libssh2 writes a packet that the channel's window cannot take in part, and sends the rest only
// from the next libssh2_sftp_write of that handle: another request sent meanwhile would land inside
// the half-sent packet and corrupt the SFTP stream (docs/DESIGN.md, fact 11). Every byte acknowledged
// means every packet sent. A server error on another File stays with that File. The caller is inside o.
func (sf *SFTP) settleWrites(o *op) error {
	for g := range sf.busy {
		if g == o.f {
			continue
		}
		for g.wb.err == nil && g.wb.pending() > 0 {
			if err := g.pump(o, true, g.wb.pending()); err != nil {
				if g.wb.err == nil {
					return err // a wait cut short: g's write is pending
				}
			}
		}
	}
	return nil
}

// drain waits until every accepted byte is acknowledged. The caller is inside o.
func (f *File) drain(o *op) error {
	wb := f.wb
	if wb == nil {
		return nil
	}
	if wb.err != nil {
		return wb.err
	}
	for wb.pending() > 0 {
		if err := f.pump(o, true, wb.pending()); err != nil {
			return err
		}
	}
	return nil
}

// Sync waits until the server has acknowledged every byte written, then asks it to flush the file to
// stable storage (libssh2_sftp_fsync, the fsync@openssh.com extension) when it offers that.
func (f *File) Sync() error { return f.SyncContext(context.Background()) }

// SyncContext is Sync bounded by ctx as well. A done context fails it before anything is sent.
//
// It wraps libssh2_sftp_write (the drain) and libssh2_sftp_fsync.
func (f *File) SyncContext(ctx context.Context) error {
	var o op
	o.cont = pendWrite
	if err := f.begin(&o, ctx, "sync", dlWrite); err != nil {
		return err
	}
	s := f.sf.s
	defer s.end(&o)
	o.mayPark()
	if err := f.drain(&o); err != nil {
		return err
	}
	h := f.h
	rc, err := o.call(func() int { return cshim.SFTPFsync(h) }, nil)
	if err != nil {
		return err
	}
	if rc < 0 {
		e := o.sftpFail(rc)
		if e.Status == FXOpUnsupported {
			return nil // the server has no fsync@openssh.com: the data was acknowledged
		}
		return e
	}
	return nil
}

// flush waits until every byte written is acknowledged, as Sync does, without asking the server to
// flush the file to disk.
func (f *File) flush(ctx context.Context) error {
	var o op
	o.cont = pendWrite
	if err := f.begin(&o, ctx, "write", dlWrite); err != nil {
		return err
	}
	defer f.sf.s.end(&o)
	return f.drain(&o)
}

// ackedTotal is how many bytes f's writes have had acknowledged in all. It needs no lock: the
// caller is the goroutine that writes f, so f's window exists or not as it last saw.
func (f *File) ackedTotal() int64 {
	if f.wb == nil {
		return 0
	}
	return f.wb.total.Load()
}
