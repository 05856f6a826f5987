/*
 * POST /api/upload: multipart/form-data with `bucket` and `prefix` fields
 * (or query parameters) and one or more `file` parts, streamed through Seau
 * to S3 (files/ingest.h) with memory bounded whatever the size.
 *
 * The route's body is streamed (HTTP_BODY_STREAMED): this handler runs once
 * the headers are in, the multipart parser runs on the server thread as bytes
 * arrive, and whenever the ingest worker holds a part's worth of bytes the
 * connection is parked until it catches up. Each file is checked (key rules,
 * grants, size limit) as its part begins, before any byte of it goes to S3;
 * its type is sniffed from its first bytes by the worker.
 *
 * Fields must come before the files they apply to (browsers send a form's
 * fields in order); a field after a file is refused. One audit entry
 * (object.upload) per stored file, and one failure entry naming the file and
 * the reason when an upload is refused or fails.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "files/files.h"
#include "files/ingest.h"
#include "files/transfers.h"
#include "http/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPLOAD_FILES_MAX    1000 /* files in one request */
#define UPLOAD_FIELD_MAX    1024 /* bytes of a bucket or prefix field */
#define UPLOAD_PARTS_TARGET 9000 /* parts a file may use, below S3's 10,000 */
#define MiB                 (1024 * 1024)

struct upload {
    struct http_req *req;
    struct http_body *body;
    struct files_env env;
    struct files_who who;
    bool who_loaded, transfer;
    struct http_multipart *mp;
    struct files_ingest *ingest;
    uint64_t part_size;

    /* The form as read so far. */
    char bucket_in[UPLOAD_FIELD_MAX + 1], prefix_in[UPLOAD_FIELD_MAX + 1];
    bool have_bucket, have_prefix;
    const char *bucket; /* resolved at the first file; borrowed from the configuration */
    enum { FIELD_NONE, FIELD_BUCKET, FIELD_PREFIX, FIELD_IGNORED } field;
    char field_value[UPLOAD_FIELD_MAX + 1];
    size_t field_len;
    bool in_file;
    size_t files;
    int64_t file_bytes;
    char key[DB_PREFIX_MAX + HTTP_MULTIPART_FILENAME_MAX + 2];

    bool replied; /* a refusal was queued by the request side */
    int failure;  /* what ended the upload, for the audit */
    char failed_key[DB_PREFIX_MAX + HTTP_MULTIPART_FILENAME_MAX + 2];
};

static int refuse(struct upload *u, int rc, const char *field, const char *why)
{
    u->failure = rc;
    if (u->replied)
        return rc;
    u->replied = true;
    if (field) {
        struct jsonx_check check;
        jsonx_check_init(&check);
        jsonx_check_fail(&check, field, why);
        api_reply_invalid(u->req, &check);
    } else {
        http_reply_error(u->req, rc, why, NULL);
    }
    return rc;
}

/* ------------------------------------ the form ---------------------------------------- */

static void wake(void *arg)
{
    struct upload *u = arg;
    http_body_resume(u->body);
}

/* The worker's failure as the answer, naming the file it was on. */
static int reply_ingest_failure(struct upload *u, int rc)
{
    /* Answer only once the worker has cleaned up (multipart upload aborted): a client that
     * checks right after the answer must find nothing left. */
    files_ingest_stop(u->ingest);
    char msg[FILES_INGEST_MESSAGE_MAX];
    files_ingest_message(u->ingest, msg, sizeof(msg));
    return refuse(u, rc, NULL, msg[0] ? msg : NULL);
}

/* Resolves the bucket and prefix once, at the first file. */
static int settle_target(struct upload *u)
{
    if (u->bucket)
        return 0;
    const char *name = u->have_bucket ? u->bucket_in : http_req_query(u->req, "bucket");
    int rc = files_bucket_resolve(u->env.buckets, u->env.nbuckets, name, &u->bucket);
    if (rc == SEAU_E_VALIDATION)
        return refuse(u, rc, "bucket", s3name_bucket_problem(name));
    if (rc)
        return refuse(u, rc, NULL, NULL);
    if (!u->have_prefix) {
        const char *q = http_req_query(u->req, "prefix");
        if (q && strlen(q) > UPLOAD_FIELD_MAX)
            return refuse(u, SEAU_E_VALIDATION, "prefix", "is too long");
        snprintf(u->prefix_in, sizeof(u->prefix_in), "%s", q ? q : "");
    }
    const char *prefix = u->prefix_in;
    if (*prefix) {
        const char *why = s3name_prefix_problem(prefix);
        if (!why && prefix[strlen(prefix) - 1] != '/')
            why = "must end with /";
        if (why)
            return refuse(u, SEAU_E_VALIDATION, "prefix", why);
    }
    struct app *app = api_app(u->req);
    struct files_ingest_opts o = {
        .s3 = u->env.s3,
        .db = u->env.db,
        .bucket = u->bucket,
        .allowed_types = app->cfg->allowed_types,
        .clamav = app->cfg->clamav,
        .uploaded_by = api_principal(u->req)->user.id,
        .part_size = u->part_size,
        .wake = wake,
        .wake_arg = u,
    };
    if ((rc = files_ingest_new(&o, &u->ingest)))
        return refuse(u, rc, NULL, NULL);
    return 0;
}

static int begin_file(struct upload *u, const char *filename)
{
    int rc = settle_target(u);
    if (rc)
        return rc;
    if (++u->files > UPLOAD_FILES_MAX)
        return refuse(u, SEAU_E_VALIDATION, "file", "at most 1000 files per request");
    if (!*filename)
        return refuse(u, SEAU_E_VALIDATION, "file", "needs a file name");
    size_t n = (size_t)snprintf(u->key, sizeof(u->key), "%s%s", u->prefix_in, filename);
    snprintf(u->failed_key, sizeof(u->failed_key), "%s", n < sizeof(u->key) ? u->key : filename);
    const char *why = n < sizeof(u->key) ? s3name_key_problem(u->key) : "is too long";
    if (why) {
        char msg[HTTP_MULTIPART_FILENAME_MAX + 64];
        snprintf(msg, sizeof(msg), "%s (%s)", why, filename);
        return refuse(u, SEAU_E_VALIDATION, "file", msg);
    }
    struct auth_resource res = {.bucket = u->bucket, .key = u->key};
    if ((rc = auth_can(&u->who.subject, AUTH_OBJECT_WRITE, &res)))
        return refuse(u, rc, NULL, NULL);
    u->in_file = true;
    u->file_bytes = 0;
    if ((rc = files_ingest_begin(u->ingest, u->key)))
        return reply_ingest_failure(u, rc);
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
    if (u->field != FIELD_IGNORED && u->files > 0)
        return refuse(u, SEAU_E_VALIDATION, p->name, "must come before the files");
    return 0;
}

static int on_data(void *ctx, const char *data, size_t n)
{
    struct upload *u = ctx;
    if (u->in_file) {
        u->file_bytes += (int64_t)n;
        int64_t max = api_app(u->req)->cfg->max_upload_bytes;
        if (u->file_bytes > max) {
            char msg[256];
            snprintf(msg, sizeof(msg), "The file is larger than this server accepts (%lld bytes).",
                     (long long)max);
            return refuse(u, SEAU_E_TOO_LARGE, NULL, msg);
        }
        int rc = files_ingest_data(u->ingest, data, n);
        return rc ? reply_ingest_failure(u, rc) : 0;
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
        int rc = files_ingest_end(u->ingest);
        return rc ? reply_ingest_failure(u, rc) : 0;
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
    if (u->ingest && !files_ingest_has_room(u->ingest))
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
    const struct files_ingested *r = u->ingest ? files_ingest_results(u->ingest, &n) : NULL;
    int64_t by = api_principal(u->req)->user.id;
    for (size_t i = 0; files && i < n; i++)
        json_array_append_new(files, api_object_json(u->bucket, r[i].key, r[i].size,
                                                     r[i].stored_at_ms, r[i].etag,
                                                     r[i].content_type, by));
    return files;
}

static int body_end(void *ctx, struct http_req *req)
{
    struct upload *u = ctx;
    int rc = http_multipart_finish(u->mp);
    if (rc)
        return refuse(u, rc, NULL, "The form data ended before its closing boundary.");
    if (u->files == 0)
        return refuse(u, SEAU_E_VALIDATION, "file", "is required");
    rc = files_ingest_finish(u->ingest);
    if (rc == FILES_INGEST_BUSY)
        return HTTP_BODY_PAUSE;
    if (rc)
        return reply_ingest_failure(u, rc);
    json_t *out = json_pack("{s:o}", "files", stored_json(u));
    return http_reply_json(req, 201, out);
}

static void audit_upload(struct upload *u, const char *key, int64_t size, const char *type,
                         int failure)
{
    struct api_actor actor;
    api_actor_init(&actor, u->req);
    json_t *d = failure ? json_pack("{s:s}", "error", err_api_code(failure))
                        : json_pack("{s:I, s:s, s:s}", "size", (json_int_t)size, "contentType",
                                    type, "via", "proxy");
    char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    struct db_audit_entry e;
    audit_entry_init(&e, &actor.actor, "object.upload", failure ? "failure" : "success", text,
                     time_now_ms());
    e.bucket = (char *)u->bucket;
    e.key = (char *)key;
    (void)db_audit_append(u->env.db, &e);
    free(text);
}

static void body_release(void *ctx)
{
    struct upload *u = ctx;
    if (u->ingest) {
        /* Stops the worker first: whatever it had not stored is abandoned and cleaned up. */
        files_ingest_stop(u->ingest);
        size_t n = 0;
        const struct files_ingested *r = files_ingest_results(u->ingest, &n);
        struct auth_principal *who = api_principal(u->req);
        for (size_t i = 0; i < n; i++) {
            audit_upload(u, r[i].key, r[i].size, r[i].content_type, 0);
            events_publish(api_app(u->req)->events,
                           &(struct event){.type = EVENTS_UPLOAD,
                                           .bucket = u->bucket,
                                           .key = r[i].key,
                                           .size = r[i].size,
                                           .etag = r[i].etag,
                                           .actor = who->user.email,
                                           .actor_id = who->user.id});
        }
        int rc = u->failure;
        if (!rc && u->req->status >= 400)
            rc = SEAU_E_INTERNAL;
        if (!rc && u->req->status == 499)
            rc = SEAU_E_CANCELLED;
        if (rc && u->failed_key[0])
            audit_upload(u, u->failed_key, 0, NULL, rc);
        files_ingest_free(u->ingest);
    }
    http_multipart_free(u->mp);
    if (u->who_loaded)
        files_who_done(&u->who);
    if (u->transfer)
        files_transfer_release();
    free(u);
}

static const struct http_body_sink sink = {body_data, body_end, body_release};

/* ------------------------------------ handler ----------------------------------------- */

int api_upload(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    if (!env.s3)
        return api_reply_no_s3(req);
    char boundary[HTTP_MULTIPART_BOUNDARY_MAX + 1];
    int rc = http_multipart_boundary(http_req_header(req, "Content-Type"), boundary,
                                     sizeof(boundary));
    if (rc == SEAU_E_MEDIA_TYPE)
        return http_reply_error(req, rc, "Send the files as multipart/form-data.", NULL);
    if (rc)
        return http_reply_error(req, rc, "The multipart boundary is missing or malformed.", NULL);

    struct upload *u = calloc(1, sizeof(*u));
    if (!u)
        return SEAU_E_NOMEM;
    u->req = req;
    u->env = env;
    /* Parts big enough that the whole request fits in UPLOAD_PARTS_TARGET of them. */
    int64_t length = 0;
    const char *cl = http_req_header(req, "Content-Length");
    if (!cl || str_to_int64(cl, 0, INT64_MAX, &length))
        length = 0;
    uint64_t part = (uint64_t)length / UPLOAD_PARTS_TARGET + 1;
    part = (part + MiB - 1) / MiB * MiB;
    u->part_size = part < FILES_INGEST_PART_MIN ? FILES_INGEST_PART_MIN : part;

    if ((rc = files_who_load(env.db, api_principal(req), &u->who)) == 0)
        u->who_loaded = true;
    if (rc == 0 && (rc = files_transfer_acquire((size_t)api_app(req)->cfg->max_transfers)) == 0)
        u->transfer = true;
    else if (rc == SEAU_E_UNAVAILABLE && u->who_loaded)
        api_reply_transfers_busy(req);
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
