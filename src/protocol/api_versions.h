/* ApiVersions (key 18), versions 0..4: the first request on a connection,
 * telling which versions of each API the broker speaks.
 *
 * Retrying after UNSUPPORTED_VERSION: a broker that does not know our
 * request version answers error_code 35 with a v0-format body (whatever
 * version we asked for) listing its ranges; since KIP-511 (Kafka 2.4) the
 * list has at least ApiVersions' own range. kp_api_versions_resp_decode
 * reads that body (out->decoded_version tells it was read as v0). The
 * caller then retries on the same connection at
 * kp_api_versions_pick(resp, KP_API_API_VERSIONS), or at v0 when the list
 * has no ApiVersions entry (an older broker), and gives up if that answer
 * is an error too. */
#ifndef KPROD_PROTOCOL_API_VERSIONS_H
#define KPROD_PROTOCOL_API_VERSIONS_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

/* Appends the request body. From v3 it carries the client's software name
 * and version (NULL gives "kprod" and KPROD_VERSION_STR; the broker accepts
 * [a-zA-Z0-9] with inner '.' and '-'). Before v3 the body is empty.
 * KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG (version or string length), or
 * KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_api_versions_req_encode(kp_buf *b, int16_t version, const char *software_name,
                                       const char *software_version);

typedef struct kp_api_version_range {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
} kp_api_version_range;

/* A feature flag (KIP-584): a supported range, or a finalized one
 * (min_version/max_version are then MinVersionLevel/MaxVersionLevel). */
typedef struct kp_api_feature {
    char *name;
    int16_t min_version;
    int16_t max_version;
} kp_api_feature;

typedef struct kp_api_versions_resp {
    int16_t error_code;
    int32_t count;
    kp_api_version_range *apis; /* malloc'd, count entries; NULL when empty */
    int32_t throttle_ms;        /* 0 in v0 */
    int16_t decoded_version;    /* the body's version as read (0 after the fallback) */
    /* Tagged fields of v3+ (absent: 0 features, epoch -1). In v3 a broker
     * leaves out supported features whose lowest version is 0. */
    int32_t supported_feature_count;
    kp_api_feature *supported_features;
    int64_t finalized_features_epoch; /* -1: unknown, the finalized list is not valid */
    int32_t finalized_feature_count;
    kp_api_feature *finalized_features;
} kp_api_versions_resp;

/* Decodes a response body of the given version (the one we sent) into *out,
 * which owns its memory: free with kp_api_versions_resp_free. When the body
 * carries UNSUPPORTED_VERSION it is read as v0 first (see above). The
 * tagged fields SupportedFeatures, FinalizedFeaturesEpoch and
 * FinalizedFeatures are read; others are skipped. On error *out holds
 * nothing to free. KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG,
 * KPROD_ERR__NO_MEMORY or KPROD_ERR__INVALID_ARG (version). */
kprod_err_t kp_api_versions_resp_decode(kp_rd *r, int16_t version, kp_api_versions_resp *out);
void kp_api_versions_resp_free(kp_api_versions_resp *resp);

/* The broker's range for api_key, or NULL when it does not list it. */
const kp_api_version_range *kp_api_versions_find(const kp_api_versions_resp *resp, int16_t api_key);
/* The version to use for api_key: the highest in both our range
 * (kp_proto_our_range) and the broker's; -1 when none (or not listed). */
int kp_api_versions_pick(const kp_api_versions_resp *resp, int16_t api_key);

/* The cluster's finalized level of a feature (its MaxVersionLevel), e.g.
 * "transaction.version": 2 or more means Transactions V2 (KIP-890). 0 when
 * the broker reports finalized features but not this one (the feature is
 * at level 0), -1 when it reports none (before v3, an older broker, or
 * epoch -1). */
int kp_api_versions_feature_level(const kp_api_versions_resp *resp, const char *name);

#endif
