package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/examples/internal/exampletest"
	"github.com/seed191f4051/go-libssh2/internal/sshd"
)

func TestKeyEncrypted(t *testing.T) {
	dir := t.TempDir()
	openssh := filepath.Join(dir, "id_ed25519_enc")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "secret words", "-f", openssh).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	got := map[string]bool{}
	for _, k := range []string{srv.KeyPath, srv.RSAKeyPath, srv.EncryptedKeyPath, openssh, srv.KeyPath + ".pub"} {
		got[filepath.Base(k)] = keyEncrypted(k)
	}
	want := map[string]bool{
		"id_ed25519": false, "id_rsa": false, "id_rsa_enc": true, "id_ed25519_enc": true, "id_ed25519.pub": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keyEncrypted (-want +got):\n%s", diff)
	}
}

func TestEncryptedKeyAsksPassphrase(t *testing.T) {
	home := exampletest.Home(t, srv, true, false)
	local := exampletest.RandomFile(t, t.TempDir(), "enc.bin", 300000, 19)
	prompt := "Enter passphrase for key '" + srv.EncryptedKeyPath + "': "
	r := runPTY(t, home, func(tty io.Writer, out *sshd.SyncBuffer) {
		waitFor(t, out, prompt)
		io.WriteString(tty, srv.Passphrase+"\n")
	}, append(port(srv), "-i", srv.EncryptedKeyPath, local, dest(srv, "enc.bin"))...)
	if r.code != 0 {
		t.Fatalf("exit status %d; terminal:\n%q", r.code, r.stdout)
	}
	if strings.Contains(r.stdout, srv.Passphrase) {
		t.Errorf("the passphrase was echoed:\n%q", r.stdout)
	}
	sameFile(t, local, srv.Path("enc.bin"))

	// Without a terminal there is no one to ask: a clear failure.
	rp := runPiped(t, home, append(port(srv), "-i", srv.EncryptedKeyPath, local, dest(srv, "enc2.bin"))...)
	if rp.code != 1 || !strings.Contains(rp.stderr, "(encrypted, and no terminal to ask its passphrase on)") {
		t.Errorf("an encrypted key without a terminal: exit status %d; stderr:\n%s", rp.code, rp.stderr)
	}
}

func TestRevokedHostKey(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	kh := filepath.Join(home, ".ssh", "known_hosts")
	f, err := os.OpenFile(kh, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for typ, blob := range srv.HostKeys {
		fmt.Fprintf(f, "@revoked * %s %s\n", typ, blobBase64(blob))
	}
	f.Close()
	local := exampletest.RandomFile(t, t.TempDir(), "rev.bin", 10, 20)
	r := runPiped(t, home, append(port(srv), local, dest(srv, "revoked.bin"))...)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "is marked @revoked") {
		t.Errorf("a revoked host key: exit status %d; want 1 and one line; stderr:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(srv.Path("revoked.bin")); !os.IsNotExist(err) {
		t.Errorf("the file reached a server with a revoked key (%v)", err)
	}
}

// TestCtrlCAtPasswordPrompt types Ctrl-C at the password prompt: sftpput stops with status 130 and
// leaves the terminal echoing again.
func TestCtrlCAtPasswordPrompt(t *testing.T) {
	home := exampletest.Home(t, srv, true, false) // no key: it asks for a password
	local := exampletest.RandomFile(t, t.TempDir(), "c.bin", 10, 21)
	var echoAfter bool
	r := runPTY(t, home, func(tty io.Writer, out *sshd.SyncBuffer) {
		waitFor(t, out, "'s password: ")
		io.WriteString(tty, "\x03") // the terminal turns it into SIGINT for sftpput
		waitFor(t, out, "sftpput: interrupted")
		echoAfter = ptyEchoes(t, tty.(*os.File))
	}, append(port(srv), local, dest(srv, "ctrl-c.bin"))...)
	if r.code != 130 {
		t.Errorf("exit status %d, want 130; terminal:\n%q", r.code, r.stdout)
	}
	if !echoAfter {
		t.Errorf("the terminal does not echo after Ctrl-C at the password prompt")
	}
	if _, err := os.Stat(srv.Path("ctrl-c.bin")); !os.IsNotExist(err) {
		t.Errorf("a file was created after Ctrl-C (%v)", err)
	}
}
