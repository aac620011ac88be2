package libssh2

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
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

// HostKeyCallback checks a server's host key. hostname is the address the session was opened for
// ("host:port" as given to Dial, or the connection's remote address). A non-nil error refuses the
// server before any authentication.
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
// base64 of the hash.
func Fingerprint(key PublicKey) string {
	sum := sha256.Sum256(key.Marshal())
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// ParsePublicKey parses a key as written in authorized_keys or known_hosts files: "type base64
// [comment]", optionally preceded by a host pattern ("host type base64").
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
	return nil, fmt.Errorf("libssh2: no SSH public key in %q", line)
}

// HostKeyError says why a host key was refused. It wraps ErrHostKeyUnknown or ErrHostKeyMismatch.
type HostKeyError struct {
	Host        string    // the address checked
	Key         PublicKey // the key the server presented
	Fingerprint string    // its SHA-256 fingerprint
	Err         error     // ErrHostKeyUnknown or ErrHostKeyMismatch
}

func (e *HostKeyError) Error() string {
	what := "is unknown"
	if errors.Is(e.Err, ErrHostKeyMismatch) {
		what = "does not match the known key (possible man-in-the-middle attack)"
	}
	return fmt.Sprintf("host key %s %s for %s %s", e.Key.Type(), e.Fingerprint, e.Host, what)
}

func (e *HostKeyError) Unwrap() error { return e.Err }

func keyError(host string, key PublicKey, err error) error {
	return &HostKeyError{Host: host, Key: key, Fingerprint: Fingerprint(key), Err: err}
}

// InsecureIgnoreHostKey returns a HostKeyCallback that accepts any host key. It makes the session open
// to man-in-the-middle attacks: use it only for tests against throw-away servers.
func InsecureIgnoreHostKey() HostKeyCallback {
	return func(string, net.Addr, PublicKey) error { return nil }
}

// FixedHostKey returns a HostKeyCallback that accepts only key.
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
// fingerprint fp, written as OpenSSH prints it ("SHA256:..."; the prefix is optional).
func HostKeyFingerprint(fp string) HostKeyCallback {
	want := "SHA256:" + strings.TrimRight(strings.TrimPrefix(fp, "SHA256:"), "=")
	return func(host string, _ net.Addr, key PublicKey) error {
		if Fingerprint(key) != want {
			return keyError(host, key, ErrHostKeyMismatch)
		}
		return nil
	}
}

// KnownHosts returns a HostKeyCallback that checks host keys against OpenSSH known_hosts files with
// libssh2's knownhost API (libssh2_knownhost_readfile, libssh2_knownhost_checkp): a host listed with a
// different key of the same type is ErrHostKeyMismatch; a host not listed (or listed only with keys
// of other types) is ErrHostKeyUnknown. The files are read now, so a missing or unreadable file is an
// error here, and again at each check, so that edits take effect.
func KnownHosts(files ...string) (HostKeyCallback, error) {
	if len(files) == 0 {
		return nil, errors.New("libssh2: KnownHosts needs at least one file")
	}
	for _, f := range files {
		if err := withKnownHosts([]string{f}, func(*cshim.KnownHosts) {}); err != nil {
			return nil, err
		}
	}
	return func(hostname string, _ net.Addr, key PublicKey) error {
		host, port := hostPort(hostname)
		mask, ok := knownhostKeyType(key.Type())
		if !ok {
			return keyError(hostname, key, fmt.Errorf("%w: key type %s is not supported by libssh2's known_hosts check", ErrHostKeyUnknown, key.Type()))
		}
		if mask < 0 { // cshim's sentinel: a libssh2 before 1.9.0, without ECDSA and ED25519 keys
			return keyError(hostname, key, fmt.Errorf("%w: key type %s: %w", ErrHostKeyUnknown, key.Type(), ErrNotSupported))
		}
		var rc int
		err := withKnownHosts(files, func(kh *cshim.KnownHosts) {
			rc = cshim.KnownhostCheckp(kh, host, port, key.Marshal(),
				cshim.KnownhostTypePlain|cshim.KnownhostKeyencRaw|mask)
		})
		if err != nil {
			return err
		}
		switch rc {
		case cshim.KnownhostCheckMatch:
			return nil
		case cshim.KnownhostCheckMismatch:
			return keyError(hostname, key, ErrHostKeyMismatch)
		case cshim.KnownhostCheckNotFound:
			return keyError(hostname, key, ErrHostKeyUnknown)
		default:
			return keyError(hostname, key, fmt.Errorf("%w: libssh2_knownhost_checkp failed", ErrHostKeyUnknown))
		}
	}, nil
}

// withKnownHosts reads files into a libssh2 knownhost collection, on a session made only to hold it
// (the collection needs one; it makes no connection), and runs fn on it.
func withKnownHosts(files []string, fn func(*cshim.KnownHosts)) error {
	if err := libInit(); err != nil {
		return err
	}
	s := cshim.SessionInit()
	if s == nil {
		return newError("knownhosts", "", Code(cshim.ErrorAlloc), nil)
	}
	defer cshim.SessionFree(s)
	kh := cshim.KnownhostInit(s)
	if kh == nil {
		return newError("knownhosts", "", Code(cshim.ErrorAlloc), nil)
	}
	defer cshim.KnownhostFree(kh)
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return newError("knownhosts", f, 0, err)
		}
		if rc := cshim.KnownhostReadfile(kh, f, cshim.KnownhostFileOpenSSH); rc < 0 {
			code, msg := cshim.SessionLastError(s)
			e := newError("knownhosts", f, Code(rc), nil)
			if code == rc {
				e.Msg = msg
			}
			return e
		}
	}
	fn(kh)
	return nil
}

// knownhostKeyType maps an SSH key type to libssh2's LIBSSH2_KNOWNHOST_KEY_* bits; they are -1 for
// ECDSA and ED25519 keys when the header built against predates them (libssh2 before 1.9.0).
func knownhostKeyType(t string) (int, bool) {
	switch t {
	case "ssh-rsa":
		return cshim.KnownhostKeySSHRSA, true
	case "ssh-dss":
		return cshim.KnownhostKeySSHDSS, true
	case "ecdsa-sha2-nistp256":
		return cshim.KnownhostKeyECDSA256, true
	case "ecdsa-sha2-nistp384":
		return cshim.KnownhostKeyECDSA384, true
	case "ecdsa-sha2-nistp521":
		return cshim.KnownhostKeyECDSA521, true
	case "ssh-ed25519":
		return cshim.KnownhostKeyED25519, true
	}
	return 0, false
}

// checkHostKey runs the configured check on the key the server presented. The caller holds the session lock.
func (s *Session) checkHostKey() error {
	blob, _ := cshim.SessionHostkey(s.s)
	if blob == nil {
		return s.errorf("hostkey", "", int(cshim.ErrorProto), errors.New("the server presented no host key"))
	}
	if err := s.cfg.HostKeyCallback(s.addr, s.conn.RemoteAddr(), publicKey(blob)); err != nil {
		return newError("hostkey", "", 0, err)
	}
	return nil
}
