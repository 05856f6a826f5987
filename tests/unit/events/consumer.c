/* Tests of src/events/consumer.c's pure parts: where SQS calls go, the region, retry delays. */
#include "../testutil.h"

#include "../../../src/events/consumer.c"

static void test_endpoint(void **state)
{
    (void)state;
    char out[256];
    static const struct {
        const char *url, *want;
    } ok[] = {
        {"https://sqs.eu-west-1.amazonaws.com/123456789012/seau",
         "https://sqs.eu-west-1.amazonaws.com"},
        {"http://sqs.us-east-1.localhost:4566/000000000000/q",
         "http://sqs.us-east-1.localhost:4566"},
        {"HTTP://127.0.0.1:9324/queue/q?x=1", "HTTP://127.0.0.1:9324"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(events_sqs_endpoint(ok[i].url, out, sizeof(out)), 0);
        assert_string_equal(out, ok[i].want);
    }
    static const char *const bad[] = {NULL,
                                      "",
                                      "ftp://h/q",
                                      "https:///q",
                                      "https://user:pw@h/q",
                                      "sqs.eu-west-1.amazonaws.com/1/q"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(events_sqs_endpoint(bad[i], out, sizeof(out)), SEAU_E_VALIDATION);
    assert_int_equal(events_sqs_endpoint("https://sqs.eu-west-1.amazonaws.com/1/q", out, 10),
                     SEAU_E_VALIDATION);
}

static void test_region(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(events_sqs_region("https://sqs.eu-west-1.amazonaws.com/1/q", out, sizeof(out)),
                     0);
    assert_string_equal(out, "eu-west-1");
    assert_int_equal(
        events_sqs_region("https://SQS.ap-south-2.amazonaws.com:443/1/q", out, sizeof(out)), 0);
    assert_string_equal(out, "ap-south-2");
    assert_int_equal(events_sqs_region("http://sqs.us-east-1.localhost:4566/0/q", out, sizeof(out)),
                     SEAU_E_NOT_FOUND);
    assert_int_equal(events_sqs_region("https://sqs.amazonaws.com/1/q", out, sizeof(out)),
                     SEAU_E_NOT_FOUND);
    assert_int_equal(events_sqs_region("https://sqs.a.b.amazonaws.com/1/q", out, sizeof(out)),
                     SEAU_E_NOT_FOUND);
}

/* A failing message comes back soon, then less and less often, never beyond SQS's 12 h. */
static void test_retry_visibility(void **state)
{
    (void)state;
    assert_int_equal(retry_visibility(0), 2);
    assert_int_equal(retry_visibility(1), 2);
    assert_int_equal(retry_visibility(2), 4);
    assert_int_equal(retry_visibility(10), 1024);
    assert_int_equal(retry_visibility(15), 32768);
    assert_int_equal(retry_visibility(16), S3_SQS_MAX_VISIBILITY);
    assert_int_equal(retry_visibility(1000), S3_SQS_MAX_VISIBILITY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint),
        cmocka_unit_test(test_region),
        cmocka_unit_test(test_retry_visibility),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
