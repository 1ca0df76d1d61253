/* The recovery reader's decisions (see recover_decide.h). */
#include "sender/recover_decide.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/batch_iter.h"

#define SEQ_MOD ((int64_t)INT32_MAX + 1)

int32_t kp_recov_seq_add(int32_t seq, int32_t n) {
    return (int32_t)((((int64_t)seq + n) % SEQ_MOD + SEQ_MOD) % SEQ_MOD);
}

int32_t kp_recov_seq_diff(int32_t a, int32_t b) {
    int64_t d = (((int64_t)b - a) % SEQ_MOD + SEQ_MOD) % SEQ_MOD; /* [0, 2^31) */
    return (int32_t)(d > SEQ_MOD / 2 ? d - SEQ_MOD : d);
}

void kp_recov_part_init(kp_recov_part *rp) {
    memset(rp, 0, sizeof(*rp));
    rp->contig_end = -1;
    rp->known_end = -1;
}

static void raise_end(int64_t *at, int64_t end) {
    if (end > *at)
        *at = end;
}

/* A new generation starts from what is known: its first batch is written
 * after every batch acknowledged or found so far. */
static void sync_gen(kp_recov_part *rp, uint32_t gen) {
    if (rp->gen == gen)
        return;
    rp->gen = gen;
    rp->contig_seq = 0;
    rp->contig_end = rp->known_end;
    rp->npending = 0;
}

/* Moves the frontier over the pending runs that now touch it. */
static void absorb(kp_recov_part *rp) {
    for (int i = 0; i < rp->npending;) {
        kp_recov_run *r = &rp->pending[i];
        if (kp_recov_seq_diff(rp->contig_seq, r->seq) > 0) {
            i++;
            continue;
        }
        /* at or below the frontier: it joins (or was covered already) */
        if (kp_recov_seq_diff(rp->contig_seq, r->end_seq) > 0) {
            rp->contig_seq = r->end_seq;
            raise_end(&rp->contig_end, r->end_offset);
        }
        *r = rp->pending[--rp->npending];
        i = 0; /* the frontier moved: look at every run again */
    }
}

void kp_recov_note_ack(kp_recov_part *rp, uint32_t gen, int32_t base_seq, int32_t count,
                       int64_t base_offset) {
    sync_gen(rp, gen);
    int64_t end = base_offset >= 0 ? base_offset + count : -1;
    raise_end(&rp->known_end, end);
    int32_t end_seq = kp_recov_seq_add(base_seq, count);
    int32_t d = kp_recov_seq_diff(rp->contig_seq, base_seq);
    if (d > 0) {
        /* A gap below it: kept until the gap is acknowledged. When full,
         * the run is dropped and the frontier stays below it, which only
         * makes a later read start earlier. */
        if (rp->npending < KP_RECOV_PENDING)
            rp->pending[rp->npending++] = (kp_recov_run){base_seq, end_seq, end};
        return;
    }
    if (kp_recov_seq_diff(rp->contig_seq, end_seq) <= 0)
        return; /* acknowledged again */
    rp->contig_seq = end_seq;
    /* An acknowledgement without an offset moves the sequence frontier but
     * not its offset, which stays a lower bound. */
    raise_end(&rp->contig_end, end);
    absorb(rp);
}

void kp_recov_note_found(kp_recov_part *rp, int64_t end_offset) {
    raise_end(&rp->known_end, end_offset);
}

int kp_recov_mark(kp_recov_part *rp, uint32_t gen, int64_t pid, int16_t epoch, int32_t base_seq,
                  int32_t count) {
    int32_t end_seq = kp_recov_seq_add(base_seq, count);
    if (rp->amb_count > 0 && rp->amb_gen != gen)
        return -1;
    if (rp->amb_count == 0) {
        rp->amb_gen = gen;
        rp->amb_pid = pid;
        rp->amb_epoch = epoch;
        rp->amb_lo_seq = base_seq;
        rp->amb_hi_seq = end_seq;
    } else {
        if (kp_recov_seq_diff(rp->amb_lo_seq, base_seq) < 0)
            rp->amb_lo_seq = base_seq;
        if (kp_recov_seq_diff(rp->amb_hi_seq, end_seq) > 0)
            rp->amb_hi_seq = end_seq;
    }
    rp->amb_count++;
    return 0;
}

void kp_recov_unmark(kp_recov_part *rp, uint32_t gen) {
    if (rp->amb_count > 0 && rp->amb_gen == gen && --rp->amb_count == 0)
        rp->amb_gen = 0;
}

void kp_recov_clear_marks(kp_recov_part *rp) {
    rp->amb_count = 0;
    rp->amb_gen = 0;
}

int kp_recov_must_read(const kp_recov_part *rp, uint32_t cur_gen, int bump_needed) {
    return rp->amb_count > 0 && (bump_needed || cur_gen != rp->amb_gen);
}

int64_t kp_recov_start(const kp_recov_part *rp) {
    /* The marks' generation is still the frontier's own unless the
     * partition never had an acknowledgement in it: then nothing of that
     * generation is known, and its first batch came after known_end. */
    return rp->gen == rp->amb_gen ? rp->contig_end : rp->known_end;
}

/* ---- the read ---- */

kp_recov_step kp_recov_next(const kp_recov_progress *p) {
    if (p->all_found)
        return KP_RECOV_DONE;
    if (p->want_start || p->pos < 0)
        return KP_RECOV_ASK_START;
    if (p->end < 0)
        return KP_RECOV_ASK_END;
    if (p->pos >= p->end)
        return KP_RECOV_DONE;
    /* Fetch returns records below the high watermark only: with it at pos
     * there is nothing to read until replication moves it. */
    if (p->hw >= 0 && p->hw <= p->pos)
        return KP_RECOV_WAIT;
    return KP_RECOV_FETCH;
}

int kp_recov_fold(kp_recov_progress *p, const kp_rb_header *h, int64_t pid, int16_t epoch,
                  kp_recov_found *found, int *nfound, int cap) {
    int64_t last = h->base_offset + h->last_offset_delta; /* checked by the walk */
    if (last + 1 > p->pos)
        p->pos = last + 1;
    if ((p->end >= 0 && h->base_offset >= p->end) || (h->attributes & KP_RB_ATTR_CONTROL) ||
        h->producer_id != pid || h->producer_epoch != epoch || h->base_sequence < 0)
        return 0;
    if (*nfound >= cap)
        return -1;
    kp_recov_found *f = &found[(*nfound)++];
    f->base_seq = h->base_sequence;
    f->count = h->record_count;
    f->base_offset = h->base_offset;
    f->append_time = (h->attributes & KP_RB_ATTR_LOG_APPEND_TIME) ? h->max_timestamp : -1;
    return 1;
}

void kp_recov_found_set_free(kp_recov_found_set *fs) {
    free(fs->v);
    memset(fs, 0, sizeof(*fs));
}

kprod_err_t kp_recov_walk(kp_recov_progress *p, const uint8_t *records, size_t len, int64_t hw,
                          int64_t log_start, int64_t pid, int16_t epoch, int32_t lo_seq,
                          int32_t hi_seq, kp_recov_found_set *fs, int *cut) {
    *cut = 0;
    if (hw < 0 || log_start > hw)
        return KPROD_ERR__BAD_MSG;
    int64_t before = p->pos;
    kp_batch_iter it;
    kp_batch_iter_init(&it, records, len, 1);
    kp_rb_header h;
    int rc;
    while ((rc = kp_batch_iter_next(&it, &h, NULL, NULL)) == 1) {
        if (kp_batch_last_offset(&h) >= hw)
            break;
        if (fs->n == fs->cap) {
            int ncap = fs->cap ? fs->cap * 2 : 16;
            kp_recov_found *nv = realloc(fs->v, (size_t)ncap * sizeof(*nv));
            if (!nv)
                return KPROD_ERR__NO_MEMORY;
            fs->v = nv;
            fs->cap = ncap;
        }
        kp_recov_fold(p, &h, pid, epoch, fs->v, &fs->n, fs->cap);
    }
    if (rc < 0)
        return KPROD_ERR__BAD_MSG;
    *cut = rc == 0 && p->pos == before && it.truncated > 0;
    if (p->pos == before && hw > before && !*cut)
        return KPROD_ERR__BAD_MSG; /* committed records past pos, and none sent */
    p->hw = hw;
    p->all_found = kp_recov_covers(fs->v, fs->n, lo_seq, hi_seq);
    return KPROD_ERR_NO_ERROR;
}

int kp_recov_covers(const kp_recov_found *found, int nfound, int32_t lo_seq, int32_t hi_seq) {
    /* The producer's batches of one epoch are stored in sequence order, so
     * a walk in log order meets them in order; anything else just fails
     * to cover. */
    int32_t at = lo_seq;
    for (int i = 0; i < nfound && kp_recov_seq_diff(at, hi_seq) > 0; i++) {
        int32_t d = kp_recov_seq_diff(at, found[i].base_seq);
        int32_t end = kp_recov_seq_add(found[i].base_seq, found[i].count);
        if (d <= 0 && kp_recov_seq_diff(at, end) > 0)
            at = end;
    }
    return kp_recov_seq_diff(at, hi_seq) <= 0;
}

kp_recov_err_class kp_recov_classify(kprod_err_t err) {
    switch (err) {
    case KPROD_ERR_NOT_LEADER_OR_FOLLOWER:
    case KPROD_ERR_LEADER_NOT_AVAILABLE:
    case KPROD_ERR_FENCED_LEADER_EPOCH:
    case KPROD_ERR_UNKNOWN_LEADER_EPOCH:
    case KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KPROD_ERR_REPLICA_NOT_AVAILABLE:
    case KPROD_ERR_OFFSET_NOT_AVAILABLE:
    case KPROD_ERR_KAFKA_STORAGE_ERROR:
    case KPROD_ERR__TRANSPORT:
    case KPROD_ERR_REQUEST_TIMED_OUT:
    case KPROD_ERR_NETWORK_EXCEPTION:
        return KP_RECOV_ERR_LEADER;
    case KPROD_ERR_OFFSET_OUT_OF_RANGE:
        return KP_RECOV_ERR_RANGE;
    default:
        return kprod_err_is_retriable(err) || err == KPROD_ERR__BAD_MSG ||
                       err == KPROD_ERR__NO_MEMORY
                   ? KP_RECOV_ERR_RETRY
                   : KP_RECOV_ERR_FATAL;
    }
}

/* ---- the verdict ---- */

kp_recov_verdict kp_recov_judge(const kp_recov_found *found, int nfound, int32_t base_seq,
                                int32_t count, const kp_recov_found **hit) {
    int32_t end_seq = kp_recov_seq_add(base_seq, count);
    *hit = NULL;
    for (int i = 0; i < nfound; i++) {
        const kp_recov_found *f = &found[i];
        if (f->base_seq == base_seq && f->count == count) {
            *hit = f;
            return KP_RECOV_STORED;
        }
        /* overlapping sequences that are not this batch */
        int32_t f_end = kp_recov_seq_add(f->base_seq, f->count);
        if (kp_recov_seq_diff(f->base_seq, end_seq) > 0 && kp_recov_seq_diff(base_seq, f_end) > 0)
            return KP_RECOV_MISMATCH;
    }
    return KP_RECOV_NOT_STORED;
}
