/* Kafka RecordBatch (magic 2): the encode-once writer the accumulator appends
 * records to, sealing (header patch, optional compression, CRC-32C), the
 * producer-field re-patch for idempotent retries, and a validating decoder
 * for tests and tools. Pure code on byte buffers, no I/O.
 *
 * Layout (big-endian), offsets within the batch:
 *    0 baseOffset int64          27 baseTimestamp int64
 *    8 batchLength int32         35 maxTimestamp int64
 *   12 partitionLeaderEpoch      43 producerId int64
 *   16 magic int8 = 2            51 producerEpoch int16
 *   17 crc uint32                53 baseSequence int32
 *   21 attributes int16          57 recordCount int32
 *   23 lastOffsetDelta int32     61 records...
 * batchLength counts the bytes after itself; the CRC-32C covers attributes
 * to the end. Each record: length varint, attributes int8, timestampDelta
 * varlong, offsetDelta varint, keyLength varint (-1 null), key, valueLength
 * varint (-1 null), value, headerCount varint, then per header keyLength
 * varint, key, valueLength varint (-1 null), value. */
#ifndef KPROD_PROTOCOL_RECORD_BATCH_H
#define KPROD_PROTOCOL_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"
#include "protocol/compression.h"

#define KP_RB_HEADER_SIZE 61 /* baseOffset..recordCount */
#define KP_RB_MAGIC 2

/* Byte offsets of the header fields. */
enum {
    KP_RB_OFF_BASE_OFFSET = 0,
    KP_RB_OFF_BATCH_LENGTH = 8,
    KP_RB_OFF_LEADER_EPOCH = 12,
    KP_RB_OFF_MAGIC = 16,
    KP_RB_OFF_CRC = 17,
    KP_RB_OFF_ATTRIBUTES = 21,
    KP_RB_OFF_LAST_OFFSET_DELTA = 23,
    KP_RB_OFF_BASE_TIMESTAMP = 27,
    KP_RB_OFF_MAX_TIMESTAMP = 35,
    KP_RB_OFF_PRODUCER_ID = 43,
    KP_RB_OFF_PRODUCER_EPOCH = 51,
    KP_RB_OFF_BASE_SEQUENCE = 53,
    KP_RB_OFF_RECORD_COUNT = 57,
};

/* Attribute bits. */
#define KP_RB_ATTR_CODEC_MASK 0x07      /* kp_codec */
#define KP_RB_ATTR_LOG_APPEND_TIME 0x08 /* clear: CreateTime, what producers send */
#define KP_RB_ATTR_TRANSACTIONAL 0x10
#define KP_RB_ATTR_CONTROL 0x20

/* ---- writer ---- */

/* One batch being filled. Not thread-safe and not locked here: the caller
 * must make sure one thread at a time uses a writer. In kprod the accumulator
 * appends to a queued batch with its own lock held; a batch the
 * sender has taken off its queue is the sender thread's until reported. */
typedef struct kp_rb_writer {
    kp_buf buf;      /* header placeholder (61 bytes) followed by the records, uncompressed;
                        after kp_rb_seal: the finished batch, buf.data[0..buf.len) */
    int64_t base_ts; /* first record's timestamp */
    int64_t max_ts;
    int32_t count;
    int sealed; /* set by kp_rb_seal; no appends afterwards */
} kp_rb_writer;

/* initial_cap: bytes to reserve (at least the header is). Out of memory here
 * shows up as -1 from the first kp_rb_append. */
void kp_rb_writer_init(kp_rb_writer *w, size_t initial_cap);
void kp_rb_writer_free(kp_rb_writer *w);
/* Empties the writer for a new batch, keeping its memory. */
void kp_rb_writer_reset(kp_rb_writer *w);

/* Exact encoded size of a record appended as the next one of this writer
 * (for batch.size / max.request.size checks before appending). SIZE_MAX when
 * the record cannot be encoded (a length below -1 or above INT32_MAX).
 * headers: header_count entries; a NULL name is encoded as "". */
size_t kp_rb_record_size(const kp_rb_writer *w, int64_t ts, int32_t key_len, int32_t value_len,
                         const kprod_header_t *headers, size_t header_count);

/* Appends one record in wire format; key_len/value_len -1 = null (the
 * pointer is then ignored). Borrows everything only during the call.
 * Returns 0, or -1 when out of memory, the writer is sealed, or the record
 * cannot be encoded (see kp_rb_record_size); the writer is unchanged then. */
int kp_rb_append(kp_rb_writer *w, int64_t ts, const void *key, int32_t key_len, const void *value,
                 int32_t value_len, const kprod_header_t *headers, size_t header_count);

typedef struct kp_rb_seal_opts {
    int codec;                      /* kp_codec */
    int level;                      /* KP_LEVEL_DEFAULT or a level kp_compress takes */
    int64_t producer_id;            /* -1 without idempotence */
    int16_t producer_epoch;         /* -1 */
    int32_t base_sequence;          /* -1 */
    int32_t partition_leader_epoch; /* -1: producers do not know it */
    int is_transactional;
} kp_rb_seal_opts;
#define KP_RB_SEAL_OPTS_INIT                                                                       \
    { KP_CODEC_NONE, KP_LEVEL_DEFAULT, -1, -1, -1, -1, 0 }

/* Finishes the batch: patches every header field (baseOffset 0,
 * lastOffsetDelta count-1, timestamps, producer fields from o, CreateTime)
 * and the CRC. Without compression the writer's own buffer is patched in
 * place, no copy. With compression the records are compressed after a new
 * header into a fresh buffer that replaces w->buf (the old one is freed);
 * when compression would not make the records smaller the batch is left
 * uncompressed (codec bits 0), as librdkafka does. Either way the result is
 * w->buf.data[0..w->buf.len). Returns _INVALID_ARG (empty or already sealed
 * batch, bad codec or level), _NO_MEMORY or _COMPRESSION; on error the
 * writer is as it was and may be sealed again. */
kprod_err_t kp_rb_seal(kp_rb_writer *w, const kp_rb_seal_opts *o);

/* Rewrites producerId, producerEpoch and baseSequence of a sealed batch of
 * len bytes and recomputes its CRC (an idempotent retry after an epoch bump
 * or sequence reset). Does nothing when len is shorter than a header. */
void kp_rb_set_producer(uint8_t *batch, size_t len, int64_t producer_id, int16_t epoch,
                        int32_t base_sequence);

/* ---- decoder ---- */

typedef struct kp_rb_header {
    int64_t base_offset;
    int32_t batch_length;
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
} kp_rb_header;

/* Reads the 61 header bytes at p into *h, unchecked (the caller has made
 * sure they are there). */
void kp_rb_header_fields(const uint8_t *p, kp_rb_header *h);
/* 1 when the CRC-32C of the batch at p (12 + h->batch_length bytes, which
 * the caller has checked are there, h->batch_length at least 49) matches
 * h->crc. */
int kp_rb_crc_ok(const uint8_t *p, const kp_rb_header *h);

/* Reads the 61-byte header of the batch at p (len bytes available; more may
 * follow the batch) and checks magic 2, a batchLength that fits in len and
 * the CRC. The batch spans 12 + h->batch_length bytes. _BAD_MSG otherwise. */
kprod_err_t kp_rb_header_decode(const uint8_t *p, size_t len, kp_rb_header *h);

/* One decoded record; every slice points into the batch (or its
 * decompressed copy) and is valid only during the visit. */
typedef struct kp_rb_record {
    int64_t offset;    /* baseOffset + offsetDelta */
    int64_t timestamp; /* baseTimestamp + timestampDelta */
    int8_t attributes;
    kp_slice key;   /* len -1: null */
    kp_slice value; /* len -1: null */
    int32_t header_count;
    kp_slice headers; /* the encoded headers, already validated: walk them
                         with kp_rb_record_header_next */
} kp_rb_record;

/* Returns nonzero to stop the walk early (kp_rb_decode still succeeds). */
typedef int (*kp_rb_visit_fn)(const kp_rb_record *rec, void *opaque);

/* Decodes the batch at p: header checks as kp_rb_header_decode, then the
 * records are decompressed (refusing more than max_decompressed bytes) and
 * fully validated: lengths within bounds, each record exactly as long as it
 * says, no null header names, recordCount records and nothing after them.
 * Only when all of that holds is fn (may be NULL) called for each record in
 * order. h (may be NULL) receives the header. Returns _BAD_MSG for a
 * malformed batch, _COMPRESSION when decompression fails or exceeds the
 * limit, _NO_MEMORY. */
kprod_err_t kp_rb_decode(const uint8_t *p, size_t len, size_t max_decompressed, kp_rb_header *h,
                         kp_rb_visit_fn fn, void *opaque);

/* Walks a record's headers: it = kp_rd over rec->headers; returns 1 and
 * fills name/value (value len -1: null) per header, 0 at the end. */
int kp_rb_record_header_next(kp_rd *it, kp_slice *name, kp_slice *value);

#endif
