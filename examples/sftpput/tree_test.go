package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/examples/internal/exampletest"
)

// listTree lists the tree at root: each directory as "path/", each file as "path sha256".
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			out = append(out, rel+"/")
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out = append(out, rel+" "+hex.EncodeToString(sum[:]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecursiveNestedTree(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	tree := filepath.Join(t.TempDir(), "tree")
	for _, d := range []string{"sub/deeper/deepest", "empty", "other"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exampletest.RandomFile(t, tree, "top.txt", 100, 11)
	exampletest.RandomFile(t, filepath.Join(tree, "sub"), "one.bin", 1<<20+3, 12)
	exampletest.RandomFile(t, filepath.Join(tree, "sub/deeper"), "two.bin", 70000, 13)
	exampletest.RandomFile(t, filepath.Join(tree, "sub/deeper/deepest"), "zero.bin", 0, 14)
	exampletest.RandomFile(t, filepath.Join(tree, "other"), "three.txt", 5, 15)
	want := listTree(t, tree)

	// REMOTE does not exist: it becomes the copy of the tree.
	r := runPiped(t, home, append(port(srv), "-r", tree, dest(srv, "copy"))...)
	if r.code != 0 {
		t.Fatalf("-r: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(want, listTree(t, srv.Path("copy"))); diff != "" {
		t.Errorf("the server's tree (-local +remote):\n%s", diff)
	}
	if n := len(summaryLine.FindAllString(r.stdout, -1)); n != 5 {
		t.Errorf("%d summary lines, want one per file (5):\n%s", n, r.stdout)
	}

	// REMOTE is a directory now: the tree goes inside it, under its own name.
	r = runPiped(t, home, append(port(srv), "-r", "-q", tree, dest(srv, "copy"))...)
	if r.code != 0 {
		t.Fatalf("-r into a directory: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(want, listTree(t, srv.Path("copy/tree"))); diff != "" {
		t.Errorf("the server's tree inside the directory (-local +remote):\n%s", diff)
	}

	// A file where a directory must go: a one-line error, not a crash or a partial silence.
	if err := os.WriteFile(srv.Path("blocked"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runPiped(t, home, append(port(srv), "-r", tree, dest(srv, "blocked/inside"))...)
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("-r under a file: exit status %d; want 1 and one line; stderr:\n%s", r.code, r.stderr)
	}
}

// stableSize waits until the server's file name stops growing (its sftp-server has finished what
// it received) and returns its size.
func stableSize(t *testing.T, name string) int64 {
	t.Helper()
	// The killed client's sftp-server still writes what it had queued: the size counts as stable
	// once it stays the same for half a second (one 100 ms look missed a late write under load).
	last, same := int64(-1), 0
	for i := 0; i < 300; i++ {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() == last {
			if same++; same == 5 {
				return last
			}
		} else {
			last, same = st.Size(), 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s kept growing for 30 s", name)
	return 0
}

func TestResumeAfterKill(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	remote := srv.Path("resume.bin")
	t.Cleanup(func() { os.Remove(remote) }) // 256 MiB
	cmd, stdout, stderr := start(t, home, append(port(srv), bigFile, dest(srv, "resume.bin"))...)
	waitSize(t, remote, 16<<20)
	cmd.Process.Signal(syscall.SIGKILL) // no chance to drain or close: a crash
	wait(t, cmd, stdout, stderr)
	landed := stableSize(t, remote)
	if landed >= bigSize {
		t.Fatalf("the whole file landed before the kill: nothing to resume")
	}

	r := runPiped(t, home, append(port(srv), "-a", bigFile, dest(srv, "resume.bin"))...)
	if r.code != 0 {
		t.Fatalf("-a: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, bigFile, remote)
	m := summaryLine.FindStringSubmatch(r.stdout)
	if m == nil || m[4] != strconv.FormatInt(landed, 10) {
		t.Errorf("want a summary saying it resumed at byte %d:\n%s", landed, r.stdout)
	}

	// Complete already: nothing to send.
	r = runPiped(t, home, append(port(srv), "-a", bigFile, dest(srv, "resume.bin"))...)
	if r.code != 0 || !strings.Contains(r.stdout, "already complete on the server") {
		t.Errorf("-a on a complete file: exit status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	sameFile(t, bigFile, remote)
}

func TestResumeRefusesWhatIsNotAPrefix(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	local := exampletest.RandomFile(t, t.TempDir(), "local.bin", 3<<20, 16)
	b, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	// A remote file that differs (as a killed upload over several sessions leaves it: bytes, and
	// zeros, past its good prefix) resumes at the first byte that differs.
	differs := append(append([]byte{}, b[:300000]...), make([]byte, 700000)...)
	copy(differs[500000:], b[500000:600000])
	if err := os.WriteFile(srv.Path("prefix-differs.bin"), differs, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runPiped(t, home, append(port(srv), "-a", local, dest(srv, "prefix-differs.bin"))...)
	if m := summaryLine.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[4] != "300000" {
		t.Errorf("-a over a file that differs at byte 300000: exit status %d, stdout %q, stderr %q; want a resume at byte 300000", r.code, r.stdout, r.stderr)
	}
	sameFile(t, local, srv.Path("prefix-differs.bin"))
	for _, tc := range []struct {
		name   string
		remote []byte
		want   string
	}{
		{"larger", append(append([]byte{}, b...), 'x'), "is larger (3145729 bytes) than the local file (3145728 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remote := srv.Path("prefix-" + tc.name + ".bin")
			if err := os.WriteFile(remote, tc.remote, 0o644); err != nil {
				t.Fatal(err)
			}
			r := runPiped(t, home, append(port(srv), "-a", local, dest(srv, "prefix-"+tc.name+".bin"))...)
			if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit status %d; want 1 and one line saying %q; stderr:\n%s", r.code, tc.want, r.stderr)
			}
			got, _ := os.ReadFile(remote)
			if !bytes.Equal(tc.remote, got) { // cmp.Diff would spend seconds on megabytes
				t.Errorf("the refused remote file changed")
			}
		})
	}
	// No remote file at all: -a uploads from the start.
	r = runPiped(t, home, append(port(srv), "-a", local, dest(srv, "prefix-none.bin"))...)
	if r.code != 0 || strings.Contains(r.stdout, "resumed") {
		t.Errorf("-a without a remote file: exit status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	sameFile(t, local, srv.Path("prefix-none.bin"))
}
