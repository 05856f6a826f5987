/* Unit tests of src/files/browse.c: the pure parts (grant filter, cursors, validation). */
#include "../testutil.h"

#include "../../../src/files/browse.c"
#include "files/index.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static struct db_grant grants_user[] = {{"b", "team-a/", "full"}};
static struct db_grant grants_many[] = {{"b", "x/one/", "full"}, {"b", "x/two/deep/", "full"},
                                        {"b", "x/two/z/", "full"},  {"b", "y-flat", "full"},
                                        {"c", "", "full"}};

static void test_visible_level(void **state)
{
    (void)state;
    struct auth_subject user = {.user_id = 2, .role = AUTH_ROLE_USER, .grants = grants_user,
                                .ngrants = 1};
    struct auth_subject many = {.user_id = 3, .role = AUTH_ROLE_MANAGER, .grants = grants_many,
                                .ngrants = 5};
    struct auth_subject admin = {.user_id = 1, .role = AUTH_ROLE_ADMIN};
    const struct {
        const struct auth_subject *who;
        const char *bucket, *prefix;
        int rc;
        bool full;
        const char *folders; /* comma-separated */
    } cases[] = {
        {&user, "b", "", 0, false, "team-a/"},
        {&user, "b", "team-a/", 0, true, ""},
        {&user, "b", "team-a/x/", 0, true, ""},
        {&user, "b", "team", 0, false, "team-a/"},
        {&user, "b", "other/", SEAU_E_NOT_FOUND, false, ""},
        {&user, "b", "team-b/", SEAU_E_NOT_FOUND, false, ""},
        {&user, "c", "", SEAU_E_NOT_FOUND, false, ""},
        {&many, "b", "", 0, false, "x/"},
        {&many, "b", "x/", 0, false, "x/one/,x/two/"},
        {&many, "b", "x/two/", 0, false, "x/two/deep/,x/two/z/"},
        {&many, "b", "y-flat/", 0, true, ""},
        {&many, "c", "anything/", 0, true, ""},
        {&admin, "zzz", "", 0, true, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool full = false;
        char **folders = NULL;
        size_t n = 0;
        int rc = files_visible_level(cases[i].who, cases[i].bucket, cases[i].prefix, "/", &full,
                                     &folders, &n);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
        if (rc)
            continue;
        assert_int_equal(full, cases[i].full);
        char joined[256] = "";
        size_t at = 0;
        for (size_t k = 0; k < n; k++) {
            at += (size_t)snprintf(joined + at, sizeof(joined) - at, "%s%s", k ? "," : "",
                                   folders[k]);
            free(folders[k]);
        }
        free(folders);
        if (strcmp(joined, cases[i].folders) != 0)
            fail_msg("case %zu: folders %s, want %s", i, joined, cases[i].folders);
    }
}

static void test_cursor_roundtrip(void **state)
{
    (void)state;
    const char *tokens[] = {"1abc", "page/3", "héllo+%~ x"};
    for (size_t i = 0; i < 3; i++) {
        char *c = files_cursor_encode(FILES_SORT_NAME, tokens[i]);
        assert_non_null(c);
        char *t = NULL;
        assert_int_equal(files_cursor_decode(c, FILES_SORT_NAME, &t), 0);
        assert_string_equal(t, tokens[i]);
        free(t);
        /* Not valid for the other order. */
        assert_int_equal(files_cursor_decode(c, FILES_SORT_NAME_DESC, &t), SEAU_E_VALIDATION);
        free(c);
    }
    char *t = NULL;
    assert_int_equal(files_cursor_decode("", FILES_SORT_NAME, &t), SEAU_E_VALIDATION);
    assert_int_equal(files_cursor_decode("!!!", FILES_SORT_NAME, &t), SEAU_E_VALIDATION);
    assert_int_equal(files_cursor_decode("bg", FILES_SORT_NAME, &t), SEAU_E_VALIDATION); /* "n" alone */
    char big[FILES_CURSOR_MAX + 2];
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(files_cursor_decode(big, FILES_SORT_NAME, &t), SEAU_E_VALIDATION);
}

static void test_validate(void **state)
{
    (void)state;
    char *buckets[] = {"alpha", "beta", NULL};
    static const struct {
        struct files_list_query q;
        int rc;
        const char *field;
    } cases[] = {
        {{0}, 0, NULL},
        {{.bucket = "beta", .prefix = "a/", .limit = "1000", .sort = "-name"}, 0, NULL},
        {{.bucket = "gamma"}, SEAU_E_NOT_FOUND, NULL},
        {{.bucket = "Bad_Name"}, SEAU_E_VALIDATION, "bucket"},
        {{.prefix = "/x"}, SEAU_E_VALIDATION, "prefix"},
        {{.prefix = "a/../b"}, SEAU_E_VALIDATION, "prefix"},
        {{.delimiter = ""}, SEAU_E_VALIDATION, "delimiter"},
        {{.delimiter = "12345678901234567"}, SEAU_E_VALIDATION, "delimiter"},
        {{.limit = "0"}, SEAU_E_VALIDATION, "limit"},
        {{.limit = "1001"}, SEAU_E_VALIDATION, "limit"},
        {{.limit = "1"}, 0, NULL},
        {{.sort = "size"}, 0, NULL},
        {{.sort = "-size"}, 0, NULL},
        {{.sort = "lastModified"}, 0, NULL},
        {{.sort = "-lastModified"}, 0, NULL},
        {{.sort = "biggest"}, SEAU_E_VALIDATION, "sort"},
        {{.sort = "size", .delimiter = "-"}, SEAU_E_VALIDATION, "sort"},
        {{.cursor = "nope!"}, SEAU_E_VALIDATION, "cursor"},
        {{.bucket = "gamma", .limit = "x"}, SEAU_E_VALIDATION, "limit"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jsonx_check check;
        jsonx_check_init(&check);
        struct files_list_params p;
        memset(&p, 0, sizeof(p));
        int rc = files_list_validate(&cases[i].q, buckets, 2, &check, &p);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
        if (cases[i].field) {
            json_t *d = jsonx_check_take_details(&check);
            json_t *f = json_object_get(d, "fields");
            if (json_object_size(f) != 1 || !json_object_get(f, cases[i].field))
                fail_msg("case %zu: field %s not named alone", i, cases[i].field);
            json_decref(d);
        }
        if (rc == 0) {
            assert_non_null(p.bucket);
            if (!cases[i].q.bucket)
                assert_string_equal(p.bucket, "alpha");
            assert_string_equal(p.delimiter, cases[i].q.delimiter ? cases[i].q.delimiter : "/");
            files_list_params_done(&p);
        }
        jsonx_check_done(&check);
    }
    /* A cursor this server made for the same order is accepted and decoded. */
    char *c = files_cursor_encode(FILES_SORT_NAME_DESC, "page/4");
    struct files_list_query q = {.sort = "-name", .cursor = c};
    struct jsonx_check check;
    jsonx_check_init(&check);
    struct files_list_params p;
    assert_int_equal(files_list_validate(&q, buckets, 2, &check, &p), 0);
    assert_string_equal(p.token, "page/4");
    files_list_params_done(&p);
    jsonx_check_done(&check);
    free(c);
}

/* Joins a page's keys with ','. */
static void page_keys(const struct files_listing *l, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < l->count; i++)
        at += (size_t)snprintf(out + at, n - at, "%s%s", at ? "," : "", l->entries[i].key);
}

/*
 * Sorted by the index: folders first, then objects, across pages with the
 * keyset cursor, without S3 (its client is a poisoned pointer never used).
 */
static void test_list_indexed(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    const struct {
        const char *key;
        int64_t size;
    } rows[] = {{"d/", 0},      {"d/big", 90},   {"d/mid", 50},  {"d/small", 10}, {"d/z/1", 1},
                {"d/a/b/c", 1}, {"d/tie", 50},   {"e/x", 5},     {"top", 3}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(files_index_record(t.db, "b", rows[i].key, rows[i].size, "\"e\"",
                                            100 - (int64_t)i, i == 1 ? "video/mp4" : NULL,
                                            i == 1 ? 7 : 0, 1),
                         0);
    char *buckets[] = {"b", NULL};
    struct files_env env = {.s3 = (struct s3_client *)16, .db = t.db, .buckets = buckets,
                            .nbuckets = 1};
    struct files_who admin = {.subject = {.user_id = 1, .role = AUTH_ROLE_ADMIN}};
    static const struct {
        const char *sort;
        size_t limit;
        const char *pages[4];
    } cases[] = {
        {"size", 2, {"d/a/,d/z/", "d/small,d/mid", "d/tie,d/big", NULL}},
        {"-size", 3, {"d/a/,d/z/,d/big", "d/tie,d/mid,d/small", NULL}},
        {"lastModified", 4, {"d/a/,d/z/,d/tie,d/small", "d/mid,d/big", NULL}},
        {"-lastModified", 1, {"d/a/", "d/z/", "d/big", "d/mid"}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char limit[8];
        snprintf(limit, sizeof(limit), "%zu", cases[c].limit);
        char *cursor = NULL;
        for (size_t pg = 0; pg < 4 && cases[c].pages[pg]; pg++) {
            struct files_list_query q = {.prefix = "d/", .sort = cases[c].sort, .limit = limit,
                                         .cursor = cursor};
            struct jsonx_check check;
            jsonx_check_init(&check);
            struct files_list_params p;
            assert_int_equal(files_list_validate(&q, buckets, 1, &check, &p), 0);
            struct files_listing l;
            assert_int_equal(files_list(&env, &admin, &p, &check, &l, NULL), 0);
            char got[256];
            page_keys(&l, got, sizeof(got));
            if (strcmp(got, cases[c].pages[pg]) != 0)
                fail_msg("%s page %zu: %s, want %s", cases[c].sort, pg, got, cases[c].pages[pg]);
            bool last = pg == 3 || !cases[c].pages[pg + 1];
            if (last && strcmp(cases[c].sort, "-lastModified") != 0)
                assert_null(l.next_cursor);
            else
                assert_non_null(l.next_cursor);
            free(cursor);
            cursor = l.next_cursor ? str_dup(l.next_cursor) : NULL;
            for (size_t i = 0; i < l.count; i++)
                if (strcmp(l.entries[i].key, "d/big") == 0) {
                    assert_string_equal(l.entries[i].content_type, "video/mp4");
                    assert_int_equal(l.entries[i].uploaded_by, 7);
                }
            files_listing_done(&l);
            files_list_params_done(&p);
            jsonx_check_done(&check);
        }
        free(cursor);
    }
    /* A cursor of another sort, or one not made here, is refused. */
    char *c = files_cursor_encode(FILES_SORT_SIZE, "o5,1");
    struct files_list_query q = {.prefix = "d/", .sort = "-size", .cursor = c};
    struct jsonx_check check;
    jsonx_check_init(&check);
    struct files_list_params p;
    assert_int_equal(files_list_validate(&q, buckets, 1, &check, &p), SEAU_E_VALIDATION);
    jsonx_check_done(&check);
    free(c);
    const char *bad[] = {"x", "o", "o5", "o,1", "o5,0", "o5,x", "fother/", "f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = files_cursor_encode(FILES_SORT_SIZE, bad[i]);
        struct files_list_query bq = {.prefix = "d/", .sort = "size", .cursor = c};
        jsonx_check_init(&check);
        assert_int_equal(files_list_validate(&bq, buckets, 1, &check, &p), 0);
        struct files_listing l;
        if (files_list(&env, &admin, &p, &check, &l, NULL) != SEAU_E_VALIDATION)
            fail_msg("cursor token %s accepted", bad[i]);
        files_list_params_done(&p);
        jsonx_check_done(&check);
        free(c);
    }
    /* A user sees a level through its grants: only the folders leading there. */
    struct db_grant g[] = {{"b", "d/z/", "full"}};
    struct files_who user = {.subject = {.user_id = 2, .role = AUTH_ROLE_USER, .grants = g,
                                         .ngrants = 1}};
    struct files_list_query uq = {.prefix = "d/", .sort = "-size"};
    jsonx_check_init(&check);
    assert_int_equal(files_list_validate(&uq, buckets, 1, &check, &p), 0);
    struct files_listing l;
    assert_int_equal(files_list(&env, &user, &p, &check, &l, NULL), 0);
    char got[256];
    page_keys(&l, got, sizeof(got));
    assert_string_equal(got, "d/z/");
    files_listing_done(&l);
    files_list_params_done(&p);
    jsonx_check_done(&check);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visible_level),
        cmocka_unit_test(test_cursor_roundtrip),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_list_indexed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
