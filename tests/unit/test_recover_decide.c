/* The recovery reader's decisions as pure functions
 * (sender/recover_decide.h), driven with injected facts: where a read of
 * a partition's log starts (the acknowledged prefix of a generation, kept
 * through acknowledgements that come out of order or without an offset),
 * which batches are marked as possibly stored and when that makes the
 * partition wait for a read, the read's next step (above all: nothing is
 * judged missing while the high watermark is below the leader's log end),
 * folding batch headers into what was found, and the verdict per batch. */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "protocol/buf.h"
#include "protocol/record_batch.h"
#include "sender/recover_decide.h"

#define PID 4000
#define EPOCH 3
#define GEN 7

/* ---- where a read starts ---- */

static kp_recov_part fresh(void) {
    kp_recov_part rp;
    kp_recov_part_init(&rp);
    return rp;
}

/* Acknowledgements in sequence order move the start to the end of the
 * last one; nothing acknowledged yet means the log start (-1). */
static void test_start_follows_in_order_acks(void **state) {
    (void)state;
    kp_recov_part rp = fresh();
    kp_recov_mark(&rp, GEN, PID, EPOCH, 0, 10);
    assert_int_equal(kp_recov_start(&rp), -1);
    kp_recov_unmark(&rp, GEN);
    kp_recov_note_ack(&rp, GEN, 0, 10, 500); /* offsets 500..509 */
    kp_recov_note_ack(&rp, GEN, 10, 5, 510); /* 510..514 */
    assert_int_equal(rp.contig_seq, 15);
    assert_int_equal(rp.contig_end, 515);
    assert_int_equal(rp.known_end, 515);
    kp_recov_mark(&rp, GEN, PID, EPOCH, 15, 5);
    assert_int_equal(kp_recov_start(&rp), 515);
}

/* An acknowledgement above an unacknowledged batch (a leader move let a
 * later batch through first) must not move the start past that batch,
 * which may be stored below it; once the gap is acknowledged, both count. */
static void test_out_of_order_ack_waits_for_the_gap(void **state) {
    (void)state;
    kp_recov_part rp = fresh();
    kp_recov_note_ack(&rp, GEN, 0, 10, 100);
    kp_recov_note_ack(&rp, GEN, 20, 10, 120); /* seq 10..19 not yet */
    kp_recov_note_ack(&rp, GEN, 30, 10, 130);
    assert_int_equal(rp.contig_seq, 10);
    assert_int_equal(rp.contig_end, 110);
    assert_int_equal(rp.npending, 2);
    kp_recov_mark(&rp, GEN, PID, EPOCH, 10, 10);
    assert_int_equal(kp_recov_start(&rp), 110); /* not 140 */
    kp_recov_unmark(&rp, GEN);
    kp_recov_note_ack(&rp, GEN, 10, 10, 110);
    assert_int_equal(rp.contig_seq, 40);
    assert_int_equal(rp.contig_end, 140);
    assert_int_equal(rp.npending, 0);
}

/* A duplicate answered without an offset moves the sequence frontier, not
 * the offset (a lower bound stays safe); one answered twice is ignored. */
static void test_ack_without_offset_and_repeated_ack(void **state) {
    (void)state;
    kp_recov_part rp = fresh();
    kp_recov_note_ack(&rp, GEN, 0, 10, 100);
    kp_recov_note_ack(&rp, GEN, 10, 10, -1);
    assert_int_equal(rp.contig_seq, 20);
    assert_int_equal(rp.contig_end, 110);
    kp_recov_note_ack(&rp, GEN, 20, 10, 120);
    assert_int_equal(rp.contig_end, 130);
    kp_recov_note_ack(&rp, GEN, 0, 10, 100); /* again */
    assert_int_equal(rp.contig_seq, 30);
    assert_int_equal(rp.contig_end, 130);
}

/* A new generation (epoch bump) starts its frontier at the highest end
 * known, acknowledged or found: its first batch is written after them.
 * Marks of a generation without an acknowledgement of its own read from
 * there too. */
static void test_new_generation_starts_at_known_end(void **state) {
    (void)state;
    kp_recov_part rp = fresh();
    kp_recov_note_ack(&rp, GEN, 0, 10, 100);
    kp_recov_note_found(&rp, 150);
    kp_recov_mark(&rp, GEN + 1, PID, EPOCH + 1, 0, 10);
    assert_int_equal(kp_recov_start(&rp), 150);
    kp_recov_unmark(&rp, GEN + 1);
    kp_recov_note_ack(&rp, GEN + 1, 0, 10, 160);
    assert_int_equal(rp.gen, GEN + 1);
    assert_int_equal(rp.contig_seq, 10);
    assert_int_equal(rp.contig_end, 170);
}

/* More acknowledgements above a gap than fit are dropped: the frontier
 * stays lower (a longer read), never higher. */
static void test_pending_overflow_keeps_start_low(void **state) {
    (void)state;
    kp_recov_part rp = fresh();
    kp_recov_note_ack(&rp, GEN, 0, 1, 0);
    for (int i = 0; i < KP_RECOV_PENDING + 3; i++)
        kp_recov_note_ack(&rp, GEN, 2 + i, 1, 2 + i);
    assert_int_equal(rp.npending, KP_RECOV_PENDING);
    kp_recov_note_ack(&rp, GEN, 1, 1, 1);
    assert_int_equal(rp.contig_seq, 2 + KP_RECOV_PENDING);
    assert_true(rp.contig_end <= 2 + KP_RECOV_PENDING);
}

/* Sequences wrap from INT32_MAX to 0 as the broker's do. */
static void test_sequences_wrap(void **state) {
    (void)state;
    assert_int_equal(kp_recov_seq_add(INT32_MAX, 1), 0);
    assert_int_equal(kp_recov_seq_add(INT32_MAX - 1, 5), 3);
    assert_int_equal(kp_recov_seq_diff(INT32_MAX - 1, 3), 5);
    assert_int_equal(kp_recov_seq_diff(3, INT32_MAX - 1), -5);
    kp_recov_part rp = fresh();
    rp.gen = GEN;
    rp.contig_seq = INT32_MAX - 4;
    rp.contig_end = 1000;
    kp_recov_note_ack(&rp, GEN, INT32_MAX - 4, 10, 1000);
    assert_int_equal(rp.contig_seq, 5);
    assert_int_equal(rp.contig_end, 1010);
}

/* ---- marks ---- */

/* Marked batches make the partition wait for a read only when their
 * sequences stop counting: a bump is needed or was taken. Unmarked, or
 * marked while the broker still deduplicates (no bump), it sends. */
static void test_must_read_only_before_or_after_a_bump(void **state) {
    (void)state;
    kp_recov_part rp = fresh();
    assert_false(kp_recov_must_read(&rp, GEN, 1));
    assert_int_equal(kp_recov_mark(&rp, GEN, PID, EPOCH, 20, 10), 0);
    assert_int_equal(kp_recov_mark(&rp, GEN, PID, EPOCH, 10, 10), 0);
    assert_int_equal(kp_recov_mark(&rp, GEN, PID, EPOCH, 30, 5), 0);
    assert_int_equal(rp.amb_count, 3);
    assert_int_equal(rp.amb_lo_seq, 10);
    assert_int_equal(rp.amb_hi_seq, 35);
    assert_false(kp_recov_must_read(&rp, GEN, 0));
    assert_true(kp_recov_must_read(&rp, GEN, 1));
    assert_true(kp_recov_must_read(&rp, GEN + 1, 0));
    kp_recov_unmark(&rp, GEN + 1); /* another generation's: no effect */
    assert_int_equal(rp.amb_count, 3);
    kp_recov_unmark(&rp, GEN);
    kp_recov_unmark(&rp, GEN);
    kp_recov_unmark(&rp, GEN);
    assert_int_equal(rp.amb_count, 0);
    assert_int_equal(rp.amb_gen, 0);
    assert_false(kp_recov_must_read(&rp, GEN + 1, 1));
}

/* A mark of a newer generation while older marks are open is refused
 * (the older ones keep their producer id and epoch); once they are
 * settled, the new generation marks. */
static void test_marks_of_two_generations_do_not_mix(void **state) {
    (void)state;
    kp_recov_part rp = fresh();
    assert_int_equal(kp_recov_mark(&rp, GEN, PID, EPOCH, 0, 10), 0);
    assert_int_equal(kp_recov_mark(&rp, GEN + 1, PID, EPOCH + 1, 0, 10), -1);
    assert_int_equal(rp.amb_pid, PID);
    assert_int_equal(rp.amb_epoch, EPOCH);
    kp_recov_clear_marks(&rp);
    assert_int_equal(kp_recov_mark(&rp, GEN + 1, PID, EPOCH + 1, 0, 10), 0);
    assert_int_equal(rp.amb_epoch, EPOCH + 1);
    assert_int_equal(rp.amb_gen, GEN + 1);
}

/* ---- the read's steps ---- */

static kp_recov_progress progress(int64_t pos, int64_t end, int64_t hw) {
    kp_recov_progress p = {.end = end, .pos = pos, .hw = hw, .all_found = 0, .want_start = 0};
    return p;
}

static void test_steps(void **state) {
    (void)state;
    kp_recov_progress p = progress(-1, -1, -1);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_ASK_START);
    p = progress(100, -1, -1);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_ASK_END);
    p = progress(100, 150, -1);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_FETCH);
    p = progress(120, 150, 140);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_FETCH);
    p = progress(150, 150, 150);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_DONE);
    p = progress(100, 100, -1); /* nothing written since the start */
    assert_int_equal(kp_recov_next(&p), KP_RECOV_DONE);
    p = progress(120, 150, 140);
    p.want_start = 1; /* out of range: the log start first */
    assert_int_equal(kp_recov_next(&p), KP_RECOV_ASK_START);
    p = progress(120, -1, 140);
    p.all_found = 1;
    assert_int_equal(kp_recov_next(&p), KP_RECOV_DONE);
}

/* The case the rule is for: the leader has records past the high
 * watermark (its log end 150, the high watermark 130: not replicated
 * yet). Fetch shows nothing past 130, so a read that stopped there would
 * judge a batch at 140 missing while it may become committed. The read
 * waits, and finishes only once the high watermark passed the end and the
 * walk reached it. */
static void test_high_watermark_below_log_end_waits(void **state) {
    (void)state;
    kp_recov_progress p = progress(130, 150, 130);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_WAIT);
    p.hw = 120; /* a new leader's lagging high watermark: still waiting */
    assert_int_equal(kp_recov_next(&p), KP_RECOV_WAIT);
    p.hw = 150; /* replicated: fetch the rest */
    assert_int_equal(kp_recov_next(&p), KP_RECOV_FETCH);
    kp_recov_found found[4];
    int n = 0;
    kp_rb_header h = {.base_offset = 140,
                      .last_offset_delta = 9,
                      .producer_id = PID,
                      .producer_epoch = EPOCH,
                      .base_sequence = 30,
                      .record_count = 10};
    assert_int_equal(kp_recov_fold(&p, &h, PID, EPOCH, found, &n, 4), 1);
    assert_int_equal(p.pos, 150);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_DONE);
}

static kp_rb_header hdr(int64_t base, int32_t count, int64_t pid, int16_t epoch, int32_t seq) {
    kp_rb_header h;
    memset(&h, 0, sizeof(h));
    h.base_offset = base;
    h.last_offset_delta = count - 1;
    h.record_count = count;
    h.producer_id = pid;
    h.producer_epoch = epoch;
    h.base_sequence = seq;
    h.max_timestamp = 1700000000000;
    return h;
}

/* Folding: the producer's batches of its epoch are found, others only
 * move the position; a control batch or another epoch is not ours; a
 * batch at or past the end is not taken (written after the last request);
 * LogAppendTime batches give the broker's time; a full list says so. */
static void test_fold(void **state) {
    (void)state;
    kp_recov_progress p = progress(100, 160, 200);
    kp_recov_found found[2];
    int n = 0;
    kp_rb_header h = hdr(95, 10, PID, EPOCH, 0); /* starts before pos */
    assert_int_equal(kp_recov_fold(&p, &h, PID, EPOCH, found, &n, 2), 1);
    assert_int_equal(p.pos, 105);
    assert_int_equal(found[0].base_offset, 95);
    assert_int_equal(found[0].append_time, -1);
    h = hdr(105, 5, PID + 1, EPOCH, 0); /* another producer */
    assert_int_equal(kp_recov_fold(&p, &h, PID, EPOCH, found, &n, 2), 0);
    h = hdr(110, 5, PID, EPOCH - 1, 10); /* an older epoch of ours */
    assert_int_equal(kp_recov_fold(&p, &h, PID, EPOCH, found, &n, 2), 0);
    h = hdr(115, 1, PID, EPOCH, 10);
    h.attributes = KP_RB_ATTR_CONTROL;
    assert_int_equal(kp_recov_fold(&p, &h, PID, EPOCH, found, &n, 2), 0);
    assert_int_equal(n, 1);
    assert_int_equal(p.pos, 116);
    h = hdr(116, 10, PID, EPOCH, 10);
    h.attributes = KP_RB_ATTR_LOG_APPEND_TIME;
    assert_int_equal(kp_recov_fold(&p, &h, PID, EPOCH, found, &n, 2), 1);
    assert_int_equal(found[1].append_time, 1700000000000);
    h = hdr(126, 10, PID, EPOCH, 20);
    assert_int_equal(kp_recov_fold(&p, &h, PID, EPOCH, found, &n, 2), -1); /* full */
    h = hdr(170, 10, PID, EPOCH, 30);                                      /* past the end */
    assert_int_equal(kp_recov_fold(&p, &h, PID, EPOCH, found, &n, 8), 0);
    assert_int_equal(p.pos, 180);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_DONE);
}

static void test_covers(void **state) {
    (void)state;
    kp_recov_found f[] = {{10, 10, 100, -1}, {20, 5, 110, -1}, {30, 10, 120, -1}};
    assert_true(kp_recov_covers(f, 2, 10, 25));
    assert_true(kp_recov_covers(f, 2, 15, 20));
    assert_false(kp_recov_covers(f, 3, 10, 40)); /* 25..29 missing */
    assert_false(kp_recov_covers(f, 3, 5, 25));  /* 5..9 missing */
    assert_true(kp_recov_covers(f + 2, 1, 30, 40));
    assert_false(kp_recov_covers(NULL, 0, 30, 40));
}

/* ---- walking a Fetch answer ---- */

/* Appends a sealed batch of count records at base_offset, of producer
 * (pid, epoch) from sequence seq (pid -1: a non-idempotent producer's). */
static void put_batch(kp_buf *out, int64_t base_offset, int32_t count, int64_t pid, int16_t epoch,
                      int32_t seq) {
    kp_rb_writer w;
    kp_rb_writer_init(&w, 256);
    for (int32_t i = 0; i < count; i++)
        assert_int_equal(kp_rb_append(&w, 1700000000000 + i, "k", 1, "value", 5, NULL, 0), 0);
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    o.producer_id = pid;
    o.producer_epoch = pid < 0 ? -1 : epoch;
    o.base_sequence = pid < 0 ? -1 : seq;
    assert_int_equal(kp_rb_seal(&w, &o), KPROD_ERR_NO_ERROR);
    size_t at = out->len;
    kp_buf_put_raw(out, w.buf.data, w.buf.len);
    kp_buf_patch_i64(out, at, base_offset); /* baseOffset: the broker's, outside the CRC */
    kp_rb_writer_free(&w);
}

/* The answer of the crash scenario: ours at 120 (seq 20), another
 * producer's at 130, ours at 135 (seq 30). */
static void scenario_log(kp_buf *b) {
    kp_buf_init(b, 0);
    put_batch(b, 120, 10, PID, EPOCH, 20);
    put_batch(b, 130, 5, 77, 0, 0);
    put_batch(b, 135, 10, PID, EPOCH, 30);
}

static void test_walk_finds_the_producers_batches(void **state) {
    (void)state;
    kp_buf b;
    scenario_log(&b);
    kp_recov_progress p = progress(120, 145, -1);
    kp_recov_found_set fs = {0};
    int cut;
    assert_int_equal(kp_recov_walk(&p, b.data, b.len, 145, 0, PID, EPOCH, 20, 50, &fs, &cut),
                     KPROD_ERR_NO_ERROR);
    assert_false(cut);
    assert_int_equal(fs.n, 2);
    assert_int_equal(fs.v[0].base_offset, 120);
    assert_int_equal(fs.v[1].base_seq, 30);
    assert_int_equal(p.pos, 145);
    assert_int_equal(p.hw, 145);
    assert_false(p.all_found); /* 40..49 not there */
    assert_int_equal(kp_recov_next(&p), KP_RECOV_DONE);
    /* asked only for 20..39: all found, whatever the end */
    kp_recov_found_set_free(&fs);
    p = progress(120, -1, -1);
    assert_int_equal(kp_recov_walk(&p, b.data, b.len, 145, 0, PID, EPOCH, 20, 40, &fs, &cut),
                     KPROD_ERR_NO_ERROR);
    assert_true(p.all_found);
    kp_recov_found_set_free(&fs);
    kp_buf_free(&b);
}

/* A broker that sends a batch reaching its own high watermark lies (Fetch
 * sends committed records only): that batch is not taken, and the read
 * stops before it. */
static void test_walk_stops_at_the_high_watermark(void **state) {
    (void)state;
    kp_buf b;
    scenario_log(&b);
    kp_recov_progress p = progress(120, 145, -1);
    kp_recov_found_set fs = {0};
    int cut;
    assert_int_equal(kp_recov_walk(&p, b.data, b.len, 140, 0, PID, EPOCH, 20, 40, &fs, &cut),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(fs.n, 1);
    assert_int_equal(p.pos, 135);
    assert_int_equal(p.hw, 140);
    kp_recov_found_set_free(&fs);
    kp_buf_free(&b);
}

/* Impossible answers: a negative high watermark, one below the log start,
 * a batch whose CRC does not match, nothing although committed records
 * lie past pos. An empty answer at the high watermark is fine (wait). */
static void test_walk_refuses_impossible_answers(void **state) {
    (void)state;
    kp_buf b;
    scenario_log(&b);
    kp_recov_found_set fs = {0};
    int cut;
    kp_recov_progress p = progress(120, 145, -1);
    assert_int_equal(kp_recov_walk(&p, b.data, b.len, -1, -1, PID, EPOCH, 20, 40, &fs, &cut),
                     KPROD_ERR__BAD_MSG);
    assert_int_equal(kp_recov_walk(&p, b.data, b.len, 145, 146, PID, EPOCH, 20, 40, &fs, &cut),
                     KPROD_ERR__BAD_MSG);
    b.data[b.len - 1] ^= 1; /* the last batch's records: its CRC breaks */
    p = progress(120, 145, -1);
    assert_int_equal(kp_recov_walk(&p, b.data, b.len, 145, 0, PID, EPOCH, 20, 40, &fs, &cut),
                     KPROD_ERR__BAD_MSG);
    p = progress(145, 150, -1);
    assert_int_equal(kp_recov_walk(&p, NULL, 0, 150, 0, PID, EPOCH, 20, 40, &fs, &cut),
                     KPROD_ERR__BAD_MSG);
    p = progress(145, 150, -1);
    assert_int_equal(kp_recov_walk(&p, NULL, 0, 145, 0, PID, EPOCH, 20, 40, &fs, &cut),
                     KPROD_ERR_NO_ERROR);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_WAIT);
    /* a batch header lying about its record count */
    kp_buf_reset(&b);
    put_batch(&b, 120, 10, PID, EPOCH, 20);
    kp_buf_patch_i32(&b, KP_RB_OFF_RECORD_COUNT, -5);
    p = progress(120, 145, -1);
    assert_int_equal(kp_recov_walk(&p, b.data, b.len, 145, 0, PID, EPOCH, 20, 40, &fs, &cut),
                     KPROD_ERR__BAD_MSG);
    kp_recov_found_set_free(&fs);
    kp_buf_free(&b);
}

/* Every cut of a good answer: a prefix holding only part of the first
 * batch asks for more bytes; any other prefix walks the whole batches it
 * holds and finds a subset of what the full answer has, in order. */
static void test_walk_every_prefix(void **state) {
    (void)state;
    kp_buf b;
    scenario_log(&b);
    size_t first_len = 0;
    {
        kp_rb_header h;
        kp_rb_header_fields(b.data, &h);
        first_len = 12 + (size_t)h.batch_length;
    }
    for (size_t len = 0; len < b.len; len++) {
        kp_recov_progress p = progress(120, 145, -1);
        kp_recov_found_set fs = {0};
        int cut;
        kprod_err_t e =
            kp_recov_walk(&p, len ? b.data : NULL, len, 145, 0, PID, EPOCH, 20, 40, &fs, &cut);
        if (len == 0) {
            assert_int_equal(e, KPROD_ERR__BAD_MSG); /* nothing, though 120..144 is committed */
        } else if (len < first_len) {
            assert_int_equal(e, KPROD_ERR_NO_ERROR);
            assert_true(cut);
            assert_int_equal(fs.n, 0);
            assert_int_equal(p.pos, 120);
        } else {
            assert_int_equal(e, KPROD_ERR_NO_ERROR);
            assert_false(cut);
            assert_true(p.pos > 120 && p.pos <= 145);
            assert_true(fs.n >= 1 && fs.n <= 2);
            assert_int_equal(fs.v[0].base_seq, 20);
        }
        kp_recov_found_set_free(&fs);
    }
    kp_buf_free(&b);
}

/* ---- verdicts ---- */

static void test_judge(void **state) {
    (void)state;
    kp_recov_found f[] = {{10, 10, 100, -1}, {20, 5, 110, 42}};
    const kp_recov_found *hit;
    assert_int_equal(kp_recov_judge(f, 2, 20, 5, &hit), KP_RECOV_STORED);
    assert_int_equal(hit->base_offset, 110);
    assert_int_equal(hit->append_time, 42);
    assert_int_equal(kp_recov_judge(f, 2, 25, 5, &hit), KP_RECOV_NOT_STORED);
    assert_null(hit);
    assert_int_equal(kp_recov_judge(f, 2, 0, 10, &hit), KP_RECOV_NOT_STORED);
    /* same start, other length; or overlapping: it is not this batch */
    assert_int_equal(kp_recov_judge(f, 2, 10, 8, &hit), KP_RECOV_MISMATCH);
    assert_int_equal(kp_recov_judge(f, 2, 15, 10, &hit), KP_RECOV_MISMATCH);
    kp_recov_found w[] = {{INT32_MAX - 1, 4, 7, -1}};
    assert_int_equal(kp_recov_judge(w, 1, INT32_MAX - 1, 4, &hit), KP_RECOV_STORED);
    assert_int_equal(kp_recov_judge(w, 1, 1, 3, &hit), KP_RECOV_MISMATCH);
    assert_int_equal(kp_recov_judge(w, 1, 2, 3, &hit), KP_RECOV_NOT_STORED);
}

static void test_classify(void **state) {
    (void)state;
    assert_int_equal(kp_recov_classify(KPROD_ERR_NOT_LEADER_OR_FOLLOWER), KP_RECOV_ERR_LEADER);
    assert_int_equal(kp_recov_classify(KPROD_ERR_FENCED_LEADER_EPOCH), KP_RECOV_ERR_LEADER);
    assert_int_equal(kp_recov_classify(KPROD_ERR_OFFSET_NOT_AVAILABLE), KP_RECOV_ERR_LEADER);
    assert_int_equal(kp_recov_classify(KPROD_ERR__TRANSPORT), KP_RECOV_ERR_LEADER);
    assert_int_equal(kp_recov_classify(KPROD_ERR_OFFSET_OUT_OF_RANGE), KP_RECOV_ERR_RANGE);
    assert_int_equal(kp_recov_classify(KPROD_ERR__BAD_MSG), KP_RECOV_ERR_RETRY);
    assert_int_equal(kp_recov_classify(KPROD_ERR_NOT_ENOUGH_REPLICAS), KP_RECOV_ERR_RETRY);
    assert_int_equal(kp_recov_classify(KPROD_ERR_TOPIC_AUTHORIZATION_FAILED), KP_RECOV_ERR_FATAL);
    assert_int_equal(kp_recov_classify(KPROD_ERR_UNSUPPORTED_VERSION), KP_RECOV_ERR_FATAL);
}

/* The scenario end to end, with the facts a broker crash gives: batches
 * of 10 records, sequences 0..49; 0 and 10 acknowledged at offsets
 * 100..119; 20, 30 and 40 sent, their answers lost; the broker restarted
 * knowing only its last batch, refusing the resend of 20 with
 * OUT_OF_ORDER_SEQUENCE_NUMBER (a bump is needed). Its log holds 20 and 30
 * (another producer's batch between them), not 40. */
static void test_scenario_crash_after_lost_answers(void **state) {
    (void)state;
    kp_recov_part rp = fresh();
    kp_recov_note_ack(&rp, GEN, 0, 10, 100);
    kp_recov_note_ack(&rp, GEN, 10, 10, 110);
    for (int32_t s = 20; s <= 40; s += 10)
        kp_recov_mark(&rp, GEN, PID, EPOCH, s, 10);
    assert_false(kp_recov_must_read(&rp, GEN, 0)); /* the broker may still deduplicate */
    assert_true(kp_recov_must_read(&rp, GEN, 1));  /* not after the bump */
    kp_recov_progress p = progress(kp_recov_start(&rp), -1, -1);
    assert_int_equal(p.pos, 120);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_ASK_END);
    p.end = 145; /* the leader's log end */
    assert_int_equal(kp_recov_next(&p), KP_RECOV_FETCH);
    kp_recov_found found[8];
    int n = 0;
    kp_rb_header log[] = {hdr(120, 10, PID, EPOCH, 20), hdr(130, 5, 77, 0, 0),
                          hdr(135, 10, PID, EPOCH, 30)};
    p.hw = 145;
    for (size_t i = 0; i < 3; i++)
        kp_recov_fold(&p, &log[i], PID, EPOCH, found, &n, 8);
    p.all_found = kp_recov_covers(found, n, rp.amb_lo_seq, rp.amb_hi_seq);
    assert_false(p.all_found);
    assert_int_equal(kp_recov_next(&p), KP_RECOV_DONE);
    const kp_recov_found *hit;
    assert_int_equal(kp_recov_judge(found, n, 20, 10, &hit), KP_RECOV_STORED);
    assert_int_equal(hit->base_offset, 120);
    assert_int_equal(kp_recov_judge(found, n, 30, 10, &hit), KP_RECOV_STORED);
    assert_int_equal(hit->base_offset, 135);
    assert_int_equal(kp_recov_judge(found, n, 40, 10, &hit), KP_RECOV_NOT_STORED);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_follows_in_order_acks),
        cmocka_unit_test(test_out_of_order_ack_waits_for_the_gap),
        cmocka_unit_test(test_ack_without_offset_and_repeated_ack),
        cmocka_unit_test(test_new_generation_starts_at_known_end),
        cmocka_unit_test(test_pending_overflow_keeps_start_low),
        cmocka_unit_test(test_sequences_wrap),
        cmocka_unit_test(test_must_read_only_before_or_after_a_bump),
        cmocka_unit_test(test_marks_of_two_generations_do_not_mix),
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_high_watermark_below_log_end_waits),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_covers),
        cmocka_unit_test(test_walk_finds_the_producers_batches),
        cmocka_unit_test(test_walk_stops_at_the_high_watermark),
        cmocka_unit_test(test_walk_refuses_impossible_answers),
        cmocka_unit_test(test_walk_every_prefix),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_scenario_crash_after_lost_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
