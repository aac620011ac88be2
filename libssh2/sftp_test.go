package libssh2_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

func TestOpenMissingDirectory(t *testing.T) {
	_, sf := openSFTP(t, srv)
	name := srv.Path("no/such/dir/file")
	_, err := sf.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("OpenFile in a missing directory = %v, want fs.ErrNotExist", err)
	}
	var e *libssh2.Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not *libssh2.Error", err)
	}
	got := struct {
		Op, Path string
		Code     int
		Status   libssh2.Status
	}{e.Op, e.Path, int(e.Code), e.Status}
	want := struct {
		Op, Path string
		Code     int
		Status   libssh2.Status
	}{"open", name, -31, libssh2.FXNoSuchFile}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error fields (-want +got):\n%s", diff)
	}
	for _, part := range []string{"open", name, "LIBSSH2_ERROR_SFTP_PROTOCOL", "-31", "LIBSSH2_FX_NO_SUCH_FILE"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not name %q", err, part)
		}
	}
}

func TestCreateReadOnly(t *testing.T) {
	cfg := config(t, srv)
	cfg.Auth = []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.ReadOnlyKeyPath, "")}
	sess := dial(t, srv, cfg)
	sf, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	_, err = sf.Create(srv.Path("readonly.txt"))
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Create on a read-only server = %v, want fs.ErrPermission", err)
	}
}

func TestBadNames(t *testing.T) {
	_, sf := openSFTP(t, srv)
	for _, name := range []string{"", "a\x00b"} {
		if _, err := sf.Create(name); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
	}
}

func TestClosedObjects(t *testing.T) {
	sess, sf := openSFTP(t, srv)
	f, err := sf.Create(srv.Path("closed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for name, err := range map[string]error{
		"file Close":    f.Close(),
		"write":         func() error { _, err := f.Write([]byte("x")); return err }(),
		"raw write":     func() error { _, err := f.RawWrite([]byte("x")); return err }(),
		"sftp Close":    sf.Close(),
		"sftp Close 2":  sf.Close(),
		"create":        func() error { _, err := sf.Create(srv.Path("x")); return err }(),
		"session Close": sess.Close(),
	} {
		if name == "sftp Close" || name == "session Close" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s after Close = %v, want fs.ErrClosed", name, err)
		}
	}
	var nilFile *libssh2.File
	if _, err := nilFile.Write([]byte("x")); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Write on a nil *File = %v, want fs.ErrInvalid", err)
	}
}

// rawUpload writes data with RawWrite the way libssh2's sftp_write_sliding.c does: a bounded window
// passed again from the first unacknowledged byte after every call.
func rawUpload(t *testing.T, f *libssh2.File, data []byte, window int) {
	t.Helper()
	off := 0
	for off < len(data) {
		end := min(off+window, len(data))
		n, err := f.RawWrite(data[off:end])
		if err != nil {
			t.Fatalf("RawWrite at %d: %v", off, err)
		}
		if n < 0 || n > end-off {
			t.Fatalf("RawWrite returned %d for %d bytes", n, end-off)
		}
		off += n
	}
}

func TestRawWriteSizes(t *testing.T) {
	_, sf := openSFTP(t, srv)
	for _, size := range []int{0, 1, 29999, 30000, 30001, 65536, 1<<20 + 7} {
		data := make([]byte, size)
		rng := rand.NewChaCha8([32]byte{byte(size), byte(size >> 8), byte(size >> 16)})
		rng.Read(data)
		name := srv.Path("raw-" + itoa(size))
		f, err := sf.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		rawUpload(t, f, data, 4*30000)
		if err := f.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		sum := sha256.Sum256(data)
		got, err := srv.SHA256(name)
		if err != nil {
			t.Fatal(err)
		}
		if want := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("size %d: server SHA-256 %s, want %s", size, got, want)
		}
	}
}

// TestRawWriteNonblocking drives RawWrite as libssh2's sftp_write_nonblock.c does: on ErrWouldBlock,
// wait for the socket and repeat the call with the same bytes.
func TestRawWriteNonblocking(t *testing.T) {
	sess, sf := openSFTP(t, srv)
	name := srv.Path("nonblock.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	sess.SetNonblocking(true)
	data := make([]byte, 4<<20+3)
	rand.NewChaCha8([32]byte{11}).Read(data)
	wouldBlock := rawWriteAll(t, sess, f, data, 8*30000)
	sess.SetNonblocking(false)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if wouldBlock == 0 {
		t.Errorf("4 MiB went out without a single ErrWouldBlock: the non-blocking path was not exercised")
	}
	checkRemote(t, name, data)
}

// rawWriteAll writes data with non-blocking RawWrites of at most window bytes, as libssh2's
// sftp_write_nonblock.c does: on ErrWouldBlock it waits for the socket and repeats the call with the
// same bytes. It returns how many calls said ErrWouldBlock.
func rawWriteAll(t *testing.T, sess *libssh2.Session, f *libssh2.File, data []byte, window int) (wouldBlock int) {
	t.Helper()
	for off := 0; off < len(data); {
		n, err := f.RawWrite(data[off:min(off+window, len(data))])
		if errors.Is(err, libssh2.ErrWouldBlock) {
			wouldBlock++
			if err := sess.WaitSocket(context.Background()); err != nil {
				t.Fatalf("WaitSocket: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("RawWrite at %d: %v", off, err)
		}
		off += n
	}
	return wouldBlock
}

// TestOpenFileFlags: flags that SFTP cannot express are refused with an *Error wrapping
// fs.ErrInvalid before anything is sent, instead of being dropped; the session works on.
func TestOpenFileFlags(t *testing.T) {
	proxy, _, sf := proxySession(t)
	name := srv.Path("flags.txt")
	if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sent := proxy.BytesUp()
	for _, flag := range []int{
		os.O_RDONLY | os.O_SYNC,
		os.O_WRONLY | syscall.O_NONBLOCK,
		os.O_RDWR | syscall.O_NOCTTY,
		os.O_WRONLY | os.O_CREATE | syscall.O_DIRECTORY,
		os.O_RDONLY | 1<<29,
		os.O_WRONLY | os.O_RDWR,
	} {
		f, err := sf.OpenFileContext(context.Background(), name, flag, 0o644)
		var e *libssh2.Error
		if err == nil {
			f.Close()
			t.Errorf("OpenFile(%#x) succeeded", flag)
			continue
		}
		if !errors.As(err, &e) || !errors.Is(err, fs.ErrInvalid) || e.Op != "open" || e.Path != name {
			t.Errorf("OpenFile(%#x) = %v, want an *Error of op open on %s wrapping fs.ErrInvalid", flag, err, name)
		}
	}
	if got := proxy.BytesUp(); got != sent {
		t.Errorf("refused OpenFile calls sent %d bytes", got-sent)
	}
	f, err := sf.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		t.Fatalf("OpenFile with valid flags after the refusals: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
