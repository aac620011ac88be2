// Package cshim is the only package of go-libssh2 that imports "C".
//
// It holds one small Go function per libssh2 call that the project uses, named after the C function
// without its prefix (SFTPWrite for libssh2_sftp_write), plus the C helpers in shim.c for what cgo
// cannot reach directly. Functions return raw C results; they hold no locks, apply no policy and make
// no Go errors. Go memory passed in is used for the duration of one call only, and every C pointer
// stays behind an opaque Go type.
//
// cshim is internal plumbing of package github.com/seed191f4051/go-libssh2/libssh2, which is its
// only user. It is not part of the module's API and makes no compatibility promise: its functions,
// types and constants change, appear and disappear with package libssh2's needs, and calling them
// correctly takes the locking, waiting and ownership rules that package libssh2 applies
// (docs/DESIGN.md). Use package libssh2.
package cshim

/*
#cgo pkg-config: libssh2
#include "shim.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// Opaque handles to libssh2 objects. They are C pointers: the Go garbage collector never follows them.
type (
	Session C.LIBSSH2_SESSION
	SFTP    C.LIBSSH2_SFTP
	Handle  C.LIBSSH2_SFTP_HANDLE
	Algs    *C.char // an element of the name array that libssh2_session_supported_algs makes
	Agent   C.LIBSSH2_AGENT
)

// Constants of the installed libssh2 header, for the public package's policy code. The
// HostkeyHashSHA256, HostkeyTypeECDSA* and HostkeyTypeED25519 values are -1 when the header lacks
// them (libssh2 before 1.9.0, which has no ECDSA or ED25519 host keys and no SHA-256 host key
// hash); HaveECDSAED25519 says which.
const (
	VersionNum = int(C.LIBSSH2_VERSION_NUM) // LIBSSH2_VERSION_NUM of the header built against

	// HaveECDSAED25519 says whether the header built against knows ECDSA and ED25519 host keys
	// (libssh2 1.9.0 and later).
	HaveECDSAED25519 = C.SHIM_HAVE_ECDSA_ED25519 != 0

	ErrorEAGAIN             = int(C.LIBSSH2_ERROR_EAGAIN)
	ErrorAlloc              = int(C.LIBSSH2_ERROR_ALLOC)
	ErrorProto              = int(C.LIBSSH2_ERROR_PROTO)
	ErrorSFTPProtocol       = int(C.LIBSSH2_ERROR_SFTP_PROTOCOL)
	SessionBlockInbound     = int(C.LIBSSH2_SESSION_BLOCK_INBOUND)
	SessionBlockOutbound    = int(C.LIBSSH2_SESSION_BLOCK_OUTBOUND)
	HostkeyHashSHA256       = int(C.SHIM_HOSTKEY_HASH_SHA256)
	HostkeyTypeRSA          = int(C.LIBSSH2_HOSTKEY_TYPE_RSA)
	HostkeyTypeDSS          = int(C.LIBSSH2_HOSTKEY_TYPE_DSS)
	HostkeyTypeECDSA256     = int(C.SHIM_HOSTKEY_TYPE_ECDSA_256)
	HostkeyTypeECDSA384     = int(C.SHIM_HOSTKEY_TYPE_ECDSA_384)
	HostkeyTypeECDSA521     = int(C.SHIM_HOSTKEY_TYPE_ECDSA_521)
	HostkeyTypeED25519      = int(C.SHIM_HOSTKEY_TYPE_ED25519)
	MethodKex               = int(C.LIBSSH2_METHOD_KEX)
	MethodHostkey           = int(C.LIBSSH2_METHOD_HOSTKEY)
	MethodCryptCS           = int(C.LIBSSH2_METHOD_CRYPT_CS)
	MethodCryptSC           = int(C.LIBSSH2_METHOD_CRYPT_SC)
	MethodMACCS             = int(C.LIBSSH2_METHOD_MAC_CS)
	MethodMACSC             = int(C.LIBSSH2_METHOD_MAC_SC)
	FXFRead                 = int(C.LIBSSH2_FXF_READ)
	FXFWrite                = int(C.LIBSSH2_FXF_WRITE)
	FXFAppend               = int(C.LIBSSH2_FXF_APPEND)
	FXFCreat                = int(C.LIBSSH2_FXF_CREAT)
	FXFTrunc                = int(C.LIBSSH2_FXF_TRUNC)
	FXFExcl                 = int(C.LIBSSH2_FXF_EXCL)
	SFTPOpenFile            = int(C.LIBSSH2_SFTP_OPENFILE)
	SFTPOpenDir             = int(C.LIBSSH2_SFTP_OPENDIR)
	DisconnectByApplication = int(C.SSH_DISCONNECT_BY_APPLICATION)
)

// cstr returns a C copy of s and its length; the caller frees it.
func cstr(s string) (*C.char, C.uint) {
	return C.CString(s), C.uint(len(s))
}

// bytesPtr returns a pointer to p's first byte, or nil for an empty slice.
func bytesPtr(p []byte) *C.char {
	if len(p) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&p[0]))
}

// Init wraps libssh2_init. It is not thread-safe: the caller runs it once per process.
func Init(flags int) int { return int(C.libssh2_init(C.int(flags))) }

// Version wraps libssh2_version(0): the version of the library actually loaded.
func Version() string { return C.GoString(C.libssh2_version(0)) }

// LiveAllocs returns the number of blocks allocated through the counting allocator and not yet freed.
func LiveAllocs() int64 { return int64(C.shim_live_allocs()) }

// LiveBytes returns the bytes allocated through the counting allocator and not yet freed.
func LiveBytes() int64 { return int64(C.shim_live_bytes()) }

// PeakBytes returns the most bytes that were live at once since the last ResetPeakBytes.
func PeakBytes() int64 { return int64(C.shim_peak_bytes()) }

// ResetPeakBytes sets the peak to the bytes live now.
func ResetPeakBytes() { C.shim_reset_peak_bytes() }

// SessionAbort makes every later recv of the session fail at once and every later send take its
// bytes into the void (shim_session_abort): with the socket shut down, it stops libssh2 even inside
// a loop that never returns EAGAIN, and a call repeated afterwards gets the packet libssh2 holds half
// sent out of the way (1.11.1 refuses every other packet while one is). A send that fails aborts the
// session the same way, in C. Unlike the other functions, it may be called while another goroutine
// is inside a call on the session; never after SessionFree.
func SessionAbort(s *Session) { C.shim_session_abort(s.c()) }

// ReclaimedAllocs returns the number of blocks SessionFree has freed because libssh2_session_free left
// them behind, over the life of the process.
func ReclaimedAllocs() int64 { return int64(C.shim_reclaimed_allocs()) }

// SessionInit wraps libssh2_session_init_ex with the counting allocator of shim.c, and sets the
// session's send and recv callbacks to shim.c's, which SessionAbort can stop.
func SessionInit() *Session { return (*Session)(C.shim_session_init()) }

func (s *Session) c() *C.LIBSSH2_SESSION { return (*C.LIBSSH2_SESSION)(s) }

// SessionConnErrno returns the errno of the first send or recv of the session's socket that failed,
// -1 when a recv found the connection closed by the peer, or 0 (shim_session_conn_errno). The caller
// holds the session.
func SessionConnErrno(s *Session) int { return int(C.shim_session_conn_errno(s.c())) }

// SessionRx returns the bytes the session's recv callback has received so far: whether a call read
// anything from the connection. The caller holds the session.
func SessionRx(s *Session) uint64 { return uint64(C.shim_session_rx(s.c())) }

// SessionBulkStats returns, for tests, the session's bulk calls so far (SFTPReadBulk,
// SFTPWriteBulk), how many of their recvs found the socket empty, and how many said EAGAIN without
// asking the kernel. The caller holds the session.
func SessionBulkStats(s *Session) (calls, empty, dry uint64) {
	var c, e, d C.ulonglong
	C.shim_session_bulk_stats(s.c(), &c, &e, &d)
	return uint64(c), uint64(e), uint64(d)
}

// SessionHandshake wraps libssh2_session_handshake on the socket fd.
func SessionHandshake(s *Session, fd int) int {
	return int(C.libssh2_session_handshake(s.c(), C.libssh2_socket_t(fd)))
}

// SessionSetBlocking wraps libssh2_session_set_blocking.
func SessionSetBlocking(s *Session, blocking bool) {
	b := C.int(0)
	if blocking {
		b = 1
	}
	C.libssh2_session_set_blocking(s.c(), b)
}

// SessionBlockDirections wraps libssh2_session_block_directions.
func SessionBlockDirections(s *Session) int {
	return int(C.libssh2_session_block_directions(s.c()))
}

// SessionMethodPref wraps libssh2_session_method_pref.
func SessionMethodPref(s *Session, method int, prefs string) int {
	cs, _ := cstr(prefs)
	defer C.free(unsafe.Pointer(cs))
	return int(C.libssh2_session_method_pref(s.c(), C.int(method), cs))
}

// SessionSupportedAlgs wraps libssh2_session_supported_algs: the n algorithms of method type that
// the loaded libssh2 supports, in its order of preference, or a negative code as n. The caller
// frees algs with Free.
func SessionSupportedAlgs(s *Session, method int) (algs *Algs, n int) {
	var p **C.char
	rc := C.libssh2_session_supported_algs(s.c(), C.int(method), &p)
	if rc <= 0 {
		return nil, int(rc)
	}
	return (*Algs)(unsafe.Pointer(p)), int(rc)
}

// AlgNames copies the n names of algs (from SessionSupportedAlgs) into Go strings.
func AlgNames(algs *Algs, n int) []string {
	out := make([]string, 0, n)
	for _, p := range unsafe.Slice((**C.char)(unsafe.Pointer(algs)), n) {
		out = append(out, C.GoString(p))
	}
	return out
}

// Free wraps libssh2_free, for the array of SessionSupportedAlgs.
func Free(s *Session, algs *Algs) { C.libssh2_free(s.c(), unsafe.Pointer(algs)) }

// SessionMethods wraps libssh2_session_methods: the method negotiated for method type.
func SessionMethods(s *Session, method int) string {
	return C.GoString(C.libssh2_session_methods(s.c(), C.int(method)))
}

// SessionHostkey wraps libssh2_session_hostkey, copying the key blob.
func SessionHostkey(s *Session) (key []byte, keyType int) {
	var n C.size_t
	var t C.int
	p := C.libssh2_session_hostkey(s.c(), &n, &t)
	if p == nil {
		return nil, 0
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n)), int(t)
}

// HostkeyHash wraps libssh2_hostkey_hash, copying the hash (32 bytes for SHA-256). It returns nil
// when libssh2 has no such hash, as for HostkeyHashSHA256 (-1) before libssh2 1.9.0.
func HostkeyHash(s *Session, hashType int) []byte {
	p := C.libssh2_hostkey_hash(s.c(), C.int(hashType))
	if p == nil {
		return nil
	}
	n := 32
	switch hashType {
	case int(C.LIBSSH2_HOSTKEY_HASH_MD5):
		n = 16
	case int(C.LIBSSH2_HOSTKEY_HASH_SHA1):
		n = 20
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

// SessionLastError wraps libssh2_session_last_error, copying the message at once.
func SessionLastError(s *Session) (code int, msg string) {
	var p *C.char
	var n C.int
	rc := C.libssh2_session_last_error(s.c(), &p, &n, 0)
	if p != nil && n > 0 {
		msg = C.GoStringN(p, n)
	}
	return int(rc), msg
}

// SessionLastErrno wraps libssh2_session_last_errno.
func SessionLastErrno(s *Session) int { return int(C.libssh2_session_last_errno(s.c())) }

// SessionDisconnect wraps libssh2_session_disconnect_ex.
func SessionDisconnect(s *Session, reason int, description string) int {
	cs, _ := cstr(description)
	defer C.free(unsafe.Pointer(cs))
	lang := C.CString("")
	defer C.free(unsafe.Pointer(lang))
	return int(C.libssh2_session_disconnect_ex(s.c(), C.int(reason), cs, lang))
}

// SessionFree wraps libssh2_session_free. When the session is freed (rc 0) it also frees the blocks
// that libssh2 allocated for the session and did not free (libssh2 1.10 forgets a half-finished key
// exchange's key pair), and returns their number as reclaimed.
func SessionFree(s *Session) (rc int, reclaimed int64) {
	var n C.longlong
	rc = int(C.shim_session_free(s.c(), &n))
	return rc, int64(n)
}

// UserauthList wraps libssh2_userauth_list; ok is false when it returned NULL.
func UserauthList(s *Session, user string) (methods string, ok bool) {
	cs, n := cstr(user)
	defer C.free(unsafe.Pointer(cs))
	p := C.libssh2_userauth_list(s.c(), cs, n)
	if p == nil {
		return "", false
	}
	return C.GoString(p), true
}

// UserauthAuthenticated wraps libssh2_userauth_authenticated.
func UserauthAuthenticated(s *Session) bool { return C.libssh2_userauth_authenticated(s.c()) != 0 }

// UserauthPassword wraps libssh2_userauth_password_ex (no password-change callback).
func UserauthPassword(s *Session, user, password string) int {
	cu, un := cstr(user)
	defer C.free(unsafe.Pointer(cu))
	cp, pn := cstr(password)
	defer C.free(unsafe.Pointer(cp))
	return int(C.libssh2_userauth_password_ex(s.c(), cu, un, cp, pn, nil))
}

// UserauthPublickeyFromfile wraps libssh2_userauth_publickey_fromfile_ex; an empty pubkey passes NULL
// so libssh2 derives the public key from the private one.
func UserauthPublickeyFromfile(s *Session, user, pubkey, privkey, passphrase string) int {
	cu, un := cstr(user)
	defer C.free(unsafe.Pointer(cu))
	var cpub *C.char
	if pubkey != "" {
		cpub = C.CString(pubkey)
		defer C.free(unsafe.Pointer(cpub))
	}
	cpriv := C.CString(privkey)
	defer C.free(unsafe.Pointer(cpriv))
	cpass := C.CString(passphrase)
	defer C.free(unsafe.Pointer(cpass))
	return int(C.libssh2_userauth_publickey_fromfile_ex(s.c(), cu, un, cpub, cpriv, cpass))
}

// UserauthPublickeyFrommemory wraps libssh2_userauth_publickey_frommemory.
func UserauthPublickeyFrommemory(s *Session, user string, pubkey, privkey []byte, passphrase string) int {
	cu, _ := cstr(user)
	defer C.free(unsafe.Pointer(cu))
	cpass := C.CString(passphrase)
	defer C.free(unsafe.Pointer(cpass))
	return int(C.libssh2_userauth_publickey_frommemory(s.c(), cu, C.size_t(len(user)),
		bytesPtr(pubkey), C.size_t(len(pubkey)), bytesPtr(privkey), C.size_t(len(privkey)), cpass))
}

// KbdPrompt is one prompt of a keyboard-interactive round.
type KbdPrompt struct {
	Text string
	Echo bool
}

// KbdFunc answers one keyboard-interactive round; it returns one answer per prompt.
type KbdFunc func(name, instruction string, prompts []KbdPrompt) []string

// UserauthKeyboardInteractive wraps libssh2_userauth_keyboard_interactive_ex, calling fn for each round
// through a cgo.Handle and the C trampoline in shim.c.
func UserauthKeyboardInteractive(s *Session, user string, fn KbdFunc) int {
	cu, un := cstr(user)
	defer C.free(unsafe.Pointer(cu))
	h := cgo.NewHandle(fn)
	defer h.Delete()
	return int(C.shim_userauth_kbdint(s.c(), cu, un, C.uintptr_t(h)))
}

// AgentInit wraps libssh2_agent_init.
func AgentInit(s *Session) *Agent { return (*Agent)(C.libssh2_agent_init(s.c())) }

func (a *Agent) c() *C.LIBSSH2_AGENT { return (*C.LIBSSH2_AGENT)(a) }

// AgentConnect wraps libssh2_agent_connect (it reads SSH_AUTH_SOCK).
func AgentConnect(a *Agent) int { return int(C.libssh2_agent_connect(a.c())) }

// AgentListIdentities wraps libssh2_agent_list_identities.
func AgentListIdentities(a *Agent) int { return int(C.libssh2_agent_list_identities(a.c())) }

// AgentUserauth wraps libssh2_agent_userauth with the agent's n-th identity (from 0), found through
// libssh2_agent_get_identity; it returns 1 when there is no n-th identity.
func AgentUserauth(a *Agent, user string, n int) int {
	cu, _ := cstr(user)
	defer C.free(unsafe.Pointer(cu))
	return int(C.shim_agent_userauth_nth(a.c(), cu, C.int(n)))
}

// AgentDisconnect wraps libssh2_agent_disconnect.
func AgentDisconnect(a *Agent) int { return int(C.libssh2_agent_disconnect(a.c())) }

// AgentFree wraps libssh2_agent_free.
func AgentFree(a *Agent) { C.libssh2_agent_free(a.c()) }

// SFTPInit wraps libssh2_sftp_init.
func SFTPInit(s *Session) *SFTP { return (*SFTP)(C.libssh2_sftp_init(s.c())) }

func (f *SFTP) c() *C.LIBSSH2_SFTP { return (*C.LIBSSH2_SFTP)(f) }

// SFTPShutdown wraps libssh2_sftp_shutdown.
func SFTPShutdown(f *SFTP) int { return int(C.libssh2_sftp_shutdown(f.c())) }

// SFTPLastError wraps libssh2_sftp_last_error: the SFTP status of the last failed request.
func SFTPLastError(f *SFTP) uint32 { return uint32(C.libssh2_sftp_last_error(f.c())) }

// SFTPOpenEx wraps libssh2_sftp_open_ex.
func SFTPOpenEx(f *SFTP, path string, flags, mode, openType int) *Handle {
	cp, n := cstr(path)
	defer C.free(unsafe.Pointer(cp))
	return (*Handle)(C.libssh2_sftp_open_ex(f.c(), cp, n, C.ulong(flags), C.long(mode), C.int(openType)))
}

func (h *Handle) c() *C.LIBSSH2_SFTP_HANDLE { return (*C.LIBSSH2_SFTP_HANDLE)(h) }

// SFTPWrite wraps libssh2_sftp_write: the count of bytes acknowledged, or a negative code.
func SFTPWrite(h *Handle, p []byte) int {
	return int(C.libssh2_sftp_write(h.c(), bytesPtr(p), C.size_t(len(p))))
}

// SFTPWriteBulk is SFTPWrite of s's handle h for a bulk write: once a recv of the call has found the
// socket empty, its later recvs say EAGAIN without a system call (see SFTPReadBulk). The caller must
// wait on the socket after an EAGAIN, as after any.
func SFTPWriteBulk(s *Session, h *Handle, p []byte) int {
	return int(C.shim_sftp_write_bulk(s.c(), h.c(), bytesPtr(p), C.size_t(len(p))))
}

// SFTPCloseHandle wraps libssh2_sftp_close_handle.
func SFTPCloseHandle(h *Handle) int { return int(C.libssh2_sftp_close_handle(h.c())) }

// SFTPFsync wraps libssh2_sftp_fsync (the fsync@openssh.com extension).
func SFTPFsync(h *Handle) int { return int(C.libssh2_sftp_fsync(h.c())) }
