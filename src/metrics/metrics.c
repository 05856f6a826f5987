#include "metrics/metrics.h"

#include "core/err.h"

#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1,    2.5,   5, 10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))
#define NSLOTS 1024 /* power of two; more series than this are folded into one */

struct series {
    bool used;
    char method[8];
    char route[64];
    int status;
    uint64_t counts[NBUCKETS]; /* non-cumulative; summed at render time */
    uint64_t count;
    double sum;
};

struct metrics {
    pthread_mutex_t lock;
    size_t nused;
    struct series slots[NSLOTS];
};

static const char *const known_methods[] = {"GET",   "HEAD",    "POST",   "PUT",
                                            "PATCH", "DELETE", "OPTIONS"};

struct metrics *metrics_new(void)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/*
 * Finds or adds the series. The last free slot is kept for the "overflow"
 * series, so a flood of odd statuses can never hide requests entirely.
 */
static struct series *find_series(struct metrics *m, const char *method, const char *route,
                                  int status, bool may_take_last)
{
    uint64_t h = fnv1a(fnv1a(14695981039346656037ULL, method), route) ^ (uint64_t)status;
    for (size_t probe = 0; probe < NSLOTS; probe++) {
        struct series *s = &m->slots[(h + probe) & (NSLOTS - 1)];
        if (!s->used) {
            if (m->nused >= NSLOTS - (may_take_last ? 0 : 1))
                return NULL;
            s->used = true;
            snprintf(s->method, sizeof(s->method), "%s", method);
            snprintf(s->route, sizeof(s->route), "%s", route);
            s->status = status;
            m->nused++;
            return s;
        }
        if (s->status == status && strcmp(s->method, method) == 0 && strcmp(s->route, route) == 0)
            return s;
    }
    return NULL;
}

void metrics_observe_http(struct metrics *m, const char *method, const char *route, int status,
                          double seconds)
{
    const char *label = "OTHER";
    for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
        if (strcmp(method, known_methods[i]) == 0)
            label = known_methods[i];
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    pthread_mutex_lock(&m->lock);
    struct series *s = find_series(m, label, route, status, false);
    if (!s)
        s = find_series(m, "OTHER", "overflow", 0, true);
    if (s) {
        if (b < NBUCKETS)
            s->counts[b]++;
        s->count++;
        s->sum += seconds;
    }
    pthread_mutex_unlock(&m->lock);
}

int64_t metrics_process_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    if (!f)
        return -1;
    unsigned long long size = 0, resident = 0;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    return n == 2 ? (int64_t)resident * sysconf(_SC_PAGESIZE) : -1;
}

int64_t metrics_process_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the descriptor opendir itself holds */
}

double metrics_process_start_time(void)
{
    static double start;
    if (start == 0) {
        /* Field 22 of /proc/self/stat is the start in clock ticks since boot. */
        FILE *f = fopen("/proc/self/stat", "re");
        char line[1024];
        double boot = 0;
        if (f && fgets(line, sizeof(line), f)) {
            const char *p = strrchr(line, ')');
            unsigned long long ticks = 0;
            for (int field = 2; p && *p && field < 22; p++)
                if (*p == ' ')
                    field++;
            if (p)
                ticks = strtoull(p, NULL, 10);
            FILE *s = fopen("/proc/stat", "re");
            char l2[256];
            while (s && fgets(l2, sizeof(l2), s))
                if (strncmp(l2, "btime ", 6) == 0)
                    boot = strtod(l2 + 6, NULL);
            if (s)
                fclose(s);
            if (boot > 0)
                start = boot + (double)ticks / (double)sysconf(_SC_CLK_TCK);
        }
        if (f)
            fclose(f);
        if (start == 0)
            start = (double)time(NULL);
    }
    return start;
}

/* The real-time events' series (events/). */
static int render_events(const struct metrics_events *e, struct buf *out)
{
    static const char *const via[METRICS_VIA_COUNT] = {"seau", "sqs", "webhook"};
    int rc = buf_append_str(out, "# HELP seau_events_received_total Events that entered Seau, by "
                                 "where they came from.\n"
                                 "# TYPE seau_events_received_total counter\n");
    for (int i = 0; rc == 0 && i < METRICS_VIA_COUNT; i++)
        rc = buf_printf(out, "seau_events_received_total{source=\"%s\"} %llu\n", via[i],
                        (unsigned long long)e->received[i]);
    if (rc == 0)
        rc = buf_printf(
            out,
            "# HELP seau_notifications_stored_total Notifications stored.\n"
            "# TYPE seau_notifications_stored_total counter\n"
            "seau_notifications_stored_total %llu\n"
            "# HELP seau_events_merged_total S3 events merged into the notification of the "
            "change Seau made.\n"
            "# TYPE seau_events_merged_total counter\n"
            "seau_events_merged_total %llu\n"
            "# HELP seau_events_duplicates_total S3 events delivered more than once, dropped.\n"
            "# TYPE seau_events_duplicates_total counter\n"
            "seau_events_duplicates_total %llu\n"
            "# HELP seau_events_lost_total Events of Seau's own changes that could not be "
            "stored.\n"
            "# TYPE seau_events_lost_total counter\n"
            "seau_events_lost_total %llu\n"
            "# HELP seau_websocket_clients WebSocket clients connected.\n"
            "# TYPE seau_websocket_clients gauge\n"
            "seau_websocket_clients %llu\n"
            "# HELP seau_websocket_connections_total WebSocket connections accepted.\n"
            "# TYPE seau_websocket_connections_total counter\n"
            "seau_websocket_connections_total %llu\n"
            "# HELP seau_websocket_slow_clients_dropped_total Clients closed with 1008 for "
            "falling too far behind.\n"
            "# TYPE seau_websocket_slow_clients_dropped_total counter\n"
            "seau_websocket_slow_clients_dropped_total %llu\n"
            "# HELP seau_websocket_messages_sent_total Notifications sent to WebSocket clients.\n"
            "# TYPE seau_websocket_messages_sent_total counter\n"
            "seau_websocket_messages_sent_total %llu\n",
            (unsigned long long)e->stored, (unsigned long long)e->merged,
            (unsigned long long)e->duplicates, (unsigned long long)e->lost,
            (unsigned long long)e->ws_clients, (unsigned long long)e->ws_accepted,
            (unsigned long long)e->ws_dropped_slow, (unsigned long long)e->ws_sent);
    if (rc == 0 && e->sqs_up >= 0)
        rc = buf_printf(out,
                        "# HELP seau_sqs_up Whether the SQS consumer receives (1) or fails (0).\n"
                        "# TYPE seau_sqs_up gauge\n"
                        "seau_sqs_up %d\n"
                        "# HELP seau_sqs_errors_total SQS calls that failed.\n"
                        "# TYPE seau_sqs_errors_total counter\n"
                        "seau_sqs_errors_total %llu\n"
                        "# HELP seau_sqs_messages_failed_total Messages left in the queue after "
                        "failing (retried, then dead-lettered by the queue).\n"
                        "# TYPE seau_sqs_messages_failed_total counter\n"
                        "seau_sqs_messages_failed_total %llu\n"
                        "# HELP seau_sqs_lag_seconds Time from an S3 event to its handling, "
                        "last message.\n"
                        "# TYPE seau_sqs_lag_seconds gauge\n"
                        "seau_sqs_lag_seconds %.3f\n",
                        e->sqs_up, (unsigned long long)e->sqs_errors,
                        (unsigned long long)e->sqs_failed, e->sqs_lag_seconds);
    return rc;
}

int metrics_render(struct metrics *m, const struct metrics_gauges *g, struct buf *out)
{
    int rc = buf_append_str(out, "# HELP seau_http_request_duration_seconds Time to answer HTTP "
                                 "requests, by method, route pattern and status.\n"
                                 "# TYPE seau_http_request_duration_seconds histogram\n");
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; rc == 0 && i < NSLOTS; i++) {
        const struct series *s = &m->slots[i];
        if (!s->used || s->count == 0)
            continue;
        char labels[128];
        /* Labels are our own route patterns and a fixed method set: nothing to escape. */
        snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\",status=\"%d\"", s->method,
                 s->route, s->status);
        uint64_t cum = 0;
        for (size_t b = 0; rc == 0 && b < NBUCKETS; b++) {
            cum += s->counts[b];
            rc = buf_printf(out, "seau_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
                            labels, buckets[b], (unsigned long long)cum);
        }
        if (rc == 0)
            rc = buf_printf(out,
                            "seau_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n"
                            "seau_http_request_duration_seconds_sum{%s} %.9f\n"
                            "seau_http_request_duration_seconds_count{%s} %llu\n",
                            labels, (unsigned long long)s->count, labels, s->sum, labels,
                            (unsigned long long)s->count);
    }
    pthread_mutex_unlock(&m->lock);
    if (rc == 0)
        rc = buf_printf(out,
                        "# HELP seau_http_requests_in_flight Requests being handled now.\n"
                        "# TYPE seau_http_requests_in_flight gauge\n"
                        "seau_http_requests_in_flight %u\n"
                        "# HELP seau_ready Whether the instance reports ready (1) or not (0).\n"
                        "# TYPE seau_ready gauge\n"
                        "seau_ready %d\n"
                        "# HELP seau_build_info Version of this build.\n"
                        "# TYPE seau_build_info gauge\n"
                        "seau_build_info{version=\"%s\"} 1\n"
                        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                        "# TYPE process_resident_memory_bytes gauge\n"
                        "process_resident_memory_bytes %lld\n"
                        "# HELP process_open_fds Number of open file descriptors.\n"
                        "# TYPE process_open_fds gauge\n"
                        "process_open_fds %lld\n"
                        "# HELP process_start_time_seconds Start time of the process since the "
                        "Unix epoch in seconds.\n"
                        "# TYPE process_start_time_seconds gauge\n"
                        "process_start_time_seconds %.3f\n",
                        g->in_flight, g->ready, SEAU_VERSION,
                        (long long)metrics_process_rss(), (long long)metrics_process_open_fds(),
                        metrics_process_start_time());
    if (rc == 0 && g->events)
        rc = render_events(g->events, out);
    return rc;
}
