/* Tests of src/auth/accounts.c against a real SQLite store. */
#include "../testutil.h"

#include "auth/accounts.h"
#include "auth/password.h"
#include "core/err.h"

static const struct audit_actor from = {0, NULL, "192.0.2.10", "unit-test"};
static const char pw[] = "correct horse battery";

static struct auth_limits limits(void)
{
    struct auth_limits l = {
        .max_failures_account = 3,
        .max_failures_ip = 5,
        .window_ms = 60000,
        .session = {.idle_ms = 3600000, .max_age_ms = 86400000},
    };
    return l;
}

static int setup(void **state)
{
    static struct test_db t;
    assert_int_equal(auth_password_init(), 0);
    test_db_open(&t);
    struct db_user u;
    assert_int_equal(auth_user_create(t.db, &from, "Admin@Example.com", "Admin", pw,
                                      AUTH_ROLE_ADMIN, 1000, &u),
                     0);
    assert_string_equal(u.email, "admin@example.com"); /* normalized */
    assert_int_equal(u.password_hash[0], '\0');         /* never handed back */
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    test_db_close(*state);
    return 0;
}

static void test_validation(void **state)
{
    (void)state;
    assert_null(auth_email_problem("a@b"));
    assert_non_null(auth_email_problem("no-at"));
    assert_non_null(auth_email_problem("a@b@c"));
    assert_non_null(auth_email_problem("a b@c"));
    assert_non_null(auth_email_problem("@b"));
    assert_null(auth_password_problem("123456789012"));     /* exactly 12 */
    assert_non_null(auth_password_problem("12345678901")); /* one short */
    assert_non_null(auth_name_problem(""));
    assert_non_null(auth_name_problem("a\nb"));
    char pwbuf[AUTH_GENERATED_PASSWORD_LEN + 1], pw2[AUTH_GENERATED_PASSWORD_LEN + 1];
    auth_password_generate(pwbuf);
    auth_password_generate(pw2);
    assert_int_equal(strlen(pwbuf), AUTH_GENERATED_PASSWORD_LEN);
    assert_string_not_equal(pwbuf, pw2);
    assert_null(auth_password_problem(pwbuf));
}

static void test_login_and_logout(void **state)
{
    struct test_db *t = *state;
    struct auth_limits l = limits();
    struct auth_login_result r;
    int64_t retry = 0;
    assert_int_equal(auth_login(t->db, &l, "ADMIN@example.com", pw, &from, 2000, &r, &retry), 0);
    assert_int_equal(strlen(r.token), AUTH_TOKEN_LEN);
    assert_true(r.expires_at == 2000 + l.session.max_age_ms);
    assert_true(r.user.last_login_at == 2000);
    struct auth_principal p;
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r.token, 2001, &p), 0);
    assert_int_equal(p.role, AUTH_ROLE_ADMIN);
    /* Expiry: idle and absolute. */
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r.token,
                                               2000 + l.session.idle_ms, &p),
                     SEAU_E_UNAUTHORIZED);
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r.token,
                                               2000 + l.session.max_age_ms, &p),
                     SEAU_E_UNAUTHORIZED);
    /* A token that is not ours, or altered. */
    char bad[AUTH_TOKEN_LEN + 1];
    memcpy(bad, r.token, sizeof(bad));
    bad[0] = bad[0] == 'A' ? 'B' : 'A';
    assert_int_equal(auth_session_authenticate(t->db, &l.session, bad, 2001, &p),
                     SEAU_E_UNAUTHORIZED);
    assert_int_equal(auth_session_authenticate(t->db, &l.session, "short", 2001, &p),
                     SEAU_E_UNAUTHORIZED);
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r.token, 2001, &p), 0);
    assert_int_equal(auth_logout(t->db, &p, &from, 2002), 0);
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r.token, 2003, &p),
                     SEAU_E_UNAUTHORIZED);
}

static void test_throttle(void **state)
{
    struct test_db *t = *state;
    struct auth_limits l = limits();
    struct auth_login_result r;
    int64_t retry = 0, now = 100000;
    /* Unknown and wrong are indistinguishable. */
    assert_int_equal(auth_login(t->db, &l, "ghost@example.com", pw, &from, now, &r, &retry),
                     SEAU_E_INVALID_CREDENTIALS);
    for (int i = 0; i < 3; i++)
        assert_int_equal(auth_login(t->db, &l, "admin@example.com", "wrong password!", &from,
                                    now + i, &r, &retry),
                         SEAU_E_INVALID_CREDENTIALS);
    /* Locked: even the right password is refused until the window ends. */
    assert_int_equal(auth_login(t->db, &l, "admin@example.com", pw, &from, now + 10, &r, &retry),
                     SEAU_E_RATE_LIMITED);
    assert_true(retry >= 59 && retry <= 60);
    assert_int_equal(auth_login(t->db, &l, "admin@example.com", pw, &from, now + 60001, &r,
                                &retry),
                     0);
}

static void test_ip_throttle(void **state)
{
    struct test_db *t = *state;
    struct auth_limits l = limits();
    struct audit_actor other = {0, NULL, "198.51.100.7", "unit-test"};
    struct auth_login_result r;
    int64_t retry = 0, now = 500000;
    for (int i = 0; i < 5; i++) {
        char email[32];
        snprintf(email, sizeof(email), "user%d@example.com", i);
        assert_int_equal(auth_login(t->db, &l, email, "wrong password!", &other, now, &r, &retry),
                         SEAU_E_INVALID_CREDENTIALS);
    }
    assert_int_equal(auth_login(t->db, &l, "admin@example.com", pw, &other, now, &r, &retry),
                     SEAU_E_RATE_LIMITED);
    /* Another address is not affected. */
    assert_int_equal(auth_login(t->db, &l, "admin@example.com", pw, &from, now, &r, &retry), 0);
}

static void test_update_rules(void **state)
{
    struct test_db *t = *state;
    struct auth_limits l = limits();
    struct db_user admin, bob;
    assert_int_equal(db_user_get_by_email(t->db, "admin@example.com", &admin), 0);
    assert_int_equal(auth_user_create(t->db, &from, "bob@example.com", "Bob", pw, AUTH_ROLE_USER,
                                      3000, &bob),
                     0);
    assert_int_equal(auth_user_create(t->db, &from, "BOB@example.com", "Bob 2", pw,
                                      AUTH_ROLE_USER, 3000, &bob),
                     SEAU_E_CONFLICT);
    assert_int_equal(db_user_get_by_email(t->db, "bob@example.com", &bob), 0);

    struct auth_login_result r1, r2;
    int64_t retry;
    assert_int_equal(auth_login(t->db, &l, "bob@example.com", pw, &from, 4000, &r1, &retry), 0);
    assert_int_equal(auth_login(t->db, &l, "bob@example.com", pw, &from, 4001, &r2, &retry), 0);
    struct auth_principal bob_p, admin_p;
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r1.token, 4002, &bob_p), 0);
    memset(&admin_p, 0, sizeof(admin_p));
    admin_p.user = admin;
    admin_p.role = AUTH_ROLE_ADMIN;

    struct db_user out;
    struct auth_user_patch p = {.name = "Robert"};
    assert_int_equal(auth_user_update(t->db, &l, &bob_p, &from, bob.id, &p, 5000, &out, &retry), 0);
    assert_string_equal(out.name, "Robert");
    /* A user may not change its role, nor touch anyone else. */
    struct auth_user_patch promote = {.role = "admin"};
    assert_int_equal(auth_user_update(t->db, &l, &bob_p, &from, bob.id, &promote, 5000, &out, &retry),
                     SEAU_E_FORBIDDEN);
    assert_int_equal(auth_user_update(t->db, &l, &bob_p, &from, admin.id, &p, 5000, &out, &retry),
                     SEAU_E_FORBIDDEN);
    /* Own password: current password required; other sessions end, this one stays. */
    struct auth_user_patch pwch = {.password = "a new password 42", .current_password = "nope"};
    assert_int_equal(auth_user_update(t->db, &l, &bob_p, &from, bob.id, &pwch, 5000, &out, &retry),
                     SEAU_E_CURRENT_PASSWORD);
    pwch.current_password = pw;
    assert_int_equal(auth_user_update(t->db, &l, &bob_p, &from, bob.id, &pwch, 5001, &out, &retry), 0);
    /* Guessing the current password is throttled like logins (3 failures per window here). */
    struct auth_user_patch guess = {.password = "yet another one 42", .current_password = "nope"};
    retry = 0;
    for (int i = 0; i < 2; i++)
        assert_int_equal(auth_user_update(t->db, &l, &bob_p, &from, bob.id, &guess, 5001, &out,
                                          &retry),
                         SEAU_E_CURRENT_PASSWORD);
    assert_int_equal(auth_user_update(t->db, &l, &bob_p, &from, bob.id, &guess, 5001, &out, &retry),
                     SEAU_E_RATE_LIMITED);
    assert_true(retry >= 59 && retry <= 60);
    struct auth_principal tmp;
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r1.token, 5002, &tmp), 0);
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r2.token, 5002, &tmp),
                     SEAU_E_UNAUTHORIZED);
    /* Disabling ends every session. */
    struct auth_user_patch dis = {.has_disabled = true, .disabled = true};
    assert_int_equal(auth_user_update(t->db, &l, &admin_p, &from, bob.id, &dis, 5003, &out, &retry), 0);
    assert_int_equal(auth_session_authenticate(t->db, &l.session, r1.token, 5004, &tmp),
                     SEAU_E_UNAUTHORIZED);
    /* The last admin stays. */
    struct auth_user_patch demote = {.role = "user"};
    assert_int_equal(auth_user_update(t->db, &l, &admin_p, &from, admin.id, &demote, 5005, &out, &retry),
                     SEAU_E_CONFLICT);
    assert_int_equal(auth_user_delete(t->db, &from, admin.id, 5006), SEAU_E_CONFLICT);
    struct db_user still;
    assert_int_equal(db_user_get(t->db, admin.id, &still), 0);
    assert_string_equal(still.role, "admin");
    /* Grants. */
    struct db_grant g[2] = {{"team-a", "", "full"}, {"shared", "reports/", "full"}};
    assert_int_equal(auth_grants_replace(t->db, &from, bob.id, g, 2, 5007), 0);
    struct db_grant *back = NULL;
    size_t n = 0;
    assert_int_equal(db_grants_get(t->db, bob.id, &back, &n), 0);
    assert_int_equal(n, 2);
    free(back);
    struct db_grant badg = {"Bad_Bucket", "", "full"};
    assert_int_equal(auth_grants_replace(t->db, &from, bob.id, &badg, 1, 5008), SEAU_E_VALIDATION);
    assert_int_equal(auth_grants_replace(t->db, &from, 999, g, 1, 5008), SEAU_E_NOT_FOUND);
    /* Deleting a user removes its grants with it. */
    assert_int_equal(auth_user_delete(t->db, &from, bob.id, 5009), 0);
    assert_int_equal(db_grants_get(t->db, bob.id, &back, &n), 0);
    assert_int_equal(n, 0);
    free(back);
    assert_int_equal(auth_user_delete(t->db, &from, bob.id, 5010), SEAU_E_NOT_FOUND);
    /* Every change above is in the audit log, and the chain holds. */
    struct audit_verify_result v;
    assert_int_equal(audit_verify(t->db, &v), 0);
    assert_int_equal(v.broken_id, 0);
    /* create x2, login x2, rename, password, disable, grants, delete: refusals add nothing. */
    assert_int_equal(v.entries, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test_setup_teardown(test_login_and_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ip_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
