/* Tests of src/core/timeutil.c: RFC 3339 both ways. */
#include "../testutil.h"

#include "core/err.h"
#include "core/timeutil.h"

static void test_format(void **state)
{
    (void)state;
    char out[TIME_RFC3339_LEN];
    time_rfc3339(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    time_rfc3339(1795464900123LL, out);
    assert_string_equal(out, "2026-11-23T20:15:00.123Z");
    time_rfc3339(951782400000LL, out); /* leap day 2000 */
    assert_string_equal(out, "2000-02-29T00:00:00.000Z");
}

static void test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t ms;
    } cases[] = {
        {"2026-11-23T20:15:00.123Z", 0, 1795464900123LL},
        {"2026-11-23T20:15:00Z", 0, 1795464900000LL},
        {"2026-11-23t20:15:00z", 0, 1795464900000LL},
        {"2026-11-23T21:15:00+01:00", 0, 1795464900000LL},
        {"2026-11-23T20:15:00.1234567Z", 0, 1795464900123LL},
        {"2000-02-29T00:00:00Z", 0, 951782400000LL},
        {"1970-01-01T00:00:00Z", 0, 0},
        {"2001-02-29T00:00:00Z", SEAU_E_VALIDATION, 0},
        {"2026-13-01T00:00:00Z", SEAU_E_VALIDATION, 0},
        {"2026-11-23T24:00:00Z", SEAU_E_VALIDATION, 0},
        {"2026-11-23T20:15:00", SEAU_E_VALIDATION, 0},
        {"2026-11-23", SEAU_E_VALIDATION, 0},
        {"2026-11-23T20:15:00Zjunk", SEAU_E_VALIDATION, 0},
        {"2026-11-23T20:15:00.Z", SEAU_E_VALIDATION, 0},
        {"", SEAU_E_VALIDATION, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = -1;
        int rc = time_parse_rfc3339(cases[i].in, &ms);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(ms == cases[i].ms);
    }
    /* Round trip. */
    char out[TIME_RFC3339_LEN];
    int64_t now = time_now_ms(), back = 0;
    time_rfc3339(now, out);
    assert_int_equal(time_parse_rfc3339(out, &back), 0);
    assert_true(back == now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
