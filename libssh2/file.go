package libssh2

import (
	"context"
	"errors"
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// File is an open file on an SFTP server. Its methods follow os.File's.
//
// A File has two pipelines over one libssh2 handle, which keeps a single offset and request queue
// for both: the upload window (Write, ReadFrom: bytes in flight until the server acknowledges them)
// and the download read-ahead (Read, WriteTo: read requests in flight and a read buffer). At most
// one is active. Read, WriteTo, ReadAt and every Seek but Seek(0, io.SeekCurrent) first drain the
// upload window; the first Write after reading drops the read-ahead and writes at the offset where
// reading stopped. The File's offset (Seek(0, io.SeekCurrent)) is always where the next Read or
// Write goes, counting bytes written but not yet acknowledged.
//
// A File is safe for concurrent use in the sense that its calls are serialized with all others on its
// Session; as with os.File, concurrent writes to one File land in an unspecified order.
//
// Close a File when done, and check its error: that is how a writer learns that its bytes reached
// the file. As with an os.File, one dropped without Close is closed some time after the garbage
// collector finds it unreachable (by the Session's next operation, once its bytes in flight are
// acknowledged), and any error is lost.
type File struct {
	sf   *SFTP
	h    *cshim.Handle // nil once closed
	name string
	flag int
	// closing: Close has begun; the File's waiting operation is woken and no other one starts.
	closing atomic.Bool
	// good is goodOffset as the last operation on f left it, for the errors of operations that
	// never got the session lock (outside it f.wb may be changing).
	good atomic.Int64
	// deadlines are set by SetReadDeadline and SetWriteDeadline (both by SetDeadline).
	deadlines
	wb     *writeBehind
	pumpFn func() int
	// pw is the File's write as a pending call (pending.go), made once so that the hot path
	// allocates nothing.
	pw       pending
	rawAcked int        // bytes a RawWrite finished by another operation got acknowledged (raw.go)
	rawPend  *pending   // f's RawWrite, pending
	rd       *readAhead // the download side, made by the first read or seek
	at       writeAt    // the File's offset while the window is WriteAt's (writeat.go)
	readFn   func() int
	// rmu serializes Read, WriteTo and Seek, taken before the session lock: WriteTo hands out the
	// read buffer while the session is unlocked (dst may be a File of the same session).
	rmu sync.Mutex
	// untaken counts bytes of a chunk that WriteTo handed to its writer, which took them and then
	// failed, that the read buffer has not marked as returned yet: the File's next operation does
	// (applyUntaken), so that WriteTo returns without waiting for the session.
	untaken atomic.Int64
	// share, when > 0, is the window a transfer's stream starts with and keeps (startWindow).
	share int
	// wmu serializes Write, WriteString and ReadFrom, taken before the session lock: ReadFrom
	// hands the window's free space to its reader while the session is unlocked.
	wmu sync.Mutex
	// self is f's weak pointer, its key in SFTP.open; cleanup closes f's handle if f is dropped
	// without Close (orphan.go).
	self    weak.Pointer[File]
	cleanup runtime.Cleanup
}

// Name returns the name of the file as given to OpenFile.
func (f *File) Name() string {
	if f == nil {
		return ""
	}
	return f.name
}

// begin enters the operation frame (op.go) for an operation on f.
func (f *File) begin(o *op, ctx context.Context, name string, kind dlKind) error {
	if f == nil {
		return errInvalid(name, "", fs.ErrInvalid)
	}
	return f.sf.s.begin(o, ctx, name, f.name, nil, f, kind)
}

// goodOffset is the offset up to which the remote file is known to hold exactly the bytes written,
// for the errors of writes; -1 when f has written nothing. The caller holds the session lock.
func (f *File) goodOffset() int64 {
	if f.wb == nil {
		return -1
	}
	return f.wb.off
}

// publishGood records goodOffset for the operations that fail without the session lock. The caller
// holds the session lock.
func (f *File) publishGood() { f.good.Store(f.goodOffset()) }

// SetDeadline sets the read and write deadlines of f, like os.File.SetDeadline: an operation that
// runs past it fails with an error wrapping os.ErrDeadlineExceeded, and an operation already
// waiting is held to the new deadline. A zero time means none (then the session's deadline,
// Session.SetDeadline, applies). It is the same as calling both SetReadDeadline and
// SetWriteDeadline.
func (f *File) SetDeadline(t time.Time) error {
	return f.setDeadline(func() { f.rdeadline, f.wdeadline = t, t })
}

// SetReadDeadline sets the deadline of f's reads (Read, ReadAt, WriteTo, RawRead), like
// os.File.SetReadDeadline. A zero time means none.
func (f *File) SetReadDeadline(t time.Time) error {
	return f.setDeadline(func() { f.rdeadline = t })
}

// SetWriteDeadline sets the deadline of f's writes (Write, WriteString, ReadFrom, RawWrite) and of
// Sync and Close, which wait until the writes are acknowledged, like os.File.SetWriteDeadline. A
// zero time means none.
func (f *File) SetWriteDeadline(t time.Time) error {
	return f.setDeadline(func() { f.wdeadline = t })
}

// setDeadline changes f's deadlines with set and applies them to f's waiting operation. It does not
// take the session lock, so that it reaches an operation that holds it.
func (f *File) setDeadline(set func()) error {
	if f == nil {
		return errInvalid("setdeadline", "", fs.ErrInvalid)
	}
	if f.closing.Load() {
		return errClosed("setdeadline", f.name)
	}
	s := f.sf.s
	s.dmu.Lock()
	set()
	s.dmu.Unlock()
	s.deadlineChanged(&f.deadlines)
	return nil
}

// Close drains the File's writes (every byte written is acknowledged by the server, or the error
// says up to where the file is good), then closes the handle (libssh2_sftp_close_handle) and reports
// the server's answer. Closing a closed File returns an error wrapping fs.ErrClosed.
//
// Close may be called from another goroutine while an operation on f waits: that operation returns
// at once with an error wrapping fs.ErrClosed. Close is bounded by the write deadline, else it
// waits at most closeTimeout (5 s) for the session, which another operation may hold, and then at
// most closeTimeout without any answer from the server; when the handle cannot be closed in time,
// its close is left to the next operation on the session, and the File is closed all the same.
// When Close cannot get the session in time, it returns the wait's error and the File is closed
// as soon as the session is free.
// A Close that waits is itself ended by the Close of its SFTP channel or Session from another
// goroutine: it returns an error wrapping fs.ErrClosed, and that Close finishes what it left.
func (f *File) Close() error {
	if f == nil {
		return errInvalid("close", "", fs.ErrInvalid)
	}
	if !f.closing.CompareAndSwap(false, true) {
		return errClosed("close", f.name)
	}
	s := f.sf.s
	s.wakeIf(func(a *active) bool { return a.dl == &f.deadlines })
	ctx := context.Background()
	lockBy := time.Now().Add(closeTimeout)
	if d := s.deadlineFor(&f.deadlines, dlWrite, ctx); !d.IsZero() && d.Before(lockBy) {
		lockBy = d
	}
	var o op
	f.closeOp(&o)
	if o.w.closedByOther() {
		return errClosed("close", f.name) // its channel's or session's Close closes it
	}
	if err := s.acquire(ctx, lockBy); err != nil {
		e := o.failOutside(o.w.err(err))
		if !errors.Is(err, fs.ErrClosed) {
			s.whenFree(func() { // as Close, but never standing aside: the lane has moved on
				var o op
				f.closeOp(&o)
				o.late = true
				f.closeHeld(&o)
			})
		}
		return e
	}
	o.mayPark()
	return f.closeHeld(&o)
}

// closeOp makes o f's Close.
func (f *File) closeOp(o *op) {
	o.quiet = true // closeLocked finishes the pending calls itself
	o.init(f.sf.s, context.Background(), "close", "", nil, f)
	o.w.own, o.w.idle = &f.closing, closeTimeout
}

// takeHandle marks f closed on its channel and returns its handle, which the caller closes or
// queues the close of. What f's window has inside libssh2 goes with the handle's close. The
// caller holds the session lock.
func (f *File) takeHandle() *cshim.Handle {
	h := f.h
	f.h = nil
	if f.wb != nil {
		f.wb.uncount()
	}
	f.wb = nil
	f.sf.forget(f)
	return h
}

// closeAfterLane ends the Close of f that gave up standing aside on its lane (lanes.go), its
// window's write queued as a parked call: as soon as the session is free (Session.whenFree) f is
// closed and its handle's close queued behind that write, marked sent like it. So it sends
// nothing itself and runs no call of the lane, which is its goroutine's alone: the lane's next
// operation, its SFTP.Close or Session.Close finishes the write and then the close, in order, and
// operations on other channels pass both by.
func (f *File) closeAfterLane() {
	f.sf.closeSentWhenFree(func() *cshim.Handle {
		if f.h == nil {
			return nil // the channel's Close closed it
		}
		return f.takeHandle()
	})
}

// closeSentWhenFree queues, as soon as the session is free (Session.whenFree), the close of the
// handle that take returns (nil: none), marked sent like the call of the handle that a lane's
// operation left queued when it gave up standing aside: an operation on another channel that ran
// the close first would free the handle under that call. take runs under the session lock.
func (sf *SFTP) closeSentWhenFree(take func() *cshim.Handle) {
	s := sf.s
	s.whenFree(func() {
		defer s.release()
		if s.s == nil {
			return // the session's Close closed it
		}
		if h := take(); h != nil {
			s.addSent(&pending{call: func() int { return cshim.SFTPCloseHandle(h) }, sf: sf})
		}
	})
}

// closeHeld is Close once o holds the session lock, which it gives back. For a Close finished in
// the background (o.late), its failure is kept for Session.Close (keepLate) before then.
func (f *File) closeHeld(o *op) (err error) {
	s := f.sf.s
	if f.h == nil || s.s == nil {
		s.release()
		return errClosed("close", f.name)
	}
	s.arm(o, dlWrite, o.w.ctx)
	defer func() {
		if !o.detached { // o gave up standing aside without the lock (lanes.go)
			if o.late {
				s.keepLate(err)
			}
			s.disarm(o)
			s.release()
		}
	}()
	return f.closeLocked(o)
}

// closeLocked drains f's writes and closes the handle for o. The caller holds the session lock.
func (f *File) closeLocked(o *op) error {
	if f.h == nil {
		return nil
	}
	s := f.sf.s
	var first error
	o.w.progress()
	if f.wb != nil && s.broken == nil && f.sf.broken == nil {
		// Drain first: closing the handle discards what is in flight and the server's answers to it
		// (docs/DESIGN.md, fact 2). A drain that keeps getting acknowledgements goes on.
		first = f.drain(o)
		if o.detached {
			// o gave up standing aside (lanes.go), without the lock, its write pending.
			f.closeAfterLane()
			return first
		}
	}
	h := f.takeHandle()
	if s.broken == nil && f.sf.broken == nil {
		var err error
		if first != nil && interrupted(first) {
			err = first // the link does not answer: do not wait for it again
		} else {
			o.w.progress()
			err = s.finishPending(o)
		}
		if err != nil {
			// The link does not answer in time: the close waits behind the pending calls, for the
			// next operation (or Session.Close) to finish.
			s.closeHandleLater(f.sf, h)
			if first == nil {
				first = err
			}
			return first
		}
	}
	rc, err := s.closeCall(o, f.sf.ch, func() int { return cshim.SFTPCloseHandle(h) },
		func() { s.closeHandleLater(f.sf, h) })
	switch {
	case o.detached:
		if first != nil {
			return first
		}
		return err // the close stays queued (lanes.go), as later queues it
	case first != nil:
		return first
	case err == errChannelEOF:
		return o.fail(int(ErrorChannelClosed), err)
	case err != nil:
		return o.fail(0, err)
	case rc < 0:
		return o.sftpFail(rc)
	}
	return nil
}
