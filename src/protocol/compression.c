/* Kafka's four compression codecs over Debian's zlib, libsnappy, liblz4 and
 * libzstd, in the framings Kafka clients exchange:
 *   gzip   a gzip stream (deflate with the gzip wrapper);
 *   snappy xerial's block framing (the Java client's SnappyOutputStream): a
 *          16-byte header, then blocks of int32 BE length + raw snappy, each
 *          holding at most 32 KiB of input; raw snappy is also read;
 *   lz4    an LZ4 frame with independent 64 KiB blocks and no checksums
 *          beyond the header's, as Kafka's Lz4BlockOutputStream writes;
 *   zstd   a zstd frame.
 * Every decoder writes into output that is never allowed past max_out + 1
 * bytes, so hostile input cannot make it allocate more than that. */
#define ZLIB_CONST
#include "protocol/compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define GZIP_WINDOW_BITS (16 + MAX_WBITS) /* +16: the gzip wrapper, not zlib's */
#define XERIAL_BLOCK_SIZE (32 * 1024)     /* SnappyOutputStream's default */
#define XERIAL_HEADER_SIZE 16
#define LZ4_KAFKA_DEFAULT_LEVEL 9
#define KP_MAX_CODEC_INPUT ((size_t)INT32_MAX)

/* 0x82 "SNAPPY" 0x00, then int32 BE version 1 and minimum compatible version 1. */
static const uint8_t xerial_header[XERIAL_HEADER_SIZE] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
                                                          0,    0,   0,   1,   0,   0,   0,   1};

static const char *const codec_names[] = {"none", "gzip", "snappy", "lz4", "zstd"};

const char *kp_codec_name(int codec) {
    if (codec < 0 || codec > KP_CODEC_ZSTD)
        return "unknown";
    return codec_names[codec];
}

int kp_codec_from_name(const char *name) {
    if (!name)
        return -1;
    for (int i = 0; i <= KP_CODEC_ZSTD; i++)
        if (strcasecmp(name, codec_names[i]) == 0)
            return i;
    return -1;
}

int kp_codec_level_valid(int codec, int level) {
    if (level == KP_LEVEL_DEFAULT)
        return codec >= KP_CODEC_NONE && codec <= KP_CODEC_ZSTD;
    switch (codec) {
    case KP_CODEC_NONE:
    case KP_CODEC_SNAPPY:
        return 1;
    case KP_CODEC_GZIP:
        return level == -1 || (level >= 1 && level <= 9);
    case KP_CODEC_LZ4:
        return level >= 1 && level <= 17;
    case KP_CODEC_ZSTD:
        return level >= ZSTD_minCLevel() && level <= ZSTD_maxCLevel();
    default:
        return 0;
    }
}

/* ---- compression ---- */

static kprod_err_t gzip_compress(int level, const uint8_t *in, size_t n, kp_buf *out) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (level == KP_LEVEL_DEFAULT)
        level = Z_DEFAULT_COMPRESSION;
    int rc = deflateInit2(&zs, level, Z_DEFLATED, GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK)
        return rc == Z_MEM_ERROR ? KPROD_ERR__NO_MEMORY : KPROD_ERR__COMPRESSION;
    /* deflateBound is the worst case of a single deflate(Z_FINISH) call. */
    size_t bound = deflateBound(&zs, (uLong)n);
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    if (kp_buf_reserve(out, bound)) {
        err = KPROD_ERR__NO_MEMORY;
        goto done;
    }
    zs.next_in = in;
    zs.avail_in = (uInt)n;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    rc = deflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
        err = KPROD_ERR__COMPRESSION;
        goto done;
    }
    out->len += zs.total_out;
done:
    deflateEnd(&zs);
    return err;
}

static kprod_err_t snappy_compress_xerial(const uint8_t *in, size_t n, kp_buf *out) {
    kp_buf_put_raw(out, xerial_header, sizeof(xerial_header));
    while (n > 0) {
        size_t chunk = n < XERIAL_BLOCK_SIZE ? n : XERIAL_BLOCK_SIZE;
        size_t clen = snappy_max_compressed_length(chunk);
        if (kp_buf_reserve(out, 4 + clen))
            return KPROD_ERR__NO_MEMORY;
        uint8_t *lenp = out->data + out->len;
        if (snappy_compress((const char *)in, chunk, (char *)lenp + 4, &clen) != SNAPPY_OK)
            return KPROD_ERR__COMPRESSION;
        kp_be32_write(lenp, (uint32_t)clen);
        out->len += 4 + clen;
        in += chunk;
        n -= chunk;
    }
    return out->oom ? KPROD_ERR__NO_MEMORY : KPROD_ERR_NO_ERROR;
}

static kprod_err_t lz4_compress(int level, const uint8_t *in, size_t n, kp_buf *out) {
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    /* What Kafka's Lz4BlockOutputStream writes and its reader requires:
     * version 1, independent blocks, 64 KiB maximum block size, no block or
     * content checksum, no content size. */
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    prefs.frameInfo.contentSize = 0;
    /* The Java client compresses its default level (9) with LZ4's fast
     * compressor and any other level with the HC one; LZ4F does the same
     * with level 0 (fast) and 3..12 (HC, levels above 12 act as 12). */
    if (level == KP_LEVEL_DEFAULT || level == LZ4_KAFKA_DEFAULT_LEVEL)
        level = 0;
    prefs.compressionLevel = level;
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    if (kp_buf_reserve(out, bound))
        return KPROD_ERR__NO_MEMORY;
    size_t r = LZ4F_compressFrame(out->data + out->len, bound, in, n, &prefs);
    if (LZ4F_isError(r))
        return KPROD_ERR__COMPRESSION;
    out->len += r;
    return KPROD_ERR_NO_ERROR;
}

static kprod_err_t zstd_compress(int level, const uint8_t *in, size_t n, kp_buf *out) {
    if (level == KP_LEVEL_DEFAULT)
        level = ZSTD_CLEVEL_DEFAULT;
    size_t bound = ZSTD_compressBound(n);
    if (kp_buf_reserve(out, bound))
        return KPROD_ERR__NO_MEMORY;
    size_t r = ZSTD_compress(out->data + out->len, bound, in, n, level);
    if (ZSTD_isError(r))
        return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? KPROD_ERR__NO_MEMORY
                                                                    : KPROD_ERR__COMPRESSION;
    out->len += r;
    return KPROD_ERR_NO_ERROR;
}

kprod_err_t kp_compress(int codec, int level, const void *in, size_t in_len, kp_buf *out) {
    if (!kp_codec_level_valid(codec, level) || in_len > KP_MAX_CODEC_INPUT || (!in && in_len))
        return KPROD_ERR__INVALID_ARG;
    if (out->oom)
        return KPROD_ERR__NO_MEMORY;
    static const uint8_t empty[1] = {0};
    const uint8_t *src = in_len ? in : empty;
    size_t start = out->len;
    kprod_err_t err;
    switch (codec) {
    case KP_CODEC_NONE:
        kp_buf_put_raw(out, src, in_len);
        err = out->oom ? KPROD_ERR__NO_MEMORY : KPROD_ERR_NO_ERROR;
        break;
    case KP_CODEC_GZIP:
        err = gzip_compress(level, src, in_len, out);
        break;
    case KP_CODEC_SNAPPY:
        err = snappy_compress_xerial(src, in_len, out);
        break;
    case KP_CODEC_LZ4:
        err = lz4_compress(level, src, in_len, out);
        break;
    default:
        err = zstd_compress(level, src, in_len, out);
        break;
    }
    if (err)
        out->len = start;
    return err;
}

/* ---- decompression ---- */

/* Output bounded by limit = max_out + 1 bytes since start: a decoder that
 * fills the extra byte has proven the input expands past max_out. */
typedef struct bounded_out {
    kp_buf *buf;
    size_t start;
    size_t limit;
} bounded_out;

static size_t bo_produced(const bounded_out *o) { return o->buf->len - o->start; }

/* Makes room for the decoder's next write and returns how much it may write
 * (at least 1), or 0 with *err set: _COMPRESSION when the limit is reached,
 * _NO_MEMORY when growth failed. Growth doubles, so total copying stays
 * linear. */
static size_t bo_room(bounded_out *o, size_t hint, kprod_err_t *err) {
    size_t produced = bo_produced(o);
    if (produced >= o->limit) {
        *err = KPROD_ERR__COMPRESSION;
        return 0;
    }
    size_t left = o->limit - produced;
    size_t room = o->buf->cap - o->buf->len;
    if (room == 0) {
        size_t want = produced > hint ? produced : hint;
        if (want < 4096)
            want = 4096;
        if (want > left)
            want = left;
        if (kp_buf_reserve(o->buf, want)) {
            *err = KPROD_ERR__NO_MEMORY;
            return 0;
        }
        room = o->buf->cap - o->buf->len;
    }
    return room < left ? room : left;
}

static kprod_err_t gzip_decompress(const uint8_t *in, size_t n, bounded_out *o) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    int rc = inflateInit2(&zs, GZIP_WINDOW_BITS);
    if (rc != Z_OK)
        return rc == Z_MEM_ERROR ? KPROD_ERR__NO_MEMORY : KPROD_ERR__COMPRESSION;
    zs.next_in = in;
    zs.avail_in = (uInt)n;
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    for (;;) {
        size_t room = bo_room(o, n * 4, &err);
        if (!room)
            break;
        if (room > UINT32_MAX)
            room = UINT32_MAX;
        zs.next_out = o->buf->data + o->buf->len;
        zs.avail_out = (uInt)room;
        rc = inflate(&zs, Z_NO_FLUSH);
        o->buf->len += room - zs.avail_out;
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            /* Another gzip member follows (Java's GZIPInputStream reads on). */
            if (inflateReset(&zs) != Z_OK) {
                err = KPROD_ERR__COMPRESSION;
                break;
            }
            continue;
        }
        if (rc == Z_OK)
            continue;
        if (rc == Z_BUF_ERROR && zs.avail_out == 0)
            continue;
        /* Z_BUF_ERROR with room left: the input ended mid-stream. */
        err = rc == Z_MEM_ERROR ? KPROD_ERR__NO_MEMORY : KPROD_ERR__COMPRESSION;
        break;
    }
    inflateEnd(&zs);
    return err;
}

/* Appends one raw snappy block's expansion, refusing it before allocating
 * when its declared length passes the limit. */
static kprod_err_t snappy_block(const uint8_t *in, size_t n, bounded_out *o) {
    size_t ulen;
    if (snappy_uncompressed_length((const char *)in, n, &ulen) != SNAPPY_OK)
        return KPROD_ERR__COMPRESSION;
    if (ulen > o->limit - 1 - bo_produced(o))
        return KPROD_ERR__COMPRESSION;
    if (kp_buf_reserve(o->buf, ulen))
        return KPROD_ERR__NO_MEMORY;
    if (ulen == 0)
        return KPROD_ERR_NO_ERROR;
    if (snappy_uncompress((const char *)in, n, (char *)o->buf->data + o->buf->len, &ulen) !=
        SNAPPY_OK)
        return KPROD_ERR__COMPRESSION;
    o->buf->len += ulen;
    return KPROD_ERR_NO_ERROR;
}

static int xerial_magic_at(const uint8_t *p, size_t n) {
    return n >= 8 && memcmp(p, xerial_header, 8) == 0;
}

static kprod_err_t snappy_decompress(const uint8_t *in, size_t n, bounded_out *o) {
    if (!xerial_magic_at(in, n))
        return snappy_block(in, n, o); /* plain raw snappy, as librdkafka accepts */
    size_t pos = 0;
    while (pos < n) {
        size_t left = n - pos;
        if (xerial_magic_at(in + pos, left)) {
            /* A stream header: at the start, or of a concatenated stream. */
            if (left < XERIAL_HEADER_SIZE)
                return KPROD_ERR__COMPRESSION;
            pos += XERIAL_HEADER_SIZE;
            continue;
        }
        if (left < 4)
            return KPROD_ERR__COMPRESSION;
        uint32_t blen = kp_be32_read(in + pos);
        pos += 4;
        if (blen == 0 || blen > n - pos)
            return KPROD_ERR__COMPRESSION;
        kprod_err_t err = snappy_block(in + pos, blen, o);
        if (err)
            return err;
        pos += blen;
    }
    return KPROD_ERR_NO_ERROR;
}

static kprod_err_t lz4_decompress(const uint8_t *in, size_t n, bounded_out *o) {
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return KPROD_ERR__NO_MEMORY;
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    size_t pos = 0;
    for (;;) {
        size_t room = bo_room(o, n * 4, &err);
        if (!room)
            break;
        size_t src = n - pos, dst = room;
        size_t hint = LZ4F_decompress(dctx, o->buf->data + o->buf->len, &dst, in + pos, &src, NULL);
        if (LZ4F_isError(hint)) {
            err = KPROD_ERR__COMPRESSION;
            break;
        }
        pos += src;
        o->buf->len += dst;
        if (hint == 0 && pos == n)
            break; /* a frame ended exactly at the end of the input */
        if (hint != 0 && src == 0 && dst == 0) {
            err = KPROD_ERR__COMPRESSION; /* truncated: more input needed */
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    return err;
}

static kprod_err_t zstd_decompress(const uint8_t *in, size_t n, bounded_out *o) {
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx)
        return KPROD_ERR__NO_MEMORY;
    /* Size the output at once when the frame says how big it is. */
    unsigned long long csize = ZSTD_getFrameContentSize(in, n);
    size_t hint = n * 4;
    if (csize != ZSTD_CONTENTSIZE_UNKNOWN && csize != ZSTD_CONTENTSIZE_ERROR && csize < o->limit)
        hint = (size_t)csize + 1;
    ZSTD_inBuffer ib = {in, n, 0};
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    for (;;) {
        size_t room = bo_room(o, hint, &err);
        if (!room)
            break;
        ZSTD_outBuffer ob = {o->buf->data + o->buf->len, room, 0};
        size_t in_before = ib.pos;
        size_t r = ZSTD_decompressStream(dctx, &ob, &ib);
        if (ZSTD_isError(r)) {
            err = ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? KPROD_ERR__NO_MEMORY
                                                                       : KPROD_ERR__COMPRESSION;
            break;
        }
        o->buf->len += ob.pos;
        if (r == 0 && ib.pos == ib.size)
            break; /* the last frame is complete and flushed */
        if (ob.pos == 0 && ib.pos == in_before) {
            err = KPROD_ERR__COMPRESSION; /* truncated */
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return err;
}

kprod_err_t kp_decompress(int codec, const void *in, size_t in_len, size_t max_out, kp_buf *out) {
    if (codec < KP_CODEC_NONE || codec > KP_CODEC_ZSTD || in_len > KP_MAX_CODEC_INPUT ||
        (!in && in_len))
        return KPROD_ERR__INVALID_ARG;
    if (out->oom)
        return KPROD_ERR__NO_MEMORY;
    static const uint8_t empty[1] = {0};
    const uint8_t *src = in_len ? in : empty;
    bounded_out o = {out, out->len, max_out == SIZE_MAX ? SIZE_MAX : max_out + 1};
    kprod_err_t err;
    switch (codec) {
    case KP_CODEC_NONE:
        if (in_len > max_out)
            err = KPROD_ERR__COMPRESSION;
        else {
            kp_buf_put_raw(out, src, in_len);
            err = out->oom ? KPROD_ERR__NO_MEMORY : KPROD_ERR_NO_ERROR;
        }
        break;
    case KP_CODEC_GZIP:
        err = gzip_decompress(src, in_len, &o);
        break;
    case KP_CODEC_SNAPPY:
        err = snappy_decompress(src, in_len, &o);
        break;
    case KP_CODEC_LZ4:
        err = lz4_decompress(src, in_len, &o);
        break;
    default:
        err = zstd_decompress(src, in_len, &o);
        break;
    }
    if (!err && bo_produced(&o) > max_out)
        err = KPROD_ERR__COMPRESSION;
    if (err)
        out->len = o.start;
    return err;
}
