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
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/seed191f4051/go-libssh2/examples/internal/faithful"
)

func main() { faithful.Main("sftp_write", write) }

// write is the example's upload loop; faithful.Main sets up the connection and the
// remote file before it, as the C example does.
func write(u *faithful.Upload) error {
	fmt.Fprintln(os.Stderr, "libssh2_sftp_open() is done, now send data.")
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
		// RawWrite returns how many bytes the server acknowledged, which may be fewer than it was
		// given (libssh2 keeps the rest in flight). Call again with the bytes that follow the
		// acknowledged ones, the same bytes as before, until the whole chunk is acknowledged.
		ptr := mem[:nread]
		for len(ptr) > 0 {
			nwritten, err := u.File.RawWrite(ptr)
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
	// Every byte is acknowledged by now, so closing loses nothing.
	return u.File.Close()
}
