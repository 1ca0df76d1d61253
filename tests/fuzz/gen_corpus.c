/* Writes the fuzz targets' seed corpora: OUTDIR/<target>/<seed> for each
 * target (the target's name without "fuzz_"), and OUTDIR/props.dict, a
 * libFuzzer dictionary of every property name. Deterministic: the same
 * files every run, so the committed tests/fuzz/corpus/ can be regenerated
 * and compared (scripts/fuzz.sh --gen-corpus).
 *
 * The response bodies are the unit tests' byte vectors (the file and macro
 * each comes from is named at it), plus hand-made ones for the versions
 * in between, built from the same pieces; each seed starts with the byte
 * its target reads the version (or the mode) from. Record batches are
 * made with the library's own writer in every codec, as
 * tests/unit/test_record_batch.c makes them, plus its hand-made records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_table.h"
#include "protocol/api_keys.h"
#include "protocol/buf.h"
#include "protocol/codec.h"
#include "protocol/compression.h"
#include "protocol/crc32c.h"
#include "protocol/record_batch.h"

static const char *outdir;
static int failures;

static void mkdir_p(const char *path) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: mkdir %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void write_file(const char *target, const char *name, const void *p, size_t n) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", outdir, target);
    mkdir_p(path);
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
        exit(1);
    }
}

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "gen_corpus: %s failed\n", what);
        failures++;
    }
}

/* Hex digits (spaces ignored) to bytes, after a first byte `lead`. */
static uint8_t *hex(uint8_t lead, const char *h, size_t *len) {
    uint8_t *out = malloc(strlen(h) / 2 + 2);
    size_t n = 0;
    int hi = -1;
    out[n++] = lead;
    for (const char *c = h; *c; c++) {
        int v;
        if (*c == ' ')
            continue;
        if (*c >= '0' && *c <= '9')
            v = *c - '0';
        else if (*c >= 'a' && *c <= 'f')
            v = *c - 'a' + 10;
        else {
            fprintf(stderr, "gen_corpus: bad hex digit '%c'\n", *c);
            exit(1);
        }
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        fprintf(stderr, "gen_corpus: odd number of hex digits in %s\n", h);
        exit(1);
    }
    *len = n;
    return out;
}

/* A seed of a response target: version byte, then the body. */
static void resp_seed(const char *target, const char *name, int lo, int version, const char *h) {
    size_t n;
    uint8_t *b = hex((uint8_t)(version - lo), h, &n);
    write_file(target, name, b, n);
    free(b);
}

/* ---- ApiVersions: tests/unit/test_proto_api_versions.c ---- */

#define AV_RESP_V0 "0000 00000002 0000 0003 000c 0012 0000 0004" /* RESP_V0 */
#define AV_RESP_V1 "0000 00000001 0012 0000 0002 0000000a"       /* test_response_v1_throttle */
#define AV_RESP_V3 "0023 02 0012 0000 0003 00 00000000 00"       /* error 35 in a v3 body */
#define AV_RESP_UNSUPPORTED "0023 00000001 0012 0000 0003"       /* RESP_UNSUPPORTED */
#define AV_RESP_V4                                                                                 \
    "0000 04 0000 0000 000d 00 0003 0000 000d 00 0016 0000 0006 00 00000064"                       \
    "02 00 08 02 02 78 0001 0002 00 01 08 0000000000000005" /* RESP_V4 */

/* RESP_V3_FEATURES: Kafka 4.1.1's tagged fields */
#define AV_RESP_V3_FEATURES                                                                        \
    "0000 02 0012 0000 0004 00 00000000 04"                                                        \
    "00 17 02 116d657461646174612e76657273696f6e 0007 001b 00"                                     \
    "01 08 0000000000000016"                                                                       \
    "02 69 05 0e67726f75702e76657273696f6e 0001 0001 00"                                           \
    "147472616e73616374696f6e2e76657273696f6e 0002 0002 00"                                        \
    "21656c696769626c652e6c65616465722e7265706c696361732e76657273696f6e 0001 0001 00"              \
    "116d657461646174612e76657273696f6e 001b 001b 00"                                              \
    "03 01 00"

static void gen_api_versions(void) {
    const char *t = "api_versions";
    int lo = KP_API_VERSIONS_MIN_VER;
    resp_seed(t, "v0", lo, 0, AV_RESP_V0);
    resp_seed(t, "v1", lo, 1, AV_RESP_V1);
    resp_seed(t, "v2", lo, 2, AV_RESP_V1);
    resp_seed(t, "v3", lo, 3, AV_RESP_V3);
    resp_seed(t, "v4", lo, 4, AV_RESP_V4);
    resp_seed(t, "v4_unsupported_v0_body", lo, 4, AV_RESP_UNSUPPORTED);
    resp_seed(t, "v3_features_kafka_4_1_1", lo, 3, AV_RESP_V3_FEATURES);
    resp_seed(t, "v4_features_kafka_4_1_1", lo, 4, AV_RESP_V3_FEATURES);
}

/* ---- Metadata: tests/unit/test_proto_metadata.c ---- */

#define ZERO_UUID "00000000000000000000000000000000"
#define MD_V4_THROTTLE "0000000a"
#define MD_V4_BROKER1 "00000001 0009 6c6f63616c686f7374 00002384 ffff"
#define MD_V4_BROKER2 "00000002 0001 68 00002385 0002 7231"
#define MD_V4_MID "0003 636c31 00000001"
#define MD_V4_P0 "0000 00000000 00000001 00000002 00000001 00000002 00000001 00000001"
#define MD_V4_P1 "0005 00000001 ffffffff 00000000 00000000"
#define MD_V4_TOPIC "0000 0003 666f6f 00 00000002" MD_V4_P0 MD_V4_P1
#define MD_RESP_V4                                                                                 \
    MD_V4_THROTTLE "00000002" MD_V4_BROKER1 MD_V4_BROKER2 MD_V4_MID "00000001" MD_V4_TOPIC
/* v5, v6: OfflineReplicas after IsrNodes. */
#define MD_V5_TOPIC "0000 0003 666f6f 00 00000002" MD_V4_P0 "00000000" MD_V4_P1 "00000001 00000002"
#define MD_RESP_V5                                                                                 \
    MD_V4_THROTTLE "00000002" MD_V4_BROKER1 MD_V4_BROKER2 MD_V4_MID "00000001" MD_V5_TOPIC
/* v7: LeaderEpoch after LeaderId. */
#define MD_V7_P0                                                                                   \
    "0000 00000000 00000001 00000007 00000002 00000001 00000002 00000001 00000001 00000000"
#define MD_V7_P1 "0005 00000001 ffffffff ffffffff 00000000 00000000 00000000"
#define MD_V7_TOPIC "0000 0003 666f6f 00 00000002" MD_V7_P0 MD_V7_P1
#define MD_RESP_V7                                                                                 \
    MD_V4_THROTTLE "00000002" MD_V4_BROKER1 MD_V4_BROKER2 MD_V4_MID "00000001" MD_V7_TOPIC
/* v8: TopicAuthorizedOperations per topic, ClusterAuthorizedOperations at the end. */
#define MD_RESP_V8                                                                                 \
    MD_V4_THROTTLE "00000002" MD_V4_BROKER1 MD_V4_BROKER2 MD_V4_MID "00000001" MD_V7_TOPIC         \
                   "80000000"                                                                      \
                   "80000000"
/* test_response_mid_versions */
#define MD_RESP_V9 "00000000 01 04636c31 00000001 02 0000 04666f6f 00 01 80000000 00 80000000 00"
#define MD_RESP_V10                                                                                \
    "00000000 01 00 00000001 02 0000 04666f6f" ZERO_UUID "00 01 80000000 00 80000000 00"
#define MD_RESP_V11 "00000000 01 00 00000001 02 0000 04666f6f" ZERO_UUID "01 01 80000000 00 00"
#define MD_RESP_V12 "00000000 01 00 00000001 02 0003 00" ZERO_UUID "00 01 80000000 00 00"
/* RESP_V13 */
#define MD_V13_BROKER "00000001 0a 6c6f63616c686f7374 00002384 03 7231 00"
#define MD_V13_P0                                                                                  \
    "0000 00000000 00000001 00000007 03 00000001 00000002 02 00000001 02 00000002 01 09 03 616263"
#define MD_V13_T1 "0000 04 666f6f 000102030405060708090a0b0c0d0e0f 00 02" MD_V13_P0 "80000000 00"
#define MD_V13_T2 "0064 00 11111111111111111111111111111111 01 01 80000000 00"
#define MD_RESP_V13                                                                                \
    "00000000 02" MD_V13_BROKER "04 636c31 00000001 03" MD_V13_T1 MD_V13_T2 "0081 00"

static const struct {
    const char *name;
    int version;
    const char *hex;
} md_seeds[] = {
    {"v4", 4, MD_RESP_V4},    {"v5", 5, MD_RESP_V5},    {"v6", 6, MD_RESP_V5},
    {"v7", 7, MD_RESP_V7},    {"v8", 8, MD_RESP_V8},    {"v9", 9, MD_RESP_V9},
    {"v10", 10, MD_RESP_V10}, {"v11", 11, MD_RESP_V11}, {"v12", 12, MD_RESP_V12},
    {"v13", 13, MD_RESP_V13},
};

static void gen_metadata(void) {
    for (size_t i = 0; i < sizeof(md_seeds) / sizeof(md_seeds[0]); i++)
        resp_seed("metadata", md_seeds[i].name, KP_METADATA_MIN_VER, md_seeds[i].version,
                  md_seeds[i].hex);
}

/* ---- metadata_apply: answers in a row, each with its version byte ---- */

/* A second v4 answer: broker 1 moved to "h2":9092, broker 2 gone, broker 3
 * new; "foo" grown to 3 partitions with leaders 1 and 3; "b" unknown
 * (error 3); "t" with one leaderless partition. */
#define AP_V4_NEXT                                                                                 \
    "00000000 00000002"                                                                            \
    "00000001 0002 6832 00002384 ffff"                                                             \
    "00000003 0001 68 00002386 ffff" MD_V4_MID "00000003"                                          \
    "0000 0003 666f6f 00 00000003"                                                                 \
    "0000 00000002 00000003 00000000 00000000"                                                     \
    "0000 00000000 00000001 00000000 00000000"                                                     \
    "0000 00000001 00000003 00000000 00000000"                                                     \
    "0003 0001 62 00 00000000"                                                                     \
    "0000 0001 74 00 00000001 0005 00000000 ffffffff 00000000 00000000"

static void apply_seed(const char *name, int nanswers, const int *versions,
                       const char *const *hexes) {
    uint8_t *all = NULL;
    size_t total = 0;
    for (int i = 0; i < nanswers; i++) {
        size_t n;
        uint8_t *b = hex((uint8_t)(versions[i] - KP_METADATA_MIN_VER), hexes[i], &n);
        all = realloc(all, total + n);
        memcpy(all + total, b, n);
        total += n;
        free(b);
    }
    write_file("metadata_apply", name, all, total);
    free(all);
}

static void gen_metadata_apply(void) {
    for (size_t i = 0; i < sizeof(md_seeds) / sizeof(md_seeds[0]); i++)
        apply_seed(md_seeds[i].name, 1, &md_seeds[i].version, &md_seeds[i].hex);
    const int v44[] = {4, 4}, v4_13[] = {4, 13}, v13_4[] = {13, 4};
    const char *const a[] = {MD_RESP_V4, AP_V4_NEXT};
    apply_seed("v4_then_moved", 2, v44, a);
    const char *const b[] = {MD_RESP_V4, MD_RESP_V13};
    apply_seed("v4_then_v13", 2, v4_13, b);
    const char *const c[] = {MD_RESP_V13, AP_V4_NEXT};
    apply_seed("v13_then_moved", 2, v13_4, c);
}

/* ---- Produce: tests/unit/test_proto_produce.c ---- */

#define PR_RESP_V3 /* RESP_V3 */                                                                   \
    "00000001 0003 666f6f 00000001 00000000 0000 0000000000000064 ffffffffffffffff 00000005"
#define PR_RESP_V5 /* v5: LogStartOffset */                                                        \
    "00000001 0003 666f6f 00000001 00000000 0000 0000000000000064 ffffffffffffffff"                \
    "0000000000000000 00000005"
#define PR_V8_PART                                                                                 \
    "00000001 0057 ffffffffffffffff ffffffffffffffff 0000000000000000"                             \
    "00000002 00000000 0003 626164 00000002 ffff 0004 6f6f7073"
#define PR_RESP_V8 "00000001 0003666f6f 00000001" PR_V8_PART "00000000" /* RESP_V8 */
#define PR_RESP_V9                                                      /* flexible, no tags */    \
    "02 04 666f6f 02 00000000 0000 0000000000000064 ffffffffffffffff 0000000000000000"             \
    "02 00000000 03 6869 00 03 6f6b 00 00 00000000 00"
#define PR_V12_T1                                                                                  \
    "04 666f6f 02 00000000 0006 ffffffffffffffff ffffffffffffffff ffffffffffffffff 01 00"          \
    "01 00 09 00000003 0000000b 00 00"
#define PR_V12_T2                                                                                  \
    "02 62 02 00000002 0000 000000000000002a 000001890a0b0c0d 0000000000000000"                    \
    "02 00000000 03 6869 00 03 6f6b 01 05 02 abcd 00"
#define PR_V12_NODES "01 00 15 02 00000003 0a 6c6f63616c686f7374 00002386 00 00"
#define PR_RESP_V12 "03" PR_V12_T1 PR_V12_T2 "00000000" PR_V12_NODES /* RESP_V12 */

static void gen_produce(void) {
    const char *t = "produce";
    int lo = KP_PRODUCE_MIN_VER;
    resp_seed(t, "v3", lo, 3, PR_RESP_V3);
    resp_seed(t, "v4", lo, 4, PR_RESP_V3);
    resp_seed(t, "v5", lo, 5, PR_RESP_V5);
    resp_seed(t, "v7", lo, 7, PR_RESP_V5);
    resp_seed(t, "v8", lo, 8, PR_RESP_V8);
    resp_seed(t, "v9", lo, 9, PR_RESP_V9);
    resp_seed(t, "v10", lo, 10, PR_RESP_V12);
    resp_seed(t, "v11", lo, 11, PR_RESP_V12);
    resp_seed(t, "v12", lo, 12, PR_RESP_V12);
}

/* ---- InitProducerId: tests/unit/test_proto_init_producer_id.c ---- */

#define IP_RESP_V0 "00000000 0000 0000000000001234 0003"             /* RESP_V0 */
#define IP_RESP_V5 "0000000a 002f ffffffffffffffff ffff 01 07 01 ff" /* RESP_V5 */

static void gen_init_producer_id(void) {
    const char *t = "init_producer_id";
    resp_seed(t, "v0", 0, 0, IP_RESP_V0);
    resp_seed(t, "v1", 0, 1, IP_RESP_V0);
    resp_seed(t, "v2", 0, 2, IP_RESP_V0 "00");
    resp_seed(t, "v5", 0, 5, IP_RESP_V5);
}

/* ---- SASL: tests/unit/test_proto_sasl.c, tests/unit/test_scram.c ---- */

/* HS_RESP_OK */
#define SASL_HS_OK "0000 00000002 0005 504c41494e 000d 534352414d2d5348412d353132"
#define SASL_HS_UNSUPPORTED "0021 00000001 0005 504c41494e" /* HS_RESP_UNSUPPORTED */
#define SASL_AUTH_V0 "0000 ffff 00000005 723d616263"        /* AUTH_RESP_V0 */
#define SASL_AUTH_V1                                                                               \
    "003a 0015 41757468656e7469636174696f6e206661696c6564 00000000 0000000000000000"
#define SASL_AUTH_V2 "0000 00 06 723d616263 00000000000927c0 01 05 02 abcd" /* AUTH_RESP_V2 */

static void gen_sasl(void) {
    const char *t = "sasl";
    resp_seed(t, "handshake_ok", 0, 0, SASL_HS_OK);
    resp_seed(t, "handshake_unsupported", 0, 0, SASL_HS_UNSUPPORTED);
    resp_seed(t, "authenticate_v0", 0, 1, SASL_AUTH_V0);
    resp_seed(t, "authenticate_v1_error", 0, 2, SASL_AUTH_V1);
    resp_seed(t, "authenticate_v2", 0, 3, SASL_AUTH_V2);
    /* RFC 7677's server-first, NUL, server-final (test_rfc7677_sha256) */
    static const char scram[] =
        "\x04r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
        "i=4096\0v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    write_file(t, "scram_rfc7677", scram, sizeof(scram) - 1);
}

/* ---- FindCoordinator: tests/unit/test_proto_find_coordinator.c ---- */

#define FC_RESP_V1 "0000000a 0000 ffff 00000001 0009 6c6f63616c686f7374 00002384" /* RESP_V1 */
#define FC_RESP_V3 "00000000 000f 0a 6e6f74207265616479 ffffffff 01 ffffffff 00"  /* RESP_V3 */
#define FC_RESP_V4                                                                /* RESP_V4 */    \
    "00000000 03 02 61 00000001 0a 6c6f63616c686f7374 00002384 0000 00 00"                         \
    "03 6263 ffffffff 01 ffffffff 000f 04 6e6f70 01 05 01 ff 00"

static void gen_find_coordinator(void) {
    const char *t = "find_coordinator";
    int lo = KP_FIND_COORDINATOR_MIN_VER;
    resp_seed(t, "v1", lo, 1, FC_RESP_V1);
    resp_seed(t, "v2", lo, 2, FC_RESP_V1);
    resp_seed(t, "v3", lo, 3, FC_RESP_V3);
    resp_seed(t, "v4", lo, 4, FC_RESP_V4);
    resp_seed(t, "v6", lo, 6, FC_RESP_V4);
}

/* ---- transactions: tests/unit/test_proto_txn.c ---- */

#define TX_PART_V0 "0000000a 00000001 0001 74 00000002 00000000 0000 00000005 0033" /* V0 */
#define TX_PART_V3 "00000000 02 02 74 03 00000000 0000 00 00000005 0033 00 00 01 09 02 abcd"
#define TX_SIMPLE_V0 "0000000a 0030"                       /* SIMPLE_V0 */
#define TX_SIMPLE_V3 "00000000 0000 00"                    /* SIMPLE_V3 */
#define TX_END_V5 "00000000 0000 0000000000001234 0004 00" /* END_V5 */

/* A fuzz_txn seed: byte 0 is the decoder (mod 4) and version - lowest (/4). */
static void txn_seed(const char *name, int api, int rel_version, const char *h) {
    size_t n;
    uint8_t *b = hex((uint8_t)(api + 4 * rel_version), h, &n);
    write_file("txn", name, b, n);
    free(b);
}

static void gen_txn(void) {
    txn_seed("add_partitions_v0", 0, 0, TX_PART_V0);
    txn_seed("add_partitions_v3", 0, 3, TX_PART_V3);
    txn_seed("offset_commit_v0", 1, 0, TX_PART_V0);
    txn_seed("offset_commit_v3", 1, 3, TX_PART_V3);
    txn_seed("offset_commit_v5", 1, 5, TX_PART_V3);
    txn_seed("add_offsets_v0", 2, 0, TX_SIMPLE_V0);
    txn_seed("add_offsets_v4", 2, 4, TX_SIMPLE_V3);
    txn_seed("end_txn_v0", 3, 0, TX_SIMPLE_V0);
    txn_seed("end_txn_v4", 3, 4, TX_SIMPLE_V3);
    txn_seed("end_txn_v5", 3, 5, TX_END_V5);
}

/* ---- the transaction client's checks: tests/unit/test_txn_req.c ---- */

/* A fuzz_txn_answers seed: byte 0 is the answer (mod 6) and version -
 * lowest (/6). The partition answers are fuzz_txn's (topic "t",
 * partitions 0 and 5, as the target asks). */
static void answer_seed(const char *name, int api, int rel_version, const char *h) {
    size_t n;
    uint8_t *b = hex((uint8_t)(api + 6 * rel_version), h, &n);
    write_file("txn_answers", name, b, n);
    free(b);
}

static void gen_txn_answers(void) {
    int fc = KP_FIND_COORDINATOR_MIN_VER;
    answer_seed("find_v1", 0, 1 - fc, "00000000 0000 ffff 00000003 0002 7478 00002384");
    answer_seed("find_v4", 0, 4 - fc, "00000000 02 03 7478 00000003 02 68 00002384 0000 00 00 00");
    answer_seed("init_pid_v0", 1, 0, "00000000 0000 0000000000000007 0002");
    answer_seed("init_pid_v5", 1, 5, IP_RESP_V5);
    answer_seed("add_partitions_v0", 2, 0, TX_PART_V0);
    answer_seed("add_partitions_v3", 2, 3, TX_PART_V3);
    answer_seed("offset_commit_v0", 3, 0, TX_PART_V0);
    answer_seed("offset_commit_v5", 3, 5, TX_PART_V3);
    answer_seed("add_offsets_v0", 4, 0, TX_SIMPLE_V0);
    answer_seed("end_txn_v0", 5, 0, TX_SIMPLE_V0);
    answer_seed("end_txn_v5", 5, 5, TX_END_V5);
}

/* ---- ListOffsets: tests/unit/test_proto_list_offsets.c ---- */

#define LS_P0 "00000000 0000 ffffffffffffffff 0000000000000009"
#define LS_P1 "00000001 0006 ffffffffffffffff ffffffffffffffff"
#define LS_RESP_V1 "00000001 0001 74 00000002" LS_P0 LS_P1 /* RESP_V1 */
#define LS_RESP_V2 "0000000a" LS_RESP_V1                   /* RESP_V2 */
#define LS_RESP_V4 "0000000a 00000001 0001 74 00000002" LS_P0 "00000007" LS_P1 "ffffffff"
#define LS_RESP_V6 "00000000 02 02 74 03" LS_P0 "00000007 00" LS_P1 "ffffffff 01 03 00 00 00"

static void gen_list_offsets(void) {
    const char *t = "list_offsets";
    int lo = KP_LIST_OFFSETS_MIN_VER;
    resp_seed(t, "v1", lo, 1, LS_RESP_V1);
    resp_seed(t, "v2", lo, 2, LS_RESP_V2);
    resp_seed(t, "v4", lo, 4, LS_RESP_V4);
    resp_seed(t, "v6", lo, 6, LS_RESP_V6);
    resp_seed(t, "v10", lo, 10, LS_RESP_V6);
}

/* ---- Fetch: tests/unit/test_proto_fetch.c, plus real batches ---- */

#define FE_HEAD "00000000 0000 0000000000000009 0000000000000008"
#define FE_ABORTED "0000000000001234 0000000000000003"
#define FE_RESP_V4                                                                                 \
    "0000000a 00000001 0001 74 00000001" FE_HEAD "00000001" FE_ABORTED "00000003 aabbcc"
#define FE_RESP_V5                                                                                 \
    "0000000a 00000001 0001 74 00000001" FE_HEAD "0000000000000002 00000001" FE_ABORTED            \
    "00000003 aabbcc"
#define FE_RESP_V7                                                                                 \
    "0000000a 0000 00000000 00000001 0001 74 00000001" FE_HEAD "0000000000000002 ffffffff "        \
    "ffffffff"
#define FE_RESP_V11                                                                                \
    "0000000a 0000 00000000 00000001 0001 74 00000001" FE_HEAD                                     \
    "0000000000000002 00000000 00000002 00000000"
#define FE_V12_PART                                                                                \
    FE_HEAD "0000000000000002 02" FE_ABORTED "00 ffffffff 04 aabbcc 03"                            \
            "00 0d 00000001 0000000000000005 00 01 09 00000002 00000007 00"                        \
            "02 0d 0000000000000005 00000001 00"
#define FE_V12_NULLS                                                                               \
    "00000001 0006 ffffffffffffffff ffffffffffffffff ffffffffffffffff 00 ffffffff 00 00"
#define FE_RESP_V12 "00000000 0000 00000000 02 02 74 03" FE_V12_PART FE_V12_NULLS "00 00"
#define FE_TOPIC_ID "000102030405060708090a0b0c0d0e0f"
#define FE_RESP_V13 "00000000 0000 00000000 02" FE_TOPIC_ID "02" FE_V12_PART "00 00"
#define FE_RESP_V16                                                                                \
    "00000000 0000 00000000 02" FE_TOPIC_ID "02" FE_V12_PART "00"                                  \
    "01 00 15 02 00000002 0a 6c6f63616c686f7374 00002385 00 00"

/* A records region: three batches of the library's writer (plain,
 * idempotent, transactional lz4) and the first 30 bytes of a fourth, as a
 * broker cuts it (test_round_trip in test_proto_fetch.c). */
static void records_region(kp_buf *out) {
    static const struct {
        int64_t base;
        int n, codec, txn;
        int64_t pid;
    } b[] = {{0, 2, KP_CODEC_NONE, 0, -1},
             {2, 5, KP_CODEC_NONE, 0, 9},
             {7, 6, KP_CODEC_LZ4, 1, 9},
             {13, 3, KP_CODEC_NONE, 1, 9}};
    for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
        kp_rb_writer w;
        kp_rb_writer_init(&w, 0);
        for (int r = 0; r < b[i].n; r++) {
            char v[64];
            int vl = snprintf(v, sizeof(v), "value %d of a fetched batch, padded to compress", r);
            check(kp_rb_append(&w, 1700000000000LL + r, NULL, -1, v, vl, NULL, 0) == 0, "append");
        }
        kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
        o.codec = b[i].codec;
        o.producer_id = b[i].pid;
        o.producer_epoch = b[i].pid < 0 ? -1 : 0;
        o.base_sequence = b[i].pid < 0 ? -1 : (int32_t)b[i].base;
        o.is_transactional = b[i].txn;
        check(kp_rb_seal(&w, &o) == KPROD_ERR_NO_ERROR, "seal");
        kp_be32_write(w.buf.data + KP_RB_OFF_BASE_OFFSET + 4, (uint32_t)b[i].base);
        size_t take = i == 3 ? 30 : w.buf.len;
        kp_buf_put_raw(out, w.buf.data, take);
        kp_rb_writer_free(&w);
    }
}

/* A Fetch answer at version v around the records region (one partition). */
static void fetch_with_records(const char *name, int16_t v, const kp_buf *recs) {
    int flex = v >= 12;
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_put_i8(&b, (int8_t)(v - KP_FETCH_MIN_VER));
    kp_buf_put_i32(&b, 0);
    if (v >= 7) {
        kp_buf_put_i16(&b, 0);
        kp_buf_put_i32(&b, 0);
    }
    kp_codec_put_arrlen(&b, flex, 1);
    if (v >= 13)
        kp_buf_put_raw(&b, "0123456789abcdef", 16);
    else
        kp_codec_put_str(&b, flex, "t");
    kp_codec_put_arrlen(&b, flex, 1);
    kp_buf_put_i32(&b, 0);
    kp_buf_put_i16(&b, 0);
    kp_buf_put_i64(&b, 16);
    kp_buf_put_i64(&b, 16);
    if (v >= 5)
        kp_buf_put_i64(&b, 0);
    kp_codec_put_arrlen(&b, flex, 0);
    if (v >= 11)
        kp_buf_put_i32(&b, -1);
    if (flex)
        kp_buf_put_compact_bytes(&b, recs->data, (int32_t)recs->len);
    else
        kp_buf_put_bytes(&b, recs->data, (int32_t)recs->len);
    kp_codec_put_tags(&b, flex);
    kp_codec_put_tags(&b, flex);
    kp_codec_put_tags(&b, flex);
    check(!b.oom, "fetch seed");
    write_file("fetch", name, b.data, b.len);
    kp_buf_free(&b);
}

static void gen_fetch_and_batches(void) {
    const char *t = "fetch";
    int lo = KP_FETCH_MIN_VER;
    resp_seed(t, "v4", lo, 4, FE_RESP_V4);
    resp_seed(t, "v5", lo, 5, FE_RESP_V5);
    resp_seed(t, "v7", lo, 7, FE_RESP_V7);
    resp_seed(t, "v11", lo, 11, FE_RESP_V11);
    resp_seed(t, "v12", lo, 12, FE_RESP_V12);
    resp_seed(t, "v13", lo, 13, FE_RESP_V13);
    resp_seed(t, "v16", lo, 16, FE_RESP_V16);
    resp_seed(t, "v18", lo, 18, FE_RESP_V16);
    kp_buf recs;
    kp_buf_init(&recs, 0);
    records_region(&recs);
    fetch_with_records("v4_batches", 4, &recs);
    fetch_with_records("v12_batches", 12, &recs);
    fetch_with_records("v18_batches", 18, &recs);
    /* batch_iter: byte 0 bit 0 = check CRCs. */
    uint8_t *b = malloc(recs.len + 1);
    memcpy(b + 1, recs.data, recs.len);
    b[0] = 1;
    write_file("batch_iter", "batches_crc", b, recs.len + 1);
    b[0] = 0;
    write_file("batch_iter", "batches_no_crc", b, recs.len + 1);
    free(b);
    /* recover_walk: high watermark and position (int64 each), the end's
     * distance past the position, then the same records. */
    uint8_t *w = malloc(recs.len + 17);
    memset(w, 0, 17);
    w[7] = 0x40; /* hw 64 - 8 */
    w[16] = 200;
    memcpy(w + 17, recs.data, recs.len);
    write_file("recover_walk", "batches", w, recs.len + 17);
    free(w);
    kp_buf_free(&recs);
}

/* ---- record batches: tests/unit/test_record_batch.c ---- */

/* mode byte (see fuzz_record_batch.c), then the batch. */
static void batch_seed(const char *name, uint8_t mode, const uint8_t *batch, size_t len) {
    uint8_t *b = malloc(len + 1);
    b[0] = mode;
    memcpy(b + 1, batch, len);
    write_file("record_batch", name, b, len + 1);
    free(b);
}

/* test_exact_bytes' three records (null key, null value, headers with and
 * without a value, a negative timestamp delta), sealed with codec. */
static void exact_batch(kp_rb_writer *w, int codec) {
    const int64_t t0 = 1700000000000LL;
    const kprod_header_t hdrs[] = {{"h1", "x", 1}, {"n", NULL, 0}};
    kp_rb_writer_init(w, 0);
    check(kp_rb_append(w, t0, "ignored", -1, "v0", 2, NULL, 0) == 0, "append");
    check(kp_rb_append(w, t0 + 5, "", 0, NULL, -1, hdrs, 2) == 0, "append");
    check(kp_rb_append(w, t0 - 10, "k", 1, "", 0, NULL, 0) == 0, "append");
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    o.codec = codec;
    o.producer_id = 1234;
    o.producer_epoch = 5;
    o.base_sequence = 42;
    check(kp_rb_seal(w, &o) == KPROD_ERR_NO_ERROR, "seal");
}

/* 24 text records, so that every codec really compresses. */
static void text_batch(kp_rb_writer *w, int codec) {
    kp_rb_writer_init(w, 0);
    for (int i = 0; i < 24; i++) {
        char key[16], value[64];
        int kl = snprintf(key, sizeof(key), "key-%d", i % 5);
        int vl = snprintf(value, sizeof(value), "value %d of the fuzz seed batch", i);
        kprod_header_t h = {"trace", "abc", 3};
        check(kp_rb_append(w, 1700000000000LL + i, key, kl, value, vl, &h, i % 3 == 0) == 0,
              "append");
    }
    kp_rb_seal_opts o = KP_RB_SEAL_OPTS_INIT;
    o.codec = codec;
    o.is_transactional = codec == KP_CODEC_LZ4;
    check(kp_rb_seal(w, &o) == KPROD_ERR_NO_ERROR, "seal");
    kp_rb_header h;
    check(kp_rb_header_decode(w->buf.data, w->buf.len, &h) == KPROD_ERR_NO_ERROR &&
              (h.attributes & KP_RB_ATTR_CODEC_MASK) == codec,
          "text batch compressed with its codec");
}

/* A batch around a records region given as bytes (compressed or not). */
static void raw_batch(const char *name, int codec, int32_t count, const uint8_t *recs,
                      size_t rlen) {
    size_t len = KP_RB_HEADER_SIZE + rlen;
    uint8_t *b = calloc(1, len);
    kp_be32_write(b + KP_RB_OFF_BATCH_LENGTH, (uint32_t)(len - 12));
    b[KP_RB_OFF_MAGIC] = KP_RB_MAGIC;
    b[KP_RB_OFF_ATTRIBUTES + 1] = (uint8_t)codec;
    kp_be32_write(b + KP_RB_OFF_RECORD_COUNT, (uint32_t)count);
    if (rlen)
        memcpy(b + KP_RB_HEADER_SIZE, recs, rlen);
    kp_rb_set_producer(b, len, -1, -1, -1); /* and the CRC */
    batch_seed(name, (uint8_t)codec, b, len);
    free(b);
}

static void gen_record_batch(void) {
    static const char *const cname[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    char name[64];
    for (int codec = KP_CODEC_NONE; codec <= KP_CODEC_ZSTD; codec++) {
        kp_rb_writer w;
        exact_batch(&w, codec); /* too small to compress: sealed uncompressed */
        snprintf(name, sizeof(name), "exact_%s", cname[codec]);
        batch_seed(name, (uint8_t)(w.buf.data[KP_RB_OFF_ATTRIBUTES + 1] & KP_CODEC_MASK),
                   w.buf.data, w.buf.len);
        if (codec == KP_CODEC_NONE) /* as given: the header checks with a valid CRC */
            batch_seed("exact_none_as_is", 0x08, w.buf.data, w.buf.len);
        kp_rb_writer_free(&w);
        text_batch(&w, codec);
        snprintf(name, sizeof(name), "text_%s", cname[codec]);
        batch_seed(name, (uint8_t)codec, w.buf.data, w.buf.len);
        snprintf(name, sizeof(name), "text_%s_small_limit", cname[codec]);
        batch_seed(name, (uint8_t)(codec | 0x10), w.buf.data, w.buf.len);
        kp_rb_writer_free(&w);
        /* Each codec's encoding of no bytes at all, zero records. */
        kp_buf c;
        kp_buf_init(&c, 0);
        check(kp_compress(codec, KP_LEVEL_DEFAULT, NULL, 0, &c) == KPROD_ERR_NO_ERROR,
              "compress nothing");
        snprintf(name, sizeof(name), "empty_%s", cname[codec]);
        raw_batch(name, codec, 0, c.data, c.len);
        kp_buf_free(&c);
    }
    /* test_hostile_records: the smallest record, an empty header name. */
    static const uint8_t smallest[] = {0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00};
    raw_batch("raw_smallest_record", KP_CODEC_NONE, 1, smallest, sizeof(smallest));
    static const uint8_t empty_name[] = {0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00, 0x01};
    raw_batch("raw_empty_header_name", KP_CODEC_NONE, 1, empty_name, sizeof(empty_name));
    /* Raw (unframed) snappy, as librdkafka accepts it: "\0" is 0 bytes. */
    static const uint8_t raw_snappy_empty[] = {0x00};
    raw_batch("raw_snappy_empty", KP_CODEC_SNAPPY, 0, raw_snappy_empty, 1);
}

/* ---- properties files: tests/unit/test_config.c ---- */

static void text_seed(const char *name, const char *s) { write_file("props", name, s, strlen(s)); }

static void gen_props(void) {
    text_seed("syntax", /* test_props_syntax */
              "# comment\n! also a comment \\\na=1\n  b : 2  \nc 3\n\nd = one, \\\n    two, \\\n"
              "    three\ne\\=x\\:y=\\t\\n\\\\\\u00e9\nf\r\ng=ends\\\\\rh\t=\t\\ lead\n"
              "\t# indented comment\ni=\\u20ac");
    text_seed("producer", /* test_load_file */
              "# A producer.properties written for the Java client\n"
              "bootstrap.servers=broker1:9092,\\\n                  broker2:9092\n"
              "acks: all\nlinger.ms 20\ncompression.type = zstd\n"
              "key.serializer=org.apache.kafka.common.serialization.StringSerializer\n"
              "value.serializer=org.apache.kafka.common.serialization.ByteArraySerializer\n"
              "enable.idempotence=true\nclient.id=app\\u0031\n");
    text_seed("errors", "a=1\nb=\\u12\nc=\\uD83D\\uDE00\nlinger_ms=5\nretries = \\\n  lots\n");
    text_seed("bom", "\xEF\xBB\xBF"
                     "acks=all\nlinger.ms=5\n");
    text_seed("stop", "acks=1\nfuzz.stop=1\nlinger.ms=5\n");
    /* Every property at its default: each setter once. */
    size_t cap = 1 << 16, n = 0;
    char *all = malloc(cap);
    for (int i = 0; i < KP_P__COUNT; i++) {
        const kp_conf_prop *p = &kp_conf_props[i];
        n += (size_t)snprintf(all + n, cap - n, "%s=%s\n", p->name, p->defval ? p->defval : "");
    }
    all[n] = '\0';
    text_seed("defaults", all);
    free(all);

    /* The dictionary: names, aliases, and the syntax's special bytes. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/props.dict", outdir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
        exit(1);
    }
    for (int i = 0; i < KP_P__COUNT; i++)
        fprintf(f, "\"%s\"\n", kp_conf_props[i].name);
    for (size_t i = 0; i < kp_conf_alias_count; i++)
        fprintf(f, "\"%s\"\n", kp_conf_aliases[i].name);
    fprintf(f, "\"\\\\u\"\n\"\\\\\\x0a\"\n\"\\xef\\xbb\\xbf\"\n\"true\"\n\"false\"\n");
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    mkdir_p(outdir);
    gen_api_versions();
    gen_metadata();
    gen_metadata_apply();
    gen_produce();
    gen_init_producer_id();
    gen_sasl();
    gen_find_coordinator();
    gen_txn();
    gen_txn_answers();
    gen_list_offsets();
    gen_fetch_and_batches();
    gen_record_batch();
    gen_props();
    return failures ? 1 : 0;
}
