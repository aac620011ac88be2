package libssh2_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

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

// manyNames returns n distinct file names whose lengths run through 1 to 255 bytes.
func manyNames(n int) []string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	names := make([]string, n)
	for i := range names {
		length, k := 1+i%255, i/255
		var b []byte
		for {
			b = append([]byte{digits[k%62]}, b...)
			k /= 62
			if k == 0 {
				break
			}
		}
		names[i] = strings.Repeat("_", length-len(b)) + string(b)
	}
	return names
}

func TestReadDirMany(t *testing.T) {
	sess, sf := openSFTP(t, srv)
	dir := testDir(t)
	names := manyNames(10_000)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Clone(names)
	slices.Sort(want)
	if len(want[0]) == 0 || len(slices.Compact(slices.Clone(want))) != len(names) {
		t.Fatal("manyNames made duplicate or empty names")
	}
	lengths := map[int]bool{}
	for _, n := range names {
		lengths[len(n)] = true
	}
	if len(lengths) != 255 {
		t.Fatalf("names have %d distinct lengths, want 255", len(lengths))
	}
	// With the default buffer, and with one that most names overflow: then libssh2 1.10 loses
	// entries (libssh2 issue #714) and ReadDir must list again with a bigger buffer.
	for _, bufSize := range []int{0, 16} {
		if bufSize > 0 {
			t.Cleanup(libssh2.SetReadDirBufSize(bufSize))
		}
		entries, err := sf.ReadDir(dir)
		if err != nil {
			t.Fatalf("ReadDir (buffer %d): %v", bufSize, err)
		}
		got := make([]string, len(entries))
		for i, e := range entries {
			got[i] = e.Name()
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ReadDir (buffer %d) of %d entries (-want +got):\n%s", bufSize, len(names), diff)
		}
	}
	if _, err := sess.Methods(); err != nil {
		t.Errorf("the session is unusable after ReadDir: %v", err)
	}
}

func TestReadDirEntries(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	for _, err := range []error{
		os.WriteFile(filepath.Join(dir, "b.txt"), []byte("hello"), 0o640),
		os.Mkdir(filepath.Join(dir, "a-dir"), 0o755),
		os.Symlink("b.txt", filepath.Join(dir, "c-link")),
		os.Symlink("nowhere", filepath.Join(dir, "d-dangling")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	entries, err := sf.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	type entryView struct {
		Name  string
		IsDir bool
		Type  fs.FileMode
		Info  statView
	}
	var got, want []entryView
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, entryView{e.Name(), e.IsDir(), e.Type(), remoteView(t, fi)})
	}
	local, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range local {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, entryView{e.Name(), e.IsDir(), e.Type(), localView(t, fi)})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadDir (-os.ReadDir +sftp):\n%s", diff)
	}
	if len(entries) > 0 {
		if s := fmt.Sprint(entries[0]); s != "d a-dir/" {
			t.Errorf("entry prints as %q, want %q", s, "d a-dir/")
		}
	}

	empty := filepath.Join(dir, "a-dir")
	if entries, err := sf.ReadDir(empty); err != nil || len(entries) != 0 {
		t.Errorf("ReadDir of an empty directory = %v, %v; want no entries", entries, err)
	}
	if _, err := sf.ReadDir(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir of a missing directory = %v, want fs.ErrNotExist", err)
	}
	if _, err := sf.ReadDir(filepath.Join(dir, "b.txt")); err == nil {
		t.Errorf("ReadDir of a file succeeded")
	} else if e := sftpErr(t, err); e.Op != "readdir" || e.Code != libssh2.ErrorSFTPProtocol {
		t.Errorf("ReadDir of a file: %v", err)
	}
	ro := readOnlySFTP(t)
	if entries, err := ro.ReadDir(dir); err != nil || len(entries) != 4 {
		t.Errorf("ReadDir on the read-only server = %d entries, %v; want 4", len(entries), err)
	}
}

// TestReadDirCancelled cancels a listing halfway: the error is the context's, the directory handle
// is freed, and the session refuses further use until it is closed, which frees all C memory.
func TestReadDirCancelled(t *testing.T) {
	dir := testDir(t)
	for _, n := range manyNames(2000) {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sess, sf := openSFTP(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := 0
	libssh2.SetReadDirEntryHook(func() {
		seen++
		if seen == 150 {
			cancel()
			// The context's AfterFunc moves the connection's deadline from its own goroutine;
			// give it time, so that the next call is refused rather than racing it.
			time.Sleep(50 * time.Millisecond)
		}
	})
	defer libssh2.SetReadDirEntryHook(nil)
	entries, err := sf.ReadDirContext(ctx, dir)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadDirContext cancelled after 150 entries = %d entries, %v; want context.Canceled", len(entries), err)
	}
	if seen >= 2000 {
		t.Errorf("the listing ran to the end (%d entries) although cancelled", seen)
	}
	if e := sftpErr(t, err); e.Op != "readdir" || e.Path != dir {
		t.Errorf("error %v: op %q path %q", err, e.Op, e.Path)
	}
	// The cancelled listing leaves the session usable: the next operation finishes the interrupted
	// readdir and closes the directory handle first.
	if fi, err := sf.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("Stat after a cancelled ReadDir = %v, %v; want the directory", fi, err)
	}
	if got, err := sf.ReadDir(dir); err != nil || len(got) != 2000 {
		t.Errorf("ReadDir after a cancelled one = %d entries, %v; want 2000", len(got), err)
	}
	if err := sess.Close(); err != nil {
		t.Errorf("Close after a cancelled ReadDir: %v", err)
	}
	if n := libssh2.LiveCAllocations(); n != 0 {
		t.Errorf("%d C allocations live after the only session was closed", n)
	}
}

func TestRename(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	if err := os.WriteFile(a, []byte("A"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sf.Rename(a, b); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if got, err := os.ReadFile(b); err != nil || string(got) != "A" {
		t.Errorf("after Rename, b = %q, %v", got, err)
	}
	if _, err := os.Stat(a); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Rename, a: %v", err)
	}
	// OpenSSH's SFTP version 3 rename refuses to replace an existing file.
	if err := os.WriteFile(c, []byte("C"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := sf.Rename(b, c)
	if e := sftpErr(t, err); e.Op != "rename" || e.Path != b || e.Status != libssh2.FXFailure {
		t.Errorf("Rename onto an existing file = %v, want LIBSSH2_FX_FAILURE", err)
	}
	if err := sf.RenameWithFlags(b, filepath.Join(dir, "d"), libssh2.RenameNative); err != nil {
		t.Errorf("RenameWithFlags: %v", err)
	}
	if err := sf.Rename(filepath.Join(dir, "missing"), a); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename of a missing file = %v, want fs.ErrNotExist", err)
	}

	err = sf.PosixRename(c, filepath.Join(dir, "d"))
	if libssh2Before(t, 1, 11) {
		// libssh2 before 1.11 has no libssh2_sftp_posix_rename_ex.
		if !errors.Is(err, libssh2.ErrNotSupported) {
			t.Errorf("PosixRename with libssh2 %s = %v, want ErrNotSupported", libssh2.Version(), err)
		}
		if e := sftpErr(t, err); e.Op != "posixrename" || e.Path != c || e.Code != libssh2.ErrorMethodNotSupported {
			t.Errorf("PosixRename error fields: %v", err)
		}
		if _, err := os.Stat(c); err != nil {
			t.Errorf("PosixRename that is not supported touched the file: %v", err)
		}
	} else if err != nil {
		t.Errorf("PosixRename over an existing file: %v", err)
	}
}

func TestSymlinkReadlinkRealPath(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	target := filepath.Join(dir, "target.txt")
	if err := os.WriteFile(target, []byte("t"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := sf.Symlink("target.txt", link); err != nil {
		t.Fatalf("Symlink: %v", err)
	}
	if got, err := os.Readlink(link); err != nil || got != "target.txt" {
		t.Errorf("os.Readlink of the new link = %q, %v; want target.txt", got, err)
	}
	if got, err := sf.Readlink(link); err != nil || got != "target.txt" {
		t.Errorf("Readlink = %q, %v; want target.txt", got, err)
	}
	if err := sf.Symlink("x", link); err == nil {
		t.Errorf("Symlink over an existing link succeeded")
	}
	if _, err := sf.Readlink(target); err == nil {
		t.Errorf("Readlink of a regular file succeeded")
	}
	if _, err := sf.Readlink(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Readlink of a missing path = %v, want fs.ErrNotExist", err)
	}
	// A link whose destination is longer than Readlink's first buffer.
	long := "/" + strings.Repeat("d/", 2000) + "end"
	longLink := filepath.Join(dir, "longlink")
	if err := os.Symlink(long, longLink); err != nil {
		t.Fatal(err)
	}
	defer libssh2.SetLinkBufSize(100)()
	if got, err := sf.Readlink(longLink); err != nil || got != long {
		t.Errorf("Readlink of a %d-byte destination with a 100-byte first buffer = %d bytes, %v", len(long), len(got), err)
	}
	if got, err := sf.RealPath(dir + "/" + strings.Repeat("./", 100)); err != nil || got != dir {
		t.Errorf("RealPath with a 100-byte first buffer = %q, %v; want %q", got, err, dir)
	}

	wantReal, err := filepath.EvalSymlinks(target)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{target, link, dir + "/./sub/../link", dir + "//target.txt"} {
		if got, err := sf.RealPath(p); err != nil || got != wantReal {
			t.Errorf("RealPath(%q) = %q, %v; want %q", p, got, err, wantReal)
		}
	}

	// Relative paths start at the server's working directory, the user's home.
	wd, err := sf.Getwd()
	if err != nil {
		t.Fatalf("Getwd: %v", err)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	if wantWd, _ := filepath.EvalSymlinks(home); wd != wantWd {
		t.Errorf("Getwd = %q, want the home directory %q", wd, wantWd)
	}
	rel, err := filepath.Rel(wd, wantReal)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sf.RealPath(rel); err != nil || got != wantReal {
		t.Errorf("RealPath(%q) = %q, %v; want %q", rel, got, err, wantReal)
	}
	fi, err := sf.Stat(rel)
	if err != nil || fi.Name() != "target.txt" || fi.Size() != 1 {
		t.Errorf("Stat(%q) = %v, %v", rel, fi, err)
	}
	relDir := filepath.Join(filepath.Dir(rel), "made-relative")
	if err := sf.Mkdir(relDir, 0o755); err != nil {
		t.Errorf("Mkdir(%q): %v", relDir, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "made-relative")); err != nil || !fi.IsDir() {
		t.Errorf("the relative Mkdir did not land in the test directory: %v", err)
	}
	if err := sf.Remove(relDir); err != nil {
		t.Errorf("Remove(%q): %v", relDir, err)
	}
}

func TestRemoveAll(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	top := filepath.Join(dir, "top")
	outside := filepath.Join(dir, "outside")
	for _, err := range []error{
		os.MkdirAll(filepath.Join(top, "a/b/c"), 0o755),
		os.MkdirAll(filepath.Join(top, "empty"), 0o755),
		os.WriteFile(filepath.Join(top, "a/b/c/f"), []byte("f"), 0o644),
		os.WriteFile(filepath.Join(top, "a/g"), []byte("g"), 0o644),
		os.Mkdir(outside, 0o755),
		os.WriteFile(filepath.Join(outside, "keep"), nil, 0o644),
		os.Symlink(outside, filepath.Join(top, "a/link-out")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	ro := readOnlySFTP(t)
	if err := ro.RemoveAll(top); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("RemoveAll on the read-only server = %v, want fs.ErrPermission", err)
	}
	if err := sf.RemoveAll(top); err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	if _, err := os.Lstat(top); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after RemoveAll: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("RemoveAll followed a symbolic link out of the tree: %v", err)
	}
	if err := sf.RemoveAll(top); err != nil {
		t.Errorf("RemoveAll of a missing path = %v, want nil", err)
	}
	file := filepath.Join(outside, "keep")
	if err := sf.RemoveAll(file); err != nil {
		t.Errorf("RemoveAll of a file: %v", err)
	}
	if err := sf.RemoveAll(dir + "/."); err == nil {
		t.Errorf("RemoveAll of a path ending in . succeeded")
	}
}

// TestBadPathsAndClosed: empty names and names with a NUL byte are refused before any C call, and
// every operation on a closed SFTP fails with fs.ErrClosed.
func TestBadPathsAndClosed(t *testing.T) {
	sess, sf := openSFTP(t, srv)
	dir := testDir(t)
	ops := map[string]func(name string) error{
		"stat":        func(n string) error { _, err := sf.Stat(n); return err },
		"lstat":       func(n string) error { _, err := sf.Lstat(n); return err },
		"chmod":       func(n string) error { return sf.Chmod(n, 0o644) },
		"chown":       func(n string) error { return sf.Chown(n, 0, 0) },
		"chtimes":     func(n string) error { return sf.Chtimes(n, time.Now(), time.Now()) },
		"truncate":    func(n string) error { return sf.Truncate(n, 0) },
		"statvfs":     func(n string) error { _, err := sf.StatVFS(n); return err },
		"mkdir":       func(n string) error { return sf.Mkdir(n, 0o755) },
		"mkdirall":    func(n string) error { return sf.MkdirAll(n, 0o755) },
		"remove":      func(n string) error { return sf.Remove(n) },
		"removeall":   func(n string) error { return sf.RemoveAll(n) },
		"readdir":     func(n string) error { _, err := sf.ReadDir(n); return err },
		"rename from": func(n string) error { return sf.Rename(n, dir+"/x") },
		"rename to":   func(n string) error { return sf.Rename(dir, n) },
		"posixrename": func(n string) error { return sf.PosixRename(n, dir+"/x") },
		"symlink old": func(n string) error { return sf.Symlink(n, dir+"/x") },
		"symlink new": func(n string) error { return sf.Symlink(dir, n) },
		"readlink":    func(n string) error { _, err := sf.Readlink(n); return err },
		"realpath":    func(n string) error { _, err := sf.RealPath(n); return err },
	}
	for op, f := range ops {
		for _, name := range []string{"", dir + "/a\x00b"} {
			err := f(name)
			if err == nil {
				t.Errorf("%s(%q) succeeded", op, name)
				continue
			}
			e := sftpErr(t, err)
			// No libssh2 code: the name never reached libssh2.
			if e.Code != 0 || e.Err == nil || !strings.Contains(err.Error(), map[bool]string{true: "empty path", false: "NUL byte"}[name == ""]) {
				t.Errorf("%s(%q) = %v (code %d); want a clear error without a libssh2 code", op, name, err, e.Code)
			}
		}
	}
	if _, err := sess.Methods(); err != nil {
		t.Errorf("the session is unusable after bad names: %v", err)
	}

	if err := sf.Close(); err != nil {
		t.Fatal(err)
	}
	ops["getwd"] = func(string) error { _, err := sf.Getwd(); return err }
	for op, f := range ops {
		if err := f(dir + "/y"); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s on a closed SFTP = %v, want fs.ErrClosed", op, err)
		}
	}
	var nilSFTP *libssh2.SFTP
	if _, err := nilSFTP.Stat(dir); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Stat on a nil *SFTP = %v, want fs.ErrInvalid", err)
	}
}

func TestReadOnlyDenied(t *testing.T) {
	ro := readOnlySFTP(t)
	dir := testDir(t)
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("f"), 0o644); err != nil {
		t.Fatal(err)
	}
	for op, err := range map[string]error{
		"mkdir":    ro.Mkdir(filepath.Join(dir, "d"), 0o755),
		"mkdirall": ro.MkdirAll(filepath.Join(dir, "d/e"), 0o755),
		"chmod":    ro.Chmod(file, 0o600),
		"truncate": ro.Truncate(file, 0),
		"rename":   ro.Rename(file, file+"2"),
	} {
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("%s on the read-only server = %v, want fs.ErrPermission", op, err)
		}
	}
	err := ro.Symlink(file, file+"3")
	if lost, perr := libssh2.LinkStatusLost(ro); perr != nil {
		t.Fatal(perr)
	} else if lost {
		// This libssh2 loses the server's status for SYMLINK (see ErrStatusLost).
		if !errors.Is(err, libssh2.ErrStatusLost) {
			t.Errorf("symlink on the read-only server with a status-losing libssh2 = %v, want ErrStatusLost", err)
		}
	} else if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("symlink on the read-only server = %v, want fs.ErrPermission", err)
	}
	if _, err := os.Lstat(file + "3"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the read-only server made the link: %v", err)
	}
	// Reading is allowed.
	if fi, err := ro.Stat(file); err != nil || fi.Size() != 1 {
		t.Errorf("Stat on the read-only server = %v, %v", fi, err)
	}
	if got, _ := os.ReadFile(file); string(got) != "f" {
		t.Errorf("the read-only server changed the file: %q", got)
	}
}

// TestLinkFirstRequest: SYMLINK and READLINK as the very first requests of fresh channels fail as
// they should. With Debian's libssh2 1.10.0-3+deb12u1, whose CVE-2025-15661 fix reads the request
// id where the status is, a failed first request (id 0) would come back as a success.
func TestLinkFirstRequest(t *testing.T) {
	dir := testDir(t)
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := readOnlySFTP(t).Symlink(file, file+"-link"); err == nil {
			t.Errorf("Symlink as the first request on the read-only server succeeded")
		}
		if _, err := os.Lstat(file + "-link"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the read-only server made the link: %v", err)
		}
		_, sf := openSFTP(t, srv)
		if got, err := sf.Readlink(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Readlink of a missing path as the first request = %q, %v; want fs.ErrNotExist", got, err)
		}
		_, sf = openSFTP(t, srv)
		if err := sf.Symlink("x", file); !errors.Is(err, fs.ErrExist) && !isStatus(err, libssh2.FXFailure) {
			t.Errorf("Symlink onto an existing file as the first request = %v, want fs.ErrExist or LIBSSH2_FX_FAILURE", err)
		}
	}
	lost, err := libssh2.LinkStatusLost(readOnlySFTP(t))
	t.Logf("libssh2 %s misreads SYMLINK/READLINK/REALPATH statuses: %v (%v)", libssh2.Version(), lost, err)
}

func isStatus(err error, st libssh2.Status) bool {
	var e *libssh2.Error
	return errors.As(err, &e) && e.Code == libssh2.ErrorSFTPProtocol && e.Status == st
}

// TestReadDirHandlesClosed: listings that start over (a name overflows the first buffer), fail
// (not a directory) or succeed leave no C memory behind: every directory handle is closed.
func TestReadDirHandlesClosed(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	for _, n := range manyNames(300) {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, manyNames(1)[0])
	defer libssh2.SetReadDirBufSize(16)()
	round := func() {
		if es, err := sf.ReadDir(dir); err != nil || len(es) != 300 {
			t.Fatalf("ReadDir = %d entries, %v", len(es), err)
		}
		if _, err := sf.ReadDir(file); err == nil {
			t.Fatalf("ReadDir of a file succeeded")
		}
		if _, err := sf.ReadDir(dir + "/missing"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("ReadDir of a missing directory: %v", err)
		}
	}
	round()
	before := libssh2.LiveCAllocations()
	for range 20 {
		round()
	}
	if after := libssh2.LiveCAllocations(); after != before {
		t.Errorf("live C allocations went from %d to %d over 20 rounds of ReadDir", before, after)
	}
}

// TestErrExist: Mkdir of an existing directory, an exclusive create of an existing file and Rename
// onto an existing file all match fs.ErrExist, although OpenSSH's sftp-server answers only
// LIBSSH2_FX_FAILURE, which the error keeps.
func TestErrExist(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	file, other := filepath.Join(dir, "file"), filepath.Join(dir, "other")
	for _, p := range []string{file, other} {
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, openErr := sf.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	for name, err := range map[string]error{
		"Mkdir":                  sf.Mkdir(dir, 0o755),
		"OpenFile O_CREATE|EXCL": openErr,
		"Rename onto a file":     sf.Rename(other, file),
	} {
		if !errors.Is(err, fs.ErrExist) {
			t.Errorf("%s of an existing path = %v, want fs.ErrExist", name, err)
			continue
		}
		if e := sftpErr(t, err); e.Status != libssh2.FXFailure && e.Status != libssh2.FXFileAlreadyExists {
			t.Errorf("%s: status %v, want the server's own", name, e.Status)
		}
	}
	// Failures that are not about an existing target keep their meaning.
	if err := sf.Mkdir(filepath.Join(dir, "missing", "x"), 0o755); errors.Is(err, fs.ErrExist) || err == nil {
		t.Errorf("Mkdir under a missing parent = %v, want an error that is not fs.ErrExist", err)
	}
	if err := sf.Rename(filepath.Join(dir, "missing"), filepath.Join(dir, "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename of a missing path = %v, want fs.ErrNotExist", err)
	}
	if err := sf.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("MkdirAll of an existing directory: %v", err)
	}
}
