/*
 * Tests of the store's sessions, second factors and personal access tokens
 * (src/db/{sqlite,postgres}/identity.c) through the services that use them
 * (auth/mfa.c, auth/tokens.c, auth/session.c, auth/explain.c), and of the
 * sign-in throttle per (account, address). Run on SQLite and, with the
 * fixture, on PostgreSQL (unit_db_postgres_identity).
 */
#include "../testutil.h"

#include "auth/accounts.h"
#include "auth/explain.h"
#include "auth/mfa.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "core/err.h"

static const char pw[] = "correct horse battery";
static const struct audit_actor addr_a = {0, NULL, "192.0.2.1", "agent A"};
static const struct audit_actor addr_b = {0, NULL, "198.51.100.2", "agent B"};
static const int64_t T0 = 1700000000000LL;

static struct auth_limits limits(void)
{
    struct auth_limits l = {
        .max_failures_account = 3,
        .max_failures_ip = 6,
        .window_ms = 60000,
        .session = {.idle_ms = 3600000, .max_age_ms = 86400000},
    };
    return l;
}

struct fixture {
    struct test_db t;
    struct db_user alice;
};

static int setup(void **state)
{
    static struct fixture f;
    assert_int_equal(auth_password_init(), 0);
    test_db_open(&f.t);
    assert_int_equal(auth_user_create(f.t.db, &addr_a, "alice@example.com", "Alice", pw,
                                      AUTH_ROLE_MANAGER, 1000, &f.alice),
                     0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_db_close(&f->t);
    return 0;
}

/* Signs in with the password alone; returns the principal of the new session. */
static void sign_in(struct db *db, const struct audit_actor *from, int64_t now,
                    struct auth_principal *ret)
{
    struct auth_limits l = limits();
    struct auth_login_result r;
    int64_t retry = 0;
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, from, now, &r, &retry), 0);
    assert_false(r.mfa_required);
    assert_int_equal(auth_session_authenticate(db, &l.session, r.token, now, ret), 0);
}

/* The code of the user's TOTP secret for the step of now. */
static void current_code(struct db *db, int64_t user_id, int64_t now, char out[7])
{
    struct db_mfa m;
    assert_int_equal(db_mfa_get(db, user_id, &m), 0);
    assert_int_equal(m.secret_len, AUTH_TOTP_SECRET_LEN);
    assert_int_equal(auth_totp_hotp(m.secret, m.secret_len, (uint64_t)auth_totp_step(now), 6, out),
                     0);
}

static void test_mfa_enrolment_and_sign_in(void **state)
{
    struct fixture *f = *state;
    struct db *db = f->t.db;
    struct auth_limits l = limits();
    struct auth_principal p;
    sign_in(db, &addr_a, T0, &p);
    assert_false(p.user.mfa);

    /* Set-up: not active until confirmed; a second set-up replaces the secret. */
    struct auth_mfa_setup_result s1, s2;
    assert_int_equal(auth_mfa_setup(db, &p, &addr_a, T0, &s1), 0);
    assert_int_equal(strlen(s1.secret), 32);
    assert_non_null(strstr(s1.otpauth_url, "otpauth://totp/Seau:alice@example.com?secret="));
    assert_non_null(strstr(s1.otpauth_url, s1.secret));
    assert_int_equal(auth_mfa_setup(db, &p, &addr_a, T0, &s2), 0);
    assert_string_not_equal(s1.secret, s2.secret);
    struct db_user u;
    assert_int_equal(db_user_get(db, f->alice.id, &u), 0);
    assert_false(u.mfa);

    /* Confirmation: a wrong code is refused; the right one gives ten distinct codes. */
    char codes[AUTH_MFA_RECOVERY_CODES][AUTH_MFA_RECOVERY_CODE_LEN + 1];
    int64_t retry = 0;
    assert_int_equal(auth_mfa_confirm(db, &l, &p, &addr_a, "000000", T0, codes, &retry),
                     SEAU_E_INVALID_CODE);
    char code[7];
    current_code(db, f->alice.id, T0, code);
    assert_int_equal(auth_mfa_confirm(db, &l, &p, &addr_a, code, T0, codes, &retry), 0);
    for (size_t i = 0; i < AUTH_MFA_RECOVERY_CODES; i++) {
        assert_int_equal(strlen(codes[i]), AUTH_MFA_RECOVERY_CODE_LEN);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(codes[i], codes[j]);
    }
    assert_int_equal(db_user_get(db, f->alice.id, &u), 0);
    assert_true(u.mfa);
    int64_t left = 0;
    assert_int_equal(db_mfa_recovery_left(db, f->alice.id, &left), 0);
    assert_int_equal(left, 10);
    /* Confirmed: a new set-up is refused, by the service and by the store (turn it off first). */
    p.user.mfa = true;
    assert_int_equal(auth_mfa_setup(db, &p, &addr_a, T0, &s1), SEAU_E_CONFLICT);
    p.user.mfa = false;
    assert_int_equal(auth_mfa_setup(db, &p, &addr_a, T0, &s1), SEAU_E_CONFLICT);

    /* The password now leads to a challenge, not a session. */
    struct auth_login_result r;
    int64_t t1 = T0 + 60000;
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, &addr_a, t1, &r, &retry), 0);
    assert_true(r.mfa_required);
    assert_int_equal(r.token[0], '\0');
    char challenge[AUTH_TOKEN_LEN + 1];
    memcpy(challenge, r.mfa_token, sizeof(challenge));
    /* A wrong code, then the right one. */
    assert_int_equal(auth_mfa_login(db, &l, challenge, "123456", &addr_a, t1, &r, &retry),
                     SEAU_E_INVALID_CODE);
    current_code(db, f->alice.id, t1, code);
    assert_int_equal(auth_mfa_login(db, &l, challenge, code, &addr_a, t1, &r, &retry), 0);
    assert_int_equal(strlen(r.token), AUTH_TOKEN_LEN);
    /* The challenge is spent, and the same code does not work twice. */
    assert_int_equal(auth_mfa_login(db, &l, challenge, code, &addr_a, t1, &r, &retry),
                     SEAU_E_UNAUTHORIZED);
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, &addr_a, t1, &r, &retry), 0);
    memcpy(challenge, r.mfa_token, sizeof(challenge));
    assert_int_equal(auth_mfa_login(db, &l, challenge, code, &addr_a, t1 + 1000, &r, &retry),
                     SEAU_E_INVALID_CODE);
    /* A recovery code works once, in any case and with or without dashes. */
    char lower[AUTH_MFA_RECOVERY_CODE_LEN + 1];
    for (size_t i = 0; i <= AUTH_MFA_RECOVERY_CODE_LEN; i++)
        lower[i] =
            (char)(codes[3][i] >= 'A' && codes[3][i] <= 'Z' ? codes[3][i] + 32 : codes[3][i]);
    assert_int_equal(auth_mfa_login(db, &l, challenge, lower, &addr_a, t1 + 1000, &r, &retry), 0);
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, &addr_b, t1, &r, &retry), 0);
    memcpy(challenge, r.mfa_token, sizeof(challenge));
    assert_int_equal(auth_mfa_login(db, &l, challenge, codes[3], &addr_b, t1 + 2000, &r, &retry),
                     SEAU_E_INVALID_CODE);
    assert_int_equal(db_mfa_recovery_left(db, f->alice.id, &left), 0);
    assert_int_equal(left, 9);
    /* A challenge expires. */
    assert_int_equal(auth_mfa_login(db, &l, challenge, codes[4], &addr_b,
                                    t1 + AUTH_MFA_CHALLENGE_MS + 1, &r, &retry),
                     SEAU_E_UNAUTHORIZED);

    /* Turning it off needs a code; then the password alone signs in again. */
    struct auth_principal me;
    memset(&me, 0, sizeof(me));
    me.role = AUTH_ROLE_MANAGER;
    assert_int_equal(db_user_get(db, f->alice.id, &me.user), 0);
    assert_int_equal(auth_mfa_disable(db, &l, &me, &addr_b, "000000", t1 + 3000, &retry),
                     SEAU_E_INVALID_CODE);
    assert_int_equal(auth_mfa_disable(db, &l, &me, &addr_b, codes[5], t1 + 3000, &retry), 0);
    assert_int_equal(db_mfa_get(db, f->alice.id, &(struct db_mfa){0}), SEAU_E_NOT_FOUND);
    assert_int_equal(db_mfa_recovery_left(db, f->alice.id, &left), 0);
    assert_int_equal(left, 0);
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, &addr_b, t1 + 4000, &r, &retry),
                     0);
    assert_false(r.mfa_required);
}

static void test_store_guards(void **state)
{
    struct fixture *f = *state;
    struct db *db = f->t.db;
    struct db_mfa m = {.user_id = f->alice.id, .secret_len = 20, .created_at = 5};
    memset(m.secret, 7, 20);
    unsigned char codes[2][DB_TOKEN_HASH_LEN];
    memset(codes[0], 1, DB_TOKEN_HASH_LEN);
    memset(codes[1], 2, DB_TOKEN_HASH_LEN);
    assert_int_equal(db_mfa_enable(db, f->alice.id, 10, (const unsigned char(*)[32])codes, 2, NULL),
                     SEAU_E_NOT_FOUND);
    assert_int_equal(db_mfa_setup(db, &m, NULL), 0);
    struct db_mfa back;
    assert_int_equal(db_mfa_get(db, f->alice.id, &back), 0);
    assert_false(back.enabled);
    assert_memory_equal(back.secret, m.secret, 20);
    /* Not enabled: no step is accepted. */
    assert_int_equal(db_mfa_use_step(db, f->alice.id, 11), SEAU_E_CONFLICT);
    assert_int_equal(db_mfa_enable(db, f->alice.id, 10, (const unsigned char(*)[32])codes, 2, NULL),
                     0);
    assert_int_equal(db_mfa_enable(db, f->alice.id, 12, (const unsigned char(*)[32])codes, 2, NULL),
                     SEAU_E_CONFLICT);
    assert_int_equal(db_mfa_setup(db, &m, NULL), SEAU_E_CONFLICT);
    /* Steps only go up. */
    assert_int_equal(db_mfa_use_step(db, f->alice.id, 10), SEAU_E_CONFLICT);
    assert_int_equal(db_mfa_use_step(db, f->alice.id, 11), 0);
    assert_int_equal(db_mfa_use_step(db, f->alice.id, 11), SEAU_E_CONFLICT);
    /* Recovery codes once each. */
    assert_int_equal(db_mfa_use_recovery(db, f->alice.id, codes[1], 20), 0);
    assert_int_equal(db_mfa_use_recovery(db, f->alice.id, codes[1], 21), SEAU_E_NOT_FOUND);
    unsigned char other[DB_TOKEN_HASH_LEN];
    memset(other, 9, sizeof(other));
    assert_int_equal(db_mfa_use_recovery(db, f->alice.id, other, 21), SEAU_E_NOT_FOUND);
    /* Challenges live until they expire. */
    assert_int_equal(db_mfa_challenge_create(db, other, f->alice.id, 100, 200), 0);
    int64_t uid = 0;
    assert_int_equal(db_mfa_challenge_get(db, other, 199, &uid), 0);
    assert_int_equal(uid, f->alice.id);
    assert_int_equal(db_mfa_challenge_get(db, other, 200, &uid), SEAU_E_NOT_FOUND);
    /* Everything dies with the account. */
    struct db_audit_entry e;
    audit_entry_init(&e, &addr_a, "user.delete", "success", NULL, 30);
    struct db_user admin;
    assert_int_equal(auth_user_create(db, &addr_a, "root@example.com", "Root", pw, AUTH_ROLE_ADMIN,
                                      1000, &admin),
                     0);
    assert_int_equal(db_user_delete(db, f->alice.id, &e), 0);
    assert_int_equal(db_mfa_get(db, f->alice.id, &back), SEAU_E_NOT_FOUND);
    assert_int_equal(db_mfa_challenge_get(db, other, 150, &uid), SEAU_E_NOT_FOUND);
}

/*
 * Failures count per (account, address) and per address: a stranger at A
 * locks A out of the account, not the owner at B.
 */
static void test_lockout_per_pair(void **state)
{
    struct fixture *f = *state;
    struct db *db = f->t.db;
    struct auth_limits l = limits();
    struct auth_login_result r;
    int64_t retry = 0, now = T0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            auth_login(db, &l, "alice@example.com", "wrong password!", &addr_a, now, &r, &retry),
            SEAU_E_INVALID_CREDENTIALS);
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, &addr_a, now, &r, &retry),
                     SEAU_E_RATE_LIMITED);
    assert_true(retry >= 59 && retry <= 60);
    /* The owner elsewhere still gets in. */
    assert_int_equal(auth_login(db, &l, "ALICE@example.com", pw, &addr_b, now, &r, &retry), 0);
    struct db_throttle t;
    assert_int_equal(db_throttle_get(db, "pair:192.0.2.1|alice@example.com", &t), 0);
    assert_int_equal(t.failures, 3);
    assert_int_equal(db_throttle_get(db, "ip:192.0.2.1", &t), 0);
    assert_int_equal(t.failures, 3);
    assert_int_equal(db_throttle_get(db, "acct:alice@example.com", &t), 0);
    assert_int_equal(t.failures, 0); /* no per-account counter any more */
    /* Per address, across accounts: 6 failures lock address A out of every account. */
    for (int i = 0; i < 3; i++) {
        char email[32];
        snprintf(email, sizeof(email), "nobody%d@example.com", i);
        assert_int_equal(auth_login(db, &l, email, "wrong password!", &addr_a, now, &r, &retry),
                         SEAU_E_INVALID_CREDENTIALS);
    }
    struct db_user bob;
    assert_int_equal(
        auth_user_create(db, &addr_a, "bob@example.com", "Bob", pw, AUTH_ROLE_USER, 1000, &bob), 0);
    assert_int_equal(auth_login(db, &l, "bob@example.com", pw, &addr_a, now, &r, &retry),
                     SEAU_E_RATE_LIMITED);
    assert_int_equal(auth_login(db, &l, "bob@example.com", pw, &addr_b, now, &r, &retry), 0);
    /* The window passes. */
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, &addr_a, now + 60001, &r, &retry),
                     0);
}

/* Wrong second-factor codes count on the same pair as wrong passwords. */
static void test_lockout_counts_codes(void **state)
{
    struct fixture *f = *state;
    struct db *db = f->t.db;
    struct auth_limits l = limits();
    struct auth_principal p;
    sign_in(db, &addr_b, T0, &p);
    struct auth_mfa_setup_result s;
    assert_int_equal(auth_mfa_setup(db, &p, &addr_b, T0, &s), 0);
    char code[7], codes[AUTH_MFA_RECOVERY_CODES][AUTH_MFA_RECOVERY_CODE_LEN + 1];
    int64_t retry = 0;
    current_code(db, f->alice.id, T0, code);
    assert_int_equal(auth_mfa_confirm(db, &l, &p, &addr_b, code, T0, codes, &retry), 0);
    struct auth_login_result r;
    int64_t now = T0 + 120000;
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, &addr_a, now, &r, &retry), 0);
    char challenge[AUTH_TOKEN_LEN + 1];
    memcpy(challenge, r.mfa_token, sizeof(challenge));
    for (int i = 0; i < 3; i++)
        assert_int_equal(auth_mfa_login(db, &l, challenge, "000000", &addr_a, now, &r, &retry),
                         SEAU_E_INVALID_CODE);
    current_code(db, f->alice.id, now, code);
    assert_int_equal(auth_mfa_login(db, &l, challenge, code, &addr_a, now, &r, &retry),
                     SEAU_E_RATE_LIMITED);
    /* Password and code from B still get in. */
    assert_int_equal(auth_login(db, &l, "alice@example.com", pw, &addr_b, now, &r, &retry), 0);
    memcpy(challenge, r.mfa_token, sizeof(challenge));
    assert_int_equal(auth_mfa_login(db, &l, challenge, code, &addr_b, now, &r, &retry), 0);
}

static void test_sessions(void **state)
{
    struct fixture *f = *state;
    struct db *db = f->t.db;
    struct auth_limits l = limits();
    struct auth_principal a, b, c;
    sign_in(db, &addr_a, T0, &a);
    sign_in(db, &addr_b, T0 + 1, &b);
    sign_in(db, &addr_b, T0 + 2, &c);
    struct db_session *rows = NULL;
    size_t n = 0;
    assert_int_equal(auth_sessions_list(db, &l.session, &a, T0 + 3, &rows, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[2].ip, "192.0.2.1");
    assert_string_equal(rows[2].user_agent, "agent A");
    assert_string_equal(rows[2].id, a.session.id);
    assert_int_equal(strlen(a.session.id), 32);
    free(rows);
    /* One by id (only one's own), then all but the current. */
    assert_int_equal(auth_session_end(db, &a, &addr_a, b.session.id, T0 + 4), 0);
    assert_int_equal(auth_session_end(db, &a, &addr_a, b.session.id, T0 + 4), SEAU_E_NOT_FOUND);
    int64_t ended = 0;
    assert_int_equal(auth_sessions_end_others(db, &a, &addr_a, T0 + 5, &ended), 0);
    assert_int_equal(ended, 1);
    assert_int_equal(auth_sessions_list(db, &l.session, &a, T0 + 6, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, a.session.id);
    free(rows);
    struct auth_principal gone;
    (void)c;
    assert_int_equal(db_session_get(db, c.token_hash, &gone.session, &gone.user), SEAU_E_NOT_FOUND);
    /* Idle sessions are not listed. */
    assert_int_equal(auth_sessions_list(db, &l.session, &a, T0 + l.session.idle_ms + 10, &rows, &n),
                     0);
    assert_int_equal(n, 0);
    free(rows);
}

static void test_tokens(void **state)
{
    struct fixture *f = *state;
    struct db *db = f->t.db;
    struct auth_limits l = limits();
    struct auth_principal p, tp;
    sign_in(db, &addr_a, T0, &p);
    char token[AUTH_PAT_LEN + 1];
    struct db_pat t;
    assert_int_equal(auth_pat_create(db, &p, &addr_a, "", 0, T0, token, &t), SEAU_E_VALIDATION);
    assert_int_equal(auth_pat_create(db, &p, &addr_a, "backup", -1, T0, token, &t),
                     SEAU_E_VALIDATION);
    assert_int_equal(auth_pat_create(db, &p, &addr_a, "backup", 3600, T0, token, &t), 0);
    assert_int_equal(strlen(token), AUTH_PAT_LEN);
    assert_int_equal(strncmp(token, "seau_", 5), 0);
    assert_true(t.expires_at == T0 + 3600000);
    assert_int_equal(auth_pat_authenticate(db, &l.session, token, T0 + 1, &tp), 0);
    assert_true(tp.via_pat);
    assert_int_equal(tp.user.id, f->alice.id);
    assert_int_equal(tp.role, AUTH_ROLE_MANAGER);
    /* A token cannot make tokens. */
    char t2[AUTH_PAT_LEN + 1];
    struct db_pat r2;
    assert_int_equal(auth_pat_create(db, &tp, &addr_a, "x", 0, T0, t2, &r2), SEAU_E_FORBIDDEN);
    /* Listed with its last use, never with the token. */
    struct db_pat *rows = NULL;
    size_t n = 0;
    assert_int_equal(auth_pat_list(db, &p, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_true(rows[0].last_used_at == T0 + 1);
    assert_string_equal(rows[0].name, "backup");
    free(rows);
    /* Altered, expired. */
    char bad[AUTH_PAT_LEN + 1];
    memcpy(bad, token, sizeof(bad));
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    assert_int_equal(auth_pat_authenticate(db, &l.session, bad, T0 + 2, &tp), SEAU_E_UNAUTHORIZED);
    assert_int_equal(auth_pat_authenticate(db, &l.session, token, T0 + 3600000, &tp),
                     SEAU_E_UNAUTHORIZED);
    /* Revoked. */
    assert_int_equal(auth_pat_create(db, &p, &addr_a, "ci", 0, T0, t2, &r2), 0);
    assert_int_equal(auth_pat_authenticate(db, &l.session, t2, T0 + 5, &tp), 0);
    assert_int_equal(auth_pat_revoke(db, &p, &addr_a, r2.id, T0 + 6), 0);
    assert_int_equal(auth_pat_revoke(db, &p, &addr_a, r2.id, T0 + 6), SEAU_E_NOT_FOUND);
    assert_int_equal(auth_pat_authenticate(db, &l.session, t2, T0 + 7, &tp), SEAU_E_UNAUTHORIZED);
    /* Dies with its owner. */
    assert_int_equal(auth_pat_create(db, &p, &addr_a, "last", 0, T0, t2, &r2), 0);
    struct db_user admin;
    assert_int_equal(auth_user_create(db, &addr_a, "root@example.com", "Root", pw, AUTH_ROLE_ADMIN,
                                      1000, &admin),
                     0);
    assert_int_equal(auth_user_delete(db, &addr_a, f->alice.id, T0 + 8), 0);
    assert_int_equal(auth_pat_authenticate(db, &l.session, t2, T0 + 9, &tp), SEAU_E_UNAUTHORIZED);
}

/* The explainer answers what auth_can answers, with the grant it rests on. */
static void test_explain(void **state)
{
    struct fixture *f = *state;
    struct db *db = f->t.db;
    struct db_user bob;
    assert_int_equal(
        auth_user_create(db, &addr_a, "bob@example.com", "Bob", pw, AUTH_ROLE_USER, 1000, &bob), 0);
    struct db_grant g[2] = {{"team", "reports/", "full"}, {"open", "", "full"}};
    assert_int_equal(auth_grants_replace(db, &addr_a, bob.id, g, 2, 2000), 0);
    struct auth_explanation x;
    assert_int_equal(
        auth_access_explain(db, bob.id, "team", "reports/q1.pdf", AUTH_OBJECT_READ, &x), 0);
    assert_true(x.allowed);
    assert_true(x.has_grant);
    assert_string_equal(x.grant.bucket, "team");
    assert_string_equal(x.grant.prefix, "reports/");
    assert_int_equal(auth_access_explain(db, bob.id, "team", "private/x", AUTH_OBJECT_READ, &x), 0);
    assert_false(x.allowed);
    assert_int_equal(x.rc, SEAU_E_NOT_FOUND);
    assert_false(x.has_grant);
    assert_non_null(strstr(x.reason, "no grant"));
    /* A user deletes only what it uploaded: the owner comes from the object index. */
    struct db_object o = {.bucket = "open", .key = "mine.txt", .uploaded_by = bob.id, .size = 1};
    assert_int_equal(db_object_upsert(db, &o), 0);
    assert_int_equal(auth_access_explain(db, bob.id, "open", "mine.txt", AUTH_OBJECT_DELETE, &x),
                     0);
    assert_true(x.allowed);
    assert_int_equal(auth_access_explain(db, bob.id, "open", "theirs.txt", AUTH_OBJECT_DELETE, &x),
                     0);
    assert_false(x.allowed);
    assert_int_equal(x.rc, SEAU_E_FORBIDDEN);
    assert_string_equal(x.grant.bucket, "open");
    assert_int_equal(auth_access_explain(db, bob.id, "open", "a", AUTH_SHARE_CREATE, &x), 0);
    assert_false(x.allowed);
    assert_int_equal(auth_access_explain(db, f->alice.id, "open", "a", AUTH_OBJECT_READ, &x), 0);
    assert_false(x.allowed); /* a manager without grants */
    assert_int_equal(auth_access_explain(db, 9999, "open", "a", AUTH_OBJECT_READ, &x),
                     SEAU_E_NOT_FOUND);
    enum auth_action a;
    assert_true(auth_explain_action("upload", &a));
    assert_int_equal(a, AUTH_OBJECT_WRITE);
    assert_false(auth_explain_action("rename", &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mfa_enrolment_and_sign_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_guards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockout_per_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockout_counts_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
