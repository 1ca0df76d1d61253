/* The record accumulator: per-topic, per-partition queues of batches, each
 * record encoded into its partition's open batch at send time, all of it
 * bounded by buffer.memory.
 *
 * Locking: the accumulator has one mutex, private to it; every function
 * here takes and releases it, so callers never hold it. The only code that
 * runs under it from outside is a drain callback (kp_acc_drain), which must
 * not call back into the accumulator.
 *
 * Who calls what: the application threads kp_acc_append, the flush and wait
 * functions; the sender thread the drain, settle, metadata and purge
 * functions; the report path kp_acc_release_served. */
#ifndef KPROD_ACCUMULATOR_H
#define KPROD_ACCUMULATOR_H

#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "kprod.h"

typedef struct kp_acc kp_acc;

/* NULL when out of memory. cfg must outlive the accumulator. */
kp_acc *kp_acc_new(const kp_config *cfg);
/* Frees every batch still held (the caller has reported them). */
void kp_acc_free(kp_acc *acc);
/* Who to wake when a batch becomes ready before the sender planned to look
 * (set once, before any append). Usually called after the lock is
 * released, but with it held just before an append waits (for memory or
 * metadata), so it must not call the accumulator. */
void kp_acc_set_waker(kp_acc *acc, void (*wake)(void *opaque), void *opaque);

/* ---- application side ---- */

/* What kprod_send appends: serialized key/value (len -1 = null). */
typedef struct kp_append {
    const char *topic;
    int32_t partition; /* KPROD_PARTITION_ANY: the partitioner chooses */
    int64_t timestamp_ms;
    const void *key;
    int32_t key_len;
    const void *value;
    int32_t value_len;
    const kprod_header_t *headers;
    size_t header_count;
    kprod_delivery_cb cb;
    void *opaque;
} kp_append;

/* Appends a record: checks its size against max.request.size and
 * buffer.memory, finds or makes the topic (its name is checked once, when
 * first seen), waits for the topic's partition count and then for
 * buffer.memory (together at most max.block.ms), chooses the partition and
 * encodes the record into its batch. On error nothing is left behind.
 * Errors: _INVALID_ARG (a length below -1), _MSG_SIZE_TOO_LARGE, _INVALID_TOPIC, _UNKNOWN_TOPIC,
 * _TIMED_OUT, _UNKNOWN_PARTITION (from the partitioner), _QUEUE_FULL, _NO_MEMORY, the error of
 * kp_acc_fail_metadata_waits while waiting for a topic's partitions, the shutdown
 * error (_CLOSED, _FATAL) once kp_acc_shut was called, and _INTERRUPTED instead of a wait (or
 * from one) once kp_acc_interrupt was called. */
kprod_err_t kp_acc_append(kp_acc *acc, const kp_append *a);

/* From now on no append waits: those waiting for metadata or buffer.memory
 * wake up and fail with _INTERRUPTED, and so does every later one that
 * would have to wait; appends that need no wait still go in, and queued
 * batches are not touched. Stays set until the accumulator is freed. Any
 * thread; takes the lock briefly (not from a drain callback). */
void kp_acc_interrupt(kp_acc *acc);

/* Starts a flush: every batch existing now becomes ready. Returns the
 * epoch to wait for with kp_acc_flushed. */
uint64_t kp_acc_begin_flush(kp_acc *acc);
/* Have all batches of epoch and older been served? Waits up to
 * deadline_ms (0: look only) for it. */
int kp_acc_flushed(kp_acc *acc, uint64_t epoch, int64_t deadline_ms);
/* Waits until some flush epoch empties, or deadline_ms. */
void kp_acc_wait_progress(kp_acc *acc, int64_t deadline_ms);

/* ---- statistics ---- */

typedef struct kp_acc_totals {
    int64_t records_accepted, bytes_accepted; /* ever */
    int64_t records_waiting, bytes_waiting;   /* now, retries included */
    int64_t mem_used;                         /* charged against buffer.memory */
} kp_acc_totals;
/* Called for every partition of every topic whose partition count is
 * known, with its waiting records and bytes; under the lock, so it must
 * not call the accumulator. */
typedef void (*kp_acc_part_fn)(void *opaque, uint32_t topic_id, const char *topic,
                               int32_t partition, int64_t records, int64_t bytes);
/* The totals, and fn (may be NULL) for each partition. Sender thread. */
void kp_acc_stats(kp_acc *acc, kp_acc_part_fn fn, void *opaque, kp_acc_totals *out);

/* No more appends from now on: they fail with err (_CLOSED or _FATAL), and
 * sends blocked on memory or metadata wake up with it. With _CLOSED every
 * queued batch becomes ready (close flushes); the first err set stays. */
void kp_acc_shut(kp_acc *acc, kprod_err_t err);
/* Has kp_acc_shut(_CLOSED) been called? */
int kp_acc_closing(kp_acc *acc);
/* Appends waiting for buffer.memory right now. */
int kp_acc_space_waiters(kp_acc *acc);

/* ---- sender side ---- */

/* What a drain callback says of a partition's head batch. */
typedef enum kp_drain_verdict {
    KP_DRAIN_SKIP,        /* leave it */
    KP_DRAIN_TAKE,        /* send it: taken off the queue */
    KP_DRAIN_EXPIRE,      /* past delivery.timeout.ms: taken off, buffer released */
    KP_DRAIN_WANT_LEADER, /* leave it, and ask for the topic's metadata */
} kp_drain_verdict;

/* Called under the accumulator's lock for the head batch of each partition
 * that holds batches; `ready` says whether the accumulator's own rules
 * (full, lingered, flushed, closing, memory wanted, retry backoff over) let
 * it go now. May lower *wake_at_ms. Must not call the accumulator. */
typedef kp_drain_verdict (*kp_drain_fn)(void *opaque, const kp_batch *head, int ready,
                                        int64_t now_ms, int64_t *wake_at_ms);

/* A growable array of batches (the caller's, reused turn to turn). */
typedef struct kp_batchvec {
    kp_batch **v;
    int n, cap;
} kp_batchvec;
kprod_err_t kp_batchvec_push(kp_batchvec *bv, kp_batch *b); /* 0 or _NO_MEMORY */
void kp_batchvec_free(kp_batchvec *bv);

/* Walks the partitions that hold batches (not every partition: a list of
 * them is kept as batches come and go), asks fn about each head and takes
 * what it says: at most one batch per partition to send (into taken), and
 * every expired head (into expired). Lowers *wake_at_ms to when a batch not
 * ready now will be, and to now when a partition has a next batch ready. */
void kp_acc_drain(kp_acc *acc, int64_t now_ms, kp_drain_fn fn, void *opaque, kp_batchvec *taken,
                  kp_batchvec *expired, int64_t *wake_at_ms);
/* After an attempt: the finished batches give their buffers back (their
 * report facts stay charged until served), the others go back to their
 * queues for a retry, in creation order ahead of newer batches. */
void kp_acc_settle(kp_acc *acc, kp_batch *const *finished, int nfinished, kp_batch *const *retry,
                   int nretry);
/* Takes every queued batch off (close, fatal error), buffers released. */
void kp_acc_take_all(kp_acc *acc, kp_batchvec *out);
/* Called under the lock for each batch queued for one partition, oldest
 * first: 1 takes it. It must not call the accumulator, and may change only
 * the sender's fields of a batch (sending, outcome), never its records. */
typedef int (*kp_acc_pick_fn)(void *opaque, kp_batch *b);
/* Takes the batches of (topic_id, partition) that pick chooses off their
 * queue, buffers released, in queue order (a read of the log settled
 * them: sender/recovery.h). */
void kp_acc_take_where(kp_acc *acc, uint32_t topic_id, int32_t partition, kp_acc_pick_fn pick,
                       void *opaque, kp_batchvec *out);
/* Takes off every queued batch of each partition whose head batch match
 * says yes to (called under the lock, like a drain callback). */
void kp_acc_take_matching(kp_acc *acc, int (*match)(void *opaque, const kp_batch *head),
                          void *opaque, kp_batchvec *out);
/* Sends waiting for a topic's partitions now return err, with why for
 * kprod_last_errstr (no metadata can come: the brokers refuse to
 * authenticate us); later ones wait as usual. */
void kp_acc_fail_metadata_waits(kp_acc *acc, kprod_err_t err, const char *why);

/* Every topic name (valid as long as the accumulator), in *names (the
 * caller frees the array), and in *wanted whether any topic wants metadata
 * (KP_ACC_WANTED), and whether one of them was never asked about before
 * (KP_ACC_WANTED_NEW: a send waits for it, so it is asked for at once, not
 * after retry.backoff.ms; it counts as asked from here on). Clears the
 * metadata hint when none wants any. */
#define KP_ACC_WANTED 1
#define KP_ACC_WANTED_NEW 2
kprod_err_t kp_acc_topics(kp_acc *acc, const char ***names, int32_t *n, int *wanted);
int kp_acc_has_topic(kp_acc *acc, const char *name);
/* Raised (without the lock) when some topic may want metadata. */
int kp_acc_metadata_hint(kp_acc *acc);
/* A topic's metadata: err from the broker (kept for the waiting sends),
 * and unless err is set or count <= 0, count partitions with has_leader[i]
 * for each. Returns the topic's id, or -1 when the accumulator has no such
 * topic. Wakes sends waiting for the partitions. */
int64_t kp_acc_apply_topic(kp_acc *acc, const char *name, kprod_err_t err, int32_t count,
                           const uint8_t *has_leader);

/* ---- report side ---- */

/* The batches of a list (linked by next) were reported: their memory goes
 * back and their flush epochs count down. Does not free them. */
void kp_acc_release_served(kp_acc *acc, kp_batch *list);
void kp_batch_free(kp_batch *b);

#endif
