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
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// The first examples here (Example, ExampleSFTP_Open, ExampleSFTP_FS, ExampleDial_password,
// ExampleAppendKnownHost), and ExampleSession_Command in example_cmd_test.go, can be copied into a
// program as they are, but for their first line, which asks example_target_test.go for the
// server, the user and the home directory: write instead
//
//	server, user := "sftp.example.com:22", "you" // your server ("host:port") and user name
//	home, err := os.UserHomeDir()
//	if err != nil {
//		log.Fatal(err)
//	}
//
// `go test` runs them against a throw-away sshd on 127.0.0.1, with a home directory made for it.
// The examples after them use that server's files directly (srv, exampleSession).

// Example uploads a file, as a program of yours would: the server's host key checked against
// ~/.ssh/known_hosts, a login with the ssh-agent or ~/.ssh/id_ed25519, then SFTP, and ~/notes.txt
// copied to notes.txt in the login directory. Its first line is where `go test` puts its own server
// (see above); the README's Quick start is this program.
func Example() {
	server, user, home := exampleTarget() // yours: "sftp.example.com:22", "you", os.UserHomeDir()

	// ssh also reads /etc/ssh/ssh_known_hosts: add it to OpenKnownHosts if your machine keeps keys there.
	hostKeys, err := libssh2.OpenKnownHosts(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", server, &libssh2.Config{
		User: user,
		Auth: []libssh2.AuthMethod{
			libssh2.Agent(), // tried first, when SSH_AUTH_SOCK is set
			libssh2.PublicKeyFile(filepath.Join(home, ".ssh", "id_ed25519"), ""),
		},
		HostKeyCallback:   hostKeys.Check,    // known_hosts decided as ssh decides
		KnownHostKeyTypes: hostKeys.KeyTypes, // ask for the key types known for the host first, as ssh does
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}

	local, err := os.Open(filepath.Join(home, "notes.txt"))
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	remote, err := sftp.Create("notes.txt") // relative to the login directory
	if err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(remote, local)
	if err != nil {
		remote.Close()
		log.Fatal(err)
	}
	if err := remote.Close(); err != nil { // nil only once the server has acknowledged every byte
		log.Fatal(err)
	}
	fmt.Println("uploaded", n, "bytes")
	// Output:
	// uploaded 18 bytes
}

// ExampleSFTP_Open downloads report.txt from the login directory to ~/report.txt. io.Copy uses
// File.WriteTo, which keeps libssh2's read-ahead busy. Copy it as Example says.
func ExampleSFTP_Open() {
	server, user, home := exampleTarget() // yours: "sftp.example.com:22", "you", os.UserHomeDir()

	hostKeys, err := libssh2.OpenKnownHosts(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", server, &libssh2.Config{
		User: user,
		Auth: []libssh2.AuthMethod{
			libssh2.Agent(),
			libssh2.PublicKeyFile(filepath.Join(home, ".ssh", "id_ed25519"), ""),
		},
		HostKeyCallback:   hostKeys.Check,
		KnownHostKeyTypes: hostKeys.KeyTypes,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}

	remote, err := sftp.Open("report.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer remote.Close()
	local, err := os.Create(filepath.Join(home, "report.txt"))
	if err != nil {
		log.Fatal(err)
	}
	n, err := io.Copy(local, remote)
	if err != nil {
		local.Close()
		log.Fatal(err)
	}
	if err := local.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("downloaded", n, "bytes")
	// Output:
	// downloaded 20 bytes
}

// ExampleSFTP_FS walks the photos directory of the server with io/fs.WalkDir, as it would walk
// os.DirFS("photos"), and adds up the sizes of its files. fs.Glob, fs.ReadFile and fs.Sub work on
// it the same way. Copy it as Example says.
func ExampleSFTP_FS() {
	server, user, home := exampleTarget() // yours: "sftp.example.com:22", "you", os.UserHomeDir()

	hostKeys, err := libssh2.OpenKnownHosts(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", server, &libssh2.Config{
		User: user,
		Auth: []libssh2.AuthMethod{
			libssh2.Agent(),
			libssh2.PublicKeyFile(filepath.Join(home, ".ssh", "id_ed25519"), ""),
		},
		HostKeyCallback:   hostKeys.Check,
		KnownHostKeyTypes: hostKeys.KeyTypes,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}

	var files, total int64
	err = fs.WalkDir(sftp.FS("photos"), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err // or print it and return nil, to go on with the rest of the tree
		}
		if !d.Type().IsRegular() {
			return nil // directories, and symbolic links (which WalkDir does not follow)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Println(name, info.Size())
		files++
		total += info.Size()
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(files, "files,", total, "bytes")
	// Output:
	// 2024/beach.jpg 18
	// 2024/city.jpg 13
	// 2025/winter.jpg 5
	// index.txt 20
	// 4 files, 56 bytes
}

// ExampleDial_password logs in with a password. Ask for it when the program runs
// (golang.org/x/term's ReadPassword reads it without echo) or take it from a secret store: never
// keep it in the source. A server that asks for passwords through PAM may offer only
// keyboard-interactive: add KeyboardInteractive with a function that answers its prompt. A failed
// login's *Error lists the methods the server offers (AuthMethods). Copy it as Example says, with
// your password for the third value.
func ExampleDial_password() {
	server, user, password, home := examplePasswordTarget() // yours: "sftp.example.com:22", "you", a password, os.UserHomeDir()

	hostKeys, err := libssh2.OpenKnownHosts(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", server, &libssh2.Config{
		User:              user,
		Auth:              []libssh2.AuthMethod{libssh2.Password(password)},
		HostKeyCallback:   hostKeys.Check,
		KnownHostKeyTypes: hostKeys.KeyTypes,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	sftp, err := sess.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	fi, err := sftp.Stat("report.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(fi.Name(), fi.Size())
	// Output:
	// report.txt 20
}

// ExampleAppendKnownHost trusts a server on first use, as ssh -o StrictHostKeyChecking=accept-new
// does: an unknown key (and only an unknown one: never a changed, revoked or other-type key) is
// added to ~/.ssh/known_hosts, hashed, and the next connection checks the server against it. Copy
// it as Example says.
func ExampleAppendKnownHost() {
	server, user, home := exampleNewHostTarget() // yours: "sftp.example.com:22", "you", os.UserHomeDir()

	knownHosts := filepath.Join(home, ".ssh", "known_hosts")
	hostKeys, err := libssh2.OpenKnownHosts(knownHosts) // a missing file is an empty one
	if err != nil {
		log.Fatal(err)
	}
	acceptNew := func(hostname string, remote net.Addr, key libssh2.PublicKey) error {
		err := hostKeys.Check(hostname, remote, key)
		// An @cert-authority line for the host makes the key unknown too, but a certificate is
		// expected: libssh2 cannot check one, and trusting the plain key would bypass the CA.
		if errors.Is(err, libssh2.ErrHostKeyUnknown) && !errors.Is(err, libssh2.ErrHostKeyCertAuthority) {
			fmt.Println("adding the server's key to known_hosts")
			return libssh2.AppendKnownHost(knownHosts, hostname, key, nil) // hashed; the file is made with mode 0600
		}
		return err
	}
	cfg := &libssh2.Config{
		User: user,
		Auth: []libssh2.AuthMethod{
			libssh2.Agent(),
			libssh2.PublicKeyFile(filepath.Join(home, ".ssh", "id_ed25519"), ""),
		},
		HostKeyCallback:   acceptNew,
		KnownHostKeyTypes: hostKeys.KeyTypes,
	}
	for range 2 { // the second time, the key is known
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		sess, err := libssh2.Dial(ctx, "tcp", server, cfg)
		cancel()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("logged in")
		sess.Close()
	}
	// Output:
	// adding the server's key to known_hosts
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
