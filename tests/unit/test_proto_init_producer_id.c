/* InitProducerId codec (src/protocol/init_producer_id.c): request vectors at
 * v0, v2 (first flexible), v3 (adds ProducerId/Epoch) and v5, response
 * vectors at v0 and v5, and hostile input. */
#include "testutil.h"

#include "proto_vectors.h"
#include "protocol/init_producer_id.h"

static void expect_req(int16_t ver, const char *txn, int64_t pid, int16_t epoch, const char *hex) {
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_init_producer_id_req_encode(&b, ver, txn, 60000, pid, epoch),
                     KPROD_ERR_NO_ERROR);
    kpv_expect_buf(&b, 0, hex);
    kp_buf_free(&b);
}

static void test_request_vectors(void **state) {
    (void)state;
    expect_req(0, NULL, -1, -1,
               "ffff" /* TransactionalId null */
               "0000ea60" /* TransactionTimeoutMs 60000 */);
    expect_req(1, "t", -1, -1, "0001 74 0000ea60");
    expect_req(2, NULL, -1, -1,
               "00"       /* TransactionalId null (compact) */
               "0000ea60" /* TransactionTimeoutMs */
               "00" /* tags */);
    expect_req(3, NULL, -1, -1,
               "00 0000ea60"
               "ffffffffffffffff" /* ProducerId -1 */
               "ffff"             /* ProducerEpoch -1 */
               "00");
    expect_req(5, "t", 0x1234, 3,
               "02 74"            /* TransactionalId "t" */
               "0000ea60"         /* TransactionTimeoutMs */
               "0000000000001234" /* ProducerId */
               "0003"             /* ProducerEpoch */
               "00" /* tags */);
}

static void test_request_bad_args(void **state) {
    (void)state;
    kp_buf b;
    kp_buf_init(&b, 0);
    assert_int_equal(kp_init_producer_id_req_encode(&b, 6, NULL, 1, -1, -1),
                     KPROD_ERR__INVALID_ARG);
    assert_int_equal(kp_init_producer_id_req_encode(&b, -1, NULL, 1, -1, -1),
                     KPROD_ERR__INVALID_ARG);
    /* ProducerId/Epoch do not exist before v3 */
    assert_int_equal(kp_init_producer_id_req_encode(&b, 2, NULL, 1, 5, 0), KPROD_ERR__INVALID_ARG);
    assert_int_equal(b.len, 0);
    kp_buf_free(&b);
}

typedef struct dec_ctx {
    int16_t version;
    kp_init_producer_id_resp resp;
} dec_ctx;

static kprod_err_t dec(kp_rd *r, void *vctx) {
    dec_ctx *c = vctx;
    return kp_init_producer_id_resp_decode(r, c->version, &c->resp);
}

#define RESP_V0                                                                                    \
    "00000000"         /* ThrottleTimeMs */                                                        \
    "0000"             /* ErrorCode */                                                             \
    "0000000000001234" /* ProducerId */                                                            \
    "0003"             /* ProducerEpoch */
#define RESP_V5                                                                                    \
    "0000000a"         /* ThrottleTimeMs 10 */                                                     \
    "002f"             /* ErrorCode 47 INVALID_PRODUCER_EPOCH */                                   \
    "ffffffffffffffff" /* ProducerId -1 */                                                         \
    "ffff"             /* ProducerEpoch -1 */                                                      \
    "01 07 01 ff"      /* tags: unknown tag 7 (skipped) */

static void test_responses(void **state) {
    (void)state;
    dec_ctx c = {.version = 0};
    assert_int_equal(kpv_run_hex(RESP_V0, dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.throttle_ms, 0);
    assert_int_equal(c.resp.error_code, 0);
    assert_true(c.resp.producer_id == 0x1234);
    assert_int_equal(c.resp.producer_epoch, 3);
    c.version = 5;
    assert_int_equal(kpv_run_hex(RESP_V5, dec, &c), KPROD_ERR_NO_ERROR);
    assert_int_equal(c.resp.throttle_ms, 10);
    assert_int_equal(c.resp.error_code, 47);
    assert_true(c.resp.producer_id == -1);
    assert_int_equal(c.resp.producer_epoch, -1);
}

static void test_response_hostile(void **state) {
    (void)state;
    dec_ctx c = {.version = 0};
    kpv_expect_prefixes_fail(RESP_V0, dec, &c);
    c.version = 5;
    kpv_expect_prefixes_fail(RESP_V5, dec, &c);
    kpv_expect_bad("0000000a 002f ffffffffffffffff ffff 01 07 7f ff", dec, &c);
    kpv_expect_bad("0000000a 002f ffffffffffffffff ffff ffffffff0f", dec, &c);
    assert_int_equal(c.resp.producer_id, 0); /* cleared on error */
    c.version = 6;
    assert_int_equal(kpv_run_hex(RESP_V0, dec, &c), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_vectors),
        cmocka_unit_test(test_request_bad_args),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_response_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
