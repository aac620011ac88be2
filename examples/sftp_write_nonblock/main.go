// Command sftp_write_nonblock is the Go counterpart of libssh2's example/sftp_write_nonblock.c: it
// uploads a local file with the faithful API on a non-blocking session. File.RawWrite
// (libssh2_sftp_write) returns ErrWouldBlock (LIBSSH2_ERROR_EAGAIN) instead of waiting;
// Session.WaitSocket waits for the socket in the direction libssh2 needs, like the C example's
// waitsocket(), and the same call is repeated with the same bytes.
//
//	sftp_write_nonblock HOST[:PORT] USER KEYFILE|PASSWORD LOCALFILE REMOTEPATH [KNOWN_HOSTS]
//
// The third argument is used as a private key file when such a file exists, else as a password.
// The server's host key must be in KNOWN_HOSTS (default ~/.ssh/known_hosts).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

func main() {
	if len(os.Args) < 6 || len(os.Args) > 7 {
		fmt.Fprintln(os.Stderr, "usage: sftp_write_nonblock HOST[:PORT] USER KEYFILE|PASSWORD LOCALFILE REMOTEPATH [KNOWN_HOSTS]")
		os.Exit(2)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sftp_write_nonblock:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "all done")
}

func run(args []string) error {
	host, user, secret, localPath, remotePath := args[0], args[1], args[2], args[3], args[4]
	knownHosts := filepath.Join(os.Getenv("HOME"), ".ssh", "known_hosts")
	if len(args) > 5 {
		knownHosts = args[5]
	}
	local, err := os.Open(localPath)
	if err != nil {
		return fmt.Errorf("cannot open local file: %w", err)
	}
	defer local.Close()

	check, err := libssh2.KnownHosts(knownHosts)
	if err != nil {
		return err
	}
	auth := libssh2.Password(secret)
	if st, err := os.Stat(secret); err == nil && st.Mode().IsRegular() {
		auth = libssh2.PublicKeyFile(secret, "")
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "22")
	}
	// The handshake, the host key check and the authentication wait inside Dial; the C example
	// loops on LIBSSH2_ERROR_EAGAIN for each of them.
	sess, err := libssh2.Dial(context.Background(), "tcp", host, &libssh2.Config{
		User: user,
		Auth: []libssh2.AuthMethod{auth},
		HostKeyCallback: func(hostname string, remote net.Addr, key libssh2.PublicKey) error {
			fmt.Fprintf(os.Stderr, "Fingerprint: %s %s\n", key.Type(), libssh2.Fingerprint(key))
			return check(hostname, remote, key)
		},
	})
	if err != nil {
		return err
	}
	defer sess.Close()

	fmt.Fprintln(os.Stderr, "libssh2_sftp_init().")
	sftp, err := sess.SFTP()
	if err != nil {
		return err
	}
	defer sftp.Close()

	fmt.Fprintln(os.Stderr, "libssh2_sftp_open().")
	f, err := sftp.OpenFile(remotePath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}

	// From here on, the faithful calls behave like libssh2 after
	// libssh2_session_set_blocking(session, 0).
	sess.SetNonblocking(true)
	fmt.Fprintln(os.Stderr, "libssh2_sftp_open() is done, now send data.")
	start := time.Now()
	var total int64
	waits := 0 // how often libssh2 said EAGAIN
	mem := make([]byte, 100*1024)
	for {
		nread, rerr := io.ReadFull(local, mem)
		if nread == 0 {
			if rerr == io.EOF {
				break
			}
			f.Close()
			return rerr
		}
		total += int64(nread)
		ptr := mem[:nread]
		for len(ptr) > 0 {
			nwritten, err := f.RawWrite(ptr)
			if errors.Is(err, libssh2.ErrWouldBlock) {
				// libssh2 queued what it could and waits for the socket. Nothing else may be
				// sent on the session until this same call, with these same bytes, completes.
				waits++
				if err := sess.WaitSocket(context.Background()); err != nil {
					f.Close()
					return err
				}
				continue
			}
			if err != nil {
				f.Close()
				return err
			}
			ptr = ptr[nwritten:]
		}
		if rerr != nil && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			f.Close()
			return rerr
		}
	}
	d := time.Since(start)
	fmt.Fprintf(os.Stderr, "%d bytes in %.2f seconds makes %.1f bytes/sec\n", total, d.Seconds(), float64(total)/d.Seconds())
	fmt.Fprintf(os.Stderr, "libssh2 would have blocked %d times; each time we waited on the socket\n", waits)
	// Close always waits, whatever SetNonblocking says; every byte is acknowledged already.
	return f.Close()
}
