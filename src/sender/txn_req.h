/* The transaction client's requests and answers: each request encoded from
 * the client's own lists, each answer decoded and checked against what was
 * asked before the client believes any of it (an answer that leaves out a
 * partition it was asked about, names an impossible coordinator or hands
 * out an impossible producer id is _BAD_MSG). No state, no I/O: the client
 * (txn.c) sends and acts; the unit tests drive these with byte vectors.
 *
 * Thread: any; nothing here is shared. */
#ifndef KPROD_SENDER_TXN_REQ_H
#define KPROD_SENDER_TXN_REQ_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"
#include "protocol/txn.h"

/* ---- FindCoordinator ---- */

kprod_err_t kp_txn_req_find(kp_buf *out, int16_t ver, int8_t key_type, const char *key);

/* A coordinator, or the error that stands for it. */
typedef struct kp_txn_coord {
    kprod_err_t err;
    int32_t node_id;
    char host[256];
    int port;
} kp_txn_coord;
/* _BAD_MSG for an answer that does not decode, is not about key (v4+), or
 * names a coordinator without a usable id, host or port. */
kprod_err_t kp_txn_resp_find(kp_rd *r, int16_t ver, const char *key, kp_txn_coord *out);

/* ---- InitProducerId ---- */

/* The producer id and epoch of a successful answer (err 0), else err set.
 * _BAD_MSG when it does not decode or names no producer on success. */
typedef struct kp_txn_pid {
    kprod_err_t err;
    int64_t producer_id;
    int16_t producer_epoch;
} kp_txn_pid;
kprod_err_t kp_txn_resp_init_pid(kp_rd *r, int16_t ver, kp_txn_pid *out);

/* ---- AddPartitionsToTxn, TxnOffsetCommit: lists by topic ---- */

/* One partition asked about: the list given to an encoder is sorted by
 * topic (same name adjacent; names compared by pointer first). */
typedef struct kp_txn_tp {
    const char *topic;
    int32_t partition;
} kp_txn_tp;

kprod_err_t kp_txn_req_add_partitions(kp_buf *out, int16_t ver, const char *txn_id,
                                      int64_t producer_id, int16_t producer_epoch,
                                      const kp_txn_tp *tps, int n);
/* errs[i] is the answer for tps[i]. _BAD_MSG when the answer does not
 * decode or leaves one of them out. */
kprod_err_t kp_txn_resp_add_partitions(kp_rd *r, int16_t ver, const kp_txn_tp *tps, int n,
                                       kprod_err_t *errs);

/* An offset to commit (topic/partition in tp, the rest in o). */
typedef struct kp_txn_off {
    kp_txn_tp tp;
    kp_txn_offset o;
} kp_txn_off;

kprod_err_t kp_txn_req_offset_commit(kp_buf *out, int16_t ver, const char *txn_id,
                                     const kp_txn_group *g, int64_t producer_id,
                                     int16_t producer_epoch, const kp_txn_off *offs, int n);
kprod_err_t kp_txn_resp_offset_commit(kp_rd *r, int16_t ver, const kp_txn_off *offs, int n,
                                      kprod_err_t *errs);

/* ---- AddOffsetsToTxn, EndTxn ---- */

/* err from the answer; for EndTxn v5 the producer id and epoch to use next
 * (-1/-1 otherwise). _BAD_MSG when it does not decode, or (v5, success)
 * names no producer. */
kprod_err_t kp_txn_resp_add_offsets(kp_rd *r, int16_t ver, kp_txn_pid *out);
kprod_err_t kp_txn_resp_end(kp_rd *r, int16_t ver, kp_txn_pid *out);

#endif
