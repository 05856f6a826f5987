/*
 * bench/search: fills an object index of N synthetic keys, then times
 * realistic searches through files_index_search() and prints p50/p95 per
 * kind of query. Built and run by bench/search.
 *
 *   search-bench URL N          fill a fresh (migrated here) store, then time
 *   search-bench --check A B N  fill A through the store, B with COPY, compare
 *
 * The fill: through the store API (db_object_sync_page, 1000 keys a
 * transaction, as `seau index sync` does); on PostgreSQL, with BENCH_FILL
 * unset or "copy", with COPY instead: the very column values the store's
 * sync insert writes (content type and uploader NULL, indexed_at = seen_at);
 * PostgreSQL computes the same generated columns and index entries, and the
 * kept totals are computed once at the end instead of row by row. --check proves it: both fills of N keys
 * give the same rows (every column, ids included), the same kept totals and
 * the same answer to every search of the table. A PostgreSQL fill ends with
 * VACUUM ANALYZE, as autovacuum would do on a live server after such a load.
 */
#include "core/timeutil.h"
#include "db/db.h"
#include "files/index.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 1000
#define COPY_ROWS 50000
#define SEEN_AT 1
#define RUNS_MAX 1000

static void seal(const char *prev, struct db_audit_entry *e)
{
    (void)prev;
    (void)e;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static const char *words[] = {"invoice", "report", "photo", "backup", "scan", "draft",
                              "contract", "Été", "résumé", "budget", "slides", "notes"};
static const char *exts[] = {"pdf", "jpg", "png", "txt", "zip", "docx", "mp4", "csv"};

/* The k-th synthetic object; *seed carries the generator from one key to the next. */
static void gen_object(long k, unsigned *seed, struct db_object *o)
{
    memset(o, 0, sizeof(*o));
    *seed = *seed * 1103515245u + 12345u;
    unsigned s = *seed;
    snprintf(o->bucket, sizeof(o->bucket), "%s", k % 4 ? "bench-main" : "bench-archive");
    snprintf(o->key, sizeof(o->key), "team-%02u/%u/%s-%s-%07ld.%s", (s >> 8) % 40,
             2015 + (s >> 12) % 10, words[(s >> 16) % 12], words[(s >> 20) % 12], k,
             exts[(s >> 24) % 8]);
    o->size = (int64_t)((s >> 4) % 50000000);
    o->last_modified = 1500000000000LL + (int64_t)(s % 300000000) * 1000;
    snprintf(o->etag, sizeof(o->etag), "\"%08x\"", s);
    snprintf(o->kind, sizeof(o->kind), "%s", files_kind_of(o->key, NULL));
}

static bool is_postgres(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

static int fill_store(struct db *db, long n)
{
    struct db_object *page = calloc(PAGE, sizeof(*page));
    struct db_sync_counts counts = {0, 0, 0};
    unsigned seed = 42;
    int rc = page ? 0 : 1;
    for (long i = 0; rc == 0 && i < n; i += PAGE) {
        size_t m = 0;
        for (long k = i; k < n && k < i + PAGE; k++, m++)
            gen_object(k, &seed, &page[m]);
        if (db_object_sync_page(db, page, m, SEEN_AT, &counts)) {
            fprintf(stderr, "fill failed at %ld\n", i);
            rc = 1;
        }
    }
    if (rc == 0 && counts.added != n) {
        fprintf(stderr, "fill: %lld keys added, not %ld\n", (long long)counts.added, n);
        rc = 1;
    }
    free(page);
    return rc;
}

/* Appends s to buf as a COPY text field (backslash, tab and newlines escaped). */
static size_t copy_field(char *buf, size_t len, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '\t' || *s == '\n' || *s == '\r') {
            buf[len++] = '\\';
            buf[len++] = *s == '\t' ? 't' : *s == '\n' ? 'n' : *s == '\r' ? 'r' : '\\';
        } else {
            buf[len++] = *s;
        }
    }
    return len;
}

static int pg_exec(PGconn *pg, const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : 1;
    if (rc)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(pg));
    PQclear(r);
    return rc;
}

/*
 * COPY_ROWS keys a COPY, the values the store's sync insert writes, in one
 * transaction with the row trigger that keeps the totals off: the totals are
 * then computed once from the rows, as migration 0004 computes them (the
 * index starts empty; --check compares them with the trigger's).
 */
static int fill_copy(PGconn *pg, long n)
{
    static char line[4 * (DB_BUCKET_MAX + DB_KEY_MAX) + 512];
    unsigned seed = 42;
    PGresult *e = PQexec(pg, "SELECT (SELECT count(*) FROM objects) + "
                             "(SELECT count(*) FROM object_totals) + "
                             "(SELECT count(*) FROM object_days)");
    int rc = PQresultStatus(e) == PGRES_TUPLES_OK && strcmp(PQgetvalue(e, 0, 0), "0") == 0 ? 0 : 1;
    PQclear(e);
    if (rc) {
        fprintf(stderr, "fill: the COPY fill needs an empty index\n");
        return 1;
    }
    rc = pg_exec(pg, "BEGIN") || pg_exec(pg, "ALTER TABLE objects DISABLE TRIGGER objects_totals");
    for (long i = 0; rc == 0 && i < n; i += COPY_ROWS) {
        PGresult *r = PQexec(pg, "COPY objects (bucket, key, size, etag, last_modified, "
                                 "content_type, kind, uploaded_by, indexed_at, seen_at) "
                                 "FROM STDIN");
        if (PQresultStatus(r) != PGRES_COPY_IN) {
            fprintf(stderr, "COPY: %s", PQerrorMessage(pg));
            PQclear(r);
            return 1;
        }
        PQclear(r);
        for (long k = i; rc == 0 && k < n && k < i + COPY_ROWS; k++) {
            struct db_object o;
            gen_object(k, &seed, &o);
            size_t len = copy_field(line, 0, o.bucket);
            line[len++] = '\t';
            len = copy_field(line, len, o.key);
            len += (size_t)snprintf(line + len, sizeof(line) - len, "\t%lld\t",
                                    (long long)o.size);
            len = copy_field(line, len, o.etag);
            len += (size_t)snprintf(line + len, sizeof(line) - len, "\t%lld\t\\N\t",
                                    (long long)o.last_modified);
            len = copy_field(line, len, *o.kind ? o.kind : "other");
            len += (size_t)snprintf(line + len, sizeof(line) - len, "\t\\N\t%d\t%d\n", SEEN_AT,
                                    SEEN_AT);
            if (PQputCopyData(pg, line, (int)len) != 1)
                rc = 1;
        }
        if (PQputCopyEnd(pg, rc ? "bench: write failed" : NULL) != 1)
            rc = 1;
        r = PQgetResult(pg);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "COPY: %s", PQerrorMessage(pg));
            rc = 1;
        }
        PQclear(r);
        while ((r = PQgetResult(pg)) != NULL)
            PQclear(r);
    }
    if (rc == 0)
        rc = pg_exec(pg, "ALTER TABLE objects ENABLE TRIGGER objects_totals") ||
             pg_exec(pg, "INSERT INTO object_totals (bucket, kind, objects, bytes) "
                         "SELECT bucket, kind, count(*), sum(size) FROM objects "
                         "GROUP BY bucket, kind") ||
             pg_exec(pg, "INSERT INTO object_days (bucket, day, objects, bytes) "
                         "SELECT bucket, last_modified / 86400000, count(*), sum(size) "
                         "FROM objects GROUP BY bucket, last_modified / 86400000") ||
             pg_exec(pg, "COMMIT");
    return rc;
}

/* Opens and migrates url, fills it with n keys (COPY when copy), VACUUM ANALYZE on PostgreSQL. */
static int open_filled(const char *url, long n, bool copy, struct db **ret)
{
    struct db *db = NULL;
    int applied = 0;
    if (db_open(url, 4, seal, &db) || db_migrate(db, &applied)) {
        fprintf(stderr, "cannot open %s\n", url);
        return 1;
    }
    PGconn *pg = NULL;
    if (is_postgres(url)) {
        pg = PQconnectdb(url);
        if (PQstatus(pg) != CONNECTION_OK) {
            fprintf(stderr, "cannot connect to %s: %s", url, PQerrorMessage(pg));
            PQfinish(pg);
            db_close(db);
            return 1;
        }
    }
    int64_t t0 = time_mono_ns();
    int rc = copy ? fill_copy(pg, n) : fill_store(db, n);
    double fill_s = (double)(time_mono_ns() - t0) / 1e9;
    double vacuum_s = 0;
    /* Until every page is all-visible (index-only scans read no table page), as autovacuum
     * gets there on a live server; right after the load one pass may leave some behind. */
    char visible[64] = "";
    for (int pass = 0; rc == 0 && pg && pass < 3; pass++) {
        t0 = time_mono_ns();
        rc = pg_exec(pg, "VACUUM (ANALYZE) objects, object_totals, object_days");
        vacuum_s += (double)(time_mono_ns() - t0) / 1e9;
        PGresult *r = rc ? NULL
                         : PQexec(pg, "SELECT relallvisible, relpages FROM pg_class "
                                      "WHERE relname = 'objects'");
        if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
            snprintf(visible, sizeof(visible), "%s of %s pages all-visible after %d pass%s",
                     PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), pass + 1, pass ? "es" : "");
            bool all = strcmp(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)) == 0;
            PQclear(r);
            if (all)
                break;
        } else {
            PQclear(r);
            break;
        }
    }
    PQfinish(pg);
    if (rc) {
        db_close(db);
        return 1;
    }
    printf("filled %ld keys %s in %.1f s (%.0f keys/s)", n,
           copy ? "with COPY" : "through db_object_sync_page", fill_s, (double)n / fill_s);
    if (is_postgres(url))
        printf(", then VACUUM (ANALYZE) in %.1f s (%s)", vacuum_s, visible);
    printf("\n");
    *ret = db;
    return 0;
}

static const char *buckets[] = {"bench-main", "bench-archive", NULL};
static const struct db_grant grants[] = {{"bench-main", "team-07/"}, {"bench-main", "team-21/2019/"}};
static const struct auth_subject admin = {.user_id = 1, .role = AUTH_ROLE_ADMIN};
static const struct auth_subject user = {
    .user_id = 2, .role = AUTH_ROLE_USER, .grants = (struct db_grant *)grants, .ngrants = 2};

static const struct {
    const char *name;
    const struct auth_subject *who;
    struct files_search s;
} cases[] = {
    {"admin q=invoice (3+ chars, dense)", &admin, {.q = "invoice"}},
    {"admin q=0012345 (rare, trigram)", &admin, {.q = "0012345"}},
    {"admin q=résumé-budget", &admin, {.q = "RÉSUMÉ-budget"}},
    {"admin q=ab (2 chars, scan)", &admin, {.q = "ab"}},
    {"admin q=xq (2 chars, no match: full scan)", &admin, {.q = "xq"}},
    {"admin type=pdf minSize=1MB", &admin, {.type = "pdf", .min_size = 1000000}},
    {"admin bucket+prefix+q", &admin, {.bucket = "bench-main", .prefix = "team-03/2020/", .q = "scan"}},
    {"user (2 grants) q=report", &user, {.q = "report"}},
    {"user (2 grants) q=zz", &user, {.q = "zz"}},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct files_search case_search(size_t c)
{
    struct files_search s = cases[c].s;
    if (!s.type && !s.min_size)
        s.min_size = -1;
    s.max_size = -1;
    if (s.min_size == 0)
        s.min_size = -1;
    s.limit = 100;
    return s;
}

static int search(struct db *db, size_t c, struct files_search_result *res)
{
    struct files_search s = case_search(c);
    if (files_index_search(db, (char **)buckets, cases[c].who, &s, res)) {
        fprintf(stderr, "search failed: %s\n", cases[c].name);
        return 1;
    }
    return 0;
}

static int measure(struct db *db, int runs)
{
    printf("%-44s %10s %10s %8s\n", "search (limit 100, total counted to 10000)", "p50 ms",
           "p95 ms", "total");
    for (size_t c = 0; c < NCASES; c++) {
        int64_t t[RUNS_MAX];
        int64_t total = 0;
        bool capped = false;
        for (int r = 0; r < runs; r++) {
            struct files_search_result res;
            int64_t a = time_mono_ns();
            if (search(db, c, &res))
                return 1;
            t[r] = time_mono_ns() - a;
            total = res.total;
            capped = res.total_capped;
            files_search_result_done(&res);
        }
        qsort(t, runs, sizeof(t[0]), cmp64);
        printf("%-44s %10.2f %10.2f %7lld%s\n", cases[c].name, (double)t[runs / 2] / 1e6,
               (double)t[runs * 95 / 100] / 1e6, (long long)total, capped ? "+" : "");
        fflush(stdout);
    }
    return 0;
}

/* One line per table: row count and the md5 of every row (all columns), in key order. */
static int table_digest(const char *url, const char *sql, char *out, size_t size)
{
    PGconn *pg = PQconnectdb(url);
    PGresult *r = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, sql) : NULL;
    int rc = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? 0 : 1;
    if (rc)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(pg));
    else
        snprintf(out, size, "%s rows, md5 %s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
    PQclear(r);
    PQfinish(pg);
    return rc;
}

static const char *digests[] = {
    "SELECT count(*), md5(coalesce(string_agg(o::text, E'\\n' ORDER BY bucket, key), '')) "
    "FROM objects o",
    "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY bucket, kind), '')) "
    "FROM object_totals t",
    "SELECT count(*), md5(coalesce(string_agg(d::text, E'\\n' ORDER BY bucket, day), '')) "
    "FROM object_days d",
};

/* Fills a through the store and b with COPY; both must hold the same rows and answer alike. */
static int check(const char *a_url, const char *b_url, long n)
{
    struct db *a = NULL, *b = NULL;
    int rc = open_filled(a_url, n, false, &a) || open_filled(b_url, n, true, &b) ? 1 : 0;
    for (size_t i = 0; rc == 0 && i < sizeof(digests) / sizeof(digests[0]); i++) {
        char da[128], dbuf[128];
        rc = table_digest(a_url, digests[i], da, sizeof(da)) ||
             table_digest(b_url, digests[i], dbuf, sizeof(dbuf));
        if (rc == 0 && strcmp(da, dbuf) != 0) {
            fprintf(stderr, "check: %s differs: store fill %s, COPY fill %s\n", digests[i], da,
                    dbuf);
            rc = 1;
        } else if (rc == 0) {
            printf("check: %.60s...: both %s\n", strstr(digests[i], "FROM") + 5, da);
        }
    }
    for (size_t c = 0; rc == 0 && c < NCASES; c++) {
        struct files_search_result ra, rb;
        if (search(a, c, &ra))
            return 1;
        if (search(b, c, &rb)) {
            files_search_result_done(&ra);
            return 1;
        }
        bool same = ra.total == rb.total && ra.total_capped == rb.total_capped && ra.n == rb.n &&
                    ra.more == rb.more;
        for (size_t i = 0; same && i < ra.n; i++)
            same = strcmp(ra.rows[i].bucket, rb.rows[i].bucket) == 0 &&
                   strcmp(ra.rows[i].key, rb.rows[i].key) == 0;
        printf("check: %-44s total %lld%s, page of %zu: %s\n", cases[c].name,
               (long long)ra.total, ra.total_capped ? "+" : "", ra.n,
               same ? "same on both" : "DIFFERENT");
        if (!same)
            rc = 1;
        files_search_result_done(&ra);
        files_search_result_done(&rb);
    }
    if (a)
        db_close(a);
    if (b)
        db_close(b);
    printf("check: %s\n", rc ? "FAILED" : "the COPY fill gives the store's rows");
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--check") == 0)
        return check(argv[2], argv[3], strtol(argv[4], NULL, 10));
    if (argc != 3) {
        fprintf(stderr, "usage: search-bench URL N | search-bench --check STORE_URL COPY_URL N\n");
        return 2;
    }
    const char *url = argv[1];
    long n = strtol(argv[2], NULL, 10);
    const char *fill = getenv("BENCH_FILL");
    bool copy = is_postgres(url) && !(fill && strcmp(fill, "store") == 0);
    struct db *db = NULL;
    if (open_filled(url, n, copy, &db))
        return 1;
    /* BENCH_RUNS: runs of each search (40); 0: fill only (e.g. to study the plans in psql). */
    const char *runs_env = getenv("BENCH_RUNS");
    long runs = runs_env ? strtol(runs_env, NULL, 10) : 40;
    if (runs < 0 || runs > RUNS_MAX) {
        fprintf(stderr, "BENCH_RUNS: 0 to %d\n", RUNS_MAX);
        db_close(db);
        return 2;
    }
    int rc = runs ? measure(db, (int)runs) : 0;
    db_close(db);
    return rc;
}
