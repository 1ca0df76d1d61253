/* ListOffsets response decoder (src/protocol/list_offsets.c), versions
 * 1..10: input byte 0 picks the version, the rest is the body. On error
 * nothing is left to free; on success every count matches its array, topic
 * names are NUL-terminated copies, and the fields a version lacks hold
 * their defaults (throttle 0 before v2, leader epoch -1 before v4). */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "protocol/list_offsets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int16_t version = kpf_version(data[0], KP_LIST_OFFSETS_MIN_VER, KP_LIST_OFFSETS_MAX_VER);
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    kp_list_offsets_resp resp;
    kprod_err_t err = kp_list_offsets_resp_decode(&r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
        KPF_CHECK(resp.topics == NULL && resp.topic_count == 0);
        return 0;
    }
    if (version < 2)
        KPF_CHECK(resp.throttle_ms == 0);
    KPF_CHECK(resp.topic_count >= 0 && (resp.topic_count == 0) == (resp.topics == NULL));
    for (int32_t i = 0; i < resp.topic_count; i++) {
        const kp_list_offsets_resp_topic *t = &resp.topics[i];
        KPF_CHECK(t->topic != NULL);
        kpf_touch_str(t->topic);
        KPF_CHECK(t->partition_count >= 0 && (t->partition_count == 0) == (t->partitions == NULL));
        for (int32_t j = 0; j < t->partition_count; j++) {
            if (version < 4)
                KPF_CHECK(t->partitions[j].leader_epoch == -1);
            kpf_touch(&t->partitions[j], sizeof(t->partitions[j]));
        }
    }
    kp_list_offsets_resp_free(&resp);
    KPF_CHECK(resp.topics == NULL);
    return 0;
}
