package libssh2_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// fakeServer is a Go listener on 127.0.0.1 that plays a misbehaving SSH server: serve runs on each
// connection, and Close ends every connection and waits for them.
type fakeServer struct {
	ln    net.Listener
	serve func(net.Conn)
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startFakeServer(t *testing.T, serve func(net.Conn)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln, serve: serve, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns[c] = struct{}{}
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(c)
				c.Close()
				f.mu.Lock()
				delete(f.conns, c)
				f.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) Addr() string { return f.ln.Addr().String() }

func (f *fakeServer) Close() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// floodPreBanner sends "x\r\n" lines forever, never an SSH- banner.
func floodPreBanner(c net.Conn) {
	line := []byte("x\r\n")
	buf := make([]byte, 0, 3*1024)
	for len(buf) < cap(buf) {
		buf = append(buf, line...)
	}
	for {
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// sshString appends an SSH string (uint32 length, bytes).
func sshString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// kexinitPacket is a valid unencrypted SSH_MSG_KEXINIT packet (RFC 4253 7.1) offering curve25519 and
// ed25519, which libssh2 1.10 accepts.
func kexinitPacket() []byte {
	payload := []byte{20} // SSH_MSG_KEXINIT
	var cookie [16]byte
	rand.Read(cookie[:])
	payload = append(payload, cookie[:]...)
	for _, l := range []string{"curve25519-sha256,curve25519-sha256@libssh.org", "ssh-ed25519",
		"aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""} {
		payload = sshString(payload, l)
	}
	payload = append(payload, 0, 0, 0, 0, 0) // first_kex_packet_follows, reserved
	pad := 8 - (5+len(payload))%8
	if pad < 4 {
		pad += 8
	}
	pkt := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+pad))
	pkt = append(pkt, byte(pad))
	pkt = append(pkt, payload...)
	return append(pkt, make([]byte, pad)...)
}

// stopAfterKexinit sends a banner and a KEXINIT, then reads whatever the client sends and never
// answers: the client's key exchange stays half finished (its key pair made) until its deadline.
func stopAfterKexinit(c net.Conn) {
	msg := append([]byte("SSH-2.0-OpenSSH_9.2p1 stalled\r\n"), kexinitPacket()...)
	if _, err := c.Write(msg); err != nil {
		return
	}
	io.Copy(io.Discard, c)
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// settle polls f until it returns true or 5 s pass, and reports whether it did.
func settle(f func() bool) bool {
	for end := time.Now().Add(5 * time.Second); ; {
		if f() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

// isDeadlineErr says whether err is what an expired Dial must return. (A TCP connect that fails on
// the socket's deadline before the context's timer has fired reports only os.ErrDeadlineExceeded.)
func isDeadlineErr(err error) bool {
	return (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)) &&
		!errors.Is(err, libssh2.ErrWouldBlock)
}

// TestDialPreBannerFlood: a server that sends endless lines before its banner keeps libssh2 1.10 in
// its banner loop (it never returns EAGAIN); Dial still returns by its deadline, and leaves no
// goroutine, descriptor or C block behind.
func TestDialPreBannerFlood(t *testing.T) {
	goroutines, fds, live := runtime.NumGoroutine(), openFDs(t), libssh2.LiveCAllocations()
	fake := startFakeServer(t, floodPreBanner)
	cfg := config(t, srv)
	cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey()
	const timeout = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	sess, err := libssh2.Dial(ctx, "tcp", fake.Addr(), cfg)
	took := time.Since(start)
	if err == nil {
		sess.Close()
		t.Fatal("Dial to a server that never sends its banner succeeded")
	}
	t.Logf("Dial returned after %v: %v", took, err)
	if took > timeout+200*time.Millisecond {
		t.Errorf("Dial returned after %v, want at most %v", took, timeout+200*time.Millisecond)
	}
	if !isDeadlineErr(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial error %v: want one wrapping os.ErrDeadlineExceeded and context.DeadlineExceeded", err)
	}
	fake.Close()
	if !settle(func() bool { return runtime.NumGoroutine() <= goroutines }) {
		t.Errorf("%d goroutines after Dial, %d before", runtime.NumGoroutine(), goroutines)
	}
	if !settle(func() bool { return openFDs(t) <= fds }) {
		t.Errorf("%d open descriptors after Dial, %d before", openFDs(t), fds)
	}
	if n := libssh2.LiveCAllocations(); n != live {
		t.Errorf("%d live C blocks after Dial, %d before", n, live)
	}
}

// dialMany runs n Dials to addr, workers at a time, each with a deadline from deadline(i), and calls
// check with every result; sessions that got through are closed.
func dialMany(t *testing.T, n, workers int, addr string, cfg *libssh2.Config,
	deadline func(i int) time.Duration, check func(i int, d time.Duration, err error)) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				d := deadline(i)
				ctx, cancel := context.WithTimeout(context.Background(), d)
				sess, err := libssh2.Dial(ctx, "tcp", addr, cfg)
				cancel()
				if err == nil {
					sess.Close()
				}
				check(i, d, err)
			}
		}()
	}
	wg.Wait()
}

// TestDialDeadlinesFreeCMemory: Dials whose deadlines (0–80 ms) hit anywhere in the handshake, to a
// real sshd and to a server that stops after its KEXINIT, leave no C memory behind, though libssh2
// 1.10's libssh2_session_free forgets a half-finished key exchange's key pair.
func TestDialDeadlinesFreeCMemory(t *testing.T) {
	const n, workers = 1000, 8
	random := func(int) time.Duration { return time.Duration(mrand.Int64N(int64(80*time.Millisecond) + 1)) }
	for _, tc := range []struct {
		name string
		addr func(t *testing.T) string
	}{
		{"sshd", func(*testing.T) string { return srv.Addr }},
		{"stop-after-kexinit", func(t *testing.T) string { return startFakeServer(t, stopAfterKexinit).Addr() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live, reclaimed := libssh2.LiveCAllocations(), libssh2.ReclaimedCBlocks()
			cfg := config(t, srv)
			cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey()
			addr := tc.addr(t)
			var ok, expired, other atomic.Int64
			var mu sync.Mutex
			var others []error
			start := time.Now()
			dialMany(t, n, workers, addr, cfg, random, func(i int, d time.Duration, err error) {
				switch {
				case err == nil:
					ok.Add(1)
				case isDeadlineErr(err):
					expired.Add(1)
				default:
					other.Add(1)
					mu.Lock()
					if len(others) < 5 {
						others = append(others, err)
					}
					mu.Unlock()
				}
			})
			t.Logf("%d Dials in %v: %d connected, %d expired, %d other errors; the binding freed %d C blocks libssh2_session_free left behind",
				n, time.Since(start).Round(time.Millisecond), ok.Load(), expired.Load(), other.Load(),
				libssh2.ReclaimedCBlocks()-reclaimed)
			for _, err := range others {
				t.Errorf("Dial: %v (want success or a deadline error)", err)
			}
			if got := libssh2.LiveCAllocations(); got != live {
				t.Errorf("%d live C blocks after %d Dials, %d before", got, n, live)
			}
		})
	}
}

// dialTimes returns the sorted durations of n Dials to addr with cfg, workers at a time (as loaded as
// the runs they calibrate); every Dial must succeed, or fail when wantErr.
func dialTimes(t *testing.T, n, workers int, addr string, cfg *libssh2.Config, wantErr bool) []time.Duration {
	t.Helper()
	var mu sync.Mutex
	var ds []time.Duration
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				start := time.Now()
				sess, err := dialErr(addr, cfg)
				d := time.Since(start)
				if err == nil {
					sess.Close()
				}
				if (err != nil) != wantErr {
					t.Errorf("Dial %s: %v", addr, err)
				}
				mu.Lock()
				ds = append(ds, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds
}

// TestAuthDeadlines: deadlines that land during authentication, for the password and the public-key
// method, end Dial with the deadline's error, never with ErrWouldBlock (LIBSSH2_ERROR_EAGAIN). 1000
// Dials in all, 500 per method: a login takes 0.2-0.9 s at 8 at a time on a busy 2-core machine.
func TestAuthDeadlines(t *testing.T) {
	const n, workers = 500, 8
	pwSrv, err := sshd.Start(sshd.Options{Password: true})
	if err != nil {
		t.Fatalf("sshd with password authentication: %v", err)
	}
	defer pwSrv.Close()
	pwCfg := config(t, pwSrv)
	pwCfg.User = pwSrv.PasswordUser
	pwCfg.Auth = []libssh2.AuthMethod{libssh2.Password(pwSrv.Password)}
	for _, tc := range []struct {
		name string
		s    *sshd.Server
		cfg  *libssh2.Config
	}{
		{"publickey", srv, config(t, srv)},
		{"password", pwSrv, pwCfg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := libssh2.LiveCAllocations()
			noUser := *tc.cfg
			noUser.User = "" // Dial fails right after the handshake and the host key check
			// Calibrate under the same load as the run: 8 Dials at a time take far longer each than one.
			handshake := dialTimes(t, 3*workers, workers, tc.s.Addr, &noUser, true)
			full := dialTimes(t, 3*workers, workers, tc.s.Addr, tc.cfg, false)
			if t.Failed() {
				return
			}
			// Spread the deadlines from the median handshake to the slower logins.
			lo, hi := handshake[len(handshake)/2], full[len(full)*9/10]
			if hi <= lo {
				hi = lo + lo/2
			}
			t.Logf("handshakes %v..%v, logins %v..%v (%d at a time): deadlines in [%v, %v]",
				handshake[0], handshake[len(handshake)-1], full[0], full[len(full)-1], workers, lo, hi)
			var ok, inAuth, inHandshake atomic.Int64
			start := time.Now()
			dialMany(t, n, workers, tc.s.Addr, tc.cfg,
				func(int) time.Duration { return lo + time.Duration(mrand.Int64N(int64(hi-lo)+1)) },
				func(i int, d time.Duration, err error) {
					var e *libssh2.Error
					switch {
					case err == nil:
						ok.Add(1)
						return
					case errors.Is(err, libssh2.ErrWouldBlock):
						t.Errorf("Dial with a %v deadline: %v: ErrWouldBlock", d, err)
					case !isDeadlineErr(err):
						t.Errorf("Dial with a %v deadline: %v: want os.ErrDeadlineExceeded", d, err)
					}
					if errors.As(err, &e) && e.Op == "auth" {
						inAuth.Add(1)
					} else {
						inHandshake.Add(1)
					}
				})
			t.Logf("%d Dials in %v: %d logged in, %d expired during authentication, %d before it",
				n, time.Since(start).Round(time.Millisecond), ok.Load(), inAuth.Load(), inHandshake.Load())
			if inAuth.Load() < n/10 {
				t.Errorf("only %d of %d deadlines landed during authentication", inAuth.Load(), n)
			}
			if got := libssh2.LiveCAllocations(); got != live {
				t.Errorf("%d live C blocks after %d Dials, %d before", got, n, live)
			}
		})
	}
}
