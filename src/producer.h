/* The producer handle: what the application threads, the sender thread and
 * the report path share. Each stage keeps its own state in its own module;
 * this struct only ties them together. */
#ifndef KPROD_PRODUCER_H
#define KPROD_PRODUCER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "accumulator.h"
#include "config.h"
#include "kprod.h"
#include "net/conn.h"

struct kp_metadata_resp; /* protocol/metadata.h */

/* A broker the sender knows: from bootstrap.servers (negative id) or from
 * metadata. Owns the connection to it. */
typedef struct kp_broker {
    int32_t id;
    int in_metadata; /* listed in the latest metadata response */
    int wanted;      /* (re)connect: something waits for this broker */
    int md_asked;    /* conn.failures when a down connection last asked for metadata */
    kp_conn conn;
    kp_batch **pending; /* batches collected for its next Produce request */
    int npending, cap_pending;
    size_t pending_bytes;
} kp_broker;

/* A kprod_metadata_get call waiting for the sender. It lives on the
 * caller's stack and only while installed as md_waiter: the sender touches
 * it under acc.lock only, and names its request by id (the request's ctx),
 * never by address, so a late answer to a call that timed out cannot
 * complete a later call whose waiter happens to sit at the same address. */
typedef struct kp_md_waiter {
    uint64_t id; /* > 0, unique per producer */
    char *topic; /* NULL = all topics */
    int sent;
    int done;
    kprod_err_t err;
    struct kp_metadata_resp *resp; /* handed over to the waiter */
} kp_md_waiter;

struct kprod_s {
    kp_config cfg;
    kp_acc acc;

    /* sender thread; the fields below it owns unless noted */
    pthread_t sender;
    int wake_fd;     /* eventfd: application -> sender */
    atomic_int stop; /* set by kprod_close */
    kp_conn_settings conn_settings;
    kp_broker **brokers;
    int nbrokers;
    int64_t md_next_refresh_ms; /* metadata.max.age.ms */
    int64_t md_retry_at_ms;     /* backoff between metadata requests */
    int md_inflight;
    int md_refresh_now;        /* a leader error asked for a refresh */
    int md_cursor;             /* round robin over brokers for metadata */
    int have_metadata;         /* a metadata response has been applied */
    kp_md_waiter *md_waiter;   /* under acc.lock */
    atomic_int md_waiter_hint; /* a kprod_metadata_get call is installed */
    uint64_t md_waiter_seq;    /* last waiter id given, under acc.lock */
    int64_t producer_id;       /* idempotence: -1 until InitProducerId */
    int16_t producer_epoch;
    int pid_inflight;
    int epoch_bump_needed; /* sequences no longer trusted: bump (KIP-360) */
    int bump_refused;      /* a bump was refused: ask for a new producer id instead */
    int64_t pid_retry_at_ms;

    /* delivery reports: completed batches, under rep_lock */
    pthread_mutex_t rep_lock;
    pthread_cond_t rep_cv;
    kp_batch *rep_head, *rep_tail;
    atomic_int rep_pending; /* rep_head != NULL, readable without rep_lock */
    pthread_t report_thread;
    int report_thread_running;
    atomic_size_t outstanding; /* records accepted, not yet reported */
    atomic_size_t purged;      /* records reported _PURGED_ON_CLOSE */
    atomic_int active_sends;   /* threads inside kprod_send: kprod_close waits them out */

    /* fatal error, under acc.lock */
    kprod_err_t fatal_err;
    char fatal_str[256];
};

/* Completes a batch: its record bytes' memory goes back at once and its
 * reports are queued for serving. acc.lock held. */
void kp_report_batch(kprod_t *p, kp_batch *b);
/* Queues completed batches (their buffers released already) for serving,
 * in order. Takes rep_lock; acc.lock need not be held. */
void kp_queue_reports(kprod_t *p, kp_batch *const *batches, int n);
/* sender.c */
int kp_sender_start(kprod_t *p);
void kp_sender_wake(void *p);

#endif
