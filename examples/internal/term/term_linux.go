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
	"os/signal"
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
//
// While echo is off it also catches SIGINT, SIGTERM, SIGHUP and SIGQUIT, which would otherwise end
// the process with the terminal left silent: it restores the terminal and returns a *SignalError
// (which is ErrInterrupted too); the caller then exits, as the signal asked. A signal that comes as
// the line is read is reported all the same, never lost.
func ReadPassword(tty *os.File, prompt string, interrupt <-chan struct{}) (string, error) {
	old, err := getTermios(tty.Fd())
	if err != nil {
		return "", fmt.Errorf("reading a password: %s is not a terminal", tty.Name())
	}
	// Catch the signals before echo goes off, so that none can come in between.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, passwordSignals...)
	defer signal.Stop(sigs)
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
		signal.Stop(sigs)
		select {
		case sig := <-sigs: // it came while the line was read, or just after
			return "", &SignalError{sig.(syscall.Signal)}
		default:
		}
		if r.err != nil && !(errors.Is(r.err, io.EOF) && r.line != "") {
			return "", fmt.Errorf("reading a password: %w", r.err)
		}
		return strings.TrimRight(r.line, "\r\n"), nil
	case sig := <-sigs:
		restore()
		io.WriteString(tty, "\n")
		return "", &SignalError{sig.(syscall.Signal)}
	case <-interrupt:
		restore()
		io.WriteString(tty, "\n")
		select {
		case sig := <-sigs:
			// The same signal ended the caller's context (signal.NotifyContext): the runtime hands
			// a signal to every channel that asked for it before that context's goroutine can
			// cancel it, so it is here, and select may have picked either case.
			return "", &SignalError{sig.(syscall.Signal)}
		default:
		}
		return "", ErrInterrupted
	}
}

// passwordSignals are the signals ReadPassword catches while echo is off: the ones a terminal or a
// session manager sends to end a program (Ctrl-C, Ctrl-\, a hang-up, a polite kill).
var passwordSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// ErrInterrupted is returned by ReadPassword when it is interrupted.
var ErrInterrupted = errors.New("interrupted")

// SignalError is returned by ReadPassword when a signal came while it read: the terminal is
// restored, and the program should exit as the signal asked (ExitCode).
type SignalError struct {
	Signal syscall.Signal
}

func (e *SignalError) Error() string { return "interrupted by " + signalName(e.Signal) }

// Is makes a SignalError an ErrInterrupted.
func (e *SignalError) Is(target error) bool { return target == ErrInterrupted }

// ExitCode is the status a shell reports for a program killed by the signal: 128 + its number.
func (e *SignalError) ExitCode() int { return 128 + int(e.Signal) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	}
	return s.String()
}

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
