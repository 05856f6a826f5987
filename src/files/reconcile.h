/*
 * Periodic reconciliation of the object index (SEAU_INDEX_RECONCILE_INTERVAL):
 * a thread that, every interval, runs files_index_sync() on each configured
 * bucket in turn, so changes made to the buckets outside Seau (and missed
 * event notifications) reach search, stats and sorted listings.
 *
 * With files_reconcile_start() the first run comes one interval after the
 * start. files_reconcile_begin() with .at_start runs at once, in the
 * background, the walks that are due: a bucket never walked, one whose walk
 * was cut short (it resumes where it stopped, see files_index_sync_resume),
 * and one last walked more than an interval ago; a server that restarts often
 * does not walk its buckets each time. The next run is timed from the end of
 * the previous one, so runs never overlap. Every walk of the thread keeps its
 * place in the store, and its progress in a files_index_progress that
 * readiness and metrics read.
 *
 * Stopping is prompt: the thread waits on a condition variable (monotonic
 * clock), not in sleep(), and a walk in progress is abandoned before its
 * next page (files_index_sync_until), without sweeping anything.
 *
 * Modules do not log (STYLE.md rule 9): after each run the thread calls
 * report() with what each bucket's walk did, and the caller logs.
 */
#ifndef SEAU_FILES_RECONCILE_H
#define SEAU_FILES_RECONCILE_H

#include "files/index.h"
#include "s3/client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one bucket's walk did in a run. */
struct files_reconcile_bucket {
    const char *bucket;
    int rc;                        /* 0, or why the walk stopped (SEAU_E_CANCELLED at shutdown) */
    struct files_sync_stats stats; /* counts so far, also on failure */
    char why[512];                 /* S3's failure described; "" when none */
    int64_t ms;                    /* how long it took */
};

/*
 * The progress of the walks, shared between the thread that walks and the
 * readers (/api/ready, metrics, the dashboard). The owner calls
 * files_index_progress_init() and _done(); it outlives the reconcilers that
 * write to it (a replica that stops leading keeps its last figures).
 */
struct files_index_progress {
    pthread_mutex_t lock;
    bool running;                      /* a walk is under way */
    char bucket[DB_BUCKET_MAX + 1];    /* ... of this bucket */
    bool resumed;                      /* ... resuming one cut short */
    int64_t listed;                    /* objects listed by it so far (or by the last one) */
    int64_t started_ms;                /* when the run under way (or the last one) began */
    int64_t last_success_ms;           /* when a run last ended without error; 0: never here */
    int64_t runs;                      /* runs ended */
    bool failed;                       /* the last run ended with an error */
};
void files_index_progress_init(struct files_index_progress *p);
void files_index_progress_done(struct files_index_progress *p);
/* A consistent copy (its lock left zeroed: not to be used). */
void files_index_progress_get(struct files_index_progress *p, struct files_index_progress *ret);

/* Called on the thread after each run with every bucket's result (borrowed for the call). */
typedef void (*files_reconcile_report_fn)(void *ctx, const struct files_reconcile_bucket *b,
                                          size_t n);

struct files_reconciler;

/*
 * Starts the thread. Everything passed is borrowed and must outlive
 * files_reconcile_stop(). interval_ms must be > 0 (0 means "off": do not
 * start). Returns 0 and the handle, SEAU_E_NOMEM, or SEAU_E_INTERNAL when
 * the thread cannot be created.
 */
int files_reconcile_start(struct db *db, struct s3_client *s3, char *const *buckets,
                          size_t nbuckets, int64_t interval_ms, files_reconcile_report_fn report,
                          void *ctx, struct files_reconciler **ret);

struct files_reconcile_opts {
    struct db *db;
    struct s3_client *s3;
    char *const *buckets;
    size_t nbuckets;
    int64_t interval_ms; /* > 0 */
    bool at_start;       /* run the due walks at once (see above) */
    struct files_index_progress *progress; /* NULL: none kept */
    files_reconcile_report_fn report;
    void *ctx;
};

/* files_reconcile_start() with every option; everything borrowed as there. */
int files_reconcile_begin(const struct files_reconcile_opts *o, struct files_reconciler **ret);

/* Stops the thread (waking it, abandoning a walk at its next page) and frees it. Accepts NULL. */
void files_reconcile_stop(struct files_reconciler *r);

/* For tests: how many runs have completed. */
uint64_t files_reconcile_runs(struct files_reconciler *r);

#endif
