/* Drives the mock cluster helper (see mock.h): fork/exec with two pipes,
 * one command line out, one answer line back, each under a deadline. */
#include "mock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define KPT_MOCK_ANSWER_MS 5000

struct kpt_mock {
    pid_t pid;
    int to_fd;   /* its stdin */
    int from_fd; /* its stdout */
    char buf[4096];
    size_t len; /* bytes in buf not yet returned as lines */
    char bootstrap[1024];
};

static const char *helper_path(void) {
    const char *p = getenv("KPROD_MOCK_CLUSTER");
    if (p && *p)
        return p;
#ifdef KPROD_MOCK_CLUSTER_BIN
    return KPROD_MOCK_CLUSTER_BIN;
#else
    return "mock_cluster";
#endif
}

/* Reads one line (without its newline) into out, waiting until deadline.
 * Returns 0, or -1 on timeout or end of stream. */
static int read_line(kpt_mock *m, char *out, size_t cap, int64_t deadline) {
    for (;;) {
        char *nl = memchr(m->buf, '\n', m->len);
        if (nl) {
            size_t n = (size_t)(nl - m->buf);
            if (out && cap) {
                size_t take = n < cap - 1 ? n : cap - 1;
                memcpy(out, m->buf, take);
                out[take] = '\0';
            }
            m->len -= n + 1;
            memmove(m->buf, nl + 1, m->len);
            return 0;
        }
        if (m->len == sizeof(m->buf))
            return -1; /* a line longer than we ever expect */
        int64_t left = deadline - kpt_now_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = m->from_fd, .events = POLLIN};
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        ssize_t r = read(m->from_fd, m->buf + m->len, sizeof(m->buf) - m->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        m->len += (size_t)r;
    }
}

kpt_mock *kpt_mock_start(int brokers) {
    /* A helper that died must give EPIPE on write, not kill the test. */
    signal(SIGPIPE, SIG_IGN);
    int to[2], from[2];
    assert_int_equal(pipe2(to, O_CLOEXEC), 0);
    assert_int_equal(pipe2(from, O_CLOEXEC), 0);
    char nb[16];
    snprintf(nb, sizeof(nb), "%d", brokers);
    const char *path = helper_path();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        execl(path, path, nb, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    kpt_mock *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    m->pid = pid;
    m->to_fd = to[1];
    m->from_fd = from[0];
    if (read_line(m, m->bootstrap, sizeof(m->bootstrap), kpt_now_ms() + 10000) != 0 ||
        !strchr(m->bootstrap, ':'))
        fail_msg("mock cluster helper %s gave no bootstrap list", path);
    return m;
}

const char *kpt_mock_bootstrap(const kpt_mock *m) { return m->bootstrap; }

static int vcmd(kpt_mock *m, char *reply, size_t cap, const char *fmt, va_list ap) {
    char line[1024];
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    assert_true(n > 0 && (size_t)n < sizeof(line) - 1);
    line[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(m->to_fd, line + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            fail_msg("mock cluster helper is gone (write: %s)", strerror(errno));
        off += (int)w;
    }
    char ans[512];
    line[n - 1] = '\0';
    if (read_line(m, ans, sizeof(ans), kpt_now_ms() + KPT_MOCK_ANSWER_MS) != 0)
        fail_msg("mock cluster helper did not answer '%s'", line);
    if (reply && cap)
        snprintf(reply, cap, "%s", ans);
    return strncmp(ans, "ok", 2) == 0 ? 0 : -1;
}

int kpt_mock_cmd(kpt_mock *m, char *reply, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = vcmd(m, reply, cap, fmt, ap);
    va_end(ap);
    return rc;
}

void kpt_mock_ok(kpt_mock *m, const char *fmt, ...) {
    char ans[512];
    va_list ap;
    va_start(ap, fmt);
    int rc = vcmd(m, ans, sizeof(ans), fmt, ap);
    va_end(ap);
    if (rc != 0)
        fail_msg("mock cluster command failed: %s", ans);
}

long kpt_mock_error_count(kpt_mock *m, int broker, int api_key) {
    char ans[512];
    if (kpt_mock_cmd(m, ans, sizeof(ans), "error_count %d %d", broker, api_key) != 0)
        fail_msg("mock cluster: error_count failed: %s", ans);
    long n = -1;
    if (sscanf(ans, "ok %ld", &n) != 1)
        fail_msg("mock cluster: unexpected answer to error_count: %s", ans);
    return n;
}

void kpt_mock_stop(kpt_mock *m) {
    if (!m)
        return;
    ssize_t w = write(m->to_fd, "quit\n", 5);
    (void)w; /* it may be gone already */
    close(m->to_fd);
    int64_t deadline = kpt_now_ms() + 5000;
    int status;
    while (waitpid(m->pid, &status, WNOHANG) == 0) {
        if (kpt_now_ms() >= deadline) {
            kill(m->pid, SIGKILL);
            waitpid(m->pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    close(m->from_fd);
    free(m);
}
