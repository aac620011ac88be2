package libssh2_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// The same checks against every SSH server implementation the harness can start: OpenSSH's sshd
// (key login) and dropbear with OpenSSH's sftp-server (password login: dropbear reads authorized
// keys only from the account's home). A server that cannot be started fails the test.

type serverCase struct {
	name  string
	start func(t *testing.T) (*sshd.Server, *libssh2.Config)
	// lstatFollows: the server's LSTAT of a symbolic link describes the link's target (ProFTPD
	// mod_sftp 1.3.8 does), so the FileInfo is not a link. A documented difference, checked.
	lstatFollows bool
}

var serverCases = []serverCase{
	{"openssh", func(t *testing.T) (*sshd.Server, *libssh2.Config) { return srv, config(t, srv) }, false},
	{"dropbear", passwordServer("dropbear", sshd.StartDropbear), false},
	{"proftpd", passwordServer("proftpd", sshd.StartProFTPD), true},
}

// passwordServer starts a server with start for one test, logging in with the test account's
// password.
func passwordServer(name string, start func() (*sshd.Server, error)) func(t *testing.T) (*sshd.Server, *libssh2.Config) {
	return func(t *testing.T) (*sshd.Server, *libssh2.Config) {
		s, err := start()
		if err != nil {
			t.Fatalf("cannot start %s: %v", name, err)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s log:\n%s", name, s.Log())
			}
			s.Close()
		})
		cb, err := libssh2.KnownHosts(s.KnownHostsPath)
		if err != nil {
			t.Fatal(err)
		}
		return s, &libssh2.Config{User: s.PasswordUser, Auth: []libssh2.AuthMethod{libssh2.Password(s.Password)}, HostKeyCallback: cb}
	}
}

// TestServers runs uploads, downloads, metadata, directory, link and io/fs checks against each server.
func TestServers(t *testing.T) {
	for _, sc := range serverCases {
		t.Run(sc.name, func(t *testing.T) {
			s, cfg := sc.start(t)
			sess := dial(t, s, cfg)
			sf, err := sess.SFTP()
			if err != nil {
				t.Fatal(err)
			}
			root := path.Join(s.SFTPRoot, "servers-"+sc.name)
			if err := sf.MkdirAll(root, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(root) })
			data := make([]byte, 5<<20+17)
			rand.NewChaCha8([32]byte{31}).Read(data)

			// Uploads: Write and ReadFrom (io.Copy), checked on the server's disk.
			up := path.Join(root, "up.bin")
			f, err := sf.Create(up)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(data[:1<<20]); err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, bytes.NewReader(data[1<<20:])); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(up); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("uploaded file: %d bytes, %v; want the %d bytes written", len(got), err, len(data))
			}

			// Downloads: Read via io.ReadAll, WriteTo via io.Copy, ReadAt.
			g, err := sf.Open(up)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, g); err != nil || !bytes.Equal(buf.Bytes(), data) {
				t.Errorf("WriteTo: %d bytes, %v", buf.Len(), err)
			}
			p := make([]byte, 100000)
			if n, err := g.ReadAt(p, 3<<20); err != nil || !bytes.Equal(p[:n], data[3<<20:3<<20+n]) {
				t.Errorf("ReadAt = %d, %v", n, err)
			}
			if _, err := g.Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(struct{ io.Reader }{g}); err != nil || !bytes.Equal(got, data) {
				t.Errorf("Read: %d bytes, %v", len(got), err)
			}
			if fi, err := g.Stat(); err != nil || fi.Size() != int64(len(data)) {
				t.Errorf("File.Stat = %v, %v", fi, err)
			}
			g.Close()

			// Metadata.
			if err := sf.Chmod(up, 0o640); err != nil {
				t.Error(err)
			}
			if err := sf.Truncate(up, 1000); err != nil {
				t.Error(err)
			}
			mtime := time.Unix(1_600_000_000, 0) // after Truncate, which sets the mtime
			if err := sf.Chtimes(up, mtime, mtime); err != nil {
				t.Error(err)
			}
			fi, err := sf.Stat(up)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]any{fs.FileMode(0o640), int64(1000), mtime.Unix()}, []any{fi.Mode(), fi.Size(), fi.ModTime().Unix()}); diff != "" {
				t.Errorf("Stat after Chmod, Truncate, Chtimes (-want +got):\n%s", diff)
			}

			// Directories, fs.ErrExist, links.
			d := path.Join(root, "a/b/c")
			if err := sf.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := sf.MkdirAll(d, 0o755); err != nil {
				t.Errorf("MkdirAll of an existing directory: %v", err)
			}
			if err := sf.Mkdir(d, 0o755); !errors.Is(err, fs.ErrExist) {
				t.Errorf("Mkdir of an existing directory = %v, want fs.ErrExist", err)
			}
			if _, err := sf.OpenFile(up, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); !errors.Is(err, fs.ErrExist) {
				t.Errorf("exclusive create of an existing file = %v, want fs.ErrExist", err)
			}
			other := path.Join(root, "other")
			if err := os.WriteFile(other, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := sf.Rename(other, up); !errors.Is(err, fs.ErrExist) {
				t.Errorf("Rename onto an existing file = %v, want fs.ErrExist", err)
			}
			if err := sf.Rename(other, path.Join(root, "a/moved")); err != nil {
				t.Errorf("Rename: %v", err)
			}
			link := path.Join(root, "link")
			if err := sf.Symlink(up, link); err != nil {
				t.Errorf("Symlink: %v", err)
			} else if got, err := sf.Readlink(link); err != nil || got != up {
				t.Errorf("Readlink = %q, %v; want %q", got, err, up)
			} else if fi, err := sf.Lstat(link); err != nil || (fi.Mode()&fs.ModeSymlink != 0) == sc.lstatFollows {
				t.Errorf("Lstat of a link: mode %v, %v; this server's LSTAT follows links: %v", fi.Mode(), err, sc.lstatFollows)
			}
			// A relative target: some servers (ProFTPD) answer READLINK with an absolute path.
			rel := path.Join(root, "rel")
			if err := sf.Symlink("up.bin", rel); err != nil {
				t.Errorf("Symlink with a relative target: %v", err)
			}
			entries, err := sf.ReadDir(path.Join(root, "a"))
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if diff := cmp.Diff([]string{"b", "moved"}, names); err != nil || diff != "" {
				t.Errorf("ReadDir: %v (-want +got):\n%s", err, diff)
			}
			if err := sf.Remove(path.Join(root, "a/moved")); err != nil {
				t.Error(err)
			}
			if err := fstest.TestFS(sf.FS(path.Join(root, "a")), "b/c"); err != nil {
				t.Errorf("fstest: %v", err)
			}
			if err := sf.RemoveAll(path.Join(root, "a")); err != nil {
				t.Error(err)
			}
			if _, err := sf.Stat(path.Join(root, "a")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat after RemoveAll = %v, want fs.ErrNotExist", err)
			}
		})
	}
}
