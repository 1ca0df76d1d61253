/* The transaction calls (kprod_txn_*, see kprod.h and docs/TRANSACTIONS.md):
 * each applies the state rules and hands its operation to the sender
 * thread's transaction client (sender/txn.h), which does the talking. The
 * commit flushes first and the abort serves the aborted records' reports
 * afterwards, as kprod_flush does. */
#include <stdio.h>

#include "clock.h"
#include "errdetail.h"
#include "producer.h"

/* The call's outcome, with its text for kprod_last_errstr on failure. */
static kprod_err_t done(kprod_err_t err, const char *why) {
    if (err)
        kp_errdetail_set("%s", why[0] ? why : kprod_err_str(err));
    return err;
}

static kp_txn *txn_of(kprod_t *p) { return kp_sender_txn(p->sender); }

KPROD_API kprod_err_t kprod_txn_init(kprod_t *p, int timeout_ms) {
    char why[512] = "";
    if (!p)
        return done(KPROD_ERR__INVALID_ARG, "kprod_txn_init: the producer is NULL");
    int64_t deadline = kp_deadline(timeout_ms);
    kp_txn *t = txn_of(p);
    int resume;
    kprod_err_t err = kp_txn_enter(t, KP_TXN_CALL_INIT, &resume, why, sizeof(why));
    if (err)
        return done(err, why);
    err = kp_txn_run(t, KP_TXN_OP_INIT, NULL, deadline, why, sizeof(why));
    kp_txn_leave(t);
    return done(err, why);
}

KPROD_API kprod_err_t kprod_txn_begin(kprod_t *p) {
    char why[512] = "";
    if (!p)
        return done(KPROD_ERR__INVALID_ARG, "kprod_txn_begin: the producer is NULL");
    kp_txn *t = txn_of(p);
    int resume;
    kprod_err_t err = kp_txn_enter(t, KP_TXN_CALL_BEGIN, &resume, why, sizeof(why));
    if (!err)
        kp_txn_leave(t);
    return done(err, why);
}

KPROD_API kprod_err_t kprod_txn_send_offsets(kprod_t *p, const kprod_txn_offset_t *offsets,
                                             size_t count, const kprod_txn_group_t *group,
                                             int timeout_ms) {
    char why[512] = "";
    if (!p)
        return done(KPROD_ERR__INVALID_ARG, "kprod_txn_send_offsets: the producer is NULL");
    int64_t deadline = kp_deadline(timeout_ms);
    kp_txn_offsets *offs;
    kprod_err_t err = kp_txn_offsets_new(offsets, count, group, &offs, why, sizeof(why));
    if (err)
        return done(err, why);
    kp_txn *t = txn_of(p);
    int resume;
    err = kp_txn_enter(t, KP_TXN_CALL_OFFSETS, &resume, why, sizeof(why));
    if (err) {
        kp_txn_offsets_free(offs);
        return done(err, why);
    }
    err = kp_txn_run(t, KP_TXN_OP_OFFSETS, offs, deadline, why, sizeof(why));
    kp_txn_leave(t);
    return done(err, why);
}

KPROD_API kprod_err_t kprod_txn_commit(kprod_t *p, int timeout_ms) {
    char why[512] = "";
    if (!p)
        return done(KPROD_ERR__INVALID_ARG, "kprod_txn_commit: the producer is NULL");
    /* It waits for reports that cannot be served before this callback
     * returns. */
    if (kp_reports_in_callback(p->reports))
        return done(KPROD_ERR__IN_CALLBACK, "kprod_txn_commit: not from a delivery callback");
    int64_t deadline = kp_deadline(timeout_ms);
    kp_txn *t = txn_of(p);
    int resume;
    kprod_err_t err = kp_txn_enter(t, KP_TXN_CALL_COMMIT, &resume, why, sizeof(why));
    if (err)
        return done(err, why);
    /* No record joins any more; those on their way in are appended before
     * the flush, which waits for every one of them. */
    err = kp_txn_wait_senders(t, deadline);
    if (!err && !kp_txn_commit_handed(t) && kp_producer_flush(p, deadline))
        err = KPROD_ERR__TIMED_OUT;
    if (err)
        snprintf(why, sizeof(why),
                 "kprod_txn_commit: records of the transaction are still undelivered; call it "
                 "again (or kprod_txn_abort)");
    else
        err = kp_txn_run(t, KP_TXN_OP_COMMIT, NULL, deadline, why, sizeof(why));
    kp_txn_leave(t);
    return done(err, why);
}

KPROD_API kprod_err_t kprod_txn_abort(kprod_t *p, int timeout_ms) {
    char why[512] = "";
    if (!p)
        return done(KPROD_ERR__INVALID_ARG, "kprod_txn_abort: the producer is NULL");
    if (kp_reports_in_callback(p->reports))
        return done(KPROD_ERR__IN_CALLBACK, "kprod_txn_abort: not from a delivery callback");
    int64_t deadline = kp_deadline(timeout_ms);
    kp_txn *t = txn_of(p);
    int resume;
    kprod_err_t err = kp_txn_enter(t, KP_TXN_CALL_ABORT, &resume, why, sizeof(why));
    if (err)
        return done(err, why);
    err = kp_txn_wait_senders(t, deadline);
    if (err)
        snprintf(why, sizeof(why), "kprod_txn_abort: a kprod_send is still appending");
    else
        err = kp_txn_run(t, KP_TXN_OP_ABORT, NULL, deadline, why, sizeof(why));
    kp_txn_leave(t);
    /* The aborted records' reports, served here in poll mode. */
    if (!err)
        kp_producer_flush(p, deadline);
    return done(err, why);
}
