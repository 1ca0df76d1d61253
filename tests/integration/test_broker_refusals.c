/* What a user is told when the real broker refuses: an unknown topic is
 * named once in the log and in the failed send's text, an explicit
 * partition past the topic's count says how many there are, and a batch
 * over the topic's max.message.bytes fails with the broker's code and a
 * hint at the setting to change. Needs a broker (KPROD_BROKERS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct seen {
    int n;
    kprod_err_t err;
    int possibly_persisted;
    char errstr[512];
} seen;

static void on_report(const kprod_report_t *r, void *o) {
    (void)o;
    seen *s = r->opaque;
    s->n++;
    s->err = r->err;
    s->possibly_persisted = r->possibly_persisted;
    snprintf(s->errstr, sizeof(s->errstr), "%s", r->errstr ? r->errstr : "(null)");
}

static kprod_t *producer(kpt_logcap *lc, const char *const *props) {
    kprod_conf_t *conf = kprod_conf_new();
    char err[256];
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)), 0);
    for (int i = 0; props && props[i]; i += 2)
        assert_int_equal(kprod_conf_set(conf, props[i], props[i + 1], err, sizeof(err)), 0);
    kprod_conf_set_delivery_cb(conf, on_report, NULL);
    if (lc)
        kpt_logcap_install(conf, lc);
    return kpt_new_producer(conf);
}

static void test_unknown_topic(void **state) {
    (void)state;
    kpt_logcap *lc = kpt_logcap_new();
    const char *props[] = {"max.block.ms", "1500", NULL};
    kprod_t *p = producer(lc, props);
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "missing");
    kprod_record_t r = kpt_value_record(topic, -1, "v", 1);
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__UNKNOWN_TOPIC);
    char want[300];
    snprintf(want, sizeof(want), "topic '%s' not found in the cluster after 1500 ms (max.block.ms)",
             topic);
    if (strcmp(kprod_last_errstr(), want) != 0)
        fail_msg("errstr '%s', want '%s'", kprod_last_errstr(), want);
    for (int i = 0; i < 50; i++) /* fail at once now, and say nothing more */
        assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__UNKNOWN_TOPIC);
    char named[200];
    snprintf(named, sizeof(named), "topic '%s' not found in the cluster", topic);
    int n = kpt_logcap_count(lc, KPROD_LOG_WARNING, "metadata", named, NULL);
    if (n != 1) {
        char *d = kpt_logcap_dump(lc);
        fail_msg("%d warnings naming the topic, want 1:\n%s", n, d);
    }
    assert_int_equal(kprod_close(p, 2000), KPROD_ERR_NO_ERROR);
    kpt_logcap_free(lc);
}

static void test_unknown_partition(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "threeparts");
    kpt_create_topic(topic, 3, 1);
    kprod_t *p = producer(NULL, NULL);
    kprod_record_t r = kpt_value_record(topic, 7, "v", 1);
    assert_int_equal(kprod_send(p, &r, NULL, NULL), KPROD_ERR__UNKNOWN_PARTITION);
    char want[300];
    snprintf(want, sizeof(want), "partition 7 of topic '%s' does not exist (3 partitions)", topic);
    assert_string_equal(kprod_last_errstr(), want);
    assert_int_equal(kprod_close(p, 2000), KPROD_ERR_NO_ERROR);
}

static void test_message_too_large_hint(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "small");
    kpt_create_topic_with(topic, 1, 1, "max.message.bytes=2000");
    kprod_t *p = producer(NULL, NULL);
    static char value[5000];
    memset(value, 'x', sizeof(value));
    seen s = {0};
    kprod_record_t r = kpt_value_record(topic, 0, value, sizeof(value));
    assert_int_equal(kprod_send(p, &r, NULL, &s), KPROD_ERR_NO_ERROR);
    assert_int_equal(kprod_flush(p, 30000), KPROD_ERR_NO_ERROR);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.err, KPROD_ERR_MESSAGE_TOO_LARGE);
    assert_int_equal(s.possibly_persisted, 0);
    if (!strstr(s.errstr, "answered MESSAGE_TOO_LARGE for partition 0") ||
        !strstr(s.errstr, topic) || !strstr(s.errstr, "max.message.bytes"))
        fail_msg("errstr: %s", s.errstr);
    assert_int_equal(kprod_close(p, 2000), KPROD_ERR_NO_ERROR);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_topic),
        cmocka_unit_test(test_unknown_partition),
        cmocka_unit_test(test_message_too_large_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
