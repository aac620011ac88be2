package sshconfig

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sshG runs OpenSSH's own `ssh -G -F file host`, which prints the configuration ssh would use
// without connecting: the reference every case is checked against.
func sshG(t *testing.T, file, host string) (map[string][]string, bool) {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatalf("ssh (openssh-client) is needed as the reference: %v", err)
	}
	cmd := exec.Command("ssh", "-G", "-F", file, "--", host)
	cmd.Stdin = nil
	out, err := cmd.Output()
	if err != nil {
		return nil, false
	}
	got := map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok {
			got[k] = append(got[k], v)
		}
	}
	return got, true
}

// configCases are configuration files and the hosts looked up in each, all compared with ssh -G.
var configCases = []struct {
	name   string
	config string
	hosts  []string
}{
	{"first value wins", `
Host alias
  HostName 127.0.0.1
  Port 2200
  User first
Host *
  Port 22
  User second
  HostName other
`, []string{"alias", "ALIAS", "elsewhere"}},
	{"global lines first", `
Port 2022
User everyone
Host special
  Port 1
  User someone
`, []string{"special", "plain"}},
	{"wildcards and negation", `
Host *.example.com !secret.example.com
  User wild
Host web?? db-*
  Port 4000
Host secret.*
  User secretive
`, []string{"a.example.com", "secret.example.com", "web01", "web1", "db-", "db-main", "example.com"}},
	{"negation alone never matches", `
Host !foo
  User neg
Host *
  User all
`, []string{"foo", "bar"}},
	{"case of patterns and keywords", `
HOST Mixed
  PORT 7
host mixed
  hostname=lower.example
  pOrT = 8
`, []string{"mixed", "MIXED", "Mixed"}},
	{"separators, quotes and comments", `
Host q
  HostName	"quoted host"   # a comment
  User=equals
  IdentityFile "/path with/spaces"
  IdentityFile '/single quoted'
  IdentityFile /escaped\ space
  Port=2022
`, []string{"q"}},
	{"identity files accumulate", `
Host a
  IdentityFile /k/one
Host *
  IdentityFile /k/two
  IdentityFile /k/%h-%r
`, []string{"a", "b"}},
	{"known hosts files: first line wins whole", `
Host a
  UserKnownHostsFile /kh/one /kh/two
Host *
  UserKnownHostsFile /kh/three
`, []string{"a", "b"}},
	{"HostName with %h", `
Host *.short
  HostName %h.long.example
Host pct
  HostName a%%b
Host Upper
  HostName ABC.Example
`, []string{"x.short", "X.short", "pct", "Upper", "upper"}},
	{"Match blocks", `
Match all
  Port 3000
Host a
  Port 1
`, []string{"a"}},
	{"service name port", `
Host a
  Port ssh
`, []string{"a"}},
	{"CRLF and form feeds", "Host crlf\r\n  Port 2345\r\n  User windows\f\r\n", []string{"crlf"}},
	{"blank and comment lines", "\n# a comment\n   \n\t# indented comment\nHost c\n\n  User u\n", []string{"c", "d"}},
}

func TestAgainstOpenSSH(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, tc := range configCases {
		file := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(file, []byte(tc.config), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, host := range tc.hosts {
			t.Run(tc.name+"/"+host, func(t *testing.T) {
				ref, ok := sshG(t, file, host)
				if !ok {
					t.Fatalf("ssh -G refused the configuration:\n%s", tc.config)
				}
				h, err := Parse(file, []byte(tc.config), host)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				// What ssh prints when nothing is set.
				hostName, err := ExpandHostName(h.HostName, host)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string][]string{
					"hostname": {hostName},
					"port":     {strconv.Itoa(h.Port)},
					"user":     {h.User},
				}
				if h.Port == 0 {
					got["port"] = []string{"22"}
				}
				if h.User == "" {
					got["user"] = []string{u.Username}
				}
				want := map[string][]string{"hostname": ref["hostname"], "port": ref["port"], "user": ref["user"]}
				if len(h.IdentityFiles) > 0 {
					got["identityfile"] = h.IdentityFiles
					want["identityfile"] = ref["identityfile"]
				}
				if len(h.UserKnownHostsFiles) > 0 {
					// ssh -G prints them expanded, split at spaces.
					var files []string
					for _, f := range h.UserKnownHostsFiles {
						e, err := Expand(f, map[byte]string{'h': got["hostname"][0], 'p': got["port"][0], 'r': got["user"][0]}, "")
						if err != nil {
							t.Fatal(err)
						}
						files = append(files, e)
					}
					got["userknownhostsfile"] = []string{strings.Join(files, " ")}
					want["userknownhostsfile"] = ref["userknownhostsfile"]
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("for %q (-ssh -G +Parse):\n%s\nconfig:\n%s", host, diff, tc.config)
				}
			})
		}
	}
}

// TestErrorsAsOpenSSH: every file ssh refuses is refused, with the line, and the near misses it
// accepts are accepted.
func TestErrorsAsOpenSSH(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range []struct {
		config  string
		refused bool
		says    string
	}{
		{"Port 0\n", true, "bad port"},
		{"Port 70000\n", true, "bad port"},
		{"Port 0x16\n", true, "bad port"},
		{"Port +22\n", false, ""},
		{"Host a\n  Port\n", true, "line 2: no argument after keyword"},
		{"Host\n", true, "no argument"},
		{"Host \"\"\n", true, "empty argument"},
		{"Host !\nPort 5\n", false, ""},
		{"Host a\nHostName a b\n", true, "extra arguments"},
		{"User a b\n", true, "extra arguments"},
		{"IdentityFile a b\n", true, "extra arguments"},
		{"HostName \"unterminated\n", true, "invalid quotes"},
		{"Compression yes\nPort 22\n", false, ""}, // a keyword this package does not use
		{"Port 22 # comment\n", false, ""},
	} {
		file := filepath.Join(dir, "e"+strconv.Itoa(i))
		if err := os.WriteFile(file, []byte(tc.config), 0o600); err != nil {
			t.Fatal(err)
		}
		_, sshOK := sshG(t, file, "a")
		if sshOK == tc.refused {
			t.Errorf("%q: ssh -G accepts it: %v; the table says refused: %v", tc.config, sshOK, tc.refused)
		}
		_, err := Parse(file, []byte(tc.config), "a")
		switch {
		case tc.refused && err == nil:
			t.Errorf("%q: Parse accepted what ssh refuses", tc.config)
		case tc.refused && !strings.Contains(err.Error(), tc.says):
			t.Errorf("%q: Parse: %v; want it to say %q", tc.config, err, tc.says)
		case !tc.refused && err != nil:
			t.Errorf("%q: Parse: %v; ssh accepts it", tc.config, err)
		}
	}
}

// TestInclude: Include reads files in place (globs, relative to ~/.ssh), a Host line inside them
// does not change the including block, and includes inside a block that does not apply do not
// apply; a file that includes itself is refused.
func TestInclude(t *testing.T) {
	home := t.TempDir()
	ssh := filepath.Join(home, ".ssh")
	write := func(name, text string) string {
		p := filepath.Join(ssh, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("conf.d/10-a", "Host a\n  Port 1010\n  User from-include\n")
	write("conf.d/20-b", "Port 2020\nHost zzz\n")
	write("other", "User other-user\n")
	main := write("config", `Include conf.d/*
Host b
  Include other
  Port 3030
Host a b
  HostName included.example
Host c
  Include conf.d/10-a
`)
	for _, tc := range []struct {
		host string
		want Host
	}{
		// conf.d/20-b sets Port 2020 for every host but a (conf.d/10-a comes first, and its Port
		// wins); its "Host zzz" ends the block only inside the included file. For c, the Host a
		// line inside conf.d/10-a cannot match: it is included from c's block.
		{"a", Host{Port: 1010, User: "from-include", HostName: "included.example"}},
		{"b", Host{Port: 2020, User: "other-user", HostName: "included.example"}},
		{"c", Host{Port: 2020}},
	} {
		got, err := Lookup(main, tc.host, home)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", tc.host, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Lookup(%q) (-want +got):\n%s", tc.host, diff)
		}
		// ssh agrees (its Include is relative to its own ~/.ssh, so give it absolute paths).
		abs := strings.NewReplacer("Include other", "Include "+filepath.Join(ssh, "other"),
			"Include conf.d/", "Include "+filepath.Join(ssh, "conf.d")+"/").Replace(readFile(t, main))
		absFile := filepath.Join(home, "abs-config")
		if err := os.WriteFile(absFile, []byte(abs), 0o600); err != nil {
			t.Fatal(err)
		}
		ref, ok := sshG(t, absFile, tc.host)
		if !ok {
			t.Fatalf("ssh -G refused:\n%s", abs)
		}
		if ref["port"][0] != strconv.Itoa(tc.want.Port) {
			t.Errorf("ssh -G says port %v for %q, the table %d", ref["port"], tc.host, tc.want.Port)
		}
	}
	if _, err := Lookup(filepath.Join(home, "missing"), "a", home); err != nil {
		t.Errorf("a missing file: %v, want nothing said", err)
	}
	loop := write("loop", "Include loop\n")
	if _, err := Lookup(loop, "a", home); err == nil || !strings.Contains(err.Error(), "too many recursive") {
		t.Errorf("a file that includes itself: %v", err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExpand(t *testing.T) {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[byte]string{'h': "host.example", 'p': "2222", 'r': "remote", 'u': "local", 'd': "/home/local", 'n': "alias"}
	for _, tc := range []struct{ in, want, err string }{
		{"~/.ssh/id", "/home/me/.ssh/id", ""},
		{"~", "/home/me", ""},
		{"~" + u.Username + "/x", filepath.Join(u.HomeDir, "x"), ""},
		{"~no-such-user-here/x", "", "no user"},
		{"/k/%h_%p_%r_%u_%n", "/k/host.example_2222_remote_local_alias", ""},
		{"%d/.ssh/id_%r", "/home/local/.ssh/id_remote", ""},
		{"100%%", "100%", ""},
		{"/k/%C", "", "unknown token %C"},
		{"/k/%", "", "lone %"},
		{"/plain", "/plain", ""},
		{"a~b", "a~b", ""},
	} {
		got, err := Expand(tc.in, tokens, "/home/me")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Expand(%q) = %q, %v; want an error saying %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		s, p string
		want bool
	}{
		{"abc", "abc", true}, {"abc", "a*", true}, {"abc", "*c", true}, {"abc", "a?c", true},
		{"abc", "a?", false}, {"", "*", true}, {"", "", true}, {"a", "", false}, {"abc", "*b*", true},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*a*a*c", false},
		{"*0", "*", true}, {"a*b", "a*b", true}, {"a?", "a?", true}, {"web01", "web??", true}, {"web1", "web??", false}, {"x.y", "*.*", true},
	} {
		if got := match(tc.s, tc.p); got != tc.want {
			t.Errorf("match(%q, %q) = %v, want %v", tc.s, tc.p, got, tc.want)
		}
	}
}

// FuzzParse: no input makes Parse panic; a port it returns is a port; and values set by the file
// cannot be changed by lines after it (the first obtained value wins), nor can lines after it
// remove an identity file.
func FuzzParse(f *testing.F) {
	for _, tc := range configCases {
		f.Add(tc.config, tc.hosts[0])
	}
	for _, s := range []string{"Host \"", "Port=", "=", "Host !a a", "Include x", "Match all\nPort 1", "Host *\n\tUser '\\'x'"} {
		f.Add(s, "a")
	}
	f.Fuzz(func(t *testing.T, config, host string) {
		h, err := Parse("fuzz", []byte(config), host)
		if err != nil {
			return
		}
		if h.Port < 0 || h.Port > 65535 {
			t.Fatalf("port %d", h.Port)
		}
		more := config + "\nHost *\n  HostName later.example\n  Port 1\n  User later\n  IdentityFile /later\n  UserKnownHostsFile /later\n"
		h2, err := Parse("fuzz", []byte(more), host)
		if err != nil {
			t.Fatalf("valid lines appended to a valid file made it invalid: %v", err)
		}
		check := func(what string, before, after any, unset bool) {
			if !unset && !cmp.Equal(before, after) {
				t.Fatalf("%s %v changed to %v by lines after it", what, before, after)
			}
		}
		check("HostName", h.HostName, h2.HostName, h.HostName == "")
		check("Port", h.Port, h2.Port, h.Port == 0)
		check("User", h.User, h2.User, h.User == "")
		check("UserKnownHostsFile", h.UserKnownHostsFiles, h2.UserKnownHostsFiles, h.UserKnownHostsFiles == nil)
		if len(h2.IdentityFiles) != len(h.IdentityFiles)+1 || !slices.Equal(h.IdentityFiles, h2.IdentityFiles[:len(h.IdentityFiles)]) {
			t.Fatalf("identity files %q became %q", h.IdentityFiles, h2.IdentityFiles)
		}
	})
}

// slowMatch is the plain recursive definition of match, for FuzzMatch.
func slowMatch(s, p string) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		return slowMatch(s, p[1:]) || s != "" && slowMatch(s[1:], p)
	}
	return s != "" && (p[0] == '?' || p[0] == s[0]) && slowMatch(s[1:], p[1:])
}

// FuzzMatch compares match with its plain recursive definition.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"abc", "a*c"}, {"*0", "*"}, {"", "**"}, {"a?b", "?\\?*"}, {"web01", "web??"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, p string) {
		if len(s) > 24 || len(p) > 12 { // the recursive definition is exponential
			return
		}
		if got, want := match(s, p), slowMatch(s, p); got != want {
			t.Fatalf("match(%q, %q) = %v, want %v", s, p, got, want)
		}
	})
}
