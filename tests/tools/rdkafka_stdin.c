/* The librdkafka side of the fault harness (scripts/faults.sh): the same
 * job as tests/tools/fault_producer.c, with librdkafka as the producer, so
 * that the harness measures it in the same scenario. One record per input
 * line, "KEY<TAB>VALUE"; properties with -X go to librdkafka unchanged
 * (its own names, or its aliases of the Java ones).
 *
 * Usage: rdkafka_stdin -b BOOTSTRAP -t TOPIC -r REPORTS [-X NAME=VALUE]...
 * REPORTS and the summary line: fault_io.h. */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_io.h"

static fio_rep *g_reps;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk, (void)opaque;
    size_t i = (size_t)(uintptr_t)m->_private;
    fio_rep *x = &g_reps[i];
    x->reported++;
    x->partition = m->partition;
    x->offset = m->offset;
    x->err = m->err ? rd_kafka_err2name(m->err) : NULL;
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
        char name[256];
        const char *eq = strchr(v, '=');
        if (strcmp(k, "-b") == 0) {
            if (rd_kafka_conf_set(conf, "bootstrap.servers", v, err, sizeof(err)) !=
                RD_KAFKA_CONF_OK)
                die("bootstrap.servers", err);
        } else if (strcmp(k, "-t") == 0) {
            topic = v;
        } else if (strcmp(k, "-r") == 0) {
            reports = v;
        } else if (strcmp(k, "-X") == 0 && eq && (size_t)(eq - v) < sizeof(name)) {
            snprintf(name, sizeof(name), "%.*s", (int)(eq - v), v);
            if (rd_kafka_conf_set(conf, name, eq + 1, err, sizeof(err)) != RD_KAFKA_CONF_OK)
                die(name, err);
        } else {
            die("bad argument", k);
        }
    }
    if (!topic || !reports)
        die("usage", "rdkafka_stdin -b BOOTSTRAP -t TOPIC -r REPORTS [-X NAME=VALUE]...");
    rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        die("rd_kafka_new", err);

    char *buf = NULL;
    size_t cap = 0, reps_cap = 0, n = 0;
    fio_line line;
    while (fio_next(&buf, &cap, &line, &g_reps, &reps_cap, n)) {
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                      RD_KAFKA_V_KEY(line.key, line.key_len),
                                      RD_KAFKA_V_VALUE((void *)line.value, line.value_len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_OPAQUE((void *)(uintptr_t)n), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 100);
        if (e) {
            fprintf(stderr, "rdkafka_stdin: send of line %zu: %s\n", n + 1, rd_kafka_err2name(e));
            g_reps[n].reported = 1;
            g_reps[n].err = rd_kafka_err2name(e);
        }
        n++;
        rd_kafka_poll(rk, 0);
    }
    free(buf);
    rd_kafka_flush(rk, 600000);
    rd_kafka_destroy(rk);
    int rc = fio_finish(reports, g_reps, n);
    free(g_reps);
    return rc;
}
