package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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
	known, err := libssh2.OpenKnownHosts(t.knownHosts, globalKnownHosts())
	if err != nil {
		return err
	}
	cfg := &libssh2.Config{
		User:              t.user,
		HostKeyCallback:   c.hostKeyCheck(known, t.knownHosts),
		KnownHostKeyTypes: known.KeyTypes, // ask for the key types known for the host first, as ssh does
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

// globalKnownHosts is ssh's GlobalKnownHostsFile, /etc/ssh/ssh_known_hosts, or the file
// $SFTPPUT_GLOBAL_KNOWN_HOSTS names (the tests name one of their own, so that they never read the
// machine's).
func globalKnownHosts() string {
	if f := os.Getenv("SFTPPUT_GLOBAL_KNOWN_HOSTS"); f != "" {
		return f
	}
	return "/etc/ssh/ssh_known_hosts"
}

// hostKeyCheck checks host keys against the known_hosts files as ssh does (libssh2.KnownHostsDB);
// with -o accept-new it adds an unknown key to the user's file, hashed, as Debian's ssh does. A key
// that is not unknown (changed, of a type other than the known ones, revoked) is never added, nor a
// key of a host that known_hosts trusts through a certificate authority, which libssh2 cannot
// check: trusting a plain key there would go around the authority.
func (c *client) hostKeyCheck(known *libssh2.KnownHostsDB, userFile string) libssh2.HostKeyCallback {
	return func(hostname string, remote net.Addr, key libssh2.PublicKey) error {
		err := known.Check(hostname, remote, key)
		if err == nil || !c.o.acceptNew || !errors.Is(err, libssh2.ErrHostKeyUnknown) || errors.Is(err, libssh2.ErrHostKeyCertAuthority) {
			return err
		}
		if err := libssh2.AppendKnownHost(userFile, hostname, key, nil); err != nil {
			return fmt.Errorf("adding the host key to %s: %w", userFile, err)
		}
		fmt.Fprintf(c.stderr, "Warning: permanently added %s (%s %s) to %s.\n", term.Escape(hostname), key.Type(), libssh2.Fingerprint(key), term.Escape(userFile))
		return nil
	}
}

// describeDial turns a failed Dial into one line a person can act on.
func describeDial(addr string, err error) error {
	var hk *libssh2.HostKeyError
	if !errors.As(err, &hk) {
		return err
	}
	// where lists the known_hosts lines of the refusal: "file:line", with each key's type if typed.
	where := func(marker string, typed bool) string {
		var ls []string
		for _, k := range hk.Known {
			if k.Marker == marker && typed {
				ls = append(ls, fmt.Sprintf("%s in %s:%d", k.Key.Type(), k.File, k.Line))
			} else if k.Marker == marker {
				ls = append(ls, fmt.Sprintf("%s:%d", k.File, k.Line))
			}
		}
		return strings.Join(ls, ", ")
	}
	switch {
	case errors.Is(err, libssh2.ErrHostKeyRevoked):
		return fmt.Errorf("REFUSED: the host key of %s (%s %s) is marked @revoked in %s", addr, hk.Key.Type(), hk.Fingerprint, where("@revoked", false))
	case errors.Is(err, libssh2.ErrHostKeyOtherType):
		return fmt.Errorf("REFUSED: the host key of %s has changed: it shows its %s key (%s), but is known only by keys of other types (%s): possible man-in-the-middle attack", addr, hk.Key.Type(), hk.Fingerprint, where("", true))
	case errors.Is(err, libssh2.ErrHostKeyMismatch):
		return fmt.Errorf("REFUSED: the host key of %s has changed (%s %s is not the key in %s): possible man-in-the-middle attack; if the server's key really changed, remove the old line from known_hosts", addr, hk.Key.Type(), hk.Fingerprint, where("", false))
	case errors.Is(err, libssh2.ErrHostKeyCertAuthority):
		return fmt.Errorf("REFUSED: the host key of %s is unknown: %s %s; known_hosts trusts a certificate authority for it (@cert-authority: %s), and libssh2 cannot check host certificates: check the fingerprint with the server's administrator and add the host's key to known_hosts to trust it", addr, hk.Key.Type(), hk.Fingerprint, where("@cert-authority", false))
	}
	return fmt.Errorf("REFUSED: the host key of %s is unknown: %s %s; check this fingerprint with the server's administrator, then run again with -o accept-new to trust it", addr, hk.Key.Type(), hk.Fingerprint)
}
