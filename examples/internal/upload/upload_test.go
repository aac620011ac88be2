package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

func TestSize(t *testing.T) {
	got := []string{Size(0), Size(1023), Size(1024), Size(1536), Size(256 << 20), Size(3 << 40)}
	want := []string{"0 B", "1023 B", "1.0 KiB", "1.5 KiB", "256.0 MiB", "3.0 TiB"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Size (-want +got):\n%s", diff)
	}
	if got := shorten("/a/long/path/file.bin", 12); got != ".../file.bin" {
		t.Errorf("shorten to 12 = %q, want .../file.bin", got)
	}
	if got := shorten("/dir/été.bin", 8); got != "....bin" { // 8 bytes would end in half an é
		t.Errorf("shorten cut a character in two: %q", got)
	}
	if got := shorten("short", 0); got != "short" {
		t.Errorf("shorten without a limit = %q", got)
	}
	if got := clock(83 * time.Second); got != "1:23" {
		t.Errorf("clock(83s) = %q", got)
	}
	if got := clock(3723 * time.Second); got != "1:02:03" {
		t.Errorf("clock(3723s) = %q", got)
	}
}

func openSFTP(t *testing.T) (*sshd.Server, *libssh2.SFTP) {
	srv := sshd.StartT(t, sshd.Options{})
	hostKeys, err := libssh2.KnownHosts(srv.KnownHostsPath)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := libssh2.Dial(context.Background(), "tcp", srv.Addr, &libssh2.Config{
		User:            srv.User,
		Auth:            []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.KeyPath, "")},
		HostKeyCallback: hostKeys,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	return srv, sf
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestPut(t *testing.T) {
	srv, sf := openSFTP(t)
	data := bytes.Repeat([]byte("0123456789"), 300001)

	var summary bytes.Buffer
	res, err := Put(context.Background(), sf, srv.Path("put.bin"), bytes.NewReader(data), int64(len(data)), Options{Name: "put.bin", Summary: &summary})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(srv.Path("put.bin"))
	if !bytes.Equal(got, data) || res.Sent != int64(len(data)) {
		t.Errorf("uploaded %d bytes (Sent %d), want %d identical", len(got), res.Sent, len(data))
	}
	if !strings.HasPrefix(summary.String(), "put.bin  2.9 MiB  ") {
		t.Errorf("summary %q", summary.String())
	}

	// A reading error is reported as it is, not as an interruption.
	boom := errors.New("disk on fire")
	_, err = Put(context.Background(), sf, srv.Path("fail.bin"), &failingReader{data[:100000], boom}, int64(len(data)), Options{})
	var ie *InterruptedError
	if !errors.Is(err, boom) || errors.As(err, &ie) {
		t.Errorf("Put with a failing reader: %v, want the reader's error", err)
	}

	// A size that does not match what was read is an error.
	_, err = Put(context.Background(), sf, srv.Path("short.bin"), bytes.NewReader(data[:10]), 11, Options{})
	if err == nil || !strings.Contains(err.Error(), "changed during the upload") {
		t.Errorf("Put of 10 bytes announced as 11: %v", err)
	}

	// Cancelled half-way: what was read is on the server, exactly.
	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelAfter{r: bytes.NewReader(data), n: 1 << 20, cancel: cancel}
	_, err = Put(ctx, sf, srv.Path("cut.bin"), r, int64(len(data)), Options{})
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Put cancelled: %v, want an *InterruptedError", err)
	}
	got, _ = os.ReadFile(srv.Path("cut.bin"))
	if int64(len(got)) != ie.Durable || !bytes.Equal(got, data[:len(got)]) || ie.Durable < 1<<20 {
		t.Errorf("after the interruption the server has %d bytes, report says %d; want an exact prefix of at least 1 MiB", len(got), ie.Durable)
	}
}

// cancelAfter cancels once n bytes are read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n -= k
	if c.n <= 0 {
		c.cancel()
	}
	return k, err
}
