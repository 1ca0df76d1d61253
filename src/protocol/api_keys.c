/* Per-API facts: our version ranges and where flexible versions start. */
#include "protocol/api_keys.h"

#include <stddef.h>

typedef struct api_info {
    int16_t key;
    int16_t min, max;       /* what kprod implements */
    int16_t first_flexible; /* first version with compact encodings and tags */
} api_info;

static const api_info apis[] = {
    {KP_API_PRODUCE, KP_PRODUCE_MIN_VER, KP_PRODUCE_MAX_VER, 9},
    {KP_API_METADATA, KP_METADATA_MIN_VER, KP_METADATA_MAX_VER, 9},
    {KP_API_API_VERSIONS, KP_API_VERSIONS_MIN_VER, KP_API_VERSIONS_MAX_VER, 3},
    {KP_API_INIT_PRODUCER_ID, KP_INIT_PRODUCER_ID_MIN_VER, KP_INIT_PRODUCER_ID_MAX_VER, 2},
    {KP_API_FETCH, KP_FETCH_MIN_VER, KP_FETCH_MAX_VER, 12},
    {KP_API_LIST_OFFSETS, KP_LIST_OFFSETS_MIN_VER, KP_LIST_OFFSETS_MAX_VER, 6},
    {KP_API_FIND_COORDINATOR, KP_FIND_COORDINATOR_MIN_VER, KP_FIND_COORDINATOR_MAX_VER, 3},
    {KP_API_ADD_PARTITIONS_TO_TXN, KP_ADD_PARTITIONS_TO_TXN_MIN_VER,
     KP_ADD_PARTITIONS_TO_TXN_MAX_VER, 3},
    {KP_API_ADD_OFFSETS_TO_TXN, KP_ADD_OFFSETS_TO_TXN_MIN_VER, KP_ADD_OFFSETS_TO_TXN_MAX_VER, 3},
    {KP_API_END_TXN, KP_END_TXN_MIN_VER, KP_END_TXN_MAX_VER, 3},
    {KP_API_TXN_OFFSET_COMMIT, KP_TXN_OFFSET_COMMIT_MIN_VER, KP_TXN_OFFSET_COMMIT_MAX_VER, 3},
    {KP_API_SASL_HANDSHAKE, KP_SASL_HANDSHAKE_MIN_VER, KP_SASL_HANDSHAKE_MAX_VER, 99}, /* never */
    {KP_API_SASL_AUTHENTICATE, KP_SASL_AUTHENTICATE_MIN_VER, KP_SASL_AUTHENTICATE_MAX_VER, 2},
};

static const api_info *api_find(int16_t key) {
    for (size_t i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
        if (apis[i].key == key)
            return &apis[i];
    return NULL;
}

int kp_proto_our_range(int16_t api_key, int16_t *min, int16_t *max) {
    const api_info *a = api_find(api_key);
    if (!a)
        return -1;
    *min = a->min;
    *max = a->max;
    return 0;
}

int kp_proto_version_ok(int16_t api_key, int16_t version) {
    const api_info *a = api_find(api_key);
    return a && version >= a->min && version <= a->max;
}

int kp_proto_pick_version(int ours_min, int ours_max, int broker_min, int broker_max) {
    int lo = ours_min > broker_min ? ours_min : broker_min;
    int hi = ours_max < broker_max ? ours_max : broker_max;
    return lo <= hi ? hi : -1;
}

int kp_proto_is_flexible(int16_t api_key, int16_t api_version) {
    const api_info *a = api_find(api_key);
    return a && api_version >= a->first_flexible;
}
