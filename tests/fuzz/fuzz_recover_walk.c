/* The recovery reader's walk of a Fetch answer (src/sender/recover_decide.c,
 * kp_recov_walk): the first 16 input bytes give the high watermark and the
 * read's position (each an int64, big-endian, kept small so that batches
 * of the corpus fall on both sides), byte 16 the log end's distance past
 * the position, the rest is the records region as a broker sends it.
 * Properties: the position never moves back; every batch found is of the
 * producer asked for, below the log end and the high watermark, in log
 * order; on success the high watermark is taken; a cut answer moved
 * nothing. */
#include "fuzz_util.h"

#include "protocol/buf.h"
#include "sender/recover_decide.h"

#define PID 4000
#define EPOCH 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 17)
        return 0;
    int64_t hw = (int64_t)((uint64_t)kp_be32_read(data + 4) % 4096) - 8;
    int64_t pos = (int64_t)(kp_be32_read(data + 12) % 4096);
    kp_recov_progress p = {.end = pos + data[16], .pos = pos, .hw = -1};
    kp_recov_found_set fs = {0};
    int cut;
    kprod_err_t e = kp_recov_walk(&p, size > 17 ? data + 17 : NULL, size - 17, hw, -1, PID, EPOCH,
                                  0, 100, &fs, &cut);
    KPF_CHECK(p.pos >= pos);
    for (int i = 0; i < fs.n; i++) {
        KPF_CHECK(fs.v[i].base_offset < p.end && fs.v[i].base_offset < hw);
        KPF_CHECK(fs.v[i].count >= 0);
        KPF_CHECK(i == 0 || fs.v[i].base_offset > fs.v[i - 1].base_offset);
    }
    if (e == KPROD_ERR_NO_ERROR) {
        KPF_CHECK(p.hw == hw);
        KPF_CHECK(!cut || (p.pos == pos && fs.n == 0));
    } else {
        KPF_CHECK(e == KPROD_ERR__BAD_MSG || e == KPROD_ERR__NO_MEMORY);
    }
    kp_recov_found_set_free(&fs);
    return 0;
}
