#include "metrics/metrics.h"

#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"

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

/* S3 calls: one row per operation, the last row for "other" (odd names, no room left). */
#define S3_OPS    64
#define S3_OP_MAX 40
enum { CLASS_2XX, CLASS_3XX, CLASS_4XX, CLASS_5XX, CLASS_ERROR, NCLASSES };
static const char *const class_names[NCLASSES] = {"2xx", "3xx", "4xx", "5xx", "error"};

struct s3_series {
    char op[S3_OP_MAX];
    uint64_t requests[NCLASSES];
    uint64_t counts[NBUCKETS];
    uint64_t count;
    double sum;
};

/* Upload sizes in bytes: 1 KiB to 16 GiB, by fours. */
static const double size_buckets[] = {1024.0,       4096.0,        16384.0,      65536.0,
                                      262144.0,     1048576.0,     4194304.0,    16777216.0,
                                      67108864.0,   268435456.0,   1073741824.0, 4294967296.0,
                                      17179869184.0};
#define NSIZES (sizeof(size_buckets) / sizeof(size_buckets[0]))
static const char *const upload_paths[METRICS_UPLOAD_COUNT] = {"direct", "proxied"};

struct size_series {
    uint64_t counts[NSIZES];
    uint64_t count;
    double sum;
};

/* Users seen: open addressing on the id (0 marks a free slot). */
struct seen {
    int64_t user;
    int64_t at_ms;
};
#define ACTIVE_SHORT_MS (5LL * 60 * 1000)
#define ACTIVE_LONG_MS  (24LL * 60 * 60 * 1000)

struct metrics {
    pthread_mutex_t lock;
    size_t nused;
    struct series slots[NSLOTS];
    size_t ns3;
    struct s3_series s3[S3_OPS];
    struct size_series uploads[METRICS_UPLOAD_COUNT];
    uint64_t login_failures;
    struct seen *seen;
    size_t seen_cap, seen_n;
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
    free(m->seen);
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

/* An operation name is an API action: letters and digits only, or it is "other". */
static bool op_name_ok(const char *op)
{
    size_t n = 0;
    for (; op[n]; n++)
        if (!((op[n] >= 'A' && op[n] <= 'Z') || (op[n] >= 'a' && op[n] <= 'z') ||
              (op[n] >= '0' && op[n] <= '9')))
            return false;
    return n > 0 && n < S3_OP_MAX;
}

void metrics_observe_s3(struct metrics *m, const char *operation, int http_status,
                        double seconds)
{
    if (!m)
        return;
    const char *op = operation && op_name_ok(operation) ? operation : "other";
    int cls = http_status >= 200 && http_status < 600 ? http_status / 100 - 2 : CLASS_ERROR;
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    pthread_mutex_lock(&m->lock);
    /* "other" is always the last row, so it appears once. */
    bool other = strcmp(op, "other") == 0;
    struct s3_series *s = NULL;
    for (size_t i = 0; i < m->ns3 && !s && !other; i++)
        if (strcmp(m->s3[i].op, op) == 0)
            s = &m->s3[i];
    if (!s && !other && m->ns3 < S3_OPS - 1) {
        s = &m->s3[m->ns3++];
        snprintf(s->op, sizeof(s->op), "%s", op);
    }
    if (!s) {
        s = &m->s3[S3_OPS - 1];
        snprintf(s->op, sizeof(s->op), "other");
    }
    s->requests[cls]++;
    if (b < NBUCKETS)
        s->counts[b]++;
    s->count++;
    s->sum += seconds;
    pthread_mutex_unlock(&m->lock);
}

void metrics_observe_upload(struct metrics *m, enum metrics_upload_path path, int64_t bytes)
{
    if (!m || path < 0 || path >= METRICS_UPLOAD_COUNT || bytes < 0)
        return;
    size_t b = 0;
    while (b < NSIZES && (double)bytes > size_buckets[b])
        b++;
    pthread_mutex_lock(&m->lock);
    struct size_series *s = &m->uploads[path];
    if (b < NSIZES)
        s->counts[b]++;
    s->count++;
    s->sum += (double)bytes;
    pthread_mutex_unlock(&m->lock);
}

void metrics_login_failed(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->login_failures++;
    pthread_mutex_unlock(&m->lock);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Puts (user, at) into a table of cap slots (a power of two, never full). */
static void seen_put(struct seen *t, size_t cap, int64_t user, int64_t at_ms)
{
    for (size_t i = mix64((uint64_t)user) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (t[i].user == user || t[i].user == 0) {
            t[i].user = user;
            if (at_ms > t[i].at_ms)
                t[i].at_ms = at_ms;
            return;
        }
    }
}

/* Rebuilds the table with cap slots, keeping the users seen since since_ms. */
static int seen_rebuild(struct metrics *m, size_t cap, int64_t since_ms)
{
    struct seen *t = calloc(cap, sizeof(*t));
    if (!t)
        return SEAU_E_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < m->seen_cap; i++)
        if (m->seen[i].user != 0 && m->seen[i].at_ms >= since_ms) {
            seen_put(t, cap, m->seen[i].user, m->seen[i].at_ms);
            n++;
        }
    free(m->seen);
    m->seen = t;
    m->seen_cap = cap;
    m->seen_n = n;
    return 0;
}

void metrics_user_seen(struct metrics *m, int64_t user_id, int64_t now_ms)
{
    if (!m || user_id <= 0)
        return;
    pthread_mutex_lock(&m->lock);
    /* Kept at most half full; on out of memory the user is simply not counted. */
    if ((m->seen_n + 1) * 2 > m->seen_cap)
        (void)seen_rebuild(m, m->seen_cap ? m->seen_cap * 2 : 64, INT64_MIN);
    if ((m->seen_n + 1) * 2 <= m->seen_cap) {
        size_t before = 0;
        for (size_t i = mix64((uint64_t)user_id) & (m->seen_cap - 1);;
             i = (i + 1) & (m->seen_cap - 1)) {
            if (m->seen[i].user == user_id) {
                before = 1;
                break;
            }
            if (m->seen[i].user == 0)
                break;
        }
        seen_put(m->seen, m->seen_cap, user_id, now_ms);
        m->seen_n += 1 - before;
    }
    pthread_mutex_unlock(&m->lock);
}

/* Counts the users seen in the two windows and drops those older than 24 h. Under the lock. */
static void active_users(struct metrics *m, int64_t now_ms, uint64_t *ret_short,
                         uint64_t *ret_long)
{
    uint64_t s = 0, l = 0;
    for (size_t i = 0; i < m->seen_cap; i++) {
        if (m->seen[i].user == 0)
            continue;
        int64_t age = now_ms - m->seen[i].at_ms;
        if (age <= ACTIVE_SHORT_MS)
            s++;
        if (age <= ACTIVE_LONG_MS)
            l++;
    }
    if (l < m->seen_n)
        (void)seen_rebuild(m, m->seen_cap, now_ms - ACTIVE_LONG_MS);
    *ret_short = s;
    *ret_long = l;
}

/* The S3, upload, sign-in and active-user series. Under the lock. */
static int render_app(struct metrics *m, int64_t now_ms, struct buf *out)
{
    int rc = buf_append_str(out, "# HELP seau_s3_requests_total S3 calls (attempts, retries "
                                 "included), by operation and status class.\n"
                                 "# TYPE seau_s3_requests_total counter\n");
    for (size_t i = 0; rc == 0 && i < S3_OPS; i++)
        for (int c = 0; rc == 0 && c < NCLASSES && m->s3[i].count; c++)
            rc = buf_printf(out, "seau_s3_requests_total{operation=\"%s\",status=\"%s\"} %llu\n",
                            m->s3[i].op, class_names[c],
                            (unsigned long long)m->s3[i].requests[c]);
    if (rc == 0)
        rc = buf_append_str(out, "# HELP seau_s3_request_duration_seconds Time of S3 calls "
                                 "(attempts), by operation.\n"
                                 "# TYPE seau_s3_request_duration_seconds histogram\n");
    for (size_t i = 0; rc == 0 && i < S3_OPS; i++) {
        const struct s3_series *s = &m->s3[i];
        if (!s->count)
            continue;
        uint64_t cum = 0;
        for (size_t b = 0; rc == 0 && b < NBUCKETS; b++) {
            cum += s->counts[b];
            rc = buf_printf(out,
                            "seau_s3_request_duration_seconds_bucket{operation=\"%s\",le=\"%g\"} "
                            "%llu\n",
                            s->op, buckets[b], (unsigned long long)cum);
        }
        if (rc == 0)
            rc = buf_printf(
                out,
                "seau_s3_request_duration_seconds_bucket{operation=\"%s\",le=\"+Inf\"} %llu\n"
                "seau_s3_request_duration_seconds_sum{operation=\"%s\"} %.9f\n"
                "seau_s3_request_duration_seconds_count{operation=\"%s\"} %llu\n",
                s->op, (unsigned long long)s->count, s->op, s->sum, s->op,
                (unsigned long long)s->count);
    }
    if (rc == 0)
        rc = buf_append_str(out, "# HELP seau_upload_bytes Size of the files stored by uploads, "
                                 "by path (direct: browser to S3; proxied: through Seau).\n"
                                 "# TYPE seau_upload_bytes histogram\n");
    for (int p = 0; rc == 0 && p < METRICS_UPLOAD_COUNT; p++) {
        const struct size_series *s = &m->uploads[p];
        uint64_t cum = 0;
        for (size_t b = 0; rc == 0 && b < NSIZES; b++) {
            cum += s->counts[b];
            rc = buf_printf(out, "seau_upload_bytes_bucket{path=\"%s\",le=\"%.0f\"} %llu\n",
                            upload_paths[p], size_buckets[b], (unsigned long long)cum);
        }
        if (rc == 0)
            rc = buf_printf(out,
                            "seau_upload_bytes_bucket{path=\"%s\",le=\"+Inf\"} %llu\n"
                            "seau_upload_bytes_sum{path=\"%s\"} %.0f\n"
                            "seau_upload_bytes_count{path=\"%s\"} %llu\n",
                            upload_paths[p], (unsigned long long)s->count, upload_paths[p], s->sum,
                            upload_paths[p], (unsigned long long)s->count);
    }
    uint64_t short_n = 0, long_n = 0;
    active_users(m, now_ms, &short_n, &long_n);
    if (rc == 0)
        rc = buf_printf(out,
                        "# HELP seau_login_failures_total Sign-ins refused (wrong credentials, rate limit).\n"
                        "# TYPE seau_login_failures_total counter\n"
                        "seau_login_failures_total %llu\n"
                        "# HELP seau_active_users Distinct users with an authenticated request in "
                        "the window (since the process started).\n"
                        "# TYPE seau_active_users gauge\n"
                        "seau_active_users{window=\"5m\"} %llu\n"
                        "seau_active_users{window=\"24h\"} %llu\n",
                        (unsigned long long)m->login_failures, (unsigned long long)short_n,
                        (unsigned long long)long_n);
    return rc;
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

/* A byte count from a one-line file; -1 for "max", unreadable or absurd (v1's "unlimited"). */
static int64_t read_limit(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char line[64];
    int64_t v = -1;
    if (fgets(line, sizeof(line), f) && line[0] >= '0' && line[0] <= '9') {
        unsigned long long n = strtoull(line, NULL, 10);
        if (n > 0 && n < (1ULL << 62))
            v = (int64_t)n;
    }
    fclose(f);
    return v;
}

int64_t metrics_process_memory_limit(void)
{
    int64_t v = read_limit("/sys/fs/cgroup/memory.max");
    return v > 0 ? v : read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes");
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
    if (rc == 0)
        rc = render_app(m, g->now_ms ? g->now_ms : time_now_ms(), out);
    pthread_mutex_unlock(&m->lock);
    if (rc == 0)
        rc = buf_printf(out,
                        "# HELP seau_http_requests_in_flight Requests being handled now.\n"
                        "# TYPE seau_http_requests_in_flight gauge\n"
                        "seau_http_requests_in_flight %u\n"
                        "# HELP seau_http_heads_cut_total Connections cut because their request "
                        "head was not complete by its deadline (SEAU_HEADER_TIMEOUT).\n"
                        "# TYPE seau_http_heads_cut_total counter\n"
                        "seau_http_heads_cut_total %llu\n"
                        "# HELP seau_http_connections_refused_total Connections refused by the "
                        "per-address cap (SEAU_MAX_CONNECTIONS_PER_CLIENT).\n"
                        "# TYPE seau_http_connections_refused_total counter\n"
                        "seau_http_connections_refused_total %llu\n"
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
                        g->in_flight, (unsigned long long)g->heads_cut,
                        (unsigned long long)g->connections_refused, g->ready, SEAU_VERSION,
                        (long long)metrics_process_rss(), (long long)metrics_process_open_fds(),
                        metrics_process_start_time());
    if (rc == 0)
        rc = buf_printf(out,
                        "# HELP seau_log_lines_dropped_total Log lines dropped because their "
                        "thread's buffer was full (the writer fell behind).\n"
                        "# TYPE seau_log_lines_dropped_total counter\n"
                        "seau_log_lines_dropped_total %llu\n",
                        (unsigned long long)log_dropped());
    int64_t limit = metrics_process_memory_limit();
    if (rc == 0 && limit > 0)
        rc = buf_printf(out,
                        "# HELP seau_memory_limit_bytes Memory limit of the process's control "
                        "group (the container's limit).\n"
                        "# TYPE seau_memory_limit_bytes gauge\n"
                        "seau_memory_limit_bytes %lld\n",
                        (long long)limit);
    if (rc == 0 && g->events)
        rc = render_events(g->events, out);
    return rc;
}
