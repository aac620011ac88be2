package cshim

import (
	"slices"
	"testing"
)

// TestSessionFreeReclaims: a block libssh2 allocated for a session and never freed (here the array of
// libssh2_session_supported_algs left unfreed on purpose, as libssh2 1.10 leaves a half-finished key
// exchange's key pair) is freed and counted by SessionFree, and the live count returns to where it was.
func TestSessionFreeReclaims(t *testing.T) {
	if rc := Init(0); rc != 0 {
		t.Fatalf("libssh2_init: %d", rc)
	}
	live, reclaimedBefore := LiveAllocs(), ReclaimedAllocs()
	s := SessionInit()
	if s == nil {
		t.Fatal("SessionInit returned NULL")
	}
	if LiveAllocs() <= live {
		t.Fatalf("a session holds no counted block: %d live, %d before", LiveAllocs(), live)
	}
	for range 3 {
		if algs, n := SessionSupportedAlgs(s, MethodHostkey); algs == nil {
			t.Fatalf("SessionSupportedAlgs: %d", n)
		}
	}
	rc, reclaimed := SessionFree(s)
	if rc != 0 {
		t.Fatalf("SessionFree: %d", rc)
	}
	if reclaimed < 3 {
		t.Errorf("SessionFree reclaimed %d blocks, want at least 3 (three algorithm arrays)", reclaimed)
	}
	if got := ReclaimedAllocs() - reclaimedBefore; got != reclaimed {
		t.Errorf("ReclaimedAllocs grew by %d, SessionFree said %d", got, reclaimed)
	}
	if got := LiveAllocs(); got != live {
		t.Errorf("%d live blocks after SessionFree, %d before", got, live)
	}

	// A session freed cleanly leaves nothing to reclaim.
	s = SessionInit()
	algs, n := SessionSupportedAlgs(s, MethodHostkey)
	if names := AlgNames(algs, n); len(names) != n || !slices.Contains(names, "ssh-rsa") {
		t.Errorf("SessionSupportedAlgs(METHOD_HOSTKEY) = %q (%d): want every name, ssh-rsa among them", names, n)
	}
	Free(s, algs)
	if rc, reclaimed := SessionFree(s); rc != 0 || reclaimed != 0 {
		t.Errorf("SessionFree of a clean session = %d, %d reclaimed; want 0, 0", rc, reclaimed)
	}
	if got := LiveAllocs(); got != live {
		t.Errorf("%d live blocks after a clean SessionFree, %d before", got, live)
	}
}
