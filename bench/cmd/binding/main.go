// Command binding is one benchmark client: it uploads a local file to an SFTP server through
// go-libssh2, with io.Copy (File.ReadFrom), with 32 KiB Writes or with SFTP.Upload over several
// sessions, downloads a remote file with io.Copy (File.WriteTo) or SFTP.Download, or uploads a tree
// of files through a Batch (parallel.go), forcing aes128-ctr and hmac-sha2-256, and prints the
// seconds from opening the first remote file to the last Close returning. The bench driver runs it
// as a subprocess so that its CPU time and peak RSS are its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

func main() {
	addr := flag.String("addr", "", "server host:port")
	user := flag.String("user", "", "user name")
	key := flag.String("key", "", "private key file")
	known := flag.String("knownhosts", "", "known_hosts file")
	local := flag.String("local", "", "local file")
	remote := flag.String("remote", "", "remote file")
	mode := flag.String("mode", "copy", "copy: upload with io.Copy (ReadFrom); write32k: upload with 32 KiB Writes; get: download with io.Copy (WriteTo); "+
		"upload: SFTP.Upload; download: SFTP.Download; tree: upload the directory -local as -remote through a Batch")
	window := flag.Int("window", 0, "write window in bytes (0: the library's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the transfer here")
	flag.IntVar(&treeLanes, "lanes", 0, "tree: the Batch's SFTP channels per session (TransferOptions.Lanes; 0: the library's default)")
	flag.BoolVar(&treeGo, "go", false, "tree: every file as a Batch.Go job, small ones too (not Batch.Put)")
	flag.Parse()
	secs, err := run(*addr, *user, *key, *known, *local, *remote, *mode, *window, *cpuprofile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "binding:", err)
		os.Exit(1)
	}
	fmt.Printf("transfer_seconds %.6f\n", secs)
}

// onlyWriter hides File.ReadFrom so that io.CopyBuffer goes through Write.
type onlyWriter struct{ io.Writer }

func run(addr, user, key, known, local, remote, mode string, window int, cpuprofile string) (float64, error) {
	hk, err := libssh2.KnownHosts(known)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", addr, &libssh2.Config{
		User:            user,
		Auth:            []libssh2.AuthMethod{libssh2.PublicKeyFile(key, "")},
		HostKeyCallback: hk,
		Ciphers:         []string{"aes128-ctr"},
		MACs:            []string{"hmac-sha2-256"},
	})
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	m, err := sess.Methods()
	if err != nil {
		return 0, err
	}
	if m.CipherClientToServer != "aes128-ctr" || m.MACClientToServer != "hmac-sha2-256" {
		return 0, fmt.Errorf("negotiated %s/%s, want aes128-ctr/hmac-sha2-256", m.CipherClientToServer, m.MACClientToServer)
	}
	sf, err := sess.SFTP()
	if err != nil {
		return 0, err
	}
	defer sf.Close()
	if window > 0 {
		if err := sf.SetWriteWindow(window); err != nil {
			return 0, err
		}
	}
	if mode == "get" {
		return get(sf, local, remote, cpuprofile)
	}
	if _, ok := parallelModes[mode]; ok {
		return runParallel(sf, mode, local, remote)
	}
	in, err := os.Open(local)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	if cpuprofile != "" {
		pf, err := os.Create(cpuprofile)
		if err != nil {
			return 0, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	f, err := sf.Create(remote)
	if err != nil {
		return 0, err
	}
	switch mode {
	case "copy":
		_, err = io.Copy(f, in)
	case "write32k":
		_, err = io.CopyBuffer(onlyWriter{f}, onlyReader{in}, make([]byte, 32<<10))
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// onlyReader hides os.File.WriteTo so that io.CopyBuffer uses the buffer given.
type onlyReader struct{ io.Reader }

// get downloads remote into local with io.Copy, which takes File.WriteTo.
func get(sf *libssh2.SFTP, local, remote, cpuprofile string) (float64, error) {
	out, err := os.Create(local)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	if cpuprofile != "" {
		pf, err := os.Create(cpuprofile)
		if err != nil {
			return 0, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	f, err := sf.Open(remote)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(out, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}
