/* The delivery-report queue: completed batches waiting for their callbacks,
 * and where those run (the application's kprod_poll/kprod_flush, or a
 * thread of kprod's own with delivery.report.mode=thread).
 *
 * Threads: the sender thread pushes; any thread may serve; the queue has
 * its own lock (no other lock is held while a callback runs). */
#ifndef KPROD_REPORT_H
#define KPROD_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "accumulator.h"
#include "batch.h"
#include "config.h"

typedef struct kp_reports kp_reports;

/* NULL when out of memory. Served batches' memory goes back to acc. */
kp_reports *kp_reports_new(const kp_config *cfg, kp_acc *acc);
/* Stops the report thread if one runs and serves what is left here. */
void kp_reports_stop(kp_reports *r);
/* Frees (after kp_reports_stop; serves anything still queued first). */
void kp_reports_free(kp_reports *r);

/* Starts the report thread (delivery.report.mode=thread). */
kprod_err_t kp_reports_start_thread(kp_reports *r);
int kp_reports_threaded(const kp_reports *r);

/* A record was accepted: it is counted until its report has run. */
void kp_reports_accepted(kp_reports *r);
/* ... and then refused after all (kp_acc_append failed). */
void kp_reports_unaccepted(kp_reports *r);
size_t kp_reports_outstanding(const kp_reports *r);
/* Records reported _PURGED_ON_CLOSE so far. */
size_t kp_reports_purged(const kp_reports *r);

/* Queues a producer-wide error for the error callback (kprod_error_cb),
 * served before the reports queued after it; text is copied. Nothing is
 * queued when no error callback is set (the caller has logged it). */
void kp_reports_push_event(kp_reports *r, kprod_err_t err, const char *text);

/* Queues a statistics document for the statistics callback, taking json
 * (malloc'd); freed at once when no statistics callback is set. */
void kp_reports_push_stats(kp_reports *r, char *json);

/* Queues completed batches (buffers released already), in order. */
void kp_reports_push(kp_reports *r, kp_batch *const *batches, int n);
/* Runs the callbacks of every queued report, waiting until deadline_ms
 * for the first; returns the number of records served. */
int kp_reports_serve(kp_reports *r, int64_t deadline_ms);
/* Is anything queued? (no lock: a hint) */
int kp_reports_pending(const kp_reports *r);

/* Is the calling thread running a delivery callback of r (NULL: of any
 * producer) right now? Callbacks nest when one serves another producer's
 * reports; every level counts. No lock: a thread-local marker that the
 * serving code sets around the callbacks it runs. kprod_poll, kprod_flush
 * and kprod_close refuse to run inside their own producer's callbacks. */
int kp_reports_in_callback(const kp_reports *r);

#endif
