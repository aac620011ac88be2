/* rusage: runs a command in a child made by fork() and writes the child's peak RSS (ru_maxrss of
 * wait4, which covers the descendants it waited for) to a file.
 *
 * Why: Go starts commands with clone(CLONE_VM|CLONE_VFORK), so the new program's exec records the
 * high-water RSS of the bench driver's own memory as the child's ru_maxrss; every client would
 * report at least the driver's RSS. This program is small, and its fork() gives the command a
 * private copy of it, so the command's peak RSS includes at most this program's (about 1 MiB).
 *
 * usage: rusage OUTFILE COMMAND [ARG...]; the exit status is the command's (128+N for signal N).
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
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
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("rusage: wait4");
            return 2;
        }
    }
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "maxrss_kib %ld\n", ru.ru_maxrss) < 0 || fclose(f)) {
        perror("rusage: writing the result");
        return 2;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
