/*
 * Tests of src/files/upload_links.c's pure rules (a link's state at a time,
 * the room a request may take, the conflict modes' names in change.c) and
 * of creation and revocation against a store: the policy, the token's hash,
 * the audit entries, who may revoke.
 */
#include "../testutil.h"

#include "core/err.h"
#include "files/change.h"
#include "files/upload_links.h"

static void test_state_and_room(void **state)
{
    (void)state;
    struct db_upload_link l;
    memset(&l, 0, sizeof(l));
    assert_int_equal(files_upload_link_state(&l, 100), FILES_UPLOAD_LINK_LIVE);
    l.expires_at = 100;
    assert_int_equal(files_upload_link_state(&l, 99), FILES_UPLOAD_LINK_LIVE);
    assert_int_equal(files_upload_link_state(&l, 100), FILES_UPLOAD_LINK_EXPIRED);
    l.expires_at = 0;
    l.max_files = 2;
    l.files = 1;
    assert_int_equal(files_upload_link_state(&l, 1), FILES_UPLOAD_LINK_LIVE);
    l.files = 2;
    assert_int_equal(files_upload_link_state(&l, 1), FILES_UPLOAD_LINK_FULL);
    l.files = 0;
    l.max_bytes = 1000;
    l.bytes = 999;
    assert_int_equal(files_upload_link_state(&l, 1), FILES_UPLOAD_LINK_LIVE);
    assert_int_equal(files_upload_link_room(&l, 5000), 1);
    assert_int_equal(files_upload_link_room(&l, 0), 0);
    l.bytes = 1000;
    assert_int_equal(files_upload_link_state(&l, 1), FILES_UPLOAD_LINK_FULL);
    assert_int_equal(files_upload_link_room(&l, 5), 0);
    l.revoked_at = 5;
    assert_int_equal(files_upload_link_state(&l, 1), FILES_UPLOAD_LINK_REVOKED);
    l.max_bytes = 0;
    assert_int_equal(files_upload_link_room(&l, 12345), 12345);
    assert_string_equal(files_upload_link_state_name(FILES_UPLOAD_LINK_WITHDRAWN), "withdrawn");
    assert_string_equal(files_upload_link_state_name(FILES_UPLOAD_LINK_FULL), "full");
}

static void test_conflict_names(void **state)
{
    (void)state;
    enum files_conflict c = FILES_CONFLICT_REPLACE;
    assert_int_equal(files_conflict_parse("fail", &c), 0);
    assert_int_equal(c, FILES_CONFLICT_FAIL);
    assert_int_equal(files_conflict_parse("keepBoth", &c), 0);
    assert_int_equal(c, FILES_CONFLICT_KEEP_BOTH);
    assert_int_equal(files_conflict_parse("skip", &c), 0);
    assert_int_equal(c, FILES_CONFLICT_SKIP);
    assert_int_equal(files_conflict_parse("replace", &c), 0);
    assert_int_equal(c, FILES_CONFLICT_REPLACE);
    assert_int_equal(files_conflict_parse("keepboth", &c), SEAU_E_VALIDATION);
    assert_int_equal(files_conflict_parse("", &c), SEAU_E_VALIDATION);
    assert_int_equal(files_conflict_parse(NULL, &c), SEAU_E_VALIDATION);
}

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

static size_t audit_count(struct db *db, const char *action, const char *status)
{
    struct db_audit_filter f = {.action = action, .limit = 1000};
    struct db_audit_entry *rows = NULL;
    size_t n = 0, k = 0;
    assert_int_equal(db_audit_list(db, &f, &rows, &n), 0);
    for (size_t i = 0; i < n; i++)
        k += strcmp(rows[i].status, status) == 0;
    db_audit_entries_free(rows, n);
    return k;
}

static void test_create_resolve_revoke(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    char *buckets[] = {"b"};
    struct files_env env = {.db = t.db, .buckets = buckets, .nbuckets = 1};
    int64_t mid = make_user(t.db, "m@x.io", "manager"), uid = make_user(t.db, "u@x.io", "user"),
            other = make_user(t.db, "o@x.io", "manager");
    struct db_grant g = {.bucket = "b", .prefix = "in/"};
    assert_int_equal(db_grants_set(t.db, mid, &g, 1, NULL), 0);
    assert_int_equal(db_grants_set(t.db, uid, &g, 1, NULL), 0);
    assert_int_equal(db_grants_set(t.db, other, &g, 1, NULL), 0);
    struct files_who m = {.subject = {.user_id = mid, .role = AUTH_ROLE_MANAGER, .grants = &g, .ngrants = 1}};
    struct files_who u = {.subject = {.user_id = uid, .role = AUTH_ROLE_USER, .grants = &g, .ngrants = 1}};
    struct files_who o = {.subject = {.user_id = other, .role = AUTH_ROLE_MANAGER, .grants = &g, .ngrants = 1}};
    struct audit_actor am = {mid, "m@x.io", "127.0.0.1", "test"};
    struct db_upload_link l;
    char token[AUTH_TOKEN_LEN + 1];

    struct files_upload_link_new bad = {.bucket = "b", .prefix = "out/"};
    assert_int_equal(files_upload_link_create(&env, &m, &am, &bad, 10, &l, token), SEAU_E_NOT_FOUND);
    struct files_upload_link_new n = {.bucket = "b", .prefix = "in/", .max_files = 3, .message = "hello"};
    assert_int_equal(files_upload_link_create(&env, &u, &am, &n, 10, &l, token), SEAU_E_FORBIDDEN);
    assert_int_equal(audit_count(t.db, "uploadlink.create", "failure"), 2);
    assert_int_equal(files_upload_link_create(&env, &m, &am, &n, 10, &l, token), 0);
    assert_int_equal(strlen(token), AUTH_TOKEN_LEN);
    assert_int_equal(l.expires_at, 10 + FILES_UPLOAD_LINK_EXPIRES_DEF * 1000);
    assert_int_equal(audit_count(t.db, "uploadlink.create", "success"), 1);

    /* The token opens it; anything else does not; the store holds only the hash. */
    struct db_upload_link got;
    enum files_upload_link_state st;
    assert_int_equal(files_upload_link_resolve(&env, token, 20, &got, &st), 0);
    assert_int_equal(st, FILES_UPLOAD_LINK_LIVE);
    assert_string_equal(got.id, l.id);
    assert_string_equal(got.message, "hello");
    assert_null(memmem(&got, sizeof(got), token, AUTH_TOKEN_LEN));
    char wrong[AUTH_TOKEN_LEN + 1];
    memcpy(wrong, token, sizeof(wrong));
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    assert_int_equal(files_upload_link_resolve(&env, wrong, 20, &got, &st), SEAU_E_NOT_FOUND);
    assert_int_equal(files_upload_link_resolve(&env, "short", 20, &got, &st), SEAU_E_NOT_FOUND);
    /* Past its expiry. */
    assert_int_equal(files_upload_link_resolve(&env, token, l.expires_at, &got, &st), 0);
    assert_int_equal(st, FILES_UPLOAD_LINK_EXPIRED);

    /* The creator's authority: a creator no longer granted the folder withdraws the link. */
    struct db_grant elsewhere = {.bucket = "b", .prefix = "other/"};
    assert_int_equal(db_grants_set(t.db, mid, &elsewhere, 1, NULL), 0);
    assert_int_equal(files_upload_link_resolve(&env, token, 20, &got, &st), 0);
    assert_int_equal(st, FILES_UPLOAD_LINK_WITHDRAWN);
    assert_int_equal(db_grants_set(t.db, mid, &g, 1, NULL), 0);
    assert_int_equal(files_upload_link_resolve(&env, token, 20, &got, &st), 0);
    assert_int_equal(st, FILES_UPLOAD_LINK_LIVE);

    /* Only its creator (or an admin) lists and revokes it. */
    struct db_upload_link *rows = NULL;
    size_t nrows = 0;
    assert_int_equal(files_upload_link_list(&env, &o, 0, 10, &rows, &nrows), 0);
    assert_int_equal(nrows, 0);
    free(rows);
    assert_int_equal(files_upload_link_list(&env, &m, 0, 10, &rows, &nrows), 0);
    assert_int_equal(nrows, 1);
    free(rows);
    assert_int_equal(files_upload_link_revoke(&env, &o, &am, l.id, 30), SEAU_E_NOT_FOUND);
    assert_int_equal(files_upload_link_revoke(&env, &m, &am, l.id, 30), 0);
    assert_int_equal(files_upload_link_revoke(&env, &m, &am, l.id, 31), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "uploadlink.revoke", "success"), 1);
    assert_int_equal(files_upload_link_resolve(&env, token, 40, &got, &st), 0);
    assert_int_equal(st, FILES_UPLOAD_LINK_REVOKED);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_and_room),
        cmocka_unit_test(test_conflict_names),
        cmocka_unit_test(test_create_resolve_revoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
