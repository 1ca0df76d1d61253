/* RecordBatch v2: records are written once, in wire format, straight into
 * the batch buffer behind a 61-byte header placeholder; sealing patches the
 * header (and compresses the records when asked) and computes the CRC.
 * Field names follow Kafka's protocol guide and DefaultRecordBatch. */
#include "protocol/record_batch.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/crc32c.h"

#define BATCH_LENGTH_BASE 12 /* baseOffset + batchLength: not counted in batchLength */
/* length, attributes, timestampDelta, offsetDelta, keyLength, valueLength,
 * headerCount: one byte each at least. */
#define MIN_RECORD_SIZE 7

/* ---- raw writes into memory already reserved ---- */

static uint8_t *put_uvarlong(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint8_t *put_varint(uint8_t *p, int32_t v) {
    return put_uvarlong(p, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

static uint8_t *put_varlong(uint8_t *p, int64_t v) {
    return put_uvarlong(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static uint8_t *put_bytes(uint8_t *p, const void *d, int32_t len) {
    p = put_varint(p, len);
    if (len > 0) {
        memcpy(p, d, (size_t)len);
        p += len;
    }
    return p;
}

static void be16_write(uint8_t *p, int16_t v) {
    p[0] = (uint8_t)((uint16_t)v >> 8);
    p[1] = (uint8_t)v;
}

static void be64_write(uint8_t *p, int64_t v) {
    kp_be32_write(p, (uint32_t)((uint64_t)v >> 32));
    kp_be32_write(p + 4, (uint32_t)v);
}

/* ---- writer ---- */

void kp_rb_writer_init(kp_rb_writer *w, size_t initial_cap) {
    kp_buf_init(&w->buf, initial_cap > KP_RB_HEADER_SIZE ? initial_cap : KP_RB_HEADER_SIZE);
    kp_rb_writer_reset(w);
}

void kp_rb_writer_free(kp_rb_writer *w) { kp_buf_free(&w->buf); }

void kp_rb_writer_reset(kp_rb_writer *w) {
    kp_buf_reset(&w->buf);
    kp_buf_placeholder(&w->buf, KP_RB_HEADER_SIZE);
    w->base_ts = 0;
    w->max_ts = 0;
    w->count = 0;
    w->sealed = 0;
}

/* Timestamp delta as Java computes it (a long subtraction); wraps rather
 * than overflowing, and the decoder's addition wraps back. */
static int64_t ts_delta(const kp_rb_writer *w, int64_t ts) {
    return w->count == 0 ? 0 : (int64_t)((uint64_t)ts - (uint64_t)w->base_ts);
}

static int len_ok(int64_t len) { return len >= -1 && len <= INT32_MAX; }

/* Size of the record after its length varint; 0 when it cannot be encoded. */
static uint64_t body_size(const kp_rb_writer *w, int64_t ts, int32_t key_len, int32_t value_len,
                          const kprod_header_t *headers, size_t header_count) {
    if (!len_ok(key_len) || !len_ok(value_len) || header_count > INT32_MAX || w->count == INT32_MAX)
        return 0;
    uint64_t n = 1; /* attributes */
    n += kp_varlong_size(ts_delta(w, ts));
    n += kp_varint_size(w->count);
    n += kp_varint_size(key_len) + (uint64_t)(key_len > 0 ? key_len : 0);
    n += kp_varint_size(value_len) + (uint64_t)(value_len > 0 ? value_len : 0);
    n += kp_varint_size((int32_t)header_count);
    for (size_t i = 0; i < header_count; i++) {
        size_t nl = headers[i].name ? strlen(headers[i].name) : 0;
        size_t vl = headers[i].value ? headers[i].value_len : 0;
        if (nl > INT32_MAX || vl > INT32_MAX)
            return 0;
        n += kp_varint_size((int32_t)nl) + nl;
        n += (headers[i].value ? kp_varint_size((int32_t)vl) : 1) + vl;
    }
    return n > INT32_MAX ? 0 : n;
}

size_t kp_rb_record_size(const kp_rb_writer *w, int64_t ts, int32_t key_len, int32_t value_len,
                         const kprod_header_t *headers, size_t header_count) {
    uint64_t body = body_size(w, ts, key_len, value_len, headers, header_count);
    if (!body)
        return SIZE_MAX;
    return kp_varint_size((int32_t)body) + (size_t)body;
}

int kp_rb_append(kp_rb_writer *w, int64_t ts, const void *key, int32_t key_len, const void *value,
                 int32_t value_len, const kprod_header_t *headers, size_t header_count) {
    if (w->sealed)
        return -1;
    uint64_t body = body_size(w, ts, key_len, value_len, headers, header_count);
    if (!body)
        return -1;
    size_t total = kp_varint_size((int32_t)body) + (size_t)body;
    uint8_t *start = kp_buf_extend(&w->buf, total);
    if (!start)
        return -1;
    uint8_t *p = put_varint(start, (int32_t)body);
    *p++ = 0; /* attributes: unused by records */
    p = put_varlong(p, ts_delta(w, ts));
    p = put_varint(p, w->count); /* offsetDelta */
    p = put_bytes(p, key, key_len);
    p = put_bytes(p, value, value_len);
    p = put_varint(p, (int32_t)header_count);
    for (size_t i = 0; i < header_count; i++) {
        const char *name = headers[i].name ? headers[i].name : "";
        p = put_bytes(p, name, (int32_t)strlen(name));
        if (headers[i].value)
            p = put_bytes(p, headers[i].value, (int32_t)headers[i].value_len);
        else
            p = put_varint(p, -1);
    }
    if (w->count == 0) {
        w->base_ts = ts;
        w->max_ts = ts;
    } else if (ts > w->max_ts) {
        w->max_ts = ts;
    }
    w->count++;
    return 0;
}

/* ---- sealing ---- */

/* Replaces the records in w->buf by their compressed form behind a fresh
 * header, unless that would not be smaller. Sets *codec to what was used. */
static kprod_err_t compress_records(kp_rb_writer *w, int *codec, int level) {
    size_t rec_len = w->buf.len - KP_RB_HEADER_SIZE;
    kp_buf c;
    kp_buf_init(&c, 0);
    kp_buf_placeholder(&c, KP_RB_HEADER_SIZE);
    if (c.oom) {
        kp_buf_free(&c);
        return KPROD_ERR__NO_MEMORY;
    }
    kprod_err_t err = kp_compress(*codec, level, w->buf.data + KP_RB_HEADER_SIZE, rec_len, &c);
    if (err) {
        kp_buf_free(&c);
        return err;
    }
    if (c.len - KP_RB_HEADER_SIZE >= rec_len) {
        kp_buf_free(&c);
        *codec = KP_CODEC_NONE;
        return KPROD_ERR_NO_ERROR;
    }
    /* Give back the compressor's worst-case slack: the sealed batch may wait
     * long in memory that buffer.memory accounts for. */
    if (c.cap - c.len > c.len / 4) {
        uint8_t *d = realloc(c.data, c.len);
        if (d) {
            c.data = d;
            c.cap = c.len;
        }
    }
    kp_buf_free(&w->buf);
    w->buf = c;
    return KPROD_ERR_NO_ERROR;
}

static void put_crc(uint8_t *batch, size_t len) {
    uint32_t crc = kp_crc32c(0, batch + KP_RB_OFF_ATTRIBUTES, len - KP_RB_OFF_ATTRIBUTES);
    kp_be32_write(batch + KP_RB_OFF_CRC, crc);
}

kprod_err_t kp_rb_seal(kp_rb_writer *w, const kp_rb_seal_opts *o) {
    if (w->sealed || w->count <= 0 || o->codec < KP_CODEC_NONE || o->codec > KP_CODEC_ZSTD ||
        !kp_codec_level_valid(o->codec, o->level))
        return KPROD_ERR__INVALID_ARG;
    if (w->buf.oom || w->buf.len < KP_RB_HEADER_SIZE)
        return KPROD_ERR__NO_MEMORY;
    int codec = o->codec;
    if (codec != KP_CODEC_NONE) {
        kprod_err_t err = compress_records(w, &codec, o->level);
        if (err)
            return err;
    }
    if (w->buf.len - BATCH_LENGTH_BASE > INT32_MAX)
        return KPROD_ERR__INVALID_ARG;   /* only reachable uncompressed: nothing changed */
    int16_t attributes = (int16_t)codec; /* CreateTime: bit 3 clear */
    if (o->is_transactional)
        attributes |= KP_RB_ATTR_TRANSACTIONAL;
    uint8_t *h = w->buf.data;
    be64_write(h + KP_RB_OFF_BASE_OFFSET, 0);
    kp_be32_write(h + KP_RB_OFF_BATCH_LENGTH, (uint32_t)(w->buf.len - BATCH_LENGTH_BASE));
    kp_be32_write(h + KP_RB_OFF_LEADER_EPOCH, (uint32_t)o->partition_leader_epoch);
    h[KP_RB_OFF_MAGIC] = KP_RB_MAGIC;
    be16_write(h + KP_RB_OFF_ATTRIBUTES, attributes);
    kp_be32_write(h + KP_RB_OFF_LAST_OFFSET_DELTA, (uint32_t)(w->count - 1));
    be64_write(h + KP_RB_OFF_BASE_TIMESTAMP, w->base_ts);
    be64_write(h + KP_RB_OFF_MAX_TIMESTAMP, w->max_ts);
    be64_write(h + KP_RB_OFF_PRODUCER_ID, o->producer_id);
    be16_write(h + KP_RB_OFF_PRODUCER_EPOCH, o->producer_epoch);
    kp_be32_write(h + KP_RB_OFF_BASE_SEQUENCE, (uint32_t)o->base_sequence);
    kp_be32_write(h + KP_RB_OFF_RECORD_COUNT, (uint32_t)w->count);
    put_crc(h, w->buf.len);
    w->sealed = 1;
    return KPROD_ERR_NO_ERROR;
}

void kp_rb_set_producer(uint8_t *batch, size_t len, int64_t producer_id, int16_t epoch,
                        int32_t base_sequence) {
    if (len < KP_RB_HEADER_SIZE)
        return;
    be64_write(batch + KP_RB_OFF_PRODUCER_ID, producer_id);
    be16_write(batch + KP_RB_OFF_PRODUCER_EPOCH, epoch);
    kp_be32_write(batch + KP_RB_OFF_BASE_SEQUENCE, (uint32_t)base_sequence);
    put_crc(batch, len);
}

/* ---- decoder ---- */

void kp_rb_header_fields(const uint8_t *p, kp_rb_header *h) {
    kp_rd r;
    kp_rd_init(&r, p, KP_RB_HEADER_SIZE);
    h->base_offset = kp_rd_i64(&r);
    h->batch_length = kp_rd_i32(&r);
    h->partition_leader_epoch = kp_rd_i32(&r);
    h->magic = kp_rd_i8(&r);
    h->crc = kp_rd_u32(&r);
    h->attributes = kp_rd_i16(&r);
    h->last_offset_delta = kp_rd_i32(&r);
    h->base_timestamp = kp_rd_i64(&r);
    h->max_timestamp = kp_rd_i64(&r);
    h->producer_id = kp_rd_i64(&r);
    h->producer_epoch = kp_rd_i16(&r);
    h->base_sequence = kp_rd_i32(&r);
    h->record_count = kp_rd_i32(&r);
}

int kp_rb_crc_ok(const uint8_t *p, const kp_rb_header *h) {
    size_t total = BATCH_LENGTH_BASE + (size_t)h->batch_length;
    return kp_crc32c(0, p + KP_RB_OFF_ATTRIBUTES, total - KP_RB_OFF_ATTRIBUTES) == h->crc;
}

kprod_err_t kp_rb_header_decode(const uint8_t *p, size_t len, kp_rb_header *h) {
    if (len < KP_RB_HEADER_SIZE)
        return KPROD_ERR__BAD_MSG;
    kp_rb_header_fields(p, h);
    if (h->magic != KP_RB_MAGIC)
        return KPROD_ERR__BAD_MSG;
    if (h->batch_length < KP_RB_HEADER_SIZE - BATCH_LENGTH_BASE ||
        (size_t)h->batch_length > len - BATCH_LENGTH_BASE)
        return KPROD_ERR__BAD_MSG;
    if (!kp_rb_crc_ok(p, h))
        return KPROD_ERR__BAD_MSG;
    return KPROD_ERR_NO_ERROR;
}

/* Marks r malformed (its sticky error) by reading past its end. */
static void rd_fail(kp_rd *r) { kp_rd_skip(r, kp_rd_remaining(r) + 1); }

/* A length-prefixed byte field; -1 is null, anything below is malformed. */
static kp_slice rd_varbytes(kp_rd *r) {
    kp_slice s = {NULL, -1};
    int32_t n = kp_rd_varint(r);
    if (r->err)
        return s;
    if (n < -1) {
        rd_fail(r);
        return s;
    }
    if (n >= 0) {
        s.p = kp_rd_raw(r, (size_t)n);
        s.len = s.p ? n : -1;
    }
    return s;
}

int kp_rb_record_header_next(kp_rd *it, kp_slice *name, kp_slice *value) {
    if (it->err || kp_rd_remaining(it) == 0)
        return 0;
    *name = rd_varbytes(it);
    *value = rd_varbytes(it);
    return !it->err;
}

/* Parses one record from r into rec; sets r->err when it is malformed. */
static void parse_record(kp_rd *r, const kp_rb_header *h, kp_rb_record *rec) {
    int32_t len = kp_rd_varint(r);
    if (r->err || len < 0) {
        rd_fail(r);
        return;
    }
    const uint8_t *body = kp_rd_raw(r, (size_t)len);
    if (!body)
        return;
    kp_rd rr;
    kp_rd_init(&rr, body, (size_t)len);
    rec->attributes = kp_rd_i8(&rr);
    int64_t tsd = kp_rd_varlong(&rr);
    int32_t offd = kp_rd_varint(&rr);
    rec->timestamp = (int64_t)((uint64_t)h->base_timestamp + (uint64_t)tsd);
    rec->offset = (int64_t)((uint64_t)h->base_offset + (uint64_t)(int64_t)offd);
    rec->key = rd_varbytes(&rr);
    rec->value = rd_varbytes(&rr);
    rec->header_count = kp_rd_varint(&rr);
    if (rec->header_count < 0 || (size_t)rec->header_count > kp_rd_remaining(&rr) / 2)
        rd_fail(&rr);
    const uint8_t *hstart = rr.p;
    for (int32_t i = 0; i < rec->header_count && !rr.err; i++) {
        kp_slice name = rd_varbytes(&rr);
        (void)rd_varbytes(&rr);
        if (!name.p && !rr.err)
            rd_fail(&rr); /* a header name cannot be null */
    }
    rec->headers.p = hstart;
    rec->headers.len = (int32_t)(rr.p - hstart);
    /* The record must be exactly as long as its length says. */
    if (rr.err || kp_rd_remaining(&rr) != 0)
        rd_fail(r);
}

/* Walks all records; calls fn for each when fn is set. Returns 0 when the
 * records are well-formed (or fn stopped the walk). */
static int walk_records(const uint8_t *p, size_t len, const kp_rb_header *h, kp_rb_visit_fn fn,
                        void *opaque) {
    kp_rd r;
    kp_rd_init(&r, p, len);
    if ((uint64_t)h->record_count * MIN_RECORD_SIZE > len)
        return -1;
    for (int32_t i = 0; i < h->record_count; i++) {
        kp_rb_record rec;
        parse_record(&r, h, &rec);
        if (r.err)
            return -1;
        if (fn && fn(&rec, opaque))
            return 0;
    }
    return kp_rd_remaining(&r) == 0 ? 0 : -1;
}

kprod_err_t kp_rb_decode(const uint8_t *p, size_t len, size_t max_decompressed, kp_rb_header *h,
                         kp_rb_visit_fn fn, void *opaque) {
    kp_rb_header hdr;
    kprod_err_t err = kp_rb_header_decode(p, len, &hdr);
    if (h && !err)
        *h = hdr;
    if (err)
        return err;
    if (hdr.record_count < 0)
        return KPROD_ERR__BAD_MSG;
    int codec = hdr.attributes & KP_RB_ATTR_CODEC_MASK;
    if (codec > KP_CODEC_ZSTD)
        return KPROD_ERR__COMPRESSION;
    const uint8_t *recs = p + KP_RB_HEADER_SIZE;
    size_t recs_len = BATCH_LENGTH_BASE + (size_t)hdr.batch_length - KP_RB_HEADER_SIZE;
    kp_buf plain;
    kp_buf_init(&plain, 0);
    if (codec != KP_CODEC_NONE) {
        err = kp_decompress(codec, recs, recs_len, max_decompressed, &plain);
        if (err)
            goto done;
        /* Records that expand to nothing (an empty snappy stream) may leave
         * plain without memory: never hand a NULL on to the walk. */
        static const uint8_t no_records[1];
        recs = plain.data ? plain.data : no_records;
        recs_len = plain.len;
    }
    /* Validate everything first, so fn never sees part of a bad batch. */
    if (walk_records(recs, recs_len, &hdr, NULL, NULL)) {
        err = KPROD_ERR__BAD_MSG;
        goto done;
    }
    if (fn)
        (void)walk_records(recs, recs_len, &hdr, fn, opaque);
done:
    kp_buf_free(&plain);
    return err;
}
