// Package upload is the upload path shared by the sftpput command and the demo: one local stream
// copied into a remote file with io.Copy and closed (Close returns once the server has acknowledged
// every byte), with a progress line for a terminal, a summary line, resuming, and a clean stop when
// the context is cancelled (SIGINT).
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/seed191f4051/go-libssh2/examples/internal/term"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// Options say how to upload one file.
type Options struct {
	// Name is what the progress and summary lines call the file (default: the remote path).
	Name string
	// Progress, when non-nil, is a terminal that shows a progress line, rewritten in place, while
	// the upload runs. Leave it nil when the output is not a terminal.
	Progress io.Writer
	// Width is the terminal's width in columns: the file name in the progress line is shortened to
	// keep the line within it (a wrapped line could not be rewritten in place). 0: no limit.
	Width int
	// Summary, when non-nil, receives one line once the file is uploaded.
	Summary io.Writer
	// Offset, when > 0, continues an interrupted upload: the remote file is opened without
	// truncation and written from Offset on; src must start at that offset of the local data. Use
	// ResumeOffset to find it safely.
	Offset int64
	// Perm is the permission of a file created on the server (0644 when zero).
	Perm os.FileMode
	// Resume (File only): continue an interrupted upload after the longest prefix the remote file
	// shares with the local one (ResumeOffset).
	Resume bool
	// MaxStreams bounds the sessions of one large file's transfer (TransferOptions.MaxStreams; 0:
	// the library's default). A tree's files, already moved many at once, use 1.
	MaxStreams int
}

// Result describes a finished (or interrupted) upload.
type Result struct {
	Sent    int64         // bytes sent and acknowledged by the server in this run
	Offset  int64         // where this run started in the remote file (Options.Offset)
	Elapsed time.Duration // time spent sending
}

// Rate returns the upload's throughput in bytes per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Sent) / r.Elapsed.Seconds()
}

// InterruptedError is returned when the context was cancelled during an upload: reading stopped, the
// bytes already handed to libssh2 were drained to the server, and the remote file holds exactly the
// first Durable bytes of the source.
type InterruptedError struct {
	Remote  string
	Durable int64
	Cause   error
}

// Error says how much of the file is on the server and how to resume.
func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted: %s holds the first %d bytes (%s); run again with -a to resume", term.Escape(e.Remote), e.Durable, Size(e.Durable))
}

// Unwrap returns the context's error.
func (e *InterruptedError) Unwrap() error { return e.Cause }

// File uploads the local file to remote on sf: what sftpput does for each file, and what the demo
// does. The remote file gets the local file's permission bits (when File creates it). With
// o.Resume it continues an interrupted upload (see ResumeOffset).
func File(ctx context.Context, sf *libssh2.SFTP, local, remote string, o Options) (Result, error) {
	f, err := os.Open(local)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	if !st.Mode().IsRegular() {
		return Result{}, fmt.Errorf("%s: not a regular file", local)
	}
	if o.Name == "" {
		o.Name = local
	}
	if o.Perm == 0 {
		o.Perm = st.Mode().Perm()
	}
	o.Offset = 0
	if o.Resume {
		off, err := ResumeOffset(ctx, sf, remote, f, st.Size())
		if err != nil {
			return Result{}, err
		}
		if off == st.Size() && off > 0 {
			if o.Summary != nil {
				fmt.Fprintf(o.Summary, "%s  %s  already complete on the server\n", term.Escape(o.Name), Size(off))
			}
			return Result{Offset: off}, nil
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return Result{}, err
		}
		o.Offset = off
	}
	if st.Size()-o.Offset >= ParallelMin {
		return Parallel(ctx, sf, remote, f, st.Size(), o)
	}
	return Put(ctx, sf, remote, f, st.Size(), o)
}

// ParallelMin is the size from which File uploads with SFTP.Upload, which opens more sessions when
// the round trip makes them help: below it, a transfer is over before another session is open.
const ParallelMin = 8 << 20

// Parallel uploads size bytes of src into remote with SFTP.Upload: over several sessions when that
// is faster. When ctx is cancelled it returns an *InterruptedError once the streams have stopped;
// the remote file is then cut to the prefix known to be exact (other streams may have written
// bytes past it), so that -a finds a prefix of the local file.
func Parallel(ctx context.Context, sf *libssh2.SFTP, remote string, src io.ReaderAt, size int64, o Options) (Result, error) {
	if o.Name == "" {
		o.Name = remote
	}
	var sent atomic.Int64
	start := time.Now()
	var p *progress
	if o.Progress != nil {
		p = startProgress(o.Progress, o.Name, o.Width, &sent, o.Offset, size, start)
	}
	good, err := sf.Upload(ctx, remote, src, size, &libssh2.TransferOptions{
		MaxStreams: o.MaxStreams,
		Offset:     o.Offset,
		Perm:       o.Perm,
		Progress:   func(good int64) { sent.Store(good - o.Offset) },
	})
	p.stop()
	res := Result{Offset: o.Offset, Sent: good - o.Offset, Elapsed: time.Since(start)}
	if err != nil {
		// Bytes past the good prefix may have landed: cut them off, so that the remote file is a
		// prefix of the local one.
		terr := sf.Truncate(remote, good)
		if errors.Is(terr, fs.ErrNotExist) {
			terr = nil // stopped before the file was created
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			if terr != nil {
				return res, fmt.Errorf("interrupted, and %s could not be cut to its first %d bytes, the ones known good: %w", remote, good, terr)
			}
			return res, &InterruptedError{Remote: remote, Durable: good, Cause: ctx.Err()}
		}
		return res, err
	}
	summarize(o, res)
	return res, nil
}

// Summarize prints to w, when not nil, the summary line of name's finished upload, as File does.
func Summarize(w io.Writer, name string, res Result) {
	summarize(Options{Name: name, Summary: w, Offset: res.Offset}, res)
}

// summarize prints the summary line of a finished upload.
func summarize(o Options, res Result) {
	if o.Summary == nil {
		return
	}
	line := fmt.Sprintf("%s  %s  %s  %s/s", term.Escape(o.Name), Size(o.Offset+res.Sent), duration(res.Elapsed), Size(int64(res.Rate())))
	if o.Offset > 0 {
		line += fmt.Sprintf("  (resumed at byte %d)", o.Offset)
	}
	fmt.Fprintln(o.Summary, line)
}

// Put uploads src, size bytes (-1 if unknown), into the file remote on sf with io.Copy, then closes
// the file: Put returns nil only once the server has acknowledged every byte. When ctx is cancelled,
// Put stops reading src, drains what libssh2 already has in flight, closes the file and returns an
// *InterruptedError saying how much of the file is on the server.
func Put(ctx context.Context, sf *libssh2.SFTP, remote string, src io.Reader, size int64, o Options) (Result, error) {
	if o.Name == "" {
		o.Name = remote
	}
	perm := o.Perm
	if perm == 0 {
		perm = 0o644
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if o.Offset > 0 {
		flag = os.O_WRONLY
	}
	f, err := sf.OpenFile(remote, flag, perm)
	if err != nil {
		return Result{}, err
	}
	if o.Offset > 0 {
		if _, err := f.Seek(o.Offset, io.SeekStart); err != nil {
			f.Close()
			return Result{}, err
		}
	}
	r := &reader{ctx: ctx, r: src}
	res := Result{Offset: o.Offset}
	start := time.Now()
	var p *progress
	if o.Progress != nil {
		p = startProgress(o.Progress, o.Name, o.Width, &r.n, o.Offset, size, start)
	}
	_, err = io.Copy(f, r) // File.ReadFrom: the bytes go straight into the File's upload window
	cerr := f.Close()      // drains the window: nil only once every byte is acknowledged
	res.Elapsed = time.Since(start)
	res.Sent = r.n.Load()
	p.stop()
	if err == nil {
		err = cerr
	}
	if err != nil {
		if r.stopped != nil && errors.Is(err, r.stopped) {
			if cerr != nil {
				return res, fmt.Errorf("interrupted, and %s could not be closed cleanly: %w", remote, cerr)
			}
			return res, &InterruptedError{Remote: remote, Durable: o.Offset + res.Sent, Cause: r.stopped}
		}
		return res, err
	}
	if size >= 0 && o.Offset+res.Sent != size {
		return res, fmt.Errorf("%s: the local file changed during the upload (%d bytes read, %d expected)", o.Name, o.Offset+res.Sent, size)
	}
	summarize(o, res)
	return res, nil
}

// reader counts what is read from r and stops at the first Read after ctx is done.
type reader struct {
	ctx     context.Context
	r       io.Reader
	n       atomic.Int64
	stopped error
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		r.stopped = err
		return 0, err
	}
	k, err := r.r.Read(p)
	r.n.Add(int64(k))
	return k, err
}

// progress rewrites one line on a terminal every 200 ms: file, bytes, percentage, rate and ETA.
type progress struct {
	w        io.Writer
	name     string
	width    int
	n        *atomic.Int64
	off      int64
	size     int64
	start    time.Time
	done     chan struct{}
	finished sync.WaitGroup
}

func startProgress(w io.Writer, name string, width int, n *atomic.Int64, off, size int64, start time.Time) *progress {
	p := &progress{w: w, name: term.Escape(name), width: width, n: n, off: off, size: size, start: start, done: make(chan struct{})}
	p.print()
	p.finished.Add(1)
	go func() {
		defer p.finished.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				fmt.Fprint(p.w, "\r\033[K") // the summary line takes its place
				return
			case <-t.C:
				p.print()
			}
		}
	}()
	return p
}

func (p *progress) print() {
	sent := p.n.Load()
	el := time.Since(p.start)
	rate := 0.0
	if el > 0 {
		rate = float64(sent) / el.Seconds()
	}
	at := p.off + sent
	var stats string
	if p.size > 0 {
		eta := "--:--"
		if rate > 0 {
			eta = clock(time.Duration(float64(p.size-at) / rate * float64(time.Second)))
		}
		stats = fmt.Sprintf("  %s / %s  %3d%%  %s/s  ETA %s", Size(at), Size(p.size), at*100/p.size, Size(int64(rate)), eta)
	} else {
		stats = fmt.Sprintf("  %s  %s/s", Size(at), Size(int64(rate)))
	}
	line := "\r\033[K" + shorten(p.name, p.width-1-len(stats)) + stats
	io.WriteString(p.w, line)
}

func (p *progress) stop() {
	if p == nil {
		return
	}
	close(p.done)
	p.finished.Wait()
}

// shorten keeps the end of name within max bytes, marking a cut with "...", and never cuts a
// UTF-8 character in two. max <= 0: no limit.
func shorten(name string, max int) string {
	if max <= 0 || len(name) <= max {
		return name
	}
	mark := "..."
	if max <= 3 {
		mark = ""
	}
	i := len(name) - (max - len(mark))
	for i < len(name) && !utf8.RuneStart(name[i]) {
		i++
	}
	return mark + name[i:]
}

// Size formats a byte count for people: "512 B", "3.4 KiB", "256.0 MiB".
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}

// clock formats a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func duration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
