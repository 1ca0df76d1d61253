/* examples/txn_transform.c: consume-transform-produce, exactly once, with
 * kprod's transactions (public API only, kprod.h). kprod has no consumer,
 * so the consuming is done by another program that prints what it reads,
 * one record a line; kcat does it:
 *
 *   kcat -C -b BROKERS -t IN -e -q -o stored -X group.id=GROUP \
 *        -X enable.auto.commit=false -X isolation.level=read_committed \
 *        -f '%t %p %o %s\n' |
 *   txn_transform BROKERS OUT GROUP TXN_ID [N]
 *
 * Each input line is "TOPIC PARTITION OFFSET VALUE". The value is
 * transformed (upper-cased) and sent to topic OUT, keyed by its input
 * partition so that records of one input partition stay in order. Every N
 * lines (default 100) and at the end, one transaction commits the records
 * sent since the last commit together with GROUP's consumer offsets (the
 * next offset to read of each input partition): either both become
 * visible, or neither. A new run of the pipeline starts where GROUP's
 * committed offsets say (kcat's -o stored), so after a crash every input
 * record is transformed once: what the crashed run had not committed is
 * aborted (by the next run's kprod_txn_init) and read again.
 *
 * What to do with each class of error is shown: retriable (call again),
 * abortable (abort; this example then stops, so that the uncommitted input
 * is read again by the next run), fatal (only close).
 * Exit status: 0 all committed, 1 fatal error or bad input, 2 aborted. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprod.h"

#define MAX_PARTS 1024

/* The next offset to consume of each input partition seen since the last
 * commit. */
static kprod_txn_offset_t offsets[MAX_PARTS];
static char topics[MAX_PARTS][256];
static size_t noffsets;

static void remember(const char *topic, int32_t partition, int64_t offset) {
    for (size_t i = 0; i < noffsets; i++)
        if (offsets[i].partition == partition && strcmp(topics[i], topic) == 0) {
            offsets[i].offset = offset + 1;
            return;
        }
    if (noffsets == MAX_PARTS)
        return;
    snprintf(topics[noffsets], sizeof(topics[0]), "%s", topic);
    offsets[noffsets] = (kprod_txn_offset_t){.topic = topics[noffsets],
                                             .partition = partition,
                                             .offset = offset + 1,
                                             .leader_epoch = -1};
    noffsets++;
}

/* Prints a failed call with the reason kprod gives. */
static kprod_err_t said(const char *what, kprod_err_t err) {
    if (err)
        fprintf(stderr, "txn_transform: %s: %s: %s\n", what, kprod_err_name(err),
                kprod_last_errstr());
    return err;
}

/* Commits the records and offsets of the open transaction. 0 committed,
 * 1 fatal, 2 aborted. */
static int commit(kprod_t *p, const char *group) {
    kprod_txn_group_t g = KPROD_TXN_GROUP_INIT(group);
    kprod_err_t err = KPROD_ERR_NO_ERROR;
    if (noffsets > 0) {
        /* A real consumer would give its generation and member id too
         * (KIP-447: a zombie consumer's offsets are then refused). */
        while (
            kprod_txn_error_class(err = kprod_txn_send_offsets(p, offsets, noffsets, &g, 30000)) ==
            KPROD_TXN_ERR_RETRIABLE)
            said("kprod_txn_send_offsets (trying again)", err);
    }
    if (!err)
        while (kprod_txn_error_class(err = kprod_txn_commit(p, 30000)) == KPROD_TXN_ERR_RETRIABLE)
            said("kprod_txn_commit (trying again)", err);
    noffsets = 0;
    if (!err)
        return 0;
    said("committing", err);
    if (kprod_txn_error_class(err) != KPROD_TXN_ERR_ABORTABLE)
        return 1; /* fatal: e.g. PRODUCER_FENCED, another instance took over */
    while (kprod_txn_error_class(err = kprod_txn_abort(p, 30000)) == KPROD_TXN_ERR_RETRIABLE)
        ;
    return said("kprod_txn_abort", err) ? 1 : 2;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: %s BROKERS OUT_TOPIC GROUP TRANSACTIONAL_ID [N]\n", argv[0]);
        return 1;
    }
    const char *out = argv[2], *group = argv[3];
    long every = argc == 6 ? atol(argv[5]) : 100;
    if (every <= 0)
        every = 100;
    char errstr[512];
    kprod_conf_t *conf = kprod_conf_new();
    if (kprod_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) ||
        kprod_conf_set(conf, "transactional.id", argv[4], errstr, sizeof(errstr))) {
        fprintf(stderr, "txn_transform: %s\n", errstr);
        return 1;
    }
    kprod_t *p;
    if (kprod_new(conf, &p, errstr, sizeof(errstr))) {
        fprintf(stderr, "txn_transform: %s\n", errstr);
        kprod_conf_destroy(conf);
        return 1;
    }
    /* Fences an older instance with this id and aborts what it left open. */
    if (said("kprod_txn_init", kprod_txn_init(p, 60000))) {
        kprod_close(p, 0);
        return 1;
    }
    char line[65536];
    long in_txn = 0, total = 0, commits = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), stdin)) {
        char topic[256];
        int partition, used = 0;
        long long offset;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%255s %d %lld %n", topic, &partition, &offset, &used) < 3 || !used) {
            fprintf(stderr, "txn_transform: not 'TOPIC PARTITION OFFSET VALUE': %s\n", line);
            rc = 1;
            break;
        }
        if (in_txn == 0 && said("kprod_txn_begin", kprod_txn_begin(p))) {
            rc = 1;
            break;
        }
        char *value = line + used;
        for (char *c = value; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        char key[300];
        int klen = snprintf(key, sizeof(key), "%s/%d", topic, partition);
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = out;
        rec.key = key;
        rec.key_len = (size_t)klen;
        rec.value = value;
        rec.value_len = strlen(value);
        kprod_err_t err = kprod_send(p, &rec, NULL, NULL);
        if (err) {
            said("kprod_send", err);
            rc = kprod_txn_error_class(err) == KPROD_TXN_ERR_ABORTABLE ? commit(p, group) : 1;
            rc = rc ? rc : 2;
            break;
        }
        kprod_poll(p, 0); /* reports (no callback here: errors surface at commit) */
        remember(topic, partition, offset);
        total++;
        if (++in_txn == every) {
            rc = commit(p, group);
            commits += rc == 0;
            in_txn = 0;
        }
    }
    if (rc == 0 && in_txn > 0) {
        rc = commit(p, group);
        commits += rc == 0;
    }
    fprintf(stderr, "txn_transform: %ld records in %ld transactions: %s\n", total, commits,
            rc == 0   ? "committed"
            : rc == 2 ? "the last one aborted"
                      : "stopped");
    kprod_close(p, 30000);
    return rc;
}
