#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "shim.h"
#include "_cgo_export.h"

/* Every block carries a header: its size, so live and peak byte counts stay exact, and its links in
   the list of its session's blocks, so that what libssh2_session_free forgets can be freed. The
   header is a multiple of 16 bytes so blocks keep malloc's alignment. */
struct shim_block {
    struct shim_block *prev, *next; /* NULL when the block belongs to no session */
    size_t size;
    size_t cap; /* the bytes malloc gave after the header: SHIM_POOL_CAP for a pooled block */
};
#define SHIM_HDR ((sizeof(struct shim_block) + 15) & ~(size_t)15)

/* Packet-sized blocks are kept for reuse, per session: libssh2 allocates one or two blocks of about
   30 KB for every SFTP data packet it sends or receives and frees them a round trip later, and
   through malloc that churn made glibc trim and grow its heap over and over (madvise, then a page
   fault for every page of the next packets: a tenth of a download's CPU time). Blocks of
   SHIM_POOL_MIN to SHIM_POOL_CAP bytes are allocated with SHIM_POOL_CAP bytes, and up to SHIM_POOL_MAX
   freed ones per session wait in its pool (about 600 KB) until the session is freed. */
#define SHIM_POOL_MIN 16384
#define SHIM_POOL_CAP 36864 /* libssh2's largest packet, 35000 bytes, with room to spare */
#define SHIM_POOL_MAX 16

/* One per session, passed as libssh2's abstract pointer: the list of the session's live blocks and the
   cgo.Handle of a running keyboard-interactive authentication. A session is used by one thread at a
   time, so its list needs no lock. */
struct shim_session {
    struct shim_block head; /* sentinel of a circular list */
    uintptr_t kbd_handle;
    int aborted; /* set (atomically, from any thread) by shim_session_abort */
    struct shim_block *pool; /* freed packet-sized blocks, linked by next */
    int npool;
    uintptr_t io_handle; /* the cgo.Handle of the Go transport of shim_session_set_transport, or 0 */
    unsigned long long rx; /* bytes received: read by the thread that holds the session */
    int conn_errno; /* the errno of the first send or recv that failed (-1: the peer closed), or 0 */
    /* Within a bulk call (shim_sftp_read_bulk, shim_sftp_write_bulk): once a recv has found the socket
       empty, dry is set and the call's later recvs say EAGAIN without asking the kernel (cb_recv). */
    int bulk, dry;
    /* For tests: bulk calls, their recvs that found the socket empty, and the recvs dry answered. */
    unsigned long long bulk_calls, bulk_empty, bulk_dry;
};

static long long live_allocs;
static long long live_bytes;
static long long peak_bytes;
static long long reclaimed_allocs;

static void count(long long allocs, long long bytes) {
    __atomic_add_fetch(&live_allocs, allocs, __ATOMIC_RELAXED);
    long long now = __atomic_add_fetch(&live_bytes, bytes, __ATOMIC_RELAXED);
    long long peak = __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&peak_bytes, &peak, now, 1,
                                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

static void link_block(struct shim_session *ss, struct shim_block *b) {
    if (!ss) {
        b->prev = b->next = NULL;
        return;
    }
    b->prev = &ss->head;
    b->next = ss->head.next;
    ss->head.next->prev = b;
    ss->head.next = b;
}

static void unlink_block(struct shim_block *b) {
    if (!b->next) return;
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

static struct shim_block *block_of(void *ptr) {
    return (struct shim_block *)((unsigned char *)ptr - SHIM_HDR);
}

void *shim_session_alloc(void *sess, size_t n) {
    struct shim_session *ss = sess;
    struct shim_block *b = NULL;
    size_t cap = n;
    if (ss && n >= SHIM_POOL_MIN && n <= SHIM_POOL_CAP) {
        cap = SHIM_POOL_CAP;
        if (ss->pool) {
            b = ss->pool;
            ss->pool = b->next;
            ss->npool--;
        }
    }
    if (!b) {
        b = malloc(cap + SHIM_HDR);
        if (!b) return NULL;
    }
    b->size = n;
    b->cap = cap;
    link_block(ss, b);
    count(1, (long long)n);
    return (unsigned char *)b + SHIM_HDR;
}

static void shim_free(void *ptr) {
    if (!ptr) return;
    struct shim_block *b = block_of(ptr);
    unlink_block(b);
    count(-1, -(long long)b->size);
    free(b);
}

/* shim_release is libssh2's free: a pooled block of a session goes back to the session's pool while
   it has room. */
static void shim_release(struct shim_session *ss, void *ptr) {
    if (!ptr) return;
    struct shim_block *b = block_of(ptr);
    if (!ss || b->cap != SHIM_POOL_CAP || !b->next || ss->npool >= SHIM_POOL_MAX) {
        shim_free(ptr);
        return;
    }
    unlink_block(b);
    count(-1, -(long long)b->size);
    b->prev = NULL;
    b->next = ss->pool;
    ss->pool = b;
    ss->npool++;
}

/* drain_pool frees the blocks of a session's pool. */
static void drain_pool(struct shim_session *ss) {
    while (ss->pool) {
        struct shim_block *b = ss->pool;
        ss->pool = b->next;
        free(b);
    }
    ss->npool = 0;
}

static void *shim_realloc(struct shim_session *ss, void *ptr, size_t n) {
    if (!ptr) return shim_session_alloc(ss, n);
    struct shim_block *b = block_of(ptr);
    size_t old = b->size;
    if (b->cap == SHIM_POOL_CAP) {
        if (n <= b->cap) {
            b->size = n;
            count(0, (long long)n - (long long)old);
            return ptr;
        }
        void *p = shim_session_alloc(b->next ? ss : NULL, n);
        if (!p) return NULL;
        memcpy(p, ptr, old);
        shim_release(ss, ptr);
        return p;
    }
    int linked = b->next != NULL;
    unlink_block(b); /* realloc may move it: link it again where it lands */
    struct shim_block *q = realloc(b, n + SHIM_HDR);
    if (!q) {
        if (linked) link_block(ss, b);
        return NULL;
    }
    q->size = n;
    q->cap = n;
    if (linked) link_block(ss, q);
    else q->prev = q->next = NULL;
    count(0, (long long)n - (long long)old);
    return (unsigned char *)q + SHIM_HDR;
}

/* libssh2 passes &session->abstract (or, while it allocates the session itself, the address of the
   abstract argument of libssh2_session_init_ex): either way it points at our shim_session. The session
   struct is itself one of the session's blocks; *abstract is read before it is freed. */
static LIBSSH2_ALLOC_FUNC(cb_alloc) { return shim_session_alloc(*abstract, count); }
static LIBSSH2_FREE_FUNC(cb_free) { shim_release(*abstract, ptr); }
static LIBSSH2_REALLOC_FUNC(cb_realloc) { return shim_realloc(*abstract, ptr, count); }

long long shim_live_allocs(void) { return __atomic_load_n(&live_allocs, __ATOMIC_RELAXED); }
long long shim_live_bytes(void) { return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED); }
long long shim_peak_bytes(void) { return __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED); }
void shim_reset_peak_bytes(void) {
    __atomic_store_n(&peak_bytes, __atomic_load_n(&live_bytes, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/* A plain recv(2) under libssh2's LIBSSH2_RECV_FUNC contract (bytes, or -errno), which fails at once
   when the session is aborted: a shut-down socket still hands out what it had buffered, and libssh2
   1.10 reads pre-banner lines a byte per recv() until the socket is empty.

   Within a bulk call, once a recv has found the socket empty, the rest of the call's recvs say
   EAGAIN at once. libssh2 drains the socket until EAGAIN before it takes each packet out of what it
   has buffered (_libssh2_channel_read), so a call that works through many buffered SFTP replies
   asks the kernel again for every one: most of a download's recv calls, and nine in ten of an
   upload's, found nothing.
   The answer is one the kernel could have given (the bytes might have come a moment later), and
   every EAGAIN that reaches Go is followed by a wait on the socket, which returns at once when bytes
   came meanwhile: nothing is left unread. */
static LIBSSH2_RECV_FUNC(cb_recv) {
    struct shim_session *ss = *abstract;
    if (__atomic_load_n(&ss->aborted, __ATOMIC_RELAXED)) return -ECONNABORTED;
    if (ss->dry) {
        ss->bulk_dry++;
        return -EAGAIN;
    }
    ssize_t n = recv(socket, buffer, length, flags);
    if (n < 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            ss->dry = ss->bulk;
            ss->bulk_empty += ss->bulk;
            return -EAGAIN;
        }
        if (!ss->conn_errno) ss->conn_errno = e;
        return -e;
    }
    if (n == 0 && length > 0 && !ss->conn_errno) ss->conn_errno = -1;
    ss->rx += n;
    return n;
}

/* What a send callback returns for n, the outcome of sending length bytes. libssh2 keeps a packet it
   could not send whole as pending (also when nothing of it went out) and refuses every other packet
   until the same call sends the rest; a send that fails leaves the packet pending, and libssh2 1.11.1
   then answers every other packet with EAGAIN for ever, so that not even libssh2_session_free can
   close the channels. So a connection that is gone (a send failing with anything but EAGAIN, or a
   session aborted by shim_session_abort) takes the bytes into the void, and the session is aborted:
   every later recv fails at once, which is how libssh2 learns that the connection is gone. */
static ssize_t sent(struct shim_session *ss, ssize_t n, size_t length) {
    if (n >= 0 || n == -EAGAIN) return n;
    if (!ss->conn_errno) ss->conn_errno = (int)-n;
    __atomic_store_n(&ss->aborted, 1, __ATOMIC_RELAXED);
    return (ssize_t)length;
}

/* A plain send(2) under libssh2's LIBSSH2_SEND_FUNC contract, through sent(). */
static LIBSSH2_SEND_FUNC(cb_send) {
    struct shim_session *ss = *abstract;
    if (__atomic_load_n(&ss->aborted, __ATOMIC_RELAXED)) return (ssize_t)length;
    ssize_t n = send(socket, buffer, length, flags);
    if (n < 0) {
        int e = errno;
        n = (e == EWOULDBLOCK || e == EINTR) ? -EAGAIN : -e;
    }
    return sent(ss, n, length);
}

/* The send and recv callbacks of a session without a socket: Go moves the bytes between its buffers
   and the net.Conn (goTransportSend and goTransportRecv return bytes, or -errno such as -EAGAIN). */
static LIBSSH2_SEND_FUNC(cb_go_send) {
    struct shim_session *ss = *abstract;
    (void)socket;
    (void)flags;
    if (__atomic_load_n(&ss->aborted, __ATOMIC_RELAXED)) return (ssize_t)length;
    return sent(ss, goTransportSend(ss->io_handle, (void *)buffer, length), length);
}

static LIBSSH2_RECV_FUNC(cb_go_recv) {
    struct shim_session *ss = *abstract;
    (void)socket;
    (void)flags;
    if (__atomic_load_n(&ss->aborted, __ATOMIC_RELAXED)) return -ECONNABORTED;
    ssize_t n = goTransportRecv(ss->io_handle, buffer, length);
    if (n > 0) ss->rx += n;
    return n;
}

int shim_session_conn_errno(LIBSSH2_SESSION *s) {
    struct shim_session *ss = *libssh2_session_abstract(s);
    return ss->conn_errno;
}

/* bulk_begin and bulk_end bracket a bulk call: the one place that sets and clears the mark that
   cb_recv reads. */
static struct shim_session *bulk_begin(LIBSSH2_SESSION *s) {
    struct shim_session *ss = *libssh2_session_abstract(s);
    ss->bulk = 1;
    ss->bulk_calls++;
    return ss;
}

static void bulk_end(struct shim_session *ss) { ss->bulk = ss->dry = 0; }

ssize_t shim_sftp_read_bulk(LIBSSH2_SESSION *s, LIBSSH2_SFTP_HANDLE *h, char *buf, size_t n, int fd) {
    struct shim_session *ss = bulk_begin(s);
    ssize_t rc;
#ifdef TCP_CORK
    if (fd >= 0) {
        int on = 1, off = 0;
        setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
        rc = libssh2_sftp_read(h, buf, n);
        setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    } else
#else
    (void)fd;
#endif
        rc = libssh2_sftp_read(h, buf, n);
    bulk_end(ss);
    return rc;
}

ssize_t shim_sftp_write_bulk(LIBSSH2_SESSION *s, LIBSSH2_SFTP_HANDLE *h, const char *buf, size_t n) {
    struct shim_session *ss = bulk_begin(s);
    ssize_t rc = libssh2_sftp_write(h, buf, n);
    bulk_end(ss);
    return rc;
}

int shim_corkable(int fd) {
#ifdef TCP_CORK
    int v = 0;
    socklen_t len = sizeof v;
    return getsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, &len) == 0;
#else
    (void)fd;
    return 0;
#endif
}

void shim_session_bulk_stats(LIBSSH2_SESSION *s, unsigned long long *calls, unsigned long long *empty,
                             unsigned long long *dry) {
    struct shim_session *ss = *libssh2_session_abstract(s);
    *calls = ss->bulk_calls;
    *empty = ss->bulk_empty;
    *dry = ss->bulk_dry;
}

unsigned long long shim_session_rx(LIBSSH2_SESSION *s) {
    struct shim_session *ss = *libssh2_session_abstract(s);
    return ss->rx;
}

#if LIBSSH2_VERSION_NUM >= 0x010b01 /* 1.11.1 deprecates the untyped setter */
#define SHIM_SET_CALLBACK(s, type, fn) libssh2_session_callback_set2(s, type, (libssh2_cb_generic *)fn)
#else
#define SHIM_SET_CALLBACK(s, type, fn) libssh2_session_callback_set(s, type, (void *)fn)
#endif

void shim_session_set_transport(LIBSSH2_SESSION *s, uintptr_t handle) {
    struct shim_session *ss = *libssh2_session_abstract(s);
    ss->io_handle = handle;
    SHIM_SET_CALLBACK(s, LIBSSH2_CALLBACK_SEND, cb_go_send);
    SHIM_SET_CALLBACK(s, LIBSSH2_CALLBACK_RECV, cb_go_recv);
}

LIBSSH2_CHANNEL *shim_channel_open_session(LIBSSH2_SESSION *s) { return libssh2_channel_open_session(s); }

void shim_session_abort(LIBSSH2_SESSION *s) {
    struct shim_session *ss = *libssh2_session_abstract(s);
    __atomic_store_n(&ss->aborted, 1, __ATOMIC_RELAXED);
}

long long shim_reclaimed_allocs(void) { return __atomic_load_n(&reclaimed_allocs, __ATOMIC_RELAXED); }

LIBSSH2_SESSION *shim_session_init(void) {
    struct shim_session *ss = malloc(sizeof *ss);
    if (!ss) return NULL;
    ss->head.prev = ss->head.next = &ss->head;
    ss->head.size = 0;
    ss->kbd_handle = 0;
    ss->aborted = 0;
    ss->pool = NULL;
    ss->npool = 0;
    ss->io_handle = 0;
    ss->rx = 0;
    ss->conn_errno = 0;
    ss->bulk = ss->dry = 0;
    ss->bulk_calls = ss->bulk_empty = ss->bulk_dry = 0;
    LIBSSH2_SESSION *s = libssh2_session_init_ex(cb_alloc, cb_free, cb_realloc, ss);
    if (!s) {
        /* libssh2 frees what it allocated before failing, but be sure */
        while (ss->head.next != &ss->head) shim_free((unsigned char *)ss->head.next + SHIM_HDR);
        drain_pool(ss);
        free(ss);
        return NULL;
    }
    SHIM_SET_CALLBACK(s, LIBSSH2_CALLBACK_SEND, cb_send);
    SHIM_SET_CALLBACK(s, LIBSSH2_CALLBACK_RECV, cb_recv);
    return s;
}

int shim_session_free(LIBSSH2_SESSION *s, long long *reclaimed) {
    struct shim_session *ss = *libssh2_session_abstract(s);
    *reclaimed = 0;
    int rc = libssh2_session_free(s);
    if (rc != 0) return rc; /* not freed (EAGAIN): the session and its blocks stay */
    long long n = 0;
    while (ss->head.next != &ss->head) {
        shim_free((unsigned char *)ss->head.next + SHIM_HDR);
        n++;
    }
    drain_pool(ss);
    free(ss);
    if (n) __atomic_add_fetch(&reclaimed_allocs, n, __ATOMIC_RELAXED);
    *reclaimed = n;
    return rc;
}

static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(kbd_trampoline) {
    struct shim_session *ss = *abstract;
    goKbdCallback(ss, ss->kbd_handle, (char *)name, name_len, (char *)instruction, instruction_len,
                  num_prompts, (LIBSSH2_USERAUTH_KBDINT_PROMPT *)prompts, responses);
}

int shim_userauth_kbdint(LIBSSH2_SESSION *s, const char *user, unsigned int user_len, uintptr_t handle) {
    struct shim_session *ss = *libssh2_session_abstract(s);
    ss->kbd_handle = handle;
    int rc = libssh2_userauth_keyboard_interactive_ex(s, user, user_len, kbd_trampoline);
    ss->kbd_handle = 0;
    return rc;
}

int shim_agent_userauth_nth(LIBSSH2_AGENT *agent, const char *user, int n) {
    struct libssh2_agent_publickey *id = NULL, *prev = NULL;
    for (int i = 0; i <= n; i++) {
        int rc = libssh2_agent_get_identity(agent, &id, prev);
        if (rc != 0) return rc == 1 ? 1 : rc; /* 1: no such identity */
        prev = id;
    }
    return libssh2_agent_userauth(agent, user, id);
}
