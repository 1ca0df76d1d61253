/* client.dns.lookup=resolve_canonical_bootstrap_servers_only: a bootstrap
 * entry becomes the canonical names of its addresses. The names this
 * machine gives are its own, so the test checks what must hold anywhere:
 * 127.0.0.1 yields at least one name, every name resolves back to
 * 127.0.0.1, and a name that does not resolve yields none. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "net/dns.h"

/* 1 when name resolves to 127.0.0.1 among its IPv4 addresses. */
static int resolves_to_loopback(const char *name) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return 0;
    int found = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        found |=
            ((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    freeaddrinfo(res);
    return found;
}

static void test_loopback_names(void **state) {
    (void)state;
    char names[4][KP_DNS_NAME_MAX];
    int n = kp_dns_canonical_names("127.0.0.1", names, 4);
    assert_true(n >= 1);
    for (int i = 0; i < n; i++) {
        print_message("127.0.0.1 -> %s\n", names[i]);
        assert_true(resolves_to_loopback(names[i]));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(names[i], names[j]);
    }
}

static void test_unresolvable(void **state) {
    (void)state;
    char names[4][KP_DNS_NAME_MAX];
    /* .invalid never resolves (RFC 6761). */
    assert_int_equal(kp_dns_canonical_names("no-such-host.invalid", names, 4), 0);
}

static void test_max_respected(void **state) {
    (void)state;
    char names[1][KP_DNS_NAME_MAX];
    assert_true(kp_dns_canonical_names("127.0.0.1", names, 1) <= 1);
    assert_int_equal(kp_dns_canonical_names("127.0.0.1", names, 0), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_names),
        cmocka_unit_test(test_unresolvable),
        cmocka_unit_test(test_max_respected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
