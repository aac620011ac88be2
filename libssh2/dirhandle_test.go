package libssh2_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// manyEntries makes n files and a few directories and symbolic links in a new directory of the
// test, on the server's side, and returns it with the names os.ReadDir lists, sorted.
func manyEntries(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := filepath.Join(testDir(t), "many")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-%05d-%s", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"[:i%36])), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if err := os.Mkdir(filepath.Join(dir, fmt.Sprintf("dir-%d", i)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("dir-0", filepath.Join(dir, fmt.Sprintf("link-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	local, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(local))
	for i, e := range local {
		names[i] = e.Name()
	}
	return dir, names
}

// sortedNames returns the entries' names, sorted, and reports a repeated name.
func sortedNames(t *testing.T, entries []fs.DirEntry) []string {
	t.Helper()
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	slices.Sort(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Errorf("entry %q listed twice", names[i])
		}
	}
	return names
}

// TestDirReadDirChunks: a directory of a few thousand entries read through OpenDir in chunks of
// various sizes lists exactly what os.ReadDir lists on the server's side, each entry once, with
// the types and the Lstat-like info of each; then io.EOF, as os.File.ReadDir says; ReadDir(-1)
// reads everything at once. Closing works once, and the Dir refuses use after.
func TestDirReadDirChunks(t *testing.T) {
	checkNoLeaks(t)
	_, sf := openSFTP(t, srv)
	dir, want := manyEntries(t, 3000)
	for _, chunk := range []int{1, 7, 100, 333, 5000} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			d, err := sf.OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Name() != dir {
				t.Errorf("Name() = %q, want %q", d.Name(), dir)
			}
			var all []fs.DirEntry
			calls := 0
			for {
				got, err := d.ReadDir(chunk)
				calls++
				if err == io.EOF {
					if len(got) != 0 {
						t.Errorf("ReadDir(%d) returned %d entries with io.EOF", chunk, len(got))
					}
					break
				}
				if err != nil {
					t.Fatalf("ReadDir(%d) after %d entries: %v", chunk, len(all), err)
				}
				if len(got) == 0 || len(got) > chunk {
					t.Fatalf("ReadDir(%d) returned %d entries", chunk, len(got))
				}
				all = append(all, got...)
			}
			if diff := cmp.Diff(want, sortedNames(t, all)); diff != "" {
				t.Errorf("names read in chunks of %d (-os.ReadDir +Dir.ReadDir):\n%s", chunk, diff)
			}
			if min := (len(want) + chunk - 1) / chunk; calls != min+1 {
				t.Errorf("%d calls of ReadDir(%d) for %d entries, want %d and the io.EOF", calls, chunk, len(want), min)
			}
			for _, e := range all {
				fi, _ := e.Info()
				lfi, err := os.Lstat(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if e.Type() != lfi.Mode().Type() || fi.Mode() != lfi.Mode() || (fi.Mode().IsRegular() && fi.Size() != lfi.Size()) {
					t.Fatalf("%s: type %v mode %v size %d; os.Lstat: mode %v size %d", e.Name(), e.Type(), fi.Mode(), fi.Size(), lfi.Mode(), lfi.Size())
				}
			}
			// At the end: io.EOF again for n > 0, nothing and nil for n <= 0.
			if got, err := d.ReadDir(10); len(got) != 0 || err != io.EOF {
				t.Errorf("ReadDir(10) at the end = %d entries, %v; want io.EOF", len(got), err)
			}
			if got, err := d.ReadDir(-1); got == nil || len(got) != 0 || err != nil {
				t.Errorf("ReadDir(-1) at the end = %v, %v; want an empty slice and nil", got, err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := d.Close(); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("second Close = %v, want fs.ErrClosed", err)
			}
			if _, err := d.ReadDir(1); !errors.Is(err, fs.ErrClosed) {
				t.Errorf("ReadDir after Close = %v, want fs.ErrClosed", err)
			}
		})
	}

	d, err := sf.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := d.ReadDir(10)
	if err != nil || len(first) != 10 {
		t.Fatalf("ReadDir(10) = %d entries, %v", len(first), err)
	}
	rest, err := d.ReadDir(0)
	if err != nil {
		t.Fatalf("ReadDir(0) = %v", err)
	}
	if diff := cmp.Diff(want, sortedNames(t, append(first, rest...))); diff != "" {
		t.Errorf("ReadDir(10) then ReadDir(0) (-os.ReadDir +Dir.ReadDir):\n%s", diff)
	}
	// SFTP.Close closes the Dir it opened.
	if err := sf.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Close of a Dir of a closed SFTP = %v, want fs.ErrClosed", err)
	}
}

// TestOpenDirErrors: OpenDir of a missing path, of a file and of invalid names fails with an
// *Error; a nil Dir is refused.
func TestOpenDirErrors(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		target error
	}{{filepath.Join(dir, "missing"), fs.ErrNotExist}, {file, nil}, {"", nil}, {"a\x00b", nil}} {
		d, err := sf.OpenDir(c.name)
		var e *libssh2.Error
		if err == nil {
			d.Close()
			t.Errorf("OpenDir(%q) succeeded", c.name)
			continue
		}
		if !errors.As(err, &e) || e.Op != "opendir" || e.Path != c.name {
			t.Errorf("OpenDir(%q) = %v, want an *Error of op opendir on it", c.name, err)
		}
		if c.target != nil && !errors.Is(err, c.target) {
			t.Errorf("OpenDir(%q) = %v, want it to match %v", c.name, err, c.target)
		}
	}
	var nd *libssh2.Dir
	if _, err := nd.ReadDir(1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadDir on a nil Dir = %v, want fs.ErrInvalid", err)
	}
	if err := nd.Close(); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Close of a nil Dir = %v, want fs.ErrInvalid", err)
	}
}

// TestDirReadDirInterrupted: a ReadDir cut short in the middle of a large directory, while libssh2
// waits for the server's next batch of names, returns the entries it read with the context's error;
// another operation then finishes the interrupted readdir, and the next ReadDirs list the rest, so
// that the whole listing has every entry exactly once.
func TestDirReadDirInterrupted(t *testing.T) {
	checkNoLeaks(t)
	proxy, sess, sf := proxySession(t)
	dir, want := manyEntries(t, 2000)
	d, err := sf.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	all, err := d.ReadDir(250)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		proxy.SetPaused(true)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		got, err := d.ReadDirContext(ctx, -1)
		cancel()
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: ReadDirContext on a stalled link = %d entries, %v; want a deadline", round, len(got), err)
		}
		t.Logf("round %d: %d entries read before the deadline", round, len(got))
		all = append(all, got...)
		proxy.SetPaused(false)
		// The interrupted readdir is finished by this Stat, before it sends anything.
		if _, err := sf.Stat(dir); err != nil {
			t.Fatalf("round %d: Stat after the interruption: %v", round, err)
		}
		more, err := d.ReadDir(100)
		if err != nil {
			t.Fatalf("round %d: ReadDir(100) after the interruption: %v", round, err)
		}
		all = append(all, more...)
	}
	rest, err := d.ReadDir(-1)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, rest...)
	if diff := cmp.Diff(want, sortedNames(t, all)); diff != "" {
		t.Errorf("listing with interruptions (-os.ReadDir +Dir.ReadDir):\n%s", diff)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := sess.Close(); err != nil {
		t.Errorf("Session.Close: %v", err)
	}
}
