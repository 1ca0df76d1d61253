/* Broker faults injected with librdkafka's mock cluster (a second, real
 * Kafka peer; see tests/tools/mock_cluster.c): retriable and non-retriable
 * Produce errors, a leader going down and coming back or being replaced,
 * answers slower than request.timeout.ms, sequence errors, the log read
 * back after a lost answer, and InitProducerId failures with idempotence, and leaders moving during
 * production (also with max.in.flight=1 and no idempotence, where order must hold alone).
 *
 * Each case starts its own three-broker cluster with a 4-partition topic
 * whose leaders are pinned (partition p led by broker p % 3 + 1), sends
 * records whose report opaque is their id, and checks that every record got
 * exactly one report, with the outcome the fault calls for.
 *
 * What the mock (librdkafka 2.0.2) does not do, and the checks allow for:
 * it keeps sequence state only for transactional producers, so it neither
 * rejects out-of-order sequences nor drops resent duplicates of an
 * idempotent producer; a request that timed out on the client but was
 * appended by the mock is therefore stored twice when resent (offsets are
 * only compared where no request can have timed out). Successful Produce
 * answers carry a LogAppendTime of 1234, so report timestamps are not
 * checked here. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define NPART 4
#define MAXREC 4000
#define API_PRODUCE 0

typedef struct sent {
    int reports;
    kprod_err_t err;
    int32_t partition;
    int64_t offset;
    int possibly_persisted;
    int64_t at_ms; /* when the report was served */
} sent;

static sent g_sent[MAXREC];
static int64_t g_sent_at[MAXREC]; /* when kprod_send accepted it */
static kpt_mock *g_mock;
static kprod_t *g_p;
static char g_topic[128];

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    int id = (int)(intptr_t)r->opaque;
    assert_true(id >= 0 && id < MAXREC);
    sent *s = &g_sent[id];
    s->reports++;
    s->err = r->err;
    s->partition = r->partition;
    s->offset = r->offset;
    s->possibly_persisted = r->possibly_persisted;
    s->at_ms = kpt_now_ms();
}

/* A fresh cluster and topic for each case; the leaders are pinned so that
 * a case knows which broker to hurt. */
static int setup(void **state) {
    (void)state;
    memset(g_sent, 0, sizeof(g_sent));
    g_mock = kpt_mock_start(3);
    kpt_unique_topic(g_topic, sizeof(g_topic), "mock");
    kpt_mock_ok(g_mock, "topic %s %d 3", g_topic, NPART);
    for (int p = 0; p < NPART; p++)
        kpt_mock_ok(g_mock, "leader %s %d %d", g_topic, p, p % 3 + 1);
    return 0;
}

/* Also runs after a failed case: close the producer, stop the cluster. */
static int teardown(void **state) {
    (void)state;
    if (g_p)
        kprod_close(g_p, 1000);
    g_p = NULL;
    kpt_mock_stop(g_mock);
    g_mock = NULL;
    return 0;
}

static int leader_of(int32_t partition) { return partition % 3 + 1; }

/* A producer on the mock cluster; props is NULL or "name=value" strings
 * ending with NULL. */
static kprod_t *new_producer(const char *const *props) {
    char err[512];
    kprod_conf_t *conf = kprod_conf_new();
    assert_non_null(conf);
    if (kprod_conf_set(conf, "bootstrap.servers", kpt_mock_bootstrap(g_mock), err, sizeof(err)))
        fail_msg("%s", err);
    kprod_conf_set_delivery_cb(conf, on_report, NULL);
    for (int i = 0; props && props[i]; i++) {
        char name[128];
        const char *eq = strchr(props[i], '=');
        assert_non_null(eq);
        snprintf(name, sizeof(name), "%.*s", (int)(eq - props[i]), props[i]);
        if (kprod_conf_set(conf, name, eq + 1, err, sizeof(err)))
            fail_msg("%s", err);
    }
    kprod_t *p;
    if (kprod_new(conf, &p, err, sizeof(err)))
        fail_msg("kprod_new: %s", err);
    g_p = p;
    return p;
}

/* Sends record `id` to `partition` (KPROD_PARTITION_ANY: by its key). */
static void send_one(int id, int32_t partition) {
    char key[32], value[64];
    snprintf(key, sizeof(key), "key-%d", id);
    snprintf(value, sizeof(value), "value-%d", id);
    kprod_record_t rec = KPROD_RECORD_INIT;
    rec.topic = g_topic;
    rec.partition = partition;
    rec.key = key;
    rec.key_len = strlen(key);
    rec.value = value;
    rec.value_len = strlen(value);
    kprod_err_t e = kprod_send(g_p, &rec, NULL, (void *)(intptr_t)id);
    if (e)
        fail_msg("send %d: %s", id, kprod_err_name(e));
    g_sent_at[id] = kpt_now_ms();
}

/* Record ids [from, to) spread over the partitions by id. */
static void send_range(int from, int to) {
    for (int id = from; id < to; id++)
        send_one(id, id % NPART);
}

static int count_reported(int from, int to) {
    int n = 0;
    for (int id = from; id < to; id++)
        n += g_sent[id].reports > 0;
    return n;
}

/* Serves reports until records [from, to) all have one or the deadline
 * passes; returns how many have one. */
static int wait_reports(int from, int to, int timeout_ms) {
    int64_t deadline = kpt_now_ms() + timeout_ms;
    int n;
    while ((n = count_reported(from, to)) < to - from && kpt_now_ms() < deadline)
        kprod_poll(g_p, 50);
    return n;
}

/* Serves reports until every record in [from, to) that pick selects (all
 * when pick is NULL) has one; fails the test when that takes longer than
 * timeout_ms. For reports that must come. */
static void await_reports(int from, int to, int (*pick)(int id), int timeout_ms) {
    int64_t deadline = kpt_now_ms() + timeout_ms;
    for (int id = from; id < to; id++) {
        while ((!pick || pick(id)) && !g_sent[id].reports) {
            if (kpt_now_ms() >= deadline)
                fail_msg("record %d not reported within %d ms (%d of [%d, %d) reported)", id,
                         timeout_ms, count_reported(from, to), from, to);
            kprod_poll(g_p, 10);
        }
    }
}

/* Serves reports until at most `left` of the Produce errors injected on
 * broker are unused, i.e. the requests meant to meet them have reached it;
 * fails the test after timeout_ms. */
static void await_errors_used(int broker, long left, int timeout_ms) {
    int64_t deadline = kpt_now_ms() + timeout_ms;
    long n;
    while ((n = kpt_mock_error_count(g_mock, broker, API_PRODUCE)) > left) {
        if (kpt_now_ms() >= deadline)
            fail_msg("broker %d: %ld injected Produce errors unused after %d ms, expected %ld",
                     broker, n, timeout_ms, left);
        kprod_poll(g_p, 10);
    }
}

/* Serves reports for a fixed window (the producer keeps working meanwhile).
 * Only for what must NOT happen within it (a late or second report): what
 * must happen is waited for with await_reports or await_errors_used. */
static void serve_for(int ms) {
    int64_t deadline = kpt_now_ms() + ms;
    while (kpt_now_ms() < deadline)
        kprod_poll(g_p, 20);
}

static void assert_exactly_one_report(int from, int to) {
    for (int id = from; id < to; id++)
        if (g_sent[id].reports != 1)
            fail_msg("record %d got %d reports", id, g_sent[id].reports);
}

static void assert_delivered(int from, int to) {
    assert_exactly_one_report(from, to);
    for (int id = from; id < to; id++) {
        if (g_sent[id].err)
            fail_msg("record %d failed: %s", id, kprod_err_name(g_sent[id].err));
        assert_true(g_sent[id].offset >= 0);
    }
}

/* Within each partition, records [from, to) (sent in id order) were stored
 * in send order at consecutive offsets starting at first[partition]: no
 * record lost, stored twice or reordered. */
static void assert_consecutive_offsets(int from, int to, const int64_t first[NPART]) {
    int64_t next[NPART];
    for (int p = 0; p < NPART; p++)
        next[p] = first[p];
    for (int id = from; id < to; id++) {
        const sent *s = &g_sent[id];
        assert_true(s->partition >= 0 && s->partition < NPART);
        /* KPT_DEBUG=1 shows the neighbourhood of a misplaced record. */
        if (s->offset != next[s->partition] && getenv("KPT_DEBUG")) {
            for (int k = id - 40 * NPART; k < to && k < id + 40 * NPART; k++)
                if (k >= from && g_sent[k].partition == s->partition)
                    print_message("id %d off %lld\n", k, (long long)g_sent[k].offset);
        }
        if (s->offset != next[s->partition])
            fail_msg("record %d: partition %d offset %lld, expected %lld", id, s->partition,
                     (long long)s->offset, (long long)next[s->partition]);
        next[s->partition]++;
    }
}

/* One record to each partition, flushed: connections, metadata and the
 * producer id are in place before a fault is injected. Uses ids [base,
 * base + NPART). */
static void warm_up(int base) {
    for (int p = 0; p < NPART; p++)
        send_one(base + p, p);
    assert_int_equal(kprod_flush(g_p, 10000), 0);
    assert_delivered(base, base + NPART);
}

/* ---- retriable errors ---- */

/* Each broker fails its next five Produce requests with retriable errors.
 * Every record must still be delivered exactly once; the mock's error
 * stacks must be empty afterwards (the errors really hit Produce requests,
 * so the records were retried), the time taken must show the backoff, and
 * the offsets must show that nothing was stored twice or out of order. */
static void test_retriable_errors_are_retried(void **state) {
    (void)state;
    for (int b = 1; b <= 3; b++)
        kpt_mock_ok(g_mock, "broker_errors %d %d %d 0 %d 0 %d 0 %d 0 %d 0", b, API_PRODUCE,
                    KPROD_ERR_NOT_LEADER_OR_FOLLOWER, KPROD_ERR_REQUEST_TIMED_OUT,
                    KPROD_ERR_NOT_ENOUGH_REPLICAS, KPROD_ERR_NOT_ENOUGH_REPLICAS,
                    KPROD_ERR_NOT_ENOUGH_REPLICAS);
    const char *props[] = {"retry.backoff.ms=100", "retry.backoff.max.ms=100", NULL};
    new_producer(props);
    int64_t t0 = kpt_now_ms();
    send_range(0, 400);
    assert_int_equal(kprod_flush(g_p, 20000), 0);
    int64_t took = kpt_now_ms() - t0;
    assert_delivered(0, 400);
    for (int b = 1; b <= 3; b++)
        if (kpt_mock_error_count(g_mock, b, API_PRODUCE) != 0)
            fail_msg("broker %d: injected errors were not all used by Produce requests", b);
    /* Broker 1 leads two partitions, so its five errors take at least three
     * rounds, each after a backoff of at least 80 ms (100 ms - 20 %). */
    if (took < 240)
        fail_msg("all delivered after %lld ms: the errors cannot have been backed off",
                 (long long)took);
    const int64_t first[NPART] = {0, 0, 0, 0};
    assert_consecutive_offsets(0, 400, first);
}

/* ---- non-retriable errors ---- */

/* Each error fails its record at once, with exactly that error and
 * possibly_persisted == 0 (the broker refused it); the record is not
 * retried: the next record of the partition takes the offset a retried one
 * would have taken. */
static void test_nonretriable_errors_fail_at_once(void **state) {
    (void)state;
    const kprod_err_t errs[] = {KPROD_ERR_MESSAGE_TOO_LARGE, KPROD_ERR_INVALID_RECORD,
                                KPROD_ERR_TOPIC_AUTHORIZATION_FAILED};
    new_producer(NULL);
    int id = 0;
    for (int i = 0; i < 3; i++) {
        kpt_mock_ok(g_mock, "broker_errors %d %d %d 0", leader_of(0), API_PRODUCE, errs[i]);
        int bad = id++;
        send_one(bad, 0);
        assert_int_equal(wait_reports(bad, bad + 1, 10000), 1);
        assert_exactly_one_report(bad, bad + 1);
        if (g_sent[bad].err != errs[i])
            fail_msg("record %d: %s, expected %s", bad, kprod_err_name(g_sent[bad].err),
                     kprod_err_name(errs[i]));
        assert_int_equal(g_sent[bad].offset, -1);
        assert_int_equal(g_sent[bad].possibly_persisted, 0);
        assert_int_equal(kpt_mock_error_count(g_mock, leader_of(0), API_PRODUCE), 0);

        int good = id++;
        send_one(good, 0);
        assert_int_equal(kprod_flush(g_p, 10000), 0);
        assert_delivered(good, good + 1);
        assert_int_equal(g_sent[good].offset, i); /* the failed ones were never stored */
    }
    /* Must not happen: a retry of a failed record would bring a second
     * report within a backoff (retry.backoff.ms, 100 ms); 300 ms covers it. */
    serve_for(300);
    assert_exactly_one_report(0, id);
}

/* ---- a leader that goes away ---- */

/* Whether record id's partition is led by broker 1 (partitions 0 and 3). */
static int led_by_broker_1(int id) { return leader_of(id % NPART) == 1; }
static int led_by_others(int id) { return !led_by_broker_1(id); }

/* The leader of partitions 0 and 3 goes down: their records wait (the other
 * partitions go on), and are delivered, in order, once it is back. */
static void test_leader_down_then_up(void **state) {
    (void)state;
    const char *props[] = {"reconnect.backoff.max.ms=200", NULL};
    new_producer(props);
    warm_up(0);
    kpt_mock_ok(g_mock, "broker_down 1");
    send_range(NPART, 200);
    await_reports(NPART, 200, led_by_others, 10000);
    /* Must not happen: a report for broker 1's records while it is down. A
     * producer that gave up on the unreachable leader would report them
     * within a few reconnect attempts (backoff up to 200 ms). */
    serve_for(1500);
    for (int id = NPART; id < 200; id++) {
        int on_down = led_by_broker_1(id);
        if (on_down && g_sent[id].reports)
            fail_msg("record %d reported (%s) while its leader was down", id,
                     kprod_err_name(g_sent[id].err));
        if (!on_down && g_sent[id].reports != 1)
            fail_msg("record %d (leader up) got %d reports", id, g_sent[id].reports);
    }
    kpt_mock_ok(g_mock, "broker_up 1");
    assert_int_equal(kprod_flush(g_p, 15000), 0);
    assert_delivered(0, 200);
    const int64_t first[NPART] = {1, 1, 1, 1};
    assert_consecutive_offsets(NPART, 200, first);
}

/* The leader of partition 0 goes down for good and the partition moves to
 * broker 2: its records must follow the new leader (the producer has to ask
 * for metadata again although no request of its failed). */
static void test_leader_down_partition_moves(void **state) {
    (void)state;
    const char *props[] = {"reconnect.backoff.max.ms=200", NULL};
    new_producer(props);
    warm_up(0);
    kpt_mock_ok(g_mock, "broker_down 1");
    for (int id = NPART; id < 100; id++)
        send_one(id, 0);
    /* Must not happen: a report for partition 0 while its only leader is
     * down; 500 ms is a few reconnect attempts (backoff up to 200 ms), by
     * which a producer that gave up on the broker would have reported. */
    serve_for(500);
    assert_int_equal(count_reported(NPART, 100), 0);
    kpt_mock_ok(g_mock, "leader %s 0 2", g_topic);
    int64_t t0 = kpt_now_ms();
    if (kprod_flush(g_p, 15000) != 0)
        fail_msg("records of partition 0 not delivered to its new leader: %d of 96 reported",
                 count_reported(NPART, 100));
    print_message("re-routed to the new leader after %lld ms\n", (long long)(kpt_now_ms() - t0));
    assert_delivered(NPART, 100);
    for (int id = NPART; id < 100; id++)
        assert_int_equal(g_sent[id].offset, id - NPART + 1);
}

/* ---- answers slower than request.timeout.ms ---- */

/* Every broker answers 3 s late, request.timeout.ms is 1 s: requests must
 * time out and be retried, and no record may be reported meanwhile (a
 * producer that waited for the late answers would deliver them after 3 s).
 * Once the delay is gone every record is delivered, exactly once. */
static void test_slow_broker_requests_time_out_and_retry(void **state) {
    (void)state;
    const char *props[] = {"request.timeout.ms=1000", "delivery.timeout.ms=20000",
                           "reconnect.backoff.max.ms=200", NULL};
    new_producer(props);
    warm_up(0);
    kpt_mock_ok(g_mock, "rtt -1 3000");
    send_range(NPART, 100);
    /* Must not happen: a report while every answer is 3 s late. The window
     * outlasts the delay, so a producer waiting for the late answers
     * instead of timing out would have delivered within it. */
    serve_for(4500);
    if (count_reported(NPART, 100))
        fail_msg("%d records reported while every answer came after request.timeout.ms",
                 count_reported(NPART, 100));
    kpt_mock_ok(g_mock, "rtt -1 0");
    assert_int_equal(kprod_flush(g_p, 15000), 0);
    /* Offsets are not compared: the mock stored the timed-out attempts too
     * (it does not drop an idempotent producer's duplicates). */
    assert_delivered(0, 100);
}

/* The same slow brokers with delivery.timeout.ms=2500: every record fails
 * with _MSG_TIMED_OUT, marked possibly persisted (its request reached the
 * broker unanswered), and not much later than delivery.timeout.ms. */
static void test_slow_broker_delivery_timeout(void **state) {
    (void)state;
    const char *props[] = {"request.timeout.ms=1000", "delivery.timeout.ms=2500",
                           "reconnect.backoff.max.ms=200", NULL};
    new_producer(props);
    warm_up(0);
    kpt_mock_ok(g_mock, "rtt -1 3000");
    send_range(NPART, 40);
    assert_int_equal(wait_reports(NPART, 40, 15000), 40 - NPART);
    assert_exactly_one_report(NPART, 40);
    for (int id = NPART; id < 40; id++) {
        const sent *s = &g_sent[id];
        if (s->err != KPROD_ERR__MSG_TIMED_OUT)
            fail_msg("record %d: %s, expected _MSG_TIMED_OUT", id, kprod_err_name(s->err));
        assert_int_equal(s->possibly_persisted, 1);
        int64_t after = s->at_ms - g_sent_at[id];
        /* A request in flight at the deadline is waited for (up to
         * request.timeout.ms) before its batch expires. */
        if (after < 2400 || after > 2500 + 1000 + 1000)
            fail_msg("record %d reported %lld ms after send (delivery.timeout.ms=2500)", id,
                     (long long)after);
    }
}

/* ---- idempotence: sequence errors ---- */

/* Two batches of partition 0 in flight at once: the first gets
 * NOT_ENOUGH_REPLICAS after 1 s, the second OUT_OF_ORDER_SEQUENCE_NUMBER
 * (what a broker says when an earlier batch is missing). The second error
 * is only the echo of the first: both batches are retried, in order, and
 * delivered. */
static void test_idem_out_of_order_behind_a_retry(void **state) {
    (void)state;
    const char *props[] = {"linger.ms=0", NULL};
    new_producer(props);
    warm_up(0);
    kpt_mock_ok(g_mock, "broker_errors %d %d %d 1000 %d 0", leader_of(0), API_PRODUCE,
                KPROD_ERR_NOT_ENOUGH_REPLICAS, KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    send_one(NPART, 0);
    /* Its request has reached the broker (took the first error) and waits
     * there for the late answer: the second batch goes in flight behind it. */
    await_errors_used(leader_of(0), 1, 5000);
    if (g_sent[NPART].reports)
        fail_msg("first batch reported before the second was sent: not two in flight");
    send_one(NPART + 1, 0);
    assert_int_equal(kprod_flush(g_p, 15000), 0);
    assert_delivered(NPART, NPART + 2);
    assert_int_equal(kpt_mock_error_count(g_mock, leader_of(0), API_PRODUCE), 0);
    assert_int_equal(g_sent[NPART].offset, 1);
    assert_int_equal(g_sent[NPART + 1].offset, 2);
}

/* OUT_OF_ORDER_SEQUENCE_NUMBER for the oldest unacknowledged batch (no
 * earlier batch to blame) means broker and producer disagree about the
 * partition's sequence. The producer must bump its epoch (KIP-360; the mock
 * refuses the bump, so it takes a new producer id instead), restart the
 * partition's sequences and resend the batch (docs/IDEMPOTENCE.md): the
 * record is delivered, with one report, and stored once (the refused
 * attempt wrote nothing, so it takes offset 1 after the warm-up record).
 * Failing it with the broker's error would lose a record the producer
 * could still deliver. */
static void test_idem_out_of_order_head_batch(void **state) {
    (void)state;
    new_producer(NULL);
    warm_up(0);
    kpt_mock_ok(g_mock, "broker_errors %d %d %d 0", leader_of(0), API_PRODUCE,
                KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    send_one(NPART, 0);
    assert_int_equal(wait_reports(NPART, NPART + 1, 10000), 1);
    /* Must not happen: a second report (a resend reported twice); 300 ms
     * is a few retry backoffs. */
    serve_for(300);
    /* The error really met the batch's Produce request. */
    assert_int_equal(kpt_mock_error_count(g_mock, leader_of(0), API_PRODUCE), 0);
    assert_delivered(NPART, NPART + 1);
    assert_int_equal(g_sent[NPART].offset, 1);
}

/* ---- idempotence: reading the log back (docs/IDEMPOTENCE.md) ---- */

/* The statistics document's number for key (in the idempotence section). */
static long stat_of(const char *key) {
    kprod_stats_t *st = NULL;
    assert_int_equal(kprod_stats_get(g_p, 5000, &st), 0);
    char pat[96];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *at = strstr(kprod_stats_json(st), pat);
    long v = at ? atol(at + strlen(pat)) : -1;
    kprod_stats_destroy(st);
    return v;
}

/* Partition 0's batch: its first attempt is answered after
 * request.timeout.ms (first_err 0: the mock stores it; else it answers
 * that error and stores nothing), so it may be stored; its resend gets
 * OUT_OF_ORDER_SEQUENCE_NUMBER, as from a broker that restarted and
 * forgot it. A new producer id is needed: the partition is read back
 * first. Returns the record's id. */
static int ambiguous_batch(int first_err) {
    const char *props[] = {"request.timeout.ms=1000", "linger.ms=0", NULL};
    new_producer(props);
    warm_up(0);
    kpt_mock_ok(g_mock, "broker_errors %d %d %d 1500 %d 0", leader_of(0), API_PRODUCE, first_err,
                KPROD_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    send_one(NPART, 0);
    await_reports(NPART, NPART + 1, NULL, 15000);
    assert_int_equal(kpt_mock_error_count(g_mock, leader_of(0), API_PRODUCE), 0);
    return NPART;
}

/* The late first attempt was stored: the read finds it (producer id,
 * epoch, sequence in its header) and reports it delivered at its offset,
 * 1 after the warm-up record; it is not sent again, so the next record of
 * the partition takes offset 2. */
static void test_idem_recovery_finds_the_stored_batch(void **state) {
    (void)state;
    int id = ambiguous_batch(0);
    assert_delivered(id, id + 1);
    assert_int_equal(g_sent[id].offset, 1);
    send_one(id + 1, 0);
    assert_int_equal(kprod_flush(g_p, 10000), 0);
    assert_delivered(id + 1, id + 2);
    assert_int_equal(g_sent[id + 1].offset, 2);
    assert_int_equal(stat_of("recovery_partitions_read"), 1);
    assert_int_equal(stat_of("recovery_batches_found"), 1);
    assert_int_equal(stat_of("recovery_batches_resent"), 0);
}

/* The late first attempt was refused (nothing stored): the read finds
 * nothing, and the batch is resent under the new producer id, stored once
 * at offset 1. */
static void test_idem_recovery_resends_what_is_missing(void **state) {
    (void)state;
    int id = ambiguous_batch(KPROD_ERR_NOT_ENOUGH_REPLICAS);
    assert_delivered(id, id + 1);
    assert_int_equal(g_sent[id].offset, 1);
    assert_int_equal(stat_of("recovery_batches_found"), 0);
    assert_int_equal(stat_of("recovery_batches_resent"), 1);
}

/* The read is refused for good (TOPIC_AUTHORIZATION_FAILED: no Read
 * permission): the batch, which the broker did store, fails with that
 * error, marked possibly persisted, and is never resent: the next record
 * takes offset 2. */
static void test_idem_recovery_read_refused_fails_possibly_persisted(void **state) {
    (void)state;
    kpt_mock_ok(g_mock, "push_errors Fetch 1 %d", KPROD_ERR_TOPIC_AUTHORIZATION_FAILED);
    int id = ambiguous_batch(0);
    assert_exactly_one_report(id, id + 1);
    assert_int_equal(g_sent[id].err, KPROD_ERR_TOPIC_AUTHORIZATION_FAILED);
    assert_int_equal(g_sent[id].possibly_persisted, 1);
    send_one(id + 1, 0);
    assert_int_equal(kprod_flush(g_p, 10000), 0);
    assert_delivered(id + 1, id + 2);
    assert_int_equal(g_sent[id + 1].offset, 2);
    assert_int_equal(stat_of("recovery_reads_failed"), 1);
}

/* ---- idempotence: the producer id ---- */

/* InitProducerId fails twice with retriable errors (cluster-wide errors,
 * whichever broker is asked): the producer asks again and the records go. */
static void test_init_producer_id_retriable(void **state) {
    (void)state;
    kpt_mock_ok(g_mock, "push_errors InitProducerId 2 %d %d", KPROD_ERR_COORDINATOR_NOT_AVAILABLE,
                KPROD_ERR_NOT_COORDINATOR);
    new_producer(NULL);
    send_range(0, 40);
    assert_int_equal(kprod_flush(g_p, 10000), 0);
    assert_delivered(0, 40);
    assert_int_equal(kprod_fatal_error(g_p, NULL, 0), KPROD_ERR_NO_ERROR);
}

/* A fatal producer refuses new records at once (no report follows). */
static void record_send_refused_when_fatal(void) {
    kprod_record_t rec = KPROD_RECORD_INIT;
    rec.topic = g_topic;
    rec.value = "x";
    rec.value_len = 1;
    assert_int_equal(kprod_send(g_p, &rec, NULL, (void *)(intptr_t)(MAXREC - 1)), KPROD_ERR__FATAL);
}

/* InitProducerId refused for good: the producer becomes fatal, and the
 * records it had accepted still get their one report (an error), no later
 * than delivery.timeout.ms, with _FATAL (the cause is in
 * kprod_fatal_error). */
static void test_init_producer_id_fatal(void **state) {
    (void)state;
    kpt_mock_ok(g_mock, "push_errors InitProducerId 1 %d", KPROD_ERR_CLUSTER_AUTHORIZATION_FAILED);
    const char *props[] = {"request.timeout.ms=1000", "delivery.timeout.ms=3000", NULL};
    new_producer(props);
    send_range(0, 8);
    int got = wait_reports(0, 8, 6000);
    char why[256];
    kprod_err_t fatal = kprod_fatal_error(g_p, why, sizeof(why));
    print_message("fatal: %s (%s); %d of 8 reported\n", kprod_err_name(fatal), why, got);
    assert_int_equal(fatal, KPROD_ERR_CLUSTER_AUTHORIZATION_FAILED);
    assert_int_equal(got, 8);
    assert_exactly_one_report(0, 8);
    for (int id = 0; id < 8; id++) {
        assert_int_equal(g_sent[id].err, KPROD_ERR__FATAL);
        assert_int_equal(g_sent[id].possibly_persisted, 0);
        assert_true(g_sent[id].at_ms - g_sent_at[id] <= 3000 + 1500);
    }
    record_send_refused_when_fatal();
}

/* InitProducerId keeps failing with a retriable error for longer than
 * delivery.timeout.ms: the records expire on time, never sent. */
static void test_init_producer_id_slow_delivery_timeout(void **state) {
    (void)state;
    char errs[1024] = "";
    for (int i = 0; i < 60; i++) /* 60 x retry.backoff.ms 100: about 6 s */
        snprintf(errs + strlen(errs), sizeof(errs) - strlen(errs), " %d",
                 KPROD_ERR_COORDINATOR_NOT_AVAILABLE);
    kpt_mock_ok(g_mock, "push_errors InitProducerId 60%s", errs);
    const char *props[] = {"request.timeout.ms=1000", "delivery.timeout.ms=2000", NULL};
    new_producer(props);
    send_range(0, 8);
    assert_int_equal(wait_reports(0, 8, 6000), 8);
    assert_exactly_one_report(0, 8);
    for (int id = 0; id < 8; id++) {
        assert_int_equal(g_sent[id].err, KPROD_ERR__MSG_TIMED_OUT);
        assert_int_equal(g_sent[id].possibly_persisted, 0);
        int64_t after = g_sent[id].at_ms - g_sent_at[id];
        if (after < 1900 || after > 2000 + 1500)
            fail_msg("record %d reported %lld ms after send (delivery.timeout.ms=2000)", id,
                     (long long)after);
    }
    assert_int_equal(kprod_fatal_error(g_p, NULL, 0), KPROD_ERR_NO_ERROR);
}

/* ---- leaders moving during production ---- */

/* Within each partition, the offsets of records [from, to) are exactly
 * first..first+count-1 in some order: none lost, none stored twice. */
static void assert_offsets_no_gap_no_dup(int from, int to) {
    static unsigned char hit[NPART][MAXREC];
    memset(hit, 0, sizeof(hit));
    int count[NPART] = {0};
    for (int id = from; id < to; id++)
        count[g_sent[id].partition]++;
    for (int id = from; id < to; id++) {
        const sent *s = &g_sent[id];
        if (s->offset < 0 || s->offset >= count[s->partition] || hit[s->partition][s->offset]++)
            fail_msg("record %d: partition %d offset %lld is a duplicate or beyond %d records", id,
                     s->partition, (long long)s->offset, count[s->partition]);
    }
}

/* Every partition's leader moves four times while 2,000 records are being
 * sent. All are delivered exactly once and stored once (no timeouts here,
 * so a duplicate would be the producer's); kcat reads them back the same.
 * With strict_order, they must also be stored in send order.
 *
 * Sending is paced by the reports: every PACE_STEP records, all but the
 * last PACE_WINDOW sent must have been reported. So the run spans many
 * round trips, each move (after records 250, 750, 1250, 1750) meets
 * batches queued and in flight to the old leaders, and the moves are
 * spread over the run rather than all landing before the first answer.
 * The deadline fails a producer that stops delivering after a move. */
#define PACE_STEP 20
#define PACE_WINDOW 40
static void leaders_move(const char *const *props, int strict_order) {
    const int n = 2000;
    int paced = 0; /* records [0, paced) have been reported */
    new_producer(props);
    int leader[NPART];
    for (int p = 0; p < NPART; p++)
        leader[p] = leader_of(p);
    for (int id = 0; id < n; id++) {
        send_one(id, id % NPART);
        if (id % 500 == 250) {
            for (int p = 0; p < NPART; p++) {
                leader[p] = leader[p] % 3 + 1;
                kpt_mock_ok(g_mock, "leader %s %d %d", g_topic, p, leader[p]);
            }
        }
        kprod_poll(g_p, 0);
        if (id % PACE_STEP == 0 && id + 1 - PACE_WINDOW > paced) {
            await_reports(paced, id + 1 - PACE_WINDOW, NULL, 10000);
            paced = id + 1 - PACE_WINDOW;
        }
    }
    assert_int_equal(kprod_flush(g_p, 20000), 0);
    assert_delivered(0, n);
    assert_offsets_no_gap_no_dup(0, n);
    if (strict_order) {
        const int64_t first[NPART] = {0, 0, 0, 0};
        assert_consecutive_offsets(0, n, first);
    }

    /* Read back by librdkafka's consumer through the mock's Fetch. */
    setenv("KPROD_BROKERS", kpt_mock_bootstrap(g_mock), 1);
    kpt_record *recs = kpt_consume(g_topic, n);
    static int seen[MAXREC];
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < n; i++) {
        int id = -1;
        if (sscanf(recs[i].value, "value-%d", &id) != 1 || id < 0 || id >= n)
            fail_msg("unexpected value '%s'", recs[i].value);
        seen[id]++;
        assert_int_equal(recs[i].partition, id % NPART);
        assert_int_equal(recs[i].offset, g_sent[id].offset);
    }
    for (int id = 0; id < n; id++)
        if (seen[id] != 1)
            fail_msg("record %d read back %d times", id, seen[id]);
    kpt_records_free(recs, n);
}

/* Idempotence on (the default). The order is not checked: when a leader
 * moves, a later batch may reach the new leader while an earlier one is
 * still on its way to the old leader, to be refused and resent. A real
 * broker refuses the later batch too (OUT_OF_ORDER_SEQUENCE_NUMBER, since
 * the earlier sequence is missing), so the producer resends both in order,
 * as the Java producer does; librdkafka 2.0's mock does not check an
 * idempotent producer's sequences and stores them as they come. */
static void test_leaders_move_during_production(void **state) {
    (void)state;
    leaders_move(NULL, 0);
}

/* Without idempotence, max.in.flight.requests.per.connection=1 must keep
 * each partition in send order by itself, across leader moves too. */
static void test_leaders_move_strict_order_in_flight_1(void **state) {
    (void)state;
    const char *props[] = {"enable.idempotence=false", "max.in.flight.requests.per.connection=1",
                           NULL};
    leaders_move(props, 1);
}

/* The same rule, made to happen for sure: record A of partition 0 waits
 * 800 ms for its answer (NOT_LEADER_OR_FOLLOWER) from the old leader while
 * the partition moves and the producer learns of it (through an error on
 * another partition); record B, sent after A, must not overtake it on the
 * new leader. */
static void test_in_flight_1_order_across_leader_move(void **state) {
    (void)state;
    const char *props[] = {"enable.idempotence=false", "max.in.flight.requests.per.connection=1",
                           "linger.ms=0", NULL};
    new_producer(props);
    warm_up(0);
    kpt_mock_ok(g_mock, "broker_errors 1 %d %d 800", API_PRODUCE, KPROD_ERR_NOT_LEADER_OR_FOLLOWER);
    int a = NPART, c = NPART + 1, b = NPART + 2;
    send_one(a, 0);
    await_errors_used(1, 0, 5000); /* A's request is at the old leader */
    kpt_mock_ok(g_mock, "leader %s 0 2", g_topic);
    kpt_mock_ok(g_mock, "broker_errors 2 %d %d 0", API_PRODUCE, KPROD_ERR_NOT_LEADER_OR_FOLLOWER);
    /* C's error makes the producer refresh its metadata before retrying C,
     * so C's delivery means the producer knows partition 0 moved. */
    send_one(c, 1);
    await_reports(c, c + 1, NULL, 5000);
    assert_delivered(c, c + 1);
    assert_int_equal(kpt_mock_error_count(g_mock, 2, API_PRODUCE), 0);
    if (g_sent[a].reports)
        fail_msg("A reported before B was sent: its answer was not held across the move");
    send_one(b, 0);
    assert_int_equal(kprod_flush(g_p, 10000), 0);
    assert_delivered(NPART, NPART + 3);
    if (g_sent[a].offset != 1 || g_sent[b].offset != 2)
        fail_msg("partition 0: A at offset %lld, B (sent after A) at %lld: expected 1 and 2",
                 (long long)g_sent[a].offset, (long long)g_sent[b].offset);
}

/* An argument runs only the cases matching it (a cmocka filter pattern). */
int main(int argc, char **argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retriable_errors_are_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonretriable_errors_fail_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leader_down_then_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leader_down_partition_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_broker_requests_time_out_and_retry, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slow_broker_delivery_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idem_out_of_order_behind_a_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idem_out_of_order_head_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idem_recovery_finds_the_stored_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idem_recovery_resends_what_is_missing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idem_recovery_read_refused_fails_possibly_persisted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_producer_id_retriable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_producer_id_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_producer_id_slow_delivery_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_leaders_move_during_production, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaders_move_strict_order_in_flight_1, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_in_flight_1_order_across_leader_move, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
