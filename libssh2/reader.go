package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// DefaultReadBuffer is the largest buffer a File reads into, unless SetReadBuffer says otherwise: 32
// of libssh2's 30000-byte FXP_READ requests. libssh2_sftp_read keeps four times the buffer it is
// given requested ahead, so a long sequential read keeps between 2.88 and 3.84 MB in flight: enough
// for about 100 MB/s at 30 ms round trip. A File starts with a buffer of one request and doubles
// it each time it has read as much in sequence, so a small file costs a few requests and a small
// buffer, and a large download reaches the full read-ahead within its first megabyte.
const DefaultReadBuffer = 32 * packetSize

// maxReadBuffer is the largest useful read buffer: libssh2 caps its read-ahead at four times its
// default channel window (LIBSSH2_CHANNEL_WINDOW_DEFAULT, 2 MiB), so a larger buffer requests no more.
const maxReadBuffer = 2 << 20

// SetReadBuffer sets the largest read buffer of each File that starts reading from now on (default
// DefaultReadBuffer). It is rounded up to a multiple of libssh2's 30000-byte read request and must
// be between 30000 bytes and 2 MiB. libssh2 keeps up to four times the buffer requested ahead of a
// sequential reader, and holds the replies in C memory until they are read: a larger buffer keeps a
// long, fast link busy at the cost of that memory.
func (sf *SFTP) SetReadBuffer(bytes int) error {
	if bytes < packetSize || bytes > maxReadBuffer {
		return errInvalid("setreadbuffer", "", fmt.Errorf("read buffer of %d bytes: want 30000 to 2 MiB", bytes))
	}
	if err := sf.lock("setreadbuffer", ""); err != nil {
		return err
	}
	sf.readBuf = (bytes + packetSize - 1) / packetSize * packetSize
	sf.s.mu.Unlock()
	return nil
}

// readAhead is the download side of a File. libssh2 keeps the read-ahead itself (the FXP_READ
// requests in flight and the replies not yet taken, in C memory, at most four times the buffer it
// is given); buf[r:w] holds the bytes libssh2 has returned and the caller has not taken yet, so
// the File's position is libssh2's offset minus w-r. Every libssh2_sftp_read of sequential reading
// is given the whole buffer, so the read-ahead does not depend on the sizes the caller reads; the
// buffer grows from one request to max as a sequential read goes on (slow start).
type readAhead struct {
	buf  []byte
	r, w int
	max  int    // the largest buffer
	seq  int64  // bytes read in sequence since the last seek, for the buffer's growth
	dst  []byte // what the running libssh2_sftp_read copies into
	eof  bool   // libssh2 said end of file: it answers 0 until the next seek
	// interrupted: a libssh2_sftp_read returned LIBSSH2_ERROR_EAGAIN and its wait failed. libssh2
	// keeps its read state per SFTP channel and may have a request half sent, so the same read must
	// be repeated before anything else is sent on the session (Session.resume is this File).
	interrupted bool
	// restore >= 0: the interrupted read was ReadAt's; once it completes, its bytes are dropped and
	// libssh2's offset goes back to restore.
	restore int64
	scratch [64]byte // where a ReadAt's interrupted read completes
	err     error    // a read that failed while completed for another operation; the next Read reports it
	// fstat: Seek's libssh2_sftp_fstat_ex (for io.SeekEnd) returned EAGAIN and its wait failed.
	// libssh2 keeps the fstat state and request id per SFTP channel, so the same call must be
	// repeated (any handle's fstat would take this one's reply) before anything else is sent.
	fstat bool
	attrs cshim.Attributes // where the interrupted fstat completes
	// active: libssh2_sftp_read ran since the last libssh2_sftp_seek64, so read requests may be in
	// flight on the handle, where a write would trip over them.
	active bool
}

// reader returns f's download side, made on first use. The caller holds the session lock.
func (f *File) reader() *readAhead {
	if f.rd == nil {
		max := f.sf.readBuf
		if max == 0 {
			max = DefaultReadBuffer
		}
		f.rd = &readAhead{buf: make([]byte, packetSize), max: max, restore: -1}
		f.readFn = f.readOnce // bound once: the hot path allocates nothing
	}
	return f.rd
}

// grow doubles the empty read buffer, up to max, once as many bytes as it holds were read in
// sequence. The caller holds the session lock.
func (rd *readAhead) grow() {
	if rd.r == rd.w && len(rd.buf) < rd.max && rd.seq >= int64(len(rd.buf)) {
		rd.buf = make([]byte, min(2*len(rd.buf), rd.max))
		rd.r, rd.w = 0, 0
	}
}

// readOnce is one libssh2_sftp_read into rd.dst.
func (f *File) readOnce() int {
	f.rd.active = true
	return cshim.SFTPRead(f.h, f.rd.dst)
}

// seek64 is libssh2_sftp_seek64, which leaves no read request in flight.
func (f *File) seek64(pos int64) {
	cshim.SFTPSeek64(f.h, uint64(pos))
	if f.rd != nil {
		f.rd.active = false
	}
}

// leaveReading makes the handle ready for writing at the File's offset: libssh2 keeps one offset
// and one request queue per handle for both directions, so an interrupted read (or Seek's fstat)
// is completed, the buffered bytes are dropped and libssh2_sftp_seek64 to the File's offset
// discards the read requests in flight. With w nil (non-blocking faithful calls) an interrupted call
// cannot be completed and is an error. The caller holds the session lock, with no write pending.
func (f *File) leaveReading(w *waiter, op string) error {
	rd := f.rd
	if rd == nil {
		return nil
	}
	if rd.interrupted || rd.fstat {
		if w == nil {
			return &Error{Op: op, Path: f.name, Offset: -1,
				Err: errors.New("a read on this file is unfinished: repeat RawRead until it is done")}
		}
		if err := f.resumeOwn(w); err != nil {
			return &Error{Op: op, Path: f.name, Offset: -1, Err: err}
		}
	}
	if rd.active || rd.r < rd.w || rd.eof {
		pos := f.position()
		rd.r, rd.w, rd.eof, rd.seq = 0, 0, false, 0
		f.seek64(pos)
	}
	return nil
}

// readCall runs libssh2_sftp_read into dst, waiting on the socket as needed. It returns the count
// (0 at end of file). When the wait fails, libssh2 is left inside the read: f is marked to have it
// repeated before anything else goes out (restore says what the bytes are for, see readAhead). The
// caller holds the session lock.
func (f *File) readCall(w *waiter, dst []byte, restore int64) (int, error) {
	rd := f.rd
	s := f.sf.s
	rd.dst = dst
	rc, err := s.call(w, f.readFn)
	rd.dst = nil
	if err != nil {
		rd.interrupted = true
		rd.restore = restore
		s.resume = f
		return 0, &Error{Op: "read", Path: f.name, Offset: -1, Err: err}
	}
	if rc < 0 {
		return 0, f.sf.sftpError("read", f.name, rc, nil)
	}
	if rc == 0 {
		rd.eof = true
	}
	if restore < 0 {
		rd.seq += int64(rc)
	}
	return rc, nil
}

// resume completes f's interrupted libssh2 call, a read, an fstat or a write, before another call
// sends on the session (DESIGN fact 3). The caller holds the session lock.
func (f *File) resume(w *waiter) error {
	if rd := f.rd; rd != nil && (rd.interrupted || rd.fstat) {
		return f.resumeOwn(w)
	}
	return f.resumeWrite(w)
}

// resumeOwn completes f's interrupted read or fstat, if any. The caller holds the session lock.
func (f *File) resumeOwn(w *waiter) error {
	rd := f.rd
	if rd == nil || f.h == nil {
		return nil
	}
	if rd.fstat {
		s := f.sf.s
		_, err := s.call(w, func() int { return cshim.SFTPFstatEx(f.h, &rd.attrs, false) })
		if err != nil {
			return err
		}
		rd.fstat = false // Seek already returned: the answer belongs to nobody now
		if s.resume == f {
			s.resume = nil
		}
		return nil
	}
	return f.resumeRead(w)
}

// resumeRead repeats f's interrupted libssh2_sftp_read until libssh2 is done with it. The bytes of
// a sequential read go to the (empty) buffer, where the next Read finds them, so none is lost or
// returned twice; those of ReadAt are dropped and the offset put back. The caller holds the lock.
func (f *File) resumeRead(w *waiter) error {
	rd := f.rd
	s := f.sf.s
	if f.h == nil || !rd.interrupted {
		return nil
	}
	dst := rd.buf
	if rd.restore >= 0 {
		dst = rd.scratch[:]
	}
	rd.dst = dst
	rc, err := s.call(w, f.readFn)
	rd.dst = nil
	if err != nil {
		return err
	}
	rd.interrupted = false
	if s.resume == f {
		s.resume = nil
	}
	if rd.restore >= 0 {
		// ReadAt already returned: its bytes, and any failure, belong to nobody now.
		f.seek64(rd.restore)
		rd.restore = -1
		rd.eof = false
		return nil
	}
	switch {
	case rc > 0:
		rd.r, rd.w = 0, rc
		rd.seq += int64(rc)
	case rc == 0:
		rd.eof = true
	default:
		rd.err = f.sf.sftpError("read", f.name, rc, nil)
	}
	return nil
}

// readyRead makes the session and f ready to read: another File's interrupted call is completed,
// then f's own interrupted read, then f's writes are drained (every byte acknowledged), so that the
// read sees them and libssh2's offset is the end of what was written. The caller holds the lock.
func (f *File) readyRead(w *waiter, op string) error {
	s := f.sf.s
	f.reader()
	if s.resume != nil && s.resume != f {
		if err := s.settle(w, op, f.name); err != nil {
			return err
		}
	}
	if f.rd.interrupted || f.rd.fstat {
		if err := f.resumeOwn(w); err != nil {
			return &Error{Op: op, Path: f.name, Offset: -1, Err: err}
		}
	}
	if f.wb != nil && f.wb.pending() > 0 {
		if err := f.drain(w); err != nil {
			return err
		}
	}
	return nil
}

// beginWrite switches f from reading to writing, so that a write continues where reading stopped,
// as with os.File. libssh2 keeps one offset and one request queue per handle for both directions,
// so the read-ahead must go first: an interrupted read is completed, the buffered bytes are dropped
// and libssh2_sftp_seek64 to the File's position discards the requests in flight. The window then
// starts at that position. The caller holds the session lock; writer.go calls it once per write.
func (f *File) beginWrite(w *waiter) error {
	wb := f.wb
	if wb.pending() > 0 {
		return nil // already writing: reads drain the window before they start
	}
	if err := f.leaveReading(w, "write"); err != nil {
		return err
	}
	wb.off = int64(cshim.SFTPTell64(f.h))
	return nil
}

// dropReadAhead forgets what was read ahead, keeping the File's offset: after the file changed
// under it (Truncate). The caller holds the session lock, with no read interrupted.
func (f *File) dropReadAhead() {
	rd := f.rd
	if rd == nil {
		return
	}
	pos := f.position()
	rd.r, rd.w, rd.eof, rd.seq = 0, 0, false, 0
	f.seek64(pos)
}

// position is the File's offset: where the next Read reads and the next Write writes. The caller
// holds the session lock.
func (f *File) position() int64 {
	if wb := f.wb; wb != nil && wb.pending() > 0 {
		return wb.off + int64(wb.pending())
	}
	off := int64(cshim.SFTPTell64(f.h))
	if rd := f.rd; rd != nil {
		if rd.restore >= 0 {
			off = rd.restore
		}
		off -= int64(rd.w - rd.r)
	}
	return off
}

// Read reads up to len(p) bytes from the file, like os.File.Read: at end of file it returns 0 and
// io.EOF itself (not wrapped). It implements io.Reader.
//
// Reads are pipelined: libssh2 keeps up to four times the File's read buffer (SFTP.SetReadBuffer)
// requested ahead of the File's position, and the File buffers what libssh2 returns, so small reads
// cost no network round trip and no C call until the buffer is empty; a Read of at least the
// buffer's size reads straight into p. A Read first drains the File's writes (waits until the
// server has acknowledged every byte written), so it sees them. Once end of file is reached libssh2
// remembers it: a Read returns io.EOF without asking the server again until a Seek (any but
// Seek(0, io.SeekCurrent)) or a Write, so to read what another writer appended since, Seek to the
// offset first.
//
// A Read that runs past the File's deadline or its context (ReadContext) returns an error wrapping
// os.ErrDeadlineExceeded or the context's error, with no bytes. libssh2 is then left inside its
// read; the File stays usable: the next operation on the session completes that read first, and
// its bytes are kept for the next Read, so no byte is lost or returned twice.
func (f *File) Read(p []byte) (int, error) {
	return f.ReadContext(context.Background(), p)
}

// ReadContext is Read bounded by ctx as well.
func (f *File) ReadContext(ctx context.Context, p []byte) (int, error) {
	if f == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	if err := f.lock("read"); err != nil {
		return 0, err
	}
	s := f.sf.s
	defer s.mu.Unlock()
	w := s.newWaiter(ctx, f.readDeadline())
	defer w.done()
	if err := f.readyRead(&w, "read"); err != nil {
		return 0, err
	}
	rd := f.rd
	if rd.err != nil {
		err := rd.err
		rd.err = nil
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if rd.r < rd.w {
		n := copy(p, rd.buf[rd.r:rd.w])
		rd.r += n
		return n, nil
	}
	if rd.eof {
		return 0, io.EOF
	}
	rd.grow()
	if len(p) >= len(rd.buf) {
		n, err := f.readCall(&w, p[:len(rd.buf)], -1)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
	n, err := f.readCall(&w, rd.buf, -1)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	rd.w = n
	rd.r = copy(p, rd.buf[:n])
	return rd.r, nil
}

// WriteTo writes the file's content from the File's position to its end into dst, and returns the
// number of bytes written. It reads into the File's buffer and writes from there, so io.Copy(dst, f)
// copies each byte once on the Go side, with the read-ahead of Read. The session is not locked while
// dst.Write runs, so dst may be another File of the same session. An error from dst is returned as
// it is; the bytes dst did not take stay in the File's buffer for the next Read or WriteTo. A
// deadline or cancelled context leaves the File as Read describes. It implements io.WriterTo.
func (f *File) WriteTo(dst io.Writer) (int64, error) {
	return f.WriteToContext(context.Background(), dst)
}

// WriteToContext is WriteTo bounded by ctx as well; ctx is also checked between chunks.
func (f *File) WriteToContext(ctx context.Context, dst io.Writer) (int64, error) {
	if f == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	var total int64
	taken := 0
	for {
		chunk, err := f.nextChunk(ctx, taken)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, werr := dst.Write(chunk)
		if n < 0 || n > len(chunk) {
			n = 0
			if werr == nil {
				werr = &Error{Op: "read", Path: f.name, Offset: -1, Err: errors.New("writer returned an invalid count")}
			}
		}
		total += int64(n)
		taken = n
		if werr == nil && n < len(chunk) {
			werr = io.ErrShortWrite
		}
		if werr != nil {
			f.sf.s.mu.Lock()
			f.take(n)
			f.sf.s.mu.Unlock()
			return total, werr
		}
	}
}

// take marks n buffered bytes as returned. The caller holds the session lock.
func (f *File) take(n int) {
	if rd := f.rd; rd != nil {
		rd.r = min(rd.r+n, rd.w)
	}
}

// nextChunk marks taken buffered bytes as returned and returns the buffered bytes, reading more
// when there are none; io.EOF at end of file. The slice is f's buffer: the caller holds f.rmu, which
// keeps other reads out of it while the session is unlocked.
func (f *File) nextChunk(ctx context.Context, taken int) ([]byte, error) {
	if err := f.lock("read"); err != nil {
		return nil, err
	}
	s := f.sf.s
	defer s.mu.Unlock()
	f.take(taken)
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: "read", Path: f.name, Offset: -1, Err: err}
	}
	w := s.newWaiter(ctx, f.readDeadline())
	defer w.done()
	if err := f.readyRead(&w, "read"); err != nil {
		return nil, err
	}
	rd := f.rd
	if rd.err != nil {
		err := rd.err
		rd.err = nil
		return nil, err
	}
	if rd.r < rd.w {
		return rd.buf[rd.r:rd.w], nil
	}
	if rd.eof {
		return nil, io.EOF
	}
	rd.grow()
	n, err := f.readCall(&w, rd.buf, -1)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, io.EOF
	}
	rd.r, rd.w = 0, n
	return rd.buf[:n], nil
}

// Seek sets the offset of the next Read or Write, like os.File.Seek: relative to the start of the
// file (io.SeekStart), the current offset (io.SeekCurrent) or the end (io.SeekEnd, which asks the
// server for the size with libssh2_sftp_fstat_ex). It returns the new offset. It implements
// io.Seeker.
//
// What it does to the pipelines: Seek(0, io.SeekCurrent) only reports the offset and leaves both
// alone. Any other Seek first drains the writes (waits until the server has acknowledged every
// byte written: libssh2_sftp_seek64 would drop them silently, DESIGN fact 2) and completes an
// interrupted read. A target inside the bytes already buffered keeps the read-ahead; any other
// drops the buffer and calls libssh2_sftp_seek64, which discards the read requests in flight (their
// replies are ignored when they arrive), so the next Read starts a new read-ahead.
//
// A Seek that runs past the File's deadline fails without moving the File; what it interrupted
// (the drain, or the fstat) is completed by the next operation on the session.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	if f == nil {
		return 0, errInvalid("seek", "", fs.ErrInvalid)
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	if err := f.lock("seek"); err != nil {
		return 0, err
	}
	s := f.sf.s
	defer s.mu.Unlock()
	if whence == io.SeekCurrent && offset == 0 {
		return f.position(), nil
	}
	if whence != io.SeekStart && whence != io.SeekCurrent && whence != io.SeekEnd {
		return 0, errInvalid("seek", f.name, fmt.Errorf("%w: whence %d", fs.ErrInvalid, whence))
	}
	w := s.newWaiter(context.Background(), f.opDeadline())
	defer w.done()
	if err := f.readyRead(&w, "seek"); err != nil {
		return 0, err
	}
	var base int64
	switch whence {
	case io.SeekCurrent:
		base = f.position()
	case io.SeekEnd:
		size, err := f.size(&w, "seek")
		if err != nil {
			return 0, err
		}
		base = size
	}
	if (offset > 0 && base > math.MaxInt64-offset) || base+offset < 0 {
		return 0, errInvalid("seek", f.name, fmt.Errorf("%w: offset %d from %d", fs.ErrInvalid, offset, base))
	}
	f.seekTo(base + offset)
	return base + offset, nil
}

// seekTo moves the File to pos after readyRead. The caller holds the session lock.
func (f *File) seekTo(pos int64) {
	rd := f.rd
	cur := f.position()
	if buffered := int64(rd.w - rd.r); pos >= cur && (pos-cur < buffered || pos-cur == buffered && !rd.eof) {
		rd.r += int(pos - cur) // inside the buffer: keep the read-ahead
		return
	}
	rd.r, rd.w, rd.eof, rd.seq = 0, 0, false, 0
	f.seek64(pos)
}

// size asks the server for the file's size (libssh2_sftp_fstat_ex). The caller holds the lock.
// When the wait fails, libssh2 is left inside the fstat: f is marked to have it repeated before
// anything else goes out (see readAhead.fstat), and the File stays usable.
func (f *File) size(w *waiter, op string) (int64, error) {
	s := f.sf.s
	attrs := &f.rd.attrs
	rc, err := s.call(w, func() int { return cshim.SFTPFstatEx(f.h, attrs, false) })
	if err != nil {
		f.rd.fstat = true
		s.resume = f
		return 0, s.waitError(op, f.name, err)
	}
	if rc < 0 {
		return 0, f.sf.sftpError(op, f.name, rc, nil)
	}
	if attrs.Flags&cshim.SFTPAttrSize == 0 {
		return 0, &Error{Op: op, Path: f.name, Offset: -1, Err: errors.New("the server did not report the file's size")}
	}
	if attrs.Size > math.MaxInt64 {
		return 0, &Error{Op: op, Path: f.name, Offset: -1, Err: fmt.Errorf("size %d out of range", attrs.Size)}
	}
	return int64(attrs.Size), nil
}

// ReadAt reads len(p) bytes from the file starting at offset off, like os.File.ReadAt: it returns
// n < len(p) only with an error, io.EOF itself when the file ends first. It does not move the File's
// offset. It implements io.ReaderAt; parallel calls are safe, and run one at a time.
//
// libssh2 has one offset and one read-ahead per handle, so ReadAt borrows them under the session
// lock: it drains the File's writes and completes an interrupted read (as Seek does), seeks to off
// (libssh2_sftp_seek64, which discards the sequential read-ahead in flight), reads with a
// read-ahead sized to what is left of p, so that little is requested past it, and seeks back. The
// bytes already in the File's buffer are kept. Its cost is therefore at least one round trip per
// call, and the next sequential Read starts its read-ahead again: interleaving ReadAt with Read
// works but is slower than either alone.
//
// When ReadAt runs past the deadline, it returns what it has with the error; libssh2's read is
// completed by the next operation on the session, which drops its bytes and restores the offset.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	return f.ReadAtContext(context.Background(), p, off)
}

// ReadAtContext is ReadAt bounded by ctx as well.
func (f *File) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if f == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	if off < 0 {
		return 0, errInvalid("read", f.name, fmt.Errorf("%w: negative offset %d", fs.ErrInvalid, off))
	}
	if err := f.lock("read"); err != nil {
		return 0, err
	}
	s := f.sf.s
	defer s.mu.Unlock()
	w := s.newWaiter(ctx, f.readDeadline())
	defer w.done()
	if err := f.readyRead(&w, "read"); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	rd := f.rd
	back := int64(cshim.SFTPTell64(f.h)) // the end of the buffered bytes
	f.seek64(off)
	n := 0
	var err error
	for n < len(p) {
		var k int
		k, err = f.readCall(&w, p[n:n+f.readAtSize(len(p)-n)], back)
		if err != nil {
			break
		}
		if k == 0 {
			err = io.EOF
			break
		}
		n += k
	}
	if !rd.interrupted {
		f.seek64(back)
		rd.eof = false
	}
	return n, err
}

// readAtSize is the buffer to give libssh2_sftp_read when rem bytes are still wanted. libssh2
// requests four times its buffer ahead, so a quarter of rem requests about rem; the read buffer's
// size bounds the read-ahead as for Read.
func (f *File) readAtSize(rem int) int {
	return min((rem+3)/4, f.rd.max)
}

// RawRead is libssh2_sftp_read with its semantics, for code ported from C. Most programs want Read
// or WriteTo instead.
//
// libssh2 reads ahead: it keeps up to four times len(p) requested from the server (at most 8 MiB,
// in requests of at most 30000 bytes) and returns what has arrived, up to len(p) bytes, as soon as
// it has any; tiny buffers therefore make tiny requests. At end of file libssh2 returns 0, which
// RawRead reports as 0 and io.EOF. Bytes that Read or WriteTo buffered and have not returned yet
// come first, so RawRead and Read can be mixed.
//
// RawRead waits on the socket while libssh2 would block, bounded by the deadline, like Read; on a
// session set with SetNonblocking(true) it returns ErrWouldBlock (an *Error with Code ErrorEAGAIN)
// instead, with nothing read: wait with Session.WaitSocket and call RawRead again (libssh2 keeps
// its read state per SFTP channel, so the next read on the channel must be this File's). An
// idiomatic operation on the session meanwhile completes the read itself, and keeps the bytes for
// the next RawRead or Read.
func (f *File) RawRead(p []byte) (int, error) {
	if f == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	if err := f.lock("read"); err != nil {
		return 0, err
	}
	s := f.sf.s
	defer s.mu.Unlock()
	rd := f.reader()
	if rd.err != nil {
		err := rd.err
		rd.err = nil
		return 0, err
	}
	if rd.r < rd.w {
		n := copy(p, rd.buf[rd.r:rd.w])
		rd.r += n
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !s.nonblock {
		w := s.newWaiter(context.Background(), f.readDeadline())
		defer w.done()
		if err := f.readyRead(&w, "read"); err != nil {
			return 0, err
		}
		if rd.r < rd.w { // completing an interrupted read buffered bytes
			n := copy(p, rd.buf[rd.r:rd.w])
			rd.r += n
			return n, nil
		}
		n, err := f.readCall(&w, p, -1)
		if err == nil && n == 0 {
			err = io.EOF
		}
		return n, err
	}
	if f.wb != nil && f.wb.pending() > 0 {
		return 0, &Error{Op: "read", Path: f.name, Offset: -1,
			Err: errors.New("writes are in flight: Sync first (libssh2 would take their replies for reads)")}
	}
	if rd.restore >= 0 || rd.fstat {
		// ReadAt's or Seek's call is unfinished: RawRead cannot take it over.
		return 0, &Error{Op: "read", Path: f.name, Code: Code(cshim.ErrorEAGAIN), Offset: -1,
			Err: errors.New("an interrupted ReadAt or Seek must be completed first (use a blocking call)")}
	}
	rd.dst = p
	rc := f.readFn()
	rd.dst = nil
	switch {
	case rc == cshim.ErrorEAGAIN:
		// Like an interrupted Read: the next read on the channel must be this one.
		rd.interrupted, rd.restore = true, -1
		s.resume = f
		return 0, f.sf.sftpError("read", f.name, rc, nil)
	case rd.interrupted:
		rd.interrupted = false
		if s.resume == f {
			s.resume = nil
		}
	}
	if rc < 0 {
		return 0, f.sf.sftpError("read", f.name, rc, nil)
	}
	if rc == 0 {
		rd.eof = true
		return 0, io.EOF
	}
	return rc, nil
}

// Open opens the named file for reading, like os.Open (libssh2_sftp_open_ex with LIBSSH2_FXF_READ).
// A missing file is an error wrapping fs.ErrNotExist.
func (sf *SFTP) Open(name string) (*File, error) {
	return sf.OpenFile(name, os.O_RDONLY, 0)
}
