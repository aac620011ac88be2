package main

import (
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
	known, err := libssh2.OpenKnownHosts(filepath.Join(dir, "known_hosts"), globalKnownHosts())
	if err != nil {
		return err
	}
	cfg := &libssh2.Config{
		User:              userName,
		HostKeyCallback:   c.hostKeyCheck(known, filepath.Join(dir, "known_hosts")),
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
		fmt.Fprintf(c.stderr, "Warning: permanently added %s (%s %s) to %s.\n", hostname, key.Type(), libssh2.Fingerprint(key), userFile)
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
