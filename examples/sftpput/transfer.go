package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/seed191f4051/go-libssh2/examples/internal/upload"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// uploadAll uploads every LOCAL argument, stopping at the first failure.
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
	return nil
}

// putTree uploads the directory local as remote: the directories as the walk finds them, and every
// file through a Batch, many at once (over several sessions when the round trip makes that faster).
func (c *client) putTree(ctx context.Context, local, remote string) error {
	b := c.sf.NewBatch(ctx, nil)
	summary := c.sharedSummary()
	walkErr := filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, err := filepath.Rel(local, p)
		if err != nil {
			return err
		}
		target := path.Join(remote, filepath.ToSlash(rel))
		st, err := os.Stat(p) // follows symbolic links to files
		if err != nil {
			return fmt.Errorf("%s: %s", p, describeLocal(err))
		}
		switch {
		case d.IsDir():
			return c.mkdirAll(target, st.Mode().Perm())
		case st.IsDir():
			fmt.Fprintf(c.stderr, "sftpput: %s: skipping a symbolic link to a directory\n", p)
			return nil
		case !st.Mode().IsRegular():
			fmt.Fprintf(c.stderr, "sftpput: %s: skipping, not a regular file\n", p)
			return nil
		}
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
			_, err := upload.File(ctx, sf, p, target, upload.Options{Name: p, Summary: summary, Resume: c.o.resume, MaxStreams: 1})
			return err
		})
		return nil
	})
	return errors.Join(walkErr, b.Wait())
}

// putFile uploads one regular file.
func (c *client) putFile(ctx context.Context, local, remote string) error {
	_, err := upload.File(ctx, c.sf, local, remote, upload.Options{
		Name: local, Progress: c.progress, Width: c.width, Summary: c.summary, Resume: c.o.resume,
	})
	return err
}
