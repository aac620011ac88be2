package libssh2

import (
	"syscall"
	"time"
	"unsafe"
)

// pollfd is struct pollfd of poll(2).
type pollfd struct {
	fd      int32
	events  int16
	revents int16
}

const pollIn = 0x1 // POLLIN

// pollReadable waits up to d for the session's socket to become readable, with one ppoll(2) in a Go
// system call (not in C), and reports whether it did. The caller holds the session lock. The
// callback is made once per session and its arguments live in the Session, so that waiting
// allocates nothing (TestWriteAllocs).
func (s *Session) pollReadable(d time.Duration) bool {
	if s.link != nil {
		return s.link.waitReadable(d)
	}
	pw := &s.pollWait
	if pw.fn == nil {
		pw.fn = func(fd uintptr) {
			p := pollfd{fd: int32(fd), events: pollIn}
			ts := syscall.NsecToTimespec(int64(pw.d))
			n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
			pw.ready = errno == 0 && n == 1 && p.revents != 0
		}
	}
	pw.d, pw.ready = d, false
	s.raw.Control(pw.fn)
	return pw.ready
}

// readableNow reports whether received bytes wait for libssh2 right now: the socket polls readable
// (ppoll with no timeout), or a connection without a descriptor has bytes in its receive ring. It
// is the level check that libssh2's waits assume (docs/DESIGN.md, fact 14). The caller holds the
// session lock.
func (s *Session) readableNow() bool {
	if s.link != nil {
		return s.link.hasInput()
	}
	pw := &s.pollWait
	if pw.now == nil {
		pw.now = func(fd uintptr) {
			p := pollfd{fd: int32(fd), events: pollIn}
			var ts syscall.Timespec
			n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
			pw.ready = errno == 0 && n == 1 && p.revents != 0
		}
	}
	pw.ready = false
	s.raw.Control(pw.now)
	return pw.ready
}

// pollWait is the state of pollReadable and readableNow, kept in the Session.
type pollWait struct {
	fn    func(uintptr)
	now   func(uintptr)
	d     time.Duration
	ready bool
}

const pollOut = 0x4 // POLLOUT

// writableNow reports whether the connection can take a small packet whole right now: the socket
// polls writable (Linux then has room for more than a few KB), or a connection without a descriptor
// has room in its send buffer. The caller holds the session lock.
func (s *Session) writableNow() bool {
	if s.link != nil {
		return s.link.canSend(4096)
	}
	ok := false
	s.raw.Control(func(fd uintptr) {
		p := pollfd{fd: int32(fd), events: pollOut}
		var ts syscall.Timespec
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		ok = errno == 0 && n == 1 && p.revents&pollOut != 0
	})
	return ok
}
