// Package exampletest helps the examples' tests: it builds an example's binary, and makes a HOME
// directory whose .ssh holds what a user of the test sshd would have, so that the real ~/.ssh is
// never read or changed.
package exampletest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
)

// goTool returns the go command that runs the tests.
func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// Build builds the main package in dir (relative to the test's package directory) and returns the
// binary's path, in a directory removed when the test ends.
func Build(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(mustAbs(t, dir)))
	if err := BuildTo(dir, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// BuildTo builds the main package in dir into the binary out, with the go command running the
// tests; for a TestMain, which has no testing.TB.
func BuildTo(dir, out string) error {
	cmd := exec.Command(goTool(), "build", "-o", out, ".")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", dir, err, b)
	}
	return nil
}

func mustAbs(t testing.TB, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Home makes a HOME directory for a user of srv: .ssh/known_hosts with srv's host keys when
// knownHosts is true, and .ssh/id_ed25519 with srv's user key when key is true.
func Home(t testing.TB, srv *sshd.Server, knownHosts, key bool) string {
	t.Helper()
	home := t.TempDir()
	ssh := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(ssh, 0o700); err != nil {
		t.Fatal(err)
	}
	if knownHosts {
		copyFile(t, srv.KnownHostsPath, filepath.Join(ssh, "known_hosts"))
	}
	if key {
		copyFile(t, srv.KeyPath, filepath.Join(ssh, "id_ed25519"))
		copyFile(t, srv.KeyPath+".pub", filepath.Join(ssh, "id_ed25519.pub"))
	}
	return home
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Env returns an environment for an example run with HOME at home and no ssh-agent, so that
// nothing of the real user's leaks in; sftpput's global known_hosts file is home/ssh_known_hosts
// (absent unless a test writes it) instead of the machine's /etc/ssh/ssh_known_hosts.
func Env(home string, extra ...string) []string {
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C",
		"SFTPPUT_GLOBAL_KNOWN_HOSTS=" + filepath.Join(home, "ssh_known_hosts")}
	if u := os.Getenv("USER"); u != "" {
		env = append(env, "USER="+u)
	}
	return append(env, extra...)
}

// RandomFile writes a file of size pseudo-random bytes (fixed by seed) and returns its path.
func RandomFile(t testing.TB, dir, name string, size int64, seed byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.NewChaCha8([32]byte{seed}), size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// SHA256 returns the hex SHA-256 of a local file.
func SHA256(t testing.TB, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// CheckFaithful runs the faithful example built from dir (sftp_write and its two variants) against
// a fresh test sshd, once with the user key and once with a password, and checks that the file on
// the server has the local file's SHA-256. For the non-blocking ones, it checks that they met
// ErrWouldBlock and waited: they talk to the server through a proxy that delays its replies, so
// that libssh2 cannot find an acknowledgement already waiting after it sends, and must say EAGAIN.
func CheckFaithful(t *testing.T, dir string, nonblocking bool) {
	bin := Build(t, dir)
	name := filepath.Base(bin)
	srv := sshd.StartT(t, sshd.Options{Password: true})
	addr, knownHosts := srv.Addr, srv.KnownHostsPath
	if nonblocking {
		proxy := tcpproxy.StartT(t, srv.Addr, tcpproxy.ReplyDelay(20*time.Millisecond))
		addr, knownHosts = proxy.Addr, KnownHostsFor(t, srv, proxy.Addr)
	}
	local := RandomFile(t, t.TempDir(), "local.bin", 5<<20+12345, 7)
	want := SHA256(t, local)
	for _, tc := range []struct{ name, user, secret string }{
		{"key", srv.User, srv.KeyPath},
		{"password", srv.PasswordUser, srv.Password},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remote := srv.Path(name + "-" + tc.name + ".bin")
			cmd := exec.Command(bin, addr, tc.user, tc.secret, local, remote, knownHosts)
			cmd.Env = Env(t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, out)
			}
			got, err := srv.SHA256(remote)
			if err != nil {
				t.Fatalf("the uploaded file: %v\noutput:\n%s", err, out)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SHA-256 of the remote file (-local +remote):\n%s\noutput:\n%s", diff, out)
			}
			for _, line := range []string{"Fingerprint: ", "all done"} {
				if !strings.Contains(string(out), line) {
					t.Errorf("output lacks %q:\n%s", line, out)
				}
			}
			if nonblocking {
				// The non-blocking path must really have been taken: EAGAIN, then WaitSocket.
				m := regexp.MustCompile(`would have blocked (\d+) times`).FindStringSubmatch(string(out))
				if m == nil || m[1] == "0" {
					t.Errorf("the non-blocking example never waited on the socket:\n%s", out)
				}
			}
		})
	}
	t.Run("unknown host", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		remote := srv.Path(name + "-refused.bin")
		cmd := exec.Command(bin, addr, srv.User, srv.KeyPath, local, remote, empty)
		cmd.Env = Env(t.TempDir())
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("succeeded with an empty known_hosts:\n%s", out)
		}
		if !strings.Contains(string(out), "is unknown") {
			t.Errorf("output does not say the host key is unknown:\n%s", out)
		}
		if _, err := os.Stat(remote); !os.IsNotExist(err) {
			t.Errorf("the remote file exists after a refused host key (%v)", err)
		}
	})
}

// KnownHostsFor writes a known_hosts file that lists srv's host keys for addr ("host:port"), such as
// a proxy's address in front of srv, and returns its path.
func KnownHostsFor(t testing.TB, srv *sshd.Server, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for typ, blob := range srv.HostKeys {
		fmt.Fprintf(&b, "[%s]:%s %s %s\n", host, port, typ, base64.StdEncoding.EncodeToString(blob))
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
