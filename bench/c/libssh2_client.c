/* libssh2_client: a benchmark client that uses libssh2 directly, in blocking mode, as a C program
 * would. "put" uploads a local file with a sliding window of in-flight bytes (the technique of
 * libssh2's example/sftp_write_sliding.c: every call passes the bytes from the first unacknowledged
 * one on, and libssh2 skips what it has already queued). "get" downloads a remote file with
 * libssh2_sftp_read into a buffer of -window bytes (libssh2 reads ahead up to four times the buffer it
 * is given) and writes it to a local file. It forces aes128-ctr and hmac-sha2-256,
 * checks the host key against a known_hosts file, and prints the seconds from opening the remote
 * file to closing it. "tree" uploads a local directory tree over -lanes SFTP channels of the one
 * session (see tree below), timed from the first mkdir to the last close; "pipe" uploads it over
 * one SFTP channel with an open, a write and closes of different files in flight together
 * (pipe_tree).
 *
 * usage: libssh2_client -host H -port P -user U -key KEY -knownhosts FILE -local L -remote R
 *                       [-mode put|get|tree|pipe] [-window BYTES] [-lanes N]
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <libssh2.h>
#include <libssh2_sftp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "libssh2_client: %s\n", what);
    exit(1);
}

static void die_session(LIBSSH2_SESSION *s, const char *what) {
    char *msg = NULL;
    int code = libssh2_session_last_error(s, &msg, NULL, 0);
    fprintf(stderr, "libssh2_client: %s: %d %s\n", what, code, msg ? msg : "");
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* put uploads fd through h, keeping at most window bytes in flight. buf holds 2*window bytes:
 * buf[head:tail] is what libssh2 has not acknowledged yet; it is moved to the front only when the
 * tail would run past the end, so each byte is moved at most once per window. */
static void put(LIBSSH2_SESSION *s, LIBSSH2_SFTP_HANDLE *h, int fd, size_t window) {
    size_t cap = 2 * window, head = 0, tail = 0;
    char *buf = malloc(cap);
    int eof = 0;
    if (!buf)
        die("out of memory");
    for (;;) {
        while (!eof && tail - head < window) {
            if (tail == cap) {
                memmove(buf, buf + head, tail - head);
                tail -= head;
                head = 0;
            }
            size_t want = window - (tail - head);
            if (want > cap - tail)
                want = cap - tail;
            ssize_t n = read(fd, buf + tail, want);
            if (n < 0)
                die("read");
            if (n == 0)
                eof = 1;
            tail += (size_t)n;
        }
        if (head == tail)
            break;
        ssize_t rc = libssh2_sftp_write(h, buf + head, tail - head);
        if (rc < 0)
            die_session(s, "libssh2_sftp_write");
        head += (size_t)rc;
    }
    free(buf);
}

/* get downloads h into fd, bufsize bytes per libssh2_sftp_read. */
static void get(LIBSSH2_SESSION *s, LIBSSH2_SFTP_HANDLE *h, int fd, size_t bufsize) {
    char *buf = malloc(bufsize);
    if (!buf)
        die("out of memory");
    for (;;) {
        ssize_t n = libssh2_sftp_read(h, buf, bufsize);
        if (n < 0)
            die_session(s, "libssh2_sftp_read");
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(fd, buf + done, (size_t)(n - done));
            if (w < 0)
                die("write local file");
            done += w;
        }
    }
    free(buf);
}

/* The tree to upload, listed by nftw: directories (parents first) and regular files, as paths
 * relative to the tree's root. */
static char **tree_dirs, **tree_files;
static size_t n_dirs, n_files, tree_root_len;

static int list_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    if (strlen(path) <= tree_root_len)
        return 0; /* the root itself */
    char *rel = strdup(path + tree_root_len + 1);
    if (!rel)
        die("out of memory");
    if (type == FTW_D) {
        tree_dirs = realloc(tree_dirs, (n_dirs + 1) * sizeof *tree_dirs);
        tree_dirs[n_dirs++] = rel;
    } else if (type == FTW_F) {
        tree_files = realloc(tree_files, (n_files + 1) * sizeof *tree_files);
        tree_files[n_files++] = rel;
    } else {
        free(rel);
    }
    return 0;
}

/* A lane is one SFTP channel uploading one file at a time: open, write (the whole file, read into
 * buf), close. */
struct lane {
    LIBSSH2_SFTP *sftp;
    LIBSSH2_SFTP_HANDLE *h;
    int state; /* 0: open, 1: write, 2: close */
    long file; /* index in tree_files, -1: no more */
    char *buf;
    size_t len, off;
    char path[4096];
};

static void lane_next(struct lane *l, size_t *next, const char *local, const char *remote) {
    free(l->buf);
    l->buf = NULL;
    l->state = 0;
    if (*next == n_files) {
        l->file = -1;
        return;
    }
    l->file = (long)(*next)++;
    char src[4096];
    snprintf(src, sizeof src, "%s/%s", local, tree_files[l->file]);
    snprintf(l->path, sizeof l->path, "%s/%s", remote, tree_files[l->file]);
    int fd = open(src, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st))
        die("open local file");
    l->len = (size_t)st.st_size;
    l->off = 0;
    l->buf = malloc(l->len ? l->len : 1);
    if (!l->buf)
        die("out of memory");
    for (size_t got = 0; got < l->len;) {
        ssize_t n = read(fd, l->buf + got, l->len - got);
        if (n <= 0)
            die("read local file");
        got += (size_t)n;
    }
    close(fd);
}

/* step runs lane l as far as libssh2 lets it without waiting; it returns whether it moved. */
static int lane_step(LIBSSH2_SESSION *s, struct lane *l, size_t *next, const char *local, const char *remote) {
    int moved = 0;
    while (l->file >= 0) {
        if (l->state == 0) {
            l->h = libssh2_sftp_open(l->sftp, l->path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                                     0644);
            if (!l->h) {
                if (libssh2_session_last_errno(s) == LIBSSH2_ERROR_EAGAIN)
                    break;
                die_session(s, "libssh2_sftp_open");
            }
            l->state = l->len ? 1 : 2;
        } else if (l->state == 1) {
            ssize_t rc = libssh2_sftp_write(l->h, l->buf + l->off, l->len - l->off);
            if (rc == LIBSSH2_ERROR_EAGAIN)
                break;
            if (rc < 0)
                die_session(s, "libssh2_sftp_write");
            l->off += (size_t)rc;
            if (l->off == l->len)
                l->state = 2;
        } else {
            int rc = libssh2_sftp_close_handle(l->h);
            if (rc == LIBSSH2_ERROR_EAGAIN)
                break;
            if (rc)
                die_session(s, "libssh2_sftp_close_handle");
            lane_next(l, next, local, remote);
        }
        moved = 1;
    }
    return moved;
}

/* tree uploads the directory local to remote: the directories first, one at a time, then the files
 * over lanes SFTP channels of the session (sftp is the first), non-blocking and round-robin, so
 * that up to lanes files have their requests in flight at once; it waits on the socket only when
 * two turns of every lane in a row moved nothing (a lane may read the packets of another one that
 * already had its turn). With one lane it is a sequential upload, as sftp put -r does. */
static void tree_dirs_make(LIBSSH2_SESSION *s, LIBSSH2_SFTP *sftp, const char *local, const char *remote) {
    tree_root_len = strlen(local);
    if (nftw(local, list_entry, 16, FTW_PHYS))
        die("walk the local tree");
    if (libssh2_sftp_mkdir(sftp, remote, 0755))
        die_session(s, "libssh2_sftp_mkdir");
    char path[4096];
    for (size_t i = 0; i < n_dirs; i++) {
        snprintf(path, sizeof path, "%s/%s", remote, tree_dirs[i]);
        if (libssh2_sftp_mkdir(sftp, path, 0755))
            die_session(s, "libssh2_sftp_mkdir");
    }
}

/* wait_socket waits until the socket is ready in the directions libssh2 is blocked on. */
static void wait_socket(LIBSSH2_SESSION *s, int sock) {
    int dir = libssh2_session_block_directions(s);
    struct pollfd p = {.fd = sock, .events = dir ? 0 : POLLIN}; /* no direction: wait to read */
    if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
        p.events |= POLLIN;
    if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
        p.events |= POLLOUT;
    if (poll(&p, 1, 10000) < 0)
        die("poll");
}

/* idle_wait waits on the socket after two turns in a row in which no call moved (a call may read
 * the packets that another, which already had its turn, waits for); *idle counts those turns. */
static void idle_wait(LIBSSH2_SESSION *s, int sock, int moved, int *idle) {
    if (moved) {
        *idle = 0;
        return;
    }
    if (++*idle < 2)
        return;
    *idle = 0;
    wait_socket(s, sock);
}

static void tree(LIBSSH2_SESSION *s, LIBSSH2_SFTP *sftp, int sock, const char *local, const char *remote, int lanes) {
    tree_dirs_make(s, sftp, local, remote);
    struct lane *l = calloc((size_t)lanes, sizeof *l);
    if (!l)
        die("out of memory");
    l[0].sftp = sftp;
    for (int i = 1; i < lanes; i++)
        if (!(l[i].sftp = libssh2_sftp_init(s)))
            die_session(s, "libssh2_sftp_init (another lane)");
    libssh2_session_set_blocking(s, 0);
    size_t next = 0;
    for (int i = 0; i < lanes; i++)
        lane_next(&l[i], &next, local, remote);
    for (int idle = 0;;) {
        int moved = 0, busy = 0;
        for (int i = 0; i < lanes; i++) {
            moved |= lane_step(s, &l[i], &next, local, remote);
            busy |= l[i].file >= 0;
        }
        if (!busy)
            break;
        idle_wait(s, sock, moved, &idle);
    }
    libssh2_session_set_blocking(s, 1);
    for (int i = 1; i < lanes; i++)
        libssh2_sftp_shutdown(l[i].sftp);
    free(l);
}

/* pipe_tree uploads the directory local to remote as tree does, but over the one SFTP channel with
 * three files' requests in flight together: libssh2 keeps the state of an unfinished open and of an
 * unfinished write per SFTP channel, and of a close per handle, so one file can be opening while
 * another is writing and others are closing. Each file's stages stay in order; in the steady state
 * every round trip carries one open, one write and one close. */
enum { P_FREE, P_OPENING, P_OPENED, P_WRITING, P_CLOSING };
#define PIPE_SLOTS 6

static void pipe_tree(LIBSSH2_SESSION *s, LIBSSH2_SFTP *sftp, int sock, const char *local, const char *remote) {
    tree_dirs_make(s, sftp, local, remote);
    struct lane f[PIPE_SLOTS] = {0};
    long seq[PIPE_SLOTS] = {0}; /* the order files were opened in, for the write slot */
    long opened = 0;
    size_t next = 0;
    libssh2_session_set_blocking(s, 0);
    for (int idle = 0;;) {
        int moved = 0, busy = 0, opening = -1, writing = -1;
        for (int i = 0; i < PIPE_SLOTS; i++) {
            if (f[i].state == P_OPENING)
                opening = i;
            if (f[i].state == P_WRITING)
                writing = i;
        }
        if (opening < 0 && next < n_files) {
            for (int i = 0; i < PIPE_SLOTS; i++) {
                if (f[i].state == P_FREE) {
                    lane_next(&f[i], &next, local, remote);
                    f[i].state = P_OPENING;
                    opening = i;
                    break;
                }
            }
        }
        if (opening >= 0) {
            struct lane *l = &f[opening];
            l->h = libssh2_sftp_open(sftp, l->path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0644);
            if (l->h) {
                l->state = l->len ? P_OPENED : P_CLOSING;
                seq[opening] = opened++;
                moved = 1;
            } else if (libssh2_session_last_errno(s) != LIBSSH2_ERROR_EAGAIN) {
                die_session(s, "libssh2_sftp_open");
            }
        }
        if (writing < 0) {
            for (int i = 0; i < PIPE_SLOTS; i++)
                if (f[i].state == P_OPENED && (writing < 0 || seq[i] < seq[writing]))
                    writing = i;
            if (writing >= 0)
                f[writing].state = P_WRITING;
        }
        if (writing >= 0) {
            struct lane *l = &f[writing];
            ssize_t rc = libssh2_sftp_write(l->h, l->buf + l->off, l->len - l->off);
            if (rc >= 0) {
                l->off += (size_t)rc;
                if (l->off == l->len)
                    l->state = P_CLOSING;
                moved = 1;
            } else if (rc != LIBSSH2_ERROR_EAGAIN) {
                die_session(s, "libssh2_sftp_write");
            }
        }
        for (int i = 0; i < PIPE_SLOTS; i++) {
            if (f[i].state != P_CLOSING)
                continue;
            int rc = libssh2_sftp_close_handle(f[i].h);
            if (rc == 0) {
                free(f[i].buf);
                f[i].buf = NULL;
                f[i].state = P_FREE;
                moved = 1;
            } else if (rc != LIBSSH2_ERROR_EAGAIN) {
                die_session(s, "libssh2_sftp_close_handle");
            }
        }
        for (int i = 0; i < PIPE_SLOTS; i++)
            busy |= f[i].state != P_FREE;
        if (!busy && next == n_files)
            break;
        idle_wait(s, sock, moved, &idle);
    }
    libssh2_session_set_blocking(s, 1);
}

int main(int argc, char **argv) {
    const char *host = NULL, *user = NULL, *key = NULL, *known = NULL, *local = NULL, *remote = NULL;
    const char *mode = "put";
    int port = 22;
    size_t window = 16 * 30000;
    int lanes = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "-host")) host = v;
        else if (!strcmp(k, "-port")) port = atoi(v);
        else if (!strcmp(k, "-user")) user = v;
        else if (!strcmp(k, "-key")) key = v;
        else if (!strcmp(k, "-knownhosts")) known = v;
        else if (!strcmp(k, "-local")) local = v;
        else if (!strcmp(k, "-remote")) remote = v;
        else if (!strcmp(k, "-mode")) mode = v;
        else if (!strcmp(k, "-window")) window = (size_t)strtoul(v, NULL, 10);
        else if (!strcmp(k, "-lanes")) lanes = atoi(v);
        else die("unknown flag");
    }
    if (!host || !user || !key || !known || !local || !remote || window == 0 || lanes < 1)
        die("missing flag");

    if (libssh2_init(0))
        die("libssh2_init");
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        die("bad host address");
    if (connect(sock, (struct sockaddr *)&sin, sizeof sin))
        die("connect");
    LIBSSH2_SESSION *s = libssh2_session_init();
    if (!s)
        die("libssh2_session_init");
    libssh2_session_set_blocking(s, 1);
    if (libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS, "aes128-ctr") ||
        libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_SC, "aes128-ctr") ||
        libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_CS, "hmac-sha2-256") ||
        libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_SC, "hmac-sha2-256"))
        die_session(s, "libssh2_session_method_pref");
    if (libssh2_session_handshake(s, sock))
        die_session(s, "libssh2_session_handshake");
    if (strcmp(libssh2_session_methods(s, LIBSSH2_METHOD_CRYPT_CS), "aes128-ctr") ||
        strcmp(libssh2_session_methods(s, LIBSSH2_METHOD_MAC_CS), "hmac-sha2-256"))
        die("the negotiated cipher or MAC is not aes128-ctr/hmac-sha2-256");

    LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s);
    if (!kh || libssh2_knownhost_readfile(kh, known, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0)
        die_session(s, "libssh2_knownhost_readfile");
    size_t klen;
    int ktype;
    const char *hk = libssh2_session_hostkey(s, &klen, &ktype);
    struct libssh2_knownhost *found;
    if (!hk || libssh2_knownhost_checkp(kh, host, port, hk, klen,
                                        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW,
                                        &found) != LIBSSH2_KNOWNHOST_CHECK_MATCH)
        die("host key not in known_hosts");
    libssh2_knownhost_free(kh);

    if (libssh2_userauth_publickey_fromfile(s, user, NULL, key, NULL))
        die_session(s, "libssh2_userauth_publickey_fromfile");
    LIBSSH2_SFTP *sftp = libssh2_sftp_init(s);
    if (!sftp)
        die_session(s, "libssh2_sftp_init");

    double start = now();
    if (!strcmp(mode, "put")) {
        int fd = open(local, O_RDONLY);
        if (fd < 0)
            die("open local file");
        LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(sftp, remote,
                                                   LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                                                   0644);
        if (!h)
            die_session(s, "libssh2_sftp_open");
        put(s, h, fd, window);
        if (libssh2_sftp_close_handle(h))
            die_session(s, "libssh2_sftp_close_handle");
        close(fd);
    } else if (!strcmp(mode, "get")) {
        int fd = open(local, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            die("create local file");
        LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(sftp, remote, LIBSSH2_FXF_READ, 0);
        if (!h)
            die_session(s, "libssh2_sftp_open");
        get(s, h, fd, window);
        if (libssh2_sftp_close_handle(h))
            die_session(s, "libssh2_sftp_close_handle");
        if (close(fd))
            die("close local file");
    } else if (!strcmp(mode, "tree")) {
        tree(s, sftp, sock, local, remote, lanes);
    } else if (!strcmp(mode, "pipe")) {
        pipe_tree(s, sftp, sock, local, remote);
    } else {
        die("unknown mode");
    }
    double secs = now() - start;

    libssh2_sftp_shutdown(sftp);
    libssh2_session_disconnect(s, "done");
    libssh2_session_free(s);
    close(sock);
    libssh2_exit();
    printf("transfer_seconds %.6f\n", secs);
    return 0;
}
