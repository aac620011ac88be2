package libssh2

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// PublicKey is an SSH public key, as a server presents its host key. It has the shape of
// golang.org/x/crypto/ssh's PublicKey without Verify, so such keys and callbacks adapt in one line
// (ssh.ParsePublicKey(key.Marshal())).
type PublicKey interface {
	// Type returns the key's algorithm name, such as "ssh-ed25519".
	Type() string
	// Marshal returns the key in SSH wire format (the blob of an authorized_keys line, decoded).
	Marshal() []byte
}

// HostKeyCallback checks a server's host key, the one libssh2_session_hostkey returns after the
// handshake. hostname is the address the session was opened for ("host:port" as given to Dial, or
// the connection's remote address). A non-nil error refuses the server before any authentication.
type HostKeyCallback func(hostname string, remote net.Addr, key PublicKey) error

type publicKey []byte

func (k publicKey) Marshal() []byte { return bytes.Clone(k) }

func (k publicKey) Type() string {
	if len(k) < 4 {
		return ""
	}
	n := binary.BigEndian.Uint32(k)
	if uint64(n) > uint64(len(k)-4) {
		return ""
	}
	return string(k[4 : 4+n])
}

// Fingerprint returns key's SHA-256 fingerprint as OpenSSH prints it: "SHA256:" and the unpadded
// base64 of the hash. It makes no libssh2 call.
func Fingerprint(key PublicKey) string {
	sum := sha256.Sum256(key.Marshal())
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// ParsePublicKey parses a key as written in authorized_keys or known_hosts files: "type base64
// [comment]", optionally preceded by a host pattern ("host type base64"). A line without a key is an
// *Error with Op "parsepublickey". It makes no libssh2 call.
func ParsePublicKey(line string) (PublicKey, error) {
	f := strings.Fields(line)
	for i := 0; i+1 < len(f); i++ {
		blob, err := base64.StdEncoding.DecodeString(f[i+1])
		if err != nil {
			continue
		}
		if k := publicKey(blob); k.Type() == f[i] {
			return k, nil
		}
	}
	return nil, newError("parsepublickey", "", 0, fmt.Errorf("no SSH public key in %q", line))
}

// HostKeyError says why a host key was refused. Err is ErrHostKeyUnknown, ErrHostKeyMismatch,
// ErrHostKeyOtherType (a mismatch), ErrHostKeyRevoked or ErrHostKeyCertAuthority (an unknown key),
// possibly wrapped with more detail; errors.Is sees through it.
type HostKeyError struct {
	Host        string    // the address checked
	Key         PublicKey // the key the server presented
	Fingerprint string    // its SHA-256 fingerprint
	Err         error     // why it was refused
	// Known lists the known_hosts lines that decided: for a mismatch the host's keys, for a revoked
	// key the @revoked lines, for ErrHostKeyCertAuthority the @cert-authority lines. Empty for
	// checks that do not read known_hosts files.
	Known []KnownHostKey
}

// KnownHostKey is one line of a known_hosts file: its key, where it is, and its marker.
type KnownHostKey struct {
	Key    PublicKey
	File   string
	Line   int    // 1 for the first line
	Marker string // "" for a host key, "@revoked" or "@cert-authority"
}

func (k KnownHostKey) String() string {
	return fmt.Sprintf("%s:%d (%s%s %s)", k.File, k.Line, strings.TrimPrefix(k.Marker+" ", " "), k.Key.Type(), Fingerprint(k.Key))
}

func (e *HostKeyError) Error() string {
	var what string
	switch {
	case errors.Is(e.Err, ErrHostKeyRevoked):
		what = "is marked @revoked"
	case errors.Is(e.Err, ErrHostKeyOtherType):
		what = "is of a type not known for the host, which is known only by keys of other types (possible man-in-the-middle attack)"
	case errors.Is(e.Err, ErrHostKeyMismatch):
		what = "does not match the known key (possible man-in-the-middle attack)"
	case errors.Is(e.Err, ErrHostKeyCertAuthority):
		what = "is unknown; known_hosts trusts a certificate authority for the host (@cert-authority), but libssh2 cannot check host certificates: list the host's key itself to trust it"
	default:
		what = "is unknown"
	}
	msg := fmt.Sprintf("host key %s %s for %s %s", e.Key.Type(), e.Fingerprint, e.Host, what)
	if len(e.Known) > 0 {
		known := make([]string, len(e.Known))
		for i, k := range e.Known {
			known[i] = k.String()
		}
		msg += "; known_hosts: " + strings.Join(known, ", ")
	}
	if e.Err != nil && !isHostKeySentinel(e.Err) {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// isHostKeySentinel reports whether err is one of the host key sentinels, whose text Error says
// better.
func isHostKeySentinel(err error) bool {
	switch err {
	case ErrHostKeyUnknown, ErrHostKeyMismatch, ErrHostKeyOtherType, ErrHostKeyRevoked, ErrHostKeyCertAuthority:
		return true
	}
	return false
}

func (e *HostKeyError) Unwrap() error { return e.Err }

// keyError is the refusal of a host key by this package's HostKeyCallbacks: an *Error (Op
// "hostkey") wrapping the *HostKeyError, which the session returns as it is.
func keyError(host string, key PublicKey, err error) error {
	return newError("hostkey", "", 0, &HostKeyError{Host: host, Key: key, Fingerprint: Fingerprint(key), Err: err})
}

// InsecureIgnoreHostKey returns a HostKeyCallback that accepts any host key. It makes the session open
// to man-in-the-middle attacks: use it only for tests against throw-away servers. It makes no
// libssh2 call.
func InsecureIgnoreHostKey() HostKeyCallback {
	return func(string, net.Addr, PublicKey) error { return nil }
}

// FixedHostKey returns a HostKeyCallback that accepts only key. It makes no libssh2 call.
func FixedHostKey(key PublicKey) HostKeyCallback {
	want := key.Marshal()
	return func(host string, _ net.Addr, got PublicKey) error {
		if !bytes.Equal(got.Marshal(), want) {
			return keyError(host, got, ErrHostKeyMismatch)
		}
		return nil
	}
}

// HostKeyFingerprint returns a HostKeyCallback that accepts only the key with the SHA-256
// fingerprint fp, written as OpenSSH prints it ("SHA256:..."; the prefix is optional). It makes no
// libssh2 call.
func HostKeyFingerprint(fp string) HostKeyCallback {
	want := "SHA256:" + strings.TrimRight(strings.TrimPrefix(fp, "SHA256:"), "=")
	return func(host string, _ net.Addr, key PublicKey) error {
		if Fingerprint(key) != want {
			return keyError(host, key, ErrHostKeyMismatch)
		}
		return nil
	}
}

// checkHostKey runs the configured check on the key the server presented. The caller holds the session lock.
func (s *Session) checkHostKey() error {
	blob, _ := cshim.SessionHostkey(s.s)
	if blob == nil {
		return s.errorf("hostkey", "", int(cshim.ErrorProto), errors.New("the server presented no host key"))
	}
	if err := s.cfg.HostKeyCallback(s.addr, s.conn.RemoteAddr(), publicKey(blob)); err != nil {
		if e, ok := err.(*Error); ok && e.Op == "hostkey" {
			return e // already the refusal of one of this package's checks
		}
		return newError("hostkey", "", 0, err)
	}
	return nil
}

// opensshHostKeyOrder is OpenSSH's default order of host key algorithms (its HostKeyAlgorithms),
// without the certificate and security-key algorithms, which libssh2 cannot check or lacks.
var opensshHostKeyOrder = []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256"}

// hostKeyOrder orders the host key algorithms of supported (libssh2's, in its order) as OpenSSH's
// order_hostkeyalgs does for the key types known for the host: the algorithms of known types first,
// then the rest, each group in OpenSSH's default order followed by what else libssh2 supports (such
// as ssh-rsa, ssh-dss) in libssh2's order; the whole list unchanged when its first algorithm is of a
// known type. Certificate algorithms are left out: libssh2 cannot check host certificates, so the
// server is asked for its plain key (docs/DESIGN.md, "Host keys").
func hostKeyOrder(known, supported []string) []string {
	var base []string
	for _, a := range opensshHostKeyOrder {
		if slices.Contains(supported, a) {
			base = append(base, a)
		}
	}
	for _, a := range supported {
		if !strings.Contains(a, "-cert-") && !slices.Contains(base, a) {
			base = append(base, a)
		}
	}
	isKnown := func(alg string) bool { return slices.Contains(known, keyTypeOfAlgorithm(alg)) }
	if len(base) == 0 || isKnown(base[0]) {
		return base
	}
	var first, last []string
	for _, a := range base {
		if isKnown(a) {
			first = append(first, a)
		} else {
			last = append(last, a)
		}
	}
	return append(first, last...)
}

// keyTypeOfAlgorithm returns the type of the keys a host key algorithm signs with: ssh-rsa for the
// RSA signature algorithms, the algorithm's own name for the others.
func keyTypeOfAlgorithm(alg string) string {
	switch alg {
	case "rsa-sha2-512", "rsa-sha2-256":
		return "ssh-rsa"
	}
	return alg
}

// orderHostKeys sets the host key algorithms libssh2 offers (libssh2_session_method_pref) from the
// key types Config.KnownHostKeyTypes knows for the host, among those libssh2 supports
// (libssh2_session_supported_algs), unless Config.HostKeyAlgorithms sets them. The caller holds the
// session lock.
func (s *Session) orderHostKeys() error {
	if len(s.cfg.HostKeyAlgorithms) > 0 || s.cfg.KnownHostKeyTypes == nil {
		return nil
	}
	algs, n := cshim.SessionSupportedAlgs(s.s, cshim.MethodHostkey)
	if algs == nil {
		if n < 0 {
			return s.errorf("handshake", "", n, errors.New("libssh2_session_supported_algs"))
		}
		return nil
	}
	supported := cshim.AlgNames(algs, n)
	cshim.Free(s.s, algs)
	order := hostKeyOrder(s.cfg.KnownHostKeyTypes(s.addr), supported)
	if len(order) == 0 {
		return nil
	}
	prefs := strings.Join(order, ",")
	if rc := cshim.SessionMethodPref(s.s, cshim.MethodHostkey, prefs); rc < 0 {
		return s.errorf("handshake", "", rc, fmt.Errorf("host key method preference %q", prefs))
	}
	return nil
}
