/* Statistics snapshots rendered (see stats_render.h). */
#include "stats_render.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One number of a section: its JSON key, its metric name (after the
 * section's prefix), whether it only grows, its help text, where it is. */
typedef struct field {
    const char *key;
    const char *name; /* the metric's: "kprod_" + section + key (+ "_total") */
    int counter;
    const char *help;
    size_t off;
} field;

#define TOTAL "_total" /* a counter: the name ends in _total */
#define GAUGE ""

#define PF(k, c, h)                                                                                \
    { #k, "kprod_" #k c, sizeof(c)> 1, h, offsetof(kp_stats_snap, k) }
static const field producer_fields[] = {
    PF(records_accepted, TOTAL, "Records kprod_send accepted"),
    PF(bytes_accepted, TOTAL, "Bytes of records accepted (encoded, before compression)"),
    PF(batches_sent, TOTAL, "Batch attempts written to a broker, retries included"),
    PF(records_sent, TOTAL, "Records in those attempts"),
    PF(bytes_sent, TOTAL, "Bytes of those batches on the wire (after compression)"),
    PF(records_acked, TOTAL, "Records the brokers acknowledged"),
    PF(bytes_acked, TOTAL, "Wire bytes of the acknowledged batches"),
    PF(records_failed, TOTAL, "Records reported with an error"),
    PF(batches_retried, TOTAL, "Batch attempts that failed and were retried"),
    PF(records_waiting, GAUGE, "Records in the accumulator waiting to be sent (or retried)"),
    PF(bytes_waiting, GAUGE, "Encoded bytes of those records"),
    PF(buffer_memory_used, GAUGE, "Bytes charged against buffer.memory"),
    PF(buffer_memory_max, GAUGE, "buffer.memory"),
    PF(reports_outstanding, GAUGE, "Records accepted whose report has not been served"),
};

static const field idem_fields[] = {
    PF(producer_id, GAUGE, "The idempotent producer's id (-1 none)"),
    PF(producer_epoch, GAUGE, "Its epoch (-1 none)"),
    PF(epoch_bumps, TOTAL, "New epochs or producer ids taken after sequence trouble"),
    PF(recovery_partitions_read, TOTAL,
       "Partition logs read back because batches may have been stored unacknowledged"),
    PF(recovery_batches_found, TOTAL, "Batches such a read found stored: reported delivered"),
    PF(recovery_batches_resent, TOTAL, "Batches such a read found not stored: sent again"),
    PF(recovery_reads_timed_out, TOTAL,
       "Reads given up because their batches expired first (reported possibly persisted)"),
    PF(recovery_reads_failed, TOTAL,
       "Reads refused by the broker (e.g. no Read permission): their batches failed"),
};

/* The transactions section: JSON key k, the snapshot's member m. */
#define XF(k, m, c, h)                                                                             \
    { #k, "kprod_" #m c, sizeof(c)> 1, h, offsetof(kp_stats_snap, m) }
static const field txn_fields[] = {
    XF(protocol, transaction_protocol, GAUGE,
       "Transaction protocol: 2 Transactions V2 (KIP-890), 1 classic, 0 not known yet"),
    XF(committed, transactions_committed, TOTAL, "Transactions committed"),
    XF(aborted, transactions_aborted, TOTAL, "Transactions aborted"),
};

#define BF(k, c, h)                                                                                \
    { #k, "kprod_broker_" #k c, sizeof(c)> 1, h, offsetof(kp_stats_broker, k) }
static const field broker_fields[] = {
    BF(connects, TOTAL, "Connection attempts"),
    BF(disconnects, TOTAL, "Connections lost or closed after they were up"),
    BF(requests_sent, TOTAL, "Requests written"),
    BF(bytes_sent, TOTAL, "Bytes of requests written"),
    BF(responses_received, TOTAL, "Responses received"),
    BF(bytes_received, TOTAL, "Bytes of responses received"),
    BF(in_flight, GAUGE, "Requests waiting for their response"),
    BF(rtt_avg_us, GAUGE, "Mean time from request to response, microseconds"),
    BF(rtt_p50_us, GAUGE, "Median time from request to response, microseconds"),
    BF(rtt_p99_us, GAUGE, "99th percentile time from request to response, microseconds"),
    BF(throttle_avg_ms, GAUGE, "Mean throttle time the broker asked for, milliseconds"),
    BF(throttle_max_ms, GAUGE, "Largest throttle time the broker asked for, milliseconds"),
};

#define TF(k, c, h)                                                                                \
    { #k, "kprod_partition_" #k c, sizeof(c)> 1, h, offsetof(kp_stats_part, k) }
static const field part_fields[] = {
    TF(records_waiting, GAUGE, "Records waiting in the partition's queue"),
    TF(bytes_waiting, GAUGE, "Encoded bytes waiting in the partition's queue"),
    TF(batches_in_flight, GAUGE, "Batches sent and not yet answered"),
    TF(batches_sent, TOTAL, "Batch attempts written"),
    TF(records_sent, TOTAL, "Records in those attempts"),
    TF(bytes_sent, TOTAL, "Wire bytes of those attempts"),
    TF(avg_batch_records, GAUGE, "Mean records per batch sent"),
    TF(avg_batch_bytes, GAUGE, "Mean wire bytes per batch sent"),
    TF(compression_ratio_pct, GAUGE, "Uncompressed bytes per 100 bytes sent (100: none)"),
    TF(records_acked, TOTAL, "Records acknowledged"),
    TF(records_failed, TOTAL, "Records reported with an error"),
    TF(batches_retried, TOTAL, "Batch attempts that failed and were retried"),
    TF(latency_p50_us, GAUGE, "Median time from a batch's first record to its acknowledgement, us"),
    TF(latency_p99_us, GAUGE, "99th percentile of that time, microseconds"),
};
#define NF(a) (sizeof(a) / sizeof((a)[0]))

static int64_t get(const void *base, const field *f) {
    return *(const int64_t *)(const void *)((const char *)base + f->off);
}

void kp_stats_snap_clear(kp_stats_snap *s) {
    free(s->client_id);
    for (size_t i = 0; i < s->nbrokers; i++) {
        free(s->brokers[i].host);
        free(s->brokers[i].addr);
    }
    for (size_t i = 0; i < s->nparts; i++)
        free(s->parts[i].topic);
    free(s->brokers);
    free(s->parts);
    memset(s, 0, sizeof(*s));
}

/* ---- a growing string ---- */

typedef struct sb {
    char *p;
    size_t len, cap;
    int oom;
} sb;

static void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *fmt, ...) {
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        while (ncap < b->len + (size_t)n + 1)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

static char *sb_done(sb *b) {
    if (b->oom || !b->p) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

/* A JSON string: quotes, backslashes and control bytes escaped; other
 * bytes as they are (broker host names and topics are what they are). */
static void sb_json_str(sb *b, const char *s) {
    sb_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            sb_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            sb_printf(b, "\\u%04x", *p);
        else
            sb_printf(b, "%c", *p);
    }
    sb_printf(b, "\"");
}

static void json_fields(sb *b, const void *base, const field *f, size_t n) {
    for (size_t i = 0; i < n; i++)
        sb_printf(b, ",\"%s\":%lld", f[i].key, (long long)get(base, &f[i]));
}

char *kp_stats_json(const kp_stats_snap *s) {
    sb b = {0};
    sb_printf(&b, "{\"name\":\"kprod\",\"version\":\"%s\",\"client_id\":", KPROD_VERSION_STR);
    sb_json_str(&b, s->client_id);
    sb_printf(&b, ",\"time_ms\":%lld,\"uptime_ms\":%lld,\"producer\":{\"_\":0",
              (long long)s->time_ms, (long long)s->uptime_ms);
    json_fields(&b, s, producer_fields, NF(producer_fields));
    sb_printf(&b, "},\"idempotence\":{\"enabled\":%s", s->idempotent ? "true" : "false");
    json_fields(&b, s, idem_fields, NF(idem_fields));
    sb_printf(&b, "},\"transactions\":{\"enabled\":%s,\"state\":\"%s\"",
              s->transactional ? "true" : "false", s->txn_state ? s->txn_state : "uninitialized");
    json_fields(&b, s, txn_fields, NF(txn_fields));
    sb_printf(&b, "},\"brokers\":[");
    for (size_t i = 0; i < s->nbrokers; i++) {
        const kp_stats_broker *br = &s->brokers[i];
        sb_printf(&b, "%s{\"id\":%lld,\"host\":", i ? "," : "", (long long)br->id);
        sb_json_str(&b, br->host);
        sb_printf(&b, ",\"port\":%lld,\"state\":\"%s\"", (long long)br->port, br->state);
        json_fields(&b, br, broker_fields, NF(broker_fields));
        sb_printf(&b, "}");
    }
    sb_printf(&b, "],\"partitions\":[");
    for (size_t i = 0; i < s->nparts; i++) {
        const kp_stats_part *p = &s->parts[i];
        sb_printf(&b, "%s{\"topic\":", i ? "," : "");
        sb_json_str(&b, p->topic);
        sb_printf(&b, ",\"partition\":%lld,\"leader\":%lld", (long long)p->partition,
                  (long long)p->leader);
        json_fields(&b, p, part_fields, NF(part_fields));
        sb_printf(&b, "}");
    }
    sb_printf(&b, "]}");
    char *out = sb_done(&b);
    if (!out)
        return NULL;
    /* The producer object opened with a placeholder so that every field
     * can start with a comma: take it out again. */
    char *ph = strstr(out, "{\"_\":0,");
    if (ph)
        memmove(ph + 1, ph + 7, strlen(ph + 7) + 1);
    return out;
}

/* ---- the flat list ---- */

/* A section's metrics, grouped by field (Prometheus wants a metric's
 * samples together): for each field, one sample per entity of the
 * section (n entities of `stride` bytes from `base`). */
typedef struct section {
    const field *fields;
    size_t nfields;
    const void *base;
    size_t stride, n;
    int per_broker, per_partition;
} section;

static void add_section(kprod_metric_t *m, size_t *k, const section *sec) {
    for (size_t f = 0; f < sec->nfields; f++) {
        for (size_t e = 0; e < sec->n; e++) {
            const void *ent = (const char *)sec->base + e * sec->stride;
            kprod_metric_t *x = &m[(*k)++];
            x->name = sec->fields[f].name;
            x->help = sec->fields[f].help;
            x->is_counter = sec->fields[f].counter;
            x->broker = sec->per_broker ? ((const kp_stats_broker *)ent)->addr : NULL;
            x->broker_id = sec->per_broker ? (int32_t)((const kp_stats_broker *)ent)->id : -1;
            x->topic = sec->per_partition ? ((const kp_stats_part *)ent)->topic : NULL;
            x->partition =
                sec->per_partition ? (int32_t)((const kp_stats_part *)ent)->partition : -1;
            x->value = (double)get(ent, &sec->fields[f]);
        }
    }
}

kprod_metric_t *kp_stats_metrics(const kp_stats_snap *s, size_t *n) {
    const section secs[] = {
        {producer_fields, NF(producer_fields), s, 0, 1, 0, 0},
        {idem_fields, NF(idem_fields), s, 0, 1, 0, 0},
        {txn_fields, NF(txn_fields), s, 0, 1, 0, 0},
        {broker_fields, NF(broker_fields), s->brokers, sizeof(kp_stats_broker), s->nbrokers, 1, 0},
        {part_fields, NF(part_fields), s->parts, sizeof(kp_stats_part), s->nparts, 0, 1},
    };
    size_t total = 0;
    for (size_t i = 0; i < NF(secs); i++)
        total += secs[i].nfields * secs[i].n;
    *n = 0;
    kprod_metric_t *m = calloc(total ? total : 1, sizeof(*m));
    if (!m)
        return NULL;
    for (size_t i = 0; i < NF(secs); i++)
        add_section(m, n, &secs[i]);
    return m;
}

/* A Prometheus label: backslash, quote and newline escaped in the value. */
static void sb_label(sb *b, int first, const char *name, const char *v) {
    sb_printf(b, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            sb_printf(b, "\\%c", *p);
        else if (*p == '\n')
            sb_printf(b, "\\n");
        else
            sb_printf(b, "%c", *p);
    }
    sb_printf(b, "\"");
}

char *kp_stats_prometheus(const kprod_metric_t *m, size_t n, const char *client_id) {
    sb b = {0};
    for (size_t i = 0; i < n; i++) {
        /* The list keeps a metric's samples together: HELP and TYPE when
         * the name changes. */
        if (i == 0 || strcmp(m[i - 1].name, m[i].name) != 0)
            sb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", m[i].name, m[i].help, m[i].name,
                      m[i].is_counter ? "counter" : "gauge");
        sb_printf(&b, "%s{", m[i].name);
        sb_label(&b, 1, "client_id", client_id ? client_id : "");
        if (m[i].broker) {
            sb_label(&b, 0, "broker", m[i].broker);
            sb_printf(&b, ",broker_id=\"%d\"", (int)m[i].broker_id);
        }
        if (m[i].topic)
            sb_label(&b, 0, "topic", m[i].topic);
        if (m[i].partition >= 0)
            sb_printf(&b, ",partition=\"%d\"", (int)m[i].partition);
        sb_printf(&b, "} %.0f\n", m[i].value);
    }
    if (n == 0)
        sb_printf(&b, "%s", "");
    return sb_done(&b);
}
