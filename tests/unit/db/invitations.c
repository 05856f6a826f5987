/*
 * Tests of the store's invitations and of users.must_change_password
 * (src/db/{sqlite,postgres}/accounts.c, migration 0014), directly and
 * through the service that uses them (auth/invitations.c, auth/accounts.c).
 * Run on SQLite and, with the fixture, on PostgreSQL
 * (unit_db_postgres_invitations).
 */
#include "../testutil.h"

#include "auth/accounts.h"
#include "auth/invitations.h"
#include "auth/password.h"
#include "core/err.h"

#include <pthread.h>

static const char pw[] = "correct horse battery";
static const struct audit_actor admin_from = {1, "root@example.com", "192.0.2.1", "agent A"};
static const struct audit_actor stranger = {0, NULL, "198.51.100.2", "agent B"};
static const int64_t T0 = 1700000000000LL;
static const int64_t DAY = 86400000LL;

static struct auth_limits limits(void)
{
    struct auth_limits l = {
        .max_failures_account = 3,
        .max_failures_ip = 100,
        .window_ms = 60000,
        .session = {.idle_ms = 3600000, .max_age_ms = 86400000},
        .force_password_change = true,
    };
    return l;
}

static int setup(void **state)
{
    static struct test_db t;
    assert_int_equal(auth_password_init(), 0);
    test_db_open(&t);
    /* An enabled admin, so that updating the others never removes the last one. */
    struct db_user root;
    memset(&root, 0, sizeof(root));
    snprintf(root.email, sizeof(root.email), "first-admin@example.com");
    snprintf(root.name, sizeof(root.name), "First");
    snprintf(root.role, sizeof(root.role), "admin");
    snprintf(root.password_hash, sizeof(root.password_hash), "x");
    root.created_at = T0;
    assert_int_equal(db_user_insert(t.db, &root, NULL), 0);
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    test_db_close(*state);
    return 0;
}

/* An account with no usable password, as an invitation makes it. */
static struct db_user passwordless(struct db *db, const char *email)
{
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "%s", email);
    snprintf(u.name, sizeof(u.name), "Invited");
    snprintf(u.role, sizeof(u.role), "user");
    u.created_at = T0;
    assert_int_equal(db_user_insert(db, &u, NULL), 0);
    return u;
}

static struct db_invitation invitation(int64_t user_id, unsigned char seed, int64_t expires_at)
{
    struct db_invitation inv;
    memset(&inv, 0, sizeof(inv));
    memset(inv.token_hash, seed, sizeof(inv.token_hash));
    inv.user_id = user_id;
    inv.created_by = 0;
    inv.created_at = T0;
    inv.expires_at = expires_at;
    return inv;
}

static size_t count_action(struct db *db, const char *action)
{
    struct db_audit_filter f = {.action = action, .limit = 100};
    struct db_audit_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, &e, &n), 0);
    db_audit_entries_free(e, n);
    return n;
}

/* put, get, a second put invalidating the first, accept once, then never again. */
static void test_store_single_use(void **state)
{
    struct db *db = ((struct test_db *)*state)->db;
    struct db_user u = passwordless(db, "ines@example.com");
    struct db_invitation a = invitation(u.id, 0xA1, T0 + DAY);
    struct db_audit_entry e;
    audit_entry_init(&e, &admin_from, "user.invitation_created", "success", NULL, T0);
    assert_int_equal(db_invitation_put(db, &a, &e), 0);
    assert_int_equal(count_action(db, "user.invitation_created"), 1);

    struct db_invitation got;
    struct db_user gu;
    assert_int_equal(db_invitation_get(db, a.token_hash, T0 + 1, &got, &gu), 0);
    assert_int_equal(got.user_id, u.id);
    assert_int_equal(got.expires_at, T0 + DAY);
    assert_int_equal(got.created_at, T0);
    assert_string_equal(gu.email, "ines@example.com");
    assert_string_equal(gu.password_hash, "");
    /* Expiry is exclusive: at expires_at the link is dead. */
    assert_int_equal(db_invitation_get(db, a.token_hash, T0 + DAY, &got, &gu), SEAU_E_NOT_FOUND);
    unsigned char unknown[DB_TOKEN_HASH_LEN];
    memset(unknown, 0x55, sizeof(unknown));
    assert_int_equal(db_invitation_get(db, unknown, T0, &got, &gu), SEAU_E_NOT_FOUND);

    /* A new link for the account: the old one stops working. */
    struct db_invitation b = invitation(u.id, 0xB2, T0 + DAY);
    b.created_by = 1;
    assert_int_equal(db_invitation_put(db, &b, NULL), 0);
    assert_int_equal(db_invitation_get(db, a.token_hash, T0 + 1, &got, &gu), SEAU_E_NOT_FOUND);
    assert_int_equal(db_invitation_get(db, b.token_hash, T0 + 1, &got, &gu), 0);
    assert_int_equal(got.created_by, 1);
    assert_int_equal(db_invitation_accept(db, a.token_hash, T0 + 2, "hash-a", NULL, &gu),
                     SEAU_E_NOT_FOUND);

    /* Taken once: the password is set (and must_change cleared), with its audit entry. */
    assert_int_equal(db_user_get(db, u.id, &gu), 0);
    gu.must_change_password = true;
    assert_int_equal(db_user_update(db, &gu, DB_REVOKE_NONE, NULL, NULL), 0);
    audit_entry_init(&e, &stranger, "user.invitation_accepted", "success", NULL, T0 + 3);
    struct db_user after;
    assert_int_equal(db_invitation_accept(db, b.token_hash, T0 + 3, "hash-b", &e, &after), 0);
    assert_int_equal(after.id, u.id);
    assert_string_equal(after.password_hash, "hash-b");
    assert_false(after.must_change_password);
    assert_int_equal(count_action(db, "user.invitation_accepted"), 1);
    assert_int_equal(db_user_get(db, u.id, &gu), 0);
    assert_string_equal(gu.password_hash, "hash-b");

    /* Never again, on either path; the password stays. */
    assert_int_equal(db_invitation_get(db, b.token_hash, T0 + 4, &got, &gu), SEAU_E_NOT_FOUND);
    audit_entry_init(&e, &stranger, "user.invitation_accepted", "success", NULL, T0 + 4);
    assert_int_equal(db_invitation_accept(db, b.token_hash, T0 + 4, "hash-c", &e, &after),
                     SEAU_E_NOT_FOUND);
    assert_int_equal(count_action(db, "user.invitation_accepted"), 1);
    assert_int_equal(db_user_get(db, u.id, &gu), 0);
    assert_string_equal(gu.password_hash, "hash-b");
}

/* Expired and disabled: nothing changes, and a refused accept leaves the link as it was. */
static void test_store_refusals(void **state)
{
    struct db *db = ((struct test_db *)*state)->db;
    struct db_user u = passwordless(db, "late@example.com");
    struct db_invitation a = invitation(u.id, 0xC3, T0 + 10);
    assert_int_equal(db_invitation_put(db, &a, NULL), 0);
    struct db_user gu;
    assert_int_equal(db_invitation_accept(db, a.token_hash, T0 + 10, "h", NULL, &gu),
                     SEAU_E_NOT_FOUND);
    assert_int_equal(db_user_get(db, u.id, &gu), 0);
    assert_string_equal(gu.password_hash, "");

    struct db_user v = passwordless(db, "off@example.com");
    struct db_invitation b = invitation(v.id, 0xD4, T0 + DAY);
    assert_int_equal(db_invitation_put(db, &b, NULL), 0);
    assert_int_equal(db_user_get(db, v.id, &gu), 0);
    gu.disabled = true;
    assert_int_equal(db_user_update(db, &gu, DB_REVOKE_ALL, NULL, NULL), 0);
    struct db_invitation got;
    assert_int_equal(db_invitation_get(db, b.token_hash, T0, &got, &gu), SEAU_E_NOT_FOUND);
    assert_int_equal(db_invitation_accept(db, b.token_hash, T0, "h", NULL, &gu), SEAU_E_NOT_FOUND);
    /* Enabled again: the link was not used up by the refusal (its transaction rolled back). */
    assert_int_equal(db_user_get(db, v.id, &gu), 0);
    gu.disabled = false;
    assert_int_equal(db_user_update(db, &gu, DB_REVOKE_NONE, NULL, NULL), 0);
    assert_int_equal(db_invitation_accept(db, b.token_hash, T0, "h", NULL, &gu), 0);

    /* An account that is gone has no links, and gets none. */
    struct db_invitation c = invitation(999999, 0xE5, T0 + DAY);
    assert_int_equal(db_invitation_put(db, &c, NULL), SEAU_E_NOT_FOUND);
    struct db_user w = passwordless(db, "gone@example.com");
    struct db_invitation d = invitation(w.id, 0xF6, T0 + DAY);
    assert_int_equal(db_invitation_put(db, &d, NULL), 0);
    assert_int_equal(db_user_delete(db, w.id, NULL), 0);
    assert_int_equal(db_invitation_get(db, d.token_hash, T0, &got, &gu), SEAU_E_NOT_FOUND);
}

/* users.must_change_password goes in and out with the user, its sessions included. */
static void test_store_must_change(void **state)
{
    struct db *db = ((struct test_db *)*state)->db;
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "temp@example.com");
    snprintf(u.name, sizeof(u.name), "Temp");
    snprintf(u.role, sizeof(u.role), "user");
    snprintf(u.password_hash, sizeof(u.password_hash), "h");
    u.must_change_password = true;
    u.created_at = T0;
    assert_int_equal(db_user_insert(db, &u, NULL), 0);
    struct db_user g;
    assert_int_equal(db_user_get(db, u.id, &g), 0);
    assert_true(g.must_change_password);
    assert_int_equal(db_user_get_by_email(db, "temp@example.com", &g), 0);
    assert_true(g.must_change_password);
    struct db_session s;
    memset(&s, 0, sizeof(s));
    memset(s.token_hash, 0x33, sizeof(s.token_hash));
    s.user_id = u.id;
    s.created_at = s.last_seen_at = T0;
    s.expires_at = T0 + DAY;
    snprintf(s.id, sizeof(s.id), "abc");
    snprintf(s.ip, sizeof(s.ip), "192.0.2.9");
    snprintf(s.user_agent, sizeof(s.user_agent), "agent");
    assert_int_equal(db_session_create(db, &s, NULL), 0);
    struct db_session gs;
    assert_int_equal(db_session_get(db, s.token_hash, &gs, &g), 0);
    assert_true(g.must_change_password);
    /* The columns after the user's are still where they were. */
    assert_string_equal(gs.id, "abc");
    assert_string_equal(gs.ip, "192.0.2.9");
    assert_string_equal(gs.user_agent, "agent");
    g.must_change_password = false;
    assert_int_equal(db_user_update(db, &g, DB_REVOKE_NONE, NULL, NULL), 0);
    assert_int_equal(db_user_get(db, u.id, &g), 0);
    assert_false(g.must_change_password);
    struct db_user *all = NULL;
    size_t n = 0;
    assert_int_equal(db_user_list(db, &all, &n), 0);
    assert_int_equal(n, 2);
    assert_false(all[0].must_change_password);
    assert_false(all[1].must_change_password);
    free(all);
}

struct race {
    struct db *db;
    unsigned char hash[DB_TOKEN_HASH_LEN];
    int rc;
};

static void *accept_once(void *arg)
{
    struct race *r = arg;
    struct db_user u;
    r->rc = db_invitation_accept(r->db, r->hash, T0 + 1, "raced", NULL, &u);
    return NULL;
}

/* Many takers at once (threads on one pool, as replicas on one database): exactly one wins. */
static void test_store_race(void **state)
{
    struct db *db = ((struct test_db *)*state)->db;
    struct db_user u = passwordless(db, "race@example.com");
    struct db_invitation a = invitation(u.id, 0x77, T0 + DAY);
    assert_int_equal(db_invitation_put(db, &a, NULL), 0);
    enum { N = 6 };
    struct race r[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        r[i].db = db;
        memcpy(r[i].hash, a.token_hash, DB_TOKEN_HASH_LEN);
        assert_int_equal(pthread_create(&th[i], NULL, accept_once, &r[i]), 0);
    }
    int won = 0, lost = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        won += r[i].rc == 0;
        lost += r[i].rc == SEAU_E_NOT_FOUND;
    }
    assert_int_equal(won, 1);
    assert_int_equal(lost, N - 1);
}

/* The service: invite, look up, accept (signed in), then the password works. */
static void test_service_flow(void **state)
{
    struct db *db = ((struct test_db *)*state)->db;
    struct auth_limits l = limits();
    struct db_user u;
    struct auth_invitation inv;
    assert_int_equal(auth_invite_user(db, &admin_from, "Nadia@Example.com", "Nadia", AUTH_ROLE_USER,
                                      7 * DAY, T0, &u, &inv),
                     0);
    assert_string_equal(u.email, "nadia@example.com");
    assert_int_equal(strlen(inv.token), AUTH_TOKEN_LEN);
    assert_int_equal(inv.expires_at, T0 + 7 * DAY);
    assert_int_equal(auth_invite_user(db, &admin_from, "NADIA@example.com", "N", AUTH_ROLE_USER,
                                      DAY, T0, &u, &inv),
                     SEAU_E_CONFLICT);
    assert_int_equal(auth_invite_user(db, &admin_from, "x", "N", AUTH_ROLE_USER, DAY, T0, &u, &inv),
                     SEAU_E_VALIDATION);
    assert_int_equal(auth_invite_user(db, &admin_from, "nadia@example.com", "N", AUTH_ROLE_USER,
                                      7 * DAY, T0, &u, &inv),
                     SEAU_E_CONFLICT);
    /* The first link was overwritten by nothing: look it up again from a fresh invite. */
    struct db_user v;
    struct auth_invitation first;
    assert_int_equal(auth_invite_user(db, &admin_from, "omar@example.com", "Omar",
                                      AUTH_ROLE_MANAGER, DAY, T0, &v, &first),
                     0);

    /* No password signs in before the link is used, with the same answer as a wrong one. */
    struct auth_login_result res;
    int64_t retry = 0;
    assert_int_equal(auth_login(db, &l, "omar@example.com", "", &stranger, T0, &res, &retry),
                     SEAU_E_INVALID_CREDENTIALS);
    assert_int_equal(auth_login(db, &l, "omar@example.com", pw, &stranger, T0, &res, &retry),
                     SEAU_E_INVALID_CREDENTIALS);

    struct db_user seen;
    int64_t expires = 0;
    assert_int_equal(
        auth_invitation_lookup(db, &l, first.token, &stranger, T0 + 1, &seen, &expires, &retry), 0);
    assert_string_equal(seen.email, "omar@example.com");
    assert_string_equal(seen.password_hash, "");
    assert_int_equal(expires, T0 + DAY);
    assert_int_equal(
        auth_invitation_accept(db, &l, first.token, "short", &stranger, T0 + 2, &res, &retry),
        SEAU_E_VALIDATION);
    assert_int_equal(
        auth_invitation_accept(db, &l, first.token, pw, &stranger, T0 + 2, &res, &retry), 0);
    assert_int_equal(res.user.id, v.id);
    assert_false(res.mfa_required);
    assert_int_equal(strlen(res.token), AUTH_TOKEN_LEN);
    assert_string_equal(res.user.password_hash, "");
    struct auth_principal p;
    assert_int_equal(auth_session_authenticate(db, &l.session, res.token, T0 + 3, &p), 0);
    assert_int_equal(p.user.id, v.id);
    assert_int_equal(
        auth_invitation_accept(db, &l, first.token, pw, &stranger, T0 + 4, &res, &retry),
        SEAU_E_INVALID_INVITATION);
    assert_int_equal(auth_login(db, &l, "omar@example.com", pw, &stranger, T0 + 5, &res, &retry),
                     0);
    assert_int_equal(count_action(db, "user.invitation_created"), 2);
    assert_int_equal(count_action(db, "user.invitation_accepted"), 1);

    /* A fresh link only for an account without a password. */
    struct auth_invitation again;
    assert_int_equal(auth_invitation_reissue(db, &admin_from, v.id, DAY, T0, &seen, &again),
                     SEAU_E_CONFLICT);
    assert_int_equal(auth_invitation_reissue(db, &admin_from, 424242, DAY, T0, &seen, &again),
                     SEAU_E_NOT_FOUND);
    assert_int_equal(auth_invitation_reissue(db, &admin_from, u.id, DAY, T0, &seen, &again), 0);
    assert_int_equal(count_action(db, "user.invitation_resent"), 1);
    assert_int_equal(
        auth_invitation_lookup(db, &l, inv.token, &stranger, T0, &seen, &expires, &retry),
        SEAU_E_INVALID_INVITATION);
    assert_int_equal(
        auth_invitation_lookup(db, &l, again.token, &stranger, T0, &seen, &expires, &retry), 0);
}

/* Wrong links count like wrong passwords, per address: then even the right one waits. */
static void test_service_throttle(void **state)
{
    struct db *db = ((struct test_db *)*state)->db;
    struct auth_limits l = limits();
    struct db_user u, seen;
    struct auth_invitation inv;
    assert_int_equal(
        auth_invite_user(db, &admin_from, "g@example.com", "G", AUTH_ROLE_USER, DAY, T0, &u, &inv),
        0);
    int64_t expires = 0, retry = 0;
    const char *bad[] = {"", "not-a-token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(
            auth_invitation_lookup(db, &l, bad[i], &stranger, T0, &seen, &expires, &retry),
            SEAU_E_INVALID_INVITATION);
    assert_int_equal(
        auth_invitation_lookup(db, &l, inv.token, &stranger, T0, &seen, &expires, &retry),
        SEAU_E_RATE_LIMITED);
    assert_true(retry > 0);
    /* Another address is not affected. */
    assert_int_equal(
        auth_invitation_lookup(db, &l, inv.token, &admin_from, T0, &seen, &expires, &retry), 0);
    /* After the window, the first address may try again. */
    assert_int_equal(
        auth_invitation_lookup(db, &l, inv.token, &stranger, T0 + 60001, &seen, &expires, &retry),
        0);
}

/* An admin-chosen password is temporary; one's own clears it (SEAU_FORCE_PASSWORD_CHANGE). */
static void test_service_must_change(void **state)
{
    struct db *db = ((struct test_db *)*state)->db;
    struct auth_limits l = limits();
    struct db_user root, u, out;
    assert_int_equal(auth_user_create(db, &admin_from, "root@example.com", "Root", pw,
                                      AUTH_ROLE_ADMIN, T0, &root),
                     0);
    assert_false(root.must_change_password);
    assert_int_equal(auth_user_create_temporary(db, &admin_from, "temp@example.com", "Temp", pw,
                                                AUTH_ROLE_USER, true, T0, &u),
                     0);
    assert_true(u.must_change_password);
    struct auth_login_result res;
    int64_t retry = 0;
    assert_int_equal(auth_login(db, &l, "temp@example.com", pw, &stranger, T0, &res, &retry), 0);
    assert_true(res.user.must_change_password);
    struct auth_principal self;
    assert_int_equal(auth_session_authenticate(db, &l.session, res.token, T0, &self), 0);
    assert_true(self.user.must_change_password);

    struct auth_user_patch patch = {.password = "my own password 123", .current_password = pw};
    assert_int_equal(auth_user_update(db, &l, &self, &stranger, u.id, &patch, T0 + 1, &out, &retry),
                     0);
    assert_false(out.must_change_password);
    assert_int_equal(db_user_get(db, u.id, &out), 0);
    assert_false(out.must_change_password);

    /* The admin sets it again: temporary again, unless the setting is off. */
    struct auth_principal admin;
    memset(&admin, 0, sizeof(admin));
    admin.user = root;
    admin.role = AUTH_ROLE_ADMIN;
    struct auth_user_patch reset = {.password = "set by the admin 123"};
    assert_int_equal(
        auth_user_update(db, &l, &admin, &admin_from, u.id, &reset, T0 + 2, &out, &retry), 0);
    assert_true(out.must_change_password);
    l.force_password_change = false;
    assert_int_equal(
        auth_user_update(db, &l, &admin, &admin_from, u.id, &reset, T0 + 3, &out, &retry), 0);
    assert_false(out.must_change_password);
    /* Other changes leave it as it is. */
    l.force_password_change = true;
    assert_int_equal(
        auth_user_update(db, &l, &admin, &admin_from, u.id, &reset, T0 + 4, &out, &retry), 0);
    struct auth_user_patch rename = {.name = "Renamed"};
    assert_int_equal(
        auth_user_update(db, &l, &admin, &admin_from, u.id, &rename, T0 + 5, &out, &retry), 0);
    assert_true(out.must_change_password);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_single_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_must_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_must_change, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
