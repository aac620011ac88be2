package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Error is the error returned by every operation of this package. It is shaped like
// [fs.PathError]: the operation, the path where there is one (two for renames and links, as with
// [os.LinkError]), and what went wrong, which is libssh2's
// code (with the SFTP status for SFTP failures and libssh2's message, copied when the call failed) or
// an underlying Go error such as a context's.
//
// errors.Is works with the standard sentinels: fs.ErrNotExist, fs.ErrPermission, fs.ErrExist,
// fs.ErrClosed, os.ErrDeadlineExceeded, io.EOF, with [ErrWouldBlock], and with a [Code] or [Status]
// value itself, as in errors.Is(err, libssh2.ErrorAuthenticationFailed).
type Error struct {
	Op   string // the operation: "handshake", "hostkey", "auth", "sftp", "open", "write", "close", ...
	Path string // the remote path, where there is one
	// NewPath is, for an operation on two paths (Rename, RenameWithFlags, PosixRename, Symlink),
	// the second one, as os.LinkError's New: the new name, or the link made. Path is then the
	// first (the old name, or the link's target). "" for the others.
	NewPath string
	Code    Code   // libssh2's code (a LIBSSH2_ERROR_* value); 0 when the failure is not libssh2's
	Status  Status // the SFTP status; meaningful only when Code is ErrorSFTPProtocol
	Msg     string // libssh2's message for the failure, copied when it happened
	// Offset is, for errors on data already accepted by a File's writes, the offset up to which the
	// remote file is known to hold exactly the bytes written; -1 where it does not apply.
	Offset int64
	Err    error // the underlying Go error (context, network, host key), or nil
	// AuthMethods are, for an authentication that failed (Op "auth"), the methods the server
	// offered (libssh2_userauth_list), in its order, such as ["publickey", "password"]: what a
	// client needs to decide whether asking for a password can help. nil when the failure came
	// before the server said (a cut connection, a context's end).
	AuthMethods []string
}

func (e *Error) hasStatus() bool { return e.Code == ErrorSFTPProtocol && e.Status != 0 }

// Error formats e as "libssh2: op path [newpath]: " followed by the SFTP status, the code, libssh2's
// message, the underlying error and the good offset, each where there is one.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("libssh2: ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteByte(' ')
		b.WriteString(e.Path)
	}
	if e.NewPath != "" {
		b.WriteByte(' ')
		b.WriteString(e.NewPath)
	}
	b.WriteString(": ")
	parts := 0
	if e.hasStatus() {
		fmt.Fprintf(&b, "%s (%d, %s)", e.Status.String(), uint32(e.Status), e.Status.Meaning())
		parts++
	}
	if e.Code != 0 {
		if parts > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%d)", e.Code.String(), int(e.Code))
		parts++
	}
	if e.Msg != "" {
		if parts > 0 {
			b.WriteString(": ")
		}
		b.WriteString(strconv.Quote(e.Msg))
		parts++
	}
	if e.Err != nil {
		if parts > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " (remote file good up to offset %d)", e.Offset)
	}
	return b.String()
}

// Unwrap returns the underlying Go error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the operation failed because a deadline passed (os.ErrDeadlineExceeded,
// or a context's deadline), as net.Error's Timeout does.
func (e *Error) Timeout() bool {
	return errors.Is(e, os.ErrDeadlineExceeded) || errors.Is(e.Err, context.DeadlineExceeded)
}

// Temporary is Timeout, for net.Error (whose Temporary is deprecated).
func (e *Error) Temporary() bool { return e.Timeout() }

// Is reports whether e matches target: a Code or Status equal to e's, or a standard sentinel that
// e's code or status stands for.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return e.Code != 0 && e.Code == t
	case Status:
		return e.hasStatus() && e.Status == t
	}
	if e.Code != 0 && e.Code.Is(target) {
		return true
	}
	if e.hasStatus() && e.Status.Is(target) {
		return true
	}
	if target == os.ErrDeadlineExceeded && errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	return false
}

// Sentinel errors. Errors returned by this package wrap them in an *Error.
var (
	// ErrHostKeyUnknown: the server's host key is not known to the host key check.
	ErrHostKeyUnknown = errors.New("libssh2: host key unknown")
	// ErrHostKeyMismatch: the server's host key differs from the one the check knows for the host.
	ErrHostKeyMismatch = errors.New("libssh2: host key mismatch (possible man-in-the-middle attack)")
	// ErrHostKeyOtherType: the host is known only by keys of other types than the one the server
	// presented. OpenSSH takes that for a changed key, and so does this package: errors.Is(err,
	// ErrHostKeyMismatch) holds for it, errors.Is(err, ErrHostKeyUnknown) does not.
	ErrHostKeyOtherType error = &subError{"libssh2: host known only by keys of other types (possible man-in-the-middle attack)", ErrHostKeyMismatch}
	// ErrHostKeyRevoked: a known_hosts file marks the server's host key @revoked for the host.
	ErrHostKeyRevoked = errors.New("libssh2: host key revoked")
	// ErrHostKeyCertAuthority: the host key is unknown, and a known_hosts file trusts a certificate
	// authority for the host (@cert-authority), which this package cannot use: libssh2 cannot check
	// host certificates. errors.Is(err, ErrHostKeyUnknown) holds for it too.
	ErrHostKeyCertAuthority error = &subError{"libssh2: host key unknown, and libssh2 cannot check the host certificates that known_hosts trusts for the host (@cert-authority)", ErrHostKeyUnknown}
	// ErrNoHostKeyCallback: a Config without a HostKeyCallback.
	ErrNoHostKeyCallback = errors.New("libssh2: Config.HostKeyCallback is nil: set one, or InsecureIgnoreHostKey() to skip the check")
	// ErrSessionBroken: the session's connection failed (a socket error, a protocol error, the
	// socket shut down by Close), so the session refuses further use. Close it and open a new one.
	// An operation cut short by its deadline, its context or Close does not break the session.
	ErrSessionBroken = errors.New("libssh2: session unusable after an interrupted operation")
	// ErrNotSupported: the libssh2 this package was built against lacks the function.
	ErrNotSupported = errors.New("libssh2: not supported by this libssh2")
)

// subError is a sentinel error that is also a case of a broader one (ErrHostKeyOtherType is an
// ErrHostKeyMismatch).
type subError struct {
	msg    string
	parent error
}

func (e *subError) Error() string { return e.msg }
func (e *subError) Unwrap() error { return e.parent }

// newError is the one constructor of *Error: code 0 means no libssh2 code, err may be nil. Offset
// starts at -1 (does not apply); the errors of a File's writes set it from the File (op.fail), so
// that no error about accepted bytes can forget where the remote file is good.
func newError(op, path string, code Code, err error) *Error {
	return &Error{Op: op, Path: path, Code: code, Offset: -1, Err: err}
}

// errClosed is the error for use of a closed object.
func errClosed(op, path string) error { return newError(op, path, 0, fs.ErrClosed) }

// errInvalid is the error for a nil receiver or an invalid argument.
func errInvalid(op, path string, why error) error { return newError(op, path, 0, why) }
