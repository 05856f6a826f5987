/*
 * The figures of Seau's resilience and observability machinery, rendered in
 * the Prometheus exposition after metrics_render()'s: the S3 circuit
 * breakers and cache, the first index sync, the trace exporter. The caller
 * samples them (from s3/, files/, core/trace) and passes them in, so this
 * module depends on none of those.
 */
#ifndef SEAU_METRICS_OBS_H
#define SEAU_METRICS_OBS_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_OBS_MAX_CIRCUITS 2

struct metrics_obs_circuit {
    const char *endpoint; /* "s3", "sqs": a fixed label */
    int state;            /* 0 closed, 1 open, 2 half-open */
    uint64_t opened, rejected;
};

struct metrics_obs {
    struct metrics_obs_circuit circuits[METRICS_OBS_MAX_CIRCUITS];
    size_t ncircuits;
    bool cache; /* the S3 cache is on: its figures below */
    uint64_t cache_hits, cache_misses, cache_coalesced, cache_invalidations, cache_entries;
    bool index; /* the index sync ran or runs here: its figures below */
    int index_running;          /* gauge: 1 while a walk runs */
    uint64_t index_listed;      /* objects listed by the walk under way (or the last one) */
    double index_last_success;  /* unix seconds; 0: never */
    bool tracing; /* traces are exported: their figures below */
    uint64_t spans_exported, spans_dropped, spans_failed;
};

/* Appends the figures to out. Returns 0, SEAU_E_TOO_LARGE or SEAU_E_NOMEM. */
int metrics_render_obs(const struct metrics_obs *o, struct buf *out);

#endif
