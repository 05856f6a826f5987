/* Tests of src/core/net.c: CIDR lists and listen addresses. */
#include "../testutil.h"

#include "core/err.h"
#include "core/net.h"

#include <netinet/in.h>

static void test_cidr(void **state)
{
    (void)state;
    struct net_cidr_list l;
    assert_int_equal(net_cidr_list_parse("10.0.0.0/8, 192.168.1.7 ,fd00::/8", &l), 0);
    assert_int_equal(l.len, 3);
    assert_true(net_cidr_list_contains(&l, "10.255.1.2"));
    assert_false(net_cidr_list_contains(&l, "11.0.0.1"));
    assert_true(net_cidr_list_contains(&l, "192.168.1.7"));
    assert_false(net_cidr_list_contains(&l, "192.168.1.8"));
    assert_true(net_cidr_list_contains(&l, "fd12::1"));
    assert_false(net_cidr_list_contains(&l, "fe80::1"));
    assert_true(net_cidr_list_contains(&l, "::ffff:10.1.2.3")); /* IPv4-mapped */
    assert_false(net_cidr_list_contains(&l, "not-an-ip"));
    assert_int_equal(net_cidr_list_parse("10.0.0.0/33", &l), SEAU_E_VALIDATION);
    assert_int_equal(net_cidr_list_parse("10.0.0.0/x", &l), SEAU_E_VALIDATION);
    assert_int_equal(net_cidr_list_parse("example.com", &l), SEAU_E_VALIDATION);
    assert_int_equal(net_cidr_list_parse("", &l), 0);
    assert_int_equal(l.len, 0);
    /* Odd prefix lengths mask inside a byte. */
    assert_int_equal(net_cidr_list_parse("172.16.0.0/12", &l), 0);
    assert_true(net_cidr_list_contains(&l, "172.31.255.255"));
    assert_false(net_cidr_list_contains(&l, "172.32.0.0"));
}

static void test_cidr_limit(void **state)
{
    (void)state;
    char text[NET_MAX_CIDRS * 12 + 16] = "";
    size_t n = 0;
    for (int i = 0; i <= NET_MAX_CIDRS; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "10.0.%d.1,", i);
    struct net_cidr_list l;
    assert_int_equal(net_cidr_list_parse(text, &l), SEAU_E_RANGE); /* one past the limit */
    text[n - strlen("10.0.64.1,")] = '\0';
    assert_int_equal(net_cidr_list_parse(text, &l), 0); /* exactly the limit */
    assert_int_equal(l.len, NET_MAX_CIDRS);
}

static void test_listen(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(net_listen_parse("127.0.0.1:8080", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
    assert_int_equal(net_listen_parse("[::1]:9000", &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(net_listen_parse("localhost:80", &ss, &len), 0);
    assert_int_equal(net_listen_parse("0.0.0.0:0", &ss, &len), SEAU_E_VALIDATION);
    assert_int_equal(net_listen_parse("127.0.0.1:65536", &ss, &len), SEAU_E_VALIDATION);
    assert_int_equal(net_listen_parse("nope", &ss, &len), SEAU_E_VALIDATION);
    assert_int_equal(net_listen_parse(":8080", &ss, &len), SEAU_E_VALIDATION);
    assert_int_equal(net_listen_parse("example.com:80", &ss, &len), SEAU_E_VALIDATION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_cidr_limit),
        cmocka_unit_test(test_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
