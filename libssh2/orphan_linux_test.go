package libssh2_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"

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
			w := watchOpens(t, dir) // before the files are written and opened
			live := libssh2.LiveCAllocations()
			data := bytes.Repeat([]byte("dropped but written "), 60000) // 1.2 MB: more than the first window
			paths, want := dropFiles(t, sf, dir, data, c == "stalled", proxy.SetPaused)
			dropped := []string{".", "opened", "read", "written"} // the Dir's directory, and the files
			if libssh2.LiveCAllocations() == live {
				t.Fatal("the dropped files hold no C blocks: the test proves nothing")
			}
			if held := w.held(); !slices.Equal(held, dropped) {
				t.Fatalf("the server holds open %v, want %v: the test proves nothing", held, dropped)
			}
			// Each try collects garbage (settle), then runs an operation, which closes what the
			// collection found.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var err error
			if !settle(func() bool {
				_, err = sf.StatContext(ctx, dir)
				return err == nil && libssh2.LiveCAllocations() == live && len(w.held()) == 0
			}) {
				t.Fatalf("after dropping the files: Stat %v, %d live C blocks (%d before), the server holds open %v",
					err, libssh2.LiveCAllocations(), live, w.held())
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

// opens counts, from inotify's events on a directory, how many times each entry is open now, by
// any process: "." is the directory itself. It needs no access to the server's processes (which a
// container may deny), only to the directory.
type opens struct {
	t     *testing.T
	fd    int
	count map[string]int
}

func watchOpens(t *testing.T, dir string) *opens {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify_init1: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_OPEN|syscall.IN_CLOSE_WRITE|syscall.IN_CLOSE_NOWRITE); err != nil {
		t.Fatalf("inotify_add_watch %s: %v", dir, err)
	}
	return &opens{t: t, fd: fd, count: map[string]int{}}
}

// held reads the events so far and returns the entries open now, sorted.
func (w *opens) held() []string {
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(w.fd, buf)
		if err == syscall.EAGAIN {
			break
		}
		if err != nil {
			w.t.Fatalf("reading inotify events: %v", err)
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := "."
			if ev.Len > 0 {
				raw := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				name = string(bytes.TrimRight(raw, "\x00"))
			}
			switch {
			case ev.Mask&syscall.IN_OPEN != 0:
				w.count[name]++
			case ev.Mask&(syscall.IN_CLOSE_WRITE|syscall.IN_CLOSE_NOWRITE) != 0:
				w.count[name]--
			}
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
	}
	var open []string
	for name, c := range w.count {
		if c > 0 {
			open = append(open, name)
		}
	}
	slices.Sort(open)
	return open
}
