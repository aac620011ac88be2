package upload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/seed191f4051/go-libssh2/examples/internal/term"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// Get downloads the remote file to the local path with SFTP.Download (several sessions when the round
// trip makes them help), giving the local file the remote one's permission bits when it creates it.
// With o.Resume it continues an interrupted download where the local file ends, after checking that
// the local file is a prefix of the remote one. When ctx is cancelled it returns an
// *InterruptedError once the streams have stopped, with the local file cut to the prefix known to
// be exact. o.Offset is not used.
func Get(ctx context.Context, sf *libssh2.SFTP, remote, local string, o Options) (Result, error) {
	fi, err := sf.StatContext(ctx, remote)
	if err != nil {
		return Result{}, err
	}
	if !fi.Mode().IsRegular() {
		return Result{}, fmt.Errorf("%s: not a regular file on the server", remote)
	}
	size := fi.Size()
	if o.Name == "" {
		o.Name = remote
	}
	perm := o.Perm
	if perm == 0 {
		perm = fi.Mode().Perm()
	}
	o.Offset = 0
	flag := os.O_RDWR | os.O_CREATE
	if !o.Resume {
		flag |= os.O_TRUNC
	}
	f, err := os.OpenFile(local, flag, perm|0o200)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	if o.Resume {
		st, err := f.Stat()
		if err != nil {
			return Result{}, err
		}
		if st.Size() > size {
			return Result{}, fmt.Errorf("cannot resume into %s: it is larger (%d bytes) than the remote file (%d bytes); remove it or download without -a", local, st.Size(), size)
		}
		// Resume after the longest prefix the local file shares with the remote one (a download
		// over several sessions that was killed leaves bytes, and holes, past its good prefix).
		at, err := firstDifference(ctx, sf, remote, f, st.Size())
		if err != nil {
			return Result{}, err
		}
		if at < 0 && st.Size() == size && size > 0 {
			if o.Summary != nil {
				fmt.Fprintf(o.Summary, "%s  %s  already complete\n", term.Escape(o.Name), Size(size))
			}
			return Result{Offset: size}, nil
		}
		o.Offset = st.Size()
		if at >= 0 {
			o.Offset = at
		}
	}
	var got atomic.Int64
	start := time.Now()
	var p *progress
	if o.Progress != nil {
		p = startProgress(o.Progress, o.Name, o.Width, &got, o.Offset, size, start)
	}
	good, err := sf.Download(ctx, remote, f, &libssh2.TransferOptions{
		MaxStreams: o.MaxStreams,
		Offset:     o.Offset,
		Progress:   func(good int64) { got.Store(good - o.Offset) },
	})
	p.stop()
	res := Result{Offset: o.Offset, Sent: good - o.Offset, Elapsed: time.Since(start)}
	if err != nil {
		// Bytes past the good prefix may have been written: cut them off, so that -a finds a prefix.
		terr := f.Truncate(good)
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			if terr != nil {
				return res, fmt.Errorf("interrupted, and %s could not be cut to its first %d bytes, the ones known good: %w", local, good, terr)
			}
			return res, &InterruptedError{Remote: local, Durable: good, Cause: ctx.Err()}
		}
		return res, err
	}
	if err := f.Close(); err != nil {
		return res, err
	}
	summarize(o, res)
	return res, nil
}
