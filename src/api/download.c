/*
 * GET /api/download: a presigned redirect by default, or the bytes streamed
 * through Seau (SEAU_DOWNLOAD_MODE=proxy) with Range, If-Range and
 * If-None-Match. The service (files/download.h) decides and audits; this
 * file reads the query, renders the redirect or the object's headers, and
 * streams the body the service fills (a bounded pipe the HTTP response
 * drains, so a slow client or a slow S3 never holds a server thread).
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/browse.h"
#include "files/download.h"
#include "http/disposition.h"

#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_ID_MAX 1024

/* ===================================== the stream ==================================== */

struct proxied {
    struct files_download_body *body;
    struct http_stream *stream;
};

static ssize_t proxied_read(void *ctx, char *buf, size_t max)
{
    struct proxied *p = ctx;
    ssize_t n = files_download_read(p->body, buf, max);
    if (n == FILES_DOWNLOAD_END)
        return HTTP_STREAM_END;
    if (n == FILES_DOWNLOAD_ERROR)
        return HTTP_STREAM_ERROR;
    return n;
}

static void proxied_release(void *ctx)
{
    struct proxied *p = ctx;
    files_download_body_free(p->body);
    free(p);
}

static void proxied_notify(void *ctx)
{
    struct proxied *p = ctx;
    http_stream_wake(p->stream);
}

static const struct http_stream_source proxied_source = {proxied_read, proxied_release};

/* The last segment of a key: what the browser saves the file as. */
static const char *base_name(const char *key)
{
    const char *slash = strrchr(key, '/');
    return slash && slash[1] ? slash + 1 : key;
}

/*
 * Types a browser would run or render as a page: shown inline, they could
 * script Seau's own origin, so they are sent as plain text (still under a
 * sandboxing CSP).
 */
static bool active_type(const char *ct)
{
    static const char *const active[] = {"text/html", "application/xhtml", "image/svg",
                                         "text/xml",  "application/xml",   "text/javascript",
                                         "application/javascript"};
    for (size_t i = 0; i < sizeof(active) / sizeof(active[0]); i++)
        if (strncasecmp(ct, active[i], strlen(active[i])) == 0)
            return true;
    return false;
}

/* The headers that describe the object of a proxied download. */
static void describe(struct http_req *req, const struct files_download *d, const char *key,
                     bool inline_)
{
    if (d->etag[0])
        http_add_header(req, "ETag", d->etag);
    http_add_header(req, "Accept-Ranges", "bytes");
    if (d->status == 304 || d->status == 416)
        return;
    if (d->last_modified_ms > 0) {
        char last_modified[TIME_HTTP_DATE_LEN];
        time_http_date(d->last_modified_ms, last_modified);
        http_add_header(req, "Last-Modified", last_modified);
    }
    char hdr[HTTP_DISPOSITION_MAX];
    if (http_content_disposition(hdr, sizeof(hdr), inline_, base_name(key)) == 0)
        http_add_header(req, "Content-Disposition", hdr);
    /* A second policy: browsers enforce both, and this one gives the file no origin at all. */
    http_add_header(req, "Content-Security-Policy", "sandbox");
    if (d->status == 206) {
        snprintf(hdr, sizeof(hdr), "bytes %lld-%lld/%lld", (long long)d->first,
                 (long long)d->last, (long long)d->size);
        http_add_header(req, "Content-Range", hdr);
    }
}

/* Answers a proxied download the service described; takes d's body. */
static int send_proxied(struct http_req *req, struct files_download *d, const char *key,
                        bool inline_)
{
    describe(req, d, key, inline_);
    if (d->status == 304)
        return http_reply_empty(req, 304);
    if (d->status == 416) {
        char hdr[64];
        snprintf(hdr, sizeof(hdr), "bytes */%lld", (long long)d->size);
        http_add_header(req, "Content-Range", hdr);
        return http_reply_error(req, SEAU_E_UNSATISFIABLE, NULL, NULL);
    }
    char content_type[S3_CONTENT_TYPE_SIZE];
    snprintf(content_type, sizeof(content_type), "%s",
             !d->content_type[0]            ? "application/octet-stream"
             : active_type(d->content_type) ? "text/plain; charset=utf-8"
                                            : d->content_type);
    if (!d->body)
        return http_reply_bytes(req, d->status, content_type, "", 0);
    struct proxied *p = calloc(1, sizeof(*p));
    if (p) {
        p->body = d->body;
        p->stream = http_stream_new(&proxied_source, p);
    }
    if (!p || !p->stream) {
        free(p);
        return SEAU_E_NOMEM; /* the caller frees the body */
    }
    d->body = NULL;
    files_download_set_notify(p->body, proxied_notify, p);
    return http_reply_stream(req, d->status, content_type, d->length, p->stream);
}

int api_reply_download(struct http_req *req, int rc, struct files_download *d,
                       const struct files_download_problem *pb, const char *key, bool inline_)
{
    if (rc == SEAU_E_UNAVAILABLE && pb->busy) {
        if (d->status)
            describe(req, d, key, inline_);
        rc = api_reply_transfers_busy(req);
    } else if (rc) {
        rc = api_reply_s3_failure(req, rc, &pb->err);
    } else if (d->url) {
        rc = http_add_header(req, "Location", d->url);
        if (rc == 0)
            rc = http_reply_empty(req, 302);
    } else {
        rc = send_proxied(req, d, key, inline_);
    }
    files_download_done(d);
    return rc;
}

/* ===================================== handler ======================================= */

/* A version id as S3 makes them: printable ASCII without spaces, bounded. */
static bool version_id_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > VERSION_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] <= ' ' || v[i] >= 0x7F)
            return false;
    return true;
}

int api_download(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *name = http_req_query(req, "bucket");
    const char *key = http_req_query(req, "key");
    const char *version = http_req_query(req, "versionId");
    const char *inline_text = http_req_query(req, "inline");
    const char *bucket = NULL;
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    const char *why;
    if (!key)
        jsonx_check_fail(&check, "key", "is required");
    else if ((why = s3name_key_problem(key)))
        jsonx_check_fail(&check, "key", why);
    if (version && !version_id_ok(version))
        jsonx_check_fail(&check, "versionId", "is not a version id");
    bool inline_ = inline_text && (strcmp(inline_text, "1") == 0 || strcmp(inline_text, "true") == 0);
    if (inline_text && !inline_ && strcmp(inline_text, "0") != 0 &&
        strcmp(inline_text, "false") != 0)
        jsonx_check_fail(&check, "inline", "must be true or false");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;

    struct app *app = api_app(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_download_request r = {
        .bucket = bucket,
        .key = key,
        .version_id = version,
        .proxy = app->cfg->download_proxy,
        .presign_expiry_s = (uint32_t)(app->cfg->presign_expiry_ms / 1000),
        .inline_ = inline_,
        .range = http_req_header(req, "Range"),
        .if_range = http_req_header(req, "If-Range"),
        .if_none_match = http_req_header(req, "If-None-Match"),
        .head_only = strcmp(req->method, "HEAD") == 0,
        .max_transfers = (size_t)app->cfg->max_transfers,
        .audit = app->cfg->audit_downloads,
        .actor = &actor.actor,
    };
    struct files_download d;
    struct files_download_problem pb;
    int rc = files_download(&env, api_who(req), &r, &d, &pb);
    return api_reply_download(req, rc, &d, &pb, key, inline_);
}
