/* rusage: runs a command in a child made by fork(), waits for it and for every descendant it leaves
 * behind, and writes their peak RSS (the largest ru_maxrss of those waits) to a file.
 *
 * Why fork: Go starts commands with clone(CLONE_VM|CLONE_VFORK), so the new program's exec records
 * the high-water RSS of the bench driver's own memory as the child's ru_maxrss; every client would
 * report at least the driver's RSS. This program is small, and its fork() gives the command a
 * private copy of it, so the command's peak RSS includes at most this program's (about 1 MiB).
 *
 * Why a subreaper: lftp exits without waiting for the ssh it started, so that ssh's CPU time would
 * be in nobody's rusage. As a child subreaper this program inherits such orphans and waits for them
 * (for at most 10 s after the command), so the driver's rusage of this process counts them.
 *
 * usage: rusage OUTFILE COMMAND [ARG...]; the exit status is the command's (128+N for signal N).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("rusage: PR_SET_CHILD_SUBREAPER");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("rusage: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "rusage: exec %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0, code = -1;
    long maxrss = 0;
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: the alarm interrupts wait4 */
    sigaction(SIGALRM, &sa, NULL);
    for (;;) {
        struct rusage ru;
        pid_t p = wait4(-1, &status, 0, &ru);
        if (p < 0) {
            if (errno == EINTR && code < 0)
                continue;
            break; /* ECHILD: all waited for; EINTR after the command: the 10 s are over */
        }
        if (ru.ru_maxrss > maxrss)
            maxrss = ru.ru_maxrss;
        if (p == pid) {
            code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
            alarm(10);
        }
    }
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "maxrss_kib %ld\n", maxrss) < 0 || fclose(f)) {
        perror("rusage: writing the result");
        return 2;
    }
    return code < 0 ? 2 : code;
}
