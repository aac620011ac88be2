package libssh2_test

import (
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
