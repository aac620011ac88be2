package libssh2_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// The tests of this file interrupt lane operations (docs/DESIGN.md, "Lanes") at their own wait
// point: standing aside, without the session lock, with the call half done inside libssh2, while
// another lane holds the session on a stalled link. Afterwards the session works, on both lanes,
// and every remote file holds exactly the bytes accepted.

// laneCase is one lane operation that stands aside. prep makes its File (nil: none) on the lane
// with prepData written; run performs it; want is what the File's remote file must hold once it
// is closed, given the bytes run accepted.
type laneCase struct {
	name     string
	prepData []byte // written before the link stalls (nil: no File)
	ctx      bool   // run honours ctx; otherwise its deadline is the File's
	run      func(ctx context.Context, sf *libssh2.SFTP, f *libssh2.File, dir string) (int, error)
	closes   bool // run is the File's Close
	reads    bool // prep syncs the File and seeks back to its start: run reads
	// midway: the link stalls during run, after ReadDir's first entry (the directory holds
	// dirFiles files, more than one readdir answer), instead of before it
	midway bool
	// after, when set, checks the File once both lanes work again (before it is closed)
	after func(t *testing.T, f *libssh2.File)
	// runDir, when set, runs instead of run on a Dir of the lane opened before the link stalls, on
	// a directory of dirNames files; the File is closed from another goroutine as the Dir.
	runDir func(ctx context.Context, d *libssh2.Dir) (int, error)
}

// dirNames is how many files the directory of a runDir case holds.
const dirNames = 5

// dirFiles is how many files the directory of a midway case holds: OpenSSH's sftp-server answers a
// readdir with at most 100 names, so the listing asks again after the link has stalled.
const dirFiles = 250

var laneCases = []laneCase{
	{name: "open", ctx: true, run: func(ctx context.Context, sf *libssh2.SFTP, _ *libssh2.File, dir string) (int, error) {
		f, err := sf.OpenFileContext(ctx, filepath.Join(dir, "opened"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err == nil {
			f.Close()
		}
		return 0, err
	}},
	{name: "stat", ctx: true, run: func(ctx context.Context, sf *libssh2.SFTP, _ *libssh2.File, dir string) (int, error) {
		_, err := sf.StatContext(ctx, dir)
		return 0, err
	}},
	{name: "sync", prepData: upload[:64<<10], ctx: true, run: func(ctx context.Context, _ *libssh2.SFTP, f *libssh2.File, _ string) (int, error) {
		return 0, f.SyncContext(ctx)
	}},
	{name: "write", prepData: upload[:64<<10], ctx: true, run: func(ctx context.Context, _ *libssh2.SFTP, f *libssh2.File, _ string) (int, error) {
		return f.WriteContext(ctx, upload[64<<10:])
	}},
	{name: "read", prepData: upload[:64<<10], reads: true, ctx: true, run: func(ctx context.Context, _ *libssh2.SFTP, f *libssh2.File, _ string) (int, error) {
		_, err := f.ReadContext(ctx, make([]byte, 16<<10))
		return 0, err
	}},
	{name: "writeto", prepData: upload[:64<<10], reads: true, ctx: true, run: func(ctx context.Context, _ *libssh2.SFTP, f *libssh2.File, _ string) (int, error) {
		_, err := f.WriteToContext(ctx, io.Discard)
		return 0, err
	}},
	{name: "readat", prepData: upload[:64<<10], reads: true, ctx: true, run: func(ctx context.Context, _ *libssh2.SFTP, f *libssh2.File, _ string) (int, error) {
		_, err := f.ReadAtContext(ctx, make([]byte, 16<<10), 40000)
		return 0, err
	}, after: func(t *testing.T, f *libssh2.File) {
		// The interrupted ReadAt's bytes went nowhere: the File reads on from its own offset (0),
		// and ReadAt works.
		got := make([]byte, 1000)
		if _, err := io.ReadFull(f, got); err != nil || !bytes.Equal(got, upload[:1000]) {
			t.Errorf("Read after the interrupted ReadAt: %v, the file's first bytes: %v", err, bytes.Equal(got, upload[:1000]))
		}
		at := make([]byte, 16<<10)
		if n, err := f.ReadAt(at, 40000); err != nil || !bytes.Equal(at[:n], upload[40000:40000+n]) || n != len(at) {
			t.Errorf("ReadAt after the interrupted one: %d, %v, equal: %v", n, err, bytes.Equal(at[:n], upload[40000:40000+n]))
		}
		if _, err := io.ReadFull(f, got); err != nil || !bytes.Equal(got, upload[1000:2000]) {
			t.Errorf("Read after ReadAt: %v, the file's next bytes: %v", err, bytes.Equal(got, upload[1000:2000]))
		}
	}},
	{name: "dir-readdir", ctx: true, runDir: func(ctx context.Context, d *libssh2.Dir) (int, error) {
		_, err := d.ReadDirContext(ctx, 2)
		return 0, err
	}},
	{name: "readdir", ctx: true, run: func(ctx context.Context, sf *libssh2.SFTP, _ *libssh2.File, dir string) (int, error) {
		_, err := sf.ReadDirContext(ctx, dir)
		return 0, err
	}},
	{name: "readdir-entries", ctx: true, midway: true, run: func(ctx context.Context, sf *libssh2.SFTP, _ *libssh2.File, dir string) (int, error) {
		_, err := sf.ReadDirContext(ctx, dir)
		return 0, err
	}},
	{name: "close-drain", prepData: upload[:64<<10], closes: true, run: func(_ context.Context, _ *libssh2.SFTP, f *libssh2.File, _ string) (int, error) {
		return 0, f.Close()
	}},
	{name: "close", prepData: []byte{}, closes: true, run: func(_ context.Context, _ *libssh2.SFTP, f *libssh2.File, _ string) (int, error) {
		return 0, f.Close()
	}},
}

// laneMode is how a parked lane operation is interrupted.
type laneMode struct {
	name string
	// interrupt ends the operation's wait; cancel is its context's.
	interrupt func(sess *libssh2.Session, f *libssh2.File, cancel context.CancelFunc)
	want      error // what its error wraps
	closes    bool  // the session is closed
	fileClose bool  // the File is closed from another goroutine (interrupt does not run)
	sftpClose bool  // the operation's SFTP channel is closed from another goroutine (the same)
}

var laneModes = []laneMode{
	{name: "cancel", want: context.Canceled, interrupt: func(_ *libssh2.Session, _ *libssh2.File, cancel context.CancelFunc) { cancel() }},
	{name: "deadline", want: os.ErrDeadlineExceeded, interrupt: func(sess *libssh2.Session, f *libssh2.File, _ context.CancelFunc) {
		if f != nil {
			f.SetDeadline(time.Now())
		} else {
			sess.SetDeadline(time.Now())
		}
	}},
	{name: "session-close", want: fs.ErrClosed, closes: true, interrupt: func(sess *libssh2.Session, _ *libssh2.File, _ context.CancelFunc) {
		go sess.Close()
	}},
	{name: "file-close", want: fs.ErrClosed, fileClose: true},
	{name: "sftp-close", want: fs.ErrClosed, sftpClose: true},
}

// TestLaneInterruptedStandingAside: every lane case, interrupted in every way while it stands aside,
// returns its typed error at once; the session then works and the files are exact.
func TestLaneInterruptedStandingAside(t *testing.T) {
	for _, c := range laneCases {
		for _, m := range laneModes {
			if !c.ctx && m.name == "cancel" {
				continue // Close takes no context
			}
			if m.fileClose && (c.prepData == nil && c.runDir == nil || c.closes) {
				continue // no File or Dir, or the File's Close is the operation
			}
			if m.sftpClose && c.closes {
				continue // a File's Close is not woken by its channel's: both close the File
			}
			t.Run(c.name+"/"+m.name, func(t *testing.T) { laneInterrupt(t, c, m) })
		}
	}
}

func laneInterrupt(t *testing.T, c laneCase, m laneMode) {
	proxy, sess, sfA := proxySession(t)
	check := leakCheck(t)
	defer check()
	sfB, err := sess.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	libssh2.MarkLane(sfA)
	libssh2.MarkLane(sfB)
	dir := testDir(t)
	var f *libssh2.File
	name := filepath.Join(dir, "lane.bin")
	if c.prepData != nil {
		if f, err = sfA.Create(name); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(c.prepData); err != nil {
			t.Fatal(err)
		}
		if c.reads {
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
		}
	}
	var d *libssh2.Dir
	if c.runDir != nil {
		for i := range dirNames {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("name%d", i)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if d, err = sfA.OpenDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	var stalled chan struct{} // closed once a midway case has stalled the link
	if c.midway {
		for i := range dirFiles {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("entry%03d", i)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var once sync.Once
		stalled = make(chan struct{})
		libssh2.SetReadDirEntryHook(func() {
			once.Do(func() {
				proxy.SetPaused(true)
				close(stalled)
			})
		})
		defer libssh2.SetReadDirEntryHook(nil)
	} else {
		proxy.SetPaused(true)
	}
	defer proxy.SetPaused(false)

	// A waits on the stalled link holding the session; B asks for the session, so A stands aside
	// and B holds it.
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	type result struct {
		n   int
		err error
		at  time.Time
	}
	doneA := make(chan result, 1)
	go func() {
		var n int
		var err error
		if d != nil {
			n, err = c.runDir(ctxA, d)
		} else {
			n, err = c.run(ctxA, sfA, f, dir)
		}
		doneA <- result{n, err, time.Now()}
	}()
	if !settle(func() bool { return libssh2.Running(sess) }) {
		t.Fatal("the lane operation never started waiting")
	}
	if stalled != nil {
		// Not before: while the link answers, the other lane's Stat would just run in between.
		select {
		case <-stalled:
		case <-time.After(5 * time.Second):
			t.Fatal("the listing never reached its first entry")
		}
	}
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	doneB := make(chan error, 1)
	go func() {
		_, err := sfB.StatContext(ctxB, dir)
		doneB <- err
	}()
	if !settle(func() bool { return libssh2.ParkedNow(sess) == 1 }) {
		t.Fatalf("the lane operation never stood aside (%d standing aside)", libssh2.ParkedNow(sess))
	}
	select {
	case r := <-doneA:
		t.Fatalf("the lane operation returned while it stood aside: %d, %v", r.n, r.err)
	default:
	}

	t0 := time.Now()
	var fileClosed, sftpClosed chan error
	switch {
	case m.fileClose && d != nil:
		fileClosed = make(chan error, 1)
		go func() { fileClosed <- d.Close() }()
	case m.fileClose:
		fileClosed = make(chan error, 1)
		go func() { fileClosed <- f.Close() }()
	case m.sftpClose:
		sftpClosed = make(chan error, 1)
		go func() { sftpClosed <- sfA.Close() }()
	case c.closes:
		m.interrupt(sess, nil, cancelA) // a closing File takes no deadline: the session's bounds Close
	default:
		m.interrupt(sess, f, cancelA)
	}
	var r result
	select {
	case r = <-doneA:
	case <-time.After(5 * time.Second):
		t.Fatalf("the lane operation did not return within 5 s of the interruption (%s)", m.name)
	}
	if d := r.at.Sub(t0); d > time.Second {
		t.Errorf("the lane operation took %v to return after the interruption", d)
	}
	var e *libssh2.Error
	if !errors.Is(r.err, m.want) || !errors.As(r.err, &e) {
		t.Fatalf("interrupted lane operation = %v (%T), want an *Error wrapping %v", r.err, r.err, m.want)
	}
	if m.closes {
		if err := <-doneB; err == nil {
			t.Errorf("the other lane's Stat succeeded on a closed session")
		}
		if _, err := sfA.Stat(dir); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("Stat after Session.Close = %v, want fs.ErrClosed", err)
		}
		return
	}
	cancelB()
	select {
	case <-doneB:
	case <-time.After(5 * time.Second):
		t.Fatal("the other lane's Stat did not return within 5 s of its cancellation")
	}
	proxy.SetPaused(false)
	if fileClosed != nil {
		// The File's Close, which interrupted the operation, drains and closes once the link is
		// back; until it returns, the lane is not the test's alone.
		closeReturned(t, "File.Close", fileClosed)
	}
	if sftpClosed != nil {
		// SFTP.Close finishes what the operation left, closes the File (draining it) and the
		// channel; the session then opens another lane.
		closeReturned(t, "SFTP.Close", sftpClosed)
		if _, err := sfA.Stat(dir); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("Stat on the closed lane = %v, want fs.ErrClosed", err)
		}
		if sfA, err = sess.SFTP(); err != nil {
			t.Fatalf("a new lane after SFTP.Close: %v", err)
		}
		libssh2.MarkLane(sfA)
	}

	// Both lanes work on, and every File holds the bytes accepted.
	sess.SetDeadline(time.Now().Add(20 * time.Second))
	if f != nil {
		f.SetDeadline(time.Time{})
	}
	if c.closes || c.midway && sftpClosed == nil {
		// The interrupted Close leaves its File's write and its handle's close queued for lane A
		// once the session is free; the interrupted listing its readdir and the directory
		// handle's close: the other lane's operations pass both by, and do not close the handle
		// under the call before.
		if c.closes && !settle(func() bool { return libssh2.OpenFiles(sfA) == 0 }) {
			t.Errorf("the File whose Close was interrupted is still open on its channel (%d open)", libssh2.OpenFiles(sfA))
		}
		if c.midway && !settle(func() bool { return libssh2.PendingOn(sfA) == 2 }) {
			t.Errorf("lane 0 has %d queued calls, want 2: the readdir that stood aside and the handle's close", libssh2.PendingOn(sfA))
		}
		queued := libssh2.PendingOn(sfA)
		if _, err := sfB.Stat(dir); err != nil {
			t.Fatalf("Stat on lane 1 after the interrupted Close: %v", err)
		}
		if n := libssh2.PendingOn(sfA); n != queued {
			t.Errorf("an operation on lane 1 finished %d of lane 0's %d queued calls (a call of a handle, the handle's close): only lane 0's own may", queued-n, queued)
		}
	}
	for i, sf := range []*libssh2.SFTP{sfA, sfB} {
		if _, err := sf.Stat(dir); err != nil {
			t.Fatalf("Stat on lane %d after the interruption: %v", i, err)
		}
		after := filepath.Join(dir, fmt.Sprintf("after%d.bin", i))
		g, err := sf.Create(after)
		if err != nil {
			t.Fatalf("Create on lane %d after the interruption: %v", i, err)
		}
		if _, err := g.Write(upload[:256<<10]); err != nil {
			t.Fatalf("Write on lane %d after the interruption: %v", i, err)
		}
		if err := g.Close(); err != nil {
			t.Fatalf("Close on lane %d after the interruption: %v", i, err)
		}
		checkRemote(t, after, upload[:256<<10])
	}
	if d != nil && fileClosed == nil && sftpClosed == nil {
		// The interrupted ReadDir lost nothing and returned nothing twice: the Dir lists every
		// name once.
		names := map[string]int{}
		for {
			es, err := d.ReadDir(2)
			for _, e := range es {
				names[e.Name()]++
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Dir.ReadDir after the interruption: %v", err)
			}
		}
		want := map[string]int{}
		for i := range dirNames {
			want[fmt.Sprintf("name%d", i)] = 1
		}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("the names the Dir listed after the interruption, counted (-want +got):\n%s", diff)
		}
		if err := d.Close(); err != nil {
			t.Errorf("Dir.Close after the interruption: %v", err)
		}
	}
	if f != nil && !c.closes && fileClosed == nil && sftpClosed == nil {
		if c.after != nil {
			c.after(t, f)
		}
		if err := f.Close(); err != nil {
			t.Errorf("File.Close after the interruption: %v", err)
		}
	}
	if c.closes {
		// The interrupted Close still closed the File, without its channel's Close: lane A's
		// operations above finished its write and its handle's close.
		checkRemote(t, name, c.prepData)
	}
	for i, sf := range []*libssh2.SFTP{sfA, sfB} {
		if err := sf.Close(); err != nil {
			t.Errorf("SFTP.Close of lane %d: %v", i, err)
		}
	}
	if f != nil {
		want := append(append([]byte(nil), c.prepData...), upload[64<<10:64<<10+r.n]...)
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("remote file: %d bytes, %v; want the %d bytes accepted", len(got), err, len(want))
		}
	}
	if err := sess.Close(); err != nil {
		t.Errorf("Session.Close after the interruption: %v", err)
	}
}

// closeReturned checks that which, called from another goroutine, returns nil on closed within 20
// s of the link's return.
func closeReturned(t *testing.T, which string, closed <-chan error) {
	t.Helper()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("%s from another goroutine: %v", which, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s from another goroutine did not return within 20 s of the link's return", which)
	}
}

// TestLanesTakeTurns: many files, mostly small, on four lanes of one session, each lane's requests
// standing aside while the others' go out, arrive exact and read back exact, and the lanes did
// stand aside.
func TestLanesTakeTurns(t *testing.T) {
	sess, sf0 := openSFTP(t, srv)
	check := leakCheck(t)
	defer check()
	dir := testDir(t)
	lanes := []*libssh2.SFTP{sf0}
	for range 3 {
		sf, err := sess.SFTP()
		if err != nil {
			t.Fatal(err)
		}
		lanes = append(lanes, sf)
	}
	content := func(i int) []byte {
		n := 300 + i
		if i%10 == 0 {
			n = 20000 // about 250 KB: writes that go out before Close, with acknowledgements pending
		}
		return bytes.Repeat([]byte(fmt.Sprintf("lane file %d\n", i)), n)
	}
	var wg sync.WaitGroup
	var maxParked int
	var mu sync.Mutex
	errs := make(chan error, len(lanes))
	for l, sf := range lanes {
		libssh2.MarkLane(sf)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := l; i < 200; i += len(lanes) {
				f, err := sf.Create(fmt.Sprintf("%s/%d", dir, i))
				if err != nil {
					errs <- err
					return
				}
				if _, err := f.Write(content(i)); err != nil {
					errs <- err
					return
				}
				if err := f.Close(); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				maxParked = max(maxParked, libssh2.ParkedNow(sess))
				mu.Unlock()
			}
			// And back: the reads stand aside too.
			for i := l; i < 200; i += len(lanes) {
				f, err := sf.Open(fmt.Sprintf("%s/%d", dir, i))
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(f)
				f.Close()
				if err != nil || !bytes.Equal(got, content(i)) {
					errs <- fmt.Errorf("file %d read back: %d bytes, %v; want %d bytes", i, len(got), err, len(content(i)))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range 200 {
		got, err := os.ReadFile(fmt.Sprintf("%s/%d", dir, i))
		if err != nil || !bytes.Equal(got, content(i)) {
			t.Fatalf("file %d: %d bytes, %v; want %d bytes", i, len(got), err, len(content(i)))
		}
	}
	if maxParked == 0 {
		t.Error("no lane ever stood aside: the lanes did not overlap their round trips")
	}
	for _, sf := range lanes {
		if err := sf.Close(); err != nil {
			t.Error(err)
		}
	}
	sess.Close()
}

// TestBatchLanesCancelledOnStalledLink: a Batch whose lanes stand aside on a stalled link is
// cancelled; Wait returns the context's error in bounded time, the caller's session works once the
// link is back, every job that succeeded left its exact file, and nothing is left behind.
func TestBatchLanesCancelledOnStalledLink(t *testing.T) {
	defer libssh2.GrowAlways()() // lanes on loopback
	proxy, sess, sf := proxySession(t)
	check := leakCheck(t)
	dir := testDir(t)
	content := func(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("stalled %d\n", i)), 400+i) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := sf.NewBatch(ctx, &libssh2.TransferOptions{MaxStreams: 1, Lanes: 4})
	var mu sync.Mutex
	ok := map[int]bool{}
	var done sync.WaitGroup
	done.Add(20)
	const files = 200 // fewer than the queue holds: Go must not block on the stalled link
	caller := sf
	for i := range files {
		b.Go(func(ctx context.Context, sf *libssh2.SFTP) error {
			if i < 20 {
				defer done.Done()
			} else if sf == caller {
				// The caller's own channel is not a lane: an operation on it holds the session while
				// it waits, and the lanes would queue for the session instead of standing aside. Past
				// the first jobs, which open the lanes, its worker waits for the cancellation.
				<-ctx.Done()
				return ctx.Err()
			}
			if err := putJob(ctx, sf, fmt.Sprintf("%s/%d", dir, i), content(i)); err != nil {
				return err
			}
			mu.Lock()
			ok[i] = true
			mu.Unlock()
			return nil
		})
		if i == 100 { // enough jobs queued for the lanes to open while the first ones run
			done.Wait() // the first jobs are done: lanes are opening
			// On a loaded machine the lanes may still be opening (an SFTP start holds the session
			// and does not stand aside): stall the link only once they run jobs.
			if !settle(func() bool { return libssh2.BatchLanes(b) == 3 }) {
				t.Fatalf("%d lanes open, want 3", libssh2.BatchLanes(b))
			}
			proxy.SetPaused(true)
		}
	}
	if !settle(func() bool { return libssh2.ParkedNow(sess) > 0 }) {
		t.Fatal("no lane stood aside on the stalled link")
	}
	t0 := time.Now()
	cancel()
	err := b.Wait()
	// A job's File.Close waits up to 5 s for the session (closeTimeout), which another lane's
	// Close may hold, then drains for up to 5 s without progress (closeTimeout); then the lanes'
	// close has a second (closeAfterFailure).
	if d := time.Since(t0); d > 12*time.Second {
		t.Errorf("Wait took %v after the cancellation on a stalled link", d)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
	proxy.SetPaused(false)
	sess.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := sf.Stat(dir); err != nil {
		t.Fatalf("the caller's session after the batch: %v", err)
	}
	after := filepath.Join(dir, "after.bin")
	g, err := sf.Create(after)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Write(upload[:256<<10]); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	checkRemote(t, after, upload[:256<<10])
	if len(ok) == 0 || len(ok) == files {
		t.Errorf("%d of %d jobs succeeded: the link did not stall in the middle", len(ok), files)
	}
	for i := range ok {
		got, err := os.ReadFile(fmt.Sprintf("%s/%d", dir, i))
		if err != nil || !bytes.Equal(got, content(i)) {
			t.Errorf("file %d, reported written: %d bytes, %v; want %d bytes", i, len(got), err, len(content(i)))
		}
	}
	if err := sess.Close(); err != nil {
		t.Errorf("Session.Close: %v", err)
	}
	check()
}
