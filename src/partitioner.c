/* Partition choice: Java-compatible murmur2, the sticky partition for
 * unkeyed records, and the order of the rules (see partitioner.h). */
#include "partitioner.h"

#include <stdatomic.h>
#include <time.h>

int32_t kp_murmur2(const void *data, size_t len) {
    /* Java computes in signed ints with wrap-around; unsigned arithmetic
     * gives the same bits without undefined behaviour. Java's int length
     * is the low 32 bits of len for any realistic key. */
    const uint8_t *p = data;
    const uint32_t m = 0x5bd1e995u;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t blocks = len / 4;

    for (size_t i = 0; i < blocks; i++) {
        const uint8_t *b = p + i * 4;
        /* Little-endian, each byte taken as unsigned (Java's & 0xff). */
        uint32_t k = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
                     ((uint32_t)b[3] << 24);
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }

    const uint8_t *tail = p + blocks * 4;
    switch (len & 3) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)tail[0];
        h *= m;
        break;
    default:
        break;
    }

    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t kp_partition_for_key(const void *key, size_t len, int32_t partition_count) {
    uint32_t positive = (uint32_t)kp_murmur2(key, len) & 0x7fffffffu;
    return (int32_t)(positive % (uint32_t)partition_count);
}

/* ---- per-thread random numbers (splitmix64) ---- */

static _Thread_local uint64_t rng_state;
static _Thread_local int rng_seeded;
static atomic_uint_fast64_t rng_counter;

void kp_partitioner_seed_thread(uint64_t seed) {
    rng_state = seed;
    rng_seeded = 1;
}

static uint64_t rng_next(void) {
    if (!rng_seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t n = atomic_fetch_add(&rng_counter, 1);
        rng_state = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
                    (uint64_t)(uintptr_t)&rng_state ^ (n * 0xd1b54a32d192ed03u);
        rng_seeded = 1;
    }
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A uniform index in [0, n) by multiply-shift (Lemire): no modulo bias worth
 * speaking of for n < 2^32. */
static uint32_t rng_below(uint32_t n) {
    return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

/* ---- sticky partition ---- */

static uint64_t word_make(int32_t partition, uint32_t produced) {
    return ((uint64_t)produced << 32) | (uint32_t)(partition + 1);
}
static int32_t word_partition(uint64_t w) { return (int32_t)(uint32_t)(w & 0xffffffffu) - 1; }
static uint32_t word_produced(uint64_t w) { return (uint32_t)(w >> 32); }

/* Java's nextPartition without load stats: uniform among the partitions
 * that have a leader, or among all when none has. */
static int32_t draw_partition(int32_t count, kp_partition_avail_cb avail, void *opaque) {
    if (avail) {
        uint32_t n_avail = 0;
        for (int32_t p = 0; p < count; p++)
            if (avail(p, opaque))
                n_avail++;
        if (n_avail > 0) {
            uint32_t pick = rng_below(n_avail);
            for (int32_t p = 0; p < count; p++) {
                if (!avail(p, opaque))
                    continue;
                if (pick == 0)
                    return p;
                pick--;
            }
            /* Availability changed between the two passes: fall through
             * to a draw among all partitions. */
        }
    }
    return (int32_t)rng_below((uint32_t)count);
}

void kp_sticky_init(kp_sticky *s) { atomic_init(&s->word, 0); }

int32_t kp_sticky_current(kp_sticky *s, int32_t partition_count, kp_partition_avail_cb avail,
                          void *avail_opaque) {
    uint64_t w = atomic_load(&s->word);
    for (;;) {
        int32_t cur = word_partition(w);
        if (w != 0 && cur < partition_count)
            return cur;
        uint64_t next = word_make(draw_partition(partition_count, avail, avail_opaque), 0);
        /* On failure w is reloaded: another thread chose first, use its. */
        if (atomic_compare_exchange_weak(&s->word, &w, next))
            return word_partition(next);
    }
}

int32_t kp_sticky_switch(kp_sticky *s, int32_t from, int32_t partition_count,
                         kp_partition_avail_cb avail, void *avail_opaque) {
    uint64_t w = atomic_load(&s->word);
    for (;;) {
        if (w != 0 && word_partition(w) != from)
            return kp_sticky_current(s, partition_count, avail, avail_opaque);
        uint64_t next = word_make(draw_partition(partition_count, avail, avail_opaque), 0);
        if (atomic_compare_exchange_weak(&s->word, &w, next))
            return word_partition(next);
    }
}

int kp_sticky_note_append(kp_sticky *s, int32_t partition, size_t bytes, int32_t batch_size,
                          int may_switch, int32_t partition_count, kp_partition_avail_cb avail,
                          void *avail_opaque) {
    uint64_t limit = batch_size > 0 ? (uint64_t)batch_size : 1;
    uint64_t w = atomic_load(&s->word);
    for (;;) {
        if (w == 0 || word_partition(w) != partition)
            return 0;
        uint64_t produced = (uint64_t)word_produced(w) + bytes;
        if (produced > UINT32_MAX)
            produced = UINT32_MAX;
        int do_switch = (produced >= limit && may_switch) || produced >= 2 * limit;
        uint64_t next;
        if (do_switch)
            next = word_make(draw_partition(partition_count, avail, avail_opaque), 0);
        else
            next = word_make(partition, (uint32_t)produced);
        if (atomic_compare_exchange_weak(&s->word, &w, next))
            return do_switch;
    }
}

/* ---- the rules in order ---- */

kprod_err_t kp_partition_choose(const kp_part_input *in, int32_t *partition,
                                kp_part_source *source) {
    int32_t count = in->partition_count;
    if (count <= 0)
        return KPROD_ERR__INVALID_ARG;

    if (in->explicit_partition != KPROD_PARTITION_ANY) {
        if (in->explicit_partition < 0 || in->explicit_partition >= count)
            return KPROD_ERR__UNKNOWN_PARTITION;
        *partition = in->explicit_partition;
        *source = KP_PART_EXPLICIT;
        return KPROD_ERR_NO_ERROR;
    }

    int null_key = in->key_len < 0;
    if (!null_key && in->key_len > 0 && !in->key)
        return KPROD_ERR__INVALID_ARG;
    /* An empty non-null key must not look null to the callback. */
    const void *key = null_key ? NULL : (in->key ? in->key : (const void *)"");
    size_t key_len = null_key ? 0 : (size_t)in->key_len;

    if (in->user_cb) {
        int32_t p = in->user_cb(in->topic, key, key_len, count, in->user_opaque);
        if (p >= 0 && p < count) {
            *partition = p;
            *source = KP_PART_USER;
            return KPROD_ERR_NO_ERROR;
        }
        if (p != -1)
            return KPROD_ERR__PARTITIONER;
    }

    if (!null_key && !in->ignore_keys) {
        *partition = kp_partition_for_key(key, key_len, count);
        *source = KP_PART_KEY;
        return KPROD_ERR_NO_ERROR;
    }

    if (!in->sticky)
        return KPROD_ERR__INVALID_ARG;
    *partition = kp_sticky_current(in->sticky, count, in->avail, in->avail_opaque);
    *source = KP_PART_STICKY;
    return KPROD_ERR_NO_ERROR;
}
