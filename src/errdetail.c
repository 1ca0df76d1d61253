/* The per-thread error detail (see errdetail.h). */
#include "errdetail.h"

#include <stdarg.h>
#include <stdio.h>

#include "kprod.h"

static _Thread_local char detail[512];

void kp_errdetail_set(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
}

KPROD_API const char *kprod_last_errstr(void) { return detail; }

int kp_errf(char *errstr, size_t errstr_size, const char *fmt, ...) {
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}
