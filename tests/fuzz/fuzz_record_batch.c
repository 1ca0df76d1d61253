/* RecordBatch v2 decoder (src/protocol/record_batch.c) with every codec
 * (src/protocol/compression.c).
 *
 * Input: byte 0 is a mode, the rest a batch (more bytes may follow it).
 *   bits 0-2  the codec written into the attributes (5..7 are invalid ones)
 *   bit 3     leave the batch as it is: attributes and CRC as given, so the
 *             header checks themselves are fuzzed; when clear the CRC is
 *             recomputed, so mutations reach decompression and the records
 *   bit 4     decompress at most 4 KiB instead of 256 KiB (the bomb limit)
 * Checks: every slice a visit gets lies in memory ASan knows; headers walk
 * to exactly header_count entries with non-null names; and a batch that
 * decodes is re-encoded with the writer (kp_rb_append, kp_rb_seal with its
 * codec) and decoded again to the same records. kp_rb_set_producer keeps a
 * decodable batch decodable. */
#include "fuzz_util.h"

#include "protocol/buf.h"
#include "protocol/compression.h"
#include "protocol/crc32c.h"
#include "protocol/record_batch.h"

#define SMALL_LIMIT 4096
#define LARGE_LIMIT (256u << 10) /* bigger costs an mmap per execution, not coverage */

/* What a walk saw, record by record, as one byte string; and the records
 * appended to a writer for the round trip. */
typedef struct walk {
    kp_buf digest;
    kp_rb_writer *w; /* NULL: no re-encoding */
    int reencode_ok; /* cleared when a record cannot be re-encoded as it is */
    int32_t visits;
} walk;

static void put_slice(kp_buf *b, kp_slice s) {
    kp_buf_put_i32(b, s.len);
    if (s.len > 0) {
        kpf_touch(s.p, (size_t)s.len);
        kp_buf_put_raw(b, s.p, (size_t)s.len);
    }
}

static int visit(const kp_rb_record *rec, void *opaque) {
    walk *wk = opaque;
    wk->visits++;
    kp_buf_put_i64(&wk->digest, rec->timestamp);
    put_slice(&wk->digest, rec->key);
    put_slice(&wk->digest, rec->value);
    kp_buf_put_i32(&wk->digest, rec->header_count);
    KPF_CHECK(rec->header_count >= 0 && rec->headers.len >= 0);
    kpf_touch(rec->headers.p, (size_t)rec->headers.len);

    kprod_header_t *hs = NULL;
    char **names = NULL;
    if (wk->w && rec->header_count > 0) {
        hs = calloc((size_t)rec->header_count, sizeof(*hs));
        names = calloc((size_t)rec->header_count, sizeof(*names));
        KPF_CHECK(hs && names);
    }
    kp_rd it;
    kp_rd_init(&it, rec->headers.p, (size_t)rec->headers.len);
    kp_slice name, value;
    int32_t n = 0;
    while (kp_rb_record_header_next(&it, &name, &value)) {
        KPF_CHECK(n < rec->header_count);
        KPF_CHECK(name.p != NULL && name.len >= 0);
        put_slice(&wk->digest, name);
        put_slice(&wk->digest, value);
        if (hs) {
            /* The writer takes names as C strings: one with a NUL in it
             * would come back shorter, so such a batch is not re-encoded. */
            if (memchr(name.p, '\0', (size_t)name.len))
                wk->reencode_ok = 0;
            KPF_CHECK((names[n] = malloc((size_t)name.len + 1)) != NULL);
            memcpy(names[n], name.p, (size_t)name.len);
            names[n][name.len] = '\0';
            hs[n].name = names[n];
            hs[n].value = value.len >= 0 ? value.p : NULL;
            hs[n].value_len = value.len >= 0 ? (size_t)value.len : 0;
        }
        n++;
    }
    KPF_CHECK(!it.err && n == rec->header_count && kp_rd_remaining(&it) == 0);
    if (wk->w && wk->reencode_ok &&
        kp_rb_append(wk->w, rec->timestamp, rec->key.p, rec->key.len, rec->value.p, rec->value.len,
                     hs, (size_t)n) != 0)
        wk->reencode_ok = 0;
    for (int32_t i = 0; names && i < rec->header_count; i++)
        free(names[i]);
    free(names);
    free(hs);
    return 0;
}

/* The re-encoded batch decodes to the same records. */
static void round_trip(const kp_rb_header *h, const walk *first, kp_rb_writer *w) {
    int codec = h->attributes & KP_RB_ATTR_CODEC_MASK;
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    o.codec = codec;
    o.producer_id = h->producer_id;
    o.producer_epoch = h->producer_epoch;
    o.base_sequence = h->base_sequence;
    o.partition_leader_epoch = h->partition_leader_epoch;
    o.is_transactional = (h->attributes & KP_RB_ATTR_TRANSACTIONAL) != 0;
    KPF_CHECK(kp_rb_seal(w, &o) == KPROD_ERR_NO_ERROR);
    walk again = {.reencode_ok = 1};
    kp_buf_init(&again.digest, 0);
    kp_rb_header h2;
    KPF_CHECK(kp_rb_decode(w->buf.data, w->buf.len, 64u << 20, &h2, visit, &again) ==
              KPROD_ERR_NO_ERROR);
    int used = h2.attributes & KP_RB_ATTR_CODEC_MASK;
    KPF_CHECK(used == codec || used == KP_CODEC_NONE);
    KPF_CHECK(h2.record_count == h->record_count && again.visits == first->visits);
    KPF_CHECK(h2.producer_id == h->producer_id && h2.base_sequence == h->base_sequence);
    KPF_CHECK(!again.digest.oom && !first->digest.oom);
    KPF_CHECK(again.digest.len == first->digest.len &&
              (first->digest.len == 0 ||
               memcmp(again.digest.data, first->digest.data, first->digest.len) == 0));
    kp_buf_free(&again.digest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    size_t len = size - 1;
    uint8_t *b = malloc(len ? len : 1); /* exact size: ASan sees any over-read */
    KPF_CHECK(b != NULL);
    if (len)
        memcpy(b, data + 1, len);
    if (!(mode & 0x08) && len >= KP_RB_HEADER_SIZE) {
        b[KP_RB_OFF_ATTRIBUTES + 1] =
            (uint8_t)((b[KP_RB_OFF_ATTRIBUTES + 1] & ~KP_CODEC_MASK) | (mode & KP_CODEC_MASK));
        int32_t bl = (int32_t)kp_be32_read(b + KP_RB_OFF_BATCH_LENGTH);
        if (bl >= KP_RB_HEADER_SIZE - 12 && (size_t)bl <= len - 12)
            kp_be32_write(b + KP_RB_OFF_CRC, kp_crc32c(0, b + KP_RB_OFF_ATTRIBUTES,
                                                       12 + (size_t)bl - KP_RB_OFF_ATTRIBUTES));
    }
    size_t limit = (mode & 0x10) ? SMALL_LIMIT : LARGE_LIMIT;

    kp_rb_writer w;
    kp_rb_writer_init(&w, 0);
    walk first = {.w = &w, .reencode_ok = 1};
    kp_buf_init(&first.digest, 0);
    kp_rb_header h;
    kprod_err_t err = kp_rb_decode(b, len, limit, &h, visit, &first);
    KPF_CHECK(err == KPROD_ERR_NO_ERROR || err == KPROD_ERR__BAD_MSG ||
              err == KPROD_ERR__COMPRESSION);
    if (err) {
        KPF_CHECK(first.visits == 0); /* nothing of a bad batch is delivered */
    } else {
        KPF_CHECK(h.magic == KP_RB_MAGIC && h.record_count >= 0);
        KPF_CHECK(h.batch_length >= KP_RB_HEADER_SIZE - 12 && 12 + (size_t)h.batch_length <= len);
        KPF_CHECK(first.visits == h.record_count);
        kp_rb_header hh;
        KPF_CHECK(kp_rb_header_decode(b, len, &hh) == KPROD_ERR_NO_ERROR);
        KPF_CHECK(hh.base_offset == h.base_offset && hh.batch_length == h.batch_length &&
                  hh.crc == h.crc && hh.attributes == h.attributes &&
                  hh.record_count == h.record_count && hh.producer_id == h.producer_id);
        if (first.reencode_ok && h.record_count > 0)
            round_trip(&h, &first, &w);
        /* A re-patched producer keeps the batch valid (CRC recomputed). */
        kp_rb_set_producer(b, 12 + (size_t)h.batch_length, 4242, 7, 99);
        KPF_CHECK(kp_rb_header_decode(b, len, &hh) == KPROD_ERR_NO_ERROR);
        KPF_CHECK(hh.producer_id == 4242 && hh.producer_epoch == 7 && hh.base_sequence == 99);
    }
    kp_rb_writer_free(&w);
    kp_buf_free(&first.digest);
    free(b);
    return 0;
}
