#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "shim.h"
#include "_cgo_export.h"

/* Every block carries a header: its size, so live and peak byte counts stay exact, and its links in
   the list of its session's blocks, so that what libssh2_session_free forgets can be freed. The
   header is a multiple of 16 bytes so blocks keep malloc's alignment. */
struct shim_block {
    struct shim_block *prev, *next; /* NULL when the block belongs to no session */
    size_t size;
};
#define SHIM_HDR ((sizeof(struct shim_block) + 15) & ~(size_t)15)

/* One per session, passed as libssh2's abstract pointer: the list of the session's live blocks and the
   cgo.Handle of a running keyboard-interactive authentication. A session is used by one thread at a
   time, so its list needs no lock. */
struct shim_session {
    struct shim_block head; /* sentinel of a circular list */
    uintptr_t kbd_handle;
    int aborted; /* set (atomically, from any thread) by shim_session_abort */
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

void *shim_session_alloc(void *sess, size_t n) {
    struct shim_block *b = malloc(n + SHIM_HDR);
    if (!b) return NULL;
    b->size = n;
    link_block(sess, b);
    count(1, (long long)n);
    return (unsigned char *)b + SHIM_HDR;
}

static void shim_free(void *ptr) {
    if (!ptr) return;
    struct shim_block *b = (struct shim_block *)((unsigned char *)ptr - SHIM_HDR);
    unlink_block(b);
    count(-1, -(long long)b->size);
    free(b);
}

static void *shim_realloc(struct shim_session *ss, void *ptr, size_t n) {
    if (!ptr) return shim_session_alloc(ss, n);
    struct shim_block *b = (struct shim_block *)((unsigned char *)ptr - SHIM_HDR);
    size_t old = b->size;
    int linked = b->next != NULL;
    unlink_block(b); /* realloc may move it: link it again where it lands */
    struct shim_block *q = realloc(b, n + SHIM_HDR);
    if (!q) {
        if (linked) link_block(ss, b);
        return NULL;
    }
    q->size = n;
    if (linked) link_block(ss, q);
    else q->prev = q->next = NULL;
    count(0, (long long)n - (long long)old);
    return (unsigned char *)q + SHIM_HDR;
}

/* libssh2 passes &session->abstract (or, while it allocates the session itself, the address of the
   abstract argument of libssh2_session_init_ex): either way it points at our shim_session. The session
   struct is itself one of the session's blocks; *abstract is read before it is freed. */
static LIBSSH2_ALLOC_FUNC(cb_alloc) { return shim_session_alloc(*abstract, count); }
static LIBSSH2_FREE_FUNC(cb_free) { (void)abstract; shim_free(ptr); }
static LIBSSH2_REALLOC_FUNC(cb_realloc) { return shim_realloc(*abstract, ptr, count); }

long long shim_live_allocs(void) { return __atomic_load_n(&live_allocs, __ATOMIC_RELAXED); }
long long shim_live_bytes(void) { return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED); }
long long shim_peak_bytes(void) { return __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED); }
void shim_reset_peak_bytes(void) {
    __atomic_store_n(&peak_bytes, __atomic_load_n(&live_bytes, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/* A plain recv(2) under libssh2's LIBSSH2_RECV_FUNC contract (bytes, or -errno), which fails at once
   when the session is aborted: a shut-down socket still hands out what it had buffered, and libssh2
   1.10 reads pre-banner lines a byte per recv() until the socket is empty. */
static LIBSSH2_RECV_FUNC(cb_recv) {
    struct shim_session *ss = *abstract;
    if (__atomic_load_n(&ss->aborted, __ATOMIC_RELAXED)) return -ECONNABORTED;
    ssize_t n = recv(socket, buffer, length, flags);
    if (n < 0) {
        int e = errno;
        return e == EWOULDBLOCK ? -EAGAIN : -e;
    }
    return n;
}

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
    LIBSSH2_SESSION *s = libssh2_session_init_ex(cb_alloc, cb_free, cb_realloc, ss);
    if (!s) {
        /* libssh2 frees what it allocated before failing, but be sure */
        while (ss->head.next != &ss->head) shim_free((unsigned char *)ss->head.next + SHIM_HDR);
        free(ss);
        return NULL;
    }
#if LIBSSH2_VERSION_NUM >= 0x010b01 /* 1.11.1 deprecates the untyped setter */
    libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_RECV, (libssh2_cb_generic *)cb_recv);
#else
    libssh2_session_callback_set(s, LIBSSH2_CALLBACK_RECV, (void *)cb_recv);
#endif
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
