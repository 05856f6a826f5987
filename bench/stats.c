/*
 * bench/stats: fills an object index of N synthetic keys exactly as
 * bench/search does (same generator: 1000 keys a transaction through
 * db_object_sync_page), then times GET /api/stats's service
 * (files_stats_get) and the size/date-sorted listing of a folder
 * (files_list with an index sort) and prints p50/p95 for each. Built and
 * run by bench/stats.
 */
#include "core/jsonx.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "files/browse.h"
#include "files/index.h"
#include "files/stats.h"

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

static const char *words[] = {"invoice",  "report", "photo",  "backup", "scan",   "draft",
                              "contract", "Été",    "résumé", "budget", "slides", "notes"};
static const char *exts[] = {"pdf", "jpg", "png", "txt", "zip", "docx", "mp4", "csv"};

#define RUNS 40

static void print_times(const char *name, int64_t *t, const char *extra)
{
    qsort(t, RUNS, sizeof(t[0]), cmp64);
    printf("%-46s %10.2f %10.2f  %s\n", name, (double)t[RUNS / 2] / 1e6,
           (double)t[RUNS * 95 / 100] / 1e6, extra);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "sqlite:/tmp/seau-bench/stats.db";
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
    /* The bench/search generator, with the dates moved to end now, so the last 30 days hold some.
     */
    int64_t now = time_now_ms();
    for (long i = 0; i < n; i += 1000) {
        size_t m = 0;
        for (long k = i; k < n && k < i + 1000; k++, m++) {
            struct db_object *o = &page[m];
            memset(o, 0, sizeof(*o));
            seed = seed * 1103515245u + 12345u;
            snprintf(o->bucket, sizeof(o->bucket), "%s", k % 4 ? "bench-main" : "bench-archive");
            snprintf(o->key, sizeof(o->key), "team-%02u/%u/%s-%s-%07ld.%s", (seed >> 8) % 40,
                     2015 + (seed >> 12) % 10, words[(seed >> 16) % 12], words[(seed >> 20) % 12],
                     k, exts[(seed >> 24) % 8]);
            o->size = (int64_t)((seed >> 4) % 50000000);
            o->last_modified = now - (int64_t)(seed % 300000000) * 1000;
            snprintf(o->etag, sizeof(o->etag), "\"%08x\"", seed);
            const char *kind = files_kind_of(o->key, NULL);
            snprintf(o->kind, sizeof(o->kind), "%s", kind);
        }
        if (db_object_sync_page(db, page, m, 1, &counts)) {
            fprintf(stderr, "fill failed at %ld\n", i);
            return 1;
        }
    }
    printf("filled %lld new keys in %.1f s (index, level indexes, kept totals)\n",
           (long long)counts.added, (double)(time_mono_ns() - t0) / 1e9);

    char *buckets[] = {"bench-main", "bench-archive", NULL};
    struct db_grant grants[] = {{"bench-main", "team-07/"}, {"bench-main", "team-21/2019/"}};
    struct db_grant whole[] = {{"bench-main", ""}};
    struct auth_subject admin = {.user_id = 1, .role = AUTH_ROLE_ADMIN};
    struct auth_subject user = {
        .user_id = 2, .role = AUTH_ROLE_USER, .grants = grants, .ngrants = 2};
    struct auth_subject manager = {
        .user_id = 3, .role = AUTH_ROLE_MANAGER, .grants = whole, .ngrants = 1};
    struct {
        const char *name;
        const struct auth_subject *who;
        const char *bucket;
    } cases[] = {
        {"stats admin, every bucket", &admin, NULL},
        {"stats admin, bucket=bench-main", &admin, "bench-main"},
        {"stats manager (whole-bucket grant)", &manager, NULL},
        {"stats user (2 prefix grants, ~19k rows)", &user, NULL},
    };
    printf("%-46s %10s %10s  %s\n", "query", "p50 ms", "p95 ms", "result");
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int64_t t[RUNS];
        char extra[96] = "";
        for (int r = 0; r < RUNS; r++) {
            struct files_stats s;
            int64_t a = time_mono_ns();
            if (files_stats_get(db, buckets, cases[c].who, cases[c].bucket, now, &s)) {
                fprintf(stderr, "stats failed: %s\n", cases[c].name);
                return 1;
            }
            t[r] = time_mono_ns() - a;
            int64_t last30 = 0;
            for (size_t d = 0; d < FILES_STATS_DAYS; d++)
                last30 += s.days[d].count;
            snprintf(extra, sizeof(extra), "%lld objects, %lld in 30 days", (long long)s.objects,
                     (long long)last30);
            files_stats_done(&s);
        }
        print_times(cases[c].name, t, extra);
    }

    /* Sorted listings of one folder of ~4,700 objects: the first page and page 10 (deep). */
    struct files_env env = {
        .s3 = (struct s3_client *)16, .db = db, .buckets = buckets, .nbuckets = 2};
    struct files_who who = {.subject = admin};
    const char *sorts[] = {"size", "-size", "lastModified", "-lastModified"};
    for (size_t s = 0; s < 4; s++) {
        for (int deep = 0; deep < 2; deep++) {
            int64_t t[RUNS];
            char *cursor = NULL;
            /* Walk to page 10 once, to time it. */
            for (int pg = 0; deep && pg < 9; pg++) {
                struct files_list_query q = {.bucket = "bench-main",
                                             .prefix = "team-07/2020/",
                                             .sort = sorts[s],
                                             .cursor = cursor};
                struct jsonx_check check;
                jsonx_check_init(&check);
                struct files_list_params p;
                struct files_listing l;
                if (files_list_validate(&q, buckets, 2, &check, &p) ||
                    files_list(&env, &who, &p, &check, &l, NULL)) {
                    fprintf(stderr, "list failed\n");
                    return 1;
                }
                free(cursor);
                cursor = l.next_cursor;
                l.next_cursor = NULL;
                files_listing_done(&l);
                files_list_params_done(&p);
                jsonx_check_done(&check);
            }
            size_t shown = 0;
            for (int r = 0; r < RUNS; r++) {
                struct files_list_query q = {.bucket = "bench-main",
                                             .prefix = "team-07/2020/",
                                             .sort = sorts[s],
                                             .cursor = cursor};
                struct jsonx_check check;
                jsonx_check_init(&check);
                struct files_list_params p;
                struct files_listing l;
                int64_t a = time_mono_ns();
                if (files_list_validate(&q, buckets, 2, &check, &p) ||
                    files_list(&env, &who, &p, &check, &l, NULL)) {
                    fprintf(stderr, "list failed\n");
                    return 1;
                }
                t[r] = time_mono_ns() - a;
                shown = l.count;
                files_listing_done(&l);
                files_list_params_done(&p);
                jsonx_check_done(&check);
            }
            free(cursor);
            char name[64], extra[64];
            snprintf(name, sizeof(name), "list sort=%s, %s page", sorts[s], deep ? "10th" : "1st");
            snprintf(extra, sizeof(extra), "%zu entries", shown);
            print_times(name, t, extra);
        }
    }
    /* The folders of the root of a 750k-key bucket: 40 seeks. */
    {
        int64_t t[RUNS];
        size_t shown = 0;
        for (int r = 0; r < RUNS; r++) {
            struct files_list_query q = {.bucket = "bench-main", .sort = "-size"};
            struct jsonx_check check;
            jsonx_check_init(&check);
            struct files_list_params p;
            struct files_listing l;
            int64_t a = time_mono_ns();
            if (files_list_validate(&q, buckets, 2, &check, &p) ||
                files_list(&env, &who, &p, &check, &l, NULL)) {
                fprintf(stderr, "list failed\n");
                return 1;
            }
            t[r] = time_mono_ns() - a;
            shown = l.count;
            files_listing_done(&l);
            files_list_params_done(&p);
            jsonx_check_done(&check);
        }
        char extra[64];
        snprintf(extra, sizeof(extra), "%zu folders", shown);
        print_times("list sort=-size, bucket root (folders)", t, extra);
    }
    free(page);
    db_close(db);
    return 0;
}
