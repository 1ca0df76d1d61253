/* FindCoordinator (key 10), versions 1..6: which broker coordinates a
 * consumer group or a transactional id. Transactions need the transaction
 * coordinator before InitProducerId, and the group coordinator before
 * TxnOffsetCommit.
 *
 * Before v4 a request carries one key and the answer one coordinator; from
 * v4 (KIP-699) a request may carry several keys of one type and the answer
 * names each. The decoded answer has the same shape for every version: a
 * list of coordinators (one entry before v4). */
#ifndef KPROD_PROTOCOL_FIND_COORDINATOR_H
#define KPROD_PROTOCOL_FIND_COORDINATOR_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

/* KeyType values. */
#define KP_COORD_GROUP 0
#define KP_COORD_TRANSACTION 1

/* Appends the request body: KeyType, then the key (v1..v3: key_count must
 * be 1) or CoordinatorKeys (v4+: key_count >= 1). keys are borrowed,
 * non-NULL strings. KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG (version,
 * key type other than group/transaction, count, a NULL or too long key;
 * nothing is written then) or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_find_coordinator_req_encode(kp_buf *b, int16_t version, int8_t key_type,
                                           const char *const *keys, int32_t key_count);

typedef struct kp_find_coordinator_node {
    char *key; /* v4+: the key this answers; NULL before v4 (the one asked) */
    int16_t error_code;
    char *error_message; /* may be NULL */
    int32_t node_id;     /* -1 with an error */
    char *host;          /* never NULL ("" with an error) */
    int32_t port;
} kp_find_coordinator_node;

typedef struct kp_find_coordinator_resp {
    int32_t throttle_ms;
    int32_t count; /* 1 before v4 */
    kp_find_coordinator_node *coordinators;
} kp_find_coordinator_resp;

/* Decodes a response body of the given version into *out (free with
 * kp_find_coordinator_resp_free). Unknown tagged fields are skipped. On
 * error *out holds nothing to free. KPROD_ERR_NO_ERROR,
 * KPROD_ERR__BAD_MSG, KPROD_ERR__NO_MEMORY or KPROD_ERR__INVALID_ARG
 * (version). */
kprod_err_t kp_find_coordinator_resp_decode(kp_rd *r, int16_t version,
                                            kp_find_coordinator_resp *out);
/* Frees everything *resp owns and zeroes it; a zeroed struct is fine. */
void kp_find_coordinator_resp_free(kp_find_coordinator_resp *resp);

#endif
