/* The statistics collector: reads the counters the request layer, the
 * produce client, the idempotence and transaction clients and the
 * accumulator keep, into a
 * snapshot (stats_render.h); every statistics.interval.ms it hands the JSON
 * document to the statistics callback (through the report queue), and it
 * answers kprod_stats_get calls.
 *
 * Thread: the sender thread, except kp_sc_get and kp_sc_close (any
 * thread), which hand over under the collector's own lock. */
#ifndef KPROD_SENDER_STATS_H
#define KPROD_SENDER_STATS_H

#include <stdint.h>

#include "accumulator.h"
#include "config.h"
#include "report.h"
#include "sender/idempotence.h"
#include "sender/parts.h"
#include "sender/recovery.h"
#include "sender/request.h"
#include "sender/txn.h"
#include "stats_render.h"

typedef struct kp_sc kp_sc;

typedef struct kp_sc_deps {
    const kp_config *cfg;
    kp_rl *rl;
    kp_parts *parts;
    kp_acc *acc;
    const kp_idem *idem;
    const kp_recov *recov;
    kp_txn *txn;
    kp_reports *reports;
    void (*wake)(void *); /* wakes the sender thread for a kp_sc_get */
    void *wake_opaque;
} kp_sc_deps;

kp_sc *kp_sc_new(const kp_sc_deps *deps);
void kp_sc_free(kp_sc *sc);

/* Sends the periodic document if due, answers a waiting kp_sc_get;
 * returns when to look again. */
int64_t kp_sc_tick(kp_sc *sc, int64_t now_ms);
/* Fills *snap (the caller clears it with kp_stats_snap_clear). */
kprod_err_t kp_sc_collect(kp_sc *sc, kp_stats_snap *snap);

/* Any thread: a snapshot taken by the sender thread, waited for until
 * deadline_ms. *out is the caller's (kp_stats_snap_clear, then free). */
kprod_err_t kp_sc_get(kp_sc *sc, int64_t deadline_ms, kp_stats_snap **out);
/* The producer closes: waiting and later kp_sc_get calls return _CLOSED. */
void kp_sc_close(kp_sc *sc);

#endif
