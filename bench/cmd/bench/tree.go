package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The small-file tree: treeFiles files of treeFileSize bytes in treeDirs directories, uploaded by
// the binding (a Batch, as sftpput -r), OpenSSH's sftp (put -r), scp -r and lftp's mirror -R.

const (
	treeFiles    = 1000
	treeFileSize = 4096
	treeDirs     = 10
	// treeParallel is lftp mirror's --parallel: as many transfers at once as a Batch may use.
	treeParallel = 16
)

func fileSize(name string) int64 {
	st, err := os.Stat(name)
	if err != nil {
		return 0
	}
	return st.Size()
}

// genTree writes the tree under dir and returns its digest.
func genTree(dir string) (string, error) {
	for i := 0; i < treeFiles; i++ {
		d := filepath.Join(dir, fmt.Sprintf("d%02d", i%treeDirs))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		if _, err := genFile(filepath.Join(d, fmt.Sprintf("f%04d", i)), treeFileSize, byte(i)); err != nil {
			return "", err
		}
	}
	return treeDigest(dir)
}

// treeDigest is the SHA-256 of the sorted list of every file's path and SHA-256 under dir.
func treeDigest(dir string) (string, error) {
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		lines = append(lines, rel+" "+hex.EncodeToString(sum[:]))
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return fmt.Sprintf("%d files %s", len(lines), hex.EncodeToString(sum[:])), nil
}

// treeClients are the tree uploaders: argv(localDir, remoteDir).
func (e *env) treeClients() []client {
	srv := e.srv
	return []client{
		{name: "binding tree (Batch)", argv: func(local, remote string, _ int) []string {
			return []string{filepath.Join(e.bin, "binding"), "-addr", srv.Addr, "-user", srv.User, "-key", srv.KeyPath,
				"-knownhosts", srv.KnownHostsPath, "-local", local, "-remote", remote, "-mode", "tree"}
		}},
		{name: "OpenSSH sftp put -r", argv: func(local, remote string, _ int) []string {
			return e.sftpArgs(fmt.Sprintf("put -r %s %s", local, remote))
		}},
		{name: "scp -r", argv: func(local, remote string, _ int) []string {
			ssh := e.sshArgs()
			opts := strings.Join(ssh[1:len(ssh)-2], " ") // scp takes ssh's options, but -P for the port
			return stamped(fmt.Sprintf("scp -q -r %s -P %d %s %s@%s:%s", opts, srv.Port, local, srv.User, srv.Host, remote))
		}},
		{name: fmt.Sprintf("lftp mirror -R --parallel=%d", treeParallel), argv: func(local, remote string, _ int) []string {
			return e.lftp(fmt.Sprintf("mirror -R --parallel=%d %s %s", treeParallel, local, remote))
		}},
	}
}

// treeRows runs the tree uploads for every round and prints their table and targets.
func (e *env) treeRows(rtt float64) (int, error) {
	local := filepath.Join(e.work, "tree")
	want, err := genTree(local)
	if err != nil {
		return 0, err
	}
	clients := e.treeClients()
	results := map[string][]result{}
	failures := 0
	fmt.Printf("\ntrees (%d files of %d bytes in %d directories):\n", treeFiles, treeFileSize, treeDirs)
	for r := 1; r <= *rounds; r++ {
		fmt.Printf("round %d/%d\n", r, *rounds)
		for _, c := range clients {
			remote := e.srv.Path("tree-" + fileName(c.name))
			os.RemoveAll(remote)
			res, err := e.runClient(c.argv(local, remote, r), treeFiles*treeFileSize)
			if err == nil {
				var got string
				if got, err = treeDigest(remote); err == nil && got != want {
					err = fmt.Errorf("the uploaded tree is %s, want %s", got, want)
				}
			}
			os.RemoveAll(remote)
			failures += e.record(c, res, err, results)
		}
	}
	fmt.Println()
	printTreeTable(clients, results, rtt)
	return failures, nil
}

func printTreeTable(clients []client, results map[string][]result, rtt float64) {
	where := "loopback"
	if rtt > 0 {
		where = fmt.Sprintf("%.1f ms RTT", rtt*1000)
	}
	fmt.Printf("trees: %d round(s), %s\n", *rounds, where)
	fmt.Println("| client | median s | min | max | CPU s | ctx switches | peak RSS MiB |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	secs := map[string]float64{}
	for _, c := range clients {
		rs := results[c.name]
		if len(rs) == 0 {
			continue
		}
		var ts, cpus, sws []float64
		var rss int64
		for _, r := range rs {
			ts = append(ts, r.secs)
			cpus = append(cpus, r.cpu)
			sws = append(sws, float64(r.vcsw+r.ivcsw))
			rss = max(rss, r.maxRSS)
		}
		secs[c.name] = median(ts)
		fmt.Printf("| %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.1f |\n", c.name, median(ts), slicesMin(ts), slicesMax(ts),
			median(cpus), median(sws), float64(rss)/(1<<20))
	}
	base := secs["binding tree (Batch)"]
	if base == 0 {
		return
	}
	fmt.Println("\ntargets (issue 12):")
	speedup := func(peer string, want float64) {
		if s := secs[peer]; s > 0 {
			verdict(fmt.Sprintf("tree: %s time / binding tree time", peer), s/base, want)
		}
	}
	if rtt > 0 {
		speedup("OpenSSH sftp put -r", 15)
		speedup(fmt.Sprintf("lftp mirror -R --parallel=%d", treeParallel), 1.0)
	} else {
		speedup("OpenSSH sftp put -r", 1.5)
	}
}

func slicesMin(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

func slicesMax(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// verdict prints one target: MET when got >= want.
func verdict(what string, got, want float64) {
	v := "MET"
	if got < want {
		v = "MISSED"
	}
	fmt.Printf("  %-6s %s: %.2f (target >= %.2f)\n", v, what, got, want)
}
