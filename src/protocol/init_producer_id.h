/* InitProducerId (key 22), versions 0..5: obtains the producer id and epoch
 * that idempotent (and transactional) producing needs. */
#ifndef KPROD_PROTOCOL_INIT_PRODUCER_ID_H
#define KPROD_PROTOCOL_INIT_PRODUCER_ID_H

#include <stdint.h>

#include "kprod.h"
#include "protocol/buf.h"

/* Appends the request body: TransactionalId (NULL for an idempotent-only
 * producer), TransactionTimeoutMs, and from v3 ProducerId/ProducerEpoch
 * (-1/-1 for a new producer; the current ones to bump the epoch, KIP-360).
 * Before v3 those two must be -1/-1, as the field does not exist there.
 * KPROD_ERR_NO_ERROR, KPROD_ERR__INVALID_ARG or KPROD_ERR__NO_MEMORY. */
kprod_err_t kp_init_producer_id_req_encode(kp_buf *b, int16_t version, const char *transactional_id,
                                           int32_t transaction_timeout_ms, int64_t producer_id,
                                           int16_t producer_epoch);

typedef struct kp_init_producer_id_resp {
    int32_t throttle_ms;
    int16_t error_code;
    int64_t producer_id;
    int16_t producer_epoch;
} kp_init_producer_id_resp;

/* Decodes a response body of the given version (nothing to free).
 * KPROD_ERR_NO_ERROR, KPROD_ERR__BAD_MSG or KPROD_ERR__INVALID_ARG. */
kprod_err_t kp_init_producer_id_resp_decode(kp_rd *r, int16_t version,
                                            kp_init_producer_id_resp *out);

#endif
