package term

import (
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

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

func TestReadPasswordDoesNotEcho(t *testing.T) {
	ptm, pts, err := OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer pts.Close()
	var shown screen
	go io.Copy(&shown, ptm)
	before, err := getTermios(pts.Fd())
	if err != nil {
		t.Fatal(err)
	}
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
	ptm, pts, err := OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	defer pts.Close()
	go io.Copy(io.Discard, ptm)
	before, err := getTermios(pts.Fd())
	if err != nil {
		t.Fatal(err)
	}
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
