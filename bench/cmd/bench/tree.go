package main

// The small-file tree: -treefiles files of -treefilesize bytes in -treedirs directories, uploaded
// as one directory by the binding (a Batch), OpenSSH's sftp (put -r), scp -r and lftp (mirror -R),
// every file checked on the server afterwards.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// localTree is a generated tree: the SHA-256 of every file by its slash-separated path.
type localTree struct {
	dir   string
	sums  map[string]string
	files int
	bytes int64
}

// genTree writes files files of size bytes each, spread over dirs directories d00, d01, ... of dir,
// with pseudo-random contents from seed.
func genTree(dir string, files int, size int64, dirs int, seed byte) (*localTree, error) {
	t := &localTree{dir: dir, sums: map[string]string{}, files: files, bytes: int64(files) * size}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	rng := rand.NewChaCha8([32]byte{seed})
	buf := make([]byte, 1<<20)
	for i := range files {
		rel := fmt.Sprintf("d%02d/f%04d.bin", i%dirs, i)
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		f, err := os.Create(p)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		w := bufio.NewWriterSize(io.MultiWriter(f, h), len(buf))
		for left := size; left > 0; {
			k := min(int64(len(buf)), left)
			rng.Read(buf[:k])
			w.Write(buf[:k])
			left -= k
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		t.sums[rel] = hex.EncodeToString(h.Sum(nil))
	}
	return t, nil
}

// check compares the tree that arrived at remote (a directory of the server, on this machine)
// with t: the same files, no others, each with the same SHA-256.
func (t *localTree) check(remote string) error {
	seen := 0
	err := filepath.WalkDir(remote, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(remote, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		want, ok := t.sums[rel]
		if !ok {
			return fmt.Errorf("%s arrived but was not sent", rel)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			return fmt.Errorf("%s arrived with SHA-256 %s, want %s", rel, got, want)
		}
		seen++
		return nil
	})
	if err != nil {
		return err
	}
	if seen != t.files {
		return fmt.Errorf("%d of %d files arrived", seen, t.files)
	}
	return nil
}

// treeClients lists the tree uploaders, in the order of every round.
func (e *env) treeClients() []client {
	srv := e.srv
	scp := e.scp()
	scp.slow = true
	binding := func(name, lanes string, extra ...string) client {
		return client{name: name, argv: func(local, remote string, _ int) []string {
			return append([]string{filepath.Join(e.bin, "binding"), "-addr", srv.Addr, "-user", srv.User, "-key", srv.KeyPath,
				"-knownhosts", srv.KnownHostsPath, "-local", local, "-remote", remote, "-mode", "tree", "-lanes", lanes}, extra...)
		}}
	}
	return []client{
		binding("binding tree (Batch)", "0"),
		binding("binding tree (Batch.Go)", "0", "-go"),
		binding("binding tree (Batch) lanes=1", "1"),
		{name: "OpenSSH sftp put -r", slow: true, argv: func(local, remote string, _ int) []string {
			return e.sftpArgs(fmt.Sprintf("put -r %s %s", local, remote))
		}},
		scp,
		e.cTree(1),
		e.cTree(cTreeLanes),
		// One SFTP channel with an open, a write and closes of different files in flight together
		// (c/libssh2_client.c, pipe_tree): what one channel can do without lanes.
		{name: "C libssh2 tree pipelined", argv: func(local, remote string, _ int) []string {
			return e.cArgs(local, remote, "pipe")
		}},
		e.lftp("lftp mirror -R --parallel="+strconv.Itoa(*lftpParallel),
			"mirror -R --parallel="+strconv.Itoa(*lftpParallel)+" %s %s", false),
	}
}

// cTreeLanes is how many SFTP channels the C client's pipelined tree uses: sshd allows 10 channels
// per connection (MaxSessions).
const cTreeLanes = 8

// cTree is the C client's tree upload (c/libssh2_client.c, tree) on one session over lanes SFTP
// channels, each with one file's requests in flight: with one lane it is sequential like sftp put
// -r; with several it shows what one libssh2 session can do with many files in flight, the ceiling
// of a Batch that stays on one session. With one lane it waits three round trips a file, so at
// high latency it runs in the first -treeslowrounds rounds only.
func (e *env) cTree(lanes int) client {
	return client{name: fmt.Sprintf("C libssh2 tree lanes=%d", lanes), slow: lanes == 1, argv: func(local, remote string, _ int) []string {
		return e.cArgs(local, remote, "tree", "-lanes", strconv.Itoa(lanes))
	}}
}

// treeUpload runs one tree uploader and checks every file that arrived.
func (e *env) treeUpload(c client, t *localTree, remote string, round int) (result, error) {
	os.RemoveAll(remote)
	defer os.RemoveAll(remote)
	res, err := e.runClient(c, c.argv(t.dir, remote, round), t.bytes, func() error { return t.check(remote) })
	res.files = t.files
	return res, err
}

func printTreeTable(clients []client, results map[string][]result, t *localTree, rtt float64) []stats {
	all := summarizeAll(clients, results)
	fmt.Printf("tree: %s, %d file(s) of %d bytes in %d directories, %d round(s), %s, %s + %s, server files in tmpfs\n",
		stamp(), t.files, t.bytes/int64(t.files), *treeDirs, treeRoundCount(), where(rtt), cipher, mac)
	if rtt > 0 && *treeSlow < treeRoundCount() {
		fmt.Printf("(sftp put -r and scp -r ran in the first %d round(s) only: -treeslowrounds)\n", *treeSlow)
	}
	base := find(all, treeBase)
	fmt.Println("| client | median s | files/s | min s | max s | spread | CPU s | vol. cs | invol. cs | peak RSS MiB | speed / " + treeBase + " |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range all {
		rs := "-"
		if base != nil {
			rs = fmt.Sprintf("%.2fx", s.median/base.median)
		}
		fmt.Printf("| %s | %.2f | %.0f | %.2f | %.2f | %.0f%% | %.2f | %.0f | %.0f | %.1f | %s |\n", s.name, s.secs,
			float64(t.files)/s.secs, s.loSecs, s.hiSecs, s.spreadPct, s.cpu, s.vcsw, s.ivcsw, float64(s.maxRSS)/(1<<20), rs)
	}
	return all
}

const treeBase = "binding tree (Batch)"

// treeRoundCount is -treerounds, or -rounds when it is 0.
func treeRoundCount() int {
	if *treeRounds > 0 {
		return *treeRounds
	}
	return *rounds
}
