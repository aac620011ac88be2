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

	"github.com/google/go-cmp/cmp"
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
// ssh's revoked-key warning counts as revoked even where ssh then goes on to call the key new (a
// key that only the plain host's lines revoke; docs/DESIGN.md, "Host keys").
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
		{name: "@revoked h K alone (port-less)", user: func(f hostFacts) string { return lines("@revoked " + f.host + " " + f.ed) }},
		{name: "@revoked h K, h K", user: func(f hostFacts) string { return lines(f.host+" "+f.ed, "@revoked "+f.host+" "+f.ed) }},
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
	ran, agreed := 0, 0
	tally := map[string]int{}
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
			ran++
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
			tally[want]++
			if x := xcryptoDecides(fp, s, host, user, global); x != want {
				xdiff = append(xdiff, fmt.Sprintf("%s: ssh %s, x/crypto's knownhosts.New callback %s", c.name, want, x))
			}
		})
	}
	t.Logf("%d of %d cases: the binding decided as OpenSSH's ssh, on the same host key (%d %s, %d %s, %d %s, %d %s)",
		agreed, ran, tally[accept], accept, tally[unknown], unknown, tally[changed], changed, tally[revoked], revoked)
	if agreed != ran {
		t.Errorf("only %d of %d cases agreed with OpenSSH", agreed, ran)
	}
	if len(xdiff) > 0 {
		t.Logf("where x/crypto's own knownhosts callback would decide otherwise than ssh:\n  %s", strings.Join(xdiff, "\n  "))
	}
}

// knownHostsFile writes content to a known_hosts file of the test and opens a KnownHostsDB on it.
func knownHostsFile(t *testing.T, content string) (string, *libssh2.KnownHostsDB) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := libssh2.OpenKnownHosts(file)
	if err != nil {
		t.Fatalf("OpenKnownHosts: %v", err)
	}
	return file, db
}

// TestKnownOnlyWithAnotherType is the accept-new man in the middle: the host is known by its
// ed25519 key, and what answers at its address has only an ECDSA key. That is a changed key
// (ErrHostKeyOtherType, a mismatch), never an unknown one that accept-new would add.
func TestKnownOnlyWithAnotherType(t *testing.T) {
	mitm := sshd.StartT(t, sshd.Options{HostKeyTypes: []string{"ecdsa"}})
	line := fmt.Sprintf("[%s]:%d %s\n", mitm.Host, mitm.Port, keyLine(srv.HostKeys["ssh-ed25519"]))
	file, db := knownHostsFile(t, line)
	cfg := &libssh2.Config{User: mitm.User, Auth: []libssh2.AuthMethod{libssh2.PublicKeyFile(mitm.KeyPath, "")},
		HostKeyCallback: db.Check, KnownHostKeyTypes: db.KeyTypes}
	_, err := dialErr(mitm.Addr, cfg)
	if !errors.Is(err, libssh2.ErrHostKeyOtherType) || !errors.Is(err, libssh2.ErrHostKeyMismatch) || errors.Is(err, libssh2.ErrHostKeyUnknown) {
		t.Fatalf("Dial = %v; want ErrHostKeyOtherType and ErrHostKeyMismatch, not ErrHostKeyUnknown", err)
	}
	var hk *libssh2.HostKeyError
	if !errors.As(err, &hk) || hk.Key.Type() != "ecdsa-sha2-nistp256" {
		t.Fatalf("Dial = %v; want a *HostKeyError for the ECDSA key", err)
	}
	if len(hk.Known) != 1 {
		t.Fatalf("Known = %v, want the ed25519 line", hk.Known)
	}
	want := []libssh2.KnownHostKey{{File: file, Line: 1, Key: hk.Known[0].Key}}
	if diff := cmp.Diff(want, hk.Known); diff != "" || libssh2.Fingerprint(hk.Known[0].Key) != libssh2.Fingerprint(mustKey(t, keyLine(srv.HostKeys["ssh-ed25519"]))) {
		t.Errorf("Known (-want +got):\n%s", diff)
	}
	for _, s := range []string{"known only by keys of other types", file + ":1", "ssh-ed25519"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}

func mustKey(t testing.TB, line string) libssh2.PublicKey {
	t.Helper()
	k, err := libssh2.ParsePublicKey(line)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestHostKeyOrder: a host known only by its ed25519 key, whose server offers an ECDSA key and an
// ed25519 key, is accepted when the session asks for the known type first
// (Config.KnownHostKeyTypes); libssh2 left to itself asks for ECDSA first and the key is refused
// as of another type; Config.HostKeyAlgorithms, when set, wins over the known types.
func TestHostKeyOrder(t *testing.T) {
	s := sshd.StartT(t, sshd.Options{HostKeyTypes: []string{"ecdsa", "ed25519"}})
	_, db := knownHostsFile(t, fmt.Sprintf("[%s]:%d %s\n", s.Host, s.Port, keyLine(s.HostKeys["ssh-ed25519"])))
	cfg := &libssh2.Config{User: s.User, Auth: []libssh2.AuthMethod{libssh2.PublicKeyFile(s.KeyPath, "")},
		HostKeyCallback: db.Check, KnownHostKeyTypes: db.KeyTypes}
	sess := dial(t, s, cfg)
	if m, err := sess.Methods(); err != nil || m.HostKey != "ssh-ed25519" {
		t.Errorf("with KnownHostKeyTypes: Methods() = %+v, %v; want host key ssh-ed25519", m, err)
	}
	sess.Close()

	unordered := *cfg
	unordered.KnownHostKeyTypes = nil
	if _, err := dialErr(s.Addr, &unordered); !errors.Is(err, libssh2.ErrHostKeyOtherType) {
		t.Errorf("without KnownHostKeyTypes: Dial = %v; want ErrHostKeyOtherType (libssh2 prefers ECDSA)", err)
	}
	explicit := *cfg
	explicit.HostKeyAlgorithms = []string{"ecdsa-sha2-nistp256"}
	if _, err := dialErr(s.Addr, &explicit); !errors.Is(err, libssh2.ErrHostKeyOtherType) {
		t.Errorf("with HostKeyAlgorithms ecdsa-sha2-nistp256: Dial = %v; want ErrHostKeyOtherType (the explicit list wins)", err)
	}
}

// TestHostKeyOrderLists: the order asked of libssh2, from the known types and the algorithms of
// libssh2 1.10 and 1.11.1 (libssh2_session_supported_algs, as their hostkey.c lists them).
func TestHostKeyOrderLists(t *testing.T) {
	v110 := []string{"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ssh-ed25519", "ssh-rsa", "ssh-dss"}
	v111 := []string{"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com",
		"rsa-sha2-512", "rsa-sha2-256", "rsa-sha2-512-cert-v01@openssh.com",
		"rsa-sha2-256-cert-v01@openssh.com", "ssh-rsa", "ssh-rsa-cert-v01@openssh.com"}
	for _, c := range []struct {
		name      string
		known     []string
		supported []string
		want      []string
	}{
		{"1.10, nothing known", nil, v110, []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss"}},
		{"1.10, ECDSA known", []string{"ecdsa-sha2-nistp256"}, v110, []string{"ecdsa-sha2-nistp256", "ssh-ed25519", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss"}},
		{"1.10, RSA known", []string{"ssh-rsa"}, v110, []string{"ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-dss"}},
		{"1.11.1, RSA and ECDSA-384 known", []string{"ssh-rsa", "ecdsa-sha2-nistp384"}, v111, []string{"ecdsa-sha2-nistp384", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp521"}},
		{"1.11.1, ed25519 known: the list as it is", []string{"ssh-rsa", "ssh-ed25519"}, v111, []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}},
		{"unknown key types change nothing", []string{"sk-ssh-ed25519@openssh.com"}, []string{"ssh-rsa", "ssh-ed25519"}, []string{"ssh-ed25519", "ssh-rsa"}},
	} {
		if diff := cmp.Diff(c.want, libssh2.HostKeyOrder(c.known, c.supported)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestKnownKeyTypes: the types known for a host, in file order, each once; a type whose first key
// is @revoked is left out, as ssh leaves it out of its order; other hosts' and marked lines count
// for nothing.
func TestKnownKeyTypes(t *testing.T) {
	keys, more := newKeys(t), newKeys(t)
	ed, ec, ed2, ec2 := keyLine(keys["ssh-ed25519"]), keyLine(keys["ecdsa-sha2-nistp256"]), keyLine(more["ssh-ed25519"]), keyLine(more["ecdsa-sha2-nistp256"])
	data := strings.Join([]string{
		"other.example " + ed,
		"[h.example]:2222 " + ec,
		"@cert-authority [h.example]:2222 " + ed2,
		"[H.EXAMPLE]:2222 " + ec2,
		"h.example " + ed,
		"[h.example]:2222 " + ed,
		"@revoked * " + ed,
		"[h.example]:2222 " + ed2,
	}, "\n")
	for _, c := range []struct {
		host string
		want []string
	}{
		{"h.example:2222", []string{"ecdsa-sha2-nistp256"}}, // the first ed25519 key is revoked
		{"h.example:22", nil},
		{"other.example:22", nil},
		{"nowhere:22", nil},
	} {
		if diff := cmp.Diff(c.want, libssh2.KnownKeyTypesData([]byte(data), c.host)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.host, diff)
		}
	}
	if diff := cmp.Diff([]string{"ecdsa-sha2-nistp256", "ssh-ed25519"},
		libssh2.KnownKeyTypesData([]byte("[h]:2 "+ec+"\n[h]:2 "+ed+"\n[h]:2 "+ec2+"\n"), "h:2")); diff != "" {
		t.Errorf("several types (-want +got):\n%s", diff)
	}
}

// TestHostKeyErrors: each refusal is a *HostKeyError whose sentinel, Known lines and message say
// what happened, from known_hosts content.
func TestHostKeyErrors(t *testing.T) {
	keys, other := newKeys(t), newKeys(t)
	served := mustKey(t, keyLine(keys["ssh-ed25519"]))
	ed, wed := keyLine(keys["ssh-ed25519"]), keyLine(other["ssh-ed25519"])
	for _, c := range []struct {
		name, data string
		is         []error
		isNot      []error
		line       int
		says       string
	}{
		{"unknown", "other " + ed, []error{libssh2.ErrHostKeyUnknown}, []error{libssh2.ErrHostKeyMismatch, libssh2.ErrHostKeyCertAuthority}, 0, "is unknown"},
		{"mismatch", "# c\n[h]:2222 " + wed, []error{libssh2.ErrHostKeyMismatch}, []error{libssh2.ErrHostKeyUnknown, libssh2.ErrHostKeyOtherType}, 2, "does not match the known key"},
		{"revoked", "[h]:2222 " + ed + "\n@revoked * " + ed, []error{libssh2.ErrHostKeyRevoked}, []error{libssh2.ErrHostKeyUnknown, libssh2.ErrHostKeyMismatch}, 2, "is marked @revoked"},
		{"cert authority", "@cert-authority *.example,[h]:2222 " + wed, []error{libssh2.ErrHostKeyCertAuthority, libssh2.ErrHostKeyUnknown}, []error{libssh2.ErrHostKeyMismatch}, 1, "libssh2 cannot check host certificates"},
	} {
		err := libssh2.CheckKnownHostsData([]byte(c.data), "H:2222", served)
		var hk *libssh2.HostKeyError
		if !errors.As(err, &hk) {
			t.Errorf("%s: %v, want a *HostKeyError", c.name, err)
			continue
		}
		for _, target := range c.is {
			if !errors.Is(err, target) {
				t.Errorf("%s: %v is not %v", c.name, err, target)
			}
		}
		for _, target := range c.isNot {
			if errors.Is(err, target) {
				t.Errorf("%s: %v is %v", c.name, err, target)
			}
		}
		if c.line > 0 && (len(hk.Known) != 1 || hk.Known[0].Line != c.line || hk.Known[0].File != "data") {
			t.Errorf("%s: Known = %v, want data:%d", c.name, hk.Known, c.line)
		}
		if !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), libssh2.Fingerprint(served)) {
			t.Errorf("%s: %q does not say %q with the key's fingerprint", c.name, err, c.says)
		}
	}
}

// TestKnownHostsFiles: KnownHosts wants its files to exist; OpenKnownHosts takes a missing file for
// an empty one (as ssh does), and sees edits made after it opened.
func TestKnownHostsFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	if _, err := libssh2.KnownHosts(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("KnownHosts(missing file) = %v, want os.ErrNotExist", err)
	}
	db, err := libssh2.OpenKnownHosts(missing, srv.KnownHostsPath)
	if err != nil {
		t.Fatalf("OpenKnownHosts with a missing file: %v", err)
	}
	key := mustKey(t, keyLine(srv.HostKeys["ssh-ed25519"]))
	if err := db.Check(srv.Addr, nil, key); err != nil {
		t.Errorf("Check with a missing first file: %v", err)
	}
	if err := os.WriteFile(missing, []byte("@revoked * "+keyLine(srv.HostKeys["ssh-ed25519"])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(srv.Addr, nil, key); !errors.Is(err, libssh2.ErrHostKeyRevoked) {
		t.Errorf("Check after the file appeared with a @revoked line = %v, want ErrHostKeyRevoked", err)
	}
	if _, err := libssh2.OpenKnownHosts(dir); err == nil {
		t.Errorf("OpenKnownHosts(a directory) succeeded")
	}
}
