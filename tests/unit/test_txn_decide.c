/* The transaction client's pure rules (src/sender/txn_decide.c) and the
 * public error classes (kprod_txn_error_class): every state against every
 * call, and the errors of each coordinator API as the Java 4.x client reads
 * them (TransactionManager's handlers). */
#include "testutil.h"

#include "sender/txn_decide.h"

#define NSTATES 8
#define NCALLS 6

/* What each call does in each state: the error (0 go on; -1 resume an
 * earlier call of the same kind) and the state it leads to. */
typedef struct want {
    kprod_err_t err;
    kp_txn_state next;
} want;

static const kp_txn_state S[NSTATES] = {
    KP_TXN_UNINIT,     KP_TXN_INITIALIZING, KP_TXN_READY,     KP_TXN_IN_TXN,
    KP_TXN_COMMITTING, KP_TXN_ABORTING,     KP_TXN_ABORTABLE, KP_TXN_FATAL,
};
#define RESUME ((kprod_err_t)-1)
#define ST KPROD_ERR__STATE
#define AB KPROD_ERR__TXN_ABORTABLE
#define FA KPROD_ERR__FATAL

/* rows: states in S order; columns: init, begin, send, offsets, commit, abort */
static const want table[NSTATES][NCALLS] = {
    /* UNINIT */
    {{0, KP_TXN_INITIALIZING}, {ST, 0}, {ST, 0}, {ST, 0}, {ST, 0}, {ST, 0}},
    /* INITIALIZING */
    {{RESUME, KP_TXN_INITIALIZING}, {ST, 0}, {ST, 0}, {ST, 0}, {ST, 0}, {ST, 0}},
    /* READY */
    {{ST, 0}, {0, KP_TXN_IN_TXN}, {ST, 0}, {ST, 0}, {ST, 0}, {ST, 0}},
    /* IN_TXN */
    {{ST, 0},
     {ST, 0},
     {0, KP_TXN_IN_TXN},
     {0, KP_TXN_IN_TXN},
     {0, KP_TXN_COMMITTING},
     {0, KP_TXN_ABORTING}},
    /* COMMITTING (commit not handed over yet: abort allowed) */
    {{ST, 0}, {ST, 0}, {ST, 0}, {ST, 0}, {RESUME, KP_TXN_COMMITTING}, {0, KP_TXN_ABORTING}},
    /* ABORTING */
    {{ST, 0}, {ST, 0}, {ST, 0}, {ST, 0}, {ST, 0}, {RESUME, KP_TXN_ABORTING}},
    /* ABORTABLE: only abort */
    {{ST, 0}, {AB, 0}, {AB, 0}, {AB, 0}, {AB, 0}, {0, KP_TXN_ABORTING}},
    /* FATAL: nothing */
    {{FA, 0}, {FA, 0}, {FA, 0}, {FA, 0}, {FA, 0}, {FA, 0}},
};

static void test_every_state_and_call(void **state) {
    (void)state;
    for (int s = 0; s < NSTATES; s++) {
        for (int c = 0; c < NCALLS; c++) {
            kp_txn_step got = kp_txn_transition(S[s], (kp_txn_call)c, 0);
            const want *w = &table[s][c];
            if (w->err == RESUME) {
                if (got.err || !got.resume || got.next != w->next)
                    fail_msg("%s + call %d: want resume", kp_txn_state_name(S[s]), c);
            } else if (got.err != w->err || got.resume || (!w->err && got.next != w->next)) {
                fail_msg("%s + call %d: got %s -> %s, want %s -> %s", kp_txn_state_name(S[s]), c,
                         kprod_err_name(got.err), kp_txn_state_name(got.next),
                         kprod_err_name(w->err), kp_txn_state_name(w->next));
            }
            /* A refusal leaves the state as it was. */
            if (got.err)
                assert_int_equal(got.next, S[s]);
        }
    }
}

/* Once EndTxn(commit) is out, only the commit can be finished. */
static void test_abort_after_commit_handed(void **state) {
    (void)state;
    kp_txn_step s = kp_txn_transition(KP_TXN_COMMITTING, KP_TXN_CALL_ABORT, 1);
    assert_int_equal(s.err, KPROD_ERR__STATE);
    s = kp_txn_transition(KP_TXN_COMMITTING, KP_TXN_CALL_COMMIT, 1);
    assert_int_equal(s.err, KPROD_ERR_NO_ERROR);
    assert_true(s.resume);
}

static void test_state_names(void **state) {
    (void)state;
    static const char *names[NSTATES] = {"uninitialized",   "initializing", "ready",
                                         "in_transaction",  "committing",   "aborting",
                                         "abortable_error", "fatal_error"};
    for (int i = 0; i < NSTATES; i++)
        assert_string_equal(kp_txn_state_name(S[i]), names[i]);
}

typedef struct vcase {
    kp_txn_api api;
    kprod_err_t err;
    kp_txn_verdict v;
} vcase;

static const vcase verdicts[] = {
    /* FindCoordinator */
    {KP_TXN_API_FIND_COORDINATOR, 0, KP_TXN_V_OK},
    {KP_TXN_API_FIND_COORDINATOR, KPROD_ERR_COORDINATOR_NOT_AVAILABLE, KP_TXN_V_RETRY},
    {KP_TXN_API_FIND_COORDINATOR, KPROD_ERR__TRANSPORT, KP_TXN_V_RETRY},
    {KP_TXN_API_FIND_COORDINATOR, KPROD_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, KP_TXN_V_FATAL},
    {KP_TXN_API_FIND_COORDINATOR, KPROD_ERR_GROUP_AUTHORIZATION_FAILED, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_FIND_COORDINATOR, KPROD_ERR_INVALID_REQUEST, KP_TXN_V_FATAL},
    /* InitProducerId: the previous instance's transaction is still being
     * aborted (CONCURRENT_TRANSACTIONS), the coordinator loads or moved */
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_CONCURRENT_TRANSACTIONS, KP_TXN_V_RETRY},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_COORDINATOR_LOAD_IN_PROGRESS, KP_TXN_V_RETRY},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_NOT_COORDINATOR, KP_TXN_V_REFIND},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_COORDINATOR_NOT_AVAILABLE, KP_TXN_V_REFIND},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR__TRANSPORT, KP_TXN_V_REFIND},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_PRODUCER_FENCED, KP_TXN_V_FATAL},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_INVALID_PRODUCER_EPOCH, KP_TXN_V_FATAL},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_CLUSTER_AUTHORIZATION_FAILED, KP_TXN_V_FATAL},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_INVALID_TRANSACTION_TIMEOUT, KP_TXN_V_FATAL},
    {KP_TXN_API_INIT_PRODUCER_ID, KPROD_ERR_TRANSACTION_ABORTABLE, KP_TXN_V_ABORTABLE},
    /* AddPartitionsToTxn */
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_CONCURRENT_TRANSACTIONS, KP_TXN_V_RETRY},
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION, KP_TXN_V_RETRY},
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_NOT_COORDINATOR, KP_TXN_V_REFIND},
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_TOPIC_AUTHORIZATION_FAILED, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_OPERATION_NOT_ATTEMPTED, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_UNKNOWN_PRODUCER_ID, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_INVALID_TXN_STATE, KP_TXN_V_FATAL},
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_INVALID_PRODUCER_ID_MAPPING, KP_TXN_V_FATAL},
    {KP_TXN_API_ADD_PARTITIONS, KPROD_ERR_PRODUCER_FENCED, KP_TXN_V_FATAL},
    /* AddOffsetsToTxn */
    {KP_TXN_API_ADD_OFFSETS, KPROD_ERR_COORDINATOR_NOT_AVAILABLE, KP_TXN_V_REFIND},
    {KP_TXN_API_ADD_OFFSETS, KPROD_ERR_CONCURRENT_TRANSACTIONS, KP_TXN_V_RETRY},
    {KP_TXN_API_ADD_OFFSETS, KPROD_ERR_GROUP_AUTHORIZATION_FAILED, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_ADD_OFFSETS, KPROD_ERR_UNKNOWN_PRODUCER_ID, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_ADD_OFFSETS, KPROD_ERR_INVALID_PRODUCER_EPOCH, KP_TXN_V_FATAL},
    {KP_TXN_API_ADD_OFFSETS, KPROD_ERR_INVALID_TXN_STATE, KP_TXN_V_FATAL},
    /* TxnOffsetCommit (the group coordinator) */
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_REQUEST_TIMED_OUT, KP_TXN_V_REFIND},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_NOT_COORDINATOR, KP_TXN_V_REFIND},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_UNKNOWN_TOPIC_OR_PARTITION, KP_TXN_V_RETRY},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_COORDINATOR_LOAD_IN_PROGRESS, KP_TXN_V_RETRY},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_ILLEGAL_GENERATION, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_UNKNOWN_MEMBER_ID, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_FENCED_INSTANCE_ID, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_GROUP_AUTHORIZATION_FAILED, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_TRANSACTION_ABORTABLE, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT, KP_TXN_V_FATAL},
    {KP_TXN_API_TXN_OFFSET_COMMIT, KPROD_ERR_PRODUCER_FENCED, KP_TXN_V_FATAL},
    /* EndTxn */
    {KP_TXN_API_END_TXN, KPROD_ERR_CONCURRENT_TRANSACTIONS, KP_TXN_V_RETRY},
    {KP_TXN_API_END_TXN, KPROD_ERR_NOT_COORDINATOR, KP_TXN_V_REFIND},
    {KP_TXN_API_END_TXN, KPROD_ERR__TRANSPORT, KP_TXN_V_REFIND},
    {KP_TXN_API_END_TXN, KPROD_ERR__BAD_MSG, KP_TXN_V_REFIND},
    {KP_TXN_API_END_TXN, KPROD_ERR_UNKNOWN_PRODUCER_ID, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_END_TXN, KPROD_ERR_TRANSACTION_ABORTABLE, KP_TXN_V_ABORTABLE},
    {KP_TXN_API_END_TXN, KPROD_ERR_PRODUCER_FENCED, KP_TXN_V_FATAL},
    {KP_TXN_API_END_TXN, KPROD_ERR_INVALID_TXN_STATE, KP_TXN_V_FATAL},
    {KP_TXN_API_END_TXN, KPROD_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, KP_TXN_V_FATAL},
    {KP_TXN_API_END_TXN, KPROD_ERR__UNSUPPORTED_FEATURE, KP_TXN_V_FATAL},
    {KP_TXN_API_END_TXN, KPROD_ERR_UNSUPPORTED_VERSION, KP_TXN_V_FATAL},
};

static void test_verdicts(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
        const vcase *c = &verdicts[i];
        kp_txn_verdict v = kp_txn_verdict_of(c->api, c->err);
        if (v != c->v)
            fail_msg("api %d, %s: verdict %d, want %d", c->api, kprod_err_name(c->err), v, c->v);
    }
    /* Every API reads a coordinator's INVALID_PRODUCER_EPOCH as fenced. */
    assert_int_equal(kp_txn_fatal_code(KPROD_ERR_INVALID_PRODUCER_EPOCH),
                     KPROD_ERR_PRODUCER_FENCED);
    assert_int_equal(kp_txn_fatal_code(KPROD_ERR_INVALID_TXN_STATE), KPROD_ERR_INVALID_TXN_STATE);
}

static void test_public_classes(void **state) {
    (void)state;
    static const struct {
        kprod_err_t err;
        kprod_txn_err_class_t cls;
    } c[] = {
        {KPROD_ERR_NO_ERROR, KPROD_TXN_ERR_NONE},
        {KPROD_ERR__TIMED_OUT, KPROD_TXN_ERR_RETRIABLE},
        {KPROD_ERR_CONCURRENT_TRANSACTIONS, KPROD_TXN_ERR_RETRIABLE},
        {KPROD_ERR__NO_MEMORY, KPROD_TXN_ERR_RETRIABLE},
        {KPROD_ERR__TXN_ABORTABLE, KPROD_TXN_ERR_ABORTABLE},
        {KPROD_ERR__TXN_ABORTED, KPROD_TXN_ERR_ABORTABLE},
        {KPROD_ERR_TRANSACTION_ABORTABLE, KPROD_TXN_ERR_ABORTABLE},
        {KPROD_ERR_TOPIC_AUTHORIZATION_FAILED, KPROD_TXN_ERR_ABORTABLE},
        {KPROD_ERR_GROUP_AUTHORIZATION_FAILED, KPROD_TXN_ERR_ABORTABLE},
        {KPROD_ERR_PRODUCER_FENCED, KPROD_TXN_ERR_FATAL},
        {KPROD_ERR_INVALID_PRODUCER_EPOCH, KPROD_TXN_ERR_FATAL},
        {KPROD_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, KPROD_TXN_ERR_FATAL},
        {KPROD_ERR_CLUSTER_AUTHORIZATION_FAILED, KPROD_TXN_ERR_FATAL},
        {KPROD_ERR_UNSUPPORTED_VERSION, KPROD_TXN_ERR_FATAL},
        {KPROD_ERR__UNSUPPORTED_FEATURE, KPROD_TXN_ERR_FATAL},
        {KPROD_ERR__FATAL, KPROD_TXN_ERR_FATAL},
        {KPROD_ERR__CLOSED, KPROD_TXN_ERR_FATAL},
        {KPROD_ERR__STATE, KPROD_TXN_ERR_USAGE},
        {KPROD_ERR__INVALID_ARG, KPROD_TXN_ERR_USAGE},
        {KPROD_ERR__IN_CALLBACK, KPROD_TXN_ERR_USAGE},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        if (kprod_txn_error_class(c[i].err) != c[i].cls)
            fail_msg("%s: class %d, want %d", kprod_err_name(c[i].err),
                     kprod_txn_error_class(c[i].err), c[i].cls);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state_and_call),
        cmocka_unit_test(test_abort_after_commit_handed),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_public_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
