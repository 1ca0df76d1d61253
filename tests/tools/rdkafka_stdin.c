/* The librdkafka side of the fault harness (scripts/faults.sh): the same
 * job as tests/tools/fault_producer.c, with librdkafka as the producer, so
 * that the harness measures it in the same scenario. One record per input
 * line, "KEY<TAB>VALUE"; properties with -X go to librdkafka unchanged
 * (its own names: message.timeout.ms, not delivery.timeout.ms).
 *
 * Usage: rdkafka_stdin -b BOOTSTRAP -t TOPIC -r REPORTS [-X NAME=VALUE]...
 * REPORTS and the summary line are fault_producer's. */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rep {
    int32_t partition;
    int64_t offset;
    rd_kafka_resp_err_t err;
    int pp;
    int reported;
} rep;

static rep *g_reps;
static size_t g_cap;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk, (void)opaque;
    size_t i = (size_t)(uintptr_t)m->_private;
    rep *x = &g_reps[i];
    x->reported++;
    x->partition = m->partition;
    x->offset = m->err ? -1 : m->offset;
    x->err = m->err;
    x->pp = m->err && rd_kafka_message_status(m) != RD_KAFKA_MSG_STATUS_NOT_PERSISTED;
    if (m->err && x->reported == 1)
        fprintf(stderr, "rdkafka_stdin: record %zu: %s%s\n", i + 1, rd_kafka_err2name(m->err),
                x->pp ? " (possibly persisted)" : "");
}

static void die(const char *what, const char *err) {
    fprintf(stderr, "rdkafka_stdin: %s: %s\n", what, err);
    exit(2);
}

int main(int argc, char **argv) {
    const char *topic = NULL, *reports = NULL;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "-b") == 0) {
            if (rd_kafka_conf_set(conf, "bootstrap.servers", v, err, sizeof(err)) !=
                RD_KAFKA_CONF_OK)
                die("bootstrap.servers", err);
        } else if (strcmp(k, "-t") == 0)
            topic = v;
        else if (strcmp(k, "-r") == 0)
            reports = v;
        else if (strcmp(k, "-X") == 0) {
            char name[256];
            const char *eq = strchr(v, '=');
            if (!eq || (size_t)(eq - v) >= sizeof(name))
                die("-X wants NAME=VALUE", v);
            snprintf(name, sizeof(name), "%.*s", (int)(eq - v), v);
            if (rd_kafka_conf_set(conf, name, eq + 1, err, sizeof(err)) != RD_KAFKA_CONF_OK)
                die(name, err);
        } else
            die("unknown argument", k);
    }
    if (!topic || !reports)
        die("usage", "rdkafka_stdin -b BOOTSTRAP -t TOPIC -r REPORTS [-X NAME=VALUE]...");
    rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        die("rd_kafka_new", err);

    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (n == g_cap) {
            g_cap = g_cap ? g_cap * 2 : 65536;
            g_reps = realloc(g_reps, g_cap * sizeof(*g_reps));
            if (!g_reps)
                die("memory", "out of memory");
        }
        memset(&g_reps[n], 0, sizeof(g_reps[n]));
        char *tab = strchr(line, '\t');
        const char *key = tab ? line : NULL, *value = tab ? tab + 1 : line;
        size_t klen = tab ? (size_t)(tab - line) : 0;
        size_t vlen = (size_t)len - (size_t)(value - line);
        rd_kafka_resp_err_t e;
        for (;;) {
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen),
                                  RD_KAFKA_V_VALUE((void *)value, vlen),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_OPAQUE((void *)(uintptr_t)n), RD_KAFKA_V_END);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(rk, 100);
        }
        if (e) {
            fprintf(stderr, "rdkafka_stdin: send of line %zu: %s\n", n + 1, rd_kafka_err2name(e));
            g_reps[n].reported = 1;
            g_reps[n].err = e;
            g_reps[n].offset = -1;
        }
        n++;
        rd_kafka_poll(rk, 0);
    }
    free(line);
    rd_kafka_flush(rk, 600000);
    rd_kafka_destroy(rk);

    FILE *out = fopen(reports, "w");
    if (!out)
        die("cannot write", reports);
    size_t delivered = 0, failed = 0, pp = 0, twice = 0;
    for (size_t i = 0; i < n; i++) {
        rep *x = &g_reps[i];
        twice += x->reported > 1;
        if (x->reported && !x->err)
            delivered++;
        else
            failed++;
        pp += x->reported && x->err && x->pp;
        fprintf(out, "%zu %d %lld %s %d\n", i + 1, (int)x->partition, (long long)x->offset,
                x->reported && !x->err ? "-"
                : x->reported          ? rd_kafka_err2name(x->err)
                                       : "_FAIL",
                x->pp);
    }
    fclose(out);
    printf("sent=%zu delivered=%zu failed=%zu possibly_persisted=%zu reported_twice=%zu\n", n,
           delivered, failed, pp, twice);
    free(g_reps);
    return failed || twice ? 1 : 0;
}
