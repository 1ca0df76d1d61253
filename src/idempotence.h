/* The idempotent producer (enable.idempotence=true): a producer id and epoch
 * from InitProducerId, and per-partition sequence numbers, so that a batch
 * resent after a lost acknowledgement is recognised by the broker and not
 * written twice. Sequences are given when a batch is first sent and kept
 * through every retry; a retried batch goes alone and first, so the broker
 * always sees a partition's sequences in order.
 *
 * When the sequence state of a partition can no longer be trusted (a batch
 * that had a sequence failed or expired, OUT_OF_ORDER_SEQUENCE_NUMBER,
 * UNKNOWN_PRODUCER_ID) the producer bumps its epoch (KIP-360): sending stops,
 * the requests in flight finish, InitProducerId is sent with the current id
 * and epoch, and every partition's sequences start again at 0 under the new
 * epoch. docs/IDEMPOTENCE.md lists each case.
 *
 * All functions run on the sender thread; *_locked ones with acc.lock held.
 * With idempotence off they do nothing (and kp_idem_ready is always true). */
#ifndef KPROD_IDEMPOTENCE_H
#define KPROD_IDEMPOTENCE_H

#include "producer.h"

/* True once batches may be sent: idempotence off, or a producer id known. */
int kp_idem_ready(const kprod_t *p);
/* Sends InitProducerId when needed; returns when to look again. */
int64_t kp_idem_maybe_init(kprod_t *p, int64_t now);
void kp_idem_handle_response(kprod_t *p, kp_conn *c, kp_inflight *req, kp_rd *r);
void kp_idem_request_failed(kprod_t *p, kp_inflight *req, kprod_err_t err);

/* May the head batch b of q go now? A retry goes alone; so does every batch
 * until the partition's first acknowledgement; then up to 5 in flight. */
int kp_idem_may_send_locked(const kprod_t *p, const kp_partq *q, const kp_batch *b);
void kp_idem_assign_seq_locked(kprod_t *p, kp_partq *q, kp_batch *b);
/* Is err, which the broker gave for b, only the echo of an earlier batch's
 * failure (so b must simply be sent again after it)? */
int kp_idem_retriable_locked(kprod_t *p, const kp_partq *q, const kp_batch *b, kprod_err_t err);
void kp_idem_acked_locked(kprod_t *p, kp_partq *q, const kp_batch *b);
void kp_idem_failed_locked(kprod_t *p, kp_partq *q, const kp_batch *b);

#endif
