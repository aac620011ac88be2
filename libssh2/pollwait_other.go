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
