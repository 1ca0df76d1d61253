/* The transaction client's checks of coordinator answers
 * (src/sender/txn_req.c): input byte 0 picks the answer (its value mod 6:
 * FindCoordinator v1..6, InitProducerId v0..5, AddPartitionsToTxn v0..3,
 * TxnOffsetCommit v0..5, AddOffsetsToTxn v0..4, EndTxn v0..5) and, with its
 * value / 6, the version; the rest is the body. The client asked about
 * partitions 0 and 5 of topic "t" (and key "tx"). Whatever the bytes: an
 * answer is believed only when every partition asked about is answered,
 * a coordinator only with an id, a host and a port, a producer only with
 * an id and an epoch; on _BAD_MSG nothing was taken. */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "sender/txn_req.h"

static const kp_txn_tp asked[] = {{"t", 0}, {"t", 5}};

static void partitions(kp_rd *r, int offset_commit, int16_t version) {
    kprod_err_t errs[2] = {-9999, -9999};
    kprod_err_t err;
    if (offset_commit) {
        kp_txn_off offs[2] = {{asked[0], {0, 1, -1, NULL}}, {asked[1], {5, 1, -1, NULL}}};
        err = kp_txn_resp_offset_commit(r, version, offs, 2, errs);
    } else {
        err = kp_txn_resp_add_partitions(r, version, asked, 2, errs);
    }
    KPF_CHECK(err == KPROD_ERR_NO_ERROR || err == KPROD_ERR__BAD_MSG ||
              err == KPROD_ERR__NO_MEMORY);
    if (!err)
        KPF_CHECK(errs[0] != -9999 && errs[1] != -9999); /* both answered */
}

static void producer(kp_rd *r, int api, int16_t version) {
    kp_txn_pid pid;
    kprod_err_t err = api == 1   ? kp_txn_resp_init_pid(r, version, &pid)
                      : api == 4 ? kp_txn_resp_add_offsets(r, version, &pid)
                                 : kp_txn_resp_end(r, version, &pid);
    KPF_CHECK(err == KPROD_ERR_NO_ERROR || err == KPROD_ERR__BAD_MSG);
    if (err)
        return;
    if (api == 1 && !pid.err)
        KPF_CHECK(pid.producer_id >= 0 && pid.producer_epoch >= 0);
    if (api == 5 && !pid.err && version >= 5)
        KPF_CHECK(pid.producer_id >= 0 && pid.producer_epoch >= 0);
    if (api == 4 || (api == 5 && version < 5))
        KPF_CHECK(pid.producer_id == -1);
}

static void coordinator(kp_rd *r, int16_t version) {
    kp_txn_coord co;
    kprod_err_t err = kp_txn_resp_find(r, version, "tx", &co);
    KPF_CHECK(err == KPROD_ERR_NO_ERROR || err == KPROD_ERR__BAD_MSG);
    if (!err && !co.err) {
        KPF_CHECK(co.node_id >= 0 && co.port > 0 && co.port <= 65535);
        KPF_CHECK(co.host[0] && strlen(co.host) < sizeof(co.host));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    uint8_t v = (uint8_t)(data[0] / 6);
    switch (data[0] % 6) {
    case 0:
        coordinator(&r, kpf_version(v, KP_FIND_COORDINATOR_MIN_VER, KP_FIND_COORDINATOR_MAX_VER));
        break;
    case 1:
        producer(&r, 1, kpf_version(v, KP_INIT_PRODUCER_ID_MIN_VER, KP_INIT_PRODUCER_ID_MAX_VER));
        break;
    case 2:
        partitions(
            &r, 0,
            kpf_version(v, KP_ADD_PARTITIONS_TO_TXN_MIN_VER, KP_ADD_PARTITIONS_TO_TXN_MAX_VER));
        break;
    case 3:
        partitions(&r, 1,
                   kpf_version(v, KP_TXN_OFFSET_COMMIT_MIN_VER, KP_TXN_OFFSET_COMMIT_MAX_VER));
        break;
    case 4:
        producer(&r, 4,
                 kpf_version(v, KP_ADD_OFFSETS_TO_TXN_MIN_VER, KP_ADD_OFFSETS_TO_TXN_MAX_VER));
        break;
    default:
        producer(&r, 5, kpf_version(v, KP_END_TXN_MIN_VER, KP_END_TXN_MAX_VER));
        break;
    }
    return 0;
}
