/* The accumulator's own structures, for accumulator.c and its white-box
 * unit test only: nothing else in the library includes this file. Every
 * field is guarded by kp_acc.lock unless its comment says otherwise. */
#ifndef KPROD_ACCUMULATOR_IMPL_H
#define KPROD_ACCUMULATOR_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "accumulator.h"
#include "partitioner.h"

struct kp_topic;

/* One partition's queue. Allocated one by one so that its address stays
 * fixed while the topic's table of partitions grows. */
typedef struct kp_partq {
    kp_batch *head, *tail; /* waiting batches, oldest first; tail may be open */
    struct kp_topic *topic;
    int32_t index;
    int has_leader;            /* for the sticky partitioner's choice */
    int64_t records, bytes;    /* waiting here, retries included (statistics) */
    int active;                /* on the accumulator's active list */
    struct kp_partq *act_next; /* next on that list */
} kp_partq;

typedef struct kp_topic {
    struct kp_topic *hnext;
    char *name;
    uint32_t id;
    int32_t partition_count; /* -1 until metadata is known */
    kprod_err_t md_err;      /* last metadata error for the topic */
    kp_partq **parts;
    kp_sticky sticky;      /* null-key partition (KIP-480/794) */
    int md_wanted;         /* the sender should fetch metadata for it */
    int md_asked;          /* it was named in a metadata request (kp_acc_topics) */
    int unknown_confirmed; /* a send timed out on it and the cluster says it does not exist */
} kp_topic;

/* kprod_flush waits for every batch created before it: batches belong to an
 * epoch, and a flush waits until its epoch and all older ones are empty. */
typedef struct kp_flush_epoch {
    struct kp_flush_epoch *next;
    uint64_t number;
    int64_t batches; /* batches of this epoch not yet reported */
} kp_flush_epoch;

struct kp_acc {
    pthread_mutex_t lock;
    pthread_cond_t space_cv; /* buffer.memory freed */
    pthread_cond_t md_cv;    /* topic metadata arrived */
    pthread_cond_t done_cv;  /* a flush epoch emptied */
    const kp_config *cfg;

    kp_topic **buckets;
    size_t nbuckets, ntopics;
    kp_topic **by_id; /* ntopics entries, by kp_topic.id */
    size_t by_id_cap;
    /* Partitions holding batches, in the order they got their first one:
     * the drain walks these, never the whole table. */
    kp_partq *act_head, *act_tail;

    size_t mem_used; /* bytes charged against buffer.memory */
    /* statistics: accepted ever, waiting now (the partitions' sums) */
    int64_t records_accepted, bytes_accepted, records_waiting, bytes_waiting;
    size_t buf_used; /* the part of mem_used in batch buffers (the rest: report facts) */
    uint64_t next_batch_id;
    kp_flush_epoch *epochs; /* oldest first; the last is the current one */
    kp_flush_epoch *epoch_tail;
    uint64_t flush_upto;  /* batches of epochs <= this are ready now */
    kprod_err_t shut_err; /* set once: appends fail with it */
    int interrupted;      /* kp_acc_interrupt: an append that would wait fails instead */
    uint64_t md_fail_seq; /* bumped by kp_acc_fail_metadata_waits */
    kprod_err_t md_fail_err;
    char md_fail_why[512]; /* its reason, for kprod_last_errstr */
    atomic_int closing;    /* everything is ready; read without the lock too */
    int space_waiters;     /* appends waiting for buffer.memory: every batch is ready */
    size_t space_want;     /* free bytes that wake them (see wake_space_waiters) */

    int64_t sender_wake_ms; /* when the sleeping sender plans to look; INT64_MAX never */
    atomic_int md_hint;     /* some topic may want metadata (read without the lock) */
    void (*wake_sender)(void *opaque);
    void *wake_opaque;
};

/* For the white-box test: the rules the drain applies, lock held. */
int kp_acc_batch_ready_locked(const kp_acc *acc, const kp_batch *b, int64_t now_ms,
                              int64_t *wake_at_ms);
kp_topic *kp_acc_topic_locked(kp_acc *acc, const char *name);

#endif
