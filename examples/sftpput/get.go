package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/seed191f4051/go-libssh2/examples/internal/upload"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// checkLocalTarget checks the local side of a download before connecting.
func checkLocalTarget(o *options) error {
	st, err := os.Stat(o.local)
	switch {
	case err == nil && st.IsDir():
		return nil
	case len(o.remotes) > 1 || strings.HasSuffix(o.local, "/"):
		return fmt.Errorf("%s: no such directory (several files, or a name ending in /, go into an existing directory)", o.local)
	case err == nil && !st.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file", o.local)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %s", o.local, describeLocal(err))
	}
	if _, err := os.Stat(filepath.Dir(o.local)); err != nil {
		return fmt.Errorf("%s: %s", filepath.Dir(o.local), describeLocal(err))
	}
	return nil
}

// downloadAll downloads every REMOTE argument into LOCAL, stopping at the first failure.
func (c *client) downloadAll(ctx context.Context) error {
	st, err := os.Stat(c.o.local)
	intoDir := err == nil && st.IsDir()
	for _, r := range c.o.remotes {
		target := c.o.local
		if intoDir {
			target = filepath.Join(c.o.local, path.Base(path.Clean(r)))
		}
		fi, err := c.sf.StatContext(ctx, r)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir() && !c.o.recursive:
			return fmt.Errorf("%s: is a directory on the server (use -r to download directories)", r)
		case fi.IsDir():
			err = c.getTree(ctx, r, target)
		default:
			_, err = upload.Get(ctx, c.sf, r, target, upload.Options{
				Name: r, Progress: c.progress, Width: c.width, Summary: c.summary, Resume: c.o.resume,
			})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// getTree downloads the remote directory as local: the directories first, as the walk finds them,
// then every file through a Batch, many at once.
func (c *client) getTree(ctx context.Context, remote, local string) error {
	b := c.sf.NewBatch(ctx, nil)
	summary := c.sharedSummary()
	walkErr := fs.WalkDir(c.sf.FS(remote), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		target := filepath.Join(local, filepath.FromSlash(p))
		src := path.Join(remote, p)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			fmt.Fprintf(c.stderr, "sftpput: %s: skipping, not a regular file\n", src)
			return nil
		}
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
			_, err := upload.Get(ctx, sf, src, target, upload.Options{Name: src, Summary: summary, Resume: c.o.resume, MaxStreams: 1})
			return err
		})
		return nil
	})
	return errors.Join(walkErr, b.Wait())
}

// sharedSummary is the summary writer for files that finish concurrently: one line at a time.
func (c *client) sharedSummary() io.Writer {
	if c.summary == nil {
		return nil
	}
	return &lockedWriter{w: c.summary}
}

// lockedWriter serializes writes.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
