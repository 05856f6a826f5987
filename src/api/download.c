/*
 * GET /api/download: a presigned redirect by default, or the bytes streamed
 * through Seau (SEAU_DOWNLOAD_MODE=proxy) with Range, If-Range and
 * If-None-Match. A proxied download is a GetObject on a thread of its own
 * feeding a bounded pipe that the HTTP response drains (files/fetch.h), so a
 * slow client or a slow S3 never holds a server thread.
 */
#include "api/api.h"

#include "core/bytepipe.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/fetch.h"
#include "files/browse.h"
#include "files/transfers.h"
#include "http/disposition.h"
#include "http/range.h"
#include "s3/client.h"

#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes buffered per proxied download between S3 and the client. */
#define DOWNLOAD_PIPE_BYTES (512 * 1024)
#define VERSION_ID_MAX 1024

/* ===================================== transfers ===================================== */

int api_reply_transfers_busy(struct http_req *req)
{
    http_add_header(req, "Retry-After", "5");
    return http_reply_error(req, SEAU_E_UNAVAILABLE,
                            "Too many transfers are running on this server; try again shortly.",
                            NULL);
}

/* ===================================== proxying ====================================== */

struct proxied {
    struct bytepipe *pipe;
    struct files_fetch *fetch;
    struct http_stream *stream;
};

static ssize_t proxied_read(void *ctx, char *buf, size_t max)
{
    struct proxied *p = ctx;
    ssize_t n = bytepipe_read(p->pipe, buf, max);
    if (n == BYTEPIPE_END)
        return HTTP_STREAM_END;
    if (n == BYTEPIPE_ERROR)
        return HTTP_STREAM_ERROR;
    return n;
}

static void proxied_free(struct proxied *p)
{
    files_fetch_stop(p->fetch);
    bytepipe_free(p->pipe);
    free(p);
    files_transfer_release();
}

static void proxied_release(void *ctx)
{
    proxied_free(ctx);
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

static int send_proxied(struct http_req *req, const char *bucket, const char *key,
                        const char *version_id, bool inline_)
{
    struct app *app = api_app(req);
    struct s3_get_options hopt = {.version_id = version_id};
    struct s3_object_head h;
    struct s3_error e;
    memset(&h, 0, sizeof(h));
    memset(&e, 0, sizeof(e));
    int rc = s3_head_object(app->s3, bucket, key, &hopt, &h, &e);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    int64_t size = h.content_length < 0 ? 0 : h.content_length;
    struct http_range r =
        http_range_decide(http_req_header(req, "Range"), http_req_header(req, "If-Range"),
                          http_req_header(req, "If-None-Match"), size, h.etag);
    if (h.etag[0])
        http_add_header(req, "ETag", h.etag);
    http_add_header(req, "Accept-Ranges", "bytes");
    if (r.kind == HTTP_RANGE_NOT_MODIFIED) {
        s3_object_head_done(&h);
        return http_reply_empty(req, 304);
    }
    char hdr[HTTP_DISPOSITION_MAX];
    if (r.kind == HTTP_RANGE_UNSATISFIABLE) {
        snprintf(hdr, sizeof(hdr), "bytes */%lld", (long long)size);
        http_add_header(req, "Content-Range", hdr);
        s3_object_head_done(&h);
        return http_reply_error(req, SEAU_E_UNSATISFIABLE, NULL, NULL);
    }
    if (h.last_modified_ms > 0) {
        char last_modified[TIME_HTTP_DATE_LEN];
        time_http_date(h.last_modified_ms, last_modified);
        http_add_header(req, "Last-Modified", last_modified);
    }
    if (http_content_disposition(hdr, sizeof(hdr), inline_, base_name(key)) == 0)
        http_add_header(req, "Content-Disposition", hdr);
    /* A second policy: browsers enforce both, and this one gives the file no origin at all. */
    http_add_header(req, "Content-Security-Policy", "sandbox");
    char content_type[S3_CONTENT_TYPE_SIZE];
    snprintf(content_type, sizeof(content_type), "%s",
             !h.content_type[0]            ? "application/octet-stream"
             : active_type(h.content_type) ? "text/plain; charset=utf-8"
                                           : h.content_type);
    char range_text[64] = "";
    int status = 200;
    int64_t length = size;
    if (r.kind == HTTP_RANGE_PARTIAL) {
        status = 206;
        length = r.last - r.first + 1;
        snprintf(range_text, sizeof(range_text), "bytes=%lld-%lld", (long long)r.first,
                 (long long)r.last);
        snprintf(hdr, sizeof(hdr), "bytes %lld-%lld/%lld", (long long)r.first,
                 (long long)r.last, (long long)size);
        http_add_header(req, "Content-Range", hdr);
    }
    char etag[S3_ETAG_SIZE];
    snprintf(etag, sizeof(etag), "%s", h.etag);
    s3_object_head_done(&h);

    if (strcmp(req->method, "HEAD") == 0 || length == 0)
        return http_reply_bytes(req, status, content_type, "", 0);
    if (files_transfer_acquire((size_t)app->cfg->max_transfers) != 0)
        return api_reply_transfers_busy(req);
    struct proxied *p = calloc(1, sizeof(*p));
    if (p)
        p->pipe = bytepipe_new(DOWNLOAD_PIPE_BYTES);
    if (!p || !p->pipe) {
        if (p)
            free(p);
        files_transfer_release();
        return SEAU_E_NOMEM;
    }
    /* If-Match: should the object change between HEAD and GET, the stream is cut,
     * never spliced from two versions under one set of headers. */
    struct files_fetch_request fr = {
        .bucket = bucket,
        .key = key,
        .version_id = version_id,
        .range = range_text[0] ? range_text : NULL,
        .if_match = etag[0] ? etag : NULL,
    };
    rc = files_fetch_start(app->s3, &fr, p->pipe, &p->fetch);
    if (rc == 0) {
        p->stream = http_stream_new(&proxied_source, p);
        if (!p->stream)
            rc = SEAU_E_NOMEM;
    }
    if (rc) {
        proxied_free(p);
        return rc;
    }
    bytepipe_set_notify(p->pipe, proxied_notify, p);
    return http_reply_stream(req, status, content_type, length, p->stream);
}

/* ===================================== redirect ====================================== */

static int send_redirect(struct http_req *req, const char *bucket, const char *key,
                         const char *version_id, bool inline_)
{
    struct app *app = api_app(req);
    char disposition[HTTP_DISPOSITION_MAX];
    struct s3_get_options opt = {.version_id = version_id};
    if (http_content_disposition(disposition, sizeof(disposition), inline_, base_name(key)) == 0)
        opt.response_content_disposition = disposition;
    char *url = NULL;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    uint32_t expires = (uint32_t)(app->cfg->presign_expiry_ms / 1000);
    int rc = s3_presign_get(app->s3, bucket, key, expires ? expires : 1, &opt, &url, &e);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    rc = http_add_header(req, "Location", url);
    free(url);
    if (rc)
        return rc;
    return http_reply_empty(req, 302);
}

int api_download_send(struct http_req *req, const char *bucket, const char *key,
                      const char *version_id, bool inline_)
{
    struct app *app = api_app(req);
    if (!app->s3)
        return api_reply_no_s3(req);
    if (app->cfg->download_proxy)
        return send_proxied(req, bucket, key, version_id, inline_);
    return send_redirect(req, bucket, key, version_id, inline_);
}

/* ===================================== handler ======================================= */

static void audit_download(struct http_req *req, const char *bucket, const char *key)
{
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct db_audit_entry e;
    audit_entry_init(&e, &actor.actor, "object.download", req->status < 400 ? "success" : "failure",
                     NULL, time_now_ms());
    e.bucket = (char *)bucket;
    e.key = (char *)key;
    (void)db_audit_append(api_app(req)->db, &e);
}

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
    if (!env.s3)
        return api_reply_no_s3(req);
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

    struct files_who who;
    int rc = files_who_load(env.db, api_principal(req), &who);
    if (rc)
        return rc;
    struct auth_resource res = {.bucket = bucket, .key = key};
    rc = auth_can(&who.subject, AUTH_OBJECT_READ, &res);
    files_who_done(&who);
    if (rc)
        return rc;
    rc = api_download_send(req, bucket, key, version, inline_);
    if (api_app(req)->cfg->audit_downloads && req->response)
        audit_download(req, bucket, key);
    return rc;
}
