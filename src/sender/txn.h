/* The transaction client: a client of the request layer with its own state,
 * for a producer with transactional.id. It finds the transaction and group
 * coordinators (FindCoordinator), gets the producer id and epoch
 * (InitProducerId with the transactional id), adds partitions and offsets
 * to the open transaction (AddPartitionsToTxn, AddOffsetsToTxn: the
 * classic protocol only), commits offsets (TxnOffsetCommit) and ends the
 * transaction (EndTxn). With Transactions V2 (KIP-890, the cluster
 * finalizes transaction.version >= 2 and speaks Produce v12, EndTxn v5,
 * TxnOffsetCommit v5) partitions join through Produce and every EndTxn
 * hands out the next epoch. docs/TRANSACTIONS.md explains the states.
 *
 * Two sides:
 * - Application threads (the kprod_txn_* calls, kprod_send's gate) change
 *   the state and hand one operation at a time to the sender thread under
 *   the client's own lock, then wait (as kp_md_get does).
 * - The sender thread runs the operations (kp_txn_tick), answers the
 *   produce client's question whether a partition may be sent now, and
 *   hears of failed records. The client never calls the produce client:
 *   the sender loop purges the queues when kp_txn_abort_why says so.
 *
 * With transactional.id unset every function is a no-op (the client then
 * exists, but answers "no transactions"). */
#ifndef KPROD_SENDER_TXN_H
#define KPROD_SENDER_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kprod.h"
#include "sender/idempotence.h"
#include "sender/parts.h"
#include "sender/request.h"
#include "sender/txn_decide.h"

typedef struct kp_txn kp_txn;

typedef struct kp_txn_deps {
    const kp_config *cfg;
    kp_rl *rl;
    kp_idem *idem; /* the producer id and sequences the client sets */
    kp_parts *parts;
    void (*wake)(void *); /* wakes the sender thread for a new operation */
    void *wake_opaque;
} kp_txn_deps;

/* NULL when out of memory. */
kp_txn *kp_txn_new(const kp_txn_deps *deps);
void kp_txn_free(kp_txn *t);
int kp_txn_enabled(const kp_txn *t);

/* ---- application threads ---- */

/* kprod_send's gate: 0 when a record may go in now (then kp_txn_send_leave
 * once it is appended or refused), else the error (nothing to leave).
 * Lock-free: two atomic operations per send. */
kprod_err_t kp_txn_send_enter(kp_txn *t);
void kp_txn_send_leave(kp_txn *t);

/* Starts a transaction call: refuses a second one at a time (_STATE),
 * applies the state rules (txn_decide.h) and moves the state. *resume is
 * set when an earlier call of the same kind timed out and is picked up
 * again. On error (the text in why) the call is over: no kp_txn_leave. */
kprod_err_t kp_txn_enter(kp_txn *t, kp_txn_call call, int *resume, char *why, size_t why_size);
/* Ends the call begun with kp_txn_enter. */
void kp_txn_leave(kp_txn *t);
/* Waits until no kprod_send is between kp_txn_send_enter and leave (the
 * state no longer lets new ones in). _TIMED_OUT at deadline_ms. */
kprod_err_t kp_txn_wait_senders(kp_txn *t, int64_t deadline_ms);
/* Has the commit been handed to the sender (the flush is done)? */
int kp_txn_commit_handed(kp_txn *t);

/* An operation for the sender thread. */
typedef enum kp_txn_op_kind {
    KP_TXN_OP_NONE,
    KP_TXN_OP_INIT,
    KP_TXN_OP_OFFSETS,
    KP_TXN_OP_COMMIT,
    KP_TXN_OP_ABORT,
} kp_txn_op_kind;

/* The offsets of kprod_txn_send_offsets, copied (kp_txn_offsets_new). */
typedef struct kp_txn_offsets kp_txn_offsets;
/* Copies and sorts the caller's offsets; _INVALID_ARG (why says which)
 * or _NO_MEMORY. */
kprod_err_t kp_txn_offsets_new(const kprod_txn_offset_t *offsets, size_t count,
                               const kprod_txn_group_t *group, kp_txn_offsets **out, char *why,
                               size_t why_size);
void kp_txn_offsets_free(kp_txn_offsets *o);

/* Hands kind to the sender (offs, for OFFSETS, is taken in any case) and
 * waits for its outcome until deadline_ms: the operation's error with its
 * text in why, or _TIMED_OUT while it goes on (the next call of the same
 * kind waits for it again; another kind waits for it to end first). */
kprod_err_t kp_txn_run(kp_txn *t, kp_txn_op_kind kind, kp_txn_offsets *offs, int64_t deadline_ms,
                       char *why, size_t why_size);

/* ---- the sender thread ---- */

/* Runs the current operation and the partition additions; returns when to
 * look again. produce_inflight: the produce client's batches in flight
 * (commit and abort wait for them). */
int64_t kp_txn_tick(kp_txn *t, int64_t now_ms, int produce_inflight);
/* May a batch of partition sp (topic, topic_id) go now? Always with the
 * classic protocol once the partition joined the transaction; the first
 * question about a partition asks the coordinator to add it. Called from
 * the produce client's drain callback (under the accumulator's lock). */
int kp_txn_may_send(kp_txn *t, kp_spart *sp, const char *topic, uint32_t topic_id,
                    int32_t partition);
/* A batch of the transaction was written to a broker. */
void kp_txn_batch_written(kp_txn *t);
/* A record of the transaction failed for good: the transaction fails. */
void kp_txn_record_failed(kp_txn *t, kprod_err_t err, const char *why);
/* Non-NULL while the open transaction failed or is being aborted: queued
 * records must be failed with _TXN_ABORTED and this text, and finished
 * ones reported so. */
const char *kp_txn_abort_why(kp_txn *t);
/* The Produce version to use on a broker that speaks up to broker_max
 * (the classic protocol must not use v12, which joins partitions). */
int16_t kp_txn_produce_version(const kp_txn *t, int16_t broker_max);
/* The transactional id for Produce requests (NULL: none). */
const char *kp_txn_id(const kp_txn *t);
/* The fatal error (0 none) and its text. */
kprod_err_t kp_txn_fatal(const kp_txn *t);
const char *kp_txn_fatal_str(const kp_txn *t);
/* The same from any thread (under the client's lock), the text copied:
 * a call that just returned the fatal error finds it here at once. */
kprod_err_t kp_txn_fatal_copy(kp_txn *t, char *why, size_t why_size);
/* Another part of the sender hit a fatal error: the client stops too, and
 * a waiting call returns err. */
void kp_txn_set_fatal(kp_txn *t, kprod_err_t err, const char *why);
/* The producer closes: a waiting call returns _CLOSED, later ones too. */
void kp_txn_close(kp_txn *t);

/* For the statistics (sender thread). */
typedef struct kp_txn_counts {
    kp_txn_state state;
    int protocol; /* 2: Transactions V2, 1: the classic one, 0: not known yet */
    uint64_t committed, aborted;
} kp_txn_counts;
void kp_txn_counts_get(kp_txn *t, kp_txn_counts *out);

#endif
