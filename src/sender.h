/* The sender thread's internals shared by its modules: sender.c (the loop,
 * Produce), metadata.c (cluster metadata) and idempotence.c (producer id and
 * sequences). All of it runs on the sender thread only. */
#ifndef KPROD_SENDER_H
#define KPROD_SENDER_H

#include "producer.h"

kp_broker *kp_broker_find(kprod_t *p, int32_t id);
kp_broker *kp_broker_add(kprod_t *p, int32_t id, const char *host, int port);
/* Starts a request on c, in place at the end of its output buffer (see
 * kp_conn_commit): a fresh correlation id and the header. Returns the
 * buffer to encode the body into; *start is the frame's offset in it. */
kp_buf *kp_frame_begin(kprod_t *p, kp_conn *c, int16_t api_key, int16_t ver, size_t *start);
/* Finishes the frame begun at start and queues it with request.timeout.ms;
 * 0, or -1 when out of memory (the frame is then gone). */
int kp_send_request(kprod_t *p, kp_conn *c, int16_t api_key, int16_t ver, size_t start,
                    int expect_response, void *ctx);
/* The version of api_key to use on c, -1 if none is common. */
int16_t kp_conn_pick(const kp_conn *c, int16_t api_key);
const kp_conn_handlers *kp_sender_handlers(kprod_t *p);
/* Fails q's head batches past delivery.timeout.ms (acc.lock held). */
void kp_sender_expire_locked(kprod_t *p, kp_topic *t, kp_partq *q, int64_t now);

#endif
