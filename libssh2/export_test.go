package libssh2

import (
	"context"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// GrowAlways makes transfers open every stream they may, at once, whatever the round trip and the
// gain, so that tests on loopback run several streams; it returns the function that restores the
// measured growth.
func GrowAlways() (restore func()) {
	rtt, gain, window, left := growRTT, growGain, growWindow, growMinLeft
	growRTT, growGain, growWindow, growMinLeft = 0, 0, time.Millisecond, 0
	return func() { growRTT, growGain, growWindow, growMinLeft = rtt, gain, window, left }
}

// CheckKnownHostsData decides key for hostname against known_hosts content data, as
// KnownHostsDB.Check does with a file holding data (named "data").
func CheckKnownHostsData(data []byte, hostname string, key PublicKey) error {
	return decideHostKey(appendKnownLines(nil, "data", data), hostname, key)
}

// KnownKeyTypesData is KnownHostsDB.KeyTypes on known_hosts content data.
func KnownKeyTypesData(data []byte, hostname string) []string {
	return knownKeyTypes(appendKnownLines(nil, "data", data), hostname)
}

// HostKeyOrder is the order of host key algorithms a session asks for, given the key types known
// for the host and the algorithms libssh2 supports.
func HostKeyOrder(known, supported []string) []string { return hostKeyOrder(known, supported) }

// MatchPatternList is OpenSSH's match_pattern_list for host names.
func MatchPatternList(s, list string) int { return matchPatternList(s, list) }

// MarkLane makes sf a lane (lanes.go), as a Batch does with the SFTP channels it opens: its calls
// stand aside while they wait for their replies. Nothing else may use sf meanwhile.
func MarkLane(sf *SFTP) { sf.lane = true }

// ParkedNow is how many operations of s stand aside now.
func ParkedNow(s *Session) int { return int(s.parkedNow.Load()) }

// Running reports whether an operation of s holds the session.
func Running(s *Session) bool {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.act.running
}

// Redial opens another session like s, as a transfer's extra stream does.
func Redial(ctx context.Context, s *Session) (*Session, error) { return s.redial(ctx) }

// DialHinted is Dial with hint tried first, as a redial tries the method that logged in the
// session it copies.
func DialHinted(ctx context.Context, addr string, cfg *Config, hint AuthMethod) (*Session, error) {
	return dial(ctx, "tcp", addr, cfg, hint)
}

// BatchGrouped is how many of b's Put files were written in groups by PutFiles.
func BatchGrouped(b *Batch) int64 { return b.grouped.Load() }

// NeverGrow makes every round trip count as short, so that a Batch stays on its first SFTP channel
// (and pipelines Put's files) however slow a loaded test machine makes its first job; it returns
// the function that restores the measured growth.
func NeverGrow() (restore func()) {
	rtt := growRTT
	growRTT = time.Hour
	return func() { growRTT = rtt }
}

// BatchLanes is how many lanes b has opened on the caller's session.
func BatchLanes(b *Batch) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.lanes)
}

// SFTPChannels is how many SFTP channels of s are open (not yet closed, or closing in the
// background). It waits for the session lock.
func SFTPChannels(s *Session) int { return countLocked(s, func() int { return len(s.sftps) }) }

// OpenFiles is how many Files of sf have their handle open (not yet closed, nor queued to be). It
// waits for the session lock.
func OpenFiles(sf *SFTP) int { return countLocked(sf.s, func() int { return len(sf.open) }) }

// PendingOn is how many calls of sf wait, queued, for an operation to finish them. It waits for
// the session lock.
func PendingOn(sf *SFTP) int {
	return countLocked(sf.s, func() (n int) {
		for _, p := range sf.s.pend {
			if p.sf == sf {
				n++
			}
		}
		return n
	})
}

// OpenChannels is how many channels of s other than SFTP ones (commands, Dial's connections) are
// open: not freed, nor being freed. It waits for the session lock.
func OpenChannels(s *Session) int {
	return countLocked(s, func() (n int) {
		for ch := range s.chans {
			if ch.c != nil {
				n++
			}
		}
		return n
	})
}

// countLocked returns count's result, run under s's lock.
func countLocked(s *Session, count func() int) int {
	s.lock()
	defer s.release()
	return count()
}

// SessionHeld reports whether an operation holds s's lock now.
func SessionHeld(s *Session) bool { return len(s.sem) == 1 }

// BulkStats is cshim.SessionBulkStats of s: its bulk calls so far, their recvs that found the
// socket empty, and the recvs that said EAGAIN without asking the kernel. It waits for the session
// lock.
func BulkStats(s *Session) (calls, empty, dry uint64) {
	s.lock()
	defer s.release()
	return cshim.SessionBulkStats(s.s)
}
