package libssh2_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// TestRekeys moves files through an sshd that renews its keys every few megabytes (RekeyLimit),
// one stream through a File and several through Upload and Download at once, and wants every byte
// exact, with the rekeys seen in sshd's log. libssh2 releases up to 1.11.1 are reported to deadlock
// when a key exchange starts while a channel packet is partly sent (docs/DESIGN.md, fact 13): each
// transfer is bounded, so such a hang fails the test instead of stalling it.
func TestRekeys(t *testing.T) {
	for _, limit := range []string{"16M", "1M"} {
		t.Run("RekeyLimit "+limit, func(t *testing.T) {
			s := sshd.StartT(t, sshd.Options{LogLevel: "DEBUG1", ExtraConfig: []string{"RekeyLimit " + limit}})
			cfg := config(t, s)
			sess := dial(t, s, cfg)
			sf, err := sess.SFTP()
			if err != nil {
				t.Fatal(err)
			}
			size := 36 << 20 // two rekeys each way at least
			if limit == "1M" {
				size = 8 << 20
			}
			local, data := randomFile(t, size)
			rekeys := func() int { return strings.Count(s.Log(), "ssh_set_newkeys: rekeying out") }
			// least: the rekeys wanted; split over several sessions, fewer bytes cross each one.
			bounded := func(name string, least int, run func(ctx context.Context) error) {
				t.Helper()
				before := rekeys()
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				defer cancel()
				if err := run(ctx); err != nil {
					if ctx.Err() != nil {
						t.Fatalf("%s through %s rekeys stalled for 90 s (%d rekeys done): %v", name, limit, rekeys()-before, err)
					}
					t.Fatalf("%s: %v", name, err)
				}
				if n := rekeys() - before; n < least {
					t.Errorf("%s: sshd renewed its keys %d times, want at least %d (RekeyLimit %s)", name, n, least, limit)
				}
			}
			remote := s.Path("rekey.bin")
			bounded("upload through a File", 2, func(ctx context.Context) error {
				f, err := sf.Create(remote)
				if err != nil {
					return err
				}
				if _, err := f.ReadFromContext(ctx, bytes.NewReader(data)); err != nil {
					f.Close()
					return err
				}
				return f.Close()
			})
			checkRemote(t, remote, data)
			bounded("download through a File", 2, func(ctx context.Context) error {
				f, err := sf.Open(remote)
				if err != nil {
					return err
				}
				defer f.Close()
				var got bytes.Buffer
				if _, err := f.WriteToContext(ctx, &got); err != nil {
					return err
				}
				if !bytes.Equal(got.Bytes(), data) {
					t.Errorf("the download through a File differs (%d bytes, want %d)", got.Len(), len(data))
				}
				return nil
			})

			restore := libssh2.GrowAlways()
			defer restore()
			opt := &libssh2.TransferOptions{NewSession: func(ctx context.Context) (*libssh2.Session, error) {
				return libssh2.Dial(ctx, "tcp", s.Addr, cfg)
			}}
			if limit == "16M" {
				// Two streams of about 18 MiB each: four would each move less than the limit.
				opt.MaxStreams = 2
			}
			src, err := os.Open(local)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			remote2 := s.Path("rekey-streams.bin")
			bounded("Upload over several sessions", 1, func(ctx context.Context) error {
				_, err := sf.Upload(ctx, remote2, slowReaderAt{src}, int64(size), opt)
				return err
			})
			checkRemote(t, remote2, data)
			dst := filepath.Join(t.TempDir(), "dst.bin")
			bounded("Download over several sessions", 1, func(ctx context.Context) error {
				out, err := os.Create(dst)
				if err != nil {
					return err
				}
				defer out.Close()
				_, err = sf.Download(ctx, remote2, slowWriterAt{out}, opt)
				return err
			})
			if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
				t.Errorf("the download over several sessions differs (%d bytes, %v)", len(got), err)
			}
		})
	}
}

// TestRekeyWithShortSends renews the keys every 256 KiB while the link pauses often and the
// socket buffers on the way are 4 KiB, so that libssh2's sends come out short and key exchanges begin while a
// packet is partly sent: the case of libssh2's rekey deadlock (docs/DESIGN.md, fact 13). Every
// upload must arrive exact, within its bound.
func TestRekeyWithShortSends(t *testing.T) {
	s := sshd.StartT(t, sshd.Options{LogLevel: "DEBUG1", ExtraConfig: []string{"RekeyLimit 256K"}})
	proxy, _, sf := smallBufferSession(t, s)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				proxy.SetPaused(false)
				return
			case <-time.After(20 * time.Millisecond):
				proxy.SetPaused(true)
				time.Sleep(20 * time.Millisecond)
				proxy.SetPaused(false)
			}
		}
	}()
	defer close(stop)
	before := strings.Count(s.Log(), "rekeying out")
	_, data := randomFile(t, 16<<20)
	for round := 0; round < 3; round++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		f, err := sf.Create(s.Path("probe.bin"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.ReadFromContext(ctx, bytes.NewReader(data))
		if err == nil {
			err = f.Close()
		} else {
			f.Close()
		}
		cancel()
		if err != nil {
			t.Fatalf("round %d (libssh2 %s, %d rekeys so far): %v", round, libssh2.Version(), strings.Count(s.Log(), "rekeying out"), err)
		}
		checkRemote(t, s.Path("probe.bin"), data)
	}
	if n := strings.Count(s.Log(), "rekeying out") - before; n < 50 {
		t.Errorf("sshd renewed its keys %d times during the uploads, want at least 50", n)
	}
}
