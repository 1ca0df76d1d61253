/* Shared bits of the libFuzzer targets in tests/fuzz/ (see docs/TESTING.md,
 * "Fuzzing"). Header-only, so each target stays one file.
 *
 * A target's verdicts: a crash or sanitizer report found by libFuzzer, a
 * leak found by LeakSanitizer at the end of an input, or KPF_CHECK failing
 * (a documented property of the code under test does not hold), which
 * prints the condition and aborts. */
#ifndef KPROD_FUZZ_UTIL_H
#define KPROD_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define KPF_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: KPF_CHECK failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The version a target decodes with, from its input's first byte: every
 * version in [lo, hi] is reachable (lo + byte mod the range's size). */
static inline int16_t kpf_version(uint8_t byte, int lo, int hi) {
    return (int16_t)(lo + byte % (hi - lo + 1));
}

/* Reads every byte of p[0..n) so that ASan checks the whole span (a slice
 * pointing outside its buffer is caught here, not only when used). */
static volatile uint8_t kpf_sink;
static inline void kpf_touch(const void *p, size_t n) {
    const uint8_t *b = p;
    uint8_t x = 0;
    for (size_t i = 0; i < n; i++)
        x ^= b[i];
    kpf_sink ^= x;
}

/* A decoded string: NUL-terminated (strlen runs to its end under ASan). */
static inline void kpf_touch_str(const char *s) {
    if (s)
        kpf_touch(s, strlen(s) + 1);
}

#endif
