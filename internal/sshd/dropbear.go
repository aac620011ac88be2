package sshd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
	keygenBin := findBinary("/usr/bin/dropbearkey", "/usr/local/bin/dropbearkey")
	if bin == "" || keygenBin == "" {
		return nil, errors.New("dropbear or dropbearkey not found: install dropbear-bin (make deps)")
	}
	sftpServer := findBinary("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server")
	if sftpServer == "" {
		return nil, errors.New("sftp-server not found: install openssh-sftp-server (make deps)")
	}
	s, err := newPasswordServer("go-libssh2-dropbear-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) {
		s.stop()
		os.RemoveAll(s.Dir)
		return nil, err
	}
	hostKey := filepath.Join(s.Dir, "dropbear_ed25519_host_key")
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
	err = s.serve("dropbear", "Address already in use", func(addr string, _ int) ([]string, error) {
		return []string{bin, "-F", "-E", "-r", hostKey, "-p", addr, "-P", filepath.Join(s.Dir, "dropbear.pid"),
			"-c", sftpServer, "-W", strconv.Itoa(1 << 20)}, nil
	}, typ, b64)
	if err != nil {
		return fail(err)
	}
	return s, nil
}
