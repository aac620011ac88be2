package main

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// transfer moves one file with SFTP.Upload (mode "upload") or SFTP.Download, default options: the
// library decides how many sessions to use. The time includes opening the extra sessions.
func transfer(sf *libssh2.SFTP, local, remote, mode string) (float64, error) {
	start := time.Now()
	if mode == "upload" {
		in, err := os.Open(local)
		if err != nil {
			return 0, err
		}
		defer in.Close()
		st, err := in.Stat()
		if err != nil {
			return 0, err
		}
		start = time.Now()
		if _, err := sf.Upload(context.Background(), remote, in, st.Size(), nil); err != nil {
			return 0, err
		}
		return time.Since(start).Seconds(), nil
	}
	out, err := os.Create(local)
	if err != nil {
		return 0, err
	}
	start = time.Now()
	_, err = sf.Download(context.Background(), remote, out, nil)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// tree uploads the directory local as the directory remote: the directories first, as the walk finds
// them, then one Batch job per file (Create, io.Copy, Close), as sftpput -r does.
func tree(sf *libssh2.SFTP, local, remote string) (float64, error) {
	start := time.Now()
	b := sf.NewBatch(context.Background(), nil)
	walkErr := filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(local, p)
		if err != nil {
			return err
		}
		target := path.Join(remote, filepath.ToSlash(rel))
		if d.IsDir() {
			return sf.MkdirAll(target, 0o755)
		}
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			f, err := sf.OpenFileContext(ctx, target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, in); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
		return nil
	})
	if err := b.Wait(); walkErr == nil {
		walkErr = err
	}
	if walkErr != nil {
		return 0, walkErr
	}
	return time.Since(start).Seconds(), nil
}
