package libssh2

import (
	"context"
	"io/fs"
	"path"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// FileStat is the value returned by the Sys method of the fs.FileInfo values of this package: the
// attributes exactly as the server sent them (SFTP version 3 attributes, LIBSSH2_SFTP_ATTRIBUTES).
// Flags says which fields the server filled in; the others are zero.
type FileStat struct {
	Flags       AttrFlags // which of the fields below the server sent
	Size        uint64
	Uid, Gid    uint32
	Permissions uint32 // the raw POSIX mode: type bits (S_IFMT) and permission bits
	Atime       time.Time
	Mtime       time.Time
}

// AttrFlags says which attributes an SFTP server sent or a request sets (LIBSSH2_SFTP_ATTR_*).
type AttrFlags uint32

// The attribute flags.
const (
	AttrSize        AttrFlags = AttrFlags(cshim.SFTPAttrSize)        // LIBSSH2_SFTP_ATTR_SIZE
	AttrUIDGID      AttrFlags = AttrFlags(cshim.SFTPAttrUIDGID)      // LIBSSH2_SFTP_ATTR_UIDGID
	AttrPermissions AttrFlags = AttrFlags(cshim.SFTPAttrPermissions) // LIBSSH2_SFTP_ATTR_PERMISSIONS
	AttrACModTime   AttrFlags = AttrFlags(cshim.SFTPAttrAcmodtime)   // LIBSSH2_SFTP_ATTR_ACMODTIME
)

func newFileStat(a *cshim.Attributes) *FileStat {
	st := &FileStat{Flags: AttrFlags(a.Flags)}
	if a.Flags&cshim.SFTPAttrSize != 0 {
		st.Size = a.Size
	}
	if a.Flags&cshim.SFTPAttrUIDGID != 0 {
		st.Uid, st.Gid = uint32(a.UID), uint32(a.GID)
	}
	if a.Flags&cshim.SFTPAttrPermissions != 0 {
		st.Permissions = uint32(a.Permissions)
	}
	if a.Flags&cshim.SFTPAttrAcmodtime != 0 {
		st.Atime = time.Unix(int64(uint32(a.Atime)), 0)
		st.Mtime = time.Unix(int64(uint32(a.Mtime)), 0)
	}
	return st
}

// fileInfo is the fs.FileInfo of a remote file.
type fileInfo struct {
	name string
	st   *FileStat
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return int64(fi.st.Size) }
func (fi *fileInfo) Mode() fs.FileMode  { return fileMode(fi.st.Permissions) }
func (fi *fileInfo) ModTime() time.Time { return fi.st.Mtime }
func (fi *fileInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *fileInfo) Sys() any           { return fi.st }

// fileMode converts a POSIX mode as SFTP carries it to an fs.FileMode.
func fileMode(perm uint32) fs.FileMode {
	m := fs.FileMode(perm & 0o777)
	switch uint64(perm) & cshim.SFTPSIfmt {
	case cshim.SFTPSIfdir:
		m |= fs.ModeDir
	case cshim.SFTPSIflnk:
		m |= fs.ModeSymlink
	case cshim.SFTPSIfifo:
		m |= fs.ModeNamedPipe
	case cshim.SFTPSIfsock:
		m |= fs.ModeSocket
	case cshim.SFTPSIfchr:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case cshim.SFTPSIfblk:
		m |= fs.ModeDevice
	case cshim.SFTPSIfreg:
	default:
		if perm&uint32(cshim.SFTPSIfmt) != 0 {
			m |= fs.ModeIrregular
		}
	}
	if perm&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if perm&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if perm&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// posixPerm converts the permission bits of an fs.FileMode (with setuid, setgid and sticky) to a
// POSIX mode without type bits.
func posixPerm(mode fs.FileMode) uint64 {
	m := uint64(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if mode&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if mode&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}

// do runs one SFTP request that names a path in the operation frame (op.go): the session lock for
// the whole operation, bounded by ctx and the session's deadline, the pending calls finished first,
// and the call repeated until it stops saying EAGAIN. A wait cut short leaves the request pending
// (pending.go), finished by the next operation. rc < 0 becomes an *Error with the SFTP status. The
// caller has checked the path.
func (sf *SFTP) do(ctx context.Context, name, path string, f func() int) (int, error) {
	if sf == nil {
		return 0, errInvalid(name, path, fs.ErrInvalid)
	}
	s := sf.s
	var o op
	if err := s.begin(&o, ctx, name, path, sf, nil, dlSession); err != nil {
		return 0, err
	}
	defer s.end(&o)
	o.mayPark()
	rc, err := o.call(f, nil)
	if err != nil {
		return 0, err
	}
	if rc < 0 {
		return rc, o.sftpFail(rc)
	}
	return rc, nil
}

// Stat returns the named file's attributes, following symbolic links (libssh2_sftp_stat_ex with
// LIBSSH2_SFTP_STAT). The FileInfo's Sys method returns a *FileStat.
func (sf *SFTP) Stat(name string) (fs.FileInfo, error) {
	return sf.StatContext(context.Background(), name)
}

// StatContext is Stat (libssh2_sftp_stat_ex with LIBSSH2_SFTP_STAT) bounded by ctx as well.
func (sf *SFTP) StatContext(ctx context.Context, name string) (fs.FileInfo, error) {
	return sf.stat(ctx, "stat", name, cshim.SFTPStat)
}

// Lstat is Stat without following a final symbolic link (libssh2_sftp_stat_ex with
// LIBSSH2_SFTP_LSTAT).
func (sf *SFTP) Lstat(name string) (fs.FileInfo, error) {
	return sf.LstatContext(context.Background(), name)
}

// LstatContext is Lstat (libssh2_sftp_stat_ex with LIBSSH2_SFTP_LSTAT) bounded by ctx as well.
func (sf *SFTP) LstatContext(ctx context.Context, name string) (fs.FileInfo, error) {
	return sf.stat(ctx, "lstat", name, cshim.SFTPLstat)
}

func (sf *SFTP) stat(ctx context.Context, op, name string, statType int) (fs.FileInfo, error) {
	if err := checkPath(op, name); err != nil {
		return nil, err
	}
	var a cshim.Attributes
	if _, err := sf.do(ctx, op, name, func() int { return cshim.SFTPStatEx(sf.p, name, statType, &a) }); err != nil {
		return nil, err
	}
	return &fileInfo{name: path.Base(name), st: newFileStat(&a)}, nil
}

// setstat sends attributes for a path (libssh2_sftp_stat_ex with LIBSSH2_SFTP_SETSTAT).
func (sf *SFTP) setstat(ctx context.Context, op, name string, a cshim.Attributes) error {
	if err := checkPath(op, name); err != nil {
		return err
	}
	_, err := sf.do(ctx, op, name, func() int { return cshim.SFTPStatEx(sf.p, name, cshim.SFTPSetstat, &a) })
	return err
}

// Chmod changes the mode of the named file to mode's permission bits, setuid, setgid and sticky
// (SETSTAT through libssh2_sftp_stat_ex). A symbolic link is followed by the server.
func (sf *SFTP) Chmod(name string, mode fs.FileMode) error {
	return sf.ChmodContext(context.Background(), name, mode)
}

// ChmodContext is Chmod (SETSTAT through libssh2_sftp_stat_ex) bounded by ctx as well.
func (sf *SFTP) ChmodContext(ctx context.Context, name string, mode fs.FileMode) error {
	return sf.setstat(ctx, "chmod", name, cshim.Attributes{Flags: cshim.SFTPAttrPermissions, Permissions: posixPerm(mode)})
}

// Chown changes the numeric uid and gid of the named file, like os.Chown (SETSTAT through
// libssh2_sftp_stat_ex). SFTP sets both at once: a uid or gid of -1, which os.Chown leaves
// unchanged, is first read with libssh2_sftp_stat_ex (LIBSSH2_SFTP_STAT), so a change by someone
// else in between is undone.
func (sf *SFTP) Chown(name string, uid, gid int) error {
	return sf.ChownContext(context.Background(), name, uid, gid)
}

// ChownContext is Chown (SETSTAT through libssh2_sftp_stat_ex) bounded by ctx as well.
func (sf *SFTP) ChownContext(ctx context.Context, name string, uid, gid int) error {
	if err := checkPath("chown", name); err != nil {
		return err
	}
	if !validID(uid) || !validID(gid) {
		return errInvalid("chown", name, fs.ErrInvalid)
	}
	if uid == -1 || gid == -1 {
		fi, err := sf.stat(ctx, "chown", name, cshim.SFTPStat)
		if err != nil {
			return err
		}
		uid, gid = keepID(uid, fi.Sys().(*FileStat).Uid), keepID(gid, fi.Sys().(*FileStat).Gid)
	}
	return sf.setstat(ctx, "chown", name, cshim.Attributes{Flags: cshim.SFTPAttrUIDGID, UID: uint64(uid), GID: uint64(gid)})
}

// validID reports whether id is a uid or gid SFTP carries (an unsigned 32-bit number), or -1.
func validID(id int) bool { return id >= -1 && uint64(id+1) <= 1<<32 }

// keepID is id, or cur when id is -1 (unchanged).
func keepID(id int, cur uint32) int {
	if id == -1 {
		return int(cur)
	}
	return id
}

// Chtimes changes the access and modification times of the named file, like os.Chtimes (SETSTAT
// through libssh2_sftp_stat_ex). SFTP version 3 carries whole seconds as unsigned 32-bit numbers:
// times are truncated to the second, and times before 1970 or after 2106 are refused. A zero
// time.Time leaves that time as the server has it (read first with libssh2_sftp_stat_ex).
func (sf *SFTP) Chtimes(name string, atime, mtime time.Time) error {
	return sf.ChtimesContext(context.Background(), name, atime, mtime)
}

// ChtimesContext is Chtimes (SETSTAT through libssh2_sftp_stat_ex) bounded by ctx as well.
func (sf *SFTP) ChtimesContext(ctx context.Context, name string, atime, mtime time.Time) error {
	if err := checkPath("chtimes", name); err != nil {
		return err
	}
	if atime.IsZero() || mtime.IsZero() {
		fi, err := sf.stat(ctx, "chtimes", name, cshim.SFTPStat)
		if err != nil {
			return err
		}
		atime, mtime = keepTimes(atime, mtime, fi.Sys().(*FileStat))
	}
	a, ok := acModTime(atime, mtime)
	if !ok {
		return errInvalid("chtimes", name, fs.ErrInvalid)
	}
	return sf.setstat(ctx, "chtimes", name, a)
}

// keepTimes replaces a zero atime or mtime with st's.
func keepTimes(atime, mtime time.Time, st *FileStat) (time.Time, time.Time) {
	if atime.IsZero() {
		atime = st.Atime
	}
	if mtime.IsZero() {
		mtime = st.Mtime
	}
	return atime, mtime
}

// acModTime is the LIBSSH2_SFTP_ATTR_ACMODTIME attributes for atime and mtime; false when SFTP
// version 3 cannot carry them.
func acModTime(atime, mtime time.Time) (cshim.Attributes, bool) {
	a, m := atime.Unix(), mtime.Unix()
	if a < 0 || a > 1<<32-1 || m < 0 || m > 1<<32-1 {
		return cshim.Attributes{}, false
	}
	return cshim.Attributes{Flags: cshim.SFTPAttrAcmodtime, Atime: uint64(a), Mtime: uint64(m)}, true
}

// Truncate changes the size of the named file, like os.Truncate (SETSTAT through
// libssh2_sftp_stat_ex).
func (sf *SFTP) Truncate(name string, size int64) error {
	return sf.TruncateContext(context.Background(), name, size)
}

// TruncateContext is Truncate (SETSTAT through libssh2_sftp_stat_ex) bounded by ctx as well.
func (sf *SFTP) TruncateContext(ctx context.Context, name string, size int64) error {
	if size < 0 {
		return errInvalid("truncate", name, fs.ErrInvalid)
	}
	return sf.setstat(ctx, "truncate", name, cshim.Attributes{Flags: cshim.SFTPAttrSize, Size: uint64(size)})
}

// fileDo runs one request on f's handle: like SFTP.do, after the bytes f has accepted are
// acknowledged, so that what the request sees or changes includes them.
func (f *File) fileDo(ctx context.Context, name string, call func(h *cshim.Handle) int) error {
	var o op
	o.cont = pendWrite // the drain continues f's own write
	if err := f.begin(&o, ctx, name, dlFile); err != nil {
		return err
	}
	s := f.sf.s
	defer s.end(&o)
	o.mayPark()
	if err := f.drain(&o); err != nil {
		return err
	}
	h := f.h
	rc, err := o.call(func() int { return call(h) }, nil)
	if err != nil {
		return err
	}
	if rc < 0 {
		return o.sftpFail(rc)
	}
	if name == "truncate" {
		f.dropReadAhead() // position.go: read-ahead bytes may be past the new end
	}
	return nil
}

// Stat returns the open file's attributes (libssh2_sftp_fstat_ex), once every byte written so far
// is acknowledged by the server, so that the size includes them; a write that failed meanwhile is
// reported instead. The FileInfo's Sys method returns a *FileStat.
func (f *File) Stat() (fs.FileInfo, error) { return f.StatContext(context.Background()) }

// StatContext is Stat (libssh2_sftp_fstat_ex) bounded by ctx as well.
func (f *File) StatContext(ctx context.Context) (fs.FileInfo, error) {
	a, err := f.fstat(ctx)
	if err != nil {
		return nil, err
	}
	return &fileInfo{name: path.Base(f.name), st: newFileStat(a)}, nil
}

// fstat is Stat's libssh2_sftp_fstat_ex, bounded by ctx.
func (f *File) fstat(ctx context.Context) (*cshim.Attributes, error) {
	a := new(cshim.Attributes)
	if err := f.fileDo(ctx, "stat", func(h *cshim.Handle) int { return cshim.SFTPFstatEx(h, a, false) }); err != nil {
		return nil, err
	}
	return a, nil
}

// fsetstat sends attributes for the open file (FSETSTAT through libssh2_sftp_fstat_ex), once every
// byte written so far is acknowledged.
func (f *File) fsetstat(ctx context.Context, op string, a cshim.Attributes) error {
	return f.fileDo(ctx, op, func(h *cshim.Handle) int { return cshim.SFTPFstatEx(h, &a, true) })
}

// Truncate changes the size of the open file (FSETSTAT through libssh2_sftp_fstat_ex), once every
// byte written so far is acknowledged. It does not move the write offset, as with os.File.
func (f *File) Truncate(size int64) error { return f.TruncateContext(context.Background(), size) }

// TruncateContext is Truncate (FSETSTAT through libssh2_sftp_fstat_ex) bounded by ctx as well.
func (f *File) TruncateContext(ctx context.Context, size int64) error {
	if size < 0 {
		return errInvalid("truncate", f.Name(), fs.ErrInvalid)
	}
	return f.truncate(ctx, size)
}

// truncate is Truncate bounded by ctx.
func (f *File) truncate(ctx context.Context, size int64) error {
	return f.fsetstat(ctx, "truncate", cshim.Attributes{Flags: cshim.SFTPAttrSize, Size: uint64(size)})
}

// Chmod changes the mode of the open file (FSETSTAT through libssh2_sftp_fstat_ex).
func (f *File) Chmod(mode fs.FileMode) error { return f.ChmodContext(context.Background(), mode) }

// ChmodContext is Chmod (FSETSTAT through libssh2_sftp_fstat_ex) bounded by ctx as well.
func (f *File) ChmodContext(ctx context.Context, mode fs.FileMode) error {
	return f.fsetstat(ctx, "chmod", cshim.Attributes{Flags: cshim.SFTPAttrPermissions, Permissions: posixPerm(mode)})
}

// Chown changes the numeric uid and gid of the open file, like os.File.Chown (FSETSTAT through
// libssh2_sftp_fstat_ex). SFTP sets both at once: a uid or gid of -1 (unchanged) is first read with
// libssh2_sftp_fstat_ex.
func (f *File) Chown(uid, gid int) error { return f.ChownContext(context.Background(), uid, gid) }

// ChownContext is Chown (FSETSTAT through libssh2_sftp_fstat_ex) bounded by ctx as well.
func (f *File) ChownContext(ctx context.Context, uid, gid int) error {
	if !validID(uid) || !validID(gid) {
		return errInvalid("chown", f.Name(), fs.ErrInvalid)
	}
	if uid == -1 || gid == -1 {
		a, err := f.fstat(ctx)
		if err != nil {
			return retag(err, "chown")
		}
		st := newFileStat(a)
		uid, gid = keepID(uid, st.Uid), keepID(gid, st.Gid)
	}
	return f.fsetstat(ctx, "chown", cshim.Attributes{Flags: cshim.SFTPAttrUIDGID, UID: uint64(uid), GID: uint64(gid)})
}

// Chtimes changes the access and modification times of the open file, as SFTP.Chtimes does for a
// path (FSETSTAT through libssh2_sftp_fstat_ex): whole seconds from 1970 to 2106; a zero time.Time
// leaves that time as the server has it (read first with libssh2_sftp_fstat_ex). The bytes written
// before are acknowledged first, so that landing late they cannot change the times set.
func (f *File) Chtimes(atime, mtime time.Time) error {
	return f.ChtimesContext(context.Background(), atime, mtime)
}

// ChtimesContext is Chtimes (FSETSTAT through libssh2_sftp_fstat_ex) bounded by ctx as well.
func (f *File) ChtimesContext(ctx context.Context, atime, mtime time.Time) error {
	if f == nil {
		return errInvalid("chtimes", "", fs.ErrInvalid)
	}
	if atime.IsZero() || mtime.IsZero() {
		a, err := f.fstat(ctx)
		if err != nil {
			return retag(err, "chtimes")
		}
		atime, mtime = keepTimes(atime, mtime, newFileStat(a))
	}
	a, ok := acModTime(atime, mtime)
	if !ok {
		return errInvalid("chtimes", f.name, fs.ErrInvalid)
	}
	return f.fsetstat(ctx, "chtimes", a)
}

// StatVFS is what the server's statvfs@openssh.com extension says about a file system, as statvfs(3)
// does (LIBSSH2_SFTP_STATVFS).
type StatVFS struct {
	Bsize   uint64 // file system block size
	Frsize  uint64 // fragment size
	Blocks  uint64 // size of the file system in Frsize units
	Bfree   uint64 // free blocks
	Bavail  uint64 // free blocks for unprivileged users
	Files   uint64 // inodes
	Ffree   uint64 // free inodes
	Favail  uint64 // free inodes for unprivileged users
	Fsid    uint64 // file system ID
	Flag    uint64 // mount flags: StatVFSReadOnly, StatVFSNoSUID
	Namemax uint64 // maximum length of a file name
}

// Mount flags of StatVFS.Flag.
const (
	StatVFSReadOnly = cshim.SFTPStRdonly // LIBSSH2_SFTP_ST_RDONLY
	StatVFSNoSUID   = cshim.SFTPStNosuid // LIBSSH2_SFTP_ST_NOSUID
)

// TotalSpace is the file system's size in bytes.
func (st *StatVFS) TotalSpace() uint64 { return st.Frsize * st.Blocks }

// FreeSpace is the space in bytes available to unprivileged users.
func (st *StatVFS) FreeSpace() uint64 { return st.Frsize * st.Bavail }

// StatVFS returns statistics of the file system that holds the named path (libssh2_sftp_statvfs,
// the statvfs@openssh.com extension).
func (sf *SFTP) StatVFS(name string) (*StatVFS, error) {
	return sf.StatVFSContext(context.Background(), name)
}

// StatVFSContext is StatVFS (libssh2_sftp_statvfs) bounded by ctx as well.
func (sf *SFTP) StatVFSContext(ctx context.Context, name string) (*StatVFS, error) {
	if err := checkPath("statvfs", name); err != nil {
		return nil, err
	}
	var c cshim.StatVFS
	if _, err := sf.do(ctx, "statvfs", name, func() int { return cshim.SFTPStatvfs(sf.p, name, &c) }); err != nil {
		return nil, err
	}
	st := StatVFS(c)
	return &st, nil
}
