/*
 * Tests of src/db/db.c: the backend is chosen from the URL scheme (SQLite,
 * and PostgreSQL when SEAU_TEST_DATABASE_URL names a server), other URLs are
 * refused (with the configuration's message naming the accepted forms), and
 * the embedded migrations are found per backend folder.
 */
#include "../testutil.h"

#include "core/cfg.h"
#include "core/err.h"
#include "db/backend.h"

#include <sys/stat.h>

static void test_scheme_chooses_backend(void **state)
{
    (void)state;
    char dir[] = "/tmp/seau-unit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[128], path[96];
    struct stat sb;

    /* Both the short form and the URL form open the SQLite store at the path. */
    struct db *db = NULL;
    snprintf(path, sizeof(path), "%s/short.db", dir);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    assert_int_equal(db_open(url, 1, audit_seal, &db), 0);
    assert_int_equal(db_ping(db), 0);
    db_close(db);
    assert_int_equal(stat(path, &sb), 0);

    db = NULL;
    snprintf(path, sizeof(path), "%s/long.db", dir);
    snprintf(url, sizeof(url), "sqlite://%s", path); /* path is absolute: sqlite:///tmp/... */
    assert_int_equal(db_open(url, 1, audit_seal, &db), 0);
    int applied = 0;
    assert_int_equal(db_migrate(db, &applied), 0);
    assert_true(applied >= 6);
    db_close(db);
    assert_int_equal(stat(path, &sb), 0);

    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_other_urls_refused(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "postgres:",
        "postgresql:",
        "postgres:seau", /* the URL form only: postgres://... */
        "mysql://localhost/seau",
        "sqlite:",
        "sqlite://",
        "SQLITE:/tmp/x.db", /* schemes are matched exactly */
        "",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        struct db *db = (struct db *)&refused; /* must stay untouched */
        assert_int_equal(db_open(refused[i], 1, audit_seal, &db), SEAU_E_VALIDATION);
        assert_ptr_equal(db, (struct db *)&refused);
    }
}

/* A PostgreSQL URL passes the configuration's checks; anything else is named with both forms. */
static void test_postgres_url_accepted(void **state)
{
    (void)state;
    static const char *const urls[] = {"postgres://localhost/seau",
                                       "postgresql://u:p@db.example:5432/seau?sslmode=require"};
    for (size_t i = 0; i < 2; i++) {
        setenv("SEAU_DATABASE_URL", urls[i], 1);
        struct cfg c;
        struct cfg_problems p = {.len = 0};
        assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
        cfg_validate(&c, &p);
        for (size_t k = 0; k < p.len; k++)
            assert_null(strstr(p.items[k], "SEAU_DATABASE_URL"));
        cfg_problems_done(&p);
        cfg_done(&c);
    }
    setenv("SEAU_DATABASE_URL", "mysql://localhost/seau", 1);
    struct cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    assert_int_not_equal(cfg_validate(&c, &p), 0);
    bool named = false;
    for (size_t k = 0; k < p.len; k++)
        named = named || (strstr(p.items[k], "SEAU_DATABASE_URL") &&
                          strstr(p.items[k], "sqlite:PATH") && strstr(p.items[k], "postgres://"));
    assert_true(named);
    cfg_problems_done(&p);
    cfg_done(&c);
    unsetenv("SEAU_DATABASE_URL");
}

/* A server that does not answer: the open fails as the database's failure, ret untouched. */
static void test_postgres_unreachable(void **state)
{
    (void)state;
    struct db *db = (struct db *)&db;
    assert_int_equal(
        db_open("postgresql://seau@127.0.0.1:1/seau?connect_timeout=2", 1, audit_seal, &db),
        SEAU_E_DB);
    assert_ptr_equal(db, (struct db *)&db);
}

/*
 * On a PostgreSQL server (SEAU_TEST_DATABASE_URL): both schemes open the
 * store, the migrations apply once, and a database migrated by a newer Seau
 * is refused rather than used.
 */
static void test_postgres_opens_and_refuses_newer_schema(void **state)
{
    (void)state;
    const char *server = test_db_server();
    if (!server) {
        /* The SQLite run of this file; the PostgreSQL run (unit_db_postgres_db) covers it. */
        return;
    }
    test_db_admin(server, "DROP DATABASE IF EXISTS seau_unit_schemes");
    test_db_admin(server, "CREATE DATABASE seau_unit_schemes");
    char url[512];
    test_db_url_with(server, "seau_unit_schemes", url, sizeof(url));
    assert_int_equal(strncmp(url, "postgres://", 11), 0);
    struct db *db = NULL;
    assert_int_equal(db_open(url, 2, audit_seal, &db), 0);
    int applied = 0;
    assert_int_equal(db_migrate(db, &applied), 0);
    assert_true(applied >= 6);
    assert_int_equal(db_migrate(db, &applied), 0);
    assert_int_equal(applied, 0);
    db_close(db);

    char url2[520];
    snprintf(url2, sizeof(url2), "postgresql://%s", url + strlen("postgres://"));
    db = NULL;
    assert_int_equal(db_open(url2, 1, audit_seal, &db), 0);
    assert_int_equal(db_ping(db), 0);
    /* A version this binary does not have: refused, and nothing is applied. */
    PGconn *c = PQconnectdb(url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', 0)");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
    assert_int_equal(db_migrate(db, &applied), SEAU_E_SCHEMA_NEWER);
    db_close(db);
    test_db_admin(server, "DROP DATABASE seau_unit_schemes WITH (FORCE)");
}

static void test_migrations_found_per_backend(void **state)
{
    (void)state;
    const char *name = NULL;
    const struct embedded_file *f = db__migration_find("src/db/migrations/sqlite/", 1, &name);
    assert_non_null(f);
    assert_string_equal(name, "0001_init.sql");
    assert_true(f->len > 0 && f->data[f->len] == '\0');
    /* Versions are consecutive from 1; the first missing one ends the run. */
    int64_t v = 1;
    while (db__migration_find("src/db/migrations/sqlite/", v, NULL))
        v++;
    assert_true(v > 6);
    assert_null(db__migration_find("src/db/migrations/sqlite/", v, NULL));
    assert_null(db__migration_find("src/db/migrations/sqlite/", 0, NULL));
    /* Each backend has its own folder, with the same versions. */
    const char *pg_name = NULL;
    assert_non_null(db__migration_find("src/db/migrations/postgres/", 1, &pg_name));
    assert_string_equal(pg_name, "0001_init.sql");
    for (int64_t k = 1; k < v; k++)
        assert_non_null(db__migration_find("src/db/migrations/postgres/", k, NULL));
    assert_null(db__migration_find("src/db/migrations/postgres/", v, NULL));
    assert_null(db__migration_find("src/db/migrations/", 1, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheme_chooses_backend),
        cmocka_unit_test(test_other_urls_refused),
        cmocka_unit_test(test_postgres_url_accepted),
        cmocka_unit_test(test_postgres_unreachable),
        cmocka_unit_test(test_postgres_opens_and_refuses_newer_schema),
        cmocka_unit_test(test_migrations_found_per_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
