/*
 * Tests of src/files/reconcile.c: runs come every interval and are reported
 * (here against an S3 endpoint that refuses connections, so each walk fails
 * at once), and stopping is prompt however long the interval.
 */
#include "../testutil.h"

#include "core/err.h"
#include "core/timeutil.h"
#include "files/reconcile.h"
#include "s3/credentials.h"

#include <pthread.h>
#include <time.h>

struct seen {
    pthread_mutex_t lock;
    int reports;
    size_t n;
    int rc[2];
    char bucket[2][16];
    bool described;
};

static void report(void *ctx, const struct files_reconcile_bucket *b, size_t n)
{
    struct seen *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->reports++;
    s->n = n;
    for (size_t i = 0; i < n && i < 2; i++) {
        s->rc[i] = b[i].rc;
        snprintf(s->bucket[i], sizeof(s->bucket[i]), "%s", b[i].bucket);
        s->described = s->described || b[i].why[0];
    }
    pthread_mutex_unlock(&s->lock);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void test_runs_and_stops(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct s3_cred_env env = {.access_key_id = "AKID", .secret_access_key = "secret"};
    struct s3_cred_provider *p = NULL;
    assert_int_equal(s3_credentials_open(&env, &p), 0);
    struct s3_config cfg = {.endpoint = "http://127.0.0.1:1",
                            .max_retries = S3_NO_RETRIES,
                            .connect_timeout_ms = 500,
                            .request_timeout_ms = 500};
    struct s3_client *c = NULL;
    assert_int_equal(s3_client_new(&cfg, p, &c), 0);
    char *buckets[] = {"one", "two", NULL};
    struct seen s = {.reports = 0};
    pthread_mutex_init(&s.lock, NULL);

    struct files_reconciler *r = NULL;
    assert_int_equal(files_reconcile_start(t.db, c, buckets, 2, 0, report, &s, &r),
                     SEAU_E_VALIDATION);
    assert_int_equal(files_reconcile_start(t.db, c, buckets, 2, 50, report, &s, &r), 0);
    int64_t t0 = time_mono_ns();
    while (files_reconcile_runs(r) < 3 && time_mono_ns() - t0 < 10000000000LL)
        nap_ms(10);
    files_reconcile_stop(r);
    pthread_mutex_lock(&s.lock);
    assert_true(s.reports >= 3);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.bucket[0], "one");
    assert_string_equal(s.bucket[1], "two");
    assert_int_equal(s.rc[0], SEAU_E_UNAVAILABLE);
    assert_true(s.described);
    pthread_mutex_unlock(&s.lock);

    /* An hour's interval: no run yet, and the stop does not wait for it. */
    s.reports = 0;
    assert_int_equal(files_reconcile_start(t.db, c, buckets, 2, 3600000, report, &s, &r), 0);
    nap_ms(50);
    t0 = time_mono_ns();
    files_reconcile_stop(r);
    assert_true(time_mono_ns() - t0 < 500000000LL);
    assert_int_equal(s.reports, 0);
    files_reconcile_stop(NULL);

    pthread_mutex_destroy(&s.lock);
    s3_client_free(c);
    s3_credentials_free(p);
    test_db_close(&t);
}

/* A walk asked to stop ends before its first page, removing nothing. */
static bool always(void *ctx)
{
    (void)ctx;
    return true;
}

static void test_sync_until_cancelled(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    assert_int_equal(files_index_record(t.db, "b", "k", 1, "\"e\"", 1, NULL, 0, 1), 0);
    struct files_sync_stats st;
    /* The client is never reached: the stop comes before the first request. */
    assert_int_equal(
        files_index_sync_until(t.db, (struct s3_client *)16, "b", always, NULL, &st, NULL),
        SEAU_E_CANCELLED);
    assert_int_equal(st.removed, 0);
    struct db_object o;
    assert_int_equal(db_object_get(t.db, "b", "k", &o), 0);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_runs_and_stops),
                                       cmocka_unit_test(test_sync_until_cancelled)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
