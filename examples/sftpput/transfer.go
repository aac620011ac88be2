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
	"syscall"
	"time"

	"github.com/seed191f4051/go-libssh2/examples/internal/term"
	"github.com/seed191f4051/go-libssh2/examples/internal/upload"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// uploadAll uploads every LOCAL argument, stopping at the first failure. What -r skipped (each
// named on stderr) makes it fail at the end.
func (c *client) uploadAll(ctx context.Context) error {
	remote := c.o.remote
	if remote == "" {
		remote = "." // the login directory, as with scp
	}
	// Like scp: into REMOTE when it is a directory (or must be one), else as REMOTE.
	isDir, err := c.remoteIsDir(remote)
	if err != nil {
		return err
	}
	mustBeDir := len(c.o.locals) > 1 || strings.HasSuffix(remote, "/")
	if mustBeDir && !isDir {
		return fmt.Errorf("%s: no such directory on the server (several files, or a name ending in /, go into an existing directory)", remote)
	}
	intoDir := isDir
	for _, l := range c.o.locals {
		target := remote
		if intoDir {
			target = path.Join(remote, filepath.Base(filepath.Clean(l)))
		}
		st, err := os.Stat(l)
		if err != nil {
			return fmt.Errorf("%s: %s", l, describeLocal(err))
		}
		if st.IsDir() {
			err = c.putTree(ctx, l, target)
		} else {
			err = c.putFile(ctx, l, target)
		}
		if err != nil {
			return err
		}
	}
	return c.skippedError()
}

// skip reports on stderr, in one line, an entry of a tree that is not copied, and counts it.
func (c *client) skip(name, why string) {
	c.skipped++
	fmt.Fprintf(c.stderr, "sftpput: %s: skipped: %s\n", term.Escape(name), term.Escape(why))
}

// skippedError is the error of a copy that skipped entries of a tree, nil when none was.
func (c *client) skippedError() error {
	switch c.skipped {
	case 0:
		return nil
	case 1:
		return errors.New("1 entry was skipped (named above); everything else was copied")
	}
	return fmt.Errorf("%d entries were skipped (named above); everything else was copied", c.skipped)
}

// putTree uploads the directory local as remote: the directories as the walk finds them, and every
// file through a Batch, many at once (over several sessions when the round trip makes that faster).
// A symbolic link is followed when it leads to a regular file inside the tree; other links, and
// entries that are neither regular files nor directories, are skipped (c.skip), as is a directory
// that cannot be read: the walk goes on.
func (c *client) putTree(ctx context.Context, local, remote string) error {
	// The tree is walked where it really is (local may itself be a link to it), and links are
	// judged against that.
	root, err := filepath.EvalSymlinks(local)
	if err != nil {
		return fmt.Errorf("%s: %s", local, describeLocal(err))
	}
	b := c.sf.NewBatch(ctx, nil)
	summary := c.sharedSummary()
	walkErr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return rerr
		}
		name := filepath.Join(local, rel) // as the user named it
		if err != nil {
			if d == nil || p == root {
				return fmt.Errorf("%s: %s", name, describeLocal(err))
			}
			c.skip(name, describeLocal(err)) // a directory that cannot be read: its contents
			return nil
		}
		target := path.Join(remote, filepath.ToSlash(rel))
		src := p
		switch {
		case d.IsDir():
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("%s: %s", name, describeLocal(err))
			}
			return c.mkdirAll(target, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			var why string
			if src, why = followLocal(root, p); why != "" {
				c.skip(name, why)
				return nil
			}
		case !d.Type().IsRegular():
			c.skip(name, "not a regular file")
			return nil
		}
		if !c.o.resume && putSmall(b, src, target, name, summary) {
			return nil
		}
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
			_, err := upload.File(ctx, sf, src, target, upload.Options{Name: name, Summary: summary, Resume: c.o.resume, MaxStreams: 1})
			return err
		})
		return nil
	})
	return errors.Join(walkErr, b.Wait())
}

// putSmall queues the file src, when it holds at most libssh2.MaxPutFile bytes, with Batch.Put,
// which writes many such files' requests at once on one channel where the round trip is short: it
// reads the file whole, keeps its permissions, and prints its summary line once it is written. It
// reports false, having queued nothing, for a larger file or one it cannot read (the caller then
// uploads it as any other, and reports what went wrong).
func putSmall(b *libssh2.Batch, src, target, name string, summary io.Writer) bool {
	st, err := os.Stat(src)
	if err != nil || st.Size() > libssh2.MaxPutFile {
		return false
	}
	data, err := os.ReadFile(src)
	if err != nil || len(data) > libssh2.MaxPutFile {
		return false
	}
	start := time.Now()
	b.Put(target, data, st.Mode().Perm(), func(err error) {
		if err == nil {
			upload.Summarize(summary, name, upload.Result{Sent: int64(len(data)), Elapsed: time.Since(start)})
		}
	})
	return true
}

// followLocal resolves the symbolic link at p in the tree at root (a resolved path): the regular
// file inside the tree that it leads to, or why it is not followed.
func followLocal(root, p string) (target, why string) {
	dest, _ := os.Readlink(p)
	st, err := os.Stat(p) // follows the link
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", "dangling symbolic link (to " + dest + ")"
	case errors.Is(err, syscall.ELOOP):
		return "", "symbolic link loop (to " + dest + ")"
	case err != nil:
		return "", "symbolic link: " + describeLocal(err)
	}
	target, err = filepath.EvalSymlinks(p)
	if err != nil {
		return "", "symbolic link: " + describeLocal(err)
	}
	return target, linkPolicy(dest, inside(root, target, filepath.Separator), st.Mode())
}

// linkPolicy decides, for both directions, whether -r follows a symbolic link of a tree: only to
// a regular file inside the tree. dest is the link's text, isInside says where it really leads,
// mode is the mode of what it leads to. It returns why the link is skipped, "" to follow it.
func linkPolicy(dest string, isInside bool, mode fs.FileMode) string {
	switch {
	case !isInside:
		return "symbolic link to " + dest + ", outside the tree"
	case mode.IsDir():
		return "symbolic link to a directory (not followed)"
	case !mode.IsRegular():
		return "symbolic link to something that is not a regular file"
	}
	return ""
}

// inside reports whether the clean path p is root or below it, for paths separated by sep.
func inside(root, p string, sep byte) bool {
	if p == root {
		return true
	}
	if !strings.HasSuffix(root, string(sep)) {
		root += string(sep)
	}
	return strings.HasPrefix(p, root)
}

// putFile uploads one regular file.
func (c *client) putFile(ctx context.Context, local, remote string) error {
	_, err := upload.File(ctx, c.sf, local, remote, upload.Options{
		Name: local, Progress: c.progress, Width: c.width, Summary: c.summary, Resume: c.o.resume,
	})
	return err
}
