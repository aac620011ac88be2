// Package cshim is the only package of go-libssh2 that imports "C".
//
// It holds one small Go function per libssh2 call that the project uses, named after the C function
// without its prefix (SFTPWrite for libssh2_sftp_write), plus the C helpers in shim.c for what cgo
// cannot reach directly. Functions return raw C results; they hold no locks, apply no policy and make
// no Go errors. Go memory passed in is used for the duration of one call only.
package cshim

/*
#cgo pkg-config: libssh2
#include "shim.h"
*/
import "C"
