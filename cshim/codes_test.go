package cshim

import (
	"fmt"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/internal/errmap"
)

// versionNum turns errmap's "since" text ("1.9.0", "1.8.0 or earlier") into a LIBSSH2_VERSION_NUM.
func versionNum(t *testing.T, since string) int {
	var major, minor, patch int
	if _, err := fmt.Sscanf(since, "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("errmap since %q: %v", since, err)
	}
	return major<<16 | minor<<8 | patch
}

// TestCodesMatchHeader proves that internal/errmap's numbers are the installed header's, and that
// the header has exactly the codes errmap says its version has: an older header (1.8, 1.9, 1.10)
// lacks the newer codes, and none of the codes it has may be missing or numbered differently.
func TestCodesMatchHeader(t *testing.T) {
	header := HeaderErrorCodes()
	want := map[string]int{}
	for _, c := range errmap.Codes() {
		if versionNum(t, c.Since()) <= VersionNum {
			want[c.String()] = int(c)
		}
	}
	if len(want) < 47 { // LIBSSH2_ERROR_NONE to LIBSSH2_ERROR_KNOWN_HOSTS (-46) are in every header since 1.8.0
		t.Fatalf("errmap has only %d codes for LIBSSH2_VERSION_NUM %#x", len(want), VersionNum)
	}
	if diff := cmp.Diff(want, header); diff != "" {
		t.Errorf("LIBSSH2_VERSION_NUM %#x: the header's codes differ from errmap's for that version (-errmap +header):\n%s", VersionNum, diff)
	}
	statuses := map[string]uint32{}
	for _, s := range errmap.Statuses() {
		statuses[s.String()] = uint32(s)
	}
	if diff := cmp.Diff(HeaderSFTPStatuses(), statuses); diff != "" {
		t.Errorf("errmap statuses differ from the header (-header +errmap):\n%s", diff)
	}
}

// TestVersion proves that the library loaded at run time is the one whose header the package was
// built against, so a test run against an older libssh2 really tests it. A mismatch means the
// loader found another libssh2 (LD_LIBRARY_PATH), or Go's build cache reused a build against another
// header: it does not key on pkg-config's output, so point CGO_CFLAGS at the header too (make compat
// does). GO_LIBSSH2_WANT_VERSION, when set (make test-libssh2-1.11 sets it), names the version that
// must be loaded, so a run meant for one libssh2 cannot pass against another.
func TestVersion(t *testing.T) {
	v := Version()
	if v == "" {
		t.Fatal("libssh2_version(0) returned nothing")
	}
	t.Logf("libssh2 %s loaded; header LIBSSH2_VERSION_NUM %#06x", v, VersionNum)
	if want := os.Getenv("GO_LIBSSH2_WANT_VERSION"); want != "" && v != want {
		t.Errorf("libssh2 %s loaded, want %s (GO_LIBSSH2_WANT_VERSION)", v, want)
	}
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("libssh2_version(0) = %q: %v", v, err)
	}
	if got := major<<16 | minor<<8 | patch; got != VersionNum {
		t.Errorf("libssh2 %s (%#06x) loaded, but built against the header of %#06x", v, got, VersionNum)
	}
}
