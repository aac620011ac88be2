package libssh2_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// srv is the sshd shared by the tests that need nothing special from it.
var srv *sshd.Server

func TestMain(m *testing.M) {
	// The copyable examples try the ssh-agent first, as a user's program would: the agent of whoever
	// runs the tests must not take part (its keys would count against the server's MaxAuthTries).
	// TestAgent starts an agent of its own.
	os.Unsetenv("SSH_AUTH_SOCK")
	var err error
	srv, err = sshd.Start(sshd.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start the test sshd: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- shared sshd log:\n%s\n", srv.Log())
	}
	if code != 0 {
		for _, s := range examples.servers {
			fmt.Fprintf(os.Stderr, "--- examples' sshd log:\n%s\n", s.Log())
		}
	}
	closeExamples()
	srv.Close()
	// Every session is closed by now: libssh2 must hold no C memory (docs/DESIGN.md, I7).
	runtime.GC()
	if n := libssh2.LiveCAllocations(); n != 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d C allocations of libssh2 are still live after every session was closed\n", n)
		code = 1
	}
	os.Exit(code)
}

// config returns a Config for srv's ordinary key, checked against srv's known_hosts file.
func config(t testing.TB, s *sshd.Server) *libssh2.Config {
	t.Helper()
	cb, err := libssh2.KnownHosts(s.KnownHostsPath)
	if err != nil {
		t.Fatalf("KnownHosts: %v", err)
	}
	return &libssh2.Config{
		User:            s.User,
		Auth:            []libssh2.AuthMethod{libssh2.PublicKeyFile(s.KeyPath, "")},
		HostKeyCallback: cb,
	}
}

// dial opens a session to s with cfg, closed when the test ends.
func dial(t testing.TB, s *sshd.Server, cfg *libssh2.Config) *libssh2.Session {
	t.Helper()
	sess, err := dialErr(s.Addr, cfg)
	if err != nil {
		t.Fatalf("Dial %s: %v\nsshd log:\n%s", s.Addr, err, s.Log())
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}

// dialAddr opens a session to addr (a proxy in front of srv) with cfg, closed when the test ends.
func dialAddr(t testing.TB, addr string, cfg *libssh2.Config) *libssh2.Session {
	t.Helper()
	sess, err := dialErr(addr, cfg)
	if err != nil {
		t.Fatalf("Dial %s: %v\nsshd log:\n%s", addr, err, srv.Log())
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}

func dialErr(addr string, cfg *libssh2.Config) (*libssh2.Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return libssh2.Dial(ctx, "tcp", addr, cfg)
}

// openSFTP dials s with its ordinary key and starts SFTP.
func openSFTP(t testing.TB, s *sshd.Server) (*libssh2.Session, *libssh2.SFTP) {
	t.Helper()
	sess := dial(t, s, config(t, s))
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatalf("SFTP: %v", err)
	}
	return sess, sf
}

// proxySession dials srv through a tcpproxy (which can stall or delay the link), closed when the
// test ends, and opens SFTP.
func proxySession(t *testing.T, opts ...tcpproxy.Option) (*tcpproxy.Proxy, *libssh2.Session, *libssh2.SFTP) {
	t.Helper()
	return proxySessionTo(t, srv, opts...)
}

// proxySessionTo is proxySession to the server s.
func proxySessionTo(t *testing.T, s *sshd.Server, opts ...tcpproxy.Option) (*tcpproxy.Proxy, *libssh2.Session, *libssh2.SFTP) {
	t.Helper()
	proxy := tcpproxy.StartT(t, s.Addr, opts...)
	cfg := config(t, s)
	cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey() // the proxy's address is not in known_hosts
	sess := dialAddr(t, proxy.Addr, cfg)
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	return proxy, sess, sf
}

// smallBufferSession is proxySession to s with socket buffers of about 4 KiB on both sides of the
// proxy, so that libssh2's sends come out short and a paused proxy stalls them at once.
func smallBufferSession(t *testing.T, s *sshd.Server) (*tcpproxy.Proxy, *libssh2.Session, *libssh2.SFTP) {
	t.Helper()
	proxy := tcpproxy.StartT(t, s.Addr, tcpproxy.ReceiveBuffer(4096))
	conn, err := net.Dial("tcp", proxy.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.(*net.TCPConn).SetWriteBuffer(4096) // the sending side's buffer may shrink at any time
	cfg := config(t, s)
	cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey() // the proxy's address is not in known_hosts
	sess, err := libssh2.NewSession(context.Background(), conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	return proxy, sess, sf
}
