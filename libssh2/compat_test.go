package libssh2_test

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// libssh2Before reports whether the libssh2 loaded is older than major.minor.0. Version strings do
// not compare as strings ("1.9.0" > "1.11").
func libssh2Before(t testing.TB, major, minor int) bool {
	t.Helper()
	var ma, mi, pa int
	if _, err := fmt.Sscanf(libssh2.Version(), "%d.%d.%d", &ma, &mi, &pa); err != nil {
		t.Fatalf("libssh2.Version() = %q: %v", libssh2.Version(), err)
	}
	return ma < major || ma == major && mi < minor
}

func TestLibssh2Before(t *testing.T) {
	v := libssh2.Version()
	for _, c := range []struct {
		major, minor int
		want         bool
	}{{1, 0, false}, {1, 8, false}, {99, 0, true}} {
		if got := libssh2Before(t, c.major, c.minor); got != c.want {
			t.Errorf("libssh2Before(%d, %d) with libssh2 %s = %v, want %v", c.major, c.minor, v, got, c.want)
		}
	}
}

// KnownHosts checks every key type the server has, whatever the libssh2 built against: the check
// is in Go, so libssh2's knownhost API and its key type bits (none for ECDSA and ED25519 before
// 1.9.0) play no part.
func TestKnownHostsKeyTypes(t *testing.T) {
	cb, err := libssh2.KnownHosts(srv.KnownHostsPath)
	if err != nil {
		t.Fatalf("KnownHosts: %v", err)
	}
	for _, typ := range []string{"ssh-rsa", "ecdsa-sha2-nistp256", "ssh-ed25519"} {
		blob, ok := srv.HostKeys[typ]
		if !ok {
			t.Fatalf("the test sshd has no %s host key", typ)
		}
		key, err := libssh2.ParsePublicKey(typ + " " + base64.StdEncoding.EncodeToString(blob))
		if err != nil {
			t.Fatal(err)
		}
		if err := cb(srv.Addr, nil, key); err != nil {
			t.Errorf("libssh2 %s: known %s key refused: %v", libssh2.Version(), typ, err)
		}
	}
}
