package main

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDest(t *testing.T) {
	for _, tc := range []struct {
		arg              string
		isRemote         bool
		user, host, path string
		err              string
	}{
		{"host:path", true, "", "host", "path", ""},
		{"me@host:/abs/path", true, "me", "host", "/abs/path", ""},
		{"me@host:", true, "me", "host", "", ""},
		{"a@b@host:x", true, "a@b", "host", "x", ""},
		{"host:with:colons", true, "", "host", "with:colons", ""},
		{"host:x@y", true, "", "host", "x@y", ""},
		{"[::1]:file", true, "", "::1", "file", ""},
		{"me@[fe80::1%eth0]:f", true, "me", "fe80::1%eth0", "f", ""},
		{"./a:b", false, "", "", "", ""},
		{"dir/a:b", false, "", "", "", ""},
		{"plain", false, "", "", "", "a colon is missing"},
		{":x", false, "", "", "", "no host"},
		{"me@:x", true, "", "", "", "no host"},
		{"[::1", false, "", "", "", "want [user@]host:REMOTE"},
	} {
		if got := isRemote(tc.arg); got != tc.isRemote {
			t.Errorf("isRemote(%q) = %v, want %v", tc.arg, got, tc.isRemote)
		}
		if !tc.isRemote && tc.err == "" {
			continue
		}
		u, h, r, err := parseDest(tc.arg)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseDest(%q) = %q %q %q, %v; want an error saying %q", tc.arg, u, h, r, err, tc.err)
			}
			continue
		}
		if err != nil || u != tc.user || h != tc.host || r != tc.path {
			t.Errorf("parseDest(%q) = %q %q %q, %v; want %q %q %q", tc.arg, u, h, r, err, tc.user, tc.host, tc.path)
		}
	}
}

func TestRemotePath(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"~", ".", ""}, {"~/", "./", ""}, {"~/x/y", "x/y", ""}, {"~//x", "x", ""}, {"/abs/~", "/abs/~", ""},
		{"rel", "rel", ""}, {"", "", ""}, {"a~b", "a~b", ""},
		{"~root", "", "~user is not supported"}, {"~root/x", "", "~user is not supported"},
	} {
		got, err := remotePath(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("remotePath(%q) = %q, %v; want an error saying %q", tc.in, got, err, tc.err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("remotePath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzTarget: for any argument, isRemote and parseDest never panic, a parsed target formats back to
// one that parses the same, and remotePath keeps a path under ~ under the login directory.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{"host:path", "me@host:", "[::1]:f", "a@b@h:x", "./a:b", ":x", "me@:x", "[", "[]:x", "h:~", "h:~/x", "h:~u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		u, h, r, err := parseDest(arg)
		if err != nil {
			return
		}
		if h == "" {
			t.Fatalf("parseDest(%q): no host, no error", arg)
		}
		if !isRemote(arg) {
			return // such as dir/a:b, which parses but scp takes for a local name
		}
		again := r
		host := h
		if strings.Contains(h, ":") || strings.HasPrefix(h, "[") {
			host = "[" + h + "]"
		}
		formatted := host + ":" + again
		if u != "" {
			formatted = u + "@" + formatted
		}
		u2, h2, r2, err := parseDest(formatted)
		if err != nil || u2 != u || h2 != h || r2 != r {
			t.Fatalf("%q -> %q %q %q -> %q -> %q %q %q, %v", arg, u, h, r, formatted, u2, h2, r2, err)
		}
		// A path under ~ stays under the login directory: relative, never from the root.
		p, err := remotePath(r)
		switch {
		case err != nil:
			if !strings.HasPrefix(r, "~") || r == "~" || strings.HasPrefix(r, "~/") {
				t.Fatalf("remotePath(%q): %v", r, err)
			}
		case strings.HasPrefix(r, "~") && strings.HasPrefix(p, "/"):
			t.Fatalf("remotePath(%q) = %q: from the root, not the login directory", r, p)
		case !strings.HasPrefix(r, "~") && p != r:
			t.Fatalf("remotePath(%q) = %q: changed a path without ~", r, p)
		}
	})
}

func TestRSAHint(t *testing.T) {
	rsa := []string{"/k/id_rsa"}
	for _, tc := range []struct {
		offered, rsa []string
		version      string
		want         bool
	}{
		{[]string{"publickey"}, rsa, "1.10.0", true},
		{[]string{"publickey", "password"}, rsa, "1.9.0", true},
		{[]string{"publickey"}, rsa, "1.11.0", false},
		{[]string{"publickey"}, rsa, "1.11.1", false},
		{[]string{"publickey"}, rsa, "2.0.0", false},
		{[]string{"publickey"}, nil, "1.10.0", false},
		{[]string{"password"}, rsa, "1.10.0", false},
		{[]string{"publickey"}, rsa, "garbage", false},
	} {
		h := rsaHint(tc.offered, tc.rsa, tc.version)
		if (h != "") != tc.want {
			t.Errorf("rsaHint(%q, %q, %q) = %q; want a hint: %v", tc.offered, tc.rsa, tc.version, h, tc.want)
		}
		if h != "" && (!strings.Contains(h, "ssh-rsa (SHA-1)") || !strings.Contains(h, "libssh2 "+tc.version) || !strings.Contains(h, "/k/id_rsa")) {
			t.Errorf("the hint does not name ssh-rsa, SHA-1, the version and the key: %q", h)
		}
	}
}

func TestSafeName(t *testing.T) {
	for name, want := range map[string]bool{
		"file": true, "with space": true, ".hidden": true, "..dots": true,
		"": false, ".": false, "..": false, "../x": false, "a/b": false, "/abs": false, "nul\x00": false,
	} {
		if got := safeName(name); got != want {
			t.Errorf("safeName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestResolveTarget: command-line flags win over ssh_config, which wins over the defaults; -F none
// reads no file.
func TestResolveTarget(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	ssh := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(ssh, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id_ed25519", "id_rsa", "named"} {
		if err := os.WriteFile(filepath.Join(ssh, k), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config := "Host alias\n  HostName Real.Example\n  Port 2200\n  User cfguser\n  IdentityFile ~/.ssh/named\n  IdentityFile ~/.ssh/absent\n  UserKnownHostsFile ~/kh/%h-%p-%r\nHost nokh\n  UserKnownHostsFile none\n"
	if err := os.WriteFile(filepath.Join(ssh, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    options
		want target
	}{
		{"config", options{host: "alias"},
			target{host: "real.example", port: 2200, user: "cfguser", keys: []string{filepath.Join(ssh, "named")}, explicit: true,
				knownHosts: filepath.Join(home, "kh", "real.example-2200-cfguser")}},
		{"flags win", options{host: "alias", port: 2222, portSet: true, user: "me", identity: filepath.Join(ssh, "id_rsa")},
			target{host: "real.example", port: 2222, user: "me", keys: []string{filepath.Join(ssh, "id_rsa")}, explicit: true,
				knownHosts: filepath.Join(home, "kh", "real.example-2222-me")}},
		{"defaults", options{host: "Other"},
			target{host: "other", port: 22, user: me.Username, keys: []string{filepath.Join(ssh, "id_ed25519"), filepath.Join(ssh, "id_rsa")},
				knownHosts: filepath.Join(ssh, "known_hosts")}},
		{"-F none", options{host: "alias", config: "none"},
			target{host: "alias", port: 22, user: me.Username, keys: []string{filepath.Join(ssh, "id_ed25519"), filepath.Join(ssh, "id_rsa")},
				knownHosts: filepath.Join(ssh, "known_hosts")}},
		{"UserKnownHostsFile none", options{host: "nokh"},
			target{host: "nokh", port: 22, user: me.Username, keys: []string{filepath.Join(ssh, "id_ed25519"), filepath.Join(ssh, "id_rsa")},
				knownHosts: os.DevNull}},
	} {
		got, err := resolveTarget(&tc.o)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, *got, cmp.AllowUnexported(target{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
