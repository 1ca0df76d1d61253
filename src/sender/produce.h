/* The produce client: takes ready batches from the accumulator, decides
 * (decide.h) which may go to which leader now, builds one Produce request
 * per broker, and turns each answer into outcomes: delivered, retried after
 * a backoff, or failed, each reported exactly once.
 *
 * Thread: the sender thread only. */
#ifndef KPROD_SENDER_PRODUCE_H
#define KPROD_SENDER_PRODUCE_H

#include <stdint.h>

#include "accumulator.h"
#include "config.h"
#include "report.h"
#include "sender/idempotence.h"
#include "sender/metadata.h"
#include "sender/parts.h"
#include "sender/recovery.h"
#include "sender/request.h"
#include "sender/txn.h"

typedef struct kp_produce kp_produce;

typedef struct kp_produce_deps {
    const kp_config *cfg;
    kp_acc *acc;
    kp_reports *reports;
    kp_rl *rl;
    kp_parts *parts;
    kp_idem *idem;
    kp_md *md;
    kp_recov *recov; /* reads a partition's log back when it becomes ambiguous */
    kp_txn *txn;     /* transactions: which partitions may go, failures to tell */
} kp_produce_deps;

kp_produce *kp_produce_new(const kp_produce_deps *deps);
void kp_produce_free(kp_produce *pc);

/* One turn: settles the batches of finished log reads, drains what may go
 * (may_send 0: only expiry runs), connects the leaders wanted, writes the
 * requests. A partition whose batches may be stored unacknowledged while
 * their sequences stop counting (an epoch bump) is held and read back
 * first (sender/recovery.h). Returns when to look again. */
int64_t kp_produce_tick(kp_produce *pc, int64_t now_ms, int may_send);
/* Batches of this producer in flight. */
int kp_produce_inflight(const kp_produce *pc);
/* Fails every queued batch with err (fatal error, close). */
void kp_produce_fail_queued(kp_produce *pc, kprod_err_t err, const char *why);
/* Fails, with err and why (the reports' errstr), the queued batches that
 * broker_id's failed authentication strands: those it leads, those
 * without a leader, and with no broker ready (so no metadata and no
 * producer id either) all of them. */
void kp_produce_fail_for_broker(kp_produce *pc, int32_t broker_id, kprod_err_t err,
                                const char *why);
/* From now on every batch whose request fails is _PURGED_ON_CLOSE. */
void kp_produce_closing(kp_produce *pc);
/* While why is non-NULL (the transaction failed or is being aborted),
 * every batch whose attempt ends is reported _TXN_ABORTED with that text,
 * delivered or not; the sender sets it each turn (kp_txn_abort_why). */
void kp_produce_txn_aborting(kp_produce *pc, const char *why);

#endif
