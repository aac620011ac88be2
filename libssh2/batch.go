package libssh2

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Many files in flight (docs/DESIGN.md, "Transfers"). A Batch runs jobs (open, write, close, set
// attributes: whatever one file needs) on workers, each with its own SFTP channel, so that the round
// trips of many small files overlap. It starts with the caller's SFTP channel, opens lanes beside it
// on the caller's session (lanes.go) while jobs wait, and opens more sessions, each with lanes of its
// own, as a transfer does, while the jobs are slow enough for the round trip to be what holds them
// back and each step makes them finish faster.

// DefaultBatchStreams is the most sessions a Batch uses at once when TransferOptions.MaxStreams is 0.
// At a 50 ms round trip a small file costs about three round trips (open, write, close) whatever
// the client, so n workers make a tree of small files up to n times faster. With the lanes of each
// session, 1000 files of 4 KiB took 5.9 s with 8 sessions, against 7.1 s with 32 (more handshakes
// for the same files in flight) and 8.9 s with 4, and 160 s for OpenSSH's sftp (bench/README.md).
// The sessions are opened only when the first job shows the round trip is what holds the batch back.
const DefaultBatchStreams = 8

// DefaultBatchLanes is the most SFTP channels a Batch runs jobs on in each of its sessions when
// TransferOptions.Lanes is 0: sshd allows ten channels per connection (MaxSessions 10), and eight
// files in flight on one session made the C program's tree of small files 5.4 times faster at 50 ms
// (bench/README.md).
const DefaultBatchLanes = 8

// maxDials is how many sessions a Batch opens at once: OpenSSH's sshd starts refusing
// unauthenticated connections beyond 10 (MaxStartups 10:30:100).
const maxDials = 8

// batchQueue is how many jobs may wait for a worker before Go blocks.
const batchQueue = 256

// Batch runs SFTP jobs on several sessions at once. Make one with SFTP.NewBatch, queue jobs with Go,
// and end it with Wait. Go and Wait are for one goroutine; the jobs run concurrently, each on one
// SFTP channel at a time.
type Batch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	opt    *TransferOptions
	jobs   chan func(context.Context, *SFTP) error
	wg     sync.WaitGroup // the workers, grow and addLanes
	ended  chan struct{}  // closed by Wait: no more jobs come
	done   atomic.Int64   // jobs finished
	// firstDone is closed when the first job has finished, which took firstTook: lanes open only
	// then, and only when it waited on round trips, and grow measures the round trip with a first
	// job that their opening did not hold up.
	firstDone chan struct{}
	firstTook time.Duration
	queued    chan struct{} // a token when Go queues a job (addLanes)

	// putq holds the files queued by Put that no job has taken yet; guarded by pmu.
	pmu     sync.Mutex
	putq    []*putReq
	grouped atomic.Int64 // files written in groups of more than one (for tests)

	mu      sync.Mutex
	errs    []error
	extra   []*Session
	lanes   []*SFTP // the SFTP channels it opened on the caller's session (lanes.go)
	workers int
	waited  bool
}

// NewBatch starts a Batch whose first worker is sf; opt.MaxStreams bounds its sessions (default
// DefaultBatchStreams), and opt.NewSession opens the others (see TransferOptions); opt.Lanes bounds
// the SFTP channels it opens on each session, sf's included (default DefaultBatchLanes), each with
// a worker of its own, whose requests stand aside while they wait for their replies so that the
// others' go out meanwhile (docs/DESIGN.md, "Lanes"). Lanes and sessions are opened only when the
// first job shows that the round trip holds the jobs back. Offset, Progress and Perm are not used.
// ctx bounds every job: when it ends, the jobs still queued are not run.
//
// Extra sessions are opened as Dial opens them (libssh2_session_handshake, libssh2_userauth_*,
// libssh2_sftp_init), and lanes with libssh2_sftp_init.
func (sf *SFTP) NewBatch(ctx context.Context, opt *TransferOptions) *Batch {
	b := &Batch{opt: opt, jobs: make(chan func(context.Context, *SFTP) error, batchQueue),
		ended:     make(chan struct{}),
		firstDone: make(chan struct{}), queued: make(chan struct{}, 1)}
	b.ctx, b.cancel = context.WithCancelCause(ctx)
	b.startWorker(sf)
	if k := opt.lanes() - 1; k > 0 {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.addLanes(sf.s, k, true)
		}()
	}
	most := opt.maxStreams(DefaultBatchStreams)
	if dial := opt.opener(sf.s); most > 1 && dial != nil {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.grow(dial, most)
		}()
	}
	return b
}

// Go queues job to run on one of the batch's SFTP channels, with the batch's context. It blocks while
// batchQueue jobs are waiting. A job's error is returned by Wait; a job that finds its session
// broken (ErrSessionBroken) ends that session's worker, and the other workers go on.
//
// The SFTP channel is the job's alone while it runs: the job must not hand it, or Files opened on
// it, to other goroutines, since on a lane a call may be standing aside half done.
//
// The job's calls are those of the SFTP methods it uses (libssh2_sftp_open_ex, libssh2_sftp_write,
// libssh2_sftp_close_handle, ...).
func (b *Batch) Go(job func(ctx context.Context, sf *SFTP) error) {
	select {
	case b.jobs <- job:
		select {
		case b.queued <- struct{}{}:
		default:
		}
	case <-b.ctx.Done():
		b.fail(context.Cause(b.ctx))
	}
}

// Wait waits until every job queued has run, closes the sessions the batch opened, and returns the
// jobs' errors (errors.Join), with the context's error when it ended first.
//
// It closes the extra sessions (libssh2_session_disconnect_ex, libssh2_session_free).
func (b *Batch) Wait() error {
	b.mu.Lock()
	if b.waited {
		b.mu.Unlock()
		return errInvalid("batch", "", errors.New("Wait called twice"))
	}
	b.waited = true
	b.mu.Unlock()
	close(b.ended)
	close(b.jobs)
	b.wg.Wait()
	// Put's files whose jobs never ran (the context ended first, or no worker was left).
	b.pmu.Lock()
	left := b.putq
	b.putq = nil
	b.pmu.Unlock()
	for _, r := range left {
		if !r.taken {
			r.report(newError("put", r.f.Name, 0, context.Cause(b.ctx)))
		}
	}
	closeLanes(b.lanes, b.ctx.Err() != nil)
	closeSessions(b.extra, b.ctx.Err() != nil)
	b.cancel(nil)
	b.mu.Lock()
	defer b.mu.Unlock()
	return errors.Join(b.errs...)
}

// fail records an error; each distinct context error once.
func (b *Batch) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		if e == err && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errNoWorker)) {
			return
		}
	}
	b.errs = append(b.errs, err)
}

// errNoWorker fails the jobs left when every worker's session broke. One value, so that fail records
// it once.
var errNoWorker error = newError("batch", "", 0, errors.New("every session of the batch failed"))

func (b *Batch) startWorker(sf *SFTP) {
	b.mu.Lock()
	b.workers++
	b.mu.Unlock()
	b.wg.Add(1)
	go b.work(sf)
}

// startSession starts the workers of an extra session whose first SFTP channel is sf: sf is a lane
// too (nobody else has it), and lanes open beside it while jobs wait. The caller is counted in b.wg.
func (b *Batch) startSession(sf *SFTP) {
	sf.lane = true
	b.startWorker(sf)
	if k := b.opt.lanes() - 1; k > 0 {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.addLanes(sf.s, k, false)
		}()
	}
}

// work runs jobs on sf until there are no more, or sf's session breaks. The last worker to go
// drains the queue, failing the jobs in it.
func (b *Batch) work(sf *SFTP) {
	defer b.wg.Done()
	for job := range b.jobs {
		if err := b.ctx.Err(); err != nil {
			b.fail(context.Cause(b.ctx))
			continue
		}
		t0 := time.Now()
		err := job(b.ctx, sf)
		if b.done.Add(1) == 1 {
			b.firstTook = time.Since(t0)
			close(b.firstDone)
		}
		if err == nil {
			continue
		}
		b.fail(err)
		if errors.Is(err, ErrSessionBroken) || errors.Is(err, ErrorSocketDisconnect) {
			break
		}
	}
	b.mu.Lock()
	b.workers--
	last := b.workers == 0
	b.mu.Unlock()
	if last {
		b.cancel(errNoWorker)
		for range b.jobs {
			b.fail(errNoWorker)
		}
	}
}

// grow opens more workers, doubling them, while the jobs are slow enough for the round trip to
// matter (the first one took at least three of growRTT) and more workers finish them faster. (Bolder
// steps measured slower at 50 ms: a dozen handshakes at once keep a small server busy for seconds.)
func (b *Batch) grow(dial func(context.Context) (*Session, error), most int) {
	select {
	case <-b.firstDone:
		d := b.firstTook
		if d < 3*growRTT {
			return
		}
		if d >= waitBound*growRTT {
			// The job spent its time waiting on round trips: more workers help nearly in
			// proportion, so open one per job waiting, up to most, each starting as it is ready.
			b.dialWorkers(dial, min(most-1, len(b.jobs)))
			return
		}
	case <-b.ended:
		return
	case <-b.ctx.Done():
		return
	}
	var prev float64
	for n := 1; n < most; {
		if len(b.jobs) == 0 {
			select {
			case <-b.ended:
				return // Wait was called with nothing queued: no more work will come
			case <-time.After(growWindow):
			}
			continue
		}
		mark := b.done.Load()
		t0 := time.Now()
		sfs := b.dial(dial, min(n, most-n))
		select {
		case <-time.After(growWindow - time.Since(t0)):
		case <-b.ctx.Done():
		}
		rate := float64(b.done.Load()-mark) / time.Since(t0).Seconds()
		if (prev != 0 && rate < growGain*prev) || b.ctx.Err() != nil || len(sfs) == 0 {
			for _, sf := range sfs {
				sf.s.Close()
			}
			return
		}
		for _, sf := range sfs {
			b.startSession(sf)
		}
		n += len(sfs)
		prev = rate
	}
}

// addLanes opens up to k lanes on s, one at a time while jobs wait for a worker, and starts a worker
// on each; only when the first job took at least three times growRTT, as grow opens sessions only
// then: on a fast link the server's CPU, not the round trip, is the limit, and on loopback eight
// lanes made a tree of small files 1.24 times slower than one channel (bench/README.md). A channel
// that fails to open (the server's limit, MaxSessions) ends it: the batch goes on with the workers
// it has.
func (b *Batch) addLanes(s *Session, k int, callers bool) {
	select {
	case <-b.firstDone:
	case <-b.ctx.Done():
		return
	case <-b.ended:
		if len(b.jobs) == 0 {
			return // every job has a worker: no lane would get one
		}
		select {
		case <-b.firstDone:
		case <-b.ctx.Done():
			return
		}
	}
	if b.firstTook < 3*growRTT {
		return
	}
	for range k {
		if !b.jobsWaiting() {
			return
		}
		sf, err := s.SFTPContext(b.ctx)
		if err != nil {
			return
		}
		sf.lane = true // before any other goroutine has it
		if callers {   // the extra sessions close with their lanes
			b.mu.Lock()
			b.lanes = append(b.lanes, sf)
			b.mu.Unlock()
		}
		b.startWorker(sf)
	}
}

// jobsWaiting waits until a job waits for a worker, and reports false when none will: Wait found
// the queue empty, or the batch's context ended.
func (b *Batch) jobsWaiting() bool {
	for {
		if len(b.jobs) > 0 {
			return true
		}
		select {
		case <-b.queued:
		case <-b.ended:
			return len(b.jobs) > 0
		case <-b.ctx.Done():
			return false
		}
	}
}

// closeLanes closes the lanes of a batch on the caller's session, all within closeTimeout, or
// closeAfterFailure after a failure; what the link does not answer in time stays queued for the
// session's next operation (SFTP.closeLocked).
func closeLanes(lanes []*SFTP, failed bool) {
	ctx, cancel := closeBound(politeClose(failed))
	defer cancel()
	for _, sf := range lanes {
		sf.close(ctx)
	}
}

func (o *TransferOptions) lanes() int {
	if o == nil || o.Lanes <= 0 {
		return DefaultBatchLanes
	}
	return o.Lanes
}

// waitBound: a first job that took this many times growRTT waited on the round trip, not on the
// machine (a small file takes three round trips, a fraction of a millisecond each on loopback).
const waitBound = 10

// dialWorkers opens k sessions and starts a worker on each as soon as its SFTP channel is open.
func (b *Batch) dialWorkers(dial func(context.Context) (*Session, error), k int) {
	b.dialEach(dial, k, b.startSession)
}

// dialEach opens k sessions, at most maxDials at once, and calls opened with each SFTP channel that
// opens. A session that fails to open is not the batch's failure: it goes on with fewer.
func (b *Batch) dialEach(dial func(context.Context) (*Session, error), k int, opened func(*SFTP)) {
	sem := make(chan struct{}, maxDials)
	var wg sync.WaitGroup
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if sf := b.open(dial); sf != nil {
				opened(sf)
			}
		}()
	}
	wg.Wait()
}

// open opens one more session with its SFTP channel, or returns nil.
func (b *Batch) open(dial func(context.Context) (*Session, error)) *SFTP {
	select {
	case <-b.ended:
		if len(b.jobs) == 0 {
			return nil // nothing left to do
		}
	default:
	}
	s, err := dial(b.ctx)
	if err != nil {
		return nil
	}
	b.mu.Lock()
	b.extra = append(b.extra, s)
	b.mu.Unlock()
	sf, err := s.SFTPContext(b.ctx)
	if err != nil {
		return nil
	}
	return sf
}

// dial opens k sessions at once with their SFTP channels (dialEach), and returns those that opened.
func (b *Batch) dial(dial func(context.Context) (*Session, error), k int) []*SFTP {
	var mu sync.Mutex
	var sfs []*SFTP
	b.dialEach(dial, k, func(sf *SFTP) {
		mu.Lock()
		sfs = append(sfs, sf)
		mu.Unlock()
	})
	return sfs
}

// putReq is a file queued by Put.
type putReq struct {
	f     PutFile
	done  func(error)
	taken bool // a job has taken it; guarded by Batch.pmu
}

// report tells r's caller how its file ended.
func (r *putReq) report(err error) {
	if r.done != nil {
		r.done(err)
	}
}

// putGroup is the most files one job of a Batch writes with PutFiles.
const putGroup = 64

// Put queues a job that writes data to the file name, created or truncated, with permissions perm
// (0 means 0o644), and closes it, as os.WriteFile does. data must hold at most MaxPutFile bytes
// (larger files go through Go) and must not change until the file is done. done, when not nil, is
// called once with the file's fate (nil: written and closed) before Wait returns, from the job's
// goroutine or from Wait; the file's error is also returned by Wait, as an *Error with its path
// (after the Batch's context ended, the context's error once instead).
//
// Where the round trip is short enough that the Batch stays on one SFTP channel, the jobs take the
// files queued by Put in groups and write each group with SFTP.PutFiles, so that several files'
// requests are in flight on that channel; on a long round trip each file is a job of its own on
// the Batch's lanes and sessions. It blocks, as Go does, while batchQueue jobs are waiting.
func (b *Batch) Put(name string, data []byte, perm fs.FileMode, done func(error)) {
	r := &putReq{f: PutFile{Name: name, Data: data, Perm: perm}, done: done}
	b.pmu.Lock()
	b.putq = append(b.putq, r)
	b.pmu.Unlock()
	b.Go(func(ctx context.Context, sf *SFTP) error { return b.put(ctx, sf, r) })
}

// put is the job of Put's file r: r with the other files queued after it, up to putGroup, through
// PutFiles when the Batch pipelines; r alone through a File otherwise; nothing when an earlier
// job took r into its group.
func (b *Batch) put(ctx context.Context, sf *SFTP, r *putReq) error {
	b.pmu.Lock()
	if r.taken {
		b.pmu.Unlock()
		return nil
	}
	group := []*putReq{r}
	r.taken = true
	if b.pipelines(sf) {
		for _, q := range b.putq {
			if len(group) == putGroup {
				break
			}
			if !q.taken {
				q.taken = true
				group = append(group, q)
			}
		}
	}
	// Jobs run in the order Put queued them, so the files taken are mostly the queue's front:
	// dropping that costs each job only the files it took.
	for len(b.putq) > 0 && b.putq[0].taken {
		b.putq[0] = nil
		b.putq = b.putq[1:]
	}
	b.pmu.Unlock()
	if len(group) == 1 {
		err := putOne(ctx, sf, r.f)
		r.report(err)
		return err
	}
	files := make([]PutFile, len(group))
	for i, q := range group {
		files[i] = q.f
	}
	sf.PutFiles(ctx, files)
	b.grouped.Add(int64(len(files)))
	var errs []error
	for i, q := range group {
		q.report(files[i].Err)
		if files[i].Err != nil {
			errs = append(errs, files[i].Err)
		}
	}
	if len(errs) > 0 && ctx.Err() != nil {
		return context.Cause(ctx) // the files' errors are all the context's: once for Wait
	}
	return errors.Join(errs...)
}

// pipelines reports whether the jobs on sf write Put's files in groups: when sf is not a lane and
// the first job showed a round trip too short for lanes and sessions (grow, addLanes). On a lane,
// PutFiles, which holds the session while it waits, would keep the other lanes of its session
// from standing aside; a file at a time, each call stands aside.
func (b *Batch) pipelines(sf *SFTP) bool {
	if sf.lane {
		return false
	}
	select {
	case <-b.firstDone:
		return b.firstTook < 3*growRTT
	default:
		return false // the first job, which measures the round trip, is a single file
	}
}

// putOne writes f through a File: open, write, close.
func putOne(ctx context.Context, sf *SFTP, f PutFile) error {
	if len(f.Data) > MaxPutFile {
		return errInvalid("put", f.Name, errors.New("more than MaxPutFile bytes: use Go"))
	}
	perm := f.Perm
	if perm == 0 {
		perm = 0o644
	}
	h, err := sf.openFile(ctx, f.Name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := h.WriteContext(ctx, f.Data); err != nil {
		h.Close()
		return err
	}
	return h.Close()
}
