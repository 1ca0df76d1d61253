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
 * epoch. A new epoch starts a new sequence generation: a partition's state
 * and a batch's sequence from an older generation count as never set, so
 * nothing has to be walked to reset them. docs/IDEMPOTENCE.md lists each case.
 *
 * A transactional producer's id and epoch come from the transaction client
 * (txn.h) instead, which also starts every new epoch: this client then
 * asks for none, and a sequence error fails the transaction, which the
 * abort's new epoch cures.
 *
 * Thread: the sender thread only; nothing here locks. With idempotence off
 * every function is a no-op and kp_idem_ready is always true. */
#ifndef KPROD_SENDER_IDEMPOTENCE_H
#define KPROD_SENDER_IDEMPOTENCE_H

#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "sender/request.h"

/* The broker keeps the last five batches per producer and partition. */
#define KP_IDEM_MAX_INFLIGHT 5

/* A partition's sequence state. */
typedef struct kp_idem_part {
    uint32_t gen;           /* the generation the fields below belong to */
    int32_t next_seq;       /* sequence of the next new batch */
    int32_t acked_next_seq; /* sequence after the last acknowledged batch */
    int acked;              /* a batch of this partition was acknowledged */
    /* Kept across generations: the producer id of the last acknowledged
     * batch (-1 none): the partition's leader knows this producer. */
    int64_t known_pid;
} kp_idem_part;

typedef struct kp_idem {
    const kp_config *cfg;
    kp_rl *rl;
    int enabled;
    int managed;         /* transactional: the transaction client sets the producer id */
    int64_t producer_id; /* -1 until InitProducerId */
    int16_t producer_epoch;
    uint32_t gen;          /* sequence generation: one per producer id and epoch */
    int pid_inflight;      /* an InitProducerId request is out */
    int bump_needed;       /* sequences no longer trusted: bump (KIP-360) */
    const char *bump_why;  /* static text: why, for the log */
    uint64_t bumps;        /* new epochs or ids taken after a bump was needed (statistics) */
    int bump_refused;      /* a bump was refused: ask for a new producer id instead */
    int64_t retry_at_ms;   /* backoff before the next InitProducerId */
    kprod_err_t fatal_err; /* the producer cannot go on */
    char fatal_str[256];
} kp_idem;

void kp_idem_init(kp_idem *idem, const kp_config *cfg, kp_rl *rl);

/* May batches be sent: idempotence off, or a producer id and no bump due. */
int kp_idem_ready(const kp_idem *idem);
/* Sends InitProducerId when needed (a bump only once nothing of the old
 * epoch is in flight: produce_inflight 0); returns when to look again. */
int64_t kp_idem_tick(kp_idem *idem, int64_t now_ms, int produce_inflight);
/* The fatal error, once there is one (0 before). */
kprod_err_t kp_idem_fatal(const kp_idem *idem);
/* A transactional producer's id and epoch, from the transaction client
 * (InitProducerId with the transactional id, an EndTxn v5): a new
 * sequence generation. */
void kp_idem_set_producer(kp_idem *idem, int64_t producer_id, int16_t producer_epoch);

/* The decisions on one partition (part) and one batch (b). */
/* May b go now? A retry goes alone; so does every batch until the
 * partition's first acknowledgement; then up to five in flight. */
int kp_idem_may_send(const kp_idem *idem, kp_idem_part *part, int part_inflight, const kp_batch *b);
/* Gives b its sequence on its first send (or first under a new epoch). */
void kp_idem_assign_seq(const kp_idem *idem, kp_idem_part *part, kp_batch *b);
/* Is err, which the broker gave for b, one that a resend cures (the echo
 * of an earlier batch's failure, or a lost producer state)? May ask for an
 * epoch bump. */
int kp_idem_retriable(kp_idem *idem, kp_idem_part *part, const kp_batch *b, kprod_err_t err);
void kp_idem_acked(const kp_idem *idem, kp_idem_part *part, const kp_batch *b);
/* b failed for good or expired (b->err set): a gap in its partition's
 * sequences asks for a bump; INVALID_PRODUCER_EPOCH is fatal. */
void kp_idem_failed(kp_idem *idem, kp_idem_part *part, const kp_batch *b);
/* Writes the producer id, epoch and b's sequence into b's sealed bytes
 * when they changed since it was sealed (a retry under a new epoch). */
void kp_idem_stamp(const kp_idem *idem, kp_batch *b);

#endif
