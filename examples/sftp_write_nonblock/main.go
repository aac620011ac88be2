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
	"os"
	"time"

	"github.com/seed191f4051/go-libssh2/examples/internal/faithful"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

func main() { faithful.Main("sftp_write_nonblock", writeNonblocking) }

// writeNonblocking is the example's upload loop; faithful.Main sets up the connection and the
// remote file before it, as the C example does.
func writeNonblocking(u *faithful.Upload) error {
	// From here on, the faithful calls behave like libssh2 after
	// libssh2_session_set_blocking(session, 0).
	u.Session.SetNonblocking(true)
	fmt.Fprintln(os.Stderr, "libssh2_sftp_open() is done, now send data.")
	start := time.Now()
	var total int64
	waits := 0 // how often libssh2 said EAGAIN
	mem := make([]byte, 100*1024)
	for {
		nread, rerr := io.ReadFull(u.Local, mem)
		if nread == 0 {
			if rerr == io.EOF {
				break
			}
			u.File.Close()
			return rerr
		}
		total += int64(nread)
		ptr := mem[:nread]
		for len(ptr) > 0 {
			nwritten, err := u.File.RawWrite(ptr)
			if errors.Is(err, libssh2.ErrWouldBlock) {
				// libssh2 queued what it could and waits for the socket. Nothing else may be
				// sent on the session until this same call, with these same bytes, completes.
				waits++
				if err := u.Session.WaitSocket(context.Background()); err != nil {
					u.File.Close()
					return err
				}
				continue
			}
			if err != nil {
				u.File.Close()
				return err
			}
			ptr = ptr[nwritten:]
		}
		if rerr != nil && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			u.File.Close()
			return rerr
		}
	}
	d := time.Since(start)
	fmt.Fprintf(os.Stderr, "%d bytes in %.2f seconds makes %.1f bytes/sec\n", total, d.Seconds(), float64(total)/d.Seconds())
	fmt.Fprintf(os.Stderr, "libssh2 would have blocked %d times; each time we waited on the socket\n", waits)
	// Close always waits, whatever SetNonblocking says; every byte is acknowledged already.
	return u.File.Close()
}
