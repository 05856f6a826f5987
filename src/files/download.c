/*
 * The download service (download.h): the redirect, or the HeadObject, the
 * range decision and the start of the GetObject of a proxied download; and
 * the object.download audit entry.
 */
#include "files/download.h"

#include "core/bytepipe.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "files/fetch.h"
#include "files/recovery.h"
#include "files/transfers.h"
#include "http/disposition.h"
#include "http/range.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct files_download_body {
    struct bytepipe *pipe;
    struct files_fetch *fetch;
};

ssize_t files_download_read(struct files_download_body *b, char *buf, size_t max)
{
    ssize_t n = bytepipe_read(b->pipe, buf, max);
    if (n == BYTEPIPE_END)
        return FILES_DOWNLOAD_END;
    if (n == BYTEPIPE_ERROR)
        return FILES_DOWNLOAD_ERROR;
    return n;
}

void files_download_set_notify(struct files_download_body *b, void (*fn)(void *ctx), void *ctx)
{
    bytepipe_set_notify(b->pipe, fn, ctx);
}

void files_download_body_free(struct files_download_body *b)
{
    if (!b)
        return;
    files_fetch_release(b->fetch, b->pipe); /* never waits for the fetch thread */
    free(b);
    files_transfer_release();
}

void files_download_done(struct files_download *d)
{
    free(d->url);
    d->url = NULL;
    files_download_body_free(d->body);
    d->body = NULL;
}

/* Starts the GetObject of what d describes into a new body; takes a transfer slot. */
static int start_body(const struct files_env *env, const struct files_download_request *r,
                      struct files_download *d, struct files_download_problem *pb)
{
    if (files_transfer_acquire(r->max_transfers) != 0) {
        pb->busy = true;
        return SEAU_E_UNAVAILABLE;
    }
    struct files_download_body *b = calloc(1, sizeof(*b));
    if (b)
        b->pipe = bytepipe_new(FILES_DOWNLOAD_PIPE_BYTES);
    if (!b || !b->pipe) {
        free(b);
        files_transfer_release();
        return SEAU_E_NOMEM;
    }
    char range[64] = "";
    if (d->status == 206)
        snprintf(range, sizeof(range), "bytes=%lld-%lld", (long long)d->first, (long long)d->last);
    struct files_fetch_request fr = {
        .bucket = r->bucket,
        .key = r->key,
        .version_id = r->version_id,
        .range = range[0] ? range : NULL,
        .if_match = d->etag[0] ? d->etag : NULL,
    };
    int rc = files_fetch_start(env->s3, &fr, b->pipe, &b->fetch);
    if (rc) {
        files_download_body_free(b);
        return rc;
    }
    d->body = b;
    return 0;
}

static int proxied(const struct files_env *env, const struct files_download_request *r,
                   struct files_download *d, struct files_download_problem *pb)
{
    struct s3_get_options opt = {.version_id = r->version_id};
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    int rc = s3_head_object(env->s3, r->bucket, r->key, &opt, &h, &pb->err);
    if (rc)
        return rc;
    d->size = h.content_length < 0 ? 0 : h.content_length;
    snprintf(d->etag, sizeof(d->etag), "%s", h.etag);
    snprintf(d->content_type, sizeof(d->content_type), "%s", h.content_type);
    d->last_modified_ms = h.last_modified_ms;
    s3_object_head_done(&h);
    struct http_range hr =
        http_range_decide(r->range, r->if_range, r->if_none_match, d->size, d->etag);
    switch (hr.kind) {
    case HTTP_RANGE_NOT_MODIFIED:
        d->status = 304;
        return 0;
    case HTTP_RANGE_UNSATISFIABLE:
        d->status = 416;
        return 0;
    case HTTP_RANGE_PARTIAL:
        d->status = 206;
        d->first = hr.first;
        d->last = hr.last;
        d->length = hr.last - hr.first + 1;
        break;
    case HTTP_RANGE_FULL:
        d->status = 200;
        d->length = d->size;
        break;
    }
    if (r->head_only || d->length == 0)
        return 0;
    return start_body(env, r, d, pb);
}

static int redirect(const struct files_env *env, const struct files_download_request *r,
                    struct files_download *d, struct files_download_problem *pb)
{
    const char *slash = strrchr(r->key, '/');
    char disposition[HTTP_DISPOSITION_MAX];
    struct s3_get_options opt = {.version_id = r->version_id};
    if (http_content_disposition(disposition, sizeof(disposition), r->inline_,
                                 slash && slash[1] ? slash + 1 : r->key) == 0)
        opt.response_content_disposition = disposition;
    return s3_presign_get(env->s3, r->bucket, r->key, r->presign_expiry_s ? r->presign_expiry_s : 1,
                          &opt, &d->url, &pb->err);
}

static void audit(const struct files_env *env, const struct files_download_request *r, int rc,
                  const struct files_download *d)
{
    const char *status;
    if (rc == 0)
        status = d->status == 416 ? "failure" : "success";
    else if (rc == SEAU_E_UNAVAILABLE)
        status = "failure";
    else
        return;
    struct db_audit_entry e;
    audit_entry_init(&e, r->actor, "object.download", status, NULL, time_now_ms());
    e.bucket = (char *)r->bucket;
    e.key = (char *)r->key;
    (void)db_audit_append(env->db, &e);
}

int files_download_open(const struct files_env *env, const struct files_download_request *r,
                        struct files_download *ret, struct files_download_problem *pb)
{
    memset(ret, 0, sizeof(*ret));
    memset(pb, 0, sizeof(*pb));
    int rc;
    if (!env->s3)
        rc = SEAU_E_UNAVAILABLE;
    else if (r->proxy)
        rc = proxied(env, r, ret, pb);
    else
        rc = redirect(env, r, ret, pb);
    if (r->audit)
        audit(env, r, rc, ret);
    if (rc)
        files_download_done(ret);
    return rc;
}

int files_download(const struct files_env *env, const struct files_who *who,
                   const struct files_download_request *r, struct files_download *ret,
                   struct files_download_problem *pb)
{
    memset(ret, 0, sizeof(*ret));
    memset(pb, 0, sizeof(*pb));
    struct auth_resource res = {.bucket = r->bucket, .key = r->key};
    int rc = auth_can(&who->subject, AUTH_OBJECT_READ, &res);
    if (rc == 0 && files_trash_hides(r->bucket, r->key))
        rc = SEAU_E_NOT_FOUND; /* the recycle bin is read through its own API */
    if (rc)
        return rc;
    return files_download_open(env, r, ret, pb);
}
