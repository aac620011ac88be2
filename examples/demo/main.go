// Command demo shows go-libssh2 at work, with nothing to set up: it starts a throw-away OpenSSH
// server on 127.0.0.1 with fresh keys, generates a 256 MiB file, uploads it through libssh2 with the
// same code as the sftpput command (examples/internal/upload: io.Copy into a File, then Close),
// prints the throughput, and checks on the server's side that the copy is byte-for-byte identical
// (SHA-256). Everything it creates is removed at the end. Run it with `make demo`.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/seed191f4051/go-libssh2/examples/internal/term"
	"github.com/seed191f4051/go-libssh2/examples/internal/upload"
	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

func main() {
	size := flag.Int64("size", 256<<20, "bytes to upload")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var progress io.Writer
	width := 0
	if term.IsTerminal(os.Stdout) {
		progress, width = os.Stdout, term.Width(os.Stdout)
	}
	if err := run(ctx, *size, os.Stdout, progress, width); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// run is the demo; it prints to out, and the progress line to progress, a terminal width columns
// wide, when it is not nil.
func run(ctx context.Context, size int64, out, progress io.Writer, width int) error {
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	say("go-libssh2 demo (libssh2 %s, the C library, called from Go through cgo)", libssh2.Version())
	say("")
	say("1. Starting a throw-away SSH server (OpenSSH's sshd) on 127.0.0.1, with fresh keys made for")
	say("   this run only. It does not touch your ~/.ssh or the system's SSH server.")
	srv, err := sshd.Start(sshd.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	say("   Listening on %s.", srv.Addr)

	work, err := os.MkdirTemp("", "go-libssh2-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	local := filepath.Join(work, "demo.bin")
	say("")
	say("2. Writing a local file of %s of random bytes to upload, and remembering its SHA-256", upload.Size(size))
	say("   fingerprint so that we can check the copy later.")
	sent, err := generate(local, size)
	if err != nil {
		return err
	}

	say("")
	say("3. Connecting through libssh2: the SSH handshake (the two sides agree on encryption), then the")
	say("   server's host key is checked against a known_hosts file (so we know we talk to the right")
	say("   server), then we log in with a private key.")
	hostKeys, err := libssh2.KnownHosts(srv.KnownHostsPath)
	if err != nil {
		return err
	}
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(dialCtx, "tcp", srv.Addr, &libssh2.Config{
		User:            srv.User,
		Auth:            []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.KeyPath, "")},
		HostKeyCallback: hostKeys,
	})
	if err != nil {
		return err
	}
	defer sess.Close()
	if m, err := sess.Methods(); err == nil {
		say("   Logged in as %s; the data is encrypted with %s and authenticated with %s.", srv.User, m.CipherClientToServer, m.MACClientToServer)
	}
	sf, err := sess.SFTPContext(ctx)
	if err != nil {
		return err
	}

	remote := srv.Path("demo.bin")
	say("")
	say("4. Uploading it over SFTP to %s, with the code the sftpput command uses:", remote)
	say("   io.Copy into the remote file, which keeps 0.5 to 4 MB in flight so the link never idles,")
	say("   then Close, which returns only once the server has confirmed every byte.")
	res, err := upload.File(ctx, sf, local, remote, upload.Options{Name: "   demo.bin", Progress: progress, Width: width, Summary: out})
	if err != nil {
		return err
	}
	say("   Throughput: %.1f MiB/s (%d bytes in %.2f s), encryption included.", res.Rate()/(1<<20), res.Sent, res.Elapsed.Seconds())

	say("")
	say("5. Checking the copy: SHA-256 of the file the server wrote, against the one of the local file.")
	onServer, err := srv.SHA256(remote)
	if err != nil {
		return err
	}
	say("   local:  %s", sent)
	say("   server: %s", onServer)
	if sent != onServer {
		return errors.New("the server's copy differs from the local file")
	}
	say("")
	say("OK: the server holds an identical copy. The server, its keys and both files are now removed.")
	say("Next: `make test` runs every test; examples/sftpput uploads to real servers (see README.md).")
	return nil
}

// generate writes size pseudo-random bytes to name and returns their SHA-256.
func generate(name string, size int64) (string, error) {
	f, err := os.Create(name)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.CopyN(io.MultiWriter(f, h), rand.NewChaCha8([32]byte{1}), size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return hex.EncodeToString(h.Sum(nil)), err
}
