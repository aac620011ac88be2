package sshd

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// StartDropbear starts a throw-away dropbear SSH server on 127.0.0.1 with OpenSSH's sftp-server
// serving its sessions, for tests that check the binding against a second SSH implementation.
// dropbear reads authorized keys only from the home directory of the account, so logins go with the
// test account's password (the account internal/sshd makes for password tests; root needed), and
// uploads go to SFTPRoot, a directory of Dir that the account owns. dropbear looks for sftp-server at
// a compiled-in path that Debian's OpenSSH does not install, so every session is forced to run
// sftp-server (dropbear -c), which serves the "sftp" subsystem request. The returned Server has
// Addr, KnownHostsPath, PasswordUser, Password, SFTPRoot, Log and Close; key fields are empty.
func StartDropbear() (*Server, error) {
	bin := findBinary("/usr/sbin/dropbear", "/usr/local/sbin/dropbear")
	if bin == "" {
		return nil, errors.New("dropbear not found: install dropbear-bin (make deps)")
	}
	keygenBin := findBinary("/usr/bin/dropbearkey", "/usr/local/bin/dropbearkey")
	if keygenBin == "" {
		return nil, errors.New("dropbearkey not found: install dropbear-bin (make deps)")
	}
	sftpServer := findBinary("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server")
	if sftpServer == "" {
		return nil, errors.New("sftp-server not found: install openssh-sftp-server (make deps)")
	}
	dir, err := os.MkdirTemp("", "go-libssh2-dropbear-")
	if err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755)
	s := &Server{Dir: dir, Host: "127.0.0.1", HostKeys: map[string][]byte{}, log: &SyncBuffer{}}
	fail := func(err error) (*Server, error) {
		s.stop()
		os.RemoveAll(dir)
		return nil, err
	}
	if err := ensureAccount(s); err != nil {
		return fail(err)
	}
	s.User = s.PasswordUser
	acct, err := user.Lookup(s.PasswordUser)
	if err != nil {
		return fail(err)
	}
	uid, _ := strconv.Atoi(acct.Uid)
	gid, _ := strconv.Atoi(acct.Gid)
	s.SFTPRoot = filepath.Join(dir, "files")
	if err := os.Mkdir(s.SFTPRoot, 0o755); err != nil {
		return fail(err)
	}
	if err := os.Chown(s.SFTPRoot, uid, gid); err != nil {
		return fail(err)
	}
	hostKey := filepath.Join(dir, "dropbear_ed25519_host_key")
	if out, err := exec.Command(keygenBin, "-t", "ed25519", "-f", hostKey).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("dropbearkey: %v: %s", err, out))
	}
	out, err := exec.Command(keygenBin, "-y", "-f", hostKey).Output()
	if err != nil {
		return fail(fmt.Errorf("dropbearkey -y: %v", err))
	}
	var typ, b64 string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "ssh-") {
			typ, b64 = f[0], f[1]
		}
	}
	if b64 == "" {
		return fail(fmt.Errorf("dropbearkey -y printed no public key:\n%s", out))
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort(s.Host)
		if err != nil {
			return fail(err)
		}
		s.Port = port
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
		cmd := exec.Command(bin, "-F", "-E", "-r", hostKey, "-p", s.Addr, "-P", filepath.Join(dir, "dropbear.pid"),
			"-c", sftpServer, "-W", strconv.Itoa(1<<20))
		s.log = &SyncBuffer{}
		cmd.Stdout, cmd.Stderr = s.log, s.log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return fail(fmt.Errorf("starting dropbear: %v", err))
		}
		s.cmd = cmd
		s.exited = make(chan struct{})
		go func() { cmd.Wait(); close(s.exited) }()
		if waitListening(s.Addr, s.exited) {
			break
		}
		s.stop()
		if attempt < 3 && strings.Contains(s.Log(), "Address already in use") {
			continue
		}
		return fail(fmt.Errorf("dropbear did not start:\n%s", s.Log()))
	}
	blob, _ := base64.StdEncoding.DecodeString(b64)
	s.HostKeys[typ] = blob
	s.KnownHostsPath = filepath.Join(dir, "known_hosts")
	known := fmt.Sprintf("[%s]:%d %s %s\n", s.Host, s.Port, typ, b64)
	if err := os.WriteFile(s.KnownHostsPath, []byte(known), 0o644); err != nil {
		return fail(err)
	}
	return s, nil
}

// waitListening waits until addr accepts connections, or the server exited, for up to 10 s.
func waitListening(addr string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return true
		}
		select {
		case <-exited:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}
