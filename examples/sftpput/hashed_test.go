package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed191f4051/go-libssh2/examples/internal/exampletest"
)

// TestHashedKnownHosts uses a known_hosts file whose host names are hashed, as OpenSSH writes them
// on Debian and Ubuntu (HashKnownHosts yes).
func TestHashedKnownHosts(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	kh := filepath.Join(home, ".ssh", "known_hosts")
	if out, err := exec.Command("ssh-keygen", "-H", "-f", kh).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -H: %v\n%s", err, out)
	}
	b, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "|1|") || strings.Contains(string(b), srv.Host) {
		t.Fatalf("known_hosts is not hashed:\n%s", b)
	}
	local := exampletest.RandomFile(t, t.TempDir(), "h.bin", 1000, 18)
	r := runPiped(t, home, append(port(srv), "-q", local, dest(srv, "hashed.bin"))...)
	if r.code != 0 {
		t.Fatalf("with a hashed known_hosts: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, local, srv.Path("hashed.bin"))
}
