#include <string.h>
#include "shim.h"
#include "_cgo_export.h"

/* Every block carries its size in a 16-byte header, so live and peak byte counts stay exact. */
#define SHIM_HDR 16

static long long live_allocs;
static long long live_bytes;
static long long peak_bytes;

static void count(long long allocs, long long bytes) {
    __atomic_add_fetch(&live_allocs, allocs, __ATOMIC_RELAXED);
    long long now = __atomic_add_fetch(&live_bytes, bytes, __ATOMIC_RELAXED);
    long long peak = __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&peak_bytes, &peak, now, 1,
                                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

void *shim_alloc(size_t n) {
    unsigned char *p = malloc(n + SHIM_HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    count(1, (long long)n);
    return p + SHIM_HDR;
}

static void shim_free(void *ptr) {
    if (!ptr) return;
    unsigned char *p = (unsigned char *)ptr - SHIM_HDR;
    size_t n;
    memcpy(&n, p, sizeof n);
    count(-1, -(long long)n);
    free(p);
}

static void *shim_realloc(void *ptr, size_t n) {
    if (!ptr) return shim_alloc(n);
    unsigned char *p = (unsigned char *)ptr - SHIM_HDR;
    size_t old;
    memcpy(&old, p, sizeof old);
    unsigned char *q = realloc(p, n + SHIM_HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof n);
    count(0, (long long)n - (long long)old);
    return q + SHIM_HDR;
}

static LIBSSH2_ALLOC_FUNC(cb_alloc) { (void)abstract; return shim_alloc(count); }
static LIBSSH2_FREE_FUNC(cb_free) { (void)abstract; shim_free(ptr); }
static LIBSSH2_REALLOC_FUNC(cb_realloc) { (void)abstract; return shim_realloc(ptr, count); }

long long shim_live_allocs(void) { return __atomic_load_n(&live_allocs, __ATOMIC_RELAXED); }
long long shim_live_bytes(void) { return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED); }
long long shim_peak_bytes(void) { return __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED); }
void shim_reset_peak_bytes(void) {
    __atomic_store_n(&peak_bytes, __atomic_load_n(&live_bytes, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

LIBSSH2_SESSION *shim_session_init(void) {
    return libssh2_session_init_ex(cb_alloc, cb_free, cb_realloc, NULL);
}

static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(kbd_trampoline) {
    goKbdCallback((uintptr_t)*abstract, (char *)name, name_len, (char *)instruction, instruction_len,
                  num_prompts, (LIBSSH2_USERAUTH_KBDINT_PROMPT *)prompts, responses);
}

int shim_userauth_kbdint(LIBSSH2_SESSION *s, const char *user, unsigned int user_len, uintptr_t handle) {
    *libssh2_session_abstract(s) = (void *)handle;
    int rc = libssh2_userauth_keyboard_interactive_ex(s, user, user_len, kbd_trampoline);
    *libssh2_session_abstract(s) = NULL;
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
