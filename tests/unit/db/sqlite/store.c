/*
 * Tests of src/db/sqlite/store.c with accounts.c and audit.c: migrations,
 * constraints, transactions with their audit entries, the login throttle.
 */
#include "../../testutil.h"

#include "core/err.h"

#include <pthread.h>

static void make_user(struct db *db, const char *email, const char *role, struct db_user *u)
{
    test_db_make_user(db, email, role, u);
}

static void test_migrate_idempotent(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int applied = -1;
    assert_int_equal(db_migrate(t.db, &applied), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(db_ping(t.db), 0);
    test_db_close(&t);
}

static void test_users_and_sessions(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_user a, b, got;
    make_user(t.db, "a@x.io", "admin", &a);
    make_user(t.db, "b@x.io", "user", &b);
    struct db_user dup = b;
    assert_int_equal(db_user_insert(t.db, &dup, NULL), SEAU_E_CONFLICT);
    assert_int_equal(db_user_get_by_email(t.db, "B@X.IO", &got), 0); /* case-insensitive */
    assert_int_equal(got.id, b.id);
    assert_int_equal(db_user_get(t.db, 999, &got), SEAU_E_NOT_FOUND);
    int64_t n = 0;
    assert_int_equal(db_user_count(t.db, &n), 0);
    assert_int_equal(n, 2);

    struct db_session s = {.user_id = b.id, .created_at = 10, .last_seen_at = 10, .expires_at = 99};
    memset(s.token_hash, 7, sizeof(s.token_hash));
    assert_int_equal(db_session_create(t.db, &s, NULL), 0);
    struct db_session gs;
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), 0);
    assert_int_equal(got.id, b.id);
    assert_int_equal(db_user_get(t.db, b.id, &got), 0);
    assert_true(got.last_login_at == 10);
    assert_int_equal(db_session_touch(t.db, s.token_hash, 20), 0);
    /* Purge drops sessions idle since before 15, or expired by 99: this one survives 15/50. */
    assert_int_equal(db_session_purge(t.db, 15, 50), 0);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), 0);
    assert_true(gs.last_seen_at == 20);
    /* Deleting the user deletes its sessions (foreign key cascade). */
    assert_int_equal(db_user_delete(t.db, b.id, NULL), 0);
    assert_int_equal(db_session_get(t.db, s.token_hash, &gs, &got), SEAU_E_NOT_FOUND);
    /* The only admin cannot go. */
    assert_int_equal(db_user_delete(t.db, a.id, NULL), SEAU_E_CONFLICT);
    test_db_close(&t);
}

static void test_rollback_keeps_audit_consistent(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_user a;
    make_user(t.db, "a@x.io", "admin", &a);
    struct audit_actor actor = {a.id, "a@x.io", "127.0.0.1", "ua"};
    struct db_audit_entry e;
    audit_entry_init(&e, &actor, "user.update", "success", "{}", 5);
    /* Demoting the last admin fails: neither the change nor its audit entry is stored. */
    struct db_user demoted = a;
    snprintf(demoted.role, sizeof(demoted.role), "user");
    assert_int_equal(db_user_update(t.db, &demoted, DB_REVOKE_NONE, NULL, &e), SEAU_E_CONFLICT);
    struct db_audit_filter f = {.limit = 10};
    struct db_audit_entry *rows = NULL;
    size_t n = 99;
    assert_int_equal(db_audit_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 0);
    db_audit_entries_free(rows, n);
    /* A successful change stores both. */
    audit_entry_init(&e, &actor, "user.update", "success", "{}", 6);
    snprintf(a.name, sizeof(a.name), "Renamed");
    assert_int_equal(db_user_update(t.db, &a, DB_REVOKE_NONE, NULL, &e), 0);
    assert_int_equal(db_audit_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].action, "user.update");
    assert_int_equal(rows[0].id, 1);
    db_audit_entries_free(rows, n);
    test_db_close(&t);
}

struct writer {
    struct db *db;
    int id;
};

static void *append_many(void *arg)
{
    struct writer *w = arg;
    struct audit_actor actor = {w->id, "w@x.io", "127.0.0.1", "ua"};
    for (int i = 0; i < 50; i++) {
        struct db_audit_entry e;
        audit_entry_init(&e, &actor, "test.append", "success", "{}", i);
        if (db_audit_append(w->db, &e) != 0)
            return (void *)1;
    }
    return NULL;
}

static void test_concurrent_appends_keep_one_chain(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    pthread_t th[4];
    struct writer w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct writer){t.db, i + 1};
        assert_int_equal(pthread_create(&th[i], NULL, append_many, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    struct audit_verify_result r;
    assert_int_equal(audit_verify(t.db, &r), 0);
    assert_int_equal(r.entries, 200);
    assert_int_equal(r.broken_id, 0);
    test_db_close(&t);
}

static void test_throttle_window(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_throttle th;
    assert_int_equal(db_throttle_get(t.db, "ip:1", &th), 0);
    assert_int_equal(th.failures, 0);
    assert_int_equal(db_throttle_fail(t.db, "ip:1", 1000, 100, &th), 0);
    assert_int_equal(db_throttle_fail(t.db, "ip:1", 1050, 100, &th), 0);
    assert_int_equal(th.failures, 2);
    assert_true(th.window_start == 1000);
    /* A new window starts once the old one has passed. */
    assert_int_equal(db_throttle_fail(t.db, "ip:1", 1100, 100, &th), 0);
    assert_int_equal(th.failures, 1);
    assert_true(th.window_start == 1100);
    assert_int_equal(db_throttle_clear(t.db, "ip:1"), 0);
    assert_int_equal(db_throttle_get(t.db, "ip:1", &th), 0);
    assert_int_equal(th.failures, 0);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_idempotent),
        cmocka_unit_test(test_users_and_sessions),
        cmocka_unit_test(test_rollback_keeps_audit_consistent),
        cmocka_unit_test(test_concurrent_appends_keep_one_chain),
        cmocka_unit_test(test_throttle_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
