//go:build !nobatch

package main

// The modes that use several sessions: SFTP.Upload and SFTP.Download with the default
// TransferOptions (the library decides how many streams), and a tree of files through a Batch.

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// parallelModes are the modes of this file, each timed from its first remote operation to its
// return.
var parallelModes = map[string]func(ctx context.Context, sf *libssh2.SFTP, local, remote string) error{
	"upload":   upload,
	"download": download,
	"tree":     tree,
}

func runParallel(sf *libssh2.SFTP, mode, local, remote string) (float64, error) {
	ctx := context.Background()
	start := time.Now()
	if err := parallelModes[mode](ctx, sf, local, remote); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// upload sends local to remote with SFTP.Upload, default options, the *os.File as its io.ReaderAt.
func upload(ctx context.Context, sf *libssh2.SFTP, local, remote string) error {
	in, err := os.Open(local)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	n, err := sf.Upload(ctx, remote, in, fi.Size(), nil)
	if err == nil && n != fi.Size() {
		err = fmt.Errorf("upload returned %d of %d bytes without an error", n, fi.Size())
	}
	return err
}

// download fetches remote into local with SFTP.Download, default options, the *os.File as its
// io.WriterAt.
func download(ctx context.Context, sf *libssh2.SFTP, local, remote string) error {
	out, err := os.Create(local)
	if err != nil {
		return err
	}
	_, err = sf.Download(ctx, remote, out, nil)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// treeLanes is the -lanes flag: the tree's TransferOptions.Lanes.
var treeLanes int

// treeGo is the -go flag: every file as a Batch.Go job (Create, io.Copy, Close), small ones too.
var treeGo bool

// tree uploads the directory local as remote: the directories first, one Mkdir each in walk order
// (parents before children), then the files through a Batch: those of at most MaxPutFile bytes
// read whole and queued with Put (unless -go), the others one job each: Create, io.Copy, Close.
func tree(ctx context.Context, sf *libssh2.SFTP, local, remote string) error {
	var dirs, files []string // slash-separated, relative to local
	err := filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(local, p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, filepath.ToSlash(rel))
		case d.Type().IsRegular():
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := sf.MkdirContext(ctx, path.Join(remote, d), 0o755); err != nil {
			return err
		}
	}
	b := sf.NewBatch(ctx, &libssh2.TransferOptions{Lanes: treeLanes})
	for _, name := range files {
		src, dst := filepath.Join(local, filepath.FromSlash(name)), path.Join(remote, name)
		if !treeGo {
			if st, err := os.Stat(src); err == nil && st.Size() <= libssh2.MaxPutFile {
				data, err := os.ReadFile(src)
				if err != nil {
					b.Wait()
					return err
				}
				b.Put(dst, data, 0o644, nil)
				continue
			}
		}
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error { return putFile(ctx, sf, src, dst) })
	}
	return b.Wait()
}

func putFile(ctx context.Context, sf *libssh2.SFTP, local, remote string) error {
	in, err := os.Open(local)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := sf.OpenFileContext(ctx, remote, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
