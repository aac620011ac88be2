// Command sftp_write_sliding is the Go counterpart of libssh2's example/sftp_write_sliding.c: it
// uploads a local file with the faithful API on a non-blocking session, keeping a sliding window of
// about 1 MB in flight. Each File.RawWrite (libssh2_sftp_write) passes the whole window; libssh2
// queues what it has not seen yet and returns how many bytes from the front the server has
// acknowledged; those leave the window, the rest move to its front and are passed again, unchanged,
// with new bytes from the file after them.
//
//	sftp_write_sliding HOST[:PORT] USER KEYFILE|PASSWORD LOCALFILE REMOTEPATH [KNOWN_HOSTS]
//
// The third argument is used as a private key file when such a file exists, else as a password.
// The server's host key must be in KNOWN_HOSTS (default ~/.ssh/known_hosts).
//
// This is what File.Write and File.ReadFrom do for you (DESIGN I3 in the repository).
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
		fmt.Fprintln(os.Stderr, "usage: sftp_write_sliding HOST[:PORT] USER KEYFILE|PASSWORD LOCALFILE REMOTEPATH [KNOWN_HOSTS]")
		os.Exit(2)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sftp_write_sliding:", err)
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

	sess.SetNonblocking(true)
	fmt.Fprintln(os.Stderr, "libssh2_sftp_open() is done, now send data.")
	start := time.Now()
	var total int64
	waits := 0                     // how often libssh2 said EAGAIN
	mem := make([]byte, 1024*1000) // the window
	memuse := 0                    // mem[:memuse] is in flight or about to be
	eof := false
	for !eof || memuse > 0 {
		if !eof && memuse < len(mem) {
			nread, rerr := local.Read(mem[memuse:])
			memuse += nread
			total += int64(nread)
			if rerr == io.EOF {
				eof = true
			} else if rerr != nil {
				f.Close()
				return rerr
			}
		}
		if memuse == 0 {
			continue
		}
		nwritten, err := f.RawWrite(mem[:memuse])
		if errors.Is(err, libssh2.ErrWouldBlock) {
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
		// The acknowledged bytes leave the window; the rest, still in flight, move to its front
		// and are passed again next time. Unlike the C example this keeps going when libssh2
		// returns 0, which it may do at any time: stopping there would close the file with
		// bytes still in flight.
		memuse = copy(mem, mem[nwritten:memuse])
	}
	d := time.Since(start)
	fmt.Fprintf(os.Stderr, "%d bytes in %.2f seconds makes %.1f bytes/sec\n", total, d.Seconds(), float64(total)/d.Seconds())
	fmt.Fprintf(os.Stderr, "libssh2 would have blocked %d times; each time we waited on the socket\n", waits)
	return f.Close()
}
