package libssh2

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// KnownHostsDB checks host keys against OpenSSH known_hosts files and decides as OpenSSH's ssh
// decides with StrictHostKeyChecking (docs/DESIGN.md, "Host keys"):
//
//   - Lines are read with golang.org/x/crypto/ssh's ParseKnownHosts (any length, CRLF or LF).
//   - A host on port 22 is looked up as "host", on another port as "[host]:port"; a line matches
//     when one of its comma-separated patterns does (* and ? wildcards, case-insensitive) and none
//     of its negated patterns (!pattern) does, or when its hashed name (|1|salt|hash) is the
//     host's.
//   - The presented key equal to a key of a matching line: accepted. Matching lines with other
//     keys only: ErrHostKeyMismatch, or ErrHostKeyOtherType (also a mismatch) when none of them
//     has the presented key's type. A matching @revoked line with the key: ErrHostKeyRevoked, even
//     if another line lists it. No matching line: ErrHostKeyUnknown.
//   - On a port other than 22, an unknown key is accepted when the plain "host" lines accept it
//     (ssh's "checking without port identifier"), and revoked when they revoke it; "[host]:port"
//     lines with another key stay a mismatch.
//   - @cert-authority lines never accept a key: libssh2 cannot check host certificates. An unknown
//     key for a host that such a line covers is ErrHostKeyCertAuthority (also an unknown key), which
//     says so.
//
// Every check reads the files again, so edits take effect; a file that does not exist counts as
// empty, as for ssh. A KnownHostsDB is safe for concurrent use.
type KnownHostsDB struct {
	files []string
}

// OpenKnownHosts returns a KnownHostsDB over the known_hosts files, in the order given (the user's
// file first, then the global one, as ssh reads them). It reads them once now, so that a file that
// exists but cannot be read is an error here; a file that does not exist counts as empty. It makes
// no libssh2 call: known_hosts files are read and decided in Go.
func OpenKnownHosts(files ...string) (*KnownHostsDB, error) {
	if len(files) == 0 {
		return nil, errInvalid("knownhosts", "", errors.New("OpenKnownHosts needs at least one file"))
	}
	db := &KnownHostsDB{files: slices.Clone(files)}
	if _, err := db.load(); err != nil {
		return nil, err
	}
	return db, nil
}

// KnownHosts returns a HostKeyCallback that checks host keys against OpenSSH known_hosts files as
// KnownHostsDB.Check does. Each file must exist now (a typo is an error here, not an unknown host
// later). It makes no libssh2 call. To also have the session ask the server for the key types
// known for the host, as ssh does, use OpenKnownHosts and set both Config.HostKeyCallback
// (KnownHostsDB.Check) and Config.KnownHostKeyTypes (KnownHostsDB.KeyTypes).
func KnownHosts(files ...string) (HostKeyCallback, error) {
	if len(files) == 0 {
		return nil, errInvalid("knownhosts", "", errors.New("KnownHosts needs at least one file"))
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return nil, newError("knownhosts", f, 0, err)
		}
	}
	db, err := OpenKnownHosts(files...)
	if err != nil {
		return nil, err
	}
	return db.Check, nil
}

// Check checks key, presented by the server at hostname ("host:port", as a HostKeyCallback gets
// it; the port may be left out for 22), as the type's documentation says. A refusal is an *Error
// with Op "hostkey" that wraps a *HostKeyError (errors.As finds it); a file that cannot be read is
// an *Error with Op "knownhosts". It makes no libssh2 call.
func (db *KnownHostsDB) Check(hostname string, _ net.Addr, key PublicKey) error {
	lines, err := db.load()
	if err != nil {
		return err
	}
	if err := decideHostKey(lines, hostname, key); err != nil {
		return newError("hostkey", "", 0, err)
	}
	return nil
}

// KeyTypes returns the types of the keys known for hostname ("host:port"), in the order of the
// files, without repeats: the key types of its host key lines ("ssh-ed25519",
// "ecdsa-sha2-nistp256", "ssh-rsa", ...), a type left out when its first key is @revoked, as ssh
// decides which host key algorithms to prefer. It fits Config.KnownHostKeyTypes. A file that cannot
// be read gives no types (Check reports it). It makes no libssh2 call.
func (db *KnownHostsDB) KeyTypes(hostname string) []string {
	lines, err := db.load()
	if err != nil {
		return nil
	}
	return knownKeyTypes(lines, hostname)
}

// knownLine is one valid line of a known_hosts file.
type knownLine struct {
	file   string
	line   int
	marker string // "", "@revoked" or "@cert-authority"
	hosts  string // the host patterns (or the hashed name) as written
	key    ssh.PublicKey
	blob   []byte // key.Marshal()
}

// load reads the files; a file that does not exist counts as empty.
func (db *KnownHostsDB) load() ([]knownLine, error) {
	var lines []knownLine
	for _, f := range db.files {
		b, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, newError("knownhosts", f, 0, err)
		}
		lines = appendKnownLines(lines, f, b)
	}
	return lines, nil
}

// appendKnownLines parses the known_hosts file content b. Lines that are not valid entries are
// skipped, as ssh skips them: blank lines, comments, unknown or repeated markers, bad keys.
func appendKnownLines(lines []knownLine, file string, b []byte) []knownLine {
	for n := 1; len(b) > 0; n++ {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if l, ok := parseKnownLine(line); ok {
			l.file, l.line = file, n
			lines = append(lines, l)
		}
	}
	return lines
}

// parseKnownLine parses one line with x/crypto's ParseKnownHosts, and checks the marker as
// OpenSSH's check_markers does: at most one, @revoked or @cert-authority, followed by a blank.
func parseKnownLine(line []byte) (knownLine, bool) {
	t := bytes.TrimLeft(line, " \t")
	marker := ""
	if len(t) > 0 && t[0] == '@' {
		i := bytes.IndexAny(t, " \t")
		if i < 0 {
			return knownLine{}, false
		}
		marker = string(t[:i])
		if marker != "@revoked" && marker != "@cert-authority" {
			return knownLine{}, false
		}
	}
	m, hosts, key, _, _, err := ssh.ParseKnownHosts(line)
	if err != nil || marker == "" && m != "" || marker != "" && "@"+m != marker ||
		len(hosts) == 0 || strings.HasPrefix(hosts[0], "@") {
		return knownLine{}, false
	}
	return knownLine{marker: marker, hosts: strings.Join(hosts, ","), key: key, blob: key.Marshal()}, true
}

// maxHostName bounds the host names looked up (NI_MAXHOST): matching a name against a pattern takes
// time proportional to both lengths.
const maxHostName = 1025

// lookupName is the name ssh looks a host up by: "host" on port 22, "[host]:port" on others, with
// the host in lower case. hostname is "host:port", or a host alone for port 22.
func lookupName(hostname string) (name, host string, port int) {
	host, p, err := net.SplitHostPort(hostname)
	port = 22
	if err != nil {
		host = hostname
	} else if n, err := strconv.Atoi(p); err == nil {
		port = n
	}
	host = asciiLower(host)
	if port == 22 {
		return host, host, port
	}
	return "[" + host + "]:" + strconv.Itoa(port), host, port
}

// matches reports whether the line is for name (OpenSSH's match_maybe_hashed).
func (l *knownLine) matches(name string) bool {
	if strings.HasPrefix(l.hosts, "|") {
		return matchHashed(name, l.hosts)
	}
	return matchPatternList(name, l.hosts) == 1
}

// matchHashed reports whether the hashed name |1|salt|hash is name's: OpenSSH hashes name with
// HMAC-SHA1 keyed by the salt and compares the encoding of both with the whole field.
func matchHashed(name, field string) bool {
	rest, ok := strings.CutPrefix(field, "|1|")
	if !ok {
		return false
	}
	b64salt, _, ok := strings.Cut(rest, "|")
	if !ok || len(b64salt) == 0 || len(b64salt) > 1024 {
		return false
	}
	salt, err := base64.StdEncoding.DecodeString(b64salt)
	if err != nil || len(salt) != sha1.Size {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(name))
	return field == "|1|"+base64.StdEncoding.EncodeToString(salt)+"|"+base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// matchPatternList is OpenSSH's match_pattern_list for host names: 1 when a pattern of the
// comma-separated list matches s, -1 when a negated one (!pattern) does, 0 otherwise; patterns are
// lowered, and one of 1023 bytes or more ends the list with 0.
func matchPatternList(s, list string) int {
	got := false
	for i := 0; i < len(list); {
		negated := list[i] == '!'
		if negated {
			i++
		}
		j := i
		for j < len(list) && list[j] != ',' {
			j++
		}
		sub := list[i:j]
		if len(sub) >= 1023 {
			return 0
		}
		if j < len(list) {
			j++
		}
		i = j
		if matchPattern(s, asciiLower(sub)) {
			if negated {
				return -1
			}
			got = true
		}
	}
	if got {
		return 1
	}
	return 0
}

// matchPattern reports whether s matches pattern, where * matches any run of bytes and ? any one
// byte (OpenSSH's match_pattern). It backtracks only to the last *, so it takes O(len(s)·len(pattern)).
func matchPattern(s, pattern string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]) && pattern[pi] != '*':
			si++
			pi++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// asciiLower lowers ASCII letters only, as OpenSSH's lowercase() and tolower() in the C locale.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// linesFor returns the lines for name, in order (OpenSSH's load_hostkeys).
func linesFor(lines []knownLine, name string) []*knownLine {
	var out []*knownLine
	for i := range lines {
		if lines[i].matches(name) {
			out = append(out, &lines[i])
		}
	}
	return out
}

// hostStatus is OpenSSH's HostStatus for a plain key.
type hostStatus int

const (
	hostNew hostStatus = iota
	hostOK
	hostChanged
	hostRevoked
)

// checkLines is OpenSSH's check_hostkeys_by_key_or_type for a plain key: OK when a host key line
// has the key, changed when host key lines have only other keys (of any type), new when there is
// none; revoked when a @revoked line has the key, whatever the rest says.
func checkLines(ls []*knownLine, blob []byte) hostStatus {
	st := hostNew
	for _, l := range ls {
		if l.marker != "" {
			continue
		}
		if bytes.Equal(l.blob, blob) {
			st = hostOK
			break
		}
		st = hostChanged
	}
	if revokedIn(ls, blob) {
		st = hostRevoked
	}
	return st
}

// revokedIn reports whether a @revoked line of ls has the key.
func revokedIn(ls []*knownLine, blob []byte) bool {
	for _, l := range ls {
		if l.marker == "@revoked" && bytes.Equal(l.blob, blob) {
			return true
		}
	}
	return false
}

// decideHostKey is the decision of OpenSSH's check_host_key with StrictHostKeyChecking for key
// presented at hostname.
func decideHostKey(lines []knownLine, hostname string, key PublicKey) error {
	blob, typ := key.Marshal(), key.Type()
	if k, err := ssh.ParsePublicKey(blob); err == nil { // compared in x/crypto's canonical form
		blob, typ = k.Marshal(), k.Type()
	}
	name, host, port := lookupName(hostname)
	if len(host) > maxHostName {
		return &HostKeyError{Host: hostname, Key: key, Fingerprint: Fingerprint(key),
			Err: fmt.Errorf("%w: a host name of more than %d bytes is not looked up", ErrHostKeyUnknown, maxHostName)}
	}
	ls := linesFor(lines, name)
	st := checkLines(ls, blob)
	if st == hostNew && port != 22 {
		// ssh's "checking without port identifier": the plain host's lines accept the key. ssh
		// also warns when they revoke it, and then goes on as for a new key (accept-new adds it);
		// here the key stays revoked (docs/DESIGN.md, "Host keys").
		plain := linesFor(lines, host)
		switch checkLines(plain, blob) {
		case hostOK:
			return nil
		case hostRevoked:
			ls, st = plain, hostRevoked
		}
	}
	refuse := func(err error, marker string, match func(*knownLine) bool) error {
		e := &HostKeyError{Host: hostname, Key: key, Fingerprint: Fingerprint(key), Err: err}
		for _, l := range ls {
			if l.marker == marker && (match == nil || match(l)) {
				e.Known = append(e.Known, KnownHostKey{Key: publicKey(l.blob), File: l.file, Line: l.line, Marker: l.marker})
			}
		}
		return e
	}
	switch st {
	case hostOK:
		return nil
	case hostRevoked:
		return refuse(ErrHostKeyRevoked, "@revoked", func(l *knownLine) bool { return bytes.Equal(l.blob, blob) })
	case hostChanged:
		for _, l := range ls {
			if l.marker == "" && l.key.Type() == typ {
				return refuse(ErrHostKeyMismatch, "", nil)
			}
		}
		return refuse(ErrHostKeyOtherType, "", nil)
	}
	for _, l := range ls {
		if l.marker == "@cert-authority" {
			return refuse(ErrHostKeyCertAuthority, "@cert-authority", nil)
		}
	}
	return refuse(ErrHostKeyUnknown, "", nil)
}

// knownKeyTypes is KnownHostsDB.KeyTypes on parsed lines: for each type, in order, the first host
// key line of that type decides, and its key must not be @revoked (OpenSSH's
// lookup_key_in_hostkeys_by_type, as order_hostkeyalgs uses it).
func knownKeyTypes(lines []knownLine, hostname string) []string {
	name, host, _ := lookupName(hostname)
	if len(host) > maxHostName {
		return nil
	}
	ls := linesFor(lines, name)
	var types, seen []string
	for _, l := range ls {
		t := l.key.Type()
		if l.marker != "" || slices.Contains(seen, t) {
			continue
		}
		seen = append(seen, t)
		if !revokedIn(ls, l.blob) {
			types = append(types, t)
		}
	}
	return types
}

// AppendKnownHostOptions tune AppendKnownHost. A nil *AppendKnownHostOptions is the zero value.
type AppendKnownHostOptions struct {
	// Plain writes the host name as it is instead of hashed (OpenSSH's HashKnownHosts no). By
	// default it is hashed (|1|salt|hash), as Debian's ssh writes it.
	Plain bool
}

// AppendKnownHost adds key for hostname ("host:port"; the port may be left out for 22) to the
// known_hosts file, as ssh adds a host it trusts: the name ssh looks it up by ("host" on port 22,
// "[host]:port" on others, in lower case), hashed unless opt.Plain (golang.org/x/crypto's
// knownhosts.HashHostname). The line goes to the end of the file in one write(2) with O_APPEND,
// after a newline when the file's last line lacks one, so that the last entry is never glued to
// the new one. A missing file is created with mode 0600, and its directory with 0700. Concurrent
// appends do not interleave; at worst two of them that both found the last newline missing leave
// an empty line. It makes no libssh2 call.
func AppendKnownHost(file, hostname string, key PublicKey, opt *AppendKnownHostOptions) error {
	if opt == nil {
		opt = &AppendKnownHostOptions{}
	}
	name, host, _ := lookupName(hostname)
	if host == "" || len(host) > maxHostName || strings.ContainsAny(host, " \t\r\n,#@|!*?\"'\\[]") {
		return newError("knownhosts", file, 0, fmt.Errorf("cannot record host name %q in known_hosts", host))
	}
	blob := key.Marshal()
	typ := publicKey(blob).Type()
	if typ == "" || strings.ContainsAny(typ, " \t\r\n") {
		return newError("knownhosts", file, 0, errors.New("not an SSH public key"))
	}
	field := name
	if !opt.Plain {
		field = knownhosts.HashHostname(name)
	}
	line := []byte(field + " " + typ + " " + base64.StdEncoding.EncodeToString(blob) + "\n")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return newError("knownhosts", file, 0, err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return newError("knownhosts", file, 0, err)
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return newError("knownhosts", file, 0, err)
	}
	return nil
}
