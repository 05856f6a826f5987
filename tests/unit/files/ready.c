/*
 * Tests of src/files/ready.c: the store's ping, S3 not configured, and the
 * S3 probe's answer reused within its time to live (tests/unit/fake_s3.h
 * answers HeadBucket 404, so the probe fails and says why).
 */
#include "../fake_s3.h"
#include "../testutil.h"

#include "core/timeutil.h"
#include "files/ready.h"

static void test_ready(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct files_ready_probe cache;
    memset(&cache, 0, sizeof(cache));
    pthread_mutex_init(&cache.lock, NULL);
    char *buckets[] = {"b", NULL};
    struct files_ready r;

    files_ready_check(t.db, NULL, buckets, 1, &cache, 1000000, &r);
    assert_true(r.db_ok);
    assert_string_equal(r.s3, "not_configured");
    assert_int_equal(cache.checked_at, 0);

    struct fake_s3 s3;
    fake_s3_start(&s3);
    int64_t now = time_now_ms();
    files_ready_check(t.db, s3.client, buckets, 1, &cache, now, &r);
    assert_true(r.db_ok);
    assert_string_equal(r.s3, "failed");
    assert_non_null(strstr(r.why, "b"));
    assert_int_equal(atomic_load(&s3.heads), 1);
    /* Within the time to live the answer is reused; after it S3 is asked again. */
    files_ready_check(t.db, s3.client, buckets, 1, &cache, now + 1, &r);
    assert_string_equal(r.s3, "failed");
    assert_true(strlen(r.why) > 0);
    assert_int_equal(atomic_load(&s3.heads), 1);
    files_ready_check(t.db, s3.client, buckets, 1, &cache, now + 2 * FILES_READY_S3_TTL_MS, &r);
    assert_int_equal(atomic_load(&s3.heads), 2);
    fake_s3_stop(&s3);
    pthread_mutex_destroy(&cache.lock);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
