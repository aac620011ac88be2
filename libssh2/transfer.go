package libssh2

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// One file over several streams (docs/DESIGN.md, "Transfers"). A stream is a File on its own
// Session: the caller's, and extra sessions opened with the same address, host key check and
// credentials. Streams on one Session would not run in parallel, since a Session's calls are
// serialized across their waits. Each stream moves a span of the file, a contiguous range, in order
// through one File's pipeline; a stream that has finished its span takes the upper half of the
// largest span left (work stealing), so the streams seek rarely and end together. A download
// stream's read-ahead stays inside its span (plan.reserve), and no split cuts below it.

// DefaultMaxStreams is the most sessions an Upload or Download uses at once when
// TransferOptions.MaxStreams is 0. At a 50 ms round trip four sessions move about 2.3 times what one
// does, and eight only 2.5 times (bench/README.md), at twice the memory.
const DefaultMaxStreams = 4

// growRTT is the round trip below which a transfer stays on one stream: one SFTP channel moves up
// to its 2 MiB window per round trip (docs/DESIGN.md, fact 10), 1 GB/s at 2 ms, so below it the
// machine, not the window, is the limit, and more streams only compete for the same cores.
var growRTT = 2 * time.Millisecond

// minSplit is the least a span must hold on each side for another stream to take half of it. A
// stream that takes a span first drains its window (one round trip idle), so a split pays when
// the half takes longer than that: at 50 ms, with four streams of about 14 MiB/s, from about
// 0.7 MiB on. Larger spans left unsplit made the streams of a 256 MiB upload end up to 0.3 s
// apart (bench/README.md).
const minSplit = 1 << 20

// growGain is how much faster the streams must move than half as many did for the transfer to
// open more.
var growGain = 1.15

// growMinLeft is the least time the rest of a transfer must take, at its current rate, for it to
// open more streams: a new session costs several round trips and its window some more to grow.
var growMinLeft = 3 * time.Second

// growWindow is the least time over which the rate of the streams running is measured.
var growWindow = 250 * time.Millisecond

// channelWindow is the SSH channel window that sshd grants (docs/DESIGN.md, fact 10): one channel
// moves at most this much per round trip.
const channelWindow = 2 << 20

// closeAfterFailure bounds the Close of a stream's File once the transfer has failed.
const closeAfterFailure = time.Second

// progressEvery is how often a transfer reports progress.
const progressEvery = 100 * time.Millisecond

// TransferOptions configures SFTP.Upload, SFTP.Download and SFTP.NewBatch. The zero value (or a nil
// *TransferOptions) means the defaults.
type TransferOptions struct {
	// MaxStreams is the most sessions used at once, the caller's included: 0 means the default
	// (DefaultMaxStreams for Upload and Download, DefaultBatchStreams for a Batch), 1 only the
	// caller's session. How many are used up to it is measured: more streams are opened only
	// while the round trip is long enough for them to help and each step makes the transfer
	// faster.
	MaxStreams int
	// Offset resumes a transfer: the bytes before it are already in place at the destination (for
	// example the Offset of an earlier transfer's error). Upload and Download move the rest.
	Offset int64
	// Progress, when set, is called from one goroutine at a time as the contiguous prefix of the
	// file known to be at the destination grows, and once at the end.
	Progress func(good int64)
	// Perm is the permission of a file Upload creates; 0 means 0644.
	Perm fs.FileMode
	// Lanes is the most SFTP channels a Batch runs jobs on at once in each of its sessions, the
	// caller's SFTP channel included: 0 means DefaultBatchLanes, 1 one per session. They are opened
	// while jobs wait for a worker, when the round trip holds the jobs back, and closed by Wait.
	// Upload and Download do not use it.
	Lanes int
	// NewSession opens an extra session. By default a session made by Dial is dialled again with
	// the same network, address and Config (each extra session checks the host key and
	// authenticates again: a KeyboardInteractive challenge is asked again); a session made by
	// NewSession gets no extra sessions unless NewSession is set.
	NewSession func(ctx context.Context) (*Session, error)
}

func (o *TransferOptions) maxStreams(def int) int {
	if o == nil || o.MaxStreams <= 0 {
		return def
	}
	return o.MaxStreams
}

// opener returns how to open an extra session for s, or nil when there is none.
func (o *TransferOptions) opener(s *Session) func(context.Context) (*Session, error) {
	switch {
	case o != nil && o.NewSession != nil:
		return o.NewSession
	case s.network != "":
		return s.redial
	}
	return nil
}

// span is one stream's range of the file: [start, pos) is handed to the stream, [pos, end) is still
// to do, and [start, good) is known to be at the destination. Guarded by plan.mu.
type span struct {
	start, pos, end, good int64
	// ahead is how far a download stream has asked the server for the span's bytes: libssh2 reads
	// ahead of the stream's position (reserve). No split cuts the span below it, so that no byte
	// is requested by two streams.
	ahead int64
	free  bool // no stream moves it: a retired stream left it (steal takes it whole)
}

// stream is what the transfer knows of one stream.
type stream struct {
	sp   *span // the span it moves; guarded by plan.mu
	quit bool  // retired: it takes no more spans but free ones; guarded by plan.mu
}

// plan is a transfer's spans.
type plan struct {
	mu    sync.Mutex
	from  int64
	spans []*span
}

// first makes the span of the whole range [from, size).
func (p *plan) first(from, size int64) *span {
	p.from = from
	sp := &span{start: from, pos: from, end: size, good: from}
	p.spans = []*span{sp}
	return sp
}

// steal gives st its next span: a free one whole, else, unless st is retired, the upper half of the
// span with the most left to do. It returns nil when there is none.
func (p *plan) steal(st *stream) *span {
	p.mu.Lock()
	defer p.mu.Unlock()
	st.sp = nil
	var big *span
	for _, sp := range p.spans {
		if sp.free {
			sp.free = false
			st.sp = sp
			return sp
		}
		if big == nil || sp.end-sp.pos > big.end-big.pos {
			big = sp
		}
	}
	if st.quit || big == nil {
		return nil
	}
	st.sp = p.split(big)
	return st.sp
}

// split cuts the upper part off sp at cut, and returns it; nil when sp is too small.
func (p *plan) split(sp *span) *span {
	at, ok := cut(sp)
	if !ok {
		return nil
	}
	up := &span{start: at, pos: at, end: sp.end, good: at}
	sp.end = at
	p.spans = append(p.spans, up)
	return up
}

// cut is where split divides sp: its middle, or past what its stream has asked the server for
// already, when each side then keeps at least minSplit. The caller holds p.mu.
func cut(sp *span) (int64, bool) {
	const align = 64 << 10
	at := max(sp.pos+(sp.end-sp.pos)/2, sp.ahead+align-1) &^ (align - 1)
	return at, at-sp.pos >= minSplit && sp.end-at >= minSplit
}

// reserve keeps a download stream's read-ahead inside its span sp: it returns the read buffer to
// give libssh2_sftp_read at offset pos instead of n bytes, 0 when the span is done (nothing is to
// be read), and records what that read may ask the server for. libssh2_sftp_read asks for up to
// four times its buffer ahead, in requests of up to packetSize bytes (docs/DESIGN.md, fact 7), so
// near the span's end the buffer shrinks to a quarter of what is left, down to one request; a read
// asks for at most four requests more than the span holds.
func (p *plan) reserve(sp *span, pos int64, n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pos >= sp.end {
		return 0
	}
	n = int(min(int64(n), max((sp.end-pos)/4, packetSize)))
	sp.ahead = max(sp.ahead, pos+4*int64(n)+packetSize)
	return n
}

// retire stops st from taking more spans; the upper half of its span, when there is enough, is left
// free for the others. A retired stream still takes free spans before it ends, so that none is left
// behind.
func (p *plan) retire(st *stream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st.quit = true
	if st.sp != nil {
		if up := p.split(st.sp); up != nil {
			up.free = true
		}
	}
}

// splittable reports whether steal would find a span for another stream.
func (p *plan) splittable() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, sp := range p.spans {
		if _, ok := cut(sp); sp.free || ok {
			return true
		}
	}
	return false
}

// take hands the next up to n bytes of sp to its stream: their offset and count, 0 when sp is done.
func (p *plan) take(sp *span, n int) (int64, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := int(min(int64(n), sp.end-sp.pos))
	off := sp.pos
	sp.pos += int64(k)
	return off, k
}

// unfinished reports whether sp has bytes left to hand out.
func (p *plan) unfinished(sp *span) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sp.pos < sp.end
}

func (p *plan) setGood(sp *span, good int64) {
	p.mu.Lock()
	sp.good = good
	p.mu.Unlock()
}

// prefix is the end of the contiguous range from the transfer's start known to be at the
// destination, and moved is how many bytes are known there in all.
func (p *plan) prefix() (prefix, moved int64) {
	p.mu.Lock()
	spans := make([]span, len(p.spans))
	for i, sp := range p.spans {
		spans[i] = *sp
		moved += sp.good - sp.start
	}
	p.mu.Unlock()
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	prefix = p.from
	for _, sp := range spans {
		if sp.start > prefix {
			break
		}
		prefix = max(prefix, sp.good)
	}
	return prefix, moved
}

// transfer is one Upload or Download in progress.
type transfer struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	op     string // "upload" or "download"
	path   string
	opt    *TransferOptions
	plan   plan
	// open opens the file on an extra stream's SFTP channel; move runs one stream from its first span
	// on, taking more spans until none is left.
	open func(ctx context.Context, sf *SFTP) (*File, error)
	move func(f *File, sp *span, st *stream) error
	// prepare, when set, readies a stream's File before it moves anything, when the transfer may
	// run several streams at once (an upload window's share of the memory).
	prepare func(f *File)

	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error      // the first failure
	extra []*Session // the extra sessions, all closed before the transfer returns
}

// fail records the first failure and stops the other streams.
func (t *transfer) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
	t.cancel(err)
}

// start runs the stream st on f, from its span.
func (t *transfer) start(f *File, st *stream) *stream {
	sp := st.sp
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		err := t.move(f, sp, st)
		if err != nil || t.ctx.Err() != nil {
			// The transfer has failed: what is in flight may land, but need not, so Close waits for
			// it only briefly. (A Close cut short leaves its last calls to the session's next
			// operation: the caller's session stays usable.)
			f.SetWriteDeadline(time.Now().Add(closeAfterFailure))
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.fail(err)
		}
	}()
	return st
}

// run runs the transfer of [from, size) with f, on the caller's session, as its first stream, and
// opens more streams while they help. It returns the contiguous prefix known at the destination and
// the first failure.
func (t *transfer) run(base *SFTP, f *File, from, size int64, rtt time.Duration) (int64, error) {
	most := t.opt.maxStreams(DefaultMaxStreams)
	dial := t.opt.opener(base.s)
	grows := most > 1 && dial != nil && rtt >= growRTT && size-from >= 2*minSplit
	eager := grows && eagerStreams(size-from, rtt)
	if eager && t.prepare != nil {
		t.prepare(f)
	}
	st := &stream{sp: t.plan.first(from, size)}
	t.wg.Add(1) // held until grow is started, so done cannot close before
	t.start(f, st)
	done := make(chan struct{})
	go func() {
		t.wg.Wait()
		close(done)
	}()
	if grows {
		t.wg.Add(1) // added before the first stream can end, so done waits for grow too
		go func() {
			defer t.wg.Done()
			t.grow(dial, most, rtt, eager)
		}()
	}
	t.wg.Done()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	var reported int64 = -1
	report := func() {
		if t.opt == nil || t.opt.Progress == nil {
			return
		}
		if p, _ := t.plan.prefix(); p != reported {
			reported = p
			t.opt.Progress(p)
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-tick.C:
			report()
		}
	}
	closeSessions(t.extra, t.ctx.Err() != nil)
	report()
	good, _ := t.plan.prefix()
	return good, t.err
}

// roundTrip stats f (the size, for a download) and measures the round trip with it: an fstat costs
// the server next to nothing. opened is how long f's open took, itself a round trip or more (the
// server may have had a file to truncate): the shorter of the two is taken, so that a busy moment
// on a fast link does not pass for distance unless it lasts for both.
func roundTrip(ctx context.Context, f *File, opened time.Duration) (*cshim.Attributes, time.Duration, error) {
	t0 := time.Now()
	a, err := f.fstat(ctx)
	return a, min(time.Since(t0), opened), err
}

// eagerStreams reports whether a transfer of n bytes should open all its streams at once: when
// one channel, moving at most its window per round trip, would take more than growMinLeft, the
// round trip is what limits, and doubling step by step would spend much of the transfer growing.
func eagerStreams(n int64, rtt time.Duration) bool {
	return float64(n)/(channelWindow/rtt.Seconds()) > growMinLeft.Seconds()
}

// grow opens more streams while the ones running move faster than fewer did: all of them at once
// when eager, else doubling. The rate of n streams is measured once their windows have had time to
// grow, while the next ones are dialled; when n streams turn out no faster than before, the last
// ones are retired.
func (t *transfer) grow(dial func(context.Context) (*Session, error), most int, rtt time.Duration, eager bool) {
	window := max(growWindow, 8*rtt)
	settle := max(growWindow/2, 12*rtt) // a new window grows from initialWriteWindow over a few turns
	var prev float64
	var added []*stream
	for n := 1; ; {
		_, before := t.plan.prefix()
		if !eager && !t.sleep(settle) {
			return
		}
		_, mark := t.plan.prefix()
		t0 := time.Now()
		var files []*File
		// Grow only when what is left would take long enough, at the rate of the settling time,
		// for more streams to pay for opening them.
		left := t.left() / max(float64(mark-before)/settle.Seconds(), 1)
		if eager || n < most && t.plan.splittable() && left > growMinLeft.Seconds() {
			k := min(n, most-n)
			if eager {
				k, eager = most-1, false
			}
			files = t.dialStreams(dial, k)
		}
		if !t.sleep(window - time.Since(t0)) {
			closeFiles(files)
			return
		}
		_, moved := t.plan.prefix()
		rate := float64(moved-mark) / time.Since(t0).Seconds()
		if prev != 0 && rate < growGain*prev {
			for _, st := range added {
				t.plan.retire(st)
			}
			closeFiles(files)
			return
		}
		added = added[:0]
		for _, f := range files {
			st := new(stream)
			if t.plan.steal(st) == nil {
				closeFiles([]*File{f})
				continue
			}
			added = append(added, t.start(f, st))
		}
		if len(added) == 0 {
			return
		}
		n += len(added)
		prev = rate
	}
}

// left is how many bytes no stream has taken yet.
func (t *transfer) left() float64 {
	p := &t.plan
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	for _, sp := range p.spans {
		n += sp.end - sp.pos
	}
	return float64(n)
}

// sleep waits d, and reports false when the transfer ended first.
func (t *transfer) sleep(d time.Duration) bool {
	if d <= 0 {
		return t.ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-t.ctx.Done():
		return false
	}
}

// politeClose is how long the goodbyes of a transfer's or batch's extra sessions and lanes may take:
// closeTimeout, or closeAfterFailure after a failure or a cancellation.
func politeClose(failed bool) time.Duration {
	if failed {
		return closeAfterFailure
	}
	return closeTimeout
}

// closeSessions closes the extra sessions of a transfer or batch, at once. After a failure or a
// cancellation their goodbyes are bounded by closeAfterFailure instead of closeTimeout: an extra
// session may still be finishing an interrupted SFTP start or open, which on a loaded server takes
// seconds, and the caller is waiting.
func closeSessions(ss []*Session, failed bool) {
	polite := politeClose(failed)
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.close(polite)
		}()
	}
	wg.Wait()
}

// closeFiles closes the files of streams that were opened but are not needed, with their sessions.
func closeFiles(files []*File) {
	for _, f := range files {
		f.Close()
		f.sf.s.Close()
	}
}

// dialStreams opens k extra sessions at once, each with the file open, and returns the files of
// those that succeeded. A failure to open one is not the transfer's: it goes on with fewer streams.
func (t *transfer) dialStreams(dial func(context.Context) (*Session, error), k int) []*File {
	var mu sync.Mutex
	var files []*File
	var wg sync.WaitGroup
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := dial(t.ctx)
			if err != nil {
				return
			}
			mu.Lock()
			t.extra = append(t.extra, s)
			mu.Unlock()
			sf, err := s.SFTPContext(t.ctx)
			if err != nil {
				return
			}
			f, err := t.open(t.ctx, sf)
			if err != nil {
				return
			}
			if t.prepare != nil {
				t.prepare(f)
			}
			mu.Lock()
			files = append(files, f)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return files
}

// result makes the error a transfer returns: the first failure, with the prefix known at the
// destination as its Offset.
func (t *transfer) result(good int64, err error) (int64, error) {
	if err == nil {
		return good, nil
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		if c.Path == "" {
			c.Path = t.path
		}
		c.Offset = good
		return good, &c
	}
	e = newError(t.op, t.path, 0, err)
	e.Offset = good
	return good, e
}

func newTransfer(ctx context.Context, op, path string, opt *TransferOptions) *transfer {
	t := &transfer{op: op, path: path, opt: opt}
	t.ctx, t.cancel = context.WithCancelCause(ctx)
	return t
}

// Upload copies size bytes of src to the remote file dst, over several sessions at once when that
// is faster (TransferOptions.MaxStreams): each moves its own ranges of the file through a File's
// upload window. It creates dst (truncating it, unless opt.Offset resumes an earlier upload) and
// returns once every byte is acknowledged by the server and the files are closed.
//
// It returns the length of the prefix of dst known to hold exactly src's bytes: size on success; on
// failure the error is an *Error whose Offset is that prefix, so that an Upload with that Offset
// resumes. Bytes past the prefix may have been written too (each where it belongs). ctx bounds the
// whole upload; every extra session is closed before Upload returns.
//
// Each stream writes with libssh2_sftp_write on a handle of its own (libssh2_sftp_open_ex,
// libssh2_sftp_seek64).
func (sf *SFTP) Upload(ctx context.Context, dst string, src io.ReaderAt, size int64, opt *TransferOptions) (int64, error) {
	from := opt.offset()
	if size < 0 || from > size {
		return 0, errInvalid("upload", dst, fmt.Errorf("%w: size %d, offset %d", fs.ErrInvalid, size, from))
	}
	flag := os.O_WRONLY | os.O_CREATE
	if from == 0 {
		flag |= os.O_TRUNC
	}
	perm := fs.FileMode(0o644)
	if opt != nil && opt.Perm != 0 {
		perm = opt.Perm
	}
	t := newTransfer(ctx, "upload", dst, opt)
	defer t.cancel(nil)
	t0 := time.Now()
	f, err := sf.openFile(t.ctx, dst, flag, perm)
	if err != nil {
		return t.result(from, err)
	}
	a, rtt, err := roundTrip(t.ctx, f, time.Since(t0))
	if err == nil && from > 0 && a.Size > uint64(size) {
		// Resuming: a longer file keeps no bytes past size. The bytes before from stay.
		err = f.truncate(t.ctx, size)
	}
	if err != nil {
		f.Close()
		return t.result(from, err)
	}
	t.open = func(ctx context.Context, sf *SFTP) (*File, error) {
		return sf.openFile(ctx, dst, os.O_WRONLY, 0)
	}
	t.move = func(f *File, sp *span, st *stream) error { return t.upload(f, sp, st, src) }
	// The streams share what one File's window may hold, so that the memory of an upload does not
	// grow with its streams, and each starts at its share: the round trip is known to be long.
	share := max(2*sf.window/t.opt.maxStreams(DefaultMaxStreams), initialWriteWindow)
	t.prepare = func(f *File) { f.startWindow(share) }
	return t.result(t.run(sf, f, from, size, rtt))
}

func (o *TransferOptions) offset() int64 {
	if o == nil {
		return 0
	}
	return max(o.Offset, 0)
}

// upload is one upload stream: each span goes through f's window by ReadFrom (one copy), and its
// good part is what the window had acknowledged since the span began.
func (t *transfer) upload(f *File, sp *span, st *stream, src io.ReaderAt) error {
	for sp != nil {
		if _, err := f.SeekContext(t.ctx, sp.start, io.SeekStart); err != nil {
			return err // nothing of sp was sent
		}
		r := &spanReader{t: t, sp: sp, src: src, f: f, base: f.ackedTotal()}
		if _, err := f.ReadFromContext(t.ctx, r); err != nil {
			r.update()
			return err
		}
		if err := f.flush(t.ctx); err != nil {
			r.update()
			return err
		}
		r.update()
		sp = t.plan.steal(st)
	}
	return nil
}

// spanReader reads a span of the source for an upload stream's ReadFrom, and keeps the span's good
// part up to date from the File's acknowledgements.
type spanReader struct {
	t    *transfer
	sp   *span
	src  io.ReaderAt
	f    *File
	base int64 // f's acknowledged bytes when the span began
}

func (r *spanReader) update() {
	r.t.plan.setGood(r.sp, r.sp.start+r.f.ackedTotal()-r.base)
}

func (r *spanReader) Read(p []byte) (int, error) {
	r.update()
	off, k := r.t.plan.take(r.sp, len(p))
	if k == 0 {
		return 0, io.EOF
	}
	n, err := r.src.ReadAt(p[:k], off)
	if n == k {
		return n, nil
	}
	if err == io.EOF || err == nil {
		err = fmt.Errorf("the source ends at %d, before the size given: %w", off+int64(n), io.ErrUnexpectedEOF)
	}
	return n, err
}

// Download copies the remote file src to dst, over several sessions at once when that is faster
// (TransferOptions.MaxStreams): each reads its own ranges of the file through a File's read-ahead
// and writes them to dst at their offsets. It copies the file's size when the download begins.
//
// It returns the length of the prefix of dst known to hold exactly src's bytes: the size on success;
// on failure the error is an *Error whose Offset is that prefix, so that a Download with that Offset
// resumes. ctx bounds the whole download; every extra session is closed before Download returns.
//
// Each stream reads with libssh2_sftp_read on a handle of its own (libssh2_sftp_open_ex,
// libssh2_sftp_seek64).
func (sf *SFTP) Download(ctx context.Context, src string, dst io.WriterAt, opt *TransferOptions) (int64, error) {
	from := opt.offset()
	t := newTransfer(ctx, "download", src, opt)
	defer t.cancel(nil)
	t0 := time.Now()
	f, err := sf.openFile(t.ctx, src, os.O_RDONLY, 0)
	if err != nil {
		return t.result(from, err)
	}
	var size int64
	a, rtt, err := roundTrip(t.ctx, f, time.Since(t0))
	if err == nil {
		if a.Flags&cshim.SFTPAttrSize == 0 || a.Size > math.MaxInt64 {
			err = newError("download", src, 0, errors.New("the server did not report the file's size"))
		}
		size = int64(a.Size)
	}
	if err == nil && from > size {
		err = errInvalid("download", src, fmt.Errorf("%w: offset %d past the size %d", fs.ErrInvalid, from, size))
	}
	if err != nil {
		f.Close()
		return t.result(from, err)
	}
	t.open = func(ctx context.Context, sf *SFTP) (*File, error) {
		return sf.openFile(ctx, src, os.O_RDONLY, 0)
	}
	t.move = func(f *File, sp *span, st *stream) error { return t.download(f, sp, st, dst) }
	return t.result(t.run(sf, f, from, size, rtt))
}

// download is one download stream. It writes each span from the File's read buffer (nextChunk, as
// WriteTo does), so the bytes are copied once on the Go side.
func (t *transfer) download(f *File, sp *span, st *stream, dst io.WriterAt) error {
	for sp != nil {
		if _, err := f.SeekContext(t.ctx, sp.start, io.SeekStart); err != nil {
			return err
		}
		if err := t.downloadSpan(f, sp, dst); err != nil {
			return err
		}
		sp = t.plan.steal(st)
	}
	return nil
}

// downloadSpan moves sp from f's position, its start, to dst.
func (t *transfer) downloadSpan(f *File, sp *span, dst io.WriterAt) error {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	taken := 0
	reserve := func(pos int64, n int) int { return t.plan.reserve(sp, pos, n) }
	for {
		chunk, err := f.nextChunk(t.ctx, taken, reserve)
		taken = 0
		if err == io.EOF {
			if t.plan.unfinished(sp) {
				return newError("read", f.name, 0, fmt.Errorf("the file ends before its size when the download began: %w", io.ErrUnexpectedEOF))
			}
			return nil
		}
		if err != nil {
			return err
		}
		off, k := t.plan.take(sp, len(chunk))
		if k == 0 {
			return nil // the rest of the buffer is past the span: the next seek drops it
		}
		if _, err := dst.WriteAt(chunk[:k], off); err != nil {
			return err
		}
		t.plan.setGood(sp, off+int64(k))
		taken = k
	}
}
