/* Tests of src/core/s3name.c: API.md's key rules, S3's bucket rules. */
#include "../testutil.h"

#include "core/s3name.h"

static void test_buckets(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool ok;
    } cases[] = {
        {"abc", true},        {"my-bucket.1", true}, {"ab", false},
        {"My-Bucket", false}, {"-bucket", false},    {"bucket-", false},
        {"under_score", false}, {"a..b", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if ((s3name_bucket_problem(cases[i].name) == NULL) != cases[i].ok)
            fail_msg("%s should be %s", cases[i].name, cases[i].ok ? "accepted" : "refused");
    char b[70];
    memset(b, 'a', 63);
    b[63] = '\0';
    assert_null(s3name_bucket_problem(b)); /* 63: the limit */
    b[63] = 'a';
    b[64] = '\0';
    assert_non_null(s3name_bucket_problem(b)); /* 64: one past */
}

static void test_keys(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        bool ok;
    } cases[] = {
        {"a", true},
        {"folder/file name+%~.txt", true},
        {"caf\xc3\xa9/\xe2\x82\xac", true},
        {"a//b/", true},
        {"..a/b..", true},
        {"", false},
        {"/abs", false},
        {"a/../b", false},
        {"a/./b", false},
        {"..", false},
        {"a/..", false},
        {"tab\there", false},
        {"bad\xff", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if ((s3name_key_problem(cases[i].key) == NULL) != cases[i].ok)
            fail_msg("case %zu should be %s", i, cases[i].ok ? "accepted" : "refused");
    char k[1100];
    memset(k, 'k', 1024);
    k[1024] = '\0';
    assert_null(s3name_key_problem(k)); /* 1024 bytes: the limit */
    k[1024] = 'k';
    k[1025] = '\0';
    assert_non_null(s3name_key_problem(k)); /* one past */
    assert_null(s3name_prefix_problem(""));
    assert_null(s3name_prefix_problem("team/reports/"));
    assert_non_null(s3name_prefix_problem("/abs"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_buckets), cmocka_unit_test(test_keys)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
