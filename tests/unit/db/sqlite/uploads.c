/*
 * Tests of src/db/sqlite/uploads.c: the per-user limit, the lease that keeps
 * two operations off one session, the stale list, and deletion with its
 * audit entry only when a session went.
 */
#include "../../testutil.h"

#include "core/err.h"

static struct db_upload upload(const char *id, int64_t user, int64_t created)
{
    struct db_upload u;
    memset(&u, 0, sizeof(u));
    snprintf(u.id, sizeof(u.id), "%s", id);
    u.user_id = user;
    snprintf(u.bucket, sizeof(u.bucket), "b");
    snprintf(u.key, sizeof(u.key), "k/%s", id);
    snprintf(u.s3_upload_id, sizeof(u.s3_upload_id), "s3-%s", id);
    u.size = 10;
    snprintf(u.content_type, sizeof(u.content_type), "text/plain");
    u.part_size = 10;
    u.created_at = created;
    return u;
}

static size_t audit_count(struct db *db, const char *action)
{
    struct db_audit_filter f = {.action = action, .limit = 1000};
    struct db_audit_entry *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, &rows, &n), 0);
    db_audit_entries_free(rows, n);
    return n;
}

static void test_limit_per_user(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_upload a = upload("a", 1, 10), b = upload("b", 1, 11), c = upload("c", 1, 12),
                     d = upload("d", 2, 13);
    struct audit_actor actor = {1, "u@x.io", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &actor, "upload.start", "success", "{}", 10);
    assert_int_equal(db_upload_insert(t.db, &a, 2, &e), 0);
    audit_entry_init(&e, &actor, "upload.start", "success", "{}", 11);
    assert_int_equal(db_upload_insert(t.db, &b, 2, &e), 0);
    /* At the limit: refused, with no entry; another user is not counted. */
    audit_entry_init(&e, &actor, "upload.start", "success", "{}", 12);
    assert_int_equal(db_upload_insert(t.db, &c, 2, &e), SEAU_E_CONFLICT);
    assert_int_equal(db_upload_insert(t.db, &d, 2, NULL), 0);
    assert_int_equal(audit_count(t.db, "upload.start"), 2);
    struct db_upload dup = upload("a", 2, 14);
    assert_int_equal(db_upload_insert(t.db, &dup, 2, NULL), SEAU_E_CONFLICT);
    struct db_upload got;
    assert_int_equal(db_upload_get(t.db, "b", &got), 0);
    assert_string_equal(got.s3_upload_id, "s3-b");
    assert_true(got.created_at == 11 && got.busy_until == 0);
    assert_int_equal(db_upload_get(t.db, "c", &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

static void test_lease(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_upload a = upload("a", 1, 10);
    assert_int_equal(db_upload_insert(t.db, &a, 5, NULL), 0);
    assert_int_equal(db_upload_claim(t.db, "a", 100, 200), 0);
    assert_int_equal(db_upload_claim(t.db, "a", 150, 300), SEAU_E_CONFLICT);
    assert_int_equal(db_upload_claim(t.db, "a", 199, 300), SEAU_E_CONFLICT);
    /* A lease that ran out is free again, without a release. */
    assert_int_equal(db_upload_claim(t.db, "a", 200, 300), 0);
    assert_int_equal(db_upload_release(t.db, "a"), 0);
    assert_int_equal(db_upload_claim(t.db, "a", 201, 400), 0);
    assert_int_equal(db_upload_claim(t.db, "none", 201, 400), SEAU_E_NOT_FOUND);
    assert_int_equal(db_upload_release(t.db, "none"), 0);
    test_db_close(&t);
}

static void test_stale_and_delete(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof(id), "u%d", i);
        struct db_upload u = upload(id, 1, 10 + i);
        assert_int_equal(db_upload_insert(t.db, &u, 10, NULL), 0);
    }
    assert_int_equal(db_upload_claim(t.db, "u1", 50, 500), 0);
    /* Created before 13 and free at 100: u0 and u2 (u1 is busy), oldest first. */
    struct db_upload *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_upload_list_stale(t.db, 13, 100, 10, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "u0");
    assert_string_equal(rows[1].id, "u2");
    free(rows);
    assert_int_equal(db_upload_list_stale(t.db, 13, 100, 1, &rows, &n), 0);
    assert_int_equal(n, 1);
    free(rows);
    struct audit_actor actor = {1, "u@x.io", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &actor, "upload.abort", "success", "{}", 60);
    assert_int_equal(db_upload_delete(t.db, "u0", &e), 0);
    audit_entry_init(&e, &actor, "upload.abort", "success", "{}", 61);
    assert_int_equal(db_upload_delete(t.db, "u0", &e), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "upload.abort"), 1);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_per_user),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_stale_and_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
