/* The reading side of `kprod verify`: a small blocking Kafka client, one
 * request at a time per broker, over the library's pure protocol codecs
 * (src/protocol: Metadata, ListOffsets, Fetch, ApiVersions). The kprod
 * library is a producer and offers no consumer API, so this is the one
 * part of the tool that uses more than kprod.h; it keeps no state of the
 * library's and opens its own connections: PLAINTEXT only (no TLS or SASL
 * yet, which the producer speaks).
 *
 * Every call returns a Kafka error code (the broker's), or one of
 * _TRANSPORT (connection failed; the caller may retry after fresh
 * metadata), _BAD_MSG (an answer that cannot be decoded or does not fit
 * the question), _UNSUPPORTED_FEATURE, _NO_MEMORY; err then says what
 * happened. */
#ifndef KPROD_CLI_VERIFY_READ_H
#define KPROD_CLI_VERIFY_READ_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/fetch.h"

typedef struct vr vr;

typedef struct vr_part {
    int32_t partition;
    int32_t leader;       /* broker id, -1 none */
    int32_t leader_epoch; /* -1 unknown */
    int16_t error;        /* the partition's metadata error */
} vr_part;

/* A reader for the bootstrap list ("host:port,..."): nothing is connected
 * until the first call. timeout_ms bounds each connect, send and receive.
 * NULL when out of memory or the list has no valid entry. */
vr *vr_new(const char *bootstrap, int timeout_ms, char *err, size_t err_size);
void vr_free(vr *r);

/* The topic's partitions (sorted by index, *parts malloc'd, the caller
 * frees) and its topic id (zeros when the broker gives none), from any
 * bootstrap broker; the brokers it names become reachable by id. */
kprod_err_t vr_metadata(vr *r, const char *topic, vr_part **parts, int32_t *count,
                        uint8_t topic_id[16], char *err, size_t err_size);
/* ListOffsets on the partition's leader as a consumer: ts -1 the high
 * watermark, -2 the log start, else the first offset whose timestamp is at
 * least ts (*offset -1 when none). */
kprod_err_t vr_list_offset(vr *r, const char *topic, const vr_part *p, int64_t ts, int64_t *offset,
                           char *err, size_t err_size);
/* Fetch of one partition from its leader at offset: *out is the decoded
 * answer (free with kp_fetch_resp_free; its records point into the
 * reader's buffer, valid until the next call) and *fp the partition in it. */
kprod_err_t vr_fetch(vr *r, const char *topic, const uint8_t topic_id[16], const vr_part *p,
                     int64_t offset, int32_t max_bytes, kp_fetch_resp *out,
                     const kp_fetch_resp_partition **fp, char *err, size_t err_size);

#endif
