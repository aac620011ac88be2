// Package faithful is the part that libssh2's three C upload examples (example/sftp_write.c,
// sftp_write_nonblock.c, sftp_write_sliding.c) share, for their Go counterparts: the arguments,
// the connection, the host key check, the login, SFTP and the remote file. Each example keeps only
// what it is there to show: its loop of File.RawWrite calls.
package faithful

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// Upload is what an example's write loop works with. The loop closes File; Main closes the rest.
type Upload struct {
	Session *libssh2.Session
	File    *libssh2.File // the remote file, opened LIBSSH2_FXF_WRITE|CREAT|TRUNC, mode 0644
	Local   *os.File
}

// Main runs the example called name: it reads the arguments
//
//	HOST[:PORT] USER KEYFILE|PASSWORD LOCALFILE REMOTEPATH [KNOWN_HOSTS]
//
// (the third is a private key file when such a file exists, else a password; KNOWN_HOSTS defaults
// to ~/.ssh/known_hosts), connects and opens the remote file as the C examples do, printing their
// progress lines, and hands over to loop. It exits 2 on a usage error and 1 on any other.
func Main(name string, loop func(*Upload) error) {
	if len(os.Args) < 6 || len(os.Args) > 7 {
		fmt.Fprintf(os.Stderr, "usage: %s HOST[:PORT] USER KEYFILE|PASSWORD LOCALFILE REMOTEPATH [KNOWN_HOSTS]\n", name)
		os.Exit(2)
	}
	if err := run(os.Args[1:], loop); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "all done")
}

func run(args []string, loop func(*Upload) error) error {
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

	// Dial does what the C examples do by hand: connect, libssh2_session_handshake, the host key
	// check (here against known_hosts, where the C examples only print the fingerprint), and the
	// authentication. The non-blocking examples loop on LIBSSH2_ERROR_EAGAIN for each of them.
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
	return loop(&Upload{Session: sess, File: f, Local: local})
}
