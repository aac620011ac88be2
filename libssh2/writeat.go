package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// WriteAt goes through the File's upload window like Write, so that consecutive WriteAts at
// increasing offsets stay pipelined; only a jump to another offset drains the window first (a seek
// would drop the bytes in flight, docs/DESIGN.md fact 2). Since WriteAt must not move the File's
// offset, the offset is kept aside while the window is WriteAt's, and the next Write, Read or Seek
// puts the handle back there (leaveWriteAt).

// writeAt is the File's offset kept aside while its window writes for WriteAt.
type writeAt struct {
	active bool
	pos    int64
}

// WriteAt writes len(p) bytes to the file starting at byte offset off, like os.File.WriteAt: the
// File's offset is not changed, and n < len(p) comes only with an error. As with Write, WriteAt
// returns once p is in the upload window, copied; bytes are durable only once Sync or Close returns
// nil, and a failure of accepted bytes is reported by a later write, Sync or Close with the offset
// up to which the file is good. WriteAts at consecutive offsets are pipelined like Writes; one at
// another offset first waits until the server has acknowledged the bytes before it. WriteAt fails on
// a File opened with os.O_APPEND. It implements io.WriterAt.
//
// It wraps libssh2_sftp_seek64 and libssh2_sftp_write.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	return f.WriteAtContext(context.Background(), p, off)
}

// WriteAtContext is WriteAt bounded by ctx as well.
//
// It wraps libssh2_sftp_seek64 and libssh2_sftp_write.
func (f *File) WriteAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if f == nil {
		return 0, errInvalid("write", "", fs.ErrInvalid)
	}
	if off < 0 {
		return 0, errInvalid("write", f.name, fmt.Errorf("%w: negative offset %d", fs.ErrInvalid, off))
	}
	if f.flag&os.O_APPEND != 0 {
		return 0, errInvalid("write", f.name, errors.New("WriteAt on a file opened with O_APPEND"))
	}
	var o op
	f.wmu.Lock()
	defer f.wmu.Unlock()
	o.cont = pendWrite // f's own pending write is continued, not finished first
	if err := f.begin(&o, ctx, "write", dlWrite); err != nil {
		return 0, err
	}
	defer f.sf.s.end(&o)
	wb := f.writer()
	if wb.err != nil {
		return 0, wb.err
	}
	if !f.at.active {
		pos := f.position()
		if wb.pending() == 0 {
			f.leaveReading()
		}
		f.at = writeAt{active: true, pos: pos}
	}
	if f.windowEnd() != off {
		if err := f.drain(&o); err != nil {
			return 0, err
		}
		f.seek64(off)
	}
	if wb.pending() == 0 {
		wb.off = off
	}
	return f.fill(&o, wb, p, "")
}

// windowEnd is the file offset of the window's next byte. The caller holds the session lock, with f
// not reading.
func (f *File) windowEnd() int64 {
	if wb := f.wb; wb.pending() > 0 {
		return wb.off + int64(wb.pending())
	}
	return int64(cshim.SFTPTell64(f.h))
}

// leaveWriteAt gives the handle back to the File's offset after WriteAts: at once when the window
// ends there, else once the window is acknowledged. The caller is inside o.
func (f *File) leaveWriteAt(o *op) error {
	if f.windowEnd() != f.at.pos {
		if err := f.drain(o); err != nil {
			return err
		}
		f.seek64(f.at.pos)
	}
	if f.wb.pending() == 0 {
		f.wb.off = f.at.pos
	}
	f.at.active = false
	return nil
}
