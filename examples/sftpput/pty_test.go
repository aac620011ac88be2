package main

import (
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// ptyEchoes reports whether the terminal behind the pseudo-terminal ptm echoes input (ECHO).
func ptyEchoes(t *testing.T, ptm *os.File) bool {
	t.Helper()
	var tio syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatalf("TCGETS: %v", e)
	}
	return tio.Lflag&syscall.ECHO != 0
}
