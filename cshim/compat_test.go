package cshim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The guards of shim.h take the branch the header's version says: before 1.9.0 the ECDSA, ED25519
// and SHA-256 constants are the -1 sentinel; from 1.9.0 on they are the header's values (part of
// libssh2's ABI, so fixed).
func TestHostkeyGuards(t *testing.T) {
	have := VersionNum >= 0x010900
	if HaveECDSAED25519 != have {
		t.Errorf("HaveECDSAED25519 = %v with LIBSSH2_VERSION_NUM %#06x, want %v", HaveECDSAED25519, VersionNum, have)
	}
	got := []int{HostkeyHashSHA256, HostkeyTypeECDSA256, HostkeyTypeECDSA384, HostkeyTypeECDSA521,
		HostkeyTypeED25519}
	want := []int{-1, -1, -1, -1, -1}
	if have {
		want = []int{3, 3, 4, 5, 6}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LIBSSH2_VERSION_NUM %#06x: host key constants (-want +got):\n%s", VersionNum, diff)
	}
}
