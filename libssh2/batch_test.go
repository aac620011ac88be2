package libssh2_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// TestBatch: a tree of small files uploaded by a Batch over several sessions arrives exact; a job's
// error comes back from Wait with the others done; every extra session is closed.
func TestBatch(t *testing.T) {
	defer libssh2.GrowAlways()()
	_, sf := openSFTP(t, srv)
	check := leakCheck(t)
	dir := srv.Path("batch")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := sf.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ss := newSessions(t, srv.Addr)
	b := sf.NewBatch(context.Background(), &libssh2.TransferOptions{NewSession: ss.open, MaxStreams: 4})
	content := func(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("file %d\n", i)), 500+i) }
	const files = 300
	var ran atomic.Int64
	for i := range files {
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
			ran.Add(1)
			time.Sleep(5 * time.Millisecond) // a slower link: the batch grows while jobs are queued
			return putJob(ctx, sf, fmt.Sprintf("%s/%d", dir, i), content(i))
		})
	}
	b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
		_, err := sf.OpenFileContext(ctx, dir+"/no/such/dir/file", os.O_WRONLY|os.O_CREATE, 0o644)
		return err
	})
	err := b.Wait()
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Wait = %v, want the failed job's fs.ErrNotExist", err)
	}
	if ran.Load() != files {
		t.Errorf("%d jobs ran, want %d", ran.Load(), files)
	}
	for i := range files {
		got, err := os.ReadFile(fmt.Sprintf("%s/%d", dir, i))
		if err != nil || !bytes.Equal(got, content(i)) {
			t.Fatalf("file %d: %d bytes, %v; want %d bytes", i, len(got), err, len(content(i)))
		}
	}
	ss.checkClosed(3)
	check()
}

// putJob is a Batch job that uploads one file: it creates name with data, and closes it.
func putJob(ctx context.Context, sf *libssh2.SFTP, name string, data []byte) error {
	f, err := sf.OpenFileContext(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteContext(ctx, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestBatchCancelled: when the context ends, the jobs still queued are not run, Wait returns the
// context's error, and nothing is left behind; the caller's session works on.
func TestBatchCancelled(t *testing.T) {
	defer libssh2.GrowAlways()()
	_, sf := openSFTP(t, srv)
	check := leakCheck(t)
	ss := newSessions(t, srv.Addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := sf.NewBatch(ctx, &libssh2.TransferOptions{NewSession: ss.open, MaxStreams: 4})
	var ran atomic.Int64
	for i := range 2000 {
		if i == 100 {
			cancel()
		}
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
			ran.Add(1)
			_, err := sf.StatContext(ctx, srv.Path(""))
			return err
		})
	}
	err := b.Wait()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after cancel = %v, want context.Canceled", err)
	}
	if n := ran.Load(); n >= 2000 {
		t.Errorf("all %d jobs ran though the context was cancelled after 100 were queued", n)
	}
	if _, err := sf.Stat(srv.Path("")); err != nil {
		t.Errorf("the caller's session after a cancelled batch: %v", err)
	}
	ss.checkClosed(0)
	check()
}
