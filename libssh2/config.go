package libssh2

import (
	"strings"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Config says who a Session authenticates as, how, and how it checks the server's host key. It is
// copied when a session starts and never changed by this package.
type Config struct {
	// User is the user name to authenticate as.
	User string
	// Auth lists the authentication methods to try, in order; the first that succeeds wins. Methods
	// the server does not offer are skipped.
	Auth []AuthMethod
	// HostKeyCallback checks the server's host key before any authentication. It is required: use
	// KnownHostsDB.Check (or KnownHosts), FixedHostKey or HostKeyFingerprint, or, to skip the check,
	// InsecureIgnoreHostKey.
	HostKeyCallback HostKeyCallback

	// Ciphers, MACs, KeyExchanges and HostKeyAlgorithms, when set, are the algorithms libssh2 may
	// negotiate, in order of preference (libssh2_session_method_pref); the defaults are libssh2's.
	// Ciphers and MACs apply to both directions.
	Ciphers           []string
	MACs              []string
	KeyExchanges      []string
	HostKeyAlgorithms []string

	// KnownHostKeyTypes, when set and HostKeyAlgorithms is not, returns the types of the host keys
	// already known for the address the session is opened for (the hostname HostKeyCallback gets):
	// the session then asks the server for a key of one of those types first, as OpenSSH orders its
	// host key algorithms by known_hosts, so that a host known by its ed25519 key is not refused
	// for showing its ECDSA key (libssh2_session_supported_algs, libssh2_session_method_pref).
	// KnownHostsDB.KeyTypes is one. When it is set, certificate host key algorithms are never asked
	// for: libssh2 cannot check host certificates (docs/DESIGN.md, "Host keys").
	KnownHostKeyTypes func(hostname string) []string

	// ConnIO makes NewSession read and write the connection through its net.Conn methods (libssh2's
	// send and recv callbacks) even when it has a file descriptor. Set it for a wrapper that
	// implements syscall.Conn but changes or counts the bytes it carries: on the descriptor path
	// libssh2 would read and write the socket underneath it. A connection without a descriptor
	// always goes this way.
	ConnIO bool

	// KeepAlive, when positive, makes the session send a keepalive message (a global request
	// "keepalive@libssh2.org" asking for a reply, as OpenSSH's ServerAliveInterval does) after every
	// KeepAlive of silence, rounded up to whole seconds (libssh2_keepalive_config,
	// libssh2_keepalive_send), from a goroutine that takes its turn with the session's operations.
	// It keeps NAT and firewall state and servers' idle timeouts from ending an idle session.
	KeepAlive time.Duration
}

type methodPref struct {
	method int
	prefs  string
}

func (c *Config) methodPrefs() []methodPref {
	var ps []methodPref
	add := func(list []string, methods ...int) {
		if len(list) == 0 {
			return
		}
		joined := strings.Join(list, ",")
		for _, m := range methods {
			ps = append(ps, methodPref{m, joined})
		}
	}
	add(c.KeyExchanges, cshim.MethodKex)
	add(c.HostKeyAlgorithms, cshim.MethodHostkey)
	add(c.Ciphers, cshim.MethodCryptCS, cshim.MethodCryptSC)
	add(c.MACs, cshim.MethodMACCS, cshim.MethodMACSC)
	return ps
}
