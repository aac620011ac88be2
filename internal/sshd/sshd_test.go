package sshd

import (
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
)

func TestStartClose(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Addr, err)
	}
	banner := make([]byte, 8)
	if _, err := c.Read(banner); err != nil || string(banner[:4]) != "SSH-" {
		t.Errorf("banner %q, %v: want SSH-", banner, err)
	}
	c.Close()
	pid := s.cmd.Process.Pid
	for _, p := range []string{s.KeyPath, s.KnownHostsPath, s.ReadOnlyKeyPath, s.WrongKeyPath, s.EncryptedKeyPath} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%v", err)
		}
	}
	if len(s.HostKeys) != 3 {
		t.Errorf("host keys %v, want 3 types", len(s.HostKeys))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("sshd %d still runs after Close", pid)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Close", s.Dir)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestPasswordAccountShared starts password servers at once, as parallel test binaries do: they
// must all set the same password on the shared test account, or one would break the others'
// logins.
func TestPasswordAccountShared(t *testing.T) {
	servers := make([]*Server, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = Start(Options{Password: true})
		}()
	}
	wg.Wait()
	for i, s := range servers {
		if errs[i] != nil {
			t.Fatalf("server %d: %v", i, errs[i])
		}
		defer s.Close()
	}
	for _, s := range servers[1:] {
		if s.Password == "" || s.Password != servers[0].Password || s.PasswordUser != servers[0].PasswordUser {
			t.Errorf("servers started together set different passwords on the test account")
		}
	}
}
