// Command pkgsftp is one benchmark client: it uploads a local file to an SFTP server through
// github.com/pkg/sftp over golang.org/x/crypto/ssh, forcing aes128-ctr and hmac-sha2-256, either with
// its concurrent ReadFrom (io.Copy into a *sftp.File, UseConcurrentWrites) or with a plain 32 KiB
// io.CopyBuffer that goes through Write, one packet at a time; or it downloads a remote file with
// io.Copy, which takes its concurrent File.WriteTo. It prints the seconds from opening the remote file
// to the last Close returning.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func main() {
	addr := flag.String("addr", "", "server host:port")
	user := flag.String("user", "", "user name")
	key := flag.String("key", "", "private key file")
	known := flag.String("knownhosts", "", "known_hosts file")
	local := flag.String("local", "", "local file")
	remote := flag.String("remote", "", "remote file")
	mode := flag.String("mode", "concurrent", "concurrent: io.Copy with UseConcurrentWrites; copy32k: 32 KiB io.CopyBuffer through Write; get: download with io.Copy (WriteTo)")
	flag.Parse()
	secs, err := run(*addr, *user, *key, *known, *local, *remote, *mode)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkgsftp:", err)
		os.Exit(1)
	}
	fmt.Printf("transfer_seconds %.6f\n", secs)
}

type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

func run(addr, user, keyPath, known, local, remote, mode string) (float64, error) {
	pem, err := os.ReadFile(keyPath)
	if err != nil {
		return 0, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return 0, err
	}
	hk, err := knownhosts.New(known)
	if err != nil {
		return 0, err
	}
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hk,
		Timeout:         30 * time.Second,
		Config: ssh.Config{
			Ciphers: []string{"aes128-ctr"},
			MACs:    []string{"hmac-sha2-256"},
		},
	}
	conn, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var opts []sftp.ClientOption
	if mode == "concurrent" {
		opts = append(opts, sftp.UseConcurrentWrites(true))
	}
	c, err := sftp.NewClient(conn, opts...)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if mode == "get" {
		return get(c, local, remote)
	}
	in, err := os.Open(local)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	start := time.Now()
	f, err := c.Create(remote)
	if err != nil {
		return 0, err
	}
	switch mode {
	case "concurrent":
		_, err = io.Copy(f, in)
	case "copy32k":
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

// get downloads remote into local with io.Copy, which takes sftp.File.WriteTo (concurrent reads).
func get(c *sftp.Client, local, remote string) (float64, error) {
	out, err := os.Create(local)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	start := time.Now()
	f, err := c.Open(remote)
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
