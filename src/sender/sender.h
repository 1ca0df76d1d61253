/* The sender: one thread that does every piece of I/O. Each turn it lets
 * its clients act (metadata, producer id, produce), keeps the wanted
 * connections up, and sleeps in the request layer's poll() until a socket
 * is ready, a deadline comes or an application thread wakes it.
 *
 * The producer (producer.c) creates it over the accumulator and the report
 * queue; results flow back only through those two. */
#ifndef KPROD_SENDER_SENDER_H
#define KPROD_SENDER_SENDER_H

#include <stddef.h>

#include "accumulator.h"
#include "config.h"
#include "kprod.h"
#include "protocol/metadata.h"
#include "report.h"
#include "sender/txn.h"
#include "stats_render.h"

typedef struct kp_sender kp_sender;

/* Makes the sender (its thread not started yet) and registers its wake-up
 * with the accumulator. NULL when out of memory, no bootstrap entry, or
 * TLS cannot be set up (errstr says why). */
kp_sender *kp_sender_new(const kp_config *cfg, kp_acc *acc, kp_reports *reports, char *errstr,
                         size_t errstr_size);
kprod_err_t kp_sender_start(kp_sender *s);
/* Purges what is left (_PURGED_ON_CLOSE), ends the thread, frees. */
void kp_sender_stop(kp_sender *s);

/* Any thread: wakes the sender thread. */
void kp_sender_wake(void *s);
/* Any thread: the fatal error (0 if none) and its text. */
kprod_err_t kp_sender_fatal(kp_sender *s, char *errstr, size_t errstr_size);
/* Any thread: fresh cluster metadata, as kp_md_get. */
kprod_err_t kp_sender_metadata(kp_sender *s, const char *topic, int64_t deadline_ms,
                               kp_metadata_resp **out);

/* Any thread: a statistics snapshot made by the sender thread, as
 * kp_sc_get (the caller clears and frees *out). */
kprod_err_t kp_sender_stats(kp_sender *s, int64_t deadline_ms, kp_stats_snap **out);

/* The transaction client, for the kprod_txn_* calls and kprod_send's gate
 * (its application-side functions only). */
kp_txn *kp_sender_txn(kp_sender *s);

/* For tests: the loop's turns so far (any thread). */
unsigned long kp_sender_turns(kp_sender *s);

#endif
