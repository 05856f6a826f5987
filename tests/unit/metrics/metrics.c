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
    /* The limit is the machine's: rendered exactly when there is one. */
    int64_t limit = metrics_process_memory_limit();
    assert_true(limit == -1 || limit > 0);
    snprintf(line, sizeof(line), "seau_memory_limit_bytes %lld\n", (long long)limit);
    assert_true((strstr(text, line) != NULL) == (limit > 0));
    assert_true((strstr(text, "seau_memory_limit_bytes") != NULL) == (limit > 0));
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

/* Renders m at now_ms into a fresh buffer; the caller frees it with buf_done. */
static void render_at(struct metrics *m, int64_t now_ms, struct buf *out)
{
    struct metrics_gauges g = {.ready = 1, .now_ms = now_ms};
    buf_init(out, 8 << 20);
    assert_int_equal(metrics_render(m, &g, out), 0);
}

static void test_s3_series(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    metrics_observe_s3(m, "GetObject", 200, 0.004);
    metrics_observe_s3(m, "GetObject", 206, 0.2);
    metrics_observe_s3(m, "GetObject", 404, 0.002);
    metrics_observe_s3(m, "GetObject", 503, 0.002);
    metrics_observe_s3(m, "GetObject", 0, 3.0); /* no answer */
    metrics_observe_s3(m, "PutObject", 304, 0.001);
    metrics_observe_s3(m, "Get\"Object\n", 200, 0.001); /* not a name: folded */
    for (int i = 0; i < 100; i++) {                     /* more names than room */
        char op[16];
        snprintf(op, sizeof(op), "Op%d", i);
        metrics_observe_s3(m, op, 200, 0.001);
    }
    struct buf out;
    render_at(m, 1, &out);
    const char *t = buf_cstr(&out);
    assert_non_null(strstr(t, "# TYPE seau_s3_requests_total counter\n"));
    assert_non_null(
        strstr(t, "seau_s3_requests_total{operation=\"GetObject\",status=\"2xx\"} 2\n"));
    assert_non_null(
        strstr(t, "seau_s3_requests_total{operation=\"GetObject\",status=\"4xx\"} 1\n"));
    assert_non_null(
        strstr(t, "seau_s3_requests_total{operation=\"GetObject\",status=\"5xx\"} 1\n"));
    assert_non_null(
        strstr(t, "seau_s3_requests_total{operation=\"GetObject\",status=\"error\"} 1\n"));
    assert_non_null(
        strstr(t, "seau_s3_requests_total{operation=\"PutObject\",status=\"3xx\"} 1\n"));
    assert_non_null(strstr(t, "# TYPE seau_s3_request_duration_seconds histogram\n"));
    assert_non_null(strstr(
        t, "seau_s3_request_duration_seconds_bucket{operation=\"GetObject\",le=\"0.005\"} 3\n"));
    assert_non_null(strstr(
        t, "seau_s3_request_duration_seconds_bucket{operation=\"GetObject\",le=\"0.25\"} 4\n"));
    assert_non_null(strstr(
        t, "seau_s3_request_duration_seconds_bucket{operation=\"GetObject\",le=\"+Inf\"} 5\n"));
    assert_non_null(
        strstr(t, "seau_s3_request_duration_seconds_count{operation=\"GetObject\"} 5\n"));
    assert_null(strstr(t, "Get\"Object"));
    /* 63 named rows (GetObject, PutObject, Op0 to Op60), then "other" once: the odd name and
     * Op61 to Op99. */
    assert_non_null(strstr(t, "operation=\"Op60\",status=\"2xx\"} 1\n"));
    assert_null(strstr(t, "operation=\"Op61\""));
    assert_non_null(strstr(t, "seau_s3_requests_total{operation=\"other\",status=\"2xx\"} 40\n"));
    const char *first = strstr(t, "seau_s3_requests_total{operation=\"other\",status=\"2xx\"}");
    assert_null(strstr(first + 1, "seau_s3_requests_total{operation=\"other\",status=\"2xx\"}"));
    buf_done(&out);
    metrics_free(m);
}

static void test_upload_sizes(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    metrics_observe_upload(m, METRICS_UPLOAD_DIRECT, 1000);
    metrics_observe_upload(m, METRICS_UPLOAD_DIRECT, 5LL << 30);
    metrics_observe_upload(m, METRICS_UPLOAD_PROXIED, 2048);
    metrics_observe_upload(m, METRICS_UPLOAD_PROXIED, -1);   /* ignored */
    metrics_observe_upload(NULL, METRICS_UPLOAD_PROXIED, 1); /* no registry: nothing */
    struct buf out;
    render_at(m, 1, &out);
    const char *t = buf_cstr(&out);
    assert_non_null(strstr(t, "# TYPE seau_upload_bytes histogram\n"));
    assert_non_null(strstr(t, "seau_upload_bytes_bucket{path=\"direct\",le=\"1024\"} 1\n"));
    assert_non_null(strstr(t, "seau_upload_bytes_bucket{path=\"direct\",le=\"4294967296\"} 1\n"));
    assert_non_null(strstr(t, "seau_upload_bytes_bucket{path=\"direct\",le=\"17179869184\"} 2\n"));
    assert_non_null(strstr(t, "seau_upload_bytes_count{path=\"direct\"} 2\n"));
    assert_non_null(strstr(t, "seau_upload_bytes_sum{path=\"direct\"} 5368710120\n"));
    assert_non_null(strstr(t, "seau_upload_bytes_bucket{path=\"proxied\",le=\"1024\"} 0\n"));
    assert_non_null(strstr(t, "seau_upload_bytes_bucket{path=\"proxied\",le=\"4096\"} 1\n"));
    assert_non_null(strstr(t, "seau_upload_bytes_count{path=\"proxied\"} 1\n"));
    buf_done(&out);
    metrics_free(m);
}

static void test_logins_and_active_users(void **state)
{
    (void)state;
    struct metrics *m = metrics_new();
    const int64_t now = 1700000000000LL, min = 60 * 1000, hour = 60 * min;
    metrics_login_failed(m);
    metrics_login_failed(m);
    metrics_login_failed(NULL);
    metrics_user_seen(m, 1, now - 1 * min);
    metrics_user_seen(m, 1, now - 30 * min); /* older: the latest time stays */
    metrics_user_seen(m, 2, now - 10 * min);
    metrics_user_seen(m, 3, now - 25 * hour); /* out of both windows */
    metrics_user_seen(m, 0, now);             /* not a user */
    for (int64_t u = 100; u < 300; u++)       /* grows the table */
        metrics_user_seen(m, u, now - 2 * hour);
    struct buf out;
    render_at(m, now, &out);
    const char *t = buf_cstr(&out);
    assert_non_null(strstr(t, "seau_login_failures_total 2\n"));
    assert_non_null(strstr(t, "# TYPE seau_active_users gauge\n"));
    assert_non_null(strstr(t, "seau_active_users{window=\"5m\"} 1\n"));
    assert_non_null(strstr(t, "seau_active_users{window=\"24h\"} 202\n"));
    buf_done(&out);
    /* A day later only the one seen again counts. */
    metrics_user_seen(m, 2, now + 24 * hour);
    render_at(m, now + 24 * hour + 1, &out);
    t = buf_cstr(&out);
    assert_non_null(strstr(t, "seau_active_users{window=\"5m\"} 1\n"));
    assert_non_null(strstr(t, "seau_active_users{window=\"24h\"} 1\n"));
    buf_done(&out);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_cardinality_bounded),
        cmocka_unit_test(test_s3_series),
        cmocka_unit_test(test_upload_sizes),
        cmocka_unit_test(test_logins_and_active_users),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
