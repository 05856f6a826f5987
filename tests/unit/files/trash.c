/*
 * Tests of the recycle bin's configuration and what it hides
 * (src/files/trash.c with SEAU_TRASH parsed by src/core/cfg.c): entries
 * on configured buckets only, folder prefixes, retentions; which keys a
 * trash prefix hides from listings, search and stats; and what GET
 * /api/buckets reports as recoverable.
 */
#include "../testutil.h"

#include "core/cfg.h"
#include "core/err.h"
#include "files/recovery.h"

static int load(struct cfg *c, const char *buckets, const char *trash, struct cfg_problems *p)
{
    setenv("SEAU_BUCKETS", buckets, 1);
    setenv("SEAU_TRASH", trash, 1);
    memset(p, 0, sizeof(*p));
    int rc = cfg_load(c, 0, NULL, p);
    if (rc == 0)
        rc = cfg_validate(c, p);
    unsetenv("SEAU_TRASH");
    unsetenv("SEAU_BUCKETS");
    return rc;
}

static void test_config(void **state)
{
    (void)state;
    struct cfg c;
    struct cfg_problems p;
    assert_int_equal(load(&c, "docs,media,plain", "docs:.trash/:30d, media:bin/old/:90s", &p), 0);
    assert_int_equal(c.ntrash, 2);
    assert_string_equal(c.trash[0].bucket, "docs");
    assert_string_equal(c.trash[0].prefix, ".trash/");
    assert_true(c.trash[0].retention_ms == 30LL * 24 * 3600 * 1000);
    assert_string_equal(c.trash[1].prefix, "bin/old/");
    assert_true(c.trash[1].retention_ms == 90000);
    cfg_done(&c);

    static const char *const bad[] = {
        "nope:.trash/:1d",   /* not a configured bucket */
        "docs:.trash:1d",    /* not a folder */
        "docs::1d",          /* no prefix */
        "docs:.trash/:soon", /* not a duration */
        "docs:.trash/:10ms", /* under a second */
        "docs:.trash/",      /* no retention */
        "docs:.trash/:1d,docs:.bin/:1d", /* twice */
        "docs:../x/:1d",     /* a dot segment */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(load(&c, "docs,media", bad[i], &p), SEAU_E_VALIDATION);
        bool named = false;
        for (size_t k = 0; k < p.len; k++)
            named = named || strstr(p.items[k], "SEAU_TRASH") != NULL;
        if (!named)
            fprintf(stderr, "not named for %s\n", bad[i]);
        assert_true(named);
        cfg_problems_done(&p);
        cfg_done(&c);
    }
}

static void test_hiding_and_recoverable(void **state)
{
    (void)state;
    struct cfg_trash t[] = {{.bucket = "docs", .prefix = ".trash/", .retention_ms = 1000}};
    files_trash_configure(t, 1);
    assert_non_null(files_trash_of("docs"));
    assert_null(files_trash_of("media"));
    assert_true(files_trash_hides("docs", ".trash/"));
    assert_true(files_trash_hides("docs", ".trash/0123abcd"));
    assert_true(files_trash_hides("docs", ".trash")); /* the folder marker without its slash */
    assert_false(files_trash_hides("docs", ".trashy/x"));
    assert_false(files_trash_hides("docs", "a/.trash/x"));
    assert_false(files_trash_hides("docs", "report.pdf"));
    assert_false(files_trash_hides("media", ".trash/x"));
    assert_false(files_trash_hides(NULL, ".trash/x"));

    assert_string_equal(files_recoverable("docs", "off"), "trash");
    assert_string_equal(files_recoverable("docs", "enabled"), "trash");
    assert_string_equal(files_recoverable("media", "enabled"), "versions");
    assert_null(files_recoverable("media", "suspended"));
    assert_null(files_recoverable("media", "off"));
    assert_null(files_recoverable("media", NULL));
    files_trash_configure(NULL, 0);
    assert_false(files_trash_hides("docs", ".trash/x"));
    assert_null(files_recoverable("docs", "off"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_hiding_and_recoverable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
