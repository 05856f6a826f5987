/*
 * Tests of src/db/db.c: the backend is chosen from the URL scheme, a
 * PostgreSQL URL is refused (with the configuration's message naming why),
 * and the embedded migrations are found per backend folder.
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
        "postgres://seau:secret@localhost/seau",
        "postgresql://localhost/seau",
        "postgres:",
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

/* The operator learns why a PostgreSQL URL is refused before the store is opened. */
static void test_postgres_refused_with_a_message(void **state)
{
    (void)state;
    static const char *const urls[] = {"postgres://localhost/seau",
                                       "postgresql://u:p@db.example:5432/seau"};
    for (size_t i = 0; i < 2; i++) {
        setenv("SEAU_DATABASE_URL", urls[i], 1);
        struct cfg c;
        struct cfg_problems p = {.len = 0};
        assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
        assert_int_not_equal(cfg_validate(&c, &p), 0);
        bool named = false;
        for (size_t k = 0; k < p.len; k++)
            named = named || (strstr(p.items[k], "SEAU_DATABASE_URL") &&
                              strstr(p.items[k], "PostgreSQL is not supported"));
        assert_true(named);
        cfg_problems_done(&p);
        cfg_done(&c);
    }
    unsetenv("SEAU_DATABASE_URL");
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
    /* A folder of another backend is its own: none of SQLite's files match it. */
    assert_null(db__migration_find("src/db/migrations/postgres/", 1, NULL));
    assert_null(db__migration_find("src/db/migrations/", 1, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheme_chooses_backend),
        cmocka_unit_test(test_other_urls_refused),
        cmocka_unit_test(test_postgres_refused_with_a_message),
        cmocka_unit_test(test_migrations_found_per_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
