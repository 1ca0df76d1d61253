/* Statistics under load, against the real broker: four threads send
 * 40,000 keyed records to a topic of four partitions with
 * statistics.interval.ms=100. Every document (the periodic ones from the
 * statistics callback and the one kprod_stats_get returns) must fit
 * docs/statistics.schema.json, and the final counters must agree with what
 * the delivery reports said: per partition and in total, acknowledged =
 * delivered, nothing failed, nothing waiting, nothing outstanding. The
 * Prometheus text carries the same numbers. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define THREADS 4
#define PER_THREAD 10000
#define PARTS 4

static char topic[128];
static kprod_t *prod;
static long delivered[PARTS], failed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *docs;
static int ndocs;

static void on_report(const kprod_report_t *r, void *o) {
    (void)o;
    pthread_mutex_lock(&mu);
    if (r->err)
        failed++;
    else if (r->partition >= 0 && r->partition < PARTS)
        delivered[r->partition]++;
    pthread_mutex_unlock(&mu);
}

static void on_stats(const char *json, size_t len, void *o) {
    (void)o;
    assert_int_equal(strlen(json), len);
    pthread_mutex_lock(&mu);
    fprintf(docs, "%s\n", json);
    ndocs++;
    pthread_mutex_unlock(&mu);
}

static void *sender(void *arg) {
    long t = (long)(intptr_t)arg;
    char key[32], value[100];
    memset(value, 'v', sizeof(value));
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(key, sizeof(key), "k%ld-%d", t, i % 97);
        kprod_record_t r = kpt_value_record(topic, -1, value, sizeof(value));
        r.key = key;
        r.key_len = strlen(key);
        assert_int_equal(kprod_send(prod, &r, NULL, NULL), KPROD_ERR_NO_ERROR);
        if (i % 1000 == 0)
            kprod_poll(prod, 0);
    }
    return NULL;
}

static double metric(const kprod_stats_t *s, const char *name, const char *t, int partition) {
    for (size_t i = 0; i < kprod_stats_metric_count(s); i++) {
        const kprod_metric_t *m = kprod_stats_metric(s, i);
        if (strcmp(m->name, name) == 0 && (!t || (m->topic && strcmp(m->topic, t) == 0)) &&
            m->partition == partition)
            return m->value;
    }
    fail_msg("no metric %s for %s/%d", name, t ? t : "-", partition);
    return -1;
}

static void test_stats_agree_with_reports(void **state) {
    (void)state;
    kpt_unique_topic(topic, sizeof(topic), "stats");
    kpt_create_topic(topic, PARTS, 1);
    char path[256];
    snprintf(path, sizeof(path), "/tmp/kprod-stats-%d.jsonl", (int)getpid());
    docs = fopen(path, "w");
    assert_non_null(docs);

    kprod_conf_t *conf = kprod_conf_new();
    char err[256];
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "statistics.interval.ms", "100", err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "client.id", "stats-test", err, sizeof(err)), 0);
    kprod_conf_set_delivery_cb(conf, on_report, NULL);
    kprod_conf_set_stats_cb(conf, on_stats, NULL);
    prod = kpt_new_producer(conf);

    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, sender, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(kprod_flush(prod, 60000), KPROD_ERR_NO_ERROR);
    /* At least one periodic document after everything was acknowledged. */
    int64_t deadline = kpt_now_ms() + 5000, seen = ndocs;
    while (ndocs < seen + 2 && kpt_now_ms() < deadline)
        kprod_poll(prod, 100);
    assert_true(ndocs >= 2);

    kprod_stats_t *s = NULL;
    assert_int_equal(kprod_stats_get(prod, 5000, &s), KPROD_ERR_NO_ERROR);
    fprintf(docs, "%s\n", kprod_stats_json(s));
    fclose(docs);

    long total = 0;
    for (int p = 0; p < PARTS; p++) {
        total += delivered[p];
        double acked = metric(s, "kprod_partition_records_acked_total", topic, p);
        if (acked != (double)delivered[p])
            fail_msg("partition %d: %.0f acknowledged in the statistics, %ld reports", p, acked,
                     delivered[p]);
        assert_true(metric(s, "kprod_partition_records_waiting", topic, p) == 0);
        assert_true(metric(s, "kprod_partition_batches_in_flight", topic, p) == 0);
        assert_true(metric(s, "kprod_partition_latency_p99_us", topic, p) > 0);
    }
    assert_int_equal(total, THREADS * PER_THREAD);
    assert_int_equal(failed, 0);
    assert_true(metric(s, "kprod_records_accepted_total", NULL, -1) == THREADS * PER_THREAD);
    assert_true(metric(s, "kprod_records_acked_total", NULL, -1) == THREADS * PER_THREAD);
    assert_true(metric(s, "kprod_records_sent_total", NULL, -1) >= THREADS * PER_THREAD);
    assert_true(metric(s, "kprod_records_failed_total", NULL, -1) == 0);
    assert_true(metric(s, "kprod_records_waiting", NULL, -1) == 0);
    assert_true(metric(s, "kprod_reports_outstanding", NULL, -1) == 0);
    assert_true(metric(s, "kprod_bytes_accepted_total", NULL, -1) >= THREADS * PER_THREAD * 100.0);
    /* The broker answered: a round trip was measured. */
    int up = 0;
    for (size_t i = 0; i < kprod_stats_metric_count(s); i++) {
        const kprod_metric_t *m = kprod_stats_metric(s, i);
        if (strcmp(m->name, "kprod_broker_rtt_p50_us") == 0 && m->broker_id >= 0 && m->value > 0)
            up++;
    }
    assert_true(up >= 1);
    char want[160];
    snprintf(want, sizeof(want), "kprod_records_acked_total{client_id=\"stats-test\"} %d\n",
             THREADS * PER_THREAD);
    assert_non_null(strstr(kprod_stats_prometheus(s), want));
    kprod_stats_destroy(s);
    assert_int_equal(kprod_close(prod, 5000), KPROD_ERR_NO_ERROR);

    char out[8192];
    int rc = kpt_sh(out, sizeof(out),
                    "python3 '%s/tests/tools/check_schema.py' "
                    "'%s/docs/statistics.schema.json' '%s' 2>&1",
                    kpt_src_dir(), kpt_src_dir(), path);
    if (rc != 0)
        fail_msg("statistics documents do not fit the schema:\n%s", out);
    /* In every document the producer's sums are the partitions' sums. */
    rc = kpt_sh(out, sizeof(out),
                "python3 -c 'import json,sys\n"
                "for l in open(sys.argv[1]):\n"
                "  d=json.loads(l); p=d[\"producer\"]; ps=d[\"partitions\"]\n"
                "  for k in (\"records_acked\",\"records_sent\",\"records_failed\"):\n"
                "    assert p[k]==sum(x[k] for x in ps),(k,p[k])\n"
                "  assert p[\"records_sent\"]>=p[\"records_acked\"]\n"
                "  assert p[\"records_accepted\"]>=p[\"records_acked\"]+p[\"records_failed\"]\n"
                "' '%s' 2>&1",
                path);
    if (rc != 0)
        fail_msg("sums disagree: %s", out);
    if (!getenv("KPROD_KEEP_STATS"))
        unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_agree_with_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
