// Package sshd starts a throw-away OpenSSH sshd on 127.0.0.1 for tests, benchmarks and the demo: fresh
// host and user keys in a temporary directory, its own config and authorized_keys, run as the current
// user. It never reads or changes the user's ~/.ssh or the system's sshd.
package sshd

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options tune the server. The zero value is a plain server on 127.0.0.1.
type Options struct {
	ListenAddr    string   // default "127.0.0.1"
	Command       []string // a prefix to run sshd under, such as {"ip", "netns", "exec", "NS"}
	LogLevel      string   // sshd LogLevel, default "VERBOSE"; "DEBUG1" logs the negotiated cipher and MAC
	FileSizeLimit int64    // if > 0, RLIMIT_FSIZE in bytes for sftp-server (writes past it fail with EFBIG)
	ExtraConfig   []string // more sshd_config lines (they come first, so they win over the defaults)
	Password      bool     // enable password authentication for a dedicated test account (needs root)
	SFTPArgs      []string // more arguments for sftp-server, such as {"-d", DIR} (its start directory)
	// HostKeyTypes are the host key types the server has, as ssh-keygen -t names them ("ed25519",
	// "ecdsa", "rsa"), in the order sshd's config lists them; default all three.
	HostKeyTypes []string
}

// Server is a running sshd.
type Server struct {
	Addr             string // "host:port"
	Host             string
	Port             int
	User             string // the user the keys log in as (the current user)
	Dir              string // everything of the server; removed by Close
	KeyPath          string // unencrypted ed25519 key (KeyPath+".pub" is its public key)
	RSAKeyPath       string // unencrypted RSA key in PEM format (libssh2 1.10 signs RSA with SHA-1, so ssh-rsa is allowed)
	EncryptedKeyPath string // RSA key in PEM format encrypted with Passphrase
	Passphrase       string
	ReadOnlyKeyPath  string            // a key whose logins get `sftp-server -R` (read-only)
	WrongKeyPath     string            // a key the server does not know
	KnownHostsPath   string            // known_hosts with the server's host keys, as [host]:port lines
	HostKeys         map[string][]byte // key type ("ssh-ed25519", ...) -> public key blob
	PasswordUser     string            // with Options.Password
	Password         string
	SFTPRoot         string   // a writable directory for uploads
	Notes            []string // what the harness did that a test log should say

	cmd     *exec.Cmd
	log     *SyncBuffer
	exited  chan struct{}
	closeMu sync.Mutex
	closed  bool
}

// SyncBuffer is a bytes.Buffer that is safe for concurrent use: the server's log is one, and tests
// collect a program's output in one while it runs.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Log returns what sshd has logged so far.
func (s *Server) Log() string { return s.log.String() }

// Path returns name inside SFTPRoot.
func (s *Server) Path(name string) string { return filepath.Join(s.SFTPRoot, name) }

// SHA256 returns the hex SHA-256 of a file of the server (it is on this machine).
func (s *Server) SHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func findBinary(names ...string) string {
	for _, n := range names {
		if _, err := os.Stat(n); err == nil {
			return n
		}
	}
	return ""
}

func keygen(args ...string) error {
	out, err := exec.Command("ssh-keygen", append([]string{"-q"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ssh-keygen %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func readPub(path string) (typ, b64 string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return "", "", fmt.Errorf("%s: not a public key", path)
	}
	return f[0], f[1], nil
}

func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// passwordAccount is the dedicated account for password tests.
const passwordAccount = "golibssh2-test"

// Start starts sshd and waits until it listens.
func Start(opts Options) (*Server, error) {
	sshdPath := findBinary("/usr/sbin/sshd", "/usr/local/sbin/sshd")
	if sshdPath == "" {
		return nil, errors.New("sshd not found: install openssh-server (make deps)")
	}
	sftpServer := findBinary("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server")
	if sftpServer == "" {
		return nil, errors.New("sftp-server not found: install openssh-sftp-server (make deps)")
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		return nil, errors.New("ssh-keygen not found: install openssh-client (make deps)")
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "go-libssh2-sshd-")
	if err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755)
	s := &Server{Dir: dir, User: u.Username, HostKeys: map[string][]byte{}, log: &SyncBuffer{}}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	host := opts.ListenAddr
	if host == "" {
		host = "127.0.0.1"
	}
	s.Host = host
	var hostKeys []string
	var known strings.Builder
	keyTypes := opts.HostKeyTypes
	if len(keyTypes) == 0 {
		keyTypes = []string{"ed25519", "ecdsa", "rsa"}
	}
	for _, kt := range keyTypes {
		p := filepath.Join(dir, "ssh_host_"+kt+"_key")
		if err := keygen("-t", kt, "-N", "", "-f", p); err != nil {
			return fail(err)
		}
		hostKeys = append(hostKeys, p)
	}
	s.KeyPath = filepath.Join(dir, "id_ed25519")
	s.RSAKeyPath = filepath.Join(dir, "id_rsa")
	s.EncryptedKeyPath = filepath.Join(dir, "id_rsa_enc")
	s.ReadOnlyKeyPath = filepath.Join(dir, "id_readonly")
	s.WrongKeyPath = filepath.Join(dir, "id_wrong")
	s.Passphrase = "correct horse battery staple"
	for _, k := range []struct{ path, typ, pass string }{
		{s.KeyPath, "ed25519", ""}, {s.RSAKeyPath, "rsa", ""}, {s.EncryptedKeyPath, "rsa", s.Passphrase},
		{s.ReadOnlyKeyPath, "ed25519", ""}, {s.WrongKeyPath, "ed25519", ""},
	} {
		args := []string{"-t", k.typ, "-N", k.pass, "-f", k.path}
		if k.typ == "rsa" {
			args = append(args, "-m", "PEM", "-b", "2048")
		}
		if err := keygen(args...); err != nil {
			return fail(err)
		}
	}
	sftpCmd := sftpServer
	if opts.FileSizeLimit > 0 {
		// An ignored SIGXFSZ stays ignored across exec, so sftp-server gets EFBIG instead of dying.
		blocks := (opts.FileSizeLimit + 511) / 512
		wrapper := filepath.Join(dir, "sftp-server-limited")
		script := fmt.Sprintf("#!/bin/sh\ntrap '' XFSZ\nulimit -f %d\nexec %s \"$@\"\n", blocks, sftpServer)
		if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
			return fail(err)
		}
		sftpCmd = wrapper
	}
	var auth strings.Builder
	for _, k := range []string{s.KeyPath, s.RSAKeyPath, s.EncryptedKeyPath} {
		t, b, err := readPub(k + ".pub")
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(&auth, "%s %s\n", t, b)
	}
	t, b, err := readPub(s.ReadOnlyKeyPath + ".pub")
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(&auth, "restrict,command=\"%s -R\" %s %s\n", sftpCmd, t, b)
	authPath := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authPath, []byte(auth.String()), 0o644); err != nil {
		return fail(err)
	}
	s.SFTPRoot = filepath.Join(dir, "files")
	if err := os.MkdirAll(s.SFTPRoot, 0o777); err != nil {
		return fail(err)
	}
	os.Chmod(s.SFTPRoot, 0o1777)
	if opts.Password {
		if os.Geteuid() != 0 {
			return fail(errors.New("password authentication tests need root to create a dedicated test account: run the tests as root (for example with make docker-test)"))
		}
		if err := ensureAccount(s); err != nil {
			return fail(err)
		}
	}
	if os.Geteuid() == 0 {
		os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation directory
	}
	logLevel := opts.LogLevel
	if logLevel == "" {
		logLevel = "VERBOSE"
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort(host)
		if err != nil {
			if len(opts.Command) == 0 {
				return fail(err)
			}
			port = 20000 + int(randUint16()%20000)
		}
		s.Port = port
		s.Addr = net.JoinHostPort(host, strconv.Itoa(port))
		sessionHome := filepath.Join(dir, "session-home")
		if err := os.MkdirAll(sessionHome, 0o755); err != nil {
			return fail(err)
		}
		var cfg strings.Builder
		for _, l := range opts.ExtraConfig {
			cfg.WriteString(l + "\n")
		}
		pw := "no"
		if opts.Password {
			pw = "yes"
		}
		fmt.Fprintf(&cfg, "ListenAddress %s\nPort %d\n", host, port)
		for _, k := range hostKeys {
			fmt.Fprintf(&cfg, "HostKey %s\n", k)
		}
		fmt.Fprintf(&cfg, `PidFile %s
AuthorizedKeysFile %s
UsePAM no
StrictModes no
PasswordAuthentication %s
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PubkeyAcceptedAlgorithms +ssh-rsa
PermitRootLogin yes
Subsystem sftp %s
LogLevel %s
MaxStartups 100
MaxSessions 50
ClientAliveInterval 0
`, filepath.Join(dir, "sshd.pid"), authPath, pw, strings.Join(append([]string{sftpCmd}, opts.SFTPArgs...), " "), logLevel)
		// sshd starts every session's command, sftp-server included, through the user's shell, and
		// bash reads ~/.bashrc when sshd starts it: a machine's dotfiles (a slow `pyenv init`, say)
		// would be in every session's start. The sessions get an empty HOME; their working
		// directory is still the user's home directory from the password database.
		fmt.Fprintf(&cfg, "SetEnv HOME=%s\n", sessionHome)
		if hasPerSourcePenalties() {
			// OpenSSH 9.8 and later refuse, for a while, a source whose connections end before
			// authentication; the tests make many such from 127.0.0.1 on purpose.
			cfg.WriteString("PerSourcePenalties no\n")
		}
		cfgPath := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
			return fail(err)
		}
		argv := append(append([]string{}, opts.Command...), sshdPath, "-D", "-e", "-f", cfgPath)
		cmd := exec.Command(argv[0], argv[1:]...)
		s.log = &SyncBuffer{}
		cmd.Stdout, cmd.Stderr = s.log, s.log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return fail(fmt.Errorf("starting sshd: %v", err))
		}
		s.cmd = cmd
		s.exited = make(chan struct{})
		go func() { cmd.Wait(); close(s.exited) }()
		ready := false
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(s.Log(), "Server listening on") {
				ready = true
				break
			}
			select {
			case <-s.exited:
				deadline = time.Now()
			case <-time.After(20 * time.Millisecond):
			}
		}
		if ready {
			break
		}
		s.stop()
		if attempt < 3 && strings.Contains(s.Log(), "Address already in use") {
			continue
		}
		return fail(fmt.Errorf("sshd did not start:\n%s", s.Log()))
	}
	for i, k := range hostKeys {
		typ, b64, err := readPub(k + ".pub")
		if err != nil {
			s.Close()
			return nil, err
		}
		blob, _ := base64.StdEncoding.DecodeString(b64)
		s.HostKeys[typ] = blob
		_ = i
		fmt.Fprintf(&known, "[%s]:%d %s %s\n", host, s.Port, typ, b64)
	}
	s.KnownHostsPath = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(s.KnownHostsPath, []byte(known.String()), 0o644); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func randUint16() uint16 {
	var b [2]byte
	rand.Read(b[:])
	return uint16(b[0])<<8 | uint16(b[1])
}

// ensureAccount creates the dedicated password test account if needed and sets its password.
//
// Test binaries run in parallel (go test ./... runs packages at once) and share the account, so a
// password changed by one would fail the logins of another. So the first to come generates a random
// password and keeps it in a file only root can read, and every server sets that same one; a lock
// file serializes them.
func ensureAccount(s *Server) error {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "go-libssh2-test-account.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking the test account: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := user.Lookup(passwordAccount); err != nil {
		out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", passwordAccount).CombinedOutput()
		if err != nil {
			return fmt.Errorf("useradd %s: %v: %s", passwordAccount, err, out)
		}
		s.Notes = append(s.Notes, "created the test account "+passwordAccount+" for password authentication")
	}
	pwFile := filepath.Join(os.TempDir(), "go-libssh2-test-account.pw")
	b, err := os.ReadFile(pwFile)
	pw := strings.TrimSpace(string(b))
	if err != nil || pw == "" {
		var r [18]byte
		rand.Read(r[:])
		pw = base64.RawURLEncoding.EncodeToString(r[:])
		if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
			return err
		}
		s.Notes = append(s.Notes, "made a random password for the test account "+passwordAccount+", kept in "+pwFile)
	}
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(passwordAccount + ":" + pw + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("chpasswd: %v: %s", err, out)
	}
	s.PasswordUser, s.Password = passwordAccount, pw
	return nil
}

// stop kills sshd's process group and its sessions, and waits for it. The sessions first: once
// sshd is gone they are no longer its descendants, and some sit in process groups of their own,
// holding the log's pipe (so Wait would not return) as long as a client keeps its connection open.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.KillSessions()
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Close stops sshd and everything it started, and removes Dir. It is idempotent.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.stop()
	return os.RemoveAll(s.Dir)
}

// KillSessions kills (SIGKILL) the per-connection sshd processes and their sftp-servers, leaving the
// listener running: a server crash in the middle of a session.
func (s *Server) KillSessions() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return errors.New("sshd is not running")
	}
	for _, pid := range descendants(s.cmd.Process.Pid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return nil
}

// KillSFTPServers kills (SIGKILL) the sftp-server processes of every session, leaving sshd and the
// sessions' connections up: the SFTP channel ends while the SSH session lives on.
func (s *Server) KillSFTPServers() (int, error) {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0, errors.New("sshd is not running")
	}
	n := 0
	for _, pid := range descendants(s.cmd.Process.Pid) {
		comm, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if err == nil && strings.TrimSpace(string(comm)) == "sftp-server" {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				n++
			}
		}
	}
	return n, nil
}

// SessionsCPU returns the CPU time (user and system) of the sessions sshd has finished so far: the
// per-connection sshd processes and what they ran (sftp-server, commands), as the listener's
// reaped children (cutime and cstime in /proc/PID/stat, in USER_HZ ticks of 10 ms). A session
// counts once its processes have exited and been reaped: see WaitSessionsGone.
func (s *Server) SessionsCPU() (time.Duration, error) {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0, errors.New("sshd is not running")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the command's closing ')': state is the 3rd field of the line, cutime the 16th
	// and cstime the 17th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 15 {
		return 0, fmt.Errorf("short /proc stat line: %q", b)
	}
	var ticks int64
	for _, v := range f[13:15] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat line %q: %v", b, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// WaitSessionsGone waits up to timeout until sshd has no session process left (every connection's
// processes have exited and been reaped), and reports whether that happened.
func (s *Server) WaitSessionsGone(timeout time.Duration) bool {
	if s.cmd == nil || s.cmd.Process == nil {
		return false
	}
	for end := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if len(descendants(s.cmd.Process.Pid)) == 0 {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command may hold spaces: fields after the last ')' are "state ppid ...".
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// StartT starts a server for one test: it fails the test with a clear message if sshd cannot start,
// closes the server when the test ends, and logs the server's log when the test failed.
func StartT(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("cannot start the test sshd: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("sshd log:\n%s", s.Log())
		}
		s.Close()
	})
	return s
}

// hasPerSourcePenalties reports whether the installed OpenSSH (9.8 and later) has sshd's
// PerSourcePenalties, from the version ssh -V prints.
func hasPerSourcePenalties() bool {
	out, _ := exec.Command("ssh", "-V").CombinedOutput()
	var major, minor int
	if i := strings.Index(string(out), "OpenSSH_"); i >= 0 {
		fmt.Sscanf(string(out[i+len("OpenSSH_"):]), "%d.%d", &major, &minor)
	}
	return major > 9 || major == 9 && minor >= 8
}
