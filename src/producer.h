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
};

#endif
