/* Partitioner: murmur2 against the Java client's own values, the keyed
 * choice, the sticky partition's rules, and the order of the rules
 * (explicit partition, user callback, key, sticky). */
#include "testutil.h"

#include <pthread.h>
#include <string.h>

#include "partitioner.h"

static int32_t murmur_str(const char *s) { return kp_murmur2(s, strlen(s)); }

/* UtilsTest.testMurmur2 in apache/kafka. */
static void test_murmur2_java_vectors(void **state) {
    (void)state;
    assert_int_equal(murmur_str("21"), -973932308);
    assert_int_equal(murmur_str("foobar"), -790332482);
    assert_int_equal(murmur_str("a-little-bit-long-string"), -985981536);
    assert_int_equal(murmur_str("a-little-bit-longer-string"), -1486304829);
    assert_int_equal(murmur_str("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
    assert_int_equal(murmur_str("abc"), 479470107);
}

/* Every tail length 0..7, computed with kafka-clients 4.1.1's
 * Utils.murmur2, ASCII and bytes >= 0x80 (Java's bytes are signed: the
 * & 0xff must be reproduced). */
static void test_murmur2_tails(void **state) {
    (void)state;
    static const int32_t ascii[8] = {275646681,   -1563381124, 316155434,  479470107,
                                     -1323649548, 461995741,   1870650108, -346467175};
    static const int32_t high[8] = {275646681,  857690492, -80095470, 810766165,
                                    -829688437, 123910565, -8983268,  -1445150628};
    const uint8_t hb[7] = {0x80, 0xff, 0xfe, 0x7f, 0x81, 0xc3, 0xa9};
    for (size_t n = 0; n <= 7; n++) {
        assert_int_equal(kp_murmur2("abcdefg", n), ascii[n]);
        assert_int_equal(kp_murmur2(hb, n), high[n]);
    }
    /* A zero-length key may come with a NULL pointer. */
    assert_int_equal(kp_murmur2(NULL, 0), 275646681);
}

/* Partitions the Java client picks (toPositive(murmur2) % n). */
static void test_partition_for_key(void **state) {
    (void)state;
    struct {
        const char *key;
        int32_t p3, p10;
    } v[] = {
        {"", 0, 1},      {"a", 1, 4},     {"abc", 0, 7},   {"abcd", 2, 0},
        {"key-1", 0, 0}, {"key-2", 2, 2}, {"hello", 0, 9}, {"21", 0, 0},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t n = strlen(v[i].key);
        assert_int_equal(kp_partition_for_key(v[i].key, n, 3), v[i].p3);
        assert_int_equal(kp_partition_for_key(v[i].key, n, 10), v[i].p10);
        assert_int_equal(kp_partition_for_key(v[i].key, n, 1), 0);
    }
    /* A negative hash: "a" is -1563381124; & 0x7fffffff, not abs(). */
    assert_int_equal(kp_partition_for_key("a", 1, 1000),
                     (int32_t)((-1563381124 & 0x7fffffff) % 1000));
}

static void test_sticky_stays_until_switched(void **state) {
    (void)state;
    kp_partitioner_seed_thread(1);
    kp_sticky s;
    kp_sticky_init(&s);
    int32_t first = kp_sticky_current(&s, 8, NULL, NULL);
    assert_in_range(first, 0, 7);
    for (int i = 0; i < 100; i++)
        assert_int_equal(kp_sticky_current(&s, 8, NULL, NULL), first);

    /* Switching away from a partition that is not the current one is a
     * no-op: another thread already switched. */
    int32_t other = (first + 1) % 8;
    assert_int_equal(kp_sticky_switch(&s, other, 8, NULL, NULL), first);
    assert_int_equal(kp_sticky_current(&s, 8, NULL, NULL), first);

    /* A real switch gives a valid partition that then stays. Over a few
     * switches it must leave `first` at least once. */
    int moved = 0;
    int32_t cur = first;
    for (int i = 0; i < 50; i++) {
        int32_t next = kp_sticky_switch(&s, cur, 8, NULL, NULL);
        assert_in_range(next, 0, 7);
        assert_int_equal(kp_sticky_current(&s, 8, NULL, NULL), next);
        if (next != first)
            moved = 1;
        cur = next;
    }
    assert_true(moved);
}

static void test_sticky_uniform(void **state) {
    (void)state;
    kp_partitioner_seed_thread(42);
    kp_sticky s;
    kp_sticky_init(&s);
    enum { N = 10, SWITCHES = 50000 };
    int hits[N] = {0};
    int32_t cur = kp_sticky_current(&s, N, NULL, NULL);
    for (int i = 0; i < SWITCHES; i++) {
        cur = kp_sticky_switch(&s, cur, N, NULL, NULL);
        assert_in_range(cur, 0, N - 1);
        hits[cur]++;
    }
    /* Expected 5000 each; a fair draw is within +-10% with overwhelming
     * probability (sd ~ 67), and the seed makes it reproducible. */
    for (int p = 0; p < N; p++)
        assert_in_range(hits[p], 4500, 5500);
}

static void test_sticky_single_partition(void **state) {
    (void)state;
    kp_sticky s;
    kp_sticky_init(&s);
    assert_int_equal(kp_sticky_current(&s, 1, NULL, NULL), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(kp_sticky_switch(&s, 0, 1, NULL, NULL), 0);
    assert_int_equal(kp_sticky_note_append(&s, 0, 100000, 16384, 1, 1, NULL, NULL), 1);
    assert_int_equal(kp_sticky_current(&s, 1, NULL, NULL), 0);
}

static int only_odd(int32_t partition, void *opaque) {
    (void)opaque;
    return partition % 2 == 1;
}
static int none_available(int32_t partition, void *opaque) {
    (void)partition;
    (void)opaque;
    return 0;
}

static void test_sticky_availability(void **state) {
    (void)state;
    kp_partitioner_seed_thread(7);
    kp_sticky s;
    kp_sticky_init(&s);
    int seen[6] = {0};
    int32_t cur = kp_sticky_current(&s, 6, only_odd, NULL);
    for (int i = 0; i < 3000; i++) {
        cur = kp_sticky_switch(&s, cur, 6, only_odd, NULL);
        assert_int_equal(cur % 2, 1);
        seen[cur]++;
    }
    assert_true(seen[1] > 800 && seen[3] > 800 && seen[5] > 800);

    /* No partition has a leader: draw among all rather than fail. */
    int any_seen[4] = {0};
    for (int i = 0; i < 400; i++) {
        cur = kp_sticky_switch(&s, kp_sticky_current(&s, 4, none_available, NULL), 4,
                               none_available, NULL);
        assert_in_range(cur, 0, 3);
        any_seen[cur] = 1;
    }
    assert_true(any_seen[0] && any_seen[1] && any_seen[2] && any_seen[3]);
}

/* The current partition is re-drawn when the partition count no longer
 * covers it. */
static void test_sticky_count_shrinks(void **state) {
    (void)state;
    kp_partitioner_seed_thread(3);
    for (int i = 0; i < 50; i++) {
        kp_sticky s;
        kp_sticky_init(&s);
        (void)kp_sticky_current(&s, 100, NULL, NULL);
        assert_in_range(kp_sticky_current(&s, 2, NULL, NULL), 0, 1);
    }
}

/* KIP-794: switch at batch_size when allowed, at 2 x batch_size anyway;
 * appends to a partition that is no longer sticky do not count. */
static void test_sticky_note_append(void **state) {
    (void)state;
    kp_partitioner_seed_thread(9);
    kp_sticky s;
    kp_sticky_init(&s);
    int32_t p = kp_sticky_current(&s, 1000, NULL, NULL);
    assert_int_equal(kp_sticky_note_append(&s, p, 10000, 16384, 1, 1000, NULL, NULL), 0);
    assert_int_equal(kp_sticky_current(&s, 1000, NULL, NULL), p);
    /* Not yet allowed to switch: stays past batch_size. */
    assert_int_equal(kp_sticky_note_append(&s, p, 10000, 16384, 0, 1000, NULL, NULL), 0);
    assert_int_equal(kp_sticky_current(&s, 1000, NULL, NULL), p);
    /* Allowed now (20000 >= 16384). */
    assert_int_equal(kp_sticky_note_append(&s, p, 1, 16384, 1, 1000, NULL, NULL), 1);

    /* Hard limit at 2 x batch_size even when not allowed. */
    p = kp_sticky_current(&s, 1000, NULL, NULL);
    assert_int_equal(kp_sticky_note_append(&s, p, 32767, 16384, 0, 1000, NULL, NULL), 0);
    assert_int_equal(kp_sticky_note_append(&s, p, 1, 16384, 0, 1000, NULL, NULL), 1);

    /* Stale partition: ignored, the counter of the current one untouched. */
    p = kp_sticky_current(&s, 1000, NULL, NULL);
    int32_t stale = (p + 1) % 1000;
    assert_int_equal(kp_sticky_note_append(&s, stale, 1000000, 16384, 1, 1000, NULL, NULL), 0);
    assert_int_equal(kp_sticky_current(&s, 1000, NULL, NULL), p);
    assert_int_equal(kp_sticky_note_append(&s, p, 16383, 16384, 1, 1000, NULL, NULL), 0);
    assert_int_equal(kp_sticky_current(&s, 1000, NULL, NULL), p);

    /* A huge append saturates instead of wrapping round. */
    kp_sticky_init(&s);
    p = kp_sticky_current(&s, 1000, NULL, NULL);
    assert_int_equal(kp_sticky_note_append(&s, p, (size_t)1 << 33, 16384, 0, 1000, NULL, NULL), 1);
}

/* Several threads appending and switching at once: every partition seen is
 * in range and the switch count is plausible (no lost CAS loops forever). */
typedef struct race_arg {
    kp_sticky *s;
    int bad;
    int switches;
} race_arg;

static void *race_thread(void *p) {
    race_arg *a = p;
    for (int i = 0; i < 20000; i++) {
        int32_t cur = kp_sticky_current(a->s, 5, NULL, NULL);
        if (cur < 0 || cur >= 5)
            a->bad++;
        a->switches += kp_sticky_note_append(a->s, cur, 100, 1000, 1, 5, NULL, NULL);
    }
    return NULL;
}

static void test_sticky_threads(void **state) {
    (void)state;
    kp_sticky s;
    kp_sticky_init(&s);
    race_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (race_arg){&s, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, &args[i]), 0);
    }
    int switches = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].bad, 0);
        switches += args[i].switches;
    }
    /* 80000 appends of 100 bytes, a switch every 10 counted appends:
     * at most 8000 switches, and many of them (stale appends are dropped,
     * so fewer than 8000 is fine). */
    assert_in_range(switches, 1000, 8000);
}

/* ---- kp_partition_choose ---- */

static int32_t cb_calls;
static int32_t cb_value;
static const void *cb_key_seen;
static size_t cb_len_seen;

static int32_t user_cb(const char *topic, const void *key, size_t key_len, int32_t count,
                       void *opaque) {
    (void)topic;
    (void)count;
    (void)opaque;
    cb_calls++;
    cb_key_seen = key;
    cb_len_seen = key_len;
    return cb_value;
}

static kp_part_input base_input(kp_sticky *s) {
    kp_part_input in = {0};
    in.topic = "t";
    in.explicit_partition = KPROD_PARTITION_ANY;
    in.key = "abc";
    in.key_len = 3;
    in.partition_count = 10;
    in.sticky = s;
    return in;
}

static void test_choose_explicit(void **state) {
    (void)state;
    kp_sticky s;
    kp_sticky_init(&s);
    kp_part_input in = base_input(&s);
    in.user_cb = user_cb;
    cb_calls = 0;
    int32_t p = -5;
    kp_part_source src;

    in.explicit_partition = 9;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR_NO_ERROR);
    assert_int_equal(p, 9);
    assert_int_equal(src, KP_PART_EXPLICIT);
    assert_int_equal(cb_calls, 0);

    in.explicit_partition = 10;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR__UNKNOWN_PARTITION);
    in.explicit_partition = -2;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR__UNKNOWN_PARTITION);

    in.explicit_partition = 0;
    in.partition_count = 0;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR__INVALID_ARG);
}

static void test_choose_user_cb(void **state) {
    (void)state;
    kp_sticky s;
    kp_sticky_init(&s);
    kp_part_input in = base_input(&s);
    in.user_cb = user_cb;
    int32_t p;
    kp_part_source src;

    cb_calls = 0;
    cb_value = 4;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR_NO_ERROR);
    assert_int_equal(p, 4);
    assert_int_equal(src, KP_PART_USER);
    assert_int_equal(cb_calls, 1);
    assert_int_equal(cb_len_seen, 3);

    /* -1: fall back to the key's partition. */
    cb_value = -1;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR_NO_ERROR);
    assert_int_equal(p, 7); /* "abc" % 10 */
    assert_int_equal(src, KP_PART_KEY);

    /* Out of range either way is the callback's error. */
    cb_value = 10;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR__PARTITIONER);
    cb_value = -2;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR__PARTITIONER);

    /* The callback sees NULL for a null key, non-NULL for an empty one. */
    cb_value = -1;
    in.key = NULL;
    in.key_len = -1;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR_NO_ERROR);
    assert_null(cb_key_seen);
    assert_int_equal(src, KP_PART_STICKY);
    in.key_len = 0;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR_NO_ERROR);
    assert_non_null(cb_key_seen);
    assert_int_equal(cb_len_seen, 0);
    assert_int_equal(src, KP_PART_KEY);
    assert_int_equal(p, 1); /* murmur2("") % 10 */
}

static void test_choose_key_and_sticky(void **state) {
    (void)state;
    kp_partitioner_seed_thread(11);
    kp_sticky s;
    kp_sticky_init(&s);
    kp_part_input in = base_input(&s);
    int32_t p;
    kp_part_source src;

    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR_NO_ERROR);
    assert_int_equal(p, 7);
    assert_int_equal(src, KP_PART_KEY);

    /* partitioner.ignore.keys: the key is not hashed, the sticky one is used. */
    in.ignore_keys = 1;
    assert_int_equal(kp_partition_choose(&in, &p, &src), KPROD_ERR_NO_ERROR);
    assert_int_equal(src, KP_PART_STICKY);
    assert_int_equal(p, kp_sticky_current(&s, 10, NULL, NULL));
    int32_t again;
    assert_int_equal(kp_partition_choose(&in, &again, &src), KPROD_ERR_NO_ERROR);
    assert_int_equal(again, p);

    /* Null key without ignore_keys: sticky too. */
    in.ignore_keys = 0;
    in.key = NULL;
    in.key_len = -1;
    assert_int_equal(kp_partition_choose(&in, &again, &src), KPROD_ERR_NO_ERROR);
    assert_int_equal(again, p);
    assert_int_equal(src, KP_PART_STICKY);

    in.sticky = NULL;
    assert_int_equal(kp_partition_choose(&in, &again, &src), KPROD_ERR__INVALID_ARG);

    /* A length without bytes is the caller's bug, not a crash. */
    in.sticky = &s;
    in.key = NULL;
    in.key_len = 4;
    assert_int_equal(kp_partition_choose(&in, &again, &src), KPROD_ERR__INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_murmur2_java_vectors),
        cmocka_unit_test(test_murmur2_tails),
        cmocka_unit_test(test_partition_for_key),
        cmocka_unit_test(test_sticky_stays_until_switched),
        cmocka_unit_test(test_sticky_uniform),
        cmocka_unit_test(test_sticky_single_partition),
        cmocka_unit_test(test_sticky_availability),
        cmocka_unit_test(test_sticky_count_shrinks),
        cmocka_unit_test(test_sticky_note_append),
        cmocka_unit_test(test_sticky_threads),
        cmocka_unit_test(test_choose_explicit),
        cmocka_unit_test(test_choose_user_cb),
        cmocka_unit_test(test_choose_key_and_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
