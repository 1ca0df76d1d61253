/* The transaction coordinator answers (src/protocol/txn.c): input byte 0
 * picks the decoder (its value mod 4: AddPartitionsToTxn v0..3,
 * TxnOffsetCommit v0..5, AddOffsetsToTxn v0..4, EndTxn v0..5) and, with
 * its value / 4, the version; the rest is the body. The per-partition
 * answers own NUL-terminated topic names and arrays matching their counts;
 * nothing is left on error; EndTxn's producer fields are -1 before v5. */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "protocol/txn.h"

static void partitions(kp_rd *r, int offset_commit, int16_t version) {
    kp_txn_partitions_resp resp;
    kprod_err_t err = offset_commit ? kp_txn_offset_commit_resp_decode(r, version, &resp)
                                    : kp_add_partitions_to_txn_resp_decode(r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
        KPF_CHECK(resp.topics == NULL && resp.topic_count == 0);
        return;
    }
    KPF_CHECK(resp.topic_count >= 0 && (resp.topic_count == 0) == (resp.topics == NULL));
    for (int32_t i = 0; i < resp.topic_count; i++) {
        const kp_txn_topic_result *t = &resp.topics[i];
        KPF_CHECK(t->topic != NULL);
        kpf_touch_str(t->topic);
        KPF_CHECK(t->partition_count >= 0 && (t->partition_count == 0) == (t->partitions == NULL));
        if (t->partition_count)
            kpf_touch(t->partitions, (size_t)t->partition_count * sizeof(*t->partitions));
    }
    kp_txn_partitions_resp_free(&resp);
    KPF_CHECK(resp.topics == NULL);
}

static void simple(kp_rd *r, int end_txn, int16_t version) {
    kp_txn_resp resp;
    kprod_err_t err = end_txn ? kp_end_txn_resp_decode(r, version, &resp)
                              : kp_add_offsets_to_txn_resp_decode(r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG);
        KPF_CHECK(resp.producer_id == 0 && resp.producer_epoch == 0 && resp.error_code == 0);
        return;
    }
    if (!end_txn || version < 5)
        KPF_CHECK(resp.producer_id == -1 && resp.producer_epoch == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    uint8_t v = (uint8_t)(data[0] / 4);
    switch (data[0] % 4) {
    case 0:
        partitions(
            &r, 0,
            kpf_version(v, KP_ADD_PARTITIONS_TO_TXN_MIN_VER, KP_ADD_PARTITIONS_TO_TXN_MAX_VER));
        break;
    case 1:
        partitions(&r, 1,
                   kpf_version(v, KP_TXN_OFFSET_COMMIT_MIN_VER, KP_TXN_OFFSET_COMMIT_MAX_VER));
        break;
    case 2:
        simple(&r, 0, kpf_version(v, KP_ADD_OFFSETS_TO_TXN_MIN_VER, KP_ADD_OFFSETS_TO_TXN_MAX_VER));
        break;
    default:
        simple(&r, 1, kpf_version(v, KP_END_TXN_MIN_VER, KP_END_TXN_MAX_VER));
        break;
    }
    return 0;
}
