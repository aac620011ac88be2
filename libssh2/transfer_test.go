package libssh2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// sessions opens the extra sessions of a transfer (TransferOptions.NewSession) to addr and keeps
// them, so that a test can tell how many there were and that every one was closed.
type sessions struct {
	t    *testing.T
	addr string
	cfg  *libssh2.Config
	mu   sync.Mutex
	all  []*libssh2.Session
	// opened is signalled (without blocking) each time a session is opened.
	opened chan struct{}
}

func newSessions(t *testing.T, addr string) *sessions {
	cfg := config(t, srv)
	if addr != srv.Addr {
		cfg.HostKeyCallback = libssh2.InsecureIgnoreHostKey() // a proxy's address is not in known_hosts
	}
	return &sessions{t: t, addr: addr, cfg: cfg, opened: make(chan struct{}, 16)}
}

func (ss *sessions) open(ctx context.Context) (*libssh2.Session, error) {
	s, err := libssh2.Dial(ctx, "tcp", ss.addr, ss.cfg)
	if err == nil {
		ss.mu.Lock()
		ss.all = append(ss.all, s)
		ss.mu.Unlock()
		select {
		case ss.opened <- struct{}{}:
		default:
		}
	}
	return s, err
}

// checkClosed fails unless the transfer opened at least least sessions and closed all of them.
func (ss *sessions) checkClosed(least int) {
	ss.t.Helper()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.all) < least {
		ss.t.Errorf("the transfer opened %d extra sessions, want at least %d", len(ss.all), least)
	}
	for i, s := range ss.all {
		if _, err := s.SFTP(); !errors.Is(err, os.ErrClosed) {
			ss.t.Errorf("extra session %d is still open after the transfer (SFTP: %v)", i, err)
		}
	}
}

// leakCheck records the goroutines and live C allocations now, and fails the test if, once the test
// is over, more are left: a transfer leaves nothing behind.
func leakCheck(t *testing.T) func() {
	goroutines := runtime.NumGoroutine()
	allocs := libssh2.LiveCAllocations()
	return func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > goroutines {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines left behind (%d before, %d after):\n%s", n-goroutines, goroutines, n, buf[:runtime.Stack(buf, true)])
		}
		if n := libssh2.LiveCAllocations(); n > allocs {
			t.Errorf("%d C allocations of libssh2 left behind (%d before, %d after)", n-allocs, allocs, n)
		}
	}
}

// slow throttles a transfer's local side, per stream, so that a transfer on
// loopback lasts long enough for its extra streams to start and be cut: 10 MB/s.
func slow(n int) { time.Sleep(time.Duration(n) * 100 * time.Nanosecond) }

type slowReaderAt struct{ r io.ReaderAt }

func (s slowReaderAt) ReadAt(p []byte, off int64) (int, error) {
	slow(len(p))
	return s.r.ReadAt(p, off)
}

type slowWriterAt struct{ w io.WriterAt }

func (s slowWriterAt) WriteAt(p []byte, off int64) (int, error) {
	slow(len(p))
	return s.w.WriteAt(p, off)
}

// downloadExact downloads remote into out (throttled: slowWriterAt) with opt, and fails the test
// unless it returns the whole size and out then holds exactly data.
func downloadExact(t *testing.T, sf *libssh2.SFTP, remote string, out *os.File, opt *libssh2.TransferOptions, data []byte) {
	t.Helper()
	n, err := sf.Download(context.Background(), remote, slowWriterAt{out}, opt)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Download = %d, %v; want %d, nil", n, err, len(data))
	}
	got, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("the downloaded file differs from the remote one (%d bytes, want %d)", len(got), len(data))
	}
}

func randomFile(t *testing.T, size int) (string, []byte) {
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(uint64(size), 3))
	for i := 0; i < len(data); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(data); j++ {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	name := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name, data
}

// TestTransferStreams: Upload and Download move a file over four sessions, byte-exact, report a
// progress that only grows and ends at the size, and close every extra session.
func TestTransferStreams(t *testing.T) {
	defer libssh2.GrowAlways()()
	const size = 40<<20 + 12345
	local, data := randomFile(t, size)
	sess, sf := openSFTP(t, srv)
	_ = sess
	check := leakCheck(t)
	ss := newSessions(t, srv.Addr)
	var last atomic.Int64
	var regress atomic.Bool
	opt := &libssh2.TransferOptions{NewSession: ss.open, Progress: func(good int64) {
		if good < last.Load() {
			regress.Store(true)
		}
		last.Store(good)
	}}
	src, err := os.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	remote := srv.Path("streams.bin")
	n, err := sf.Upload(context.Background(), remote, slowReaderAt{src}, size, opt)
	if err != nil || n != size {
		t.Fatalf("Upload = %d, %v; want %d, nil", n, err, size)
	}
	checkRemote(t, remote, data)
	ss.checkClosed(3)
	if regress.Load() || last.Load() != size {
		t.Errorf("upload progress went back (%v) or ended at %d, not %d", regress.Load(), last.Load(), size)
	}

	ss = newSessions(t, srv.Addr)
	last.Store(0)
	opt.NewSession = ss.open
	out, err := os.Create(filepath.Join(t.TempDir(), "dst.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	downloadExact(t, sf, remote, out, opt, data)
	ss.checkClosed(3)
	if regress.Load() || last.Load() != size {
		t.Errorf("download progress went back (%v) or ended at %d, not %d", regress.Load(), last.Load(), size)
	}
	check()
}

// TestDownloadAsksOnce: the streams of a Download ask the server for the file's bytes once each.
// libssh2 reads ahead of a stream by four times its buffer whatever the stream means to read, so
// each stream's read-ahead is kept inside its span and no span is split below what its stream has
// asked for (plan.reserve, cut). Before, a Download over four sessions at 50 ms received 20 to 27%
// more than the file (bench/README.md, tenth pass), the read-ahead cut off by every split.
func TestDownloadAsksOnce(t *testing.T) {
	defer libssh2.GrowAlways()()
	const size = 24<<20 + 4321
	local, data := randomFile(t, size)
	remote := srv.Path("asks-once.bin")
	if err := os.Rename(local, remote); err != nil {
		t.Fatal(err)
	}
	proxy, _, sf := proxySession(t, tcpproxy.ReplyDelay(2*time.Millisecond))
	ss := newSessions(t, proxy.Addr)
	out, err := os.Create(filepath.Join(t.TempDir(), "dst.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	before := proxy.BytesDown()
	downloadExact(t, sf, remote, out, &libssh2.TransferOptions{NewSession: ss.open}, data)
	ss.checkClosed(3)
	// Each session's login and SFTP start take a few KB; each reply packet adds about 70 bytes to
	// its 30000 (0.25%); a stream's last read may ask for up to four requests past its span.
	down := proxy.BytesDown() - before
	if limit := int64(size + size/50 + 4*(256<<10)); down > limit {
		t.Errorf("the server sent %d bytes for a file of %d (%.1f%% more), want at most %d", down, size, 100*float64(down-size)/size, limit)
	}
	t.Logf("the server sent %d bytes for a file of %d (%.2f%% more)", down, size, 100*float64(down-size)/size)
}

// TestTransferSessionKilled: the extra sessions' connections are cut in the middle of a transfer.
// The transfer fails with an *Error whose Offset is the prefix it returns, leaves no session behind,
// and a transfer resumed from that prefix makes the file exact.
func TestTransferSessionKilled(t *testing.T) {
	defer libssh2.GrowAlways()()
	const size = 48 << 20
	local, data := randomFile(t, size)
	_, sf := openSFTP(t, srv)
	for _, dir := range []string{"upload", "download"} {
		t.Run(dir, func(t *testing.T) {
			check := leakCheck(t)
			proxy := tcpproxy.StartT(t, srv.Addr)
			ss := newSessions(t, proxy.Addr)
			go func() {
				// Cut the extra sessions once all of them are open and they have moved 4 MiB since.
				for range 3 {
					<-ss.opened
				}
				base := proxy.BytesUp() + proxy.BytesDown()
				for end := time.Now().Add(10 * time.Second); proxy.BytesUp()+proxy.BytesDown() < base+4<<20 && time.Now().Before(end); {
					time.Sleep(time.Millisecond)
				}
				proxy.Close()
			}()
			remote := srv.Path("killed-" + dir + ".bin")
			if dir == "download" {
				if err := os.WriteFile(remote, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dst := filepath.Join(t.TempDir(), "dst.bin")
			out, err := os.Create(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			src, err := os.Open(local)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			transfer := func(opt *libssh2.TransferOptions) (int64, error) {
				if dir == "upload" {
					var r io.ReaderAt = src
					if opt.Offset == 0 {
						r = slowReaderAt{src}
					}
					return sf.Upload(context.Background(), remote, r, size, opt)
				}
				var w io.WriterAt = out
				if opt.Offset == 0 {
					w = slowWriterAt{out}
				}
				return sf.Download(context.Background(), remote, w, opt)
			}
			n, err := transfer(&libssh2.TransferOptions{NewSession: ss.open})
			var e *libssh2.Error
			if !errors.As(err, &e) {
				t.Fatalf("%s with its extra sessions cut = %d, %v; want an *Error", dir, n, err)
			}
			if e.Offset != n || n < 0 || n >= size {
				t.Fatalf("%s failed with Offset %d and prefix %d (size %d): %v", dir, e.Offset, n, size, err)
			}
			t.Logf("%s failed at prefix %d: %v", dir, n, err)
			ss.checkClosed(3)
			// Resume on the caller's session alone.
			m, err := transfer(&libssh2.TransferOptions{Offset: n, MaxStreams: 1})
			if err != nil || m != size {
				t.Fatalf("resumed %s from %d = %d, %v; want %d, nil", dir, n, m, err, size)
			}
			if dir == "upload" {
				checkRemote(t, remote, data)
			} else if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
				t.Errorf("the resumed download differs from the remote file")
			}
			check()
		})
	}
}

// TestTransferCancelled: a cancelled transfer returns soon with the context's error and its prefix,
// leaves nothing behind, and the caller's session goes on working: the resumed transfer is exact.
func TestTransferCancelled(t *testing.T) {
	defer libssh2.GrowAlways()()
	const size = 48 << 20
	local, data := randomFile(t, size)
	_, sf := openSFTP(t, srv)
	check := leakCheck(t)
	ss := newSessions(t, srv.Addr)
	ctx, cancel := context.WithCancel(context.Background())
	var cancelledAt atomic.Int64
	go func() {
		for range 3 {
			<-ss.opened
		}
		time.Sleep(50 * time.Millisecond)
		cancelledAt.Store(time.Now().UnixNano())
		cancel()
	}()
	src, err := os.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	remote := srv.Path("cancelled.bin")
	n, err := sf.Upload(ctx, remote, slowReaderAt{src}, size, &libssh2.TransferOptions{NewSession: ss.open})
	if at := cancelledAt.Load(); at == 0 {
		t.Fatalf("Upload ended before it was cancelled: %d, %v", n, err)
	} else if d := time.Since(time.Unix(0, at)); d > 3*time.Second {
		t.Errorf("Upload returned %v after its context was cancelled", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Upload = %d, %v; want context.Canceled", n, err)
	}
	var e *libssh2.Error
	if !errors.As(err, &e) || e.Offset != n {
		t.Fatalf("cancelled Upload's error %v has no Offset %d", err, n)
	}
	ss.checkClosed(3)
	m, err := sf.Upload(context.Background(), remote, src, size, &libssh2.TransferOptions{Offset: n, MaxStreams: 1})
	if err != nil || m != size {
		t.Fatalf("resumed Upload from %d = %d, %v", n, m, err)
	}
	checkRemote(t, remote, data)
	check()
}
