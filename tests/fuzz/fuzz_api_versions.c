/* ApiVersions response decoder (src/protocol/api_versions.c), versions 0..4:
 * input byte 0 picks the version, the rest is the response body. Checks the
 * header's promises: on error nothing to free, on success count entries
 * (NULL when none), the UNSUPPORTED_VERSION fallback read as v0, a
 * negotiated version within both ranges, and the feature lists (v3+ only,
 * named, a level -1 only without a valid epoch). */
#include "fuzz_util.h"

#include "protocol/api_keys.h"
#include "protocol/api_versions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    int16_t version = kpf_version(data[0], KP_API_VERSIONS_MIN_VER, KP_API_VERSIONS_MAX_VER);
    kp_rd r;
    kp_rd_init(&r, data + 1, size - 1);
    kp_api_versions_resp resp;
    kprod_err_t err = kp_api_versions_resp_decode(&r, version, &resp);
    if (err) {
        KPF_CHECK(err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__NO_MEMORY);
        KPF_CHECK(resp.apis == NULL && resp.count == 0);
        KPF_CHECK(resp.supported_features == NULL && resp.finalized_features == NULL);
        return 0;
    }
    const kp_api_feature *lists[] = {resp.supported_features, resp.finalized_features};
    const int32_t counts[] = {resp.supported_feature_count, resp.finalized_feature_count};
    for (int l = 0; l < 2; l++) {
        KPF_CHECK(counts[l] >= 0 && (counts[l] == 0) == (lists[l] == NULL));
        if (resp.decoded_version < 3)
            KPF_CHECK(counts[l] == 0);
        for (int32_t i = 0; i < counts[l]; i++) {
            KPF_CHECK(lists[l][i].name != NULL);
            kpf_touch_str(lists[l][i].name);
        }
    }
    if (resp.decoded_version < 3)
        KPF_CHECK(resp.finalized_features_epoch == -1);
    /* A finalized feature's level is its first entry's MaxVersionLevel. */
    for (int32_t i = 0; i < resp.finalized_feature_count; i++) {
        const char *name = resp.finalized_features[i].name;
        int level = kp_api_versions_feature_level(&resp, name);
        int32_t first = 0;
        while (strcmp(resp.finalized_features[first].name, name) != 0)
            first++;
        KPF_CHECK(
            level ==
            (resp.finalized_features_epoch < 0 ? -1 : resp.finalized_features[first].max_version));
    }
    KPF_CHECK(resp.count >= 0);
    KPF_CHECK((resp.count == 0) == (resp.apis == NULL));
    KPF_CHECK(resp.decoded_version == version || resp.decoded_version == 0);
    if (resp.decoded_version != version)
        KPF_CHECK(resp.error_code == 35); /* only UNSUPPORTED_VERSION falls back */
    if (resp.decoded_version == 0)
        KPF_CHECK(resp.throttle_ms == 0);
    for (int32_t i = 0; i < resp.count; i++)
        kpf_touch(&resp.apis[i], sizeof(resp.apis[i]));
    static const int16_t keys[] = {KP_API_PRODUCE,
                                   KP_API_METADATA,
                                   KP_API_API_VERSIONS,
                                   KP_API_INIT_PRODUCER_ID,
                                   KP_API_FETCH,
                                   KP_API_END_TXN,
                                   KP_API_FIND_COORDINATOR,
                                   9,
                                   -1};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const kp_api_version_range *b = kp_api_versions_find(&resp, keys[k]);
        int v = kp_api_versions_pick(&resp, keys[k]);
        int16_t lo, hi;
        if (v < 0) {
            KPF_CHECK(v == -1);
            continue;
        }
        KPF_CHECK(b != NULL && b->api_key == keys[k]);
        KPF_CHECK(kp_proto_our_range(keys[k], &lo, &hi) == 0);
        KPF_CHECK(v >= lo && v <= hi && v >= b->min_version && v <= b->max_version);
    }
    kp_api_versions_resp_free(&resp);
    KPF_CHECK(resp.apis == NULL);
    return 0;
}
