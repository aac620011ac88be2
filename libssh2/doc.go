// Package libssh2 is a Go binding over the real libssh2 C library, through cgo: SSH sessions and
// SFTP with libssh2's exact behaviour, behind an API that reads like the os and io packages.
//
// Use it when a program needs libssh2 itself: code ported from C, servers that libssh2 is known to
// work with, a crypto backend chosen at build time. For pure Go, golang.org/x/crypto/ssh and
// github.com/pkg/sftp are the usual choice.
//
// # Getting started
//
// Dial connects, runs the SSH handshake, checks the server's host key and authenticates; SFTP
// starts the file transfer subsystem; SFTP.Create opens a remote file, io.Copy fills it, and Close
// returns nil only once the server has acknowledged every byte (see Example):
//
//	hostKeys, err := libssh2.OpenKnownHosts(filepath.Join(home, ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts")
//	sess, err := libssh2.Dial(ctx, "tcp", "example.com:22", &libssh2.Config{
//		User:              "alice",
//		Auth:              []libssh2.AuthMethod{libssh2.Agent(), libssh2.PublicKeyFile(keyPath, "")},
//		HostKeyCallback:   hostKeys.Check,
//		KnownHostKeyTypes: hostKeys.KeyTypes,
//	})
//	defer sess.Close()
//	sftp, err := sess.SFTP()
//	f, err := sftp.Create("/upload/data.bin")
//	_, err = io.Copy(f, local)
//	err = f.Close()
//
// Config.HostKeyCallback is required: KnownHostsDB.Check or KnownHosts (OpenSSH known_hosts files,
// decided as OpenSSH's ssh decides: hashed names, [host]:port, wildcards, negation, @revoked; see
// KnownHostsDB), FixedHostKey, HostKeyFingerprint, or, for throw-away test servers only,
// InsecureIgnoreHostKey. With Config.KnownHostKeyTypes (KnownHostsDB.KeyTypes) the session asks
// the server for the key types already known for it first, as ssh does; AppendKnownHost adds a
// trusted key to a known_hosts file (see ExampleAppendKnownHost). Authentication
// methods (Agent, PublicKeyFile, PrivateKey, Password, KeyboardInteractive) are tried in order.
// libssh2 1.10 signs with RSA keys using ssh-rsa (SHA-1), which modern OpenSSH servers refuse by
// default: prefer ed25519 or ECDSA keys.
//
// # Concurrency
//
// libssh2 allows one caller per session. So every call on a Session, its SFTP channels and their
// Files takes the session's lock for the whole operation, waits included. All types are safe for
// concurrent use, but calls on one Session run one at a time: for parallel transfers, open several
// Sessions. Two exceptions let waits on one Session overlap: a read of a command's or forwarded
// connection's channel, waiting for the peer, steps aside while another goroutine needs the
// session; and a Batch's jobs each run on an SFTP channel of their own (a lane), whose requests
// step aside while they wait for their replies, so that several files' requests are in flight on
// one session (SFTP.NewBatch). SFTP.PutFiles keeps several small files' requests in flight on one
// channel within one operation (open, write and close of different files; Batch.Put uses it on a
// short round trip). Concurrent writes to one File land in an unspecified order, as with os.File. ReadFrom
// and WriteTo release the session while they wait for the caller's reader or writer, so io.Copy
// between two Files of one Session works, and a slow source or destination holds up nothing else.
//
// # Uploading
//
// libssh2_sftp_write writes ahead: it queues everything it is given and expects the next call to
// pass the same bytes again from the first unacknowledged one. File hides that: Write and ReadFrom
// (which io.Copy uses) copy into a bounded window that the File owns (DefaultWriteWindow, or
// SFTP.SetWriteWindow), keep libssh2's pipeline full, and never retain the caller's slice; memory
// stays flat for any file size. Write returns n < len(p) only with an error. Accepted bytes are
// durable once Sync or Close returns nil; a server error on them comes back from the next Write,
// ReadFrom, Sync or Close with the Offset up to which the remote file is good, and the File refuses
// further writes.
//
// # Downloading and managing files
//
// SFTP.Open opens a file for reading; Read, ReadAt, Seek and WriteTo (which io.Copy uses) keep
// libssh2's read-ahead busy, in a bounded buffer the File owns (DefaultReadBuffer, or
// SFTP.SetReadBuffer), with no allocation per Read (see ExampleSFTP_Open). Reading and writing one
// File mix as with os.File: a Read, Seek or ReadAt first waits until every written byte is
// acknowledged (libssh2_sftp_seek64 would drop them), and a Write continues where reading stopped.
// SFTP.FS gives an io/fs view of a remote directory tree. SFTP mirrors the os package for the
// rest: Stat, Lstat, ReadDir, Mkdir, MkdirAll, Remove, RemoveAll, Rename, Chmod, Chown, Chtimes,
// Truncate, Symlink, Readlink, RealPath (see ExampleSFTP_MkdirAll), and a File has Stat, Chmod,
// Chown, Chtimes and Truncate of its own. ReadDir lists a whole directory at once; for huge ones,
// SFTP.OpenDir returns a Dir whose ReadDir(n) reads n entries at a time, as os.File.ReadDir does.
//
// # Commands
//
// Session.Command and CommandContext return a Cmd, used as os/exec's is: set Stdin, Stdout, Stderr
// and Env, then Run, Output or CombinedOutput, or Start and Wait, with StdinPipe, StdoutPipe and
// StderrPipe for streaming (see ExampleSession_Command). A command that exits with a status other
// than 0 or is killed by a signal returns an *ExitError (ExitStatus, Signal). A command's waits do
// not hold the session while another goroutine needs it, so commands, SFTP and Session.Dial
// connections on one Session run at once.
//
// # Errors
//
// Every error this package returns is an *Error, shaped like fs.PathError: the operation, the
// remote path (and NewPath for a rename or link), libssh2's code (Code, whose String method is the
// C macro's name and Meaning what it means), the SFTP status (Status) for SFTP failures, and
// libssh2's message, copied when the call failed. The functions that make no libssh2 call
// (OpenKnownHosts, KnownHosts, KnownHostsDB.Check, ParsePublicKey, AppendKnownHost, the host key
// checks) return *Error values too. Errors that are not the package's are passed on, wrapped: a
// HostKeyCallback's refusal is the Err of an *Error with Op "hostkey"; the one exception is
// Batch.Wait, which returns what its jobs returned, joined with errors.Join. errors.Is works with fs.ErrNotExist,
// fs.ErrPermission, fs.ErrExist, fs.ErrClosed, os.ErrDeadlineExceeded, context.Canceled,
// ErrWouldBlock, ErrHostKeyUnknown, ErrHostKeyMismatch, ErrHostKeyOtherType (a mismatch),
// ErrHostKeyRevoked, ErrHostKeyCertAuthority (an unknown key), and any Code or Status value, as in
// errors.Is(err, libssh2.ErrorAuthenticationFailed). A refused host key also carries a
// *HostKeyError with the key, its SHA-256 fingerprint and the known_hosts lines that decided.
//
// # Deadlines and contexts
//
// libssh2 runs in non-blocking mode and every wait happens in Go, on the connection, in the
// direction libssh2 names, so no OS thread sits blocked in C. On Linux a session waits on its
// socket with ppoll(2) in a Go system call, holding its OS thread while it waits (one at most per
// session, since a session runs one operation at a time), and the socket of a session that Dial
// made is not in Go's netpoller: arriving data wakes no other thread. Dial's context bounds the handshake
// and the authentication; Session.SetDeadline and File.SetDeadline bound every later operation,
// and every call that waits on the server has a Context variant (SFTPContext, OpenFileContext,
// WriteContext, ReadContext, StatContext, MkdirContext, RenameContext, Dir.ReadDirContext, ...)
// that ctx bounds as well. An expired deadline
// matches os.ErrDeadlineExceeded, a cancelled context context.Canceled. A Close that runs out of
// time (its deadline, or its own bound of a few seconds on a link that does not answer) returns an
// error matching os.ErrDeadlineExceeded. A context that is already
// done fails the operation before anything is sent. Deadlines set while an operation waits apply
// to it, as with os.File.
//
// An interrupted operation never harms the session. libssh2 expects an interrupted call to be
// repeated before anything else is sent; the package records it and the next operation on the
// session, from any File, finishes it first. A write cut short keeps its accepted bytes in the
// File's window and later calls carry on; a read cut short is finished into the File's buffer and
// its bytes are kept for the next Read, so none is lost or returned twice. Only a failed connection
// makes the Session refuse further use (ErrSessionBroken), and an SFTP channel whose server process
// ended fails its operations with ErrorChannelClosed while the Session opens new channels.
//
// File.Close, Dir.Close, SFTP.Close and Session.Close may be called from another goroutine: the
// operation waiting on the object (for SFTP.Close, on the channel or one of its Files and Dirs)
// returns at once with an error wrapping fs.ErrClosed. File.Close gives up when the server
// acknowledges nothing for 5 s (or at the write deadline); Session.Close returns within about 6 s
// whatever the server does.
//
// # Non-blocking use and the faithful API
//
// For code ported from C, File.RawWrite is libssh2_sftp_write with its exact rules: it returns the
// number of bytes the server acknowledged, and the next call must pass the same bytes from there.
// After Session.SetNonblocking(true), RawWrite returns ErrWouldBlock where libssh2 returns
// LIBSSH2_ERROR_EAGAIN; Session.WaitSocket then waits, like the waitsocket function of libssh2's
// examples, and the same call is repeated (see ExampleFile_RawWrite). File.RawRead is
// libssh2_sftp_read in the same way. If another operation runs on the session before the call is
// repeated, that operation finishes it: RawWrite's acknowledged bytes are returned by the next
// RawWrite, RawRead's bytes by the next RawRead or Read. The idiomatic methods always wait. The repository's
// examples/sftp_write, sftp_write_nonblock and sftp_write_sliding are libssh2's three C upload
// examples written this way.
package libssh2
