/* The record accumulator: per-topic, per-partition queues of batches, each
 * record encoded into its partition's open batch at send time, all of it
 * bounded by buffer.memory.
 *
 * Locking: one mutex (acc->lock) guards every field here. Application
 * threads take it in kp_acc_append; the sender thread takes it to drain ready
 * batches and to apply metadata. Functions named *_locked expect it held. */
#ifndef KPROD_ACCUMULATOR_H
#define KPROD_ACCUMULATOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "kprod.h"
#include "partitioner.h"

typedef struct kp_partq {
    kp_batch *head, *tail; /* waiting batches, oldest first; tail may be open */
    int32_t leader;        /* broker id, -1 unknown */
    int32_t leader_epoch;
    int inflight;           /* batches of this partition in flight */
    int32_t next_seq;       /* idempotence: sequence of the next new batch */
    int32_t acked_next_seq; /* idempotence: sequence after the last acknowledged batch */
    int acked;              /* idempotence: a batch of this partition was acknowledged */
} kp_partq;

typedef struct kp_topic {
    struct kp_topic *hnext;
    char *name;
    int32_t partition_count; /* -1 until metadata is known */
    kprod_err_t md_err;      /* last metadata error for the topic */
    kp_partq *parts;
    kp_sticky sticky;      /* null-key partition (KIP-480/794) */
    int md_wanted;         /* the sender should fetch metadata for it */
    int unknown_confirmed; /* a send timed out on it and the cluster says it does not exist */
} kp_topic;

/* kprod_flush waits for every batch created before it: batches belong to an
 * epoch, and a flush waits until its epoch and all older ones are empty. */
typedef struct kp_flush_epoch {
    struct kp_flush_epoch *next;
    uint64_t number;
    int64_t batches; /* batches of this epoch not yet reported */
} kp_flush_epoch;

typedef struct kp_acc {
    pthread_mutex_t lock;
    pthread_cond_t space_cv; /* buffer.memory freed */
    pthread_cond_t md_cv;    /* topic metadata arrived */
    pthread_cond_t done_cv;  /* a flush epoch emptied */
    const kp_config *cfg;

    kp_topic **buckets;
    size_t nbuckets, ntopics;

    size_t mem_used; /* bytes charged against buffer.memory */
    size_t buf_used; /* the part of mem_used in batch buffers (the rest: report facts) */
    uint64_t next_batch_id;
    kp_flush_epoch *epochs; /* oldest first; the last is the current one */
    kp_flush_epoch *epoch_tail;
    uint64_t flush_upto; /* batches of epochs <= this are ready now */
    int closing;         /* everything is ready; no new appends */
    int space_waiters;   /* appends waiting for buffer.memory: every batch is ready */
    size_t space_want;   /* free bytes that wake them (see wake_space_waiters) */

    int64_t sender_wake_ms; /* when the sleeping sender plans to wake; INT64_MAX forever */
    atomic_int md_hint;     /* some topic may want metadata (read without the lock) */
    void (*wake_sender)(void *opaque);
    void *wake_opaque;
} kp_acc;

kprod_err_t kp_acc_init(kp_acc *acc, const kp_config *cfg, void (*wake)(void *), void *wake_opaque);
/* Frees every batch still held (the caller has reported them). */
void kp_acc_destroy(kp_acc *acc);

kp_topic *kp_acc_topic_locked(kp_acc *acc, const char *name, int create);
/* Marks t as waiting for metadata, and raises md_hint so that the sender's
 * lock-free check sees it. */
void kp_acc_want_metadata_locked(kp_acc *acc, kp_topic *t);
/* Grows a topic's partition table (partitions never shrink in Kafka). */
kprod_err_t kp_acc_set_partition_count_locked(kp_acc *acc, kp_topic *t, int32_t count);

/* What kprod_send appends: serialized key/value (len -1 = null). */
typedef struct kp_append {
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

/* Appends to partition `partition` of t, blocking on buffer.memory until
 * deadline_ms (then _QUEUE_FULL, or _CLOSED once closing is set). now_ms is
 * the caller's clock; after a wait the batch is stamped with kp_now_ms().
 * now_ms and deadline_ms may be 0: the clock is then read only when a batch
 * is made or a wait begins (deadline = then + max.block.ms).
 * On error nothing is left behind: no empty batch, no memory charged.
 * Sets *wake when the sender must be woken: the caller does it with
 * acc->wake_sender once it has released the lock.
 * Lock held; may wait on space_cv. */
kprod_err_t kp_acc_append_locked(kp_acc *acc, kp_topic *t, int32_t partition, const kp_append *a,
                                 int64_t now_ms, int64_t deadline_ms, size_t *appended, int *wake);

/* Is the head batch of q ready to send now (full, lingered, flushed,
 * closing, an append waiting for memory, or a retry whose backoff is over)?
 * If not, lowers *wake_at_ms to when it will be. */
int kp_acc_batch_ready_locked(const kp_acc *acc, const kp_batch *b, int64_t now_ms,
                              int64_t *wake_at_ms);
/* Takes the head batch off q (closing it if it was the open tail). */
kp_batch *kp_acc_pop_locked(kp_acc *acc, kp_partq *q);
/* Puts a batch back for a retry, in creation order ahead of newer ones. */
void kp_acc_requeue_locked(kp_partq *q, kp_batch *b);

/* Starts a flush: every batch existing now becomes ready. Returns the epoch
 * to wait for with kp_acc_flush_done_locked. */
uint64_t kp_acc_begin_flush_locked(kp_acc *acc);
int kp_acc_flush_done_locked(const kp_acc *acc, uint64_t epoch);

/* A batch is complete: its records' bytes are no longer needed, so their
 * memory goes back at once; only the report facts (24 bytes a record) stay
 * charged until the reports are served. */
void kp_acc_release_buffer_locked(kp_acc *acc, kp_batch *b);
/* A batch's reports were served: give back its memory and count it done. */
void kp_acc_release_locked(kp_acc *acc, kp_batch *b);
void kp_batch_free(kp_batch *b);

#endif
