package libssh2_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// These examples run in `go test` against the throw-away sshd that TestMain starts (srv). In your
// program, addr, user, key and knownHosts are your server's address, your user name, your private
// key file and ~/.ssh/known_hosts.

// Example uploads a file: connect with the host key checked against known_hosts, log in with a key,
// start SFTP, copy, close.
func Example() {
	addr, user, key, knownHosts := srv.Addr, srv.User, srv.KeyPath, srv.KnownHostsPath

	hostKeys, err := libssh2.OpenKnownHosts(knownHosts) // ssh also reads /etc/ssh/ssh_known_hosts
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", addr, &libssh2.Config{
		User:              user,
		Auth:              []libssh2.AuthMethod{libssh2.PublicKeyFile(key, "")},
		HostKeyCallback:   hostKeys.Check,    // decided as OpenSSH's ssh decides
		KnownHostKeyTypes: hostKeys.KeyTypes, // ask the server for the key types known for it first
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	f, err := sftp.Create(srv.Path("example.txt"))
	if err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(f, strings.NewReader("hello, world\n"))
	if err != nil {
		f.Close()
		log.Fatal(err)
	}
	// Close returns nil only once the server has acknowledged every byte.
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "bytes uploaded")

	onServer, _ := os.ReadFile(srv.Path("example.txt")) // the test server is on this machine
	fmt.Printf("%q\n", onServer)
	// Output:
	// 13 bytes uploaded
	// "hello, world\n"
}

// ExampleAppendKnownHost trusts a server on first use, as ssh -o StrictHostKeyChecking=accept-new
// does: an unknown key (and only an unknown one: never a changed, revoked or other-type key) is
// added to the user's known_hosts file, and the next check accepts it.
func ExampleAppendKnownHost() {
	knownHosts := filepath.Join(os.TempDir(), fmt.Sprintf("example-known-hosts-%d", os.Getpid()))
	defer os.Remove(knownHosts)

	hostKeys, err := libssh2.OpenKnownHosts(knownHosts) // a missing file is an empty one
	if err != nil {
		log.Fatal(err)
	}
	acceptNew := func(hostname string, remote net.Addr, key libssh2.PublicKey) error {
		err := hostKeys.Check(hostname, remote, key)
		if errors.Is(err, libssh2.ErrHostKeyUnknown) && !errors.Is(err, libssh2.ErrHostKeyCertAuthority) {
			fmt.Println("adding the unknown", key.Type(), "key")
			return libssh2.AppendKnownHost(knownHosts, hostname, key, nil) // hashed, mode 0600
		}
		return err
	}
	cfg := &libssh2.Config{
		User:              srv.User,
		Auth:              []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.KeyPath, "")},
		HostKeyCallback:   acceptNew,
		KnownHostKeyTypes: hostKeys.KeyTypes,
		HostKeyAlgorithms: []string{"ssh-ed25519"}, // only so that the output names one type
	}
	for range 2 {
		sess, err := libssh2.Dial(context.Background(), "tcp", srv.Addr, cfg)
		if err != nil {
			log.Fatal(err)
		}
		sess.Close()
		fmt.Println("logged in")
	}
	// Output:
	// adding the unknown ssh-ed25519 key
	// logged in
	// logged in
}

// exampleSession opens a session to the test server, as Example does.
func exampleSession() *libssh2.Session {
	hostKeys, err := libssh2.KnownHosts(srv.KnownHostsPath)
	if err != nil {
		log.Fatal(err)
	}
	sess, err := libssh2.Dial(context.Background(), "tcp", srv.Addr, &libssh2.Config{
		User:            srv.User,
		Auth:            []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.KeyPath, "")},
		HostKeyCallback: hostKeys,
	})
	if err != nil {
		log.Fatal(err)
	}
	return sess
}

// ExampleError shows what a failure carries, and errors.Is with the standard sentinels.
func ExampleError() {
	sess := exampleSession()
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}

	_, err = sftp.Create(srv.Path("no-such-dir/file.txt"))
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	var e *libssh2.Error
	if errors.As(err, &e) {
		fmt.Println(e.Op, e.Code.String(), e.Status.String())
	}
	// Output:
	// true
	// open LIBSSH2_ERROR_SFTP_PROTOCOL LIBSSH2_FX_NO_SUCH_FILE
}

// ExampleFile_RawWrite is the non-blocking loop of libssh2's example/sftp_write_nonblock.c: on
// ErrWouldBlock, wait for the socket and repeat the call with the same bytes; each call returns the
// number of bytes the server has acknowledged.
func ExampleFile_RawWrite() {
	sess := exampleSession()
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	f, err := sftp.Create(srv.Path("raw.bin"))
	if err != nil {
		log.Fatal(err)
	}
	sess.SetNonblocking(true)
	data := make([]byte, 1<<20)
	for p := data; len(p) > 0; {
		n, err := f.RawWrite(p)
		if errors.Is(err, libssh2.ErrWouldBlock) {
			if err := sess.WaitSocket(context.Background()); err != nil {
				log.Fatal(err)
			}
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		p = p[n:] // the unacknowledged rest: the same bytes again
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	st, _ := os.Stat(srv.Path("raw.bin"))
	fmt.Println(st.Size())
	// Output:
	// 1048576
}

// ExampleFile_SetDeadline bounds an upload in time. An operation that runs past the deadline fails
// with an error matching os.ErrDeadlineExceeded.
func ExampleFile_SetDeadline() {
	sess := exampleSession()
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	f, err := sftp.Create(srv.Path("deadline.txt"))
	if err != nil {
		log.Fatal(err)
	}
	f.SetDeadline(time.Now().Add(time.Minute))
	_, err = io.WriteString(f, "on time\n")
	if err == nil {
		err = f.Close()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		fmt.Println("too slow")
	} else if err != nil {
		log.Fatal(err)
	} else {
		fmt.Println("uploaded within the minute")
	}
	// Output:
	// uploaded within the minute
}

// ExampleSFTP_OpenFileContext shows a context's deadline: here one that has already passed, so
// the call fails at once with an error matching both context.DeadlineExceeded and
// os.ErrDeadlineExceeded.
func ExampleSFTP_OpenFileContext() {
	sess := exampleSession()
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = sftp.OpenFileContext(ctx, srv.Path("late.txt"), os.O_WRONLY|os.O_CREATE, 0o644)
	fmt.Println(errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded))
	// Output:
	// true true
}

// ExampleSFTP_Open downloads a file: io.Copy uses File.WriteTo, which keeps libssh2's read-ahead
// busy.
func ExampleSFTP_Open() {
	os.WriteFile(srv.Path("download.txt"), []byte("from the server\n"), 0o644) // the test server's disk

	sess := exampleSession()
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	f, err := sftp.Open(srv.Path("download.txt"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var local strings.Builder
	if _, err := io.Copy(&local, f); err != nil {
		log.Fatal(err)
	}
	fmt.Print(local.String())
	// Output:
	// from the server
}

// ExampleSFTP_MkdirAll creates a directory tree, then lists it with ReadDir and Stat, as with the
// os package.
func ExampleSFTP_MkdirAll() {
	sess := exampleSession()
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	root := srv.Path("mkdirall")
	if err := sftp.MkdirAll(root+"/a/b", 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := sftp.Create(root + "/a/note.txt")
	if err != nil {
		log.Fatal(err)
	}
	io.WriteString(f, "12345")
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	entries, err := sftp.ReadDir(root + "/a")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Name(), e.IsDir())
	}
	fi, err := sftp.Stat(root + "/a/note.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(fi.Size(), fi.Mode().IsRegular())
	// Output:
	// b true
	// note.txt false
	// 5 true
}

// ExampleSFTP_Upload uploads a file over as many sessions as help (on a long round trip; on this
// loopback test server, one), then resumes an interrupted upload from the prefix its error reports.
func ExampleSFTP_Upload() {
	sess := exampleSession()
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	local, err := os.CreateTemp("", "upload-*.bin")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(local.Name())
	defer local.Close()
	if _, err := local.Write(make([]byte, 10<<20)); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n, err := sftp.Upload(ctx, srv.Path("upload.bin"), local, 10<<20, nil)
	var e *libssh2.Error
	if errors.As(err, &e) {
		// The remote file holds the first e.Offset bytes exactly: go on from there.
		n, err = sftp.Upload(ctx, srv.Path("upload.bin"), local, 10<<20, &libssh2.TransferOptions{Offset: e.Offset})
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "bytes uploaded")
	// Output:
	// 10485760 bytes uploaded
}

// ExampleSFTP_NewBatch uploads many small files at once: each job runs on one of the batch's
// sessions, and Wait returns the jobs' errors.
func ExampleSFTP_NewBatch() {
	sess := exampleSession()
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	if err := sftp.MkdirAll(srv.Path("batch-example"), 0o755); err != nil {
		log.Fatal(err)
	}
	b := sftp.NewBatch(context.Background(), nil)
	for i := range 100 {
		name := srv.Path(fmt.Sprintf("batch-example/%03d.txt", i))
		b.Go(func(ctx context.Context, sftp *libssh2.SFTP) error {
			f, err := sftp.OpenFileContext(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(f, "file %d\n", i); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
	}
	if err := b.Wait(); err != nil {
		log.Fatal(err)
	}
	entries, _ := os.ReadDir(srv.Path("batch-example")) // the test server is on this machine
	fmt.Println(len(entries), "files")
	// Output:
	// 100 files
}
