package cshim

/*
#cgo pkg-config: libssh2
#include "shim.h"
#include "sftp_attrs.h"
*/
import "C"

import "unsafe"

// Constants of the installed header for metadata, directories and names.
const (
	SFTPStat     = int(C.LIBSSH2_SFTP_STAT)
	SFTPLstat    = int(C.LIBSSH2_SFTP_LSTAT)
	SFTPSetstat  = int(C.LIBSSH2_SFTP_SETSTAT)
	SFTPSymlink  = int(C.LIBSSH2_SFTP_SYMLINK)
	SFTPReadlink = int(C.LIBSSH2_SFTP_READLINK)
	SFTPRealpath = int(C.LIBSSH2_SFTP_REALPATH)

	SFTPAttrSize        = uint64(C.LIBSSH2_SFTP_ATTR_SIZE)
	SFTPAttrUIDGID      = uint64(C.LIBSSH2_SFTP_ATTR_UIDGID)
	SFTPAttrPermissions = uint64(C.LIBSSH2_SFTP_ATTR_PERMISSIONS)
	SFTPAttrAcmodtime   = uint64(C.LIBSSH2_SFTP_ATTR_ACMODTIME)

	SFTPRenameOverwrite = int(C.LIBSSH2_SFTP_RENAME_OVERWRITE)
	SFTPRenameAtomic    = int(C.LIBSSH2_SFTP_RENAME_ATOMIC)
	SFTPRenameNative    = int(C.LIBSSH2_SFTP_RENAME_NATIVE)

	SFTPStRdonly = uint64(C.LIBSSH2_SFTP_ST_RDONLY)
	SFTPStNosuid = uint64(C.LIBSSH2_SFTP_ST_NOSUID)

	SFTPSIfmt   = uint64(C.LIBSSH2_SFTP_S_IFMT)
	SFTPSIfifo  = uint64(C.LIBSSH2_SFTP_S_IFIFO)
	SFTPSIfchr  = uint64(C.LIBSSH2_SFTP_S_IFCHR)
	SFTPSIfdir  = uint64(C.LIBSSH2_SFTP_S_IFDIR)
	SFTPSIfblk  = uint64(C.LIBSSH2_SFTP_S_IFBLK)
	SFTPSIfreg  = uint64(C.LIBSSH2_SFTP_S_IFREG)
	SFTPSIflnk  = uint64(C.LIBSSH2_SFTP_S_IFLNK)
	SFTPSIfsock = uint64(C.LIBSSH2_SFTP_S_IFSOCK)

	ErrorBufferTooSmall     = int(C.LIBSSH2_ERROR_BUFFER_TOO_SMALL)
	ErrorMethodNotSupported = int(C.LIBSSH2_ERROR_METHOD_NOT_SUPPORTED)

	// HavePosixRename says whether the header built against has libssh2_sftp_posix_rename_ex
	// (libssh2 1.11.0 and later).
	HavePosixRename = C.SHIM_HAVE_POSIX_RENAME != 0

	// SFTPPacketMaxlen is libssh2's LIBSSH2_SFTP_PACKET_MAXLEN (src/sftp.h, 256 KiB in 1.10 and
	// 1.11): no SFTP packet it accepts, so no name in one, is longer.
	SFTPPacketMaxlen = 256 * 1024
)

// Attributes is LIBSSH2_SFTP_ATTRIBUTES in Go memory: Flags (LIBSSH2_SFTP_ATTR_*) says which of the
// other fields are meaningful.
type Attributes struct {
	Flags        uint64
	Size         uint64
	UID, GID     uint64
	Permissions  uint64
	Atime, Mtime uint64
}

func (a *Attributes) toC(c *C.LIBSSH2_SFTP_ATTRIBUTES) {
	c.flags = C.ulong(a.Flags)
	c.filesize = C.libssh2_uint64_t(a.Size)
	c.uid = C.ulong(a.UID)
	c.gid = C.ulong(a.GID)
	c.permissions = C.ulong(a.Permissions)
	c.atime = C.ulong(a.Atime)
	c.mtime = C.ulong(a.Mtime)
}

func (a *Attributes) fromC(c *C.LIBSSH2_SFTP_ATTRIBUTES) {
	*a = Attributes{
		Flags:       uint64(c.flags),
		Size:        uint64(c.filesize),
		UID:         uint64(c.uid),
		GID:         uint64(c.gid),
		Permissions: uint64(c.permissions),
		Atime:       uint64(c.atime),
		Mtime:       uint64(c.mtime),
	}
}

// StatVFS is LIBSSH2_SFTP_STATVFS in Go memory.
type StatVFS struct {
	Bsize, Frsize, Blocks, Bfree, Bavail, Files, Ffree, Favail, Fsid, Flag, Namemax uint64
}

// SFTPStatEx wraps libssh2_sftp_stat_ex. For LIBSSH2_SFTP_SETSTAT it sends attrs; otherwise it fills
// attrs in.
func SFTPStatEx(f *SFTP, path string, statType int, attrs *Attributes) int {
	cp, n := cstr(path)
	defer C.free(unsafe.Pointer(cp))
	var ca C.LIBSSH2_SFTP_ATTRIBUTES
	if statType == SFTPSetstat {
		attrs.toC(&ca)
	}
	rc := int(C.libssh2_sftp_stat_ex(f.c(), cp, n, C.int(statType), &ca))
	if statType != SFTPSetstat && rc == 0 {
		attrs.fromC(&ca)
	}
	return rc
}

// SFTPFstatEx wraps libssh2_sftp_fstat_ex. With setstat it sends attrs (fsetstat); otherwise it
// fills attrs in (fstat).
func SFTPFstatEx(h *Handle, attrs *Attributes, setstat bool) int {
	var ca C.LIBSSH2_SFTP_ATTRIBUTES
	set := C.int(0)
	if setstat {
		attrs.toC(&ca)
		set = 1
	}
	rc := int(C.libssh2_sftp_fstat_ex(h.c(), &ca, set))
	if !setstat && rc == 0 {
		attrs.fromC(&ca)
	}
	return rc
}

// SFTPMkdirEx wraps libssh2_sftp_mkdir_ex.
func SFTPMkdirEx(f *SFTP, path string, mode int) int {
	cp, n := cstr(path)
	defer C.free(unsafe.Pointer(cp))
	return int(C.libssh2_sftp_mkdir_ex(f.c(), cp, n, C.long(mode)))
}

// SFTPRmdirEx wraps libssh2_sftp_rmdir_ex.
func SFTPRmdirEx(f *SFTP, path string) int {
	cp, n := cstr(path)
	defer C.free(unsafe.Pointer(cp))
	return int(C.libssh2_sftp_rmdir_ex(f.c(), cp, n))
}

// SFTPUnlinkEx wraps libssh2_sftp_unlink_ex.
func SFTPUnlinkEx(f *SFTP, path string) int {
	cp, n := cstr(path)
	defer C.free(unsafe.Pointer(cp))
	return int(C.libssh2_sftp_unlink_ex(f.c(), cp, n))
}

// SFTPRenameEx wraps libssh2_sftp_rename_ex.
func SFTPRenameEx(f *SFTP, src, dst string, flags int) int {
	cs, sn := cstr(src)
	defer C.free(unsafe.Pointer(cs))
	cd, dn := cstr(dst)
	defer C.free(unsafe.Pointer(cd))
	return int(C.libssh2_sftp_rename_ex(f.c(), cs, sn, cd, dn, C.long(flags)))
}

// SFTPPosixRenameEx wraps libssh2_sftp_posix_rename_ex (the posix-rename@openssh.com extension).
// Built against a libssh2 without it (HavePosixRename false, libssh2 before 1.11.0) it returns
// LIBSSH2_ERROR_METHOD_NOT_SUPPORTED without a call.
func SFTPPosixRenameEx(f *SFTP, src, dst string) int {
	cs, sn := cstr(src)
	defer C.free(unsafe.Pointer(cs))
	cd, dn := cstr(dst)
	defer C.free(unsafe.Pointer(cd))
	return int(C.shim_sftp_posix_rename(f.c(), cs, sn, cd, dn))
}

// SFTPSymlinkEx wraps libssh2_sftp_symlink_ex. For LIBSSH2_SFTP_SYMLINK, target holds the second
// path sent; for LIBSSH2_SFTP_READLINK and LIBSSH2_SFTP_REALPATH it is the buffer the answer is
// written to (NUL-terminated), and the result is the answer's length.
func SFTPSymlinkEx(f *SFTP, path string, target []byte, linkType int) int {
	cp, n := cstr(path)
	defer C.free(unsafe.Pointer(cp))
	return int(C.libssh2_sftp_symlink_ex(f.c(), cp, n, bytesPtr(target), C.uint(len(target)), C.int(linkType)))
}

// SFTPReaddirEx wraps libssh2_sftp_readdir_ex without the long entry: it writes the next name of the
// directory into buf (NUL-terminated) and its attributes into attrs, and returns the name's length,
// 0 at the end, or a negative code.
func SFTPReaddirEx(h *Handle, buf []byte, attrs *Attributes) int {
	var ca C.LIBSSH2_SFTP_ATTRIBUTES
	rc := int(C.libssh2_sftp_readdir_ex(h.c(), bytesPtr(buf), C.size_t(len(buf)), nil, 0, &ca))
	if rc > 0 {
		attrs.fromC(&ca)
	}
	return rc
}

// SFTPStatvfs wraps libssh2_sftp_statvfs (the statvfs@openssh.com extension).
func SFTPStatvfs(f *SFTP, path string, st *StatVFS) int {
	cp, _ := cstr(path)
	defer C.free(unsafe.Pointer(cp))
	var cs C.LIBSSH2_SFTP_STATVFS
	rc := int(C.libssh2_sftp_statvfs(f.c(), cp, C.size_t(len(path)), &cs))
	if rc == 0 {
		*st = StatVFS{
			Bsize: uint64(cs.f_bsize), Frsize: uint64(cs.f_frsize), Blocks: uint64(cs.f_blocks),
			Bfree: uint64(cs.f_bfree), Bavail: uint64(cs.f_bavail), Files: uint64(cs.f_files),
			Ffree: uint64(cs.f_ffree), Favail: uint64(cs.f_favail), Fsid: uint64(cs.f_fsid),
			Flag: uint64(cs.f_flag), Namemax: uint64(cs.f_namemax),
		}
	}
	return rc
}
