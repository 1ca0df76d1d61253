/* Helpers shared by the tests (see testutil.h). */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int64_t kpt_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *kpt_brokers(void) {
    const char *b = getenv("KPROD_BROKERS");
    return b && *b ? b : "127.0.0.1:9092";
}

const char *kpt_src_dir(void) {
    const char *s = getenv("KPROD_SRC");
    if (s && *s)
        return s;
    return KPROD_TEST_SRC_DIR;
}

int kpt_sh(char *out, size_t cap, const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t n = 0;
    char tmp[4096];
    size_t r;
    while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        if (out && n + 1 < cap) {
            size_t take = r < cap - 1 - n ? r : cap - 1 - n;
            memcpy(out + n, tmp, take);
            n += take;
        }
    }
    if (out && cap)
        out[n] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void kpt_unique_topic(char *dst, size_t cap, const char *prefix) {
    static int seq;
    snprintf(dst, cap, "%s-%d-%lld-%d", prefix, (int)getpid(), (long long)kpt_now_ms(), seq++);
}

void kpt_create_topic(const char *topic, int partitions, int replication) {
    kpt_create_topic_with(topic, partitions, replication, NULL);
}

void kpt_create_topic_with(const char *topic, int partitions, int replication, const char *config) {
    char out[8192];
    int rc =
        kpt_sh(out, sizeof(out),
               "bash '%s/scripts/kafka.sh' topics --bootstrap-server '%s' --create --topic '%s' "
               "--partitions %d --replication-factor %d%s%s 2>&1",
               kpt_src_dir(), kpt_brokers(), topic, partitions, replication,
               config ? " --config " : "", config ? config : "");
    if (rc != 0)
        fail_msg("kafka-topics --create %s failed (%d): %s", topic, rc, out);
    /* The broker lists the new partitions in its metadata before it has
     * made itself their leader; a Produce in between fails with
     * NOT_LEADER_OR_FOLLOWER, which acks=0 cannot retry (the broker just
     * closes the connection and the records are lost). Wait until every
     * partition answers a ListOffsets request, which takes the same path. */
    char args[3072]; /* fits in kpt_sh's command buffer with the rest */
    size_t n = 0;
    for (int i = 0; i < partitions && n < sizeof(args); i++)
        n += (size_t)snprintf(args + n, sizeof(args) - n, " -t '%s:%d:-1'", topic, i);
    if (n >= sizeof(args))
        fail_msg("too many partitions to check: %d", partitions);
    int64_t deadline = kpt_now_ms() + 30000;
    for (;;) {
        /* kcat exits 0 even when some partitions fail: count the answers. */
        kpt_sh(out, sizeof(out), "kcat -Q -b '%s'%s 2>&1 | grep -cE '\\] offset [0-9]+$'",
               kpt_brokers(), args);
        if (atoi(out) == partitions)
            break;
        if (kpt_now_ms() > deadline)
            fail_msg("topic %s: %s of %d partitions led after 30 s", topic, out, partitions);
        kpt_sh(NULL, 0, "sleep 0.1"); /* paces the retries until the deadline */
    }
}

/* Splits the next TAB-separated field off *s. */
static char *next_field(char **s) {
    char *f = *s;
    char *tab = f ? strchr(f, '\t') : NULL;
    if (tab) {
        *tab = '\0';
        *s = tab + 1;
    } else {
        *s = NULL;
    }
    return f;
}

/* Runs `consume` with the given count argument ("" = to the end) and
 * parses its lines; *got is how many came. */
static kpt_record *consume_lines(const char *topic, const char *count_arg, int cap_hint, int *got,
                                 int *status) {
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "bash '%s/scripts/kafka.sh' consume '%s' --brokers=%s %s",
             kpt_src_dir(), topic, kpt_brokers(), count_arg);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = (size_t)(cap_hint > 0 ? cap_hint : 1024);
    kpt_record *recs = calloc(cap, sizeof(*recs));
    assert_non_null(recs);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    *got = 0;
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if ((size_t)*got == cap) {
            cap *= 2;
            recs = realloc(recs, cap * sizeof(*recs));
            assert_non_null(recs);
        }
        char *s = line;
        kpt_record *r = &recs[(*got)++];
        r->partition = atoi(next_field(&s));
        r->offset = atoll(next_field(&s));
        r->timestamp = atoll(next_field(&s));
        r->key_len = atoi(next_field(&s));
        r->key = strdup(next_field(&s));
        r->value_len = atoi(next_field(&s));
        r->value = strdup(next_field(&s));
        char *h = next_field(&s);
        r->headers = strdup(h ? h : "");
        assert_non_null(r->headers);
    }
    free(line);
    *status = pclose(f);
    return recs;
}

kpt_record *kpt_consume(const char *topic, int count) {
    char arg[32];
    snprintf(arg, sizeof(arg), "%d", count);
    int got, st;
    kpt_record *recs = consume_lines(topic, arg, count + 1, &got, &st);
    if (got != count || st != 0)
        fail_msg("consumer read %d of %d records of %s (exit %d)", got, count, topic, st);
    return recs;
}

kpt_record *kpt_consume_all(const char *topic, int *count) {
    int st;
    kpt_record *recs = consume_lines(topic, "", 0, count, &st);
    if (st != 0)
        fail_msg("consumer of %s failed (exit %d) after %d records", topic, st, *count);
    return recs;
}

void kpt_records_free(kpt_record *r, int count) {
    for (int i = 0; i < count; i++) {
        free(r[i].key);
        free(r[i].value);
        free(r[i].headers);
    }
    free(r);
}

void kpt_proxy_start(kpt_proxy *px, double drop_fraction, int delay_ms) {
    int to_child[2], from_child[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    char port[16], frac[32], delay[16];
    const char *colon = strrchr(kpt_brokers(), ':');
    assert_non_null(colon);
    snprintf(port, sizeof(port), "%s", colon + 1);
    snprintf(frac, sizeof(frac), "%f", drop_fraction);
    snprintf(delay, sizeof(delay), "%d", delay_ms);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[1]);
        close(from_child[0]);
        execl(KPROD_PROXY_BIN, "kafka_proxy", "127.0.0.1", port, frac, "42", delay, (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    px->pid = pid;
    px->in_fd = to_child[1];
    FILE *out = fdopen(from_child[0], "r");
    px->out = out;
    assert_int_equal(fscanf(out, "port %d", &px->port), 1);
}

kpt_proxy_stats kpt_proxy_stop(kpt_proxy *px) {
    close(px->in_fd);
    kpt_proxy_stats st = {.forwarded = -1, .dropped = -1, .max_inflight = -1};
    long sum = 0;
    if (fscanf(px->out, " produce_forwarded=%ld dropped=%ld max_inflight=%d sum_inflight=%ld",
               &st.forwarded, &st.dropped, &st.max_inflight, &sum) != 4)
        fail_msg("proxy did not report its counts");
    st.mean_inflight = st.forwarded > 0 ? (double)sum / (double)st.forwarded : 0;
    fclose(px->out);
    waitpid(px->pid, NULL, 0);
    return st;
}

void kpt_proxy_kill(kpt_proxy *px) {
    kill(px->pid, SIGKILL);
    waitpid(px->pid, NULL, 0);
    close(px->in_fd);
    fclose(px->out);
}

void kpt_hostile_start(kpt_hostile *hb, const char *scenario, const char *options) {
    int to_child[2], from_child[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    char opts[512];
    snprintf(opts, sizeof(opts), "%s", options ? options : "");
    char *argv[32];
    int argc = 0;
    argv[argc++] = "hostile_broker";
    argv[argc++] = (char *)scenario;
    for (char *tok = strtok(opts, " "); tok && argc < 31; tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[1]);
        close(from_child[0]);
        execv(KPROD_HOSTILE_BIN, argv);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    hb->pid = pid;
    FILE *in = fdopen(to_child[1], "w");
    FILE *out = fdopen(from_child[0], "r");
    assert_non_null(in);
    assert_non_null(out);
    hb->in = in;
    hb->out = out;
    if (fscanf(out, "port %d", &hb->port) != 1)
        fail_msg("hostile_broker %s did not start", scenario);
}

/* Sends one command and returns its answer line (malloc'd). */
static char *hostile_ask(kpt_hostile *hb, const char *cmd) {
    FILE *in = hb->in, *out = hb->out;
    fprintf(in, "%s\n", cmd);
    fflush(in);
    char *line = NULL;
    size_t cap = 0;
    /* The tool answers at once; a dead tool gives EOF, not a hang. */
    if (getline(&line, &cap, out) < 0 || (line[0] == '\n' && getline(&line, &cap, out) < 0))
        fail_msg("hostile_broker gave no answer to %s", cmd);
    return line;
}

kpt_hostile_stats kpt_hostile_stats_get(kpt_hostile *hb) {
    kpt_hostile_stats st;
    memset(&st, 0, sizeof(st));
    char *line = hostile_ask(hb, "stats");
    if (sscanf(line,
               "stats conns=%ld apiversions=%ld metadata=%ld initpid=%ld produce=%ld "
               "streamed=%lld open=%ld",
               &st.conns, &st.api_versions, &st.metadata, &st.init_pid, &st.produce, &st.streamed,
               &st.open) != 7)
        fail_msg("hostile_broker stats: %s", line);
    free(line);
    return st;
}

int64_t *kpt_hostile_times(kpt_hostile *hb, const char *what, int *n) {
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "times %s", what);
    char *line = hostile_ask(hb, cmd);
    char *s = line, *end;
    if (strncmp(s, "times ", 6) != 0)
        fail_msg("hostile_broker %s: %s", cmd, line);
    s += 6;
    long count = strtol(s, &end, 10);
    assert_true(count >= 0);
    int64_t *v = calloc((size_t)count + 1, sizeof(*v));
    assert_non_null(v);
    s = end;
    for (long i = 0; i < count; i++) {
        v[i] = strtoll(s, &end, 10);
        assert_true(end != s);
        s = end;
    }
    free(line);
    *n = (int)count;
    return v;
}

int kpt_count_between(const int64_t *times, int n, int64_t from_ms, int64_t to_ms) {
    int c = 0;
    for (int i = 0; i < n; i++)
        c += times[i] >= from_ms && times[i] < to_ms;
    return c;
}

void kpt_hostile_stop(kpt_hostile *hb) {
    fclose(hb->in);
    fclose(hb->out);
    waitpid(hb->pid, NULL, 0);
}

long kpt_peak_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atol(line + 6);
    fclose(f);
    return kb;
}

int kpt_peak_rss_reset(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

int kpt_loopback_socket(int listening, int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    if (listening) {
        assert_int_equal(listen(fd, 16), 0);
        return fd;
    }
    close(fd);
    return -1;
}

kprod_conf_t *kpt_conf_for_port(int port, const char *const *props, kprod_delivery_cb cb) {
    kprod_conf_t *conf = kprod_conf_new();
    char err[256], bs[64];
    snprintf(bs, sizeof(bs), "127.0.0.1:%d", port);
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", bs, err, sizeof(err)), 0);
    for (int i = 0; props && props[i]; i += 2)
        if (kprod_conf_set(conf, props[i], props[i + 1], err, sizeof(err)) != 0)
            fail_msg("%s=%s: %s", props[i], props[i + 1], err);
    kprod_conf_set_delivery_cb(conf, cb, NULL);
    return conf;
}

kprod_conf_t *kpt_down_conf(const char *const *props, kprod_delivery_cb cb) {
    int port;
    kpt_loopback_socket(0, &port);
    return kpt_conf_for_port(port, props, cb);
}

kprod_t *kpt_new_producer(kprod_conf_t *conf) {
    kprod_t *p = NULL;
    char err[256];
    if (kprod_new(conf, &p, err, sizeof(err)) != 0)
        fail_msg("kprod_new: %s", err);
    return p;
}

kprod_record_t kpt_value_record(const char *topic, int32_t partition, const void *value,
                                size_t len) {
    kprod_record_t r = KPROD_RECORD_INIT;
    r.topic = topic;
    r.partition = partition;
    r.value = value;
    r.value_len = len;
    return r;
}

/* ---- log capture ---- */

typedef struct kpt_logline {
    int level;
    char ctx[32];
    char *msg;
} kpt_logline;

struct kpt_logcap {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    kpt_logline *lines;
    int n, cap;
};

kpt_logcap *kpt_logcap_new(void) {
    kpt_logcap *lc = calloc(1, sizeof(*lc));
    assert_non_null(lc);
    pthread_mutex_init(&lc->lock, NULL);
    pthread_cond_init(&lc->cv, NULL);
    return lc;
}

void kpt_logcap_free(kpt_logcap *lc) {
    if (!lc)
        return;
    for (int i = 0; i < lc->n; i++)
        free(lc->lines[i].msg);
    free(lc->lines);
    pthread_mutex_destroy(&lc->lock);
    pthread_cond_destroy(&lc->cv);
    free(lc);
}

static void logcap_cb(int level, const char *ctx, const char *msg, void *opaque) {
    kpt_logcap *lc = opaque;
    pthread_mutex_lock(&lc->lock);
    if (lc->n == lc->cap) {
        int ncap = lc->cap ? lc->cap * 2 : 64;
        kpt_logline *nl = realloc(lc->lines, (size_t)ncap * sizeof(*nl));
        if (!nl) {
            pthread_mutex_unlock(&lc->lock);
            return;
        }
        lc->lines = nl;
        lc->cap = ncap;
    }
    kpt_logline *l = &lc->lines[lc->n];
    l->level = level;
    snprintf(l->ctx, sizeof(l->ctx), "%s", ctx);
    l->msg = strdup(msg);
    if (l->msg)
        lc->n++;
    pthread_cond_broadcast(&lc->cv);
    pthread_mutex_unlock(&lc->lock);
}

void kpt_logcap_install(kprod_conf_t *conf, kpt_logcap *lc) {
    kprod_conf_set_log_cb(conf, logcap_cb, lc);
}

static int logcap_count_locked(kpt_logcap *lc, int level, const char *ctx, va_list ap) {
    const char *subs[16];
    int ns = 0;
    for (const char *s; ns < 16 && (s = va_arg(ap, const char *)) != NULL;)
        subs[ns++] = s;
    int count = 0;
    for (int i = 0; i < lc->n; i++) {
        const kpt_logline *l = &lc->lines[i];
        if ((level >= 0 && l->level != level) || (ctx && strcmp(ctx, l->ctx) != 0))
            continue;
        int all = 1;
        for (int k = 0; k < ns && all; k++)
            all = strstr(l->msg, subs[k]) != NULL;
        count += all;
    }
    return count;
}

int kpt_logcap_count(kpt_logcap *lc, int level, const char *ctx, ...) {
    va_list ap;
    va_start(ap, ctx);
    pthread_mutex_lock(&lc->lock);
    int c = logcap_count_locked(lc, level, ctx, ap);
    pthread_mutex_unlock(&lc->lock);
    va_end(ap);
    return c;
}

int kpt_logcap_wait(kpt_logcap *lc, int timeout_ms, int level, const char *ctx, ...) {
    int64_t deadline = kpt_now_ms() + timeout_ms;
    pthread_mutex_lock(&lc->lock);
    int c;
    for (;;) {
        va_list ap;
        va_start(ap, ctx);
        c = logcap_count_locked(lc, level, ctx, ap);
        va_end(ap);
        int64_t left = deadline - kpt_now_ms();
        if (c > 0 || left <= 0)
            break;
        /* cv is on CLOCK_REALTIME: a short slice, then check the
         * monotonic deadline again. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t slice = left < 100 ? left : 100;
        ts.tv_nsec += (long)(slice % 1000) * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&lc->cv, &lc->lock, &ts);
    }
    pthread_mutex_unlock(&lc->lock);
    return c;
}

char *kpt_logcap_dump(kpt_logcap *lc) {
    pthread_mutex_lock(&lc->lock);
    size_t len = 1;
    for (int i = 0; i < lc->n; i++)
        len += strlen(lc->lines[i].msg) + 48;
    char *out = malloc(len), *o = out;
    assert_non_null(out);
    *o = '\0';
    for (int i = 0; i < lc->n; i++)
        o += sprintf(o, "%d %s: %s\n", lc->lines[i].level, lc->lines[i].ctx, lc->lines[i].msg);
    pthread_mutex_unlock(&lc->lock);
    return out;
}
