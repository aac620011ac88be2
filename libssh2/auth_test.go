package libssh2_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
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

// TestRedialInterruptedInHintedLogin interrupts an extra session's login (redial) at its first
// wait after the host key check, which with the hint is the wait for the answer to the publickey
// request of the method that logged in the first session (libssh2 asks for the ssh-userauth
// service within the handshake). The link stalls there; the redial's context is cancelled or
// passes its deadline: the redial returns a typed error wrapping it within 2 s, frees everything
// it made, and the first session works on. The request held on the stalled link is larger than the
// "none" request that an unhinted login sends first, in the same place: the wait was the hinted one.
func TestRedialInterruptedInHintedLogin(t *testing.T) {
	proxy := tcpproxy.StartT(t, srv.Addr)
	var armed atomic.Bool
	var upAtPause atomic.Int64
	paused := make(chan struct{}, 1)
	cfg := config(t, srv)
	check := cfg.HostKeyCallback
	cfg.HostKeyCallback = func(host string, remote net.Addr, key libssh2.PublicKey) error {
		if err := check(srv.Addr, remote, key); err != nil { // srv's known_hosts names srv's address
			return err
		}
		if armed.CompareAndSwap(true, false) {
			proxy.SetPaused(true) // the server's answers stop here, and the next request is held
			upAtPause.Store(proxy.BytesUp())
			paused <- struct{}{}
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first, err := libssh2.Dial(ctx, "tcp", proxy.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	// interrupt runs login with the link stalled at its host key check, ends it as how says
	// ("cancel", or "deadline": the context's, 3 s from the start), checks what it returned and
	// what it left, and returns the bytes the client sent into the stalled link.
	interrupt := func(how string, login func(ctx context.Context) (*libssh2.Session, error)) int64 {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		want := error(context.Canceled)
		if how == "deadline" {
			ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			want = os.ErrDeadlineExceeded
		}
		live := libssh2.LiveCAllocations()
		armed.Store(true)
		type result struct {
			s   *libssh2.Session
			err error
		}
		done := make(chan result, 1)
		go func() {
			s, err := login(ctx)
			done <- result{s, err}
		}()
		select {
		case <-paused:
		case r := <-done:
			t.Fatalf("the login ended before its host key check: %v", r.err)
		}
		time.Sleep(200 * time.Millisecond) // the login waits on the stalled link
		start := time.Now()
		if how == "cancel" {
			cancel()
		} else if d, _ := ctx.Deadline(); time.Now().After(d) {
			t.Fatal("the login reached its host key check only after its deadline: the machine is too slow for this test")
		} else {
			start = d
		}
		r := <-done
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the login returned %v after the interruption (%s)", d, how)
		}
		held := proxy.BytesUp() - upAtPause.Load()
		proxy.SetPaused(false)
		if r.err == nil {
			r.s.Close()
			t.Fatalf("the login succeeded through a stalled link (%s)", how)
		}
		var e *libssh2.Error
		if !errors.As(r.err, &e) || e.Op != "auth" || !(errors.Is(r.err, want) || errors.Is(r.err, context.DeadlineExceeded) && how == "deadline") {
			t.Errorf("the interrupted login: %v; want an auth *Error wrapping %v", r.err, want)
		}
		if !settle(func() bool { return libssh2.LiveCAllocations() == live }) {
			t.Errorf("%d live C blocks after the interrupted login, %d before", libssh2.LiveCAllocations(), live)
		}
		if held <= 0 {
			t.Errorf("the login sent nothing after its host key check (%s): it did not wait for an answer to a login request", how)
		}
		return held
	}
	unhinted := interrupt("cancel", func(ctx context.Context) (*libssh2.Session, error) {
		return libssh2.Dial(ctx, "tcp", proxy.Addr, cfg)
	})
	for _, how := range []string{"cancel", "deadline"} {
		held := interrupt(how, func(ctx context.Context) (*libssh2.Session, error) { return libssh2.Redial(ctx, first) })
		if held <= unhinted {
			t.Errorf("the redial held %d bytes on the stalled link, no more than the %d of a \"none\" request (%s): it did not send the hinted publickey request first",
				held, unhinted, how)
		}
		t.Logf("%s: the redial's first login request: %d bytes on the link; an unhinted login's: %d", how, held, unhinted)
	}
	sf, err := first.SFTPContext(ctx) // the first session works on
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.StatContext(ctx, srv.SFTPRoot); err != nil {
		t.Fatal(err)
	}
}
