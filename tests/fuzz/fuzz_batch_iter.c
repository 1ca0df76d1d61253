/* The record batch header walk (src/protocol/batch_iter.c): input byte 0
 * says whether CRCs are checked (bit 0), the rest is a records region as a
 * Fetch answer carries it. Every batch handed out lies inside the input,
 * follows the previous one without a gap, has a header the walk promises
 * (magic 2, counts and offsets not negative, the last offset computable);
 * an end accounts for every byte (batches + the partial rest); an error
 * stays. */
#include "fuzz_util.h"

#include "protocol/batch_iter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    const uint8_t *recs = data + 1;
    size_t len = size - 1;
    kp_batch_iter it;
    kp_batch_iter_init(&it, recs, len, data[0] & 1);
    kp_rb_header h;
    const uint8_t *batch;
    size_t blen, walked = 0;
    int rc;
    while ((rc = kp_batch_iter_next(&it, &h, &batch, &blen)) == 1) {
        KPF_CHECK(batch == recs + walked);
        KPF_CHECK(blen >= KP_RB_HEADER_SIZE && blen <= len - walked);
        KPF_CHECK(blen == 12 + (size_t)h.batch_length);
        KPF_CHECK(h.magic == KP_RB_MAGIC && h.record_count >= 0 && h.base_offset >= 0 &&
                  h.last_offset_delta >= 0);
        KPF_CHECK(kp_batch_last_offset(&h) >= h.base_offset);
        kpf_touch(batch, blen);
        walked += blen;
    }
    if (rc == 0) {
        KPF_CHECK(it.err == KPROD_ERR_NO_ERROR);
        KPF_CHECK(walked + it.truncated == len);
    } else {
        KPF_CHECK(rc == -1 && it.err == KPROD_ERR__BAD_MSG);
        KPF_CHECK(kp_batch_iter_next(&it, &h, NULL, NULL) == -1);
    }
    return 0;
}
