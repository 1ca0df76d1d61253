/* Record batch header walk (see batch_iter.h). The rule for the end of the
 * bytes is Kafka's own log reader's: too few bytes for the length field,
 * or a length beyond what is left, is a batch cut short, not corruption. */
#include "protocol/batch_iter.h"

#include <string.h>

#define LENGTH_END 12 /* baseOffset + batchLength: what batchLength does not count */

void kp_batch_iter_init(kp_batch_iter *it, const uint8_t *records, size_t len, int check_crc) {
    static const uint8_t none[1];
    memset(it, 0, sizeof(*it));
    it->p = records ? records : none;
    it->end = it->p + (records ? len : 0);
    it->check_crc = check_crc;
}

static int fail(kp_batch_iter *it) {
    it->err = KPROD_ERR__BAD_MSG;
    it->p = it->end;
    return -1;
}

int kp_batch_iter_next(kp_batch_iter *it, kp_rb_header *h, const uint8_t **batch,
                       size_t *batch_len) {
    if (it->err)
        return -1;
    size_t left = (size_t)(it->end - it->p);
    if (left < LENGTH_END) {
        it->truncated = left;
        return 0;
    }
    int32_t blen = (int32_t)kp_be32_read(it->p + KP_RB_OFF_BATCH_LENGTH);
    if (blen < KP_RB_HEADER_SIZE - LENGTH_END)
        return fail(it);
    if ((size_t)blen > left - LENGTH_END) {
        it->truncated = left;
        return 0;
    }
    kp_rb_header_fields(it->p, h);
    if (h->magic != KP_RB_MAGIC || h->base_offset < 0 || h->last_offset_delta < 0 ||
        h->record_count < 0 || h->base_offset > INT64_MAX - h->last_offset_delta)
        return fail(it);
    if (it->check_crc && !kp_rb_crc_ok(it->p, h))
        return fail(it);
    size_t total = LENGTH_END + (size_t)blen;
    if (batch)
        *batch = it->p;
    if (batch_len)
        *batch_len = total;
    it->p += total;
    return 1;
}
