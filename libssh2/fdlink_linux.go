package libssh2

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// fdLink is the socket of a session on Linux: a syscall.RawConn whose waits are ppoll(2) calls on
// the descriptor and an eventfd, made by the waiting goroutine in a Go system call, instead of parks
// in Go's netpoller (docs/DESIGN.md, I2 and "Waiting outside the netpoller").
//
// The reason is the netpoller's other threads. While a timer is pending anywhere in the program (a
// context with a deadline, any time.Timer), an idle thread of the Go scheduler sleeps in
// epoll_wait, and a socket registered there wakes it on every segment that arrives: on an upload
// that is every acknowledgement, each a pair of context switches on the core the server needs.
// Measured on loopback (bench/README.md), those wakes were most of the binding's context switches.
// A socket that the netpoller does not know wakes nobody but the goroutine that waits on it.
//
// SetDeadline and close wake a wait through the eventfd, so deadlines, contexts and Close reach
// every wait as they do through the netpoller; the errors are the netpoller's (os.ErrDeadlineExceeded,
// net.ErrClosed). Read and Write are made by the goroutine that holds the session lock; SetDeadline
// and close may come from any goroutine.
type fdLink struct {
	fd       int
	own      bool         // fd is the session's own duplicate (Dial), closed with the link
	cork     bool         // fd is a TCP socket: reads cork it (corkFD)
	deadline atomic.Int64 // UnixNano; 0: none
	closed   atomic.Bool

	mu  sync.Mutex // guards efd against close while another goroutine wakes a wait
	efd int        // eventfd; -1 once closed
}

// newFDLink makes the fdLink of conn's socket, whose RawConn is raw. When own is set (Dial made
// conn), the session takes a duplicate of the descriptor and closes conn, which takes the socket
// out of the netpoller; otherwise (NewSession) the link uses conn's descriptor, which stays
// conn's, and the netpoller keeps watching it.
func newFDLink(conn net.Conn, raw syscall.RawConn, own bool) (*fdLink, error) {
	var fd int
	var err error
	if cerr := raw.Control(func(f uintptr) {
		fd = int(f)
		if own {
			var r uintptr
			var errno syscall.Errno
			r, _, errno = syscall.Syscall(syscall.SYS_FCNTL, f, syscall.F_DUPFD_CLOEXEC, 0)
			if errno != 0 {
				err = os.NewSyscallError("fcntl", errno)
			}
			fd = int(r)
		}
	}); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	efd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		if own {
			syscall.Close(fd)
		}
		return nil, os.NewSyscallError("eventfd2", errno)
	}
	if own {
		conn.Close() // the duplicate keeps the socket open; closing conn removes it from the netpoller
	}
	return &fdLink{fd: fd, own: own, cork: cshim.Corkable(fd), efd: int(efd)}, nil
}

// corkFD is the descriptor for cshim.SFTPReadBulk: the socket's when it is TCP and the link is
// open, else -1 (l may be nil: a connection without a descriptor). The caller holds the session
// lock, as close does, so the descriptor cannot be closed (and reused) during the call.
func (l *fdLink) corkFD() int {
	if l == nil || !l.cork || l.closed.Load() {
		return -1
	}
	return l.fd
}

// Control calls f with the descriptor, unless the link is closed.
func (l *fdLink) Control(f func(fd uintptr)) error {
	if l.closed.Load() {
		return net.ErrClosed
	}
	f(uintptr(l.fd))
	return nil
}

// Read calls f until it returns true, waiting for the socket to become readable in between.
func (l *fdLink) Read(f func(fd uintptr) (done bool)) error { return l.wait(f, pollIn) }

// Write calls f until it returns true, waiting for the socket to become writable in between.
func (l *fdLink) Write(f func(fd uintptr) (done bool)) error { return l.wait(f, pollOut) }

// wait is Read or Write: like the netpoller's, it fails before the first call of f when the link is
// closed or the deadline has passed.
func (l *fdLink) wait(f func(uintptr) bool, events int16) error {
	if err := l.check(); err != nil {
		return err
	}
	for !f(uintptr(l.fd)) {
		if err := l.poll(events); err != nil {
			return err
		}
	}
	return nil
}

// check returns the error that ends a wait now: net.ErrClosed, os.ErrDeadlineExceeded, or nil.
func (l *fdLink) check() error {
	if l.closed.Load() {
		return net.ErrClosed
	}
	if d := l.deadline.Load(); d != 0 && time.Now().UnixNano() >= d {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// poll waits until the socket is ready for events (or has an error or hang-up, which the next call
// of f finds), the deadline passes or the link is closed.
func (l *fdLink) poll(events int16) error {
	for {
		if err := l.check(); err != nil {
			return err
		}
		p := [2]pollfd{{fd: int32(l.fd), events: events}, {fd: int32(l.efd), events: pollIn}}
		var ts syscall.Timespec
		tsp := uintptr(0)
		if d := l.deadline.Load(); d != 0 {
			ts = syscall.NsecToTimespec(max(d-time.Now().UnixNano(), 0))
			tsp = uintptr(unsafe.Pointer(&ts))
		}
		_, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p[0])), 2, tsp, 0, 0, 0)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno != 0:
			return os.NewSyscallError("ppoll", errno)
		case p[1].revents != 0:
			var b [8]byte
			syscall.Read(l.efd, b[:]) // reset the eventfd, then look at the deadline and closed again
		case p[0].revents != 0:
			return nil
		}
	}
}

// SetDeadline sets the deadline of every wait, the current one included, as net.Conn's does. It
// never fails.
func (l *fdLink) SetDeadline(t time.Time) {
	var d int64
	if !t.IsZero() {
		d = max(t.UnixNano(), 1)
	}
	l.deadline.Store(d)
	l.wakeWait()
}

// wakeWait makes a wait look at the deadline and the closed flag again.
func (l *fdLink) wakeWait() {
	one := [8]byte{1}
	l.mu.Lock()
	if l.efd >= 0 {
		syscall.Write(l.efd, one[:])
	}
	l.mu.Unlock()
}

// close ends every wait and releases the eventfd, and the descriptor if it is the link's own. The
// caller holds the session lock, so no wait is running; later calls fail with net.ErrClosed.
func (l *fdLink) close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.mu.Lock()
	syscall.Close(l.efd)
	l.efd = -1
	l.mu.Unlock()
	if l.own {
		if err := syscall.Close(l.fd); err != nil {
			return os.NewSyscallError("close", err)
		}
	}
	return nil
}
