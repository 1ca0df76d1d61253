/* The input of the fault harness (scripts/faults.sh): N lines
 * "kK<TAB>RUN:SEQ:xxxx..." for keys k0..k(KEYS-1) in turn, SEQ counting per
 * key from 0 (the stamp `kprod verify` reads), written at a steady pace over
 * about SECS seconds. Two gates tie the broker faults to the records,
 * whatever the machine's speed: after 30 % of the lines the file GATE/at30
 * is made (the harness kills the broker then) and the next 5 % are written
 * at once, so that the kill finds batches of every partition in flight as
 * at full speed; after 60 % the output waits (up to 300 s) until GATE/back
 * exists (the broker restarted, leadership settled), so that the last 40 %
 * go to the restarted broker.
 *
 * Usage: paced_input RUN N KEYS SECS GATE_DIR */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int exists(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: paced_input RUN N KEYS SECS GATE_DIR\n");
        return 2;
    }
    const char *run = argv[1], *gate = argv[5];
    long n = atol(argv[2]), keys = atol(argv[3]);
    double secs = atof(argv[4]);
    if (n <= 0 || keys <= 0 || secs < 0) {
        fprintf(stderr, "paced_input: bad N, KEYS or SECS\n");
        return 2;
    }
    long *seq = calloc((size_t)keys, sizeof(*seq));
    if (!seq)
        return 1;
    long at30 = n * 3 / 10, burst_end = at30 + n / 20, at60 = n * 6 / 10;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        if (i == at30) {
            fflush(stdout);
            char path[4096];
            snprintf(path, sizeof(path), "%s/at30", gate);
            FILE *f = fopen(path, "w");
            if (f)
                fclose(f);
        }
        if (i == burst_end || i == at60) {
            fflush(stdout);
            double waited = now();
            while (i == at60 && !exists(gate, "back") && now() < waited + 300)
                pause_s(0.1);
            t0 = now() - secs * (double)i / (double)n; /* the pace goes on from here */
        }
        long k = i % keys;
        if (printf("k%ld\t%s:%ld:%s\n", k, run, seq[k]++,
                   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") < 0)
            return 1; /* the reader is gone */
        if (i % 500 == 499 && !(i >= at30 && i < burst_end)) {
            if (fflush(stdout) != 0)
                return 1;
            double d = t0 + secs * (double)(i + 1) / (double)n - now();
            if (d > 0)
                pause_s(d);
        }
    }
    free(seq);
    return fflush(stdout) != 0;
}
