package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// The File's position and the switch between its two pipelines. libssh2 keeps one offset and one
// request queue per handle for both directions, so reading and writing take turns: a read drains
// the writes first (readahead.go, readyRead), and a write drops the read-ahead first (beginWrite).

// seek64 is libssh2_sftp_seek64, which leaves no read request in flight.
func (f *File) seek64(pos int64) {
	cshim.SFTPSeek64(f.h, uint64(pos))
	if f.rd != nil {
		f.rd.active = false
	}
}

// leaveReading makes the handle ready for writing at the File's offset: the buffered bytes are
// dropped and libssh2_sftp_seek64 to the File's offset discards the read requests in flight. The
// caller holds the session lock, with no write in the window and no read of f pending.
func (f *File) leaveReading() {
	rd := f.rd
	if rd == nil {
		return
	}
	if rd.active || rd.r < rd.w || rd.eof {
		pos := f.position()
		rd.r, rd.w, rd.eof, rd.seq = 0, 0, false, 0
		f.seek64(pos)
	}
}

// beginWrite switches f from reading to writing, so that a write continues where reading stopped,
// as with os.File: the read-ahead goes (leaveReading), and the window starts at that position. The
// caller is inside o; writer.go calls it once per write.
func (f *File) beginWrite(o *op) error {
	wb := f.wb
	if f.at.active {
		return f.leaveWriteAt(o)
	}
	if wb.pending() > 0 {
		return nil // already writing: reads drain the window before they start
	}
	f.leaveReading()
	wb.off = int64(cshim.SFTPTell64(f.h))
	return nil
}

// dropReadAhead forgets what was read ahead, keeping the File's offset: after the file changed
// under it (Truncate). The caller holds the session lock, with no read of f pending.
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
	if f.at.active {
		return f.at.pos
	}
	if wb := f.wb; wb != nil && wb.pending() > 0 {
		return wb.off + int64(wb.pending())
	}
	off := int64(cshim.SFTPTell64(f.h))
	if rd := f.rd; rd != nil {
		if rd.pend && rd.restore >= 0 {
			off = rd.restore
		}
		off -= int64(rd.w - rd.r)
	}
	return off
}

// Seek sets the offset of the next Read or Write, like os.File.Seek: relative to the start of the
// file (io.SeekStart), the current offset (io.SeekCurrent) or the end (io.SeekEnd, which asks the
// server for the size with libssh2_sftp_fstat_ex). It returns the new offset. It implements
// io.Seeker.
//
// What it does to the pipelines: Seek(0, io.SeekCurrent) only reports the offset and leaves both
// alone. Any other Seek first drains the writes (waits until the server has acknowledged every
// byte written: libssh2_sftp_seek64 would drop them silently, docs/DESIGN.md fact 2). A target
// inside the bytes already buffered keeps the read-ahead; any other drops the buffer and calls
// libssh2_sftp_seek64, which discards the read requests in flight (their replies are ignored when
// they arrive), so the next Read starts a new read-ahead.
//
// A Seek that runs past the File's deadline fails without moving the File; what it interrupted
// (the drain, or the fstat) is finished by the next operation on the session.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	return f.SeekContext(context.Background(), offset, whence)
}

// SeekContext is Seek bounded by ctx as well.
//
// It wraps libssh2_sftp_seek64, and libssh2_sftp_fstat_ex for io.SeekEnd.
func (f *File) SeekContext(ctx context.Context, offset int64, whence int) (int64, error) {
	if f == nil {
		return 0, errInvalid("seek", "", fs.ErrInvalid)
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	if whence != io.SeekStart && whence != io.SeekCurrent && whence != io.SeekEnd {
		return 0, errInvalid("seek", f.name, fmt.Errorf("%w: whence %d", fs.ErrInvalid, whence))
	}
	var o op
	o.quiet = whence == io.SeekCurrent && offset == 0 // only reports the offset
	if err := f.begin(&o, ctx, "seek", dlFile); err != nil {
		return 0, err
	}
	defer f.sf.s.end(&o)
	if o.quiet {
		return f.position(), nil
	}
	if err := f.readyRead(&o); err != nil {
		return 0, err
	}
	var base int64
	switch whence {
	case io.SeekCurrent:
		base = f.position()
	case io.SeekEnd:
		size, err := f.size(&o)
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

// size asks the server for the file's size (libssh2_sftp_fstat_ex). The caller is inside o. When
// the wait is cut short, the fstat becomes a pending call (libssh2 keeps the fstat state and request
// id per SFTP channel), with attributes of its own to finish into, and the File stays usable.
func (f *File) size(o *op) (int64, error) {
	attrs := new(cshim.Attributes) // a pending fstat owns it
	h := f.h
	rc, err := o.call(func() int { return cshim.SFTPFstatEx(h, attrs, false) }, nil)
	if err != nil {
		return 0, err
	}
	if rc < 0 {
		return 0, o.sftpFail(rc)
	}
	if attrs.Flags&cshim.SFTPAttrSize == 0 {
		return 0, o.fail(0, errors.New("the server did not report the file's size"))
	}
	if attrs.Size > math.MaxInt64 {
		return 0, o.fail(0, fmt.Errorf("size %d out of range", attrs.Size))
	}
	return int64(attrs.Size), nil
}
