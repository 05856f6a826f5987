/*
 * A process killed in the middle of writing (SIGKILL, no chance to clean
 * up) leaves a store where every change has its audit entry and the hash
 * chain holds (STYLE.md rule 19). Tests the store (SQLite, and PostgreSQL
 * in the unit_db_postgres_crash run) and src/audit/audit.c together, the
 * way `seau serve` uses them.
 */
#include "../../testutil.h"

#include "core/err.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

/* The child: creates users and renames them as fast as it can until killed. */
static void writer(const char *url)
{
    struct db *db = NULL;
    if (db_open(url, 1, audit_seal, &db) != 0)
        _exit(3);
    for (int i = 0;; i++) {
        struct db_user u;
        memset(&u, 0, sizeof(u));
        snprintf(u.email, sizeof(u.email), "u%d@x.io", i);
        snprintf(u.name, sizeof(u.name), "User %d", i);
        snprintf(u.role, sizeof(u.role), "%s", i == 0 ? "admin" : "user");
        snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$fake");
        struct audit_actor a = {0, "test", "127.0.0.1", "crash-test"};
        struct db_audit_entry e;
        char details[sizeof(u.email) + 16];
        snprintf(details, sizeof(details), "{\"email\":\"%s\"}", u.email);
        audit_entry_init(&e, &a, "user.create", "success", details, i);
        if (db_user_insert(db, &u, &e) != 0)
            _exit(4);
        snprintf(u.name, sizeof(u.name), "Renamed %d", i);
        audit_entry_init(&e, &a, "user.update", "success", details, i);
        if (db_user_update(db, &u, DB_REVOKE_NONE, NULL, &e) != 0)
            _exit(5);
    }
}

struct counts {
    int64_t creates, updates;
};

static int count_entry(void *ctx, const struct db_audit_entry *e)
{
    struct counts *c = ctx;
    if (strcmp(e->action, "user.create") == 0)
        c->creates++;
    else if (strcmp(e->action, "user.update") == 0)
        c->updates++;
    return 0;
}

static void test_kill_mid_write(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t); /* migrated by the parent; the child only writes */
    for (int round = 0; round < 5; round++) {
        int64_t before = 0;
        assert_int_equal(db_user_count(t.db, &before), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            writer(t.url);
        /*
         * Wait for its first write (connecting to a server on a loaded machine
         * may take longer than the pauses below), then let it write for a
         * moment that differs from round to round, and kill it.
         */
        for (int waited = 0; waited < 2000; waited++) {
            int64_t now = 0;
            assert_int_equal(db_user_count(t.db, &now), 0);
            if (now > before)
                break;
            struct timespec tick = {0, 10 * 1000000L};
            nanosleep(&tick, NULL);
        }
        struct timespec ts = {0, (50 + 37 * round) * 1000000L};
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        /* Killed, not failed: exits 3-5 mean a write failed before the kill. */
        assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 4));

        struct audit_verify_result r;
        assert_int_equal(audit_verify(t.db, &r), 0);
        if (r.broken_id)
            fail_msg("round %d: chain broken at %lld: %s", round, (long long)r.broken_id, r.reason);
        /* Every user that exists has its creation in the log, and nothing more. */
        int64_t users = 0;
        assert_int_equal(db_user_count(t.db, &users), 0);
        struct counts c = {0, 0};
        assert_int_equal(db_audit_walk(t.db, count_entry, &c), 0);
        assert_true(users > 0);
        assert_true(c.creates == users);
        /* Each killed child may have lost the rename of its last user, never more. */
        assert_true(c.updates <= users && c.updates >= users - (round + 1));
        /* The next round's child starts numbering at 0 again: clear the users it would clash with.
         */
        char sql[96];
        snprintf(sql, sizeof(sql), "UPDATE users SET email = 'r%d-' || email", round);
        test_db_exec(&t, sql);
    }
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill_mid_write)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
