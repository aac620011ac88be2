package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed191f4051/go-libssh2/examples/internal/exampletest"
	"github.com/seed191f4051/go-libssh2/internal/sshd"
)

// TestAcceptNewRefusesAnotherKeyType is the man in the middle that -o accept-new once let in: the
// host is known by its ed25519 key, and what answers at its address has only an ECDSA key. sftpput
// refuses it as a changed key and adds nothing to known_hosts. The same known_hosts line lets
// sftpput in to a server with both an ECDSA and that ed25519 key, which libssh2 alone would ask
// for its ECDSA key.
func TestAcceptNewRefusesAnotherKeyType(t *testing.T) {
	both := sshd.StartT(t, sshd.Options{HostKeyTypes: []string{"ecdsa", "ed25519"}})
	mitm := sshd.StartT(t, sshd.Options{HostKeyTypes: []string{"ecdsa"}})
	home := exampletest.Home(t, srv, false, true)
	kh := filepath.Join(home, ".ssh", "known_hosts")
	known := fmt.Sprintf("[%s]:%d ssh-ed25519 %s\n", mitm.Host, mitm.Port, blobBase64(both.HostKeys["ssh-ed25519"])) +
		fmt.Sprintf("[%s]:%d ssh-ed25519 %s\n", both.Host, both.Port, blobBase64(both.HostKeys["ssh-ed25519"]))
	if err := os.WriteFile(kh, []byte(known), 0o600); err != nil {
		t.Fatal(err)
	}
	local := exampletest.RandomFile(t, t.TempDir(), "m.bin", 100, 31)

	r := runPiped(t, home, append(port(mitm), "-o", "accept-new", local, dest(mitm, "mitm.bin"))...)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "has changed") ||
		!strings.Contains(r.stderr, "known only by keys of other types") {
		t.Errorf("a host known by ed25519 showing only ECDSA, with -o accept-new: exit status %d; want 1 and a one-line refusal; stderr:\n%s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(kh); string(b) != known {
		t.Errorf("known_hosts changed:\n%s", b)
	}
	if _, err := os.Stat(mitm.Path("mitm.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file reached the man in the middle (%v)", err)
	}

	r = runPiped(t, home, append(port(both), "-i", both.KeyPath, "-q", local, dest(both, "both.bin"))...)
	if r.code != 0 {
		t.Fatalf("a host known by ed25519 with ECDSA and ed25519 keys: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, local, both.Path("both.bin"))
}

// TestAcceptNewAppendsSafely: -o accept-new adds the new host after a last line that lacks its
// newline, leaving that line whole, hashed as Debian's ssh writes it; ssh-keygen finds both.
func TestAcceptNewAppendsSafely(t *testing.T) {
	home := exampletest.Home(t, srv, false, true)
	kh := filepath.Join(home, ".ssh", "known_hosts")
	first := fmt.Sprintf("other.example ssh-ed25519 %s", blobBase64(srv.HostKeys["ssh-ed25519"])) // no newline
	if err := os.WriteFile(kh, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	local := exampletest.RandomFile(t, t.TempDir(), "n.bin", 100, 32)
	r := runPiped(t, home, append(port(srv), "-o", "accept-new", "-q", local, dest(srv, "n.bin"))...)
	if r.code != 0 || !strings.Contains(r.stderr, "permanently added") {
		t.Fatalf("-o accept-new: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(kh)
	lines := strings.Split(string(b), "\n")
	if len(lines) != 3 || lines[0] != first || !strings.HasPrefix(lines[1], "|1|") || lines[2] != "" {
		t.Errorf("known_hosts after accept-new, want the first line whole and one hashed line:\n%q", b)
	}
	name := fmt.Sprintf("[%s]:%d", srv.Host, srv.Port)
	for _, h := range []string{"other.example", name} {
		if out, err := exec.Command("ssh-keygen", "-F", h, "-f", kh).CombinedOutput(); err != nil {
			t.Errorf("ssh-keygen -F %s: %v\n%s", h, err, out)
		}
	}
	r = runPiped(t, home, append(port(srv), "-q", local, dest(srv, "n2.bin"))...)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("after accept-new: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
}

// TestGlobalKnownHosts: the global known_hosts file ($SFTPPUT_GLOBAL_KNOWN_HOSTS here, the
// machine's /etc/ssh/ssh_known_hosts otherwise) vouches for a host, and its @revoked lines hold
// even when the user's file lists the key.
func TestGlobalKnownHosts(t *testing.T) {
	home := exampletest.Home(t, srv, false, true) // no ~/.ssh/known_hosts
	global := filepath.Join(home, "ssh_known_hosts")
	known, err := os.ReadFile(srv.KnownHostsPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(global, known, 0o644); err != nil {
		t.Fatal(err)
	}
	local := exampletest.RandomFile(t, t.TempDir(), "g.bin", 100, 33)
	r := runPiped(t, home, append(port(srv), "-q", local, dest(srv, "g.bin"))...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("a host in the global file only: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh", "known_hosts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the user's known_hosts was written (%v)", err)
	}

	if err := os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), known, 0o600); err != nil {
		t.Fatal(err)
	}
	revoked := ""
	for typ, blob := range srv.HostKeys {
		revoked += fmt.Sprintf("@revoked * %s %s\n", typ, blobBase64(blob))
	}
	if err := os.WriteFile(global, []byte(revoked), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runPiped(t, home, append(port(srv), local, dest(srv, "g2.bin"))...)
	if r.code != 1 || !strings.Contains(r.stderr, "is marked @revoked") || !strings.Contains(r.stderr, global) {
		t.Errorf("a key the global file revokes: exit status %d; want 1 and the revoking file; stderr:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(srv.Path("g2.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file reached a server whose key is revoked (%v)", err)
	}
}

// TestCertificateAuthorityRefused: a host that known_hosts trusts through a certificate authority
// is refused with a message saying that libssh2 cannot check host certificates, and -o accept-new
// does not add its plain key around the authority.
func TestCertificateAuthorityRefused(t *testing.T) {
	home := exampletest.Home(t, srv, false, true)
	kh := filepath.Join(home, ".ssh", "known_hosts")
	ca, err := os.ReadFile(srv.WrongKeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	known := "@cert-authority *.example,127.0.0.* " + strings.Join(strings.Fields(string(ca))[:2], " ") + "\n"
	known = strings.Replace(known, "127.0.0.*", fmt.Sprintf("[127.0.0.*]:%d", srv.Port), 1)
	if err := os.WriteFile(kh, []byte(known), 0o600); err != nil {
		t.Fatal(err)
	}
	local := exampletest.RandomFile(t, t.TempDir(), "ca.bin", 100, 34)
	r := runPiped(t, home, append(port(srv), "-o", "accept-new", local, dest(srv, "ca.bin"))...)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "libssh2 cannot check host certificates") ||
		!strings.Contains(r.stderr, kh+":1") {
		t.Errorf("a host trusted through a CA: exit status %d; want 1 and a one-line refusal naming the line; stderr:\n%s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(kh); string(b) != known {
		t.Errorf("known_hosts changed:\n%s", b)
	}
}
