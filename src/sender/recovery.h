/* The recovery reader: a client of the request layer that reads a
 * partition's log back from its leader when the produce client finds the
 * partition ambiguous (batches that may be stored unacknowledged, whose
 * sequences are about to stop counting: see recover_decide.h and
 * docs/IDEMPOTENCE.md). It learns the leader's log end (ListOffsets as
 * Kafka's debugging replica), fetches from where the partition's
 * acknowledged batches end up to there, waiting until the high watermark
 * covers it, and collects the headers of the producer's batches on the
 * way (nothing is decompressed).
 *
 * Nothing is read unless the produce client asks (kp_recov_want). A read
 * never calls back: when it is finished it waits in a list until the
 * produce client takes it (kp_recov_take_done) and settles the batches.
 * A read has no deadline of its own: the produce client cancels it when
 * the batches it was for have expired (delivery.timeout.ms).
 *
 * Thread: the sender thread only; nothing here locks. */
#ifndef KPROD_SENDER_RECOVERY_H
#define KPROD_SENDER_RECOVERY_H

#include <stdint.h>

#include "config.h"
#include "kprod.h"
#include "sender/metadata.h"
#include "sender/parts.h"
#include "sender/recover_decide.h"
#include "sender/request.h"

typedef struct kp_recov kp_recov;

typedef struct kp_recov_deps {
    const kp_config *cfg;
    kp_rl *rl;
    kp_parts *parts;
    kp_md *md;
} kp_recov_deps;

/* What to read: the partition, the producer whose batches are wanted (the
 * generation's id and epoch) with their sequence span, where to start
 * (-1: the log start). */
typedef struct kp_recov_ask {
    uint32_t topic_id;
    const char *topic; /* lives as long as the accumulator */
    int32_t partition;
    uint32_t gen;
    int64_t pid;
    int16_t epoch;
    int32_t lo_seq, hi_seq;
    int64_t start;
} kp_recov_ask;

/* One read. The produce client looks at ask, found and err/why once it is
 * done; the rest is the reader's. */
typedef struct kp_recov_job {
    kp_recov_ask ask;
    kp_recov_progress pr;
    kp_recov_found_set found; /* the producer's batches in [start, end), log order */
    kprod_err_t err;          /* set when the log cannot be read (authorization, versions) */
    char why[256];            /* err's text */
    /* the reader's */
    struct kp_recov_job *next;
    int inflight;        /* a request of this read is out */
    int asked;           /* what it asked: a kp_recov_step */
    int cancelled;       /* freed when its request comes back */
    int done;            /* on the done list */
    int attempts;        /* failed requests in a row (backoff) */
    int64_t retry_at_ms; /* the next request not before */
    int64_t wait_ms;     /* the pause while the high watermark lags */
    int32_t max_bytes;   /* a Fetch's limit (grows if one batch is bigger) */
    int64_t started_ms;
} kp_recov_job;

/* Counts for the statistics (idempotence section). */
typedef struct kp_recov_counts {
    uint64_t partitions_read; /* reads started */
    uint64_t reads_timed_out; /* given up: their batches expired first */
    uint64_t reads_failed;    /* the log could not be read (authorization, versions) */
    uint64_t batches_found;   /* judged stored: reported delivered */
    uint64_t batches_resent;  /* judged not stored: resent under the new generation */
} kp_recov_counts;

kp_recov *kp_recov_new(const kp_recov_deps *deps);
/* Frees every read (after kp_rl_fail_all: no request may be out). */
void kp_recov_free(kp_recov *rc);

/* Starts reading a partition unless a read of it is under way (then 0 as
 * well). 0 or _NO_MEMORY. */
kprod_err_t kp_recov_want(kp_recov *rc, const kp_recov_ask *ask);
/* Gives up the partition's read (its batches expired): timed_out counts
 * it as such. */
void kp_recov_cancel(kp_recov *rc, uint32_t topic_id, int32_t partition, int timed_out);
/* Sends what the reads need now; returns when to look again. */
int64_t kp_recov_tick(kp_recov *rc, int64_t now_ms);
/* A finished read (done or failed), or NULL. The caller settles its
 * batches and then gives it back with kp_recov_release. */
kp_recov_job *kp_recov_take_done(kp_recov *rc);
void kp_recov_release(kp_recov *rc, kp_recov_job *j);
/* The produce client's verdicts on a read's batches, for the counts. */
void kp_recov_count_settled(kp_recov *rc, int found, int resent);
kp_recov_counts kp_recov_get_counts(const kp_recov *rc);

#endif
