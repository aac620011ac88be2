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
// This is what File.Write and File.ReadFrom do for you (docs/DESIGN.md, I3).
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

func main() { faithful.Main("sftp_write_sliding", writeSliding) }

// writeSliding is the example's upload loop; faithful.Main sets up the connection and the
// remote file before it, as the C example does.
func writeSliding(u *faithful.Upload) error {
	u.Session.SetNonblocking(true)
	fmt.Fprintln(os.Stderr, "libssh2_sftp_open() is done, now send data.")
	start := time.Now()
	var total int64
	waits := 0                     // how often libssh2 said EAGAIN
	mem := make([]byte, 1024*1000) // the window
	memuse := 0                    // mem[:memuse] is in flight or about to be
	eof := false
	for !eof || memuse > 0 {
		if !eof && memuse < len(mem) {
			nread, rerr := u.Local.Read(mem[memuse:])
			memuse += nread
			total += int64(nread)
			if rerr == io.EOF {
				eof = true
			} else if rerr != nil {
				u.File.Close()
				return rerr
			}
		}
		if memuse == 0 {
			continue
		}
		nwritten, err := u.File.RawWrite(mem[:memuse])
		if errors.Is(err, libssh2.ErrWouldBlock) {
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
		// The acknowledged bytes leave the window; the rest, still in flight, move to its front
		// and are passed again next time. Unlike the C example this keeps going when libssh2
		// returns 0, which it may do at any time: stopping there would close the file with
		// bytes still in flight.
		memuse = copy(mem, mem[nwritten:memuse])
	}
	d := time.Since(start)
	fmt.Fprintf(os.Stderr, "%d bytes in %.2f seconds makes %.1f bytes/sec\n", total, d.Seconds(), float64(total)/d.Seconds())
	fmt.Fprintf(os.Stderr, "libssh2 would have blocked %d times; each time we waited on the socket\n", waits)
	return u.File.Close()
}
