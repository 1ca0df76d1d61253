/* examples/produce.c: the smallest complete kprod program, using only the
 * public API (kprod.h): configure, create the producer, send a few keyed
 * records, and learn the fate of each one from its delivery report.
 *
 *   produce [BROKERS [TOPIC]]     (default 127.0.0.1:9092 kprod-demo)
 *
 * Prints one line per record, "record N (key K): delivered to TOPIC
 * [PARTITION] at offset OFFSET" or "record N (key K): failed: NAME: TEXT",
 * and exits 1 if any record failed. The topic must exist. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kprod.h"

#define NRECORDS 5

static const char *const keys[NRECORDS] = {"alice", "bob", "carol", "alice", "bob"};
static int failures;

/* Called once per record, on the thread that calls kprod_poll, kprod_flush
 * or kprod_close (delivery.report.mode=poll, the default). */
static void on_delivery(const kprod_report_t *r, void *cb_opaque) {
    (void)cb_opaque;
    int n = (int)(intptr_t)r->opaque;
    if (r->err != KPROD_ERR_NO_ERROR) {
        printf("record %d (key %s): failed: %s: %s\n", n, keys[n], kprod_err_name(r->err),
               kprod_err_str(r->err));
        failures++;
        return;
    }
    printf("record %d (key %s): delivered to %s [%d] at offset %lld\n", n, keys[n], r->topic,
           (int)r->partition, (long long)r->offset);
}

int main(int argc, char **argv) {
    const char *brokers = argc > 1 ? argv[1] : "127.0.0.1:9092";
    const char *topic = argc > 2 ? argv[2] : "kprod-demo";
    char errstr[512];

    kprod_conf_t *conf = kprod_conf_new();
    if (!conf)
        return 1;
    /* Java's property names and defaults: acks=all, idempotence on. */
    if (kprod_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "configuration: %s\n", errstr);
        kprod_conf_destroy(conf);
        return 1;
    }
    kprod_conf_set_delivery_cb(conf, on_delivery, NULL);

    kprod_t *p;
    if (kprod_new(conf, &p, errstr, sizeof(errstr)) != KPROD_ERR_NO_ERROR) {
        fprintf(stderr, "kprod_new: %s\n", errstr);
        kprod_conf_destroy(conf); /* still ours when kprod_new fails */
        return 1;
    }

    for (int n = 0; n < NRECORDS; n++) {
        char value[64];
        snprintf(value, sizeof(value), "hello %d from kprod", n);
        kprod_record_t rec = KPROD_RECORD_INIT;
        rec.topic = topic;
        rec.key = keys[n];
        rec.key_len = strlen(keys[n]);
        rec.value = value; /* copied by kprod_send: a stack buffer is fine */
        rec.value_len = strlen(value);
        kprod_err_t err = kprod_send(p, &rec, NULL, (void *)(intptr_t)n);
        if (err != KPROD_ERR_NO_ERROR) { /* refused: no report will follow */
            printf("record %d (key %s): not sent: %s: %s\n", n, keys[n], kprod_err_name(err),
                   kprod_err_str(err));
            failures++;
        }
        kprod_poll(p, 0); /* serve the reports that are already in */
    }

    /* Wait for every report; close then fails (and reports) anything left. */
    if (kprod_flush(p, 30000) != KPROD_ERR_NO_ERROR)
        fprintf(stderr, "flush: records still pending after 30 s\n");
    kprod_close(p, 0);
    return failures ? 1 : 0;
}
