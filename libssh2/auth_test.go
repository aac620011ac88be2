package libssh2_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// TestAuthMethodsOffered: an authentication that fails says which methods the server offers
// (Error.AuthMethods), as its sshd_config allows them: whether a method was tried and refused, or
// none of the configured ones is offered.
func TestAuthMethodsOffered(t *testing.T) {
	pw := sshd.StartT(t, sshd.Options{Password: true})
	kbd := func(string, string, []string, []bool) ([]string, error) { return nil, errors.New("not asked") }
	for _, tc := range []struct {
		name string
		s    *sshd.Server
		auth []libssh2.AuthMethod
		code libssh2.Code
		want []string
	}{
		// The shared server allows public keys only (PasswordAuthentication no, KbdInteractive no).
		{"publickey only, a refused key", srv, []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.WrongKeyPath, "")},
			libssh2.ErrorAuthenticationFailed, []string{"publickey"}},
		{"publickey only, no method offered", srv, []libssh2.AuthMethod{libssh2.Password("x"), libssh2.KeyboardInteractive(kbd)},
			libssh2.ErrorMethodNone, []string{"publickey"}},
		{"publickey and password, no method at all", pw, nil,
			libssh2.ErrorMethodNone, []string{"publickey", "password"}},
		{"publickey and password, a wrong password", pw, []libssh2.AuthMethod{libssh2.Password("wrong-" + pw.Password)},
			libssh2.ErrorAuthenticationFailed, []string{"publickey", "password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, tc.s)
			cfg.User = tc.s.User
			if tc.s == pw {
				cfg.User = pw.PasswordUser
			}
			cfg.Auth = tc.auth
			sess, err := dialErr(tc.s.Addr, cfg)
			if err == nil {
				sess.Close()
				t.Fatal("Dial succeeded")
			}
			var e *libssh2.Error
			if !errors.As(err, &e) || e.Op != "auth" || e.Code != tc.code {
				t.Fatalf("Dial: %v: want an auth *Error with %v", err, tc.code)
			}
			if diff := cmp.Diff(tc.want, e.AuthMethods); diff != "" {
				t.Errorf("AuthMethods (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuthListInterrupted cancels Dial, and lets its deadline pass, while it waits for the server's
// list of methods (libssh2_userauth_list, the first wait after the host key check, which runs
// inside it here): Dial returns soon with the context's error, as an auth error without a method
// list, and frees every C allocation.
func TestAuthListInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc, func()) // the third cancels later
		is   error
	}{
		{"cancel", func() (context.Context, context.CancelFunc, func()) {
			ctx, cancel := context.WithCancel(context.Background())
			return ctx, cancel, func() { time.AfterFunc(300*time.Millisecond, cancel) }
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc, func()) {
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second) // a handshake takes far less, even on a loaded machine
			return ctx, cancel, func() {}
		}, os.ErrDeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := libssh2.LiveCAllocations()
			proxy := tcpproxy.StartT(t, srv.Addr)
			ctx, cancel, later := tc.ctx()
			defer cancel()
			var upAtPause int64
			var pausedAt time.Time
			checked := false
			cfg := config(t, srv)
			check := cfg.HostKeyCallback
			cfg.HostKeyCallback = func(host string, remote net.Addr, key libssh2.PublicKey) error {
				checked = true
				if err := check(srv.Addr, remote, key); err != nil { // srv's known_hosts names srv's address
					return err
				}
				proxy.SetPaused(true) // the server's answers stop here
				upAtPause = proxy.BytesUp()
				pausedAt = time.Now()
				later()
				return nil
			}
			sess, err := libssh2.Dial(ctx, "tcp", proxy.Addr, cfg)
			end := time.Now()
			proxy.SetPaused(false)
			if err == nil {
				sess.Close()
				t.Fatal("Dial succeeded through a stalled link")
			}
			if !checked {
				t.Fatalf("Dial failed before the host key check: %v", err)
			}
			var e *libssh2.Error
			if !errors.As(err, &e) || e.Op != "auth" || !errors.Is(err, tc.is) {
				t.Fatalf("Dial: %v: want an auth *Error wrapping %v", err, tc.is)
			}
			if e.AuthMethods != nil {
				t.Errorf("AuthMethods = %q after an interrupted list: the server never said", e.AuthMethods)
			}
			if proxy.BytesUp() <= upAtPause {
				t.Errorf("libssh2 sent nothing after the host key check: the wait was not the method list's")
			}
			if d, ok := ctx.Deadline(); ok && end.After(d.Add(2*time.Second)) || !ok && end.Sub(pausedAt) > 3*time.Second {
				t.Errorf("Dial returned %v after the link stalled: the wait did not end with the context", end.Sub(pausedAt))
			}
			if got := libssh2.LiveCAllocations(); got != live {
				t.Errorf("%d live C blocks after the interrupted Dial, %d before", got, live)
			}
		})
	}
}

// TestRedialSkipsMethodList: an extra session (redial) logs in with the method that logged in the
// session it copies, without asking the server for its methods first (no "none" request) and
// without the methods that failed before it; a hinted method that the server refuses falls back
// to the full login.
func TestRedialSkipsMethodList(t *testing.T) {
	s := sshd.StartT(t, sshd.Options{LogLevel: "DEBUG1"}) // logs every request's method, "none" too
	cfg := config(t, s)
	cfg.Auth = []libssh2.AuthMethod{libssh2.PublicKeyFile(s.WrongKeyPath, ""), libssh2.PublicKeyFile(s.KeyPath, "")}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// counts waits until the log has accepted logins, then counts what it says.
	counts := func(accepted int) (none, refused int) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); ; {
			log := s.Log()
			if strings.Count(log, "Accepted publickey for ") >= accepted {
				return strings.Count(log, " method none"), strings.Count(log, "Failed publickey for ")
			}
			if time.Now().After(end) {
				t.Fatalf("the log has not %d accepted logins:\n%s", accepted, log)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first, err := libssh2.Dial(ctx, "tcp", s.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	none, refused := counts(1)
	if none != 1 || refused != 1 {
		t.Fatalf("the first login: %d none requests and %d refused keys in the log, want 1 and 1:\n%s", none, refused, s.Log())
	}
	extra, err := libssh2.Redial(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if none2, refused2 := counts(2); none2 != none || refused2 != refused {
		t.Fatalf("the redial: %d none requests and %d refused keys in the log, want %d and %d:\n%s",
			none2, refused2, none, refused, s.Log())
	}
	sf, err := extra.SFTPContext(ctx) // the extra session works
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.StatContext(ctx, s.SFTPRoot); err != nil {
		t.Fatal(err)
	}
	// A hint the server refuses: the login goes on as a first one does, and succeeds.
	cfg.Auth = cfg.Auth[1:]
	hinted, err := libssh2.DialHinted(ctx, s.Addr, cfg, libssh2.PublicKeyFile(s.WrongKeyPath, ""))
	if err != nil {
		t.Fatalf("Dial with a refused hint: %v", err)
	}
	defer hinted.Close()
	if none3, refused3 := counts(3); none3 != none+1 || refused3 != refused+1 {
		t.Fatalf("a refused hint: %d none requests and %d refused keys in the log, want %d and %d:\n%s",
			none3, refused3, none+1, refused+1, s.Log())
	}
}
