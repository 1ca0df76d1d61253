/* The producer handle: the handles of the stages and the sender, and the
 * count that lets kprod_close wait out sends in progress. Each part keeps
 * its own state (and lock) in its own module. */
#ifndef KPROD_PRODUCER_H
#define KPROD_PRODUCER_H

#include <stdatomic.h>

#include "accumulator.h"
#include "config.h"
#include "kprod.h"
#include "report.h"
#include "sender/sender.h"

struct kprod_s {
    kp_config cfg;
    kp_acc *acc;
    kp_reports *reports;
    kp_sender *sender;
    atomic_int active_sends; /* threads inside kprod_send or kprod_interrupt: close waits */
    kp_txn *txn;             /* the transaction client; NULL without transactional.id */
};

/* kprod_flush's wait, until deadline_ms (also the commit's flush). */
kprod_err_t kp_producer_flush(kprod_t *p, int64_t deadline_ms);

#endif
