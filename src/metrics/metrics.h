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

/*
 * Records one attempt of an S3 (or SQS, STS) call: operation is the API's
 * action name ("GetObject"), http_status the answer's status or 0 when no
 * answer came (connection, timeout, signing). Statuses are counted by class
 * (2xx, 3xx, 4xx, 5xx, error); operations past the table's room are counted
 * as "other". Thread-safe; O(1).
 */
void metrics_observe_s3(struct metrics *m, const char *operation, int http_status,
                        double seconds);

/* The size of one file stored by an upload, by the way it came. m may be NULL. */
enum metrics_upload_path {
    METRICS_UPLOAD_DIRECT,  /* browser to S3, presigned (files/upload_direct) */
    METRICS_UPLOAD_PROXIED, /* through Seau (files/upload_proxied) */
    METRICS_UPLOAD_COUNT
};
void metrics_observe_upload(struct metrics *m, enum metrics_upload_path path, int64_t bytes);

/* A sign-in refused (wrong email or password, disabled account). m may be NULL. */
void metrics_login_failed(struct metrics *m);

/*
 * An authenticated request of user_id at now_ms: the active-user gauges
 * count the distinct users seen in the last 5 minutes and 24 hours. The set
 * lives in memory (one entry per user seen in 24 h; older ones are dropped
 * at render time), so it starts empty after a restart. m may be NULL.
 */
void metrics_user_seen(struct metrics *m, int64_t user_id, int64_t now_ms);

/*
 * The real-time events' figures (events/), sampled at render time. Counters
 * only grow; the rest are gauges.
 */
enum metrics_event_origin {
    METRICS_VIA_SEAU,
    METRICS_VIA_SQS,
    METRICS_VIA_WEBHOOK,
    METRICS_VIA_COUNT
};
struct metrics_events {
    uint64_t received[METRICS_VIA_COUNT]; /* events that entered, by where from */
    uint64_t stored;                      /* notifications stored */
    uint64_t merged;                      /* S3 events merged into Seau's own notification */
    uint64_t duplicates;                  /* S3 events delivered again, dropped */
    uint64_t lost;                        /* Seau events dropped (queue full, store down) */
    uint64_t ws_clients;                  /* gauge: WebSocket clients connected */
    uint64_t ws_accepted;
    uint64_t ws_dropped_slow;             /* clients closed with 1008 for not reading */
    uint64_t ws_sent;                     /* notifications sent to clients */
    int sqs_up;                           /* gauge: 1 receiving, 0 failing, -1 no queue */
    uint64_t sqs_errors;                  /* failed ReceiveMessage/DeleteMessageBatch calls */
    uint64_t sqs_failed;                  /* messages left in the queue after failing */
    double sqs_lag_seconds;               /* gauge: S3 event time to handling, last message */
};

/* Values that live outside the registry, sampled at render time. */
struct metrics_gauges {
    unsigned in_flight;
    uint64_t heads_cut;           /* request heads cut at their deadline */
    uint64_t connections_refused; /* refused by the per-address cap */
    int ready;
    const struct metrics_events *events; /* NULL: not rendered */
    int64_t now_ms;                      /* 0: the wall clock (for the active users) */
};

/* Appends the exposition to out. Returns 0 or SEAU_E_TOO_LARGE / SEAU_E_NOMEM. */
int metrics_render(struct metrics *m, const struct metrics_gauges *g, struct buf *out);

/* Process facts from /proc/self: resident bytes, open descriptors, start time (s). */
int64_t metrics_process_rss(void);
int64_t metrics_process_open_fds(void);
double metrics_process_start_time(void);
/*
 * The memory limit of the process's control group (a container's limit):
 * cgroup v2 memory.max, else v1 memory.limit_in_bytes, both as the process
 * sees /sys/fs/cgroup. -1 when there is none (unlimited, or not readable).
 */
int64_t metrics_process_memory_limit(void);

#endif
