/* Error names, texts and retriable flags, all generated from the one list in
 * kprod.h so that the three can never disagree. */
#include "kprod.h"

#include <stdio.h>

typedef struct err_desc {
    kprod_err_t code;
    int retriable;
    const char *name;
    const char *text;
} err_desc;

static const err_desc err_table[] = {
#define KPROD_ERR_DESC_(name, code, retriable, text) {KPROD_ERR_##name, retriable, #name, text},
    KPROD_ERROR_LIST(KPROD_ERR_DESC_)
#undef KPROD_ERR_DESC_
};

static const err_desc *err_find(kprod_err_t err) {
    for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
        if (err_table[i].code == err)
            return &err_table[i];
    return NULL;
}

KPROD_API const char *kprod_err_name(kprod_err_t err) {
    const err_desc *d = err_find(err);
    return d ? d->name : "UNKNOWN_ERROR_CODE";
}

KPROD_API const char *kprod_err_str(kprod_err_t err) {
    const err_desc *d = err_find(err);
    return d ? d->text : "Unknown error code";
}

KPROD_API int kprod_err_is_retriable(kprod_err_t err) {
    const err_desc *d = err_find(err);
    return d ? d->retriable : 0;
}

KPROD_API const char *kprod_version(void) { return KPROD_VERSION_STR; }
