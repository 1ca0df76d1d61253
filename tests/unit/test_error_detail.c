/* What a user learns when something fails, without a broker: the text
 * behind a refused kprod_send (kprod_last_errstr), the report's errstr
 * when records expire because nobody listens, and the error callback's
 * "all brokers down", served by kprod_poll like a report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct seen {
    int n;
    kprod_err_t err;
    char errstr[512];
} seen;

static void on_report(const kprod_report_t *r, void *o) {
    (void)o;
    seen *s = r->opaque;
    s->n++;
    s->err = r->err;
    assert_non_null(r->errstr); /* never NULL on error */
    snprintf(s->errstr, sizeof(s->errstr), "%s", r->errstr);
}

static void test_send_refusals_explained(void **state) {
    (void)state;
    const char *props[] = {"max.request.size", "1000", NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    kprod_record_t r = kpt_value_record("bad topic!", -1, "v", 1);
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_TOPIC);
    assert_non_null(strstr(kprod_last_errstr(), "invalid topic name 'bad topic!'"));

    static char big[2000];
    r = kpt_value_record("t", -1, big, sizeof(big));
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__MSG_SIZE_TOO_LARGE);
    assert_non_null(strstr(kprod_last_errstr(), "max.request.size (1000)"));

    r = kpt_value_record("t", -1, "v", 1);
    r.timestamp_ms = -5;
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_ARG);
    assert_non_null(strstr(kprod_last_errstr(), "timestamp_ms -5 is negative"));

    r = kpt_value_record("t", -1, NULL, 3);
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__INVALID_ARG);
    assert_non_null(strstr(kprod_last_errstr(), "NULL key or value"));
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR_NO_ERROR);
}

/* A topic whose metadata never comes: the send's text says which topic
 * and how long it waited. */
static void test_metadata_timeout_explained(void **state) {
    (void)state;
    const char *props[] = {"max.block.ms", "300", NULL};
    kprod_t *p = kpt_new_producer(kpt_down_conf(props, on_report));
    kprod_record_t r = kpt_value_record("nowhere", -1, "v", 1);
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__TIMED_OUT);
    const char *e = kprod_last_errstr();
    if (!strstr(e, "topic 'nowhere'") || !strstr(e, "300 ms (max.block.ms)"))
        fail_msg("errstr: %s", e);
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR_NO_ERROR);
}

/* Records that expire because the leader cannot be reached say so, with
 * the address and the OS's reason. The partition is known (an explicit
 * partition of a topic with metadata is needed for that, which a dead
 * cluster never gives), so here the batch waits for metadata: its text
 * must still name why nothing was sent. */
typedef struct errs {
    int n;
    kprod_err_t err;
    char reason[512];
} errs;

static void on_error(kprod_err_t err, const char *reason, void *o) {
    errs *e = o;
    e->n++;
    e->err = err;
    snprintf(e->reason, sizeof(e->reason), "%s", reason);
}

static void test_all_brokers_down_event(void **state) {
    (void)state;
    errs e = {0};
    int port;
    kpt_loopback_socket(0, &port);
    const char *props[] = {"reconnect.backoff.ms", "10", "reconnect.backoff.max.ms", "20", NULL};
    kprod_conf_t *conf = kpt_conf_for_port(port, props, on_report);
    kprod_conf_set_error_cb(conf, on_error, &e);
    kprod_t *p = kpt_new_producer(conf);
    int64_t deadline = kpt_now_ms() + 5000;
    while (e.n == 0 && kpt_now_ms() < deadline)
        kprod_poll(p, 100); /* the error callback is served here */
    assert_int_equal(e.n, 1);
    assert_int_equal(e.err, KPROD_ERR__ALL_BROKERS_DOWN);
    char addr[32];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    if (!strstr(e.reason, addr) || !strstr(e.reason, "Connection refused"))
        fail_msg("reason: %s", e.reason);
    /* Still down a while later: no second event for the same outage. */
    int64_t until = kpt_now_ms() + 300;
    while (kpt_now_ms() < until)
        kprod_poll(p, 50);
    assert_int_equal(e.n, 1);
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR_NO_ERROR);
}

/* A broker that takes Produce requests and never answers: the record is
 * reported _MSG_TIMED_OUT, possibly persisted, and its text gives the
 * timeout, the attempts and what the last one ran into. */
static void test_expired_report_explained(void **state) {
    (void)state;
    seen s = {0};
    kpt_hostile hb;
    kpt_hostile_start(&hb, "hold_produce", NULL);
    const char *props[] = {"delivery.timeout.ms", "1000", "linger.ms", "0",
                           "request.timeout.ms",  "400",  NULL};
    kprod_t *p = kpt_new_producer(kpt_conf_for_port(hb.port, props, on_report));
    kprod_record_t r = kpt_value_record("t", -1, "v", 1);
    assert_int_equal(kprod_send(p, &r, NULL, &s), KPROD_ERR_NO_ERROR);
    assert_int_equal(kprod_flush(p, 10000), KPROD_ERR_NO_ERROR);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.err, KPROD_ERR__MSG_TIMED_OUT);
    if (!strstr(s.errstr, "delivery.timeout.ms (1000 ms)") || !strstr(s.errstr, "attempts") ||
        !strstr(s.errstr, "timed out (request.timeout.ms)"))
        fail_msg("errstr: %s", s.errstr);
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR_NO_ERROR);
    kpt_hostile_stop(&hb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_refusals_explained),
        cmocka_unit_test(test_metadata_timeout_explained),
        cmocka_unit_test(test_all_brokers_down_event),
        cmocka_unit_test(test_expired_report_explained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
