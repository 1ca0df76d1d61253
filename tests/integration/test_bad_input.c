/* What kprod_send, kprod_flush and kprod_close do with bad input and a bad
 * cluster, against the real broker: invalid topic names, oversized records,
 * a topic that does not exist, records still pending at close, a flush that
 * times out, and a full buffer.memory. Errors returned by a call must come
 * at once (or after max.block.ms where the API says so) and never produce a
 * report; every accepted record gets exactly one report. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXREC 20000

/* Reports per record id (the opaque), and the last error of each. */
static int g_reports[MAXREC];
static kprod_err_t g_err[MAXREC];
static int g_total;

static void reset_reports(void) {
    memset(g_reports, 0, sizeof(g_reports));
    memset(g_err, 0, sizeof(g_err));
    g_total = 0;
}

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    int id = (int)(intptr_t)r->opaque;
    assert_true(id >= 0 && id < MAXREC);
    g_reports[id]++;
    g_err[id] = r->err;
    g_total++;
}

/* A producer on the test broker (or `brokers`) with extra name/value pairs,
 * NULL-terminated. */
static kprod_t *new_producer(const char *brokers, const char *const *kv) {
    char err[512];
    kprod_conf_t *conf = kprod_conf_new();
    assert_non_null(conf);
    if (kprod_conf_set(conf, "bootstrap.servers", brokers ? brokers : kpt_brokers(), err,
                       sizeof(err)))
        fail_msg("bootstrap.servers: %s", err);
    for (; kv && kv[0]; kv += 2)
        if (kprod_conf_set(conf, kv[0], kv[1], err, sizeof(err)))
            fail_msg("%s=%s: %s", kv[0], kv[1], err);
    kprod_conf_set_delivery_cb(conf, on_report, NULL);
    kprod_t *p = NULL;
    if (kprod_new(conf, &p, err, sizeof(err)))
        fail_msg("kprod_new: %s", err);
    return p;
}

static kprod_err_t send_one(kprod_t *p, const char *topic, int32_t partition, int id,
                            size_t value_len) {
    static char value[2 * 1024 * 1024];
    assert_true(value_len <= sizeof(value));
    memset(value, 'v', value_len);
    kprod_record_t rec = KPROD_RECORD_INIT;
    rec.topic = topic;
    rec.partition = partition;
    rec.value = value;
    rec.value_len = value_len;
    return kprod_send(p, &rec, NULL, (void *)(intptr_t)id);
}

static void assert_no_reports(kprod_t *p) {
    assert_int_equal(kprod_outstanding(p), 0);
    assert_int_equal(kprod_poll(p, 0), 0);
    assert_int_equal(g_total, 0);
}

static void test_invalid_topic(void **state) {
    (void)state;
    reset_reports();
    const char *kv[] = {"max.block.ms", "1000", NULL};
    kprod_t *p = new_producer(NULL, kv);
    char long_name[251];
    memset(long_name, 'a', 250);
    long_name[250] = '\0';
    const char *bad[] = {"", "a b", "..", ".", "t/x", "t\xc3\xa9", long_name};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t t0 = kpt_now_ms();
        kprod_err_t e = send_one(p, bad[i], KPROD_PARTITION_ANY, 0, 10);
        if (e != KPROD_ERR__INVALID_TOPIC)
            fail_msg("topic '%.20s': %s", bad[i], kprod_err_name(e));
        assert_true(kpt_now_ms() - t0 < 1000);
    }
    /* 249 characters is the longest valid name: it is looked up (and not
     * found: the broker does not create topics) instead of rejected. */
    long_name[249] = '\0';
    kprod_err_t e = send_one(p, long_name, KPROD_PARTITION_ANY, 0, 10);
    if (e != KPROD_ERR__UNKNOWN_TOPIC && e != KPROD_ERR__TIMED_OUT)
        fail_msg("249-character topic: %s", kprod_err_name(e));
    kprod_record_t rec = KPROD_RECORD_INIT;
    assert_int_equal(kprod_send(p, &rec, NULL, NULL), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_send(p, NULL, NULL, NULL), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kprod_send(NULL, &rec, NULL, NULL), KPROD_ERR__INVALID_ARG);
    assert_no_reports(p);
    assert_int_equal(kprod_close(p, 5000), 0);
    assert_int_equal(g_total, 0);
}

static void test_too_large_and_bad_partition(void **state) {
    (void)state;
    reset_reports();
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "big");
    kpt_create_topic(topic, 2, 1);
    const char *kv[] = {"max.request.size", "100000", NULL};
    kprod_t *p = new_producer(NULL, kv);
    int64_t t0 = kpt_now_ms();
    assert_int_equal(send_one(p, topic, KPROD_PARTITION_ANY, 0, 100001),
                     KPROD_ERR__MSG_SIZE_TOO_LARGE);
    assert_int_equal(send_one(p, topic, KPROD_PARTITION_ANY, 0, 2 * 1024 * 1024),
                     KPROD_ERR__MSG_SIZE_TOO_LARGE);
    assert_true(kpt_now_ms() - t0 < 1000);
    assert_no_reports(p);
    /* A partition the topic does not have (after its metadata is known). */
    assert_int_equal(send_one(p, topic, 2, 0, 10), KPROD_ERR__UNKNOWN_PARTITION);
    assert_int_equal(send_one(p, topic, -5, 0, 10), KPROD_ERR__UNKNOWN_PARTITION);
    assert_no_reports(p);
    /* A record just under the limit goes through. */
    assert_int_equal(send_one(p, topic, 1, 1, 99000), 0);
    assert_int_equal(kprod_flush(p, 30000), 0);
    assert_int_equal(g_reports[1], 1);
    assert_int_equal(g_err[1], 0);
    assert_int_equal(g_total, 1);
    assert_int_equal(kprod_close(p, 5000), 0);
}

static void test_unknown_topic(void **state) {
    (void)state;
    reset_reports();
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "missing");
    const char *kv[] = {"max.block.ms", "3000", NULL};
    kprod_t *p = new_producer(NULL, kv);
    int64_t t0 = kpt_now_ms();
    kprod_err_t e = send_one(p, topic, KPROD_PARTITION_ANY, 0, 10);
    int64_t took = kpt_now_ms() - t0;
    if (e != KPROD_ERR__UNKNOWN_TOPIC && e != KPROD_ERR__TIMED_OUT)
        fail_msg("first send: %s", kprod_err_name(e));
    /* It waits max.block.ms out, as Java does: the topic may yet be created. */
    assert_true(took >= 2900 && took < 3000 + 5000);
    t0 = kpt_now_ms();
    assert_int_equal(send_one(p, topic, KPROD_PARTITION_ANY, 0, 10), KPROD_ERR__UNKNOWN_TOPIC);
    assert_true(kpt_now_ms() - t0 < 1000);
    assert_no_reports(p);
    /* Once the topic exists, sends succeed again: the producer kept asking. */
    kpt_create_topic(topic, 1, 1);
    int64_t deadline = kpt_now_ms() + 20000;
    while ((e = send_one(p, topic, KPROD_PARTITION_ANY, 1, 10)) == KPROD_ERR__UNKNOWN_TOPIC) {
        if (kpt_now_ms() > deadline)
            fail_msg("topic %s still unknown 20 s after its creation", topic);
        kprod_poll(p, 100); /* no reports yet: only paces the retries */
    }
    assert_int_equal(e, 0);
    assert_int_equal(kprod_flush(p, 30000), 0);
    assert_int_equal(g_reports[1], 1);
    assert_int_equal(g_err[1], 0);
    t0 = kpt_now_ms();
    assert_int_equal(kprod_close(p, 5000), 0);
    assert_true(kpt_now_ms() - t0 < 3000);
    assert_int_equal(g_total, 1);
}

/* linger.ms=60000 and a large batch.size: nothing is sent until a flush. */
static const char *const kv_lingering[] = {"linger.ms", "60000", "batch.size", "1000000", NULL};

static void close_purges_pending(const char *report_mode) {
    reset_reports();
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "purge");
    kpt_create_topic(topic, 3, 1);
    const char *kv[] = {"linger.ms", "60000", "batch.size", "1000000", "delivery.report.mode",
                        report_mode, NULL};
    kprod_t *p = new_producer(NULL, kv);
    const int n = 1000;
    for (int id = 0; id < n; id++)
        assert_int_equal(send_one(p, topic, id % 3, id, 20), 0);
    assert_int_equal(kprod_outstanding(p), n);
    assert_int_equal(kprod_poll(p, 0), 0); /* nothing reported yet */
    int64_t t0 = kpt_now_ms();
    kprod_err_t e = kprod_close(p, 0);
    assert_true(kpt_now_ms() - t0 < 5000);
    int purged = 0;
    for (int id = 0; id < n; id++) {
        if (g_reports[id] != 1)
            fail_msg("record %d got %d reports", id, g_reports[id]);
        if (g_err[id] == KPROD_ERR__PURGED_ON_CLOSE)
            purged++;
        else if (g_err[id] != KPROD_ERR_NO_ERROR) /* the flush may race the close */
            fail_msg("record %d: %s", id, kprod_err_name(g_err[id]));
    }
    assert_int_equal(g_total, n);
    assert_int_equal(e, purged ? KPROD_ERR__FLUSH_TIMED_OUT : KPROD_ERR_NO_ERROR);
}

static void test_close_purges_pending(void **state) {
    (void)state;
    close_purges_pending("poll");
}

/* Reports come from kprod's thread, and close serves what it left. */
static void test_close_purges_pending_report_thread(void **state) {
    (void)state;
    close_purges_pending("thread");
}

static void test_flush_timeout(void **state) {
    (void)state;
    reset_reports();
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "flush");
    kpt_create_topic(topic, 3, 1);
    kprod_t *p = new_producer(NULL, kv_lingering);
    assert_int_equal(kprod_flush(p, 0), 0); /* nothing pending */
    const int n = 500;
    for (int id = 0; id < n; id++)
        assert_int_equal(send_one(p, topic, KPROD_PARTITION_ANY, id, 20), 0);
    int64_t t0 = kpt_now_ms();
    assert_int_equal(kprod_flush(p, 0), KPROD_ERR__FLUSH_TIMED_OUT);
    assert_true(kpt_now_ms() - t0 < 1000);
    assert_true(kprod_outstanding(p) > 0);
    assert_int_equal(kprod_flush(p, 30000), 0);
    assert_int_equal(kprod_outstanding(p), 0);
    for (int id = 0; id < n; id++) {
        assert_int_equal(g_reports[id], 1);
        assert_int_equal(g_err[id], 0);
    }
    assert_int_equal(kprod_flush(p, -1), 0);
    assert_int_equal(kprod_close(p, 5000), 0);
    assert_int_equal(g_total, n);
}

/* Fills buffer.memory without ever serving reports (poll mode, no poll), so
 * the unserved reports hold the memory: a send then blocks max.block.ms and
 * fails. */
static void test_buffer_memory_full(void **state) {
    (void)state;
    reset_reports();
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "bufmem");
    kpt_create_topic(topic, 6, 1);
    const char *kv[] = {"linger.ms", "60000",        "buffer.memory", "100000", "batch.size",
                        "16384",     "max.block.ms", "1000",          NULL};
    kprod_t *p = new_producer(NULL, kv);
    int accepted = 0;
    kprod_err_t e = KPROD_ERR_NO_ERROR;
    int64_t took = 0;
    while (accepted < MAXREC) {
        int64_t t0 = kpt_now_ms();
        e = send_one(p, topic, accepted % 6, accepted, 100);
        took = kpt_now_ms() - t0;
        if (e)
            break;
        accepted++;
    }
    assert_int_equal(e, KPROD_ERR__QUEUE_FULL);
    assert_true(took >= 900 && took < 1000 + 3000);
    /* Sent batches give their bytes back at once, but each record's report
     * facts (24 bytes) stay charged until its report is served: with no
     * poll, 100000 bytes hold about 4,000 records, a few hundred more while
     * their batches still wait. */
    if (accepted <= 1000 || accepted >= 5000)
        fail_msg("%d records accepted before the buffer was full, expected 1,000-5,000", accepted);
    assert_int_equal(kprod_outstanding(p), (size_t)accepted);
    assert_int_equal(g_total, 0);
    int64_t t0 = kpt_now_ms();
    kprod_close(p, 0);
    assert_true(kpt_now_ms() - t0 < 5000);
    for (int id = 0; id < accepted; id++) {
        if (g_reports[id] != 1)
            fail_msg("record %d got %d reports", id, g_reports[id]);
        if (g_err[id] && g_err[id] != KPROD_ERR__PURGED_ON_CLOSE)
            fail_msg("record %d: %s", id, kprod_err_name(g_err[id]));
    }
    assert_int_equal(g_total, accepted);
}

/* The same small buffer.memory, but reports are served by kprod's thread:
 * memory comes back as batches complete, so many times the buffer flows
 * through it with blocked sends resuming, never failing. */
static void test_buffer_memory_recycled(void **state) {
    (void)state;
    reset_reports();
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "bufrec");
    kpt_create_topic(topic, 6, 1);
    const char *kv[] = {
        "linger.ms",    "0",     "buffer.memory",        "100000", "batch.size", "16384",
        "max.block.ms", "20000", "delivery.report.mode", "thread", NULL};
    kprod_t *p = new_producer(NULL, kv);
    const int n = MAXREC; /* about 2.4 MB through a 100 kB buffer */
    for (int id = 0; id < n; id++) {
        kprod_err_t e = send_one(p, topic, id % 6, id, 100);
        if (e)
            fail_msg("send %d: %s", id, kprod_err_name(e));
    }
    assert_int_equal(kprod_flush(p, 60000), 0);
    assert_int_equal(kprod_close(p, 5000), 0);
    for (int id = 0; id < n; id++)
        if (g_reports[id] != 1 || g_err[id])
            fail_msg("record %d: %d reports, %s", id, g_reports[id], kprod_err_name(g_err[id]));
    assert_int_equal(g_total, n);
}

/* The first bootstrap address refuses connections: the second one is used,
 * both for sending and for kprod_metadata_get. */
static void test_bootstrap_fallback(void **state) {
    (void)state;
    reset_reports();
    char topic[128], brokers[512];
    kpt_unique_topic(topic, sizeof(topic), "fallback");
    kpt_create_topic(topic, 3, 1);
    snprintf(brokers, sizeof(brokers), "127.0.0.1:1,%s", kpt_brokers());

    kprod_t *p = new_producer(brokers, NULL);
    kprod_metadata_t *md = NULL;
    int64_t t0 = kpt_now_ms();
    assert_int_equal(kprod_metadata_get(p, topic, 10000, &md), 0);
    assert_true(kpt_now_ms() - t0 < 5000);
    assert_int_equal(kprod_metadata_topic_count(md), 1);
    assert_string_equal(kprod_metadata_topic_name(md, 0), topic);
    assert_int_equal(kprod_metadata_partition_count(md, 0), 3);
    kprod_metadata_destroy(md);
    assert_int_equal(kprod_close(p, 5000), 0);

    p = new_producer(brokers, NULL); /* a fresh one: sending finds the way itself */
    const int n = 100;
    for (int id = 0; id < n; id++)
        assert_int_equal(send_one(p, topic, KPROD_PARTITION_ANY, id, 30), 0);
    assert_int_equal(kprod_flush(p, 30000), 0);
    for (int id = 0; id < n; id++) {
        assert_int_equal(g_reports[id], 1);
        assert_int_equal(g_err[id], 0);
    }
    assert_int_equal(kprod_close(p, 5000), 0);
    kpt_records_free(kpt_consume(topic, n), n);
}

/* No bootstrap address answers: sends and metadata calls time out within
 * their bounds, and close does not hang. */
static void test_bootstrap_unreachable(void **state) {
    (void)state;
    reset_reports();
    const char *kv[] = {"max.block.ms", "2000", NULL};
    kprod_t *p = new_producer("127.0.0.1:1,127.0.0.1:2", kv);
    int64_t t0 = kpt_now_ms();
    assert_int_equal(send_one(p, "nowhere", KPROD_PARTITION_ANY, 0, 10), KPROD_ERR__TIMED_OUT);
    int64_t took = kpt_now_ms() - t0;
    assert_true(took >= 1900 && took < 2000 + 3000);
    for (int i = 0; i < 2; i++) {
        kprod_metadata_t *md = (kprod_metadata_t *)&md; /* must be reset to NULL */
        t0 = kpt_now_ms();
        assert_int_equal(kprod_metadata_get(p, i ? NULL : "nowhere", 1500, &md),
                         KPROD_ERR__TIMED_OUT);
        took = kpt_now_ms() - t0;
        assert_true(took >= 1400 && took < 1500 + 2000);
        assert_null(md);
    }
    assert_no_reports(p);
    t0 = kpt_now_ms();
    assert_int_equal(kprod_close(p, 1000), 0);
    assert_true(kpt_now_ms() - t0 < 2000);
    assert_int_equal(g_total, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_topic),
        cmocka_unit_test(test_too_large_and_bad_partition),
        cmocka_unit_test(test_unknown_topic),
        cmocka_unit_test(test_close_purges_pending),
        cmocka_unit_test(test_close_purges_pending_report_thread),
        cmocka_unit_test(test_flush_timeout),
        cmocka_unit_test(test_buffer_memory_full),
        cmocka_unit_test(test_buffer_memory_recycled),
        cmocka_unit_test(test_bootstrap_fallback),
        cmocka_unit_test(test_bootstrap_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
