package libssh2

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"
)

// FS returns a file system (an fs.FS) for the tree of the server rooted at root, as os.DirFS does
// for a local directory. An empty root is the server's working directory (Getwd). Names are
// slash-separated and unrooted, checked with fs.ValidPath (a NUL byte is invalid too), and failures are *fs.PathError values
// whose Err is the *Error of the request that failed, so errors.Is(err, fs.ErrNotExist) works.
//
// Besides fs.FS, the value implements fs.StatFS, fs.ReadDirFS, fs.ReadFileFS, fs.SubFS, and
// ReadLink and Lstat as fs.ReadLinkFS asks (Go 1.25). Open returns the *File of a regular file
// (opened read-only, with Read, ReadAt, Seek and WriteTo), a directory that lists its entries
// through ReadDir, or, for other kinds of files (FIFOs, devices), a file that can only be Stat'ed:
// opening those on the server could block it. Symbolic links are followed, except by ReadDir's
// entries, Lstat and ReadLink.
//
// The file system is safe for concurrent use; its requests are serialized with all others on the
// Session. It holds no resources itself: the Files it opens must be closed, and closing the SFTP
// closes them.
func (sf *SFTP) FS(root string) fs.FS {
	if root == "" {
		root = "."
	}
	return &sftpFS{sf: sf, root: root}
}

// sftpFS is the fs.FS of SFTP.FS.
type sftpFS struct {
	sf   *SFTP
	root string
}

// remote returns the server's path for the valid name, or a *fs.PathError for an invalid one.
func (fsys *sftpFS) remote(op, name string) (string, error) {
	if !fs.ValidPath(name) || strings.IndexByte(name, 0) >= 0 {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(fsys.root, name), nil
}

// baseName is the name a FileInfo of name carries: its last element, "." for the root.
func baseName(name string) string { return path.Base(name) }

// renamed returns fi with its name replaced.
func renamed(fi fs.FileInfo, name string) fs.FileInfo {
	if f, ok := fi.(*fileInfo); ok && f.name != name {
		c := *f
		c.name = name
		return &c
	}
	return fi
}

// Open opens the named file or directory (see SFTP.FS).
func (fsys *sftpFS) Open(name string) (fs.File, error) {
	full, err := fsys.remote("open", name)
	if err != nil {
		return nil, err
	}
	fi, err := fsys.sf.Stat(full)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	fi = renamed(fi, baseName(name))
	switch {
	case fi.IsDir():
		return &dirFile{fsys: fsys, name: name, full: full, info: fi}, nil
	case !fi.Mode().IsRegular():
		return &specialFile{name: name, info: fi}, nil
	}
	f, err := fsys.sf.Open(full)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}

// Stat returns the attributes of the named file, following symbolic links (SFTP.Stat).
func (fsys *sftpFS) Stat(name string) (fs.FileInfo, error) {
	full, err := fsys.remote("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := fsys.sf.Stat(full)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return renamed(fi, baseName(name)), nil
}

// Lstat is Stat without following a final symbolic link (SFTP.Lstat), as fs.ReadLinkFS asks.
func (fsys *sftpFS) Lstat(name string) (fs.FileInfo, error) {
	full, err := fsys.remote("lstat", name)
	if err != nil {
		return nil, err
	}
	fi, err := fsys.sf.Lstat(full)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	return renamed(fi, baseName(name)), nil
}

// ReadLink returns the destination of the named symbolic link as the server stores it
// (SFTP.Readlink), as fs.ReadLinkFS asks.
func (fsys *sftpFS) ReadLink(name string) (string, error) {
	full, err := fsys.remote("readlink", name)
	if err != nil {
		return "", err
	}
	dest, err := fsys.sf.Readlink(full)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return dest, nil
}

// ReadDir reads the named directory and returns its entries sorted by name (SFTP.ReadDir).
func (fsys *sftpFS) ReadDir(name string) ([]fs.DirEntry, error) {
	full, err := fsys.remote("readdir", name)
	if err != nil {
		return nil, err
	}
	entries, err := fsys.sf.ReadDir(full)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return entries, nil
}

// ReadFile reads the named file and returns its content.
func (fsys *sftpFS) ReadFile(name string) ([]byte, error) {
	full, err := fsys.remote("readfile", name)
	if err != nil {
		return nil, err
	}
	f, err := fsys.sf.Open(full)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: syscall.EISDIR}
	}
	var buf bytes.Buffer
	if fi.Size() > 0 && fi.Size() < 1<<30 {
		buf.Grow(int(fi.Size()) + 1)
	}
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	if err := f.Close(); err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return buf.Bytes(), nil
}

// Sub returns the file system rooted at dir. It does not check that dir exists, as os.DirFS's
// does not either.
func (fsys *sftpFS) Sub(dir string) (fs.FS, error) {
	full, err := fsys.remote("sub", dir)
	if err != nil {
		return nil, err
	}
	if dir == "." {
		return fsys, nil
	}
	return &sftpFS{sf: fsys.sf, root: full}, nil
}

// dirFile is an open directory of an sftpFS: its entries are read with SFTP.ReadDir, whose
// directory handle is closed before it returns, on the first ReadDir call.
type dirFile struct {
	fsys    *sftpFS
	name    string // the fs name
	full    string // the server's path
	info    fs.FileInfo
	entries []fs.DirEntry
	read    bool // entries holds what is left to return
	closed  bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "stat", Path: d.name, Err: fs.ErrClosed}
	}
	return d.info, nil
}

func (d *dirFile) Read([]byte) (int, error) {
	if d.closed {
		return 0, &fs.PathError{Op: "read", Path: d.name, Err: fs.ErrClosed}
	}
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: syscall.EISDIR}
}

func (d *dirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.name, Err: fs.ErrClosed}
	}
	d.closed, d.entries = true, nil
	return nil
}

// ReadDir returns the directory's next n entries, as fs.ReadDirFile says: with n <= 0 all that are
// left (and a nil error), with n > 0 at most n, and io.EOF when none are left.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: fs.ErrClosed}
	}
	if !d.read {
		entries, err := d.fsys.sf.ReadDir(d.full)
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: err}
		}
		d.entries, d.read = entries, true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		if out == nil {
			out = []fs.DirEntry{}
		}
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n:n]
	d.entries = d.entries[n:]
	return out, nil
}

// specialFile is an open FIFO, socket or device of an sftpFS: only its attributes are known, since
// opening it on the server could block the server.
type specialFile struct {
	name   string
	info   fs.FileInfo
	closed bool
}

var errSpecialFile = errors.New("not a regular file: reading it over SFTP could block the server")

func (f *specialFile) Stat() (fs.FileInfo, error) {
	if f.closed {
		return nil, &fs.PathError{Op: "stat", Path: f.name, Err: fs.ErrClosed}
	}
	return f.info, nil
}

func (f *specialFile) Read([]byte) (int, error) {
	if f.closed {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrClosed}
	}
	return 0, &fs.PathError{Op: "read", Path: f.name, Err: errSpecialFile}
}

func (f *specialFile) Close() error {
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return nil
}
