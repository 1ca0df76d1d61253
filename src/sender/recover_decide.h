/* The recovery reader's decisions as pure functions of the facts passed
 * in: no I/O, no clock, no locks, so tests/unit/test_recover_decide.c
 * drives them with whatever facts it likes.
 *
 * The problem they solve (docs/IDEMPOTENCE.md, "Reading the log back"):
 * a batch whose attempt reached a broker and got no answer may be stored.
 * A resend under the same producer id, epoch and sequence is recognised by
 * the broker while it remembers the batch; after a crash it may not (it
 * answers OUT_OF_ORDER_SEQUENCE_NUMBER), and once kprod takes a new epoch
 * or producer id it cannot. Before that happens, such a partition is
 * ambiguous: kprod reads its log back and settles each of those batches by
 * what is there.
 *
 * Three parts:
 *  - per partition bookkeeping (kp_recov_part): where a read must start
 *    (the offset after the batches acknowledged in sequence order) and
 *    which batches may be stored unacknowledged ("marked");
 *  - the read's next step (kp_recov_next): learn the leader's log end,
 *    fetch, wait for the high watermark, done;
 *  - the verdict on one batch from what the read found (kp_recov_judge).
 *
 * Thread: the sender thread only (the structures are the sender's). */
#ifndef KPROD_SENDER_RECOVER_DECIDE_H
#define KPROD_SENDER_RECOVER_DECIDE_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/record_batch.h"

/* Acknowledgements kept while a gap below them is open. The gap is a batch
 * that is being retried; it is resent alone and first, so at most the four
 * others of a five-deep window can be acknowledged above it. */
#define KP_RECOV_PENDING 8

typedef struct kp_recov_run {
    int32_t seq, end_seq; /* base sequence and the one after the batch */
    int64_t end_offset;   /* the log offset after it, -1 unknown */
} kp_recov_run;

typedef struct kp_recov_part {
    /* Where a read of the generation `gen` starts: every batch below
     * contig_seq was acknowledged, and contig_end is the log offset after
     * them (-1: unknown, read from the log start). A batch of the
     * generation that is stored lies at or after contig_end. */
    uint32_t gen;
    int32_t contig_seq;
    int64_t contig_end;
    int npending;
    kp_recov_run pending[KP_RECOV_PENDING]; /* acknowledged above a gap */
    /* The highest log offset after a batch of this partition that was
     * acknowledged or found, any generation; -1 none. A generation's
     * first batch is written after it. */
    int64_t known_end;

    /* Batches that may be stored and were not acknowledged ("marked"), of
     * generation amb_gen (0: none), with the producer id and epoch they
     * were sent with, and their sequence span [amb_lo_seq, amb_hi_seq). */
    uint32_t amb_gen;
    int amb_count;
    int32_t amb_lo_seq, amb_hi_seq;
    int64_t amb_pid;
    int16_t amb_epoch;
    int reading; /* a read of the log is asked for or under way */
} kp_recov_part;

/* A fresh partition: nothing known. */
void kp_recov_part_init(kp_recov_part *rp);

/* A batch of generation gen (sequences base_seq .. base_seq+count-1) was
 * acknowledged at base_offset (-1 when the broker did not say). */
void kp_recov_note_ack(kp_recov_part *rp, uint32_t gen, int32_t base_seq, int32_t count,
                       int64_t base_offset);
/* A batch was found stored, ending before end_offset. */
void kp_recov_note_found(kp_recov_part *rp, int64_t end_offset);

/* A batch's attempt may have stored it and it goes back for a retry: it
 * is marked. Returns 0, or -1 when marks of another generation are still
 * open (they are kept; the caller logs it: the produce client holds a
 * partition with open marks before it sends under a new generation). */
int kp_recov_mark(kp_recov_part *rp, uint32_t gen, int64_t pid, int16_t epoch, int32_t base_seq,
                  int32_t count);
/* A marked batch of generation gen was settled (acknowledged, failed,
 * expired, or judged by a read). */
void kp_recov_unmark(kp_recov_part *rp, uint32_t gen);
/* Every mark is settled by a read's verdict at once. */
void kp_recov_clear_marks(kp_recov_part *rp);

/* Must the partition's log be read before it sends again? Yes when it has
 * marked batches and their sequences are about to stop counting: a new
 * epoch or producer id is needed (bump_needed) or already taken (the
 * current generation is not theirs). */
int kp_recov_must_read(const kp_recov_part *rp, uint32_t cur_gen, int bump_needed);
/* Where that read starts (-1: the log start). */
int64_t kp_recov_start(const kp_recov_part *rp);

/* ---- the read ---- */

/* A batch of the producer found in the log. */
typedef struct kp_recov_found {
    int32_t base_seq, count;
    int64_t base_offset;
    int64_t append_time; /* LogAppendTime topics: the broker's time; -1 CreateTime */
} kp_recov_found;

typedef struct kp_recov_progress {
    int64_t end;    /* the leader's log end, asked after the partition's last
                       request was answered; -1 not known yet */
    int64_t pos;    /* the next offset to read; -1: the log start, not known yet */
    int64_t hw;     /* the high watermark the last Fetch gave; -1 none yet */
    int all_found;  /* every marked sequence was found: nothing can be missing */
    int want_start; /* the log start is needed (pos was out of range) */
} kp_recov_progress;

typedef enum kp_recov_step {
    KP_RECOV_ASK_END,   /* ListOffsets LATEST as the debugging replica: the log end */
    KP_RECOV_ASK_START, /* ListOffsets EARLIEST: the log start */
    KP_RECOV_FETCH,     /* Fetch from pos */
    KP_RECOV_WAIT,      /* the high watermark is not past pos yet: fetch again later */
    KP_RECOV_DONE,      /* every batch of the producer in the log is known */
} kp_recov_step;

/* What to do next. The rule (docs/IDEMPOTENCE.md): the read is complete
 * when it has walked [start, end) and every record it walked was below the
 * high watermark (Fetch returns nothing above it), where end is the
 * leader's log end taken after the producer's last request to the
 * partition was answered: so every batch the leader has of the producer is
 * below end, and below the high watermark, hence committed. Or earlier,
 * when every marked batch was found. */
kp_recov_step kp_recov_next(const kp_recov_progress *p);

/* Folds one walked batch header into the read: batches of (pid, epoch)
 * below p->end go into found (*nfound grows; cap entries at most: returns
 * -1 when full), and pos moves past the batch. Returns 1 if the batch was
 * the producer's, 0 otherwise. Batches at or past end are ignored (written
 * after the producer's last request: not its), as are control batches. */
int kp_recov_fold(kp_recov_progress *p, const kp_rb_header *h, int64_t pid, int16_t epoch,
                  kp_recov_found *found, int *nfound, int cap);
/* The producer's batches found so far (grows as the read goes). */
typedef struct kp_recov_found_set {
    kp_recov_found *v;
    int n, cap;
} kp_recov_found_set;
void kp_recov_found_set_free(kp_recov_found_set *fs);

/* Walks the records of one Fetch answer for the partition (records[0..len),
 * its high watermark hw and log start, -1 when not given) into the read:
 * every batch header is checked (magic, lengths, offsets, CRC), the
 * producer's batches of (pid, epoch) go into fs (kp_recov_fold), a batch
 * reaching the high watermark ends the walk unread (Fetch sends committed
 * records only: that is a broker that lies), and then p->hw and
 * p->all_found (fs covers [lo_seq, hi_seq)) are set. *cut is set when the
 * answer held only part of one batch: ask for more bytes.
 * Returns 0; KPROD_ERR__BAD_MSG for an answer that cannot be true (a
 * negative high watermark or one below the log start, a malformed batch,
 * no progress although the high watermark is past pos and nothing was cut
 * short); KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_recov_walk(kp_recov_progress *p, const uint8_t *records, size_t len, int64_t hw,
                          int64_t log_start, int64_t pid, int16_t epoch, int32_t lo_seq,
                          int32_t hi_seq, kp_recov_found_set *fs, int *cut);

/* Does found cover every sequence of [lo_seq, hi_seq)? */
int kp_recov_covers(const kp_recov_found *found, int nfound, int32_t lo_seq, int32_t hi_seq);

/* Fetch or ListOffsets answered err for the partition: what it means. */
typedef enum kp_recov_err_class {
    KP_RECOV_ERR_LEADER, /* the leader moved or is not ready: fresh metadata, ask the end again */
    KP_RECOV_ERR_RANGE,  /* pos is below the log start: ask for it */
    KP_RECOV_ERR_RETRY,  /* transient: the same again after a backoff */
    KP_RECOV_ERR_FATAL,  /* the log cannot be read (authorization, versions): give up */
} kp_recov_err_class;
kp_recov_err_class kp_recov_classify(kprod_err_t err);

/* ---- the verdict ---- */

typedef enum kp_recov_verdict {
    KP_RECOV_NOT_STORED, /* not in the log: resend it */
    KP_RECOV_STORED,     /* *hit says where */
    KP_RECOV_MISMATCH,   /* a batch of the producer overlaps it but is not it */
} kp_recov_verdict;

/* The verdict on a batch of the read's generation (sequences base_seq ..
 * base_seq+count-1). */
kp_recov_verdict kp_recov_judge(const kp_recov_found *found, int nfound, int32_t base_seq,
                                int32_t count, const kp_recov_found **hit);

/* Sequence arithmetic with the broker's wrap from INT32_MAX to 0. */
int32_t kp_recov_seq_add(int32_t seq, int32_t n);
/* b - a as a distance along the wrap, in (-2^30, 2^30]: > 0 when b is after a. */
int32_t kp_recov_seq_diff(int32_t a, int32_t b);

#endif
