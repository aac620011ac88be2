package libssh2_test

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// fsTree is the tree TestFS builds over SFTP: regular files by size, directories, and symbolic
// links by destination. The files are small because fstest reads every file again with a one-byte
// ReadAt per byte, a round trip each; TestFSBigFiles reads big ones.
var fsTree = struct {
	dirs  []string
	files map[string]int // name -> size
	links map[string]string
}{
	dirs: []string{"a", "a/b", "a/b/c", "empty", "d"},
	files: map[string]int{
		"top.txt":     5,
		"zero":        0,
		"a/one":       1,
		"a/b/packet":  3000,
		"a/b/c/big":   5000,
		"d/f1":        100,
		"d/f2":        200,
		"d/with.dots": 3,
	},
	links: map[string]string{
		"link-to-top": "top.txt",
		"a/link-up":   "../d/f1",
	},
}

// buildTree makes fsTree under root over SFTP and returns the files' contents.
func buildTree(t *testing.T, sf *libssh2.SFTP, root string) map[string][]byte {
	t.Helper()
	for _, d := range fsTree.dirs {
		if err := sf.Mkdir(path.Join(root, d), 0o755); err != nil {
			t.Fatalf("Mkdir %s: %v", d, err)
		}
	}
	contents := map[string][]byte{}
	for name, size := range fsTree.files {
		data := make([]byte, size)
		rand.NewChaCha8([32]byte{byte(size), byte(len(name))}).Read(data)
		f, err := sf.Create(path.Join(root, name))
		if err != nil {
			t.Fatalf("Create %s: %v", name, err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatalf("Write %s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("Close %s: %v", name, err)
		}
		contents[name] = data
	}
	for name, dest := range fsTree.links {
		if err := sf.Symlink(dest, path.Join(root, name)); err != nil {
			t.Fatalf("Symlink %s -> %s: %v", name, dest, err)
		}
	}
	return contents
}

func TestFS(t *testing.T) {
	_, sf := openSFTP(t, srv)
	root := testDir(t)
	contents := buildTree(t, sf, root)
	fsys := sf.FS(root)
	var expected []string
	for name := range contents {
		expected = append(expected, name)
	}
	for name := range fsTree.links {
		expected = append(expected, name)
	}
	expected = append(expected, "empty")
	if err := fstest.TestFS(fsys, expected...); err != nil {
		t.Fatalf("fstest.TestFS: %v", err)
	}

	// The content that came back is what was written.
	for name, want := range contents {
		got, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatalf("ReadFile %s: %v", name, err)
		}
		if sha(got) != sha(want) {
			t.Errorf("ReadFile %s: %d bytes with SHA-256 %s, want %d bytes %s", name, len(got), sha(got), len(want), sha(want))
		}
	}
	if got, err := fs.ReadFile(fsys, "link-to-top"); err != nil || string(got) != string(contents["top.txt"]) {
		t.Errorf("ReadFile through a link = %q, %v", got, err)
	}
	rl, ok := fsys.(interface {
		ReadLink(string) (string, error)
		Lstat(string) (fs.FileInfo, error)
	})
	if !ok {
		t.Fatalf("%T lacks ReadLink and Lstat", fsys)
	}
	for name, dest := range fsTree.links {
		if got, err := rl.ReadLink(name); err != nil || got != dest {
			t.Errorf("ReadLink(%s) = %q, %v; want %q", name, got, err, dest)
		}
		if fi, err := rl.Lstat(name); err != nil || fi.Mode().Type() != fs.ModeSymlink || fi.Name() != path.Base(name) {
			t.Errorf("Lstat(%s) = %v, %v", name, fi, err)
		}
	}

	// fs.Sub, and the tree as the server's side sees it.
	sub, err := fs.Sub(fsys, "a/b")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "packet", "c/big"); err != nil {
		t.Errorf("fstest.TestFS of Sub(a/b): %v", err)
	}
	var walked, local []string
	if err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		walked = append(walked, p+" "+d.Type().String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		local = append(local, p+" "+d.Type().String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(local, walked); diff != "" {
		t.Errorf("WalkDir over SFTP differs from os.DirFS on the server's side (-os +sftp):\n%s", diff)
	}
}

// TestFSBigFiles reads files of several sizes through the FS, as ReadFile and as Open, Read and
// WriteTo.
func TestFSBigFiles(t *testing.T) {
	_, sf := openSFTP(t, srv)
	root := testDir(t)
	fsys := sf.FS(root)
	for _, size := range []int{0, 1, 30000, 1<<20 + 7} {
		name := "big-" + itoa(size)
		data := make([]byte, size)
		rand.NewChaCha8([32]byte{byte(size >> 3)}).Read(data)
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(fsys, name)
		if err != nil || sha(got) != sha(data) {
			t.Errorf("ReadFile %s = %d bytes (SHA-256 %s), %v; want %d bytes (%s)", name, len(got), sha(got), err, size, sha(data))
		}
		f, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err = io.ReadAll(f)
		f.Close()
		if err != nil || sha(got) != sha(data) {
			t.Errorf("Open+ReadAll %s = %d bytes, %v; want %d bytes", name, len(got), err, size)
		}
	}
}

func TestFSErrors(t *testing.T) {
	_, sf := openSFTP(t, srv)
	root := testDir(t)
	if err := os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys := sf.FS(root)
	type call struct {
		op string
		f  func(string) error
	}
	calls := []call{
		{"open", func(n string) error { _, err := fsys.Open(n); return err }},
		{"stat", func(n string) error { _, err := fs.Stat(fsys, n); return err }},
		{"readdir", func(n string) error { _, err := fs.ReadDir(fsys, n); return err }},
		{"readfile", func(n string) error { _, err := fs.ReadFile(fsys, n); return err }},
		{"sub", func(n string) error { _, err := fs.Sub(fsys, n); return err }},
	}
	for _, c := range calls {
		for _, bad := range []string{"", "/abs", "a/../b", "./f", "f/", "a\x00b"} {
			err := c.f(bad)
			var pe *fs.PathError
			if !errors.As(err, &pe) || !errors.Is(err, fs.ErrInvalid) || pe.Path != bad {
				t.Errorf("%s(%q) = %v, want a *fs.PathError wrapping fs.ErrInvalid", c.op, bad, err)
			}
		}
		if c.op == "sub" {
			continue
		}
		err := c.f("missing")
		var pe *fs.PathError
		if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) || pe.Op != c.op || pe.Path != "missing" {
			t.Errorf("%s(missing) = %#v, want a *fs.PathError %q wrapping fs.ErrNotExist", c.op, err, c.op)
		}
		if e := sftpErr(t, err); e.Status != libssh2.FXNoSuchFile {
			t.Errorf("%s(missing): the libssh2 error inside has status %v", c.op, e.Status)
		}
	}
	if _, err := fs.ReadDir(fsys, "f"); err == nil {
		t.Errorf("ReadDir of a file succeeded")
	}
	if _, err := fs.ReadFile(fsys, "."); err == nil {
		t.Errorf("ReadFile of a directory succeeded")
	}

	// A directory: Read fails, ReadDir pages, Close twice is an error.
	d, err := fsys.Open(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(make([]byte, 1)); err == nil {
		t.Errorf("Read of a directory succeeded")
	}
	rd := d.(fs.ReadDirFile)
	if es, err := rd.ReadDir(1); err != nil || len(es) != 1 || es[0].Name() != "f" {
		t.Errorf("ReadDir(1) = %v, %v", es, err)
	}
	if es, err := rd.ReadDir(1); err != io.EOF || len(es) != 0 {
		t.Errorf("ReadDir(1) at the end = %v, %v; want io.EOF", es, err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := d.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("second Close = %v, want fs.ErrClosed", err)
	}

	// A FIFO is listed and can be Stat'ed, but is not opened on the server.
	if err := mkfifo(filepath.Join(root, "fifo")); err != nil {
		t.Fatal(err)
	}
	ff, err := fsys.Open("fifo")
	if err != nil {
		t.Fatalf("Open of a FIFO: %v", err)
	}
	if fi, err := ff.Stat(); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
		t.Errorf("Stat of the FIFO = %v, %v", fi, err)
	}
	if _, err := ff.Read(make([]byte, 1)); err == nil {
		t.Errorf("Read of a FIFO succeeded")
	}
	ff.Close()

	// A closed SFTP.
	if err := sf.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(fsys, "f"); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Stat on a closed SFTP = %v, want fs.ErrClosed", err)
	}
}

func mkfifo(name string) error { return syscall.Mkfifo(name, 0o600) }
