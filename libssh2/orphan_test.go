package libssh2_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// TestDroppedFileIsClosed drops Files and a Dir without Close, in the states a File can be left
// in, and checks that the session's next operations close their handles while the session stays
// open: the server holds none of the files open any more, every C block they held comes back, the
// bytes a dropped File accepted are on the server, and the session works. "stalled" drops a File
// whose Sync was cut short on a stalled link, so that its write is pending when it is dropped.
func TestDroppedFileIsClosed(t *testing.T) {
	for _, c := range []string{"idle", "stalled"} {
		t.Run(c, func(t *testing.T) {
			dir := testDir(t)
			proxy, _, sf := proxySession(t)
			live := libssh2.LiveCAllocations()
			data := bytes.Repeat([]byte("dropped but written "), 60000) // 1.2 MB: more than the first window
			paths, want := dropFiles(t, sf, dir, data, c == "stalled", proxy.SetPaused)
			held := append(paths[:len(paths):len(paths)], dir) // the Dir's too
			if libssh2.LiveCAllocations() == live {
				t.Fatal("the dropped files hold no C blocks: the test proves nothing")
			}
			if len(serverOpen(t, held)) != len(held) {
				t.Fatalf("the server holds open only %v of %v: the test proves nothing", serverOpen(t, held), held)
			}
			// Each try collects garbage (settle), then runs an operation, which closes what the
			// collection found.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var err error
			if !settle(func() bool {
				_, err = sf.StatContext(ctx, dir)
				return err == nil && libssh2.LiveCAllocations() == live && len(serverOpen(t, held)) == 0
			}) {
				t.Fatalf("after dropping the files: Stat %v, %d live C blocks (%d before), the server holds open %v",
					err, libssh2.LiveCAllocations(), live, serverOpen(t, held))
			}
			checkRemote(t, paths[0], want)                     // every byte the dropped File accepted
			rdUpload(t, sf, filepath.Join(dir, "after"), want) // the session works
		})
	}
}

// dropFiles leaves open on sf, and drops: a File written with want (more than its first window,
// so bytes are in flight), a File read in part (read requests in flight), a File only opened, and
// a Dir read in part. It returns the files' paths, the written one first, and what the written
// one must hold. With stall, the link is paused (pause) and the File writes a little more, whose
// Sync is cut short, leaving the write pending; the link is resumed before it returns.
//
//go:noinline
func dropFiles(t *testing.T, sf *libssh2.SFTP, dir string, want []byte, stall bool, pause func(bool)) ([]string, []byte) {
	t.Helper()
	paths := []string{filepath.Join(dir, "written"), filepath.Join(dir, "read"), filepath.Join(dir, "opened")}
	for _, p := range paths[1:] {
		if err := os.WriteFile(p, make([]byte, 4<<20), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := sf.Create(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	r, err := sf.Open(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if _, err := sf.Open(paths[2]); err != nil {
		t.Fatal(err)
	}
	d, err := sf.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadDir(1); err != nil {
		t.Fatal(err)
	}
	if stall {
		pause(true)
		if _, err := w.Write(want[:1000]); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := w.SyncContext(ctx); !isDeadlineErr(err) {
			t.Fatalf("Sync on a stalled link: %v, want a deadline error", err)
		}
		pause(false)
		want = append(want[:len(want):len(want)], want[:1000]...)
	}
	return paths, want
}

// serverOpen returns which of paths a process of this user other than the test has open: the
// server's sftp-server.
func serverOpen(t *testing.T, paths []string) []string {
	t.Helper()
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	var open []string
	for _, p := range procs {
		fds, err := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		if err != nil || p.Name() == "self" || p.Name() == strconv.Itoa(self) {
			continue // not a process, or not ours to read
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name()))
			if err != nil {
				continue
			}
			for _, path := range paths {
				if link == path {
					open = append(open, path)
				}
			}
		}
	}
	return open
}
