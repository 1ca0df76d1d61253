/* Every broker unreachable: the producer talks to the broker through
 * tests/tools/kafka_proxy, which is then killed, so that every connection
 * and every reconnect fails (connection refused), as when the whole cluster
 * is gone. Then:
 * - every record accepted gets exactly one report, an error, within
 *   delivery.timeout.ms plus a margin; records whose request was written
 *   before the loss may say possibly_persisted;
 * - send() blocks up to max.block.ms once buffer.memory is full, then fails
 *   with _QUEUE_FULL;
 * - the process stays near idle (no busy loop, no reconnect storm) and its
 *   memory bounded, measured over KPROD_DOWN_SECONDS (default 10; the full
 *   run of the failure issue uses 60);
 * - close() returns within its timeout. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_RECORDS 200000

static unsigned char g_reports[MAX_RECORDS];
static int g_ok, g_timed_out, g_other, g_persisted;

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    int id = (int)(intptr_t)r->opaque;
    g_reports[id]++;
    if (!r->err)
        g_ok++;
    else if (r->err == KPROD_ERR__MSG_TIMED_OUT)
        g_timed_out++;
    else
        g_other++;
    g_persisted += r->possibly_persisted;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long peak_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_all_brokers_down(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "down");
    kpt_create_topic(topic, 6, 1);
    kpt_proxy px;
    kpt_proxy_start(&px, 0.0, 0);

    char err[512], bootstrap[64];
    snprintf(bootstrap, sizeof(bootstrap), "127.0.0.1:%d", px.port);
    kprod_conf_t *conf = kprod_conf_new();
    const char *props[][2] = {
        {"bootstrap.servers", bootstrap}, {"delivery.timeout.ms", "6000"},
        {"request.timeout.ms", "2000"},   {"linger.ms", "5"},
        {"buffer.memory", "4000000"},     {"max.block.ms", "1000"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        assert_int_equal(kprod_conf_set(conf, props[i][0], props[i][1], err, sizeof(err)), 0);
    kprod_t *p;
    assert_int_equal(kprod_new(conf, &p, err, sizeof(err)), 0);

    /* Up: 1,000 records delivered through the proxy. */
    memset(g_reports, 0, sizeof(g_reports));
    g_ok = g_timed_out = g_other = g_persisted = 0;
    char value[100];
    memset(value, 'v', sizeof(value));
    int id = 0;
    for (; id < 1000; id++) {
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        rec.value = value;
        rec.value_len = sizeof(value);
        assert_int_equal(kprod_send(p, &rec, on_report, (void *)(intptr_t)id), 0);
    }
    assert_int_equal(kprod_flush(p, 30000), 0);
    assert_int_equal(g_ok, 1000);

    /* Down: every broker unreachable from now on. */
    kpt_proxy_kill(&px);
    long rss_before = peak_rss_kb();
    int64_t t0 = kpt_now_ms();
    int first_down = id;
    kprod_err_t e = KPROD_ERR_NO_ERROR;
    int64_t blocked_ms = 0;
    while (id < MAX_RECORDS) {
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        rec.value = value;
        rec.value_len = sizeof(value);
        int64_t s0 = kpt_now_ms();
        e = kprod_send(p, &rec, on_report, (void *)(intptr_t)id);
        blocked_ms = kpt_now_ms() - s0;
        if (e)
            break;
        id++;
    }
    assert_int_equal(e, KPROD_ERR__QUEUE_FULL);
    assert_true(blocked_ms >= 900 && blocked_ms < 5000); /* max.block.ms = 1000 */
    int accepted_down = id - first_down;
    print_message("buffer full after %d records while brokers were down; send blocked %lld ms\n",
                  accepted_down, (long long)blocked_ms);

    /* Near idle while down: CPU over the window, reports served meanwhile. */
    const char *secs_env = getenv("KPROD_DOWN_SECONDS");
    int secs = secs_env ? atoi(secs_env) : 10;
    double cpu0 = cpu_seconds();
    int64_t window_end = kpt_now_ms() + secs * 1000;
    while (kpt_now_ms() < window_end)
        kprod_poll(p, 200);
    double cpu = cpu_seconds() - cpu0;
    long rss_peak = peak_rss_kb();
    print_message("brokers down for %d s: CPU %.3f s (%.1f%% of one core), peak RSS %ld KiB "
                  "(%ld KiB before the loss), buffer.memory 4000000 bytes\n",
                  secs, cpu, 100.0 * cpu / secs, rss_peak, rss_before);
    assert_true(cpu < 0.1 * secs); /* under 10% of a core: no busy loop */
    assert_true(rss_peak - rss_before < 4000000 / 1024 + 16 * 1024);

    /* Every record accepted while down has its report by now. */
    assert_int_equal(kprod_flush(p, 30000), 0);
    for (int i = 0; i < id; i++)
        if (g_reports[i] != 1)
            fail_msg("record %d got %d reports", i, g_reports[i]);
    assert_int_equal(g_ok, 1000);
    assert_int_equal(g_timed_out + g_other, accepted_down);
    print_message("down: %d accepted, %d timed out, %d other errors, %d possibly persisted, "
                  "first reports after %lld ms\n",
                  accepted_down, g_timed_out, g_other, g_persisted, (long long)(kpt_now_ms() - t0));

    /* close() with records pending returns within its timeout. */
    for (int i = 0; i < 100 && id < MAX_RECORDS; i++, id++) {
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        rec.value = value;
        rec.value_len = sizeof(value);
        assert_int_equal(kprod_send(p, &rec, on_report, (void *)(intptr_t)id), 0);
    }
    int64_t c0 = kpt_now_ms();
    assert_int_equal(kprod_close(p, 1000), KPROD_ERR__FLUSH_TIMED_OUT);
    int64_t close_ms = kpt_now_ms() - c0;
    assert_true(close_ms < 3000);
    for (int i = 0; i < id; i++)
        assert_int_equal(g_reports[i], 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_brokers_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
