/* Tests of src/http/range.c: which part of an object a proxied download answers with. */
#include "../testutil.h"

#include "http/range.h"

#define ETAG "\"abc\""

static void test_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *range, *if_range, *inm;
        int64_t size;
        enum http_range_kind kind;
        int64_t first, last;
    } cases[] = {
        {NULL, NULL, NULL, 100, HTTP_RANGE_FULL, 0, 99},
        {"bytes=0-9", NULL, NULL, 100, HTTP_RANGE_PARTIAL, 0, 9},
        {"bytes=90-", NULL, NULL, 100, HTTP_RANGE_PARTIAL, 90, 99},
        {"bytes=90-1000", NULL, NULL, 100, HTTP_RANGE_PARTIAL, 90, 99}, /* clipped to the end */
        {"bytes=-10", NULL, NULL, 100, HTTP_RANGE_PARTIAL, 90, 99},
        {"bytes=-1000", NULL, NULL, 100, HTTP_RANGE_PARTIAL, 0, 99},
        {"bytes=99-99", NULL, NULL, 100, HTTP_RANGE_PARTIAL, 99, 99},
        {"bytes=100-", NULL, NULL, 100, HTTP_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=-0", NULL, NULL, 100, HTTP_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=0-", NULL, NULL, 0, HTTP_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=5-2", NULL, NULL, 100, HTTP_RANGE_FULL, 0, 99},      /* invalid: ignored */
        {"bytes=0-1,5-6", NULL, NULL, 100, HTTP_RANGE_FULL, 0, 99},  /* several: all of it */
        {"items=0-1", NULL, NULL, 100, HTTP_RANGE_FULL, 0, 99},      /* another unit */
        {"bytes=abc", NULL, NULL, 100, HTTP_RANGE_FULL, 0, 99},
        {"bytes=1234567890123456789-", NULL, NULL, 100, HTTP_RANGE_FULL, 0, 99}, /* 19 digits */
        {"bytes=0-9", ETAG, NULL, 100, HTTP_RANGE_PARTIAL, 0, 9},   /* If-Range matches */
        {"bytes=0-9", "\"old\"", NULL, 100, HTTP_RANGE_FULL, 0, 99}, /* changed: everything */
        {"bytes=0-9", "W/" ETAG, NULL, 100, HTTP_RANGE_FULL, 0, 99}, /* weak: no range */
        {NULL, NULL, ETAG, 100, HTTP_RANGE_NOT_MODIFIED, 0, 0},
        {NULL, NULL, "W/" ETAG, 100, HTTP_RANGE_NOT_MODIFIED, 0, 0},
        {NULL, NULL, "\"x\", " ETAG, 100, HTTP_RANGE_NOT_MODIFIED, 0, 0},
        {NULL, NULL, "*", 100, HTTP_RANGE_NOT_MODIFIED, 0, 0},
        {NULL, NULL, "\"x\"", 100, HTTP_RANGE_FULL, 0, 99},
        {"bytes=0-9", NULL, ETAG, 100, HTTP_RANGE_NOT_MODIFIED, 0, 0}, /* 304 wins */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_range r =
            http_range_decide(cases[i].range, cases[i].if_range, cases[i].inm, cases[i].size, ETAG);
        if (r.kind != cases[i].kind)
            fail_msg("case %zu (%s): kind %d, want %d", i, cases[i].range ? cases[i].range : "-",
                     r.kind, cases[i].kind);
        if (r.kind == HTTP_RANGE_PARTIAL || r.kind == HTTP_RANGE_FULL) {
            assert_int_equal(r.first, cases[i].first);
            assert_int_equal(r.last, cases[i].last);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ranges)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
