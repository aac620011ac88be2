package cshim

/*
#cgo pkg-config: libssh2
#include "shim.h"
*/
import "C"

// SFTPRead wraps libssh2_sftp_read: the number of bytes copied into p (0 at end of file), or a
// negative code. libssh2 reads ahead: it keeps up to four times len(p) requested from the server
// (at most 8 MiB), in FXP_READ requests of at most 30000 bytes, and keeps what arrives in its own
// memory until a later call or libssh2_sftp_seek64 takes it. After LIBSSH2_ERROR_EAGAIN the next
// read on the SFTP channel must be this handle's again (its state is per channel); p may differ, as
// nothing is copied into p by a call that returns EAGAIN.
func SFTPRead(h *Handle, p []byte) int {
	return int(C.libssh2_sftp_read(h.c(), bytesPtr(p), C.size_t(len(p))))
}

// SFTPReadBulk is SFTPRead of s's handle h for a bulk read. Once a recv of the call has found the
// socket empty, its later recvs say EAGAIN without a system call: libssh2 drains the socket before
// it takes each reply out of its buffer, which would otherwise ask the kernel once per buffered
// reply. The caller must wait on the socket after an EAGAIN, as after any. With fd >= 0, the TCP
// socket fd is corked for the call, so that the FXP_READ requests the call sends leave in as few
// TCP segments as they fill; it is uncorked before the call returns.
func SFTPReadBulk(s *Session, h *Handle, p []byte, fd int) int {
	return int(C.shim_sftp_read_bulk(s.c(), h.c(), bytesPtr(p), C.size_t(len(p)), C.int(fd)))
}

// Corkable reports whether TCP_CORK works on the socket fd: a TCP socket on Linux.
func Corkable(fd int) bool { return C.shim_corkable(C.int(fd)) != 0 }

// SFTPSeek64 wraps libssh2_sftp_seek64: it sets the handle's offset, drops the read-ahead and every
// request in flight without waiting (replies to those already sent are ignored when they arrive),
// and clears the end-of-file mark. It does nothing when the offset is already there with nothing in
// flight.
func SFTPSeek64(h *Handle, offset uint64) {
	C.libssh2_sftp_seek64(h.c(), C.libssh2_uint64_t(offset))
}

// SFTPTell64 wraps libssh2_sftp_tell64: the handle's offset, which is the end of the bytes returned
// by libssh2_sftp_read, or of the bytes acknowledged by libssh2_sftp_write.
func SFTPTell64(h *Handle) uint64 {
	return uint64(C.libssh2_sftp_tell64(h.c()))
}
