/* Lost acknowledgements on the real broker: tests/tools/kafka_proxy stands
 * between kprod and the broker and, for a fraction of Produce requests,
 * forwards the request, lets the broker write it, and drops the connection
 * instead of passing the response on. With idempotence every record must be
 * stored exactly once and in order within its partition; the same run with
 * idempotence off must show duplicates, so that this test can fail. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NRECORDS 100000
#define NPARTITIONS 6

static int g_reported[NRECORDS];
static int g_failed;

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    int id = (int)(intptr_t)r->opaque;
    g_reported[id]++;
    if (r->err)
        g_failed++;
}

/* Produces NRECORDS through a dropping proxy; returns duplicates found. */
static int run(int idempotent) {
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), idempotent ? "idem-on" : "idem-off");
    kpt_create_topic(topic, NPARTITIONS, 1);
    kpt_proxy px;
    kpt_proxy_start(&px, 0.03, 0);

    char err[512], bootstrap[64];
    snprintf(bootstrap, sizeof(bootstrap), "127.0.0.1:%d", px.port);
    kprod_conf_t *conf = kprod_conf_new();
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)), 0);
    assert_int_equal(
        kprod_conf_set(conf, "enable.idempotence", idempotent ? "true" : "false", err, sizeof(err)),
        0);
    assert_int_equal(kprod_conf_set(conf, "acks", "all", err, sizeof(err)), 0);
    assert_int_equal(
        kprod_conf_set(conf, "max.in.flight.requests.per.connection", "5", err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "retry.backoff.ms", "20", err, sizeof(err)), 0);
    /* Small batches, so that the run makes a thousand or so requests and
     * loses dozens of acknowledgements: with 16 KiB batches of these short
     * records a pipelining sender needs only about 50 requests, and 3 % of
     * them is one drop. */
    assert_int_equal(kprod_conf_set(conf, "batch.size", "1024", err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "reconnect.backoff.ms", "10", err, sizeof(err)), 0);
    kprod_t *p;
    assert_int_equal(kprod_new(conf, &p, err, sizeof(err)), 0);
    memset(g_reported, 0, sizeof(g_reported));
    g_failed = 0;
    char key[16], value[32];
    for (int id = 0; id < NRECORDS; id++) {
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        snprintf(key, sizeof(key), "k%d", id % 60);
        snprintf(value, sizeof(value), "%d", id);
        rec.key = key;
        rec.key_len = strlen(key);
        rec.value = value;
        rec.value_len = strlen(value);
        assert_int_equal(kprod_send(p, &rec, on_report, (void *)(intptr_t)id), 0);
        kprod_poll(p, 0);
    }
    assert_int_equal(kprod_flush(p, 180000), 0);
    assert_int_equal(kprod_close(p, 10000), 0);
    kpt_proxy_stats st = kpt_proxy_stop(&px);
    long forwarded = st.forwarded, dropped = st.dropped;
    for (int id = 0; id < NRECORDS; id++)
        assert_int_equal(g_reported[id], 1);
    assert_int_equal(g_failed, 0);

    int n;
    kpt_record *recs = kpt_consume_all(topic, &n);
    static int seen[NRECORDS];
    memset(seen, 0, sizeof(seen));
    int last[NPARTITIONS];
    for (int i = 0; i < NPARTITIONS; i++)
        last[i] = -1;
    int dups = 0, reordered = 0;
    for (int i = 0; i < n; i++) {
        int id = atoi(recs[i].value);
        assert_true(id >= 0 && id < NRECORDS);
        if (seen[id]++)
            dups++;
        else if (id < last[recs[i].partition])
            reordered++;
        if (id > last[recs[i].partition])
            last[recs[i].partition] = id;
    }
    int missing = 0;
    for (int id = 0; id < NRECORDS; id++)
        missing += seen[id] == 0;
    print_message("idempotence=%s: sent %d, produce requests forwarded %ld, connections dropped "
                  "after forwarding %ld, records read %d, duplicates %d, missing %d, out of "
                  "order %d\n",
                  idempotent ? "on" : "off", NRECORDS, forwarded, dropped, n, dups, missing,
                  reordered);
    kpt_records_free(recs, n);
    assert_true(dropped >= 5);         /* otherwise the run proved little */
    assert_true(st.max_inflight <= 5); /* max.in.flight.requests.per.connection */
    assert_int_equal(missing, 0);
    if (idempotent)
        assert_int_equal(reordered, 0);
    return dups;
}

static void test_idempotent_no_duplicates(void **state) {
    (void)state;
    assert_int_equal(run(1), 0);
}

static void test_without_idempotence_duplicates_appear(void **state) {
    (void)state;
    assert_true(run(0) > 0);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idempotent_no_duplicates),
        cmocka_unit_test(test_without_idempotence_duplicates_appear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
