/* C helpers for what cgo cannot reach directly. Each one says why it exists. */
#ifndef GO_LIBSSH2_SHIM_H
#define GO_LIBSSH2_SHIM_H
#include <stdint.h>
#include <stdlib.h>
#include <libssh2.h>
#include <libssh2_sftp.h>

/* ECDSA and ED25519 host keys, and SHA-256 host key hashes, came with libssh2 1.9.0 (1.8's header
   lacks their constants). Against an older header these are -1, a value libssh2 never returns and
   the Go side reads as "not supported by this libssh2", so it needs no build tags. */
#if LIBSSH2_VERSION_NUM >= 0x010900
#define SHIM_HAVE_ECDSA_ED25519 1
#define SHIM_HOSTKEY_HASH_SHA256 LIBSSH2_HOSTKEY_HASH_SHA256
#define SHIM_HOSTKEY_TYPE_ECDSA_256 LIBSSH2_HOSTKEY_TYPE_ECDSA_256
#define SHIM_HOSTKEY_TYPE_ECDSA_384 LIBSSH2_HOSTKEY_TYPE_ECDSA_384
#define SHIM_HOSTKEY_TYPE_ECDSA_521 LIBSSH2_HOSTKEY_TYPE_ECDSA_521
#define SHIM_HOSTKEY_TYPE_ED25519 LIBSSH2_HOSTKEY_TYPE_ED25519
#else
#define SHIM_HAVE_ECDSA_ED25519 0
#define SHIM_HOSTKEY_HASH_SHA256 (-1)
#define SHIM_HOSTKEY_TYPE_ECDSA_256 (-1)
#define SHIM_HOSTKEY_TYPE_ECDSA_384 (-1)
#define SHIM_HOSTKEY_TYPE_ECDSA_521 (-1)
#define SHIM_HOSTKEY_TYPE_ED25519 (-1)
#endif

/* Counting allocator: every session is made with it, so tests can prove that all C memory libssh2
   allocates through the session is freed again. It links each block into its session's list
   (sess, a session's abstract pointer; NULL for a block of no session) so that shim_session_free can
   free what libssh2_session_free leaves behind. */
void *shim_session_alloc(void *sess, size_t n);
long long shim_live_allocs(void);
long long shim_live_bytes(void);
long long shim_peak_bytes(void);
void shim_reset_peak_bytes(void);
long long shim_reclaimed_allocs(void);

/* libssh2_session_init_ex with the counting allocator (the allocator functions are C, cgo cannot pass
   them as function pointers from Go), and send and recv callbacks that shim_session_abort can stop. */
LIBSSH2_SESSION *shim_session_init(void);

/* Makes every later recv of the session fail at once and every later send take its bytes into the
   void (its callbacks check a flag): with the socket shut down, this stops libssh2 even inside a
   loop that never returns EAGAIN, and a call repeated afterwards gets the packet libssh2 holds half
   sent out of the way. A send that fails (anything but EAGAIN) aborts the session the same way.
   Safe to call from another thread while the session is in use, not after it is freed. */
void shim_session_abort(LIBSSH2_SESSION *s);

/* Makes the session send and receive through Go (goTransportSend, goTransportRecv with handle, a
   cgo.Handle of the session's transport) instead of a socket: for a net.Conn without a file
   descriptor. Call it before the handshake. */
void shim_session_set_transport(LIBSSH2_SESSION *s, uintptr_t handle);

/* libssh2_sftp_read of the session s's handle h as a bulk call: once a recv has found the socket
   empty, the call's later recvs say EAGAIN without asking the kernel (cb_recv in shim.c), and the TCP
   socket fd is corked (TCP_CORK) for the call when fd >= 0. One call sends the FXP_READ requests of
   its read-ahead, a small packet each, and Go's sockets have TCP_NODELAY set, so each would leave in
   a segment of its own; corked, they leave in as few segments as they fill. The socket is uncorked,
   which sends what it holds, before the call returns. */
ssize_t shim_sftp_read_bulk(LIBSSH2_SESSION *s, LIBSSH2_SFTP_HANDLE *h, char *buf, size_t n, int fd);
/* libssh2_sftp_write of the session s's handle h as a bulk call (no cork: its packets fill segments). */
ssize_t shim_sftp_write_bulk(LIBSSH2_SESSION *s, LIBSSH2_SFTP_HANDLE *h, const char *buf, size_t n);
/* Whether fd is a socket that TCP_CORK works on (a TCP socket on Linux). */
int shim_corkable(int fd);

/* The bytes the session's recv callback has received so far. */
unsigned long long shim_session_rx(LIBSSH2_SESSION *s);
/* For tests: the session's bulk calls so far, their recvs that found the socket empty, and the recvs
   that said EAGAIN without asking the kernel. */
void shim_session_bulk_stats(LIBSSH2_SESSION *s, unsigned long long *calls, unsigned long long *empty,
                             unsigned long long *dry);
/* The errno of the first send or recv of the session's socket that failed, -1 when a recv found the
   connection closed by the peer, 0 when neither happened. Read by the thread that holds the session. */
int shim_session_conn_errno(LIBSSH2_SESSION *s);

/* libssh2_channel_open_session is a macro, which cgo cannot call. */
LIBSSH2_CHANNEL *shim_channel_open_session(LIBSSH2_SESSION *s);

/* libssh2_session_free, then frees the blocks libssh2 forgot (1.10 leaks a half-finished key
   exchange's key pair) and stores their number in *reclaimed. */
int shim_session_free(LIBSSH2_SESSION *s, long long *reclaimed);

/* libssh2_userauth_keyboard_interactive_ex takes a C callback; this one hands every prompt to Go through
   the cgo.Handle stored in the session's shim_session (its abstract pointer). */
int shim_userauth_kbdint(LIBSSH2_SESSION *s, const char *user, unsigned int user_len, uintptr_t handle);

/* Identities of an ssh-agent are walked by passing the previous one back in; keeping that pointer on the
   C side keeps Go from holding C pointers to agent internals between calls. */
int shim_agent_userauth_nth(LIBSSH2_AGENT *agent, const char *user, int n);
#endif
