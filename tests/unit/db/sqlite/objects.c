/* Tests of src/db/sqlite/objects.c and search.c: upsert, delete, sync sweep, search. */
#include "../../testutil.h"

#include "core/err.h"

static void put(struct db *db, const char *bucket, const char *key, int64_t size, const char *kind,
                int64_t mtime)
{
    struct db_object o;
    memset(&o, 0, sizeof(o));
    snprintf(o.bucket, sizeof(o.bucket), "%s", bucket);
    snprintf(o.key, sizeof(o.key), "%s", key);
    o.size = size;
    snprintf(o.etag, sizeof(o.etag), "\"%lld\"", (long long)size);
    o.last_modified = mtime;
    snprintf(o.kind, sizeof(o.kind), "%s", kind);
    o.indexed_at = 100;
    assert_int_equal(db_object_upsert(db, &o), 0);
}

static struct db_object_query query(const struct db_object_scope *s, size_t n, const char *q)
{
    struct db_object_query x = {.scopes = s, .nscopes = n, .q = q, .min_size = -1,
                                .max_size = -1, .limit = 1001, .count_cap = 100};
    return x;
}

/* Runs a search and returns the number of rows; keys joined by ',' into out. */
static size_t run(struct db *db, const struct db_object_query *q, char *out, size_t outlen,
                  int64_t *total)
{
    struct db_object *rows = NULL;
    size_t n = 0;
    int64_t t = 0;
    assert_int_equal(db_object_search(db, q, &rows, &n, &t), 0);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, outlen - len, "%s%s", i ? "," : "", rows[i].key);
    free(rows);
    if (total)
        *total = t;
    return n;
}

static void seed(struct db *db)
{
    put(db, "b1", "team-a/Report.PDF", 10, "pdf", 1000);
    put(db, "b1", "team-a/photos/Été-2024.jpg", 2000, "image", 2000);
    put(db, "b1", "team-b/secret-report.txt", 30, "text", 3000);
    put(db, "b1", "team-b/ab.bin", 40, "other", 4000);
    put(db, "b2", "team-a/report-copy.pdf", 50, "pdf", 5000);
    put(db, "b2", "Ωmega/ΣΊΣΥΦΟΣ.txt", 60, "text", 6000);
}

static void test_substring_case_and_unicode(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    seed(t.db);
    struct db_object_scope all[] = {{"b1", ""}, {"b2", ""}};
    char out[4096];
    int64_t total = 0;
    struct db_object_query q = query(all, 2, "REPORT");
    assert_int_equal(run(t.db, &q, out, sizeof(out), &total), 3);
    assert_string_equal(out, "team-a/Report.PDF,team-b/secret-report.txt,team-a/report-copy.pdf");
    assert_int_equal(total, 3);
    q.q = "été-2";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 1);
    q.q = "ÉTÉ";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 1);
    q.q = "σίσυφ"; /* Greek lower case finds upper case */
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 1);
    assert_string_equal(out, "Ωmega/ΣΊΣΥΦΟΣ.txt");
    /* Two characters: no trigram, the scan answers, case-insensitively, Unicode too. */
    q.q = "AB";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 1);
    assert_string_equal(out, "team-b/ab.bin");
    q.q = "éT";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 1);
    q.q = "ωm";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 1);
    q.q = "\"x"; /* quotes cannot break out of the FTS phrase */
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 0);
    q.q = "rt\"OR\"a";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 0);
    q.q = "zzz";
    assert_int_equal(run(t.db, &q, out, sizeof(out), &total), 0);
    assert_int_equal(total, 0);
    test_db_close(&t);
}

static void test_filters(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    seed(t.db);
    struct db_object_scope all[] = {{"b1", ""}, {"b2", ""}};
    char out[4096];
    struct db_object_query q = query(all, 2, NULL);
    q.kind = "pdf";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 2);
    q.kind = NULL;
    q.min_size = 30;
    q.max_size = 50;
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 3);
    q.min_size = q.max_size = -1;
    q.modified_after = 2000;
    q.modified_before = 5000;
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 2);
    assert_string_equal(out, "team-b/ab.bin,team-b/secret-report.txt");
    q.modified_after = q.modified_before = 0;
    struct db_object_scope pre[] = {{"b1", "team-b/"}};
    q.scopes = pre;
    q.nscopes = 1;
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 2);
    q.q = "report";
    q.kind = "text";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 1);
    test_db_close(&t);
}

/* Grants become scopes: nothing outside them is returned or counted, with or without q. */
static void test_scopes_never_leak(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    seed(t.db);
    /* A prefix that is a string prefix of a sibling: "team-a" must not reach "team-ab". */
    put(t.db, "b1", "team-ab/report-leak.txt", 1, "text", 1);
    struct db_object_scope granted[] = {{"b1", "team-a/"}};
    const char *queries[] = {NULL, "report", "re", "REPORT", "leak", "secret", "pdf"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        struct db_object_query q = query(granted, 1, queries[i]);
        struct db_object *rows = NULL;
        size_t n = 0;
        int64_t total = 0;
        assert_int_equal(db_object_search(t.db, &q, &rows, &n, &total), 0);
        for (size_t k = 0; k < n; k++) {
            assert_string_equal(rows[k].bucket, "b1");
            assert_memory_equal(rows[k].key, "team-a/", 7);
        }
        assert_int_equal(total, (int64_t)n);
        free(rows);
    }
    /* No scope at all: nothing. */
    struct db_object_query q = query(NULL, 0, "report");
    char out[256];
    int64_t total = -1;
    assert_int_equal(run(t.db, &q, out, sizeof(out), &total), 0);
    assert_int_equal(total, 0);
    test_db_close(&t);
}

/* Pages in (bucket, key) order, overlapping scopes merged: no duplicate, none missed. */
static void test_paging(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    char key[64];
    for (int i = 0; i < 250; i++) {
        snprintf(key, sizeof(key), "d%d/file-%03d.log", i % 3, i);
        put(t.db, i % 2 ? "b1" : "b2", key, i, "text", i);
    }
    struct db_object_scope s[] = {{"b2", ""}, {"b1", "d1/"}, {"b1", ""}, {"b1", "d1/"}};
    const char *queries[] = {NULL, "file", "fi"};
    for (size_t qi = 0; qi < 3; qi++) {
        struct db_object_query q = query(s, 4, queries[qi]);
        q.limit = 7;
        q.count_cap = 1000;
        char last_b[64] = "", last_k[1100] = "";
        size_t seen = 0;
        for (;;) {
            struct db_object *rows = NULL;
            size_t n = 0;
            int64_t total = 0;
            assert_int_equal(db_object_search(t.db, &q, &rows, &n, &total), 0);
            assert_int_equal(total, 250);
            for (size_t i = 0; i < n; i++) {
                int d = strcmp(rows[i].bucket, last_b);
                assert_true(d > 0 || (d == 0 && strcmp(rows[i].key, last_k) > 0));
                snprintf(last_b, sizeof(last_b), "%s", rows[i].bucket);
                snprintf(last_k, sizeof(last_k), "%s", rows[i].key);
            }
            seen += n;
            free(rows);
            if (n < q.limit)
                break;
            q.after_bucket = last_b;
            q.after_key = last_k;
        }
        assert_int_equal(seen, 250);
    }
    /* One scope, the cursor past its last match: an empty page still brings the count. */
    struct db_object_scope one[] = {{"b1", ""}};
    struct db_object_query q1 = query(one, 1, "file");
    q1.limit = 7;
    q1.count_cap = 1000;
    q1.after_bucket = "b1";
    q1.after_key = "zzz";
    struct db_object *none = NULL;
    size_t nnone = 99;
    int64_t total1 = 0;
    assert_int_equal(db_object_search(t.db, &q1, &none, &nnone, &total1), 0);
    assert_int_equal(nnone, 0);
    assert_int_equal(total1, 125);
    free(none);
    /* The same scope from the start: a full page and the same count. */
    q1.after_bucket = NULL;
    q1.after_key = NULL;
    assert_int_equal(db_object_search(t.db, &q1, &none, &nnone, &total1), 0);
    assert_int_equal(nnone, 7);
    assert_int_equal(total1, 125);
    assert_string_equal(none[0].key, "d0/file-003.log");
    free(none);
    /* The count stops at cap + 1. */
    struct db_object_query q = query(s, 4, NULL);
    q.count_cap = 10;
    char out[16384];
    int64_t total = 0;
    run(t.db, &q, out, sizeof(out), &total);
    assert_int_equal(total, 11);
    test_db_close(&t);
}

static void test_delete_and_sync_sweep(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    seed(t.db);
    struct db_object got;
    assert_int_equal(db_object_get(t.db, "b1", "team-a/Report.PDF", &got), 0);
    assert_int_equal(got.size, 10);
    assert_string_equal(got.kind, "pdf");
    assert_int_equal(db_object_delete(t.db, "b1", "team-a/Report.PDF"), 0);
    assert_int_equal(db_object_delete(t.db, "b1", "team-a/Report.PDF"), 0);
    assert_int_equal(db_object_get(t.db, "b1", "team-a/Report.PDF", &got), SEAU_E_NOT_FOUND);
    int64_t n = 0;
    assert_int_equal(db_object_delete_prefix(t.db, "b1", "team-b/", &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(db_object_get(t.db, "b1", "team-a/photos/Été-2024.jpg", &got), 0);

    /* A walk at time 150 lists one unchanged, one changed and one new key in b2. */
    struct db_object page[3];
    memset(page, 0, sizeof(page));
    snprintf(page[0].bucket, sizeof(page[0].bucket), "b2");
    snprintf(page[0].key, sizeof(page[0].key), "team-a/report-copy.pdf");
    page[0].size = 50;
    snprintf(page[0].etag, sizeof(page[0].etag), "\"50\"");
    page[0].last_modified = 5000;
    page[1] = page[0];
    snprintf(page[1].key, sizeof(page[1].key), "Ωmega/ΣΊΣΥΦΟΣ.txt");
    page[1].size = 61;
    page[2] = page[0];
    snprintf(page[2].key, sizeof(page[2].key), "new/thing.bin");
    struct db_sync_counts c = {0, 0, 0};
    /* Seau records an object while the walk runs: seen after the walk began, kept. */
    struct db_object during = page[2];
    snprintf(during.key, sizeof(during.key), "during/walk.txt");
    during.indexed_at = 200;
    assert_int_equal(db_object_upsert(t.db, &during), 0);
    assert_int_equal(db_object_sync_page(t.db, page, 3, 150, &c), 0);
    assert_int_equal(c.unchanged, 1);
    assert_int_equal(c.changed, 1);
    assert_int_equal(c.added, 1);
    assert_int_equal(db_object_get(t.db, "b2", "Ωmega/ΣΊΣΥΦΟΣ.txt", &got), 0);
    assert_int_equal(got.size, 61);
    assert_int_equal(db_object_sync_sweep(t.db, "b2", 150, &n), 0);
    assert_int_equal(n, 0); /* everything was seen or written since 150 */
    /* The next walk, at 300, lists only new/thing.bin: the rest of b2 goes, b1 stays. */
    c = (struct db_sync_counts){0, 0, 0};
    assert_int_equal(db_object_sync_page(t.db, &page[2], 1, 300, &c), 0);
    assert_int_equal(c.unchanged, 1);
    assert_int_equal(db_object_sync_sweep(t.db, "b2", 300, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(db_object_get(t.db, "b2", "new/thing.bin", &got), 0);
    assert_int_equal(db_object_get(t.db, "b1", "team-a/photos/Été-2024.jpg", &got), 0);
    /* The FTS index followed the deletes: nothing stale is found. */
    struct db_object_scope all[] = {{"b1", ""}, {"b2", ""}};
    struct db_object_query q = query(all, 2, "report");
    char out[1024];
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 0);
    q.q = "thing";
    assert_int_equal(run(t.db, &q, out, sizeof(out), NULL), 1);
    test_db_close(&t);
}

static void test_limits(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct db_object_scope all[] = {{"b1", ""}};
    struct db_object_query q = query(all, 1, NULL);
    struct db_object *rows = NULL;
    size_t n = 0;
    q.limit = 0;
    assert_int_equal(db_object_search(t.db, &q, &rows, &n, NULL), SEAU_E_VALIDATION);
    q.limit = 1002;
    assert_int_equal(db_object_search(t.db, &q, &rows, &n, NULL), SEAU_E_VALIDATION);
    q.limit = 1001;
    assert_int_equal(db_object_search(t.db, &q, &rows, &n, NULL), 0);
    free(rows);
    q.nscopes = DB_SEARCH_SCOPES_MAX + 1;
    assert_int_equal(db_object_search(t.db, &q, &rows, &n, NULL), SEAU_E_VALIDATION);
    test_db_close(&t);
}

/* PostgreSQL: idx_scan of index `name` on objects, as the server's statistics have it. */
static long long pg_index_scans(const struct test_db *t, const char *name)
{
    PGconn *c = PQconnectdb(t->url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    const char *params[] = {name};
    PGresult *r = PQexecParams(c,
                               "SELECT idx_scan FROM pg_stat_user_indexes "
                               "WHERE relname = 'objects' AND indexrelname = $1",
                               1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    long long n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return n;
}

/*
 * PostgreSQL: a rare substring of 3 characters or more is found through the
 * trigram index on key_folded, not by reading every row: the pattern has to
 * be compared in the index's collation for the planner to be able to use it
 * (it once was not, and every search read the whole table, 0.5 s at 1M keys).
 * The server counts the index's scans; a backend reports them at the latest
 * when it exits, so the store is closed before they are read.
 */
static void test_search_uses_trigram_index(void **state)
{
    (void)state;
    if (!test_db_server())
        return; /* SQLite's trigram index is FTS5's, which the search always uses */
    struct test_db t;
    test_db_open(&t);
    /* Keys of random-looking characters: a substring of one is rare, its trigrams too. */
    test_db_exec(&t, "INSERT INTO objects (bucket, key, size, last_modified, indexed_at, seen_at) "
                     "SELECT 'b1', 'team-' || (i % 40) || '/' || md5(i::text) || '.pdf', "
                     "i, i, 1, 1 FROM generate_series(1, 20000) i");
    /* As autovacuum would after such a load: statistics, and the GIN index's pending
     * list merged (the planner prices a long pending list high and avoids the index). */
    test_db_exec(&t, "VACUUM (ANALYZE) objects");
    const char *name = "objects_key_folded_trgm";
    long long before = pg_index_scans(&t, name);
    struct db_object_scope s = {"b1", ""};
    struct db_object_query q = query(&s, 1, "827CCB0EEA8A"); /* md5('12345'), upper case */
    char out[256];
    int64_t total = 0;
    assert_int_equal(run(t.db, &q, out, sizeof(out), &total), 1);
    assert_string_equal(out, "team-25/827ccb0eea8a706c4c34a16891f84e7b.pdf");
    assert_int_equal(total, 1);
    db_close(t.db);
    long long after = before;
    for (int i = 0; i < 100 && after == before; i++) {
        usleep(50 * 1000);
        after = pg_index_scans(&t, name);
    }
    assert_true(after > before);
    t.db = NULL;
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_substring_case_and_unicode),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_scopes_never_leak),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_delete_and_sync_sweep),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_search_uses_trigram_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
