/* The metadata client: the cluster's brokers, and each topic's partitions
 * and leaders. It asks when needed (a topic waiting for its partitions, a
 * leader error, metadata.max.age.ms, a kprod_metadata_get call), whom the
 * request layer chooses, and applies the answer: brokers to the request
 * layer, partition counts and leader availability to the accumulator,
 * leaders to the sender's partition table. Every broker value is checked
 * before it is used.
 *
 * Thread: the sender thread, except kp_md_get (any application thread),
 * which hands its request over under the client's own lock. */
#ifndef KPROD_SENDER_METADATA_H
#define KPROD_SENDER_METADATA_H

#include <stdint.h>

#include "accumulator.h"
#include "config.h"
#include "protocol/metadata.h"
#include "sender/parts.h"
#include "sender/request.h"

typedef struct kp_md kp_md;

/* Limits on what a Metadata answer may hold; an answer over them is
 * impossible for a real cluster and fails its connection. */
#define KP_MD_MAX_BROKERS 10000
#define KP_MD_MAX_PARTITIONS 100000 /* per topic */

/* wake(wake_opaque) wakes the sender thread for a kp_md_get call. */
kp_md *kp_md_new(const kp_config *cfg, kp_rl *rl, kp_acc *acc, kp_parts *parts,
                 void (*wake)(void *), void *wake_opaque);
void kp_md_free(kp_md *md);

/* Sends a Metadata request if one is due; returns when to look again. */
int64_t kp_md_tick(kp_md *md, int64_t now_ms);
/* A leader may have moved: ask again once the backoff allows. */
void kp_md_refresh_soon(kp_md *md);
/* The producer closes: a waiting kp_md_get returns _CLOSED, later ones too. */
/* The kp_md_get call waiting now, if any, returns err (the brokers refuse
 * to authenticate us). */
void kp_md_fail_waiter(kp_md *md, kprod_err_t err);
void kp_md_close(kp_md *md);

/* Asks for the metadata of one topic (NULL: every topic) and waits for it
 * until deadline_ms. One caller at a time; others wait their turn. *out is
 * the caller's (free with kp_metadata_resp_free, then free). */
kprod_err_t kp_md_get(kp_md *md, const char *topic, int64_t deadline_ms, kp_metadata_resp **out);

/* Checks a decoded answer against what is possible (counts within the
 * limits above, broker ids >= 0 with a host and a port 1..65535, each
 * topic's partition indexes 0..count-1 each once). 0, or _BAD_MSG with the
 * reason in why. */
kprod_err_t kp_md_check(const kp_metadata_resp *resp, char *why, size_t why_size);
/* Applies a checked answer to brokers, the accumulator and the partition
 * table, as a response does (also the entry point for fuzzing). */
void kp_md_apply(kp_md *md, const kp_metadata_resp *resp, int64_t now_ms);

/* When asking is due, from these facts: at or before now means now. */
typedef struct kp_md_timing {
    int have_metadata;       /* a response has been applied */
    int caller_waiting;      /* a kp_md_get call is waiting */
    int wanted;              /* a topic wants metadata, or a leader error asked */
    int new_topic;           /* a topic never asked about: sends wait for it */
    int64_t next_refresh_ms; /* metadata.max.age.ms after the last answer */
    int64_t retry_at_ms;     /* retry.backoff.ms after the last request */
} kp_md_timing;
int64_t kp_md_due_at(const kp_md_timing *t);

#endif
