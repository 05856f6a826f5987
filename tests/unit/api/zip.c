/*
 * Tests of src/api/zip.c's pure parts: the selection's limits, its
 * deduplication, the common parent that entry names are relative to, and
 * the archive's file name. (The handler itself: tests/integration/zip.test.ts.)
 */
#include "../testutil.h"

#include "../../../src/api/zip.c"

#include "core/jsonx.h"

static void collect_all(struct selection *s, const char *const *keys, size_t nk,
                        const char *const *prefixes, size_t np)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < nk; i++)
        collect(s, MHD_GET_ARGUMENT_KIND, "keys", keys[i]);
    for (size_t i = 0; i < np; i++)
        collect(s, MHD_GET_ARGUMENT_KIND, "prefixes", prefixes[i]);
    collect(s, MHD_GET_ARGUMENT_KIND, "bucket", "b");
    assert_false(s->nomem);
}

static void test_limits(void **state)
{
    (void)state;
    static char names[ZIP_KEYS_MAX + 1][16];
    const char *keys[ZIP_KEYS_MAX + 1];
    for (size_t i = 0; i <= ZIP_KEYS_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "k/%zu", i);
        keys[i] = names[i];
    }
    struct selection s;
    struct jsonx_check check;

    /* At the limit: accepted. */
    collect_all(&s, keys, ZIP_KEYS_MAX, NULL, 0);
    assert_int_equal(s.nkeys, ZIP_KEYS_MAX);
    jsonx_check_init(&check);
    check_list(&check, "keys", s.keys, s.nkeys, s.keys_seen, ZIP_KEYS_MAX, s3name_key_problem);
    assert_true(jsonx_check_ok(&check));
    jsonx_check_done(&check);
    selection_done(&s);

    /* One past: refused, and only the first ZIP_KEYS_MAX were kept. */
    collect_all(&s, keys, ZIP_KEYS_MAX + 1, NULL, 0);
    assert_int_equal(s.nkeys, ZIP_KEYS_MAX);
    assert_int_equal(s.keys_seen, ZIP_KEYS_MAX + 1);
    jsonx_check_init(&check);
    check_list(&check, "keys", s.keys, s.nkeys, s.keys_seen, ZIP_KEYS_MAX, s3name_key_problem);
    assert_false(jsonx_check_ok(&check));
    jsonx_check_done(&check);
    selection_done(&s);

    /* Prefixes: 100 fine, 101 not; and each must be a folder. */
    const char *pre[ZIP_PREFIXES_MAX + 1];
    static char pnames[ZIP_PREFIXES_MAX + 1][16];
    for (size_t i = 0; i <= ZIP_PREFIXES_MAX; i++) {
        snprintf(pnames[i], sizeof(pnames[i]), "p%zu/", i);
        pre[i] = pnames[i];
    }
    collect_all(&s, NULL, 0, pre, ZIP_PREFIXES_MAX + 1);
    assert_int_equal(s.nprefixes, ZIP_PREFIXES_MAX);
    jsonx_check_init(&check);
    check_list(&check, "prefixes", s.prefixes, s.nprefixes, s.prefixes_seen, ZIP_PREFIXES_MAX,
               prefix_problem);
    assert_false(jsonx_check_ok(&check));
    jsonx_check_done(&check);
    selection_done(&s);

    assert_non_null(prefix_problem(""));
    assert_non_null(prefix_problem("a"));
    assert_non_null(prefix_problem("/a/"));
    assert_non_null(prefix_problem("a/../"));
    assert_null(prefix_problem("a/b/"));
}

/* Runs dedupe and returns the selection as "k:...|p:..." for comparison. */
static void deduped(const char *const *keys, size_t nk, const char *const *prefixes, size_t np,
                    char *out, size_t n)
{
    struct selection s;
    collect_all(&s, keys, nk, prefixes, np);
    dedupe(&s);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s.nkeys; i++)
        len += (size_t)snprintf(out + len, n - len, "k:%s|", s.keys[i]);
    for (size_t i = 0; i < s.nprefixes; i++)
        len += (size_t)snprintf(out + len, n - len, "p:%s|", s.prefixes[i]);
    selection_done(&s);
}

static void test_dedupe(void **state)
{
    (void)state;
    char out[512];
    const char *k1[] = {"a/x", "b/y", "a/x", "c/d/e", "c/z"};
    const char *p1[] = {"c/d/", "c/", "q/", "q/", "c/d/e/"};
    deduped(k1, 5, p1, 5, out, sizeof(out));
    /* c/d/ and c/d/e/ lie in c/; the second q/ repeats; keys under c/ go; a/x once. */
    assert_string_equal(out, "k:a/x|k:b/y|p:c/|p:q/|");

    const char *k2[] = {"x", "x/"};
    deduped(k2, 2, NULL, 0, out, sizeof(out));
    assert_string_equal(out, "k:x|k:x/|");

    /* "ab/" is not inside "a/": prefixes are folders, compared whole. */
    const char *k3[] = {"ab/c"};
    const char *p3[] = {"a/"};
    deduped(k3, 1, p3, 1, out, sizeof(out));
    assert_string_equal(out, "k:ab/c|p:a/|");
}

static size_t parent_of(const char *const *keys, size_t nk, const char *const *prefixes, size_t np)
{
    struct selection s;
    collect_all(&s, keys, nk, prefixes, np);
    size_t n = common_parent(&s);
    selection_done(&s);
    return n;
}

static void test_common_parent(void **state)
{
    (void)state;
    const char *folder[] = {"a/b/"};
    assert_int_equal(parent_of(NULL, 0, folder, 1), 2); /* a/b/ zips as b/... */
    const char *one[] = {"a/b/c.txt"};
    assert_int_equal(parent_of(one, 1, NULL, 0), 4); /* c.txt */
    const char *two[] = {"a/b/c.txt", "a/bc/d"};
    assert_int_equal(parent_of(two, 2, NULL, 0), 2); /* b/c.txt, bc/d: not "a/b" cut mid-name */
    const char *mixed_k[] = {"a/b/c/x"};
    const char *mixed_p[] = {"a/b/d/"};
    assert_int_equal(parent_of(mixed_k, 1, mixed_p, 1), 4); /* c/x and d/... */
    const char *root[] = {"x", "a/y"};
    assert_int_equal(parent_of(root, 2, NULL, 0), 0);
    const char *top[] = {"a/"};
    assert_int_equal(parent_of(NULL, 0, top, 1), 0); /* a/ zips as a/... */
    const char *marker[] = {"a/b/"}; /* a folder marker named as a key: the folder itself */
    assert_int_equal(parent_of(marker, 1, NULL, 0), 2);
}

static void test_archive_name(void **state)
{
    (void)state;
    struct selection s;
    char name[64];
    const char *p[] = {"photos/2024 été/"};
    collect_all(&s, NULL, 0, p, 1);
    archive_name(&s, name, sizeof(name));
    assert_string_equal(name, "2024 été.zip");
    selection_done(&s);
    const char *top[] = {"docs/"};
    collect_all(&s, NULL, 0, top, 1);
    archive_name(&s, name, sizeof(name));
    assert_string_equal(name, "docs.zip");
    selection_done(&s);
    const char *k[] = {"docs/a"};
    collect_all(&s, k, 1, top, 1);
    archive_name(&s, name, sizeof(name));
    assert_string_equal(name, "download.zip");
    selection_done(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_dedupe),
        cmocka_unit_test(test_common_parent),
        cmocka_unit_test(test_archive_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
