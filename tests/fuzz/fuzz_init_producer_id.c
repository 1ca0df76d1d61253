/* InitProducerId response decoder (src/protocol/init_producer_id.c),
 * versions 0..5: input byte 0 picks the version, the rest is the body.
 * Nothing is allocated; on error the answer is cleared. */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "protocol/init_producer_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int16_t version =
        kpf_version(data[0], KP_INIT_PRODUCER_ID_MIN_VER, KP_INIT_PRODUCER_ID_MAX_VER);
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    kp_init_producer_id_resp resp;
    kprod_err_t err = kp_init_producer_id_resp_decode(&r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG);
        KPF_CHECK(resp.producer_id == 0 && resp.producer_epoch == 0 && resp.error_code == 0 &&
                  resp.throttle_ms == 0);
        return 0;
    }
    /* throttle(4) + error(2) + id(8) + epoch(2) [+ tags(1)] at least. */
    KPF_CHECK(size - 1 - kp_rd_remaining(&r) >= (size_t)(version >= 2 ? 17 : 16));
    return 0;
}
