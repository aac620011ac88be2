package libssh2

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// An AuthMethod is one way to authenticate: Password, PublicKeyFile, PrivateKey, Agent or
// KeyboardInteractive.
type AuthMethod interface {
	method() string // the SSH method name the server lists ("password", "publickey", ...)
	// auth runs the method; it returns libssh2's result code and, where the method itself failed
	// before or after libssh2 (a callback's error), a Go error.
	auth(s *Session, w *waiter, user string) (int, error)
}

type passwordAuth struct{ secret string }

// Password authenticates with a password (libssh2_userauth_password_ex).
func Password(secret string) AuthMethod { return passwordAuth{secret} }

func (passwordAuth) method() string { return "password" }

func (a passwordAuth) auth(s *Session, w *waiter, user string) (int, error) {
	return s.call(w, nil, func() int { return cshim.UserauthPassword(s.s, user, a.secret) })
}

type keyFileAuth struct{ private, public, passphrase string }

// PublicKeyFile authenticates with the private key in the file at path (OpenSSH or PEM format),
// decrypted with passphrase when it is encrypted (libssh2_userauth_publickey_fromfile_ex). The
// public key is derived from the private one.
func PublicKeyFile(path, passphrase string) AuthMethod { return keyFileAuth{path, "", passphrase} }

func (keyFileAuth) method() string { return "publickey" }

func (a keyFileAuth) auth(s *Session, w *waiter, user string) (int, error) {
	if _, err := os.Stat(a.private); err != nil {
		return 0, err // a clear "no such file" instead of libssh2's generic file error
	}
	return s.call(w, nil, func() int {
		return cshim.UserauthPublickeyFromfile(s.s, user, a.public, a.private, a.passphrase)
	})
}

type keyMemAuth struct {
	private    []byte
	passphrase string
}

// PrivateKey authenticates with a private key held in memory (the contents of a key file), decrypted
// with passphrase when it is encrypted (libssh2_userauth_publickey_frommemory). The public key is
// derived from the private one.
func PrivateKey(privateKey []byte, passphrase string) AuthMethod {
	return keyMemAuth{slices.Clone(privateKey), passphrase}
}

func (keyMemAuth) method() string { return "publickey" }

func (a keyMemAuth) auth(s *Session, w *waiter, user string) (int, error) {
	return s.call(w, nil, func() int {
		return cshim.UserauthPublickeyFrommemory(s.s, user, nil, a.private, a.passphrase)
	})
}

type agentAuth struct{}

// Agent authenticates with the identities of the ssh-agent at $SSH_AUTH_SOCK, trying each in turn
// (libssh2_agent_connect, libssh2_agent_userauth).
func Agent() AuthMethod { return agentAuth{} }

func (agentAuth) method() string { return "publickey" }

func (agentAuth) auth(s *Session, w *waiter, user string) (int, error) {
	if os.Getenv("SSH_AUTH_SOCK") == "" {
		return 0, errors.New("ssh-agent: SSH_AUTH_SOCK is not set")
	}
	a := cshim.AgentInit(s.s)
	if a == nil {
		return int(ErrorAlloc), nil
	}
	defer cshim.AgentFree(a)
	if rc := cshim.AgentConnect(a); rc < 0 {
		return rc, nil
	}
	defer cshim.AgentDisconnect(a)
	if rc := cshim.AgentListIdentities(a); rc < 0 {
		return rc, nil
	}
	rc := int(ErrorAuthenticationFailed)
	for n := 0; ; n++ {
		r, err := s.call(w, nil, func() int { return cshim.AgentUserauth(a, user, n) })
		if err != nil {
			return r, err
		}
		switch {
		case r == 0:
			return 0, nil
		case r == 1: // no n-th identity: all were tried
			if n == 0 {
				return rc, errors.New("ssh-agent has no identities")
			}
			return rc, nil
		}
		rc = r
	}
}

// KeyboardInteractiveChallenge answers one round of keyboard-interactive authentication: one answer
// per question. echos says whether each answer may be shown as it is typed.
type KeyboardInteractiveChallenge func(name, instruction string, questions []string, echos []bool) (answers []string, err error)

type kbdAuth struct{ challenge KeyboardInteractiveChallenge }

// KeyboardInteractive authenticates by answering the server's prompts with challenge
// (libssh2_userauth_keyboard_interactive_ex).
func KeyboardInteractive(challenge KeyboardInteractiveChallenge) AuthMethod {
	return kbdAuth{challenge}
}

func (kbdAuth) method() string { return "keyboard-interactive" }

func (a kbdAuth) auth(s *Session, w *waiter, user string) (int, error) {
	var cbErr error
	fn := func(name, instruction string, prompts []cshim.KbdPrompt) (answers []string) {
		defer func() {
			// A panic must not unwind through libssh2's C frames.
			if r := recover(); r != nil {
				cbErr = fmt.Errorf("keyboard-interactive callback panicked: %v", r)
				answers = nil
			}
		}()
		qs := make([]string, len(prompts))
		echos := make([]bool, len(prompts))
		for i, p := range prompts {
			qs[i], echos[i] = p.Text, p.Echo
		}
		ans, err := a.challenge(name, instruction, qs, echos)
		if err != nil {
			cbErr = err
			return nil
		}
		return ans
	}
	rc, err := s.call(w, nil, func() int { return cshim.UserauthKeyboardInteractive(s.s, user, fn) })
	if err == nil && rc < 0 && cbErr != nil {
		err = cbErr
	}
	return rc, err
}

// authenticate tries the configured methods in order. A redial first tries the method that logged
// in the session it copies (s.authed), before asking the server which methods it offers: one
// round trip fewer for each extra session of a transfer or batch. The caller holds the session
// lock.
func (s *Session) authenticate(w *waiter) error {
	user := s.cfg.User
	if user == "" {
		return errInvalid("auth", "", errors.New("Config.User is empty"))
	}
	if m := s.authed; m != nil {
		s.authed = nil
		done, err := s.tryAuth(w, m, user)
		if done {
			return err
		}
		// Refused this time: go on as a first login does (a method may be tried twice).
	}
	var offered string
	rc, err := s.call(w, nil, func() int {
		m, ok := cshim.UserauthList(s.s, user)
		if ok {
			offered = m
			return 0
		}
		if cshim.UserauthAuthenticated(s.s) {
			return 1 // the "none" method succeeded
		}
		if e := cshim.SessionLastErrno(s.s); e < 0 {
			return e
		}
		return int(ErrorProto)
	})
	if err != nil {
		s.breakWith(err)
		return newError("auth", "", 0, err)
	}
	if rc == 1 {
		return nil
	}
	if rc < 0 {
		return s.errorf("auth", "", rc, nil)
	}
	methods := strings.FieldsFunc(offered, func(r rune) bool { return r == ',' })
	var last *Error
	for _, m := range s.cfg.Auth {
		if m == nil || !slices.Contains(methods, m.method()) {
			continue
		}
		done, err := s.tryAuth(w, m, user)
		if done {
			return err
		}
		last = err.(*Error)
	}
	if last == nil {
		last = newError("auth", "", ErrorMethodNone,
			fmt.Errorf("no configured method is offered by the server (it offers %q)", offered))
	}
	last.AuthMethods = methods
	return last
}

// tryAuth runs method m. It reports done with a nil error when m logged the session in, done with
// the error when the session is of no more use (an interrupted wait), and otherwise m's failure,
// an *Error, after which another method may be tried. The caller holds the session lock.
func (s *Session) tryAuth(w *waiter, m AuthMethod, user string) (done bool, _ error) {
	rc, err := m.auth(s, w, user)
	if rc == 0 && err == nil {
		s.authed = m
		return true, nil
	}
	// A failed wait (s.call's error, already converted by the waiter: the context's error or the
	// socket's) leaves libssh2 inside the method's call, still answering EAGAIN: no other method
	// may start, and the error is the wait's, never the EAGAIN code.
	if (err != nil && rc == cshim.ErrorEAGAIN) || w.ctx.Err() != nil {
		if err == nil || rc != cshim.ErrorEAGAIN {
			err = w.err(os.ErrDeadlineExceeded)
		}
		s.breakWith(err)
		return true, newError("auth", "", 0, err)
	}
	var e *Error
	if rc < 0 {
		e = s.errorf("auth", "", rc, err)
	} else {
		e = newError("auth", "", 0, err)
	}
	e.Err = joinMethod(m.method(), e.Err)
	return false, e
}

// joinMethod notes which method failed.
func joinMethod(method string, err error) error {
	if err == nil {
		return fmt.Errorf("method %s failed", method)
	}
	return fmt.Errorf("method %s: %w", method, err)
}
