package sshd

import (
	"encoding/base64"
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

// What StartDropbear and StartProFTPD share: servers that log in the test account with its password
// and serve uploads from a directory that account owns.

// newPasswordServer makes the Server of such a server: its Dir (prefix names it), the test account
// (ensureAccount; root needed) and SFTPRoot, owned by the account. On error nothing is left behind.
func newPasswordServer(prefix string) (*Server, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o755)
	s := &Server{Dir: dir, Host: "127.0.0.1", HostKeys: map[string][]byte{}, log: &SyncBuffer{}}
	err = func() error {
		if err := ensureAccount(s); err != nil {
			return err
		}
		s.User = s.PasswordUser
		acct, err := user.Lookup(s.PasswordUser)
		if err != nil {
			return err
		}
		uid, _ := strconv.Atoi(acct.Uid)
		gid, _ := strconv.Atoi(acct.Gid)
		s.SFTPRoot = filepath.Join(dir, "files")
		if err := os.Mkdir(s.SFTPRoot, 0o755); err != nil {
			return err
		}
		return os.Chown(s.SFTPRoot, uid, gid)
	}()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// serve starts the server on a free port of 127.0.0.1 with the command argv(addr, port) returns, in
// the foreground in its own process group, logging to s's log, and waits until it accepts
// connections; a port taken meanwhile (the log says inUse) is retried. Then it writes
// KnownHostsPath with the host key typ, b64.
func (s *Server) serve(name, inUse string, argv func(addr string, port int) ([]string, error), typ, b64 string) error {
	for attempt := 1; ; attempt++ {
		port, err := freePort(s.Host)
		if err != nil {
			return err
		}
		s.Port = port
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
		args, err := argv(s.Addr, port)
		if err != nil {
			return err
		}
		cmd := exec.Command(args[0], args[1:]...)
		s.log = &SyncBuffer{}
		cmd.Stdout, cmd.Stderr = s.log, s.log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting %s: %v", name, err)
		}
		s.cmd = cmd
		s.exited = make(chan struct{})
		go func() { cmd.Wait(); close(s.exited) }()
		if waitListening(s.Addr, s.exited) {
			break
		}
		s.stop()
		if attempt < 3 && strings.Contains(s.Log(), inUse) {
			continue
		}
		return fmt.Errorf("%s did not start:\n%s", name, s.Log())
	}
	blob, _ := base64.StdEncoding.DecodeString(b64)
	s.HostKeys[typ] = blob
	s.KnownHostsPath = filepath.Join(s.Dir, "known_hosts")
	return os.WriteFile(s.KnownHostsPath, []byte(fmt.Sprintf("[%s]:%d %s %s\n", s.Host, s.Port, typ, b64)), 0o644)
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
