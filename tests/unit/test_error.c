/* The error table: unique codes and names, the lookups agree with the list,
 * retriable flags spot-checked against Kafka's Errors.java, unknown codes
 * handled. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct listed {
    int code;
    int retriable;
    const char *name;
    const char *text;
} listed;

static const listed all[] = {
#define LISTED_(name, code, retriable, text) {code, retriable, #name, text},
    KPROD_ERROR_LIST(LISTED_)
#undef LISTED_
};
#define N_ALL (sizeof(all) / sizeof(all[0]))

static void test_codes_unique(void **state) {
    (void)state;
    for (size_t i = 0; i < N_ALL; i++)
        for (size_t j = i + 1; j < N_ALL; j++)
            if (all[i].code == all[j].code)
                fail_msg("code %d listed twice (%s, %s)", all[i].code, all[i].name, all[j].name);
}

static void test_names_unique(void **state) {
    (void)state;
    for (size_t i = 0; i < N_ALL; i++) {
        const char *a = kprod_err_name((kprod_err_t)all[i].code);
        for (size_t j = i + 1; j < N_ALL; j++)
            if (strcmp(a, kprod_err_name((kprod_err_t)all[j].code)) == 0)
                fail_msg("name %s used by %d and %d", a, all[i].code, all[j].code);
    }
}

/* The lookups return what the list says, local names start with "_", texts
 * are non-empty sentences without a trailing period. */
static void test_lookups_match_list(void **state) {
    (void)state;
    for (size_t i = 0; i < N_ALL; i++) {
        kprod_err_t e = (kprod_err_t)all[i].code;
        assert_string_equal(kprod_err_name(e), all[i].name);
        assert_string_equal(kprod_err_str(e), all[i].text);
        assert_int_equal(kprod_err_is_retriable(e), all[i].retriable);
        assert_true(strlen(all[i].text) > 3);
        assert_true(all[i].text[strlen(all[i].text) - 1] != '.');
        if (all[i].code <= -100)
            assert_true(all[i].name[0] == '_');
        else
            assert_true(all[i].name[0] != '_');
    }
    assert_string_equal(kprod_err_name(KPROD_ERR__TIMED_OUT), "_TIMED_OUT");
    assert_string_equal(kprod_err_name(KPROD_ERR_NO_ERROR), "NO_ERROR");
    assert_int_equal(KPROD_ERR_NO_ERROR, 0);
}

/* Every broker code from -1 to the newest (133, Kafka 4.1) is present. */
static void test_broker_codes_complete(void **state) {
    (void)state;
    for (int code = -1; code <= 133; code++) {
        int found = 0;
        for (size_t i = 0; i < N_ALL; i++)
            found |= all[i].code == code;
        if (!found)
            fail_msg("broker error code %d missing", code);
    }
    assert_string_equal(kprod_err_name((kprod_err_t)133), "SHARE_SESSION_LIMIT_REACHED");
    assert_string_equal(kprod_err_name((kprod_err_t)87), "INVALID_RECORD");
    assert_string_equal(kprod_err_name((kprod_err_t)17), "INVALID_TOPIC_EXCEPTION");
}

static void test_retriable_spot_checks(void **state) {
    (void)state;
    /* From PRODUCER-FACTS.md, checked against the exception classes. */
    const int retriable[] = {6,
                             5,
                             7,
                             13,
                             19,
                             20,
                             3,
                             /* InvalidMetadataException subclasses */ 9,
                             56,
                             74,
                             75,
                             100,
                             /* plain RetriableException */ 2,
                             14,
                             15,
                             16,
                             51,
                             89};
    const int not_retriable[] = {10, 17, 18, 29, 35, 87, -1, 0, 45, 46, 47, 59, 90, 73, 129};
    for (size_t i = 0; i < sizeof(retriable) / sizeof(retriable[0]); i++)
        if (!kprod_err_is_retriable((kprod_err_t)retriable[i]))
            fail_msg("%d (%s) should be retriable", retriable[i],
                     kprod_err_name((kprod_err_t)retriable[i]));
    for (size_t i = 0; i < sizeof(not_retriable) / sizeof(not_retriable[0]); i++)
        if (kprod_err_is_retriable((kprod_err_t)not_retriable[i]))
            fail_msg("%d (%s) should not be retriable", not_retriable[i],
                     kprod_err_name((kprod_err_t)not_retriable[i]));
}

static void test_unknown_code(void **state) {
    (void)state;
    const int unknown[] = {134, 999, -2, -99, -131, 32767, -32768};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        kprod_err_t e = (kprod_err_t)unknown[i];
        const char *name = kprod_err_name(e);
        assert_non_null(name);
        char want[40];
        snprintf(want, sizeof(want), "UNKNOWN_ERROR_%d", unknown[i]);
        assert_string_equal(name, want);
        assert_non_null(kprod_err_str(e));
        assert_true(strlen(kprod_err_str(e)) > 0);
        assert_int_equal(kprod_err_is_retriable(e), 0);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_unique),          cmocka_unit_test(test_names_unique),
        cmocka_unit_test(test_lookups_match_list),    cmocka_unit_test(test_broker_codes_complete),
        cmocka_unit_test(test_retriable_spot_checks), cmocka_unit_test(test_unknown_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
