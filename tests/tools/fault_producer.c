/* The kprod side of the fault harness (scripts/faults.sh): produces one
 * record per input line, "KEY<TAB>VALUE" (no TAB: a value without key),
 * with the library, as Kafka's console producer and librdkafka's stdin
 * producer do in the same harness, and writes each record's delivery
 * report, so that the harness can check that every report's offset is
 * where `kprod verify` finds the record.
 *
 * Usage: fault_producer -b BOOTSTRAP -t TOPIC -r REPORTS [-X NAME=VALUE]...
 * REPORTS gets one line per input line, in input order:
 *   LINE PARTITION OFFSET ERROR_NAME POSSIBLY_PERSISTED
 * (OFFSET -1 and the error's name when it failed; "-" for ERROR_NAME when
 * delivered). stdout gets "sent=N delivered=D failed=F
 * possibly_persisted=P" at the end, and the statistics' idempotence
 * section; warnings go to stderr. Exit 0 when every record was delivered. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprod.h"

typedef struct rep {
    int32_t partition;
    int64_t offset;
    kprod_err_t err;
    int pp;
    int reported;
} rep;

static rep *g_reps;
static size_t g_cap;

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    size_t i = (size_t)(uintptr_t)r->opaque;
    rep *x = &g_reps[i];
    x->reported++;
    x->partition = r->partition;
    x->offset = r->offset;
    x->err = r->err;
    x->pp = r->possibly_persisted;
    if (r->err && x->reported == 1)
        fprintf(stderr, "fault_producer: record %zu: %s: %s%s\n", i + 1, kprod_err_name(r->err),
                r->errstr ? r->errstr : "", r->possibly_persisted ? " (possibly persisted)" : "");
}

static void on_stats(const char *json, size_t len, void *opaque) {
    (void)opaque;
    /* the idempotence section, for the harness's log */
    const char *p = strstr(json, "\"idempotence\"");
    if (p) {
        const char *e = strchr(p, '}');
        if (e && e < json + len)
            printf("%.*s}\n", (int)(e - p), p);
    }
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
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        if (tab) {
            rec.key = line;
            rec.key_len = tab - line;
            rec.value = tab + 1;
            rec.value_len = (size_t)(len - (tab + 1 - line));
        } else {
            rec.value = line;
            rec.value_len = (size_t)len;
        }
        kprod_err_t e;
        while ((e = kprod_send(p, &rec, on_report, (void *)(uintptr_t)n)) == KPROD_ERR__QUEUE_FULL)
            kprod_poll(p, 100);
        if (e) {
            fprintf(stderr, "fault_producer: send of line %zu: %s\n", n + 1, kprod_err_name(e));
            g_reps[n].reported = 1;
            g_reps[n].err = e;
            g_reps[n].offset = -1;
        }
        n++;
        kprod_poll(p, 0);
    }
    free(line);
    kprod_flush(p, 600000);
    kprod_stats_t *st = NULL;
    if (kprod_stats_get(p, 5000, &st) == KPROD_ERR_NO_ERROR) {
        const char *json = kprod_stats_json(st);
        on_stats(json, strlen(json), NULL);
        kprod_stats_destroy(st);
    }
    kprod_close(p, 10000);

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
                                       : kprod_err_name(x->reported ? x->err : KPROD_ERR__FAIL),
                x->pp);
    }
    fclose(out);
    printf("sent=%zu delivered=%zu failed=%zu possibly_persisted=%zu reported_twice=%zu\n", n,
           delivered, failed, pp, twice);
    free(g_reps);
    return failed || twice ? 1 : 0;
}
