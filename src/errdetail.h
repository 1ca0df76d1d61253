/* The detail behind an error a public call returns (kprod_last_errstr):
 * one buffer per thread, written only on the path that fails, so a call
 * that succeeds pays nothing for it.
 *
 * Thread: any; each thread sees only its own. */
#ifndef KPROD_ERRDETAIL_H
#define KPROD_ERRDETAIL_H

#include <stddef.h>

/* Sets this thread's detail text (printf-style; truncated to 511 bytes). */
void kp_errdetail_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes an error's detail into a caller's buffer (printf-style; errstr
 * may be NULL) and returns -1, so a failing path reads
 * `return kp_errf(errstr, size, "...", ...);`. */
int kp_errf(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
