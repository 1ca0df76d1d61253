/* Error names, texts and retriable flags, all generated from the one list in
 * kprod.h so that the three can never disagree.
 *
 * Each lookup is a switch generated from the list: the compiler turns it into
 * a jump table (the codes are dense from -126 to 133), and a duplicate code in
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
