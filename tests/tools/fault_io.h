/* What tests/tools/fault_producer.c (kprod) and tests/tools/rdkafka_stdin.c
 * (librdkafka) share, so that the fault harness measures both the same
 * way: an input line "KEY<TAB>VALUE" (no TAB: a value without key), one
 * report per line, and the reports file and summary line that
 * scripts/faults.sh reads. Header-only: each tool stays one file. */
#ifndef KPROD_TEST_FAULT_IO_H
#define KPROD_TEST_FAULT_IO_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One record's report, filled by the producer's delivery callback. */
typedef struct fio_rep {
    int32_t partition;
    int64_t offset;
    const char *err; /* the error's name, NULL when delivered */
    int pp;          /* possibly persisted */
    int reported;    /* how many reports came (must be 1) */
} fio_rep;

typedef struct fio_line {
    const char *key, *value; /* key NULL: none */
    size_t key_len, value_len;
} fio_line;

/* Reads the next input line into *line (buffer *buf of *cap bytes, as
 * getline); 0 at the end. Grows *reps to hold index n (zeroed). */
static int fio_next(char **buf, size_t *cap, fio_line *line, fio_rep **reps, size_t *reps_cap,
                    size_t n) {
    ssize_t len = getline(buf, cap, stdin);
    if (len <= 0)
        return 0;
    char *s = *buf;
    if (s[len - 1] == '\n')
        s[--len] = '\0';
    if (n == *reps_cap) {
        *reps_cap = *reps_cap ? *reps_cap * 2 : 65536;
        *reps = realloc(*reps, *reps_cap * sizeof(**reps));
        if (!*reps) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
    }
    memset(&(*reps)[n], 0, sizeof((*reps)[n]));
    char *tab = strchr(s, '\t');
    line->key = tab ? s : NULL;
    line->key_len = tab ? (size_t)(tab - s) : 0;
    line->value = tab ? tab + 1 : s;
    line->value_len = (size_t)len - (size_t)(line->value - s);
    return 1;
}

/* Writes REPORTS (LINE PARTITION OFFSET ERROR_NAME POSSIBLY_PERSISTED, "-"
 * for delivered) and prints the summary line; returns the exit status: 0
 * when every record was delivered exactly once. */
static int fio_finish(const char *path, const fio_rep *reps, size_t n) {
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "cannot write %s\n", path);
        return 2;
    }
    size_t delivered = 0, failed = 0, pp = 0, twice = 0;
    for (size_t i = 0; i < n; i++) {
        const fio_rep *x = &reps[i];
        int ok = x->reported && !x->err;
        twice += x->reported > 1;
        delivered += ok;
        failed += !ok;
        pp += !ok && x->pp;
        fprintf(out, "%zu %d %lld %s %d\n", i + 1, (int)x->partition,
                (long long)(ok ? x->offset : -1),
                ok       ? "-"
                : x->err ? x->err
                         : "_NO_REPORT",
                x->pp);
    }
    fclose(out);
    printf("sent=%zu delivered=%zu failed=%zu possibly_persisted=%zu reported_twice=%zu\n", n,
           delivered, failed, pp, twice);
    return failed || twice ? 1 : 0;
}

#endif
