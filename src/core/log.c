#include "core/log.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;
static enum log_format log_fmt = LOG_FORMAT_JSON;
static int log_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *s, enum log_level *ret)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *ret = (enum log_level)i;
            return 0;
        }
    }
    return SEAU_E_VALIDATION;
}

int log_format_parse(const char *s, enum log_format *ret)
{
    if (strcmp(s, "json") == 0)
        *ret = LOG_FORMAT_JSON;
    else if (strcmp(s, "text") == 0)
        *ret = LOG_FORMAT_TEXT;
    else
        return SEAU_E_VALIDATION;
    return 0;
}

void log_setup(enum log_level level, enum log_format format, int fd)
{
    log_min = level;
    log_fmt = format;
    log_fd = fd;
}

bool log_enabled(enum log_level level)
{
    return level >= log_min;
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(log_fd, p, n);
        if (w <= 0)
            return; /* Nowhere left to report a logging failure. */
        p += w;
        n -= (size_t)w;
    }
}

/* ---- the background writer ---- */

/*
 * A thread's buffer. The thread appends to `active` under `lock`; the
 * writer swaps `active` and `spare` under it, then writes the spare out
 * without it: the thread waits at most for a pointer swap, never for I/O.
 */
struct log__tbuf {
    struct log__tbuf *next; /* log__bufs, under log__list_lock */
    pthread_mutex_t lock;
    char *active;
    size_t len;
    char *spare;
    bool dead; /* its thread exited: drained once more, then freed by the writer */
};

static pthread_mutex_t log__list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log__tbuf *log__bufs;
static pthread_key_t log__key;
static pthread_once_t log__key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct log__tbuf *log__mine;

static atomic_bool log__async;
static atomic_bool log__wake_pending;
static atomic_uint_fast64_t log__dropped;
static pthread_mutex_t log__wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log__wake;
static bool log__stop;
static pthread_t log__writer;

static void log__tbuf_free(struct log__tbuf *t)
{
    pthread_mutex_destroy(&t->lock);
    free(t->active);
    free(t->spare);
    free(t);
}

/* Writes out what t holds. The caller holds log__list_lock (so t stays). */
static void log__drain_one(struct log__tbuf *t)
{
    pthread_mutex_lock(&t->lock);
    char *full = t->active;
    size_t n = t->len;
    t->active = t->spare;
    t->len = 0;
    t->spare = full;
    pthread_mutex_unlock(&t->lock);
    write_all(full, n);
}

/* Writes out every buffer and frees those of exited threads. */
static void log__drain_all(void)
{
    pthread_mutex_lock(&log__list_lock);
    struct log__tbuf **link = &log__bufs;
    while (*link) {
        struct log__tbuf *t = *link;
        log__drain_one(t);
        if (t->dead) {
            *link = t->next;
            log__tbuf_free(t);
        } else {
            link = &t->next;
        }
    }
    pthread_mutex_unlock(&log__list_lock);
}

/* A thread exits: what it logged is written by the writer, or now when there is none. */
static void log__thread_gone(void *arg)
{
    struct log__tbuf *t = arg;
    pthread_mutex_lock(&log__list_lock);
    if (atomic_load(&log__async)) {
        t->dead = true;
    } else {
        log__drain_one(t);
        struct log__tbuf **link = &log__bufs;
        while (*link && *link != t)
            link = &(*link)->next;
        if (*link)
            *link = t->next;
        log__tbuf_free(t);
    }
    pthread_mutex_unlock(&log__list_lock);
}

static void log__make_key(void)
{
    pthread_key_create(&log__key, log__thread_gone);
}

/* This thread's buffer, made on its first line; NULL when out of memory. */
static struct log__tbuf *log__thread_buffer(void)
{
    if (log__mine)
        return log__mine;
    pthread_once(&log__key_once, log__make_key);
    struct log__tbuf *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    /* malloc'd, not touched: an idle thread's buffer costs address space, not memory. */
    t->active = malloc(LOG_THREAD_BUFFER);
    t->spare = malloc(LOG_THREAD_BUFFER);
    if (!t->active || !t->spare) {
        free(t->active);
        free(t->spare);
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_lock(&log__list_lock);
    t->next = log__bufs;
    log__bufs = t;
    pthread_mutex_unlock(&log__list_lock);
    pthread_setspecific(log__key, t);
    log__mine = t;
    return t;
}

static void log__wake_writer(void)
{
    if (atomic_exchange(&log__wake_pending, true))
        return; /* already asked */
    pthread_mutex_lock(&log__wake_lock);
    pthread_cond_signal(&log__wake);
    pthread_mutex_unlock(&log__wake_lock);
}

/* Hands one complete line (or several) to the log. */
static void log__emit(const char *p, size_t n, bool urgent)
{
    struct log__tbuf *t = atomic_load(&log__async) ? log__thread_buffer() : NULL;
    if (!t) {
        write_all(p, n);
        return;
    }
    pthread_mutex_lock(&t->lock);
    bool fits = n <= LOG_THREAD_BUFFER - t->len;
    if (fits) {
        memcpy(t->active + t->len, p, n);
        t->len += n;
    }
    bool half = t->len > LOG_THREAD_BUFFER / 2;
    pthread_mutex_unlock(&t->lock);
    if (!fits)
        atomic_fetch_add(&log__dropped, 1);
    if (half || urgent)
        log__wake_writer();
}

static void *log__write_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log__wake_lock);
    while (!log__stop) {
        if (!atomic_load(&log__wake_pending)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            long ns = ts.tv_nsec + (long)LOG_FLUSH_MS * 1000000L;
            ts.tv_sec += ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&log__wake, &log__wake_lock, &ts);
        }
        atomic_store(&log__wake_pending, false);
        pthread_mutex_unlock(&log__wake_lock);
        log__drain_all();
        pthread_mutex_lock(&log__wake_lock);
    }
    pthread_mutex_unlock(&log__wake_lock);
    return NULL;
}

int log_async_start(void)
{
    if (atomic_load(&log__async))
        return 0;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&log__wake, &ca);
    pthread_condattr_destroy(&ca);
    log__stop = false;
    atomic_store(&log__async, true);
    if (pthread_create(&log__writer, NULL, log__write_loop, NULL) != 0) {
        atomic_store(&log__async, false);
        pthread_cond_destroy(&log__wake);
        return SEAU_E_IO;
    }
    return 0;
}

void log_async_stop(void)
{
    if (!atomic_load(&log__async))
        return;
    atomic_store(&log__async, false); /* new lines are written at once from here */
    pthread_mutex_lock(&log__wake_lock);
    log__stop = true;
    pthread_cond_signal(&log__wake);
    pthread_mutex_unlock(&log__wake_lock);
    pthread_join(log__writer, NULL);
    pthread_cond_destroy(&log__wake);
    /* What was queued until the switch, including by a thread that raced it. */
    log__drain_all();
}

uint64_t log_dropped(void)
{
    return atomic_load(&log__dropped);
}

/* True when s can be printed bare in a key=value line without being misread. */
static bool is_plain(const char *s)
{
    if (!*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == 0x7F)
            return false;
    return true;
}

static void format_text(struct buf *b, const char *ts, enum log_level level, const char *msg,
                        json_t *fields)
{
    buf_printf(b, "%s %-5s %s", ts, level_names[level], msg);
    const char *key;
    json_t *v;
    json_object_foreach(fields, key, v)
    {
        /* Anything a client may have sent is quoted and escaped: no forged log lines. */
        const char *plain =
            json_is_string(v) && is_plain(json_string_value(v)) ? json_string_value(v) : NULL;
        char *s =
            plain ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6));
        buf_printf(b, " %s=%s", key, plain ? plain : s ? s : "?");
        free(s);
    }
    buf_append_char(b, '\n');
}

void log_event(enum log_level level, const char *msg, json_t *fields)
{
    if (!log_enabled(level)) {
        json_decref(fields);
        return;
    }
    if (!fields)
        fields = json_object();
    if (!fields)
        return;
    char ts[TIME_RFC3339_LEN];
    time_rfc3339(time_now_ms(), ts);
    struct buf b;
    buf_init(&b, 64 * 1024);
    if (log_fmt == LOG_FORMAT_TEXT) {
        format_text(&b, ts, level, msg, fields);
    } else {
        json_t *line =
            json_pack("{s:s, s:s, s:s}", "time", ts, "level", level_names[level], "msg", msg);
        if (line) {
            json_object_update(line, fields);
            char *s = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6));
            if (s) {
                buf_append_str(&b, s);
                buf_append_char(&b, '\n');
                free(s);
            }
            json_decref(line);
        }
    }
    log__emit(buf_cstr(&b), b.len, level >= LOG_WARN);
    buf_done(&b);
    json_decref(fields);
}

/* ---- the access log's line, without allocating ---- */

/* A line buffer that stops growing at its end; `over` says the line did not fit. */
struct log__line {
    char *p;
    size_t len, cap;
    bool over;
};

static void line_put(struct log__line *l, const char *s, size_t n)
{
    if (l->over || n > l->cap - l->len) {
        l->over = true;
        return;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void line_puts(struct log__line *l, const char *s)
{
    line_put(l, s, strlen(s));
}

/* A JSON string as jansson's json_dumps writes it (UTF-8 kept, no slash escaped). */
static void line_string(struct log__line *l, const char *s)
{
    line_put(l, "\"", 1);
    const char *run = s;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c >= 0x20 && *c != '"' && *c != '\\')
            continue;
        line_put(l, run, (size_t)((const char *)c - run));
        run = (const char *)c + 1;
        char seq[8];
        switch (*c) {
        case '"':
            line_put(l, "\\\"", 2);
            break;
        case '\\':
            line_put(l, "\\\\", 2);
            break;
        case '\b':
            line_put(l, "\\b", 2);
            break;
        case '\f':
            line_put(l, "\\f", 2);
            break;
        case '\n':
            line_put(l, "\\n", 2);
            break;
        case '\r':
            line_put(l, "\\r", 2);
            break;
        case '\t':
            line_put(l, "\\t", 2);
            break;
        default:
            snprintf(seq, sizeof(seq), "\\u%04X", (unsigned)*c);
            line_put(l, seq, 6);
        }
    }
    line_puts(l, run);
    line_put(l, "\"", 1);
}

/* A real as jansson writes it with JSON_REAL_PRECISION(6) (its jsonp_dtostr). */
static void line_real(struct log__line *l, double v)
{
    char b[64];
    int n = snprintf(b, sizeof(b) - 3, "%.6g", v);
    if (n < 0 || (size_t)n >= sizeof(b) - 3) {
        l->over = true;
        return;
    }
    size_t len = (size_t)n;
    if (!strchr(b, '.') && !strchr(b, 'e')) {
        memcpy(b + len, ".0", 3);
        len += 2;
    }
    char *start = strchr(b, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - b) + 1);
            len -= (size_t)(end - start);
        }
    }
    line_put(l, b, len);
}

static void line_int(struct log__line *l, long long v)
{
    char b[24];
    int n = snprintf(b, sizeof(b), "%lld", v);
    line_put(l, b, (size_t)n);
}

static void log__request_general(const struct log_request *r)
{
    json_t *f =
        json_pack("{s:s, s:s, s:s, s:i, s:f, s:I, s:s, s:s}", "requestId", r->request_id, "method",
                  r->method, "path", r->path, "status", r->status, "durationMs", r->duration_ms,
                  "bytes", (json_int_t)r->bytes, "ip", r->ip, "route", r->route);
    if (f && r->user)
        json_object_set_new(f, "user", json_string(r->user));
    log_event(LOG_INFO, "request", f);
}

void log_request_line(const struct log_request *r)
{
    if (!log_enabled(LOG_INFO))
        return;
    if (log_fmt == LOG_FORMAT_TEXT) {
        /* The text format is for people reading a terminal: the general path is fast enough. */
        log__request_general(r);
        return;
    }
    char ts[TIME_RFC3339_LEN];
    time_rfc3339(time_now_ms(), ts);
    char mem[4096];
    struct log__line l = {.p = mem, .cap = sizeof(mem)};
    line_puts(&l, "{\"time\":\"");
    line_puts(&l, ts);
    line_puts(&l, "\",\"level\":\"info\",\"msg\":\"request\",\"requestId\":");
    line_string(&l, r->request_id);
    line_puts(&l, ",\"method\":");
    line_string(&l, r->method);
    line_puts(&l, ",\"path\":");
    line_string(&l, r->path);
    line_puts(&l, ",\"status\":");
    line_int(&l, r->status);
    line_puts(&l, ",\"durationMs\":");
    line_real(&l, r->duration_ms);
    line_puts(&l, ",\"bytes\":");
    line_int(&l, (long long)r->bytes);
    line_puts(&l, ",\"ip\":");
    line_string(&l, r->ip);
    line_puts(&l, ",\"route\":");
    line_string(&l, r->route);
    if (r->user) {
        line_puts(&l, ",\"user\":");
        line_string(&l, r->user);
    }
    line_puts(&l, "}\n");
    if (l.over) {
        /* A long path: the general path has room for it. */
        log__request_general(r);
        return;
    }
    log__emit(l.p, l.len, false);
}
