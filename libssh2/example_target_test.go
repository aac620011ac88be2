package libssh2_test

import (
	"log"
	"os"
	"path/filepath"
	"sync"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
)

// The copyable examples (Example, ExampleSFTP_Open, ExampleSFTP_FS, ExampleDial_password,
// ExampleAppendKnownHost, ExampleSession_Dial and, in example_cmd_test.go, ExampleSession_Command)
// are written as a program of yours would be: they dial a server as a user,
// check its host key against ~/.ssh/known_hosts, log in with the ssh-agent or ~/.ssh/id_ed25519,
// name remote files relative to the login directory and local files under the home directory.
//
// Their first statement is the hook through which `go test` runs them: it asks one of the functions
// below for the server ("host:port"), the user name and the home directory. In your program that
// line is
//
//	server, user := "sftp.example.com:22", "you"
//	home, err := os.UserHomeDir()
//
// (and, for ExampleDial_password, a password your program asks for). Here they are a throw-away
// sshd on 127.0.0.1 whose SFTP sessions start in a directory made for the examples (sftp-server
// -d), and a home directory made for it whose .ssh holds the server's known_hosts line and a key
// it accepts: the real ~/.ssh is neither read nor changed. TestMain unsets SSH_AUTH_SOCK, so that
// no ssh-agent of the developer running the tests takes part, and calls closeExamples at the end.

// exampleTarget returns the examples' server, user and home directory (its .ssh has known_hosts and
// id_ed25519; it holds notes.txt to upload). The server's login directory holds report.txt and a
// photos tree.
func exampleTarget() (server, user, home string) {
	t := examples.keyTarget()
	return t.srv.Addr, t.srv.User, t.home
}

// examplePasswordTarget returns a server that takes passwords (it needs root, to make its test
// account; its login directory holds the same files), the user, its password and a home whose .ssh
// has the server's known_hosts line and no key.
func examplePasswordTarget() (server, user, password, home string) {
	t := examples.passwordTarget()
	return t.srv.Addr, t.srv.PasswordUser, t.srv.Password, t.home
}

// exampleNewHostTarget returns the examples' server and user, and a new home directory whose .ssh
// has the user's key and no known_hosts: the server is unknown, as on a first connection.
func exampleNewHostTarget() (server, user, home string) {
	t := examples.keyTarget()
	home = examples.home(t.srv, false, true)
	return t.srv.Addr, t.srv.User, home
}

// exampleServer is one server of the examples and the home directory made for it.
type exampleServer struct {
	srv  *sshd.Server
	home string
}

// exampleFixture holds the examples' servers, started when an example first asks for one.
type exampleFixture struct {
	keyOnce, passwordOnce sync.Once
	key, password         exampleServer
	mu                    sync.Mutex
	servers               []*sshd.Server
	dirs                  []string
}

var examples exampleFixture

// exampleRemoteFiles are the files in the servers' login directory.
var exampleRemoteFiles = map[string]string{
	"report.txt":             "revenue 42\ncosts 40\n",
	"photos/index.txt":       "beach, city, winter\n",
	"photos/2024/beach.jpg":  "not really a JPEG\n",
	"photos/2024/city.jpg":   "nor this one\n",
	"photos/2025/winter.jpg": "snow\n",
}

// exampleNotes is notes.txt in the examples' home directories, the file Example uploads.
const exampleNotes = "buy milk\ncall Ada\n"

func (x *exampleFixture) keyTarget() exampleServer {
	x.keyOnce.Do(func() { x.key = x.start(sshd.Options{}, true) })
	return x.key
}

func (x *exampleFixture) passwordTarget() exampleServer {
	x.passwordOnce.Do(func() { x.password = x.start(sshd.Options{Password: true}, false) })
	return x.password
}

// start starts an sshd whose SFTP sessions start in a new directory holding exampleRemoteFiles, and
// makes a home directory for it. An example cannot fail otherwise: a server that does not start
// ends the test binary with the reason.
func (x *exampleFixture) start(opts sshd.Options, key bool) exampleServer {
	root := x.dir("go-libssh2-examples-remote-")
	for name, content := range exampleRemoteFiles {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	os.Chmod(root, 0o1777) // writable by the password test account too
	opts.SFTPArgs = []string{"-d", root}
	srv, err := sshd.Start(opts)
	if err != nil {
		log.Fatalf("cannot start the examples' sshd: %v", err)
	}
	x.mu.Lock()
	x.servers = append(x.servers, srv)
	x.mu.Unlock()
	return exampleServer{srv: srv, home: x.home(srv, true, key)}
}

// home makes a home directory for a user of srv: .ssh/known_hosts with srv's host keys when
// knownHosts is true, .ssh/id_ed25519 with the key srv accepts when key is true, and notes.txt.
func (x *exampleFixture) home(srv *sshd.Server, knownHosts, key bool) string {
	home := x.dir("go-libssh2-examples-home-")
	ssh := filepath.Join(home, ".ssh")
	if err := os.Mkdir(ssh, 0o700); err != nil {
		log.Fatal(err)
	}
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		if err == nil {
			err = os.WriteFile(to, b, 0o600)
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	if knownHosts {
		copyFile(srv.KnownHostsPath, filepath.Join(ssh, "known_hosts"))
	}
	if key {
		copyFile(srv.KeyPath, filepath.Join(ssh, "id_ed25519"))
	}
	if err := os.WriteFile(filepath.Join(home, "notes.txt"), []byte(exampleNotes), 0o644); err != nil {
		log.Fatal(err)
	}
	return home
}

// dir makes a directory that closeExamples removes.
func (x *exampleFixture) dir(prefix string) string {
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		log.Fatal(err)
	}
	x.mu.Lock()
	x.dirs = append(x.dirs, d)
	x.mu.Unlock()
	return d
}

// closeExamples stops the examples' servers and removes their directories; TestMain calls it.
func closeExamples() {
	x := &examples
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, s := range x.servers {
		s.Close()
	}
	for _, d := range x.dirs {
		os.RemoveAll(d)
	}
	x.servers, x.dirs = nil, nil
}
