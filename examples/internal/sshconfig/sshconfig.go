// Package sshconfig reads what an OpenSSH client configuration file (ssh_config(5), such as
// ~/.ssh/config) says about one host, for the keywords the examples use: Host, HostName, Port,
// User, IdentityFile, UserKnownHostsFile, and Include. It decides as ssh does:
//
//   - Lines are read in order; "Host pattern..." starts a block that applies when the host given
//     on the command line (as typed: patterns are case-sensitive) matches one of its patterns ("*" and "?" wildcards) and
//     none of its negated ones ("!pattern"). Lines before the first Host apply to every host.
//   - For each keyword the first value obtained wins; every IdentityFile line adds a file.
//   - "Include file..." reads the files (glob patterns; relative ones are under ~/.ssh) in place,
//     at most 16 deep; a Host line inside them does not change the including file's block.
//   - "Match" blocks are not evaluated: their lines are ignored, except under "Match all".
//   - Keywords are case-insensitive, "Keyword value" and "Keyword=value" are the same, arguments
//     may be double- or single-quoted, and "#" starts a comment where an argument would start.
//     Other keywords are ignored. A missing argument, an unterminated quote, a bad port or an extra
//     argument is an error naming the file and line, as ssh refuses such a file.
//
// Values are returned as written; Expand expands "~" and the %-tokens of the path keywords.
package sshconfig

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Host is what a configuration says about one host. Unset values are zero.
type Host struct {
	HostName            string   // the real host name to connect to (may hold %h)
	Port                int      // 0 when unset
	User                string   // the remote user name
	IdentityFiles       []string // private key files, in order (unexpanded)
	UserKnownHostsFiles []string // known_hosts files (unexpanded); the first is the one written
}

// maxDepth is how deep Include may nest, as in OpenSSH (READCONF_MAX_DEPTH).
const maxDepth = 16

// Lookup reads the configuration file at path and returns what it says about host, the name given
// on the command line. home is the user's home directory: "~" in Include, and the directory
// (home/.ssh) of relative Include paths. A file that does not exist says nothing.
func Lookup(path, host, home string) (Host, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Host{}, nil
	}
	if err != nil {
		return Host{}, err
	}
	r := &reader{host: host, home: home, readFile: os.ReadFile, glob: filepath.Glob}
	active := true
	if err := r.file(path, data, &active, false, 0); err != nil {
		return Host{}, err
	}
	return r.h, nil
}

// Parse is Lookup on the contents of one file, named name in errors; Include reads nothing.
func Parse(name string, data []byte, host string) (Host, error) {
	r := &reader{host: host,
		readFile: func(string) ([]byte, error) { return nil, os.ErrNotExist },
		glob:     func(string) ([]string, error) { return nil, nil }}
	active := true
	err := r.file(name, data, &active, false, 0)
	return r.h, err
}

// reader evaluates configuration lines for one host, as ssh's readconf.c does.
type reader struct {
	host     string
	home     string
	readFile func(string) ([]byte, error)
	glob     func(string) ([]string, error)
	h        Host
	knownSet bool // UserKnownHostsFile was set (its first line wins whole)
}

// file evaluates the lines of one file. active is whether the current block applies; neverMatch
// is set for a file included from a block that does not apply, whose Host lines cannot apply.
func (r *reader) file(name string, data []byte, active *bool, neverMatch bool, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: too many recursive configuration includes", name)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if err := r.line(line, active, neverMatch, depth); err != nil {
			return fmt.Errorf("%s line %d: %w", name, i+1, err)
		}
	}
	return nil
}

// line evaluates one line.
func (r *reader) line(line string, active *bool, neverMatch bool, depth int) error {
	keyword, rest, ok := splitKeyword(line)
	if !ok {
		return nil // blank or comment
	}
	if rest == "" {
		return fmt.Errorf("no argument after keyword %q", keyword)
	}
	args, err := splitArgs(rest)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("no argument after keyword %q", keyword)
	}
	switch strings.ToLower(keyword) {
	case "host":
		*active = false
		if neverMatch {
			return nil
		}
		for _, p := range args {
			if p == "" {
				return errors.New("keyword host empty argument")
			}
			negated := strings.HasPrefix(p, "!")
			if match(r.host, strings.TrimPrefix(p, "!")) {
				if negated {
					*active = false
					return nil
				}
				*active = true
			}
		}
	case "match":
		*active = !neverMatch && len(args) == 1 && strings.EqualFold(args[0], "all")
	case "include":
		return r.include(args, active, neverMatch, depth)
	case "hostname":
		return setFirst(&r.h.HostName, args, *active)
	case "port":
		if err := one(args); err != nil {
			return err
		}
		p, err := strconv.Atoi(args[0])
		if err != nil {
			p, err = net.LookupPort("tcp", args[0]) // a service name, as ssh's a2port allows
		}
		if err != nil || p <= 0 || p > 65535 {
			return fmt.Errorf("bad port %q", args[0])
		}
		if *active && r.h.Port == 0 {
			r.h.Port = p
		}
	case "user":
		return setFirst(&r.h.User, args, *active)
	case "identityfile":
		if err := one(args); err != nil {
			return err
		}
		if *active {
			r.h.IdentityFiles = append(r.h.IdentityFiles, args[0])
		}
	case "userknownhostsfile":
		if *active && !r.knownSet {
			r.h.UserKnownHostsFiles = append([]string(nil), args...)
			r.knownSet = true
		}
	}
	return nil
}

// include reads the files that args name, each with the state of the including block, which it
// then restores: a Host line in an included file does not change the block of the line after the
// Include.
func (r *reader) include(args []string, active *bool, neverMatch bool, depth int) error {
	was := *active
	for _, a := range args {
		p, err := expandTilde(a, r.home)
		if err != nil {
			return err
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(r.home, ".ssh", p)
		}
		names, err := r.glob(p)
		if err != nil {
			return fmt.Errorf("include %q: %v", a, err)
		}
		sort.Strings(names)
		for _, n := range names {
			data, err := r.readFile(n)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("include %q: %v", n, err)
			}
			*active = was
			err = r.file(n, data, active, neverMatch || !was, depth+1)
			*active = was
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// setFirst sets a one-argument keyword's value, when the block applies and no line set it before.
func setFirst(value *string, args []string, active bool) error {
	if err := one(args); err != nil {
		return err
	}
	if active && *value == "" {
		*value = args[0]
	}
	return nil
}

// one refuses more than one argument, as ssh does for its one-argument keywords.
func one(args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("extra arguments at end of line: %q", args[1:])
	}
	return nil
}

// splitKeyword splits a line into its keyword and the rest, as ssh does: the keyword ends at
// white space or "=", and one "=" with white space around it separates it from the arguments.
// ok is false for a blank line or a comment.
func splitKeyword(line string) (keyword, rest string, ok bool) {
	line = strings.TrimRight(line, " \t\r\n\f")
	line = strings.TrimLeft(line, " \t\r\n")
	if line == "" || line[0] == '#' {
		return "", "", false
	}
	end := strings.IndexAny(line, " \t\r\n=")
	if end < 0 {
		return line, "", true
	}
	keyword, rest = line[:end], line[end:]
	rest = strings.TrimLeft(rest, " \t\r\n")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
	}
	return keyword, rest, true
}

// splitArgs splits the arguments of a line as ssh's argv_split does: white space separates them,
// double or single quotes group (and are removed), a backslash escapes a quote, a backslash or
// (outside quotes) a space, and "#" at the start of an argument begins a comment.
func splitArgs(s string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] == '#' {
			return args, nil
		}
		var b strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || quote == 0 && s[i+1] == ' '):
				i++
				b.WriteByte(s[i])
				continue
			case quote == 0 && (c == ' ' || c == '\t'):
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				continue
			case quote != 0 && c == quote:
				quote = 0
				continue
			default:
				b.WriteByte(c)
				continue
			}
			break // white space outside quotes ends the argument
		}
		if quote != 0 {
			return nil, errors.New("invalid quotes")
		}
		args = append(args, b.String())
	}
}

// match reports whether s matches the pattern p, where "*" matches any run of bytes and "?" any
// one byte (OpenSSH's match_pattern). It takes O(len(s)·len(p)) at worst.
func match(s, p string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			si++
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// Expand expands a path value as ssh does for IdentityFile and UserKnownHostsFile: a leading "~"
// or "~user", then the %-tokens given in tokens (such as 'h' for the remote host name, 'p', 'r',
// 'u', 'd' for the home directory), and "%%" for "%". An unknown token is an error, as in ssh.
func Expand(s string, tokens map[byte]string, home string) (string, error) {
	s, err := expandTilde(s, home)
	if err != nil {
		return "", err
	}
	return expandPercent(s, tokens)
}

// expandPercent expands the %-tokens of s.
func expandPercent(s string, tokens map[byte]string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("%q: a lone %% at the end", s)
		}
		i++
		if s[i] == '%' {
			b.WriteByte('%')
			continue
		}
		v, ok := tokens[s[i]]
		if !ok {
			return "", fmt.Errorf("%q: unknown token %%%c", s, s[i])
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// ExpandHostName returns the host name to connect to, as ssh decides it: the HostName value with
// "%h" (the host given on the command line) and "%%" expanded, or the host itself when HostName
// is unset, lower-cased; any other token is an error.
func ExpandHostName(hostName, host string) (string, error) {
	if hostName == "" {
		return strings.ToLower(host), nil
	}
	h, err := expandPercent(hostName, map[byte]string{'h': host})
	return strings.ToLower(h), err
}

// expandTilde expands a leading "~" (home) or "~user" (that user's home directory).
func expandTilde(s, home string) (string, error) {
	if !strings.HasPrefix(s, "~") {
		return s, nil
	}
	name, rest, _ := strings.Cut(s[1:], "/")
	dir := home
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return "", fmt.Errorf("%q: no user %q", s, name)
		}
		dir = u.HomeDir
	} else if home == "" {
		return "", fmt.Errorf("%q: no home directory", s)
	}
	if rest == "" && !strings.Contains(s, "/") {
		return dir, nil
	}
	return filepath.Join(dir, rest), nil
}
