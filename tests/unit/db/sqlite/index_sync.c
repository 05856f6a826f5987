/*
 * Tests of the store's index_sync rows (db_index_sync_get/put), on SQLite
 * and, as unit_db_postgres_index_sync, on PostgreSQL: a bucket never walked
 * reads zeroed; a put stores every field and a second replaces it; keys of
 * 1024 bytes and buckets are kept apart.
 */
#include "../../testutil.h"

#include "core/err.h"

static void test_get_put(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_index_sync s;
    assert_int_equal(db_index_sync_get(t.db, "alpha", &s), 0);
    assert_string_equal(s.bucket, "alpha");
    assert_int_equal(s.walk_started, 0);
    assert_string_equal(s.after_key, "");
    assert_int_equal(s.completed_at, 0);

    struct db_index_sync w = {.walk_started = 1000, .listed = 2000, .completed_at = 5};
    snprintf(w.bucket, sizeof(w.bucket), "alpha");
    memset(w.after_key, 'k', DB_KEY_MAX);
    w.after_key[DB_KEY_MAX] = '\0';
    assert_int_equal(db_index_sync_put(t.db, &w), 0);
    assert_int_equal(db_index_sync_get(t.db, "alpha", &s), 0);
    assert_int_equal(s.walk_started, 1000);
    assert_int_equal(s.listed, 2000);
    assert_int_equal(s.completed_at, 5);
    assert_int_equal(strlen(s.after_key), DB_KEY_MAX);

    /* Replaced whole; "" stores no key. */
    w.walk_started = 0;
    w.after_key[0] = '\0';
    w.completed_at = 9000;
    assert_int_equal(db_index_sync_put(t.db, &w), 0);
    assert_int_equal(db_index_sync_get(t.db, "alpha", &s), 0);
    assert_int_equal(s.walk_started, 0);
    assert_string_equal(s.after_key, "");
    assert_int_equal(s.completed_at, 9000);
    assert_int_equal(db_index_sync_get(t.db, "beta", &s), 0);
    assert_int_equal(s.completed_at, 0);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_get_put)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
