/* FindCoordinator response decoder (src/protocol/find_coordinator.c),
 * versions 1..6: input byte 0 picks the version, the rest is the body. On
 * error nothing is left to free; on success there is one coordinator
 * before v4 (without a key) and count of them from v4 (each with its key),
 * every host is a NUL-terminated string. */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "protocol/find_coordinator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int16_t version =
        kpf_version(data[0], KP_FIND_COORDINATOR_MIN_VER, KP_FIND_COORDINATOR_MAX_VER);
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    kp_find_coordinator_resp resp;
    kprod_err_t err = kp_find_coordinator_resp_decode(&r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
        KPF_CHECK(resp.coordinators == NULL && resp.count == 0);
        return 0;
    }
    if (version < 4)
        KPF_CHECK(resp.count == 1);
    KPF_CHECK(resp.count >= 0 && (resp.count == 0) == (resp.coordinators == NULL));
    for (int32_t i = 0; i < resp.count; i++) {
        const kp_find_coordinator_node *c = &resp.coordinators[i];
        KPF_CHECK(c->host != NULL);
        KPF_CHECK((c->key != NULL) == (version >= 4));
        kpf_touch_str(c->host);
        kpf_touch_str(c->key);
        kpf_touch_str(c->error_message);
    }
    kp_find_coordinator_resp_free(&resp);
    KPF_CHECK(resp.coordinators == NULL);
    return 0;
}
