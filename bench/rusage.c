/* rusage: runs a command and reports what it cost as a process, the same
 * way for every producer bench/run.sh compares (kprod, librdkafka, Kafka's
 * Java producer): CPU time user and system, peak resident memory, and
 * voluntary and involuntary context switches, of the command and every
 * thread and child it had (wait4's rusage).
 *
 * Usage: rusage COMMAND [ARGS...]
 * The command's stdout and stderr pass through; then one line on stderr:
 *   RUSAGE user_s=U sys_s=S maxrss_kb=M vcsw=V ivcsw=I wall_s=W status=N
 * and the command's exit status (128 + signal when it was killed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: rusage COMMAND [ARGS...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("rusage: fork");
        return 1;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        fprintf(stderr, "rusage: %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0)
        if (errno != EINTR) {
            perror("rusage: wait4");
            return 1;
        }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    fprintf(stderr,
            "RUSAGE user_s=%.3f sys_s=%.3f maxrss_kb=%ld vcsw=%ld ivcsw=%ld wall_s=%.3f "
            "status=%d\n",
            tv_s(ru.ru_utime), tv_s(ru.ru_stime), ru.ru_maxrss, ru.ru_nvcsw, ru.ru_nivcsw,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, code);
    return code;
}
