package main

import (
	"bytes"
	"errors"
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

// keygen makes a throw-away key with ssh-keygen and returns its path.
func keygen(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", append([]string{"-q", "-f", p}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
	return p
}

// panicKey is the key file of issue 13 that made keyEncrypted panic (slice bounds out of range).
const panicKey = "-----BEGIN OPENSSH PRIVATE KEY-----END OPENSSH PRIVATE KEY-----"

func TestReadKeyFile(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ed := keygen(t, dir, "ed", "-t", "ed25519", "-N", "")
	edEnc := keygen(t, dir, "ed_enc", "-t", "ed25519", "-N", "secret words")
	rsaOpenSSH := keygen(t, dir, "rsa_openssh", "-t", "rsa", "-b", "2048", "-N", "")
	ecPEM := keygen(t, dir, "ec_pem", "-t", "ecdsa", "-m", "PEM", "-N", "")
	rsaPKCS8 := keygen(t, dir, "rsa_pkcs8", "-t", "rsa", "-b", "2048", "-m", "PKCS8", "-N", "")
	rsaPKCS8Enc := keygen(t, dir, "rsa_pkcs8_enc", "-t", "rsa", "-b", "2048", "-m", "PKCS8", "-N", "pass phrase")
	edText, err := os.ReadFile(ed)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(edText)), "\n")
	// 48 bytes: the header, cut inside the public key.
	truncated := file("truncated", lines[0]+"\n"+lines[1][:64]+"\n"+lines[len(lines)-1]+"\n")
	crlf := file("crlf", strings.ReplaceAll(string(edText), "\n", "\r\n"))
	commented := file("commented", "a comment before the key\n"+string(edText))
	type info struct {
		Format, Type string
		Encrypted    bool
		Err          string
	}
	got := map[string]info{}
	for _, k := range []string{srv.KeyPath, srv.RSAKeyPath, srv.EncryptedKeyPath, ed, edEnc, rsaOpenSSH, ecPEM,
		rsaPKCS8, rsaPKCS8Enc, srv.KeyPath + ".pub", truncated, crlf, commented,
		file("panic", panicKey), file("empty", ""), file("text", "not a key\n"),
		file("badmagic", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"),
		file("cert", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")} {
		i, err := readKeyFile(k)
		e := ""
		if err != nil {
			e = err.Error()
			if !errors.Is(err, errNotKey) {
				t.Errorf("%s: %v, want errNotKey", k, err)
			}
		}
		got[filepath.Base(k)] = info{i.format, i.typ, i.encrypted, e}
	}
	const noBlock = "not a private key file: no PEM block (-----BEGIN ... PRIVATE KEY-----) holding a private key"
	want := map[string]info{
		"id_ed25519":     {"openssh", "ssh-ed25519", false, ""},
		"id_rsa":         {"pem", "ssh-rsa", false, ""},
		"id_rsa_enc":     {"pem", "ssh-rsa", true, ""},
		"ed":             {"openssh", "ssh-ed25519", false, ""},
		"ed_enc":         {"openssh", "ssh-ed25519", true, ""},
		"rsa_openssh":    {"openssh", "ssh-rsa", false, ""},
		"ec_pem":         {"pem", "ecdsa", false, ""},
		"rsa_pkcs8":      {"pem", "ssh-rsa", false, ""},
		"rsa_pkcs8_enc":  {"pem", "ssh-rsa", true, ""}, // its type from rsa_pkcs8_enc.pub
		"id_ed25519.pub": {"", "", false, noBlock},
		"truncated":      {"", "", false, "not a private key file: a truncated or malformed OPENSSH PRIVATE KEY block"},
		"crlf":           {"openssh", "ssh-ed25519", false, ""},
		"commented":      {"openssh", "ssh-ed25519", false, ""},
		"panic":          {"", "", false, noBlock},
		"empty":          {"", "", false, noBlock},
		"text":           {"", "", false, noBlock},
		"badmagic":       {"", "", false, "not a private key file: an OPENSSH PRIVATE KEY block without the openssh-key-v1 magic"},
		"cert":           {"", "", false, noBlock},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readKeyFile (-want +got):\n%s", diff)
	}
}

// FuzzParseKey: no key file makes parseKey panic or read past its input; what it says of a key
// does not depend on text before the key's PEM block or after it; and a key it reads as an
// OpenSSH key has a type.
func FuzzParseKey(f *testing.F) {
	dir := f.TempDir()
	for i, args := range [][]string{
		{"-t", "ed25519", "-N", ""}, {"-t", "ed25519", "-N", "pass phrase"}, {"-t", "ecdsa", "-N", ""},
		{"-t", "rsa", "-b", "1024", "-m", "PEM", "-N", "pass phrase"}, {"-t", "rsa", "-b", "1024", "-m", "PKCS8", "-N", ""},
	} {
		b, err := os.ReadFile(keygen(f, dir, fmt.Sprint("k", i), args...))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(panicKey))
	f.Add([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseKey(data)
		if err != nil {
			if !errors.Is(err, errNotKey) {
				t.Fatalf("parseKey: %v, not errNotKey", err)
			}
			return
		}
		if k.format == "openssh" && k.typ == "" {
			t.Fatalf("an OpenSSH key without a type: %+v", k)
		}
		// Text around the key, without a PEM boundary of its own, changes nothing.
		wrapped := append(append([]byte("comment line\n"), data...), "\ntrailing text\n"...)
		if bytes.Contains(data, []byte("-----")) {
			k2, err := parseKey(wrapped)
			if err != nil || k2 != k {
				t.Fatalf("with text around it: %+v, %v; alone: %+v", k2, err, k)
			}
		}
	})
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
	if strings.Contains(rp.stderr, "is an RSA key") {
		t.Errorf("the ssh-rsa hint for an RSA key that was never tried:\n%s", rp.stderr)
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
	ps := sshd.StartT(t, sshd.Options{Password: true}) // it takes passwords: sftpput asks for one
	home := exampletest.Home(t, ps, true, false)       // no key: it asks for a password
	local := exampletest.RandomFile(t, t.TempDir(), "c.bin", 10, 21)
	var echoAfter bool
	r := runPTY(t, home, func(tty io.Writer, out *sshd.SyncBuffer) {
		waitFor(t, out, "'s password: ")
		io.WriteString(tty, "\x03") // the terminal turns it into SIGINT for sftpput
		waitFor(t, out, "sftpput: interrupted")
		echoAfter = ptyEchoes(t, tty.(*os.File))
	}, append(port(ps), local, fmt.Sprintf("%s@%s:%s", ps.PasswordUser, ps.Host, ps.Path("ctrl-c.bin")))...)
	if r.code != 130 {
		t.Errorf("exit status %d, want 130; terminal:\n%q", r.code, r.stdout)
	}
	if !echoAfter {
		t.Errorf("the terminal does not echo after Ctrl-C at the password prompt")
	}
	if _, err := os.Stat(ps.Path("ctrl-c.bin")); !os.IsNotExist(err) {
		t.Errorf("a file was created after Ctrl-C (%v)", err)
	}
}
