/* Shared by the unit tests: cmocka, and a fresh SQLite store in a temporary folder. */
#ifndef SEAU_TESTS_TESTUTIL_H
#define SEAU_TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test_db {
    char dir[64];
    char url[128];
    struct db *db;
};

/* Opens and migrates a store in a new temporary folder; fails the test on error. */
static inline void test_db_open(struct test_db *t)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/seau-unit-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->url, sizeof(t->url), "sqlite:%s/seau.db", t->dir);
    assert_int_equal(db_open(t->url, 2, audit_seal, &t->db), 0);
    int applied = -1;
    assert_int_equal(db_migrate(t->db, &applied), 0);
    assert_true(applied >= 1);
}

static inline void test_db_close(struct test_db *t)
{
    char cmd[160];
    db_close(t->db);
    t->db = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

#endif
