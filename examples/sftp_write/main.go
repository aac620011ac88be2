// Command sftp_write is the Go counterpart of libssh2's example/sftp_write.c: it uploads a local file
// over SFTP with the faithful API, File.RawWrite (libssh2_sftp_write), in blocking style: read a
// chunk, write it until libssh2 has acknowledged all of it, repeat.
//
//	sftp_write HOST[:PORT] USER KEYFILE|PASSWORD LOCALFILE REMOTEPATH [KNOWN_HOSTS]
//
// The third argument is used as a private key file when such a file exists, else as a password.
// The server's host key must be in KNOWN_HOSTS (default ~/.ssh/known_hosts).
//
// Most programs should use io.Copy into the File instead (see sftpput): it keeps the link busy
// with a sliding window and needs none of the rules below.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

func main() {
	if len(os.Args) < 6 || len(os.Args) > 7 {
		fmt.Fprintln(os.Stderr, "usage: sftp_write HOST[:PORT] USER KEYFILE|PASSWORD LOCALFILE REMOTEPATH [KNOWN_HOSTS]")
		os.Exit(2)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sftp_write:", err)
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

	// Dial does what the C example does by hand: connect, libssh2_session_handshake, the host key
	// check (here against known_hosts, where the C example only prints the fingerprint), and the
	// authentication.
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
	// LIBSSH2_FXF_WRITE|LIBSSH2_FXF_CREAT|LIBSSH2_FXF_TRUNC, mode 0644.
	f, err := sftp.OpenFile(remotePath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}

	fmt.Fprintln(os.Stderr, "libssh2_sftp_open() is done, now send data.")
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
		// RawWrite returns how many bytes the server acknowledged, which may be fewer than it was
		// given (libssh2 keeps the rest in flight). Call again with the bytes that follow the
		// acknowledged ones, the same bytes as before, until the whole chunk is acknowledged.
		ptr := mem[:nread]
		for len(ptr) > 0 {
			nwritten, err := f.RawWrite(ptr)
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
	// Every byte is acknowledged by now, so closing loses nothing.
	return f.Close()
}
