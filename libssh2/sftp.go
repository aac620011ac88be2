package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
	"github.com/seed191f4051/go-libssh2/internal/errmap"
)

// SFTP is an SFTP channel on a Session. Its methods mirror the os package's names.
//
// An SFTP is safe for concurrent use; its calls are serialized with all others on its Session.
type SFTP struct {
	s      *Session
	p      *cshim.SFTP // nil once closed
	files  map[*File]struct{}
	window int // the write window of files opened from now on

	// readBuf is the read buffer of files that start reading from now on; 0: DefaultReadBuffer.
	readBuf int
}

// SetWriteWindow sets the most bytes each File opened from now on keeps in flight while uploading
// (default DefaultWriteWindow); a File starts with 480000 bytes or this, if smaller, and grows its
// window up to this while the round trip holds it back. It is rounded up to a multiple of libssh2's
// 30000-byte write packet; it must be between 30000 bytes and 64 MiB. Each File holds up to twice
// the window in memory, and libssh2 a copy of what is in flight.
func (sf *SFTP) SetWriteWindow(bytes int) error {
	if bytes < packetSize || bytes > 64<<20 {
		return errInvalid("setwritewindow", "", fmt.Errorf("window of %d bytes: want 30000 to 64 MiB", bytes))
	}
	if err := sf.lock("setwritewindow", ""); err != nil {
		return err
	}
	sf.window = (bytes + packetSize - 1) / packetSize * packetSize
	sf.s.mu.Unlock()
	return nil
}

// SFTP starts the SFTP subsystem on the session (libssh2_sftp_init). It is bounded by the session's
// deadline (Session.SetDeadline); SFTPContext takes a context as well.
func (s *Session) SFTP() (*SFTP, error) { return s.SFTPContext(context.Background()) }

// SFTPContext is SFTP bounded by ctx as well.
func (s *Session) SFTPContext(ctx context.Context) (*SFTP, error) {
	if s == nil {
		return nil, errInvalid("sftp", "", fs.ErrInvalid)
	}
	if err := s.lock("sftp", ""); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	w := s.newWaiter(ctx, s.opDeadline)
	defer w.done()
	if err := s.settle(&w, "sftp", ""); err != nil {
		return nil, err
	}
	var p *cshim.SFTP
	rc, err := s.call(&w, func() int {
		p = cshim.SFTPInit(s.s)
		if p != nil {
			return 0
		}
		return s.lastErrno()
	})
	if err != nil {
		s.broken = ErrSessionBroken
		return nil, s.waitError("sftp", "", err)
	}
	if rc < 0 {
		return nil, s.errorf("sftp", "", rc, nil)
	}
	sf := &SFTP{s: s, p: p, files: map[*File]struct{}{}, window: DefaultWriteWindow}
	s.sftps[sf] = struct{}{}
	return sf, nil
}

// lastErrno is libssh2_session_last_errno for a call that returned NULL, never 0: a NULL without an
// error code is reported as a protocol error rather than taken for success.
func (s *Session) lastErrno() int {
	if e := cshim.SessionLastErrno(s.s); e < 0 {
		return e
	}
	return int(errmap.Proto)
}

// SetDeadline sets the deadline for the session's operations that have no deadline of their own (a
// File's deadline, set with File.SetDeadline, takes precedence for its operations). A zero time means
// no deadline. An operation that runs past it fails with an error wrapping os.ErrDeadlineExceeded.
func (s *Session) SetDeadline(t time.Time) error {
	if s == nil {
		return errInvalid("setdeadline", "", fs.ErrInvalid)
	}
	s.mu.Lock()
	s.opDeadline = t
	s.mu.Unlock()
	return nil
}

// sftpError makes the error for a failed SFTP call, with the SFTP status when libssh2 reports a
// protocol error (libssh2_sftp_last_error is meaningful only then). The caller holds the session lock.
func (sf *SFTP) sftpError(op, path string, rc int, cause error) *Error {
	e := sf.s.errorf(op, path, rc, cause)
	if rc == int(errmap.SFTPProtocol) {
		e.Status = Status(cshim.SFTPLastError(sf.p))
	}
	return e
}

// lock takes the session lock for an operation on this channel.
func (sf *SFTP) lock(op, path string) error {
	if sf == nil {
		return errInvalid(op, path, fs.ErrInvalid)
	}
	if err := sf.s.lock(op, path); err != nil {
		return err
	}
	if sf.p == nil {
		sf.s.mu.Unlock()
		return errClosed(op, path)
	}
	return nil
}

// checkPath refuses names that cannot reach the server intact, before any C call.
func checkPath(op, name string) error {
	if name == "" {
		return errInvalid(op, name, errors.New("empty path"))
	}
	if strings.IndexByte(name, 0) >= 0 {
		return errInvalid(op, name, errors.New("path contains a NUL byte"))
	}
	return nil
}

// Create creates or truncates the named file, like os.Create: mode 0666 (before the server's
// umask), opened for reading and writing.
func (sf *SFTP) Create(name string) (*File, error) {
	return sf.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with flag (os.O_RDONLY, os.O_WRONLY or os.O_RDWR, or-ed with
// os.O_APPEND, os.O_CREATE, os.O_EXCL, os.O_TRUNC) and, when it creates the file, the permission bits
// of perm (libssh2_sftp_open_ex with the matching LIBSSH2_FXF_* flags).
func (sf *SFTP) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	return sf.OpenFileContext(context.Background(), name, flag, perm)
}

// OpenFileContext is OpenFile bounded by ctx as well.
func (sf *SFTP) OpenFileContext(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	if err := checkPath("open", name); err != nil {
		return nil, err
	}
	if err := sf.lock("open", name); err != nil {
		return nil, err
	}
	s := sf.s
	defer s.mu.Unlock()
	w := s.newWaiter(ctx, s.opDeadline)
	defer w.done()
	if err := s.settle(&w, "open", name); err != nil {
		return nil, err
	}
	fxf := openFlags(flag)
	mode := int(perm.Perm())
	if perm&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if perm&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if perm&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	var h *cshim.Handle
	rc, err := s.call(&w, func() int {
		h = cshim.SFTPOpenEx(sf.p, name, fxf, mode, cshim.SFTPOpenFile)
		if h != nil {
			return 0
		}
		return s.lastErrno()
	})
	if err != nil {
		s.broken = ErrSessionBroken
		return nil, s.waitError("open", name, err)
	}
	if rc < 0 {
		return nil, sf.sftpError("open", name, rc, nil)
	}
	f := &File{sf: sf, h: h, name: name, flag: flag}
	sf.files[f] = struct{}{}
	return f, nil
}

// openFlags maps os.O_* flags to LIBSSH2_FXF_* flags.
func openFlags(flag int) int {
	var fxf int
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_RDONLY:
		fxf = cshim.FXFRead
	case os.O_WRONLY:
		fxf = cshim.FXFWrite
	case os.O_RDWR:
		fxf = cshim.FXFRead | cshim.FXFWrite
	}
	if flag&os.O_APPEND != 0 {
		fxf |= cshim.FXFAppend
	}
	if flag&os.O_CREATE != 0 {
		fxf |= cshim.FXFCreat
	}
	if flag&os.O_TRUNC != 0 {
		fxf |= cshim.FXFTrunc
	}
	if flag&os.O_EXCL != 0 {
		fxf |= cshim.FXFExcl
	}
	return fxf
}

// Close closes the channel's open files and then the channel (libssh2_sftp_shutdown). Closing a
// closed SFTP returns an error wrapping fs.ErrClosed.
func (sf *SFTP) Close() error {
	if sf == nil {
		return errInvalid("close", "", fs.ErrInvalid)
	}
	sf.s.mu.Lock()
	defer sf.s.mu.Unlock()
	if sf.p == nil || sf.s.s == nil {
		return errClosed("close", "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return sf.closeLocked(ctx)
}

// closeLocked closes the files, then the channel. The caller holds the session lock.
func (sf *SFTP) closeLocked(ctx context.Context) error {
	if sf.p == nil {
		return nil
	}
	s := sf.s
	var first error
	for f := range sf.files {
		if err := f.closeLocked(ctx); err != nil && first == nil {
			first = err
		}
	}
	rc, err := s.closeCall(ctx, func() int { return cshim.SFTPShutdown(sf.p) })
	if err != nil && first == nil {
		first = s.waitError("close", "", err)
	} else if rc < 0 && first == nil {
		first = s.errorf("close", "", rc, nil)
	}
	sf.p = nil
	delete(s.sftps, sf)
	return first
}
