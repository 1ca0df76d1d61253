/* Metadata response decoder (src/protocol/metadata.c), versions 4..13:
 * input byte 0 picks the version, the rest is the body. On error nothing is
 * left to free; on success every count matches its array (NULL when 0),
 * strings are NUL-terminated copies, and fields absent from the version
 * hold their documented defaults. kp_md_check (the sender's limits) runs
 * on every decoded answer too; fuzz_metadata_apply goes on to apply them. */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "protocol/metadata.h"
#include "sender/metadata.h"

static void check_int32s(const int32_t *a, int32_t n) {
    KPF_CHECK(n >= 0);
    KPF_CHECK((n == 0) == (a == NULL));
    if (n)
        kpf_touch(a, (size_t)n * sizeof(*a));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int16_t version = kpf_version(data[0], KP_METADATA_MIN_VER, KP_METADATA_MAX_VER);
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    kp_metadata_resp resp;
    kprod_err_t err = kp_metadata_resp_decode(&r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
        KPF_CHECK(!resp.brokers && !resp.topics && !resp.cluster_id && !resp.broker_count &&
                  !resp.topic_count);
        return 0;
    }
    KPF_CHECK(resp.broker_count >= 0 && (resp.broker_count == 0) == (resp.brokers == NULL));
    for (int32_t i = 0; i < resp.broker_count; i++) {
        KPF_CHECK(resp.brokers[i].host != NULL);
        kpf_touch_str(resp.brokers[i].host);
        kpf_touch_str(resp.brokers[i].rack);
    }
    kpf_touch_str(resp.cluster_id);
    if (version < 13)
        KPF_CHECK(resp.error_code == 0);
    KPF_CHECK(resp.topic_count >= 0 && (resp.topic_count == 0) == (resp.topics == NULL));
    static const uint8_t zero_id[16];
    for (int32_t i = 0; i < resp.topic_count; i++) {
        const kp_metadata_resp_topic *t = &resp.topics[i];
        KPF_CHECK(t->name != NULL || version >= 12);
        kpf_touch_str(t->name);
        if (version < 10)
            KPF_CHECK(memcmp(t->topic_id, zero_id, 16) == 0);
        KPF_CHECK(t->partition_count >= 0 && (t->partition_count == 0) == (t->partitions == NULL));
        for (int32_t k = 0; k < t->partition_count; k++) {
            const kp_metadata_resp_partition *p = &t->partitions[k];
            if (version < 7)
                KPF_CHECK(p->leader_epoch == -1);
            if (version < 5)
                KPF_CHECK(p->offline_count == 0);
            check_int32s(p->replica_nodes, p->replica_count);
            check_int32s(p->isr_nodes, p->isr_count);
            check_int32s(p->offline_replicas, p->offline_count);
        }
    }
    char why[200];
    err = kp_md_check(&resp, why, sizeof(why));
    KPF_CHECK(err == KPROD_ERR_NO_ERROR || err == KPROD_ERR__BAD_MSG);
    if (err)
        kpf_touch_str(why);
    kp_metadata_resp_free(&resp);
    KPF_CHECK(resp.brokers == NULL && resp.topics == NULL);
    return 0;
}
