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

// downloadAll downloads every REMOTE argument into LOCAL, stopping at the first failure. What -r
// skipped (each named on stderr) makes it fail at the end.
func (c *client) downloadAll(ctx context.Context) error {
	st, err := os.Stat(c.o.local)
	intoDir := err == nil && st.IsDir()
	for _, r := range c.o.remotes {
		target := c.o.local
		if intoDir {
			name, err := c.remoteBase(r)
			if err != nil {
				return err
			}
			target = filepath.Join(c.o.local, name)
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
	return c.skippedError()
}

// remoteBase is the name a remote file or directory gets locally: its last element, or for the
// login directory ("~", "."), the name the server gives it.
func (c *client) remoteBase(r string) (string, error) {
	name := path.Base(path.Clean(r))
	if name == "." || name == ".." || name == "/" {
		real, err := c.sf.RealPath(r)
		if err != nil {
			return "", err
		}
		name = path.Base(real)
	}
	if !safeName(name) {
		return "", fmt.Errorf("%s: the server names it %q, which cannot be a local file name", r, name)
	}
	return name, nil
}

// safeName reports whether a name the server gave (in a directory listing) can be used as one
// element of a local path: not empty, not "." or "..", without a slash or a NUL. A server that
// sends "../x" must not make a download write outside its directory.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

// getTree downloads the remote directory as local: the directories first, as the walk finds them,
// then every file through a Batch, many at once. A symbolic link on the server is followed when it
// leads to a regular file inside the tree; other links, entries that are neither regular files nor
// directories, unsafe names and directories that cannot be read are skipped (c.skip): the walk
// goes on.
func (c *client) getTree(ctx context.Context, remote, local string) error {
	root, err := c.sf.RealPath(remote) // links are judged against where the tree really is
	if err != nil {
		return err
	}
	b := c.sf.NewBatch(ctx, nil)
	summary := c.sharedSummary()
	walkErr := fs.WalkDir(c.sf.FS(remote), ".", func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		src := path.Join(remote, p)
		if err != nil {
			if d == nil || p == "." {
				return err
			}
			c.skip(src, oneLine(err)) // a directory that cannot be read: its contents
			return nil
		}
		if p != "." && !safeName(d.Name()) {
			c.skip(src, "a name that cannot be a local file name")
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		target := filepath.Join(local, filepath.FromSlash(p))
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			var why string
			if src, why = c.followRemote(ctx, root, src); why != "" {
				c.skip(path.Join(remote, p), why)
				return nil
			}
		case !d.Type().IsRegular():
			c.skip(src, "not a regular file")
			return nil
		}
		name := path.Join(remote, p)
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
			_, err := upload.Get(ctx, sf, src, target, upload.Options{Name: name, Summary: summary, Resume: c.o.resume, MaxStreams: 1})
			return err
		})
		return nil
	})
	return errors.Join(walkErr, b.Wait())
}

// followRemote resolves the server's symbolic link at p in the tree at root (the server's
// canonical path): the regular file inside the tree that it leads to, or why it is not followed.
func (c *client) followRemote(ctx context.Context, root, p string) (target, why string) {
	dest, _ := c.sf.Readlink(p)
	fi, err := c.sf.StatContext(ctx, p) // follows the link
	switch {
	case errors.Is(err, fs.ErrNotExist): // OpenSSH's sftp-server says the same of a loop (ELOOP)
		return "", "dangling symbolic link (to " + dest + "), or a loop"
	case err != nil:
		return "", "symbolic link: " + oneLine(err)
	}
	real, err := c.sf.RealPath(p)
	if err != nil {
		return "", "symbolic link: " + oneLine(err)
	}
	return real, linkPolicy(dest, inside(root, path.Clean(real), '/'), fi.Mode())
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
