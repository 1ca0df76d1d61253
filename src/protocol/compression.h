/* The compression codecs of Kafka record batches, in the exact framings the
 * Java client and librdkafka write and read. One place for all four, so the
 * record batch code only knows "compress these bytes with codec N". */
#ifndef KPROD_PROTOCOL_COMPRESSION_H
#define KPROD_PROTOCOL_COMPRESSION_H

#include <limits.h>
#include <stddef.h>

#include "kprod.h"
#include "protocol/buf.h"

/* The codec numbers are Kafka's: bits 0-2 of a RecordBatch's attributes. */
typedef enum kp_codec {
    KP_CODEC_NONE = 0,
    KP_CODEC_GZIP = 1,   /* a gzip stream (RFC 1952) */
    KP_CODEC_SNAPPY = 2, /* xerial's framed snappy, as the Java client writes it */
    KP_CODEC_LZ4 = 3,    /* the LZ4 frame format, independent 64 KiB blocks */
    KP_CODEC_ZSTD = 4,   /* a zstd frame */
} kp_codec;
#define KP_CODEC_MASK 0x07

/* Level meaning "this codec's default" (gzip 6, lz4 9, zstd 3). */
#define KP_LEVEL_DEFAULT INT_MIN

/* "none", "gzip", "snappy", "lz4", "zstd"; "unknown" for anything else. */
const char *kp_codec_name(int codec);
/* The codec of a compression.type value, or -1 when name is not one. */
int kp_codec_from_name(const char *name);
/* 1 when level is accepted for codec: KP_LEVEL_DEFAULT always; gzip -1 or
 * 1..9; lz4 1..17; zstd ZSTD_minCLevel()..22; snappy and none ignore it. */
int kp_codec_level_valid(int codec, int level);

/* Compresses in_len bytes and appends the result to out (whatever out held
 * stays in front: the record batch writes its header first). Levels as Java:
 * lz4 9 (its default) uses the fast compressor and other levels from 3 up
 * LZ4's HC compressor; gzip -1 is zlib's default (6). KP_CODEC_NONE copies.
 * Returns _INVALID_ARG (unknown codec, bad level, input over 2 GiB),
 * _NO_MEMORY, or _COMPRESSION. On error out->len is back where it was. */
kprod_err_t kp_compress(int codec, int level, const void *in, size_t in_len, kp_buf *out);

/* Decompresses and appends to out, refusing (with _COMPRESSION) input that
 * is malformed, truncated, or would expand to more than max_out bytes, so a
 * compression bomb costs at most max_out + 1 bytes of memory. Accepts what
 * Kafka's producers write: concatenated gzip members; xerial-framed snappy
 * (possibly concatenated streams) and also plain raw snappy; LZ4 frames (one
 * or more); zstd frames with or without a content size. On error out->len
 * is back where it was. */
kprod_err_t kp_decompress(int codec, const void *in, size_t in_len, size_t max_out, kp_buf *out);

#endif
