// Package errmap names every libssh2 error code (LIBSSH2_ERROR_*) and every SFTP status
// (LIBSSH2_FX_*) as Go values that are errors, and maps them to the standard library's sentinels.
// It is pure Go: cshim's tests check that its numbers equal the installed C header's.
//
// Codes newer than libssh2 1.8: CHANNEL_WINDOW_FULL (-47) and
// KEYFILE_AUTH_FAILED (-48) came with 1.9.0, RANDGEN (-49) with 1.10.0; MISSING_USERAUTH_BANNER
// (-50) to HASH_CALC (-54) with 1.11.0, so a 1.10 header lacks them.
package errmap

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// ErrWouldBlock is what LIBSSH2_ERROR_EAGAIN stands for: the call would block.
var ErrWouldBlock = errors.New("libssh2: operation would block (LIBSSH2_ERROR_EAGAIN)")

// Code is a libssh2 error code, a LIBSSH2_ERROR_* value.
type Code int

// The LIBSSH2_ERROR_* codes of libssh2 1.11.
const (
	None                  Code = 0   // LIBSSH2_ERROR_NONE
	SocketNone            Code = -1  // LIBSSH2_ERROR_SOCKET_NONE
	BannerRecv            Code = -2  // LIBSSH2_ERROR_BANNER_RECV
	BannerSend            Code = -3  // LIBSSH2_ERROR_BANNER_SEND
	InvalidMAC            Code = -4  // LIBSSH2_ERROR_INVALID_MAC
	KexFailure            Code = -5  // LIBSSH2_ERROR_KEX_FAILURE
	Alloc                 Code = -6  // LIBSSH2_ERROR_ALLOC
	SocketSend            Code = -7  // LIBSSH2_ERROR_SOCKET_SEND
	KeyExchangeFailure    Code = -8  // LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE
	Timeout               Code = -9  // LIBSSH2_ERROR_TIMEOUT
	HostkeyInit           Code = -10 // LIBSSH2_ERROR_HOSTKEY_INIT
	HostkeySign           Code = -11 // LIBSSH2_ERROR_HOSTKEY_SIGN
	Decrypt               Code = -12 // LIBSSH2_ERROR_DECRYPT
	SocketDisconnect      Code = -13 // LIBSSH2_ERROR_SOCKET_DISCONNECT
	Proto                 Code = -14 // LIBSSH2_ERROR_PROTO
	PasswordExpired       Code = -15 // LIBSSH2_ERROR_PASSWORD_EXPIRED
	File                  Code = -16 // LIBSSH2_ERROR_FILE
	MethodNone            Code = -17 // LIBSSH2_ERROR_METHOD_NONE
	AuthenticationFailed  Code = -18 // LIBSSH2_ERROR_AUTHENTICATION_FAILED
	PublickeyUnverified   Code = -19 // LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED
	ChannelOutoforder     Code = -20 // LIBSSH2_ERROR_CHANNEL_OUTOFORDER
	ChannelFailure        Code = -21 // LIBSSH2_ERROR_CHANNEL_FAILURE
	ChannelRequestDenied  Code = -22 // LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED
	ChannelUnknown        Code = -23 // LIBSSH2_ERROR_CHANNEL_UNKNOWN
	ChannelWindowExceeded Code = -24 // LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED
	ChannelPacketExceeded Code = -25 // LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED
	ChannelClosed         Code = -26 // LIBSSH2_ERROR_CHANNEL_CLOSED
	ChannelEOFSent        Code = -27 // LIBSSH2_ERROR_CHANNEL_EOF_SENT
	SCPProtocol           Code = -28 // LIBSSH2_ERROR_SCP_PROTOCOL
	Zlib                  Code = -29 // LIBSSH2_ERROR_ZLIB
	SocketTimeout         Code = -30 // LIBSSH2_ERROR_SOCKET_TIMEOUT
	SFTPProtocol          Code = -31 // LIBSSH2_ERROR_SFTP_PROTOCOL
	RequestDenied         Code = -32 // LIBSSH2_ERROR_REQUEST_DENIED
	MethodNotSupported    Code = -33 // LIBSSH2_ERROR_METHOD_NOT_SUPPORTED
	Inval                 Code = -34 // LIBSSH2_ERROR_INVAL
	InvalidPollType       Code = -35 // LIBSSH2_ERROR_INVALID_POLL_TYPE
	PublickeyProtocol     Code = -36 // LIBSSH2_ERROR_PUBLICKEY_PROTOCOL
	EAGAIN                Code = -37 // LIBSSH2_ERROR_EAGAIN
	BufferTooSmall        Code = -38 // LIBSSH2_ERROR_BUFFER_TOO_SMALL
	BadUse                Code = -39 // LIBSSH2_ERROR_BAD_USE
	Compress              Code = -40 // LIBSSH2_ERROR_COMPRESS
	OutOfBoundary         Code = -41 // LIBSSH2_ERROR_OUT_OF_BOUNDARY
	AgentProtocol         Code = -42 // LIBSSH2_ERROR_AGENT_PROTOCOL
	SocketRecv            Code = -43 // LIBSSH2_ERROR_SOCKET_RECV
	Encrypt               Code = -44 // LIBSSH2_ERROR_ENCRYPT
	BadSocket             Code = -45 // LIBSSH2_ERROR_BAD_SOCKET
	KnownHosts            Code = -46 // LIBSSH2_ERROR_KNOWN_HOSTS
	ChannelWindowFull     Code = -47 // LIBSSH2_ERROR_CHANNEL_WINDOW_FULL
	KeyfileAuthFailed     Code = -48 // LIBSSH2_ERROR_KEYFILE_AUTH_FAILED
	Randgen               Code = -49 // LIBSSH2_ERROR_RANDGEN
	MissingUserauthBanner Code = -50 // LIBSSH2_ERROR_MISSING_USERAUTH_BANNER
	AlgoUnsupported       Code = -51 // LIBSSH2_ERROR_ALGO_UNSUPPORTED
	MACFailure            Code = -52 // LIBSSH2_ERROR_MAC_FAILURE
	HashInit              Code = -53 // LIBSSH2_ERROR_HASH_INIT
	HashCalc              Code = -54 // LIBSSH2_ERROR_HASH_CALC
)

type codeInfo struct{ name, meaning, since string }

var codeInfos = map[Code]codeInfo{
	None:                  {"LIBSSH2_ERROR_NONE", "no error", "1.8.0 or earlier"},
	SocketNone:            {"LIBSSH2_ERROR_SOCKET_NONE", "no socket or socket error", "1.8.0 or earlier"},
	BannerRecv:            {"LIBSSH2_ERROR_BANNER_RECV", "cannot receive the server's banner", "1.8.0 or earlier"},
	BannerSend:            {"LIBSSH2_ERROR_BANNER_SEND", "cannot send the banner", "1.8.0 or earlier"},
	InvalidMAC:            {"LIBSSH2_ERROR_INVALID_MAC", "invalid MAC on a received packet", "1.8.0 or earlier"},
	KexFailure:            {"LIBSSH2_ERROR_KEX_FAILURE", "key exchange failed", "1.8.0 or earlier"},
	Alloc:                 {"LIBSSH2_ERROR_ALLOC", "memory allocation failed", "1.8.0 or earlier"},
	SocketSend:            {"LIBSSH2_ERROR_SOCKET_SEND", "cannot send on the socket", "1.8.0 or earlier"},
	KeyExchangeFailure:    {"LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE", "key exchange failed", "1.8.0 or earlier"},
	Timeout:               {"LIBSSH2_ERROR_TIMEOUT", "timed out", "1.8.0 or earlier"},
	HostkeyInit:           {"LIBSSH2_ERROR_HOSTKEY_INIT", "cannot initialize the host key", "1.8.0 or earlier"},
	HostkeySign:           {"LIBSSH2_ERROR_HOSTKEY_SIGN", "host key signature check failed", "1.8.0 or earlier"},
	Decrypt:               {"LIBSSH2_ERROR_DECRYPT", "decryption failed", "1.8.0 or earlier"},
	SocketDisconnect:      {"LIBSSH2_ERROR_SOCKET_DISCONNECT", "the connection was closed", "1.8.0 or earlier"},
	Proto:                 {"LIBSSH2_ERROR_PROTO", "SSH protocol error", "1.8.0 or earlier"},
	PasswordExpired:       {"LIBSSH2_ERROR_PASSWORD_EXPIRED", "password expired", "1.8.0 or earlier"},
	File:                  {"LIBSSH2_ERROR_FILE", "cannot read a file (key or known_hosts)", "1.8.0 or earlier"},
	MethodNone:            {"LIBSSH2_ERROR_METHOD_NONE", "no usable method", "1.8.0 or earlier"},
	AuthenticationFailed:  {"LIBSSH2_ERROR_AUTHENTICATION_FAILED", "authentication failed", "1.8.0 or earlier"},
	PublickeyUnverified:   {"LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED", "public key not verified", "1.8.0 or earlier"},
	ChannelOutoforder:     {"LIBSSH2_ERROR_CHANNEL_OUTOFORDER", "channel packet out of order", "1.8.0 or earlier"},
	ChannelFailure:        {"LIBSSH2_ERROR_CHANNEL_FAILURE", "channel failure", "1.8.0 or earlier"},
	ChannelRequestDenied:  {"LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED", "channel request denied", "1.8.0 or earlier"},
	ChannelUnknown:        {"LIBSSH2_ERROR_CHANNEL_UNKNOWN", "unknown channel", "1.8.0 or earlier"},
	ChannelWindowExceeded: {"LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED", "channel window exceeded", "1.8.0 or earlier"},
	ChannelPacketExceeded: {"LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED", "channel packet too large", "1.8.0 or earlier"},
	ChannelClosed:         {"LIBSSH2_ERROR_CHANNEL_CLOSED", "channel closed", "1.8.0 or earlier"},
	ChannelEOFSent:        {"LIBSSH2_ERROR_CHANNEL_EOF_SENT", "channel EOF already sent", "1.8.0 or earlier"},
	SCPProtocol:           {"LIBSSH2_ERROR_SCP_PROTOCOL", "SCP protocol error", "1.8.0 or earlier"},
	Zlib:                  {"LIBSSH2_ERROR_ZLIB", "compression error", "1.8.0 or earlier"},
	SocketTimeout:         {"LIBSSH2_ERROR_SOCKET_TIMEOUT", "socket timed out", "1.8.0 or earlier"},
	SFTPProtocol:          {"LIBSSH2_ERROR_SFTP_PROTOCOL", "SFTP request failed (see the SFTP status)", "1.8.0 or earlier"},
	RequestDenied:         {"LIBSSH2_ERROR_REQUEST_DENIED", "request denied", "1.8.0 or earlier"},
	MethodNotSupported:    {"LIBSSH2_ERROR_METHOD_NOT_SUPPORTED", "method not supported", "1.8.0 or earlier"},
	Inval:                 {"LIBSSH2_ERROR_INVAL", "invalid argument", "1.8.0 or earlier"},
	InvalidPollType:       {"LIBSSH2_ERROR_INVALID_POLL_TYPE", "invalid poll type", "1.8.0 or earlier"},
	PublickeyProtocol:     {"LIBSSH2_ERROR_PUBLICKEY_PROTOCOL", "publickey subsystem error", "1.8.0 or earlier"},
	EAGAIN:                {"LIBSSH2_ERROR_EAGAIN", "operation would block", "1.8.0 or earlier"},
	BufferTooSmall:        {"LIBSSH2_ERROR_BUFFER_TOO_SMALL", "buffer too small", "1.8.0 or earlier"},
	BadUse:                {"LIBSSH2_ERROR_BAD_USE", "bad use of the API", "1.8.0 or earlier"},
	Compress:              {"LIBSSH2_ERROR_COMPRESS", "compression failed", "1.8.0 or earlier"},
	OutOfBoundary:         {"LIBSSH2_ERROR_OUT_OF_BOUNDARY", "out of boundary", "1.8.0 or earlier"},
	AgentProtocol:         {"LIBSSH2_ERROR_AGENT_PROTOCOL", "ssh-agent protocol error", "1.8.0 or earlier"},
	SocketRecv:            {"LIBSSH2_ERROR_SOCKET_RECV", "cannot receive on the socket", "1.8.0 or earlier"},
	Encrypt:               {"LIBSSH2_ERROR_ENCRYPT", "encryption failed", "1.8.0 or earlier"},
	BadSocket:             {"LIBSSH2_ERROR_BAD_SOCKET", "bad socket", "1.8.0 or earlier"},
	KnownHosts:            {"LIBSSH2_ERROR_KNOWN_HOSTS", "known_hosts error", "1.8.0 or earlier"},
	ChannelWindowFull:     {"LIBSSH2_ERROR_CHANNEL_WINDOW_FULL", "channel window full", "1.9.0"},
	KeyfileAuthFailed:     {"LIBSSH2_ERROR_KEYFILE_AUTH_FAILED", "key file authentication failed (wrong passphrase or bad key)", "1.9.0"},
	Randgen:               {"LIBSSH2_ERROR_RANDGEN", "random generator failed", "1.10.0"},
	MissingUserauthBanner: {"LIBSSH2_ERROR_MISSING_USERAUTH_BANNER", "no user authentication banner", "1.11.0"},
	AlgoUnsupported:       {"LIBSSH2_ERROR_ALGO_UNSUPPORTED", "algorithm not supported", "1.11.0"},
	MACFailure:            {"LIBSSH2_ERROR_MAC_FAILURE", "MAC computation failed", "1.11.0"},
	HashInit:              {"LIBSSH2_ERROR_HASH_INIT", "hash initialization failed", "1.11.0"},
	HashCalc:              {"LIBSSH2_ERROR_HASH_CALC", "hash computation failed", "1.11.0"},
}

// Codes returns every known Code, from 0 down.
func Codes() []Code {
	cs := make([]Code, 0, len(codeInfos))
	for c := Code(0); c >= HashCalc; c-- {
		cs = append(cs, c)
	}
	return cs
}

// String returns the C macro's name; an unknown number keeps its value: "LIBSSH2_ERROR(-99)".
func (c Code) String() string {
	if i, ok := codeInfos[c]; ok {
		return i.name
	}
	return "LIBSSH2_ERROR(" + strconv.Itoa(int(c)) + ")"
}

// Meaning returns a short description.
func (c Code) Meaning() string {
	if i, ok := codeInfos[c]; ok {
		return i.meaning
	}
	return "unknown libssh2 error"
}

// Since returns the libssh2 version that introduced the code ("" when unknown).
func (c Code) Since() string { return codeInfos[c].since }

func (c Code) Error() string {
	return "libssh2: " + c.String() + " (" + strconv.Itoa(int(c)) + "): " + c.Meaning()
}

// Is maps timeouts to os.ErrDeadlineExceeded and EAGAIN to ErrWouldBlock.
func (c Code) Is(target error) bool {
	switch c {
	case Timeout, SocketTimeout:
		return target == os.ErrDeadlineExceeded
	case EAGAIN:
		return target == ErrWouldBlock
	}
	return false
}

// Status is an SFTP status code, a LIBSSH2_FX_* value.
type Status uint32

// The LIBSSH2_FX_* statuses.
const (
	FXOK                  Status = 0  // LIBSSH2_FX_OK
	FXEOF                 Status = 1  // LIBSSH2_FX_EOF
	FXNoSuchFile          Status = 2  // LIBSSH2_FX_NO_SUCH_FILE
	FXPermissionDenied    Status = 3  // LIBSSH2_FX_PERMISSION_DENIED
	FXFailure             Status = 4  // LIBSSH2_FX_FAILURE
	FXBadMessage          Status = 5  // LIBSSH2_FX_BAD_MESSAGE
	FXNoConnection        Status = 6  // LIBSSH2_FX_NO_CONNECTION
	FXConnectionLost      Status = 7  // LIBSSH2_FX_CONNECTION_LOST
	FXOpUnsupported       Status = 8  // LIBSSH2_FX_OP_UNSUPPORTED
	FXInvalidHandle       Status = 9  // LIBSSH2_FX_INVALID_HANDLE
	FXNoSuchPath          Status = 10 // LIBSSH2_FX_NO_SUCH_PATH
	FXFileAlreadyExists   Status = 11 // LIBSSH2_FX_FILE_ALREADY_EXISTS
	FXWriteProtect        Status = 12 // LIBSSH2_FX_WRITE_PROTECT
	FXNoMedia             Status = 13 // LIBSSH2_FX_NO_MEDIA
	FXNoSpaceOnFilesystem Status = 14 // LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM
	FXQuotaExceeded       Status = 15 // LIBSSH2_FX_QUOTA_EXCEEDED
	FXUnknownPrincipal    Status = 16 // LIBSSH2_FX_UNKNOWN_PRINCIPAL
	FXLockConflict        Status = 17 // LIBSSH2_FX_LOCK_CONFLICT
	FXDirNotEmpty         Status = 18 // LIBSSH2_FX_DIR_NOT_EMPTY
	FXNotADirectory       Status = 19 // LIBSSH2_FX_NOT_A_DIRECTORY
	FXInvalidFilename     Status = 20 // LIBSSH2_FX_INVALID_FILENAME
	FXLinkLoop            Status = 21 // LIBSSH2_FX_LINK_LOOP
)

var statusInfos = map[Status][2]string{
	FXOK:                  {"LIBSSH2_FX_OK", "success"},
	FXEOF:                 {"LIBSSH2_FX_EOF", "end of file"},
	FXNoSuchFile:          {"LIBSSH2_FX_NO_SUCH_FILE", "no such file"},
	FXPermissionDenied:    {"LIBSSH2_FX_PERMISSION_DENIED", "permission denied"},
	FXFailure:             {"LIBSSH2_FX_FAILURE", "failure"},
	FXBadMessage:          {"LIBSSH2_FX_BAD_MESSAGE", "bad message"},
	FXNoConnection:        {"LIBSSH2_FX_NO_CONNECTION", "no connection"},
	FXConnectionLost:      {"LIBSSH2_FX_CONNECTION_LOST", "connection lost"},
	FXOpUnsupported:       {"LIBSSH2_FX_OP_UNSUPPORTED", "operation not supported"},
	FXInvalidHandle:       {"LIBSSH2_FX_INVALID_HANDLE", "invalid handle"},
	FXNoSuchPath:          {"LIBSSH2_FX_NO_SUCH_PATH", "no such path"},
	FXFileAlreadyExists:   {"LIBSSH2_FX_FILE_ALREADY_EXISTS", "file already exists"},
	FXWriteProtect:        {"LIBSSH2_FX_WRITE_PROTECT", "write protected"},
	FXNoMedia:             {"LIBSSH2_FX_NO_MEDIA", "no media"},
	FXNoSpaceOnFilesystem: {"LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM", "no space on file system"},
	FXQuotaExceeded:       {"LIBSSH2_FX_QUOTA_EXCEEDED", "quota exceeded"},
	FXUnknownPrincipal:    {"LIBSSH2_FX_UNKNOWN_PRINCIPAL", "unknown principal"},
	FXLockConflict:        {"LIBSSH2_FX_LOCK_CONFLICT", "lock conflict"},
	FXDirNotEmpty:         {"LIBSSH2_FX_DIR_NOT_EMPTY", "directory not empty"},
	FXNotADirectory:       {"LIBSSH2_FX_NOT_A_DIRECTORY", "not a directory"},
	FXInvalidFilename:     {"LIBSSH2_FX_INVALID_FILENAME", "invalid file name"},
	FXLinkLoop:            {"LIBSSH2_FX_LINK_LOOP", "too many symbolic links"},
}

// Statuses returns every known Status, in order.
func Statuses() []Status {
	ss := make([]Status, 0, len(statusInfos))
	for s := FXOK; s <= FXLinkLoop; s++ {
		ss = append(ss, s)
	}
	return ss
}

// String returns the C macro's name; an unknown number keeps its value: "LIBSSH2_FX(99)".
func (s Status) String() string {
	if i, ok := statusInfos[s]; ok {
		return i[0]
	}
	return "LIBSSH2_FX(" + strconv.FormatUint(uint64(s), 10) + ")"
}

// Meaning returns a short description.
func (s Status) Meaning() string {
	if i, ok := statusInfos[s]; ok {
		return i[1]
	}
	return "unknown SFTP status"
}

func (s Status) Error() string {
	return "sftp: " + s.String() + " (" + strconv.FormatUint(uint64(s), 10) + "): " + s.Meaning()
}

// Is maps statuses to fs.ErrNotExist, fs.ErrPermission, fs.ErrExist and io.EOF.
func (s Status) Is(target error) bool {
	switch s {
	case FXNoSuchFile, FXNoSuchPath:
		return target == fs.ErrNotExist
	case FXPermissionDenied, FXWriteProtect:
		return target == fs.ErrPermission
	case FXFileAlreadyExists:
		return target == fs.ErrExist
	case FXEOF:
		return target == io.EOF
	}
	return false
}
