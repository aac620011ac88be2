// Command demo shows go-libssh2 at work: it starts a throw-away OpenSSH server on 127.0.0.1 with fresh
// keys, uploads a generated file to it through libssh2 with io.Copy, and checks on the server side that
// the upload is byte-for-byte identical (SHA-256). Run it with `make demo`.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

func main() {
	size := flag.Int64("size", 256<<20, "bytes to upload")
	flag.Parse()
	if err := run(*size); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// source generates size pseudo-random bytes and hashes them as they are read.
type source struct {
	rng  *rand.ChaCha8
	left int64
	sum  hash.Hash
	done atomic.Int64 // read by the progress line
}

func (s *source) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	s.rng.Read(p)
	s.sum.Write(p)
	s.left -= int64(len(p))
	s.done.Add(int64(len(p)))
	return len(p), nil
}

func run(size int64) error {
	fmt.Printf("go-libssh2 demo, libssh2 %s\n", libssh2.Version())
	fmt.Println("1. Starting a throw-away OpenSSH server on 127.0.0.1 with fresh host and user keys...")
	srv, err := sshd.Start(sshd.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf("   listening on %s; it is removed when the demo ends\n", srv.Addr)

	fmt.Println("2. Connecting through libssh2: handshake, host key checked against known_hosts, public-key login...")
	hostKeys, err := libssh2.KnownHosts(srv.KnownHostsPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", srv.Addr, &libssh2.Config{
		User:            srv.User,
		Auth:            []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.KeyPath, "")},
		HostKeyCallback: hostKeys,
	})
	if err != nil {
		return err
	}
	defer sess.Close()
	m, _ := sess.Methods()
	fmt.Printf("   connected as %s: cipher %s, MAC %s\n", srv.User, m.CipherClientToServer, m.MACClientToServer)

	sf, err := sess.SFTP()
	if err != nil {
		return err
	}
	remote := srv.Path("demo.bin")
	fmt.Printf("3. Uploading %d MiB of generated data to %s with io.Copy...\n", size>>20, remote)
	f, err := sf.Create(remote)
	if err != nil {
		return err
	}
	src := &source{rng: rand.NewChaCha8([32]byte{1}), left: size, sum: sha256.New()}
	start := time.Now()
	stop := progress(src, size, start)
	_, err = io.Copy(f, src)
	if err == nil {
		err = f.Close() // Close waits until the server has acknowledged every byte
	} else {
		f.Close()
	}
	stop()
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Printf("   %d bytes in %.2f s: %.1f MiB/s\n", size, elapsed.Seconds(), float64(size)/(1<<20)/elapsed.Seconds())

	fmt.Println("4. Verifying: SHA-256 of the file on the server against the bytes sent...")
	local := hex.EncodeToString(src.sum.Sum(nil))
	onServer, err := srv.SHA256(remote)
	if err != nil {
		return err
	}
	fmt.Printf("   sent:   %s\n   server: %s\n", local, onServer)
	if local != onServer {
		return fmt.Errorf("the server's file differs from the bytes sent")
	}
	fmt.Println("OK: the upload is identical.")
	return nil
}

// progress prints a progress line every half second while the upload runs, on a terminal only.
func progress(src *source, size int64, start time.Time) (stop func()) {
	st, err := os.Stdout.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Print("\r\033[K")
				return
			case <-t.C:
				n := src.done.Load()
				rate := float64(n) / (1 << 20) / time.Since(start).Seconds()
				fmt.Printf("\r   %3d%%  %d / %d MiB  %.1f MiB/s", n*100/size, n>>20, size>>20, rate)
			}
		}
	}()
	return func() { close(done); <-finished }
}
