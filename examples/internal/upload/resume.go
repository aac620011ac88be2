package upload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// ResumeOffset returns where an interrupted upload of local (size bytes) into remote can continue:
// 0 when remote does not exist, else the end of the longest prefix that the remote file shares with
// local, checked byte for byte (it reads the remote file back): its size when it is a prefix of
// local, or the first byte that differs. An upload over several sessions that was killed leaves
// bytes past its good prefix, with holes between them; resuming from the first difference sends
// the rest again and leaves an exact copy either way. A remote file that is larger than local, or
// not a regular file, is an error: it is not an interrupted upload of local.
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
	at, err := firstDifference(ctx, sf, remote, local, n)
	if err != nil {
		return 0, err
	}
	if at >= 0 {
		return at, nil
	}
	return n, nil
}

// firstDifference reads the first n bytes of remote back and compares them with local's: it returns
// the offset of the first byte that differs, or -1.
func firstDifference(ctx context.Context, sf *libssh2.SFTP, remote string, local io.ReaderAt, n int64) (int64, error) {
	f, err := sf.OpenFileContext(ctx, remote, os.O_RDONLY, 0)
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
			return off + i, nil
		}
		off += int64(k)
	}
	return -1, nil
}
