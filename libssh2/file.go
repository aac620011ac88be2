package libssh2

import (
	"context"
	"io/fs"
	"sync"
	"time"

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
type File struct {
	sf   *SFTP
	h    *cshim.Handle // nil once closed
	name string
	flag int
	// rdeadline and wdeadline are set by SetReadDeadline and SetWriteDeadline (both by
	// SetDeadline); zero: the session's deadline applies.
	rdeadline, wdeadline time.Time
	wb                   *writeBehind
	pumpFn               func() int
	rd                   *readAhead // the download side, made by the first read or seek
	readFn               func() int
	// rmu serializes Read, WriteTo and Seek, taken before the session lock: WriteTo hands out the
	// read buffer while the session is unlocked (dst may be a File of the same session).
	rmu sync.Mutex
	// wmu serializes Write, WriteString and ReadFrom, taken before the session lock: ReadFrom
	// hands the window's free space to its reader while the session is unlocked.
	wmu sync.Mutex
}

// Name returns the name of the file as given to OpenFile.
func (f *File) Name() string {
	if f == nil {
		return ""
	}
	return f.name
}

// lock takes the session lock for an operation on f.
func (f *File) lock(op string) error {
	if f == nil {
		return errInvalid(op, "", fs.ErrInvalid)
	}
	if err := f.sf.s.lock(op, f.name); err != nil {
		return err
	}
	if f.h == nil {
		f.sf.s.mu.Unlock()
		return errClosed(op, f.name)
	}
	return nil
}

// readDeadline is the deadline of f's reads: its own, else its session's.
func (f *File) readDeadline() time.Time {
	if !f.rdeadline.IsZero() {
		return f.rdeadline
	}
	return f.sf.s.opDeadline
}

// writeDeadline is the deadline of f's writes, and of Sync and Close, which wait for them.
func (f *File) writeDeadline() time.Time {
	if !f.wdeadline.IsZero() {
		return f.wdeadline
	}
	return f.sf.s.opDeadline
}

// opDeadline is the deadline of f's other operations (Seek, Stat, Truncate, ...), which may wait
// for reads and writes: the earlier of f's own, else its session's.
func (f *File) opDeadline() time.Time {
	r, w := f.rdeadline, f.wdeadline
	switch {
	case r.IsZero() && w.IsZero():
		return f.sf.s.opDeadline
	case r.IsZero() || (!w.IsZero() && w.Before(r)):
		return w
	}
	return r
}

// SetDeadline sets the read and write deadlines of f, like os.File.SetDeadline: an operation that
// runs past it fails with an error wrapping os.ErrDeadlineExceeded. A zero time means none (then
// the session's deadline, Session.SetDeadline, applies). It is the same as calling both
// SetReadDeadline and SetWriteDeadline.
func (f *File) SetDeadline(t time.Time) error {
	if err := f.lock("setdeadline"); err != nil {
		return err
	}
	f.rdeadline, f.wdeadline = t, t
	f.sf.s.mu.Unlock()
	return nil
}

// SetReadDeadline sets the deadline of f's reads (Read, ReadAt, WriteTo, RawRead), like
// os.File.SetReadDeadline. A zero time means none.
func (f *File) SetReadDeadline(t time.Time) error {
	if err := f.lock("setdeadline"); err != nil {
		return err
	}
	f.rdeadline = t
	f.sf.s.mu.Unlock()
	return nil
}

// SetWriteDeadline sets the deadline of f's writes (Write, WriteString, ReadFrom, RawWrite) and of
// Sync and Close, which wait until the writes are acknowledged, like os.File.SetWriteDeadline. A
// zero time means none.
func (f *File) SetWriteDeadline(t time.Time) error {
	if err := f.lock("setdeadline"); err != nil {
		return err
	}
	f.wdeadline = t
	f.sf.s.mu.Unlock()
	return nil
}

// RawWrite is libssh2_sftp_write with its exact semantics, for code ported from C. Most programs
// want Write or ReadFrom instead.
//
// libssh2 writes ahead: it cuts all of p that it has not seen yet into SFTP write packets of at most
// 30000 bytes, copies and queues them, sends what the socket takes, and returns the number of bytes
// the server has acknowledged since the last call, which may be less than len(p), and may be 0. The
// next call must pass the same bytes again, starting right after the acknowledged ones: libssh2 skips
// the bytes it already queued without reading them, so different bytes there are silently ignored and
// the file is corrupted. Everything passed is queued at once, so pass a bounded window, not a whole
// file. Before closing, repeat the call until every byte is acknowledged: closing discards what is
// still in flight and loses the server's answers to it.
//
// On a server error (err with Code ErrorSFTPProtocol and the SFTP status), libssh2 drops everything
// in flight and the file is known good up to the bytes acknowledged before; resume from there.
//
// RawWrite waits on the socket while libssh2 would block, bounded by the deadline. On a session set
// with SetNonblocking(true) it returns ErrWouldBlock (as an *Error with Code ErrorEAGAIN) instead:
// wait with Session.WaitSocket and call again with the same bytes. Until then nothing else may be
// sent on the session.
//
// After reading, RawWrite first drops the read-ahead (libssh2 keeps one request queue per handle
// for both directions) and writes at the File's offset, as Write does.
func (f *File) RawWrite(p []byte) (int, error) {
	if err := f.lock("write"); err != nil {
		return 0, err
	}
	s := f.sf.s
	defer s.mu.Unlock()
	var rc int
	if s.nonblock {
		if err := f.leaveReading(nil, "write"); err != nil {
			return 0, err
		}
		rc = cshim.SFTPWrite(f.h, p)
	} else {
		w := s.newWaiter(context.Background(), f.writeDeadline())
		if err := f.leaveReading(&w, "write"); err != nil {
			w.done()
			return 0, err
		}
		var err error
		rc, err = s.call(&w, func() int { return cshim.SFTPWrite(f.h, p) })
		w.done()
		if err != nil {
			// libssh2 is inside the call: the caller must repeat it with the same bytes, as after
			// LIBSSH2_ERROR_EAGAIN.
			return 0, &Error{Op: "write", Path: f.name, Code: Code(cshim.ErrorEAGAIN), Offset: -1, Err: err}
		}
	}
	if rc < 0 {
		return 0, f.sf.sftpError("write", f.name, rc, nil)
	}
	return rc, nil
}

// Close closes the file (libssh2_sftp_close_handle) and reports the server's answer. Closing a closed
// File returns an error wrapping fs.ErrClosed.
func (f *File) Close() error {
	if err := f.lock("close"); err != nil {
		return err
	}
	s := f.sf.s
	defer s.mu.Unlock()
	ctx := context.Background()
	if d := f.writeDeadline(); !d.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	return f.closeLocked(ctx)
}

// closeLocked closes the handle; the caller holds the session lock.
func (f *File) closeLocked(ctx context.Context) error {
	if f.h == nil {
		return nil
	}
	s := f.sf.s
	var first error
	if f.wb != nil && s.broken == nil {
		// Drain first: closing the handle discards what is in flight and the server's answers to it
		// (DESIGN fact 2).
		w := s.newWaiter(ctx, time.Time{})
		first = f.drain(&w)
		w.done()
	}
	if f.rd != nil && (f.rd.interrupted || f.rd.fstat) && s.broken == nil {
		// libssh2 is inside a read or fstat of this handle: complete it, or nothing else may be sent.
		w := s.newWaiter(ctx, time.Time{})
		f.resumeOwn(&w)
		w.done()
	}
	if s.resume == f {
		// The drain was cut short with libssh2 inside a write: nothing else may be sent politely.
		s.kill()
	}
	rc, err := s.closeCall(ctx, func() int { return cshim.SFTPCloseHandle(f.h) })
	f.h = nil
	f.wb = nil
	delete(f.sf.files, f)
	switch {
	case first != nil:
		return first
	case err != nil:
		return s.waitError("close", f.name, err)
	case rc < 0:
		return f.sf.sftpError("close", f.name, rc, nil)
	}
	return nil
}
