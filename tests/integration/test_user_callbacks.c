/* Serializers and partitioners end to end: the built-in int64 key
 * serializer writes Java's big-endian layout, a user value serializer's
 * bytes are what the broker stores, and a user partitioner decides the
 * partition (explicit partitions still win, -1 falls back to the key hash,
 * anything else out of range is refused). Read back with kcat. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partitioner.h"

#define NPART 6
#define NREC 300
#define FIXED_PART 4

/* Eight printable bytes "key-000N" when written big-endian, so the
 * consumer's text output can be compared directly. */
#define KEY_BASE INT64_C(0x6B65792D30303030)

static int g_reports[NREC];
static kprod_err_t g_err[NREC];
static int32_t g_part[NREC];

static void on_report(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    int id = (int)(intptr_t)r->opaque;
    assert_true(id >= 0 && id < NREC);
    g_reports[id]++;
    g_err[id] = r->err;
    g_part[id] = r->partition;
}

/* The partitioner's behaviour: a fixed partition, -1, or out of range. */
static int32_t g_part_answer = FIXED_PART;
static int g_part_calls;
static const char *g_topic;

static int32_t fixed_partitioner(const char *topic, const void *key, size_t key_len,
                                 int32_t partition_count, void *opaque) {
    assert_ptr_equal(opaque, &g_part_answer);
    assert_string_equal(topic, g_topic);
    assert_int_equal(partition_count, NPART);
    /* It sees the serialized key: 8 big-endian bytes. */
    assert_non_null(key);
    assert_int_equal(key_len, 8);
    assert_memory_equal(key, "key-000", 7);
    g_part_calls++;
    return g_part_answer;
}

/* "sv-" + the C string; a value starting with "fail" is refused. */
static kprod_err_t prefix_serializer(const char *topic, const void *obj, size_t obj_len,
                                     kprod_sink_t *sink, void *opaque) {
    (void)topic;
    (void)opaque;
    if (!obj)
        return KPROD_ERR_NO_ERROR; /* null stays null */
    if (strncmp(obj, "fail", 4) == 0)
        return KPROD_ERR__INVALID_ARG;
    kprod_err_t e = kprod_sink_write(sink, "sv-", 3);
    if (!e)
        e = kprod_sink_write(sink, obj, obj_len ? obj_len : strlen(obj));
    return e;
}

static kprod_err_t send_rec(kprod_t *p, int id, int32_t partition, const char *value) {
    int64_t key = KEY_BASE + id % 10;
    kprod_record_t rec = KPROD_RECORD_INIT;
    rec.topic = g_topic;
    rec.partition = partition;
    rec.key = &key;
    rec.key_len = sizeof(key);
    rec.value = value;
    return kprod_send(p, &rec, on_report, (void *)(intptr_t)id);
}

static void test_int64_keys_user_serializer_and_partitioner(void **state) {
    (void)state;
    char topic[128];
    kpt_unique_topic(topic, sizeof(topic), "usercb");
    kpt_create_topic(topic, NPART, 1);
    g_topic = topic;
    memset(g_reports, 0, sizeof(g_reports));

    char err[512];
    kprod_conf_t *conf = kprod_conf_new();
    assert_int_equal(kprod_conf_set(conf, "bootstrap.servers", kpt_brokers(), err, sizeof(err)), 0);
    assert_int_equal(kprod_conf_set(conf, "key.serializer", "int64", err, sizeof(err)), 0);
    kprod_conf_set_value_serializer(conf, prefix_serializer, NULL);
    kprod_conf_set_partitioner(conf, fixed_partitioner, &g_part_answer);
    kprod_t *p;
    assert_int_equal(kprod_new(conf, &p, err, sizeof(err)), 0);

    /* ids 0..99: the partitioner's fixed answer; 100..199: explicit
     * partition 1 (the partitioner is not asked); 200..299: it answers -1,
     * so the key hash decides. */
    char value[64];
    for (int id = 0; id < NREC; id++) {
        int explicit_part = id >= 100 && id < 200;
        g_part_answer = id < 200 ? FIXED_PART : -1;
        int calls = g_part_calls;
        snprintf(value, sizeof(value), "val-%d", id);
        assert_int_equal(send_rec(p, id, explicit_part ? 1 : KPROD_PARTITION_ANY, value), 0);
        assert_int_equal(g_part_calls, calls + !explicit_part);
    }
    /* Refusals come back from kprod_send and produce no report. */
    g_part_answer = NPART;
    assert_int_equal(send_rec(p, 0, KPROD_PARTITION_ANY, "x"), KPROD_ERR__PARTITIONER);
    g_part_answer = -2;
    assert_int_equal(send_rec(p, 0, KPROD_PARTITION_ANY, "x"), KPROD_ERR__PARTITIONER);
    g_part_answer = FIXED_PART;
    assert_int_equal(send_rec(p, 0, KPROD_PARTITION_ANY, "fail-me"), KPROD_ERR__SERIALIZATION);
    int64_t short_key = 1;
    kprod_record_t bad = KPROD_RECORD_INIT;
    bad.topic = topic;
    bad.key = &short_key;
    bad.key_len = 4; /* int64 takes 0 or 8 */
    assert_int_equal(kprod_send(p, &bad, on_report, NULL), KPROD_ERR__SERIALIZATION);

    assert_int_equal(kprod_flush(p, 30000), 0);
    assert_int_equal(kprod_close(p, 5000), 0);

    for (int id = 0; id < NREC; id++) {
        if (g_reports[id] != 1 || g_err[id])
            fail_msg("record %d: %d reports, %s", id, g_reports[id], kprod_err_name(g_err[id]));
        int64_t key = KEY_BASE + id % 10;
        uint8_t be[8];
        for (int i = 0; i < 8; i++)
            be[i] = (uint8_t)((uint64_t)key >> (56 - 8 * i));
        int32_t want = id < 100 ? FIXED_PART : id < 200 ? 1 : kp_partition_for_key(be, 8, NPART);
        assert_int_equal(g_part[id], want);
    }

    kpt_record *recs = kpt_consume(topic, NREC);
    int seen[NREC] = {0};
    for (int i = 0; i < NREC; i++) {
        int id = -1;
        if (sscanf(recs[i].value, "sv-val-%d", &id) != 1 || id < 0 || id >= NREC)
            fail_msg("unexpected value '%s'", recs[i].value);
        seen[id]++;
        char want[64];
        snprintf(want, sizeof(want), "sv-val-%d", id);
        assert_string_equal(recs[i].value, want);
        assert_int_equal(recs[i].key_len, 8);
        snprintf(want, sizeof(want), "key-000%d", id % 10);
        assert_string_equal(recs[i].key, want);
        assert_int_equal(recs[i].partition, g_part[id]);
    }
    for (int id = 0; id < NREC; id++)
        assert_int_equal(seen[id], 1);
    kpt_records_free(recs, NREC);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int64_keys_user_serializer_and_partitioner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
