package libssh2_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// TestEveryErrorIsError: the functions that work without a session (known_hosts files, key parsing,
// the host key checks) fail with an *Error too, as doc.go says of every error; a host key check's
// refusal wraps a *HostKeyError, and a session refused by one of them returns that *Error as it is
// (one "hostkey" in the message, not two).
func TestEveryErrorIsError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-known_hosts")
	pub, err := os.ReadFile(srv.KeyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := libssh2.ParsePublicKey(string(pub)) // the user's key, not the server's
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := libssh2.OpenKnownHosts(empty)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		err    error
		op     string
		target error // also matched by errors.Is, or nil
	}{
		{"OpenKnownHosts()", second(libssh2.OpenKnownHosts()), "knownhosts", nil},
		{"KnownHosts()", second(libssh2.KnownHosts()), "knownhosts", nil},
		{"KnownHosts(missing)", second(libssh2.KnownHosts(missing)), "knownhosts", fs.ErrNotExist},
		{"ParsePublicKey(junk)", second(libssh2.ParsePublicKey("not a key")), "parsepublickey", nil},
		{"KnownHostsDB.Check", db.Check(srv.Addr, nil, wrong), "hostkey", libssh2.ErrHostKeyUnknown},
		{"FixedHostKey", libssh2.FixedHostKey(wrong)(srv.Addr, nil, hostKey(t)), "hostkey", libssh2.ErrHostKeyMismatch},
		{"HostKeyFingerprint", libssh2.HostKeyFingerprint(libssh2.Fingerprint(wrong))(srv.Addr, nil, hostKey(t)), "hostkey", libssh2.ErrHostKeyMismatch},
	}
	for _, c := range cases {
		var e *libssh2.Error
		if !errors.As(c.err, &e) {
			t.Errorf("%s = %v (%T), want an *libssh2.Error", c.name, c.err, c.err)
			continue
		}
		if e.Op != c.op {
			t.Errorf("%s: Op %q, want %q", c.name, e.Op, c.op)
		}
		if c.target != nil && !errors.Is(c.err, c.target) {
			t.Errorf("%s = %v, want it to match %v", c.name, c.err, c.target)
		}
		if c.op == "hostkey" {
			var hk *libssh2.HostKeyError
			if !errors.As(c.err, &hk) || hk.Key == nil {
				t.Errorf("%s = %v, want it to wrap a *HostKeyError with the key", c.name, c.err)
			}
		}
	}

	// Through a session: the check's *Error is the one Dial returns.
	_, err = libssh2.Dial(context.Background(), "tcp", srv.Addr, hostKeyConfig(libssh2.FixedHostKey(wrong)))
	var e *libssh2.Error
	if !errors.As(err, &e) || e.Op != "hostkey" || !errors.Is(err, libssh2.ErrHostKeyMismatch) {
		t.Fatalf("Dial with a wrong fixed key = %v, want an *Error of op hostkey matching ErrHostKeyMismatch", err)
	}
	if n := strings.Count(err.Error(), "hostkey"); n != 1 {
		t.Errorf("Dial's error names hostkey %d times: %v", n, err)
	}
	// A callback of the caller's own is wrapped, once.
	mine := errors.New("my own refusal")
	_, err = libssh2.Dial(context.Background(), "tcp", srv.Addr, hostKeyConfig(func(string, net.Addr, libssh2.PublicKey) error { return mine }))
	if !errors.As(err, &e) || e.Op != "hostkey" || e.Err != mine {
		t.Errorf("Dial with a refusing callback = %v, want an *Error of op hostkey wrapping it", err)
	}
}

// second returns the error of a two-value call.
func second[T any](_ T, err error) error { return err }

// hostKey returns srv's ed25519 host key.
func hostKey(t *testing.T) libssh2.PublicKey {
	t.Helper()
	k, err := libssh2.ParsePublicKey("ssh-ed25519 " + b64(srv.HostKeys["ssh-ed25519"]))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestErrorNewPath: the errors of operations on two paths carry both, as os.LinkError does (Path
// the old name or the link's target, NewPath the new name or the link), whichever request failed,
// and show both; others have no NewPath.
func TestErrorNewPath(t *testing.T) {
	_, sf := openSFTP(t, srv)
	dir := testDir(t)
	a, b, missing := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "missing")
	for _, n := range []string{a, b} {
		if err := os.WriteFile(n, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name     string
		err      error
		op       string
		old, new string
		target   error
	}{
		{"Rename onto an existing file", sf.Rename(a, b), "rename", a, b, fs.ErrExist},
		{"Rename of a missing file", sf.Rename(missing, filepath.Join(dir, "c")), "rename", missing, filepath.Join(dir, "c"), fs.ErrNotExist},
		{"RenameWithFlags of a missing file", sf.RenameWithFlags(missing, b, libssh2.RenameNative), "rename", missing, b, fs.ErrNotExist},
		{"RenameContext to an empty name", sf.RenameContext(context.Background(), a, ""), "rename", a, "", nil},
		{"PosixRename of a missing file", sf.PosixRename(missing, b), "posixrename", missing, b, nil},
		{"Symlink onto an existing file", sf.Symlink(a, b), "symlink", a, b, nil},
	} {
		var e *libssh2.Error
		if !errors.As(c.err, &e) {
			t.Errorf("%s = %v, want an *libssh2.Error", c.name, c.err)
			continue
		}
		if e.Op != c.op || e.Path != c.old || e.NewPath != c.new {
			t.Errorf("%s = %v: Op %q Path %q NewPath %q, want %q %q %q", c.name, c.err, e.Op, e.Path, e.NewPath, c.op, c.old, c.new)
		}
		if c.target != nil && !errors.Is(c.err, c.target) {
			t.Errorf("%s = %v, want it to match %v", c.name, c.err, c.target)
		}
		if want := "libssh2: " + c.op + " " + c.old + " " + c.new; c.new != "" && !strings.HasPrefix(c.err.Error(), want+": ") {
			t.Errorf("%s = %q, want it to begin with %q", c.name, c.err.Error(), want)
		}
	}
	_, err := sf.Stat(missing)
	var e *libssh2.Error
	if !errors.As(err, &e) || e.Path != missing || e.NewPath != "" {
		t.Errorf("Stat of a missing file = %v, want Path %q and no NewPath", err, missing)
	}
	if got := (&libssh2.Error{Op: "rename", Path: "x", NewPath: "y", Offset: -1, Err: fs.ErrExist}).Error(); got != "libssh2: rename x y: file already exists" {
		t.Errorf("Error() = %q", got)
	}
}
