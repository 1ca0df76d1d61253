/* Rendering a statistics snapshot: the JSON document has every section
 * and escapes what brokers send; the metric list and Prometheus' text
 * agree with it, each metric's samples together under one HELP and TYPE;
 * names of counters end in _total. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_render.h"
#include "testutil.h"

static void fill(kp_stats_snap *s) {
    memset(s, 0, sizeof(*s));
    s->client_id = strdup("app\"1");
    s->records_accepted = 1000;
    s->records_acked = 990;
    s->records_failed = 10;
    s->idempotent = 1;
    s->producer_id = 42;
    s->nbrokers = 2;
    s->brokers = calloc(2, sizeof(*s->brokers));
    s->brokers[0] = (kp_stats_broker){.id = 1,
                                      .host = strdup("a\x1b[31m\nb"),
                                      .addr = strdup("a\x1b[31m\nb:9092"),
                                      .port = 9092,
                                      .state = "up",
                                      .requests_sent = 7,
                                      .rtt_p99_us = 1234};
    s->brokers[1] = (kp_stats_broker){.id = -1,
                                      .host = strdup("boot"),
                                      .addr = strdup("boot:9093"),
                                      .port = 9093,
                                      .state = "down",
                                      .connects = 3};
    s->nparts = 3;
    s->parts = calloc(3, sizeof(*s->parts));
    for (int i = 0; i < 3; i++)
        s->parts[i] = (kp_stats_part){.topic = strdup("t"),
                                      .partition = i,
                                      .leader = 1,
                                      .records_acked = 330,
                                      .compression_ratio_pct = 250};
}

static void test_json(void **state) {
    (void)state;
    kp_stats_snap s;
    fill(&s);
    char *j = kp_stats_json(&s);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"client_id\":\"app\\\"1\""));
    assert_non_null(strstr(j, "\"producer\":{\"records_accepted\":1000,"));
    assert_non_null(strstr(j, "\"idempotence\":{\"enabled\":true,\"producer_id\":42,"));
    assert_non_null(strstr(j, "\"host\":\"a\\u001b[31m\\u000ab\""));
    assert_non_null(strstr(j, "\"rtt_p99_us\":1234"));
    assert_non_null(strstr(j, "{\"topic\":\"t\",\"partition\":2,\"leader\":1,"));
    assert_null(strstr(j, "\"_\"")); /* the placeholder is gone */
    assert_int_equal(j[strlen(j) - 1], '}');
    free(j);
    kp_stats_snap_clear(&s);
}

static void test_metrics_and_prometheus(void **state) {
    (void)state;
    kp_stats_snap s;
    fill(&s);
    size_t n;
    kprod_metric_t *m = kp_stats_metrics(&s, &n);
    assert_non_null(m);
    int acked_parts = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(m[i].name);
        int total = len > 6 && strcmp(m[i].name + len - 6, "_total") == 0;
        assert_int_equal(total, m[i].is_counter);
        if (strcmp(m[i].name, "kprod_partition_records_acked_total") == 0) {
            assert_string_equal(m[i].topic, "t");
            assert_int_equal(m[i].partition, acked_parts);
            assert_true(m[i].value == 330);
            acked_parts++;
        }
        if (strcmp(m[i].name, "kprod_broker_requests_sent_total") == 0 && m[i].broker_id == 1)
            assert_true(m[i].value == 7);
    }
    assert_int_equal(acked_parts, 3);
    char *p = kp_stats_prometheus(m, n, s.client_id);
    assert_non_null(p);
    /* One HELP per name, and a name's samples in one run. */
    assert_non_null(strstr(p, "# TYPE kprod_records_acked_total counter\n"
                              "kprod_records_acked_total{client_id=\"app\\\"1\"} 990\n"));
    /* The broker's host is what the broker said: escaped in the label. */
    assert_non_null(
        strstr(p, "kprod_broker_in_flight{client_id=\"app\\\"1\",broker=\"a\x1b[31m\\nb:9092\","
                  "broker_id=\"1\"} 0\n"
                  "kprod_broker_in_flight{client_id=\"app\\\"1\",broker=\"boot:9093\","
                  "broker_id=\"-1\"} 0\n"));
    assert_non_null(strstr(
        p,
        "kprod_partition_compression_ratio_pct{client_id=\"app\\\"1\",topic=\"t\",partition=\"0\"} "
        "250\n"));
    char *h = strstr(p, "# HELP kprod_partition_records_acked_total");
    assert_non_null(h);
    assert_null(strstr(h + 1, "# HELP kprod_partition_records_acked_total"));
    free(p);
    free(m);
    kp_stats_snap_clear(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_metrics_and_prometheus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
