package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
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
	t        *target  // where and as whom
	skipped  int      // entries of trees not copied (each reported on stderr)
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

// connect opens the session: host key check, then agent, keys, and at last a password, asked only
// when the server takes one.
func (c *client) connect(ctx context.Context) error {
	t := c.t
	addr := net.JoinHostPort(t.host, strconv.Itoa(t.port))
	cfg := &libssh2.Config{
		User:            t.user,
		HostKeyCallback: c.hostKeyCheck(t.knownHosts),
	}
	if c.o.ciphers != "" {
		cfg.Ciphers = strings.Split(c.o.ciphers, ",")
	}
	var tried []string
	if os.Getenv("SSH_AUTH_SOCK") != "" {
		cfg.Auth = append(cfg.Auth, libssh2.Agent())
		tried = append(tried, "ssh-agent")
	}
	var encrypted []string // keys that need a passphrase: tried only if the others fail
	var rsa []string       // RSA keys tried (for rsaHint)
	isRSA := map[string]bool{}
	for _, k := range t.keys {
		info, err := readKeyFile(k)
		if err != nil {
			tried = append(tried, fmt.Sprintf("key %s (%s)", k, describeLocal(err)))
			continue
		}
		isRSA[k] = info.isRSA()
		if info.encrypted {
			encrypted = append(encrypted, k)
			continue
		}
		cfg.Auth = append(cfg.Auth, libssh2.PublicKeyFile(k, ""))
		tried = append(tried, "key "+k)
		if isRSA[k] {
			rsa = append(rsa, k)
		}
	}
	// The first Dial checks the host key even when there is no method to try yet: nothing is asked
	// of the user before the server is known to be the right one.
	sess, err := libssh2.Dial(ctx, "tcp", addr, cfg)
	offered := authMethods(err, nil)
	if isAuthFailure(err) && len(encrypted) > 0 {
		if slices.Contains(offered, "publickey") {
			sess, err = c.passphraseLogin(ctx, addr, cfg, encrypted, err, &tried)
			offered = authMethods(err, offered)
			for _, k := range encrypted {
				if isRSA[k] && c.tty() != nil { // asked for, so tried
					rsa = append(rsa, k)
				}
			}
		} else {
			for _, k := range encrypted {
				tried = append(tried, "key "+k+" (encrypted; not asked for: the server takes no keys)")
			}
		}
	}
	if isAuthFailure(err) {
		switch {
		case !slices.Contains(offered, "password") && !slices.Contains(offered, "keyboard-interactive"):
			// Nothing to ask the user for: the server takes no password.
		case c.tty() == nil:
			tried = append(tried, "password (no terminal to ask it on)")
		default:
			sess, err = c.passwordLogin(ctx, addr, cfg, err)
			offered = authMethods(err, offered)
			tried = append(tried, "password")
		}
	}
	if err != nil {
		if isAuthFailure(err) {
			return authFailure(t, offered, tried, rsa, err)
		}
		return describeDial(addr, err)
	}
	c.sess = sess
	c.sf, err = sess.SFTPContext(ctx)
	return err
}

// authMethods returns the methods the server offered, from a failed authentication's error, or
// before when err does not say.
func authMethods(err error, before []string) []string {
	var le *libssh2.Error
	if errors.As(err, &le) && le.AuthMethods != nil {
		return le.AuthMethods
	}
	return before
}

// authFailure says, as ssh does, that the server refused every way sftpput had: which methods the
// server takes, what was tried, and why an RSA key may have been refused.
func authFailure(t *target, offered, tried, rsa []string, err error) error {
	if len(tried) == 0 {
		tried = []string{"nothing: no agent, no key"}
	}
	denied := "Permission denied (" + strings.Join(offered, ",") + ")"
	if offered == nil { // the server did not say: the failure came before its list
		denied = "authentication failed"
	}
	msg := fmt.Sprintf("%s@%s: %s; tried %s", t.user, t.host, denied, strings.Join(tried, ", "))
	if !errors.Is(err, libssh2.ErrorMethodNone) { // else what was tried already says it all
		msg += fmt.Sprintf(" (%v)", err)
	}
	if h := rsaHint(offered, rsa, libssh2.Version()); h != "" {
		msg += "; " + h
	}
	return errors.New(msg)
}

// rsaHint explains why an RSA key may have been refused: libssh2 before 1.11 signs with ssh-rsa
// (SHA-1), which OpenSSH 8.8 and later refuse unless PubkeyAcceptedAlgorithms allows it
// (docs/DESIGN.md, fact 9). "" when no RSA key was tried, the server takes no keys, or the
// libssh2 signs with SHA-2.
func rsaHint(offered, rsa []string, version string) string {
	if len(rsa) == 0 || !slices.Contains(offered, "publickey") || !olderThan(version, 1, 11) {
		return ""
	}
	return fmt.Sprintf("%s is an RSA key, and libssh2 %s signs with RSA keys using ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default: use an ed25519 or ECDSA key, or a program built with libssh2 1.11 or later (rsa-sha2-256/512)",
		strings.Join(rsa, ", "), version)
}

// olderThan reports whether the version "major.minor.patch" is older than major.minor; a version
// it cannot read is not.
func olderThan(version string, major, minor int) bool {
	f := strings.SplitN(version, ".", 3)
	if len(f) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(f[0])
	mi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma < major || ma == major && mi < minor
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
// password method or keyboard-interactive, whichever the server offers.
func (c *client) passwordLogin(ctx context.Context, addr string, cfg *libssh2.Config, first error) (*libssh2.Session, error) {
	tty := c.tty()
	last := first
	for attempt := 0; attempt < 3; attempt++ {
		pw, err := term.ReadPassword(tty, term.Escape(fmt.Sprintf("%s@%s's password: ", cfg.User, c.t.host)), ctx.Done())
		if err != nil {
			return nil, promptError(err)
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
			return sess, nil
		}
		if !isAuthFailure(err) {
			return nil, err
		}
		last = err
		if attempt < 2 {
			fmt.Fprintln(tty, "Permission denied, please try again.")
		}
	}
	return nil, last
}

// promptError is what a prompt that did not get its answer ends the login with: the signal that
// came (the terminal is restored; the program exits as the signal asks), or the context's end.
func promptError(err error) error {
	var se *term.SignalError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, term.ErrInterrupted):
		return context.Canceled
	}
	return err
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
		pass, err := term.ReadPassword(tty, fmt.Sprintf("Enter passphrase for key '%s': ", term.Escape(k)), ctx.Done())
		if err != nil {
			return nil, promptError(err)
		}
		kcfg.Auth = append(kcfg.Auth, libssh2.PublicKeyFile(k, pass))
		*tried = append(*tried, "key "+k)
	}
	return libssh2.Dial(ctx, "tcp", addr, &kcfg)
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
