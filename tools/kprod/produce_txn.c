/* kprod produce's transactions (see produce_txn.h). */
#include "produce_txn.h"

#include <stdio.h>
#include <stdlib.h>

#include "escape.h"
#include "opts.h"
#include "produce_opts.h"
#include "produce_report.h"

#define CMD PRODUCE_CMD

int produce_txn_start(produce_txn *t, kprod_t *p, produce_counts *counts, long every) {
    t->p = p;
    t->counts = counts;
    t->every = every;
    kprod_err_t err = kprod_txn_init(p, 60000);
    while (kprod_txn_error_class(err) == KPROD_TXN_ERR_RETRIABLE)
        err = kprod_txn_init(p, 60000); /* the coordinator is still finishing */
    if (err) {
        char *esc = cli_escaped(kprod_last_errstr());
        cli_err(CMD, "kprod_txn_init: %s: %s", kprod_err_name(err), esc ? esc : "?");
        free(esc);
        return -1;
    }
    return 0;
}

int produce_txn_report(produce_txn *t, const kprod_report_t *r, size_t bytes) {
    if (!r->err) {
        atomic_fetch_add(&t->ok, 1);
        atomic_fetch_add(&t->ok_bytes, bytes);
        return 1;
    }
    if (r->err == KPROD_ERR__TXN_ABORTED) {
        atomic_fetch_add(&t->aborted, 1);
        return 1;
    }
    return 0;
}

kprod_err_t produce_txn_before(produce_txn *t, const char *file, long line) {
    if (t->open)
        return KPROD_ERR_NO_ERROR;
    kprod_err_t err = kprod_txn_begin(t->p);
    if (err) {
        produce_error_line(file, line, err, kprod_last_errstr(), " (kprod_txn_begin)");
        return err;
    }
    t->open = 1;
    t->in_txn = 0;
    t->first_file = file;
    t->first_line = line;
    return KPROD_ERR_NO_ERROR;
}

int produce_txn_sent(produce_txn *t, const char *file, long line) {
    t->in_txn++;
    t->last_file = file;
    t->last_line = line;
    if (t->every > 0 && t->in_txn >= t->every)
        return produce_txn_end(t, 1);
    return 0;
}

/* The transaction's records that were not reported failed on their own
 * are failed now: one line for them all. */
static void count_aborted(produce_txn *t) {
    long ok = atomic_exchange(&t->ok, 0), ab = atomic_exchange(&t->aborted, 0);
    atomic_store(&t->ok_bytes, 0);
    atomic_fetch_add(&t->counts->failed, ok + ab);
    if (ok + ab == 0)
        return;
    char *from = cli_escaped(t->first_file), *to = cli_escaped(t->last_file);
    char more[1200];
    snprintf(more, sizeof(more),
             " (the transaction of %s:%ld to %s:%ld was aborted: %ld record%s not committed, "
             "%ld of them written first)",
             from ? from : "?", t->first_line, to ? to : "?", t->last_line, ok + ab,
             ok + ab == 1 ? "" : "s", ok);
    free(from);
    free(to);
    produce_error_line(t->first_file, t->first_line, KPROD_ERR__TXN_ABORTED, NULL, more);
}

int produce_txn_end(produce_txn *t, int commit) {
    if (!t->open)
        return 0;
    t->open = 0;
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    if (commit) {
        while (kprod_txn_error_class(err = kprod_txn_commit(t->p, 60000)) ==
               KPROD_TXN_ERR_RETRIABLE)
            ; /* its records are still on their way: each call waits 60 s more */
        if (!err) {
            atomic_fetch_add(&t->counts->delivered, atomic_exchange(&t->ok, 0));
            atomic_fetch_add(&t->counts->bytes, atomic_exchange(&t->ok_bytes, 0));
            t->committed++;
            return 0;
        }
        produce_error_line(t->first_file, t->first_line, err, kprod_last_errstr(),
                           " (kprod_txn_commit)");
        if (kprod_txn_error_class(err) != KPROD_TXN_ERR_ABORTABLE) {
            count_aborted(t); /* fatal: nothing of it commits any more */
            return -1;
        }
    }
    while (kprod_txn_error_class(err = kprod_txn_abort(t->p, 60000)) == KPROD_TXN_ERR_RETRIABLE)
        ;
    count_aborted(t);
    if (err) {
        produce_error_line(t->first_file, t->first_line, err, kprod_last_errstr(),
                           " (kprod_txn_abort)");
        return -1;
    }
    return 0;
}
