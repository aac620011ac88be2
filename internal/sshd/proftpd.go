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
)

// StartProFTPD starts a throw-away ProFTPD with mod_sftp on 127.0.0.1 (Debian's proftpd-core and
// proftpd-mod-crypto), a third SSH implementation with its own SFTP server, for interoperability
// tests. It runs in the foreground with its own configuration, host key and pid files in Dir, and
// logs to the Server's log. Logins go with the test account's password (root needed, as for
// Options.Password); uploads go to SFTPRoot, which the account owns.
func StartProFTPD() (*Server, error) {
	bin := findBinary("/usr/sbin/proftpd", "/usr/local/sbin/proftpd")
	if bin == "" {
		return nil, errors.New("proftpd not found: install proftpd-core and proftpd-mod-crypto (make deps)")
	}
	modDir := "/usr/lib/proftpd"
	if _, err := os.Stat(filepath.Join(modDir, "mod_sftp.so")); err != nil {
		return nil, errors.New("ProFTPD's mod_sftp not found: install proftpd-mod-crypto (make deps)")
	}
	dir, err := os.MkdirTemp("", "go-libssh2-proftpd-")
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
	// An RSA host key in PEM form: what every mod_sftp release reads.
	hostKey := filepath.Join(dir, "ssh_host_rsa_key")
	if err := keygen("-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", hostKey); err != nil {
		return fail(err)
	}
	typ, b64, err := readPub(hostKey + ".pub")
	if err != nil {
		return fail(err)
	}
	for attempt := 1; ; attempt++ {
		port, err := freePort(s.Host)
		if err != nil {
			return fail(err)
		}
		s.Port = port
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
		conf := fmt.Sprintf(`ModulePath %s
LoadModule mod_sftp.c
ServerType standalone
DefaultServer on
ServerName "go-libssh2 test"
DefaultAddress %s
SocketBindTight on
Port %d
UseIPv6 off
User nobody
Group nogroup
PidFile %s/proftpd.pid
ScoreboardFile %s/proftpd.scoreboard
DelayTable none
WtmpLog off
TransferLog none
RequireValidShell off
AllowOverwrite on
Umask 022
SFTPEngine on
SFTPLog %s/sftp.log
SFTPHostKey %s
SFTPAuthMethods password
<Limit ALL SITE_CHMOD>
  AllowAll
</Limit>
`, modDir, s.Host, port, dir, dir, dir, hostKey)
		cfgPath := filepath.Join(dir, "proftpd.conf")
		if err := os.WriteFile(cfgPath, []byte(conf), 0o644); err != nil {
			return fail(err)
		}
		cmd := exec.Command(bin, "-n", "-q", "-c", cfgPath)
		s.log = &SyncBuffer{}
		cmd.Stdout, cmd.Stderr = s.log, s.log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return fail(fmt.Errorf("starting proftpd: %v", err))
		}
		s.cmd = cmd
		s.exited = make(chan struct{})
		go func() { cmd.Wait(); close(s.exited) }()
		if waitListening(s.Addr, s.exited) {
			break
		}
		s.stop()
		if attempt < 3 && strings.Contains(s.Log(), "in use") {
			continue
		}
		return fail(fmt.Errorf("proftpd did not start:\n%s", s.Log()))
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
