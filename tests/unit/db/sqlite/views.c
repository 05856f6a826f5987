/*
 * Tests of src/db/sqlite/views.c (migration 0004), with the totals that
 * objects.c keeps and audit.c's active users: the kept totals through
 * every kind of write, scoped totals and days, one level
 * sorted by size and date with keyset pages, the subfolders of a level, and
 * the active users of the audit log.
 */
#include "../../testutil.h"

#include "core/err.h"

#define DAY 86400000LL

static struct db_object row(const char *bucket, const char *key, int64_t size, int64_t mtime,
                            const char *kind)
{
    struct db_object o;
    memset(&o, 0, sizeof(o));
    snprintf(o.bucket, sizeof(o.bucket), "%s", bucket);
    snprintf(o.key, sizeof(o.key), "%s", key);
    o.size = size;
    o.last_modified = mtime;
    snprintf(o.etag, sizeof(o.etag), "\"e%lld\"", (long long)size);
    snprintf(o.kind, sizeof(o.kind), "%s", kind);
    o.indexed_at = 1;
    return o;
}

static const struct db_kind_total *kind_of(const struct db_object_totals *t, const char *kind)
{
    for (size_t i = 0; i < t->nkinds; i++)
        if (strcmp(t->kinds[i].kind, kind) == 0)
            return &t->kinds[i];
    return NULL;
}

static void totals(struct db *db, const char *bucket, const char *prefix,
                   struct db_object_totals *t)
{
    struct db_object_scope s = {bucket, prefix};
    assert_int_equal(db_object_totals(db, &s, 1, 0, 30, t), 0);
}

static void assert_kind(const struct db_object_totals *t, const char *kind, int64_t n, int64_t b)
{
    const struct db_kind_total *k = kind_of(t, kind);
    if (n == 0) {
        assert_null(k);
        return;
    }
    assert_non_null(k);
    assert_int_equal(k->objects, n);
    assert_int_equal(k->bytes, b);
}

/* The kept totals follow upserts, changes of size and kind, deletes, sync pages and sweeps. */
static void test_totals_kept(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_object_totals tt;
    struct db_object a = row("b1", "x/a.pdf", 100, 5 * DAY, "pdf");
    struct db_object b = row("b1", "x/b.png", 20, 6 * DAY, "image");
    struct db_object c = row("b2", "c.png", 7, 6 * DAY, "image");
    assert_int_equal(db_object_upsert(t.db, &a), 0);
    assert_int_equal(db_object_upsert(t.db, &b), 0);
    assert_int_equal(db_object_upsert(t.db, &c), 0);
    totals(t.db, "b1", "", &tt);
    assert_int_equal(tt.nkinds, 2);
    assert_kind(&tt, "pdf", 1, 100);
    assert_kind(&tt, "image", 1, 20);

    /* Replaced with another size and kind: moved between kinds, not counted twice. */
    a.size = 300;
    snprintf(a.kind, sizeof(a.kind), "other");
    assert_int_equal(db_object_upsert(t.db, &a), 0);
    totals(t.db, "b1", "", &tt);
    assert_kind(&tt, "pdf", 0, 0);
    assert_kind(&tt, "other", 1, 300);

    /* A sync page: the same row again (seen only), a changed one, a new one. */
    struct db_object page[3] = {b, row("b1", "x/a.pdf", 301, 7 * DAY, "pdf"),
                                row("b1", "y/new.txt", 4, 8 * DAY, "text")};
    struct db_sync_counts counts = {0, 0, 0};
    assert_int_equal(db_object_sync_page(t.db, page, 3, 10, &counts), 0);
    assert_int_equal(counts.unchanged, 1);
    assert_int_equal(counts.changed, 1);
    assert_int_equal(counts.added, 1);
    totals(t.db, "b1", "", &tt);
    assert_kind(&tt, "other", 0, 0);
    assert_kind(&tt, "pdf", 1, 301);
    assert_kind(&tt, "image", 1, 20);
    assert_kind(&tt, "text", 1, 4);
    /* The days moved with the rows: a.pdf from day 5 to 7. */
    assert_int_equal(tt.ndays, 3);
    assert_int_equal(tt.days[0].day, 6);
    assert_int_equal(tt.days[1].day, 7);
    assert_int_equal(tt.days[1].bytes, 301);
    assert_int_equal(tt.days[2].day, 8);

    /* Deletes: one row, a prefix, a sweep. */
    assert_int_equal(db_object_delete(t.db, "b1", "x/b.png"), 0);
    totals(t.db, "b1", "", &tt);
    assert_kind(&tt, "image", 0, 0);
    assert_int_equal(db_object_delete_prefix(t.db, "b1", "y/", NULL), 0);
    totals(t.db, "b1", "", &tt);
    assert_kind(&tt, "text", 0, 0);
    int64_t removed = 0;
    assert_int_equal(db_object_sync_sweep(t.db, "b1", 1000, &removed), 0);
    assert_int_equal(removed, 1);
    totals(t.db, "b1", "", &tt);
    assert_int_equal(tt.nkinds, 0);
    assert_int_equal(tt.ndays, 0);
    /* The other bucket never moved. */
    totals(t.db, "b2", "", &tt);
    assert_kind(&tt, "image", 1, 7);
    test_db_close(&t);
}

/* Prefix scopes aggregate their range; days are bounded and ascending; scopes are OR'ed once. */
static void test_totals_scoped(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    const struct {
        const char *key;
        int64_t size, day;
        const char *kind;
    } rows[] = {
        {"team-a/1.pdf", 10, 3, "pdf"},     {"team-a/2.pdf", 20, 3, "pdf"},
        {"team-a/x/3.png", 30, 4, "image"}, {"team-ab/4.png", 40, 4, "image"},
        {"team-b/5.txt", 50, 29, "text"},   {"old.txt", 60, 0, "text"},
        {"future.txt", 70, 45, "text"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct db_object o =
            row("b", rows[i].key, rows[i].size, 100 * DAY + rows[i].day * DAY + 5, rows[i].kind);
        assert_int_equal(db_object_upsert(t.db, &o), 0);
    }
    struct db_object_totals tt;
    struct db_object_scope one = {"b", "team-a/"};
    assert_int_equal(db_object_totals(t.db, &one, 1, 101, 130, &tt), 0);
    assert_kind(&tt, "pdf", 2, 30);
    assert_kind(&tt, "image", 1, 30);
    assert_kind(&tt, "text", 0, 0);
    assert_int_equal(tt.ndays, 2);
    assert_int_equal(tt.days[0].day, 103);
    assert_int_equal(tt.days[0].count, 2);
    assert_int_equal(tt.days[0].bytes, 30);
    assert_int_equal(tt.days[1].day, 104);

    /* Two scopes, one inside the other, plus a disjoint one: each row once. */
    struct db_object_scope many[] = {{"b", "team-b/"}, {"b", "team-a/"}, {"b", "team-a/x/"}};
    assert_int_equal(db_object_totals(t.db, many, 3, 101, 130, &tt), 0);
    assert_kind(&tt, "pdf", 2, 30);
    assert_kind(&tt, "image", 1, 30);
    assert_kind(&tt, "text", 1, 50);
    assert_int_equal(tt.ndays, 3);
    assert_int_equal(tt.days[2].day, 129);

    /* The whole bucket (kept totals) counts every row; days keep to the window. */
    struct db_object_scope all = {"b", ""};
    assert_int_equal(db_object_totals(t.db, &all, 1, 101, 130, &tt), 0);
    assert_kind(&tt, "text", 3, 180);
    assert_int_equal(tt.ndays, 3);
    int64_t n = 0;
    for (size_t i = 0; i < tt.ndays; i++)
        n += tt.days[i].count;
    assert_int_equal(n, 5);

    /* No scope: nothing. Bad windows are refused. */
    assert_int_equal(db_object_totals(t.db, NULL, 0, 101, 130, &tt), 0);
    assert_int_equal(tt.nkinds, 0);
    assert_int_equal(tt.ndays, 0);
    assert_int_equal(db_object_totals(t.db, &all, 1, 10, 9, &tt), SEAU_E_VALIDATION);
    assert_int_equal(db_object_totals(t.db, &all, 1, 0, DB_TOTALS_DAYS_MAX, &tt),
                     SEAU_E_VALIDATION);
    assert_int_equal(db_object_totals(t.db, &all, 1, 0, DB_TOTALS_DAYS_MAX - 1, &tt), 0);
    test_db_close(&t);
}

/* Reads a whole level page by page, joining keys with ','. */
static void level_walk(struct db *db, const char *prefix, enum db_level_order order, bool desc,
                       size_t limit, char *out, size_t outlen, size_t *ret_pages)
{
    struct db_level_query q = {
        .bucket = "b", .prefix = prefix, .order = order, .desc = desc, .limit = limit};
    size_t at = 0, pages = 0;
    out[0] = '\0';
    for (;;) {
        struct db_level_row *rows = NULL;
        size_t n = 0;
        assert_int_equal(db_object_level(db, &q, &rows, &n), 0);
        pages++;
        for (size_t i = 0; i < n; i++)
            at += (size_t)snprintf(out + at, outlen - at, "%s%s", at ? "," : "", rows[i].o.key);
        if (n < limit) {
            free(rows);
            break;
        }
        q.after = true;
        q.after_value =
            order == DB_LEVEL_BY_SIZE ? rows[n - 1].o.size : rows[n - 1].o.last_modified;
        q.after_id = rows[n - 1].id;
        free(rows);
        assert_true(pages < 50);
    }
    *ret_pages = pages;
}

static void test_level(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    const struct {
        const char *key;
        int64_t size, mtime;
    } rows[] = {
        {"d/", 0, 1}, /* the folder's own marker: never listed in d/ */
        {"d/c", 30, 300}, {"d/a", 10, 500}, {"d/b", 30, 100}, {"d/e", 20, 300}, {"d/sub/x", 1, 1},
        {"d/sub/", 0, 1}, {"d/ä", 5, 50},   {"dd", 99, 99},   {"root", 7, 7},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct db_object o = row("b", rows[i].key, rows[i].size, rows[i].mtime, "other");
        assert_int_equal(db_object_upsert(t.db, &o), 0);
    }
    struct db_object o = row("other", "d/zz", 1, 1, "other");
    assert_int_equal(db_object_upsert(t.db, &o), 0);
    char got[512];
    size_t pages = 0;
    /* Ties (d/c and d/b at 30; d/c and d/e at 300) go by insertion order. */
    level_walk(t.db, "d/", DB_LEVEL_BY_SIZE, false, 2, got, sizeof(got), &pages);
    assert_string_equal(got, "d/ä,d/a,d/e,d/c,d/b");
    assert_int_equal(pages, 3);
    level_walk(t.db, "d/", DB_LEVEL_BY_SIZE, true, 2, got, sizeof(got), &pages);
    assert_string_equal(got, "d/b,d/c,d/e,d/a,d/ä");
    level_walk(t.db, "d/", DB_LEVEL_BY_MODIFIED, false, 1, got, sizeof(got), &pages);
    assert_string_equal(got, "d/ä,d/b,d/c,d/e,d/a");
    assert_int_equal(pages, 6);
    level_walk(t.db, "d/", DB_LEVEL_BY_MODIFIED, true, 100, got, sizeof(got), &pages);
    assert_string_equal(got, "d/a,d/e,d/c,d/b,d/ä");
    assert_int_equal(pages, 1);
    /* The root, and a partial name within a level. */
    level_walk(t.db, "", DB_LEVEL_BY_SIZE, false, 10, got, sizeof(got), &pages);
    assert_string_equal(got, "root,dd");
    level_walk(t.db, "d/a", DB_LEVEL_BY_SIZE, true, 10, got, sizeof(got), &pages);
    assert_string_equal(got, "d/a");
    level_walk(t.db, "nothing/", DB_LEVEL_BY_SIZE, true, 10, got, sizeof(got), &pages);
    assert_string_equal(got, "");
    struct db_level_query bad = {.bucket = "b", .prefix = "", .limit = 0};
    struct db_level_row *r = NULL;
    size_t n = 0;
    assert_int_equal(db_object_level(t.db, &bad, &r, &n), SEAU_E_VALIDATION);
    bad.limit = 1002;
    assert_int_equal(db_object_level(t.db, &bad, &r, &n), SEAU_E_VALIDATION);
    test_db_close(&t);
}

static void folders(struct db *db, const char *prefix, const char *after, size_t limit, char *out,
                    size_t outlen)
{
    char **f = NULL;
    size_t n = 0;
    assert_int_equal(db_object_folders(db, "b", prefix, after, limit, &f, &n), 0);
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(out + at, outlen - at, "%s%s", at ? "," : "", f[i]);
        free(f[i]);
    }
    free(f);
}

/* Subfolders come from distinct parents, one seek each, whatever lies below them. */
static void test_folders(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    const char *keys[] = {"a/1",   "a/x/1", "a/x/2",   "a/x/y/z/3", "a/y/",   "a/y0",
                          "a/é/1", "ab/1",  "b/c/d/1", "top",       "a/x-/1", "a/x0/1"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct db_object o = row("b", keys[i], 1, 1, "other");
        assert_int_equal(db_object_upsert(t.db, &o), 0);
    }
    char got[256];
    folders(t.db, "", NULL, 100, got, sizeof(got));
    assert_string_equal(got, "a/,ab/,b/");
    folders(t.db, "a/", NULL, 100, got, sizeof(got));
    assert_string_equal(got, "a/x-/,a/x/,a/x0/,a/y/,a/é/");
    folders(t.db, "a/", NULL, 2, got, sizeof(got));
    assert_string_equal(got, "a/x-/,a/x/");
    folders(t.db, "a/", "a/x/", 2, got, sizeof(got));
    assert_string_equal(got, "a/x0/,a/y/");
    folders(t.db, "a/x", NULL, 100, got, sizeof(got));
    assert_string_equal(got, "a/x-/,a/x/,a/x0/");
    folders(t.db, "a/x/", NULL, 100, got, sizeof(got));
    assert_string_equal(got, "a/x/y/");
    folders(t.db, "b/", NULL, 100, got, sizeof(got));
    assert_string_equal(got, "b/c/");
    folders(t.db, "top/", NULL, 100, got, sizeof(got));
    assert_string_equal(got, "");
    char **f = NULL;
    size_t n = 0;
    assert_int_equal(db_object_folders(t.db, "b", "a/", "elsewhere/", 10, &f, &n),
                     SEAU_E_VALIDATION);
    assert_int_equal(db_object_folders(t.db, "b", "a/", NULL, 0, &f, &n), SEAU_E_VALIDATION);
    test_db_close(&t);
}

/*
 * The kept totals equal a recount after many random writes of every kind:
 * the whole bucket (kept totals) against a scope of the same rows (counted).
 */
static void test_totals_match_recount(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    static const char *const kinds[] = {"pdf", "image", "text", "other"};
    unsigned seed = 7;
    int64_t walk = 100;
    for (int op = 0; op < 1500; op++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        char key[32];
        snprintf(key, sizeof(key), "k/%u/%u", r % 7, (r >> 4) % 40);
        struct db_object o =
            row("b", key, (int64_t)(r % 1000), (int64_t)((r >> 3) % 20) * DAY, kinds[(r >> 6) % 4]);
        switch (r % 10) {
        case 0:
            assert_int_equal(db_object_delete(t.db, "b", key), 0);
            break;
        case 1: {
            char prefix[16];
            snprintf(prefix, sizeof(prefix), "k/%u/", r % 7);
            assert_int_equal(db_object_delete_prefix(t.db, "b", prefix, NULL), 0);
            break;
        }
        case 2:
        case 3: {
            struct db_sync_counts c = {0, 0, 0};
            o.indexed_at = 0;
            assert_int_equal(db_object_sync_page(t.db, &o, 1, ++walk, &c), 0);
            break;
        }
        case 4:
            if (r % 50 == 4)
                assert_int_equal(db_object_sync_sweep(t.db, "b", walk - 3, NULL), 0);
            break;
        default:
            o.indexed_at = ++walk;
            assert_int_equal(db_object_upsert(t.db, &o), 0);
        }
    }
    struct db_object_totals kept, counted;
    struct db_object_scope whole = {"b", ""}, same = {"b", "k/"};
    assert_int_equal(db_object_totals(t.db, &whole, 1, 0, 25, &kept), 0);
    assert_int_equal(db_object_totals(t.db, &same, 1, 0, 25, &counted), 0);
    assert_true(kept.nkinds > 0);
    assert_int_equal(kept.nkinds, counted.nkinds);
    for (size_t i = 0; i < kept.nkinds; i++) {
        const struct db_kind_total *k = kind_of(&counted, kept.kinds[i].kind);
        assert_non_null(k);
        assert_int_equal(k->objects, kept.kinds[i].objects);
        assert_int_equal(k->bytes, kept.kinds[i].bytes);
    }
    assert_int_equal(kept.ndays, counted.ndays);
    for (size_t i = 0; i < kept.ndays; i++) {
        assert_int_equal(kept.days[i].day, counted.days[i].day);
        assert_int_equal(kept.days[i].count, counted.days[i].count);
        assert_int_equal(kept.days[i].bytes, counted.days[i].bytes);
    }
    test_db_close(&t);
}

static void append(struct db *db, int64_t user, const char *bucket, int64_t time)
{
    struct audit_actor actor = {user, user ? "u@example.com" : NULL, "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &actor, "object.copy", "success", NULL, time);
    e.bucket = (char *)bucket;
    assert_int_equal(db_audit_append(db, &e), 0);
}

static void test_active_users(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    append(t.db, 1, "b1", 100);
    append(t.db, 2, "b1", 200);
    append(t.db, 2, "b2", 300);
    append(t.db, 3, NULL, 50);
    append(t.db, 0, "b1", 400);
    int64_t n = -1;
    assert_int_equal(db_audit_active_users(t.db, 0, NULL, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(db_audit_active_users(t.db, 100, NULL, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(db_audit_active_users(t.db, 0, "b1", &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(db_audit_active_users(t.db, 250, "b1", &n), 0);
    assert_int_equal(n, 0);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals_kept),
        cmocka_unit_test(test_totals_scoped),
        cmocka_unit_test(test_totals_match_recount),
        cmocka_unit_test(test_level),
        cmocka_unit_test(test_folders),
        cmocka_unit_test(test_active_users),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
