package cshim

/*
#include "shim.h"
*/
import "C"

import (
	"unsafe"
)

// Channel is an opaque handle to a libssh2 channel.
type Channel C.LIBSSH2_CHANNEL

func (c *Channel) c() *C.LIBSSH2_CHANNEL { return (*C.LIBSSH2_CHANNEL)(c) }

// SFTPGetChannel wraps libssh2_sftp_get_channel: the SSH channel an SFTP session runs on.
func SFTPGetChannel(f *SFTP) *Channel { return (*Channel)(C.libssh2_sftp_get_channel(f.c())) }

// ChannelEOF wraps libssh2_channel_eof: whether the server has sent EOF on the channel and no data
// of the channel is left to read. It reads libssh2's state and does no I/O.
func ChannelEOF(c *Channel) bool { return C.libssh2_channel_eof(c.c()) == 1 }

// Channel stream ids of libssh2_channel_read_ex and libssh2_channel_write_ex.
const (
	StreamStdout = 0
	StreamStderr = int(C.SSH_EXTENDED_DATA_STDERR)
)

// ChannelOpenSession wraps libssh2_channel_open_session (libssh2_channel_open_ex with the
// "session" type and libssh2's default window and packet sizes). NULL with
// libssh2_session_last_errno LIBSSH2_ERROR_EAGAIN means: call again.
func ChannelOpenSession(s *Session) *Channel {
	return (*Channel)(C.shim_channel_open_session(s.c()))
}

// ChannelDirectTCPIPEx wraps libssh2_channel_direct_tcpip_ex: a channel to host:port opened by the
// server, which is told that the connection comes from shost:sport.
func ChannelDirectTCPIPEx(s *Session, host string, port int, shost string, sport int) *Channel {
	ch := C.CString(host)
	defer C.free(unsafe.Pointer(ch))
	cs := C.CString(shost)
	defer C.free(unsafe.Pointer(cs))
	return (*Channel)(C.libssh2_channel_direct_tcpip_ex(s.c(), ch, C.int(port), cs, C.int(sport)))
}

// ChannelProcessStartup wraps libssh2_channel_process_startup: request is "exec", "shell" or
// "subsystem", message its argument (the command line, or none).
func ChannelProcessStartup(c *Channel, request string, message []byte) int {
	r, rl := cstr(request)
	defer C.free(unsafe.Pointer(r))
	return int(C.libssh2_channel_process_startup(c.c(), r, rl, bytesPtr(message), C.uint(len(message))))
}

// ChannelSetenvEx wraps libssh2_channel_setenv_ex.
func ChannelSetenvEx(c *Channel, name, value string) int {
	n, nl := cstr(name)
	defer C.free(unsafe.Pointer(n))
	v, vl := cstr(value)
	defer C.free(unsafe.Pointer(v))
	return int(C.libssh2_channel_setenv_ex(c.c(), n, nl, v, vl))
}

// ChannelReadEx wraps libssh2_channel_read_ex on stream (StreamStdout or StreamStderr).
func ChannelReadEx(c *Channel, stream int, p []byte) int {
	return int(C.libssh2_channel_read_ex(c.c(), C.int(stream), bytesPtr(p), C.size_t(len(p))))
}

// ChannelWriteEx wraps libssh2_channel_write_ex on stream.
func ChannelWriteEx(c *Channel, stream int, p []byte) int {
	return int(C.libssh2_channel_write_ex(c.c(), C.int(stream), bytesPtr(p), C.size_t(len(p))))
}

// ChannelSendEOF wraps libssh2_channel_send_eof.
func ChannelSendEOF(c *Channel) int { return int(C.libssh2_channel_send_eof(c.c())) }

// ChannelClose wraps libssh2_channel_close: it sends the channel's close message.
func ChannelClose(c *Channel) int { return int(C.libssh2_channel_close(c.c())) }

// ChannelWaitClosed wraps libssh2_channel_wait_closed: it waits for the server's close message.
func ChannelWaitClosed(c *Channel) int { return int(C.libssh2_channel_wait_closed(c.c())) }

// ChannelFree wraps libssh2_channel_free.
func ChannelFree(c *Channel) int { return int(C.libssh2_channel_free(c.c())) }

// ChannelGetExitStatus wraps libssh2_channel_get_exit_status: the command's exit status, 0 when the
// server sent none. It does no I/O.
func ChannelGetExitStatus(c *Channel) int { return int(C.libssh2_channel_get_exit_status(c.c())) }

// ChannelGetExitSignal wraps libssh2_channel_get_exit_signal: the name of the signal that ended the
// command without its "SIG" prefix ("" when none) and the server's message. The strings libssh2
// allocates are copied and freed here. It does no I/O.
func ChannelGetExitSignal(s *Session, c *Channel) (signal, msg string, rc int) {
	var sig, em, lang *C.char
	var sigLen, emLen, langLen C.size_t
	rc = int(C.libssh2_channel_get_exit_signal(c.c(), &sig, &sigLen, &em, &emLen, &lang, &langLen))
	if sig != nil {
		signal = C.GoStringN(sig, C.int(sigLen))
		C.libssh2_free(s.c(), unsafe.Pointer(sig))
	}
	if em != nil {
		msg = C.GoStringN(em, C.int(emLen))
		C.libssh2_free(s.c(), unsafe.Pointer(em))
	}
	if lang != nil {
		C.libssh2_free(s.c(), unsafe.Pointer(lang))
	}
	return signal, msg, rc
}

// ChannelWindowWrite wraps libssh2_channel_window_write_ex: the bytes the server's window lets the
// channel send now. It does no I/O.
func ChannelWindowWrite(c *Channel) uint64 {
	return uint64(C.libssh2_channel_window_write_ex(c.c(), nil))
}

// ChannelReadAvail wraps libssh2_channel_window_read_ex for its read_avail: the bytes of the
// channel's data that libssh2 has received and queued, not yet read. It does no I/O.
func ChannelReadAvail(c *Channel) uint64 {
	var avail C.ulong
	C.libssh2_channel_window_read_ex(c.c(), &avail, nil)
	return uint64(avail)
}

// KeepaliveConfig wraps libssh2_keepalive_config: send a keepalive message every interval seconds
// of silence (0: never), asking for a reply when wantReply.
func KeepaliveConfig(s *Session, wantReply bool, interval uint) {
	w := C.int(0)
	if wantReply {
		w = 1
	}
	C.libssh2_keepalive_config(s.c(), w, C.uint(interval))
}

// KeepaliveSend wraps libssh2_keepalive_send: it sends a keepalive message when one is due, and
// returns the seconds until the next one is.
func KeepaliveSend(s *Session) (rc, next int) {
	var n C.int
	rc = int(C.libssh2_keepalive_send(s.c(), &n))
	return rc, int(n)
}
