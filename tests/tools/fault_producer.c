/* The kprod side of the fault harness (scripts/faults.sh): produces one
 * record per input line, "KEY<TAB>VALUE" (no TAB: a value without key),
 * with the library, as Kafka's console producer and librdkafka's stdin
 * producer (rdkafka_stdin.c) do in the same harness, and writes each
 * record's delivery report, so that the harness can check that every
 * report's offset is where `kprod verify` finds the record.
 *
 * Usage: fault_producer -b BOOTSTRAP -t TOPIC -r REPORTS [-X NAME=VALUE]...
 * REPORTS and the summary line: fault_io.h. stdout also gets the
 * statistics' idempotence section at the end; warnings go to stderr.
 * Exit 0 when every record was delivered exactly once. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_io.h"
#include "kprod.h"

static fio_rep *g_reps;

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    size_t i = (size_t)(uintptr_t)r->opaque;
    fio_rep *x = &g_reps[i];
    x->reported++;
    x->partition = r->partition;
    x->offset = r->offset;
    x->err = r->err ? kprod_err_name(r->err) : NULL;
    x->pp = r->possibly_persisted;
    if (r->err && x->reported == 1)
        fprintf(stderr, "fault_producer: record %zu: %s: %s%s\n", i + 1, kprod_err_name(r->err),
                r->errstr ? r->errstr : "", r->possibly_persisted ? " (possibly persisted)" : "");
}

/* The statistics' idempotence section, for the harness's log. */
static void print_idempotence(kprod_t *p) {
    kprod_stats_t *st = NULL;
    if (kprod_stats_get(p, 5000, &st) != KPROD_ERR_NO_ERROR)
        return;
    const char *json = kprod_stats_json(st);
    const char *s = strstr(json, "\"idempotence\""), *e = s ? strchr(s, '}') : NULL;
    if (e)
        printf("%.*s}\n", (int)(e - s), s);
    kprod_stats_destroy(st);
}

static void die(const char *what, const char *err) {
    fprintf(stderr, "fault_producer: %s: %s\n", what, err);
    exit(2);
}

int main(int argc, char **argv) {
    const char *bootstrap = NULL, *topic = NULL, *reports = NULL;
    char err[512];
    kprod_conf_t *conf = kprod_conf_new();
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-b") == 0) {
            bootstrap = argv[i + 1];
        } else if (strcmp(argv[i], "-t") == 0) {
            topic = argv[i + 1];
        } else if (strcmp(argv[i], "-r") == 0) {
            reports = argv[i + 1];
        } else if (strcmp(argv[i], "-X") == 0) {
            char *kv = argv[i + 1], *eq = strchr(kv, '=');
            if (!eq)
                die("-X wants NAME=VALUE", kv);
            *eq = '\0';
            if (kprod_conf_set(conf, kv, eq + 1, err, sizeof(err)))
                die(kv, err);
        } else {
            die("unknown argument", argv[i]);
        }
    }
    if (!bootstrap || !topic || !reports)
        die("usage", "fault_producer -b BOOTSTRAP -t TOPIC -r REPORTS [-X NAME=VALUE]...");
    if (kprod_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)))
        die("bootstrap.servers", err);
    kprod_t *p;
    if (kprod_new(conf, &p, err, sizeof(err)))
        die("kprod_new", err);

    char *buf = NULL;
    size_t cap = 0, reps_cap = 0, n = 0;
    fio_line line;
    while (fio_next(&buf, &cap, &line, &g_reps, &reps_cap, n)) {
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        rec.key = line.key;
        rec.key_len = line.key ? line.key_len : 0;
        rec.value = line.value;
        rec.value_len = line.value_len;
        kprod_err_t e;
        while ((e = kprod_send(p, &rec, on_report, (void *)(uintptr_t)n)) == KPROD_ERR__QUEUE_FULL)
            kprod_poll(p, 100);
        if (e) {
            fprintf(stderr, "fault_producer: send of line %zu: %s\n", n + 1, kprod_err_name(e));
            g_reps[n].reported = 1;
            g_reps[n].err = kprod_err_name(e);
        }
        n++;
        kprod_poll(p, 0);
    }
    free(buf);
    kprod_flush(p, 600000);
    print_idempotence(p);
    kprod_close(p, 10000);
    int rc = fio_finish(reports, g_reps, n);
    free(g_reps);
    return rc;
}
