package libssh2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Cmd is a command run on the server over a session channel (libssh2_channel_open_session, then
// libssh2_channel_process_startup with "exec"), shaped like os/exec's Cmd and x/crypto/ssh's
// Session: set its fields, then call Run, Start and Wait, Output or CombinedOutput once.
//
// The command shares the Session with its SFTP channels, other commands and forwarded connections:
// while its I/O waits for the server it does not hold the session when another goroutine needs it,
// so all of them work at once.
//
// A Cmd is used by one goroutine, as an os/exec Cmd is, except that its pipes may be read and
// written from other goroutines and SetDeadline may be called from any goroutine.
type Cmd struct {
	// Stdin is what the command reads on its standard input. nil: the command reads end of file at
	// once. Otherwise a goroutine copies it into the channel (libssh2_channel_write_ex), then sends
	// end of file (libssh2_channel_send_eof). If the command ends before it has read everything,
	// the rest is not sent; Wait waits for the goroutine's current Stdin.Read to return, as os/exec
	// does for a Stdin that is not an *os.File.
	Stdin io.Reader

	// Stdout and Stderr receive the command's standard output and standard error
	// (libssh2_channel_read_ex on each stream). nil: what the command writes there is read and
	// discarded (both streams must be read, or the server stops the command once the channel's
	// window is full). When both are the same writer, its Write is called by one goroutine at a
	// time. If a Write fails, the rest of the stream is discarded and Wait returns that error once
	// the command has ended.
	Stdout io.Writer
	Stderr io.Writer

	// Env holds environment variables for the command, each "KEY=value", sent before the command
	// starts (libssh2_channel_setenv_ex). Servers refuse the variables they do not accept (OpenSSH:
	// those its AcceptEnv does not list): Start then fails with an *Error whose Op is "setenv" and
	// whose Path is the variable's name.
	Env []string

	s       *Session
	cmdline string
	ctx     context.Context

	mu       sync.Mutex // guards ch's publication and deadline, for SetDeadline
	deadline time.Time
	ch       *channel

	started, waited bool

	stdinPipe *cmdStdin
	outPipe   [2]*cmdOutput // by stream: cshim.StreamStdout, cshim.StreamStderr
	// The output copiers (one per stream without a pipe) record, for Wait, whether their stream
	// reached its end, the read error when it did not, and the first error of the writer.
	copiers       sync.WaitGroup
	outEOF        [2]atomic.Bool
	outErr, wrErr [2]error
	// The Stdin copier: inDone is closed when it has ended with inErr; stopIn cancels its context
	// once the command has ended.
	inDone chan struct{}
	inErr  error
	stopIn context.CancelFunc
	// stopCtx unregisters the close done when ctx ends; ctxClosed is closed once that close has
	// returned.
	stopCtx   func() bool
	ctxClosed chan struct{}
}

// Command returns a Cmd that runs cmdline on the server: the server's shell for the user runs it
// (OpenSSH: `$SHELL -c cmdline`), so quoting is the shell's. Nothing is sent before Start.
func (s *Session) Command(cmdline string) *Cmd {
	return &Cmd{s: s, cmdline: cmdline, ctx: context.Background()}
}

// CommandContext is Command with a context: ctx bounds Start (opening the channel, the
// environment and exec requests) and all the command's I/O and Wait. When ctx ends before the
// command has, the channel is closed (libssh2_channel_free) and Wait returns an error wrapping
// ctx.Err(); the session stays usable. Closing the channel closes the command's input and output:
// OpenSSH ends a command without a terminal when it next writes (SIGPIPE), but one that only waits
// runs on to its end, and the channel's memory is freed then (or with the Session).
func (s *Session) CommandContext(ctx context.Context, cmdline string) *Cmd {
	if ctx == nil {
		panic("libssh2: CommandContext with a nil Context")
	}
	return &Cmd{s: s, cmdline: cmdline, ctx: ctx}
}

// String returns the command line.
func (c *Cmd) String() string { return c.cmdline }

// errorf fills in the command line as the Path of an *Error from one of c's operations. Once c's
// context has ended, the error wraps its error: the channel's close that the context's end makes
// may have reached the operation first.
func (c *Cmd) errorf(err error) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	if e.Path == "" {
		e.Path = c.cmdline
	}
	if cerr := c.ctx.Err(); cerr != nil && !errors.Is(e, cerr) {
		return newError(e.Op, e.Path, 0, cerr)
	}
	return e
}

func (c *Cmd) invalid(op, why string) error {
	return errInvalid(op, c.cmdline, errors.New(why))
}

// Run starts the command and waits for it to end: Start, then Wait. A command that exits with
// status 0 returns nil; one that fails returns an *ExitError.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the command and returns its standard output. Stdout must be nil. When Stderr is
// nil as well, the start of the standard error (up to 64 KiB) is kept in the *ExitError's Stderr.
func (c *Cmd) Output() ([]byte, error) {
	if c.Stdout != nil {
		return nil, c.invalid("exec", "Stdout already set")
	}
	var out bytes.Buffer
	c.Stdout = &out
	var stderr *cappedBuffer
	if c.Stderr == nil {
		stderr = &cappedBuffer{max: 64 << 10}
		c.Stderr = stderr
	}
	err := c.Run()
	var ee *ExitError
	if stderr != nil && errors.As(err, &ee) {
		ee.Stderr = stderr.b.Bytes()
	}
	return out.Bytes(), err
}

// CombinedOutput runs the command and returns its standard output and standard error, interleaved
// in the order the reads of the two streams received them. Stdout and Stderr must be nil.
func (c *Cmd) CombinedOutput() ([]byte, error) {
	if c.Stdout != nil {
		return nil, c.invalid("exec", "Stdout already set")
	}
	if c.Stderr != nil {
		return nil, c.invalid("exec", "Stderr already set")
	}
	var b bytes.Buffer
	c.Stdout, c.Stderr = &b, &b
	err := c.Run()
	return b.Bytes(), err
}

// StdinPipe returns a pipe to the command's standard input: its Write sends the bytes
// (libssh2_channel_write_ex, waiting for the server's window), its Close sends end of file
// (libssh2_channel_send_eof). Wait closes it once the command has ended; a command that reads its
// input to the end needs it closed before, as with os/exec. It must be called before Start, with
// Stdin nil.
func (c *Cmd) StdinPipe() (io.WriteCloser, error) {
	if c.Stdin != nil {
		return nil, c.invalid("exec", "Stdin already set")
	}
	if c.stdinPipe != nil {
		return nil, c.invalid("exec", "StdinPipe already called")
	}
	if c.started {
		return nil, c.invalid("exec", "StdinPipe after Start")
	}
	c.stdinPipe = &cmdStdin{c: c}
	return c.stdinPipe, nil
}

// StdoutPipe returns a pipe from the command's standard output: its Read reads the channel's
// stdout stream (libssh2_channel_read_ex) and returns io.EOF at its end. As with os/exec, Wait
// closes the pipe, so all reads must be done before Wait is called (what is left unread then is
// discarded), and Run cannot be used with it. It must be called before Start, with Stdout nil.
func (c *Cmd) StdoutPipe() (io.ReadCloser, error) {
	return c.outputPipe(cshim.StreamStdout, c.Stdout != nil, "Stdout")
}

// StderrPipe is StdoutPipe for the command's standard error (the channel's extended data stream
// SSH_EXTENDED_DATA_STDERR). It must be called before Start, with Stderr nil.
func (c *Cmd) StderrPipe() (io.ReadCloser, error) {
	return c.outputPipe(cshim.StreamStderr, c.Stderr != nil, "Stderr")
}

func (c *Cmd) outputPipe(stream int, set bool, name string) (io.ReadCloser, error) {
	if set {
		return nil, c.invalid("exec", name+" already set")
	}
	if c.outPipe[stream] != nil {
		return nil, c.invalid("exec", name+"Pipe already called")
	}
	if c.started {
		return nil, c.invalid("exec", name+"Pipe after Start")
	}
	p := &cmdOutput{c: c, stream: stream}
	c.outPipe[stream] = p
	return p, nil
}

// SetDeadline sets a deadline for the command's channel I/O: the reads of its output, the writes
// of its input, the requests that start it and Wait's wait for its end. Opening the channel is
// bounded by the context and the Session's deadline. A deadline that passes while the command runs
// ends it as a context would: its I/O fails with an error wrapping os.ErrDeadlineExceeded, and Wait
// closes the channel and returns that error. It applies at once to I/O already waiting; the zero
// time removes it. Without one the Session's deadline applies.
func (c *Cmd) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	if ch := c.ch; ch != nil {
		return ch.setDeadline(func() { ch.rdeadline, ch.wdeadline = t, t })
	}
	return nil
}

// Start starts the command and returns without waiting for it to end: it opens a session channel
// (libssh2_channel_open_session), sends Env (libssh2_channel_setenv_ex) and the command
// (libssh2_channel_process_startup with "exec"), then starts copying Stdin, Stdout and Stderr. After a
// successful Start, Wait must be called to release the channel.
func (c *Cmd) Start() error {
	if c.s == nil {
		return c.invalid("exec", "nil Session")
	}
	if c.started {
		return c.invalid("exec", "already started")
	}
	c.started = true
	env := make([][2]string, 0, len(c.Env))
	for _, kv := range c.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return errInvalid("setenv", kv, errors.New("an environment variable is KEY=value"))
		}
		env = append(env, [2]string{k, v})
	}
	s, ctx := c.s, c.ctx
	ch, err := s.openChannel(ctx, "exec", c.cmdline, func() *cshim.Channel {
		return cshim.ChannelOpenSession(s.s)
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.ch = ch
	if t := c.deadline; !t.IsZero() {
		ch.setDeadline(func() { ch.rdeadline, ch.wdeadline = t, t })
	}
	c.mu.Unlock()
	fail := func(err error) error {
		ch.close("close")
		return err
	}
	for _, kv := range env {
		k, v := kv[0], kv[1]
		if _, err := ch.do(ctx, "setenv", func(cc *cshim.Channel) int { return cshim.ChannelSetenvEx(cc, k, v) }); err != nil {
			if e, ok := err.(*Error); ok {
				e.Path = k
			}
			return fail(err)
		}
	}
	line := []byte(c.cmdline)
	if _, err := ch.do(ctx, "exec", func(cc *cshim.Channel) int {
		return cshim.ChannelProcessStartup(cc, "exec", line)
	}); err != nil {
		return fail(c.errorf(err))
	}
	switch {
	case c.stdinPipe != nil:
	case c.Stdin != nil:
		var inCtx context.Context
		inCtx, c.stopIn = context.WithCancel(ctx)
		c.inDone = make(chan struct{})
		go c.copyStdin(inCtx)
	default:
		if _, err := ch.do(ctx, "eof", cshim.ChannelSendEOF); err != nil {
			return fail(c.errorf(err))
		}
	}
	w := [2]io.Writer{c.Stdout, c.Stderr}
	if w[0] != nil && interfaceEqual(w[0], w[1]) {
		lw := &lockedWriter{w: w[0]}
		w[0], w[1] = lw, lw
	}
	for stream := range w {
		if c.outPipe[stream] != nil {
			continue
		}
		if w[stream] == nil {
			w[stream] = io.Discard
		}
		c.copiers.Add(1)
		go c.copyOutput(stream, w[stream])
	}
	if ctx.Done() != nil {
		c.ctxClosed = make(chan struct{})
		c.stopCtx = context.AfterFunc(ctx, func() {
			defer close(c.ctxClosed)
			ch.close("close")
		})
	}
	return nil
}

// copyOutput copies stream of the channel to w until its end.
func (c *Cmd) copyOutput(stream int, w io.Writer) {
	defer c.copiers.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.ch.read(c.ctx, "read", stream, buf)
		if n > 0 && c.wrErr[stream] == nil {
			m, werr := w.Write(buf[:n])
			if werr == nil && m < n {
				werr = io.ErrShortWrite
			}
			c.wrErr[stream] = werr // from now on, the stream is discarded
		}
		if err == io.EOF {
			c.outEOF[stream].Store(true)
			return
		}
		if err != nil {
			c.outErr[stream] = c.errorf(err)
			return
		}
	}
}

// copyStdin copies Stdin into the channel, then sends end of file.
func (c *Cmd) copyStdin(ctx context.Context) {
	defer close(c.inDone)
	w := &channelWriter{c: c, ctx: ctx}
	_, err := io.Copy(w, c.Stdin)
	if err != nil && w.err == nil {
		// Stdin failed: the command still gets end of file, and Wait reports the error.
		c.inErr = err
		err = nil
	}
	if err == nil {
		_, err = c.ch.do(ctx, "eof", cshim.ChannelSendEOF)
	}
	if err != nil && c.inErr == nil {
		c.inErr = c.errorf(err)
	}
}

// channelWriter writes the command's input through ctx; err is the channel's error.
type channelWriter struct {
	c   *Cmd
	ctx context.Context
	err error
}

func (w *channelWriter) Write(p []byte) (int, error) {
	n, err := w.c.ch.write(w.ctx, "write", cshim.StreamStdout, p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// Wait waits for the command to end and releases its channel. Once both output streams have
// reached their end (read by the copying goroutines, or by the caller through the pipes, whose
// unread rest Wait reads and discards), it waits for the server to close the channel
// (libssh2_channel_wait_closed), reads the exit status (libssh2_channel_get_exit_status) and the
// signal that ended the command (libssh2_channel_get_exit_signal), stops copying Stdin, closes the
// pipes and frees the channel (libssh2_channel_free).
//
// It returns nil when the command exited with status 0 and every copy succeeded; an *ExitError
// when it exited with another status or was killed by a signal; otherwise the first error met,
// an *Error: of the output copies, then of Stdin's. When the command's context ended first, the error wraps
// ctx.Err(); when the Session was closed meanwhile, fs.ErrClosed.
//
// libssh2 does not record whether the server sent an exit status (libssh2_channel_get_exit_status
// returns 0 when it sent none), so a server that closes the channel without one, which OpenSSH
// never does, reads as status 0.
func (c *Cmd) Wait() error {
	if !c.started || c.ch == nil {
		return c.invalid("wait", "not started")
	}
	if c.waited {
		return c.invalid("wait", "Wait was already called")
	}
	c.waited = true
	ch := c.ch
	// The pipes' unread rest is read and discarded, while the copiers go on: the command may be
	// waiting for room in either stream.
	for stream, p := range c.outPipe {
		if p != nil {
			p.closed.Store(true)
			if !c.outEOF[stream].Load() {
				c.copiers.Add(1)
				go c.copyOutput(stream, io.Discard)
			}
		}
	}
	c.copiers.Wait()
	var err error
	for stream := range c.outErr {
		if err == nil {
			err = c.outErr[stream]
		}
	}
	var status int
	var signal, msg string
	ended := false
	if err == nil {
		_, err = ch.run(c.ctx, "wait", dlRead, func(cc *cshim.Channel) int {
			rc := cshim.ChannelWaitClosed(cc)
			if rc == 0 {
				status = cshim.ChannelGetExitStatus(cc)
				signal, msg, _ = cshim.ChannelGetExitSignal(ch.s.s, cc)
			}
			return rc
		}, nil, nil)
		ended = err == nil
	}
	if c.stopIn != nil {
		c.stopIn()
		<-c.inDone
	}
	if p := c.stdinPipe; p != nil {
		p.closed.Store(true)
	}
	if c.stopCtx != nil && !c.stopCtx() {
		<-c.ctxClosed // ctx ended: its close has begun
	}
	cerr := ch.close("close")
	if !ended {
		if cerr := c.ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return newError("wait", c.cmdline, 0, cerr)
		}
		return c.errorf(err)
	}
	if signal != "" || status != 0 {
		return &ExitError{cmdline: c.cmdline, status: status, signal: signal, msg: msg}
	}
	for _, werr := range c.wrErr {
		if werr != nil {
			return newError("write", c.cmdline, 0, werr)
		}
	}
	if c.inErr != nil && !errors.Is(c.inErr, context.Canceled) {
		// (context.Canceled: Wait stopped the copy once the command had ended without reading all.)
		if _, ok := c.inErr.(*Error); ok {
			return c.inErr
		}
		return newError("stdin", c.cmdline, 0, c.inErr)
	}
	if cerr != nil && !errors.Is(cerr, fs.ErrClosed) {
		return c.errorf(cerr)
	}
	return nil
}

// ExitError reports a command that did not succeed: it exited with a status other than 0, or a
// signal ended it. errors.As finds it in the error of Run, Wait, Output and CombinedOutput.
type ExitError struct {
	cmdline string
	status  int
	signal  string
	msg     string
	// Stderr holds the start of the command's standard error (up to 64 KiB) when Output captured it
	// (Cmd.Stderr was nil); else nil.
	Stderr []byte
}

// ExitStatus returns the command's exit status (libssh2_channel_get_exit_status); 0 when a signal
// ended it.
func (e *ExitError) ExitStatus() int { return e.status }

// Signal returns the name of the signal that ended the command, without "SIG", as the server sent
// it ("TERM", "KILL"; libssh2_channel_get_exit_signal), or "" when it exited by itself.
func (e *ExitError) Signal() string { return e.signal }

// Msg returns the server's message about the signal (libssh2_channel_get_exit_signal's error
// message). libssh2 up to 1.11.1 does not keep it, so it is "" with them.
func (e *ExitError) Msg() string { return e.msg }

// Error returns "libssh2: command CMDLINE: exit status N" or "...: signal NAME".
func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "libssh2: command %q: ", e.cmdline)
	if e.signal != "" {
		b.WriteString("signal " + e.signal)
	} else {
		fmt.Fprintf(&b, "exit status %d", e.status)
	}
	if e.msg != "" {
		b.WriteString(" (" + e.msg + ")")
	}
	return b.String()
}

// cmdStdin is the pipe of StdinPipe.
type cmdStdin struct {
	c       *Cmd
	closed  atomic.Bool
	eofOnce sync.Once
	eofErr  error
}

// Write sends p (libssh2_channel_write_ex), waiting for the server's window as needed.
func (p *cmdStdin) Write(b []byte) (int, error) {
	if p.closed.Load() || p.c.ch == nil {
		return 0, errClosed("write", p.c.cmdline)
	}
	n, err := p.c.ch.write(p.c.ctx, "write", cshim.StreamStdout, b)
	return n, p.c.errorf(err)
}

// Close sends end of file (libssh2_channel_send_eof). Closing twice returns an error wrapping
// fs.ErrClosed.
func (p *cmdStdin) Close() error {
	if p.c.ch == nil {
		return errClosed("close", p.c.cmdline)
	}
	if !p.closed.CompareAndSwap(false, true) {
		return errClosed("close", p.c.cmdline)
	}
	_, err := p.c.ch.do(p.c.ctx, "eof", cshim.ChannelSendEOF)
	return p.c.errorf(err)
}

// cmdOutput is the pipe of StdoutPipe or StderrPipe.
type cmdOutput struct {
	c      *Cmd
	stream int
	closed atomic.Bool
}

// Read reads the stream (libssh2_channel_read_ex), waiting for the command to write; io.EOF at its
// end.
func (p *cmdOutput) Read(b []byte) (int, error) {
	if p.closed.Load() || p.c.ch == nil {
		return 0, errClosed("read", p.c.cmdline)
	}
	n, err := p.c.ch.read(p.c.ctx, "read", p.stream, b)
	if err == io.EOF {
		p.c.outEOF[p.stream].Store(true)
		return n, err
	}
	return n, p.c.errorf(err)
}

// Close makes later Reads fail; what the command writes meanwhile is discarded by Wait.
func (p *cmdOutput) Close() error {
	if !p.closed.CompareAndSwap(false, true) {
		return errClosed("close", p.c.cmdline)
	}
	return nil
}

// lockedWriter serializes the Writes of the two output copiers to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// interfaceEqual reports whether a and b are the same writer, without panicking on writers that
// are not comparable (os/exec does the same).
func interfaceEqual(a, b any) (eq bool) {
	defer func() {
		if recover() != nil {
			eq = false
		}
	}()
	return a == b
}

// cappedBuffer keeps the first max bytes written to it and accepts the rest.
type cappedBuffer struct {
	b   bytes.Buffer
	max int
}

func (w *cappedBuffer) Write(p []byte) (int, error) {
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
