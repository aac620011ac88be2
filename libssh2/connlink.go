package libssh2

import (
	"errors"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A connection without a file descriptor (net.Pipe, a TLS or proxy connection, a channel of another
// session: docs/DESIGN.md, "Connections without a descriptor"). libssh2 sends and receives through
// its callbacks (cshim.SessionSetTransport) into two bounded Go buffers, and two goroutines move the
// bytes between those buffers and the net.Conn. connLink stands where the socket's syscall.RawConn
// stands on the fast path: Read and Write run a libssh2 call and wait, in Go, until the buffer it
// blocked on has changed, honouring the session's deadlines exactly as the netpoller does. libssh2
// stays non-blocking: the callbacks never wait.

// linkBuf is the size of each of the two buffers: what libssh2 may have sent that the connection has
// not taken yet, and what has been received that libssh2 has not read yet.
const linkBuf = 256 << 10

// linkFD is the socket number libssh2 is given for a connection without a descriptor. libssh2 only
// stores it (and asks fcntl whether it is non-blocking: for a number that is no descriptor it
// assumes so, and changes nothing); it is never a descriptor, being above any RLIMIT_NOFILE.
const linkFD = math.MaxInt32

// errLinkShut is the cause of failures after the link was shut down (Session.kill).
var errLinkShut = errors.New("the connection was shut down")

// connLink moves a session's bytes over a net.Conn without a file descriptor.
type connLink struct {
	conn net.Conn

	mu     sync.Mutex
	in     ring  // received, not yet read by libssh2
	inErr  error // why the receiver stopped (io.EOF: the peer closed), once in is drained
	out    ring  // sent by libssh2, not yet written to conn
	outErr error // why the sender stopped: what libssh2 sends from then on fails
	shut   bool  // shutdown: the callbacks fail at once

	readable chan struct{} // cap 1: in grew, or the receiver stopped
	writable chan struct{} // cap 1: out shrank, or the sender stopped
	inSpace  chan struct{} // cap 1: libssh2 read from in (for the receiver)
	outData  chan struct{} // cap 1: libssh2 wrote into out (for the sender)
	kick     chan struct{} // cap 1: the deadline changed
	stopped  chan struct{} // closed by stop and shutdown: the goroutines end

	deadline atomic.Int64 // UnixNano, 0: none
	timer    *time.Timer

	recvDone, sendDone chan struct{}
	stopOnce           sync.Once
}

// ring is a byte ring buffer; the counters only grow.
type ring struct {
	buf  []byte
	r, w uint64
}

func (b *ring) len() int  { return int(b.w - b.r) }
func (b *ring) free() int { return len(b.buf) - b.len() }

// filled returns the longest contiguous run of unread bytes.
func (b *ring) filled() []byte {
	n := uint64(len(b.buf))
	i := b.r % n
	return b.buf[i:min(n, i+b.w-b.r)]
}

// space returns the longest contiguous run of free bytes.
func (b *ring) space() []byte {
	n := uint64(len(b.buf))
	i := b.w % n
	end := min(n, i+uint64(b.free()))
	return b.buf[i:end]
}

func newConnLink(conn net.Conn) *connLink {
	l := &connLink{
		conn:     conn,
		in:       ring{buf: make([]byte, linkBuf)},
		out:      ring{buf: make([]byte, linkBuf)},
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
		inSpace:  make(chan struct{}, 1),
		outData:  make(chan struct{}, 1),
		kick:     make(chan struct{}, 1),
		stopped:  make(chan struct{}),
		recvDone: make(chan struct{}),
		sendDone: make(chan struct{}),
		timer:    time.NewTimer(time.Hour),
	}
	l.timer.Stop()
	go l.receive()
	go l.send()
	return l
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// receive moves bytes from the connection into in until the connection fails or the link stops.
func (l *connLink) receive() {
	defer close(l.recvDone)
	for {
		l.mu.Lock()
		space := l.in.space()
		l.mu.Unlock()
		if len(space) == 0 {
			select {
			case <-l.inSpace:
				continue
			case <-l.stopped:
				return
			}
		}
		// Only this goroutine writes into the free part of in; libssh2 reads only the filled part.
		n, err := l.conn.Read(space)
		l.mu.Lock()
		l.in.w += uint64(n)
		if err != nil {
			l.inErr = err
		}
		l.mu.Unlock()
		if n > 0 || err != nil {
			signal(l.readable)
		}
		if err != nil {
			return
		}
	}
}

// send moves bytes from out to the connection until it fails or the link stops.
func (l *connLink) send() {
	defer close(l.sendDone)
	for {
		l.mu.Lock()
		data := l.out.filled()
		l.mu.Unlock()
		if len(data) == 0 {
			select {
			case <-l.outData:
				continue
			case <-l.stopped:
				return
			}
		}
		// Only this goroutine reads the filled part of out; libssh2 writes only the free part.
		n, err := l.conn.Write(data)
		l.mu.Lock()
		l.out.r += uint64(n)
		if err != nil {
			l.outErr = err
		}
		l.mu.Unlock()
		signal(l.writable)
		if err != nil {
			return
		}
	}
}

// Send is libssh2's send callback (cshim.Transport).
func (l *connLink) Send(p []byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.shut:
		return -int(syscall.ECONNABORTED)
	case l.outErr != nil:
		return -int(syscall.EPIPE)
	}
	n := 0
	for n < len(p) {
		sp := l.out.space()
		if len(sp) == 0 {
			break
		}
		c := copy(sp, p[n:])
		l.out.w += uint64(c)
		n += c
	}
	if n == 0 {
		return -int(syscall.EAGAIN)
	}
	signal(l.outData)
	return n
}

// Recv is libssh2's recv callback (cshim.Transport).
func (l *connLink) Recv(p []byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shut {
		return -int(syscall.ECONNABORTED)
	}
	n := 0
	for n < len(p) {
		f := l.in.filled()
		if len(f) == 0 {
			break
		}
		c := copy(p[n:], f)
		l.in.r += uint64(c)
		n += c
	}
	if n > 0 {
		signal(l.inSpace)
		return n
	}
	switch {
	case l.inErr == nil:
		return -int(syscall.EAGAIN)
	case errors.Is(l.inErr, io.EOF):
		return 0
	default:
		return -int(syscall.ECONNRESET)
	}
}

// Read runs f until it reports done, waiting for received bytes between runs (syscall.RawConn).
func (l *connLink) Read(f func(uintptr) bool) error { return l.run(f, l.readable) }

// Write runs f until it reports done, waiting for room to send between runs (syscall.RawConn).
func (l *connLink) Write(f func(uintptr) bool) error { return l.run(f, l.writable) }

// Control runs f with the number libssh2 is given as its socket (syscall.RawConn).
func (l *connLink) Control(f func(uintptr)) error {
	f(linkFD)
	return nil
}

func (l *connLink) run(f func(uintptr) bool, ready chan struct{}) error {
	for !f(linkFD) {
		if err := l.wait(ready, 0); err != nil {
			return err
		}
	}
	return nil
}

// wait waits until ready is signalled, the link is shut down (nil: the next call fails at once),
// the deadline passes (os.ErrDeadlineExceeded) or, when max > 0, max has passed (nil).
func (l *connLink) wait(ready chan struct{}, max time.Duration) error {
	var until time.Time
	if max > 0 {
		until = time.Now().Add(max)
	}
	for {
		d := until
		if dl := l.deadline.Load(); dl != 0 {
			t := time.Unix(0, dl)
			if !time.Now().Before(t) {
				return os.ErrDeadlineExceeded
			}
			if d.IsZero() || t.Before(d) {
				d = t
			}
		}
		var timeout <-chan time.Time
		if !d.IsZero() {
			if !time.Now().Before(d) {
				return nil // max passed
			}
			l.timer.Reset(time.Until(d))
			timeout = l.timer.C
		}
		select {
		case <-ready:
			l.timer.Stop()
			return nil
		case <-l.stopped:
			l.timer.Stop()
			return nil
		case <-l.kick:
			l.timer.Stop()
		case <-timeout:
		}
	}
}

// waitReadable waits up to d for received bytes, and reports whether they came.
func (l *connLink) waitReadable(d time.Duration) bool {
	if l.hasInput() {
		return true
	}
	select {
	case <-l.readable:
		signal(l.readable) // leave the news for the call that reads
		return true
	default:
	}
	if l.wait(l.readable, d) != nil {
		return false
	}
	if !l.hasInput() {
		return false
	}
	signal(l.readable)
	return true
}

// SetDeadline sets the deadline of the waits in Read and Write; a waiting call sees the change.
func (l *connLink) SetDeadline(t time.Time) error {
	if t.IsZero() {
		l.deadline.Store(0)
	} else {
		l.deadline.Store(t.UnixNano())
	}
	signal(l.kick)
	return nil
}

// shutdown makes every later send and recv fail at once and wakes the waits, as shutdown(2) does to a
// socket; the connection itself is left to stop (or Close). Safe from any goroutine.
func (l *connLink) shutdown() {
	l.mu.Lock()
	l.shut = true
	l.mu.Unlock()
	l.stopOnce.Do(func() { close(l.stopped) })
}

// stop ends the link when the session is done with it: it gives the sender up to flush to write what
// libssh2 sent last (the disconnect message), then stops both goroutines. The connection's pending
// Read and Write are woken with a past deadline, and the deadline is cleared again once they have
// returned, so the caller gets the connection back as it was found; a connection that cannot take
// deadlines keeps its receiving goroutine until the caller closes it. closeConn closes it instead.
func (l *connLink) stop(flush time.Duration, closeConn bool) error {
	t := time.NewTimer(flush)
	defer t.Stop()
	for {
		l.mu.Lock()
		pending := l.out.len() > 0 && l.outErr == nil && !l.shut
		l.mu.Unlock()
		if !pending {
			break
		}
		select {
		case <-l.writable:
			continue
		case <-t.C:
		}
		break
	}
	l.shutdown()
	var err error
	if closeConn {
		err = l.conn.Close()
		<-l.sendDone
		<-l.recvDone
		return err
	}
	if l.conn.SetDeadline(aLongTimeAgo) == nil {
		<-l.sendDone
		<-l.recvDone
		l.conn.SetDeadline(time.Time{})
	}
	return nil
}

// err returns why the link failed: the sender's error, else the receiver's (a peer that closed the
// connection is errPeerClosed), or nil.
func (l *connLink) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.outErr != nil:
		return l.outErr
	case errors.Is(l.inErr, io.EOF):
		return errPeerClosed
	}
	return l.inErr
}

// hasInput reports whether received bytes wait in the ring for libssh2.
func (l *connLink) hasInput() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.in.len() > 0
}

// canSend reports whether libssh2 could send n bytes whole now.
func (l *connLink) canSend(n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.shut && l.outErr == nil && l.out.free() >= n
}
