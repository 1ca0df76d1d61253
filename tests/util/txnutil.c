/* Helpers for the transaction tests (see txnutil.h). */
#include "txnutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t rep_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_report(const kprod_report_t *r, void *opaque) {
    kpt_txn_reports *rep = opaque;
    pthread_mutex_lock(&rep_lock);
    if (!r->err) {
        rep->delivered++;
    } else if (r->err == KPROD_ERR__TXN_ABORTED) {
        rep->aborted++;
    } else {
        rep->failed++;
        rep->last_err = r->err;
    }
    pthread_mutex_unlock(&rep_lock);
}

kprod_t *kpt_txn_producer(const char *brokers, const char *txn_id, const char *const *props,
                          kpt_txn_reports *rep) {
    kprod_conf_t *conf = kprod_conf_new();
    char err[256];
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "transactional.id", txn_id, err, sizeof(err)), 0);
    for (int i = 0; props && props[i]; i += 2)
        if (kprod_conf_set(conf, props[i], props[i + 1], err, sizeof(err)) != 0)
            fail_msg("%s=%s: %s", props[i], props[i + 1], err);
    memset(rep, 0, sizeof(*rep));
    kprod_conf_set_delivery_cb(conf, on_report, rep);
    return kpt_new_producer(conf);
}

kpt_txn_reports kpt_txn_reports_get(const kpt_txn_reports *rep) {
    pthread_mutex_lock(&rep_lock);
    kpt_txn_reports r = *rep;
    pthread_mutex_unlock(&rep_lock);
    return r;
}

void kpt_txn_send(kprod_t *p, const char *topic, int32_t partition, const char *value) {
    kprod_record_t rec = kpt_value_record(topic, partition, value, strlen(value));
    kprod_err_t e = kprod_send(p, &rec, NULL, NULL);
    if (e)
        fail_msg("kprod_send %s: %s (%s)", value, kprod_err_name(e), kprod_last_errstr());
}

kpt_read *kpt_kcat_read(const char *brokers, const char *topic, const char *isolation, int *n) {
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    assert_non_null(out);
    int rc = kpt_sh(out, cap,
                    "timeout 60 kcat -C -q -b '%s' -t '%s' -o beginning -e "
                    "-X isolation.level=%s -f '%%p %%o %%s\\n' 2>&1",
                    brokers, topic, isolation);
    if (rc != 0)
        fail_msg("kcat -C (%s) failed (%d): %s", isolation, rc, out);
    int lines = 0;
    for (char *s = out; *s; s++)
        lines += *s == '\n';
    kpt_read *r = calloc((size_t)lines + 1, sizeof(*r));
    assert_non_null(r);
    *n = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        int p;
        long long off;
        char v[64];
        if (sscanf(line, "%d %lld %63s", &p, &off, v) != 3)
            fail_msg("kcat printed '%s'", line);
        r[*n].partition = p;
        r[*n].offset = off;
        snprintf(r[*n].value, sizeof(r[*n].value), "%s", v);
        (*n)++;
    }
    free(out);
    return r;
}

int kpt_count_prefix(const kpt_read *r, int n, const char *prefix) {
    int c = 0;
    for (int i = 0; i < n; i++)
        c += strncmp(r[i].value, prefix, strlen(prefix)) == 0;
    return c;
}

int kpt_console_read(const char *brokers, const char *topic, const char *isolation, int max,
                     char *out, size_t cap) {
    size_t bcap = 1 << 20;
    char *buf = malloc(bcap);
    assert_non_null(buf);
    /* stderr (the tool's summary) is dropped: stdout holds the values. */
    int rc = kpt_sh(buf, bcap,
                    "bash '%s/scripts/kafka.sh' console-consumer --bootstrap-server '%s' --topic "
                    "'%s' --from-beginning --isolation-level %s --max-messages %d "
                    "--timeout-ms 20000 2>/dev/null",
                    kpt_src_dir(), brokers, topic, isolation, max);
    (void)rc; /* it exits 1 when the timeout ends it; the values are what count */
    int n = 0;
    for (char *s = buf; *s; s++)
        n += *s == '\n';
    if (out && cap)
        snprintf(out, cap, "%s", buf);
    free(buf);
    return n;
}

/* The tool's table with runs of blanks squeezed to one space. */
static void squeeze(char *s) {
    size_t j = 0;
    for (size_t i = 0; s[i]; i++)
        if (!(s[i] == ' ' && j > 0 && s[j - 1] == ' '))
            s[j++] = s[i];
    s[j] = '\0';
}

int64_t kpt_group_offset(const char *brokers, const char *group, const char *topic,
                         int32_t partition) {
    char out[16384], pat[512];
    int rc = kpt_sh(out, sizeof(out),
                    "bash '%s/scripts/kafka.sh' run "
                    "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "
                    "--bootstrap-server '%s' --describe --group '%s' 2>&1",
                    kpt_src_dir(), brokers, group);
    if (rc != 0)
        fail_msg("ConsumerGroupCommand failed (%d): %s", rc, out);
    squeeze(out);
    /* GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ... */
    snprintf(pat, sizeof(pat), "%s %s %d ", group, topic, (int)partition);
    const char *at = strstr(out, pat);
    if (!at)
        return -1;
    long long off;
    if (sscanf(at + strlen(pat), "%lld", &off) != 1)
        return -1; /* "-": no committed offset */
    return off;
}

void kpt_group_create(const char *brokers, const char *group, const char *topic, int max) {
    char out[8192];
    int got = 0;
    /* The consumer commits its position when it leaves (auto commit). */
    kpt_sh(out, sizeof(out),
           "bash '%s/scripts/kafka.sh' console-consumer --bootstrap-server '%s' --topic '%s' "
           "--group '%s' --from-beginning --max-messages %d --timeout-ms 20000 2>/dev/null",
           kpt_src_dir(), brokers, topic, group, max);
    for (char *s = out; *s; s++)
        got += *s == '\n';
    if (got != max)
        fail_msg("console consumer of group %s read %d records, not %d:\n%s", group, got, max, out);
}

void kpt_markers(const char *data_dir, const char *topic, int nparts, int *commits, int *aborts) {
    char files[8192] = "";
    size_t len = 0;
    for (int p = 0; p < nparts && len < sizeof(files); p++)
        len += (size_t)snprintf(files + len, sizeof(files) - len,
                                "%s%s/%s-%d/00000000000000000000.log", p ? "," : "", data_dir,
                                topic, p);
    size_t cap = 4 << 20;
    char *out = malloc(cap);
    assert_non_null(out);
    int rc =
        kpt_sh(out, cap, "bash '%s/scripts/kafka.sh' dump-log --deep-iteration --files '%s' 2>&1",
               kpt_src_dir(), files);
    if (rc != 0)
        fail_msg("dump-log failed (%d): %.2000s", rc, out);
    /* "Dumping <file>" starts each partition's part. */
    int p = -1;
    for (int i = 0; i < nparts; i++)
        commits[i] = aborts[i] = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "Dumping ", 8) == 0) {
            p++;
            continue;
        }
        const char *m = strstr(line, "endTxnMarker: ");
        if (!m || p < 0 || p >= nparts)
            continue;
        m += strlen("endTxnMarker: ");
        commits[p] += strncmp(m, "COMMIT", 6) == 0;
        aborts[p] += strncmp(m, "ABORT", 5) == 0;
    }
    free(out);
}

const char *kpt_data_dir(void) {
    static char dir[1024];
    const char *run = getenv("KPROD_KAFKA_DIR");
    if (run && *run)
        snprintf(dir, sizeof(dir), "%s/single/data", run);
    else
        snprintf(dir, sizeof(dir), "%s/.kafka/single/data", kpt_src_dir());
    return dir;
}
