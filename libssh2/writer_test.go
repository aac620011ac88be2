package libssh2_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkRemote fails unless the server's file holds exactly want.
func checkRemote(t *testing.T, name string, want []byte) {
	t.Helper()
	got, err := srv.SHA256(name)
	if err != nil {
		t.Fatal(err)
	}
	if got != sha(want) {
		st, _ := os.Stat(name)
		size := int64(-1)
		if st != nil {
			size = st.Size()
		}
		t.Fatalf("%s: server SHA-256 %s (size %d), want %s (size %d)", name, got, size, sha(want), len(want))
	}
}

// chunkReader returns at most n bytes per Read, to exercise ReadFrom's partial reads.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// TestWriteIntegrity is a property test: random sequences of Write, WriteString, ReadFrom and Sync,
// with callers that scribble over their slice as soon as Write returns, must leave the server file
// equal to exactly the bytes reported accepted.
func TestWriteIntegrity(t *testing.T) {
	_, sf := openSFTP(t, srv)
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := 0; seed < seeds; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 42))
		window := []int{30000, 4 * 30000, libssh2.DefaultWriteWindow, 3 << 20}[seed%4]
		if err := sf.SetWriteWindow(window); err != nil {
			t.Fatal(err)
		}
		name := srv.Path("integrity-" + itoa(seed))
		f, err := sf.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		scratch := make([]byte, 3<<20)
		for op := 0; op < 40; op++ {
			size := rng.IntN(3<<20 + 1)
			if rng.IntN(3) == 0 {
				size = rng.IntN(100)
			}
			chunk := scratch[:size]
			for i := range chunk {
				chunk[i] = byte(rng.Uint32())
			}
			switch rng.IntN(5) {
			case 0, 1:
				n, err := f.Write(chunk)
				if err != nil || n != size {
					t.Fatalf("Write(%d) = %d, %v", size, n, err)
				}
				want.Write(chunk)
				for i := range chunk { // the caller reuses its slice at once
					chunk[i] = 0xEE
				}
			case 2:
				n, err := f.WriteString(string(chunk))
				if err != nil || n != size {
					t.Fatalf("WriteString(%d) = %d, %v", size, n, err)
				}
				want.Write(chunk)
			case 3:
				src := append([]byte(nil), chunk...)
				n, err := f.ReadFrom(&chunkReader{bytes.NewReader(src), 1 + rng.IntN(70000)})
				if err != nil || n != int64(size) {
					t.Fatalf("ReadFrom(%d) = %d, %v", size, n, err)
				}
				want.Write(src)
			case 4:
				if err := f.Sync(); err != nil {
					t.Fatalf("Sync: %v", err)
				}
				checkRemote(t, name, want.Bytes())
			}
		}
		if err := f.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		checkRemote(t, name, want.Bytes())
		os.Remove(name)
	}
}

func TestIOCopy(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := make([]byte, 20<<20+12345)
	rand.NewChaCha8([32]byte{7}).Read(data)
	name := srv.Path("copy.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("io.Copy = %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	checkRemote(t, name, data)
	os.Remove(name)
}

func TestWriteAllocs(t *testing.T) {
	_, sf := openSFTP(t, srv)
	f, err := sf.Create(srv.Path("allocs.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := make([]byte, 32<<10)
	for i := 0; i < 100; i++ { // reach steady state: the window is full
		if _, err := f.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := f.Write(p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Write allocates %.1f times per call in steady state, want 0", allocs)
	}
}

func TestWriteAfterClose(t *testing.T) {
	_, sf := openSFTP(t, srv)
	f, err := sf.Create(srv.Path("afterclose.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close = %v, want fs.ErrClosed", err)
	}
	if _, err := f.ReadFrom(bytes.NewReader([]byte("x"))); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadFrom after Close = %v, want fs.ErrClosed", err)
	}
	if err := f.Sync(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Sync after Close = %v, want fs.ErrClosed", err)
	}
	checkRemote(t, srv.Path("afterclose.bin"), []byte("hello"))
}

func TestWriteCancelledContext(t *testing.T) {
	_, sf := openSFTP(t, srv)
	f, err := sf.Create(srv.Path("cancel.bin"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := bytes.Repeat([]byte("0123456789"), 1<<20)
	n, err := f.WriteContext(ctx, data)
	if !errors.Is(err, context.Canceled) || n >= len(data) {
		t.Fatalf("WriteContext with a cancelled context = %d, %v; want a short count and context.Canceled", n, err)
	}
	// The accepted bytes stay in the window: the rest can follow, and Close lands them all.
	m, err := f.Write(data[n:])
	if err != nil || m != len(data)-n {
		t.Fatalf("Write of the rest = %d, %v", m, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	checkRemote(t, srv.Path("cancel.bin"), data)
}

// TestReadFromSameSession: ReadFrom does not hold the session while its reader runs, so the reader
// may be another File of the same session (io.Copy with the source's WriteTo hidden).
func TestReadFromSameSession(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := make([]byte, 3<<20+11)
	rand.NewChaCha8([32]byte{5, 6}).Read(data)
	srcName, dstName := srv.Path("rf-same-src.bin"), srv.Path("rf-same-dst.bin")
	if err := os.WriteFile(srcName, data, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := sf.Open(srcName)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := sf.Create(dstName)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := dst.ReadFrom(struct{ io.Reader }{src})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ReadFrom another File of the same session: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("ReadFrom from another File of the same session did not return in 60 s (deadlock)")
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	checkRemote(t, dstName, data)
}

// blockingReader returns chunks handed to it over a channel, and io.EOF when the channel closes.
// Each time Read starts waiting, it says so on waiting.
type blockingReader struct {
	ch      chan []byte
	waiting chan struct{}
}

func (b blockingReader) Read(p []byte) (int, error) {
	b.waiting <- struct{}{}
	c, ok := <-b.ch
	if !ok {
		return 0, io.EOF
	}
	if len(c) > len(p) {
		panic("blockingReader: chunk larger than the buffer")
	}
	return copy(p, c), nil
}

// TestReadFromSlowReader: while ReadFrom waits for its reader, other operations on the session run,
// including a Close of the same File, after which ReadFrom fails with fs.ErrClosed and drops nothing
// it reported accepted.
func TestReadFromSlowReader(t *testing.T) {
	_, sf := openSFTP(t, srv)
	name := srv.Path("rf-slow.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	r := blockingReader{ch: make(chan []byte), waiting: make(chan struct{}, 1)}
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := f.ReadFrom(r)
		done <- result{n, err}
	}()
	first := bytes.Repeat([]byte("0123456789"), 2000) // fits the first buffer ReadFrom offers
	<-r.waiting
	r.ch <- first
	// Once ReadFrom reads again, it has taken first in and waits with the session unlocked: other
	// calls go through.
	<-r.waiting
	if _, err := sf.Stat(name); err != nil {
		t.Fatalf("Stat while ReadFrom waits for its reader: %v", err)
	}
	other, err := sf.Create(srv.Path("rf-slow-other.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close while ReadFrom waits for its reader: %v", err)
	}
	r.ch <- []byte("late")
	res := <-done
	if !errors.Is(res.err, fs.ErrClosed) {
		t.Errorf("ReadFrom after a concurrent Close = %v, want fs.ErrClosed", res.err)
	}
	if res.n != int64(len(first)) {
		t.Errorf("ReadFrom accepted %d bytes, want %d", res.n, len(first))
	}
	checkRemote(t, name, first)
}

// TestSmallFilesAllocateLittle: a File's upload buffer grows with the data, so uploading many small
// files allocates about what they hold, not a full window each (2 × DefaultWriteWindow, 7.68 MB).
func TestSmallFilesAllocateLittle(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := bytes.Repeat([]byte("small file "), 400) // 4400 bytes
	upload := func(i int, viaCopy bool) {
		name := srv.Path(fmt.Sprintf("small-%d.bin", i))
		f, err := sf.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if viaCopy {
			_, err = io.Copy(f, bytes.NewReader(data)) // ReadFrom
		} else {
			_, err = f.Write(data)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, viaCopy := range []bool{false, true} {
		upload(0, viaCopy) // warm up: the SFTP channel's own buffers
		const files = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 1; i <= files; i++ {
			upload(i, viaCopy)
		}
		runtime.ReadMemStats(&after)
		perFile := (after.TotalAlloc - before.TotalAlloc) / files
		if perFile > 128<<10 {
			t.Errorf("uploading a %d-byte file (io.Copy: %v) allocates %d bytes, want at most 128 KiB", len(data), viaCopy, perFile)
		}
		checkRemote(t, srv.Path(fmt.Sprintf("small-%d.bin", files)), data)
	}
}
