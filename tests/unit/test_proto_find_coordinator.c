/* FindCoordinator codec (src/protocol/find_coordinator.c): request vectors
 * at v1 (classic), v3 (first flexible) and v4/v6 (batched keys), argument
 * checks, response vectors in both layouts, and hostile input. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/find_coordinator.h"

static void expect_req(int16_t ver, int8_t type, const char *const *keys, int32_t n,
                       const char *hex) {
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_find_coordinator_req_encode(&b, ver, type, keys, n), KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, hex);
    kp_buf_free(&b);
}

static void test_request_vectors(void **state) {
    (void)state;
    const char *g1[] = {"g1"}, *tx[] = {"tx"}, *two[] = {"a", "bc"}, *t[] = {"t"};
    expect_req(1, KP_COORD_GROUP, g1, 1,
               "0002 6731" /* Key "g1" */
               "00" /* KeyType 0: group */);
    expect_req(2, KP_COORD_TRANSACTION, tx, 1, "0002 7478 01");
    expect_req(3, KP_COORD_TRANSACTION, tx, 1,
               "03 7478" /* Key "tx" (compact) */
               "01"      /* KeyType 1: transaction */
               "00" /* tags */);
    expect_req(4, KP_COORD_GROUP, two, 2,
               "00"      /* KeyType 0 */
               "03"      /* CoordinatorKeys: 2 */
               "02 61"   /*   "a" */
               "03 6263" /*   "bc" */
               "00" /* tags */);
    expect_req(6, KP_COORD_TRANSACTION, t, 1, "01 02 0274 00");
}

static void test_request_bad_args(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    const char *one[] = {"k"}, *two[] = {"k", "l"}, *null_key[] = {NULL};
    char *huge = malloc(32769);
    assert_non_null(huge);
    memset(huge, 'x', 32768);
    huge[32768] = '\0';
    const char *long_key[] = {huge};
    assert_int_equal(kp_find_coordinator_req_encode(&b, 0, 0, one, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_find_coordinator_req_encode(&b, 7, 0, one, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_find_coordinator_req_encode(&b, 6, 2, one, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_find_coordinator_req_encode(&b, 6, -1, one, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_find_coordinator_req_encode(&b, 3, 0, two, 2), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_find_coordinator_req_encode(&b, 4, 0, two, 0), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_find_coordinator_req_encode(&b, 4, 0, NULL, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_find_coordinator_req_encode(&b, 4, 0, null_key, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_find_coordinator_req_encode(&b, 1, 0, long_key, 1), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0); /* nothing written on a refusal */
    free(huge);
    kp_buf_free(&b);
}

/* ---- responses ---- */

typedef struct dec_ctx {
    int16_t version;
    int keep;
    kp_find_coordinator_resp resp;
} dec_ctx;

static kprod_err_t dec(kp_rd *r, void *vctx) {
    dec_ctx *c = vctx;
    kp_find_coordinator_resp resp;
    kprod_err_t err = kp_find_coordinator_resp_decode(r, c->version, &resp);
    if (err) {
        assert_null(resp.coordinators);
        assert_int_equal(resp.count, 0);
        return err;
    }
    if (c->keep)
        c->resp = resp;
    else
        kp_find_coordinator_resp_free(&resp);
    return err;
}

#define RESP_V1                                                                                    \
    "0000000a"                /* ThrottleTimeMs 10 */                                              \
    "0000"                    /* ErrorCode */                                                      \
    "ffff"                    /* ErrorMessage null */                                              \
    "00000001"                /* NodeId 1 */                                                       \
    "0009 6c6f63616c686f7374" /* Host "localhost" */                                               \
    "00002384"                /* Port 9092 */
#define RESP_V3                                                                                    \
    "00000000"              /* ThrottleTimeMs */                                                   \
    "000f"                  /* ErrorCode 15 COORDINATOR_NOT_AVAILABLE */                           \
    "0a 6e6f74207265616479" /* ErrorMessage "not ready" (compact) */                               \
    "ffffffff"              /* NodeId -1 */                                                        \
    "01"                    /* Host "" */                                                          \
    "ffffffff"              /* Port -1 */                                                          \
    "00"                    /* tags */
#define RESP_V4                                                                                    \
    "00000000"              /* ThrottleTimeMs */                                                   \
    "03"                    /* Coordinators: 2 */                                                  \
    "02 61"                 /*   Key "a" */                                                        \
    "00000001"              /*   NodeId 1 */                                                       \
    "0a 6c6f63616c686f7374" /*  Host "localhost" */                                                \
    "00002384"              /*   Port 9092 */                                                      \
    "0000"                  /*   ErrorCode */                                                      \
    "00"                    /*   ErrorMessage null */                                              \
    "00"                    /*   tags */                                                           \
    "03 6263"               /*   Key "bc" */                                                       \
    "ffffffff"              /*   NodeId -1 */                                                      \
    "01"                    /*   Host "" */                                                        \
    "ffffffff"              /*   Port -1 */                                                        \
    "000f"                  /*   ErrorCode 15 */                                                   \
    "04 6e6f70"             /*   ErrorMessage "nop" */                                             \
    "01 05 01 ff"           /*   tags: unknown tag 5, 1 byte (skipped) */                          \
    "00"                    /* tags */

static void test_response_single(void **state) {
    (void)state;
    dec_ctx c = {.version = 1, .keep = 1};
    assert_int_equal(kpv_run_hex(RESP_V1, dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.throttle_ms, 10);
    assert_int_equal(c.resp.count, 1);
    const kp_find_coordinator_node *n = &c.resp.coordinators[0];
    assert_null(n->key);
    assert_int_equal(n->error_code, 0);
    assert_null(n->error_message);
    assert_int_equal(n->node_id, 1);
    assert_string_equal(n->host, "localhost");
    assert_int_equal(n->port, 9092);
    kp_find_coordinator_resp_free(&c.resp);
    assert_null(c.resp.coordinators);

    c.version = 3;
    assert_int_equal(kpv_run_hex(RESP_V3, dec, &c), KPROD_ERR_NO_ERROR);
    n = &c.resp.coordinators[0];
    assert_int_equal(n->error_code, 15);
    assert_string_equal(n->error_message, "not ready");
    assert_int_equal(n->node_id, -1);
    assert_string_equal(n->host, "");
    assert_int_equal(n->port, -1);
    kp_find_coordinator_resp_free(&c.resp);
}

static void test_response_batched(void **state) {
    (void)state;
    for (int16_t v = 4; v <= 6; v++) {
        dec_ctx c = {.version = v, .keep = 1};
        assert_int_equal(kpv_run_hex(RESP_V4, dec, &c), KPROD_ERR_NO_ERROR);
        assert_int_equal(c.resp.count, 2);
        const kp_find_coordinator_node *a = &c.resp.coordinators[0], *b = &c.resp.coordinators[1];
        assert_string_equal(a->key, "a");
        assert_int_equal(a->node_id, 1);
        assert_string_equal(a->host, "localhost");
        assert_int_equal(a->port, 9092);
        assert_int_equal(a->error_code, 0);
        assert_null(a->error_message);
        assert_string_equal(b->key, "bc");
        assert_int_equal(b->node_id, -1);
        assert_string_equal(b->host, "");
        assert_int_equal(b->error_code, 15);
        assert_string_equal(b->error_message, "nop");
        kp_find_coordinator_resp_free(&c.resp);
    }
}

static void test_response_hostile(void **state) {
    (void)state;
    dec_ctx c = {.version = 1};
    kpv_expect_prefixes_fail(RESP_V1, dec, &c);
    kpv_expect_bad("0000000a 0000 ffff 00000001 ffff 00002384", dec, &c); /* null host */
    kpv_expect_bad("0000000a 0000 fffe 00000001 0000 00002384", dec, &c); /* length -2 */
    kpv_expect_bad("0000000a 0000 ffff 00000001 7fff 00002384", dec, &c); /* host too long */
    c.version = 3;
    kpv_expect_prefixes_fail(RESP_V3, dec, &c);
    kpv_expect_bad("00000000 0000 00 00000001 00 00002384 00", dec, &c); /* null host */
    c.version = 4;
    kpv_expect_prefixes_fail(RESP_V4, dec, &c);
    kpv_expect_bad("00000000 00 00", dec, &c);         /* null array */
    kpv_expect_bad("00000000 ffffffff0f 00", dec, &c); /* 2^32-2 entries */
    kpv_expect_bad("00000000 7f 02 61 00000001 01 00002384 0000 00 00 00", dec, &c); /* 126 */
    kpv_expect_bad("00000000 02 00 00000001 01 00002384 0000 00 00 00", dec, &c);    /* null key */
    kpv_expect_bad("00000000 02 02 61 00000001 00 00002384 0000 00 00 00", dec, &c); /* null host */
    /* A coordinator's tag longer than the rest of the body. */
    kpv_expect_bad("00000000 02 02 61 00000001 01 00002384 0000 00 01 05 7f 00", dec, &c);
    c.version = 0;
    assert_int_equal(kpv_run_hex(RESP_V1, dec, &c), KPROD_ERR__INVALID_ARG);
    c.version = 7;
    assert_int_equal(kpv_run_hex(RESP_V4, dec, &c), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_vectors),  cmocka_unit_test(test_request_bad_args),
        cmocka_unit_test(test_response_single),  cmocka_unit_test(test_response_batched),
        cmocka_unit_test(test_response_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
