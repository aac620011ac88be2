package libssh2_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// randBytes returns n pseudo-random bytes from seed.
func randBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// sumOutput is what `sha256sum` prints for data read from its standard input.
func sumOutput(data []byte) string { return sha(data) + "  -\n" }

func TestCmdStdoutStderr(t *testing.T) {
	checkNoLeaks(t)
	sess := dial(t, srv, config(t, srv))
	var out, errOut bytes.Buffer
	cmd := sess.Command("echo out; echo err >&2")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if diff := cmp.Diff("out\n", out.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("err\n", errOut.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}

	got, err := sess.Command("echo out; echo err >&2").Output()
	if err != nil || string(got) != "out\n" {
		t.Errorf("Output = %q, %v; want \"out\\n\", nil", got, err)
	}

	got, err = sess.Command("echo out; echo err >&2").CombinedOutput()
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	slices.Sort(lines)
	if err != nil || !slices.Equal(lines, []string{"err", "out"}) {
		t.Errorf("CombinedOutput = %q, %v; want the lines out and err", got, err)
	}

	// A failing command's stderr is kept in the ExitError by Output.
	_, err = sess.Command("echo oops >&2; exit 1").Output()
	var ee *libssh2.ExitError
	if !errors.As(err, &ee) || string(ee.Stderr) != "oops\n" {
		t.Errorf("Output of a failing command = %v; want an *ExitError with Stderr \"oops\\n\"", err)
	}

	// A failing Stdout: the rest is discarded, the command ends, Wait reports the error.
	cmd = sess.Command("head -c 5000000 /dev/zero; exit 0")
	cmd.Stdout = failWriter{}
	if err := cmd.Run(); !errors.Is(err, errFailWriter) {
		t.Errorf("Run with a failing Stdout = %v, want its error", err)
	}

	// Large outputs on both streams at once: neither stalls the other.
	cmd = sess.Command("head -c 8000000 /dev/zero; head -c 7000000 /dev/zero >&2; head -c 3000000 /dev/zero")
	var nOut, nErr countWriter
	cmd.Stdout, cmd.Stderr = &nOut, &nErr
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if nOut != 11000000 || nErr != 7000000 {
		t.Errorf("read %d bytes of stdout and %d of stderr, want 11000000 and 7000000", nOut, nErr)
	}
}

type failWriter struct{}

var errFailWriter = errors.New("writer failed")

func (failWriter) Write(p []byte) (int, error) { return 0, errFailWriter }

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}

// TestCmdStdin streams 64 MiB into sha256sum on the server; the sum is the local one.
func TestCmdStdin(t *testing.T) {
	checkNoLeaks(t)
	sess := dial(t, srv, config(t, srv))
	data := randBytes(64<<20, 31)
	cmd := sess.Command("sha256sum")
	cmd.Stdin = bytes.NewReader(data)
	start := time.Now()
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("sha256sum of 64 MiB: %v", err)
	}
	t.Logf("64 MiB through sha256sum in %v", time.Since(start))
	if diff := cmp.Diff(sumOutput(data), string(got)); diff != "" {
		t.Errorf("sha256sum on the server (-want +got):\n%s", diff)
	}

	// A reader that is not a WriterTo, in odd sizes.
	cmd = sess.Command("sha256sum")
	cmd.Stdin = io.LimitReader(oddReader{bytes.NewReader(data)}, 5<<20+3)
	got, err = cmd.Output()
	if err != nil || string(got) != sumOutput(data[:5<<20+3]) {
		t.Errorf("sha256sum of 5 MiB in odd reads = %q, %v", got, err)
	}

	// A command that does not read its input ends all the same, and the rest is not sent.
	cmd = sess.Command("head -c 10")
	cmd.Stdin = bytes.NewReader(data)
	got, err = cmd.Output()
	if err != nil || !bytes.Equal(got, data[:10]) {
		t.Errorf("head -c 10 of 64 MiB = %q, %v", got, err)
	}
	cmd = sess.Command("true")
	cmd.Stdin = bytes.NewReader(data)
	if err := cmd.Run(); err != nil {
		t.Errorf("true with 64 MiB of input: %v", err)
	}

	// A Stdin that fails: the command gets end of file after what was read, and Wait reports it.
	boom := errors.New("boom")
	cmd = sess.Command("wc -c")
	cmd.Stdin = io.MultiReader(bytes.NewReader(data[:1000]), iotest.ErrReader(boom))
	got, err = cmd.Output()
	if !errors.Is(err, boom) || strings.TrimSpace(string(got)) != "1000" {
		t.Errorf("wc -c with a failing Stdin = %q, %v; want 1000 and the reader's error", got, err)
	}
}

// oddReader returns at most 1000+something bytes per Read, and hides WriteTo.
type oddReader struct{ r io.Reader }

func (o oddReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(len(p), 1777)]) }

func TestCmdPipes(t *testing.T) {
	checkNoLeaks(t)
	sess := dial(t, srv, config(t, srv))
	data := randBytes(8<<20+5, 32)
	cmd := sess.Command("cat; echo done >&2")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := stdin.Write(data)
		if cerr := stdin.Close(); err == nil {
			err = cerr
		}
		werr <- err
	}()
	var errOut []byte
	var rerr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errOut, rerr = io.ReadAll(stderr)
	}()
	got, err := io.ReadAll(stdout)
	if err != nil {
		t.Fatalf("reading stdout: %v", err)
	}
	wg.Wait()
	if rerr != nil || string(errOut) != "done\n" {
		t.Errorf("stderr = %q, %v", errOut, rerr)
	}
	if err := <-werr; err != nil {
		t.Fatalf("writing stdin: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("cat returned %d bytes, differing from the %d sent", len(got), len(data))
	}
	if _, err := stdin.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write on the stdin pipe after Wait = %v, want fs.ErrClosed", err)
	}
	if _, err := stdout.Read(make([]byte, 1)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Read on the stdout pipe after Wait = %v, want fs.ErrClosed", err)
	}

	// Wait discards what the pipe did not read.
	cmd = sess.Command("head -c 5000000 /dev/zero")
	stdout, err = cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(stdout, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("Wait with output left unread: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Errorf("a second Wait succeeded")
	}
}

func TestCmdExitStatusAndSignal(t *testing.T) {
	checkNoLeaks(t)
	sess := dial(t, srv, config(t, srv))
	for _, c := range []struct {
		cmdline string
		status  int
		signal  string
	}{
		{"true", 0, ""},
		{"exit 3", 3, ""},
		{"exit 255", 255, ""},
		{"kill -TERM $$", 0, "TERM"},
		{"sh -c 'kill -KILL $$'", 0, "KILL"},
	} {
		err := sess.Command(c.cmdline).Run()
		if c.status == 0 && c.signal == "" {
			if err != nil {
				t.Errorf("%s: %v", c.cmdline, err)
			}
			continue
		}
		var ee *libssh2.ExitError
		if !errors.As(err, &ee) {
			t.Errorf("%s = %v (%T); want an *ExitError", c.cmdline, err, err)
			continue
		}
		if ee.ExitStatus() != c.status || ee.Signal() != c.signal {
			t.Errorf("%s: ExitStatus %d, Signal %q; want %d, %q", c.cmdline, ee.ExitStatus(), ee.Signal(), c.status, c.signal)
		}
		t.Logf("%s: %v", c.cmdline, err)
	}
	// A command the shell cannot find: status 127.
	err := sess.Command("no-such-command-here").Run()
	var ee *libssh2.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() != 127 {
		t.Errorf("an unknown command = %v; want exit status 127", err)
	}
}

// TestCmdEnv: variables the server accepts reach the command; one it refuses fails Start with an
// *Error naming it, and the session goes on.
func TestCmdEnv(t *testing.T) {
	checkNoLeaks(t)
	es := sshd.StartT(t, sshd.Options{ExtraConfig: []string{"AcceptEnv GOLIBSSH2_*"}})
	sess := dial(t, es, config(t, es))
	cmd := sess.Command(`printf '%s|%s' "$GOLIBSSH2_A" "$GOLIBSSH2_B"`)
	cmd.Env = []string{"GOLIBSSH2_A=hello world", "GOLIBSSH2_B=x=y"}
	got, err := cmd.Output()
	if err != nil || string(got) != "hello world|x=y" {
		t.Errorf("Output = %q, %v; want \"hello world|x=y\"", got, err)
	}

	cmd = sess.Command("true")
	cmd.Env = []string{"GOLIBSSH2_A=1", "REFUSED_VAR=2"}
	err = cmd.Run()
	var le *libssh2.Error
	if !errors.As(err, &le) || le.Op != "setenv" || le.Path != "REFUSED_VAR" || le.Code != libssh2.ErrorChannelRequestDenied {
		t.Errorf("a refused variable = %v; want an *Error with Op setenv, Path REFUSED_VAR, Code ErrorChannelRequestDenied", err)
	}
	cmd = sess.Command("true")
	cmd.Env = []string{"NOEQUALS"}
	if err := cmd.Run(); err == nil {
		t.Errorf("an Env entry without '=' was accepted")
	}
	if got, err := sess.Command("echo still").Output(); err != nil || string(got) != "still\n" {
		t.Errorf("after the refusal: %q, %v", got, err)
	}
}

// TestCmdWithSFTP: a command fed 16 MiB and a 16 MiB SFTP upload on one session at once, both
// exact; then several commands at once.
func TestCmdWithSFTP(t *testing.T) {
	checkNoLeaks(t)
	sess, sf := openSFTP(t, srv)
	dir := testDir(t)
	in := randBytes(16<<20, 33)
	up := randBytes(16<<20, 34)
	var wg sync.WaitGroup
	var cmdOut []byte
	var cmdErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		cmd := sess.Command("sha256sum")
		cmd.Stdin = bytes.NewReader(in)
		cmdOut, cmdErr = cmd.Output()
	}()
	name := filepath.Join(dir, "alongside.bin")
	f, err := sf.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(up); err != nil {
		t.Fatalf("SFTP Write alongside the command: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if cmdErr != nil || string(cmdOut) != sumOutput(in) {
		t.Errorf("the command alongside the upload = %q, %v", cmdOut, cmdErr)
	}
	checkRemote(t, name, up)

	// Four commands at once, each with its input and output, and a Stat meanwhile.
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := in[i<<20 : (i+3)<<20]
			cmd := sess.Command("sha256sum; echo side >&2")
			cmd.Stdin = bytes.NewReader(data)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			got, err := cmd.Output()
			if err == nil && (string(got) != sumOutput(data) || stderr.String() != "side\n") {
				err = errors.New("wrong output: " + string(got) + stderr.String())
			}
			errs[i] = err
		}()
	}
	if _, err := sf.Stat(name); err != nil {
		t.Errorf("Stat while commands run: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("command %d: %v", i, err)
		}
	}
}

// checkSessionWorks runs a command and an SFTP Stat on sess.
func checkSessionWorks(t *testing.T, sess *libssh2.Session, sf *libssh2.SFTP) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if got, err := sess.CommandContext(ctx, "echo again").Output(); err != nil || string(got) != "again\n" {
		t.Errorf("a command afterwards = %q, %v", got, err)
	}
	if _, err := sf.StatContext(ctx, srv.Dir); err != nil {
		t.Errorf("Stat afterwards: %v", err)
	}
}

// TestCmdContext cancels a command's context at each of its wait points; it returns soon with an
// error wrapping context.Canceled, and the session runs another command and an SFTP Stat.
func TestCmdContext(t *testing.T) {
	big := randBytes(32<<20, 35)
	for _, c := range []struct {
		name string
		run  func(t *testing.T, ctx context.Context, sess *libssh2.Session) error
	}{
		{"output", func(t *testing.T, ctx context.Context, sess *libssh2.Session) error {
			cmd := sess.CommandContext(ctx, "sleep 30")
			out, err := cmd.StdoutPipe()
			if err != nil {
				return err
			}
			if err := cmd.Start(); err != nil {
				return err
			}
			_, rerr := out.Read(make([]byte, 10))
			if !errors.Is(rerr, context.Canceled) {
				t.Errorf("Read of the output = %v, want context.Canceled", rerr)
			}
			return cmd.Wait()
		}},
		{"run", func(t *testing.T, ctx context.Context, sess *libssh2.Session) error {
			return sess.CommandContext(ctx, "sleep 30").Run()
		}},
		{"stdin", func(t *testing.T, ctx context.Context, sess *libssh2.Session) error {
			cmd := sess.CommandContext(ctx, "sleep 30")
			cmd.Stdin = bytes.NewReader(big) // more than the window: the write waits
			return cmd.Run()
		}},
		{"stdin pipe", func(t *testing.T, ctx context.Context, sess *libssh2.Session) error {
			cmd := sess.CommandContext(ctx, "sleep 30")
			in, err := cmd.StdinPipe()
			if err != nil {
				return err
			}
			if err := cmd.Start(); err != nil {
				return err
			}
			if _, err := in.Write(big); !errors.Is(err, context.Canceled) {
				t.Errorf("Write to the stdin pipe = %v, want context.Canceled", err)
			}
			return cmd.Wait()
		}},
		{"wait", func(t *testing.T, ctx context.Context, sess *libssh2.Session) error {
			// The output streams end at once; Wait then waits for the channel's close.
			return sess.CommandContext(ctx, "exec >&- 2>&-; sleep 30").Run()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkNoLeaks(t)
			sess, sf := openSFTP(t, srv)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			start := time.Now()
			err := c.run(t, ctx, sess)
			d := time.Since(start)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s cancelled = %v, want an error wrapping context.Canceled", c.name, err)
			}
			var le *libssh2.Error
			if !errors.As(err, &le) {
				t.Errorf("%v is not an *libssh2.Error", err)
			}
			if d > 300*time.Millisecond+2500*time.Millisecond {
				t.Errorf("returned %v after the start, 300 ms after which the context ended", d)
			}
			t.Logf("%v after %v", err, d)
			checkSessionWorks(t, sess, sf)
		})
	}
	// Cancelled while the channel opens: the link is stalled.
	t.Run("open", func(t *testing.T) {
		checkNoLeaks(t)
		proxy, sess, sf := proxySession(t)
		proxy.SetPaused(true)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel)
		start := time.Now()
		err := sess.CommandContext(ctx, "echo no").Run()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run while the link stalls, cancelled = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 2800*time.Millisecond {
			t.Errorf("returned after %v", d)
		}
		proxy.SetPaused(false)
		checkSessionWorks(t, sess, sf)
	})
	// Cancelled while the command runs and the link stalls: closing the channel cannot reach the
	// server, and the session works once the link is back.
	t.Run("stalled link", func(t *testing.T) {
		checkNoLeaks(t)
		proxy, sess, sf := proxySession(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, func() { proxy.SetPaused(true) })
		time.AfterFunc(400*time.Millisecond, cancel)
		cmd := sess.CommandContext(ctx, "cat")
		cmd.Stdin = bytes.NewReader(big)
		start := time.Now()
		_, err := cmd.Output()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Output cancelled on a stalled link = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 400*time.Millisecond+2500*time.Millisecond {
			t.Errorf("returned after %v", d)
		}
		proxy.SetPaused(false)
		checkSessionWorks(t, sess, sf)
	})
	t.Run("done before", func(t *testing.T) {
		checkNoLeaks(t)
		sess, sf := openSFTP(t, srv)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := sess.CommandContext(ctx, "echo no").Run(); !errors.Is(err, context.Canceled) {
			t.Errorf("Run with a done context = %v", err)
		}
		checkSessionWorks(t, sess, sf)
	})
}

// TestCmdDeadline: a deadline that passes while the command runs ends it.
func TestCmdDeadline(t *testing.T) {
	checkNoLeaks(t)
	sess, sf := openSFTP(t, srv)
	cmd := sess.Command("sleep 30")
	cmd.SetDeadline(time.Now().Add(300 * time.Millisecond))
	start := time.Now()
	err := cmd.Run()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Run past its deadline = %v, want os.ErrDeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2800*time.Millisecond {
		t.Errorf("returned after %v", d)
	}
	// Set while it runs.
	cmd = sess.Command("sleep 30")
	time.AfterFunc(300*time.Millisecond, func() { cmd.SetDeadline(time.Now()) })
	if err := cmd.Run(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Run with SetDeadline(now) while it waits = %v, want os.ErrDeadlineExceeded", err)
	}
	checkSessionWorks(t, sess, sf)
}

// TestCmdSessionClose: Session.Close from another goroutine ends a waiting command with an error
// wrapping fs.ErrClosed.
func TestCmdSessionClose(t *testing.T) {
	checkNoLeaks(t)
	for _, cmdline := range []string{"sleep 30", "exec >&- 2>&-; sleep 30"} {
		sess := dial(t, srv, config(t, srv))
		cmd := sess.Command(cmdline)
		cmd.Stdin = bytes.NewReader(make([]byte, 8<<20))
		time.AfterFunc(300*time.Millisecond, func() { sess.Close() })
		start := time.Now()
		err := cmd.Run()
		if !errors.Is(err, fs.ErrClosed) {
			t.Errorf("%s ended by Session.Close = %v, want fs.ErrClosed", cmdline, err)
		}
		if d := time.Since(start); d > 2800*time.Millisecond {
			t.Errorf("%s returned after %v", cmdline, d)
		}
		if err := sess.Command("true").Run(); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("a command on the closed session = %v", err)
		}
	}
}

func TestCmdMisuse(t *testing.T) {
	checkNoLeaks(t)
	sess := dial(t, srv, config(t, srv))
	cmd := sess.Command("true")
	if err := cmd.Wait(); err == nil {
		t.Error("Wait before Start succeeded")
	}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err == nil {
		t.Error("a second Start succeeded")
	}
	if _, err := cmd.StdoutPipe(); err == nil {
		t.Error("StdoutPipe after Start succeeded")
	}
	cmd = sess.Command("true")
	cmd.Stdout = io.Discard
	if _, err := cmd.Output(); err == nil {
		t.Error("Output with Stdout set succeeded")
	}
	var nilSess *libssh2.Session
	if err := nilSess.Command("true").Run(); err == nil {
		t.Error("a command on a nil Session succeeded")
	}
}
