/*
 * Shared by the unit tests: cmocka, and a fresh store: SQLite in a temporary
 * folder, or, when SEAU_TEST_DATABASE_URL names a PostgreSQL server (CTest's
 * `postgres` fixture sets it for the unit_db_postgres_* runs of the store's
 * tests), a new database on that server, dropped when the test ends.
 */
#ifndef SEAU_TESTS_TESTUTIL_H
#define SEAU_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "db/db.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test_db {
    char dir[64];  /* SQLite: the temporary folder */
    char name[64]; /* PostgreSQL: the test's database */
    char url[512];
    struct db *db;
};

/* The PostgreSQL server the tests use, or NULL for SQLite. */
static inline const char *test_db_server(void)
{
    const char *url = getenv("SEAU_TEST_DATABASE_URL");
    return url && *url ? url : NULL;
}

/* Runs one statement on the server's maintenance database; fails the test on error. */
static inline void test_db_admin(const char *server, const char *sql)
{
    PGconn *c = PQconnectdb(server);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
}

/* server's URL with its database replaced by name (URL form postgres://.../DB?params). */
static inline void test_db_url_with(const char *server, const char *name, char *out, size_t n)
{
    const char *hosts = strstr(server, "://");
    assert_non_null(hosts);
    const char *slash = strchr(hosts + 3, '/');
    const char *query = strchr(hosts + 3, '?');
    size_t head = slash && (!query || slash < query) ? (size_t)(slash - server)
                  : query                            ? (size_t)(query - server)
                                                     : strlen(server);
    int len = snprintf(out, n, "%.*s/%s%s", (int)head, server, name, query ? query : "");
    assert_true(len > 0 && (size_t)len < n);
}

/* Opens and migrates a fresh store (see above); fails the test on error. */
static inline void test_db_open(struct test_db *t)
{
    const char *server = test_db_server();
    t->dir[0] = t->name[0] = '\0';
    if (server) {
        static int seq;
        char sql[128];
        snprintf(t->name, sizeof(t->name), "seau_unit_%ld_%d", (long)getpid(), ++seq);
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", t->name);
        test_db_admin(server, sql);
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->name);
        test_db_admin(server, sql);
        test_db_url_with(server, t->name, t->url, sizeof(t->url));
    } else {
        snprintf(t->dir, sizeof(t->dir), "/tmp/seau-unit-XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->url, sizeof(t->url), "sqlite:%s/seau.db", t->dir);
    }
    assert_int_equal(db_open(t->url, 2, audit_seal, &t->db), 0);
    int applied = -1;
    assert_int_equal(db_migrate(t->db, &applied), 0);
    assert_true(applied >= 1);
}

/* Runs SQL that both backends understand on the test's database, behind the store's back. */
static inline void test_db_exec(struct test_db *t, const char *sql)
{
    if (t->name[0]) {
        PGconn *c = PQconnectdb(t->url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(c);
        return;
    }
    char path[96];
    snprintf(path, sizeof(path), "%s/seau.db", t->dir);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

static inline void test_db_close(struct test_db *t)
{
    char cmd[160];
    db_close(t->db);
    t->db = NULL;
    if (t->name[0]) {
        snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->name);
        test_db_admin(test_db_server(), cmd);
        return;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

/* Inserts an account with a placeholder password hash; u gets its id. */
static inline void test_db_make_user(struct db *db, const char *email, const char *role,
                                     struct db_user *u)
{
    memset(u, 0, sizeof(*u));
    snprintf(u->email, sizeof(u->email), "%s", email);
    snprintf(u->name, sizeof(u->name), "%s", "Someone");
    snprintf(u->role, sizeof(u->role), "%s", role);
    snprintf(u->password_hash, sizeof(u->password_hash), "%s", "$argon2id$fake");
    u->created_at = 1;
    assert_int_equal(db_user_insert(db, u, NULL), 0);
    assert_true(u->id > 0);
}

#endif
