/*
 * The S3 client's transport: the libcurl easy-handle pool and share,
 * signing a request, one attempt (send, read headers and body, decode
 * url-encoded listings), the outcome of an attempt, and the retry loop.
 *
 * One file on purpose (about 1,200 lines): an attempt and the retry loop
 * share the per-request state (the easy handle, the body source that must
 * rewind before a replay, the answer being parsed), and splitting them would
 * turn that state into an internal interface with no other user.
 */
#include "s3/internal.h"

#include "s3/sqs.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "core/jsonx.h"
#include "core/timeutil.h"
#include "core/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int64_t s3__real_now_ms(void *ctx)
{
    (void)ctx;
    return time_now_ms();
}

static void s3__real_sleep_ms(void *ctx, int64_t ms)
{
    (void)ctx;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A per-thread xorshift64* generator for backoff jitter: it needs to spread
 * retries, not to be unpredictable. */
static uint64_t s3__random(void)
{
    static _Thread_local uint64_t state;
    if (state == 0) {
        int local;
        state =
            (uint64_t)time_mono_ns() ^ ((uint64_t)(uintptr_t)&local << 16) ^ 0x9E3779B97F4A7C15ull;
        if (state == 0)
            state = 1;
    }
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
}

static void s3__lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h;
    (void)access;
    struct s3_client *c = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&c->share_locks[data]);
}

static void s3__unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    struct s3_client *c = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&c->share_locks[data]);
}

static int64_t s3__or(int64_t v, int64_t def)
{
    return v ? v : def;
}

int s3_client_new(const struct s3_config *config, struct s3_cred_provider *credentials,
                  struct s3_client **ret)
{
    if (!config || !credentials || !ret)
        return SEAU_E_INTERNAL;
    struct s3__endpoint ep;
    struct s3__endpoint sqs_ep;
    int rc = s3__parse_endpoint(config->endpoint, config->region, config->addressing, &ep);
    if (rc == 0)
        rc = s3__parse_service_endpoint("sqs", config->sqs_endpoint, config->region,
                                        S3_ADDRESSING_PATH, &sqs_ep);
    if (rc != 0)
        return rc;

    int64_t connect_ms = s3__or(config->connect_timeout_ms, S3_DEFAULT_CONNECT_TIMEOUT_MS);
    int64_t request_ms = s3__or(config->request_timeout_ms, S3_DEFAULT_REQUEST_TIMEOUT_MS);
    int64_t low_bytes = s3__or(config->low_speed_bytes, S3_DEFAULT_LOW_SPEED_BYTES);
    int64_t low_ms = s3__or(config->low_speed_time_ms, S3_DEFAULT_LOW_SPEED_TIME_MS);
    int64_t base = s3__or(config->backoff_base_ms, S3_DEFAULT_BACKOFF_BASE_MS);
    int64_t cap = s3__or(config->backoff_cap_ms, S3_DEFAULT_BACKOFF_CAP_MS);
    int retries = config->max_retries == 0               ? S3_DEFAULT_MAX_RETRIES
                  : config->max_retries == S3_NO_RETRIES ? 0
                                                         : config->max_retries;
    if (connect_ms < 0 || connect_ms > 600000 || request_ms < 0 || request_ms > 86400000 ||
        low_bytes < 0 || low_bytes > INT32_MAX || low_ms < 0 || low_ms > 86400000 || retries < 0 ||
        retries > S3__MAX_RETRIES || base < 0 || cap < 0 || cap > S3__MAX_BACKOFF || base > cap)
        return SEAU_E_VALIDATION;
    if (config->user_agent && !s3__header_value_ok(config->user_agent))
        return SEAU_E_VALIDATION;

    struct s3_client *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    c->ep = ep;
    c->sqs_ep = sqs_ep;
    c->creds = credentials;
    c->connect_timeout_ms = (long)connect_ms;
    c->request_timeout_ms = (long)request_ms;
    c->low_speed_bytes = (long)low_bytes;
    c->low_speed_time_s = (long)((low_ms + 999) / 1000);
    c->max_retries = retries;
    c->backoff_base_ms = base;
    c->backoff_cap_ms = cap;
    c->now_ms = config->now_ms ? config->now_ms : s3__real_now_ms;
    c->sleep_ms = config->sleep_ms ? config->sleep_ms : s3__real_sleep_ms;
    c->clock_ctx = config->clock_ctx;
    c->user_agent = str_dup(config->user_agent ? config->user_agent : "seau/" SEAU_VERSION);
    pthread_mutex_init(&c->pool_lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    if (!c->user_agent)
        rc = SEAU_E_NOMEM;
    if (rc == 0 && config->connect_to && *config->connect_to) {
        c->connect_to = curl_slist_append(NULL, config->connect_to);
        if (!c->connect_to)
            rc = SEAU_E_NOMEM;
    }
    if (rc == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rc = SEAU_E_INTERNAL;
    if (rc != 0) {
        curl_slist_free_all(c->connect_to);
        free(c->user_agent);
        pthread_mutex_destroy(&c->pool_lock);
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&c->share_locks[i]);
        free(c);
        return rc;
    }
    /* From here s3_client_free() undoes everything, curl_global_init included. */
    s3__breaker_init(&c->breaker[0]);
    s3__breaker_init(&c->breaker[1]);
    c->share = curl_share_init();
    if (!c->share)
        rc = SEAU_E_NOMEM;
    if (rc == 0 &&
        (curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, s3__lock) != CURLSHE_OK ||
         curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, s3__unlock) != CURLSHE_OK ||
         curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) != CURLSHE_OK ||
         curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
         curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK))
        rc = SEAU_E_INTERNAL;
    if (rc != 0) {
        s3_client_free(c);
        return rc;
    }
    *ret = c;
    return 0;
}

void s3_client_free(struct s3_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->pool_len; i++)
        curl_easy_cleanup(c->pool[i]);
    if (c->share)
        curl_share_cleanup(c->share);
    curl_slist_free_all(c->connect_to);
    free(c->user_agent);
    pthread_mutex_destroy(&c->pool_lock);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_locks[i]);
    s3__breaker_done(&c->breaker[0]);
    s3__breaker_done(&c->breaker[1]);
    s3__cache_free(c->cache);
    free(c);
    curl_global_cleanup();
}

static int64_t s3__mono_ms(void)
{
    return time_mono_ns() / 1000000;
}

void s3_client_set_breaker(struct s3_client *c, bool sqs, const struct s3_breaker_config *cfg)
{
    s3__breaker_configure(&c->breaker[sqs ? 1 : 0], cfg);
}

void s3_client_circuit(struct s3_client *c, bool sqs, struct s3_circuit_info *ret)
{
    s3__breaker_info(&c->breaker[sqs ? 1 : 0], s3__mono_ms(), ret);
}

int s3_client_set_cache(struct s3_client *c, int64_t ttl_ms, size_t max_entries)
{
    s3__cache_free(c->cache);
    c->cache = NULL;
    return ttl_ms > 0 ? s3__cache_new(ttl_ms, max_entries, &c->cache) : 0;
}

/* What the end of a call says about its endpoint's health. */
static enum s3__outcome s3__outcome_of(int rc, const struct s3_error *e)
{
    if (rc == 0)
        return S3__OUTCOME_OK;
    if (rc == SEAU_E_CANCELLED || rc == SEAU_E_NOMEM)
        return S3__OUTCOME_NEUTRAL;
    /* The statuses of an outage; not 501 (NotImplemented: an S3 that lacks a feature is up). */
    int st = e->http_status;
    if (st == 500 || st == 502 || st == 503 || st == 504 || strcmp(e->code, "SlowDown") == 0)
        return S3__OUTCOME_FAILED;
    if (strcmp(e->code, "ConnectionFailed") == 0 || strcmp(e->code, "Timeout") == 0 ||
        strcmp(e->code, "IncompleteBody") == 0 || strcmp(e->code, "MalformedAnswer") == 0)
        return S3__OUTCOME_FAILED;
    if (e->http_status == 0)
        return S3__OUTCOME_NEUTRAL; /* refused before sending, a callback's own stop */
    return S3__OUTCOME_OK;
}

const char *s3_client_region(const struct s3_client *c)
{
    return c->ep.region;
}

void s3_client_set_observer(struct s3_client *c, s3_observer_fn fn, void *ctx)
{
    c->observer = fn;
    c->observer_ctx = ctx;
}

void s3_client_stats(struct s3_client *c, struct s3_client_stats *ret)
{
    ret->requests = atomic_load(&c->requests);
    ret->retries = atomic_load(&c->retries);
    ret->connections = atomic_load(&c->connections);
}

/* An easy handle from the pool (the most recently returned: its connection
 * is the likeliest to be alive), or a new one. NULL for out of memory. */
static CURL *s3__handle_get(struct s3_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_lock);
    if (c->pool_len > 0)
        h = c->pool[--c->pool_len];
    pthread_mutex_unlock(&c->pool_lock);
    if (!h)
        h = curl_easy_init();
    return h;
}

/* Gives a handle back, its options reset (its connections and the share
 * survive curl_easy_reset()). */
static void s3__handle_put(struct s3_client *c, CURL *h)
{
    curl_easy_reset(h);
    pthread_mutex_lock(&c->pool_lock);
    if (c->pool_len < S3__POOL_MAX) {
        c->pool[c->pool_len++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

void s3__q(struct s3__req *rq, const char *name, const char *value)
{
    if (!value)
        return;
    if (rq->nquery == S3__MAX_QUERY) {
        rq->overflow = SEAU_E_INTERNAL;
        return;
    }
    rq->query[rq->nquery++] = (struct sigv4_pair){slice_from_cstr(name), slice_from_cstr(value)};
}

void s3__h(struct s3__req *rq, const char *name, const char *value)
{
    if (!value)
        return;
    if (rq->nheaders == S3__MAX_HEADERS) {
        rq->overflow = SEAU_E_INTERNAL;
        return;
    }
    rq->headers[rq->nheaders++] =
        (struct sigv4_pair){slice_from_cstr(name), slice_from_cstr(value)};
}

/* One attempt's state, shared with libcurl's callbacks. */
struct s3__xfer {
    struct s3_client *c;
    const struct s3__req *rq;
    int status;        /* of the current header block */
    bool headers_done; /* the final (non-1xx) header block ended */
    bool header_bad;   /* a header value did not fit or did not parse */
    size_t meta_bytes;
    struct s3_object_head head; /* what the headers said */
    bool body_started;
    enum { XFER_DROP, XFER_XML, XFER_SINK, XFER_ERROR, XFER_JSON } mode;
    struct buf json;       /* XFER_JSON, and the errors of JSON requests */
    struct s3_xml *xml;    /* XFER_XML or XFER_ERROR */
    size_t strip;          /* bytes of <EncodingType>url</EncodingType> withheld */
    bool saw_url;          /* ... and the element was there */
    bool error_unreadable; /* the error body was not an S3 <Error> */
    uint64_t delivered;    /* bytes handed to the sink */
    int cb_rc;             /* an error raised in a callback; stops the transfer */
    const char *cb_code;   /* its pseudo-code */
    char cb_message[160];
    /* the body sent */
    const struct s3_body *body;
    uint64_t body_len, sent;
};

void s3__err(struct s3_error *e, int status, const char *code, const char *fmt, ...)
{
    memset(e, 0, sizeof(*e));
    e->http_status = status;
    s3__set_field(e->code, sizeof(e->code), code, strlen(code));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    (void)n; /* a message longer than the field is cut */
}

static void s3__head_reset(struct s3_object_head *h)
{
    s3_object_head_done(h);
    h->content_length = -1;
    h->range_first = h->range_last = h->object_size = -1;
}

void s3_object_head_done(struct s3_object_head *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->meta_count; i++)
        free((void *)h->meta[i].name); /* name and value share one allocation */
    free(h->meta);
    memset(h, 0, sizeof(*h));
}

/* Stores one x-amz-meta-* header; false past the limits or out of memory. */
static bool s3__add_meta(struct s3__xfer *x, const char *name, size_t nlen, const char *value,
                         size_t vlen)
{
    struct s3_object_head *h = &x->head;
    x->meta_bytes += nlen + vlen;
    if (h->meta_count == S3_MAX_META_COUNT || x->meta_bytes > 4 * S3_MAX_META)
        return false;
    char *p = malloc(nlen + vlen + 2);
    if (!p)
        return false;
    for (size_t i = 0; i < nlen; i++)
        p[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
    p[nlen] = '\0';
    memcpy(p + nlen + 1, value, vlen);
    p[nlen + 1 + vlen] = '\0';
    struct s3_meta *m = realloc(h->meta, (h->meta_count + 1) * sizeof(*m));
    if (!m) {
        free(p);
        return false;
    }
    h->meta = m;
    h->meta[h->meta_count++] = (struct s3_meta){p, p + nlen + 1};
    return true;
}

static bool s3__name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* One header of the answer: stores what client.h's struct s3_object_head holds. */
static void s3__on_header(struct s3__xfer *x, const char *name, size_t nlen, const char *v,
                          size_t vlen)
{
    struct s3_object_head *h = &x->head;
    bool ok = true;
    char tmp[64];
    if (s3__name_is(name, nlen, "etag"))
        ok = s3__set_field(h->etag, sizeof(h->etag), v, vlen);
    else if (s3__name_is(name, nlen, "content-length")) {
        int64_t n;
        ok = slice_to_int64((struct slice){v, vlen}, 0, INT64_MAX, &n) == 0;
        if (ok)
            h->content_length = n;
    } else if (s3__name_is(name, nlen, "content-type"))
        ok = s3__set_field(h->content_type, sizeof(h->content_type), v, vlen);
    else if (s3__name_is(name, nlen, "content-range")) {
        ok = s3__set_field(h->content_range, sizeof(h->content_range), v, vlen) &&
             s3__parse_content_range(h->content_range, &h->range_first, &h->range_last,
                                     &h->object_size) == 0;
    } else if (s3__name_is(name, nlen, "content-disposition"))
        ok = s3__set_field(h->content_disposition, sizeof(h->content_disposition), v, vlen);
    else if (s3__name_is(name, nlen, "cache-control"))
        ok = s3__set_field(h->cache_control, sizeof(h->cache_control), v, vlen);
    else if (s3__name_is(name, nlen, "last-modified")) {
        if (s3__set_field(tmp, sizeof(tmp), v, vlen)) {
            time_t t = curl_getdate(tmp, NULL);
            if (t != (time_t)-1)
                h->last_modified_ms = (int64_t)t * 1000;
        }
    } else if (s3__name_is(name, nlen, "x-amz-request-id"))
        ok = s3__set_field(h->request_id, sizeof(h->request_id), v, vlen);
    else if (s3__name_is(name, nlen, "x-amz-version-id"))
        ok = s3__set_field(h->version_id, sizeof(h->version_id), v, vlen);
    else if (s3__name_is(name, nlen, "x-amz-storage-class"))
        ok = s3__set_field(h->storage_class, sizeof(h->storage_class), v, vlen);
    else if (s3__name_is(name, nlen, "x-amz-server-side-encryption"))
        ok = s3__set_field(h->sse, sizeof(h->sse), v, vlen);
    else if (s3__name_is(name, nlen, "x-amz-delete-marker"))
        h->delete_marker = vlen == 4 && strncasecmp(v, "true", 4) == 0;
    else if (nlen > 11 && strncasecmp(name, "x-amz-meta-", 11) == 0)
        ok = s3__add_meta(x, name + 11, nlen - 11, v, vlen);
    if (!ok)
        x->header_bad = true;
}

static size_t s3__on_header_line(char *p, size_t size, size_t n, void *ud)
{
    struct s3__xfer *x = ud;
    size_t len = size * n, l = len;
    while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == '\n'))
        l--;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* A new header block: 100 Continue, or the final answer. */
        const char *sp = memchr(p, ' ', l);
        int64_t status = 0;
        if (sp && (size_t)(p + l - sp) >= 4)
            (void)slice_to_int64((struct slice){sp + 1, 3}, 100, 999, &status);
        x->status = (int)status;
        x->headers_done = false;
        x->header_bad = false;
        x->meta_bytes = 0;
        s3__head_reset(&x->head);
        return len;
    }
    if (l == 0) {
        if (x->status >= 200)
            x->headers_done = true;
        return len;
    }
    const char *colon = memchr(p, ':', l);
    if (!colon)
        return len;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1, *end = p + l;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    s3__on_header(x, p, nlen, v, (size_t)(end - v));
    return len;
}

/* Stops the transfer from a callback with rc, remembering why. */
static void s3__cb_fail(struct s3__xfer *x, int rc, const char *code, const char *message)
{
    if (x->cb_rc)
        return;
    x->cb_rc = rc;
    x->cb_code = code;
    s3__set_field(x->cb_message, sizeof(x->cb_message), message,
                  strlen(message) < sizeof(x->cb_message) ? strlen(message)
                                                          : sizeof(x->cb_message) - 1);
}

/*
 * Encoded listings. Ceph RGW 16 answers encoding-type=url with
 * <EncodingType>url</EncodingType> and encodes Key and CommonPrefixes/Prefix,
 * but sends the echoed Prefix, Delimiter, StartAfter, KeyMarker and
 * NextKeyMarker as they are; s3/xml.c would decode those too, turning "+"
 * into a space or failing the whole answer on "50%cent". So the client
 * takes the decoding over: it feeds the parser the answer without that
 * element (the parser then decodes nothing), and decodes afterwards what is
 * always encoded, and the echoes only when they are not already what was
 * sent (see s3__url_fix). The element is matched as AWS and RGW write
 * it; a server writing it otherwise gets the parser's own decoding.
 */
static const char s3__enc_url[] = "<EncodingType>url</EncodingType>";

static int s3__feed_listing(struct s3__xfer *x, const char *p, size_t len)
{
    const size_t plen = sizeof(s3__enc_url) - 1;
    size_t run = 0; /* p[run..i) is neither fed nor withheld yet */
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        if (p[i] == s3__enc_url[x->strip]) {
            if (x->strip == 0 && i > run)
                rc = s3_xml_feed(x->xml, p + run, i - run);
            x->strip++;
            run = i + 1;
            if (x->strip == plen) {
                x->saw_url = true;
                x->strip = 0;
            }
            continue;
        }
        if (x->strip > 0) {
            /* What was withheld was not the element after all. The pattern
             * repeats no prefix of itself but "<", handled here. */
            rc = s3_xml_feed(x->xml, s3__enc_url, x->strip);
            x->strip = 0;
            run = i;
            if (p[i] == s3__enc_url[0]) {
                x->strip = 1;
                run = i + 1;
            }
        }
    }
    if (rc == 0 && x->strip == 0 && len > run)
        rc = s3_xml_feed(x->xml, p + run, len - run);
    return rc;
}

/*
 * Decodes in as encoding-type=url into out (room for strlen(in) + 1; out may
 * be in): "%XX" is a byte and "+" a space, as s3/xml.c reads them. False for
 * a bad escape, an escaped NUL or a result that is not UTF-8.
 */
static bool s3__url_decode(const char *in, char *out, size_t *ret_len)
{
    size_t n = strlen(in), len;
    if (codec_percent_decode((struct slice){in, n}, CODEC_PLUS_SPACE, out, n + 1, &len) != 0)
        return false;
    *ret_len = len;
    return str_utf8_valid(out, len);
}

/* Decodes an always-encoded field (a key, a common prefix) in place. The
 * answer's strings are heap copies made by s3/xml.c, so writable, and
 * decoding only shrinks them; the shared "" is left alone. */
static int s3__decode_field(const char *field)
{
    if (!*field)
        return 0;
    char *s = (char *)(uintptr_t)field;
    size_t n;
    if (!s3__url_decode(s, s, &n))
        return SEAU_E_UNAVAILABLE;
    return n <= S3_MAX_KEY ? 0 : SEAU_E_TOO_LARGE;
}

/* Decodes an echoed field unless it already equals one of the values it may
 * stand for (what was sent, or the page's last entries): that is a server
 * that did not encode it. Left as sent when it does not decode. */
static void s3__fix_echo(const char *field, const char *a, const char *b)
{
    if (!*field || (a && strcmp(field, a) == 0) || (b && strcmp(field, b) == 0))
        return;
    char tmp[S3_XML_MAX_TEXT + 1];
    size_t n = strlen(field), len;
    if (n < sizeof(tmp) && s3__url_decode(field, tmp, &len))
        memcpy((char *)(uintptr_t)field, tmp, len + 1);
}

/* The decoding the parser was spared (see s3__feed_listing). */
static int s3__url_fix(const struct s3__req *rq, struct s3_xml_answer *a)
{
    int rc = 0;
    if (a->kind == S3_XML_LIST_OBJECTS_V2) {
        struct s3_object_list *l = &a->objects;
        for (size_t i = 0; rc == 0 && i < l->object_count; i++)
            rc = s3__decode_field(l->objects[i].key);
        for (size_t i = 0; rc == 0 && i < l->common_prefix_count; i++)
            rc = s3__decode_field(l->common_prefixes[i]);
        if (rc == 0) {
            s3__fix_echo(l->prefix, rq->sent_prefix, NULL);
            s3__fix_echo(l->delimiter, rq->sent_delimiter, NULL);
            s3__fix_echo(l->start_after, rq->sent_marker, NULL);
        }
    } else if (a->kind == S3_XML_LIST_VERSIONS) {
        struct s3_version_list *l = &a->versions;
        for (size_t i = 0; rc == 0 && i < l->version_count; i++)
            rc = s3__decode_field(l->versions[i].key);
        for (size_t i = 0; rc == 0 && i < l->common_prefix_count; i++)
            rc = s3__decode_field(l->common_prefixes[i]);
        if (rc == 0) {
            const char *last_key = l->version_count ? l->versions[l->version_count - 1].key : NULL;
            const char *last_prefix =
                l->common_prefix_count ? l->common_prefixes[l->common_prefix_count - 1] : NULL;
            s3__fix_echo(l->prefix, rq->sent_prefix, NULL);
            s3__fix_echo(l->delimiter, rq->sent_delimiter, NULL);
            s3__fix_echo(l->key_marker, rq->sent_marker, NULL);
            s3__fix_echo(l->next_key_marker, last_key, last_prefix);
        }
    }
    return rc; /* encoding_type stays "": the element never reached the parser */
}

/* Decides, at the first byte of the body (or at its end when it was empty),
 * what the body is for. Returns 0 or an error that stops the transfer. */
static int s3__begin_body(struct s3__xfer *x)
{
    const struct s3__req *rq = x->rq;
    x->body_started = true;
    int st = x->status;
    if (st >= 200 && st < 300) {
        if (rq->want == S3__SINK) {
            x->mode = XFER_SINK;
            if (x->header_bad) {
                s3__cb_fail(x, SEAU_E_UNAVAILABLE, "MalformedAnswer",
                            "an answer header was malformed or too long");
                return x->cb_rc;
            }
            if (rq->sink->on_head) {
                x->head.http_status = st;
                int rc = rq->sink->on_head(rq->sink->ctx, &x->head);
                if (rc != 0) {
                    s3__cb_fail(x, rc, "Aborted", "the caller stopped the transfer");
                    return rc;
                }
            }
            return 0;
        }
        if (rq->want == S3__JSON) {
            x->mode = XFER_JSON;
            buf_init(&x->json, S3_SQS_MAX_ANSWER);
            return 0;
        }
        if (rq->want == S3__XML) {
            x->mode = XFER_XML;
            /* Listings keep their keys encoded through the parser, whose
             * key limit applies before decoding: allow for %XX. */
            struct s3_xml_limits lim = {.max_key = 3 * S3_MAX_KEY};
            x->xml = s3_xml_new(rq->xml_kind, rq->url_listing ? &lim : NULL);
        } else {
            x->mode = XFER_DROP;
            return 0;
        }
    } else if (st == 304 || (st >= 100 && st < 200)) {
        x->mode = XFER_DROP;
        return 0;
    } else if (rq->want == S3__JSON) {
        x->mode = XFER_ERROR;
        buf_init(&x->json, S3_MAX_ERROR_BODY);
        return 0;
    } else {
        x->mode = XFER_ERROR;
        struct s3_xml_limits lim = {.max_document = S3_MAX_ERROR_BODY};
        x->xml = s3_xml_new(S3_XML_ERROR, &lim);
    }
    if (!x->xml) {
        s3__cb_fail(x, SEAU_E_NOMEM, "MalformedAnswer", "out of memory");
        return SEAU_E_NOMEM;
    }
    return 0;
}

static size_t s3__on_body(char *p, size_t size, size_t n, void *ud)
{
    struct s3__xfer *x = ud;
    size_t len = size * n;
    if (x->cb_rc)
        return 0;
    if (!x->body_started && s3__begin_body(x) != 0)
        return 0;
    switch (x->mode) {
    case XFER_SINK: {
        int rc = x->rq->sink->write(x->rq->sink->ctx, p, len);
        if (rc != 0) {
            s3__cb_fail(x, rc, "Aborted", "the caller stopped the transfer");
            return 0;
        }
        x->delivered += len;
        return len;
    }
    case XFER_XML: {
        int rc = x->rq->url_listing ? s3__feed_listing(x, p, len) : s3_xml_feed(x->xml, p, len);
        if (rc != 0) {
            s3__cb_fail(x, rc, "MalformedAnswer", "the answer is not the XML expected");
            return 0;
        }
        return len;
    }
    case XFER_JSON: {
        int rc = buf_append(&x->json, p, len);
        if (rc != 0) {
            s3__cb_fail(x, rc, "MalformedAnswer", "the answer is too large");
            return 0;
        }
        return len;
    }
    case XFER_ERROR:
        /* An error body that is not what we can read (a proxy's HTML page)
         * still leaves the status to report: stop reading it, keep going. */
        if (x->rq->want == S3__JSON) {
            if (!x->error_unreadable && buf_append(&x->json, p, len) != 0)
                x->error_unreadable = true;
        } else if (!x->error_unreadable && s3_xml_feed(x->xml, p, len) != 0) {
            x->error_unreadable = true;
        }
        return len;
    case XFER_DROP:
    default:
        return len;
    }
}

static size_t s3__on_read(char *p, size_t size, size_t n, void *ud)
{
    struct s3__xfer *x = ud;
    size_t cap = size * n;
    uint64_t left = x->body_len - x->sent;
    if (left == 0)
        return 0;
    if (cap > left)
        cap = (size_t)left;
    const struct s3_body *b = x->body;
    size_t got = 0;
    if (b->read) {
        int rc = b->read(b->ctx, p, cap, &got);
        if (rc != 0) {
            s3__cb_fail(x, rc, "Aborted", "the body's source failed");
            return CURL_READFUNC_ABORT;
        }
        if (got == 0) {
            s3__cb_fail(x, SEAU_E_IO, "BodyShort",
                        "the body's source ended before the length announced");
            return CURL_READFUNC_ABORT;
        }
        if (got > cap) {
            s3__cb_fail(x, SEAU_E_INTERNAL, "Aborted", "the body's source overran");
            return CURL_READFUNC_ABORT;
        }
    } else {
        got = cap;
        memcpy(p, (const char *)b->data + x->sent, got);
    }
    x->sent += got;
    return got;
}

/* libcurl rewinds the body when it resends on a connection found dead. */
static int s3__on_seek(void *ud, curl_off_t offset, int origin)
{
    struct s3__xfer *x = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    const struct s3_body *b = x->body;
    if (b->read) {
        if (offset != 0 || !b->rewind || b->rewind(b->ctx) != 0)
            return CURL_SEEKFUNC_CANTSEEK;
    }
    x->sent = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static bool s3__replayable(const struct s3__req *rq)
{
    return !rq->body || !rq->body->read || rq->body->rewind;
}

uint64_t s3__body_len(const struct s3_body *b)
{
    return b ? (b->read ? b->length : b->len) : 0;
}

/* Appends "Name: value" to a curl header list. */
static int s3__slist_add(struct curl_slist **list, struct slice name, struct slice value)
{
    struct buf line;
    buf_init(&line, 64 * 1024);
    int rc = buf_append(&line, name.p, name.len);
    if (rc == 0)
        rc = buf_append_str(&line, value.len ? ": " : ";"); /* "Name;" sends an empty value */
    if (rc == 0)
        rc = buf_append(&line, value.p, value.len);
    if (rc == 0) {
        struct curl_slist *l = curl_slist_append(*list, buf_cstr(&line));
        if (l)
            *list = l;
        else
            rc = SEAU_E_NOMEM;
    }
    buf_done_secure(&line); /* Authorization and token lines pass through here */
    return rc;
}

/* Frees a header list that held an Authorization or token header. */
static void s3__slist_free(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        str_wipe(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

/* The request's fixed parts, computed once for all attempts. */
struct s3__prepared {
    struct buf host, path, query, url;
    char payload_hash[SIGV4_PAYLOAD_HASH_SIZE];
};

static void s3__prepared_done(struct s3__prepared *p)
{
    buf_done(&p->host);
    buf_done(&p->path);
    buf_done(&p->query);
    buf_done(&p->url);
}

static int s3__prepare(struct s3_client *c, const struct s3__req *rq, struct s3__prepared *ret)
{
    buf_init(&ret->host, S3__MAX_HOST);
    buf_init(&ret->path, S3__MAX_PATH);
    buf_init(&ret->query, S3__MAX_URL);
    buf_init(&ret->url, S3__MAX_URL);
    const struct s3__endpoint *ep = rq->ep ? rq->ep : &c->ep;
    int rc = rq->overflow;
    if (rc == 0)
        rc = s3__target(ep, rq->bucket, rq->key, &ret->host, &ret->path);
    if (rc == 0)
        rc = sigv4_canonical_query(rq->query, rq->nquery, &ret->query);
    if (rc == 0)
        rc = buf_printf(&ret->url, "%s://%s%s%s%s", ep->https ? "https" : "http",
                        buf_cstr(&ret->host), buf_cstr(&ret->path), ret->query.len ? "?" : "",
                        buf_cstr(&ret->query));
    if (rc == 0) {
        const struct s3_body *b = rq->body;
        if (b && b->read)
            rc = sigv4_payload_hash(NULL, 0, false, ret->payload_hash);
        else
            rc = sigv4_payload_hash(b ? b->data : "", b ? b->len : 0, true, ret->payload_hash);
    }
    if (rc != 0)
        s3__prepared_done(ret);
    return rc;
}

/* Signs the request for this attempt and builds libcurl's header list. */
static int s3__sign(struct s3_client *c, const struct s3__req *rq, const struct s3__prepared *pr,
                    struct curl_slist **ret_list, struct s3_error *err)
{
    struct s3_credentials cr = {0};
    int rc = s3_credentials_get(c->creds, c->now_ms(c->clock_ctx), &cr);
    if (rc != 0) {
        char why[S3_CRED_WHY_SIZE];
        s3_credentials_last_error(c->creds, why);
        s3__err(err, 0, "CredentialsUnavailable", "%s",
                why[0] ? why : "the credentials provider failed");
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_UNAVAILABLE;
    }
    struct sigv4_pair headers[S3__MAX_HEADERS + 2];
    size_t nh = 0;
    headers[nh++] = (struct sigv4_pair){SLICE_LIT("Host"), {pr->host.data, pr->host.len}};
    headers[nh++] =
        (struct sigv4_pair){SLICE_LIT("X-Amz-Content-SHA256"), slice_from_cstr(pr->payload_hash)};
    for (size_t i = 0; i < rq->nheaders; i++)
        headers[nh++] = rq->headers[i];
    struct sigv4_request sr = {
        .method = slice_from_cstr(rq->method),
        .path = {pr->path.data, pr->path.len},
        .query = rq->query,
        .query_count = rq->nquery,
        .headers = headers,
        .header_count = nh,
    };
    struct sigv4_credentials sc = s3_credentials_sigv4(&cr);
    struct sigv4_params sp = {
        .credentials = &sc,
        .region = slice_from_cstr(c->ep.region),
        .service = slice_from_cstr(rq->service ? rq->service : "s3"),
        .now = (time_t)(c->now_ms(c->clock_ctx) / 1000),
        .payload_hash = slice_from_cstr(pr->payload_hash),
    };
    struct buf auth, extra;
    buf_init(&auth, 4096);
    buf_init(&extra, S3__MAX_HEADER_LINES);
    rc = sigv4_sign_headers(&sr, &sp, &auth, &extra);
    s3_credentials_done(&cr);
    struct curl_slist *list = NULL;
    for (size_t i = 0; rc == 0 && i < nh; i++)
        rc = s3__slist_add(&list, headers[i].name, headers[i].value);
    /* The signer's lines ("Name: value\r\n") go as they are. */
    for (char *line = extra.data, *next; rc == 0 && line && *line; line = next) {
        char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        *eol = '\0';
        next = eol + 2;
        struct curl_slist *l = curl_slist_append(list, line);
        if (l)
            list = l;
        else
            rc = SEAU_E_NOMEM;
    }
    if (rc == 0)
        rc = s3__slist_add(&list, SLICE_LIT("Authorization"), (struct slice){auth.data, auth.len});
    /* No "Expect: 100-continue" (a round trip per upload, and a 1 s wait on
     * servers that ignore it); Content-Type only when we set one. */
    bool has_ct = false;
    for (size_t i = 0; i < rq->nheaders; i++)
        if (slice_eq_cstr(rq->headers[i].name, "Content-Type"))
            has_ct = true;
    /* "Name:" tells libcurl not to send a header of its own. */
    const char *drop[] = {"Expect:",
                          !has_ct && strcmp(rq->method, "POST") == 0 ? "Content-Type:" : NULL};
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        if (!drop[i])
            continue;
        struct curl_slist *l = curl_slist_append(list, drop[i]);
        if (l)
            list = l;
        else
            rc = SEAU_E_NOMEM;
    }
    buf_done_secure(&auth);
    buf_done_secure(&extra);
    if (rc != 0) {
        s3__slist_free(list);
        s3__err(err, 0, "InvalidInput", "%s could not be signed: %s", rq->op, err_name(rc));
        return rc == SEAU_E_NOMEM ? rc : rc == SEAU_E_TOO_LARGE ? rc : SEAU_E_VALIDATION;
    }
    *ret_list = list;
    return 0;
}

static void s3__xfer_init(struct s3__xfer *x, struct s3_client *c, const struct s3__req *rq)
{
    memset(x, 0, sizeof(*x));
    x->c = c;
    x->rq = rq;
    x->body = rq->body;
    x->body_len = s3__body_len(rq->body);
    s3__head_reset(&x->head);
}

static void s3__xfer_done(struct s3__xfer *x)
{
    s3_xml_free(x->xml);
    x->xml = NULL;
    buf_done(&x->json);
    s3_object_head_done(&x->head);
}

/* ================================== cancellation ================================= */

/* libcurl's progress callback: stops the transfer once the client was cancelled. */
static int s3__on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    struct s3__xfer *x = clientp;
    if (!atomic_load(&x->c->cancelled))
        return 0;
    s3__cb_fail(x, SEAU_E_CANCELLED, "Aborted", "the client was cancelled");
    return 1;
}

void s3_client_cancel(struct s3_client *c)
{
    if (c)
        atomic_store(&c->cancelled, true);
}

CURLcode s3__curl_defaults(CURL *h, long connect_timeout_ms)
{
#if LIBCURL_VERSION_NUM >= 0x075500
    CURLcode cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    CURLcode cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    return cc;
}

static CURLcode s3__setopts(struct s3_client *c, CURL *h, const struct s3__req *rq,
                            const struct s3__prepared *pr, struct curl_slist *headers,
                            struct s3__xfer *x)
{
    CURLcode cc = s3__curl_defaults(h, c->connect_timeout_ms);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_URL, pr->url.data);
    /* The path is sent exactly as signed: libcurl must not squash "/./" or
     * "/../" in a key. */
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (cc == CURLE_OK && !rq->streamed)
        cc =
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->request_timeout_ms + (long)rq->long_poll_ms);
    /* A long poll is silent while it waits: the low-speed rule would end it. */
    if (cc == CURLE_OK && rq->long_poll_ms == 0)
        cc = curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, c->low_speed_bytes);
    if (cc == CURLE_OK && rq->long_poll_ms == 0)
        cc = curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s3__on_header_line);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3__on_body);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (cc == CURLE_OK && c->connect_to)
        cc = curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    if (cc == CURLE_OK && rq->want == S3__SINK)
        cc = curl_easy_setopt(h, CURLOPT_BUFFERSIZE, S3__RECV_BUFFER);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, s3__on_progress);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (cc != CURLE_OK)
        return cc;

    if (strcmp(rq->method, "HEAD") == 0)
        return curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (strcmp(rq->method, "GET") == 0)
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (strcmp(rq->method, "DELETE") == 0)
        return curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    bool put = strcmp(rq->method, "PUT") == 0;
    cc = curl_easy_setopt(h, put ? CURLOPT_UPLOAD : CURLOPT_POST, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, put ? CURLOPT_INFILESIZE_LARGE : CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)x->body_len);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_READFUNCTION, s3__on_read);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_READDATA, x);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, s3__on_seek);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
    if (cc == CURLE_OK && x->body_len > 64 * 1024)
        cc = curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, S3__SEND_BUFFER);
    return cc;
}

/* Reads an error of the AWS JSON protocol ({"__type": "com.amazonaws.sqs#
 * QueueDoesNotExist", "message": "..."}) into err; leaves err alone when the
 * body is not one. */
static void s3__json_error(const struct buf *body, struct s3_error *err)
{
    json_t *o = NULL;
    if (!body->len || jsonx_parse_object(body->data, body->len, 8, &o) != 0)
        return;
    const char *type = json_string_value(json_object_get(o, "__type"));
    if (!type)
        type = json_string_value(json_object_get(o, "code"));
    const char *msg = json_string_value(json_object_get(o, "message"));
    if (!msg)
        msg = json_string_value(json_object_get(o, "Message"));
    if (type) {
        const char *hash = strrchr(type, '#');
        const char *code = hash ? hash + 1 : type;
        s3__set_field(err->code, sizeof(err->code), code,
                      strlen(code) < sizeof(err->code) ? strlen(code) : 0);
    }
    if (msg)
        s3__copy_cut(err->message, sizeof(err->message), msg);
    json_decref(o);
}

/* After the transfer: was it a success, an S3 error, or a transport failure?
 * Fills err on failure and says whether a retry may help. */
static int s3__outcome(const struct s3__req *rq, struct s3__xfer *x, CURLcode cc,
                       struct s3_xml_answer *ret_answer, bool *ret_retryable, struct s3_error *err)
{
    *ret_retryable = false;
    bool handed = x->delivered > 0 || (x->mode == XFER_SINK && rq->sink->on_head);
    if (x->cb_rc) {
        s3__err(err, x->status, x->cb_code ? x->cb_code : "Aborted", "%s: %s", rq->op,
                x->cb_message);
        return x->cb_rc;
    }
    if (cc != CURLE_OK) {
        if (handed) {
            s3__err(err, x->status, "IncompleteBody",
                    "%s: the answer broke off after %" PRIu64
                    " bytes had been delivered (%s); not retried",
                    rq->op, x->delivered, curl_easy_strerror(cc));
            return SEAU_E_UNAVAILABLE;
        }
        s3__err(err, x->status, cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionFailed",
                "%s: %s", rq->op, curl_easy_strerror(cc));
        *ret_retryable = s3__retryable_curl(cc);
        return cc == CURLE_OUT_OF_MEMORY ? SEAU_E_NOMEM : SEAU_E_UNAVAILABLE;
    }
    int st = x->status;
    if (!rq->head_only && !x->body_started) {
        /* An empty body: decide now what it was for (calls on_head for an
         * empty object, fails an XML answer that never came). */
        int rc = s3__begin_body(x);
        if (rc != 0) {
            s3__err(err, st, x->cb_code ? x->cb_code : "Aborted", "%s: %s", rq->op, x->cb_message);
            return rc;
        }
    }
    bool ok = (st >= 200 && st < 300) || (st == 304 && rq->accept_304);
    if (ok && x->header_bad) {
        s3__err(err, st, "MalformedAnswer", "%s: an answer header was malformed or too long",
                rq->op);
        return SEAU_E_UNAVAILABLE;
    }
    x->head.http_status = st;
    if (st == 304 && rq->accept_304) {
        x->head.not_modified = true;
        return 0;
    }
    if (ok && x->mode == XFER_JSON) {
        /* Hand the answer over whole, without a copy. */
        buf_done(rq->ret_json);
        *rq->ret_json = x->json;
        buf_init(&x->json, 0);
        return 0;
    }
    if (ok && x->mode != XFER_XML)
        return 0;

    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    if (ok) {
        int rc = 0;
        if (x->strip > 0) /* the answer ended inside what looked like the element */
            rc = s3_xml_feed(x->xml, s3__enc_url, x->strip);
        if (rc == 0)
            rc = s3_xml_finish(x->xml, &a);
        if (rc == 0 && a.kind != S3_XML_ERROR && rq->url_listing && x->saw_url) {
            rc = s3__url_fix(rq, &a);
            if (rc != 0)
                s3_xml_answer_done(&a);
        }
        if (rc != 0) {
            s3__err(err, st, "MalformedAnswer", "%s: the answer could not be read (%s)", rq->op,
                    err_name(rc));
            return rc == SEAU_E_NOMEM || rc == SEAU_E_TOO_LARGE ? rc : SEAU_E_UNAVAILABLE;
        }
        if (a.kind != S3_XML_ERROR) {
            *ret_answer = a;
            return 0;
        }
        /* "200 OK" with an <Error> body: CompleteMultipartUpload, CopyObject. */
    } else if (x->xml && !x->error_unreadable && s3_xml_finish(x->xml, &a) != 0) {
        memset(&a, 0, sizeof(a));
    }
    memset(err, 0, sizeof(*err));
    if (a.kind == S3_XML_ERROR && a.error.code[0])
        *err = a.error;
    s3_xml_answer_done(&a);
    if (rq->want == S3__JSON && !x->error_unreadable)
        s3__json_error(&x->json, err);
    err->http_status = st;
    if (!err->code[0]) {
        const char *code = s3__status_code(st);
        s3__set_field(err->code, sizeof(err->code), code, strlen(code));
    }
    if (!err->message[0])
        (void)snprintf(err->message, sizeof(err->message), "%s answered HTTP %d", rq->op, st);
    if (!err->request_id[0])
        memcpy(err->request_id, x->head.request_id, sizeof(err->request_id));
    *ret_retryable = s3__retryable_answer(st, err->code);
    return s3_error_to_err(st, err->code);
}

/* One attempt: sign, send, read. */
static int s3__attempt(struct s3_client *c, const struct s3__req *rq, const struct s3__prepared *pr,
                       struct s3__xfer *x, struct s3_xml_answer *ret_answer, bool *ret_retryable,
                       struct s3_error *err)
{
    *ret_retryable = false;
    struct curl_slist *headers = NULL;
    int rc = s3__sign(c, rq, pr, &headers, err);
    if (rc != 0)
        return rc;
    CURL *h = s3__handle_get(c);
    if (!h) {
        s3__slist_free(headers);
        s3__err(err, 0, "InvalidInput", "%s: out of memory", rq->op);
        return SEAU_E_NOMEM;
    }
    CURLcode cc = s3__setopts(c, h, rq, pr, headers, x);
    if (cc != CURLE_OK) {
        s3__handle_put(c, h);
        s3__slist_free(headers);
        s3__err(err, 0, "InvalidInput", "%s: libcurl refused an option: %s", rq->op,
                curl_easy_strerror(cc));
        return cc == CURLE_OUT_OF_MEMORY ? SEAU_E_NOMEM : SEAU_E_INTERNAL;
    }
    atomic_fetch_add(&c->requests, 1);
    cc = curl_easy_perform(h);
    long connects = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        atomic_fetch_add(&c->connections, (uint_fast64_t)connects);
    s3__handle_put(c, h);
    s3__slist_free(headers);
    return s3__outcome(rq, x, cc, ret_answer, ret_retryable, err);
}

static int s3__perform_once(struct s3_client *c, struct s3__req *rq, struct s3_error *ret_err,
                            int *ret_attempts);

/*
 * Runs a request with retries (see client.h). On success writes rq->ret_head
 * and rq->ret_xml when set; on failure fills *ret_err when not NULL.
 */
int s3__perform(struct s3_client *c, struct s3__req *rq, struct s3_error *ret_err)
{
    struct s3_error err;
    memset(&err, 0, sizeof(err));
    struct s3__breaker *breaker = &c->breaker[rq->ep == &c->sqs_ep ? 1 : 0];
    bool probe = false;
    int64_t wait_ms = 0;
    if (s3__breaker_allow(breaker, s3__mono_ms(), &probe, &wait_ms) != 0) {
        struct trace_span *span = trace_span_start(rq->op, TRACE_CLIENT, NULL);
        trace_span_str(span, "rpc.method", rq->op);
        trace_span_error(span, "CircuitOpen");
        trace_span_end(span);
        s3__err(&err, 0, "CircuitOpen",
                "%s: not sent: the endpoint failed repeatedly, calls resume in %lld s", rq->op,
                (long long)((wait_ms + 999) / 1000));
        if (ret_err)
            *ret_err = err;
        return SEAU_E_UNAVAILABLE;
    }
    /* A CLIENT span per call (core/trace.h), the child of whatever called. */
    struct trace_span *span = trace_span_start(rq->op, TRACE_CLIENT, NULL);
    int attempts = 0;
    int rc = s3__perform_once(c, rq, &err, &attempts);
    s3__breaker_record(breaker, s3__mono_ms(), probe, s3__outcome_of(rc, &err));
    if (span) {
        trace_span_str(span, "rpc.system", "aws-api");
        trace_span_str(span, "rpc.service", rq->ep == &c->sqs_ep ? "SQS" : "S3");
        trace_span_str(span, "rpc.method", rq->op);
        if (rq->bucket)
            trace_span_str(span, "aws.s3.bucket", rq->bucket);
        trace_span_int(span, "http.response.status_code", rc == 0 ? 200 : err.http_status);
        trace_span_int(span, "seau.s3.retries", attempts > 0 ? attempts - 1 : 0);
        if (rc)
            trace_span_error(span, err.code[0] ? err.code : NULL);
        trace_span_end(span);
    }
    /* A write through the client changes what cached listings and HEADs would show. */
    if (c->cache && rq->bucket && rq->ep != &c->sqs_ep && strcmp(rq->method, "GET") != 0 &&
        strcmp(rq->method, "HEAD") != 0)
        s3__cache_invalidate(c->cache, rq->bucket, rq->key);
    if (rc != 0 && ret_err)
        *ret_err = err;
    return rc;
}

/* The request with its retries, without the breaker; *ret_attempts: how many were sent. */
static int s3__perform_once(struct s3_client *c, struct s3__req *rq, struct s3_error *ret_err,
                            int *ret_attempts)
{
    struct s3_error err;
    memset(&err, 0, sizeof(err));
    struct s3__prepared pr;
    int rc = s3__prepare(c, rq, &pr);
    if (rc != 0) {
        s3__err(&err, 0, "InvalidInput", "%s: the request could not be built (%s)", rq->op,
                err_name(rc));
        if (ret_err)
            *ret_err = err;
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_VALIDATION;
    }
    for (int attempt = 0;; attempt++) {
        if (attempt > 0) {
            atomic_fetch_add(&c->retries, 1);
            c->sleep_ms(c->clock_ctx, s3__backoff_ms(attempt, c->backoff_base_ms, c->backoff_cap_ms,
                                                     s3__random()));
            if (rq->body && rq->body->read && rq->body->rewind(rq->body->ctx) != 0)
                break; /* keeps the previous attempt's error */
        }
        struct s3__xfer x;
        s3__xfer_init(&x, c, rq);
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        bool retryable = false;
        int64_t started = c->observer ? time_mono_ns() : 0;
        rc = s3__attempt(c, rq, &pr, &x, &a, &retryable, &err);
        if (c->observer)
            c->observer(c->observer_ctx, rq->op, rc == 0 ? x.status : err.http_status,
                        (double)(time_mono_ns() - started) / 1e9);
        if (rc == 0) {
            if (rq->ret_head) {
                *rq->ret_head = x.head;
                memset(&x.head, 0, sizeof(x.head)); /* its metadata moved */
            }
            if (rq->ret_xml)
                *rq->ret_xml = a;
            else
                s3_xml_answer_done(&a);
        }
        s3__xfer_done(&x);
        *ret_attempts = attempt + 1;
        if (rc == 0 || !retryable || attempt >= c->max_retries || !s3__replayable(rq))
            break;
    }
    s3__prepared_done(&pr);
    if (rc != 0 && ret_err)
        *ret_err = err;
    return rc;
}
