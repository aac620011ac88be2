package term

import (
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestIsTerminal(t *testing.T) {
	ptm, pts, err := OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer pts.Close()
	if !IsTerminal(pts) {
		t.Errorf("IsTerminal(%s) = false", pts.Name())
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) {
		t.Errorf("IsTerminal(pipe) = true")
	}
	if err := SetSize(pts, 30, 100); err != nil {
		t.Fatal(err)
	}
	if got := Width(pts); got != 100 {
		t.Errorf("Width = %d after SetSize(30, 100)", got)
	}
	if got := Width(w); got != 80 {
		t.Errorf("Width(pipe) = %d, want the default 80", got)
	}
}

// screen collects what the terminal shows.
type screen struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// promptPTY opens a pseudo-terminal for a ReadPassword test, closed when the test ends: the
// terminal side, what its screen shows, and its settings before the test.
func promptPTY(t *testing.T) (ptm, pts *os.File, shown *screen, before *syscall.Termios) {
	t.Helper()
	ptm, pts, err := OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptm.Close(); pts.Close() })
	shown = &screen{}
	go io.Copy(shown, ptm)
	if before, err = getTermios(pts.Fd()); err != nil {
		t.Fatal(err)
	}
	return ptm, pts, shown, before
}

func TestReadPasswordDoesNotEcho(t *testing.T) {
	ptm, pts, shown, before := promptPTY(t)
	go func() {
		for !strings.Contains(shown.String(), "Password: ") {
			time.Sleep(5 * time.Millisecond)
		}
		io.WriteString(ptm, "s3cret pass\n")
	}()
	pw, err := ReadPassword(pts, "Password: ", nil)
	if err != nil {
		t.Fatal(err)
	}
	if pw != "s3cret pass" {
		t.Errorf("ReadPassword = %q, want %q", pw, "s3cret pass")
	}
	time.Sleep(50 * time.Millisecond) // let the screen catch up
	if s := shown.String(); strings.Contains(s, "s3cret") {
		t.Errorf("the password was echoed: %q", s)
	}
	after, err := getTermios(pts.Fd())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*before, *after); diff != "" {
		t.Errorf("terminal settings not restored (-before +after):\n%s", diff)
	}
}

func TestReadPasswordInterrupted(t *testing.T) {
	_, pts, _, before := promptPTY(t)
	stop := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	if _, err := ReadPassword(pts, "Password: ", stop); err != ErrInterrupted {
		t.Fatalf("ReadPassword interrupted: %v, want ErrInterrupted", err)
	}
	after, err := getTermios(pts.Fd())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*before, *after); diff != "" {
		t.Errorf("terminal settings not restored after the interruption (-before +after):\n%s", diff)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := ReadPassword(w, "Password: ", nil); err == nil || !strings.Contains(err.Error(), "not a terminal") {
		t.Errorf("ReadPassword on a pipe: %v, want an error saying it is not a terminal", err)
	}
}

// TestReadPasswordSignals sends each signal that ends a program to the test process while
// ReadPassword waits with echo off: it returns a *SignalError for that signal, and the terminal
// echoes again.
func TestReadPasswordSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			_, pts, shown, before := promptPTY(t)
			if before.Lflag&syscall.ECHO == 0 {
				t.Fatal("a new pseudo-terminal does not echo")
			}
			echoOff := make(chan bool, 1)
			go func() {
				for !strings.Contains(shown.String(), "Password: ") {
					time.Sleep(5 * time.Millisecond)
				}
				during, err := getTermios(pts.Fd())
				echoOff <- err == nil && during.Lflag&syscall.ECHO == 0
				syscall.Kill(os.Getpid(), sig)
			}()
			_, err := ReadPassword(pts, "Password: ", nil)
			var se *SignalError
			if !errors.As(err, &se) || se.Signal != sig || !errors.Is(err, ErrInterrupted) {
				t.Fatalf("ReadPassword with %v: %v, want a *SignalError for it (and ErrInterrupted)", sig, err)
			}
			if se.ExitCode() != 128+int(sig) {
				t.Errorf("ExitCode() = %d, want %d", se.ExitCode(), 128+int(sig))
			}
			if !<-echoOff {
				t.Errorf("echo was not off while ReadPassword waited")
			}
			after, err := getTermios(pts.Fd())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(*before, *after); diff != "" {
				t.Errorf("terminal settings not restored after %v (-before +after):\n%s", sig, diff)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain name.txt", "plain name.txt"},
		{"caf\u00e9 \u65e5\u672c.txt", "caf\u00e9 \u65e5\u672c.txt"},
		{"a\x1b]0;pwned\x07b", `a\x1b]0;pwned\x07b`},
		{"red\x1b[31m", `red\x1b[31m`},
		{"two\nlines\r\ttab", `two\nlines\r\ttab`},
		{"del\x7f", `del\x7f`},
		{"c1 csi \u009b31m", `c1 csi \u009b31m`},
		{"bad utf8 \xff\xfe", `bad utf8 \xff\xfe`},
		{"rlo \u202etxt.exe", `rlo \u202etxt.exe`},
		{"zero\u200bwidth", `zero\u200bwidth`},
		{"tag \U000e0041", `tag \U000e0041`},
		{`back\slash`, `back\slash`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzEscape: whatever the name, what Escape returns is valid UTF-8 with no control or format
// character, escaping it again changes nothing, and a name with nothing to escape comes back as
// it is.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a.txt", "\x1b[2J\x1b[H", "\xc2\x9b", "\xe2\x80\xae", "x\x00y", "\U0010ffff", "\xf4\x90\x80\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if !utf8.ValidString(e) {
			t.Fatalf("Escape(%q) = %q: not valid UTF-8", s, e)
		}
		for _, r := range e {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("Escape(%q) = %q: still holds %U", s, e, r)
			}
		}
		if again := Escape(e); again != e {
			t.Fatalf("Escape is not idempotent: %q -> %q -> %q", s, e, again)
		}
		clean := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
		})
		if clean && e != s {
			t.Fatalf("Escape(%q) = %q: changed a name with nothing to escape", s, e)
		}
	})
}
