/* Tests of src/core/buf.c: the hard maximum is an error, never a bigger buffer. */
#include "../testutil.h"

#include "core/buf.h"
#include "core/err.h"

static void test_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_append_str(&b, "12345678"), 0); /* exactly the limit */
    assert_int_equal(b.len, 8);
    assert_string_equal(buf_cstr(&b), "12345678");
    assert_int_equal(buf_append_char(&b, '9'), SEAU_E_TOO_LARGE); /* one past it */
    assert_int_equal(b.len, 8);
    buf_reset(&b);
    assert_int_equal(buf_printf(&b, "%d-%s", 42, "abc"), 0);
    assert_string_equal(buf_cstr(&b), "42-abc");
    assert_int_equal(buf_printf(&b, "%s", "xyz"), SEAU_E_TOO_LARGE);
    buf_done(&b);
}

static void test_growth_and_take(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 100000);
    char *p = buf_take(&b);
    assert_int_equal(strlen(p), 100000);
    assert_null(b.data);
    free(p);
    buf_init(&b, 4);
    p = buf_take(&b); /* an empty buffer still yields a string */
    assert_string_equal(p, "");
    free(p);
    buf_done(NULL);
}

static void test_zero_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(buf_append(&b, "x", 1), SEAU_E_TOO_LARGE);
    buf_done_secure(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_growth_and_take),
        cmocka_unit_test(test_zero_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
