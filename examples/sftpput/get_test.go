package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/examples/internal/exampletest"
)

// TestDownload: remote files first, a local path last: a file, several files into a directory, and
// with -r a tree of many small files, all exact.
func TestDownload(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	dir := srv.Path("get")
	os.RemoveAll(dir)
	for d := 0; d < 4; d++ {
		if err := os.MkdirAll(filepath.Join(dir, "tree", fmt.Sprintf("d%d", d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exampletest.RandomFile(t, dir, "one.bin", 20<<20+7, 21)
	exampletest.RandomFile(t, dir, "two.txt", 300, 22)
	tree := filepath.Join(dir, "tree")
	for d := 0; d < 4; d++ {
		for i := 0; i < 50; i++ {
			exampletest.RandomFile(t, filepath.Join(tree, fmt.Sprintf("d%d", d)), fmt.Sprintf("f%d", i), int64(4096+i), byte(50*d+i))
		}
	}
	if err := os.MkdirAll(filepath.Join(tree, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()

	r := runPiped(t, home, append(port(srv), dest(srv, "get/one.bin"), filepath.Join(local, "copy.bin"))...)
	if r.code != 0 {
		t.Fatalf("download: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, filepath.Join(local, "copy.bin"), filepath.Join(dir, "one.bin"))
	if n := len(summaryLine.FindAllString(r.stdout, -1)); n != 1 {
		t.Errorf("%d summary lines, want 1:\n%s", n, r.stdout)
	}

	r = runPiped(t, home, append(port(srv), "-q", dest(srv, "get/one.bin"), dest(srv, "get/two.txt"), local)...)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("download of two files into a directory: exit status %d, stdout %q; stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	sameFile(t, filepath.Join(local, "one.bin"), filepath.Join(dir, "one.bin"))
	sameFile(t, filepath.Join(local, "two.txt"), filepath.Join(dir, "two.txt"))

	r = runPiped(t, home, append(port(srv), dest(srv, "get/tree"), local)...)
	if r.code != 1 || !strings.Contains(r.stderr, "is a directory on the server (use -r") {
		t.Errorf("a directory without -r: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	r = runPiped(t, home, append(port(srv), "-r", dest(srv, "get/tree"), local)...)
	if r.code != 0 {
		t.Fatalf("-r download: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff(listTree(t, tree), listTree(t, filepath.Join(local, "tree"))); diff != "" {
		t.Errorf("the downloaded tree (-remote +local):\n%s", diff)
	}
	if n := len(summaryLine.FindAllString(r.stdout, -1)); n != 200 {
		t.Errorf("%d summary lines, want one per file (200)", n)
	}

	// Several sources must go into a directory.
	r = runPiped(t, home, append(port(srv), dest(srv, "get/one.bin"), dest(srv, "get/two.txt"), filepath.Join(local, "none"))...)
	if r.code != 1 || !strings.Contains(r.stderr, "no such directory") {
		t.Errorf("two files into a missing directory: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
}

// TestDownloadInterruptResume: Ctrl-C stops a download with the local file cut to the bytes known
// exact, and -a completes it.
func TestDownloadInterruptResume(t *testing.T) {
	home := exampletest.Home(t, srv, true, true)
	remote := srv.Path("get-big.bin")
	if err := os.Link(bigFile, remote); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(remote) })
	local := filepath.Join(t.TempDir(), "big.bin")
	cmd, stdout, stderr := start(t, home, append(port(srv), dest(srv, "get-big.bin"), local)...)
	waitSize(t, local, 16<<20)
	cmd.Process.Signal(os.Interrupt)
	r := wait(t, cmd, stdout, stderr)
	if r.code != 130 {
		t.Fatalf("exit status %d, want 130; stderr:\n%s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`^sftpput: interrupted: \S+ holds the first (\d+) bytes \([^)]*\); run again with -a to resume\n$`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("stderr is not the one-line interruption report:\n%s", r.stderr)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	got, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n >= bigSize || int64(len(got)) != n || !bytes.Equal(got, readPrefix(t, bigFile, n)) {
		t.Fatalf("interrupted at %d bytes; the local file has %d bytes; want the first %d bytes of the remote file", n, len(got), n)
	}
	r = runPiped(t, home, append(port(srv), "-a", dest(srv, "get-big.bin"), local)...)
	if r.code != 0 {
		t.Fatalf("-a: exit status %d; stderr:\n%s", r.code, r.stderr)
	}
	sameFile(t, local, bigFile)
	if m := summaryLine.FindStringSubmatch(r.stdout); m == nil || m[4] != strconv.FormatInt(n, 10) {
		t.Errorf("want a summary saying it resumed at byte %d:\n%s", n, r.stdout)
	}
}
