/* Produce response decoder (src/protocol/produce.c), versions 3..12: input
 * byte 0 picks the version, the rest is the body. On error nothing is left
 * to free; on success every count matches its array (NULL when 0), strings
 * are NUL-terminated copies, and fields absent from the version (log start
 * offset before v5, record errors before v8, KIP-951 leaders and endpoints
 * before v10) hold their documented defaults. */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "protocol/produce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int16_t version = kpf_version(data[0], KP_PRODUCE_MIN_VER, KP_PRODUCE_MAX_VER);
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    kp_produce_resp resp;
    kprod_err_t err = kp_produce_resp_decode(&r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
        KPF_CHECK(!resp.topics && !resp.nodes && !resp.topic_count && !resp.node_count);
        return 0;
    }
    KPF_CHECK(resp.topic_count >= 0 && (resp.topic_count == 0) == (resp.topics == NULL));
    for (int32_t i = 0; i < resp.topic_count; i++) {
        const kp_produce_resp_topic *t = &resp.topics[i];
        KPF_CHECK(t->name != NULL);
        kpf_touch_str(t->name);
        KPF_CHECK(t->partition_count >= 0 && (t->partition_count == 0) == (t->partitions == NULL));
        for (int32_t k = 0; k < t->partition_count; k++) {
            const kp_produce_resp_partition *p = &t->partitions[k];
            if (version < 5)
                KPF_CHECK(p->log_start_offset == -1);
            if (version < 8)
                KPF_CHECK(p->record_error_count == 0 && p->error_message == NULL);
            KPF_CHECK(p->record_error_count >= 0 &&
                      (p->record_error_count == 0) == (p->record_errors == NULL));
            for (int32_t e = 0; e < p->record_error_count; e++)
                kpf_touch_str(p->record_errors[e].message);
            kpf_touch_str(p->error_message);
            if (!p->has_current_leader)
                KPF_CHECK(p->current_leader_id == -1 && p->current_leader_epoch == -1);
            if (version < 10)
                KPF_CHECK(!p->has_current_leader);
        }
    }
    if (version < 10)
        KPF_CHECK(resp.node_count == 0);
    KPF_CHECK(resp.node_count >= 0 && (resp.node_count == 0) == (resp.nodes == NULL));
    for (int32_t i = 0; i < resp.node_count; i++) {
        KPF_CHECK(resp.nodes[i].host != NULL);
        kpf_touch_str(resp.nodes[i].host);
        kpf_touch_str(resp.nodes[i].rack);
    }
    kp_produce_resp_free(&resp);
    KPF_CHECK(resp.topics == NULL && resp.nodes == NULL);
    return 0;
}
