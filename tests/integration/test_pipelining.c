/* Requests in flight on the real broker: tests/tools/kafka_proxy (dropping
 * nothing) counts, as each Produce request arrives, how many Produce
 * requests of its connection are unanswered. A Produce request carries one
 * batch per partition, so a one-partition topic with a backlog of full
 * batches is the case where only pipelining (the next request sent before
 * the last is answered) keeps more than one request in flight. The sender
 * once waited for a response before each next request of a partition,
 * whatever max.in.flight.requests.per.connection said: a quarter of the
 * throughput on 10 KiB records.
 *
 * Checked: the limit is never exceeded (1 means strictly one), and with a
 * limit of 5 and a backlog the connection is kept busy: on average at least
 * 3 requests in flight as each one is sent (a fully used pipeline shows
 * close to 5, the old sender close to 1). */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NRECORDS 20000
#define VALUE_LEN 1000

static int g_reported[NRECORDS];
static int g_failed;

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    g_reported[(int)(intptr_t)r->opaque]++;
    if (r->err)
        g_failed++;
}

static kpt_proxy_stats run(const char *max_in_flight, const char *idempotence) {
    /* Idempotence needs acks=all (as in Java, a conflict is an error). */
    const char *acks = strcmp(idempotence, "true") == 0 ? "all" : "1";
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "pipeline");
    kpt_create_topic(topic, 1, 1);
    kpt_proxy px;
    /* Responses held 5 ms: far longer than a turn of the sender even under
     * a sanitizer, so the count in flight shows whether it pipelines, not
     * how fast it is (on a bare loopback, ThreadSanitizer's slowdown alone
     * brought a pipelining sender down to 1.8 on average). */
    kpt_proxy_start(&px, 0.0, 5);

    char err[512], bootstrap[64];
    snprintf(bootstrap, sizeof(bootstrap), "127.0.0.1:%d", px.port);
    const char *props[] = {"bootstrap.servers",
                           bootstrap,
                           "acks",
                           acks,
                           "enable.idempotence",
                           idempotence,
                           "max.in.flight.requests.per.connection",
                           max_in_flight,
                           "batch.size",
                           "16384",
                           "linger.ms",
                           "5",
                           NULL};
    kprod_conf_t *conf = kprod_conf_new();
    for (int i = 0; props[i]; i += 2)
        if (kprod_conf_set(conf, props[i], props[i + 1], err, sizeof(err)) != 0)
            fail_msg("%s=%s: %s", props[i], props[i + 1], err);
    kprod_t *p;
    assert_int_equal(kprod_new(conf, &p, err, sizeof(err)), 0);
    memset(g_reported, 0, sizeof(g_reported));
    g_failed = 0;
    static char value[VALUE_LEN];
    memset(value, 'v', sizeof(value));
    /* 20 MB: all of it fits buffer.memory (32 MiB), so the application
     * thread is done long before the sender, which then drains the
     * backlog on its own. */
    for (int id = 0; id < NRECORDS; id++) {
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        rec.value = value;
        rec.value_len = sizeof(value);
        assert_int_equal(kprod_send(p, &rec, on_report, (void *)(intptr_t)id), 0);
        kprod_poll(p, 0);
    }
    assert_int_equal(kprod_flush(p, 120000), 0);
    assert_int_equal(kprod_close(p, 10000), 0);
    kpt_proxy_stats st = kpt_proxy_stop(&px);
    for (int id = 0; id < NRECORDS; id++)
        assert_int_equal(g_reported[id], 1);
    assert_int_equal(g_failed, 0);
    print_message("max.in.flight=%s idempotence=%s: %ld Produce requests, at most %d in flight, "
                  "%.2f on average as each was sent\n",
                  max_in_flight, idempotence, st.forwarded, st.max_inflight, st.mean_inflight);
    assert_true(st.forwarded >= NRECORDS / 16); /* about 16 records a batch */
    return st;
}

static void test_five_in_flight(void **state) {
    (void)state;
    kpt_proxy_stats st = run("5", "false");
    assert_true(st.max_inflight <= 5);
    assert_true(st.mean_inflight >= 3.0);
}

static void test_five_in_flight_idempotent(void **state) {
    (void)state;
    kpt_proxy_stats st = run("5", "true");
    assert_true(st.max_inflight <= 5);
    assert_true(st.mean_inflight >= 3.0);
}

static void test_one_in_flight(void **state) {
    (void)state;
    kpt_proxy_stats st = run("1", "false");
    assert_int_equal(st.max_inflight, 1);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_five_in_flight),
        cmocka_unit_test(test_five_in_flight_idempotent),
        cmocka_unit_test(test_one_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
