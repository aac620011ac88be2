package libssh2_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

func TestPublicKeyAuth(t *testing.T) {
	keyPEM, err := os.ReadFile(srv.RSAKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		auth libssh2.AuthMethod
	}{
		{"ed25519 file", libssh2.PublicKeyFile(srv.KeyPath, "")},
		{"rsa file", libssh2.PublicKeyFile(srv.RSAKeyPath, "")},
		{"encrypted file", libssh2.PublicKeyFile(srv.EncryptedKeyPath, srv.Passphrase)},
		{"rsa memory", libssh2.PrivateKey(keyPEM, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, srv)
			cfg.Auth = []libssh2.AuthMethod{tc.auth}
			sess := dial(t, srv, cfg)
			m, err := sess.Methods()
			if err != nil {
				t.Fatal(err)
			}
			if m.Kex == "" || m.CipherClientToServer == "" || m.MACClientToServer == "" {
				t.Errorf("Methods() = %+v: want every algorithm named", m)
			}
			if err := sess.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := sess.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("second Close = %v, want fs.ErrClosed", err)
			}
		})
	}
}

func TestWrongKey(t *testing.T) {
	cfg := config(t, srv)
	cfg.Auth = []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.WrongKeyPath, "")}
	sess, err := libssh2.Dial(context.Background(), "tcp", srv.Addr, cfg)
	if err == nil {
		sess.Close()
		t.Fatal("Dial with a key the server does not know succeeded")
	}
	var e *libssh2.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Op != "auth" || e.Code != libssh2.ErrorAuthenticationFailed || e.Msg == "" {
		t.Errorf("error = %#v (%v): want op auth, code LIBSSH2_ERROR_AUTHENTICATION_FAILED and libssh2's message", e, err)
	}
	if !errors.Is(err, libssh2.ErrorAuthenticationFailed) {
		t.Errorf("errors.Is(%v, ErrorAuthenticationFailed) = false", err)
	}
}

func TestWrongPassphrase(t *testing.T) {
	cfg := config(t, srv)
	cfg.Auth = []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.EncryptedKeyPath, "not the passphrase")}
	sess, err := libssh2.Dial(context.Background(), "tcp", srv.Addr, cfg)
	if err == nil {
		sess.Close()
		t.Fatal("Dial with a wrong passphrase succeeded")
	}
	var e *libssh2.Error
	if !errors.As(err, &e) || e.Op != "auth" || e.Code == 0 {
		t.Errorf("error = %v: want an auth *Error with libssh2's code", err)
	}
	if strings.Contains(err.Error(), "not the passphrase") {
		t.Errorf("error %q shows the passphrase", err)
	}
}

func TestMissingKeyFile(t *testing.T) {
	cfg := config(t, srv)
	cfg.Auth = []libssh2.AuthMethod{libssh2.PublicKeyFile(filepath.Join(t.TempDir(), "nokey"), "")}
	_, err := libssh2.Dial(context.Background(), "tcp", srv.Addr, cfg)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Dial with a missing key file = %v, want fs.ErrNotExist", err)
	}
}

func TestPasswordAuth(t *testing.T) {
	ps := sshd.StartT(t, sshd.Options{Password: true})
	for _, note := range ps.Notes {
		t.Log(note)
	}
	cfg := config(t, ps)
	cfg.User = ps.PasswordUser
	cfg.Auth = []libssh2.AuthMethod{libssh2.Password(ps.Password)}
	sess := dial(t, ps, cfg)
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	if err := sf.Close(); err != nil {
		t.Errorf("SFTP Close: %v", err)
	}

	cfg.Auth = []libssh2.AuthMethod{libssh2.Password("wrong-" + ps.Password)}
	_, err = libssh2.Dial(context.Background(), "tcp", ps.Addr, cfg)
	if !errors.Is(err, libssh2.ErrorAuthenticationFailed) {
		t.Errorf("wrong password: %v, want LIBSSH2_ERROR_AUTHENTICATION_FAILED", err)
	}
	if err != nil && strings.Contains(err.Error(), ps.Password) {
		t.Errorf("error %q shows the password", err)
	}
}

func TestHostKeyUnknown(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, []byte("# no hosts\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cb, err := libssh2.KnownHosts(empty)
	if err != nil {
		t.Fatal(err)
	}
	authTried := false
	cfg := &libssh2.Config{
		User: srv.User,
		Auth: []libssh2.AuthMethod{libssh2.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			authTried = true
			return nil, nil
		}), libssh2.PublicKeyFile(srv.KeyPath, "")},
		HostKeyCallback: cb,
	}
	before := countLines(srv.Log(), "Accepted publickey")
	_, err = libssh2.Dial(context.Background(), "tcp", srv.Addr, cfg)
	if !errors.Is(err, libssh2.ErrHostKeyUnknown) || errors.Is(err, libssh2.ErrHostKeyMismatch) {
		t.Fatalf("Dial with an empty known_hosts = %v, want ErrHostKeyUnknown only", err)
	}
	var hk *libssh2.HostKeyError
	if !errors.As(err, &hk) || !strings.HasPrefix(hk.Fingerprint, "SHA256:") {
		t.Errorf("error %v: want a *HostKeyError with the SHA-256 fingerprint", err)
	}
	if authTried || countLines(srv.Log(), "Accepted publickey") != before {
		t.Errorf("authentication ran although the host key was refused")
	}
}

func countLines(log, what string) int { return strings.Count(log, what) }

func itoa(n int) string { return strconv.Itoa(n) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// hostKeyConfig pins the session to ed25519 host keys, so the test knows which key the server shows.
func hostKeyConfig(cb libssh2.HostKeyCallback) *libssh2.Config {
	return &libssh2.Config{
		User:              srv.User,
		Auth:              []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.KeyPath, "")},
		HostKeyCallback:   cb,
		HostKeyAlgorithms: []string{"ssh-ed25519"},
	}
}

func TestHostKeyMismatch(t *testing.T) {
	// A known_hosts entry for the server's address with another ed25519 key: the user key's.
	pub, err := os.ReadFile(srv.KeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(pub))
	kh := filepath.Join(t.TempDir(), "known_hosts")
	line := "[" + srv.Host + "]:" + itoa(srv.Port) + " " + fields[0] + " " + fields[1] + "\n"
	if err := os.WriteFile(kh, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	cb, err := libssh2.KnownHosts(kh)
	if err != nil {
		t.Fatal(err)
	}
	_, err = libssh2.Dial(context.Background(), "tcp", srv.Addr, hostKeyConfig(cb))
	if !errors.Is(err, libssh2.ErrHostKeyMismatch) || errors.Is(err, libssh2.ErrHostKeyUnknown) {
		t.Fatalf("Dial with a wrong known key = %v, want ErrHostKeyMismatch only", err)
	}

	wrong, err := libssh2.ParsePublicKey(string(pub))
	if err != nil {
		t.Fatal(err)
	}
	_, err = libssh2.Dial(context.Background(), "tcp", srv.Addr, hostKeyConfig(libssh2.FixedHostKey(wrong)))
	if !errors.Is(err, libssh2.ErrHostKeyMismatch) {
		t.Errorf("FixedHostKey(wrong key): %v, want ErrHostKeyMismatch", err)
	}
	_, err = libssh2.Dial(context.Background(), "tcp", srv.Addr, hostKeyConfig(libssh2.HostKeyFingerprint(libssh2.Fingerprint(wrong))))
	if !errors.Is(err, libssh2.ErrHostKeyMismatch) {
		t.Errorf("HostKeyFingerprint(wrong): %v, want ErrHostKeyMismatch", err)
	}
}

func TestHostKeyAccepted(t *testing.T) {
	blob := srv.HostKeys["ssh-ed25519"]
	if len(blob) == 0 {
		t.Fatalf("harness has no ed25519 host key: %v", srv.HostKeys)
	}
	hk, err := libssh2.ParsePublicKey("ssh-ed25519 " + b64(blob))
	if err != nil {
		t.Fatal(err)
	}
	cbKnown, err := libssh2.KnownHosts(srv.KnownHostsPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, cb := range map[string]libssh2.HostKeyCallback{
		"known_hosts": cbKnown,
		"fixed":       libssh2.FixedHostKey(hk),
		"fingerprint": libssh2.HostKeyFingerprint(libssh2.Fingerprint(hk)),
		"insecure":    libssh2.InsecureIgnoreHostKey(),
	} {
		t.Run(name, func(t *testing.T) {
			sess := dial(t, srv, hostKeyConfig(cb))
			m, err := sess.Methods()
			if err != nil || m.HostKey != "ssh-ed25519" {
				t.Errorf("Methods() = %+v, %v: want host key ssh-ed25519", m, err)
			}
		})
	}
}

func TestNilHostKeyCallback(t *testing.T) {
	cfg := config(t, srv)
	cfg.HostKeyCallback = nil
	_, err := libssh2.Dial(context.Background(), "tcp", srv.Addr, cfg)
	if !errors.Is(err, libssh2.ErrNoHostKeyCallback) {
		t.Errorf("Dial without HostKeyCallback = %v, want ErrNoHostKeyCallback", err)
	}
}

// TestSilentServer dials a server that accepts TCP and never speaks: Dial must return by its
// context's deadline and leave no goroutine behind.
func TestSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			conns <- c
		}
	}()
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = libssh2.Dial(ctx, "tcp", ln.Addr().String(), config(t, srv))
	elapsed := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial to a silent server = %v, want os.ErrDeadlineExceeded and context.DeadlineExceeded", err)
	}
	if elapsed > 5*time.Second {
		t.Errorf("Dial took %v with a 500ms deadline", elapsed)
	}
	(<-conns).Close()
	waitGoroutines(t, before)

	// The same with a plain cancellation.
	go func() {
		c, err := ln.Accept()
		if err == nil {
			conns <- c
		}
	}()
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel2)
	_, err = libssh2.Dial(ctx2, "tcp", ln.Addr().String(), config(t, srv))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Dial = %v, want context.Canceled", err)
	}
	(<-conns).Close()
}

// waitGoroutines fails if the number of goroutines does not come back to want.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKeyboardInteractive answers sshd's PAM password prompt through the Go callback (the C
// trampoline and cgo.Handle path).
func TestKeyboardInteractive(t *testing.T) {
	ps := sshd.StartT(t, sshd.Options{Password: true, ExtraConfig: []string{"UsePAM yes", "KbdInteractiveAuthentication yes", "PasswordAuthentication no"}})
	var prompts []string
	cfg := config(t, ps)
	cfg.User = ps.PasswordUser
	cfg.Auth = []libssh2.AuthMethod{libssh2.KeyboardInteractive(func(name, instr string, qs []string, echos []bool) ([]string, error) {
		prompts = append(prompts, qs...)
		answers := make([]string, len(qs))
		for i := range answers {
			answers[i] = ps.Password
		}
		return answers, nil
	})}
	sess := dial(t, ps, cfg)
	if len(prompts) == 0 {
		t.Errorf("the callback was never asked anything")
	}
	sess.Close()

	cfg.Auth = []libssh2.AuthMethod{libssh2.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		return nil, errors.New("user gave up")
	})}
	_, err := libssh2.Dial(context.Background(), "tcp", ps.Addr, cfg)
	if err == nil || !strings.Contains(err.Error(), "user gave up") {
		t.Errorf("Dial with a failing callback = %v, want the callback's error", err)
	}
}

// TestDroppedSessionIsReclaimed: a Session dropped without Close, with an SFTP channel, a File
// holding bytes the server has not acknowledged, a Dir and a forwarded connection left open, gives
// back every C block, descriptor and goroutine once the garbage collector finds it unreachable
// (docs/DESIGN.md, "Sessions dropped without Close"). Over each kind of connection: Dial's own
// socket, a TCP connection given to NewSession and dropped by its caller too, and Dial with
// Config.ConnIO (a connection read and written through its methods, by two goroutines); and a
// session dropped on a stalled link with interrupted calls pending (a Stat, and a Sync cut short
// while draining the window).
func TestDroppedSessionIsReclaimed(t *testing.T) {
	for _, via := range []string{"dial", "tcpconn", "connio", "stalled"} {
		t.Run(via, func(t *testing.T) {
			echo := echoServer(t)
			dir := testDir(t)
			proxy := tcpproxy.StartT(t, srv.Addr)
			goroutines, fds, live := runtime.NumGoroutine(), openFDs(t), libssh2.LiveCAllocations()
			useAndDrop(t, via, dir, echo, proxy)
			if libssh2.LiveCAllocations() == live {
				t.Fatal("the session holds no C blocks: the test proves nothing")
			}
			proxy.Close() // its own sockets: it never closes them before
			// settle collects garbage between tries.
			if !settle(func() bool {
				return libssh2.LiveCAllocations() == live && openFDs(t) <= fds && runtime.NumGoroutine() <= goroutines
			}) {
				t.Fatalf("after the dropped session: %d live C blocks (%d before), %d descriptors (%d before), %d goroutines (%d before)",
					libssh2.LiveCAllocations(), live, openFDs(t), fds, runtime.NumGoroutine(), goroutines)
			}
		})
	}
}

// useAndDrop opens a session as via says, leaves objects of every kind open on it, and returns
// without closing anything. "stalled" dials through proxy, then pauses it and leaves two calls
// pending.
func useAndDrop(t *testing.T, via, dir, echo string, proxy *tcpproxy.Proxy) {
	t.Helper()
	cfg := config(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var sess *libssh2.Session
	var err error
	switch via {
	case "tcpconn":
		conn, derr := net.Dial("tcp", srv.Addr)
		if derr != nil {
			t.Fatal(derr)
		}
		sess, err = libssh2.NewSession(ctx, conn, cfg)
	case "connio":
		cfg.ConnIO = true
		sess, err = libssh2.Dial(ctx, "tcp", srv.Addr, cfg)
	case "stalled":
		cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey() // the proxy's address is not in known_hosts
		sess, err = libssh2.Dial(ctx, "tcp", proxy.Addr, cfg)
	default:
		sess, err = libssh2.Dial(ctx, "tcp", srv.Addr, cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	f, err := sf.Create(filepath.Join(dir, "f.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if _, err := sf.OpenDir(dir); err != nil {
		t.Fatal(err)
	}
	conn, err := sess.Dial("tcp", echo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("left unread")); err != nil {
		t.Fatal(err)
	}
	if via != "stalled" {
		return
	}
	proxy.SetPaused(true)
	// Less than the first window: Write returns with the bytes in flight, and Sync must wait.
	f.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := f.Write(make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelShort()
	if err := f.SyncContext(short); !isDeadlineErr(err) {
		t.Fatalf("Sync on a stalled link: %v, want a deadline error", err)
	}
	short, cancelShort = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelShort()
	if _, err := sf.StatContext(short, dir); !isDeadlineErr(err) {
		t.Fatalf("Stat on a stalled link: %v, want a deadline error", err)
	}
}
