/* kprod_metadata_get against the real broker: a topic made with Kafka's own
 * admin tool shows up, for the topic alone and among all topics, with its
 * partitions, leaders, replicas and ISR pointing at listed brokers; the
 * broker's address is the one we bootstrapped from; a topic that does not
 * exist comes back with its error, not as a failed call. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPART 5

static kprod_t *new_producer(void) {
    char err[512];
    kprod_conf_t *conf = kprod_conf_new();
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)), 0);
    kprod_t *p;
    assert_int_equal(kprod_new(conf, &p, err, sizeof(err)), 0);
    return p;
}

static int topic_index(const kprod_metadata_t *md, const char *topic) {
    for (int t = 0; t < kprod_metadata_topic_count(md); t++)
        if (strcmp(kprod_metadata_topic_name(md, t), topic) == 0)
            return t;
    return -1;
}

static int broker_listed(const kprod_metadata_t *md, int32_t id) {
    for (int i = 0; i < kprod_metadata_broker_count(md); i++)
        if (kprod_metadata_broker_id(md, i) == id)
            return 1;
    return 0;
}

/* Every partition has a leader (a new topic's leaders may take a moment to
 * reach the broker's metadata cache). */
static int all_led(const kprod_metadata_t *md, int t) {
    if (t < 0 || kprod_metadata_topic_err(md, t) || kprod_metadata_partition_count(md, t) != NPART)
        return 0;
    for (int k = 0; k < NPART; k++)
        if (kprod_metadata_partition_leader(md, t, k) < 0)
            return 0;
    return 1;
}

/* Fetches metadata (for topic, or all when it is NULL) until the topic is
 * fully led, with a deadline. */
static kprod_metadata_t *fetch_until_led(kprod_t *p, const char *want, const char *topic) {
    int64_t deadline = kpt_now_ms() + 20000;
    for (;;) {
        kprod_metadata_t *md = NULL;
        kprod_err_t e = kprod_metadata_get(p, topic, 5000, &md);
        if (e)
            fail_msg("kprod_metadata_get: %s", kprod_err_name(e));
        assert_non_null(md);
        if (all_led(md, topic_index(md, want)))
            return md;
        kprod_metadata_destroy(md);
        if (kpt_now_ms() > deadline)
            fail_msg("topic %s not fully led after 20 s", want);
        kprod_poll(p, 100); /* no reports to serve: only paces the retries */
    }
}

static void check_topic(const kprod_metadata_t *md, const char *topic) {
    const char *cid = kprod_metadata_cluster_id(md);
    assert_non_null(cid);
    assert_true(strlen(cid) > 0);
    int nb = kprod_metadata_broker_count(md);
    assert_true(nb >= 1);
    assert_true(broker_listed(md, kprod_metadata_controller_id(md)));
    /* The single test broker is the address we bootstrapped from. */
    const char *colon = strrchr(kpt_brokers(), ':');
    assert_non_null(colon);
    int port = atoi(colon + 1);
    int found = 0;
    for (int i = 0; i < nb; i++) {
        assert_true(kprod_metadata_broker_id(md, i) >= 0);
        assert_non_null(kprod_metadata_broker_host(md, i));
        found |= kprod_metadata_broker_port(md, i) == port;
    }
    assert_true(found);
    assert_int_equal(kprod_metadata_broker_id(md, nb), -1);
    assert_null(kprod_metadata_broker_host(md, -1));

    int t = topic_index(md, topic);
    assert_true(t >= 0);
    assert_int_equal(kprod_metadata_topic_err(md, t), 0);
    assert_int_equal(kprod_metadata_partition_count(md, t), NPART);
    for (int k = 0; k < NPART; k++) {
        int32_t leader = kprod_metadata_partition_leader(md, t, k);
        assert_true(broker_listed(md, leader));
        int32_t ids[8];
        int nr = kprod_metadata_partition_replicas(md, t, k, ids, 8);
        assert_true(nr >= 1 && nr <= 8);
        int leader_is_replica = 0;
        for (int i = 0; i < nr; i++) {
            assert_true(broker_listed(md, ids[i]));
            leader_is_replica |= ids[i] == leader;
        }
        assert_true(leader_is_replica);
        int ni = kprod_metadata_partition_isr(md, t, k, ids, 8);
        assert_true(ni >= 1 && ni <= nr);
        for (int i = 0; i < ni; i++)
            assert_true(broker_listed(md, ids[i]));
    }
    assert_int_equal(kprod_metadata_partition_leader(md, t, NPART), -1);
    assert_int_equal(kprod_metadata_partition_replicas(md, t, NPART, NULL, 0), -1);
}

static void test_created_topic(void **state) {
    (void)state;
    char topic[128], other[128];
    kpt_unique_topic(topic, sizeof(topic), "md");
    kpt_unique_topic(other, sizeof(other), "md-other");
    kpt_create_topic(topic, NPART, 1);
    kpt_create_topic(other, 1, 1);
    kprod_t *p = new_producer();

    kprod_metadata_t *md = fetch_until_led(p, topic, topic);
    assert_int_equal(kprod_metadata_topic_count(md), 1); /* only what was asked */
    check_topic(md, topic);
    char cid[256];
    snprintf(cid, sizeof(cid), "%s", kprod_metadata_cluster_id(md));
    kprod_metadata_destroy(md);

    md = fetch_until_led(p, topic, NULL);
    assert_true(kprod_metadata_topic_count(md) >= 2);
    check_topic(md, topic);
    assert_true(topic_index(md, other) >= 0);
    assert_string_equal(kprod_metadata_cluster_id(md), cid);
    assert_null(kprod_metadata_topic_name(md, kprod_metadata_topic_count(md)));
    kprod_metadata_destroy(md);
    assert_int_equal(kprod_close(p, 5000), 0);
}

static void test_missing_topic(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "md-missing");
    kprod_t *p = new_producer();
    kprod_metadata_t *md = NULL;
    assert_int_equal(kprod_metadata_get(p, topic, 10000, &md), 0);
    int t = topic_index(md, topic);
    assert_true(t >= 0);
    assert_int_equal(kprod_metadata_topic_err(md, t), KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(kprod_metadata_partition_count(md, t), 0);
    kprod_metadata_destroy(md);
    /* Asking did not create it (auto.create.topics.enable=false). */
    md = NULL;
    assert_int_equal(kprod_metadata_get(p, NULL, 10000, &md), 0);
    assert_int_equal(topic_index(md, topic), -1);
    kprod_metadata_destroy(md);
    assert_int_equal(kprod_close(p, 5000), 0);
}

typedef struct md_thread {
    kprod_t *p;
    const char *topic;
    int ok; /* calls that succeeded with the topic in them */
} md_thread;

static void *md_thread_main(void *arg) {
    md_thread *m = arg;
    for (int i = 0; i < 10; i++) {
        kprod_metadata_t *md = NULL;
        /* Alternate topic-specific and all-topics requests. */
        if (kprod_metadata_get(m->p, i % 2 ? NULL : m->topic, 20000, &md) == 0 &&
            topic_index(md, m->topic) >= 0)
            m->ok++;
        kprod_metadata_destroy(md);
    }
    return NULL;
}

/* Several threads calling kprod_metadata_get at once each get their own
 * answer (the calls take turns). */
static void test_concurrent_calls(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "md-conc");
    kpt_create_topic(topic, 2, 1);
    kprod_t *p = new_producer();
    md_thread m[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        m[i] = (md_thread){.p = p, .topic = topic};
        assert_int_equal(pthread_create(&th[i], NULL, md_thread_main, &m[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(m[i].ok, 10);
    }
    assert_int_equal(kprod_close(p, 5000), 0);
}

/* A call that times out while its request is in flight, then another one:
 * the late answer to the first must not be taken as the second's. */
static void test_timed_out_call_then_another(void **state) {
    (void)state;
    char a[128], b[128];
    kpt_unique_topic(a, sizeof(a), "md-a");
    kpt_unique_topic(b, sizeof(b), "md-b");
    kpt_create_topic(a, 1, 1);
    kpt_create_topic(b, 1, 1);
    kprod_t *p = new_producer();
    kprod_metadata_t *md = NULL;
    assert_int_equal(kprod_metadata_get(p, a, 10000, &md), 0); /* connected */
    kprod_metadata_destroy(md);
    int timeouts = 0;
    for (int i = 0; i < 300; i++) {
        md = NULL;
        kprod_err_t e = kprod_metadata_get(p, a, i % 3, &md);
        timeouts += e == KPROD_ERR__TIMED_OUT;
        kprod_metadata_destroy(md);
        md = NULL;
        assert_int_equal(kprod_metadata_get(p, b, 10000, &md), 0);
        if (topic_index(md, b) < 0)
            fail_msg("round %d: asked for %s, got %s", i, b, kprod_metadata_topic_name(md, 0));
        kprod_metadata_destroy(md);
    }
    print_message("%d of 300 short calls timed out\n", timeouts);
    assert_true(timeouts > 0);
    assert_int_equal(kprod_close(p, 5000), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_created_topic),
        cmocka_unit_test(test_missing_topic),
        cmocka_unit_test(test_concurrent_calls),
        cmocka_unit_test(test_timed_out_call_then_another),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
