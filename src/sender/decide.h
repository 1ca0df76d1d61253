/* The produce client's decisions as pure functions of the facts and the
 * current time: may a partition's head batch go now, and what becomes of a
 * batch after an attempt. No I/O, no locks, no clock of their own, so the
 * unit tests drive them with whatever time they like. */
#ifndef KPROD_SENDER_DECIDE_H
#define KPROD_SENDER_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "kprod.h"
#include "protocol/compression.h"

/* Where a head batch's leader connection stands. */
typedef enum kp_link {
    KP_LINK_NONE,    /* leader unknown, or not a broker we know */
    KP_LINK_DOWN,    /* known, not connected; next attempt at link_retry_at_ms */
    KP_LINK_PENDING, /* connecting or in the version handshake */
    KP_LINK_READY,
} kp_link;

/* Everything the send decision looks at, gathered by the produce client. */
typedef struct kp_head_facts {
    int ready;          /* the accumulator's rules let it go (linger, full, ...) */
    int may_send;       /* producer id known (idempotence), no fatal error */
    int64_t created_ms; /* delivery.timeout.ms runs from here */
    int64_t delivery_timeout_ms;
    int attempts;      /* sends so far */
    int part_inflight; /* this partition's batches in flight */
    int idempotent;    /* enable.idempotence */
    int idem_may_send; /* the idempotence window allows it (kp_idem_may_send) */
    kp_link link;
    int64_t link_retry_at_ms;
    int conn_inflight;    /* requests in flight on the leader's connection */
    int max_in_flight;    /* max.in.flight.requests.per.connection */
    size_t batch_bytes;   /* this batch's size */
    size_t request_bytes; /* bytes already collected for the leader's next request */
    int request_batches;  /* batches already collected for it */
    int64_t max_request_size;
} kp_head_facts;

typedef enum kp_head_verdict {
    KP_HEAD_HOLD, /* not now; something will wake the sender when it can go */
    KP_HEAD_SEND,
    KP_HEAD_EXPIRE,      /* past delivery.timeout.ms with nothing of it in flight */
    KP_HEAD_NEED_LEADER, /* ask for metadata */
    KP_HEAD_NEED_LINK,   /* connect to the leader (it is wanted) */
} kp_head_verdict;

/* May the head batch go now? Lowers *wake_at_ms to when the answer may
 * change by time alone (expiry, reconnect, a full request next turn). Every
 * HOLD either lowers it or waits for an event that wakes the sender (a
 * response, a connection coming up, an append): a lasting state never sets
 * it to now, which would be a busy loop. */
kp_head_verdict kp_decide_head(const kp_head_facts *f, int64_t now_ms, int64_t *wake_at_ms);

/* What the outcome decision looks at. */
typedef struct kp_outcome_facts {
    kprod_err_t err; /* the attempt's error (broker or local), 0 = stored */
    int retriable;   /* err is retriable (the table's flag, or idempotence says so) */
    int closing;     /* kprod_close is under way */
    int64_t created_ms;
    int64_t delivery_timeout_ms;
    int attempts;           /* sends so far, this one included */
    int64_t retries;        /* the retries setting */
    int64_t backoff_ms;     /* retry.backoff.ms */
    int64_t backoff_max_ms; /* retry.backoff.max.ms */
} kp_outcome_facts;

typedef struct kp_outcome {
    int done; /* 1: report it with err; 0: retry at retry_at_ms */
    kprod_err_t err;
    int64_t retry_at_ms;
    int refresh_metadata; /* the error says the leader may have moved */
} kp_outcome;

/* Decides a batch's fate after an attempt. rnd feeds the backoff's jitter. */
kp_outcome kp_decide_outcome(const kp_outcome_facts *f, int64_t now_ms, long rnd);

/* May a batch compressed with codec go to a broker whose Produce version
 * (the one negotiated) is produce_version? zstd needs Produce v7 (Kafka
 * 2.1, KIP-110): an older broker stores what it cannot read or fails every
 * record with UNKNOWN_SERVER_ERROR, so the batch is refused here, as the
 * Java client refuses it, with UNSUPPORTED_COMPRESSION_TYPE (not
 * retriable). NO_ERROR otherwise, also for a version not known (-1). */
kprod_err_t kp_decide_codec(kp_codec codec, int produce_version);

/* Errors after which the partition's leader may have moved. */
int kp_is_leader_error(kprod_err_t err);

#endif
