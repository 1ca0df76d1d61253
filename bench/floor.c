/* The floor under kprod's cost per record: encoding a record into a batch
 * (its varints and the copy of its bytes) and its share of the batch's
 * CRC-32C, with nothing else (no lock, no clock, no thread, no socket).
 * bench/run.sh prints it next to each producer's total CPU per record, so
 * the distance between what the producer spends and what encoding alone
 * costs is visible.
 *
 * Usage: floor [VALUE_BYTES [RECORDS]]   (defaults 100 and 20,000,000)
 * Prints one RESULT line: ns per record for append, for the CRC share
 * (seal of a 16 KiB uncompressed batch, divided by its records) and their
 * sum; the best of five passes each. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/compression.h"
#include "protocol/record_batch.h"

#define BATCH_BYTES 16384

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    int32_t vlen = argc > 1 ? atoi(argv[1]) : 100;
    long n = argc > 2 ? atol(argv[2]) : 20000000L;
    if (vlen < 0 || vlen > 1 << 20 || n <= 0) {
        fprintf(stderr, "usage: floor [VALUE_BYTES [RECORDS]]\n");
        return 2;
    }
    char *value = malloc((size_t)vlen + 1);
    if (!value)
        return 1;
    memset(value, 'x', (size_t)vlen);
    kp_rb_writer w;
    kp_rb_writer_init(&w, BATCH_BYTES + 4096);
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    int64_t ts = 1796600000000;
    double best_append = 1e30, best_seal = 1e30;
    long batches = 0;
    for (int pass = 0; pass < 5; pass++) {
        /* Appends only: a batch is reset when full, never sealed. */
        kp_rb_writer_reset(&w);
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            if (w.buf.len + (size_t)vlen + 16 > BATCH_BYTES)
                kp_rb_writer_reset(&w);
            if (kp_rb_append(&w, ts + (i & 7), NULL, -1, value, vlen, NULL, 0) != 0)
                return 1;
        }
        double t1 = now_ns();
        if ((t1 - t0) / (double)n < best_append)
            best_append = (t1 - t0) / (double)n;
        /* Seals of full batches (header patch + CRC over the records),
         * timed alone: refill the batch untimed, then seal. */
        kp_rb_writer_reset(&w);
        long records = 0;
        double seal_ns = 0;
        batches = 0;
        while (records < n) {
            kp_rb_writer_reset(&w);
            while (w.buf.len + (size_t)vlen + 16 <= BATCH_BYTES && records < n) {
                kp_rb_append(&w, ts, NULL, -1, value, vlen, NULL, 0);
                records++;
            }
            double s0 = now_ns();
            if (kp_rb_seal(&w, &o) != KPROD_ERR_NO_ERROR)
                return 1;
            seal_ns += now_ns() - s0;
            batches++;
        }
        if (seal_ns / (double)records < best_seal)
            best_seal = seal_ns / (double)records;
    }
    printf("RESULT value_bytes=%d records=%ld batches=%ld floor_append_ns=%.1f "
           "floor_crc_ns=%.1f floor_total_ns=%.1f\n",
           (int)vlen, n, batches, best_append, best_seal, best_append + best_seal);
    kp_rb_writer_free(&w);
    free(value);
    return 0;
}
