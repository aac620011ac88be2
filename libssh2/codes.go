package libssh2

import "github.com/seed191f4051/go-libssh2/internal/errmap"

// Code is a libssh2 error code (LIBSSH2_ERROR_*). Its String method returns the C macro's name, and
// errors.Is(err, code) reports whether err carries it.
type Code = errmap.Code

// Status is an SFTP status code (LIBSSH2_FX_*), carried by errors whose Code is ErrorSFTPProtocol.
type Status = errmap.Status

// ErrWouldBlock is matched by errors carrying LIBSSH2_ERROR_EAGAIN.
var ErrWouldBlock = errmap.ErrWouldBlock

// The libssh2 error codes.
const (
	ErrorNone                  = errmap.None                  // LIBSSH2_ERROR_NONE
	ErrorSocketNone            = errmap.SocketNone            // LIBSSH2_ERROR_SOCKET_NONE
	ErrorBannerRecv            = errmap.BannerRecv            // LIBSSH2_ERROR_BANNER_RECV
	ErrorBannerSend            = errmap.BannerSend            // LIBSSH2_ERROR_BANNER_SEND
	ErrorInvalidMAC            = errmap.InvalidMAC            // LIBSSH2_ERROR_INVALID_MAC
	ErrorKexFailure            = errmap.KexFailure            // LIBSSH2_ERROR_KEX_FAILURE
	ErrorAlloc                 = errmap.Alloc                 // LIBSSH2_ERROR_ALLOC
	ErrorSocketSend            = errmap.SocketSend            // LIBSSH2_ERROR_SOCKET_SEND
	ErrorKeyExchangeFailure    = errmap.KeyExchangeFailure    // LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE
	ErrorTimeout               = errmap.Timeout               // LIBSSH2_ERROR_TIMEOUT
	ErrorHostkeyInit           = errmap.HostkeyInit           // LIBSSH2_ERROR_HOSTKEY_INIT
	ErrorHostkeySign           = errmap.HostkeySign           // LIBSSH2_ERROR_HOSTKEY_SIGN
	ErrorDecrypt               = errmap.Decrypt               // LIBSSH2_ERROR_DECRYPT
	ErrorSocketDisconnect      = errmap.SocketDisconnect      // LIBSSH2_ERROR_SOCKET_DISCONNECT
	ErrorProto                 = errmap.Proto                 // LIBSSH2_ERROR_PROTO
	ErrorPasswordExpired       = errmap.PasswordExpired       // LIBSSH2_ERROR_PASSWORD_EXPIRED
	ErrorFile                  = errmap.File                  // LIBSSH2_ERROR_FILE
	ErrorMethodNone            = errmap.MethodNone            // LIBSSH2_ERROR_METHOD_NONE
	ErrorAuthenticationFailed  = errmap.AuthenticationFailed  // LIBSSH2_ERROR_AUTHENTICATION_FAILED
	ErrorPublickeyUnverified   = errmap.PublickeyUnverified   // LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED
	ErrorChannelOutoforder     = errmap.ChannelOutoforder     // LIBSSH2_ERROR_CHANNEL_OUTOFORDER
	ErrorChannelFailure        = errmap.ChannelFailure        // LIBSSH2_ERROR_CHANNEL_FAILURE
	ErrorChannelRequestDenied  = errmap.ChannelRequestDenied  // LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED
	ErrorChannelUnknown        = errmap.ChannelUnknown        // LIBSSH2_ERROR_CHANNEL_UNKNOWN
	ErrorChannelWindowExceeded = errmap.ChannelWindowExceeded // LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED
	ErrorChannelPacketExceeded = errmap.ChannelPacketExceeded // LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED
	ErrorChannelClosed         = errmap.ChannelClosed         // LIBSSH2_ERROR_CHANNEL_CLOSED
	ErrorChannelEOFSent        = errmap.ChannelEOFSent        // LIBSSH2_ERROR_CHANNEL_EOF_SENT
	ErrorSCPProtocol           = errmap.SCPProtocol           // LIBSSH2_ERROR_SCP_PROTOCOL
	ErrorZlib                  = errmap.Zlib                  // LIBSSH2_ERROR_ZLIB
	ErrorSocketTimeout         = errmap.SocketTimeout         // LIBSSH2_ERROR_SOCKET_TIMEOUT
	ErrorSFTPProtocol          = errmap.SFTPProtocol          // LIBSSH2_ERROR_SFTP_PROTOCOL
	ErrorRequestDenied         = errmap.RequestDenied         // LIBSSH2_ERROR_REQUEST_DENIED
	ErrorMethodNotSupported    = errmap.MethodNotSupported    // LIBSSH2_ERROR_METHOD_NOT_SUPPORTED
	ErrorInval                 = errmap.Inval                 // LIBSSH2_ERROR_INVAL
	ErrorInvalidPollType       = errmap.InvalidPollType       // LIBSSH2_ERROR_INVALID_POLL_TYPE
	ErrorPublickeyProtocol     = errmap.PublickeyProtocol     // LIBSSH2_ERROR_PUBLICKEY_PROTOCOL
	ErrorEAGAIN                = errmap.EAGAIN                // LIBSSH2_ERROR_EAGAIN
	ErrorBufferTooSmall        = errmap.BufferTooSmall        // LIBSSH2_ERROR_BUFFER_TOO_SMALL
	ErrorBadUse                = errmap.BadUse                // LIBSSH2_ERROR_BAD_USE
	ErrorCompress              = errmap.Compress              // LIBSSH2_ERROR_COMPRESS
	ErrorOutOfBoundary         = errmap.OutOfBoundary         // LIBSSH2_ERROR_OUT_OF_BOUNDARY
	ErrorAgentProtocol         = errmap.AgentProtocol         // LIBSSH2_ERROR_AGENT_PROTOCOL
	ErrorSocketRecv            = errmap.SocketRecv            // LIBSSH2_ERROR_SOCKET_RECV
	ErrorEncrypt               = errmap.Encrypt               // LIBSSH2_ERROR_ENCRYPT
	ErrorBadSocket             = errmap.BadSocket             // LIBSSH2_ERROR_BAD_SOCKET
	ErrorKnownHosts            = errmap.KnownHosts            // LIBSSH2_ERROR_KNOWN_HOSTS
	ErrorChannelWindowFull     = errmap.ChannelWindowFull     // LIBSSH2_ERROR_CHANNEL_WINDOW_FULL
	ErrorKeyfileAuthFailed     = errmap.KeyfileAuthFailed     // LIBSSH2_ERROR_KEYFILE_AUTH_FAILED
	ErrorRandgen               = errmap.Randgen               // LIBSSH2_ERROR_RANDGEN
	ErrorMissingUserauthBanner = errmap.MissingUserauthBanner // LIBSSH2_ERROR_MISSING_USERAUTH_BANNER
	ErrorAlgoUnsupported       = errmap.AlgoUnsupported       // LIBSSH2_ERROR_ALGO_UNSUPPORTED
	ErrorMACFailure            = errmap.MACFailure            // LIBSSH2_ERROR_MAC_FAILURE
	ErrorHashInit              = errmap.HashInit              // LIBSSH2_ERROR_HASH_INIT
	ErrorHashCalc              = errmap.HashCalc              // LIBSSH2_ERROR_HASH_CALC
)

// The SFTP statuses.
const (
	FXOK                  = errmap.FXOK                  // LIBSSH2_FX_OK
	FXEOF                 = errmap.FXEOF                 // LIBSSH2_FX_EOF
	FXNoSuchFile          = errmap.FXNoSuchFile          // LIBSSH2_FX_NO_SUCH_FILE
	FXPermissionDenied    = errmap.FXPermissionDenied    // LIBSSH2_FX_PERMISSION_DENIED
	FXFailure             = errmap.FXFailure             // LIBSSH2_FX_FAILURE
	FXBadMessage          = errmap.FXBadMessage          // LIBSSH2_FX_BAD_MESSAGE
	FXNoConnection        = errmap.FXNoConnection        // LIBSSH2_FX_NO_CONNECTION
	FXConnectionLost      = errmap.FXConnectionLost      // LIBSSH2_FX_CONNECTION_LOST
	FXOpUnsupported       = errmap.FXOpUnsupported       // LIBSSH2_FX_OP_UNSUPPORTED
	FXInvalidHandle       = errmap.FXInvalidHandle       // LIBSSH2_FX_INVALID_HANDLE
	FXNoSuchPath          = errmap.FXNoSuchPath          // LIBSSH2_FX_NO_SUCH_PATH
	FXFileAlreadyExists   = errmap.FXFileAlreadyExists   // LIBSSH2_FX_FILE_ALREADY_EXISTS
	FXWriteProtect        = errmap.FXWriteProtect        // LIBSSH2_FX_WRITE_PROTECT
	FXNoMedia             = errmap.FXNoMedia             // LIBSSH2_FX_NO_MEDIA
	FXNoSpaceOnFilesystem = errmap.FXNoSpaceOnFilesystem // LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM
	FXQuotaExceeded       = errmap.FXQuotaExceeded       // LIBSSH2_FX_QUOTA_EXCEEDED
	FXUnknownPrincipal    = errmap.FXUnknownPrincipal    // LIBSSH2_FX_UNKNOWN_PRINCIPAL
	FXLockConflict        = errmap.FXLockConflict        // LIBSSH2_FX_LOCK_CONFLICT
	FXDirNotEmpty         = errmap.FXDirNotEmpty         // LIBSSH2_FX_DIR_NOT_EMPTY
	FXNotADirectory       = errmap.FXNotADirectory       // LIBSSH2_FX_NOT_A_DIRECTORY
	FXInvalidFilename     = errmap.FXInvalidFilename     // LIBSSH2_FX_INVALID_FILENAME
	FXLinkLoop            = errmap.FXLinkLoop            // LIBSSH2_FX_LINK_LOOP
)
