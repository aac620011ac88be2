//go:build !linux

package libssh2

import "time"

// pollReadable reports false: elsewhere every wait goes through the netpoller.
func (s *Session) pollReadable(d time.Duration) bool {
	if s.link != nil {
		return s.link.waitReadable(d)
	}
	return false
}

// pollWait is empty elsewhere.
type pollWait struct{}

// writableNow reports false on a socket elsewhere (no keepalive is sent there: see keepalive.go),
// and whether a connection without a descriptor has room.
func (s *Session) writableNow() bool {
	if s.link != nil {
		return s.link.canSend(4096)
	}
	return false
}
