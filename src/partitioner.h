/* Choosing a record's partition, compatible with the Java client:
 * - an explicit partition in the record wins;
 * - then the user's partitioner callback (-1 = fall back);
 * - then a keyed record goes to (murmur2(key) & 0x7fffffff) % count, with
 *   murmur2 bit-for-bit equal to Java's Utils.murmur2, so that a key lands on
 *   the same partition whichever client wrote it;
 * - otherwise (null key, or partitioner.ignore.keys=true) the topic's sticky
 *   partition (KIP-480, KIP-794): all such records go to one partition until
 *   about a batch's worth has been appended to it, then a new one is drawn.
 *
 * What kprod implements of KIP-794: the switch rule (switch once batch.size
 * bytes were appended and the batch may be sent, and in any case at
 * 2 x batch.size) and the uniform draw among partitions that have a leader.
 * Not implemented: adaptive weighting by queue sizes
 * (partitioner.adaptive.partitioning.enable) and
 * partitioner.availability.timeout.ms. The draw is uniform over the
 * available partitions, or over all partitions when none is available or no
 * availability callback is given. */
#ifndef KPROD_PARTITIONER_H
#define KPROD_PARTITIONER_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"

/* Java's Utils.murmur2 (seed 0x9747b28c) as a signed 32-bit value. */
int32_t kp_murmur2(const void *data, size_t len);

/* (murmur2 & 0x7fffffff) % partition_count, as Java's
 * Utils.toPositive(Utils.murmur2(key)) % numPartitions. partition_count > 0. */
int32_t kp_partition_for_key(const void *key, size_t len, int32_t partition_count);

/* Tells whether a partition can take records now (has a leader). Called on
 * the thread that switches the sticky partition; must be thread-safe. */
typedef int (*kp_partition_avail_cb)(int32_t partition, void *opaque);

/* Per-topic sticky partition state. Lock-free: one atomic word holds the
 * current partition and the bytes appended to it since it was chosen, so
 * any number of threads may call the kp_sticky_* functions at once without
 * a lock. Zero-initialised (or kp_sticky_init) means "none chosen yet". */
typedef struct kp_sticky {
    _Atomic uint64_t word; /* (produced_bytes << 32) | (partition + 1); 0 = none */
} kp_sticky;

void kp_sticky_init(kp_sticky *s);

/* The current sticky partition, drawing one first when none is chosen yet
 * or when the current one is not below partition_count (metadata changed).
 * avail may be NULL (every partition counts as available). Always returns a
 * partition in [0, partition_count); partition_count must be > 0. */
int32_t kp_sticky_current(kp_sticky *s, int32_t partition_count, kp_partition_avail_cb avail,
                          void *avail_opaque);

/* Moves away from partition `from`: draws a new sticky partition, but only
 * if `from` is still the current one, so that several threads noticing the
 * same full batch switch once, not once each. Returns the current partition
 * after the call. The draw may pick `from` again (as Java's may). */
int32_t kp_sticky_switch(kp_sticky *s, int32_t from, int32_t partition_count,
                         kp_partition_avail_cb avail, void *avail_opaque);

/* KIP-794's accounting, for the accumulator to call after it appended
 * `bytes` to `partition` for a record that was placed by the sticky rule.
 * Switches when at least batch_size bytes were appended and may_switch is
 * set (the partition's batches are all full or ready, so switching leaves no
 * small trailing batch), and always at 2 * batch_size. Appends counted
 * against a partition that is no longer the sticky one are ignored.
 * Returns 1 when this call switched, else 0. */
int kp_sticky_note_append(kp_sticky *s, int32_t partition, size_t bytes, int32_t batch_size,
                          int may_switch, int32_t partition_count, kp_partition_avail_cb avail,
                          void *avail_opaque);

/* Seeds the calling thread's random generator (used for the sticky draw),
 * for deterministic tests. Each thread is otherwise seeded from the clock,
 * its own address and a global counter on its first draw. */
void kp_partitioner_seed_thread(uint64_t seed);

/* Where kp_partition_choose found the partition. */
typedef enum kp_part_source {
    KP_PART_EXPLICIT, /* the record named it */
    KP_PART_USER,     /* the user's partitioner callback */
    KP_PART_KEY,      /* murmur2 of the key */
    KP_PART_STICKY    /* the sticky partition: call kp_sticky_note_append after appending */
} kp_part_source;

/* Inputs of one choice. key/key_len are the serialized key; key_len -1 (and
 * any key pointer) means a null key, 0 an empty but non-null key. */
typedef struct kp_part_input {
    const char *topic;
    int32_t explicit_partition; /* KPROD_PARTITION_ANY (-1) when not given */
    const void *key;
    int32_t key_len;
    int32_t partition_count;      /* > 0: the topic's metadata is known */
    int ignore_keys;              /* partitioner.ignore.keys */
    kprod_partitioner_cb user_cb; /* NULL when none configured */
    void *user_opaque;
    kp_sticky *sticky;           /* the topic's sticky state */
    kp_partition_avail_cb avail; /* may be NULL */
    void *avail_opaque;
} kp_part_input;

/* Chooses the partition by the rules at the top of this file.
 * Errors: KPROD_ERR__UNKNOWN_PARTITION for an explicit partition outside
 * [0, count) (other than -1), KPROD_ERR__PARTITIONER when the user callback
 * returns a value outside [0, count) other than -1, KPROD_ERR__INVALID_ARG
 * when partition_count <= 0, key is NULL with key_len > 0, or sticky is
 * NULL when needed. On success sets
 * *partition and *source. Thread-safe as long as user_cb and avail are. */
kprod_err_t kp_partition_choose(const kp_part_input *in, int32_t *partition,
                                kp_part_source *source);

#endif
