/* The transaction client's decisions as pure functions: which calls a
 * state allows and where they lead, and what an error answer from a
 * coordinator API means (retry, find the coordinator again, the
 * transaction failed, the producer is done). No I/O, no locks, so the unit
 * tests walk every state and every error (tests/unit/test_txn_decide.c).
 * The rules are the Java 4.x client's (TransactionManager). */
#ifndef KPROD_SENDER_TXN_DECIDE_H
#define KPROD_SENDER_TXN_DECIDE_H

#include "kprod.h"

/* A transactional producer's states (docs/TRANSACTIONS.md draws them). */
typedef enum kp_txn_state {
    KP_TXN_UNINIT,       /* before kprod_txn_init */
    KP_TXN_INITIALIZING, /* kprod_txn_init under way */
    KP_TXN_READY,        /* no transaction open */
    KP_TXN_IN_TXN,       /* begun: records and offsets go in */
    KP_TXN_COMMITTING,   /* kprod_txn_commit under way */
    KP_TXN_ABORTING,     /* kprod_txn_abort under way */
    KP_TXN_ABORTABLE,    /* the open transaction failed: only abort */
    KP_TXN_FATAL,        /* only kprod_close */
} kp_txn_state;

/* The state's name, for statistics and texts ("in_transaction", ...). */
const char *kp_txn_state_name(kp_txn_state st);

typedef enum kp_txn_call {
    KP_TXN_CALL_INIT,
    KP_TXN_CALL_BEGIN,
    KP_TXN_CALL_SEND, /* kprod_send */
    KP_TXN_CALL_OFFSETS,
    KP_TXN_CALL_COMMIT,
    KP_TXN_CALL_ABORT,
} kp_txn_call;

/* What a call does in a state. */
typedef struct kp_txn_step {
    kprod_err_t err;   /* 0: go on; _FATAL stands for the producer's fatal error */
    kp_txn_state next; /* the state to enter (when err is 0) */
    int resume;        /* an earlier call of the same kind timed out: wait for it */
} kp_txn_step;

/* committing_handed: in COMMITTING, the commit was already asked of the
 * coordinator (then abort is refused: the commit must be finished). */
kp_txn_step kp_txn_transition(kp_txn_state st, kp_txn_call call, int committing_handed);

/* The coordinator APIs, and the Produce answer inside a transaction. */
typedef enum kp_txn_api {
    KP_TXN_API_FIND_COORDINATOR,
    KP_TXN_API_INIT_PRODUCER_ID,
    KP_TXN_API_ADD_PARTITIONS,
    KP_TXN_API_ADD_OFFSETS,
    KP_TXN_API_TXN_OFFSET_COMMIT,
    KP_TXN_API_END_TXN,
} kp_txn_api;

typedef enum kp_txn_verdict {
    KP_TXN_V_OK,
    KP_TXN_V_RETRY,     /* ask again after retry.backoff.ms */
    KP_TXN_V_REFIND,    /* the coordinator moved or is unreachable: find it, then ask again */
    KP_TXN_V_ABORTABLE, /* the transaction failed */
    KP_TXN_V_FATAL,     /* the producer is done (kp_txn_fatal_code says with which code) */
} kp_txn_verdict;

/* What err (a broker's error code, or a local one for a request that got
 * no answer: _TRANSPORT, _BAD_MSG, ...) in an answer of api means. */
kp_txn_verdict kp_txn_verdict_of(kp_txn_api api, kprod_err_t err);

/* The code a fatal err is reported with: a coordinator's
 * INVALID_PRODUCER_EPOCH means fenced, as Java reads it. */
kprod_err_t kp_txn_fatal_code(kprod_err_t err);

#endif
