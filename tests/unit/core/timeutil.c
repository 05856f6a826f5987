/* Tests of src/core/timeutil.c: RFC 3339 both ways. */
#include "../testutil.h"

#include "core/err.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* What time_rfc3339 wrote before it did its own arithmetic: gmtime_r and snprintf. */
static void reference(int64_t ms, char out[TIME_RFC3339_LEN])
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    time_t t = (time_t)secs;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    int year = tm.tm_year + 1900;
    year = year < 0 ? 0 : year > 9999 ? 9999 : year;
    snprintf(out, TIME_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - secs * 1000));
}

static void test_format_matches_gmtime(void **state)
{
    (void)state;
    static const int64_t edges[] = {
        0, -1, 999, -999, -1000, -1001, 86399999, 86400000, -86400000, -86400001,
        951868799999LL,   /* 2000-02-29 23:59:59.999 */
        4107542399999LL,  /* 2100-02-28: 2100 is no leap year */
        -2203891200000LL, /* 1900-02-28 */
        -62135596800000LL, /* 0001-01-01 */
        253402300799999LL, /* 9999-12-31 23:59:59.999 */
        253402300800000LL, /* 10000-01-01: clamped to 9999 */
    };
    char got[TIME_RFC3339_LEN], want[TIME_RFC3339_LEN];
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        time_rfc3339(edges[i], got);
        reference(edges[i], want);
        assert_string_equal(got, want);
    }
    /* And 200,000 moments spread over the years 1 to 9999, the same every run. */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    const int64_t lo = -62135596800000LL, span = 253402300799999LL - lo;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t ms = lo + (int64_t)(x % (uint64_t)span);
        time_rfc3339(ms, got);
        reference(ms, want);
        if (strcmp(got, want) != 0)
            fail_msg("%lld: %s, gmtime_r says %s", (long long)ms, got, want);
    }
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
        cmocka_unit_test(test_format_matches_gmtime),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
