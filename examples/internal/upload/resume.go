package upload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// ResumeOffset returns where an interrupted upload of local (size bytes) into remote can continue:
// 0 when remote does not exist, else the remote file's size, after checking byte for byte that the
// remote file is a prefix of local (it reads the remote prefix back). A remote file that is larger,
// differs, or is not a regular file is an error: resuming would corrupt it.
func ResumeOffset(ctx context.Context, sf *libssh2.SFTP, remote string, local io.ReaderAt, size int64) (int64, error) {
	fi, err := sf.Stat(remote)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("cannot resume into %s: not a regular file", remote)
	}
	n := fi.Size()
	if n > size {
		return 0, fmt.Errorf("cannot resume into %s: it is larger (%d bytes) than the local file (%d bytes); remove it or upload without -a", remote, n, size)
	}
	f, err := sf.Open(remote)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	const chunk = 256 << 10
	rb, lb := make([]byte, chunk), make([]byte, chunk)
	for off := int64(0); off < n; {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		k := int(min(chunk, n-off))
		if _, err := io.ReadFull(f, rb[:k]); err != nil {
			return 0, fmt.Errorf("reading back %s at byte %d: %w", remote, off, err)
		}
		if _, err := local.ReadAt(lb[:k], off); err != nil {
			return 0, fmt.Errorf("reading the local file at byte %d: %w", off, err)
		}
		if !bytes.Equal(rb[:k], lb[:k]) {
			i := int64(0)
			for rb[i] == lb[i] {
				i++
			}
			return 0, fmt.Errorf("cannot resume into %s: it differs from the local file at byte %d; remove it or upload without -a", remote, off+i)
		}
		off += int64(k)
	}
	return n, nil
}
