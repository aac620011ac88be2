package libssh2

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Many files in flight (docs/DESIGN.md, "Transfers"). A Batch runs jobs (open, write, close, set
// attributes: whatever one file needs) on workers, each with its own Session and SFTP channel, so
// that the round trips of many small files overlap. It starts with the caller's session and opens
// more, as a transfer does, while the jobs are slow enough for the round trip to be what holds them
// back and each step makes them finish faster.

// DefaultBatchStreams is the most sessions a Batch uses at once when TransferOptions.MaxStreams is 0.
// At a 50 ms round trip a small file costs about three round trips (open, write, close) whatever
// the client, so n sessions make a tree of small files up to n times faster: 1000 files of 4 KiB
// took 12.8 s with 16 and 8.8 s with 32, against 160 s for OpenSSH's sftp (bench/README.md). The
// sessions are opened only when the first job shows the round trip is what holds the batch back.
const DefaultBatchStreams = 32

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
	wg     sync.WaitGroup // the workers and grow
	ended  chan struct{}  // closed by Wait: no more jobs come
	done   atomic.Int64   // jobs finished
	first  chan time.Duration

	mu      sync.Mutex
	errs    []error
	extra   []*Session
	workers int
	waited  bool
}

// NewBatch starts a Batch whose first worker is sf; opt.MaxStreams bounds its sessions (default
// DefaultBatchStreams), and opt.NewSession opens the others (see TransferOptions); Offset, Progress
// and Perm are not used. ctx bounds every job: when it ends, the jobs still queued are not run.
//
// Extra sessions are opened as Dial opens them (libssh2_session_handshake, libssh2_userauth_*,
// libssh2_sftp_init).
func (sf *SFTP) NewBatch(ctx context.Context, opt *TransferOptions) *Batch {
	b := &Batch{opt: opt, jobs: make(chan func(context.Context, *SFTP) error, batchQueue),
		ended: make(chan struct{}), first: make(chan time.Duration, 1)}
	b.ctx, b.cancel = context.WithCancelCause(ctx)
	b.startWorker(sf)
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
// The job's calls are those of the SFTP methods it uses (libssh2_sftp_open_ex, libssh2_sftp_write,
// libssh2_sftp_close_handle, ...).
func (b *Batch) Go(job func(ctx context.Context, sf *SFTP) error) {
	select {
	case b.jobs <- job:
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
			b.first <- time.Since(t0)
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
	case d := <-b.first:
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
			b.startWorker(sf)
		}
		n += len(sfs)
		prev = rate
	}
}

// waitBound: a first job that took this many times growRTT waited on the round trip, not on the
// machine (a small file takes three round trips, a fraction of a millisecond each on loopback).
const waitBound = 10

// dialWorkers opens k sessions and starts a worker on each as soon as its SFTP channel is open.
func (b *Batch) dialWorkers(dial func(context.Context) (*Session, error), k int) {
	b.dialEach(dial, k, b.startWorker)
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
