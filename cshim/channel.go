package cshim

/*
#include "shim.h"
*/
import "C"

// Channel is an opaque handle to a libssh2 channel.
type Channel C.LIBSSH2_CHANNEL

func (c *Channel) c() *C.LIBSSH2_CHANNEL { return (*C.LIBSSH2_CHANNEL)(c) }

// SFTPGetChannel wraps libssh2_sftp_get_channel: the SSH channel an SFTP session runs on.
func SFTPGetChannel(f *SFTP) *Channel { return (*Channel)(C.libssh2_sftp_get_channel(f.c())) }

// ChannelEOF wraps libssh2_channel_eof: whether the server has sent EOF on the channel and no data
// of the channel is left to read. It reads libssh2's state and does no I/O.
func ChannelEOF(c *Channel) bool { return C.libssh2_channel_eof(c.c()) == 1 }
