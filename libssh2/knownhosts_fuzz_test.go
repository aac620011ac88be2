package libssh2_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/seed191f4051/go-libssh2/libssh2"
	"golang.org/x/crypto/ssh"
)

// fuzzKeys makes the keys that the seed corpus names and every input is checked with: two ed25519
// and two ECDSA keys.
func fuzzKeys(f *testing.F) []libssh2.PublicKey {
	f.Helper()
	var keys []libssh2.PublicKey
	for range 2 {
		k := newKeys(f)
		keys = append(keys, mustKey(f, keyLine(k["ssh-ed25519"])), mustKey(f, keyLine(k["ecdsa-sha2-nistp256"])))
	}
	return keys
}

// FuzzParsePublicKey: ParsePublicKey never panics, and a key it returns has a type, appears in the
// line under that type, and reads back the same from "type base64".
func FuzzParsePublicKey(f *testing.F) {
	for _, k := range fuzzKeys(f) {
		line := keyLine(k.Marshal())
		f.Add(line)
		f.Add("host.example,10.0.0.1 " + line + " comment")
		f.Add("@revoked * " + line)
		f.Add(strings.Replace(line, " ", "\t", 1) + "\r")
		f.Add(line[:len(line)/2])
	}
	for _, s := range []string{"", "ssh-ed25519", "ssh-ed25519 AAAA", "ssh-rsa AAAAB3NzaC1yc2E=",
		"x AAAAAXg=", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "ssh-ed25519 /////w==", "a b c d e f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		k, err := libssh2.ParsePublicKey(line)
		if err != nil {
			return
		}
		typ := k.Type()
		if typ == "" || !strings.Contains(line, typ) {
			t.Fatalf("ParsePublicKey(%q): type %q", line, typ)
		}
		again, err := libssh2.ParsePublicKey(typ + " " + b64(k.Marshal()))
		if err != nil || !bytes.Equal(again.Marshal(), k.Marshal()) {
			t.Fatalf("ParsePublicKey(%q) = %q, which does not read back (%v)", line, b64(k.Marshal()), err)
		}
		if !strings.HasPrefix(libssh2.Fingerprint(k), "SHA256:") {
			t.Fatalf("Fingerprint: %q", libssh2.Fingerprint(k))
		}
	})
}

// FuzzKnownHosts: any known_hosts content and host name give a decision without a panic: accepted
// only when some line of the content holds the key, otherwise a *HostKeyError that is exactly one
// of unknown, mismatch and revoked.
func FuzzKnownHosts(f *testing.F) {
	keys := fuzzKeys(f)
	k0, k1, k2 := keyLine(keys[0].Marshal()), keyLine(keys[1].Marshal()), keyLine(keys[2].Marshal())
	for _, c := range []struct{ data, host string }{
		{"[h.example]:2222 " + k0 + "\n", "h.example:2222"},
		{"[h.example]:2222 " + k2 + "\nh.example " + k0 + "\n", "h.example:2222"},
		{"h.example " + k0, "h.example:2222"},
		{"@revoked * " + k0 + "\n[h]:1 " + k0 + "\n", "h:1"},
		{"!h,h " + k0 + "\n", "h:22"},
		{"* " + k0 + "\r\n[127.0.0.?]:* " + k1 + "\r\n", "127.0.0.1:2222"},
		{"|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|ZuORO7HjJCsKSFdDHOzRANLrrkM= " + k0 + "\n", "h:22"},
		{"|1|bad|hash " + k0 + "\n|1|" + strings.Repeat("A", 2000) + "|x " + k1 + "\n", "h:22"},
		{"@cert-authority *.example " + k1 + "\n@trusted x " + k0 + "\n@revoked @cert-authority * " + k0, "a.example:22"},
		{strings.Repeat("x", 17000) + "," + strings.Repeat("*?", 600) + " " + k0 + "\n", "x:22"},
		{"[::1]:22,::1 " + k1 + "\n", "[::1]:22"},
		{"", ""},
		{"\x00\xff @ | ! * ? , [ ] :\n", "\x00:22"},
	} {
		f.Add([]byte(c.data), c.host)
	}
	f.Fuzz(func(t *testing.T, data []byte, hostname string) {
		var present [][]byte // the keys of every line that parses, whatever its hosts
		for _, line := range bytes.Split(data, []byte("\n")) {
			if _, _, k, _, _, err := ssh.ParseKnownHosts(line); err == nil {
				present = append(present, k.Marshal())
			}
		}
		_ = libssh2.KnownKeyTypesData(data, hostname)
		for _, k := range keys {
			err := libssh2.CheckKnownHostsData(data, hostname, k)
			if err == nil {
				if !slices.ContainsFunc(present, func(p []byte) bool { return bytes.Equal(p, k.Marshal()) }) {
					t.Fatalf("accepted %s for %q, which no line holds:\n%q", k.Type(), hostname, data)
				}
				continue
			}
			var hk *libssh2.HostKeyError
			if !errors.As(err, &hk) {
				t.Fatalf("not a *HostKeyError: %v", err)
			}
			n := 0
			for _, kind := range []error{libssh2.ErrHostKeyUnknown, libssh2.ErrHostKeyMismatch, libssh2.ErrHostKeyRevoked} {
				if errors.Is(err, kind) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%v is %d of unknown, mismatch and revoked", err, n)
			}
			_ = err.Error()
		}
	})
}
