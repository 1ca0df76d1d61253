/* Fetch response decoder (src/protocol/fetch.c), versions 4..18, and the
 * batch walk over what it returns: input byte 0 picks the version, the
 * rest is the body. On error nothing is left to free; on success counts
 * match arrays, names exist exactly up to v12, fields a version lacks hold
 * their defaults, and each partition's records are a view inside the input
 * (NULL exactly when empty) that the batch walk goes through without
 * leaving it. */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "protocol/batch_iter.h"
#include "protocol/fetch.h"

static void walk(const kp_fetch_resp_partition *p) {
    kp_batch_iter it;
    kp_batch_iter_init(&it, p->records, p->records_len, 1);
    kp_rb_header h;
    const uint8_t *b;
    size_t len;
    while (kp_batch_iter_next(&it, &h, &b, &len) == 1)
        KPF_CHECK(b >= p->records && b + len <= p->records + p->records_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int16_t version = kpf_version(data[0], KP_FETCH_MIN_VER, KP_FETCH_MAX_VER);
    const uint8_t *body = data + 1;
    kp_rd r;
    kp_rd_init(&r, body, size - 1);
    kp_fetch_resp resp;
    kprod_err_t err = kp_fetch_resp_decode(&r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
        KPF_CHECK(resp.topics == NULL && resp.topic_count == 0);
        return 0;
    }
    if (version < 7)
        KPF_CHECK(resp.error_code == 0 && resp.session_id == 0);
    KPF_CHECK(resp.topic_count >= 0 && (resp.topic_count == 0) == (resp.topics == NULL));
    for (int32_t i = 0; i < resp.topic_count; i++) {
        const kp_fetch_resp_topic *t = &resp.topics[i];
        KPF_CHECK((t->topic != NULL) == (version < 13));
        kpf_touch_str(t->topic);
        KPF_CHECK(t->partition_count >= 0 && (t->partition_count == 0) == (t->partitions == NULL));
        for (int32_t j = 0; j < t->partition_count; j++) {
            const kp_fetch_resp_partition *p = &t->partitions[j];
            if (version < 5)
                KPF_CHECK(p->log_start_offset == -1);
            if (version < 11)
                KPF_CHECK(p->preferred_read_replica == -1);
            if (version < 12)
                KPF_CHECK(!p->has_current_leader);
            if (!p->has_current_leader)
                KPF_CHECK(p->current_leader_id == -1 && p->current_leader_epoch == -1);
            KPF_CHECK(p->aborted_count >= 0 && (p->aborted_count == 0) == (p->aborted == NULL));
            if (p->aborted_count)
                kpf_touch(p->aborted, (size_t)p->aborted_count * sizeof(*p->aborted));
            KPF_CHECK((p->records == NULL) == (p->records_len == 0));
            if (p->records) {
                KPF_CHECK(p->records > body && p->records + p->records_len <= data + size);
                walk(p);
            }
        }
    }
    kp_fetch_resp_free(&resp);
    KPF_CHECK(resp.topics == NULL);
    return 0;
}
