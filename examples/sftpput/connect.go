package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/seed191f4051/go-libssh2/examples/internal/term"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// client is one sftpput run: the options, the session and where to print.
type client struct {
	o        *options
	stderr   io.Writer
	progress io.Writer // a terminal, or nil
	width    int       // the terminal's width
	summary  io.Writer // nil with -q
	sess     *libssh2.Session
	sf       *libssh2.SFTP
	ttyFile  *os.File // the controlling terminal, once opened
	ttyErr   error
}

// tty opens the controlling terminal, to ask for passphrases and passwords; nil when there is none.
func (c *client) tty() *os.File {
	if c.ttyFile == nil && c.ttyErr == nil {
		c.ttyFile, c.ttyErr = os.OpenFile("/dev/tty", os.O_RDWR, 0)
	}
	return c.ttyFile
}

// sshDir is ~/.ssh, from $HOME.
func sshDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".ssh"), nil
}

// connect opens the session: host key check, then agent, keys, and at last a password.
func (c *client) connect(ctx context.Context) error {
	dir, err := sshDir()
	if err != nil {
		return err
	}
	userName := c.o.user
	if userName == "" {
		u, err := user.Current()
		if err != nil {
			return fmt.Errorf("who am I? %v (give user@host)", err)
		}
		userName = u.Username
	}
	addr := net.JoinHostPort(c.o.host, strconv.Itoa(c.o.port))
	cfg := &libssh2.Config{
		User:            userName,
		HostKeyCallback: c.hostKeyCheck(filepath.Join(dir, "known_hosts")),
	}
	if c.o.ciphers != "" {
		cfg.Ciphers = strings.Split(c.o.ciphers, ",")
	}
	var tried []string
	if os.Getenv("SSH_AUTH_SOCK") != "" {
		cfg.Auth = append(cfg.Auth, libssh2.Agent())
		tried = append(tried, "ssh-agent")
	}
	keys := []string{c.o.identity}
	if c.o.identity == "" {
		keys = nil
		for _, k := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			if _, err := os.Stat(filepath.Join(dir, k)); err == nil {
				keys = append(keys, filepath.Join(dir, k))
			}
		}
	} else if _, err := os.Stat(c.o.identity); err != nil {
		return fmt.Errorf("-i %s: %s", c.o.identity, describeLocal(err))
	}
	var encrypted []string // keys that need a passphrase: tried only if the others fail
	for _, k := range keys {
		if keyEncrypted(k) {
			encrypted = append(encrypted, k)
			continue
		}
		cfg.Auth = append(cfg.Auth, libssh2.PublicKeyFile(k, ""))
		tried = append(tried, "key "+k)
	}
	// The first Dial checks the host key even when there is no method to try yet: nothing is asked
	// of the user before the server is known to be the right one.
	sess, err := libssh2.Dial(ctx, "tcp", addr, cfg)
	if isAuthFailure(err) && len(encrypted) > 0 {
		sess, err = c.passphraseLogin(ctx, addr, cfg, encrypted, err, &tried)
	}
	if isAuthFailure(err) {
		var asked bool
		sess, asked, err = c.passwordLogin(ctx, addr, cfg, err)
		if asked {
			tried = append(tried, "password")
		}
	}
	if err != nil {
		if isAuthFailure(err) {
			if len(tried) == 0 {
				tried = []string{"nothing: no agent, no key, no terminal to ask a password on"}
			}
			return fmt.Errorf("authentication as %s on %s failed; tried %s (%v)", userName, addr, strings.Join(tried, ", "), err)
		}
		return describeDial(addr, err)
	}
	c.sess = sess
	c.sf, err = sess.SFTPContext(ctx)
	return err
}

func (c *client) close() {
	if c.sess != nil {
		c.sess.Close()
	}
	if c.ttyFile != nil {
		c.ttyFile.Close()
	}
}

// isAuthFailure reports whether Dial failed in the authentication, after the host key check passed.
func isAuthFailure(err error) bool {
	var le *libssh2.Error
	return errors.As(err, &le) && le.Op == "auth" && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded)
}

// passwordLogin asks for a password on the terminal (up to three times) and logs in with it, by the
// password method or keyboard-interactive, whichever the server offers. asked says whether there was
// a terminal to ask on.
func (c *client) passwordLogin(ctx context.Context, addr string, cfg *libssh2.Config, first error) (sess *libssh2.Session, asked bool, err error) {
	tty := c.tty()
	if tty == nil {
		return nil, false, first // no terminal to ask on
	}
	last := first
	for attempt := 0; attempt < 3; attempt++ {
		pw, err := term.ReadPassword(tty, fmt.Sprintf("%s@%s's password: ", cfg.User, c.o.host), ctx.Done())
		if err != nil {
			if errors.Is(err, term.ErrInterrupted) {
				return nil, true, context.Canceled
			}
			return nil, true, err
		}
		pcfg := *cfg
		pcfg.Auth = []libssh2.AuthMethod{
			libssh2.Password(pw),
			libssh2.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}),
		}
		sess, err := libssh2.Dial(ctx, "tcp", addr, &pcfg)
		if err == nil {
			return sess, true, nil
		}
		if !isAuthFailure(err) {
			return nil, true, err
		}
		last = err
		if attempt < 2 {
			fmt.Fprintln(tty, "Permission denied, please try again.")
		}
	}
	return nil, true, last
}

// passphraseLogin asks on the terminal for the passphrase of each encrypted key and logs in with
// them. Without a terminal it returns first.
func (c *client) passphraseLogin(ctx context.Context, addr string, cfg *libssh2.Config, encrypted []string, first error, tried *[]string) (*libssh2.Session, error) {
	tty := c.tty()
	if tty == nil {
		for _, k := range encrypted {
			*tried = append(*tried, "key "+k+" (encrypted, and no terminal to ask its passphrase on)")
		}
		return nil, first
	}
	kcfg := *cfg
	kcfg.Auth = nil
	for _, k := range encrypted {
		pass, err := term.ReadPassword(tty, fmt.Sprintf("Enter passphrase for key '%s': ", k), ctx.Done())
		if errors.Is(err, term.ErrInterrupted) {
			return nil, context.Canceled
		}
		if err != nil {
			return nil, err
		}
		kcfg.Auth = append(kcfg.Auth, libssh2.PublicKeyFile(k, pass))
		*tried = append(*tried, "key "+k)
	}
	return libssh2.Dial(ctx, "tcp", addr, &kcfg)
}

// keyEncrypted reports whether the private key file at path needs a passphrase: a PEM key with an
// ENCRYPTED header, or an OpenSSH key whose cipher is not "none".
func keyEncrypted(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	text := string(b)
	if strings.Contains(text, "ENCRYPTED") { // Proc-Type: 4,ENCRYPTED or BEGIN ENCRYPTED PRIVATE KEY
		return true
	}
	const begin, end = "-----BEGIN OPENSSH PRIVATE KEY-----", "-----END OPENSSH PRIVATE KEY-----"
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		return false
	}
	blob, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text[i+len(begin):j]), ""))
	const magic = "openssh-key-v1\x00"
	if err != nil || len(blob) < len(magic)+4 || string(blob[:len(magic)]) != magic {
		return false
	}
	rest := blob[len(magic):]
	n := binary.BigEndian.Uint32(rest)
	if uint64(n) > uint64(len(rest)-4) {
		return false
	}
	return string(rest[4:4+n]) != "none"
}

// hostKeyCheck checks host keys against known_hosts; with -o accept-new it adds unknown ones.
func (c *client) hostKeyCheck(knownHosts string) libssh2.HostKeyCallback {
	return func(hostname string, remote net.Addr, key libssh2.PublicKey) error {
		if revoked(knownHosts, key) {
			return &revokedError{hostname, key}
		}
		var err error
		if _, serr := os.Stat(knownHosts); serr == nil {
			var check libssh2.HostKeyCallback
			if check, err = libssh2.KnownHosts(knownHosts); err == nil {
				err = check(hostname, remote, key)
			}
		} else {
			err = &libssh2.HostKeyError{Host: hostname, Key: key, Fingerprint: libssh2.Fingerprint(key), Err: libssh2.ErrHostKeyUnknown}
		}
		if err == nil || !errors.Is(err, libssh2.ErrHostKeyUnknown) || !c.o.acceptNew {
			return err
		}
		if err := addKnownHost(knownHosts, hostname, key); err != nil {
			return fmt.Errorf("adding the host key to %s: %w", knownHosts, err)
		}
		fmt.Fprintf(c.stderr, "Warning: permanently added %s (%s %s) to %s.\n", hostname, key.Type(), libssh2.Fingerprint(key), knownHosts)
		return nil
	}
}

// revoked reports whether known_hosts marks key as @revoked. libssh2's known_hosts parser takes such
// lines for ordinary hosts named "@revoked", so they are checked here. The host patterns are not
// matched: a revoked key is refused for every host.
func revoked(knownHosts string, key libssh2.PublicKey) bool {
	b, err := os.ReadFile(knownHosts)
	if err != nil {
		return false
	}
	want := key.Marshal()
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "@revoked" {
			continue
		}
		if k, err := libssh2.ParsePublicKey(strings.Join(f[2:], " ")); err == nil && bytes.Equal(k.Marshal(), want) {
			return true
		}
	}
	return false
}

// revokedError refuses a host key that known_hosts marks as @revoked.
type revokedError struct {
	host string
	key  libssh2.PublicKey
}

func (e *revokedError) Error() string {
	return fmt.Sprintf("REFUSED: the host key of %s (%s %s) is marked @revoked in ~/.ssh/known_hosts", e.host, e.key.Type(), libssh2.Fingerprint(e.key))
}

// addKnownHost appends key for hostname ("host:port") to the known_hosts file, as OpenSSH writes it.
func addKnownHost(file, hostname string, key libssh2.PublicKey) error {
	host, port, err := net.SplitHostPort(hostname)
	if err != nil {
		return err
	}
	pattern := host
	if port != "22" {
		pattern = "[" + host + "]:" + port
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("%s %s %s\n", pattern, key.Type(), base64.StdEncoding.EncodeToString(key.Marshal()))
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// describeDial turns a failed Dial into one line a person can act on.
func describeDial(addr string, err error) error {
	var rk *revokedError
	if errors.As(err, &rk) {
		return rk
	}
	var hk *libssh2.HostKeyError
	if errors.As(err, &hk) {
		if errors.Is(err, libssh2.ErrHostKeyMismatch) {
			return fmt.Errorf("REFUSED: the host key of %s has changed (%s %s is not the key in ~/.ssh/known_hosts): possible man-in-the-middle attack; if the server's key really changed, remove the old line from known_hosts", addr, hk.Key.Type(), hk.Fingerprint)
		}
		return fmt.Errorf("REFUSED: the host key of %s is unknown: %s %s; check this fingerprint with the server's administrator, then run again with -o accept-new to trust it", addr, hk.Key.Type(), hk.Fingerprint)
	}
	return err
}
