/* The transaction client's decisions (see txn_decide.h). */
#include "sender/txn_decide.h"

const char *kp_txn_state_name(kp_txn_state st) {
    switch (st) {
    case KP_TXN_UNINIT:
        return "uninitialized";
    case KP_TXN_INITIALIZING:
        return "initializing";
    case KP_TXN_READY:
        return "ready";
    case KP_TXN_IN_TXN:
        return "in_transaction";
    case KP_TXN_COMMITTING:
        return "committing";
    case KP_TXN_ABORTING:
        return "aborting";
    case KP_TXN_ABORTABLE:
        return "abortable_error";
    case KP_TXN_FATAL:
        return "fatal_error";
    }
    return "unknown";
}

static kp_txn_step go(kp_txn_state next) {
    kp_txn_step s = {KPROD_ERR_NO_ERROR, next, 0};
    return s;
}

static kp_txn_step resume(kp_txn_state st) {
    kp_txn_step s = {KPROD_ERR_NO_ERROR, st, 1};
    return s;
}

static kp_txn_step refuse(kp_txn_state st, kprod_err_t err) {
    kp_txn_step s = {err, st, 0};
    return s;
}

kp_txn_step kp_txn_transition(kp_txn_state st, kp_txn_call call, int committing_handed) {
    /* The failed states answer every call but abort (and, for the fatal
     * one, that too) with their error, as Java's maybeFailWithError. */
    if (st == KP_TXN_FATAL)
        return refuse(st, KPROD_ERR__FATAL);
    if (st == KP_TXN_ABORTABLE && call != KP_TXN_CALL_ABORT && call != KP_TXN_CALL_INIT)
        return refuse(st, KPROD_ERR__TXN_ABORTABLE);
    switch (call) {
    case KP_TXN_CALL_INIT:
        if (st == KP_TXN_UNINIT)
            return go(KP_TXN_INITIALIZING);
        if (st == KP_TXN_INITIALIZING)
            return resume(st);
        return refuse(st, KPROD_ERR__STATE);
    case KP_TXN_CALL_BEGIN:
        return st == KP_TXN_READY ? go(KP_TXN_IN_TXN) : refuse(st, KPROD_ERR__STATE);
    case KP_TXN_CALL_SEND:
    case KP_TXN_CALL_OFFSETS:
        return st == KP_TXN_IN_TXN ? go(st) : refuse(st, KPROD_ERR__STATE);
    case KP_TXN_CALL_COMMIT:
        if (st == KP_TXN_IN_TXN)
            return go(KP_TXN_COMMITTING);
        if (st == KP_TXN_COMMITTING)
            return resume(st);
        return refuse(st, KPROD_ERR__STATE);
    case KP_TXN_CALL_ABORT:
        if (st == KP_TXN_IN_TXN || st == KP_TXN_ABORTABLE)
            return go(KP_TXN_ABORTING);
        if (st == KP_TXN_ABORTING)
            return resume(st);
        /* A commit that timed out while flushing has asked nothing of the
         * coordinator yet: it may still be aborted. Once EndTxn(commit) is
         * out, only the commit can be finished. */
        if (st == KP_TXN_COMMITTING && !committing_handed)
            return go(KP_TXN_ABORTING);
        return refuse(st, KPROD_ERR__STATE);
    }
    return refuse(st, KPROD_ERR__STATE);
}

static int is_fenced(kprod_err_t err) {
    return err == KPROD_ERR_PRODUCER_FENCED || err == KPROD_ERR_INVALID_PRODUCER_EPOCH;
}

/* A request that got no answer: the connection to the coordinator failed,
 * timed out or sent garbage. Java looks the coordinator up again. */
static int is_lost(kprod_err_t err) {
    return err == KPROD_ERR__TRANSPORT || err == KPROD_ERR__BAD_MSG || err == KPROD_ERR__RESOLVE ||
           err == KPROD_ERR__ALL_BROKERS_DOWN || err == KPROD_ERR__NO_MEMORY;
}

static int moved(kprod_err_t err) {
    return err == KPROD_ERR_NOT_COORDINATOR || err == KPROD_ERR_COORDINATOR_NOT_AVAILABLE;
}

kp_txn_verdict kp_txn_verdict_of(kp_txn_api api, kprod_err_t err) {
    if (!err)
        return KP_TXN_V_OK;
    if (err == KPROD_ERR__UNSUPPORTED_FEATURE || err == KPROD_ERR_UNSUPPORTED_VERSION)
        return KP_TXN_V_FATAL;
    if (is_lost(err))
        return api == KP_TXN_API_FIND_COORDINATOR ? KP_TXN_V_RETRY : KP_TXN_V_REFIND;
    if (err == KPROD_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED || is_fenced(err))
        return KP_TXN_V_FATAL;
    if (err == KPROD_ERR_TRANSACTION_ABORTABLE)
        return KP_TXN_V_ABORTABLE;
    switch (api) {
    case KP_TXN_API_FIND_COORDINATOR:
        if (kprod_err_is_retriable(err))
            return KP_TXN_V_RETRY;
        return err == KPROD_ERR_GROUP_AUTHORIZATION_FAILED ? KP_TXN_V_ABORTABLE : KP_TXN_V_FATAL;
    case KP_TXN_API_INIT_PRODUCER_ID:
        if (moved(err))
            return KP_TXN_V_REFIND;
        /* CONCURRENT_TRANSACTIONS: the coordinator is still aborting what
         * an earlier producer with this id left open. */
        if (kprod_err_is_retriable(err))
            return KP_TXN_V_RETRY;
        return KP_TXN_V_FATAL;
    case KP_TXN_API_ADD_PARTITIONS:
        if (moved(err))
            return KP_TXN_V_REFIND;
        if (kprod_err_is_retriable(err))
            return KP_TXN_V_RETRY;
        if (err == KPROD_ERR_INVALID_TXN_STATE || err == KPROD_ERR_INVALID_PRODUCER_ID_MAPPING ||
            err == KPROD_ERR_CLUSTER_AUTHORIZATION_FAILED)
            return KP_TXN_V_FATAL;
        /* TOPIC_AUTHORIZATION_FAILED, UNKNOWN_PRODUCER_ID,
         * OPERATION_NOT_ATTEMPTED and the unexpected: the transaction
         * cannot hold the partition. */
        return KP_TXN_V_ABORTABLE;
    case KP_TXN_API_ADD_OFFSETS:
    case KP_TXN_API_END_TXN:
        if (moved(err))
            return KP_TXN_V_REFIND;
        if (kprod_err_is_retriable(err))
            return KP_TXN_V_RETRY;
        if (err == KPROD_ERR_UNKNOWN_PRODUCER_ID ||
            (api == KP_TXN_API_ADD_OFFSETS && err == KPROD_ERR_GROUP_AUTHORIZATION_FAILED))
            return KP_TXN_V_ABORTABLE;
        return KP_TXN_V_FATAL;
    case KP_TXN_API_TXN_OFFSET_COMMIT:
        /* The group coordinator: REQUEST_TIMED_OUT also means look again. */
        if (moved(err) || err == KPROD_ERR_REQUEST_TIMED_OUT)
            return KP_TXN_V_REFIND;
        if (kprod_err_is_retriable(err))
            return KP_TXN_V_RETRY;
        if (err == KPROD_ERR_GROUP_AUTHORIZATION_FAILED || err == KPROD_ERR_FENCED_INSTANCE_ID ||
            err == KPROD_ERR_UNKNOWN_MEMBER_ID || err == KPROD_ERR_ILLEGAL_GENERATION)
            return KP_TXN_V_ABORTABLE;
        return KP_TXN_V_FATAL;
    }
    return KP_TXN_V_FATAL;
}

kprod_err_t kp_txn_fatal_code(kprod_err_t err) {
    /* Every coordinator API reads an old epoch as fencing: an older
     * coordinator answers INVALID_PRODUCER_EPOCH where a newer one says
     * PRODUCER_FENCED. */
    return err == KPROD_ERR_INVALID_PRODUCER_EPOCH ? KPROD_ERR_PRODUCER_FENCED : err;
}
