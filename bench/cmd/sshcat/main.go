// Command sshcat is the bench's parallel-stream peer without SFTP: it moves one file in -n equal
// parts over -n OpenSSH ssh sessions at once, each running dd on the server, so each part is a plain
// byte stream over its own SSH channel and TCP connection.
//
//	put: part i is read by ssh from LOCAL.part<i> (made by the driver beforehand, so that no process
//	     copies the bytes on their way into ssh) and written on the server by
//	     dd of=REMOTE seek=<offset> oflag=seek_bytes conv=notrunc: the parts land in one file.
//	get: the server runs dd if=REMOTE skip=<offset> count=<length> iflag=skip_bytes,count_bytes,
//	     and ssh writes it straight into LOCAL, opened once per part and positioned at the part's
//	     offset.
//
// Each remote command first prints "go" on its standard error. The time printed runs from the first
// "go" (the first remote process has started: the handshakes and logins are over) to the last ssh
// exiting, as the SFTP clients are timed from opening the remote file. The ssh command line comes
// after "--" (the driver forces aes128-ctr and hmac-sha2-256 there); this program waits for every
// ssh, so its rusage includes theirs.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

func main() {
	n := flag.Int("n", 4, "parallel sessions")
	mode := flag.String("mode", "put", "put or get")
	local := flag.String("local", "", "local file (put: its parts LOCAL.part0...)")
	remote := flag.String("remote", "", "remote file")
	size := flag.Int64("size", 0, "bytes of the file")
	flag.Parse()
	ssh := flag.Args()
	if len(ssh) == 0 || *local == "" || *remote == "" || *size <= 0 || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: sshcat -n N -mode put|get -local L -remote R -size BYTES -- ssh [options] user@host")
		os.Exit(2)
	}
	secs, err := run(*n, *mode, *local, *remote, *size, ssh)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshcat:", err)
		os.Exit(1)
	}
	fmt.Printf("transfer_seconds %.6f\n", secs)
}

// quote makes s one word for the remote shell.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func run(n int, mode, local, remote string, size int64, ssh []string) (float64, error) {
	var (
		mu    sync.Mutex
		first time.Time
		errs  []error
		wg    sync.WaitGroup
	)
	started := func() {
		mu.Lock()
		if first.IsZero() {
			first = time.Now()
		}
		mu.Unlock()
	}
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for i := range n {
		off, end := size*int64(i)/int64(n), size*int64(i+1)/int64(n)
		var cmd *exec.Cmd
		switch mode {
		case "put":
			in, err := os.Open(fmt.Sprintf("%s.part%d", local, i))
			if err != nil {
				return 0, err
			}
			files = append(files, in)
			cmd = exec.Command(ssh[0], append(ssh[1:], fmt.Sprintf(
				"echo go >&2; exec dd of=%s bs=1M seek=%d oflag=seek_bytes conv=notrunc status=none", quote(remote), off))...)
			cmd.Stdin = in
		case "get":
			out, err := os.OpenFile(local, os.O_WRONLY|os.O_CREATE, 0o644)
			if err != nil {
				return 0, err
			}
			files = append(files, out)
			if _, err := out.Seek(off, io.SeekStart); err != nil {
				return 0, err
			}
			cmd = exec.Command(ssh[0], append(ssh[1:], fmt.Sprintf(
				"echo go >&2; exec dd if=%s bs=1M skip=%d count=%d iflag=skip_bytes,count_bytes status=none", quote(remote), off, end-off))...)
			cmd.Stdout = out
		default:
			return 0, fmt.Errorf("unknown mode %q", mode)
		}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			return 0, err
		}
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var other strings.Builder
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if sc.Text() == "go" {
					started()
				} else {
					other.WriteString(sc.Text() + "\n")
				}
			}
			if err := cmd.Wait(); err != nil {
				fail(fmt.Errorf("part %d: %v: %s", i, err, strings.TrimSpace(other.String())))
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	if len(errs) > 0 {
		return 0, errors.Join(errs...)
	}
	if first.IsZero() {
		return 0, errors.New("no remote command said go")
	}
	return end.Sub(first).Seconds(), nil
}
