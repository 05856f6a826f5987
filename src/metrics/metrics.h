/*
 * Prometheus metrics: a registry of the HTTP request-duration histogram
 * and the text exposition (format 0.0.4) of it plus process gauges.
 */
#ifndef SEAU_METRICS_METRICS_H
#define SEAU_METRICS_METRICS_H

#include "core/buf.h"

#include <stdint.h>

struct metrics;

/* NULL on out of memory. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/*
 * Records one request. route must be a route pattern or a fixed label
 * ("static", "unmatched"), never a raw path: labels must stay few. Unknown
 * methods are counted as "OTHER" for the same reason. Thread-safe; O(1).
 */
void metrics_observe_http(struct metrics *m, const char *method, const char *route, int status,
                          double seconds);

/* Values that live outside the registry, sampled at render time. */
struct metrics_gauges {
    unsigned in_flight;
    int ready;
};

/* Appends the exposition to out. Returns 0 or SEAU_E_TOO_LARGE / SEAU_E_NOMEM. */
int metrics_render(struct metrics *m, const struct metrics_gauges *g, struct buf *out);

/* Process facts from /proc/self: resident bytes, open descriptors, start time (s). */
int64_t metrics_process_rss(void);
int64_t metrics_process_open_fds(void);
double metrics_process_start_time(void);

#endif
