/* The bookkeeping of `kprod verify`: fed every stamped record of a run in
 * the order each partition holds them, it counts per partition the
 * records found (distinct stamps), duplicated (a stamp seen before),
 * out of order (a stamp below one of the same key seen earlier in the same
 * partition) and missing (sequence numbers of a key below its highest that
 * were never seen; with an expected total, also those never seen at all),
 * and keeps the offsets of the first few of each. Pure: no I/O.
 *
 * Memory: 12 bytes per sequence number of each key (where each was first
 * found), so a run of ten million records costs about 120 MB. */
#ifndef KPROD_CLI_VERIFY_CHECK_H
#define KPROD_CLI_VERIFY_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define VC_SHOW_MAX 20

/* One noted record: where, and for a duplicate where its first copy is. */
typedef struct vc_note {
    int32_t partition;
    int64_t offset;
    const char *key; /* the map's copy (NULL: the null key) */
    int32_t key_len;
    uint64_t seq;
    int32_t first_partition; /* duplicates: the first copy; out of order: the
                                higher stamp seen before it */
    int64_t first_offset;
    uint64_t first_seq;
} vc_note;

typedef struct vc_part {
    int32_t partition;
    uint64_t found, duplicated, out_of_order, missing;
    int64_t first_offset, last_offset; /* of the run's records found here; -1 none */
    int ndup, nooo, nmiss;             /* notes kept, up to show */
    vc_note dup[VC_SHOW_MAX], ooo[VC_SHOW_MAX], miss[VC_SHOW_MAX];
} vc_part;

typedef struct vc vc;

/* show: notes kept per kind and partition (at most VC_SHOW_MAX).
 * from_first: a key's sequence numbers count from the lowest found, not
 * from 0 (a read that starts inside the log). */
vc *vc_new(int show, int from_first);
void vc_free(vc *c);

/* A record of the run at (partition, offset) with its key (key_len -1:
 * null) and sequence number. 0, or -1 when out of memory (or a sequence
 * number beyond what memory can index). */
int vc_record(vc *c, int32_t partition, int64_t offset, const void *key, int32_t key_len,
              uint64_t seq);
/* Ends the count: missing ones are found. expected (0: unknown) is the
 * number of records the run sent; those it sent but whose key's highest
 * numbers never arrived are counted missing in *unplaced (no partition can
 * be named for them). 0 or -1 (out of memory). */
int vc_finish(vc *c, uint64_t expected, uint64_t *unplaced);

/* The partitions seen, in increasing order (valid until vc_free). */
size_t vc_partition_count(const vc *c);
const vc_part *vc_partition(const vc *c, size_t i);
/* Sums over the partitions. */
vc_part vc_total(const vc *c);

#endif
