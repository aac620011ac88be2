package libssh2_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// sftpErr returns err as a *libssh2.Error, failing the test when it is not one.
func sftpErr(t *testing.T, err error) *libssh2.Error {
	t.Helper()
	var e *libssh2.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *libssh2.Error", err, err)
	}
	return e
}

// readOnlySFTP opens SFTP with srv's read-only key (sftp-server -R).
func readOnlySFTP(t *testing.T) *libssh2.SFTP {
	t.Helper()
	cfg := config(t, srv)
	cfg.Auth = []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.ReadOnlyKeyPath, "")}
	sf, err := dial(t, srv, cfg).SFTP()
	if err != nil {
		t.Fatal(err)
	}
	return sf
}

func TestMkdir(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	name := filepath.Join(dir, "new")
	if err := sf.Mkdir(name, 0o750); err != nil {
		t.Fatalf("Mkdir: %v", err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatalf("the directory is not there: %v", err)
	}
	if fi.Mode() != fs.ModeDir|0o750 {
		t.Errorf("mode %v, want drwxr-x---", fi.Mode())
	}
	err = sf.Mkdir(name, 0o750)
	if e := sftpErr(t, err); e.Op != "mkdir" || e.Path != name || e.Code != libssh2.ErrorSFTPProtocol || e.Status != libssh2.FXFailure {
		t.Errorf("Mkdir of an existing directory = %v; want op mkdir, the path and LIBSSH2_FX_FAILURE (OpenSSH's answer to EEXIST)", err)
	}
	if err := sf.Mkdir(filepath.Join(dir, "no/such/parent"), 0o755); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Mkdir under a missing parent = %v, want fs.ErrNotExist", err)
	}
}

func TestMkdirAll(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	deep := filepath.Join(dir, "a/b/c/d")
	if err := sf.MkdirAll(deep, 0o755); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	for _, p := range []string{"a", "a/b", "a/b/c", "a/b/c/d"} {
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || !fi.IsDir() {
			t.Errorf("%s after MkdirAll: %v, %v", p, fi, err)
		}
	}
	// Trailing slashes and an existing path are fine, as with os.MkdirAll.
	for _, p := range []string{deep, deep + "/", dir, "/"} {
		if err := sf.MkdirAll(p, 0o755); err != nil {
			t.Errorf("MkdirAll(%q) on an existing directory = %v, want nil", p, err)
		}
	}
	if err := sf.MkdirAll(filepath.Join(dir, "x/y/"), 0o755); err != nil {
		t.Errorf("MkdirAll with a trailing slash: %v", err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, filepath.Join(file, "sub"), filepath.Join(file, "sub/deeper")} {
		err := sf.MkdirAll(p, 0o755)
		if err == nil {
			t.Errorf("MkdirAll(%q) through a file succeeded", p)
			continue
		}
		if e := sftpErr(t, err); e.Op != "mkdir" {
			t.Errorf("MkdirAll(%q) through a file: op %q in %v", p, e.Op, err)
		}
	}
	if err := sf.MkdirAll(file, 0o755); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("MkdirAll on a file = %v, want ENOTDIR", err)
	}
}

func TestRemove(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	file := filepath.Join(dir, "file")
	empty := filepath.Join(dir, "empty")
	full := filepath.Join(dir, "full")
	for _, err := range []error{
		os.WriteFile(file, []byte("x"), 0o644),
		os.Mkdir(empty, 0o755),
		os.Mkdir(full, 0o755),
		os.WriteFile(filepath.Join(full, "inside"), nil, 0o644),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{file, empty} {
		if err := sf.Remove(p); err != nil {
			t.Errorf("Remove(%s): %v", p, err)
		}
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still there after Remove: %v", p, err)
		}
	}

	err := sf.Remove(full)
	e := sftpErr(t, err)
	got := [4]any{e.Op, e.Path, e.Code, e.Status}
	// OpenSSH's sftp-server answers ENOTEMPTY with LIBSSH2_FX_FAILURE (protocol version 3 has no
	// DIR_NOT_EMPTY).
	if diff := cmp.Diff([4]any{"remove", full, libssh2.ErrorSFTPProtocol, libssh2.FXFailure}, got); diff != "" {
		t.Errorf("Remove of a non-empty directory: %v (-want +got):\n%s", err, diff)
	}
	if _, err := os.Stat(filepath.Join(full, "inside")); err != nil {
		t.Errorf("Remove of a non-empty directory lost its content: %v", err)
	}

	err = sf.Remove(filepath.Join(dir, "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a missing file = %v, want fs.ErrNotExist", err)
	}
	if e := sftpErr(t, err); e.Op != "remove" || e.Status != libssh2.FXNoSuchFile {
		t.Errorf("Remove of a missing file: %v", err)
	}

	// The read-only server refuses both unlink and rmdir.
	ro := readOnlySFTP(t)
	keep := filepath.Join(full, "inside")
	if err := ro.Remove(keep); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Remove on the read-only server = %v, want fs.ErrPermission", err)
	}
	if err := ro.Remove(empty + "2"); err == nil {
		t.Errorf("Remove of a missing file on the read-only server succeeded")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the read-only server removed the file: %v", err)
	}
}
