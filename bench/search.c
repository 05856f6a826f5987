/*
 * bench/search: fills an object index of N synthetic keys through the store
 * API (db_object_sync_page, 1000 keys a transaction, as `seau index sync`
 * does), then times realistic searches through files_index_search() and
 * prints p50/p95 per kind of query. Built and run by bench/search.
 */
#include "core/timeutil.h"
#include "db/db.h"
#include "files/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "sqlite:/tmp/seau-bench/search.db";
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    struct db *db = NULL;
    int applied = 0;
    if (db_open(url, 4, seal, &db) || db_migrate(db, &applied)) {
        fprintf(stderr, "cannot open %s\n", url);
        return 1;
    }
    int64_t t0 = time_mono_ns();
    struct db_object *page = calloc(1000, sizeof(*page));
    struct db_sync_counts counts = {0, 0, 0};
    unsigned seed = 42;
    for (long i = 0; i < n; i += 1000) {
        size_t m = 0;
        for (long k = i; k < n && k < i + 1000; k++, m++) {
            struct db_object *o = &page[m];
            memset(o, 0, sizeof(*o));
            seed = seed * 1103515245u + 12345u;
            snprintf(o->bucket, sizeof(o->bucket), "%s", k % 4 ? "bench-main" : "bench-archive");
            snprintf(o->key, sizeof(o->key), "team-%02u/%u/%s-%s-%07ld.%s", (seed >> 8) % 40,
                     2015 + (seed >> 12) % 10, words[(seed >> 16) % 12],
                     words[(seed >> 20) % 12], k, exts[(seed >> 24) % 8]);
            o->size = (int64_t)((seed >> 4) % 50000000);
            o->last_modified = 1500000000000LL + (int64_t)(seed % 300000000) * 1000;
            snprintf(o->etag, sizeof(o->etag), "\"%08x\"", seed);
            const char *kind = files_kind_of(o->key, NULL);
            snprintf(o->kind, sizeof(o->kind), "%s", kind);
        }
        if (db_object_sync_page(db, page, m, 1, &counts)) {
            fprintf(stderr, "fill failed at %ld\n", i);
            return 1;
        }
    }
    printf("filled %lld new (%lld unchanged) keys in %.1f s\n", (long long)counts.added,
           (long long)counts.unchanged, (double)(time_mono_ns() - t0) / 1e9);

    char *buckets[] = {"bench-main", "bench-archive", NULL};
    struct db_grant grants[] = {{"bench-main", "team-07/"}, {"bench-main", "team-21/2019/"}};
    struct auth_subject admin = {.user_id = 1, .role = AUTH_ROLE_ADMIN};
    struct auth_subject user = {.user_id = 2, .role = AUTH_ROLE_USER, .grants = grants,
                                .ngrants = 2};
    struct {
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
    const int runs = 40;
    printf("%-44s %10s %10s %8s\n", "search (limit 100, total counted to 10000)", "p50 ms",
           "p95 ms", "total");
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int64_t t[64];
        int64_t total = 0;
        bool capped = false;
        struct files_search s = cases[c].s;
        if (!s.type && !s.min_size)
            s.min_size = -1;
        s.max_size = -1;
        if (s.min_size == 0)
            s.min_size = -1;
        s.limit = 100;
        for (int r = 0; r < runs; r++) {
            struct files_search_result res;
            int64_t a = time_mono_ns();
            if (files_index_search(db, buckets, cases[c].who, &s, &res)) {
                fprintf(stderr, "search failed: %s\n", cases[c].name);
                return 1;
            }
            t[r] = time_mono_ns() - a;
            total = res.total;
            capped = res.total_capped;
            files_search_result_done(&res);
        }
        qsort(t, runs, sizeof(t[0]), cmp64);
        printf("%-44s %10.2f %10.2f %7lld%s\n", cases[c].name, (double)t[runs / 2] / 1e6,
               (double)t[runs * 95 / 100] / 1e6, (long long)total, capped ? "+" : "");
    }
    free(page);
    db_close(db);
    return 0;
}
