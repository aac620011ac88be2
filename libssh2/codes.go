package libssh2

import (
	"strconv"

	"github.com/seed191f4051/go-libssh2/internal/errmap"
)

// Code is a libssh2 error code: one of the negative LIBSSH2_ERROR_* values that libssh2 functions
// return, listed below with their C names and meanings (go doc -all shows the whole list). An *Error carries the code of the call that
// failed in its Code field.
//
// A Code is itself an error, so errors.Is(err, ErrorAuthenticationFailed) reports whether err
// carries that code. Its String method returns the C macro's name, and keeps a number this package
// does not know: Code(-99).String() is "LIBSSH2_ERROR(-99)".
type Code int

// String returns the C macro's name, such as "LIBSSH2_ERROR_EAGAIN"; an unknown number keeps its
// value: "LIBSSH2_ERROR(-99)".
func (c Code) String() string { return errmap.Code(c).String() }

// Meaning returns a short description of the code, such as "authentication failed". It makes no
// libssh2 call, nor do the other methods of Code and Status: the table is in Go.
func (c Code) Meaning() string { return errmap.Code(c).Meaning() }

// Since returns the libssh2 version that introduced the code ("1.8.0 or earlier", "1.9.0", ...;
// "" for an unknown code). A libssh2 older than that never returns it.
func (c Code) Since() string { return errmap.Code(c).Since() }

// Error returns "libssh2: " followed by the name, the number and the meaning (no libssh2 call).
func (c Code) Error() string {
	return "libssh2: " + c.String() + " (" + strconv.Itoa(int(c)) + "): " + c.Meaning()
}

// Is reports whether the code stands for target: ErrorTimeout and ErrorSocketTimeout for
// os.ErrDeadlineExceeded, ErrorEAGAIN for ErrWouldBlock.
func (c Code) Is(target error) bool { return errmap.Code(c).Is(target) }

// Status is an SFTP status code (LIBSSH2_FX_*, the status of an SSH_FXP_STATUS answer), listed
// below with their C names and meanings. An *Error whose Code is ErrorSFTPProtocol carries the
// server's status in its Status field.
//
// A Status is itself an error, so errors.Is(err, FXNoSuchFile) reports whether err carries that
// status. Its String method returns the C macro's name, and keeps a number this package does not
// know: Status(99).String() is "LIBSSH2_FX(99)".
type Status uint32

// String returns the C macro's name, such as "LIBSSH2_FX_NO_SUCH_FILE"; an unknown number keeps its
// value: "LIBSSH2_FX(99)".
func (s Status) String() string { return errmap.Status(s).String() }

// Meaning returns a short description of the status, such as "no such file".
func (s Status) Meaning() string { return errmap.Status(s).Meaning() }

// Error returns "sftp: " followed by the name, the number and the meaning (no libssh2 call).
func (s Status) Error() string {
	return "sftp: " + s.String() + " (" + strconv.FormatUint(uint64(s), 10) + "): " + s.Meaning()
}

// Is reports whether the status stands for target: FXNoSuchFile and FXNoSuchPath for
// fs.ErrNotExist, FXPermissionDenied and FXWriteProtect for fs.ErrPermission, FXFileAlreadyExists
// for fs.ErrExist, FXEOF for io.EOF.
func (s Status) Is(target error) bool { return errmap.Status(s).Is(target) }

// ErrWouldBlock is what ErrorEAGAIN stands for: libssh2 would block. After
// Session.SetNonblocking(true), the faithful calls (File.RawWrite, File.RawRead) return errors
// matching it; wait with Session.WaitSocket and repeat the call.
var ErrWouldBlock = errmap.ErrWouldBlock

// The libssh2 error codes: each one's C name (LIBSSH2_ERROR_*), what it means and, for codes newer
// than libssh2 1.8, the version that introduced it. internal/errmap holds the same table, checked
// against the installed header by cshim's tests.
const (
	ErrorNone                  Code = 0   // LIBSSH2_ERROR_NONE: no error
	ErrorSocketNone            Code = -1  // LIBSSH2_ERROR_SOCKET_NONE: no socket or socket error
	ErrorBannerRecv            Code = -2  // LIBSSH2_ERROR_BANNER_RECV: cannot receive the server's banner
	ErrorBannerSend            Code = -3  // LIBSSH2_ERROR_BANNER_SEND: cannot send the banner
	ErrorInvalidMAC            Code = -4  // LIBSSH2_ERROR_INVALID_MAC: invalid MAC on a received packet
	ErrorKexFailure            Code = -5  // LIBSSH2_ERROR_KEX_FAILURE: key exchange failed
	ErrorAlloc                 Code = -6  // LIBSSH2_ERROR_ALLOC: memory allocation failed
	ErrorSocketSend            Code = -7  // LIBSSH2_ERROR_SOCKET_SEND: cannot send on the socket
	ErrorKeyExchangeFailure    Code = -8  // LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE: key exchange failed
	ErrorTimeout               Code = -9  // LIBSSH2_ERROR_TIMEOUT: timed out
	ErrorHostkeyInit           Code = -10 // LIBSSH2_ERROR_HOSTKEY_INIT: cannot initialize the host key
	ErrorHostkeySign           Code = -11 // LIBSSH2_ERROR_HOSTKEY_SIGN: host key signature check failed
	ErrorDecrypt               Code = -12 // LIBSSH2_ERROR_DECRYPT: decryption failed
	ErrorSocketDisconnect      Code = -13 // LIBSSH2_ERROR_SOCKET_DISCONNECT: the connection was closed
	ErrorProto                 Code = -14 // LIBSSH2_ERROR_PROTO: SSH protocol error
	ErrorPasswordExpired       Code = -15 // LIBSSH2_ERROR_PASSWORD_EXPIRED: password expired
	ErrorFile                  Code = -16 // LIBSSH2_ERROR_FILE: cannot read a file (key or known_hosts)
	ErrorMethodNone            Code = -17 // LIBSSH2_ERROR_METHOD_NONE: no usable method
	ErrorAuthenticationFailed  Code = -18 // LIBSSH2_ERROR_AUTHENTICATION_FAILED: authentication failed
	ErrorPublickeyUnverified   Code = -19 // LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED: public key not verified
	ErrorChannelOutoforder     Code = -20 // LIBSSH2_ERROR_CHANNEL_OUTOFORDER: channel packet out of order
	ErrorChannelFailure        Code = -21 // LIBSSH2_ERROR_CHANNEL_FAILURE: channel failure
	ErrorChannelRequestDenied  Code = -22 // LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED: channel request denied
	ErrorChannelUnknown        Code = -23 // LIBSSH2_ERROR_CHANNEL_UNKNOWN: unknown channel
	ErrorChannelWindowExceeded Code = -24 // LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED: channel window exceeded
	ErrorChannelPacketExceeded Code = -25 // LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED: channel packet too large
	ErrorChannelClosed         Code = -26 // LIBSSH2_ERROR_CHANNEL_CLOSED: channel closed
	ErrorChannelEOFSent        Code = -27 // LIBSSH2_ERROR_CHANNEL_EOF_SENT: channel EOF already sent
	ErrorSCPProtocol           Code = -28 // LIBSSH2_ERROR_SCP_PROTOCOL: SCP protocol error
	ErrorZlib                  Code = -29 // LIBSSH2_ERROR_ZLIB: compression error
	ErrorSocketTimeout         Code = -30 // LIBSSH2_ERROR_SOCKET_TIMEOUT: socket timed out
	ErrorSFTPProtocol          Code = -31 // LIBSSH2_ERROR_SFTP_PROTOCOL: SFTP request failed (see the SFTP status)
	ErrorRequestDenied         Code = -32 // LIBSSH2_ERROR_REQUEST_DENIED: request denied
	ErrorMethodNotSupported    Code = -33 // LIBSSH2_ERROR_METHOD_NOT_SUPPORTED: method not supported
	ErrorInval                 Code = -34 // LIBSSH2_ERROR_INVAL: invalid argument
	ErrorInvalidPollType       Code = -35 // LIBSSH2_ERROR_INVALID_POLL_TYPE: invalid poll type
	ErrorPublickeyProtocol     Code = -36 // LIBSSH2_ERROR_PUBLICKEY_PROTOCOL: publickey subsystem error
	ErrorEAGAIN                Code = -37 // LIBSSH2_ERROR_EAGAIN: operation would block
	ErrorBufferTooSmall        Code = -38 // LIBSSH2_ERROR_BUFFER_TOO_SMALL: buffer too small
	ErrorBadUse                Code = -39 // LIBSSH2_ERROR_BAD_USE: bad use of the API
	ErrorCompress              Code = -40 // LIBSSH2_ERROR_COMPRESS: compression failed
	ErrorOutOfBoundary         Code = -41 // LIBSSH2_ERROR_OUT_OF_BOUNDARY: out of boundary
	ErrorAgentProtocol         Code = -42 // LIBSSH2_ERROR_AGENT_PROTOCOL: ssh-agent protocol error
	ErrorSocketRecv            Code = -43 // LIBSSH2_ERROR_SOCKET_RECV: cannot receive on the socket
	ErrorEncrypt               Code = -44 // LIBSSH2_ERROR_ENCRYPT: encryption failed
	ErrorBadSocket             Code = -45 // LIBSSH2_ERROR_BAD_SOCKET: bad socket
	ErrorKnownHosts            Code = -46 // LIBSSH2_ERROR_KNOWN_HOSTS: known_hosts error
	ErrorChannelWindowFull     Code = -47 // LIBSSH2_ERROR_CHANNEL_WINDOW_FULL: channel window full (since libssh2 1.9.0)
	ErrorKeyfileAuthFailed     Code = -48 // LIBSSH2_ERROR_KEYFILE_AUTH_FAILED: key file authentication failed (wrong passphrase or bad key) (since libssh2 1.9.0)
	ErrorRandgen               Code = -49 // LIBSSH2_ERROR_RANDGEN: random generator failed (since libssh2 1.10.0)
	ErrorMissingUserauthBanner Code = -50 // LIBSSH2_ERROR_MISSING_USERAUTH_BANNER: no user authentication banner (since libssh2 1.11.0)
	ErrorAlgoUnsupported       Code = -51 // LIBSSH2_ERROR_ALGO_UNSUPPORTED: algorithm not supported (since libssh2 1.11.0)
	ErrorMACFailure            Code = -52 // LIBSSH2_ERROR_MAC_FAILURE: MAC computation failed (since libssh2 1.11.0)
	ErrorHashInit              Code = -53 // LIBSSH2_ERROR_HASH_INIT: hash initialization failed (since libssh2 1.11.0)
	ErrorHashCalc              Code = -54 // LIBSSH2_ERROR_HASH_CALC: hash computation failed (since libssh2 1.11.0)
)

// The SFTP statuses: each one's C name (LIBSSH2_FX_*) and what it means. SFTP version 3 servers,
// OpenSSH's among them, send only FXOK to FXOpUnsupported.
const (
	FXOK                  Status = 0  // LIBSSH2_FX_OK: success
	FXEOF                 Status = 1  // LIBSSH2_FX_EOF: end of file
	FXNoSuchFile          Status = 2  // LIBSSH2_FX_NO_SUCH_FILE: no such file
	FXPermissionDenied    Status = 3  // LIBSSH2_FX_PERMISSION_DENIED: permission denied
	FXFailure             Status = 4  // LIBSSH2_FX_FAILURE: failure
	FXBadMessage          Status = 5  // LIBSSH2_FX_BAD_MESSAGE: bad message
	FXNoConnection        Status = 6  // LIBSSH2_FX_NO_CONNECTION: no connection
	FXConnectionLost      Status = 7  // LIBSSH2_FX_CONNECTION_LOST: connection lost
	FXOpUnsupported       Status = 8  // LIBSSH2_FX_OP_UNSUPPORTED: operation not supported
	FXInvalidHandle       Status = 9  // LIBSSH2_FX_INVALID_HANDLE: invalid handle
	FXNoSuchPath          Status = 10 // LIBSSH2_FX_NO_SUCH_PATH: no such path
	FXFileAlreadyExists   Status = 11 // LIBSSH2_FX_FILE_ALREADY_EXISTS: file already exists
	FXWriteProtect        Status = 12 // LIBSSH2_FX_WRITE_PROTECT: write protected
	FXNoMedia             Status = 13 // LIBSSH2_FX_NO_MEDIA: no media
	FXNoSpaceOnFilesystem Status = 14 // LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: no space on file system
	FXQuotaExceeded       Status = 15 // LIBSSH2_FX_QUOTA_EXCEEDED: quota exceeded
	FXUnknownPrincipal    Status = 16 // LIBSSH2_FX_UNKNOWN_PRINCIPAL: unknown principal
	FXLockConflict        Status = 17 // LIBSSH2_FX_LOCK_CONFLICT: lock conflict
	FXDirNotEmpty         Status = 18 // LIBSSH2_FX_DIR_NOT_EMPTY: directory not empty
	FXNotADirectory       Status = 19 // LIBSSH2_FX_NOT_A_DIRECTORY: not a directory
	FXInvalidFilename     Status = 20 // LIBSSH2_FX_INVALID_FILENAME: invalid file name
	FXLinkLoop            Status = 21 // LIBSSH2_FX_LINK_LOOP: too many symbolic links
)
