package libssh2_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// checkNoLeaks makes the test fail unless, once everything it opened is closed (its cleanups run
// before this one's), the goroutines and the live C allocations of libssh2 are back where they were.
// Call it first in the test. Tests of this package do not run in parallel, so the counts are the
// test's own.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	goroutines, allocs := runtime.NumGoroutine(), libssh2.LiveCAllocations()
	t.Cleanup(func() {
		runtime.GC()
		if n := libssh2.LiveCAllocations(); n != allocs {
			t.Errorf("%d C allocations of libssh2 live after the test closed everything, %d before", n, allocs)
		}
		waitGoroutines(t, goroutines)
	})
}

// TestStalledPeer: a peer that stops reading makes Write fail by its deadline, with the accepted bytes
// kept; when the link comes back, the upload completes without a byte lost or written twice.
func TestStalledPeer(t *testing.T) {
	checkNoLeaks(t)
	proxy, _, sf := proxySession(t)
	name := srv.Path("stalled.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 64<<20)
	rand.NewChaCha8([32]byte{3}).Read(data)
	if _, err := f.Write(data[:4<<20]); err != nil {
		t.Fatal(err)
	}
	proxy.SetPaused(true)
	f.SetDeadline(time.Now().Add(time.Second))
	start := time.Now()
	n, err := f.Write(data[4<<20:])
	elapsed := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write to a stalled peer = %d, %v; want os.ErrDeadlineExceeded", n, err)
	}
	if elapsed > 5*time.Second {
		t.Errorf("Write returned after %v with a 1 s deadline", elapsed)
	}
	if n >= len(data)-4<<20 {
		t.Fatalf("Write accepted all %d bytes although the peer stalled", n)
	}
	accepted := 4<<20 + n
	proxy.SetPaused(false)
	f.SetDeadline(time.Time{})
	if _, err := f.Write(data[accepted:]); err != nil {
		t.Fatalf("Write after the link came back: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checkRemote(t, name, data)
	os.Remove(name)
}

// TestServerKilled: the server's session process dies mid-upload. The error is typed, its offset is
// one up to which the server file holds exactly the data, and nothing leaks.
func TestServerKilled(t *testing.T) {
	checkNoLeaks(t)
	ks := sshd.StartT(t, sshd.Options{})
	_, sf := openSFTP(t, ks)
	name := ks.Path("killed.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 256<<20)
	rand.NewChaCha8([32]byte{4}).Read(data)
	r := &killingReader{r: bytes.NewReader(data), at: 8 << 20, kill: func() { ks.KillSessions() }}
	const deadline = 20 * time.Second
	f.SetDeadline(time.Now().Add(deadline))
	start := time.Now()
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Close()
	} else if cerr := f.Close(); cerr == nil {
		t.Errorf("Close after a failed upload returned nil")
	}
	if elapsed := time.Since(start); elapsed >= deadline || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the upload to a killed server failed after %v with %v: the kill was not noticed, the deadline ended it", elapsed, err)
	}
	var e *libssh2.Error
	if !errors.As(err, &e) {
		t.Fatalf("upload to a killed server = %v, want an *libssh2.Error", err)
	}
	if e.Code == 0 {
		t.Errorf("error %v has no libssh2 code", err)
	}
	t.Logf("error after the kill: %v", err)
	if !connGone(err) {
		t.Errorf("error %v does not say that the connection is gone (io.ErrUnexpectedEOF, ECONNRESET or EPIPE)", err)
	}
	got, rerr := os.ReadFile(name)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if e.Offset < 0 {
		t.Errorf("error %v reports no good offset", err)
	} else if int64(len(got)) < e.Offset || !bytes.Equal(got[:e.Offset], data[:e.Offset]) {
		t.Errorf("server file (%d bytes) does not hold the %d bytes reported good", len(got), e.Offset)
	}
	if len(got) > len(data) || !bytes.Equal(got, data[:len(got)]) {
		t.Errorf("server file (%d bytes) is not a prefix of the data", len(got))
	}
}

// connGone reports whether err carries the failure of the connection itself: the peer closed it, or
// reset it.
func connGone(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
}

// killingReader calls kill once at byte at.
type killingReader struct {
	r    io.Reader
	at   int64
	n    int64
	kill func()
	done bool
}

func (k *killingReader) Read(p []byte) (int, error) {
	if !k.done && k.n >= k.at {
		k.done = true
		k.kill()
	}
	n, err := k.r.Read(p)
	k.n += int64(n)
	return n, err
}

// TestFileSizeLimit: the server cannot write past a size limit. The failure is reported with the
// SFTP status and the offset up to which the file is good.
func TestFileSizeLimit(t *testing.T) {
	checkNoLeaks(t)
	const limit = 5 << 20
	ls := sshd.StartT(t, sshd.Options{FileSizeLimit: limit})
	_, sf := openSFTP(t, ls)
	name := ls.Path("limited.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 16<<20)
	rand.NewChaCha8([32]byte{5}).Read(data)
	_, err = io.Copy(f, bytes.NewReader(data))
	if err == nil {
		err = f.Close()
	} else {
		f.Close()
	}
	var e *libssh2.Error
	if !errors.As(err, &e) || e.Code != libssh2.ErrorSFTPProtocol || e.Status == 0 {
		t.Fatalf("upload past the size limit = %v, want an SFTP status error", err)
	}
	if e.Offset < 0 || e.Offset > limit {
		t.Errorf("reported good offset %d, want 0..%d", e.Offset, limit)
	}
	t.Logf("error: %v", err)
	got, rerr := os.ReadFile(name)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if int64(len(got)) < e.Offset || !bytes.Equal(got[:e.Offset], data[:e.Offset]) {
		t.Errorf("server file (%d bytes) does not hold the %d bytes reported good", len(got), e.Offset)
	}
	// Every later write refuses with the same error.
	if _, err2 := f.Write([]byte("x")); err2 == nil {
		t.Errorf("Write after a failed upload succeeded")
	}
}

// TestReadWriteDeadlines: SetWriteDeadline bounds writes (and Close, which drains them) and not
// reads; SetReadDeadline bounds reads and not writes, as with os.File.
func TestReadWriteDeadlines(t *testing.T) {
	checkNoLeaks(t)
	proxy, _, sf := proxySession(t)
	name := srv.Path("deadlines.bin")
	data := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{8}).Read(data)
	f, err := sf.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// A read deadline long past does not touch writes.
	f.SetReadDeadline(time.Now().Add(-time.Hour))
	if _, err := f.Write(data); err != nil {
		t.Fatalf("Write with only a read deadline, long past: %v", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("Sync with only a read deadline, long past: %v", err)
	}
	// A write deadline bounds writes on a stalled link.
	f.SetReadDeadline(time.Time{})
	proxy.SetPaused(true)
	f.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
	start := time.Now()
	_, err = f.Write(data)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write past the write deadline on a stalled link = %v, want os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Write returned %v after a 500 ms write deadline", d)
	}
	proxy.SetPaused(false)
	f.SetWriteDeadline(time.Time{})
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// A read deadline bounds reads on a stalled link; a write deadline long past does not.
	r, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.SetWriteDeadline(time.Now().Add(-time.Hour))
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatalf("Read with only a write deadline, long past: %v", err)
	}
	if !bytes.Equal(buf, data[:len(buf)]) {
		t.Fatal("Read returned other bytes than written")
	}
	proxy.SetPaused(true)
	r.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	start = time.Now()
	var rerr error
	for rerr == nil && time.Since(start) < 10*time.Second {
		_, rerr = r.Read(buf) // the buffered read-ahead comes first, then the stall
	}
	if !errors.Is(rerr, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the read deadline on a stalled link = %v, want os.ErrDeadlineExceeded", rerr)
	}
	proxy.SetPaused(false)
}
