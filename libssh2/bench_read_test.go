package libssh2_test

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// benchDownload uploads benchSize pseudo-random bytes once, then downloads them with copyFn into
// io.Discard in every iteration.
func benchDownload(b *testing.B, copyFn func(w io.Writer, r io.Reader) (int64, error)) {
	_, sf := openSFTP(b, srv)
	name := srv.Path("bench-download.bin")
	f, err := sf.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, &benchSource{rng: rand.NewChaCha8([32]byte{10}), left: benchSize}); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	defer os.Remove(name)
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		if copyFn == nil {
			n, err := sf.Download(context.Background(), name, discardAt{}, nil)
			if err != nil || n != benchSize {
				b.Fatalf("downloaded %d bytes, %v; want %d", n, err, benchSize)
			}
			continue
		}
		f, err := sf.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		n, err := copyFn(io.Discard, f)
		if err != nil || n != benchSize {
			b.Fatalf("downloaded %d bytes, %v; want %d", n, err, benchSize)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownloadCopy downloads through io.Copy, which takes File.WriteTo.
func BenchmarkDownloadCopy(b *testing.B) { benchDownload(b, io.Copy) }

// BenchmarkDownloadRead32K downloads with 32 KiB Reads (io.CopyBuffer with the File hidden behind
// a plain io.Reader, so WriteTo is not used).
func BenchmarkDownloadRead32K(b *testing.B) {
	benchDownload(b, func(w io.Writer, r io.Reader) (int64, error) {
		return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, make([]byte, 32<<10))
	})
}

// discardAt is an io.WriterAt that keeps nothing.
type discardAt struct{}

func (discardAt) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }

// BenchmarkDownloadTransfer downloads with SFTP.Download and its defaults: on loopback one stream,
// which should cost what io.Copy does (BenchmarkDownloadCopy).
func BenchmarkDownloadTransfer(b *testing.B) {
	benchDownload(b, nil)
}

var _ io.WriterTo = (*libssh2.File)(nil)
