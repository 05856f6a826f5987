/* Tests of src/core/str.c: checked parsing, UTF-8, control characters, secrets. */
#include "../testutil.h"

#include "core/err.h"
#include "core/str.h"

static void test_int64(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t min, max;
        int rc;
        int64_t want;
    } cases[] = {
        {"0", 0, 10, 0, 0},
        {"10", 0, 10, 0, 10},
        {"11", 0, 10, SEAU_E_RANGE, 0},
        {"-5", -10, 10, 0, -5},
        {"+7", 0, 10, 0, 7},
        {"", 0, 10, SEAU_E_VALIDATION, 0},
        {"-", -10, 10, SEAU_E_VALIDATION, 0},
        {"12a", 0, 100, SEAU_E_VALIDATION, 0},
        {" 1", 0, 100, SEAU_E_VALIDATION, 0},
        {"9223372036854775807", 0, INT64_MAX, 0, INT64_MAX},
        {"9223372036854775808", 0, INT64_MAX, SEAU_E_RANGE, 0},
        {"-9223372036854775808", INT64_MIN, 0, 0, INT64_MIN},
        {"-9223372036854775809", INT64_MIN, 0, SEAU_E_RANGE, 0},
        {"99999999999999999999999", 0, INT64_MAX, SEAU_E_RANGE, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = 12345;
        int rc = str_to_int64(cases[i].in, cases[i].min, cases[i].max, &v);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(v == cases[i].want);
        else
            assert_true(v == 12345); /* outputs are written only on success */
    }
}

static void test_duration(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(str_to_duration_ms("15m", &ms), 0);
    assert_true(ms == 15 * 60 * 1000);
    assert_int_equal(str_to_duration_ms("7d", &ms), 0);
    assert_true(ms == 7LL * 86400 * 1000);
    assert_int_equal(str_to_duration_ms("30", &ms), 0);
    assert_true(ms == 30000);
    assert_int_equal(str_to_duration_ms("250ms", &ms), 0);
    assert_true(ms == 250);
    assert_int_equal(str_to_duration_ms("12h", &ms), 0);
    assert_true(ms == 12 * 3600 * 1000);
    assert_int_equal(str_to_duration_ms("forever", &ms), SEAU_E_VALIDATION);
    assert_int_equal(str_to_duration_ms("5 m", &ms), SEAU_E_VALIDATION);
    assert_int_equal(str_to_duration_ms("-5s", &ms), SEAU_E_VALIDATION);
    assert_int_equal(str_to_duration_ms("99999999999999999d", &ms), SEAU_E_RANGE);
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"plain", true},
        {"caf\xc3\xa9", true},
        {"\xe2\x82\xac", true},         /* euro sign */
        {"\xf0\x9f\x98\x80", true},     /* emoji */
        {"\xc0\xaf", false},            /* overlong '/' */
        {"\xe0\x80\xaf", false},        /* overlong */
        {"\xed\xa0\x80", false},        /* surrogate */
        {"\xf4\x90\x80\x80", false},    /* past U+10FFFF */
        {"\xc3", false},                /* truncated */
        {"\x80", false},                /* lone continuation */
        {"\xff", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(str_utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].ok);
}

static void test_utf8_lossy(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(str_utf8_copy_lossy(out, sizeof(out), "ok"), 2);
    assert_string_equal(out, "ok");
    str_utf8_copy_lossy(out, sizeof(out), "a\xff\xfe" "b");
    assert_string_equal(out, "a??b");
    str_utf8_copy_lossy(out, sizeof(out), "\xc3\xa9\xc3");
    assert_string_equal(out, "\xc3\xa9?"); /* a truncated sequence is replaced */
    /* Cut on a character boundary: 7 bytes of room, the euro sign would need 8. */
    str_utf8_copy_lossy(out, sizeof(out), "abcde\xe2\x82\xac");
    assert_string_equal(out, "abcde");
    assert_true(str_utf8_valid(out, strlen(out)));
}

static void test_control(void **state)
{
    (void)state;
    assert_false(str_has_control("normal text/é", strlen("normal text/é")));
    assert_true(str_has_control("a\tb", 3));
    assert_true(str_has_control("a\x7f", 2));
    assert_true(str_has_control("a\xc2\x85", 3)); /* NEL, a C1 control */
    assert_true(str_has_control("a\0b", 3));
}

static void test_ct_equal(void **state)
{
    (void)state;
    assert_true(str_ct_equal("abc", 3, "abc", 3));
    assert_false(str_ct_equal("abc", 3, "abd", 3));
    assert_false(str_ct_equal("abc", 3, "abcd", 4));
    assert_true(str_ct_equal("", 0, "", 0));
}

static void test_hex_and_ieq(void **state)
{
    (void)state;
    char out[9];
    str_hex((const unsigned char *)"\x00\xab\x10\xff", 4, out);
    assert_string_equal(out, "00ab10ff");
    assert_true(str_ieq("Same-Origin", "same-origin"));
    assert_false(str_ieq("same", "same-origin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int64),   cmocka_unit_test(test_duration),
        cmocka_unit_test(test_utf8),    cmocka_unit_test(test_utf8_lossy),
        cmocka_unit_test(test_control),
        cmocka_unit_test(test_ct_equal), cmocka_unit_test(test_hex_and_ieq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
