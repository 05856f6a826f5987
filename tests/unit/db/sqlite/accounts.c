/*
 * Tests of src/db/sqlite/accounts.c: login throttle windows at their edges
 * and per key, the sessions a user update ends, grants replaced as a set,
 * and the rule that one enabled admin remains.
 */
#include "../../testutil.h"

#include "core/err.h"

static int64_t make_user(struct db *db, const char *email, const char *role)
{
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "%s", email);
    snprintf(u.name, sizeof(u.name), "Someone");
    snprintf(u.role, sizeof(u.role), "%s", role);
    snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$fake");
    u.created_at = 1;
    assert_int_equal(db_user_insert(db, &u, NULL), 0);
    return u.id;
}

static void test_throttle_window_edges(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_throttle th;
    /* Window of 100 ms from 1000: 1099 is inside it, 1100 starts a new one. */
    assert_int_equal(db_throttle_fail(t.db, "acct:a", 1000, 100, &th), 0);
    assert_int_equal(db_throttle_fail(t.db, "acct:a", 1099, 100, &th), 0);
    assert_int_equal(th.failures, 2);
    assert_true(th.window_start == 1000);
    assert_int_equal(db_throttle_fail(t.db, "acct:a", 1100, 100, &th), 0);
    assert_int_equal(th.failures, 1);
    assert_true(th.window_start == 1100);
    /* Keys count apart. */
    assert_int_equal(db_throttle_fail(t.db, "ip:1", 1100, 100, &th), 0);
    assert_int_equal(db_throttle_fail(t.db, "ip:1", 1101, 100, &th), 0);
    assert_int_equal(db_throttle_fail(t.db, "ip:1", 1102, 100, &th), 0);
    assert_int_equal(th.failures, 3);
    assert_int_equal(db_throttle_get(t.db, "acct:a", &th), 0);
    assert_int_equal(th.failures, 1);
    /* A failure of one key drops the windows of others that have passed. */
    assert_int_equal(db_throttle_fail(t.db, "ip:2", 1300, 100, &th), 0);
    assert_int_equal(db_throttle_get(t.db, "acct:a", &th), 0);
    assert_int_equal(th.failures, 0);
    assert_true(th.window_start == 0);
    assert_int_equal(db_throttle_get(t.db, "ip:1", &th), 0);
    assert_int_equal(th.failures, 0);
    assert_int_equal(db_throttle_clear(t.db, "never-seen"), 0);
    test_db_close(&t);
}

static void create_session(struct db *db, int64_t user, unsigned char tag)
{
    struct db_session s = {
        .user_id = user, .created_at = 10, .last_seen_at = 10, .expires_at = 1000};
    memset(s.token_hash, tag, sizeof(s.token_hash));
    assert_int_equal(db_session_create(db, &s, NULL), 0);
}

static bool session_exists(struct db *db, unsigned char tag)
{
    unsigned char h[DB_TOKEN_HASH_LEN];
    memset(h, tag, sizeof(h));
    struct db_session s;
    struct db_user u;
    int rc = db_session_get(db, h, &s, &u);
    assert_true(rc == 0 || rc == SEAU_E_NOT_FOUND);
    return rc == 0;
}

static void test_update_revokes_sessions(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    make_user(t.db, "admin@x.io", "admin");
    int64_t uid = make_user(t.db, "u@x.io", "user");
    create_session(t.db, uid, 1);
    create_session(t.db, uid, 2);
    create_session(t.db, uid, 3);
    struct db_user u;
    assert_int_equal(db_user_get(t.db, uid, &u), 0);
    assert_int_equal(db_user_update(t.db, &u, DB_REVOKE_NONE, NULL, NULL), 0);
    assert_true(session_exists(t.db, 1) && session_exists(t.db, 2) && session_exists(t.db, 3));
    unsigned char keep[DB_TOKEN_HASH_LEN];
    memset(keep, 2, sizeof(keep));
    assert_int_equal(db_user_update(t.db, &u, DB_REVOKE_OTHERS, keep, NULL), 0);
    assert_false(session_exists(t.db, 1));
    assert_true(session_exists(t.db, 2));
    assert_false(session_exists(t.db, 3));
    assert_int_equal(db_user_update(t.db, &u, DB_REVOKE_ALL, NULL, NULL), 0);
    assert_false(session_exists(t.db, 2));
    /* Touch and delete of a missing session say so. */
    assert_int_equal(db_session_touch(t.db, keep, 20), SEAU_E_NOT_FOUND);
    assert_int_equal(db_session_delete(t.db, keep, NULL), SEAU_E_NOT_FOUND);
    u.id = 999;
    assert_int_equal(db_user_update(t.db, &u, DB_REVOKE_NONE, NULL, NULL), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

static void test_grants_and_last_admin(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t admin = make_user(t.db, "admin@x.io", "admin");
    int64_t uid = make_user(t.db, "u@x.io", "user");
    struct db_grant g[3] = {{"b", "z/", "full"}, {"a", "", "full"}, {"b", "z/", "full"}};
    struct audit_actor actor = {admin, "admin@x.io", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &actor, "user.grants", "success", "{}", 5);
    assert_int_equal(db_grants_set(t.db, uid, g, 3, &e), 0);
    struct db_grant *got = NULL;
    size_t n = 0;
    assert_int_equal(db_grants_get(t.db, uid, &got, &n), 0);
    assert_int_equal(n, 2); /* duplicates collapse; ordered by bucket, prefix */
    assert_string_equal(got[0].bucket, "a");
    assert_string_equal(got[1].prefix, "z/");
    free(got);
    assert_int_equal(db_grants_set(t.db, uid, NULL, 0, NULL), 0);
    assert_int_equal(db_grants_get(t.db, uid, &got, &n), 0);
    assert_int_equal(n, 0);
    free(got);
    /* Disabling the only enabled admin is refused, and leaves no audit entry. */
    struct db_user a;
    assert_int_equal(db_user_get(t.db, admin, &a), 0);
    a.disabled = true;
    audit_entry_init(&e, &actor, "user.update", "success", "{}", 6);
    assert_int_equal(db_user_update(t.db, &a, DB_REVOKE_ALL, NULL, &e), SEAU_E_CONFLICT);
    struct db_audit_filter f = {.action = "user.update", .limit = 10};
    struct db_audit_entry *rows = NULL;
    assert_int_equal(db_audit_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 0);
    db_audit_entries_free(rows, n);
    /* With a second admin, the first may go. */
    int64_t second = make_user(t.db, "b@x.io", "admin");
    assert_true(second > 0);
    assert_int_equal(db_user_update(t.db, &a, DB_REVOKE_ALL, NULL, NULL), 0);
    assert_int_equal(db_user_delete(t.db, second, NULL), SEAU_E_CONFLICT);
    test_db_close(&t);
}

/* Each grant keeps its level (migration 0011); an unnamed one is stored as "full". */
static void test_grant_levels(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t uid = make_user(t.db, "levels@example.com", "user");
    struct db_grant g[4];
    memset(g, 0, sizeof(g));
    const char *const levels[] = {"read", "upload", "full", ""};
    for (int i = 0; i < 4; i++) {
        snprintf(g[i].bucket, sizeof(g[i].bucket), "bkt");
        snprintf(g[i].prefix, sizeof(g[i].prefix), "p%d/", i);
        snprintf(g[i].level, sizeof(g[i].level), "%s", levels[i]);
    }
    assert_int_equal(db_grants_set(t.db, uid, g, 4, NULL), 0);
    struct db_grant *got = NULL;
    size_t n = 0;
    assert_int_equal(db_grants_get(t.db, uid, &got, &n), 0);
    assert_int_equal(n, 4);
    const char *const want[] = {"read", "upload", "full", "full"};
    for (size_t i = 0; i < n; i++) {
        char p[8];
        snprintf(p, sizeof(p), "p%zu/", i);
        assert_string_equal(got[i].prefix, p);
        assert_string_equal(got[i].level, want[i]);
    }
    free(got);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttle_window_edges),
        cmocka_unit_test(test_update_revokes_sessions),
        cmocka_unit_test(test_grants_and_last_admin),
        cmocka_unit_test(test_grant_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
