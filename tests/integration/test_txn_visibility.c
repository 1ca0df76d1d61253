/* Transactions seen by independent readers. One producer commits a
 * transaction over three partitions, aborts one (part of it written and
 * acknowledged, part still queued), and commits another. Then:
 * - kcat and Kafka's console consumer at read_committed see exactly the
 *   committed records; at read_uncommitted also the aborted ones that were
 *   written, never the queued ones (reported KPROD_ERR__TXN_ABORTED);
 * - the offsets the aborted transaction's records and markers take are
 *   where they must be, and Kafka's log dump shows two COMMIT and one
 *   ABORT marker in every partition;
 * - the statistics count two commits and one abort; kprod_send outside a
 *   transaction is refused with _STATE.
 * The broker decides the protocol (Kafka 4.x: Transactions V2, 3.x: the
 * classic one); KPROD_TXN_PROTOCOL=1 or 2 makes the test insist on one. */
#include "testutil.h"
#include "txnutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char topic[128], txn_id[128];

static int setup(void **state) {
    (void)state;
    kpt_unique_topic(topic, sizeof(topic), "kprod-txn-vis");
    kpt_unique_topic(txn_id, sizeof(txn_id), "kprod-txn-vis-id");
    kpt_create_topic(topic, 3, 1);
    return 0;
}

/* n records "<prefix>-<partition>-<i>" to each of the three partitions. */
static void send_each(kprod_t *p, const char *prefix, int n) {
    for (int32_t part = 0; part < 3; part++)
        for (int i = 0; i < n; i++) {
            char v[64];
            snprintf(v, sizeof(v), "%s-%d-%d", prefix, (int)part, i);
            kpt_txn_send(p, topic, part, v);
        }
}

/* A number from the statistics document: "key": in the section. */
static long long stat(const char *json, const char *section, const char *key) {
    const char *s = strstr(json, section);
    assert_non_null(s);
    char k[64];
    snprintf(k, sizeof(k), "\"%s\":", key);
    const char *at = strstr(s, k);
    assert_non_null(at);
    return atoll(at + strlen(k));
}

static void expect_ok(kprod_err_t e, const char *what) {
    if (e)
        fail_msg("%s: %s (%s)", what, kprod_err_name(e), kprod_last_errstr());
}

static void test_commit_abort_commit(void **state) {
    (void)state;
    kpt_txn_reports rep;
    /* Records stay queued until a flush (or the commit's) makes them go. */
    const char *props[] = {"linger.ms", "60000", "batch.size", "1000000", NULL};
    kprod_t *p = kpt_txn_producer(kpt_brokers(), txn_id, props, &rep);

    /* Nothing goes before init, nor outside a transaction. */
    kprod_record_t rec = kpt_value_record(topic, 0, "x", 1);
    assert_int_equal(kprod_send(p, &rec, NULL, NULL), KPROD_ERR__STATE);
    assert_int_equal(kprod_txn_error_class(KPROD_ERR__STATE), KPROD_TXN_ERR_USAGE);
    assert_int_equal(kprod_txn_begin(p), KPROD_ERR__STATE);
    expect_ok(kprod_txn_init(p, 60000), "kprod_txn_init");
    assert_int_equal(kprod_send(p, &rec, NULL, NULL), KPROD_ERR__STATE);

    expect_ok(kprod_txn_begin(p), "begin 1");
    send_each(p, "c1", 10);
    expect_ok(kprod_txn_commit(p, 60000), "commit 1");
    assert_int_equal(kpt_txn_reports_get(&rep).delivered, 30);

    /* Written and acknowledged, then aborted: visible to read_uncommitted
     * only. Queued when the abort comes: never written. */
    expect_ok(kprod_txn_begin(p), "begin 2");
    send_each(p, "a", 3);
    expect_ok(kprod_flush(p, 30000), "flush");
    assert_int_equal(kpt_txn_reports_get(&rep).delivered, 39);
    send_each(p, "q", 2);
    expect_ok(kprod_txn_abort(p, 60000), "abort");
    kpt_txn_reports r = kpt_txn_reports_get(&rep);
    assert_int_equal(r.aborted, 6);
    assert_int_equal(r.failed, 0);

    expect_ok(kprod_txn_begin(p), "begin 3");
    send_each(p, "c2", 4);
    expect_ok(kprod_txn_commit(p, 60000), "commit 3");
    r = kpt_txn_reports_get(&rep);
    assert_int_equal(r.delivered, 51);
    assert_int_equal(r.aborted, 6);
    assert_int_equal(r.failed, 0);

    kprod_stats_t *st;
    expect_ok(kprod_stats_get(p, 5000, &st), "stats");
    const char *json = kprod_stats_json(st);
    assert_non_null(strstr(json, "\"state\":\"ready\""));
    assert_int_equal(stat(json, "\"transactions\"", "committed"), 2);
    assert_int_equal(stat(json, "\"transactions\"", "aborted"), 1);
    long long proto = stat(json, "\"transactions\"", "protocol");
    printf("transaction protocol: %s\n", proto == 2 ? "Transactions V2" : "classic");
    const char *want = getenv("KPROD_TXN_PROTOCOL");
    if (want && *want)
        assert_int_equal(proto, atoi(want));
    /* The document with its transactions section fits the closed schema. */
    char path[] = "/tmp/kprod-txn-stats-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_true(write(fd, json, strlen(json)) == (ssize_t)strlen(json));
    close(fd);
    char out[8192];
    if (kpt_sh(out, sizeof(out),
               "python3 '%s/tests/tools/check_schema.py' "
               "'%s/docs/statistics.schema.json' '%s' 2>&1",
               kpt_src_dir(), kpt_src_dir(), path) != 0)
        fail_msg("the statistics document does not fit the schema:\n%s", out);
    unlink(path);
    kprod_stats_destroy(st);
    assert_int_equal(kprod_close(p, 10000), KPROD_ERR_NO_ERROR);

    /* kcat: committed records only at read_committed; the aborted written
     * ones too at read_uncommitted, at the offsets between the markers:
     * c1 0..9, COMMIT 10, a 11..13, ABORT 14, c2 15..18, COMMIT 19. */
    int n;
    kpt_read *rc = kpt_kcat_read(kpt_brokers(), topic, "read_committed", &n);
    assert_int_equal(n, 42);
    assert_int_equal(kpt_count_prefix(rc, n, "c1-"), 30);
    assert_int_equal(kpt_count_prefix(rc, n, "c2-"), 12);
    for (int i = 0; i < n; i++) {
        int64_t o = rc[i].offset;
        assert_true((o >= 0 && o <= 9) || (o >= 15 && o <= 18));
    }
    free(rc);
    kpt_read *ru = kpt_kcat_read(kpt_brokers(), topic, "read_uncommitted", &n);
    assert_int_equal(n, 51);
    assert_int_equal(kpt_count_prefix(ru, n, "a-"), 9);
    assert_int_equal(kpt_count_prefix(ru, n, "q-"), 0);
    for (int i = 0; i < n; i++)
        if (strncmp(ru[i].value, "a-", 2) == 0)
            assert_true(ru[i].offset >= 11 && ru[i].offset <= 13);
    free(ru);

    /* Kafka's own consumer agrees: the aborted records lie between
     * committed ones in every partition, so read_committed's first 42
     * would hold some if it did not filter them, and read_uncommitted's 51
     * hold all nine. */
    assert_int_equal(kpt_console_read(kpt_brokers(), topic, "read_committed", 42, out, sizeof(out)),
                     42);
    assert_null(strstr(out, "a-"));
    assert_int_equal(
        kpt_console_read(kpt_brokers(), topic, "read_uncommitted", 51, out, sizeof(out)), 51);
    for (int32_t part = 0; part < 3; part++)
        for (int i = 0; i < 3; i++) {
            char v[32];
            snprintf(v, sizeof(v), "a-%d-%d\n", (int)part, i);
            assert_non_null(strstr(out, v));
        }

    /* The markers themselves, in the broker's log. */
    int commits[3], aborts[3];
    kpt_markers(kpt_data_dir(), topic, 3, commits, aborts);
    for (int part = 0; part < 3; part++) {
        printf("partition %d: %d COMMIT, %d ABORT markers\n", part, commits[part], aborts[part]);
        assert_int_equal(commits[part], 2);
        assert_int_equal(aborts[part], 1);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_commit_abort_commit, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
