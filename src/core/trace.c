/* OpenTelemetry traces and their OTLP/HTTP JSON export: see trace.h. */
#include "core/trace.h"

#include "core/err.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef SEAU_VERSION
#define SEAU_VERSION "0"
#endif

#define TRACE__ATTRS_MAX 12
#define TRACE__RES_MAX   16

enum trace__sampler { ALWAYS_ON, ALWAYS_OFF, RATIO };

struct trace__attr {
    const char *key; /* a literal of the caller's */
    char *str;       /* NULL: an int */
    int64_t num;
};

struct trace_span {
    struct trace_span *next; /* in the export queue */
    struct trace_ctx ctx;
    uint8_t parent[8];
    bool has_parent;
    enum trace_kind kind;
    char *name;
    int64_t start_ns, end_ns;
    struct trace__attr attrs[TRACE__ATTRS_MAX];
    size_t nattrs;
    bool error;
    char *message;
};

static struct {
    bool on;
    char *url;
    char *service;
    char *res_keys[TRACE__RES_MAX], *res_values[TRACE__RES_MAX];
    size_t nres;
    bool parent_based;
    enum trace__sampler sampler;
    double ratio;

    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct trace_span *head, *tail;
    size_t queued;
    bool stop;
    atomic_uint_fast64_t exported, dropped, failed;
} T = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static _Thread_local struct trace_ctx current;

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool unhex(const char *s, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return false;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

bool trace_parse_traceparent(const char *s, struct trace_ctx *ret)
{
    struct trace_ctx c;
    memset(&c, 0, sizeof(c));
    uint8_t version, flags;
    /* version "-" trace-id "-" parent-id "-" flags; a future version may append fields. */
    if (!s || strlen(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' ||
        (s[55] != '\0' && s[55] != '-'))
        return false;
    if (!unhex(s, 1, &version) || version == 0xff || (version == 0 && s[55] != '\0') ||
        !unhex(s + 3, 16, c.trace_id) || !unhex(s + 36, 8, c.span_id) ||
        !unhex(s + 53, 1, &flags) || all_zero(c.trace_id, 16) || all_zero(c.span_id, 8))
        return false;
    c.sampled = flags & 1;
    c.valid = true;
    *ret = c;
    return true;
}

void trace_format_traceparent(const struct trace_ctx *ctx, char out[56])
{
    char t[33], p[17];
    hex(ctx->trace_id, 16, t);
    hex(ctx->span_id, 8, p);
    snprintf(out, 56, "00-%s-%s-%s", t, p, ctx->sampled ? "01" : "00");
}

void trace_format_trace_id(const struct trace_ctx *ctx, char out[33])
{
    hex(ctx->trace_id, 16, out);
}

bool trace_enabled(void)
{
    return T.on;
}

/* The root sampler's decision for a new trace id. */
static bool sample_root(const uint8_t trace_id[16])
{
    if (T.sampler == ALWAYS_ON)
        return true;
    if (T.sampler == ALWAYS_OFF)
        return false;
    uint64_t x = 0;
    for (int i = 8; i < 16; i++)
        x = (x << 8) | trace_id[i];
    return (double)x < T.ratio * 18446744073709551616.0;
}

struct trace_span *trace_span_start(const char *name, enum trace_kind kind,
                                    const struct trace_ctx *parent)
{
    if (!T.on)
        return NULL;
    struct trace_span *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->name = strdup(name ? name : "span");
    if (!s->name) {
        free(s);
        return NULL;
    }
    const struct trace_ctx *p = parent && parent->valid ? parent : current.valid ? &current : NULL;
    if (p) {
        memcpy(s->ctx.trace_id, p->trace_id, 16);
        memcpy(s->parent, p->span_id, 8);
        s->has_parent = true;
        s->ctx.sampled = T.parent_based ? p->sampled : sample_root(p->trace_id);
    } else {
        do
            randombytes_buf(s->ctx.trace_id, 16);
        while (all_zero(s->ctx.trace_id, 16));
        s->ctx.sampled = sample_root(s->ctx.trace_id);
    }
    do
        randombytes_buf(s->ctx.span_id, 8);
    while (all_zero(s->ctx.span_id, 8));
    s->ctx.valid = true;
    s->kind = kind;
    s->start_ns = wall_ns();
    return s;
}

void trace_span_ctx(const struct trace_span *s, struct trace_ctx *ret)
{
    if (s)
        *ret = s->ctx;
    else
        memset(ret, 0, sizeof(*ret));
}

void trace_span_name(struct trace_span *s, const char *name)
{
    char *n = s && name ? strdup(name) : NULL;
    if (!n)
        return;
    free(s->name);
    s->name = n;
}

static struct trace__attr *attr_slot(struct trace_span *s, const char *key)
{
    for (size_t i = 0; i < s->nattrs; i++)
        if (strcmp(s->attrs[i].key, key) == 0) {
            free(s->attrs[i].str);
            s->attrs[i].str = NULL;
            return &s->attrs[i];
        }
    if (s->nattrs == TRACE__ATTRS_MAX)
        return NULL;
    struct trace__attr *a = &s->attrs[s->nattrs++];
    a->key = key;
    return a;
}

void trace_span_str(struct trace_span *s, const char *key, const char *value)
{
    if (!s || !s->ctx.sampled || !value)
        return;
    struct trace__attr *a = attr_slot(s, key);
    if (a)
        a->str = strdup(value);
}

void trace_span_int(struct trace_span *s, const char *key, int64_t value)
{
    if (!s || !s->ctx.sampled)
        return;
    struct trace__attr *a = attr_slot(s, key);
    if (a)
        a->num = value;
}

void trace_span_error(struct trace_span *s, const char *message)
{
    if (!s)
        return;
    s->error = true;
    if (message && s->ctx.sampled && !s->message)
        s->message = strdup(message);
}

static void span_free(struct trace_span *s)
{
    for (size_t i = 0; i < s->nattrs; i++)
        free(s->attrs[i].str);
    free(s->name);
    free(s->message);
    free(s);
}

void trace_span_end(struct trace_span *s)
{
    if (!s)
        return;
    if (!s->ctx.sampled) {
        span_free(s);
        return;
    }
    s->end_ns = wall_ns();
    pthread_mutex_lock(&T.lock);
    bool take = !T.stop && T.queued < TRACE_QUEUE_MAX;
    if (take) {
        s->next = NULL;
        if (T.tail)
            T.tail->next = s;
        else
            T.head = s;
        T.tail = s;
        if (++T.queued >= TRACE_BATCH_MAX)
            pthread_cond_signal(&T.wake);
    }
    pthread_mutex_unlock(&T.lock);
    if (!take) {
        atomic_fetch_add(&T.dropped, 1);
        span_free(s);
    }
}

void trace_current(struct trace_ctx *ret)
{
    *ret = current;
}

void trace_enter(const struct trace_ctx *ctx, struct trace_ctx *ret_prev)
{
    if (ret_prev)
        *ret_prev = current;
    if (ctx && ctx->valid)
        current = *ctx;
    else
        memset(&current, 0, sizeof(current));
}

void trace_leave(const struct trace_ctx *prev)
{
    if (prev)
        current = *prev;
    else
        memset(&current, 0, sizeof(current));
}

void trace_stats(struct trace_stats *ret)
{
    ret->exported = atomic_load(&T.exported);
    ret->dropped = atomic_load(&T.dropped);
    ret->failed = atomic_load(&T.failed);
}

/* ------------------------------------------------------------------ export */

static json_t *kv_str(const char *k, const char *v)
{
    return json_pack("{s:s, s:{s:s}}", "key", k, "value", "stringValue", v);
}

static json_t *span_json(const struct trace_span *s)
{
    char tid[33], sid[17], pid[17], start[24], end[24];
    hex(s->ctx.trace_id, 16, tid);
    hex(s->ctx.span_id, 8, sid);
    snprintf(start, sizeof(start), "%lld", (long long)s->start_ns);
    snprintf(end, sizeof(end), "%lld", (long long)s->end_ns);
    json_t *attrs = json_array();
    for (size_t i = 0; attrs && i < s->nattrs; i++) {
        const struct trace__attr *a = &s->attrs[i];
        char num[24];
        snprintf(num, sizeof(num), "%lld", (long long)a->num);
        json_array_append_new(attrs, a->str ? kv_str(a->key, a->str)
                                            : json_pack("{s:s, s:{s:s}}", "key", a->key, "value",
                                                        "intValue", num));
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:{s:i, s:s?}}", "traceId", tid,
                          "spanId", sid, "name", s->name, "kind", (int)s->kind,
                          "startTimeUnixNano", start, "endTimeUnixNano", end, "attributes",
                          attrs ? attrs : json_array(), "status", "code", s->error ? 2 : 0,
                          "message", s->message);
    if (o && s->has_parent) {
        hex(s->parent, 8, pid);
        json_object_set_new(o, "parentSpanId", json_string(pid));
    }
    return o;
}

static char *batch_json(struct trace_span *list)
{
    json_t *res = json_array();
    json_array_append_new(res, kv_str("service.name", T.service));
    json_array_append_new(res, kv_str("service.version", SEAU_VERSION));
    json_array_append_new(res, kv_str("telemetry.sdk.name", "seau"));
    json_array_append_new(res, kv_str("telemetry.sdk.language", "c"));
    for (size_t i = 0; i < T.nres; i++)
        if (strcmp(T.res_keys[i], "service.name") != 0)
            json_array_append_new(res, kv_str(T.res_keys[i], T.res_values[i]));
    json_t *spans = json_array();
    for (struct trace_span *s = list; s; s = s->next)
        json_array_append_new(spans, span_json(s));
    json_t *doc = json_pack("{s:[{s:{s:o}, s:[{s:{s:s, s:s}, s:o}]}]}", "resourceSpans",
                            "resource", "attributes", res, "scopeSpans", "scope", "name", "seau",
                            "version", SEAU_VERSION, "spans", spans);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* POSTs one batch; true when the collector took it (2xx). */
static bool post(CURL *h, const char *body)
{
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, T.url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    long status = 0;
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    return cc == CURLE_OK && status >= 200 && status < 300;
}

static void *export_main(void *arg)
{
    (void)arg;
    CURL *h = curl_easy_init();
    pthread_mutex_lock(&T.lock);
    for (;;) {
        if (!T.stop && T.queued < TRACE_BATCH_MAX) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1; /* a batch at least every second */
            pthread_cond_timedwait(&T.wake, &T.lock, &until);
        }
        struct trace_span *list = T.head, *last = NULL;
        size_t n = 0;
        for (struct trace_span *s = T.head; s && n < TRACE_BATCH_MAX; s = s->next) {
            last = s;
            n++;
        }
        if (last) {
            T.head = last->next;
            if (!T.head)
                T.tail = NULL;
            last->next = NULL;
            T.queued -= n;
        } else {
            list = NULL;
        }
        bool stop = T.stop && !T.head;
        pthread_mutex_unlock(&T.lock);
        if (list) {
            char *body = batch_json(list);
            bool ok = h && body && post(h, body);
            atomic_fetch_add(ok ? &T.exported : &T.failed, n);
            free(body);
            while (list) {
                struct trace_span *s = list;
                list = s->next;
                span_free(s);
            }
        }
        pthread_mutex_lock(&T.lock);
        if (stop)
            break;
    }
    pthread_mutex_unlock(&T.lock);
    curl_easy_cleanup(h);
    return NULL;
}

/* OTEL_RESOURCE_ATTRIBUTES: k=v pairs separated by commas, values percent-decoded as the spec
 * says (only %XX; a malformed pair is skipped). */
static void parse_resource(const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    for (char *p = copy; p && *p && T.nres < TRACE__RES_MAX;) {
        char *end = strchr(p, ',');
        if (end)
            *end = '\0';
        char *eq = strchr(p, '=');
        if (eq && eq > p) {
            *eq = '\0';
            char *v = eq + 1, *w = v;
            for (char *r = v; *r; r++) {
                uint8_t b;
                if (r[0] == '%' && r[1] && r[2] && unhex(r + 1, 1, &b)) {
                    *w++ = (char)b;
                    r += 2;
                } else {
                    *w++ = *r;
                }
            }
            *w = '\0';
            while (*p == ' ')
                p++;
            T.res_keys[T.nres] = strdup(p);
            T.res_values[T.nres] = strdup(v);
            if (T.res_keys[T.nres] && T.res_values[T.nres])
                T.nres++;
        }
        p = end ? end + 1 : NULL;
    }
    free(copy);
}

int trace_setup(char *why, size_t why_len)
{
    const char *traces = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    const char *base = env("OTEL_EXPORTER_OTLP_ENDPOINT");
    const char *disabled = env("OTEL_SDK_DISABLED");
    if ((!traces && !base) || (disabled && strcasecmp(disabled, "true") == 0))
        return 0;
    const char *sampler = env("OTEL_TRACES_SAMPLER");
    const char *arg = env("OTEL_TRACES_SAMPLER_ARG");
    T.parent_based = true;
    T.sampler = ALWAYS_ON;
    T.ratio = 1.0;
    if (sampler) {
        if (strncmp(sampler, "parentbased_", 12) == 0)
            sampler += 12;
        else
            T.parent_based = false;
        if (strcmp(sampler, "always_on") == 0)
            T.sampler = ALWAYS_ON;
        else if (strcmp(sampler, "always_off") == 0)
            T.sampler = ALWAYS_OFF;
        else if (strcmp(sampler, "traceidratio") == 0)
            T.sampler = RATIO;
        else {
            snprintf(why, why_len, "OTEL_TRACES_SAMPLER='%s' is not a sampler Seau knows",
                     getenv("OTEL_TRACES_SAMPLER"));
            return SEAU_E_VALIDATION;
        }
    }
    if (T.sampler == RATIO && arg) {
        char *end = NULL;
        double r = strtod(arg, &end);
        if (!end || *end || r < 0 || r > 1) {
            snprintf(why, why_len, "OTEL_TRACES_SAMPLER_ARG='%s' must be a ratio from 0 to 1", arg);
            return SEAU_E_VALIDATION;
        }
        T.ratio = r;
    }
    if (traces) {
        T.url = strdup(traces);
    } else {
        size_t n = strlen(base);
        T.url = malloc(n + sizeof("/v1/traces"));
        if (T.url)
            snprintf(T.url, n + sizeof("/v1/traces"), "%.*s/v1/traces",
                     (int)(n && base[n - 1] == '/' ? n - 1 : n), base);
    }
    parse_resource(env("OTEL_RESOURCE_ATTRIBUTES"));
    const char *service = env("OTEL_SERVICE_NAME");
    for (size_t i = 0; !service && i < T.nres; i++)
        if (strcmp(T.res_keys[i], "service.name") == 0)
            service = T.res_values[i];
    T.service = strdup(service ? service : "seau");
    if (!T.url || !T.service)
        return SEAU_E_NOMEM;
    if (pthread_create(&T.thread, NULL, export_main, NULL) != 0)
        return SEAU_E_NOMEM;
    T.on = true;
    return 0;
}

void trace_shutdown(int64_t timeout_ms)
{
    (void)timeout_ms; /* bounded by the export's own timeouts */
    if (!T.on)
        return;
    pthread_mutex_lock(&T.lock);
    T.stop = true;
    pthread_cond_signal(&T.wake);
    pthread_mutex_unlock(&T.lock);
    pthread_join(T.thread, NULL);
    T.on = false;
    free(T.url);
    free(T.service);
    for (size_t i = 0; i < T.nres; i++) {
        free(T.res_keys[i]);
        free(T.res_values[i]);
    }
    T.url = T.service = NULL;
    T.nres = 0;
}
