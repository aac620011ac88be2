// Package libssh2 is a Go binding over the real libssh2 C library: SSH sessions and SFTP with
// libssh2's exact behaviour, behind an API that reads like the os and io packages.
//
// # Sessions
//
// Dial (or NewSession over a connection you made) runs the handshake, checks the server's host key
// with Config.HostKeyCallback (required: KnownHosts, FixedHostKey, HostKeyFingerprint, or the loudly
// named InsecureIgnoreHostKey), and authenticates with the Config's methods in order.
//
// # Concurrency
//
// libssh2 allows one caller per session, so every call on a Session, its SFTP channels and their
// Files takes the session's lock for the whole operation. All types are safe for concurrent use;
// for parallel transfers, open several Sessions.
//
// # Waiting, deadlines and contexts
//
// libssh2 runs in non-blocking mode and every wait happens in Go, on the connection, in the direction
// libssh2 names. So Session.SetDeadline, File.SetDeadline and the *Context methods bound every
// operation, the handshake included, and no OS thread sits blocked in C. An expired deadline
// unwraps to os.ErrDeadlineExceeded; a cancelled context to context.Canceled.
//
// # Uploading
//
// libssh2_sftp_write writes ahead: it queues everything it is given and expects the next call to pass
// the same bytes again from the first unacknowledged one. File hides that: Write and ReadFrom copy
// into a bounded window (DefaultWriteWindow, or SFTP.SetWriteWindow) that the File owns, keep
// libssh2's pipeline full, and never retain the caller's slice. Write returns n < len(p) only with an
// error. Accepted bytes are durable once Sync or Close returns nil; a server error on them comes
// back from the next Write, ReadFrom, Sync or Close with the Offset up to which the file is good, and
// the File refuses further writes. A deadline or cancellation keeps the accepted bytes in the window:
// later calls carry on. File.RawWrite is libssh2_sftp_write itself, for ported C code.
//
// # Errors
//
// Every error is an *Error with the operation, path, libssh2 code, SFTP status and libssh2's message;
// errors.Is works with fs.ErrNotExist, fs.ErrPermission, fs.ErrExist, fs.ErrClosed,
// os.ErrDeadlineExceeded, ErrWouldBlock, ErrHostKeyUnknown, ErrHostKeyMismatch, and any Code or
// Status value.
package libssh2
