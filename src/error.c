/* Error names, texts and retriable flags, all generated from the one list in
 * kprod.h so that the three can never disagree.
 *
 * Each lookup is a switch generated from the list: the compiler turns it into
 * a jump table (the codes are dense from -130 to 133), and a duplicate code in
 * the list becomes a compile error ("duplicate case value") instead of a
 * silently shadowed entry. */
#include "kprod.h"

#include <stdio.h>

KPROD_API const char *kprod_err_name(kprod_err_t err) {
    switch (err) {
#define KPROD_ERR_NAME_(name, code, retriable, text)                                               \
    case KPROD_ERR_##name:                                                                         \
        return #name;
        KPROD_ERROR_LIST(KPROD_ERR_NAME_)
#undef KPROD_ERR_NAME_
    }
    /* A code from a newer broker or a caller's typo: name it by number. The
     * buffer is per thread, so the result stays valid until this thread's
     * next call with another unknown code. */
    static _Thread_local char unknown[32];
    snprintf(unknown, sizeof(unknown), "UNKNOWN_ERROR_%d", (int)err);
    return unknown;
}

KPROD_API const char *kprod_err_str(kprod_err_t err) {
    switch (err) {
#define KPROD_ERR_TEXT_(name, code, retriable, text)                                               \
    case KPROD_ERR_##name:                                                                         \
        return text;
        KPROD_ERROR_LIST(KPROD_ERR_TEXT_)
#undef KPROD_ERR_TEXT_
    }
    return "Unknown error code";
}

KPROD_API int kprod_err_is_retriable(kprod_err_t err) {
    switch (err) {
#define KPROD_ERR_RETRIABLE_(name, code, retriable, text)                                          \
    case KPROD_ERR_##name:                                                                         \
        return retriable;
        KPROD_ERROR_LIST(KPROD_ERR_RETRIABLE_)
#undef KPROD_ERR_RETRIABLE_
    }
    /* Java treats a code it does not know as UnknownServerException: not
     * retriable. */
    return 0;
}

KPROD_API const char *kprod_version(void) { return KPROD_VERSION_STR; }

KPROD_API kprod_txn_err_class_t kprod_txn_error_class(kprod_err_t err) {
    switch (err) {
    case KPROD_ERR_NO_ERROR:
        return KPROD_TXN_ERR_NONE;
    /* the transaction failed: abort it, then carry on */
    case KPROD_ERR__TXN_ABORTABLE:
    case KPROD_ERR__TXN_ABORTED:
    case KPROD_ERR_TRANSACTION_ABORTABLE:
    case KPROD_ERR_TOPIC_AUTHORIZATION_FAILED:
    case KPROD_ERR_GROUP_AUTHORIZATION_FAILED:
        return KPROD_TXN_ERR_ABORTABLE;
    /* the producer cannot go on */
    case KPROD_ERR__FATAL:
    case KPROD_ERR__UNSUPPORTED_FEATURE:
    case KPROD_ERR_PRODUCER_FENCED:
    case KPROD_ERR_INVALID_PRODUCER_EPOCH:
    case KPROD_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case KPROD_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case KPROD_ERR_UNSUPPORTED_VERSION:
    case KPROD_ERR_INVALID_TXN_STATE:
    case KPROD_ERR_INVALID_PRODUCER_ID_MAPPING:
    case KPROD_ERR_INVALID_TRANSACTION_TIMEOUT:
        return KPROD_TXN_ERR_FATAL;
    case KPROD_ERR__NO_MEMORY: /* nothing was started: try again */
        return KPROD_TXN_ERR_RETRIABLE;
    /* the call was wrong now: nothing changed */
    case KPROD_ERR__STATE:
    case KPROD_ERR__INVALID_ARG:
    case KPROD_ERR__IN_CALLBACK:
        return KPROD_TXN_ERR_USAGE;
    default:
        break;
    }
    /* _TIMED_OUT and every retriable code: the operation goes on; call
     * again. The rest (_CLOSED, a broker code no rule names) leaves nothing
     * to retry or abort: the producer is done. */
    return kprod_err_is_retriable(err) ? KPROD_TXN_ERR_RETRIABLE : KPROD_TXN_ERR_FATAL;
}
