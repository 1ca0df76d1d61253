/* The sender's own table of partitions: per topic id (the accumulator's
 * dense numbering) and partition, the leader, the batches in flight and
 * the idempotence sequence state. Filled by the metadata client, read and
 * written by the produce client (and the transaction client's mark).
 *
 * Thread: the sender thread only; nothing here locks. */
#ifndef KPROD_SENDER_PARTS_H
#define KPROD_SENDER_PARTS_H

#include <stdint.h>

#include "hist.h"
#include "kprod.h"
#include "sender/idempotence.h"
#include "sender/recover_decide.h"
#include "sender/request.h"

/* What the produce client did with a partition, for the statistics. */
typedef struct kp_part_counters {
    uint64_t batches_sent, records_sent, bytes_sent; /* attempts written */
    uint64_t bytes_raw;                              /* their records uncompressed */
    uint64_t records_acked, bytes_acked, records_failed, batches_retried;
    kp_hist *latency; /* first record to acknowledgement, us; made at the first ack */
} kp_part_counters;

typedef struct kp_spart {
    int32_t leader; /* broker id, -1 unknown */
    int32_t leader_epoch;
    kp_broker *leader_broker; /* cache: valid while leader_gen is the layer's */
    uint64_t leader_gen;
    int inflight;                /* batches of this partition in flight */
    int64_t leaderless_since_ms; /* metadata first named no leader; 0 while it has one */
    int leaderless_warned;
    kp_part_counters cnt;
    kp_idem_part idem;
    kp_recov_part recov; /* reading the log back when it became ambiguous */
    uint32_t txn_gen;    /* the transaction client's generation this partition joined (0 none) */
    int32_t txn_ix;      /* its entry in the client's list, valid while txn_gen is current */
} kp_spart;

typedef struct kp_stopic {
    int32_t count;
    kp_spart *parts;
    kprod_err_t warned_err; /* the topic error last logged as a warning, 0 none */
    uint8_t uuid[16];       /* the topic id (Metadata v10+), zeros when unknown */
} kp_stopic;

typedef struct kp_parts {
    kp_stopic *topics; /* by topic id */
    uint32_t ntopics;
} kp_parts;

/* The partition's entry, NULL when metadata has not named it yet. */
kp_spart *kp_parts_get(kp_parts *pt, uint32_t topic_id, int32_t partition);
/* Makes room for count partitions of the topic (never shrinks; 0 only
 * makes the topic's entry); new ones have no leader. _NO_MEMORY or 0. */
kprod_err_t kp_parts_grow(kp_parts *pt, uint32_t topic_id, int32_t count);
void kp_parts_free(kp_parts *pt);

#endif
