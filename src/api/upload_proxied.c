/*
 * POST /api/upload: multipart/form-data with `bucket` and `prefix` fields
 * (or query parameters) and one or more `file` parts, streamed through Seau
 * to S3 with memory bounded whatever the size.
 *
 * The route's body is streamed (HTTP_BODY_STREAMED): this handler runs once
 * the headers are in, the multipart parser (http/multipart.h) runs on the
 * server thread as bytes arrive, and this file feeds what it parsed to the
 * proxied-upload service (files/upload_proxied.h), which checks each file as
 * its part begins, hands the bytes to the ingest worker, and writes the
 * audit entries and events when the request ends. Whenever the worker holds
 * a part's worth of bytes the connection is parked until it catches up.
 *
 * Fields must come before the files they apply to (browsers send a form's
 * fields in order); a field after a file is refused.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/str.h"
#include "files/env.h"
#include "files/transfers.h"
#include "files/upload_proxied.h"
#include "http/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPLOAD_FIELD_MAX FILES_UPLOAD_PROXIED_FIELD_MAX

struct upload {
    struct http_req *req;
    struct http_body *body;
    struct api_actor actor; /* borrowed by the service */
    bool transfer;
    struct http_multipart *mp;
    struct files_upload_proxied *svc;

    /* The form as read so far. */
    char bucket_in[UPLOAD_FIELD_MAX + 1], prefix_in[UPLOAD_FIELD_MAX + 1];
    bool have_bucket, have_prefix;
    enum { FIELD_NONE, FIELD_BUCKET, FIELD_PREFIX, FIELD_IGNORED } field;
    char field_value[UPLOAD_FIELD_MAX + 1];
    size_t field_len;
    bool in_file;

    bool replied; /* a refusal was queued by the request side */
    int failure;  /* what ended the upload, for the audit */
};

static int refuse(struct upload *u, int rc, const char *field, const char *why)
{
    u->failure = rc;
    if (u->replied)
        return rc;
    u->replied = true;
    if (field) {
        api_reply_invalid_field(u->req, field, why);
    } else {
        http_reply_error(u->req, rc, why && *why ? why : NULL, NULL);
    }
    return rc;
}

/* Answers a step of the service that failed, with the field and sentence it gave. */
static int refused(struct upload *u, int rc)
{
    const char *field;
    const char *why = files_upload_proxied_refusal(u->svc, &field);
    return refuse(u, rc, field, why);
}

/* ------------------------------------ the form ---------------------------------------- */

static void wake(void *arg)
{
    struct upload *u = arg;
    http_body_resume(u->body);
}

static int begin_file(struct upload *u, const char *filename)
{
    int rc = 0;
    if (!files_upload_proxied_has_target(u->svc)) {
        const char *bucket = u->have_bucket ? u->bucket_in : http_req_query(u->req, "bucket");
        const char *prefix = u->have_prefix ? u->prefix_in : http_req_query(u->req, "prefix");
        rc = files_upload_proxied_target(u->svc, bucket, prefix);
    }
    if (rc == 0)
        rc = files_upload_proxied_begin(u->svc, filename);
    if (rc)
        return refused(u, rc);
    u->in_file = true;
    return 0;
}

static int on_begin(void *ctx, const struct http_multipart_part *p)
{
    struct upload *u = ctx;
    if (p->filename) {
        if (strcmp(p->name, "file") != 0)
            return refuse(u, SEAU_E_VALIDATION, "file", "files go in parts named file");
        return begin_file(u, p->filename);
    }
    u->field_len = 0;
    u->field = strcmp(p->name, "bucket") == 0   ? FIELD_BUCKET
               : strcmp(p->name, "prefix") == 0 ? FIELD_PREFIX
                                                : FIELD_IGNORED;
    if (u->field != FIELD_IGNORED && files_upload_proxied_count(u->svc) > 0)
        return refuse(u, SEAU_E_VALIDATION, p->name, "must come before the files");
    return 0;
}

static int on_data(void *ctx, const char *data, size_t n)
{
    struct upload *u = ctx;
    if (u->in_file) {
        int rc = files_upload_proxied_data(u->svc, data, n);
        return rc ? refused(u, rc) : 0;
    }
    if (u->field == FIELD_IGNORED)
        return 0;
    if (u->field_len + n > UPLOAD_FIELD_MAX)
        return refuse(u, SEAU_E_VALIDATION, u->field == FIELD_BUCKET ? "bucket" : "prefix",
                      "is too long");
    memcpy(u->field_value + u->field_len, data, n);
    u->field_len += n;
    return 0;
}

static int on_end(void *ctx)
{
    struct upload *u = ctx;
    if (u->in_file) {
        u->in_file = false;
        int rc = files_upload_proxied_end(u->svc);
        return rc ? refused(u, rc) : 0;
    }
    u->field_value[u->field_len] = '\0';
    if (strlen(u->field_value) != u->field_len)
        return refuse(u, SEAU_E_VALIDATION, u->field == FIELD_BUCKET ? "bucket" : "prefix",
                      "must be text");
    if (u->field == FIELD_BUCKET) {
        memcpy(u->bucket_in, u->field_value, u->field_len + 1);
        u->have_bucket = true;
    } else if (u->field == FIELD_PREFIX) {
        memcpy(u->prefix_in, u->field_value, u->field_len + 1);
        u->have_prefix = true;
    }
    return 0;
}

static const struct http_multipart_handler form = {on_begin, on_data, on_end};

/* ------------------------------------ the body ---------------------------------------- */

static int body_data(void *ctx, struct http_req *req, const char *data, size_t n)
{
    (void)req;
    struct upload *u = ctx;
    if (u->replied)
        return u->failure;
    /* The parser cannot stop half way through a piece: wait until there is room for all of it. */
    if (!files_upload_proxied_has_room(u->svc))
        return HTTP_BODY_PAUSE;
    int rc = http_multipart_feed(u->mp, data, n);
    if (rc == 0)
        return 0;
    /* Callbacks answer their own refusals; what is left is the parser's. */
    return refuse(u, rc, NULL, rc == SEAU_E_BAD_REQUEST ? "The form data is malformed." : NULL);
}

static json_t *stored_json(struct upload *u)
{
    json_t *files = json_array();
    size_t n = 0;
    const struct files_ingested *r = files_upload_proxied_results(u->svc, &n);
    const char *bucket = files_upload_proxied_bucket(u->svc);
    int64_t by = api_principal(u->req)->user.id;
    for (size_t i = 0; files && i < n; i++)
        json_array_append_new(files, api_object_json(bucket, r[i].key, r[i].size, r[i].stored_at_ms,
                                                     r[i].etag, r[i].content_type, by));
    return files;
}

static int body_end(void *ctx, struct http_req *req)
{
    struct upload *u = ctx;
    int rc = http_multipart_finish(u->mp);
    if (rc)
        return refuse(u, rc, NULL, "The form data ended before its closing boundary.");
    rc = files_upload_proxied_finish(u->svc);
    if (rc == FILES_INGEST_BUSY)
        return HTTP_BODY_PAUSE;
    if (rc)
        return refused(u, rc);
    json_t *out = json_pack("{s:o}", "files", stored_json(u));
    return http_reply_json(req, 201, out);
}

static void body_release(void *ctx)
{
    struct upload *u = ctx;
    int rc = u->failure;
    if (!rc && u->req->status >= 400)
        rc = SEAU_E_INTERNAL;
    if (!rc && u->req->status == 499)
        rc = SEAU_E_CANCELLED;
    files_upload_proxied_free(u->svc, rc);
    http_multipart_free(u->mp);
    if (u->transfer)
        files_transfer_release();
    free(u);
}

static const struct http_body_sink sink = {body_data, body_end, body_release};

/* ------------------------------------ handler ----------------------------------------- */

int api_upload(struct http_req *req)
{
    char boundary[HTTP_MULTIPART_BOUNDARY_MAX + 1];
    int rc =
        http_multipart_boundary(http_req_header(req, "Content-Type"), boundary, sizeof(boundary));
    if (rc == SEAU_E_MEDIA_TYPE)
        return http_reply_error(req, rc, "Send the files as multipart/form-data.", NULL);
    if (rc)
        return http_reply_error(req, rc, "The multipart boundary is missing or malformed.", NULL);

    struct upload *u = calloc(1, sizeof(*u));
    if (!u)
        return SEAU_E_NOMEM;
    u->req = req;
    api_actor_init(&u->actor, req);
    int64_t length = 0;
    const char *cl = http_req_header(req, "Content-Length");
    if (!cl || str_to_int64(cl, 0, INT64_MAX, &length))
        length = 0;
    const struct cfg *cfg = api_app(req)->cfg;
    struct files_env env;
    api_files_env(req, &env);
    struct files_upload_proxied_opts o = {
        .env = &env,
        .who = api_who(req),
        .actor = &u->actor.actor,
        .allowed_types = cfg->allowed_types,
        .clamav = cfg->clamav,
        .max_file_bytes = cfg->max_upload_bytes,
        .content_length = length,
        .wake = wake,
        .wake_arg = u,
    };
    rc = files_upload_proxied_new(&o, &u->svc);
    if (rc == 0) {
        if ((rc = files_transfer_acquire((size_t)cfg->max_transfers)) == 0)
            u->transfer = true;
        else
            api_reply_transfers_busy(req);
    }
    if (rc == 0) {
        u->mp = http_multipart_new(boundary, &form, u);
        if (!u->mp)
            rc = SEAU_E_NOMEM;
    }
    if (rc == 0)
        rc = http_req_stream_body(req, &sink, u, &u->body);
    if (rc) {
        body_release(u);
        return req->response ? 0 : rc;
    }
    return 0;
}
