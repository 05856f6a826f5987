/* Tests of src/metrics/metrics.c: histogram buckets and the exposition text. */
#include "../testutil.h"

#include "metrics/metrics.h"

static void test_render(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    assert_non_null(m);
    metrics_observe_http(m, "GET", "/api/health", 200, 0.0004);
    metrics_observe_http(m, "GET", "/api/health", 200, 0.03);
    metrics_observe_http(m, "BREW", "/api/health", 200, 0.03); /* unknown method folded */
    struct metrics_gauges g = {.in_flight = 3, .ready = 1};
    struct buf out;
    buf_init(&out, 1 << 20);
    assert_int_equal(metrics_render(m, &g, &out), 0);
    const char *text = buf_cstr(&out);
    const char *lbl = "method=\"GET\",route=\"/api/health\",status=\"200\"";
    char line[256];
    snprintf(line, sizeof(line), "seau_http_request_duration_seconds_bucket{%s,le=\"0.001\"} 1\n",
             lbl);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof(line), "seau_http_request_duration_seconds_bucket{%s,le=\"0.025\"} 1\n",
             lbl);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof(line), "seau_http_request_duration_seconds_bucket{%s,le=\"0.05\"} 2\n",
             lbl);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof(line), "seau_http_request_duration_seconds_count{%s} 2\n", lbl);
    assert_non_null(strstr(text, line));
    assert_non_null(strstr(text, "method=\"OTHER\",route=\"/api/health\""));
    assert_null(strstr(text, "BREW"));
    assert_non_null(strstr(text, "seau_http_requests_in_flight 3\n"));
    assert_non_null(strstr(text, "# TYPE process_resident_memory_bytes gauge\n"));
    assert_true(metrics_process_rss() > 0);
    assert_true(metrics_process_open_fds() >= 3);
    assert_true(metrics_process_start_time() > 1.7e9);
    buf_done(&out);
    metrics_free(m);
}

static void test_cardinality_bounded(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    for (int i = 0; i < 3000; i++)
        metrics_observe_http(m, "GET", "/api/x", 100 + i, 0.001);
    struct buf out;
    buf_init(&out, 8 << 20);
    struct metrics_gauges g = {.in_flight = 0, .ready = 1};
    assert_int_equal(metrics_render(m, &g, &out), 0);
    assert_non_null(strstr(buf_cstr(&out), "route=\"overflow\""));
    buf_done(&out);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_cardinality_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
