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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/cshim"
	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// rdData returns n pseudo-random bytes from seed.
func rdData(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed, 'r', 'd'}).Read(b)
	return b
}

// rdUpload writes data to name with the binding's writer (io.Copy, so File.ReadFrom) and checks the
// server's copy.
func rdUpload(t *testing.T, sf *libssh2.SFTP, name string, data []byte) {
	t.Helper()
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(f, bytes.NewReader(data)); err != nil || n != int64(len(data)) {
		t.Fatalf("upload %s: io.Copy = %d, %v", name, n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("upload %s: Close: %v", name, err)
	}
	checkRemote(t, name, data)
}

// rdSame fails unless got equals want, saying where they first differ (a byte-wise cmp.Diff of
// megabytes would be unreadable, so the comparison is of lengths, hashes and the first difference).
func rdSame(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	type summary struct {
		Len          int
		SHA256       string
		FirstDiffers int
	}
	t.Errorf("%s differs (-want +got):\n%s", what, cmp.Diff(
		summary{len(want), sha(want), i}, summary{len(got), sha(got), i}))
}

// maxWriter hashes what it is given and records the largest single Write.
type maxWriter struct {
	h   io.Writer
	max int
	n   int64
}

func (m *maxWriter) Write(p []byte) (int, error) {
	m.max = max(m.max, len(p))
	m.n += int64(len(p))
	return m.h.Write(p)
}

// TestDownloadRoundTrip uploads files of the sizes that matter to libssh2 (empty, one byte, one
// write packet, not a multiple of anything, many windows) and downloads them with io.Copy, which
// must take File.WriteTo: same SHA-256 on both sides.
func TestDownloadRoundTrip(t *testing.T) {
	_, sf := openSFTP(t, srv)
	for _, size := range []int{0, 1, 30000, 1<<20 + 7, 64 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := rdData(size, byte(size))
			name := srv.Path(fmt.Sprintf("download-%d.bin", size))
			rdUpload(t, sf, name, data)
			defer os.Remove(name)
			f, err := sf.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			dst := &maxWriter{h: h}
			n, err := io.Copy(dst, f)
			if err != nil {
				t.Fatalf("io.Copy: %v", err)
			}
			got := struct {
				N      int64
				SHA256 string
			}{n, hex.EncodeToString(h.Sum(nil))}
			want := struct {
				N      int64
				SHA256 string
			}{int64(size), sha(data)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("download (-want +got):\n%s", diff)
			}
			if srvSum, err := srv.SHA256(name); err != nil || srvSum != want.SHA256 {
				t.Errorf("server SHA-256 = %s, %v; want %s", srvSum, err, want.SHA256)
			}
			// io.Copy's own loop writes at most 32 KiB at a time; WriteTo hands over what libssh2
			// returned, which on a 64 MiB file is more at least once.
			if size == 64<<20 && dst.max <= 32<<10 {
				t.Errorf("largest write to dst was %d bytes: io.Copy did not take File.WriteTo", dst.max)
			}
			// At end of file Read returns io.EOF itself, as often as asked.
			for i := 0; i < 2; i++ {
				if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
					t.Errorf("Read at end of file = %d, %v; want 0, io.EOF", n, err)
				}
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReadBufferSizes reads whole files with odd buffer sizes: exactly the bytes, then io.EOF.
func TestReadBufferSizes(t *testing.T) {
	_, sf := openSFTP(t, srv)
	for _, c := range []struct{ buf, size int }{
		{1, 250_001},
		{7, 1<<20 + 3},
		{33 << 10, 3<<20 + 13},
		{1 << 20, 3<<20 + 13},
		{libssh2.DefaultReadBuffer, 2*libssh2.DefaultReadBuffer + 1},
	} {
		t.Run(fmt.Sprint(c.buf), func(t *testing.T) {
			data := rdData(c.size, byte(c.buf))
			name := srv.Path(fmt.Sprintf("bufsize-%d.bin", c.buf))
			rdUpload(t, sf, name, data)
			defer os.Remove(name)
			f, err := sf.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := make([]byte, 0, c.size)
			p := make([]byte, c.buf)
			for {
				n, err := f.Read(p)
				if n < 0 || n > len(p) {
					t.Fatalf("Read returned %d for a %d-byte buffer", n, len(p))
				}
				got = append(got, p[:n]...)
				if err == io.EOF {
					if n != 0 {
						t.Errorf("io.EOF with %d bytes", n)
					}
					break
				}
				if err != nil {
					t.Fatalf("Read at %d: %v", len(got), err)
				}
				if n == 0 {
					t.Fatalf("Read returned 0, nil at %d", len(got))
				}
			}
			rdSame(t, "bytes read", got, data)
		})
	}
}

// TestSeekRead is a property test: random Seeks in every whence, each followed by a Read of a random
// size, give the file's bytes at the expected offset, and Seek(0, io.SeekCurrent) agrees.
func TestSeekRead(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := rdData(3<<20+11, 5)
	name := srv.Path("seek.bin")
	rdUpload(t, sf, name, data)
	defer os.Remove(name)
	size := int64(len(data))
	for seed := uint64(1); seed <= 4; seed++ {
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 77))
		f, err := sf.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		pos := int64(0)
		for op := 0; op < 150; op++ {
			var off int64
			whence := rng.IntN(3)
			target := rng.Int64N(size + 100)
			if rng.IntN(4) == 0 { // near the current offset, often inside the buffer
				target = max(0, pos+rng.Int64N(70000)-20000)
			}
			switch whence {
			case io.SeekStart:
				off = target
			case io.SeekCurrent:
				off = target - pos
			case io.SeekEnd:
				off = target - size
			}
			got, err := f.Seek(off, whence)
			if err != nil || got != target {
				t.Fatalf("seed %d op %d: Seek(%d, %d) = %d, %v; want %d", seed, op, off, whence, got, err, target)
			}
			pos = target
			p := make([]byte, rng.IntN(100000)+1)
			n, err := io.ReadFull(f, p)
			want := data[min(pos, size):min(pos+int64(len(p)), size)]
			switch {
			case len(want) == len(p):
				if err != nil {
					t.Fatalf("seed %d op %d: ReadFull at %d: %v", seed, op, pos, err)
				}
			case len(want) == 0:
				if err != io.EOF {
					t.Fatalf("seed %d op %d: ReadFull past the end at %d = %d, %v; want io.EOF", seed, op, pos, n, err)
				}
			default:
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("seed %d op %d: ReadFull over the end at %d = %d, %v; want io.ErrUnexpectedEOF", seed, op, pos, n, err)
				}
			}
			rdSame(t, fmt.Sprintf("seed %d op %d: %d bytes at %d", seed, op, len(p), pos), p[:n], want)
			pos += int64(n)
			if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != pos {
				t.Fatalf("seed %d op %d: Seek(0, io.SeekCurrent) = %d, %v; want %d", seed, op, cur, err, pos)
			}
		}
		if _, err := f.Seek(-1, io.SeekStart); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Seek(-1, io.SeekStart) = %v, want fs.ErrInvalid", err)
		}
		if _, err := f.Seek(0, 3); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Seek(0, 3) = %v, want fs.ErrInvalid", err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadAt is a property test: ReadAt at random offsets and lengths gives the file's bytes, io.EOF
// exactly when the range passes the end, and does not move the offset of sequential reads that are
// interleaved with it. Several goroutines call ReadAt at once.
func TestReadAt(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := rdData(2<<20+5, 6)
	name := srv.Path("readat.bin")
	rdUpload(t, sf, name, data)
	defer os.Remove(name)
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := int64(len(data))
	check := func(rng *rand.Rand, what string) {
		off := rng.Int64N(size + 10)
		p := make([]byte, rng.IntN(300000)+1)
		if rng.IntN(3) == 0 {
			p = p[:rng.IntN(40)+1]
		}
		n, err := f.ReadAt(p, off)
		want := data[min(off, size):min(off+int64(len(p)), size)]
		if len(want) < len(p) {
			if err != io.EOF {
				t.Errorf("%s: ReadAt(%d bytes, %d) = %d, %v; want io.EOF", what, len(p), off, n, err)
			}
		} else if err != nil {
			t.Errorf("%s: ReadAt(%d bytes, %d): %v", what, len(p), off, err)
		}
		rdSame(t, fmt.Sprintf("%s: ReadAt(%d bytes, %d)", what, len(p), off), p[:n], want)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	// Interleaved with sequential reads: the sequence must come out whole.
	var seq []byte
	p := make([]byte, 50000)
	for {
		check(rng, "interleaved")
		n, err := f.Read(p[:rng.IntN(len(p))+1])
		seq = append(seq, p[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	rdSame(t, "sequential reads interleaved with ReadAt", seq, data)
	// In parallel.
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, g+2))
			for i := 0; i < 15; i++ {
				check(rng, fmt.Sprintf("goroutine %d", g))
			}
		}(uint64(g))
	}
	wg.Wait()
	if _, err := f.ReadAt(make([]byte, 1), -1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadAt at -1 = %v, want fs.ErrInvalid", err)
	}
}

// TestSeekDrainsWrites: a Seek with writes in flight must wait for them (libssh2_sftp_seek64 alone
// would drop them), and a write after the seek lands at the new offset.
func TestSeekDrainsWrites(t *testing.T) {
	_, sf := openSFTP(t, srv)
	name := srv.Path("seekdrain.bin")
	defer os.Remove(name)
	data := rdData(5<<20+3, 7)
	patch := bytes.Repeat([]byte("PATCH"), 2000)
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	// The writes are still in the window; the offset counts them all.
	if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != int64(len(data)) {
		t.Fatalf("Seek(0, io.SeekCurrent) after Write = %d, %v; want %d", cur, err, len(data))
	}
	if _, err := f.Seek(1000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(patch); err != nil {
		t.Fatal(err)
	}
	if end, err := f.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
		t.Fatalf("Seek(0, io.SeekEnd) = %d, %v; want %d", end, err, len(data))
	}
	if _, err := f.Write([]byte("TAIL")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want := append(bytes.Clone(data), "TAIL"...)
	copy(want[1000:], patch)
	checkRemote(t, name, want)
}

// TestReadWriteMixed: on an O_RDWR File, a Read sees the writes before it, a Write continues at the
// offset where reading stopped (as with os.File), and the offsets stay right throughout.
func TestReadWriteMixed(t *testing.T) {
	_, sf := openSFTP(t, srv)
	name := srv.Path("mixed.bin")
	defer os.Remove(name)
	a := rdData(2<<20, 8)
	b := rdData(70000, 9)
	f, err := sf.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 100000)
	if _, err := io.ReadFull(f, got); err != nil {
		t.Fatal(err)
	}
	rdSame(t, "read after write", got, a[:100000])
	// libssh2 now has read-ahead in flight past 100000: the write must not be confused by it.
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(a)
	copy(want[100000:], b)
	if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != 170000 {
		t.Fatalf("offset after read and write = %d, %v; want 170000", cur, err)
	}
	// Reading on drains the write and continues after it.
	rest, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	rdSame(t, "read after the write", rest, want[170000:])
	// ReadAt sees everything, and a read right after a write at the end sees end of file.
	all := make([]byte, len(want))
	if n, err := f.ReadAt(all, 0); err != nil || n != len(want) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	rdSame(t, "ReadAt of the whole file", all, want)
	if _, err := f.Write([]byte("end")); err != nil {
		t.Fatal(err)
	}
	want = append(want, "end"...)
	if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read after writing at the end = %d, %v; want 0, io.EOF", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	checkRemote(t, name, want)
}

// TestReadErrors: the errors of reading are typed and carry the os sentinels.
func TestReadErrors(t *testing.T) {
	_, sf := openSFTP(t, srv)
	if _, err := sf.Open(srv.Path("no-such-file")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file = %v, want fs.ErrNotExist", err)
	}
	name := srv.Path("writeonly.bin")
	defer os.Remove(name)
	rdUpload(t, sf, name, []byte("some bytes"))
	wo, err := sf.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := wo.Read(make([]byte, 10))
	var e *libssh2.Error
	if n != 0 || !errors.As(err, &e) || e.Code != libssh2.ErrorSFTPProtocol || e.Status == 0 {
		t.Errorf("Read on a write-only File = %d, %v; want an *Error with the server's status", n, err)
	} else {
		t.Logf("Read on a write-only File: %v", err)
	}
	if err := wo.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"Read":    func() error { _, err := f.Read(make([]byte, 1)); return err }(),
		"ReadAt":  func() error { _, err := f.ReadAt(make([]byte, 1), 0); return err }(),
		"WriteTo": func() error { _, err := f.WriteTo(io.Discard); return err }(),
		"Seek":    func() error { _, err := f.Seek(0, io.SeekStart); return err }(),
	} {
		if !errors.Is(err, fs.ErrClosed) || !errors.As(err, &e) {
			t.Errorf("%s after Close = %v, want an *Error wrapping fs.ErrClosed", what, err)
		}
	}
	var nilFile *libssh2.File
	if _, err := nilFile.Read(make([]byte, 1)); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Read on a nil *File = %v, want fs.ErrInvalid", err)
	}
}

// TestReadAllocs: Read allocates nothing in steady state, including the calls that go to libssh2.
func TestReadAllocs(t *testing.T) {
	_, sf := openSFTP(t, srv)
	name := srv.Path("readallocs.bin")
	defer os.Remove(name)
	rdUpload(t, sf, name, rdData(64<<20, 10))
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// From the File's buffer, and straight into p (at least the buffer's size).
	for _, c := range []struct{ size, runs int }{{32 << 10, 100}, {256 << 10, 50}, {1 << 20, 20}} {
		p := make([]byte, c.size)
		// Steady state: the buffer has grown to its largest (after a few MB in sequence).
		if _, err := io.ReadFull(f, make([]byte, 4<<20)); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(c.runs, func() {
			if _, err := f.Read(p); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Read of %d bytes allocates %.2f times per call in steady state, want 0", c.size, allocs)
		}
	}
}

// TestCopyBetweenFiles: io.Copy from one File to another of the same session does not deadlock
// (WriteTo does not hold the session while the destination writes), and copies exactly.
func TestCopyBetweenFiles(t *testing.T) {
	_, sf := openSFTP(t, srv)
	src, dstName := srv.Path("copysrc.bin"), srv.Path("copydst.bin")
	defer os.Remove(src)
	defer os.Remove(dstName)
	data := rdData(9<<20+1, 11)
	rdUpload(t, sf, src, data)
	in, err := sf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := sf.Create(dstName)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		n, err := io.Copy(out, in)
		if err == nil && n != int64(len(data)) {
			err = fmt.Errorf("copied %d bytes, want %d", n, len(data))
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("io.Copy between two Files of one session did not finish in 60 s (deadlock?)")
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	checkRemote(t, dstName, data)
}

// TestTwoReadersOneSession: sequential reads of two Files of one SFTP channel, interleaved, each
// get their own bytes (libssh2 keeps the read state per channel).
func TestTwoReadersOneSession(t *testing.T) {
	_, sf := openSFTP(t, srv)
	na, nb := srv.Path("two-a.bin"), srv.Path("two-b.bin")
	defer os.Remove(na)
	defer os.Remove(nb)
	da, db := rdData(3<<20+1, 12), rdData(2<<20+9, 13)
	rdUpload(t, sf, na, da)
	rdUpload(t, sf, nb, db)
	fa, err := sf.Open(na)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := sf.Open(nb)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	var ga, gb []byte
	p := make([]byte, 40000)
	for ea, eb := false, false; !ea || !eb; {
		for _, r := range []struct {
			f    *libssh2.File
			dst  *[]byte
			done *bool
		}{{fa, &ga, &ea}, {fb, &gb, &eb}} {
			if *r.done {
				continue
			}
			n, err := r.f.Read(p)
			*r.dst = append(*r.dst, p[:n]...)
			if err == io.EOF {
				*r.done = true
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	rdSame(t, "file a", ga, da)
	rdSame(t, "file b", gb, db)
}

// TestReadDeadline: with the link stalled, Read fails by the File's deadline, with libssh2 inside its
// read. Once the link is back, another operation on the session completes that read, and reading
// goes on with exactly the right bytes: none lost, none twice. The same for ReadAt, whose
// interrupted read must not disturb the sequential offset.
func TestReadDeadline(t *testing.T) {
	_, sf0 := openSFTP(t, srv)
	name, other := srv.Path("deadline.bin"), srv.Path("deadline-other.bin")
	defer os.Remove(name)
	defer os.Remove(other)
	data := rdData(24<<20, 14)
	otherData := rdData(100000, 15)
	rdUpload(t, sf0, name, data)
	rdUpload(t, sf0, other, otherData)

	proxy, _, sf := proxySession(t)
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := make([]byte, 1<<20)
	if _, err := io.ReadFull(f, got); err != nil {
		t.Fatal(err)
	}
	proxy.SetPaused(true)
	f.SetDeadline(time.Now().Add(500 * time.Millisecond))
	p := make([]byte, 33<<10)
	var rerr error
	start := time.Now()
	for rerr == nil {
		var n int
		n, rerr = f.Read(p)
		got = append(got, p[:n]...)
		if time.Since(start) > 10*time.Second {
			t.Fatal("Read did not fail in 10 s with the link stalled and a 500 ms deadline")
		}
	}
	var e *libssh2.Error
	if !errors.Is(rerr, os.ErrDeadlineExceeded) || !errors.As(rerr, &e) {
		t.Fatalf("Read with the link stalled = %v, want an *Error wrapping os.ErrDeadlineExceeded", rerr)
	}
	t.Logf("stalled after %d bytes: %v", len(got), rerr)
	proxy.SetPaused(false)
	f.SetDeadline(time.Time{})
	// Another File's open and reads complete f's interrupted read first.
	g, err := sf.Open(other)
	if err != nil {
		t.Fatalf("Open after the link came back: %v", err)
	}
	gd, err := io.ReadAll(g)
	if err != nil {
		t.Fatal(err)
	}
	rdSame(t, "the other file", gd, otherData)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	more := make([]byte, 2<<20)
	if _, err := io.ReadFull(f, more); err != nil {
		t.Fatalf("reading on after the link came back: %v", err)
	}
	got = append(got, more...)
	// Now ReadAt, interrupted the same way: the sequential offset must not move.
	proxy.SetPaused(true)
	f.SetDeadline(time.Now().Add(300 * time.Millisecond))
	at := make([]byte, 3<<20)
	n, err := f.ReadAt(at, 10<<20)
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &e) {
		t.Fatalf("ReadAt with the link stalled = %d, %v; want an *Error wrapping os.ErrDeadlineExceeded", n, err)
	}
	rdSame(t, "what ReadAt returned before the stall", at[:n], data[10<<20:10<<20+n])
	proxy.SetPaused(false)
	f.SetDeadline(time.Time{})
	if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != int64(len(got)) {
		t.Errorf("offset after the interrupted ReadAt = %d, %v; want %d", cur, err, len(got))
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("reading on after the interrupted ReadAt: %v", err)
	}
	got = append(got, rest...)
	n, err = f.ReadAt(at, 10<<20)
	if err != nil {
		t.Fatal(err)
	}
	rdSame(t, "ReadAt after the link came back", at[:n], data[10<<20:13<<20])
	rdSame(t, "bytes read across the stall", got, data)
}

// TestWriteToCancel: a download whose context is cancelled while the link is stalled fails with
// context.Canceled; WriteTo again, with the link back, delivers exactly the rest.
func TestWriteToCancel(t *testing.T) {
	data := rdData(24<<20, 16)
	proxy, _, _, f := proxiedFile(t, "cancel-download.bin", data)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got bytes.Buffer
	var once sync.Once
	dst := writerFunc(func(p []byte) (int, error) {
		if got.Len() >= 2<<20 {
			once.Do(func() {
				proxy.SetPaused(true)
				time.AfterFunc(300*time.Millisecond, cancel)
			})
		}
		return got.Write(p)
	})
	n, err := f.WriteToContext(ctx, dst)
	var e *libssh2.Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &e) {
		t.Fatalf("WriteToContext cancelled with the link stalled = %d, %v; want an *Error wrapping context.Canceled", n, err)
	}
	if n != int64(got.Len()) || n >= int64(len(data)) {
		t.Fatalf("WriteToContext returned %d, dst has %d of %d", n, got.Len(), len(data))
	}
	t.Logf("cancelled after %d bytes: %v", n, err)
	proxy.SetPaused(false)
	m, err := f.WriteTo(&got)
	if err != nil {
		t.Fatalf("WriteTo after the link came back: %v", err)
	}
	if n+m != int64(len(data)) {
		t.Errorf("WriteTo returned %d + %d bytes, want %d", n, m, len(data))
	}
	rdSame(t, "bytes downloaded across the cancel", got.Bytes(), data)
}

// proxiedFile uploads data to the server's file base over a session of its own, and opens it on a
// session through a proxy, so that the test can stall its link. The File is closed and the file
// removed when the test ends.
func proxiedFile(t *testing.T, base string, data []byte) (*tcpproxy.Proxy, *libssh2.Session, *libssh2.SFTP, *libssh2.File) {
	t.Helper()
	_, sf0 := openSFTP(t, srv)
	name := srv.Path(base)
	rdUpload(t, sf0, name, data)
	proxy, sess, sf := proxySession(t)
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		os.Remove(name)
	})
	return proxy, sess, sf, f
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

// TestWriteToShortWriter: bytes that dst does not take stay in the File for the next read.
func TestWriteToShortWriter(t *testing.T) {
	_, sf := openSFTP(t, srv)
	name := srv.Path("shortwriter.bin")
	defer os.Remove(name)
	data := rdData(1<<20, 17)
	rdUpload(t, sf, name, data)
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got bytes.Buffer
	boom := errors.New("boom")
	n, err := f.WriteTo(writerFunc(func(p []byte) (int, error) {
		k := min(len(p), 1000)
		got.Write(p[:k])
		return k, boom
	}))
	if err != boom || n != 1000 {
		t.Fatalf("WriteTo into a failing writer = %d, %v; want 1000, boom", n, err)
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	got.Write(rest)
	rdSame(t, "bytes after a failed WriteTo", got.Bytes(), data)
}

// TestWriteToFailsWhileTheSessionIsHeld: when WriteTo's writer fails while another goroutine's
// operation holds the session (a Stat waiting on a stalled link, which nothing bounds), WriteTo
// returns the writer's error at once: it does not wait for the session to mark what the writer
// took. The File's next read, once the link is back, goes on right after those bytes.
func TestWriteToFailsWhileTheSessionIsHeld(t *testing.T) {
	data := rdData(1<<20, 19)
	proxy, sess, sf, f := proxiedFile(t, "held-writeto.bin", data)
	name := srv.Path("held-writeto.bin")
	var got bytes.Buffer
	boom := errors.New("boom")
	statDone := make(chan error, 1)
	dst := writerFunc(func(p []byte) (int, error) {
		k := min(len(p), 1000)
		got.Write(p[:k])
		proxy.SetPaused(true)
		go func() {
			_, err := sf.Stat(name)
			statDone <- err
		}()
		for deadline := time.Now().Add(5 * time.Second); !libssh2.SessionHeld(sess); {
			if time.Now().After(deadline) {
				t.Error("the Stat never took the session")
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // the Stat waits on the stalled link
		return k, boom
	})
	done := make(chan struct{})
	var n int64
	var err error
	go func() {
		defer close(done)
		n, err = f.WriteTo(dst)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		proxy.SetPaused(false)
		<-done
		t.Fatal("WriteTo waited for the session held by the Stat, after its writer failed")
	}
	if err != boom || n != 1000 {
		t.Fatalf("WriteTo into a failing writer = %d, %v; want 1000, boom", n, err)
	}
	proxy.SetPaused(false)
	if err := <-statDone; err != nil {
		t.Fatalf("the Stat on the link that came back: %v", err)
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	got.Write(rest)
	rdSame(t, "bytes after a WriteTo that failed while the session was held", got.Bytes(), data)
}

// TestReadAfterGrowth: libssh2 remembers end of file, so Read keeps returning io.EOF after the file
// grows; a Seek to the offset makes the next Read ask the server again and see the new bytes.
func TestReadAfterGrowth(t *testing.T) {
	_, sf := openSFTP(t, srv)
	name := srv.Path("growth.txt")
	defer os.Remove(name)
	rdUpload(t, sf, name, []byte("abc"))
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil || string(got) != "abc" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	w, err := sf.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Seek(3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("defg")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read after the file grew, without a Seek = %d, %v; want 0, io.EOF (libssh2 remembers end of file)", n, err)
	}
	if _, err := f.Seek(3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(f)
	if diff := cmp.Diff("defg", string(got)); diff != "" || err != nil {
		t.Errorf("ReadAll after Seek: %v (-want +got):\n%s", err, diff)
	}
}

// TestSetReadBuffer: the read buffer can be set within its bounds, and reading is exact with each.
func TestSetReadBuffer(t *testing.T) {
	_, sf := openSFTP(t, srv)
	for _, bad := range []int{0, 29999, 2<<20 + 1} {
		if err := sf.SetReadBuffer(bad); err == nil {
			t.Errorf("SetReadBuffer(%d) succeeded", bad)
		}
	}
	data := rdData(5<<20+17, 18)
	name := srv.Path("readbuffer.bin")
	defer os.Remove(name)
	rdUpload(t, sf, name, data)
	for _, size := range []int{30000, 100000, 2 << 20} {
		if err := sf.SetReadBuffer(size); err != nil {
			t.Fatalf("SetReadBuffer(%d): %v", size, err)
		}
		f, err := sf.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 33<<10)
		if _, err := io.ReadFull(f, head); err != nil {
			t.Fatal(err)
		}
		var rest bytes.Buffer
		if _, err := io.Copy(&rest, f); err != nil {
			t.Fatal(err)
		}
		rdSame(t, fmt.Sprintf("read with a %d-byte buffer", size), append(head, rest.Bytes()...), data)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDownloadMemoryBounded: the C memory libssh2 holds while downloading stays near the read-ahead
// (four times the read buffer), whatever the file's size.
func TestDownloadMemoryBounded(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := rdData(32<<20, 19)
	name := srv.Path("memory.bin")
	defer os.Remove(name)
	rdUpload(t, sf, name, data)
	for _, size := range []int{libssh2.DefaultReadBuffer, 2 << 20} {
		if err := sf.SetReadBuffer(size); err != nil {
			t.Fatal(err)
		}
		f, err := sf.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		before := cshim.LiveBytes()
		cshim.ResetPeakBytes()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			t.Fatal(err)
		}
		peak := cshim.PeakBytes() - before
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sha(data) {
			t.Fatalf("downloaded SHA-256 %s, want %s", got, sha(data))
		}
		// Four buffers of replies in flight, plus libssh2's transport buffers and bookkeeping.
		bound := int64(4*size + 1<<20)
		t.Logf("read buffer %d: C memory peaked %d bytes above the start (bound %d)", size, peak, bound)
		if peak > bound {
			t.Errorf("read buffer %d: libssh2 held %d bytes of C memory at the peak of a 32 MiB download, want at most %d", size, peak, bound)
		}
	}
	// A small file starts small: one request's buffer, four requests ahead.
	small := srv.Path("memory-small.bin")
	defer os.Remove(small)
	rdUpload(t, sf, small, data[:20000])
	f, err := sf.Open(small)
	if err != nil {
		t.Fatal(err)
	}
	before := cshim.LiveBytes()
	cshim.ResetPeakBytes()
	got, err := io.ReadAll(f)
	peak := cshim.PeakBytes() - before
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rdSame(t, "small file", got, data[:20000])
	t.Logf("small file: C memory peaked %d bytes above the start", peak)
	if peak > 200_000 {
		t.Errorf("reading a 20000-byte file took %d bytes of C memory at the peak, want under 200000", peak)
	}
}

// TestReadWriteSeekModel is a property test of an O_RDWR File against a model of os.File's
// semantics: random Writes, Reads, Seeks in every whence and ReadAts, with the offsets and bytes
// checked after each, and the server's file compared at the end. Seeds are logged.
func TestReadWriteSeekModel(t *testing.T) {
	_, sf := openSFTP(t, srv)
	seeds := 4
	if testing.Short() {
		seeds = 1
	}
	for i := 0; i < seeds; i++ {
		seed := uint64(time.Now().UnixNano()) + uint64(i)
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 99))
		name := srv.Path(fmt.Sprintf("model-%d.bin", i))
		f, err := sf.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		var model []byte
		pos := int64(0)
		size := func() int { // mostly small, sometimes several windows
			if rng.IntN(5) == 0 {
				return rng.IntN(3 << 20)
			}
			return rng.IntN(70000)
		}
		for op := 0; op < 120; op++ {
			what := ""
			switch k := rng.IntN(10); {
			case k < 3:
				p := rdData(size(), byte(op))
				what = fmt.Sprintf("Write(%d) at %d", len(p), pos)
				if n, err := f.Write(p); err != nil || n != len(p) {
					t.Fatalf("seed %d op %d: %s = %d, %v", seed, op, what, n, err)
				}
				if end := pos + int64(len(p)); len(p) > 0 && end > int64(len(model)) { // no bytes, no hole
					model = append(model, make([]byte, end-int64(len(model)))...)
				}
				if len(p) > 0 {
					copy(model[pos:], p)
				}
				pos += int64(len(p))
			case k < 6:
				p := make([]byte, size()+1)
				what = fmt.Sprintf("ReadFull(%d) at %d", len(p), pos)
				n, err := io.ReadFull(f, p)
				want := model[min(pos, int64(len(model))):min(pos+int64(len(p)), int64(len(model)))]
				if (len(want) == len(p) && err != nil) || (len(want) == 0 && err != io.EOF) ||
					(len(want) > 0 && len(want) < len(p) && err != io.ErrUnexpectedEOF) {
					t.Fatalf("seed %d op %d: %s = %d, %v with %d bytes left", seed, op, what, n, err, len(want))
				}
				rdSame(t, fmt.Sprintf("seed %d op %d: %s", seed, op, what), p[:n], want)
				pos += int64(n)
			case k < 8:
				whence := rng.IntN(3)
				target := rng.Int64N(int64(len(model)) + 50000)
				off := target
				switch whence {
				case io.SeekCurrent:
					off = target - pos
				case io.SeekEnd:
					off = target - int64(len(model))
				}
				what = fmt.Sprintf("Seek(%d, %d) from %d", off, whence, pos)
				if got, err := f.Seek(off, whence); err != nil || got != target {
					t.Fatalf("seed %d op %d: %s = %d, %v; want %d", seed, op, what, got, err, target)
				}
				pos = target
			default:
				off := rng.Int64N(int64(len(model)) + 100)
				p := make([]byte, size()+1)
				what = fmt.Sprintf("ReadAt(%d, %d)", len(p), off)
				n, err := f.ReadAt(p, off)
				want := model[min(off, int64(len(model))):min(off+int64(len(p)), int64(len(model)))]
				if (len(want) == len(p)) != (err == nil) || (err != nil && err != io.EOF) {
					t.Fatalf("seed %d op %d: %s = %d, %v with %d bytes there", seed, op, what, n, err, len(want))
				}
				rdSame(t, fmt.Sprintf("seed %d op %d: %s", seed, op, what), p[:n], want)
			}
			if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != pos {
				t.Fatalf("seed %d op %d: after %s the offset is %d, %v; want %d", seed, op, what, cur, err, pos)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		checkRemote(t, name, model)
		os.Remove(name)
	}
}

// TestInterruptedModel is TestReadWriteSeekModel over a link that stalls at random, with a short
// deadline on the stalled operations: every operation either completes or fails with
// os.ErrDeadlineExceeded, having done exactly what its counts say (the model follows them), and the
// next operations carry on with no byte lost, duplicated or misplaced.
func TestInterruptedModel(t *testing.T) {
	proxy, _, sf := proxySession(t)
	seed := uint64(time.Now().UnixNano())
	if env := os.Getenv("RD_SEED"); env != "" {
		fmt.Sscan(env, &seed)
	}
	t.Logf("seed %d", seed)
	var history []string
	defer func() {
		if t.Failed() {
			t.Logf("operations:\n%s", strings.Join(history, "\n"))
		}
	}()
	rng := rand.New(rand.NewPCG(seed, 7))
	name := srv.Path("interrupted-model.bin")
	defer os.Remove(name)
	f, err := sf.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	var model []byte
	pos := int64(0)
	size := func() int {
		if rng.IntN(3) == 0 {
			return rng.IntN(4 << 20)
		}
		return rng.IntN(100000)
	}
	stalls, failures := 0, 0
	for op := 0; op < 60; op++ {
		stalled := rng.IntN(3) == 0
		if stalled {
			stalls++
			proxy.SetPaused(true)
			f.SetDeadline(time.Now().Add(100 * time.Millisecond))
		}
		var what string
		var opErr error
		switch k := rng.IntN(10); {
		case k < 3:
			p := rdData(size(), byte(op))
			what = fmt.Sprintf("Write(%d) at %d", len(p), pos)
			n, err := f.Write(p)
			opErr = err
			if n > 0 { // no bytes, no hole
				if end := pos + int64(n); end > int64(len(model)) {
					model = append(model, make([]byte, end-int64(len(model)))...)
				}
				copy(model[pos:], p[:n])
			}
			pos += int64(n)
		case k < 6:
			p := make([]byte, size()+1)
			what = fmt.Sprintf("ReadFull(%d) at %d", len(p), pos)
			n, err := io.ReadFull(f, p)
			want := model[min(pos, int64(len(model))):min(pos+int64(n), int64(len(model)))]
			rdSame(t, fmt.Sprintf("op %d: %s", op, what), p[:n], want)
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				if pos+int64(n) < int64(len(model)) {
					t.Fatalf("op %d: %s = %d, %v before the end (%d)", op, what, n, err, len(model))
				}
				err = nil
			}
			opErr = err
			pos += int64(n)
		case k < 8:
			whence := rng.IntN(3)
			target := rng.Int64N(int64(len(model)) + 50000)
			off := target
			switch whence {
			case io.SeekCurrent:
				off = target - pos
			case io.SeekEnd:
				off = target - int64(len(model))
			}
			what = fmt.Sprintf("Seek(%d, %d) from %d", off, whence, pos)
			got, err := f.Seek(off, whence)
			opErr = err
			if err == nil {
				if got != target {
					t.Fatalf("op %d: %s = %d; want %d", op, what, got, target)
				}
				pos = target
			}
		default:
			off := rng.Int64N(int64(len(model)) + 100)
			p := make([]byte, size()+1)
			what = fmt.Sprintf("ReadAt(%d, %d)", len(p), off)
			n, err := f.ReadAt(p, off)
			want := model[min(off, int64(len(model))):min(off+int64(n), int64(len(model)))]
			rdSame(t, fmt.Sprintf("op %d: %s", op, what), p[:n], want)
			if err == io.EOF {
				if off+int64(n) < int64(len(model)) {
					t.Fatalf("op %d: %s = %d, io.EOF before the end (%d)", op, what, n, len(model))
				}
				err = nil
			}
			opErr = err
		}
		if stalled {
			proxy.SetPaused(false)
			f.SetDeadline(time.Time{})
		}
		history = append(history, fmt.Sprintf("op %d stalled=%v %s: %v (offset now %d, size %d)", op, stalled, what, opErr, pos, len(model)))
		if opErr != nil {
			failures++
			var e *libssh2.Error
			if !stalled || !errors.Is(opErr, os.ErrDeadlineExceeded) || !errors.As(opErr, &e) {
				t.Fatalf("op %d (stalled %v): %s: %v", op, stalled, what, opErr)
			}
		}
		if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != pos {
			t.Fatalf("op %d: after %s (error %v) the offset is %d, %v; want %d", op, what, opErr, cur, err, pos)
		}
	}
	t.Logf("%d operations stalled, %d of them failed by the deadline", stalls, failures)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	checkRemote(t, name, model)
}

// TestSeekEndDeadline: a Seek relative to the end whose fstat is cut short by the deadline fails
// without moving the File; the session's next operation completes the fstat, and everything goes on.
func TestSeekEndDeadline(t *testing.T) {
	_, sf0 := openSFTP(t, srv)
	name, other := srv.Path("seekend-deadline.bin"), srv.Path("seekend-other.bin")
	defer os.Remove(name)
	defer os.Remove(other)
	data := rdData(100000, 20)
	rdUpload(t, sf0, name, data)
	rdUpload(t, sf0, other, []byte("other"))

	proxy, _, sf := proxySession(t)
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(500, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	proxy.SetPaused(true)
	f.SetDeadline(time.Now().Add(200 * time.Millisecond))
	_, err = f.Seek(-10, io.SeekEnd)
	var e *libssh2.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &e) {
		t.Fatalf("Seek(-10, io.SeekEnd) with the link stalled = %v, want an *Error wrapping os.ErrDeadlineExceeded", err)
	}
	proxy.SetPaused(false)
	f.SetDeadline(time.Time{})
	g, err := sf.Open(other)
	if err != nil {
		t.Fatalf("Open after the interrupted fstat: %v", err)
	}
	if got, err := io.ReadAll(g); err != nil || string(got) != "other" {
		t.Fatalf("reading another file after the interrupted fstat = %q, %v", got, err)
	}
	g.Close()
	if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != 500 {
		t.Errorf("offset after the failed Seek = %d, %v; want 500", cur, err)
	}
	if end, err := f.Seek(-10, io.SeekEnd); err != nil || end != int64(len(data))-10 {
		t.Fatalf("Seek(-10, io.SeekEnd) = %d, %v; want %d", end, err, len(data)-10)
	}
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	rdSame(t, "the last 10 bytes", got, data[len(data)-10:])
}

// TestWriteToWithParallelReadAt: ReadAt calls in other goroutines, running while WriteTo hands its
// buffer to a slow destination with the session unlocked, neither disturb the sequential download
// nor get wrong bytes.
func TestWriteToWithParallelReadAt(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := rdData(8<<20+3, 21)
	name := srv.Path("writeto-readat.bin")
	defer os.Remove(name)
	rdUpload(t, sf, name, data)
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var during atomic.Int64 // ReadAt calls that completed while WriteTo ran
	for g := uint64(0); g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, g))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				off := rng.Int64N(int64(len(data)))
				p := make([]byte, rng.IntN(100000)+1)
				n, err := f.ReadAt(p, off)
				want := data[off:min(off+int64(len(p)), int64(len(data)))]
				if err != nil && !(err == io.EOF && len(want) < len(p)) {
					t.Errorf("goroutine %d: ReadAt(%d, %d) = %d, %v", g, len(p), off, n, err)
					return
				}
				rdSame(t, fmt.Sprintf("goroutine %d: ReadAt(%d, %d)", g, len(p), off), p[:n], want)
				during.Add(1)
			}
		}()
	}
	var got bytes.Buffer
	n, err := f.WriteTo(writerFunc(func(p []byte) (int, error) {
		time.Sleep(time.Millisecond) // a slow destination: ReadAt runs meanwhile
		return got.Write(p)
	}))
	ran := during.Load()
	close(stop)
	wg.Wait()
	t.Logf("%d ReadAt calls completed while WriteTo ran", ran)
	if ran == 0 {
		t.Error("no ReadAt completed while WriteTo ran: the test proved nothing")
	}
	if err != nil || n != int64(len(data)) {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	rdSame(t, "WriteTo with ReadAt in parallel", got.Bytes(), data)
}

// TestReadAfterTruncate: Truncate drops what was read ahead, so Read sees the file as it is now and
// the offset stays where it was, as with os.File.
func TestReadAfterTruncate(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := rdData(1<<20, 22)
	name := srv.Path("truncate-read.bin")
	defer os.Remove(name)
	rdUpload(t, sf, name, data)
	f, err := sf.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := make([]byte, 1000)
	if _, err := io.ReadFull(f, p); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3000); err != nil {
		t.Fatal(err)
	}
	if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != 1000 {
		t.Errorf("offset after Truncate = %d, %v; want 1000", cur, err)
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	rdSame(t, "read after Truncate(3000)", rest, data[1000:3000])
	if err := f.Truncate(500); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Read(p); n != 0 || err != io.EOF {
		t.Errorf("Read at 3000 after Truncate(500) = %d, %v; want 0, io.EOF", n, err)
	}
}

// TestRawReadNonblocking reads a file the way libssh2's example/sftp_nonblock.c does: RawRead until
// it would block, WaitSocket, again. An idiomatic call on the session after the first ErrWouldBlock
// completes the unfinished read itself and keeps its bytes for the next RawRead.
func TestRawReadNonblocking(t *testing.T) {
	// Replies arrive 5 ms late, so libssh2 finds none waiting right after it asks: ErrWouldBlock
	// is certain, not a matter of timing.
	_, sess, sf := proxySession(t, tcpproxy.ReplyDelay(5*time.Millisecond))
	data := rdData(4<<20+3, 23)
	name, other := srv.Path("raw-nonblock.bin"), srv.Path("raw-other.txt")
	defer os.Remove(name)
	defer os.Remove(other)
	rdUpload(t, sf, name, data)
	rdUpload(t, sf, other, []byte("other"))
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sess.SetNonblocking(true)
	var got []byte
	p := make([]byte, 100000)
	wouldBlock, interleaved := 0, false
	for {
		n, err := f.RawRead(p)
		got = append(got, p[:n]...)
		if err == io.EOF {
			break
		}
		if errors.Is(err, libssh2.ErrWouldBlock) {
			wouldBlock++
			if !interleaved {
				// Another File's Open and Read complete f's read first (waiting, as idiomatic calls do).
				interleaved = true
				g, err := sf.Open(other)
				if err != nil {
					t.Fatalf("Open in the middle of a non-blocking read: %v", err)
				}
				if b, err := io.ReadAll(g); err != nil || string(b) != "other" {
					t.Fatalf("reading another file in the middle = %q, %v", b, err)
				}
				g.Close()
				continue
			}
			if err := sess.WaitSocket(context.Background()); err != nil {
				t.Fatalf("WaitSocket: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("RawRead at %d: %v", len(got), err)
		}
	}
	sess.SetNonblocking(false)
	if wouldBlock == 0 || !interleaved {
		t.Errorf("%d ErrWouldBlock, interleaved %v: the non-blocking path was not exercised", wouldBlock, interleaved)
	}
	t.Logf("%d ErrWouldBlock", wouldBlock)
	rdSame(t, "bytes read with RawRead", got, data)
}

// TestRawReadWriteMixed: blocking RawRead mixes with Read, and RawWrite after reading writes at the
// File's offset (the read-ahead in flight does not confuse libssh2's write).
func TestRawReadWriteMixed(t *testing.T) {
	_, sf := openSFTP(t, srv)
	data := rdData(1<<20, 24)
	name := srv.Path("raw-mixed.bin")
	defer os.Remove(name)
	rdUpload(t, sf, name, data)
	f, err := sf.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := make([]byte, 777)
	if _, err := io.ReadFull(f, a); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5000)
	n, err := f.RawRead(b) // from the File's buffer
	if err != nil {
		t.Fatal(err)
	}
	rdSame(t, "Read then RawRead", append(a, b[:n]...), data[:777+n])
	pos := 777 + n
	patch := bytes.Repeat([]byte("raw"), 30000)
	for off := 0; off < len(patch); {
		k, err := f.RawWrite(patch[off:])
		if err != nil {
			t.Fatal(err)
		}
		off += k
	}
	if cur, err := f.Seek(0, io.SeekCurrent); err != nil || cur != int64(pos+len(patch)) {
		t.Errorf("offset after RawWrite = %d, %v; want %d", cur, err, pos+len(patch))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(data)
	copy(want[pos:], patch)
	checkRemote(t, name, want)
}
