/* The transaction coordinator's broker killed in mid-transaction, on the
 * real three-node cluster (replication factor 3, min.insync.replicas=2).
 * Transaction A commits. Transaction B writes half its records, the
 * broker that coordinates the transactional id (Kafka's transactions tool
 * names it) is killed with SIGKILL, B writes the other half and commits:
 * the commit either succeeds, or fails cleanly and is aborted. The broker
 * comes back. Transaction D writes its records and the coordinator is
 * killed again as D's commit is asked for (before, during or just after
 * EndTxn: the markers may still be on their way); it comes back and
 * transaction C commits. A read_committed reader (kcat) sees, at every
 * read, each partition's part of a transaction whole or not at all (the
 * markers reach the partitions one by one after the commit), and once they
 * are all written A and C whole, and B and D each whole when its commit
 * succeeded and not at all when it did not; never a record twice. */
#include "testutil.h"
#include "txnutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PER_TXN 30

static const char *cluster_brokers(void) {
    const char *b = getenv("KPROD_CLUSTER_BROKERS");
    return b && *b ? b : "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094";
}

static char topic[128], txn_id[128];

static void expect_ok(kprod_err_t e, const char *what) {
    if (e)
        fail_msg("%s: %s (%s)", what, kprod_err_name(e), kprod_last_errstr());
}

static void send_range(kprod_t *p, const char *prefix, int from, int to) {
    for (int i = from; i < to; i++) {
        char v[32];
        snprintf(v, sizeof(v), "%s-%d", prefix, i);
        kpt_txn_send(p, topic, i % 3, v);
    }
}

/* The broker that coordinates txn_id now, from Kafka's transactions tool
 * (its first column). */
static int coordinator_of(void) {
    char out[4096];
    int rc = kpt_sh(out, sizeof(out),
                    "bash '%s/scripts/kafka.sh' run org.apache.kafka.tools.TransactionsCommand "
                    "--bootstrap-server '%s' describe --transactional-id '%s' 2>&1",
                    kpt_src_dir(), cluster_brokers(), txn_id);
    if (rc != 0)
        fail_msg("TransactionsCommand describe failed (%d): %s", rc, out);
    const char *line = strchr(out, '\n'); /* after the header */
    int id = line ? atoi(line + 1) : 0;
    if (id < 1 || id > 3)
        fail_msg("no coordinator in:\n%s", out);
    return id;
}

static void node(const char *what, int id) {
    char out[8192];
    int rc =
        kpt_sh(out, sizeof(out), "bash '%s/scripts/kafka.sh' %s %d 2>&1", kpt_src_dir(), what, id);
    if (rc != 0)
        fail_msg("kafka.sh %s %d failed (%d): %s", what, id, rc, out);
}

/* Kills node *arg a moment after the commit started (its flush is empty:
 * the kill meets EndTxn on its way, in flight, or the markers after it). */
static void *kill_soon(void *arg) {
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    node("kill-node", *(int *)arg);
    return NULL;
}

/* Commits, calling again while the call says to (retriable); a
 * transaction that failed is aborted (again while retriable). Returns
 * 1 committed, 0 aborted; a fatal error fails the test. */
static int commit_or_abort(kprod_t *p) {
    int64_t deadline = kpt_now_ms() + 180000;
    kprod_err_t e;
    do {
        int64_t t0 = kpt_now_ms();
        e = kprod_txn_commit(p, 30000);
        printf("commit: %s in %lld ms %s\n", kprod_err_name(e), (long long)(kpt_now_ms() - t0),
               e ? kprod_last_errstr() : "");
    } while (kprod_txn_error_class(e) == KPROD_TXN_ERR_RETRIABLE && kpt_now_ms() < deadline);
    if (!e)
        return 1;
    if (kprod_txn_error_class(e) != KPROD_TXN_ERR_ABORTABLE)
        fail_msg("commit failed neither cleanly nor retriably: %s (%s)", kprod_err_name(e),
                 kprod_last_errstr());
    do {
        e = kprod_txn_abort(p, 30000);
        printf("abort: %s %s\n", kprod_err_name(e), e ? kprod_last_errstr() : "");
    } while (kprod_txn_error_class(e) == KPROD_TXN_ERR_RETRIABLE && kpt_now_ms() < deadline);
    expect_ok(e, "abort");
    return 0;
}

static void test_coordinator_killed(void **state) {
    (void)state;
    setenv("KPROD_BROKERS", cluster_brokers(), 1); /* for the topic tool */
    kpt_unique_topic(topic, sizeof(topic), "kprod-txn-coord");
    kpt_unique_topic(txn_id, sizeof(txn_id), "kprod-txn-coord-id");
    kpt_create_topic(topic, 3, 3);

    kpt_txn_reports rep;
    const char *props[] = {"request.timeout.ms", "10000", "delivery.timeout.ms", "90000", NULL};
    kprod_t *p = kpt_txn_producer(cluster_brokers(), txn_id, props, &rep);
    expect_ok(kprod_txn_init(p, 60000), "init");

    expect_ok(kprod_txn_begin(p), "begin A");
    send_range(p, "A", 0, PER_TXN);
    expect_ok(kprod_txn_commit(p, 60000), "commit A");

    expect_ok(kprod_txn_begin(p), "begin B");
    send_range(p, "B", 0, PER_TXN / 2);
    expect_ok(kprod_flush(p, 30000), "flush B");
    int coord = coordinator_of();
    printf("killing the transaction coordinator, broker %d\n", coord);
    node("kill-node", coord);
    send_range(p, "B", PER_TXN / 2, PER_TXN);
    int committed = commit_or_abort(p);
    printf("transaction B %s with its coordinator killed\n", committed ? "committed" : "aborted");
    node("start-node", coord);

    /* D: the coordinator dies while the commit is being asked for. */
    expect_ok(kprod_txn_begin(p), "begin D");
    send_range(p, "D", 0, PER_TXN);
    expect_ok(kprod_flush(p, 60000), "flush D");
    coord = coordinator_of();
    printf("killing the transaction coordinator, broker %d, during the commit\n", coord);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, kill_soon, &coord), 0);
    int committed_d = commit_or_abort(p);
    pthread_join(th, NULL);
    printf("transaction D %s\n", committed_d ? "committed" : "aborted");
    node("start-node", coord);

    expect_ok(kprod_txn_begin(p), "begin C");
    send_range(p, "C", 0, PER_TXN);
    assert_int_equal(commit_or_abort(p), 1);
    assert_int_equal(kprod_close(p, 30000), KPROD_ERR_NO_ERROR);
    kpt_txn_reports r = kpt_txn_reports_get(&rep);
    printf("reports: %d delivered, %d aborted, %d failed\n", r.delivered, r.aborted, r.failed);
    assert_int_equal(r.delivered + r.aborted + r.failed, 4 * PER_TXN);

    /* A commit returns once the coordinator logged it; the markers reach
     * the partitions after (later still when a partition's leader just
     * came back): read_committed readers see a committed transaction
     * partition by partition, each partition's part whole or not at all,
     * and in the end all of it. So: read until every committed
     * transaction is there in full (deadline 90 s), checking each read. */
    static const char *const prefixes[] = {"A-", "B-", "C-", "D-"};
    int want[4] = {PER_TXN, committed ? PER_TXN : 0, PER_TXN, committed_d ? PER_TXN : 0};
    int64_t deadline = kpt_now_ms() + 90000;
    int reads = 0, done = 0;
    while (!done) {
        int n;
        kpt_read *rc = kpt_kcat_read(cluster_brokers(), topic, "read_committed", &n);
        reads++;
        done = 1;
        for (int t = 0; t < 4; t++) {
            int per[3] = {0, 0, 0};
            for (int i = 0; i < n; i++)
                if (strncmp(rc[i].value, prefixes[t], 2) == 0 && rc[i].partition >= 0 &&
                    rc[i].partition < 3)
                    per[rc[i].partition]++;
            for (int part = 0; part < 3; part++) {
                if (per[part] != 0 && per[part] != PER_TXN / 3)
                    fail_msg("read %d: partition %d holds %d records of transaction %c, not 0 "
                             "or %d",
                             reads, part, per[part], prefixes[t][0], PER_TXN / 3);
                if (per[part] > want[t] / 3)
                    fail_msg("read %d: transaction %c (not committed) visible in partition %d",
                             reads, prefixes[t][0], part);
            }
            done &= kpt_count_prefix(rc, n, prefixes[t]) == want[t];
        }
        for (int i = 0; i < n; i++) /* no record twice */
            for (int j = i + 1; j < n; j++)
                if (strcmp(rc[i].value, rc[j].value) == 0)
                    fail_msg("%s read twice", rc[i].value);
        if (done)
            assert_int_equal(n, want[0] + want[1] + want[2] + want[3]);
        free(rc);
        if (!done && kpt_now_ms() > deadline)
            fail_msg("committed transactions not all visible to read_committed after 90 s");
    }
    printf("read_committed: every committed transaction whole after %d read%s\n", reads,
           reads == 1 ? "" : "s");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coordinator_killed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
