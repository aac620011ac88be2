package main

// The tests of issue 13's sftpput defects, each run as a person would: on a pseudo-terminal, against
// a real sshd on 127.0.0.1.

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/examples/internal/exampletest"
	"github.com/seed191f4051/go-libssh2/examples/internal/term"
	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// pwDest is the [user@]host:REMOTE argument for name on s as its password user.
func pwDest(s *sshd.Server, name string) string {
	return fmt.Sprintf("%s@%s:%s", s.PasswordUser, s.Host, s.Path(name))
}

// noPrompt fails the test if sftpput asked for anything on the terminal.
func noPrompt(t *testing.T, screen string) {
	t.Helper()
	for _, p := range []string{"password:", "passphrase", "Password"} {
		if strings.Contains(screen, p) {
			t.Errorf("sftpput asked for something (%q):\n%q", p, screen)
		}
	}
}

// TestPanicKeyFile: the key file of issue 13 that made sftpput panic is reported as not a key, in
// one line, and the login goes on without it.
func TestPanicKeyFile(t *testing.T) {
	home := exampletest.Home(t, srv, true, false)
	bad := filepath.Join(t.TempDir(), "id_bad")
	if err := os.WriteFile(bad, []byte(panicKey), 0o600); err != nil {
		t.Fatal(err)
	}
	local := exampletest.RandomFile(t, t.TempDir(), "k.bin", 10, 30)
	r := runPTY(t, home, nil, append(port(srv), "-i", bad, local, dest(srv, "panic-key.bin"))...)
	if strings.Contains(r.stdout, "panic") || strings.Contains(r.stdout, "goroutine") {
		t.Fatalf("sftpput panicked:\n%s", r.stdout)
	}
	want := "sftpput: " + srv.User + "@" + srv.Host + ": Permission denied (publickey); tried key " + bad +
		" (not a private key file: no PEM block (-----BEGIN ... PRIVATE KEY-----) holding a private key)\r\n"
	if r.code != 1 || r.stdout != want {
		t.Errorf("exit status %d; want 1 and %q; terminal:\n%q", r.code, want, r.stdout)
	}
	noPrompt(t, r.stdout)

	// The same file as one of the default keys, beside a good one: the good one logs in.
	home = exampletest.Home(t, srv, true, true)
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_ecdsa"), []byte(panicKey), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runPTY(t, home, nil, append(port(srv), "-q", local, dest(srv, "panic-key.bin"))...)
	if r.code != 0 {
		t.Fatalf("a bad default key beside a good one: exit status %d; terminal:\n%q", r.code, r.stdout)
	}
	sameFile(t, local, srv.Path("panic-key.bin"))
}

// TestSignalsAtPrompts: SIGHUP, SIGQUIT (Ctrl-\ typed), SIGTERM and SIGINT (Ctrl-C typed) at the
// password prompt, and SIGHUP at a passphrase prompt, end sftpput as the signal asks (128 + its
// number), with the terminal's echo, off while it asked, on again.
func TestSignalsAtPrompts(t *testing.T) {
	ps := sshd.StartT(t, sshd.Options{Password: true})
	pwHome := exampletest.Home(t, ps, true, false)
	keyHome := exampletest.Home(t, srv, true, false)
	local := exampletest.RandomFile(t, t.TempDir(), "s.bin", 10, 31)
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		typed  string // typed on the terminal, else sent with kill
		home   string
		args   []string
		prompt string
	}{
		{"SIGHUP", syscall.SIGHUP, "", pwHome, append(port(ps), local, pwDest(ps, "sig.bin")), "'s password: "},
		{"SIGQUIT", syscall.SIGQUIT, "\x1c", pwHome, append(port(ps), local, pwDest(ps, "sig.bin")), "'s password: "},
		{"SIGTERM", syscall.SIGTERM, "", pwHome, append(port(ps), local, pwDest(ps, "sig.bin")), "'s password: "},
		{"SIGINT", syscall.SIGINT, "\x03", pwHome, append(port(ps), local, pwDest(ps, "sig.bin")), "'s password: "},
		{"SIGHUP at a passphrase", syscall.SIGHUP, "", keyHome,
			append(port(srv), "-i", srv.EncryptedKeyPath, local, dest(srv, "sig.bin")), "Enter passphrase for key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPTY(t, tc.home, tc.args...)
			waitFor(t, p.out, tc.prompt)
			if ptyEchoes(t, p.ptm) {
				t.Fatalf("the terminal echoes at the prompt: the test would prove nothing")
			}
			if tc.typed != "" {
				io.WriteString(p.ptm, tc.typed)
			} else {
				p.cmd.Process.Signal(tc.sig)
			}
			r := p.wait()
			if r.code != 128+int(tc.sig) {
				t.Errorf("exit status %d, want %d (128 + %v); terminal:\n%q", r.code, 128+int(tc.sig), tc.sig, r.stdout)
			}
			if !strings.Contains(r.stdout, "sftpput: interrupted") {
				t.Errorf("no word of the interruption on the terminal:\n%q", r.stdout)
			}
			if !ptyEchoes(t, p.ptm) {
				t.Errorf("the terminal does not echo after %v at the prompt and sftpput's exit", tc.sig)
			}
		})
	}
}

// TestPublickeyOnlyServer: a server that takes only keys refuses a wrong one, and sftpput says so at
// once, as scp does, without asking for a password it could not use.
func TestPublickeyOnlyServer(t *testing.T) {
	home := exampletest.Home(t, srv, true, false)
	local := exampletest.RandomFile(t, t.TempDir(), "p.bin", 10, 32)
	start := time.Now()
	r := runPTY(t, home, nil, append(port(srv), "-i", srv.WrongKeyPath, local, dest(srv, "pk-only.bin"))...)
	took := time.Since(start)
	want := "sftpput: " + srv.User + "@" + srv.Host + ": Permission denied (publickey); tried key " + srv.WrongKeyPath + " ("
	if r.code != 1 || !strings.HasPrefix(r.stdout, want) || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("exit status %d; want 1 and one line starting %q; terminal:\n%q", r.code, want, r.stdout)
	}
	noPrompt(t, r.stdout)
	if took > 15*time.Second {
		t.Errorf("it took %v to say so", took)
	}
	if strings.Contains(r.stdout, "ssh-rsa") {
		t.Errorf("the ssh-rsa hint for an ed25519 key:\n%q", r.stdout)
	}
	if _, err := os.Stat(srv.Path("pk-only.bin")); !os.IsNotExist(err) {
		t.Errorf("a file reached the server (%v)", err)
	}
}

// TestRSAKeyRefusedForSHA1: against a server that refuses ssh-rsa signatures (OpenSSH's default
// since 8.8), an RSA key works with libssh2 1.11 and later, which sign with rsa-sha2-256/512, and
// fails with a hint naming ssh-rsa, SHA-1 and the libssh2 version with older ones.
func TestRSAKeyRefusedForSHA1(t *testing.T) {
	s := sshd.StartT(t, sshd.Options{ExtraConfig: []string{
		"PubkeyAcceptedAlgorithms ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
	}})
	home := exampletest.Home(t, s, true, false)
	local := exampletest.RandomFile(t, t.TempDir(), "rsa.bin", 1000, 33)
	r := runPiped(t, home, append(port(s), "-i", s.RSAKeyPath, local, dest(s, "rsa.bin"))...)
	v := libssh2.Version()
	if olderThan(v, 1, 11) {
		for _, w := range []string{"Permission denied (publickey)", s.RSAKeyPath + " is an RSA key", "libssh2 " + v, "ssh-rsa (SHA-1)"} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("libssh2 %s: the refusal does not say %q:\n%s", v, w, r.stderr)
			}
		}
		if r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("libssh2 %s: exit status %d; want 1 and one line:\n%s", v, r.code, r.stderr)
		}
		// And the server did refuse it for the algorithm, as the hint says.
		if !strings.Contains(s.Log(), "signature algorithm ssh-rsa not in PubkeyAcceptedAlgorithms") {
			t.Errorf("the server's log does not show the ssh-rsa refusal:\n%s", s.Log())
		}
		return
	}
	if r.code != 0 {
		t.Fatalf("libssh2 %s signs with rsa-sha2: exit status %d; stderr:\n%s", v, r.code, r.stderr)
	}
	got, err := s.SHA256(s.Path("rsa.bin"))
	if err != nil || got != exampletest.SHA256(t, local) {
		t.Errorf("libssh2 %s: the file on the server: %v", v, err)
	}
	if !strings.Contains(s.Log(), "Accepted publickey for "+s.User) || !strings.Contains(s.Log(), ": RSA SHA256:") {
		t.Errorf("libssh2 %s: the server's log shows no RSA login:\n%s", v, s.Log())
	}
}

// symlinkTree makes, under dir, a tree of 8 files and a subdirectory, with a symbolic link of each
// kind, and the files outside it that some lead to. It returns the tree's path and what a copy of
// it must hold (listTree's form: the links that are followed become files).
func symlinkTree(t *testing.T, dir string) (string, []string) {
	t.Helper()
	tree := filepath.Join(dir, "tree")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(tree, "sub"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "outside-dir"), 0o755))
	for i, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		exampletest.RandomFile(t, tree, n+".bin", int64(1000*i+7), byte(40+i))
	}
	exampletest.RandomFile(t, filepath.Join(tree, "sub"), "i.bin", 5000, 48)
	exampletest.RandomFile(t, dir, "outside.bin", 300, 49)
	exampletest.RandomFile(t, filepath.Join(dir, "outside-dir"), "secret.bin", 300, 50)
	for link, to := range map[string]string{
		"d-dangling":   "no-such-file",
		"link-in":      "sub/i.bin",
		"link-in-abs":  filepath.Join(tree, "b.bin"),
		"link-out":     "../outside.bin",
		"link-out-abs": filepath.Join(dir, "outside.bin"),
		"dir-out":      "../outside-dir",
		"dir-in":       "sub",
		"self":         ".",
		"loop1":        "loop2",
		"loop2":        "loop1",
		"sub/up-out":   "../../outside.bin",
		"sub/up-in":    "../a.bin",
	} {
		must(os.Symlink(to, filepath.Join(tree, link)))
	}
	must(syscall.Mkfifo(filepath.Join(tree, "fifo"), 0o644))
	// What a copy holds: the tree's files, with the links to files inside it as files.
	copyOf := filepath.Join(t.TempDir(), "expected")
	must(os.MkdirAll(filepath.Join(copyOf, "sub"), 0o755))
	for _, f := range [][2]string{
		{"a.bin", "a.bin"}, {"b.bin", "b.bin"}, {"c.bin", "c.bin"}, {"d.bin", "d.bin"}, {"e.bin", "e.bin"},
		{"f.bin", "f.bin"}, {"g.bin", "g.bin"}, {"h.bin", "h.bin"}, {"sub/i.bin", "sub/i.bin"},
		{"link-in", "sub/i.bin"}, {"link-in-abs", "b.bin"}, {"sub/up-in", "a.bin"},
	} {
		b, err := os.ReadFile(filepath.Join(tree, f[1]))
		must(err)
		must(os.WriteFile(filepath.Join(copyOf, f[0]), b, 0o644))
	}
	return tree, listTree(t, copyOf)
}

// skippedLinks are the entries of symlinkTree that -r skips, with why.
var skippedLinks = map[string]string{
	"d-dangling":   "dangling symbolic link (to no-such-file)",
	"link-out":     "symbolic link to ../outside.bin, outside the tree",
	"link-out-abs": "outside the tree",
	"dir-out":      "symbolic link to ../outside-dir, outside the tree",
	"dir-in":       "symbolic link to a directory (not followed)",
	"self":         "symbolic link to a directory (not followed)",
	"loop1":        "loop", // the server says "no such file" of a loop: "dangling ... or a loop"
	"loop2":        "loop",
	"sub/up-out":   "symbolic link to ../../outside.bin, outside the tree",
	"fifo":         "not a regular file",
}

// checkSkips checks that out names each skipped entry of root in one line, and ends with the count.
func checkSkips(t *testing.T, out, root string) {
	t.Helper()
	for name, why := range skippedLinks {
		prefix := "sftpput: " + root + "/" + name + ": skipped: "
		n := 0
		for _, line := range strings.Split(out, "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.HasPrefix(line, prefix) {
				n++
				if !strings.Contains(line, why) {
					t.Errorf("%s: %q does not say %q", name, line, why)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d lines about it, want 1:\n%s", name, n, out)
		}
	}
	want := fmt.Sprintf("sftpput: %d entries were skipped (named above); everything else was copied", len(skippedLinks))
	if !strings.Contains(out, want) {
		t.Errorf("no closing line %q:\n%s", want, out)
	}
}

// TestTreeSymlinks: -r follows symbolic links to files inside the tree and skips every other link
// (dangling, outside the tree, to directories, loops) and the fifo, one line each, copying the rest
// of the tree and exiting 1; nothing outside the tree reaches the server.
func TestTreeSymlinks(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	tree, want := symlinkTree(t, t.TempDir())
	r := runPTY(t, home, nil, append(port(srv), "-r", tree, dest(srv, "links-up"))...)
	if r.code != 1 {
		t.Errorf("exit status %d, want 1 (entries skipped); terminal:\n%s", r.code, r.stdout)
	}
	checkSkips(t, r.stdout, tree)
	if diff := cmp.Diff(want, listTree(t, srv.Path("links-up"))); diff != "" {
		t.Errorf("the server's copy (-want +got):\n%s", diff)
	}
	if n := len(summaryLine.FindAllString(strings.ReplaceAll(r.stdout, "\r", ""), -1)); n != 12 {
		t.Errorf("%d summary lines, want 12 (9 files, 3 links followed):\n%s", n, r.stdout)
	}
}

// TestDownloadTreeSymlinks: the same policy for the server's symbolic links when downloading.
func TestDownloadTreeSymlinks(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	serverDir := srv.Path("links-down")
	os.RemoveAll(serverDir)
	if err := os.MkdirAll(serverDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tree, want := symlinkTree(t, serverDir)
	local := t.TempDir()
	r := runPiped(t, home, append(port(srv), "-r", dest(srv, "links-down/tree"), local)...)
	if r.code != 1 {
		t.Errorf("exit status %d, want 1 (entries skipped); stderr:\n%s", r.code, r.stderr)
	}
	checkSkips(t, r.stderr, tree)
	if diff := cmp.Diff(want, listTree(t, filepath.Join(local, "tree"))); diff != "" {
		t.Errorf("the downloaded copy (-want +got):\n%s", diff)
	}
}

// TestSSHConfigAlias: a Host alias of ~/.ssh/config names the test sshd's address, port, user, key
// and known_hosts file; the first value found wins; -F reads another file; -P and user@ win over the
// file.
func TestSSHConfigAlias(t *testing.T) {
	home := exampletest.Home(t, srv, false, false) // no known_hosts, no key where sftpput looks by default
	keys := filepath.Join(home, "keys")
	kh := filepath.Join(home, "kh")
	for _, d := range []string{keys, kh} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	copyTo := func(from, to string) {
		b, err := os.ReadFile(from)
		if err == nil {
			err = os.WriteFile(to, b, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	copyTo(srv.KeyPath, filepath.Join(keys, "myalias_key"))
	copyTo(srv.WrongKeyPath, filepath.Join(keys, "wrong"))
	copyTo(srv.KnownHostsPath, filepath.Join(kh, srv.Host+"_"+strconv.Itoa(srv.Port)))
	config := fmt.Sprintf(`# sftpput's test of issue 13
Host *.nomatch !myalias
  Port 1
Host myal*
  HostName %s
  Port %d
  User %s
  IdentityFile ~/keys/%%n_key
  UserKnownHostsFile ~/kh/%%h_%%p
Host *
  Port 2
  User nobody
  IdentityFile ~/keys/wrong
`, srv.Host, srv.Port, srv.User)
	cfgFile := filepath.Join(home, ".ssh", "config")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	local := exampletest.RandomFile(t, t.TempDir(), "alias.bin", 100000, 34)
	r := runPTY(t, home, nil, "-q", local, "myalias:"+srv.Path("alias.bin"))
	if r.code != 0 {
		t.Fatalf("through the alias: exit status %d; terminal:\n%q", r.code, r.stdout)
	}
	sameFile(t, local, srv.Path("alias.bin"))
	noPrompt(t, r.stdout)

	// -F: the same file elsewhere.
	other := filepath.Join(home, "other-config")
	if err := os.Rename(cfgFile, other); err != nil {
		t.Fatal(err)
	}
	os.Remove(srv.Path("alias.bin"))
	r = runPiped(t, home, "-q", "-F", other, local, "myalias:"+srv.Path("alias.bin"))
	if r.code != 0 {
		t.Fatalf("-F: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, local, srv.Path("alias.bin"))
	r = runPiped(t, home, "-F", filepath.Join(home, "missing-config"), local, "myalias:x")
	if r.code != 1 || !strings.Contains(r.stderr, "missing-config: no such file or directory") {
		t.Errorf("-F with a missing file: exit status %d; stderr:\n%s", r.code, r.stderr)
	}

	// The command line wins: user@ (the wrong user is refused by name), -P (a closed port).
	r = runPiped(t, home, "-F", other, local, "no-such-user@myalias:x")
	if r.code != 1 || !strings.Contains(r.stderr, "no-such-user@"+srv.Host+": Permission denied") {
		t.Errorf("user@ over User: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r = runPiped(t, home, "-F", other, "-P", strconv.Itoa(closed), local, "myalias:x")
	if r.code != 1 || !strings.Contains(r.stderr, net.JoinHostPort(srv.Host, strconv.Itoa(closed))) ||
		!strings.Contains(r.stderr, "connection refused") {
		t.Errorf("-P over Port: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	// A broken file is refused with its line, as ssh refuses it.
	if err := os.WriteFile(other, []byte("Host myalias\n  Port none-such-port\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runPiped(t, home, "-F", other, local, "myalias:x")
	if r.code != 1 || !strings.Contains(r.stderr, other+" line 2: bad port") {
		t.Errorf("a bad Port: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
}

// TestTildeRemotePath: "~" and "~/path" on the server are the login directory (where the SFTP
// server starts: here sftp-server -d) and paths under it, both ways; "~user" is refused.
func TestTildeRemotePath(t *testing.T) {
	login := filepath.Join(t.TempDir(), "login-dir")
	if err := os.MkdirAll(login, 0o755); err != nil {
		t.Fatal(err)
	}
	s := sshd.StartT(t, sshd.Options{SFTPArgs: []string{"-d", login}})
	home := exampletest.Home(t, s, true, true)
	local := exampletest.RandomFile(t, t.TempDir(), "tilde.bin", 200000, 35)
	at := func(p string) string { return s.User + "@" + s.Host + ":" + p }

	r := runPTY(t, home, nil, append(port(s), local, at("~/up.bin"))...)
	if r.code != 0 {
		t.Fatalf("to ~/up.bin: exit status %d; terminal:\n%q", r.code, r.stdout)
	}
	sameFile(t, local, filepath.Join(login, "up.bin"))
	for _, dst := range []string{"~", "~/"} {
		os.Remove(filepath.Join(login, "tilde.bin"))
		r = runPiped(t, home, append(port(s), "-q", local, at(dst))...)
		if r.code != 0 {
			t.Fatalf("to %s: exit status %d; stderr:\n%s", dst, r.code, r.stderr)
		}
		sameFile(t, local, filepath.Join(login, "tilde.bin"))
	}
	got := filepath.Join(t.TempDir(), "down.bin")
	r = runPiped(t, home, append(port(s), "-q", at("~/up.bin"), got)...)
	if r.code != 0 {
		t.Fatalf("from ~/up.bin: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, got, filepath.Join(login, "up.bin"))
	// The whole login directory, into a directory: under the login directory's own name, as scp.
	into := t.TempDir()
	r = runPiped(t, home, append(port(s), "-q", "-r", at("~"), into)...)
	if r.code != 0 {
		t.Fatalf("-r from ~: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(listTree(t, login), listTree(t, filepath.Join(into, "login-dir"))); diff != "" {
		t.Errorf("-r from ~ (-server +local):\n%s", diff)
	}
	r = runPiped(t, home, append(port(s), local, at("~root/x"))...)
	if r.code != 2 || !strings.Contains(r.stderr, "~user is not supported") {
		t.Errorf("~root/x: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
}

// evilName holds terminal escape sequences (a window title, clear screen, a colour by the one-byte
// CSI), a bell, a newline and a right-to-left override.
const evilName = "evil\x1b]0;pwned\x07\x1b[2J\x9b31m\n\u202e.bin"

// printable is what of out reaches the terminal beyond sftpput's own progress sequences; it must
// hold no control character.
func printable(out string) string {
	return strings.NewReplacer("\r\x1b[K", "", "\r", "", "\n", "").Replace(out)
}

// TestEscapesInNames: file names with terminal escapes are printed escaped in the progress and
// summary lines of an upload, a download and -r, and in error lines; the files keep their names.
func TestEscapesInNames(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	dir := t.TempDir()
	local := exampletest.RandomFile(t, dir, evilName, 100000, 36)
	remoteDir := srv.Path("escapes")
	os.RemoveAll(remoteDir)
	if err := os.MkdirAll(remoteDir, 0o755); err != nil {
		t.Fatal(err)
	}
	escaped := term.Escape(local)
	clean := func(what, out string) {
		t.Helper()
		if p := printable(out); strings.ContainsAny(p, "\x1b\x07\u202e") || strings.Contains(p, "\x9b") {
			t.Errorf("%s: a control character reached the terminal:\n%q", what, out)
		}
	}
	r := runPTY(t, home, nil, append(port(srv), local, dest(srv, "escapes/"))...)
	if r.code != 0 {
		t.Fatalf("upload: exit status %d; terminal:\n%q", r.code, r.stdout)
	}
	clean("upload", r.stdout)
	if !strings.Contains(r.stdout, `evil\x1b]0;pwned\x07\x1b[2J\x9b31m\n\u202e.bin`) || !strings.Contains(r.stdout, escaped+"  97.7 KiB") {
		t.Errorf("upload: the summary does not show the escaped name %q:\n%q", escaped, r.stdout)
	}
	sameFile(t, local, filepath.Join(remoteDir, evilName))

	// Download, and a tree with a skipped link of such a name.
	back := t.TempDir()
	r = runPTY(t, home, nil, append(port(srv), dest(srv, "escapes/"+evilName), back)...)
	if r.code != 0 {
		t.Fatalf("download: exit status %d; terminal:\n%q", r.code, r.stdout)
	}
	clean("download", r.stdout)
	sameFile(t, filepath.Join(back, evilName), local)
	if err := os.Symlink("nowhere", filepath.Join(dir, "link-"+evilName)); err != nil {
		t.Fatal(err)
	}
	r = runPTY(t, home, nil, append(port(srv), "-r", dir, dest(srv, "escapes/tree"))...)
	clean("-r", r.stdout)
	if r.code != 1 || !strings.Contains(r.stdout, term.Escape(filepath.Join(dir, "link-"+evilName))+": skipped: dangling") {
		t.Errorf("-r: exit status %d; want 1 and the skipped link, escaped:\n%q", r.code, r.stdout)
	}
	// Errors: a local file and a remote one that do not exist.
	r = runPTY(t, home, nil, append(port(srv), filepath.Join(dir, "no-"+evilName), dest(srv, "escapes/"))...)
	clean("missing local", r.stdout)
	if r.code != 1 || !strings.Contains(r.stdout, term.Escape("no-"+evilName)) {
		t.Errorf("a missing local file: exit status %d:\n%q", r.code, r.stdout)
	}
	r = runPTY(t, home, nil, append(port(srv), dest(srv, "escapes/no-"+evilName), back)...)
	clean("missing remote", r.stdout)
	if r.code != 1 || !strings.Contains(r.stdout, term.Escape("no-"+evilName)) {
		t.Errorf("a missing remote file: exit status %d:\n%q", r.code, r.stdout)
	}
}
