package libssh2

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/seed191f4051/go-libssh2/cshim"
	"github.com/seed191f4051/go-libssh2/internal/errmap"
)

// Mkdir creates the named directory with the permission bits of perm (before the server's umask),
// like os.Mkdir (libssh2_sftp_mkdir_ex).
func (sf *SFTP) Mkdir(name string, perm fs.FileMode) error {
	if err := checkPath("mkdir", name); err != nil {
		return err
	}
	mode := int(posixPerm(perm))
	_, err := sf.do(context.Background(), "mkdir", name, func() int { return cshim.SFTPMkdirEx(sf.p, name, mode) })
	return err
}

// MkdirAll creates the named directory and any missing parents with the permission bits of perm,
// like os.MkdirAll: it returns nil when name is already a directory, and an error when name or one
// of its parents exists and is not a directory.
func (sf *SFTP) MkdirAll(name string, perm fs.FileMode) error {
	if err := checkPath("mkdir", name); err != nil {
		return err
	}
	fi, err := sf.Stat(name)
	if err == nil {
		if fi.IsDir() {
			return nil
		}
		return &Error{Op: "mkdir", Path: name, Offset: -1, Err: syscall.ENOTDIR}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := path.Dir(strings.TrimRight(name, "/")); parent != name && parent != "." && parent != "/" {
		if err := sf.MkdirAll(parent, perm); err != nil {
			return err
		}
	}
	if err := sf.Mkdir(name, perm); err != nil {
		// Someone may have made it meanwhile, or the server refuses mkdir on an existing path with
		// a vague status: what counts is that a directory is there now.
		if fi, serr := sf.Lstat(name); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return nil
}

// Remove removes the named file or empty directory, like os.Remove: it tries
// libssh2_sftp_unlink_ex, then libssh2_sftp_rmdir_ex, and reports the error of the one that fits
// (rmdir's, unless rmdir says the path is not a directory or does not exist).
func (sf *SFTP) Remove(name string) error {
	if err := checkPath("remove", name); err != nil {
		return err
	}
	ctx := context.Background()
	_, uerr := sf.do(ctx, "remove", name, func() int { return cshim.SFTPUnlinkEx(sf.p, name) })
	if uerr == nil {
		return nil
	}
	var e *Error
	if !errors.As(uerr, &e) || e.Code != errmap.SFTPProtocol {
		return uerr // not the server's answer: a closed or broken session, a deadline
	}
	_, rerr := sf.do(ctx, "remove", name, func() int { return cshim.SFTPRmdirEx(sf.p, name) })
	if rerr == nil {
		return nil
	}
	// OpenSSH's sftp-server answers rmdir on a file (ENOTDIR) and on a missing path (ENOENT) both
	// with NO_SUCH_FILE: then unlink's answer is the one about name.
	if errors.As(rerr, &e) && e.Code == errmap.SFTPProtocol && (e.Status == errmap.FXNoSuchFile || e.Status == errmap.FXNotADirectory) {
		return uerr
	}
	return rerr
}

// RemoveAll removes the named path and everything it contains, like os.RemoveAll: it returns nil
// when the path does not exist, and the first error it meets otherwise. Symbolic links are removed,
// not followed.
func (sf *SFTP) RemoveAll(name string) error {
	if err := checkPath("removeall", name); err != nil {
		return err
	}
	if base := path.Base(name); base == "." || base == ".." {
		return errInvalid("removeall", name, errors.New("refusing to remove a path ending in . or .."))
	}
	fi, err := sf.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return sf.Remove(name)
	}
	entries, err := sf.ReadDir(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if err := sf.RemoveAll(path.Join(name, e.Name())); err != nil {
			return err
		}
	}
	if err := sf.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// readDirBufSize is the name buffer ReadDir starts with. libssh2 1.10 cannot give back a name that
// does not fit (issue #714): it drops the entry, and the last one of its batch, so ReadDir starts
// the listing over with a buffer no name can overflow (see readDir).
var readDirBufSize = 4096

// ReadDir reads the named directory and returns its entries sorted by name, without "." and "..",
// like os.ReadDir (libssh2_sftp_open_ex with LIBSSH2_SFTP_OPENDIR, libssh2_sftp_readdir_ex,
// libssh2_sftp_close_handle). The entries' Info is the attributes the server sent with the listing,
// which describe a symbolic link itself, as Lstat does.
func (sf *SFTP) ReadDir(name string) ([]fs.DirEntry, error) {
	return sf.ReadDirContext(context.Background(), name)
}

// ReadDirContext is ReadDir bounded by ctx as well. The directory handle is closed whatever happens.
func (sf *SFTP) ReadDirContext(ctx context.Context, name string) ([]fs.DirEntry, error) {
	if err := checkPath("readdir", name); err != nil {
		return nil, err
	}
	entries, err := sf.readDir(ctx, name, readDirBufSize)
	if errors.Is(err, errmap.BufferTooSmall) {
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
	const op = "readdir"
	if err := sf.lock(op, name); err != nil {
		return nil, err
	}
	s := sf.s
	defer s.mu.Unlock()
	w := s.newWaiter(ctx, s.opDeadline)
	defer w.done()
	if err := s.settle(&w, op, name); err != nil {
		return nil, err
	}
	var h *cshim.Handle
	rc, werr := s.call(&w, func() int {
		h = cshim.SFTPOpenEx(sf.p, name, 0, 0, cshim.SFTPOpenDir)
		if h != nil {
			return 0
		}
		return s.lastErrno()
	})
	if werr != nil {
		s.broken = ErrSessionBroken
		return nil, s.waitError(op, name, werr)
	}
	if rc < 0 {
		return nil, sf.sftpError(op, name, rc, nil)
	}
	defer func() {
		// DESIGN I7: the handle is closed on every path, politely within closeTimeout even when
		// ctx is done. After a failed wait the session is broken, and closeCall frees the handle
		// without talking to the server.
		cctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		rc, cerr := s.closeCall(cctx, func() int { return cshim.SFTPCloseHandle(h) })
		if err != nil {
			return
		}
		if cerr != nil {
			entries, err = nil, s.waitError(op, name, cerr)
		} else if rc < 0 {
			entries, err = nil, sf.sftpError(op, name, rc, nil)
		}
	}()
	buf := make([]byte, bufSize)
	var a cshim.Attributes
	for {
		rc, werr := s.call(&w, func() int { return cshim.SFTPReaddirEx(h, buf, &a) })
		if werr != nil {
			s.broken = ErrSessionBroken
			return nil, s.waitError(op, name, werr)
		}
		if rc < 0 {
			return nil, sf.sftpError(op, name, rc, nil)
		}
		if rc == 0 {
			return entries, nil
		}
		if rc >= len(buf) {
			return nil, &Error{Op: op, Path: name, Code: errmap.BufferTooSmall, Offset: -1, Err: errors.New("libssh2 returned a name longer than its buffer")}
		}
		n := string(buf[:rc])
		if n == "." || n == ".." {
			continue
		}
		entries = append(entries, &dirEntry{fileInfo{name: n, st: newFileStat(&a)}})
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
// replace an existing newpath; PosixRename does that.
func (sf *SFTP) Rename(oldpath, newpath string) error {
	return sf.RenameWithFlags(oldpath, newpath, RenameOverwrite|RenameAtomic|RenameNative)
}

// RenameWithFlags is libssh2_sftp_rename_ex with the given flags.
func (sf *SFTP) RenameWithFlags(oldpath, newpath string, flags RenameFlags) error {
	if err := checkPath("rename", oldpath); err != nil {
		return err
	}
	if err := checkPath("rename", newpath); err != nil {
		return err
	}
	_, err := sf.do(context.Background(), "rename", oldpath, func() int {
		return cshim.SFTPRenameEx(sf.p, oldpath, newpath, int(flags))
	})
	return err
}

// PosixRename renames oldpath to newpath with POSIX semantics, replacing newpath if it exists, like
// os.Rename (libssh2_sftp_posix_rename_ex, the posix-rename@openssh.com extension). It returns an
// error wrapping ErrNotSupported when the libssh2 this package was built against lacks the function
// (before 1.11.0) or the server lacks the extension.
func (sf *SFTP) PosixRename(oldpath, newpath string) error {
	const op = "posixrename"
	if err := checkPath(op, oldpath); err != nil {
		return err
	}
	if err := checkPath(op, newpath); err != nil {
		return err
	}
	if !cshim.HavePosixRename {
		if err := sf.lock(op, oldpath); err != nil {
			return err
		}
		sf.s.mu.Unlock()
		return &Error{Op: op, Path: oldpath, Code: errmap.MethodNotSupported, Offset: -1, Err: ErrNotSupported}
	}
	rc, err := sf.do(context.Background(), op, oldpath, func() int {
		return cshim.SFTPPosixRenameEx(sf.p, oldpath, newpath)
	})
	if err != nil {
		return err
	}
	if rc > 0 {
		// libssh2 returns the server's status, a positive number, when it lacks the extension
		// (DESIGN fact 5).
		return &Error{Op: op, Path: oldpath, Code: errmap.SFTPProtocol, Status: Status(rc), Offset: -1, Err: ErrNotSupported}
	}
	return nil
}

// Symlink creates newname as a symbolic link to oldname, like os.Symlink (libssh2_sftp_symlink_ex
// with LIBSSH2_SFTP_SYMLINK).
func (sf *SFTP) Symlink(oldname, newname string) error {
	if err := checkPath("symlink", oldname); err != nil {
		return err
	}
	if err := checkPath("symlink", newname); err != nil {
		return err
	}
	target := []byte(newname)
	_, err := sf.do(context.Background(), "symlink", newname, func() int {
		return cshim.SFTPSymlinkEx(sf.p, oldname, target, cshim.SFTPSymlink)
	})
	return err
}

// Readlink returns the destination of the named symbolic link, like os.Readlink
// (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_READLINK).
func (sf *SFTP) Readlink(name string) (string, error) {
	return sf.linkQuery("readlink", name, cshim.SFTPReadlink)
}

// RealPath returns the server's canonical absolute form of name, with ".", ".." and symbolic links
// resolved (libssh2_sftp_symlink_ex with LIBSSH2_SFTP_REALPATH). OpenSSH's server accepts paths that
// do not exist.
func (sf *SFTP) RealPath(name string) (string, error) {
	return sf.linkQuery("realpath", name, cshim.SFTPRealpath)
}

// Getwd returns the server's working directory for this channel, the directory relative paths
// start from: RealPath(".").
func (sf *SFTP) Getwd() (string, error) { return sf.linkQuery("getwd", ".", cshim.SFTPRealpath) }

// linkQuery runs READLINK or REALPATH, with a bigger buffer when the answer does not fit: libssh2
// then consumes the answer and returns LIBSSH2_ERROR_BUFFER_TOO_SMALL, and asking again is harmless.
func (sf *SFTP) linkQuery(op, name string, linkType int) (string, error) {
	if err := checkPath(op, name); err != nil {
		return "", err
	}
	for _, size := range []int{4096, cshim.SFTPPacketMaxlen + 1} {
		buf := make([]byte, size)
		rc, err := sf.do(context.Background(), op, name, func() int { return cshim.SFTPSymlinkEx(sf.p, name, buf, linkType) })
		if errors.Is(err, errmap.BufferTooSmall) {
			continue
		}
		if err != nil {
			return "", err
		}
		if rc >= len(buf) {
			break
		}
		return string(buf[:rc]), nil
	}
	return "", &Error{Op: op, Path: name, Code: errmap.BufferTooSmall, Offset: -1, Err: errors.New("answer longer than any SFTP packet")}
}
