/*
 * Periodic reconciliation of the object index (SEAU_INDEX_RECONCILE_INTERVAL):
 * a thread that, every interval, runs files_index_sync() on each configured
 * bucket in turn, so changes made to the buckets outside Seau (and missed
 * event notifications) reach search, stats and sorted listings.
 *
 * The first run comes one interval after the start, not at once: a server
 * that restarts often does not walk its buckets each time, and `seau index
 * sync` stays the way to fill a new index immediately. The next run is
 * timed from the end of the previous one, so runs never overlap.
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

/* Stops the thread (waking it, abandoning a walk at its next page) and frees it. Accepts NULL. */
void files_reconcile_stop(struct files_reconciler *r);

/* For tests: how many runs have completed. */
uint64_t files_reconcile_runs(struct files_reconciler *r);

#endif
