/* Walks the record batches in a Fetch answer's records bytes, headers
 * only: offsets, producer id/epoch/sequence, record count, transactional
 * and control bits, without decompressing or parsing a single record.
 * That is all a producer needs to learn which of its batches a partition
 * holds (every batch header carries them uncompressed).
 *
 * A broker may cut the last batch of a partition short (it fills the
 * fetch up to its byte limit): the walk then ends normally and tells how
 * many bytes were left over. Only an impossible batch is an error: a
 * length below the batch header's size, a magic other than 2 (Kafka 4
 * writes nothing else), negative offsets or counts, or (when asked) a CRC
 * mismatch. The walk never reads outside [records, records + len). */
#ifndef KPROD_PROTOCOL_BATCH_ITER_H
#define KPROD_PROTOCOL_BATCH_ITER_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/record_batch.h"

typedef struct kp_batch_iter {
    const uint8_t *p; /* the next batch */
    const uint8_t *end;
    int check_crc;
    kprod_err_t err;  /* KPROD_ERR__BAD_MSG once a malformed batch was met */
    size_t truncated; /* at the end: bytes of a partial last batch (0: none) */
} kp_batch_iter;

/* Starts a walk over records[0..len); records may be NULL when len is 0.
 * check_crc: verify each batch's CRC-32C (reads the whole batch). */
void kp_batch_iter_init(kp_batch_iter *it, const uint8_t *records, size_t len, int check_crc);

/* The next batch: returns 1 with *h its header and *batch, *batch_len the
 * whole batch (12 + h->batch_length bytes; batch and batch_len may be
 * NULL), 0 at the end (it->truncated set), or -1 for a malformed batch
 * (it->err set; every later call returns -1 too). */
int kp_batch_iter_next(kp_batch_iter *it, kp_rb_header *h, const uint8_t **batch,
                       size_t *batch_len);

/* The offset of a walked batch's last record (checked not to overflow). */
static inline int64_t kp_batch_last_offset(const kp_rb_header *h) {
    return h->base_offset + h->last_offset_delta;
}
static inline int kp_batch_is_transactional(const kp_rb_header *h) {
    return (h->attributes & KP_RB_ATTR_TRANSACTIONAL) != 0;
}
/* A control batch holds a transaction marker (commit or abort), not data. */
static inline int kp_batch_is_control(const kp_rb_header *h) {
    return (h->attributes & KP_RB_ATTR_CONTROL) != 0;
}

#endif
