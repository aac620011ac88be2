package libssh2_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/seed191f4051/go-libssh2/libssh2"
	"golang.org/x/crypto/ssh"
)

// keygenFinds reports whether OpenSSH's ssh-keygen -F finds name in file, as ssh would look it up.
func keygenFinds(t *testing.T, file, name string) bool {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-F", name, "-f", file).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); ok {
			return false
		}
		t.Fatalf("ssh-keygen -F: %v\n%s", err, out)
	}
	return strings.Contains(string(out), "Host "+name+" found")
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestAppendKnownHost(t *testing.T) {
	keys := newKeys(t)
	ed := mustKey(t, keyLine(keys["ssh-ed25519"]))
	ec := mustKey(t, keyLine(keys["ecdsa-sha2-nistp256"]))

	t.Run("missing file and directories, hashed", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "home", ".ssh")
		file := filepath.Join(dir, "known_hosts")
		if err := libssh2.AppendKnownHost(file, "Example.COM:2222", ed, nil); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, file); m != 0o600 {
			t.Errorf("known_hosts mode %v, want 0600", m)
		}
		for _, d := range []string{dir, filepath.Dir(dir)} {
			if m := mode(t, d); m != 0o700 {
				t.Errorf("%s mode %v, want 0700", d, m)
			}
		}
		b, _ := os.ReadFile(file)
		if !strings.HasPrefix(string(b), "|1|") || strings.Contains(strings.ToLower(string(b)), "example") || strings.Count(string(b), "\n") != 1 {
			t.Errorf("want one hashed line; file:\n%s", b)
		}
		if !keygenFinds(t, file, "[example.com]:2222") {
			t.Errorf("ssh-keygen -F [example.com]:2222 does not find the entry:\n%s", b)
		}
		if keygenFinds(t, file, "example.com") {
			t.Errorf("ssh-keygen -F example.com finds the port-2222 entry")
		}
		db, err := libssh2.OpenKnownHosts(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Check("example.com:2222", nil, ed); err != nil {
			t.Errorf("Check after AppendKnownHost: %v", err)
		}
	})

	t.Run("plain, port 22 and others", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "known_hosts")
		plain := &libssh2.AppendKnownHostOptions{Plain: true}
		for _, h := range []string{"Host.Example:22", "host.example:2222", "[::1]:22", "[::1]:2200"} {
			if err := libssh2.AppendKnownHost(file, h, ed, plain); err != nil {
				t.Fatalf("AppendKnownHost(%s): %v", h, err)
			}
		}
		b, _ := os.ReadFile(file)
		k := keyLine(ed.Marshal())
		want := "host.example " + k + "\n[host.example]:2222 " + k + "\n::1 " + k + "\n[::1]:2200 " + k + "\n"
		if string(b) != want {
			t.Errorf("file:\n%s\nwant:\n%s", b, want)
		}
		for _, name := range []string{"host.example", "[host.example]:2222", "::1", "[::1]:2200"} {
			if !keygenFinds(t, file, name) {
				t.Errorf("ssh-keygen -F %s does not find its entry", name)
			}
		}
	})

	t.Run("last line without a newline", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "known_hosts")
		first := "first.example " + keyLine(ec.Marshal()) // no newline at the end
		if err := os.WriteFile(file, []byte(first), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := libssh2.AppendKnownHost(file, "second.example:22", ed, nil); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(file)
		lines := strings.Split(string(b), "\n")
		if len(lines) != 3 || lines[0] != first || !strings.HasPrefix(lines[1], "|1|") || lines[2] != "" {
			t.Errorf("want the first line intact, then the new one:\n%q", b)
		}
		if m := mode(t, file); m != 0o644 {
			t.Errorf("an existing file's mode changed to %v", m)
		}
		db, err := libssh2.OpenKnownHosts(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Check("first.example:22", nil, ec); err != nil {
			t.Errorf("the first host's entry after the append: %v", err)
		}
		if err := db.Check("second.example:22", nil, ed); err != nil {
			t.Errorf("the appended entry: %v", err)
		}
	})

	t.Run("names that cannot be recorded", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "known_hosts")
		for _, h := range []string{"a b:22", "a,b:22", "*.example:22", "!x:22", ":22", "#x:22"} {
			if err := libssh2.AppendKnownHost(file, h, ed, nil); err == nil {
				t.Errorf("AppendKnownHost(%q) succeeded", h)
			}
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Errorf("a refused append left a file (%v)", err)
		}
	})
}

// TestAppendKnownHostConcurrent: many appends at once, to a file whose last line lacks its newline,
// leave every entry whole and findable.
func TestAppendKnownHostConcurrent(t *testing.T) {
	keys := newKeys(t)
	ed := mustKey(t, keyLine(keys["ssh-ed25519"]))
	file := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(file, []byte("first.example "+keyLine(ed.Marshal())), 0o600); err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- libssh2.AppendKnownHost(file, fmt.Sprintf("h%d-%d.example:2222", w, i), ed, nil)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(file)
	entries := 0
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		entries++
		if _, _, _, _, _, err := ssh.ParseKnownHosts([]byte(line)); err != nil {
			t.Errorf("a broken line %q: %v", line, err)
		}
	}
	if entries != writers*each+1 {
		t.Errorf("%d entries, want %d", entries, writers*each+1)
	}
	db, err := libssh2.OpenKnownHosts(file)
	if err != nil {
		t.Fatal(err)
	}
	for w := range writers {
		for i := range each {
			if err := db.Check(fmt.Sprintf("h%d-%d.example:2222", w, i), nil, ed); err != nil {
				t.Errorf("entry %d-%d: %v", w, i, err)
			}
		}
	}
	if err := db.Check("first.example:22", nil, ed); err != nil {
		t.Errorf("the first entry: %v", err)
	}
}
