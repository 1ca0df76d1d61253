/* The transaction codecs on the wire against the real broker, through a
 * plain socket (wire.h), nothing of the sender: a whole transaction by
 * hand. FindCoordinator, InitProducerId with a transactional id,
 * AddPartitionsToTxn, one transactional batch made by the record batch
 * writer and sent with the Produce encoder, AddOffsetsToTxn and
 * TxnOffsetCommit for a consumer group, EndTxn commit; then a second
 * transaction that EndTxn aborts. An independent consumer (kcat,
 * read_committed) sees the committed records and not the aborted one,
 * Kafka's own group tool sees the committed offset, and a read_committed
 * Fetch walks the data and marker batches and lists the aborted
 * transaction. */
#include "testutil.h"

#include "wire.h"

#include "protocol/batch_iter.h"
#include "protocol/fetch.h"
#include "protocol/find_coordinator.h"
#include "protocol/init_producer_id.h"
#include "protocol/produce.h"
#include "protocol/record_batch.h"
#include "protocol/txn.h"

static kw_conn leader; /* the single test broker: partition leader */
static kw_conn txn_coord, group_coord;
static kp_api_versions_resp av;
static char topic[128], txn_id[128], group_id[128];
static int64_t pid;
static int16_t epoch;
static int32_t next_seq;
static int oldest; /* use the lowest version kprod speaks of each API */

/* The version of key for this run: the highest both sides speak, or our
 * lowest (asserted to be one the broker takes). */
static int16_t ver_for(int16_t key) {
    int16_t lo, hi;
    assert_int_equal(kp_proto_our_range(key, &lo, &hi), 0);
    const kp_api_version_range *b = kp_api_versions_find(&av, key);
    assert_non_null(b);
    assert_true(lo >= b->min_version);
    return oldest ? lo : kw_pick(&av, key);
}

/* Connects c to the coordinator of key. */
static void connect_coordinator(int8_t type, const char *key, kw_conn *c) {
    const char *keys[] = {key};
    kp_find_coordinator_resp fc;
    kw_find_coordinator(&leader, ver_for(KP_API_FIND_COORDINATOR), type, keys, 1, &fc);
    assert_int_equal(fc.count, 1);
    char hp[300];
    snprintf(hp, sizeof(hp), "%s:%d", fc.coordinators[0].host, fc.coordinators[0].port);
    kw_connect(c, hp);
    kp_find_coordinator_resp_free(&fc);
}

static int setup(void **state) {
    (void)state;
    kw_connect(&leader, kpt_brokers());
    kw_api_versions(&leader, &av);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    kp_api_versions_resp_free(&av);
    kw_close(&leader);
    return 0;
}

/* Each run: its own topic, transactional id and group, and connections to
 * their coordinators, found at the run's FindCoordinator version. */
static void run_setup(int use_oldest) {
    oldest = use_oldest;
    kpt_unique_topic(topic, sizeof(topic), "kprod-txn-live");
    kpt_unique_topic(txn_id, sizeof(txn_id), "kprod-txn-live-id");
    kpt_unique_topic(group_id, sizeof(group_id), "kprod-txn-live-group");
    kpt_create_topic(topic, 1, 1);
    connect_coordinator(KP_COORD_TRANSACTION, txn_id, &txn_coord);
    connect_coordinator(KP_COORD_GROUP, group_id, &group_coord);
}

static int setup_newest(void **state) {
    (void)state;
    run_setup(0);
    return 0;
}

static int setup_oldest(void **state) {
    (void)state;
    run_setup(1);
    return 0;
}

static int run_teardown(void **state) {
    (void)state;
    kw_close(&group_coord);
    kw_close(&txn_coord);
    return 0;
}

/* ---- the steps ---- */

static void init_producer_id(void) {
    int16_t ver = ver_for(KP_API_INIT_PRODUCER_ID);
    int64_t deadline = kpt_now_ms() + 30000;
    kp_init_producer_id_resp resp;
    do {
        kp_buf *b = kw_begin(&txn_coord, KP_API_INIT_PRODUCER_ID, ver);
        assert_int_equal(kp_init_producer_id_req_encode(b, ver, txn_id, 60000, -1, -1),
                         KPROD_ERR_NO_ERROR);
        kp_rd r;
        kw_call(&txn_coord, &r);
        assert_int_equal(kp_init_producer_id_resp_decode(&r, ver, &resp), KPROD_ERR_NO_ERROR);
    } while (kw_retry(resp.error_code, deadline, "InitProducerId"));
    pid = resp.producer_id;
    epoch = resp.producer_epoch;
    next_seq = 0;
}

/* The error of the one partition (0 of our topic) an answer is about;
 * frees the answer. */
static int16_t only_partition_error(kp_rd *r, kp_txn_partitions_resp *resp) {
    assert_int_equal(kp_rd_remaining(r), 0);
    assert_int_equal(resp->topic_count, 1);
    assert_string_equal(resp->topics[0].topic, topic);
    assert_int_equal(resp->topics[0].partition_count, 1);
    assert_int_equal(resp->topics[0].partitions[0].partition, 0);
    int16_t e = resp->topics[0].partitions[0].error_code;
    kp_txn_partitions_resp_free(resp);
    return e;
}

static void add_partition(void) {
    int16_t ver = ver_for(KP_API_ADD_PARTITIONS_TO_TXN);
    int32_t part = 0;
    kp_txn_topic_partitions tp = {.topic = topic, .partitions = &part, .partition_count = 1};
    int64_t deadline = kpt_now_ms() + 30000;
    int16_t e;
    do {
        kp_buf *b = kw_begin(&txn_coord, KP_API_ADD_PARTITIONS_TO_TXN, ver);
        assert_int_equal(kp_add_partitions_to_txn_req_encode(b, ver, txn_id, pid, epoch, &tp, 1),
                         KPROD_ERR_NO_ERROR);
        kp_rd r;
        kw_call(&txn_coord, &r);
        kp_txn_partitions_resp resp;
        assert_int_equal(kp_add_partitions_to_txn_resp_decode(&r, ver, &resp), KPROD_ERR_NO_ERROR);
        e = only_partition_error(&r, &resp);
    } while (kw_retry(e, deadline, "AddPartitionsToTxn"));
}

/* One transactional batch of n records "<prefix>-<i>" to partition 0;
 * returns its base offset. */
static int64_t produce(const char *prefix, int n) {
    kp_rb_writer w;
    kp_rb_writer_init(&w, 0);
    for (int i = 0; i < n; i++) {
        char v[64];
        int len = snprintf(v, sizeof(v), "%s-%d", prefix, i);
        assert_int_equal(kp_rb_append(&w, 1700000000000LL + i, NULL, -1, v, len, NULL, 0), 0);
    }
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    o.producer_id = pid;
    o.producer_epoch = epoch;
    o.base_sequence = next_seq;
    o.is_transactional = 1;
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR_NO_ERROR);
    next_seq += n;

    int16_t ver = ver_for(KP_API_PRODUCE);
    kp_buf *b = kw_begin(&leader, KP_API_PRODUCE, ver);
    kp_produce_req_writer pw;
    assert_int_equal(kp_produce_req_begin(&pw, b, ver, txn_id, -1, 30000, 1), KPROD_ERR_NO_ERROR);
    kp_produce_req_topic(&pw, topic, 1);
    kp_produce_req_partition(&pw, 0, w.buf.data, w.buf.len);
    assert_int_equal(kp_produce_req_end(&pw), KPROD_ERR_NO_ERROR);
    kp_rb_writer_free(&w);
    kp_rd r;
    kw_call(&leader, &r);
    kp_produce_resp resp;
    assert_int_equal(kp_produce_resp_decode(&r, ver, &resp), KPROD_ERR_NO_ERROR);
    assert_int_equal(resp.topic_count, 1);
    assert_int_equal(resp.topics[0].partition_count, 1);
    const kp_produce_resp_partition *p = &resp.topics[0].partitions[0];
    if (p->error_code)
        fail_msg("Produce v%d (transactional): error %d", ver, p->error_code);
    int64_t base = p->base_offset;
    kp_produce_resp_free(&resp);
    return base;
}

static void add_offsets_and_commit(int64_t offset) {
    int16_t ver = ver_for(KP_API_ADD_OFFSETS_TO_TXN);
    int64_t deadline = kpt_now_ms() + 30000;
    kp_txn_resp resp;
    do {
        kp_buf *b = kw_begin(&txn_coord, KP_API_ADD_OFFSETS_TO_TXN, ver);
        assert_int_equal(kp_add_offsets_to_txn_req_encode(b, ver, txn_id, pid, epoch, group_id),
                         KPROD_ERR_NO_ERROR);
        kp_rd r;
        kw_call(&txn_coord, &r);
        assert_int_equal(kp_add_offsets_to_txn_resp_decode(&r, ver, &resp), KPROD_ERR_NO_ERROR);
        assert_int_equal(kp_rd_remaining(&r), 0);
    } while (kw_retry(resp.error_code, deadline, "AddOffsetsToTxn"));

    ver = ver_for(KP_API_TXN_OFFSET_COMMIT);
    kp_txn_offset o = {.partition = 0, .offset = offset, .leader_epoch = -1, .metadata = "kprod"};
    kp_txn_offset_topic t = {.topic = topic, .partitions = &o, .partition_count = 1};
    /* A producer outside the group: no generation, no member (as the Java
     * producer's sendOffsetsToTransaction(offsets, groupId)). */
    kp_txn_group g = {.group_id = group_id, .generation_id = -1};
    int16_t e;
    do {
        kp_buf *b = kw_begin(&group_coord, KP_API_TXN_OFFSET_COMMIT, ver);
        assert_int_equal(kp_txn_offset_commit_req_encode(b, ver, txn_id, &g, pid, epoch, &t, 1),
                         KPROD_ERR_NO_ERROR);
        kp_rd r;
        kw_call(&group_coord, &r);
        kp_txn_partitions_resp resp2;
        assert_int_equal(kp_txn_offset_commit_resp_decode(&r, ver, &resp2), KPROD_ERR_NO_ERROR);
        e = only_partition_error(&r, &resp2);
    } while (kw_retry(e, deadline, "TxnOffsetCommit"));
}

/* Commits or aborts; with EndTxn v5 (Transactions V2) the coordinator
 * answers with the epoch to use next, and sequences start over. */
static void end_txn(int commit) {
    int16_t ver = ver_for(KP_API_END_TXN);
    int64_t deadline = kpt_now_ms() + 30000;
    kp_txn_resp resp;
    do {
        kp_buf *b = kw_begin(&txn_coord, KP_API_END_TXN, ver);
        assert_int_equal(kp_end_txn_req_encode(b, ver, txn_id, pid, epoch, commit),
                         KPROD_ERR_NO_ERROR);
        kp_rd r;
        kw_call(&txn_coord, &r);
        assert_int_equal(kp_end_txn_resp_decode(&r, ver, &resp), KPROD_ERR_NO_ERROR);
        assert_int_equal(kp_rd_remaining(&r), 0);
    } while (kw_retry(resp.error_code, deadline, "EndTxn"));
    printf("EndTxn v%d %s: producer id %lld epoch %d -> id %lld epoch %d\n", ver,
           commit ? "commit" : "abort", (long long)pid, epoch, (long long)resp.producer_id,
           resp.producer_epoch);
    if (ver >= 5) {
        assert_true(resp.producer_id >= 0);
        pid = resp.producer_id;
        epoch = resp.producer_epoch;
        next_seq = 0;
    }
}

/* ---- checks with independent tools ---- */

/* Values kcat reads from partition 0 at an isolation level, to the end,
 * as "offset:value" lines. */
static void kcat_read(const char *isolation, char *out, size_t cap) {
    int rc = kpt_sh(out, cap,
                    "timeout 30 kcat -C -q -b '%s' -t '%s' -p 0 -o beginning -e "
                    "-X isolation.level=%s -f '%%o:%%s\\n' 2>&1",
                    kpt_brokers(), topic, isolation);
    if (rc != 0)
        fail_msg("kcat -C (%s) failed (%d): %s", isolation, rc, out);
}

static void group_offset_is(int64_t want) {
    char out[8192], pat[256];
    int rc = kpt_sh(out, sizeof(out),
                    "bash '%s/scripts/kafka.sh' run "
                    "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "
                    "--bootstrap-server '%s' --describe --group '%s' 2>&1",
                    kpt_src_dir(), kpt_brokers(), group_id);
    if (rc != 0)
        fail_msg("ConsumerGroupCommand failed (%d): %s", rc, out);
    /* GROUP TOPIC PARTITION CURRENT-OFFSET ... */
    snprintf(pat, sizeof(pat), "%s %s 0 %lld ", group_id, topic, (long long)want);
    char *norm = out; /* squeeze runs of blanks to one space */
    size_t j = 0;
    for (size_t i = 0; out[i]; i++)
        if (!(out[i] == ' ' && j > 0 && norm[j - 1] == ' '))
            norm[j++] = out[i];
    norm[j] = '\0';
    if (!strstr(norm, pat))
        fail_msg("group %s: no committed offset %lld in:\n%s", group_id, (long long)want, norm);
}

/* A read_committed Fetch of partition 0 from offset (with topic names:
 * at most v12); returns the partition's answer, valid until
 * kp_fetch_resp_free(out). */
static const kp_fetch_resp_partition *fetch_committed(int64_t offset, kp_fetch_resp *out) {
    int16_t ver = kw_pick(&av, KP_API_FETCH);
    if (ver > 12)
        ver = 12;
    kp_fetch_req_partition fp = {.partition = 0,
                                 .current_leader_epoch = -1,
                                 .fetch_offset = offset,
                                 .last_fetched_epoch = -1,
                                 .partition_max_bytes = 1 << 20};
    kp_fetch_req_topic ft = {.topic = topic, .partitions = &fp, .partition_count = 1};
    kp_fetch_req req = {.max_wait_ms = 100,
                        .min_bytes = 1,
                        .max_bytes = 1 << 20,
                        .isolation_level = KP_READ_COMMITTED,
                        .topics = &ft,
                        .topic_count = 1};
    kp_buf *b = kw_begin(&leader, KP_API_FETCH, ver);
    assert_int_equal(kp_fetch_req_encode(b, ver, &req), KPROD_ERR_NO_ERROR);
    kp_rd r;
    kw_call(&leader, &r);
    assert_int_equal(kp_fetch_resp_decode(&r, ver, out), KPROD_ERR_NO_ERROR);
    assert_int_equal(kp_rd_remaining(&r), 0);
    assert_int_equal(out->topic_count, 1);
    assert_int_equal(out->topics[0].partition_count, 1);
    assert_int_equal(out->topics[0].partitions[0].error_code, 0);
    return &out->topics[0].partitions[0];
}

/* ---- the test ---- */

static void commit_then_abort(void) {
    printf("versions: FindCoordinator v%d InitProducerId v%d AddPartitionsToTxn v%d Produce v%d "
           "AddOffsetsToTxn v%d TxnOffsetCommit v%d EndTxn v%d\n",
           ver_for(KP_API_FIND_COORDINATOR), ver_for(KP_API_INIT_PRODUCER_ID),
           ver_for(KP_API_ADD_PARTITIONS_TO_TXN), ver_for(KP_API_PRODUCE),
           ver_for(KP_API_ADD_OFFSETS_TO_TXN), ver_for(KP_API_TXN_OFFSET_COMMIT),
           ver_for(KP_API_END_TXN));
    init_producer_id();
    printf("InitProducerId %s: id %lld epoch %d\n", txn_id, (long long)pid, epoch);
    int64_t first_pid = pid;

    /* 1: two records and a consumer offset, committed. */
    add_partition();
    int16_t epoch1 = epoch;
    int64_t base1 = produce("commit", 2);
    assert_int_equal(base1, 0);
    add_offsets_and_commit(42);
    end_txn(1);

    /* 2: one record, aborted. */
    add_partition();
    int16_t epoch2 = epoch;
    int64_t base2 = produce("abort", 1);
    assert_int_equal(base2, 3); /* after the two records and the commit marker */
    end_txn(0);

    char out[4096];
    kcat_read("read_committed", out, sizeof(out));
    assert_string_equal(out, "0:commit-0\n1:commit-1\n");
    kcat_read("read_uncommitted", out, sizeof(out));
    assert_string_equal(out, "0:commit-0\n1:commit-1\n3:abort-0\n");
    group_offset_is(42);

    /* Read back with read_committed Fetch requests from offset 0 to the
     * end: data, commit marker, data, abort marker, and the aborted
     * transaction listed. (The broker may answer with fewer batches than
     * fit: each request starts after the last batch walked.) */
    static const struct {
        int64_t base;
        int32_t count;
        int control;
    } want[] = {{0, 2, 0}, {2, 1, 1}, {3, 1, 0}, {4, 1, 1}};
    int n = 0, aborted = 0, fetches = 0;
    int64_t next = 0;
    while (next < 5) {
        assert_true(++fetches <= 5);
        kp_fetch_resp resp;
        const kp_fetch_resp_partition *p = fetch_committed(next, &resp);
        assert_int_equal(p->high_watermark, 5);
        assert_int_equal(p->last_stable_offset, 5);
        for (int32_t i = 0; i < p->aborted_count; i++) {
            assert_true(p->aborted[i].producer_id == first_pid);
            assert_int_equal(p->aborted[i].first_offset, 3);
            aborted++;
        }
        kp_batch_iter it;
        kp_batch_iter_init(&it, p->records, p->records_len, 1);
        kp_rb_header h;
        while (kp_batch_iter_next(&it, &h, NULL, NULL) == 1) {
            assert_true(n < 4);
            assert_true(h.base_offset == want[n].base);
            assert_int_equal(h.record_count, want[n].count);
            assert_int_equal(kp_batch_is_control(&h), want[n].control);
            assert_true(kp_batch_is_transactional(&h));
            assert_true(h.producer_id == first_pid);
            /* Data batches carry the epoch they were sent with; a marker
             * the coordinator's (bumped by EndTxn v5, KIP-890). */
            int16_t sent = n < 2 ? epoch1 : epoch2;
            if (want[n].control)
                assert_true(h.producer_epoch >= sent);
            else
                assert_int_equal(h.producer_epoch, sent);
            next = kp_batch_last_offset(&h) + 1;
            n++;
        }
        assert_int_equal(it.err, KPROD_ERR_NO_ERROR);
        kp_fetch_resp_free(&resp);
    }
    assert_int_equal(n, 4);
    assert_true(aborted >= 1);
    printf("Fetch read_committed (%d requests): 4 batches (2 markers), aborted txn of %lld at 3\n",
           fetches, (long long)first_pid);
}

/* Every API at the highest version both sides speak (Transactions V2's
 * EndTxn v5 on Kafka 4.x). */
static void test_newest_versions(void **state) {
    (void)state;
    commit_then_abort();
}

/* Every API at the lowest version kprod speaks (the classic encodings). */
static void test_oldest_versions(void **state) {
    (void)state;
    commit_then_abort();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_newest_versions, setup_newest, run_teardown),
        cmocka_unit_test_setup_teardown(test_oldest_versions, setup_oldest, run_teardown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
