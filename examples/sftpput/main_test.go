package main

import (
	"bytes"
	b64 "encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

var (
	srv     *sshd.Server // shared by the tests that need nothing special from the server
	bin     string       // the sftpput binary
	bigFile string       // 256 MiB of pseudo-random bytes: long enough to watch, interrupt and kill
)

const bigSize = 256 << 20

func TestMain(m *testing.M) {
	var err error
	srv, err = sshd.Start(sshd.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start the test sshd: %v\n", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "sftpput-test-")
	if err == nil {
		bin = filepath.Join(dir, "sftpput")
		err = exampletest.BuildTo(".", bin)
	}
	if err == nil {
		bigFile = filepath.Join(dir, "big.bin")
		err = writeRandom(bigFile, bigSize)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		srv.Close()
		os.Exit(1)
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- shared sshd log:\n%s\n", srv.Log())
	}
	srv.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func writeRandom(name string, size int64) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.NewChaCha8([32]byte{42}), size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// result is what one sftpput run did.
type result struct {
	code           int
	stdout, stderr string // under a terminal, stdout holds everything
}

// dest is the [user@]host:REMOTE argument for name in srv's upload directory.
func dest(s *sshd.Server, name string) string {
	return fmt.Sprintf("%s@%s:%s", s.User, s.Host, s.Path(name))
}

// port is the -P argument for s.
func port(s *sshd.Server) []string { return []string{"-P", strconv.Itoa(s.Port)} }

// start starts sftpput with HOME at home, its output piped and no controlling terminal.
func start(t *testing.T, home string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = exampletest.Env(home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no /dev/tty to ask a password on
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

// wait waits for a command started by start, at most a minute.
func wait(t *testing.T, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) result {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("sftpput %v ran for a minute; stdout:\n%s\nstderr:\n%s", cmd.Args[1:], stdout, stderr)
	}
	if os.Getenv("SFTPPUT_TEST_SHOW") != "" {
		t.Logf("sftpput %q: exit %d\nstdout:\n%s\nstderr:\n%s", cmd.Args[1:], cmd.ProcessState.ExitCode(), stdout, stderr)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// runPiped runs sftpput with HOME at home and its output piped.
func runPiped(t *testing.T, home string, args ...string) result {
	t.Helper()
	cmd, o, e := start(t, home, args...)
	return wait(t, cmd, o, e)
}

// runPTY runs sftpput as a person does, on a (pseudo-)terminal that is its controlling terminal
// and its stdin, stdout and stderr. dialog, when set, talks to it through the terminal while it runs.
func runPTY(t *testing.T, home string, dialog func(tty io.Writer, out *sshd.SyncBuffer), args ...string) result {
	t.Helper()
	p := startPTY(t, home, args...)
	if dialog != nil {
		dialog(p.ptm, p.out)
	}
	return p.wait()
}

// ptyRun is sftpput running on a pseudo-terminal (startPTY).
type ptyRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	ptm    *os.File // the controlling side, open until the test ends
	out    *sshd.SyncBuffer
	copied chan struct{}
}

// startPTY starts sftpput on a new pseudo-terminal, its controlling terminal, with HOME at home.
func startPTY(t *testing.T, home string, args ...string) *ptyRun {
	t.Helper()
	ptm, pts, err := term.OpenPTY()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	term.SetSize(pts, 24, 120)
	cmd := exec.Command(bin, args...)
	cmd.Env = exampletest.Env(home, "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	p := &ptyRun{t: t, cmd: cmd, ptm: ptm, out: &sshd.SyncBuffer{}, copied: make(chan struct{})}
	go func() {
		io.Copy(p.out, ptm) // ends with EIO once the child has exited and the terminal is gone
		close(p.copied)
	}()
	return p
}

// wait waits for the run to end (at most a minute) and returns what it did; the terminal stays
// open, so that its settings can still be read.
func (p *ptyRun) wait() result {
	t := p.t
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-done
		t.Fatalf("sftpput %v ran for a minute; terminal:\n%q", p.cmd.Args[1:], p.out.String())
	}
	select {
	case <-p.copied:
	case <-time.After(5 * time.Second):
	}
	if os.Getenv("SFTPPUT_TEST_SHOW") != "" {
		t.Logf("terminal:\n%q", p.out.String())
	}
	return result{code: p.cmd.ProcessState.ExitCode(), stdout: p.out.String()}
}

// waitFor waits until out holds s.
func waitFor(t *testing.T, out *sshd.SyncBuffer, s string) {
	t.Helper()
	waitForCount(t, out, s, 1)
}

// waitForCount waits until the terminal has shown s n times.
func waitForCount(t *testing.T, out *sshd.SyncBuffer, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(out.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %q; terminal so far:\n%q", s, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sameFile fails the test unless the server's copy of remote has local's SHA-256.
func sameFile(t *testing.T, local, remote string) {
	t.Helper()
	got, err := srv.SHA256(remote)
	if err != nil {
		t.Fatalf("the remote file: %v", err)
	}
	if diff := cmp.Diff(exampletest.SHA256(t, local), got); diff != "" {
		t.Errorf("SHA-256 of %s on the server (-local +remote):\n%s", remote, diff)
	}
}

// summaryLine matches the line printed for each uploaded file.
var summaryLine = regexp.MustCompile(`(?m)^(\S+)  ([0-9.]+ [KMG]?i?B)  \S+  [0-9.]+ [KMG]?i?B/s(  \(resumed at byte (\d+)\))?$`)

func TestTerminalShowsProgressThenSummary(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	local := bigFile
	remote := srv.Path("tty.bin")
	t.Cleanup(func() { os.Remove(remote) }) // 256 MiB
	r := runPTY(t, home, nil, append(port(srv), local, dest(srv, "tty.bin"))...)
	if r.code != 0 {
		t.Fatalf("exit status %d; terminal:\n%q", r.code, r.stdout)
	}
	sameFile(t, local, remote)
	// Progress lines, rewritten in place, with file, bytes, percentage, rate and ETA: at least one
	// while the upload runs (256 MiB take longer than the 200 ms between updates on any machine).
	progress := regexp.MustCompile(`\r\x1b\[K` + regexp.QuoteMeta(local) + `  [0-9.]+ [KMG]?i?B / 256\.0 MiB  +[1-9]\d*%  [0-9.]+ [KMG]?i?B/s  ETA \d+:\d\d`)
	if !progress.MatchString(r.stdout) {
		t.Errorf("no progress line with a rate and an ETA on the terminal:\n%q", r.stdout)
	}
	// Then the summary replaces it, on a line of its own, as the last thing printed.
	// Each rewrite of the line fits the 120-column terminal (a wrapped line cannot be rewritten).
	for _, seg := range strings.Split(r.stdout, "\r\x1b[K") {
		if seg = strings.TrimRight(seg, "\r\n"); len(seg) > 119 {
			t.Errorf("a progress line of %d columns on a 120-column terminal: %q", len(seg), seg)
		}
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\r\n"), "\n")
	last := lines[len(lines)-1]
	if i := strings.LastIndex(last, "\x1b[K"); i >= 0 {
		last = last[i+len("\x1b[K"):]
	}
	m := summaryLine.FindStringSubmatch(strings.TrimRight(last, "\r"))
	if m == nil || m[1] != local || m[2] != "256.0 MiB" {
		t.Errorf("the last line is not the summary for %s, 256.0 MiB: %q", local, last)
	}
}

func TestPipedOutputHasNoProgress(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	dir := t.TempDir()
	a := exampletest.RandomFile(t, dir, "a.bin", 3<<20+1, 2)
	b := exampletest.RandomFile(t, dir, "b.bin", 0, 3)
	if err := os.MkdirAll(srv.Path("piped"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runPiped(t, home, append(port(srv), a, b, dest(srv, "piped"))...)
	if r.code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, a, srv.Path("piped/a.bin"))
	sameFile(t, b, srv.Path("piped/b.bin"))
	if strings.ContainsAny(r.stdout+r.stderr, "\r\x1b") || strings.Contains(r.stdout, "ETA") {
		t.Errorf("progress noise in piped output:\nstdout %q\nstderr %q", r.stdout, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("stderr is not empty: %q", r.stderr)
	}
	var got []string
	for _, m := range summaryLine.FindAllStringSubmatch(r.stdout, -1) {
		got = append(got, m[1]+" "+m[2])
	}
	if diff := cmp.Diff([]string{a + " 3.0 MiB", b + " 0 B"}, got); diff != "" {
		t.Errorf("summary lines (-want +got):\n%s\nstdout:\n%s", diff, r.stdout)
	}
	// -q: nothing at all.
	r = runPiped(t, home, append(port(srv), "-q", a, dest(srv, "piped/q.bin"))...)
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("-q: exit status %d, stdout %q, stderr %q; want 0 and nothing", r.code, r.stdout, r.stderr)
	}
	sameFile(t, a, srv.Path("piped/q.bin"))
}

// hostKeyFingerprints returns the SHA-256 fingerprints of s's host keys.
func hostKeyFingerprints(s *sshd.Server) []string {
	var fps []string
	for typ, blob := range s.HostKeys {
		k, err := libssh2.ParsePublicKey(typ + " " + blobBase64(blob))
		if err != nil {
			panic(err)
		}
		fps = append(fps, libssh2.Fingerprint(k))
	}
	return fps
}

func TestUnknownHostIsRefusedWithFingerprint(t *testing.T) {
	home := exampletest.Home(t, srv, false, true)
	local := exampletest.RandomFile(t, t.TempDir(), "f.bin", 1000, 4)
	remote := srv.Path("unknown-host.bin")
	r := runPiped(t, home, append(port(srv), local, dest(srv, "unknown-host.bin"))...)
	if r.code == 0 {
		t.Fatalf("uploaded to an unknown host; stderr:\n%s", r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "sftpput: REFUSED: the host key of ") {
		t.Errorf("want one line refusing the host; stderr:\n%s", r.stderr)
	}
	found := false
	for _, fp := range hostKeyFingerprints(srv) {
		found = found || strings.Contains(r.stderr, fp)
	}
	if !found {
		t.Errorf("the refusal does not show the server's fingerprint (one of %v):\n%s", hostKeyFingerprints(srv), r.stderr)
	}
	if _, err := os.Stat(remote); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file reached the refused server (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(home, ".ssh", "known_hosts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("known_hosts was written without -o accept-new (%v)", err)
	}

	// -o accept-new trusts the key and remembers it; the next run needs no option.
	r = runPiped(t, home, append(port(srv), "-o", "accept-new", local, dest(srv, "unknown-host.bin"))...)
	if r.code != 0 || !strings.Contains(r.stderr, "permanently added") {
		t.Fatalf("-o accept-new: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, local, remote)
	os.Remove(remote)
	r = runPiped(t, home, append(port(srv), local, dest(srv, "unknown-host.bin"))...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("after accept-new: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, local, remote)

	// A different key for the host: refused even with -o accept-new.
	other := sshd.StartT(t, sshd.Options{})
	kh, err := os.ReadFile(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		t.Fatal(err)
	}
	otherKH := ""
	for typ, blob := range srv.HostKeys { // srv's keys under other's address
		otherKH += fmt.Sprintf("[%s]:%d %s %s\n", other.Host, other.Port, typ, blobBase64(blob))
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(string(kh)+otherKH), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runPiped(t, home, append(port(other), "-o", "accept-new", local, dest(other, "mitm.bin"))...)
	if r.code == 0 || !strings.Contains(r.stderr, "has changed") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("a changed host key: exit status %d; want a one-line refusal; stderr:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(other.Path("mitm.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file reached a server with a changed key (%v)", err)
	}
}

func TestMissingLocalFile(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	missing := filepath.Join(t.TempDir(), "no-such-file.txt")
	r := runPiped(t, home, append(port(srv), missing, dest(srv, "never.bin"))...)
	want := "sftpput: " + missing + ": no such file or directory\n"
	if r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Errorf("exit status %d, stdout %q, stderr %q; want 1 and %q", r.code, r.stdout, r.stderr, want)
	}
	// Remote failures, in plain words.
	local := exampletest.RandomFile(t, t.TempDir(), "f.bin", 10, 17)
	r = runPiped(t, home, append(port(srv), local, dest(srv, "no/such/dir/f.bin"))...)
	want = "sftpput: " + srv.Path("no/such/dir/f.bin") + ": no such file or directory on the server\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("into a missing remote directory: exit status %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
	r = runPiped(t, home, append(port(srv), "-i", srv.ReadOnlyKeyPath, local, dest(srv, "ro.bin"))...)
	want = "sftpput: " + srv.Path("ro.bin") + ": permission denied on the server\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("to a read-only server: exit status %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
	r = runPiped(t, home, append(port(srv), local, local, dest(srv, "not-a-dir/"))...)
	if r.code != 1 || !strings.Contains(r.stderr, "not-a-dir: no such directory on the server") {
		t.Errorf("several files into a missing directory: exit status %d, stderr %q", r.code, r.stderr)
	}
	dir := t.TempDir()
	r = runPiped(t, home, append(port(srv), dir, dest(srv, "never"))...)
	if r.code != 1 || !strings.Contains(r.stderr, "is a directory (use -r") {
		t.Errorf("a directory without -r: exit status %d, stderr %q", r.code, r.stderr)
	}
	r = runPiped(t, home, "-P", "x", dir)
	want = "sftpput: invalid value \"x\" for flag -P: parse error\n" + usage + "\n"
	if r.code != 2 || r.stderr != want {
		t.Errorf("bad usage: exit status %d, stderr %q; want 2 and %q", r.code, r.stderr, want)
	}
}

func TestInterruptDrainsAndStops(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	local := bigFile
	remote := srv.Path("interrupted.bin")
	t.Cleanup(func() { os.Remove(remote) }) // 256 MiB
	cmd, stdout, stderr := start(t, home, append(port(srv), local, dest(srv, "interrupted.bin"))...)
	waitSize(t, remote, 4<<20)
	cmd.Process.Signal(os.Interrupt)
	r := wait(t, cmd, stdout, stderr)
	if r.code != 130 {
		t.Fatalf("exit status %d, want 130; stderr:\n%s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`^sftpput: interrupted: \S+ holds the first (\d+) bytes \([^)]*\); run again with -a to resume\n$`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("stderr is not the one-line interruption report:\n%s", r.stderr)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	if n == 0 || n >= bigSize {
		t.Errorf("interrupted after %d bytes: want some but not all", n)
	}
	// The bytes in flight landed before the exit: the remote file is exactly that prefix.
	want := readPrefix(t, local, n)
	got, err := os.ReadFile(remote)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(got)) != n || !bytes.Equal(got, want) {
		t.Errorf("the remote file has %d bytes; want the first %d bytes of the local file", len(got), n)
	}
	// And -a finishes the job from there, as the message says.
	r = runPiped(t, home, append(port(srv), "-a", local, dest(srv, "interrupted.bin"))...)
	if r.code != 0 {
		t.Fatalf("-a after the interruption: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, local, remote)
	if m := summaryLine.FindStringSubmatch(r.stdout); m == nil || m[4] != strconv.FormatInt(n, 10) {
		t.Errorf("want a summary saying it resumed at byte %d:\n%s", n, r.stdout)
	}
}

// waitSize waits until the server's file name has at least n bytes.
func waitSize(t *testing.T, name string, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, err := os.Stat(name); err == nil && st.Size() >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %d bytes in 30 s", name, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func readPrefix(t *testing.T, name string, n int64) []byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPasswordFromTerminal(t *testing.T) {
	ps := sshd.StartT(t, sshd.Options{Password: true})
	home := exampletest.Home(t, ps, true, false) // no key: the password is the only way in
	local := exampletest.RandomFile(t, t.TempDir(), "pw.bin", 2<<20, 6)
	d := fmt.Sprintf("%s@%s:%s", ps.PasswordUser, ps.Host, ps.Path("pw.bin"))
	prompt := ps.PasswordUser + "@" + ps.Host + "'s password: "
	r := runPTY(t, home, func(tty io.Writer, out *sshd.SyncBuffer) {
		waitFor(t, out, prompt)
		io.WriteString(tty, "wrong password\n")
		waitFor(t, out, "Permission denied, please try again.")
		waitForCount(t, out, prompt, 2) // typed before the prompt, the password would be echoed
		io.WriteString(tty, ps.Password+"\n")
	}, append(port(ps), local, d)...)
	if r.code != 0 {
		t.Fatalf("exit status %d; terminal:\n%q", r.code, r.stdout)
	}
	if strings.Contains(r.stdout, ps.Password) || strings.Contains(r.stdout, "wrong password") {
		t.Errorf("a typed password was echoed:\n%q", r.stdout)
	}
	if strings.Count(r.stdout, prompt) != 2 {
		t.Errorf("want the prompt twice (one wrong password):\n%q", r.stdout)
	}
	got, err := ps.SHA256(ps.Path("pw.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(exampletest.SHA256(t, local), got); diff != "" {
		t.Errorf("SHA-256 (-local +remote):\n%s", diff)
	}
}

func TestAuthFailureIsOneLine(t *testing.T) {
	home := exampletest.Home(t, srv, true, false)
	local := exampletest.RandomFile(t, t.TempDir(), "f.bin", 10, 8)
	r := runPiped(t, home, append(port(srv), "-i", srv.WrongKeyPath, local, dest(srv, "denied.bin"))...)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "sftpput: "+srv.User+"@"+srv.Host+": Permission denied (publickey); ") ||
		!strings.Contains(r.stderr, "tried key "+srv.WrongKeyPath+" (") {
		t.Errorf("exit status %d; want 1 and one line naming the user and the key tried (and no password: there is no terminal); stderr:\n%s", r.code, r.stderr)
	}
}

func blobBase64(b []byte) string { return b64.StdEncoding.EncodeToString(b) }

func TestAgentLogin(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent (openssh-client) cannot start: %v", err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	var out []byte
	var err error
	for i := 0; i < 50; i++ { // the agent needs a moment to listen
		add := exec.Command("ssh-add", srv.KeyPath)
		add.Env = []string{"SSH_AUTH_SOCK=" + sock}
		if out, err = add.CombinedOutput(); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	home := exampletest.Home(t, srv, true, false) // no key file, no terminal: only the agent can log in
	local := exampletest.RandomFile(t, t.TempDir(), "agent.bin", 100000, 9)
	cmd := exec.Command(bin, append(port(srv), "-q", local, dest(srv, "agent.bin"))...)
	cmd.Env = exampletest.Env(home, "SSH_AUTH_SOCK="+sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sftpput with an agent: %v\n%s", err, out)
	}
	sameFile(t, local, srv.Path("agent.bin"))
}

func TestCipherOption(t *testing.T) {
	ds := sshd.StartT(t, sshd.Options{LogLevel: "DEBUG1"}) // its log names the negotiated cipher
	home := exampletest.Home(t, ds, true, true)
	local := exampletest.RandomFile(t, t.TempDir(), "c.bin", 1<<20, 10)
	r := runPiped(t, home, append(port(ds), "-q", "-c", "aes256-ctr", local, dest(ds, "c.bin"))...)
	if r.code != 0 {
		t.Fatalf("-c aes256-ctr: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(ds.Log(), "kex: client->server cipher: aes256-ctr") {
		t.Errorf("the server did not negotiate aes256-ctr from the client:\n%s", ds.Log())
	}
	got, err := ds.SHA256(ds.Path("c.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(exampletest.SHA256(t, local), got); diff != "" {
		t.Errorf("SHA-256 (-local +remote):\n%s", diff)
	}
	r = runPiped(t, home, append(port(ds), "-c", "rot13-cbc", local, dest(ds, "c2.bin"))...)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "rot13-cbc") {
		t.Errorf("-c rot13-cbc: exit status %d; want 1 and one line naming the cipher; stderr:\n%s", r.code, r.stderr)
	}
}
