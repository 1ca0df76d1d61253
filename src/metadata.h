/* Cluster metadata kept by the sender thread (see metadata.c). */
#ifndef KPROD_METADATA_H
#define KPROD_METADATA_H

#include "producer.h"

/* Adds a broker entry per bootstrap.servers address (ids -1, -2, ...). */
int kp_md_add_bootstrap(kprod_t *p);
/* Sends a Metadata request if one is due; returns when to look again. */
int64_t kp_md_maybe_request(kprod_t *p, int64_t now);
void kp_md_handle_response(kprod_t *p, kp_conn *c, kp_inflight *req, kp_rd *r);
void kp_md_request_failed(kprod_t *p, kp_inflight *req, kprod_err_t err);
/* Ends a waiting kprod_metadata_get with err. */
void kp_md_fail_waiter(kprod_t *p, kprod_err_t err);

#endif
