package libssh2_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// testDir makes an empty directory of srv's for the test (on the server's side, which is this
// machine) and returns its path.
func testDir(t *testing.T) string {
	t.Helper()
	dir := srv.Path(filepath.Base(t.Name()))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// statView is what a test compares of an fs.FileInfo.
type statView struct {
	Name       string
	Size       int64
	Mode       fs.FileMode
	ModTime    time.Time
	Uid, Gid   uint32
	Atime      time.Time
	Permission uint32
}

// remoteView is the view of a FileInfo of this package.
func remoteView(t *testing.T, fi fs.FileInfo) statView {
	t.Helper()
	st, ok := fi.Sys().(*libssh2.FileStat)
	if !ok {
		t.Fatalf("Sys() is %T, want *libssh2.FileStat", fi.Sys())
	}
	return statView{fi.Name(), fi.Size(), fi.Mode(), fi.ModTime(), st.Uid, st.Gid, st.Atime, st.Permissions}
}

// localView is the view of os.Lstat or os.Stat of the same file on the server's side, truncated to
// the whole seconds SFTP version 3 carries.
func localView(t *testing.T, fi fs.FileInfo) statView {
	t.Helper()
	st := fi.Sys().(*syscall.Stat_t)
	return statView{fi.Name(), fi.Size(), fi.Mode(), fi.ModTime().Truncate(time.Second), st.Uid, st.Gid,
		time.Unix(st.Atim.Sec, 0), st.Mode}
}

func TestStatMatchesServer(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, []byte("twelve bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(file, 1234, 5678); err != nil {
		t.Fatal(err)
	}
	syscall.Chmod(file, 0o4751) // with setuid (after chown, which clears it), to see the special bits
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(file, past.Add(time.Hour), past); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o1750); err != nil {
		t.Fatal(err)
	}
	syscall.Chmod(sub, 0o1750)
	link := filepath.Join(dir, "link")
	if err := os.Symlink("file.txt", link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		lstat  bool
		isMode fs.FileMode // a type bit the mode must have
	}{
		{file, false, 0},
		{sub, false, fs.ModeDir},
		{link, false, 0},
		{link, true, fs.ModeSymlink},
		{fifo, false, fs.ModeNamedPipe},
	} {
		var got fs.FileInfo
		var want os.FileInfo
		var err error
		if c.lstat {
			got, err = sf.Lstat(c.name)
			want, _ = os.Lstat(c.name)
		} else {
			got, err = sf.Stat(c.name)
			want, _ = os.Stat(c.name)
		}
		if err != nil {
			t.Fatalf("stat %s (lstat %v): %v", c.name, c.lstat, err)
		}
		gv, wv := remoteView(t, got), localView(t, want)
		if c.lstat {
			// The name is the path's last element, as os.Lstat gives it.
			wv.Name = filepath.Base(c.name)
		}
		if diff := cmp.Diff(wv, gv); diff != "" {
			t.Errorf("stat %s (lstat %v) (-os.Stat +sftp):\n%s", c.name, c.lstat, diff)
		}
		if got.Mode().Type() != c.isMode {
			t.Errorf("%s: type %v, want %v", c.name, got.Mode().Type(), c.isMode)
		}
		if got.IsDir() != (c.isMode == fs.ModeDir) {
			t.Errorf("%s: IsDir %v", c.name, got.IsDir())
		}
	}
	fi, _ := sf.Stat(file)
	if diff := cmp.Diff(fs.FileMode(0o751)|fs.ModeSetuid, fi.Mode()); diff != "" {
		t.Errorf("file mode (-want +got):\n%s", diff)
	}
	st := fi.Sys().(*libssh2.FileStat)
	if want := libssh2.AttrSize | libssh2.AttrUIDGID | libssh2.AttrPermissions | libssh2.AttrACModTime; st.Flags != want {
		t.Errorf("attribute flags %#x, want %#x", st.Flags, want)
	}
	if !st.Atime.Equal(past.Add(time.Hour)) || !fi.ModTime().Equal(past) {
		t.Errorf("atime %v mtime %v, want %v and %v", st.Atime, fi.ModTime(), past.Add(time.Hour), past)
	}
}

func TestFileStat(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	name := filepath.Join(dir, "written.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := make([]byte, 100_003)
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	// Stat waits for the written bytes, so it sees all of them.
	fi, err := f.Stat()
	if err != nil {
		t.Fatalf("File.Stat: %v", err)
	}
	want, _ := os.Stat(name)
	if diff := cmp.Diff(localView(t, want), remoteView(t, fi)); diff != "" {
		t.Errorf("File.Stat (-os.Stat +sftp):\n%s", diff)
	}
	if fi.Size() != int64(len(data)) {
		t.Errorf("size %d, want %d", fi.Size(), len(data))
	}
}

func TestChmodChownChtimesTruncate(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	name := filepath.Join(dir, "f")
	if err := os.WriteFile(name, make([]byte, 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	// In this order, because truncating sets the mtime and chown clears setuid and setgid.
	if err := sf.Truncate(name, 77); err != nil {
		t.Fatalf("Truncate: %v", err)
	}
	if err := sf.Chown(name, 4321, 8765); err != nil {
		t.Fatalf("Chown: %v", err)
	}
	if err := sf.Chmod(name, 0o640|fs.ModeSetgid); err != nil {
		t.Fatalf("Chmod: %v", err)
	}
	atime := time.Date(2010, 1, 2, 3, 4, 5, 0, time.UTC)
	mtime := time.Date(2011, 6, 7, 8, 9, 10, 999, time.UTC)
	if err := sf.Chtimes(name, atime, mtime); err != nil {
		t.Fatalf("Chtimes: %v", err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	got := localView(t, fi)
	want := statView{Name: "f", Size: 77, Mode: 0o640 | fs.ModeSetgid, ModTime: mtime.Truncate(time.Second),
		Uid: 4321, Gid: 8765, Atime: atime, Permission: syscall.S_IFREG | 0o2640}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after Truncate, Chown, Chmod, Chtimes (-want +os.Stat):\n%s", diff)
	}

	// A zero time leaves that time alone.
	if err := sf.Chtimes(name, time.Time{}, atime); err != nil {
		t.Fatalf("Chtimes with a zero atime: %v", err)
	}
	fi, _ = os.Stat(name)
	if got := localView(t, fi); !got.Atime.Equal(atime) || !got.ModTime.Equal(atime) {
		t.Errorf("after Chtimes(zero, %v): atime %v mtime %v", atime, got.Atime, got.ModTime)
	}

	// The open file's Truncate and Chmod, after bytes written through it.
	f, err := sf.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 500)); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(123); err != nil {
		t.Fatalf("File.Truncate: %v", err)
	}
	if err := f.Chmod(0o604); err != nil {
		t.Fatalf("File.Chmod: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(name)
	if fi.Size() != 123 || fi.Mode() != 0o604 {
		t.Errorf("after File.Truncate(123) and File.Chmod(0604): size %d mode %v", fi.Size(), fi.Mode())
	}
	if err := f.Truncate(1); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Truncate on a closed File = %v, want fs.ErrClosed", err)
	}
	if _, err := f.Stat(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Stat on a closed File = %v, want fs.ErrClosed", err)
	}
	for name, err := range map[string]error{
		"Truncate -1":   sf.Truncate(name, -1),
		"Chown -2":      sf.Chown(name, -2, 0),
		"Chown 2^32":    sf.Chown(name, 0, 1<<32),
		"Chtimes <1970": sf.Chtimes(name, time.Unix(-5, 0), time.Unix(0, 0)),
	} {
		var e *libssh2.Error
		if !errors.As(err, &e) || e.Code != 0 {
			t.Errorf("%s = %v, want a *libssh2.Error without a libssh2 code", name, err)
		}
	}
}

func TestStatErrors(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	missing := filepath.Join(dir, "missing")
	for op, err := range map[string]error{
		"stat":     func() error { _, err := sf.Stat(missing); return err }(),
		"lstat":    func() error { _, err := sf.Lstat(missing); return err }(),
		"chmod":    sf.Chmod(missing, 0o644),
		"chown":    sf.Chown(missing, 0, 0),
		"chtimes":  sf.Chtimes(missing, time.Now(), time.Now()),
		"truncate": sf.Truncate(missing, 0),
	} {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s of a missing file = %v, want fs.ErrNotExist", op, err)
			continue
		}
		var e *libssh2.Error
		if !errors.As(err, &e) {
			t.Fatalf("%T is not *libssh2.Error", err)
		}
		got := [3]any{e.Op, e.Path, e.Status}
		if diff := cmp.Diff([3]any{op, missing, libssh2.FXNoSuchFile}, got); diff != "" {
			t.Errorf("%s error (-want +got):\n%s", op, diff)
		}
	}

	fsv, err := sf.StatVFS(dir)
	if err != nil {
		t.Fatalf("StatVFS: %v", err)
	}
	var local syscall.Statfs_t
	if err := syscall.Statfs(dir, &local); err != nil {
		t.Fatal(err)
	}
	if fsv.Bsize != uint64(local.Bsize) || fsv.Blocks != local.Blocks || fsv.Namemax != uint64(local.Namelen) || fsv.TotalSpace() == 0 {
		t.Errorf("StatVFS %+v does not match statfs %+v", fsv, local)
	}
}

// TestFileStatWhileReading: Stat and Chmod between Reads, with libssh2's read-ahead in flight, see
// the file and leave the reading intact.
func TestFileStatWhileReading(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	name := filepath.Join(dir, "read.bin")
	data := make([]byte, 3<<20+11)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := sf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []byte
	buf := make([]byte, 70_001)
	for {
		n, err := f.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
		fi, serr := f.Stat()
		if serr != nil || fi.Size() != int64(len(data)) {
			t.Fatalf("Stat after %d bytes read = %v, %v", len(got), fi, serr)
		}
		if err := sf.Chmod(name, 0o600); err != nil {
			t.Fatalf("Chmod while reading: %v", err)
		}
	}
	if sha(got) != sha(data) {
		t.Errorf("read %d bytes with SHA-256 %s, want %d bytes %s", len(got), sha(got), len(data), sha(data))
	}
}

// TestFileChownChtimes: File.Chown and File.Chtimes (FSETSTAT) change the open file as os.Chown
// and os.Chtimes would, after the bytes written through the File have landed; -1 keeps a uid or
// gid and a zero time keeps that time, for the File's methods and SFTP's alike.
func TestFileChownChtimes(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	name := filepath.Join(dir, "f")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 300_000)); err != nil {
		t.Fatal(err)
	}
	atime := time.Date(2012, 3, 4, 5, 6, 7, 0, time.UTC)
	mtime := time.Date(2013, 8, 9, 10, 11, 12, 500, time.UTC)
	if err := f.Chtimes(atime, mtime); err != nil {
		t.Fatalf("File.Chtimes: %v", err)
	}
	if err := f.Chown(1234, 5678); err != nil {
		t.Fatalf("File.Chown: %v", err)
	}
	view := func() statView {
		t.Helper()
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return localView(t, fi)
	}
	// The write landed before the times were set: they stay.
	got := view()
	want := statView{Name: "f", Size: 300_000, Mode: got.Mode, ModTime: mtime.Truncate(time.Second),
		Uid: 1234, Gid: 5678, Atime: atime, Permission: got.Permission}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after File.Chtimes and File.Chown (-want +os.Stat):\n%s", diff)
	}

	// -1 keeps the uid or gid; a zero time keeps that time.
	if err := f.Chown(-1, 99); err != nil {
		t.Fatalf("File.Chown(-1, 99): %v", err)
	}
	if err := f.Chtimes(time.Time{}, atime); err != nil {
		t.Fatalf("File.Chtimes(zero, atime): %v", err)
	}
	got = view()
	if got.Uid != 1234 || got.Gid != 99 || !got.Atime.Equal(atime) || !got.ModTime.Equal(atime) {
		t.Errorf("after File.Chown(-1, 99) and File.Chtimes(zero, %v): uid %d gid %d atime %v mtime %v", atime, got.Uid, got.Gid, got.Atime, got.ModTime)
	}
	if err := sf.Chown(name, 42, -1); err != nil {
		t.Fatalf("SFTP.Chown(42, -1): %v", err)
	}
	if got := view(); got.Uid != 42 || got.Gid != 99 {
		t.Errorf("after SFTP.Chown(42, -1): uid %d gid %d, want 42 and 99", got.Uid, got.Gid)
	}

	for what, err := range map[string]error{
		"File.Chown -2":      f.Chown(-2, 0),
		"File.Chown 2^32":    f.Chown(0, 1<<32),
		"File.Chtimes <1970": f.Chtimes(time.Unix(-5, 0), time.Unix(0, 0)),
		"File.Chtimes >2106": f.Chtimes(time.Unix(1<<32, 0), time.Unix(0, 0)),
		"nil File.Chown":     (*libssh2.File)(nil).Chown(0, 0),
		"nil File.Chtimes":   (*libssh2.File)(nil).Chtimes(atime, mtime),
	} {
		var e *libssh2.Error
		if !errors.As(err, &e) || e.Code != 0 || !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("%s = %v, want an *libssh2.Error wrapping fs.ErrInvalid", what, err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Chown(1, 1); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Chown on a closed File = %v, want fs.ErrClosed", err)
	}
	if err := f.Chtimes(atime, mtime); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Chtimes on a closed File = %v, want fs.ErrClosed", err)
	}
}
