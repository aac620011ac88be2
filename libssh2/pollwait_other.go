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

// readableNow reports whether a connection without a descriptor has received bytes waiting; on a
// socket elsewhere it reports false (the netpoller's wait is all there is).
func (s *Session) readableNow() bool {
	if s.link != nil {
		return s.link.hasInput()
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
