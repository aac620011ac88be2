package libssh2_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// putFiles makes n small files for PutFiles in dir, of sizes from 0 to MaxPutFile bytes, each
// with its own content.
func putFiles(dir string, n int) []libssh2.PutFile {
	files := make([]libssh2.PutFile, n)
	for i := range files {
		size := (i * 7919) % (libssh2.MaxPutFile + 1)
		if i%50 == 0 {
			size = 0
		}
		pat := []byte(fmt.Sprintf("file %d;", i))
		data := bytes.Repeat(pat, size/len(pat)+1)[:size]
		files[i] = libssh2.PutFile{Name: filepath.Join(dir, fmt.Sprintf("f%04d", i)), Data: data, Perm: 0o600}
	}
	return files
}

// TestPutFiles: many small files through one PutFiles, each exact with its mode; a file the
// server refuses and files refused before they begin fail alone, with typed errors, and the
// others are written.
func TestPutFiles(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	files := putFiles(dir, 600)
	files[100].Name = filepath.Join(dir, "missing", "f") // no such directory
	files[200].Name = ""
	files[300].Data = make([]byte, libssh2.MaxPutFile+1)
	err := sf.PutFiles(context.Background(), files)
	if err == nil {
		t.Fatal("PutFiles: nil error, want the first file's")
	}
	for i, f := range files {
		switch i {
		case 100:
			if !errors.Is(f.Err, fs.ErrNotExist) {
				t.Errorf("file in a missing directory: %v, want fs.ErrNotExist", f.Err)
			}
			continue
		case 200, 300:
			var e *libssh2.Error
			if !errors.As(f.Err, &e) {
				t.Errorf("file %d: %v, want an *Error", i, f.Err)
			}
			continue
		}
		if f.Err != nil {
			t.Fatalf("file %d: %v", i, f.Err)
		}
		checkRemote(t, f.Name, f.Data)
		if st, err := os.Stat(f.Name); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("file %d: %v, mode %v, want 0600", i, err, st.Mode())
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PutFiles returned %v, want the first failure (file 100's)", err)
	}
	rdUpload(t, sf, filepath.Join(dir, "after"), []byte("the session works")) // the session works
}

// TestPutFilesInterrupted interrupts PutFiles at its wait on a stalled link, by its context, its
// deadline, Session.Close and SFTP.Close: it returns soon with a typed error on every file not closed; the
// files it reported written are exact; and afterwards the session (not closed) works, finishing
// the calls left in flight, with every C block back after Close.
func TestPutFilesInterrupted(t *testing.T) {
	for _, how := range []string{"cancel", "deadline", "close", "sftp close"} {
		t.Run(how, func(t *testing.T) {
			live := libssh2.LiveCAllocations()
			proxy, sess, sf := proxySession(t)
			dir := testDir(t)
			files := putFiles(dir, 300)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if how == "deadline" {
				ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
			}
			done := make(chan error, 1)
			go func() { done <- sf.PutFiles(ctx, files) }()
			time.Sleep(30 * time.Millisecond) // some files written, then the link stalls
			proxy.SetPaused(true)
			time.Sleep(100 * time.Millisecond)
			start := time.Now()
			sfClosed := make(chan error, 1)
			switch how {
			case "cancel":
				cancel()
			case "close":
				go sess.Close()
			case "sftp close":
				go func() { sfClosed <- sf.Close() }()
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("PutFiles did not return within 5 s of the interruption")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("PutFiles returned %v after the interruption", d)
			}
			want := map[string]error{"cancel": context.Canceled, "deadline": os.ErrDeadlineExceeded,
				"close": fs.ErrClosed, "sftp close": fs.ErrClosed}[how]
			var e *libssh2.Error
			if !errors.As(err, &e) || !errors.Is(err, want) {
				t.Fatalf("PutFiles: %v, want an *Error wrapping %v", err, want)
			}
			written, failed := 0, 0
			for _, f := range files {
				if f.Err == nil {
					written++
					continue
				}
				failed++
				if !errors.Is(f.Err, want) {
					t.Fatalf("%s: %v, want %v", f.Name, f.Err, want)
				}
			}
			if failed == 0 {
				t.Fatal("every file was written before the link stalled: the test proves nothing")
			}
			proxy.SetPaused(false)
			if how == "sftp close" {
				// Close finishes what PutFiles left inside libssh2, then shuts the channel down; the
				// session opens another.
				if err := <-sfClosed; err != nil {
					t.Errorf("SFTP.Close once the link was back: %v", err)
				}
				if err := sf.PutFiles(context.Background(), putFiles(dir, 1)); !errors.Is(err, fs.ErrClosed) {
					t.Errorf("PutFiles on the closed channel: %v, want fs.ErrClosed", err)
				}
				var err error
				if sf, err = sess.SFTP(); err != nil {
					t.Fatalf("a new SFTP channel after SFTP.Close: %v", err)
				}
			}
			for _, f := range files {
				if f.Err == nil {
					checkRemote(t, f.Name, f.Data)
				}
			}
			if how != "close" {
				again := putFiles(filepath.Join(dir), 300) // the same names: the session works and rewrites them
				if err := sf.PutFiles(context.Background(), again); err != nil {
					t.Fatalf("PutFiles after the interruption: %v", err)
				}
				for _, f := range again {
					checkRemote(t, f.Name, f.Data)
				}
				sess.Close()
			}
			if !settle(func() bool { return libssh2.LiveCAllocations() == live }) {
				t.Errorf("%d live C blocks after Close, %d before", libssh2.LiveCAllocations(), live)
			}
			t.Logf("%d files written before the interruption, %d failed", written, failed)
		})
	}
}

// TestBatchPut: files queued with Batch.Put, with a short round trip, are written in groups by
// PutFiles (the first alone), exact, each reported once to its done, and a refused one reported by
// its done and by Wait; and with lanes and sessions forced (GrowAlways), each on its own, exact too.
func TestBatchPut(t *testing.T) {
	for _, grow := range []bool{false, true} {
		t.Run(fmt.Sprintf("grow=%v", grow), func(t *testing.T) {
			if grow {
				defer libssh2.GrowAlways()()
			} else {
				defer libssh2.NeverGrow()() // a loaded machine's first job must not pass for a long round trip
			}
			_, sf := openSFTP(t, srv)
			dir := testDir(t)
			files := putFiles(dir, 400)
			b := sf.NewBatch(context.Background(), nil)
			var reported atomic.Int64
			var refused error
			for _, f := range files {
				b.Put(f.Name, f.Data, f.Perm, func(err error) {
					if err != nil {
						t.Errorf("%s: %v", f.Name, err)
					}
					reported.Add(1)
				})
			}
			b.Put(filepath.Join(dir, "missing", "f"), []byte("x"), 0, func(err error) { refused = err })
			err := b.Wait()
			if n := reported.Load(); n != int64(len(files)) {
				t.Errorf("done called for %d files, want %d", n, len(files))
			}
			if !errors.Is(refused, fs.ErrNotExist) {
				t.Errorf("the refused file's done got %v, want fs.ErrNotExist", refused)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Wait: %v, want the refused file's fs.ErrNotExist", err)
			}
			var e *libssh2.Error
			if !errors.As(err, &e) || e.Path != filepath.Join(dir, "missing", "f") {
				t.Fatalf("Wait: %v, want an *Error with the refused file's path", err)
			}
			for _, f := range files {
				checkRemote(t, f.Name, f.Data)
			}
			grouped := libssh2.BatchGrouped(b)
			if !grow && grouped < int64(len(files))/2 {
				t.Errorf("%d of %d files written in groups on loopback, want most", grouped, len(files))
			}
			if grow && grouped != 0 {
				t.Errorf("%d files written in groups with lanes, want none", grouped)
			}
		})
	}
}

// TestBatchPutCancelled interrupts a Batch whose Put files are being written in groups on a stalled
// link: by its context, its deadline and Session.Close from another goroutine. Wait returns the
// cause soon, every file's done is called once (nil only for a file that is exact on the server),
// and afterwards the caller's session works (or, closed, refuses with fs.ErrClosed).
func TestBatchPutCancelled(t *testing.T) {
	for _, how := range []string{"cancel", "deadline", "close"} {
		t.Run(how, func(t *testing.T) { batchPutInterrupted(t, how) })
	}
}

func batchPutInterrupted(t *testing.T, how string) {
	defer libssh2.NeverGrow()()
	proxy, sess, sf := proxySession(t)
	dir := testDir(t)
	files := putFiles(dir, 500)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if how == "deadline" {
		ctx, cancel = context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
	}
	want := map[string]error{"cancel": context.Canceled, "deadline": os.ErrDeadlineExceeded, "close": fs.ErrClosed}[how]
	is := func(err error) bool { return errors.Is(err, want) || (how == "deadline" && isDeadlineErr(err)) }
	b := sf.NewBatch(ctx, nil)
	results := make([]atomic.Int32, len(files)) // done calls: 1 written, 2 failed, more: called twice
	go func() {
		time.Sleep(50 * time.Millisecond)
		proxy.SetPaused(true)
		time.Sleep(100 * time.Millisecond)
		switch how {
		case "cancel":
			cancel()
		case "close":
			sess.Close()
		}
	}()
	for i, f := range files {
		b.Put(f.Name, f.Data, f.Perm, func(err error) {
			if err == nil {
				results[i].Add(1)
			} else {
				if !is(err) {
					t.Errorf("%s: %v, want %v", f.Name, err, want)
				}
				results[i].Add(2)
			}
		})
	}
	start := time.Now()
	err := b.Wait()
	if !is(err) {
		t.Fatalf("Wait: %v, want %v", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Wait took %v", d)
	}
	proxy.SetPaused(false)
	written := 0
	for i, f := range files {
		switch results[i].Load() {
		case 1:
			written++
			checkRemote(t, f.Name, f.Data)
		case 2:
		default:
			t.Fatalf("%s: done calls added up to %d, want one call", f.Name, results[i].Load())
		}
	}
	if written == len(files) {
		t.Fatal("every file was written before the interruption: the test proves nothing")
	}
	if how == "close" {
		if _, err := sf.Stat(dir); !errors.Is(err, fs.ErrClosed) {
			t.Fatalf("Stat on the closed session: %v, want fs.ErrClosed", err)
		}
	} else {
		rdUpload(t, sf, filepath.Join(dir, "after"), []byte("the session works"))
	}
	t.Logf("%d of %d files written before the interruption", written, len(files))
}
