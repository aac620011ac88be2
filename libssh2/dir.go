package libssh2

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Mkdir creates the named directory with the permission bits of perm (before the server's umask),
// like os.Mkdir (libssh2_sftp_mkdir_ex). An existing name is an error wrapping fs.ErrExist, also
// from servers that answer only LIBSSH2_FX_FAILURE.
func (sf *SFTP) Mkdir(name string, perm fs.FileMode) error {
	return sf.MkdirContext(context.Background(), name, perm)
}

// MkdirContext is Mkdir (libssh2_sftp_mkdir_ex) bounded by ctx as well.
func (sf *SFTP) MkdirContext(ctx context.Context, name string, perm fs.FileMode) error {
	if err := checkPath("mkdir", name); err != nil {
		return err
	}
	mode := int(posixPerm(perm))
	_, err := sf.do(ctx, "mkdir", name, func() int { return cshim.SFTPMkdirEx(sf.p, name, mode) })
	return sf.existError(ctx, err, name)
}

// MkdirAll creates the named directory and any missing parents with the permission bits of perm,
// like os.MkdirAll: it returns nil when name is already a directory, and an error when name or one
// of its parents exists and is not a directory (libssh2_sftp_stat_ex, then libssh2_sftp_mkdir_ex
// for each missing directory).
func (sf *SFTP) MkdirAll(name string, perm fs.FileMode) error {
	return sf.MkdirAllContext(context.Background(), name, perm)
}

// MkdirAllContext is MkdirAll (libssh2_sftp_stat_ex, libssh2_sftp_mkdir_ex) bounded by ctx as well.
func (sf *SFTP) MkdirAllContext(ctx context.Context, name string, perm fs.FileMode) error {
	if err := checkPath("mkdir", name); err != nil {
		return err
	}
	fi, err := sf.StatContext(ctx, name)
	if err == nil {
		if fi.IsDir() {
			return nil
		}
		return newError("mkdir", name, 0, syscall.ENOTDIR)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := path.Dir(strings.TrimRight(name, "/")); parent != name && parent != "." && parent != "/" {
		if err := sf.MkdirAllContext(ctx, parent, perm); err != nil {
			return err
		}
	}
	if err := sf.MkdirContext(ctx, name, perm); err != nil {
		// Someone may have made it meanwhile, or the server refuses mkdir on an existing path with
		// a vague status: what counts is that a directory is there now.
		if fi, serr := sf.LstatContext(ctx, name); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return nil
}

// Remove removes the named file or empty directory, like os.Remove: it tries
// libssh2_sftp_unlink_ex, then libssh2_sftp_rmdir_ex, and reports the error of the one that fits
// (rmdir's, unless rmdir says the path is not a directory or does not exist).
func (sf *SFTP) Remove(name string) error { return sf.RemoveContext(context.Background(), name) }

// RemoveContext is Remove (libssh2_sftp_unlink_ex, libssh2_sftp_rmdir_ex) bounded by ctx as well.
func (sf *SFTP) RemoveContext(ctx context.Context, name string) error {
	if err := checkPath("remove", name); err != nil {
		return err
	}
	_, uerr := sf.do(ctx, "remove", name, func() int { return cshim.SFTPUnlinkEx(sf.p, name) })
	if uerr == nil {
		return nil
	}
	var e *Error
	if !errors.As(uerr, &e) || e.Code != ErrorSFTPProtocol {
		return uerr // not the server's answer: a closed or broken session, a deadline
	}
	_, rerr := sf.do(ctx, "remove", name, func() int { return cshim.SFTPRmdirEx(sf.p, name) })
	if rerr == nil {
		return nil
	}
	// OpenSSH's sftp-server answers rmdir on a file (ENOTDIR) and on a missing path (ENOENT) both
	// with NO_SUCH_FILE: then unlink's answer is the one about name.
	if errors.As(rerr, &e) && e.Code == ErrorSFTPProtocol && (e.Status == FXNoSuchFile || e.Status == FXNotADirectory) {
		return uerr
	}
	return rerr
}

// RemoveAll removes the named path and everything it contains, like os.RemoveAll: it returns nil
// when the path does not exist, and the first error it meets otherwise. Symbolic links are removed,
// not followed. It lists directories as ReadDir does and removes as Remove does
// (libssh2_sftp_stat_ex, libssh2_sftp_open_ex, libssh2_sftp_readdir_ex, libssh2_sftp_unlink_ex,
// libssh2_sftp_rmdir_ex).
func (sf *SFTP) RemoveAll(name string) error {
	return sf.RemoveAllContext(context.Background(), name)
}

// RemoveAllContext is RemoveAll (libssh2_sftp_stat_ex, libssh2_sftp_open_ex,
// libssh2_sftp_readdir_ex, libssh2_sftp_unlink_ex, libssh2_sftp_rmdir_ex) bounded by ctx as well.
func (sf *SFTP) RemoveAllContext(ctx context.Context, name string) error {
	if err := checkPath("removeall", name); err != nil {
		return err
	}
	if base := path.Base(name); base == "." || base == ".." {
		return errInvalid("removeall", name, errors.New("refusing to remove a path ending in . or .."))
	}
	fi, err := sf.LstatContext(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return sf.RemoveContext(ctx, name)
	}
	entries, err := sf.ReadDirContext(ctx, name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if err := sf.RemoveAllContext(ctx, path.Join(name, e.Name())); err != nil {
			return err
		}
	}
	if err := sf.RemoveContext(ctx, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// readDirBufSize is the name buffer ReadDir starts with. libssh2 1.10 cannot give back a name that
// does not fit (issue #714): it returns LIBSSH2_ERROR_BUFFER_TOO_SMALL and counts the entry as
// returned without moving past it. Calling again with the same buffer fails the same way until the
// server's batch (up to 100 names from OpenSSH) is used up, all of it lost; with a bigger buffer the
// name comes back but the batch's last entry is lost. So ReadDir starts the listing over, on a new
// handle, with a buffer larger than any SFTP packet, which no name can overflow.
var readDirBufSize = 4096

// testHookReadDirEntry, when set by a test, runs after each entry ReadDir reads.
var testHookReadDirEntry func()

// ReadDir reads the named directory and returns its entries sorted by name, without "." and "..",
// like os.ReadDir (libssh2_sftp_open_ex with LIBSSH2_SFTP_OPENDIR, libssh2_sftp_readdir_ex,
// libssh2_sftp_close_handle). The entries' Info is the attributes the server sent with the listing,
// which describe a symbolic link itself, as Lstat does.
func (sf *SFTP) ReadDir(name string) ([]fs.DirEntry, error) {
	return sf.ReadDirContext(context.Background(), name)
}

// ReadDirContext is ReadDir (libssh2_sftp_open_ex, libssh2_sftp_readdir_ex,
// libssh2_sftp_close_handle) bounded by ctx as well. The directory handle is closed whatever
// happens.
func (sf *SFTP) ReadDirContext(ctx context.Context, name string) ([]fs.DirEntry, error) {
	if err := checkPath("readdir", name); err != nil {
		return nil, err
	}
	entries, err := sf.readDir(ctx, name, readDirBufSize)
	if errors.Is(err, ErrorBufferTooSmall) {
		// A name did not fit and libssh2 has lost entries: list again with room for any name.
		entries, err = sf.readDir(ctx, name, cshim.SFTPPacketMaxlen+1)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// readDir lists a directory once with a name buffer of bufSize bytes. A name longer than the buffer
// fails it with LIBSSH2_ERROR_BUFFER_TOO_SMALL.
func (sf *SFTP) readDir(ctx context.Context, name string, bufSize int) (entries []fs.DirEntry, err error) {
	const opname = "readdir"
	s := sf.s
	var o op
	if err := s.begin(&o, ctx, opname, name, sf, nil, dlSession); err != nil {
		return nil, err
	}
	defer s.end(&o)
	// On a lane the calls stand aside while they wait for their replies (lanes.go). An open that
	// gives up there stays queued, and its done closes the handle that comes too late.
	o.mayPark()
	h, err := sf.openDirHandle(&o, name)
	if err != nil {
		return nil, err
	}
	// docs/DESIGN.md, I7: the handle is closed on every path. When the listing was interrupted,
	// the close waits behind the interrupted readdir, for the next operation to finish.
	closed := false
	defer func() {
		if closed {
			return
		}
		if o.detached {
			// A readdir gave up standing aside, without the lock: it stays queued, marked sent,
			// for the lane's next operation, and the handle's close goes behind it.
			sf.closeSentWhenFree(func() *cshim.Handle { return h })
			return
		}
		if len(s.pend) > 0 {
			s.closeHandleLater(sf, h)
			return
		}
		crc, cerr := o.call(func() int { return cshim.SFTPCloseHandle(h) }, nil)
		if err != nil {
			return
		}
		if cerr != nil {
			entries, err = nil, cerr
		} else if crc < 0 {
			entries, err = nil, o.sftpFail(crc)
		}
	}()
	buf := make([]byte, bufSize)
	var a cshim.Attributes
	for {
		rc, werr := o.call(func() int { return cshim.SFTPReaddirEx(h, buf, &a) }, nil)
		if werr != nil {
			return nil, werr
		}
		if rc < 0 {
			return nil, o.sftpFail(rc)
		}
		if rc == 0 {
			return entries, nil
		}
		if rc >= len(buf) {
			return nil, o.fail(int(ErrorBufferTooSmall), errors.New("libssh2 returned a name longer than its buffer"))
		}
		n := string(buf[:rc])
		if n == "." || n == ".." {
			continue
		}
		entries = append(entries, &dirEntry{fileInfo{name: n, st: newFileStat(&a)}})
		if testHookReadDirEntry != nil {
			testHookReadDirEntry()
		}
	}
}

// dirEntry is an fs.DirEntry from a directory listing.
type dirEntry struct{ fi fileInfo }

func (d *dirEntry) Name() string               { return d.fi.name }
func (d *dirEntry) IsDir() bool                { return d.fi.IsDir() }
func (d *dirEntry) Type() fs.FileMode          { return d.fi.Mode().Type() }
func (d *dirEntry) Info() (fs.FileInfo, error) { return &d.fi, nil }
func (d *dirEntry) String() string             { return fs.FormatDirEntry(d) }

// RenameFlags are the flags of RenameWithFlags (LIBSSH2_SFTP_RENAME_*). SFTP servers of protocol
// version 3 and 4, OpenSSH's among them, ignore them: libssh2 sends them from version 5 on.
type RenameFlags int

// The rename flags.
const (
	RenameOverwrite RenameFlags = RenameFlags(cshim.SFTPRenameOverwrite) // LIBSSH2_SFTP_RENAME_OVERWRITE
	RenameAtomic    RenameFlags = RenameFlags(cshim.SFTPRenameAtomic)    // LIBSSH2_SFTP_RENAME_ATOMIC
	RenameNative    RenameFlags = RenameFlags(cshim.SFTPRenameNative)    // LIBSSH2_SFTP_RENAME_NATIVE
)

// Rename renames (moves) oldpath to newpath with libssh2_sftp_rename_ex and all three flags, as
// libssh2_sftp_rename does. Unlike os.Rename, an SFTP version 3 server such as OpenSSH's refuses to
// replace an existing newpath (the error wraps fs.ErrExist); PosixRename does that. The error's
// Path is oldpath and its NewPath newpath, as with os.LinkError.
func (sf *SFTP) Rename(oldpath, newpath string) error {
	return sf.RenameContext(context.Background(), oldpath, newpath)
}

// RenameContext is Rename (libssh2_sftp_rename_ex) bounded by ctx as well.
func (sf *SFTP) RenameContext(ctx context.Context, oldpath, newpath string) error {
	return sf.RenameWithFlagsContext(ctx, oldpath, newpath, RenameOverwrite|RenameAtomic|RenameNative)
}

// RenameWithFlags is libssh2_sftp_rename_ex with the given flags; otherwise it is Rename.
func (sf *SFTP) RenameWithFlags(oldpath, newpath string, flags RenameFlags) error {
	return sf.RenameWithFlagsContext(context.Background(), oldpath, newpath, flags)
}

// RenameWithFlagsContext is RenameWithFlags (libssh2_sftp_rename_ex) bounded by ctx as well.
func (sf *SFTP) RenameWithFlagsContext(ctx context.Context, oldpath, newpath string, flags RenameFlags) error {
	return twoPaths(sf.rename(ctx, oldpath, newpath, flags), oldpath, newpath)
}

func (sf *SFTP) rename(ctx context.Context, oldpath, newpath string, flags RenameFlags) error {
	if err := checkPath("rename", oldpath); err != nil {
		return err
	}
	if err := checkPath("rename", newpath); err != nil {
		return err
	}
	_, err := sf.do(ctx, "rename", oldpath, func() int {
		return cshim.SFTPRenameEx(sf.p, oldpath, newpath, int(flags))
	})
	var e *Error
	if errors.As(err, &e) && e.Code == ErrorSFTPProtocol { // the server's answer, not an interruption
		if _, serr := sf.LstatContext(ctx, oldpath); serr == nil { // the target, not the source, exists
			return sf.existError(ctx, err, newpath)
		}
	}
	return err
}

// PosixRename renames oldpath to newpath with POSIX semantics, replacing newpath if it exists, like
// os.Rename (libssh2_sftp_posix_rename_ex, the posix-rename@openssh.com extension). It returns an
// error wrapping ErrNotSupported when the libssh2 this package was built against lacks the function
// (before 1.11.0) or the server lacks the extension. The error's Path is oldpath and its NewPath
// newpath.
func (sf *SFTP) PosixRename(oldpath, newpath string) error {
	return sf.PosixRenameContext(context.Background(), oldpath, newpath)
}

// PosixRenameContext is PosixRename (libssh2_sftp_posix_rename_ex) bounded by ctx as well.
func (sf *SFTP) PosixRenameContext(ctx context.Context, oldpath, newpath string) error {
	return twoPaths(sf.posixRename(ctx, oldpath, newpath), oldpath, newpath)
}

func (sf *SFTP) posixRename(ctx context.Context, oldpath, newpath string) error {
	const op = "posixrename"
	if err := checkPath(op, oldpath); err != nil {
		return err
	}
	if err := checkPath(op, newpath); err != nil {
		return err
	}
	if !cshim.HavePosixRename {
		return sf.notSupported(ctx, op, oldpath)
	}
	rc, err := sf.do(ctx, op, oldpath, func() int {
		return cshim.SFTPPosixRenameEx(sf.p, oldpath, newpath)
	})
	if err != nil {
		return err
	}
	if rc > 0 {
		// libssh2 returns the server's status, a positive number, when it lacks the extension
		// (docs/DESIGN.md, fact 5).
		e := newError(op, oldpath, ErrorSFTPProtocol, ErrNotSupported)
		e.Status = Status(rc)
		return e
	}
	return nil
}

// Symlink creates newname as a symbolic link to oldname, like os.Symlink (libssh2_sftp_symlink_ex
// with LIBSSH2_SFTP_SYMLINK).
//
// With a libssh2 that misreads the server's answer to this request (see ErrStatusLost), the answer
// is ignored and Symlink checks the outcome itself: newname must not exist before (else an error
// wrapping fs.ErrExist) and must be a link to oldname after. A failure is then reported as
// fs.ErrNotExist when the parent directory is missing, and as ErrStatusLost otherwise.
//
// The error's Path is oldname and its NewPath newname, as with os.LinkError.
func (sf *SFTP) Symlink(oldname, newname string) error {
	return sf.SymlinkContext(context.Background(), oldname, newname)
}

// SymlinkContext is Symlink (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_SYMLINK) bounded by ctx as
// well.
func (sf *SFTP) SymlinkContext(ctx context.Context, oldname, newname string) error {
	return twoPaths(sf.symlink(ctx, oldname, newname), oldname, newname)
}

func (sf *SFTP) symlink(ctx context.Context, oldname, newname string) error {
	const op = "symlink"
	if err := checkPath(op, oldname); err != nil {
		return err
	}
	if err := checkPath(op, newname); err != nil {
		return err
	}
	buggy, err := sf.linkStatusLost(ctx)
	if err != nil {
		return err
	}
	if buggy {
		if _, err := sf.LstatContext(ctx, newname); err == nil {
			return newError(op, newname, 0, fs.ErrExist)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return retag(err, op)
		}
	}
	target := []byte(newname)
	_, err = sf.do(ctx, op, newname, func() int {
		return cshim.SFTPSymlinkEx(sf.p, oldname, target, cshim.SFTPSymlink)
	})
	if !buggy || (err != nil && !isStatusError(err)) {
		return err
	}
	// The status (or the success) libssh2 reported means nothing: look at what the server did.
	if got, rerr := sf.ReadlinkContext(ctx, newname); rerr == nil && sameTarget(got, oldname, newname) {
		return nil
	}
	if _, perr := sf.StatContext(ctx, path.Dir(newname)); perr != nil {
		return retag(perr, op)
	}
	if err == nil {
		err = newError(op, newname, ErrorSFTPProtocol, nil)
	}
	return lostStatus(err)
}

// Readlink returns the destination of the named symbolic link, like os.Readlink
// (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_READLINK).
func (sf *SFTP) Readlink(name string) (string, error) {
	return sf.ReadlinkContext(context.Background(), name)
}

// ReadlinkContext is Readlink (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_READLINK) bounded by ctx
// as well.
func (sf *SFTP) ReadlinkContext(ctx context.Context, name string) (string, error) {
	return sf.linkQuery(ctx, "readlink", name, cshim.SFTPReadlink)
}

// RealPath returns the server's canonical absolute form of name, with ".", ".." and symbolic links
// resolved (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_REALPATH).
func (sf *SFTP) RealPath(name string) (string, error) {
	return sf.RealPathContext(context.Background(), name)
}

// RealPathContext is RealPath (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_REALPATH) bounded by ctx
// as well.
func (sf *SFTP) RealPathContext(ctx context.Context, name string) (string, error) {
	return sf.linkQuery(ctx, "realpath", name, cshim.SFTPRealpath)
}

// Getwd returns the server's working directory for this channel, the directory relative paths
// start from: RealPath(".") (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_REALPATH).
func (sf *SFTP) Getwd() (string, error) { return sf.GetwdContext(context.Background()) }

// GetwdContext is Getwd (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_REALPATH) bounded by ctx as
// well.
func (sf *SFTP) GetwdContext(ctx context.Context) (string, error) {
	return sf.linkQuery(ctx, "getwd", ".", cshim.SFTPRealpath)
}

// linkBufSize is the answer buffer READLINK and REALPATH start with; answers that do not fit are
// asked for again with a buffer no answer can overflow.
var linkBufSize = 4096

// linkQuery runs READLINK or REALPATH, with a bigger buffer when the answer does not fit: libssh2
// then consumes the answer and returns LIBSSH2_ERROR_BUFFER_TOO_SMALL, and asking again is harmless.
func (sf *SFTP) linkQuery(ctx context.Context, op, name string, linkType int) (string, error) {
	if err := checkPath(op, name); err != nil {
		return "", err
	}
	for _, size := range []int{linkBufSize, cshim.SFTPPacketMaxlen + 1} {
		buf := make([]byte, size)
		rc, err := sf.do(ctx, op, name, func() int { return cshim.SFTPSymlinkEx(sf.p, name, buf, linkType) })
		if errors.Is(err, ErrorBufferTooSmall) {
			continue
		}
		if err == nil && rc == 0 {
			// No POSIX server answers with an empty name; a libssh2 that misreads statuses
			// answers so for a failed first request of a channel.
			err = newError(op, name, ErrorSFTPProtocol, errors.New("empty answer"))
		}
		if err != nil {
			return "", sf.linkQueryError(ctx, op, name, linkType, err)
		}
		if rc >= len(buf) {
			break
		}
		return string(buf[:rc]), nil
	}
	return "", newError(op, name, ErrorBufferTooSmall, errors.New("answer longer than any SFTP packet"))
}

// linkQueryError makes the error of a failed READLINK or REALPATH trustworthy with a libssh2 that
// misreads their status: an Lstat of the path tells a missing path, and for Readlink a path that is
// not a symbolic link (EINVAL, as os.Readlink says).
func (sf *SFTP) linkQueryError(ctx context.Context, op, name string, linkType int, err error) error {
	if !isStatusError(err) {
		return err
	}
	buggy, perr := sf.linkStatusLost(ctx)
	if perr != nil || !buggy {
		return err
	}
	fi, lerr := sf.LstatContext(ctx, name)
	if lerr != nil {
		return retag(lerr, op)
	}
	if linkType == cshim.SFTPReadlink && fi.Mode()&fs.ModeSymlink == 0 {
		e := lostStatus(err)
		e.Err = syscall.EINVAL
		return e
	}
	return lostStatus(err)
}

// ErrStatusLost is wrapped by errors of Symlink, Readlink and RealPath when the libssh2 in use
// misreads the server's status for these requests and the cause could not be found otherwise.
// Debian's libssh2 1.10.0-3+deb12u1 (bookworm) and 1.11.1-1+deb13u2 (trixie) do: their fix for
// CVE-2025-15661 in sftp_symlink reads the request id where the status is. Every SSH_FXP_STATUS answer then looks like a failure with a
// meaningless status, a successful SYMLINK included, except for request id 0 (the first request of
// a channel), which looks like a success even when the server refused. Answers with a name
// (READLINK and REALPATH that succeed) are read correctly. The package detects this once per
// process (two READLINKs of a path that cannot exist must get the same status) and then checks
// the outcome of these calls with other requests.
var ErrStatusLost = errors.New("libssh2: this libssh2 misreads the server's status for SYMLINK, READLINK and REALPATH; the cause is unknown")

var (
	linkProbeMu   sync.Mutex
	linkProbeDone bool
	linkProbeBug  bool
)

// linkStatusLost reports whether the libssh2 in use misreads the status of READLINK, REALPATH and
// SYMLINK answers (see ErrStatusLost), probing once per process with two READLINKs of a path that
// cannot exist: a correct libssh2 reports the same status twice.
func (sf *SFTP) linkStatusLost(ctx context.Context) (bool, error) {
	linkProbeMu.Lock()
	defer linkProbeMu.Unlock()
	if linkProbeDone {
		return linkProbeBug, nil
	}
	var b [16]byte
	rand.Read(b[:])
	probe := "/go-libssh2-probe-" + hex.EncodeToString(b[:]) + "/no/such/file"
	var statuses [2]Status
	for i := range statuses {
		buf := make([]byte, 256)
		rc, err := sf.do(ctx, "readlink", probe, func() int { return cshim.SFTPSymlinkEx(sf.p, probe, buf, cshim.SFTPReadlink) })
		if err == nil && rc >= 0 {
			linkProbeDone, linkProbeBug = true, true // "success" for a path that cannot exist
			return true, nil
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != ErrorSFTPProtocol {
			return false, err // the probe did not get an answer; try again next time
		}
		statuses[i] = e.Status
	}
	linkProbeDone, linkProbeBug = true, statuses[0] != statuses[1]
	return linkProbeBug, nil
}

// isStatusError reports whether err is the server's refusal (an SFTP status).
func isStatusError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == ErrorSFTPProtocol
}

// lostStatus returns a copy of err's *Error with the meaningless status removed and ErrStatusLost
// wrapped.
func lostStatus(err error) *Error {
	var e *Error
	errors.As(err, &e)
	c := *e
	c.Status = 0
	c.Err = ErrStatusLost
	return &c
}

// twoPaths returns err, an error of an operation on two paths (a rename or a link), with its Path
// set to oldpath and NewPath to newpath, as os.LinkError has them, whichever request failed.
func twoPaths(err error, oldpath, newpath string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Path, c.NewPath = oldpath, newpath
	return &c
}

// retag returns err with its operation set to op, for errors of requests made on op's behalf.
func retag(err error, op string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Op = op
	return &c
}

// notSupported is the error of a call the libssh2 in use lacks, once sf is found open.
func (sf *SFTP) notSupported(ctx context.Context, name, path string) error {
	var o op
	o.quiet = true
	if err := sf.s.begin(&o, ctx, name, path, sf, nil, dlSession); err != nil {
		return err // closed first
	}
	sf.s.end(&o)
	return newError(name, path, ErrorMethodNotSupported, ErrNotSupported)
}

// sameTarget reports whether got, a server's READLINK answer for link, names target as Symlink
// gave it: some servers (ProFTPD) answer a relative target with the absolute path it resolves to.
func sameTarget(got, target, link string) bool {
	if got == target {
		return true
	}
	return !path.IsAbs(target) && path.IsAbs(got) && got == path.Join(path.Dir(link), target)
}

// openDirHandle opens directory name for o (libssh2_sftp_open_ex with LIBSSH2_SFTP_OPENDIR). An
// interrupted open that completes later closes its handle: nobody will read the directory. The
// caller holds the session lock.
func (sf *SFTP) openDirHandle(o *op, name string) (*cshim.Handle, error) {
	s := sf.s
	var h *cshim.Handle
	rc, err := o.call(func() int {
		h = cshim.SFTPOpenEx(sf.p, name, 0, 0, cshim.SFTPOpenDir)
		if h != nil {
			return 0
		}
		return s.lastErrno()
	}, func(int) {
		if h != nil {
			s.closeHandleLater(sf, h)
		}
	})
	if err != nil {
		return nil, err
	}
	if rc < 0 {
		return nil, o.sftpFail(rc)
	}
	return h, nil
}
