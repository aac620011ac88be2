package sshd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	s, err := newPasswordServer("go-libssh2-proftpd-")
	if err != nil {
		return nil, err
	}
	dir := s.Dir
	fail := func(err error) (*Server, error) {
		s.stop()
		os.RemoveAll(dir)
		return nil, err
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
	err = s.serve("proftpd", "in use", func(_ string, port int) ([]string, error) {
		// Debian 13 builds mod_xfer (AllowOverwrite) as a loadable module; Debian 12 links it in.
		var load string
		if _, err := os.Stat(filepath.Join(modDir, "mod_xfer.so")); err == nil {
			load = "LoadModule mod_xfer.c\n"
		}
		conf := fmt.Sprintf(`ModulePath %s
`+load+`LoadModule mod_sftp.c
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
<IfModule mod_delay.c>
  DelayTable none
</IfModule>
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
			return nil, err
		}
		return []string{bin, "-n", "-q", "-c", cfgPath}, nil
	}, typ, b64)
	if err != nil {
		return fail(err)
	}
	return s, nil
}
