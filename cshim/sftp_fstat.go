package cshim

// This file duplicates, with the same names and signatures, the part of the metadata work's
// sftp_attrs.go that reading needs (Seek relative to the end of a file needs its size). When both
// are merged, delete this file.

/*
#cgo pkg-config: libssh2
#include "shim.h"
*/
import "C"

// SFTPAttrSize is LIBSSH2_SFTP_ATTR_SIZE: Attributes.Size is meaningful.
const SFTPAttrSize = uint64(C.LIBSSH2_SFTP_ATTR_SIZE)

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
