/* The report queue with producer-wide events: an error event and a
 * statistics document queued before and after batches are all served,
 * events first, by one kp_reports_serve; with no callback set nothing is
 * queued. (An event queued while no batch was queued once made the next
 * batch push follow a NULL tail.) */
#include <stdlib.h>
#include <string.h>

#include "accumulator.h"
#include "report.h"
#include "testutil.h"

static int order[16], norder;
static void on_error(kprod_err_t err, const char *reason, void *o) {
    (void)o;
    assert_string_equal(reason, "every broker is down");
    order[norder++] = err == KPROD_ERR__ALL_BROKERS_DOWN ? 1 : -1;
}
static void on_stats(const char *json, size_t len, void *o) {
    (void)o;
    assert_int_equal(strlen(json), len);
    order[norder++] = 2;
}
static void on_report(const kprod_report_t *r, void *o) {
    (void)o;
    assert_int_equal(r->err, KPROD_ERR__MSG_TIMED_OUT);
    assert_string_equal(r->errstr, kprod_err_str(KPROD_ERR__MSG_TIMED_OUT));
    order[norder++] = 3;
}

/* A producer's parts without its threads: a resolved config, an
 * accumulator with topic t of one partition, a report queue. */
static void setup(kp_config *cfg, kp_acc **acc, kp_reports **r, int with_cbs) {
    kprod_conf_t *conf = kprod_conf_new();
    char err[256];
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "max.block.ms", "0", err, sizeof(err)), 0);
    kprod_conf_set_delivery_cb(conf, on_report, NULL);
    if (with_cbs) {
        kprod_conf_set_error_cb(conf, on_error, NULL);
        kprod_conf_set_stats_cb(conf, on_stats, NULL);
    }
    assert_int_equal(kp_conf_resolve(conf, cfg, err, sizeof(err)), 0);
    kprod_conf_destroy(conf);
    *acc = kp_acc_new(cfg);
    *r = kp_reports_new(cfg, *acc);
    /* The first append makes the topic (and, with max.block.ms 0, fails
     * at once for want of its metadata); then the metadata comes. */
    kp_append a = {.topic = "t", .partition = 0, .timestamp_ms = 1, .key_len = -1};
    assert_int_equal(kp_acc_append(*acc, &a), KPROD_ERR__TIMED_OUT);
    uint8_t has_leader = 1;
    assert_true(kp_acc_apply_topic(*acc, "t", KPROD_ERR_NO_ERROR, 1, &has_leader) >= 0);
}

/* One batch of one record, failed, as the sender would push it. */
static void push_batch(kp_acc *acc, kp_reports *r) {
    kp_append a = {.topic = "t",
                   .partition = 0,
                   .timestamp_ms = 1,
                   .key_len = -1,
                   .value = "v",
                   .value_len = 1};
    kp_reports_accepted(r);
    assert_int_equal(kp_acc_append(acc, &a), KPROD_ERR_NO_ERROR);
    kp_batchvec bv = {0};
    kp_acc_take_all(acc, &bv);
    assert_int_equal(bv.n, 1);
    bv.v[0]->err = KPROD_ERR__MSG_TIMED_OUT;
    kp_reports_push(r, bv.v, bv.n);
    kp_batchvec_free(&bv);
}

static void test_events_and_batches(void **state) {
    (void)state;
    kp_config cfg;
    kp_acc *acc;
    kp_reports *r;
    setup(&cfg, &acc, &r, 1);
    norder = 0;
    kp_reports_push_event(r, KPROD_ERR__ALL_BROKERS_DOWN, "every broker is down");
    push_batch(acc, r); /* after an event, with no batch queued */
    kp_reports_push_stats(r, strdup("{}"));
    push_batch(acc, r);
    assert_int_equal(kp_reports_serve(r, 0), 2); /* two records */
    int want[] = {1, 2, 3, 3};                   /* events first */
    assert_int_equal(norder, 4);
    assert_memory_equal(order, want, sizeof(want));
    assert_int_equal(kp_reports_outstanding(r), 0);
    kp_reports_free(r);
    kp_acc_free(acc);
    kp_config_free(&cfg);
}

static void test_no_callbacks_no_events(void **state) {
    (void)state;
    kp_config cfg;
    kp_acc *acc;
    kp_reports *r;
    setup(&cfg, &acc, &r, 0);
    norder = 0;
    kp_reports_push_event(r, KPROD_ERR__ALL_BROKERS_DOWN, "every broker is down");
    kp_reports_push_stats(r, strdup("{}")); /* freed at once */
    assert_int_equal(kp_reports_pending(r), 0);
    push_batch(acc, r);
    assert_int_equal(kp_reports_serve(r, 0), 1);
    assert_int_equal(norder, 1);
    kp_reports_free(r);
    kp_acc_free(acc);
    kp_config_free(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_and_batches),
        cmocka_unit_test(test_no_callbacks_no_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
