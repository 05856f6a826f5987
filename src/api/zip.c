/*
 * GET /api/download-zip: a folder or a selection as one ZIP, built while it
 * is sent. The job — planning with the grants, listing, the producer thread,
 * the audit entry — is the service's (files/zip_download.h); this handler
 * reads the query, starts the job and streams what it produces.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "files/browse.h"
#include "files/zip_download.h"
#include "http/disposition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===================================== the stream ==================================== */

struct zip_reply {
    struct files_zip *job;
    struct http_stream *stream;
};

static ssize_t zip_read(void *ctx, char *buf, size_t max)
{
    struct zip_reply *z = ctx;
    ssize_t n = files_zip_read(z->job, buf, max);
    if (n == FILES_ZIP_END)
        return HTTP_STREAM_END;
    if (n == FILES_ZIP_ERROR)
        return HTTP_STREAM_ERROR;
    return n;
}

static void zip_release(void *ctx)
{
    struct zip_reply *z = ctx;
    files_zip_free(z->job);
    free(z);
}

static void zip_notify(void *ctx)
{
    struct zip_reply *z = ctx;
    http_stream_wake(z->stream);
}

static const struct http_stream_source zip_source = {zip_read, zip_release};

/* Answers with the archive. Whatever happens, job is freed. */
static int send_zip(struct http_req *req, struct files_zip *job)
{
    struct zip_reply *z = calloc(1, sizeof(*z));
    if (z) {
        z->job = job;
        z->stream = http_stream_new(&zip_source, z);
    }
    if (!z || !z->stream) {
        free(z);
        files_zip_free(job);
        return SEAU_E_NOMEM;
    }
    /* The producer may fill the pipe before anyone reads: notify matters only after a read. */
    files_zip_set_notify(job, zip_notify, z);
    char disposition[HTTP_DISPOSITION_MAX];
    if (http_content_disposition(disposition, sizeof(disposition), false,
                                 files_zip_filename(job)) == 0)
        http_add_header(req, "Content-Disposition", disposition);
    return http_reply_stream(req, 200, "application/zip", -1, z->stream);
}

/* ===================================== the handler =================================== */

static int reply_problem(struct http_req *req, int rc, struct files_zip_problem *pb)
{
    if (rc == SEAU_E_VALIDATION && pb->field) {
        return api_reply_invalid_field(req, pb->field, pb->why);
    }
    if (rc == SEAU_E_TOO_LARGE) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "The selection holds more than %d objects or %d MiB of names; zip smaller "
                 "folders.",
                 FILES_ZIP_ENTRIES_MAX, FILES_ZIP_NAME_BYTES_MAX >> 20);
        return http_reply_error(req, SEAU_E_TOO_LARGE, msg, NULL);
    }
    if (rc == SEAU_E_UNAVAILABLE && pb->busy)
        return api_reply_transfers_busy(req);
    return api_reply_s3_failure(req, rc, &pb->err);
}

int api_download_zip(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    const char *keys[FILES_ZIP_KEYS_MAX], *prefixes[FILES_ZIP_PREFIXES_MAX];
    struct files_zip_selection sel = {.keys = keys, .prefixes = prefixes};
    sel.nkeys = http_req_query_all(req, "keys", keys, FILES_ZIP_KEYS_MAX, &sel.keys_seen);
    sel.nprefixes =
        http_req_query_all(req, "prefixes", prefixes, FILES_ZIP_PREFIXES_MAX, &sel.prefixes_seen);
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *name = http_req_query(req, "bucket");
    const char *bucket = NULL;
    int rc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (rc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    files_zip_check(&sel, &check);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (rc)
        return rc;

    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_zip_request zr = {
        .bucket = bucket,
        .sel = &sel,
        .max_transfers = (size_t)api_app(req)->cfg->max_transfers,
        .audit = api_app(req)->cfg->audit_downloads,
        .actor = &actor.actor,
    };
    struct files_zip_problem pb;
    struct files_zip *job = NULL;
    rc = files_zip_start(&env, api_who(req), &zr, &pb, &job);
    if (rc)
        return reply_problem(req, rc, &pb);
    return send_zip(req, job);
}
