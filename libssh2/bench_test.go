package libssh2_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// benchSource streams size pseudo-random bytes, as a file being uploaded would.
type benchSource struct {
	rng  *rand.ChaCha8
	left int64
}

func (s *benchSource) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	s.rng.Read(p)
	s.left -= int64(len(p))
	return len(p), nil
}

const benchSize = 64 << 20

func benchUpload(b *testing.B, copyFn func(w io.Writer, r io.Reader) (int64, error)) {
	_, sf := openSFTP(b, srv)
	name := srv.Path("bench.bin")
	b.SetBytes(benchSize)
	for b.Loop() {
		f, err := sf.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := copyFn(f, &benchSource{rng: rand.NewChaCha8([32]byte{9}), left: benchSize}); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	os.Remove(name)
}

// BenchmarkUploadCopy uploads through io.Copy, which takes File.ReadFrom.
func BenchmarkUploadCopy(b *testing.B) { benchUpload(b, io.Copy) }

// BenchmarkUploadWrite32K uploads with 32 KiB Writes.
func BenchmarkUploadWrite32K(b *testing.B) {
	benchUpload(b, func(w io.Writer, r io.Reader) (int64, error) {
		return io.CopyBuffer(struct{ io.Writer }{w}, r, make([]byte, 32<<10))
	})
}

// BenchmarkSmallFile uploads one 4 KiB file per operation (Create, Write, Close: three round trips),
// as a tree of small files does on one session: its time per operation is the binding's cost per
// round trip on top of the server's.
func BenchmarkSmallFile(b *testing.B) {
	_, sf := openSFTP(b, srv)
	name := srv.Path("small.bin")
	data := make([]byte, 4096)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := sf.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	os.Remove(name)
}

// BenchmarkBatchSmallFiles runs one 4 KiB file per operation (Create, Write, Close) as jobs of one
// Batch on one session, with one SFTP channel and with the default lanes (docs/DESIGN.md, "Lanes"),
// which a Batch opens on loopback only when told to (GrowAlways).
func BenchmarkBatchSmallFiles(b *testing.B) {
	for _, lanes := range []int{1, libssh2.DefaultBatchLanes} {
		b.Run(fmt.Sprintf("lanes=%d", lanes), func(b *testing.B) {
			_, sf := openSFTP(b, srv)
			dir := srv.Path(fmt.Sprintf("batch-bench-%d", lanes))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			defer os.RemoveAll(dir)
			data := make([]byte, 4096)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			defer libssh2.GrowAlways()() // lanes even on loopback
			batch := sf.NewBatch(context.Background(), &libssh2.TransferOptions{MaxStreams: 1, Lanes: lanes})
			i := 0
			for b.Loop() {
				name := filepath.Join(dir, strconv.Itoa(i%1000))
				i++
				batch.Go(func(ctx context.Context, sf *libssh2.SFTP) error { return putJob(ctx, sf, name, data) })
			}
			if err := batch.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
