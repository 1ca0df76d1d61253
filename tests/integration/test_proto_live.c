/* The read-side codecs on the wire against the real broker, through a plain
 * socket (wire.h), nothing of the sender: ApiVersions lists a version of
 * each new API that kprod speaks, and its finalized features match what
 * Kafka's own FeatureCommand reports; FindCoordinator finds the group and
 * the transaction coordinator in both request layouts; InitProducerId with
 * a transactional id gives an id whose epoch a second call bumps;
 * ListOffsets (oldest and newest version) gives the end of a topic written
 * by kcat; Fetch at its oldest (topic name) and newest (topic id) version
 * returns the batches kcat wrote, walked header by header, and a fetch cut
 * inside a batch ends the walk cleanly. */
#include "testutil.h"

#include "wire.h"

#include "protocol/batch_iter.h"
#include "protocol/fetch.h"
#include "protocol/find_coordinator.h"
#include "protocol/init_producer_id.h"
#include "protocol/list_offsets.h"
#include "protocol/metadata.h"

static kw_conn conn;
static kp_api_versions_resp av;
static int broker_port;

static int setup(void **state) {
    (void)state;
    kw_connect(&conn, kpt_brokers());
    kw_api_versions(&conn, &av);
    broker_port = atoi(strrchr(kpt_brokers(), ':') + 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    kp_api_versions_resp_free(&av);
    kw_close(&conn);
    return 0;
}

/* ---- ApiVersions ---- */

static void test_versions_accepted(void **state) {
    (void)state;
    static const int16_t keys[] = {
        KP_API_FETCH,
        KP_API_LIST_OFFSETS,
        KP_API_FIND_COORDINATOR,
        KP_API_INIT_PRODUCER_ID,
        KP_API_ADD_PARTITIONS_TO_TXN,
        KP_API_ADD_OFFSETS_TO_TXN,
        KP_API_END_TXN,
        KP_API_TXN_OFFSET_COMMIT,
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const kp_api_version_range *b = kp_api_versions_find(&av, keys[i]);
        assert_non_null(b);
        int16_t lo, hi;
        assert_int_equal(kp_proto_our_range(keys[i], &lo, &hi), 0);
        int16_t v = kw_pick(&av, keys[i]);
        printf("API %2d: broker v%d-%d, kprod v%d-%d, picks v%d\n", keys[i], b->min_version,
               b->max_version, lo, hi, v);
        assert_int_equal(v, hi < b->max_version ? hi : b->max_version);
        assert_true(lo >= b->min_version); /* every version of ours is one it takes */
    }
}

/* A feature's field from `FeatureCommand describe` ("Feature: NAME" then
 * "FIELD: VALUE" pairs, separated by a tab (Kafka 4.1) or padded with
 * spaces (4.4)): -1 when absent. */
static int tool_feature(const char *out, const char *name, const char *field) {
    char key[128];
    snprintf(key, sizeof(key), "Feature: %s", name);
    const char *line = out;
    while ((line = strstr(line, key)) != NULL) {
        line += strlen(key);
        if (*line == ' ' || *line == '\t')
            break;
    }
    if (!line)
        return -1;
    const char *eol = strchr(line, '\n');
    char want[64];
    snprintf(want, sizeof(want), "%s: ", field);
    const char *f = strstr(line, want);
    if (!f || (eol && f > eol))
        return -1;
    return atoi(f + strlen(want));
}

static const kp_api_feature *find_feature(const kp_api_feature *f, int32_t n, const char *name) {
    for (int32_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

static void test_features(void **state) {
    (void)state;
    int level = kp_api_versions_feature_level(&av, "transaction.version");
    const kp_api_feature *sup =
        find_feature(av.supported_features, av.supported_feature_count, "transaction.version");
    assert_non_null(sup);
    printf("transaction.version: finalized level %d (epoch %lld), supported %d-%d\n", level,
           (long long)av.finalized_features_epoch, sup->min_version, sup->max_version);
    assert_true(av.finalized_features_epoch >= 0);
    assert_true(level >= 0 && level <= sup->max_version);
    /* A feature nobody finalized reads as level 0; unknown names too. */
    assert_int_equal(kp_api_versions_feature_level(&av, "no.such.feature"), 0);

    /* The same facts from Kafka's own admin tool. */
    char out[8192];
    int rc = kpt_sh(out, sizeof(out),
                    "bash '%s/scripts/kafka.sh' run org.apache.kafka.tools.FeatureCommand "
                    "--bootstrap-server '%s' describe 2>&1",
                    kpt_src_dir(), kpt_brokers());
    if (rc != 0)
        fail_msg("FeatureCommand describe failed (%d): %s", rc, out);
    int tool_level = tool_feature(out, "transaction.version", "FinalizedVersionLevel");
    int tool_max = tool_feature(out, "transaction.version", "SupportedMaxVersion");
    printf("FeatureCommand: transaction.version FinalizedVersionLevel %d SupportedMaxVersion %d\n",
           tool_level, tool_max);
    assert_int_equal(level, tool_level);
    assert_int_equal(sup->max_version, tool_max);
    int group_level = kp_api_versions_feature_level(&av, "group.version");
    assert_int_equal(group_level, tool_feature(out, "group.version", "FinalizedVersionLevel"));
}

/* ---- FindCoordinator ---- */

static void expect_this_broker(const kp_find_coordinator_node *c) {
    assert_int_equal(c->error_code, 0);
    assert_true(c->node_id >= 0);
    assert_int_equal(c->port, broker_port);
    assert_true(strlen(c->host) > 0);
}

static void test_find_coordinator(void **state) {
    (void)state;
    char group[128], group2[128], txn[128];
    kpt_unique_topic(group, sizeof(group), "kprod-live-group");
    kpt_unique_topic(group2, sizeof(group2), "kprod-live-group2");
    kpt_unique_topic(txn, sizeof(txn), "kprod-live-txn");
    const char *one[] = {group};
    kp_find_coordinator_resp resp;
    /* The oldest version we speak and the last one of the single layout. */
    for (int16_t ver = KP_FIND_COORDINATOR_MIN_VER; ver <= 3; ver += 2) {
        kw_find_coordinator(&conn, ver, KP_COORD_GROUP, one, 1, &resp);
        assert_int_equal(resp.count, 1);
        assert_null(resp.coordinators[0].key);
        expect_this_broker(&resp.coordinators[0]);
        kp_find_coordinator_resp_free(&resp);
    }
    int16_t ver = kw_pick(&av, KP_API_FIND_COORDINATOR);
    assert_true(ver >= 4);
    const char *two[] = {group, group2};
    kw_find_coordinator(&conn, ver, KP_COORD_GROUP, two, 2, &resp);
    assert_int_equal(resp.count, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(resp.coordinators[i].key, two[i]);
        expect_this_broker(&resp.coordinators[i]);
    }
    kp_find_coordinator_resp_free(&resp);
    const char *t[] = {txn};
    kw_find_coordinator(&conn, ver, KP_COORD_TRANSACTION, t, 1, &resp);
    assert_int_equal(resp.count, 1);
    assert_string_equal(resp.coordinators[0].key, txn);
    expect_this_broker(&resp.coordinators[0]);
    printf("FindCoordinator v%d: transaction %s -> node %d (%s:%d)\n", ver, txn,
           resp.coordinators[0].node_id, resp.coordinators[0].host, resp.coordinators[0].port);
    kp_find_coordinator_resp_free(&resp);
}

/* ---- InitProducerId ---- */

static kp_init_producer_id_resp init_pid(const char *txn, int64_t pid, int16_t epoch) {
    int16_t ver = kw_pick(&av, KP_API_INIT_PRODUCER_ID);
    int64_t deadline = kpt_now_ms() + 30000;
    kp_init_producer_id_resp resp;
    do {
        kp_buf *b = kw_begin(&conn, KP_API_INIT_PRODUCER_ID, ver);
        assert_int_equal(kp_init_producer_id_req_encode(b, ver, txn, 60000, pid, epoch),
                         KPROD_ERR_NO_ERROR);
        kp_rd r;
        kw_call(&conn, &r);
        assert_int_equal(kp_init_producer_id_resp_decode(&r, ver, &resp), KPROD_ERR_NO_ERROR);
    } while (kw_retry(resp.error_code, deadline, "InitProducerId"));
    return resp;
}

static void test_init_producer_id_transactional(void **state) {
    (void)state;
    char txn[128];
    kpt_unique_topic(txn, sizeof(txn), "kprod-live-txn");
    const char *t[] = {txn};
    kp_find_coordinator_resp fc;
    kw_find_coordinator(&conn, kw_pick(&av, KP_API_FIND_COORDINATOR), KP_COORD_TRANSACTION, t, 1,
                        &fc);
    expect_this_broker(&fc.coordinators[0]);
    kp_find_coordinator_resp_free(&fc);

    kp_init_producer_id_resp a = init_pid(txn, -1, -1);
    assert_int_equal(a.error_code, 0);
    assert_true(a.producer_id >= 0 && a.producer_epoch >= 0);
    /* The same transactional id again: the same producer, the next epoch
     * (the coordinator fences the first "instance"). */
    kp_init_producer_id_resp b = init_pid(txn, -1, -1);
    assert_int_equal(b.error_code, 0);
    assert_true(b.producer_id == a.producer_id);
    assert_int_equal(b.producer_epoch, a.producer_epoch + 1);
    printf("InitProducerId %s: id %lld epoch %d, then epoch %d\n", txn, (long long)a.producer_id,
           a.producer_epoch, b.producer_epoch);
}

/* ---- ListOffsets and Fetch over a topic written by kcat ---- */

static char topic[128];
static uint8_t topic_id[16];
#define NRECORDS 9 /* three kcat runs of 2, 3 and 4 records */

static void kcat_produce(const char *values, int idempotent) {
    char out[4096];
    /* A long linger keeps each run's lines in one batch even when the
     * machine is slow to feed them (kcat flushes at end of input anyway). */
    int rc = kpt_sh(out, sizeof(out),
                    "printf '%s' | kcat -P -q -b '%s' -t '%s' -p 0 -X queue.buffering.max.ms=2000 "
                    "%s 2>&1",
                    values, kpt_brokers(), topic, idempotent ? "-X enable.idempotence=true" : "");
    if (rc != 0)
        fail_msg("kcat -P failed (%d): %s", rc, out);
}

static void produce_topic(void) {
    if (topic[0])
        return;
    kpt_unique_topic(topic, sizeof(topic), "kprod-live");
    kpt_create_topic(topic, 1, 1);
    kcat_produce("a0\\na1\\n", 0);
    kcat_produce("b0\\nb1\\nb2\\n", 0);
    kcat_produce("c0\\nc1\\nc2\\nc3\\n", 1);
    kpt_record *recs = kpt_consume(topic, NRECORDS);
    for (int i = 0; i < NRECORDS; i++)
        assert_int_equal(recs[i].offset, i);
    kpt_records_free(recs, NRECORDS);

    /* The topic id, for Fetch v13+ (Metadata v12 names topics and ids). */
    kp_buf *b = kw_begin(&conn, KP_API_METADATA, 12);
    const char *names[] = {topic};
    assert_int_equal(kp_metadata_req_encode(b, 12, names, 1, 0), KPROD_ERR_NO_ERROR);
    kp_rd r;
    kw_call(&conn, &r);
    kp_metadata_resp md;
    assert_int_equal(kp_metadata_resp_decode(&r, 12, &md), KPROD_ERR_NO_ERROR);
    assert_int_equal(md.topic_count, 1);
    assert_int_equal(md.topics[0].error_code, 0);
    memcpy(topic_id, md.topics[0].topic_id, 16);
    kp_metadata_resp_free(&md);
}

static int64_t list_offset(int16_t ver, int8_t isolation, int64_t ts) {
    kp_list_offsets_req_partition p = {.partition = 0, .current_leader_epoch = -1, .timestamp = ts};
    kp_list_offsets_req_topic t = {.topic = topic, .partitions = &p, .partition_count = 1};
    kp_buf *b = kw_begin(&conn, KP_API_LIST_OFFSETS, ver);
    assert_int_equal(kp_list_offsets_req_encode(b, ver, isolation, 5000, &t, 1),
                     KPROD_ERR_NO_ERROR);
    kp_rd r;
    kw_call(&conn, &r);
    kp_list_offsets_resp resp;
    assert_int_equal(kp_list_offsets_resp_decode(&r, ver, &resp), KPROD_ERR_NO_ERROR);
    assert_int_equal(kp_rd_remaining(&r), 0);
    assert_int_equal(resp.topic_count, 1);
    assert_string_equal(resp.topics[0].topic, topic);
    assert_int_equal(resp.topics[0].partition_count, 1);
    const kp_list_offsets_resp_partition *rp = &resp.topics[0].partitions[0];
    assert_int_equal(rp->partition, 0);
    assert_int_equal(rp->error_code, 0);
    if (ver >= 4)
        assert_true(rp->leader_epoch >= 0);
    int64_t off = rp->offset;
    kp_list_offsets_resp_free(&resp);
    return off;
}

static void test_list_offsets(void **state) {
    (void)state;
    produce_topic();
    int16_t hi = kw_pick(&av, KP_API_LIST_OFFSETS);
    int16_t vers[] = {KP_LIST_OFFSETS_MIN_VER, 2, hi};
    for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
        assert_int_equal(list_offset(vers[i], KP_READ_UNCOMMITTED, KP_OFFSETS_LATEST), NRECORDS);
        assert_int_equal(list_offset(vers[i], KP_READ_UNCOMMITTED, KP_OFFSETS_EARLIEST), 0);
    }
    assert_int_equal(list_offset(hi, KP_READ_COMMITTED, KP_OFFSETS_LATEST), NRECORDS);
    printf("ListOffsets v%d and v%d: %s end %d, start 0\n", KP_LIST_OFFSETS_MIN_VER, hi, topic,
           NRECORDS);
}

/* Fetches partition 0 from offset 0 at ver, returning the answer for the
 * caller to walk (free with kp_fetch_resp_free, before the next call). */
static void fetch(int16_t ver, int32_t partition_max_bytes, kp_fetch_resp *out) {
    kp_fetch_req_partition p = {.partition = 0,
                                .current_leader_epoch = -1,
                                .fetch_offset = 0,
                                .last_fetched_epoch = -1,
                                .partition_max_bytes = partition_max_bytes};
    kp_fetch_req_topic t = {.topic = topic, .partitions = &p, .partition_count = 1};
    memcpy(t.topic_id, topic_id, 16);
    kp_fetch_req req = {.max_wait_ms = 500,
                        .min_bytes = 1,
                        .max_bytes = 1 << 20,
                        .isolation_level = KP_READ_UNCOMMITTED,
                        .topics = &t,
                        .topic_count = 1};
    kp_buf *b = kw_begin(&conn, KP_API_FETCH, ver);
    assert_int_equal(kp_fetch_req_encode(b, ver, &req), KPROD_ERR_NO_ERROR);
    kp_rd r;
    kw_call(&conn, &r);
    assert_int_equal(kp_fetch_resp_decode(&r, ver, out), KPROD_ERR_NO_ERROR);
    assert_int_equal(kp_rd_remaining(&r), 0);
    assert_int_equal(out->error_code, 0);
    assert_int_equal(out->topic_count, 1);
    if (ver >= 13) {
        assert_null(out->topics[0].topic);
        assert_memory_equal(out->topics[0].topic_id, topic_id, 16);
    } else {
        assert_string_equal(out->topics[0].topic, topic);
    }
    assert_int_equal(out->topics[0].partition_count, 1);
    const kp_fetch_resp_partition *fp = &out->topics[0].partitions[0];
    assert_int_equal(fp->error_code, 0);
    assert_int_equal(fp->high_watermark, NRECORDS);
    assert_int_equal(fp->last_stable_offset, NRECORDS);
    assert_int_equal(fp->log_start_offset, ver >= 5 ? 0 : -1);
    assert_int_equal(fp->aborted_count, 0);
}

static void test_fetch_walk(void **state) {
    (void)state;
    produce_topic();
    int16_t hi = kw_pick(&av, KP_API_FETCH);
    int16_t vers[] = {KP_FETCH_MIN_VER, 12, hi};
    for (size_t v = 0; v < sizeof(vers) / sizeof(vers[0]); v++) {
        kp_fetch_resp resp;
        fetch(vers[v], 1 << 20, &resp);
        const kp_fetch_resp_partition *fp = &resp.topics[0].partitions[0];
        kp_batch_iter it;
        kp_batch_iter_init(&it, fp->records, fp->records_len, 1);
        kp_rb_header h;
        int n = 0;
        int64_t next = 0, records = 0;
        static const int32_t want_count[] = {2, 3, 4};
        while (kp_batch_iter_next(&it, &h, NULL, NULL) == 1) {
            assert_true(n < 3);
            assert_true(h.base_offset == next);
            assert_int_equal(h.record_count, want_count[n]);
            assert_int_equal(h.last_offset_delta, want_count[n] - 1);
            assert_false(kp_batch_is_transactional(&h) || kp_batch_is_control(&h));
            if (n < 2) { /* plain kcat: no producer id */
                assert_true(h.producer_id == -1);
                assert_int_equal(h.base_sequence, -1);
            } else { /* idempotent kcat: a producer id, sequence 0 */
                assert_true(h.producer_id >= 0);
                assert_int_equal(h.producer_epoch, 0);
                assert_int_equal(h.base_sequence, 0);
            }
            next = kp_batch_last_offset(&h) + 1;
            records += h.record_count;
            n++;
        }
        assert_int_equal(it.err, KPROD_ERR_NO_ERROR);
        assert_int_equal(it.truncated, 0);
        assert_int_equal(n, 3);
        assert_int_equal(records, NRECORDS);
        assert_int_equal(next, NRECORDS);
        printf("Fetch v%d: %d batches, %lld records, %zu bytes\n", vers[v], n, (long long)records,
               fp->records_len);
        kp_fetch_resp_free(&resp);
    }
}

/* A partition byte limit that ends inside the second batch: the broker
 * sends the first batch whole and the second cut short (the limit applies
 * past the first batch), and the walk ends after the first, telling how
 * many bytes were left over. */
static void test_fetch_cut_batch(void **state) {
    (void)state;
    produce_topic();
    int16_t hi = kw_pick(&av, KP_API_FETCH);
    kp_fetch_resp resp;
    fetch(hi, 1 << 20, &resp);
    const kp_fetch_resp_partition *fp = &resp.topics[0].partitions[0];
    kp_batch_iter it;
    kp_batch_iter_init(&it, fp->records, fp->records_len, 1);
    kp_rb_header h;
    size_t first_len;
    assert_int_equal(kp_batch_iter_next(&it, &h, NULL, &first_len), 1);
    kp_fetch_resp_free(&resp);

    fetch(hi, (int32_t)first_len + 20, &resp);
    fp = &resp.topics[0].partitions[0];
    printf("Fetch with partition_max_bytes %zu: %zu bytes back\n", first_len + 20, fp->records_len);
    assert_true(fp->records_len > first_len);
    kp_batch_iter_init(&it, fp->records, fp->records_len, 1);
    assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 1);
    assert_int_equal(h.base_offset, 0);
    assert_int_equal(kp_batch_iter_next(&it, &h, NULL, NULL), 0);
    assert_int_equal(it.err, KPROD_ERR_NO_ERROR);
    assert_int_equal(it.truncated, fp->records_len - first_len);
    kp_fetch_resp_free(&resp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_accepted),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_find_coordinator),
        cmocka_unit_test(test_init_producer_id_transactional),
        cmocka_unit_test(test_list_offsets),
        cmocka_unit_test(test_fetch_walk),
        cmocka_unit_test(test_fetch_cut_batch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
