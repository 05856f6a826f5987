/* The reconciliation thread: see reconcile.h. */
#include "files/reconcile.h"

#include "core/err.h"
#include "core/timeutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct files_reconciler {
    struct db *db;
    struct s3_client *s3;
    char *const *buckets;
    size_t nbuckets;
    int64_t interval_ms;
    bool at_start;
    struct files_index_progress *progress;
    files_reconcile_report_fn report;
    void *ctx;
    struct files_reconcile_bucket *results; /* one per bucket, reused by every run */

    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* on CLOCK_MONOTONIC */
    atomic_bool stopping;
    atomic_uint_fast64_t runs;
};

/* Asked by the walk before each page. */
static bool should_stop(void *ctx)
{
    struct files_reconciler *r = ctx;
    return atomic_load(&r->stopping);
}

void files_index_progress_init(struct files_index_progress *p)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
}

void files_index_progress_done(struct files_index_progress *p)
{
    pthread_mutex_destroy(&p->lock);
}

void files_index_progress_get(struct files_index_progress *p, struct files_index_progress *ret)
{
    pthread_mutex_lock(&p->lock);
    *ret = *p;
    pthread_mutex_unlock(&p->lock);
    memset(&ret->lock, 0, sizeof(ret->lock));
}

/* Told by the walk after each page stored. */
static void on_page(void *ctx, int64_t listed)
{
    struct files_reconciler *r = ctx;
    if (!r->progress)
        return;
    pthread_mutex_lock(&r->progress->lock);
    r->progress->listed = listed;
    pthread_mutex_unlock(&r->progress->lock);
}

static void progress_bucket(struct files_reconciler *r, const char *bucket, bool resumed,
                            int64_t listed)
{
    if (!r->progress)
        return;
    pthread_mutex_lock(&r->progress->lock);
    snprintf(r->progress->bucket, sizeof(r->progress->bucket), "%s", bucket);
    r->progress->resumed = resumed;
    r->progress->listed = listed;
    pthread_mutex_unlock(&r->progress->lock);
}

/* Whether a bucket's walk is due now: never walked, cut short, or older than an interval. */
static bool due(struct files_reconciler *r, const char *bucket)
{
    struct db_index_sync st;
    if (db_index_sync_get(r->db, bucket, &st) != 0)
        return true; /* the walk will meet the same store and say why */
    return st.walk_started > 0 || st.completed_at == 0 ||
           time_now_ms() - st.completed_at >= r->interval_ms;
}

/* One run over the buckets; only_due: the walks due at start, else all. */
static void run_once(struct files_reconciler *r, bool only_due)
{
    bool any = false, failed = false;
    for (size_t i = 0; i < r->nbuckets; i++) {
        struct files_reconcile_bucket *b = &r->results[i];
        memset(b, 0, sizeof(*b));
        b->bucket = r->buckets[i];
        if (should_stop(r)) {
            b->rc = SEAU_E_CANCELLED;
            continue;
        }
        if (only_due && !due(r, b->bucket)) {
            b->rc = 0;
            continue;
        }
        if (!any && r->progress) {
            pthread_mutex_lock(&r->progress->lock);
            r->progress->running = true;
            r->progress->started_ms = time_now_ms();
            pthread_mutex_unlock(&r->progress->lock);
        }
        any = true;
        struct db_index_sync st;
        bool resuming = db_index_sync_get(r->db, b->bucket, &st) == 0 && st.walk_started > 0;
        progress_bucket(r, b->bucket, resuming, resuming ? st.listed : 0);
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        int64_t t0 = time_mono_ns();
        b->rc = files_index_sync_resume(r->db, r->s3, b->bucket, should_stop, on_page, r,
                                        &b->stats, NULL, &e);
        b->ms = (time_mono_ns() - t0) / 1000000;
        failed |= b->rc != 0;
        if (b->rc && (e.http_status || e.code[0]))
            s3_error_describe(&e, b->why, sizeof(b->why));
    }
    if (any && r->progress) {
        pthread_mutex_lock(&r->progress->lock);
        r->progress->running = false;
        r->progress->runs++;
        r->progress->failed = failed;
        if (!failed)
            r->progress->last_success_ms = time_now_ms();
        pthread_mutex_unlock(&r->progress->lock);
    }
    atomic_fetch_add(&r->runs, 1);
    if (r->report && any)
        r->report(r->ctx, r->results, r->nbuckets);
}

static void deadline_after(int64_t ms, struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

static void *thread_main(void *arg)
{
    struct files_reconciler *r = arg;
    if (r->at_start && !atomic_load(&r->stopping))
        run_once(r, true);
    for (;;) {
        struct timespec until;
        deadline_after(r->interval_ms, &until);
        pthread_mutex_lock(&r->lock);
        int w = 0;
        while (!atomic_load(&r->stopping) && w == 0)
            w = pthread_cond_timedwait(&r->wake, &r->lock, &until);
        pthread_mutex_unlock(&r->lock);
        if (atomic_load(&r->stopping))
            break;
        run_once(r, false);
    }
    return NULL;
}

int files_reconcile_start(struct db *db, struct s3_client *s3, char *const *buckets,
                          size_t nbuckets, int64_t interval_ms, files_reconcile_report_fn report,
                          void *ctx, struct files_reconciler **ret)
{
    struct files_reconcile_opts o = {.db = db,
                                     .s3 = s3,
                                     .buckets = buckets,
                                     .nbuckets = nbuckets,
                                     .interval_ms = interval_ms,
                                     .report = report,
                                     .ctx = ctx};
    return files_reconcile_begin(&o, ret);
}

int files_reconcile_begin(const struct files_reconcile_opts *o, struct files_reconciler **ret)
{
    struct db *db = o->db;
    struct s3_client *s3 = o->s3;
    char *const *buckets = o->buckets;
    size_t nbuckets = o->nbuckets;
    int64_t interval_ms = o->interval_ms;
    files_reconcile_report_fn report = o->report;
    void *ctx = o->ctx;
    if (interval_ms <= 0)
        return SEAU_E_VALIDATION;
    struct files_reconciler *r = calloc(1, sizeof(*r));
    if (!r)
        return SEAU_E_NOMEM;
    r->results = calloc(nbuckets ? nbuckets : 1, sizeof(*r->results));
    if (!r->results) {
        free(r);
        return SEAU_E_NOMEM;
    }
    r->db = db;
    r->s3 = s3;
    r->buckets = buckets;
    r->nbuckets = nbuckets;
    r->interval_ms = interval_ms;
    r->report = report;
    r->ctx = ctx;
    r->at_start = o->at_start;
    r->progress = o->progress;
    atomic_init(&r->stopping, false);
    atomic_init(&r->runs, 0);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&r->lock, NULL);
    if (pthread_create(&r->thread, NULL, thread_main, r) != 0) {
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r->results);
        free(r);
        return SEAU_E_INTERNAL;
    }
    *ret = r;
    return 0;
}

void files_reconcile_stop(struct files_reconciler *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    atomic_store(&r->stopping, true);
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r->results);
    free(r);
}

uint64_t files_reconcile_runs(struct files_reconciler *r)
{
    return atomic_load(&r->runs);
}
