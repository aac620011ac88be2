package libssh2_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
	"github.com/seed191f4051/go-libssh2/libssh2"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Host key decisions, as the table test names them.
const (
	accept  = "accept"
	unknown = "unknown"
	changed = "changed"
	revoked = "revoked"
)

// keyLine returns "type base64" for a public key blob.
func keyLine(blob []byte) string {
	k, err := ssh.ParsePublicKey(blob)
	if err != nil {
		panic(err)
	}
	return k.Type() + " " + base64.StdEncoding.EncodeToString(blob)
}

// newKeys makes throw-away public keys of the types the tests use ("ssh-ed25519",
// "ecdsa-sha2-nistp256"), none of them any server's.
func newKeys(t testing.TB) map[string][]byte {
	t.Helper()
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]byte{}
	for _, pub := range []any{edPriv.Public(), ecPriv.Public()} {
		k, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		keys[k.Type()] = k.Marshal()
	}
	return keys
}

// hostFacts are what a known_hosts case is written from: the names ssh looks the server up by,
// and the server's and other keys as "type base64".
type hostFacts struct {
	host, hp   string // "127.0.0.1" and "[127.0.0.1]:port"
	port       int
	ed, ec     string // the server's own ed25519 and ECDSA keys
	wed, wec   string // other ed25519 and ECDSA keys
	caKey      string // a key that signs nothing here
	otherPort  int    // a port no server of the test listens on
	longPrefix string // a 16 KiB host pattern list for other hosts
}

// knownHostsCase is one row of the table: the known_hosts files a user has and the server the
// client connects to.
type knownHostsCase struct {
	name   string
	server *sshd.Server
	host   string // what the client connects to; default 127.0.0.1
	user   func(f hostFacts) string
	global func(f hostFacts) string // the global known_hosts file, when set
	// prepare turns the written user file into the final one (ssh-keygen -H, AppendKnownHost).
	prepare func(t *testing.T, f hostFacts, file string)
}

// sshDecides runs OpenSSH's ssh against the case's server with the case's known_hosts files and
// classifies what it did; it also returns the fingerprint of the host key the server showed it.
func sshDecides(t *testing.T, srv *sshd.Server, host, userFile, globalFile string) (decision, fingerprint, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", "-v", "-F", "/dev/null", "-n", "-T",
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile="+userFile, "-o", "GlobalKnownHostsFile="+globalFile,
		"-o", "UpdateHostKeys=no", "-o", "CheckHostIP=no", "-o", "HashKnownHosts=no",
		"-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "PasswordAuthentication=no",
		"-o", "KbdInteractiveAuthentication=no", "-o", "ConnectTimeout=10",
		"-i", srv.KeyPath, "-p", strconv.Itoa(srv.Port), srv.User+"@"+host, "true")
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LANG=C"}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	stderr = errb.String()
	if m := regexp.MustCompile(`Server host key: \S+ (SHA256:\S+)`).FindStringSubmatch(stderr); m != nil {
		fingerprint = m[1]
	}
	switch {
	case err == nil:
		return accept, fingerprint, stderr
	case strings.Contains(stderr, "REVOKED HOST KEY DETECTED"):
		return revoked, fingerprint, stderr
	case strings.Contains(stderr, "REMOTE HOST IDENTIFICATION HAS CHANGED"):
		return changed, fingerprint, stderr
	case regexp.MustCompile(`No \S+ host key is known for`).MatchString(stderr):
		return unknown, fingerprint, stderr
	}
	t.Fatalf("ssh neither accepted nor refused the host key (%v); stderr:\n%s", err, stderr)
	return "", "", ""
}

// bindingDecides dials the server as a user of the package would, with OpenKnownHosts over the same
// files for both the check and the host key order, and classifies the result by its typed errors.
func bindingDecides(t *testing.T, srv *sshd.Server, host string, files ...string) (decision, fingerprint string, err error) {
	t.Helper()
	db, err := libssh2.OpenKnownHosts(files...)
	if err != nil {
		t.Fatalf("OpenKnownHosts: %v", err)
	}
	var shown libssh2.PublicKey
	cfg := &libssh2.Config{
		User: srv.User,
		Auth: []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.KeyPath, "")},
		HostKeyCallback: func(hostname string, remote net.Addr, key libssh2.PublicKey) error {
			shown = key
			return db.Check(hostname, remote, key)
		},
		KnownHostKeyTypes: db.KeyTypes,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(srv.Port)), cfg)
	if shown != nil {
		fingerprint = libssh2.Fingerprint(shown)
	}
	var hk *libssh2.HostKeyError
	switch {
	case err == nil:
		sess.Close()
		return accept, fingerprint, nil
	case !errors.As(err, &hk):
		t.Fatalf("Dial failed without a host key decision: %v", err)
	case errors.Is(err, libssh2.ErrHostKeyRevoked):
		return revoked, fingerprint, err
	case errors.Is(err, libssh2.ErrHostKeyMismatch):
		if errors.Is(err, libssh2.ErrHostKeyUnknown) {
			t.Errorf("%v is both a mismatch and unknown", err)
		}
		return changed, fingerprint, err
	case errors.Is(err, libssh2.ErrHostKeyUnknown):
		return unknown, fingerprint, err
	}
	t.Fatalf("Dial: a *HostKeyError of no known kind: %v", err)
	return "", "", nil
}

// xcryptoDecides is what golang.org/x/crypto/ssh/knownhosts's own callback (knownhosts.New) says
// of the key the server showed, for the record: the package builds on x/crypto's parser but not
// on that callback, which decides differently from ssh in several cases (docs/DESIGN.md, "Host
// keys").
func xcryptoDecides(fingerprint string, srv *sshd.Server, host string, files ...string) string {
	var blob []byte
	for _, b := range srv.HostKeys {
		if k, err := libssh2.ParsePublicKey(keyLine(b)); err == nil && libssh2.Fingerprint(k) == fingerprint {
			blob = b
		}
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return "no key"
	}
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	cb, err := knownhosts.New(existing...)
	if err != nil {
		return "error: " + err.Error()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(srv.Port))
	err = cb(addr, &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: srv.Port}, key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case err == nil:
		return accept
	case errors.As(err, &re):
		return revoked
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return unknown
	case errors.As(err, &ke):
		return changed
	}
	return "error: " + err.Error()
}

// TestKnownHostsAgreeWithOpenSSH decides every case twice, against the same sshd and the same
// files: with OpenSSH's own ssh (StrictHostKeyChecking=yes), whose result is the expected one, and
// with the binding; they must agree, and the server must have shown both the same host key (the
// host key order). Nothing expected is written down: ssh decides at test time.
func TestKnownHostsAgreeWithOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatalf("the OpenSSH client ssh decides the expected results and is missing: install openssh-client (make deps): %v", err)
	}
	// srv has ed25519, ECDSA and RSA host keys; ecdsaOnly has only an ECDSA key.
	ecdsaOnly := sshd.StartT(t, sshd.Options{HostKeyTypes: []string{"ecdsa"}})
	other := newKeys(t)
	ca := newKeys(t)
	var long strings.Builder
	for i := 0; long.Len() < 16<<10; i++ {
		fmt.Fprintf(&long, "host-%d.example.com,", i)
	}
	facts := func(s *sshd.Server) hostFacts {
		if s.HostKeys["ecdsa-sha2-nistp256"] == nil {
			t.Fatalf("the test sshd has no ECDSA host key: %v", s.HostKeys)
		}
		f := hostFacts{host: "127.0.0.1", hp: fmt.Sprintf("[127.0.0.1]:%d", s.Port), port: s.Port,
			ec: keyLine(s.HostKeys["ecdsa-sha2-nistp256"]), wed: keyLine(other["ssh-ed25519"]),
			wec: keyLine(other["ecdsa-sha2-nistp256"]), caKey: keyLine(ca["ssh-ed25519"]),
			otherPort: s.Port + 1, longPrefix: strings.TrimSuffix(long.String(), ",")}
		// ecdsaOnly's "own" ed25519 key is srv's: the key a user would know if the host had one.
		f.ed = keyLine(srv.HostKeys["ssh-ed25519"])
		return f
	}
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	hashWithKeygen := func(t *testing.T, _ hostFacts, file string) {
		if out, err := exec.Command("ssh-keygen", "-H", "-f", file).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -H: %v\n%s", err, out)
		}
		os.Remove(file + ".old")
	}
	cases := []knownHostsCase{
		{name: "the host's key", user: func(f hostFacts) string { return lines(f.hp + " " + f.ed) }},
		{name: "another key", user: func(f hostFacts) string { return lines(f.hp + " " + f.wed) }},
		{name: "empty file", user: func(f hostFacts) string { return "" }},
		{name: "[h]:p wrong, h served", user: func(f hostFacts) string { return lines(f.hp+" "+f.wed, f.host+" "+f.ed) }},
		{name: "h served only", user: func(f hostFacts) string { return lines(f.host + " " + f.ed) }},
		{name: "h wrong only", user: func(f hostFacts) string { return lines(f.host + " " + f.wed) }},
		{name: "h wrong, [h]:p served", user: func(f hostFacts) string { return lines(f.host+" "+f.wed, f.hp+" "+f.ed) }},
		{name: "another port", user: func(f hostFacts) string { return lines(fmt.Sprintf("[127.0.0.1]:%d %s", f.otherPort, f.ed)) }},
		{name: "@revoked * K, [h]:p K", user: func(f hostFacts) string { return lines("@revoked * "+f.ed, f.hp+" "+f.ed) }},
		{name: "@revoked [h]:p K alone", user: func(f hostFacts) string { return lines("@revoked " + f.hp + " " + f.ed) }},
		{name: "@revoked for another host", user: func(f hostFacts) string { return lines("@revoked otherhost "+f.ed, f.hp+" "+f.ed) }},
		{name: "@revoked another key", user: func(f hostFacts) string { return lines("@revoked * "+f.wed, f.hp+" "+f.ed) }},
		{name: "!h,h K", user: func(f hostFacts) string { return lines("!" + f.host + "," + f.host + " " + f.ed) }},
		{name: "![h]:p,[h]:p K", user: func(f hostFacts) string { return lines("!" + f.hp + "," + f.hp + " " + f.ed) }},
		{name: "!other,[h]:p K", user: func(f hostFacts) string { return lines("!otherhost," + f.hp + " " + f.ed) }},
		{name: "wildcard *", user: func(f hostFacts) string { return lines("* " + f.ed) }},
		{name: "wildcard * wrong key", user: func(f hostFacts) string { return lines("* " + f.wed) }},
		{name: "wildcard [127.0.0.?]:p", user: func(f hostFacts) string { return lines(fmt.Sprintf("[127.0.0.?]:%d %s", f.port, f.ed)) }},
		{name: "wildcard [127.0.0.*]:*", user: func(f hostFacts) string { return lines("[127.0.0.*]:* " + f.ed) }},
		{name: "wildcard 127.0.0.*", user: func(f hostFacts) string { return lines("127.0.0.* " + f.ed) }},
		{name: "wildcard *:p wrong key", user: func(f hostFacts) string { return lines(fmt.Sprintf("*:%d %s", f.port, f.wed)) }},
		{name: "wildcard for other hosts", user: func(f hostFacts) string { return lines("10.*,*.example.com " + f.ed) }},
		{name: "CRLF", user: func(f hostFacts) string {
			return "# known hosts\r\n" + f.hp + " " + f.wec + "\r\n" + f.hp + " " + f.ed + " comment\r\n"
		}},
		{name: "CRLF, no newline at the end", user: func(f hostFacts) string { return "# x\r\n" + f.hp + " " + f.ed + "\r" }},
		{name: "16 KiB line for other hosts", user: func(f hostFacts) string {
			return lines(f.longPrefix+" "+f.wed, f.hp+" "+f.ed, f.longPrefix+" "+f.wec)
		}},
		{name: "100 KiB line for other hosts", user: func(f hostFacts) string {
			return lines(strings.Repeat(f.longPrefix+",", 6)+"x "+f.wed, f.hp+" "+f.ed)
		}},
		{name: "hashed by ssh-keygen", user: func(f hostFacts) string { return lines(f.hp + " " + f.ed) }, prepare: hashWithKeygen},
		{name: "hashed by ssh-keygen, wrong key", user: func(f hostFacts) string { return lines(f.hp+" "+f.wed, "otherhost "+f.ed) }, prepare: hashWithKeygen},
		{name: "hashed plain h, served", user: func(f hostFacts) string { return lines(f.host + " " + f.ed) }, prepare: hashWithKeygen},
		{name: "hashed by AppendKnownHost", user: func(f hostFacts) string { return lines("otherhost " + f.wed) }, prepare: func(t *testing.T, f hostFacts, file string) {
			k, err := libssh2.ParsePublicKey(f.ed)
			if err != nil {
				t.Fatal(err)
			}
			if err := libssh2.AppendKnownHost(file, fmt.Sprintf("127.0.0.1:%d", f.port), k, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "several keys per host", user: func(f hostFacts) string { return lines(f.hp+" "+f.wed, f.hp+" "+f.wec, f.hp+" "+f.ed) }},
		{name: "several keys, none the host's", user: func(f hostFacts) string { return lines(f.hp+" "+f.wed, f.hp+" "+f.wec) }},
		{name: "known only with another key type", server: ecdsaOnly, user: func(f hostFacts) string { return lines(f.hp + " " + f.ed) }},
		{name: "known with another key type and the served one", server: ecdsaOnly, user: func(f hostFacts) string { return lines(f.hp+" "+f.ed, f.hp+" "+f.ec) }},
		{name: "ordering: known by ed25519 only", user: func(f hostFacts) string { return lines(f.hp + " " + f.ed) }},
		{name: "ordering: known by ECDSA only", user: func(f hostFacts) string { return lines(f.hp + " " + f.ec) }},
		{name: "ordering: ECDSA served, ed25519 wrong", user: func(f hostFacts) string { return lines(f.hp+" "+f.ec, f.hp+" "+f.wed) }},
		{name: "ordering: first ed25519 key revoked", user: func(f hostFacts) string { return lines(f.hp+" "+f.wed, "@revoked * "+f.wed, f.hp+" "+f.ec) }},
		{name: "@cert-authority only", user: func(f hostFacts) string { return lines("@cert-authority " + f.hp + " " + f.caKey) }},
		{name: "@cert-authority with the host's key", user: func(f hostFacts) string { return lines("@cert-authority * " + f.ed) }},
		{name: "unknown marker", user: func(f hostFacts) string { return lines("@trusted " + f.hp + " " + f.ed) }},
		{name: "two markers", user: func(f hostFacts) string { return lines("@revoked @cert-authority * "+f.ed, f.hp+" "+f.ed) }},
		{name: "blanks and comments", user: func(f hostFacts) string { return "\n   # c\n\t " + f.hp + "\t" + f.ed + "   a comment\n\n" }},
		{name: "key type that is not the blob's", user: func(f hostFacts) string {
			return lines(f.hp + " ssh-rsa " + strings.Fields(f.ed)[1])
		}},
		{name: "upper-case pattern", host: "localhost", user: func(f hostFacts) string {
			return lines(fmt.Sprintf("[LocalHost]:%d %s", f.port, f.ed))
		}},
		{name: "global file has the key, user file another", user: func(f hostFacts) string { return lines(f.hp + " " + f.wed) },
			global: func(f hostFacts) string { return lines(f.hp + " " + f.ed) }},
		{name: "global file revokes", user: func(f hostFacts) string { return lines(f.hp + " " + f.ed) },
			global: func(f hostFacts) string { return lines("@revoked * " + f.ed) }},
	}
	agreed := 0
	var xdiff []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.server
			if s == nil {
				s = srv
			}
			host := c.host
			if host == "" {
				host = "127.0.0.1"
			}
			f := facts(s)
			dir := t.TempDir()
			user, global := filepath.Join(dir, "known_hosts"), filepath.Join(dir, "ssh_known_hosts")
			if err := os.WriteFile(user, []byte(c.user(f)), 0o600); err != nil {
				t.Fatal(err)
			}
			if c.prepare != nil {
				c.prepare(t, f, user)
			}
			globalArg := "/dev/null"
			if c.global != nil {
				if err := os.WriteFile(global, []byte(c.global(f)), 0o600); err != nil {
					t.Fatal(err)
				}
				globalArg = global
			}
			want, sshFP, stderr := sshDecides(t, s, host, user, globalArg)
			got, fp, err := bindingDecides(t, s, host, user, global)
			if got != want {
				content, _ := os.ReadFile(user)
				t.Errorf("binding: %s (%v); OpenSSH's ssh: %s\nknown_hosts:\n%q\nssh's stderr:\n%s", got, err, want, content, stderr)
				return
			}
			if fp != sshFP {
				t.Errorf("the server showed ssh the key %s and the binding %s (host key order)", sshFP, fp)
				return
			}
			agreed++
			if x := xcryptoDecides(fp, s, host, user, global); x != want {
				xdiff = append(xdiff, fmt.Sprintf("%s: ssh %s, x/crypto's knownhosts.New callback %s", c.name, want, x))
			}
		})
	}
	t.Logf("%d of %d cases: the binding decided as OpenSSH's ssh, on the same host key", agreed, len(cases))
	if agreed != len(cases) {
		t.Errorf("only %d of %d cases agreed with OpenSSH", agreed, len(cases))
	}
	if len(xdiff) > 0 {
		t.Logf("where x/crypto's own knownhosts callback would decide otherwise than ssh:\n  %s", strings.Join(xdiff, "\n  "))
	}
}
