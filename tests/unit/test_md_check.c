/* kp_md_check: what a Metadata answer may hold before the sender acts on
 * it. An answer that breaks a rule is refused whole (the connection then
 * fails as a protocol error), so one lying field can neither index past a
 * table nor make kprod allocate for numbers no real cluster has. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "sender/metadata.h"

static kp_metadata_resp_broker g_brokers[2];
static kp_metadata_resp_partition g_parts[3];
static kp_metadata_resp_topic g_topic;
static kp_metadata_resp g_resp;

/* A good answer: brokers 1 and 2, one topic of three partitions. */
static void good(void) {
    memset(&g_resp, 0, sizeof(g_resp));
    memset(g_brokers, 0, sizeof(g_brokers));
    memset(g_parts, 0, sizeof(g_parts));
    memset(&g_topic, 0, sizeof(g_topic));
    for (int i = 0; i < 2; i++) {
        g_brokers[i].node_id = i + 1;
        g_brokers[i].host = "127.0.0.1";
        g_brokers[i].port = 9092 + i;
    }
    for (int i = 0; i < 3; i++) {
        g_parts[i].partition_index = 2 - i; /* any order */
        g_parts[i].leader_id = 1;
    }
    g_topic.name = "t";
    g_topic.partition_count = 3;
    g_topic.partitions = g_parts;
    g_resp.broker_count = 2;
    g_resp.brokers = g_brokers;
    g_resp.topic_count = 1;
    g_resp.topics = &g_topic;
}

static kprod_err_t check(char *why, size_t n) { return kp_md_check(&g_resp, why, n); }

static void test_good_answer_passes(void **state) {
    (void)state;
    char why[200];
    good();
    assert_int_equal(check(why, sizeof(why)), 0);
    g_topic.error_code = 3; /* a topic error with no partitions is fine */
    g_topic.partition_count = 0;
    assert_int_equal(check(why, sizeof(why)), 0);
}

/* Partition indexes are 0..count-1, each once: 2147483647 used to write
 * past the partition table, 100,000,000 to allocate 100 M slots. */
static void test_partition_index_out_of_range_or_twice(void **state) {
    (void)state;
    char why[200];
    const int32_t bad[] = {3, -1, 2147483647, 100000000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        good();
        g_parts[1].partition_index = bad[i];
        assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
        assert_non_null(strstr(why, "partition"));
    }
    good();
    g_parts[0].partition_index = g_parts[1].partition_index;
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
}

/* More partitions or brokers than any real cluster has are refused. */
static void test_counts_over_the_limits(void **state) {
    (void)state;
    char why[200];
    good();
    g_topic.partition_count = KP_MD_MAX_PARTITIONS + 1; /* checked before the array */
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
    good();
    g_resp.broker_count = KP_MD_MAX_BROKERS + 1;
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
    assert_non_null(strstr(why, "brokers"));
}

/* A broker entry kprod could not connect to, or whose id collides with the
 * bootstrap entries' negative ids, is refused. */
static void test_impossible_broker_entries(void **state) {
    (void)state;
    char why[200];
    good();
    g_brokers[1].node_id = -1;
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
    good();
    g_brokers[0].host = "";
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
    good();
    g_brokers[0].host = NULL;
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
    good();
    g_brokers[0].port = 65536;
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
    good();
    g_brokers[0].port = 0;
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
    static char longhost[300];
    memset(longhost, 'h', sizeof(longhost) - 1);
    good();
    g_brokers[0].host = longhost;
    assert_int_equal(check(why, sizeof(why)), KPROD_ERR__BAD_MSG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_answer_passes),
        cmocka_unit_test(test_partition_index_out_of_range_or_twice),
        cmocka_unit_test(test_counts_over_the_limits),
        cmocka_unit_test(test_impossible_broker_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
