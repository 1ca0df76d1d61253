/* The transaction client's state, shared by its two files: txn_handover.c
 * (the application threads' side and every change of the state, under
 * the client's lock) and txn.c (the sender thread's side). Only they and
 * the client's unit test include it. */
#ifndef KPROD_SENDER_TXN_IMPL_H
#define KPROD_SENDER_TXN_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "sender/txn.h"
#include "sender/txn_req.h"

struct kp_txn_offsets {
    kp_txn_group group; /* strings owned */
    kp_txn_off *offs;   /* sorted by topic; strings owned */
    int n;
};

/* The one operation handed to the sender thread. Written by the
 * application thread while kind is NONE or done, read by the sender while
 * pending is set; the result is written by the sender under the lock. */
typedef struct kp_txn_op {
    kp_txn_op_kind kind;
    uint64_t id;
    int done;
    kprod_err_t err;
    char why[512];
    kp_txn_offsets *offs;
} kp_txn_op;

/* A partition of the open transaction (classic protocol). */
enum { KP_TXN_P_NEW, KP_TXN_P_PENDING, KP_TXN_P_ADDED };
typedef struct kp_txn_part {
    const char *topic; /* the accumulator's name: lives as long as it */
    uint32_t topic_id;
    int32_t partition;
    int state;
} kp_txn_part;

/* Where an operation is, on the sender thread. */
typedef enum kp_txn_phase {
    KP_TXN_S_START,
    KP_TXN_S_ADD_OFFSETS, /* classic: AddOffsetsToTxn */
    KP_TXN_S_COMMIT_OFFSETS,
    KP_TXN_S_END,  /* EndTxn */
    KP_TXN_S_BUMP, /* classic abort: InitProducerId with the current epoch */
} kp_txn_phase;

#define KP_TXN_COORD_GROUP 0
#define KP_TXN_COORD_TXN 1

struct kp_txn {
    kp_txn_deps d;
    int enabled;

    /* ---- under lock ---- */
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int busy; /* an application thread is in a transaction call */
    int closed;
    kp_txn_op op;
    uint64_t op_seq;
    char fail_why[512]; /* why the open transaction failed (ABORTABLE) */
    kprod_err_t fatal_err;
    char fatal_str[512];
    /* written under lock, read anywhere */
    atomic_int state;   /* kp_txn_state */
    atomic_int sending; /* kprod_send calls between enter and leave */
    atomic_int pending; /* op installed, not done: the sender's hint */

    /* ---- the sender thread's own ---- */
    int v2;                /* Transactions V2 (decided at init) */
    int started;           /* the open transaction reached the coordinator: EndTxn needed */
    uint64_t op_run;       /* the id of the operation being run */
    kp_txn_phase step;     /* where it is */
    int inflight;          /* a coordinator request is out */
    int64_t retry_at_ms;   /* backoff before the next request */
    int32_t coord[2];      /* group and transaction coordinator ids, -1 unknown */
    int coord_failures[2]; /* its connection's failures when it was named */
    char *group_key;       /* the group the group coordinator was found for */
    kp_txn_part *parts;    /* the open transaction's partitions (classic) */
    int nparts, parts_cap, nnew;
    uint32_t tgen; /* transaction generation: kp_spart.txn_gen == tgen means registered */
    uint64_t committed, aborted;
};

/* ---- state changes (txn_handover.c), sender thread ---- */

/* Ends the running operation with err (0: success) and why, entering
 * state next (when err is 0 or next is not the current one). */
void kp_txn__op_done(kp_txn *t, kprod_err_t err, const char *why, kp_txn_state next);
/* The open transaction failed (from IN_TXN or COMMITTING; a transaction
 * already aborting stays so). The running offsets or commit operation
 * fails with _TXN_ABORTABLE. */
void kp_txn__abortable(kp_txn *t, const char *why);
/* The producer is done: FATAL, the running operation fails with err. */
void kp_txn__fatal(kp_txn *t, kprod_err_t err, const char *why);
kp_txn_state kp_txn__state(const kp_txn *t);

#endif
