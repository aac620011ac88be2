package libssh2

import (
	"context"
	"errors"
	"io/fs"
	"time"
	"weak"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Keepalive (Config.KeepAlive): a goroutine per session asks libssh2 when the next keepalive
// message is due (libssh2_keepalive_send returns the seconds to it) and calls it again then, through
// the operation frame like any operation. It holds the Session only weakly, so that it adds no
// reference of its own to a Session that is never closed.
//
// libssh2_keepalive_send ignores LIBSSH2_ERROR_EAGAIN from the transport: a keepalive packet cut
// half way would leave libssh2 expecting the rest from a buffer that no longer exists, and the next
// packet would fail with LIBSSH2_ERROR_BAD_USE. So it is only called when the connection can take the
// whole packet now (writableNow); when it cannot, data is flowing and no keepalive is needed.

// startKeepalive starts s's keepalive goroutine when the Config asks for one.
func (s *Session) startKeepalive() {
	if s.cfg.KeepAlive <= 0 {
		return
	}
	secs := uint((s.cfg.KeepAlive + time.Second - 1) / time.Second)
	cshim.KeepaliveConfig(s.s, true, secs)
	wp := weak.Make(s)
	closed := s.closed
	go func() {
		t := time.NewTimer(time.Duration(secs) * time.Second)
		defer t.Stop()
		for {
			select {
			case <-closed:
				return
			case <-t.C:
			}
			s := wp.Value()
			if s == nil {
				return
			}
			next, ok := s.sendKeepalive(secs)
			s = nil
			if !ok {
				return
			}
			t.Reset(next)
		}
	}()
}

// sendKeepalive sends a keepalive message if one is due, and returns when to try next; ok is false
// once the session is closed or broken.
func (s *Session) sendKeepalive(secs uint) (next time.Duration, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs)*time.Second)
	defer cancel()
	var o op
	if err := s.begin(&o, ctx, "keepalive", "", nil, nil, dlSession); err != nil {
		// Closed or broken: stop; else (the session was busy past the bound) try again soon.
		return time.Second, !errors.Is(err, fs.ErrClosed) && !errors.Is(err, ErrSessionBroken)
	}
	defer s.end(&o)
	if !s.writableNow() {
		return time.Duration(secs) * time.Second, true
	}
	var n int
	rc, err := o.call(func() int {
		var rc int
		rc, n = cshim.KeepaliveSend(s.s)
		return rc
	}, nil)
	if err != nil || rc < 0 {
		if rc < 0 && fatal(rc) {
			s.breakWith(s.errorf("keepalive", "", rc, nil))
		}
		return time.Second, s.broken == nil
	}
	return time.Duration(max(n, 1)) * time.Second, true
}
