/*
 * The store shared by several replicas: each thread opens its own handle
 * (its own connections, as another process would) on one database. Run on
 * SQLite (one file, several processes' worth of handles) and, as
 * unit_db_postgres_replicas, on PostgreSQL, where the rules SQLite gets from
 * its single writer rest on the store's locks:
 * - audit entries appended at once by every replica form one chain that
 *   verifies (db_audit_walk through audit_verify);
 * - two replicas demoting the last two admins at once leave one admin;
 * - of two replicas trying the leader lock, one leads; when its handle goes
 *   (a replica stopping or dying), the other takes over. On SQLite, which
 *   one process owns, every handle leads.
 */
#include "../testutil.h"

#include "core/err.h"

#include <pthread.h>
#include <unistd.h>

#define REPLICAS 4
#define APPENDS  40

struct replica {
    const char *url;
    int id;
    int failures;
    /* The demotion race. */
    int64_t user_id;
    pthread_barrier_t *start;
    int rc;
};

static void *append_entries(void *arg)
{
    struct replica *r = arg;
    struct db *db = NULL;
    if (db_open(r->url, 1, audit_seal, &db) != 0) {
        r->failures = APPENDS;
        return NULL;
    }
    pthread_barrier_wait(r->start);
    struct audit_actor actor = {r->id, "replica@x.io", "127.0.0.1", "replica"};
    for (int i = 0; i < APPENDS; i++) {
        struct db_audit_entry e;
        audit_entry_init(&e, &actor, "test.append", "success", "{}", 1000 + i);
        if (db_audit_append(db, &e) != 0)
            r->failures++;
    }
    db_close(db);
    return NULL;
}

static void test_replicas_append_one_chain(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, REPLICAS);
    pthread_t th[REPLICAS];
    struct replica r[REPLICAS];
    for (int i = 0; i < REPLICAS; i++) {
        r[i] = (struct replica){.url = t.url, .id = i + 1, .start = &start};
        assert_int_equal(pthread_create(&th[i], NULL, append_entries, &r[i]), 0);
    }
    for (int i = 0; i < REPLICAS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failures, 0);
    }
    pthread_barrier_destroy(&start);
    struct audit_verify_result v;
    assert_int_equal(audit_verify(t.db, &v), 0);
    assert_int_equal(v.entries, REPLICAS * APPENDS);
    assert_int_equal(v.broken_id, 0);
    /* Ids are consecutive from 1: no replica reused or skipped one. */
    struct db_audit_filter f = {.limit = 1};
    struct db_audit_entry *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(t.db, &f, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, REPLICAS * APPENDS);
    db_audit_entries_free(rows, n);
    test_db_close(&t);
}

static int64_t make_admin(struct db *db, const char *email)
{
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "%s", email);
    snprintf(u.name, sizeof(u.name), "Admin");
    snprintf(u.role, sizeof(u.role), "admin");
    snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$fake");
    u.created_at = 1;
    assert_int_equal(db_user_insert(db, &u, NULL), 0);
    return u.id;
}

static void *demote(void *arg)
{
    struct replica *r = arg;
    struct db *db = NULL;
    r->rc = db_open(r->url, 1, audit_seal, &db);
    struct db_user u;
    if (r->rc == 0)
        r->rc = db_user_get(db, r->user_id, &u);
    pthread_barrier_wait(r->start);
    if (r->rc == 0) {
        snprintf(u.role, sizeof(u.role), "user");
        struct audit_actor actor = {r->user_id, u.email, "127.0.0.1", "replica"};
        struct db_audit_entry e;
        audit_entry_init(&e, &actor, "user.update", "success", "{}", 5);
        r->rc = db_user_update(db, &u, DB_REVOKE_NONE, NULL, &e);
    }
    db_close(db);
    return NULL;
}

static void test_replicas_keep_one_admin(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t admins[2] = {make_admin(t.db, "a@x.io"), make_admin(t.db, "b@x.io")};
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    for (int round = 0; round < 8; round++) {
        pthread_t th[2];
        struct replica r[2];
        for (int i = 0; i < 2; i++) {
            r[i] = (struct replica){.url = t.url, .user_id = admins[i], .start = &start};
            assert_int_equal(pthread_create(&th[i], NULL, demote, &r[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        /* One demotion wins, the other is refused: never both. */
        assert_true((r[0].rc == 0 && r[1].rc == SEAU_E_CONFLICT) ||
                    (r[0].rc == SEAU_E_CONFLICT && r[1].rc == 0));
        struct db_user u;
        int remaining = 0;
        for (int i = 0; i < 2; i++) {
            assert_int_equal(db_user_get(t.db, admins[i], &u), 0);
            remaining += strcmp(u.role, "admin") == 0 && !u.disabled;
        }
        assert_int_equal(remaining, 1);
        /* Only the winner's change was audited, and the chain holds. */
        struct audit_verify_result v;
        assert_int_equal(audit_verify(t.db, &v), 0);
        assert_int_equal(v.entries, round + 1);
        assert_int_equal(v.broken_id, 0);
        /* Promote the demoted one again for the next round. */
        for (int i = 0; i < 2; i++) {
            assert_int_equal(db_user_get(t.db, admins[i], &u), 0);
            snprintf(u.role, sizeof(u.role), "admin");
            assert_int_equal(db_user_update(t.db, &u, DB_REVOKE_NONE, NULL, NULL), 0);
        }
    }
    pthread_barrier_destroy(&start);
    test_db_close(&t);
}

static void test_replicas_one_leader(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db *other = NULL;
    assert_int_equal(db_open(t.url, 1, audit_seal, &other), 0);
    struct db_leader *a = NULL, *b = NULL;
    assert_int_equal(db_leader_new(t.db, DB_LEADER_SINGLETONS, &a), 0);
    assert_int_equal(db_leader_new(other, DB_LEADER_SINGLETONS, &b), 0);
    bool la = false, lb = false;
    assert_int_equal(db_leader_try(a, &la), 0);
    assert_int_equal(db_leader_try(b, &lb), 0);
    if (!db_is_shared(t.db)) {
        assert_true(la && lb);
    } else {
        assert_true(la);
        assert_false(lb);
        /* Trying again changes nothing: the leader keeps it, the follower stays out. */
        for (int i = 0; i < 3; i++) {
            assert_int_equal(db_leader_try(a, &la), 0);
            assert_int_equal(db_leader_try(b, &lb), 0);
            assert_true(la);
            assert_false(lb);
        }
        /* Another key is another lock. */
        struct db_leader *c = NULL;
        bool lc = false;
        assert_int_equal(db_leader_new(other, DB_LEADER_SINGLETONS + 1, &c), 0);
        assert_int_equal(db_leader_try(c, &lc), 0);
        assert_true(lc);
        db_leader_free(c);
        /* The leader goes: its session ends, and the follower's next try takes over. */
        db_leader_free(a);
        a = NULL;
        /* The server frees a closed session's locks when its backend has noticed the
         * disconnection: on a loaded machine that is not instant. Bounded wait. */
        for (int i = 0; i < 100 && !lb; i++) {
            assert_int_equal(db_leader_try(b, &lb), 0);
            if (!lb)
                usleep(50 * 1000);
        }
        assert_true(lb);
        /* The leader's session killed by the server (a crash, a failover) is noticed too. */
        PGconn *admin = PQconnectdb(t.url);
        assert_int_equal(PQstatus(admin), CONNECTION_OK);
        /* Only this test's database: other tests on the server take advisory locks too. */
        PGresult *r = PQexec(admin, "SELECT pg_terminate_backend(pid) FROM pg_locks "
                                    "WHERE locktype = 'advisory' AND pid <> pg_backend_pid() "
                                    "AND database = (SELECT oid FROM pg_database "
                                    "WHERE datname = current_database())");
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        assert_int_equal(PQntuples(r), 1);
        PQclear(r);
        PQfinish(admin);
        assert_int_equal(db_leader_new(t.db, DB_LEADER_SINGLETONS, &a), 0);
        assert_int_equal(db_leader_try(b, &lb), 0);
        assert_false(lb);
        assert_int_equal(db_leader_try(a, &la), 0);
        assert_true(la);
    }
    db_leader_free(a);
    db_leader_free(b);
    db_close(other);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replicas_append_one_chain),
        cmocka_unit_test(test_replicas_keep_one_admin),
        cmocka_unit_test(test_replicas_one_leader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
