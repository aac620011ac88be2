//go:build !linux

package libssh2

import (
	"net"
	"syscall"
	"time"
)

// fdLink is Linux's (fdlink_linux.go); elsewhere a session waits on its socket in the netpoller.
type fdLink struct{ syscall.RawConn }

// newFDLink returns nil elsewhere: the session uses the socket's own RawConn.
func newFDLink(net.Conn, syscall.RawConn, bool) (*fdLink, error) { return nil, nil }

// SetDeadline is never called elsewhere.
func (l *fdLink) SetDeadline(time.Time) {}

// close is never called elsewhere.
func (l *fdLink) close() error { return nil }

// corkFD is -1 elsewhere: reads are not corked.
func (l *fdLink) corkFD() int { return -1 }
