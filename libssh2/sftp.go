package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// SFTP is an SFTP channel on a Session. Its methods mirror the os package's names.
//
// An SFTP is safe for concurrent use; its calls are serialized with all others on its Session.
type SFTP struct {
	s      *Session
	p      *cshim.SFTP    // nil once shut down (a shutdown queued by Close clears it when it is done)
	shut   bool           // Close has closed the channel, though its shutdown may still be queued
	ch     *cshim.Channel // the SSH channel it runs on, whose end ends every wait on it
	broken error          // the server ended the channel: every operation fails with this
	// closing: Close has begun; the operation waiting on the channel (or on one of its Files) is
	// woken, and no other one starts.
	closing atomic.Bool
	// open holds the channel's open Files and Dirs weakly, so that one dropped without Close can
	// be collected and closed (orphan.go); busy holds, strongly, those whose window has bytes
	// inside libssh2, which must be drained before another request goes out on the channel
	// (writer.go, settleWrites).
	open   map[weak.Pointer[File]]struct{}
	busy   map[*File]struct{}
	window int // the write window of files opened from now on
	// self is the channel's weak pointer, for its Files' cleanups; omu guards orphans (the
	// handles of Files collected open, for the session's next operation to close) and gone (the
	// channel is closed: a handle collected later has gone with it).
	self    weak.Pointer[SFTP]
	omu     sync.Mutex
	orphans []orphan
	gone    bool

	// readBuf is the read buffer of files that start reading from now on; 0: DefaultReadBuffer.
	readBuf int
	// lane: one goroutine has this channel to itself (a Batch's), so its calls may stand aside
	// while they wait for their replies (lanes.go). Set before the channel is handed out.
	lane bool
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
	return sf.set("setwritewindow", func() { sf.window = (bytes + packetSize - 1) / packetSize * packetSize })
}

// SetReadBuffer sets the largest read buffer of each File that starts reading from now on (default
// DefaultReadBuffer). It is rounded up to a multiple of libssh2's 30000-byte read request and must
// be between 30000 bytes and 2 MiB. libssh2 keeps up to four times the buffer requested ahead of a
// sequential reader, and holds the replies in C memory until they are read: a larger buffer keeps a
// long, fast link busy at the cost of that memory.
func (sf *SFTP) SetReadBuffer(bytes int) error {
	if bytes < packetSize || bytes > maxReadBuffer {
		return errInvalid("setreadbuffer", "", fmt.Errorf("read buffer of %d bytes: want 30000 to 2 MiB", bytes))
	}
	return sf.set("setreadbuffer", func() { sf.readBuf = (bytes + packetSize - 1) / packetSize * packetSize })
}

// set runs f, which changes sf's settings, under the session lock.
func (sf *SFTP) set(name string, f func()) error {
	if sf == nil {
		return errInvalid(name, "", fs.ErrInvalid)
	}
	var o op
	o.quiet = true
	if err := sf.s.begin(&o, context.Background(), name, "", sf, nil, dlSession); err != nil {
		return err
	}
	f()
	sf.s.end(&o)
	return nil
}

// fail makes the channel unusable after the server ended it. The caller holds the session lock.
func (sf *SFTP) fail(err *Error) {
	if sf.broken == nil {
		sf.broken = err
	}
}

// SFTP starts the SFTP subsystem on the session (libssh2_sftp_init). It is bounded by the session's
// deadline (Session.SetDeadline); SFTPContext takes a context as well.
func (s *Session) SFTP() (*SFTP, error) { return s.SFTPContext(context.Background()) }

// SFTPContext is SFTP bounded by ctx as well.
//
// It wraps libssh2_sftp_init.
func (s *Session) SFTPContext(ctx context.Context) (*SFTP, error) {
	if s == nil {
		return nil, errInvalid("sftp", "", fs.ErrInvalid)
	}
	var o op
	if err := s.begin(&o, ctx, "sftp", "", nil, nil, dlSession); err != nil {
		return nil, err
	}
	defer s.end(&o)
	var p *cshim.SFTP
	rc, err := o.call(func() int {
		p = cshim.SFTPInit(s.s)
		if p != nil {
			return 0
		}
		return s.lastErrno()
	}, func(int) {
		// Nobody waits for the channel any more: shut it down in turn.
		if p != nil {
			s.addPending(&pending{call: func() int { return cshim.SFTPShutdown(p) }})
		}
	})
	if err != nil {
		return nil, err
	}
	if rc < 0 {
		return nil, o.sftpFail(rc)
	}
	sf := &SFTP{s: s, p: p, ch: cshim.SFTPGetChannel(p), open: map[weak.Pointer[File]]struct{}{},
		busy: map[*File]struct{}{}, window: DefaultWriteWindow}
	sf.self = weak.Make(sf)
	s.sftps[sf] = struct{}{}
	return sf, nil
}

// lastErrno is libssh2_session_last_errno for a call that returned NULL, never 0: a NULL without an
// error code is reported as a protocol error rather than taken for success.
func (s *Session) lastErrno() int {
	if e := cshim.SessionLastErrno(s.s); e < 0 {
		return e
	}
	return int(ErrorProto)
}

// SetDeadline sets the deadline for the session's operations that have no deadline of their own (a
// File's deadline, set with File.SetDeadline, takes precedence for its operations). A zero time means
// no deadline. An operation that runs past it fails with an error wrapping os.ErrDeadlineExceeded.
// Like os.File.SetDeadline, it also applies to an operation already waiting.
func (s *Session) SetDeadline(t time.Time) error {
	if s == nil {
		return errInvalid("setdeadline", "", fs.ErrInvalid)
	}
	s.dmu.Lock()
	s.opDeadline = t
	s.dmu.Unlock()
	s.deadlineChanged(nil)
	return nil
}

// sftpError makes the error for a failed SFTP call, with the SFTP status when libssh2 reports a
// protocol error (libssh2_sftp_last_error is meaningful only then). The caller holds the session lock.
func (sf *SFTP) sftpError(op, path string, rc int, cause error) *Error {
	e := sf.s.errorf(op, path, rc, cause)
	if rc == int(ErrorSFTPProtocol) {
		e.Status = Status(cshim.SFTPLastError(sf.p))
	}
	return e
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
//
// It wraps libssh2_sftp_open_ex.
func (sf *SFTP) Create(name string) (*File, error) {
	return sf.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with flag (os.O_RDONLY, os.O_WRONLY or os.O_RDWR, or-ed with
// os.O_APPEND, os.O_CREATE, os.O_EXCL, os.O_TRUNC) and, when it creates the file, the permission bits
// of perm (libssh2_sftp_open_ex with the matching LIBSSH2_FXF_* flags). Any other flag (os.O_SYNC,
// os.O_NONBLOCK, ...) has no SFTP meaning and is refused, as is O_WRONLY|O_RDWR, before anything is
// sent: the error is an *Error wrapping fs.ErrInvalid.
func (sf *SFTP) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	return sf.OpenFileContext(context.Background(), name, flag, perm)
}

// OpenFileContext is OpenFile bounded by ctx as well.
//
// An exclusive create (os.O_CREATE|os.O_EXCL) of an existing file fails with an error wrapping
// fs.ErrExist, also from servers that answer only LIBSSH2_FX_FAILURE.
//
// It wraps libssh2_sftp_open_ex.
func (sf *SFTP) OpenFileContext(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	f, err := sf.openFile(ctx, name, flag, perm)
	if err != nil && flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL {
		return nil, sf.existError(ctx, err, name)
	}
	return f, err
}

func (sf *SFTP) openFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	if sf == nil {
		return nil, errInvalid("open", name, fs.ErrInvalid)
	}
	if err := checkPath("open", name); err != nil {
		return nil, err
	}
	fxf, err := openFlags(flag)
	if err != nil {
		return nil, errInvalid("open", name, err)
	}
	mode := int(posixPerm(perm))
	s := sf.s
	var o op
	if err := s.begin(&o, ctx, "open", name, sf, nil, dlSession); err != nil {
		return nil, err
	}
	defer s.end(&o)
	o.mayPark()
	var h *cshim.Handle
	rc, err := o.call(func() int {
		h = cshim.SFTPOpenEx(sf.p, name, fxf, mode, cshim.SFTPOpenFile)
		if h != nil {
			return 0
		}
		return s.lastErrno()
	}, func(int) {
		if h != nil {
			s.closeHandleLater(sf, h) // the caller has gone: nobody will use the handle
		}
	})
	if err != nil {
		return nil, err
	}
	if rc < 0 {
		return nil, o.sftpFail(rc)
	}
	f := &File{sf: sf, h: h, name: name, flag: flag}
	f.good.Store(-1)
	sf.register(f)
	return f, nil
}

// Open opens the named file for reading, like os.Open (libssh2_sftp_open_ex with LIBSSH2_FXF_READ).
// A missing file is an error wrapping fs.ErrNotExist.
func (sf *SFTP) Open(name string) (*File, error) {
	return sf.OpenFile(name, os.O_RDONLY, 0)
}

// knownFlags are the os.O_* flags OpenFile understands; O_SYNC, O_NOCTTY, O_NONBLOCK and the like
// have no SFTP meaning and are refused rather than dropped.
const knownFlags = os.O_RDONLY | os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREATE | os.O_EXCL | os.O_TRUNC

// openFlags maps os.O_* flags to LIBSSH2_FXF_* flags.
func openFlags(flag int) (int, error) {
	if flag&^knownFlags != 0 {
		return 0, fmt.Errorf("%w: open flags %#x have no SFTP meaning", fs.ErrInvalid, flag&^knownFlags)
	}
	if flag&(os.O_WRONLY|os.O_RDWR) == os.O_WRONLY|os.O_RDWR {
		return 0, fmt.Errorf("%w: open flags say both O_WRONLY and O_RDWR", fs.ErrInvalid)
	}
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
	return fxf, nil
}

// Close closes the channel's open files and then the channel (libssh2_sftp_shutdown).
//
// Close may be called from another goroutine while an operation on the channel or on one of its
// Files and Dirs waits: that operation returns at once with an error wrapping fs.ErrClosed, and
// what it left inside libssh2 is finished before the channel is shut down (docs/DESIGN.md,
// "Close"). Close waits at most closeTimeout (5 s) for the session, which an operation on another
// channel may hold, and its polite part is bounded by closeTimeout and by the session's deadline.
// When the server does not answer in time, Close returns an error wrapping os.ErrDeadlineExceeded
// and the session stays usable: the unfinished closes wait, queued, for the session's next
// operation. When Close cannot get the session in time, it returns that error too and the channel
// is closed as soon as the session is free. Once Close has begun, the channel refuses every
// operation, even when Close returns an error. Session.Close from another goroutine ends a Close
// that waits: it returns an error wrapping fs.ErrClosed. Closing a closed SFTP returns an error
// wrapping fs.ErrClosed.
func (sf *SFTP) Close() error {
	if sf == nil {
		return errInvalid("close", "", fs.ErrInvalid)
	}
	ctx, cancel := closeBound(closeTimeout)
	defer cancel()
	return sf.close(ctx)
}

// close is Close bounded by ctx.
func (sf *SFTP) close(ctx context.Context) error {
	s := sf.s
	if !sf.closing.CompareAndSwap(false, true) {
		return errClosed("close", "")
	}
	s.wakeIf(func(a *active) bool { return a.sf == sf })
	var o op
	o.quiet = true // closeLocked finishes the pending calls itself, within its bound
	if err := s.begin(&o, ctx, "close", "", nil, nil, dlSession); err != nil {
		if interrupted(err) && !errors.Is(err, fs.ErrClosed) {
			s.closeWhenFree("close", sf.closeEntered)
		}
		return err
	}
	defer s.end(&o)
	return sf.closeEntered(&o)
}

// closeEntered is Close once o has entered the operation frame.
func (sf *SFTP) closeEntered(o *op) error {
	if sf.shut {
		return errClosed("close", "")
	}
	o.w.own = &sf.closing
	return sf.closeLocked(o)
}

// closeLocked closes the files, then the channel, for o. The caller holds the session lock.
func (sf *SFTP) closeLocked(o *op) error {
	if sf.shut {
		return nil
	}
	s := sf.s
	defer func(prev *SFTP) { o.closes = prev }(o.closes)
	o.closes = sf // its calls that stood aside are finished too, before the channel goes
	var first error
	for w := range sf.open {
		f := w.Value()
		if f == nil {
			continue // collected: its cleanup finds the channel gone
		}
		if err := f.closeLocked(o); err != nil && first == nil {
			first = err
		}
	}
	sf.omu.Lock()
	sf.gone, sf.orphans = true, nil
	sf.omu.Unlock()
	// No end-of-channel check here: libssh2_sftp_shutdown frees the channel. When the link does not
	// answer in time, the session stays usable, as a File's Close leaves it: the shutdown waits,
	// queued, for the session's next operation (or Session.Close) to finish it.
	// The channel's own pending calls (its Files' last writes and closes, queued above when the
	// link did not answer) stay ahead of the shutdown, and sf.p stays set until the shutdown is
	// done, so that they run rather than being dropped as calls of a closed channel. Every
	// operation finishes them in order, even those that a lane's call standing aside would let
	// pass (pending.sent): none may run after the shutdown freed the channel.
	p := sf.p
	queued := false
	later := func() {
		queued = true
		for _, q := range s.pend {
			if q.sf == sf {
				q.sent = false
			}
		}
		s.addPending(&pending{call: func() int { return cshim.SFTPShutdown(p) }, done: func(int) { sf.p = nil }})
	}
	rc, err := s.closeCall(o, nil, func() int { return cshim.SFTPShutdown(p) }, later)
	if err != nil && err != errChannelEOF && first == nil {
		first = newError("close", "", 0, err)
	} else if rc < 0 && first == nil && sf.broken == nil {
		first = s.errorf("close", "", rc, nil)
	}
	sf.shut = true
	if !queued {
		s.dropChannel(sf)
		sf.p = nil
	}
	delete(s.sftps, sf)
	return first
}
