// Package term is the little terminal handling the examples need, with plain ioctls and no
// dependency: whether a file is a terminal, reading a password with echo off, and opening a
// pseudo-terminal for tests.
package term

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

func ioctl(fd uintptr, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

func getTermios(fd uintptr) (*syscall.Termios, error) {
	var t syscall.Termios
	if err := ioctl(fd, syscall.TCGETS, unsafe.Pointer(&t)); err != nil {
		return nil, err
	}
	return &t, nil
}

// IsTerminal reports whether f is a terminal (TCGETS succeeds on it).
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	_, err := getTermios(f.Fd())
	return err == nil
}

// ReadPassword prints prompt on the terminal tty and reads one line from it with echo turned off.
// The terminal's settings are restored before it returns, and also if interrupt is closed first (the
// read is then abandoned and ReadPassword returns ErrInterrupted).
func ReadPassword(tty *os.File, prompt string, interrupt <-chan struct{}) (string, error) {
	old, err := getTermios(tty.Fd())
	if err != nil {
		return "", fmt.Errorf("reading a password: %s is not a terminal", tty.Name())
	}
	noEcho := *old
	noEcho.Lflag &^= syscall.ECHO
	noEcho.Lflag |= syscall.ICANON | syscall.ECHONL
	if err := ioctl(tty.Fd(), syscall.TCSETS, unsafe.Pointer(&noEcho)); err != nil {
		return "", fmt.Errorf("turning echo off: %w", err)
	}
	restore := func() { ioctl(tty.Fd(), syscall.TCSETS, unsafe.Pointer(old)) }
	io.WriteString(tty, prompt)
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(tty).ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		restore()
		if r.err != nil && !(errors.Is(r.err, io.EOF) && r.line != "") {
			return "", fmt.Errorf("reading a password: %w", r.err)
		}
		return strings.TrimRight(r.line, "\r\n"), nil
	case <-interrupt:
		restore()
		io.WriteString(tty, "\n")
		return "", ErrInterrupted
	}
}

// ErrInterrupted is returned by ReadPassword when it is interrupted.
var ErrInterrupted = errors.New("interrupted")

// OpenPTY opens a new pseudo-terminal pair through /dev/ptmx: the controlling side, which a test
// reads and writes, and the terminal side, which a child process gets as its stdin, stdout and stderr.
func OpenPTY() (ptm, pts *os.File, err error) {
	ptm, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	if err := ioctl(ptm.Fd(), syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		ptm.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", err)
	}
	var n uint32
	if err := ioctl(ptm.Fd(), syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		ptm.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		ptm.Close()
		return nil, nil, err
	}
	return ptm, pts, nil
}

// SetSize sets the window size of the terminal tty (TIOCSWINSZ).
func SetSize(tty *os.File, rows, cols uint16) error {
	ws := struct{ rows, cols, x, y uint16 }{rows, cols, 0, 0}
	return ioctl(tty.Fd(), syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
}

// Width returns the terminal's width in columns, or 80 when it cannot tell.
func Width(tty *os.File) int {
	var ws struct{ rows, cols, x, y uint16 }
	if err := ioctl(tty.Fd(), syscall.TIOCGWINSZ, unsafe.Pointer(&ws)); err != nil || ws.cols == 0 {
		return 80
	}
	return int(ws.cols)
}
