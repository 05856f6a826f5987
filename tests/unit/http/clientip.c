/* Tests of src/http/clientip.c: X-Forwarded-For is believed only from trusted proxies. */
#include "../testutil.h"

#include "http/clientip.h"

static void test_client_ip(void **state)
{
    (void)state;
    struct net_cidr_list trusted;
    assert_int_equal(net_cidr_list_parse("10.0.0.0/8", &trusted), 0);
    struct net_cidr_list none = {.len = 0};
    static const struct {
        const char *peer, *xff;
        bool use_trusted;
        const char *want;
        bool peer_trusted;
    } cases[] = {
        {"203.0.113.9", "1.2.3.4", true, "203.0.113.9", false}, /* untrusted peer: ignore XFF */
        {"10.0.0.2", "1.2.3.4", true, "1.2.3.4", true},
        {"10.0.0.2", "1.2.3.4, 10.0.0.7", true, "1.2.3.4", true}, /* skip inner proxies */
        {"10.0.0.2", "6.6.6.6, 1.2.3.4", true, "1.2.3.4", true},  /* spoofed left part ignored */
        {"10.0.0.2", "garbage, 1.2.3.4", true, "1.2.3.4", true},
        {"10.0.0.2", "1.2.3.4, garbage", true, "10.0.0.2", true}, /* stop at malformed */
        {"10.0.0.2", "", true, "10.0.0.2", true},
        {"10.0.0.2", NULL, true, "10.0.0.2", true},
        {"10.0.0.2", "1.2.3.4", false, "10.0.0.2", false}, /* nothing trusted */
        {"10.0.0.2", " 2001:db8::1 ", true, "2001:db8::1", true},
        {"10.0.0.2", "10.0.0.3, 10.0.0.4", true, "10.0.0.3", true}, /* all trusted: leftmost */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        bool t = http_client_ip(cases[i].peer, cases[i].xff, cases[i].use_trusted ? &trusted : &none,
                                out, sizeof(out));
        assert_string_equal(out, cases[i].want);
        assert_int_equal(t, cases[i].peer_trusted);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_client_ip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
