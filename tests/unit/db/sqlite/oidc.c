/*
 * Tests of src/db/sqlite/oidc.c (and, in the unit_db_postgres_* run, of
 * src/db/postgres/oidc.c): a pending sign-in is taken once and not after
 * it expired; the account of (provider, subject) is created, then found and
 * brought up to date (e-mail, role, grants) with a session and an audit
 * entry in one transaction; a disabled account, an e-mail of another
 * account and the last admin's demotion are refused and change nothing.
 */
#include "../../testutil.h"

#include "core/err.h"

static struct db_oidc_login pending(unsigned char tag, int64_t expires)
{
    struct db_oidc_login l;
    memset(&l, 0, sizeof(l));
    memset(l.key_hash, tag, sizeof(l.key_hash));
    snprintf(l.provider, sizeof(l.provider), "corp");
    snprintf(l.state, sizeof(l.state), "state-%u", tag);
    snprintf(l.nonce, sizeof(l.nonce), "nonce-%u", tag);
    snprintf(l.verifier, sizeof(l.verifier), "verifier-%u", tag);
    snprintf(l.return_to, sizeof(l.return_to), "/files?b=%u", tag);
    l.created_at = 1;
    l.expires_at = expires;
    return l;
}

static void test_pending_taken_once(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_oidc_login a = pending(1, 1000), b = pending(2, 500), got;
    assert_int_equal(db_oidc_login_put(t.db, &a, 10), 0);
    assert_int_equal(db_oidc_login_put(t.db, &b, 10), 0);
    assert_int_equal(db_oidc_login_take(t.db, a.key_hash, 20, &got), 0);
    assert_string_equal(got.state, "state-1");
    assert_string_equal(got.nonce, "nonce-1");
    assert_string_equal(got.verifier, "verifier-1");
    assert_string_equal(got.return_to, "/files?b=1");
    assert_string_equal(got.provider, "corp");
    assert_int_equal(got.expires_at, 1000);
    /* Used: never again. */
    assert_int_equal(db_oidc_login_take(t.db, a.key_hash, 21, &got), SEAU_E_NOT_FOUND);
    /* Expired: refused, and gone too. */
    assert_int_equal(db_oidc_login_take(t.db, b.key_hash, 600, &got), SEAU_E_NOT_FOUND);
    assert_int_equal(db_oidc_login_take(t.db, b.key_hash, 20, &got), SEAU_E_NOT_FOUND);
    /* A new start purges the expired ones. */
    struct db_oidc_login c = pending(3, 100);
    assert_int_equal(db_oidc_login_put(t.db, &c, 10), 0);
    struct db_oidc_login d = pending(4, 5000);
    assert_int_equal(db_oidc_login_put(t.db, &d, 200), 0);
    assert_int_equal(db_oidc_login_take(t.db, c.key_hash, 50, &got), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

static size_t audit_count(struct db *db, const char *status)
{
    struct db_audit_filter f = {.action = "auth.login", .limit = 1000};
    struct db_audit_entry *rows = NULL;
    size_t n = 0, k = 0;
    assert_int_equal(db_audit_list(db, &f, &rows, &n), 0);
    for (size_t i = 0; i < n; i++)
        k += strcmp(rows[i].status, status) == 0;
    db_audit_entries_free(rows, n);
    return k;
}

static int sign_in(struct db *db, const char *sub, const char *email, const char *role,
                   const struct db_grant *g, size_t ng, bool set_grants, unsigned char tag,
                   struct db_user *ret)
{
    struct db_oidc_identity id = {.provider = "corp",
                                  .subject = sub,
                                  .email = email,
                                  .name = "Some One",
                                  .role = role,
                                  .set_grants = set_grants,
                                  .grants = g,
                                  .ngrants = ng};
    struct db_session s;
    memset(&s, 0, sizeof(s));
    memset(s.token_hash, tag, sizeof(s.token_hash));
    s.created_at = s.last_seen_at = 100 + tag;
    s.expires_at = 100000;
    struct audit_actor a = {0, NULL, "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &a, "auth.login", "success", "{\"provider\":\"corp\"}", 100 + tag);
    int rc = db_oidc_sign_in(db, &id, &s, &e, ret);
    if (rc == 0)
        assert_int_equal(s.user_id, ret->id);
    return rc;
}

static void test_account_created_then_updated(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    const struct db_grant g1[] = {{"media", "team/", "full"}, {"archive", "", "full"}};
    struct db_user u, again, byid;
    assert_int_equal(sign_in(t.db, "sub-1", "ann@corp.example", "manager", g1, 2, true, 1, &u), 0);
    assert_true(u.id > 0);
    assert_string_equal(u.role, "manager");
    assert_string_equal(u.provider, "corp");
    assert_int_equal(u.last_login_at, 101);
    struct db_grant *g = NULL;
    size_t ng = 0;
    assert_int_equal(db_grants_get(t.db, u.id, &g, &ng), 0);
    assert_int_equal(ng, 2);
    free(g);
    /* The session works like a password sign-in's. */
    unsigned char h[DB_TOKEN_HASH_LEN];
    memset(h, 1, sizeof(h));
    struct db_session s;
    assert_int_equal(db_session_get(t.db, h, &s, &byid), 0);
    assert_int_equal(byid.id, u.id);
    assert_string_equal(byid.provider, "corp");
    /* The next sign-in finds it by subject, whatever its e-mail became; role and grants follow. */
    const struct db_grant g2[] = {{"media", "public/", "full"}};
    assert_int_equal(sign_in(t.db, "sub-1", "ann.new@corp.example", "user", g2, 1, true, 2, &again),
                     0);
    assert_int_equal(again.id, u.id);
    assert_string_equal(again.role, "user");
    assert_int_equal(db_user_get(t.db, u.id, &byid), 0);
    assert_string_equal(byid.email, "ann.new@corp.example");
    assert_string_equal(byid.role, "user");
    assert_string_equal(byid.provider, "corp");
    assert_int_equal(db_grants_get(t.db, u.id, &g, &ng), 0);
    assert_int_equal(ng, 1);
    assert_string_equal(g[0].prefix, "public/");
    free(g);
    /* Without a role or grants mapping: both stay as an admin set them. */
    assert_int_equal(
        sign_in(t.db, "sub-1", "ann.new@corp.example", NULL, NULL, 0, false, 3, &again), 0);
    assert_string_equal(again.role, "user");
    assert_int_equal(db_grants_get(t.db, u.id, &g, &ng), 0);
    assert_int_equal(ng, 1);
    free(g);
    assert_int_equal(audit_count(t.db, "success"), 3);
    test_db_close(&t);
}

static void test_refusals_change_nothing(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_user pw;
    memset(&pw, 0, sizeof(pw));
    snprintf(pw.email, sizeof(pw.email), "boss@corp.example");
    snprintf(pw.name, sizeof(pw.name), "Boss");
    snprintf(pw.role, sizeof(pw.role), "user");
    snprintf(pw.password_hash, sizeof(pw.password_hash), "$argon2id$fake");
    pw.created_at = 1;
    assert_int_equal(db_user_insert(t.db, &pw, NULL), 0);
    assert_string_equal(pw.provider, "");
    struct db_user u;
    /* A password account's e-mail is not taken over by a provider's subject. */
    assert_int_equal(sign_in(t.db, "sub-x", "boss@corp.example", "admin", NULL, 0, false, 1, &u),
                     SEAU_E_CONFLICT);
    int64_t n = 0;
    assert_int_equal(db_user_count(t.db, &n), 0);
    assert_int_equal(n, 1);
    unsigned char h[DB_TOKEN_HASH_LEN];
    memset(h, 1, sizeof(h));
    struct db_session s;
    struct db_user who;
    assert_int_equal(db_session_get(t.db, h, &s, &who), SEAU_E_NOT_FOUND);
    assert_int_equal(audit_count(t.db, "success"), 0);

    /* The only admin cannot be demoted by a sign-in. */
    assert_int_equal(sign_in(t.db, "sub-a", "admin@corp.example", "admin", NULL, 0, false, 2, &u),
                     0);
    assert_int_equal(sign_in(t.db, "sub-a", "admin@corp.example", "user", NULL, 0, false, 3, &u),
                     SEAU_E_CONFLICT);
    assert_int_equal(db_user_get_by_email(t.db, "admin@corp.example", &who), 0);
    assert_string_equal(who.role, "admin");

    /* A disabled account stays out. */
    who.disabled = true;
    assert_int_equal(sign_in(t.db, "sub-b", "b@corp.example", "user", NULL, 0, false, 4, &u), 0);
    struct db_user b;
    assert_int_equal(db_user_get(t.db, u.id, &b), 0);
    b.disabled = true;
    assert_int_equal(db_user_update(t.db, &b, DB_REVOKE_ALL, NULL, NULL), 0);
    assert_int_equal(sign_in(t.db, "sub-b", "b@corp.example", "user", NULL, 0, false, 5, &u),
                     SEAU_E_FORBIDDEN);
    memset(h, 5, sizeof(h));
    assert_int_equal(db_session_get(t.db, h, &s, &who), SEAU_E_NOT_FOUND);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pending_taken_once),
        cmocka_unit_test(test_account_created_then_updated),
        cmocka_unit_test(test_refusals_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
