/* kprod produce's transactions (--transactional-id, --transaction-records;
 * see produce_opts.c's help): a transaction is begun before its first
 * record and committed after every N records and at the end. A record is
 * counted delivered only when its transaction commits; when the commit
 * fails the transaction is aborted and its records that were not reported
 * failed on their own are counted failed, with one line for all of them.
 * produce.c sends; this file decides when transactions begin and end. */
#ifndef KPROD_CLI_PRODUCE_TXN_H
#define KPROD_CLI_PRODUCE_TXN_H

#include <stdatomic.h>
#include <stddef.h>

#include "kprod.h"

/* produce.c's outcome counters, which the transactions move records into. */
typedef struct produce_counts {
    atomic_long delivered;
    atomic_long failed;
    atomic_ullong bytes;
} produce_counts;

typedef struct produce_txn {
    kprod_t *p;
    produce_counts *counts;
    long every;  /* records per transaction; 0: one for the whole input */
    int open;    /* a transaction is begun */
    long in_txn; /* records sent in it */
    const char *first_file, *last_file;
    long first_line, last_line;
    /* Reports of the open transaction (any thread: the report thread too). */
    atomic_long ok;         /* delivered, not committed yet */
    atomic_ullong ok_bytes; /* their key and value bytes */
    atomic_long aborted;    /* _TXN_ABORTED: counted at the transaction's end */
    long committed;         /* transactions committed */
} produce_txn;

/* kprod_txn_init on p (fencing an older producer with the id, aborting
 * what it left open). 0, or -1 (printed). */
int produce_txn_start(produce_txn *t, kprod_t *p, produce_counts *counts, long every);

/* A report of the run's producer: 1 when it belongs to the transaction's
 * counts (delivered, not committed yet; or _TXN_ABORTED), 0 when the caller
 * counts and prints it (a record's own error). Any thread. */
int produce_txn_report(produce_txn *t, const kprod_report_t *r, size_t bytes);

/* Before file:line is sent: begins a transaction when none is open. 0, or
 * the error (printed: the run stops). */
kprod_err_t produce_txn_before(produce_txn *t, const char *file, long line);
/* file:line was accepted: commits when the transaction is full. 0, or -1
 * when a fatal error ends the run (printed). */
int produce_txn_sent(produce_txn *t, const char *file, long line);

/* Ends the open transaction (none: nothing): commits (calling again while
 * the error is retriable), or aborts when commit is 0 or the commit
 * failed, and counts its records. 0, or -1 when a fatal error ends the run
 * (printed). Not from a delivery callback. */
int produce_txn_end(produce_txn *t, int commit);

#endif
