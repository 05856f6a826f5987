/* Proxied uploads, the service; see upload_proxied.h. The bytes' path to S3 is in ingest.c. */
#include "files/upload_proxied.h"

#include "core/err.h"
#include "core/s3name.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "files/browse.h"
#include "files/recovery.h"
#include "metrics/metrics.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB     (1024 * 1024)
#define KEY_MAX (DB_PREFIX_MAX + FILES_UPLOAD_PROXIED_NAME_MAX + 2)

struct files_upload_proxied {
    struct files_upload_proxied_opts o;
    struct files_env env;
    uint64_t part_size;
    struct files_ingest *ingest;
    const char *bucket; /* borrowed from the configuration; NULL until the target is settled */
    char prefix[FILES_UPLOAD_PROXIED_FIELD_MAX + 1];
    size_t files;
    bool in_file;
    int64_t file_bytes;
    char key[KEY_MAX];
    char failed_key[KEY_MAX]; /* the file the upload was on, for a failure's entry */
    size_t recorded;          /* stored files whose audit entry and event are written */
    const char *field;        /* the refusal's field, or NULL */
    char why[FILES_INGEST_MESSAGE_MAX + FILES_UPLOAD_PROXIED_NAME_MAX];
};

static void record_stored(struct files_upload_proxied *u);

uint64_t files_upload_proxied_part_size(int64_t content_length)
{
    uint64_t length = content_length > 0 ? (uint64_t)content_length : 0;
    uint64_t part = length / FILES_UPLOAD_PROXIED_PARTS + 1;
    part = (part + MiB - 1) / MiB * MiB;
    return part < FILES_INGEST_PART_MIN ? FILES_INGEST_PART_MIN : part;
}

int files_upload_proxied_new(const struct files_upload_proxied_opts *o,
                             struct files_upload_proxied **ret)
{
    struct files_upload_proxied *u = calloc(1, sizeof(*u));
    if (!u)
        return SEAU_E_NOMEM;
    u->o = *o;
    u->env = *o->env;
    u->o.env = &u->env;
    u->part_size = files_upload_proxied_part_size(o->content_length);
    *ret = u;
    return 0;
}

/* Records why a step failed and returns rc. */
static int refuse(struct files_upload_proxied *u, int rc, const char *field, const char *why)
{
    u->field = field;
    snprintf(u->why, sizeof(u->why), "%s", why ? why : "");
    return rc;
}

/* The worker's failure: it has cleaned up (multipart upload aborted) before the answer goes. */
static int ingest_failure(struct files_upload_proxied *u, int rc)
{
    files_ingest_stop(u->ingest);
    char msg[FILES_INGEST_MESSAGE_MAX];
    files_ingest_message(u->ingest, msg, sizeof(msg));
    return refuse(u, rc, NULL, msg);
}

int files_upload_proxied_target(struct files_upload_proxied *u, const char *bucket,
                                const char *prefix)
{
    if (u->bucket)
        return 0;
    int rc = files_bucket_resolve(u->env.buckets, u->env.nbuckets, bucket, &u->bucket);
    if (rc == SEAU_E_VALIDATION)
        return refuse(u, rc, "bucket", s3name_bucket_problem(bucket));
    if (rc)
        return refuse(u, rc, NULL, NULL);
    if (!prefix)
        prefix = "";
    if (strlen(prefix) > FILES_UPLOAD_PROXIED_FIELD_MAX) {
        u->bucket = NULL;
        return refuse(u, SEAU_E_VALIDATION, "prefix", "is too long");
    }
    snprintf(u->prefix, sizeof(u->prefix), "%s", prefix);
    if (*prefix) {
        const char *why = s3name_prefix_problem(prefix);
        if (!why && prefix[strlen(prefix) - 1] != '/')
            why = "must end with /";
        if (why) {
            u->bucket = NULL;
            return refuse(u, SEAU_E_VALIDATION, "prefix", why);
        }
    }
    struct files_ingest_opts io = {
        .s3 = u->env.s3,
        .db = u->env.db,
        .bucket = u->bucket,
        .allowed_types = u->o.allowed_types,
        .clamav = u->o.clamav,
        .uploaded_by = u->o.uploaded_by ? u->o.uploaded_by : u->o.who->subject.user_id,
        .part_size = u->part_size,
        .parts_in_flight = FILES_UPLOAD_PROXIED_IN_FLIGHT,
        /* A `user` replaces only its own objects (API.md roles): asked as each file starts. */
        .existing = u->o.never_replace                         ? FILES_INGEST_NUMBER
                    : u->o.who->subject.role == AUTH_ROLE_USER ? FILES_INGEST_OWN_ONLY
                                                               : FILES_INGEST_REPLACE,
        .wake = u->o.wake,
        .wake_arg = u->o.wake_arg,
    };
    if ((rc = files_ingest_new(&io, &u->ingest))) {
        u->bucket = NULL;
        return refuse(u, rc, NULL, NULL);
    }
    return 0;
}

bool files_upload_proxied_has_target(const struct files_upload_proxied *u)
{
    return u->ingest != NULL;
}

int files_upload_proxied_begin(struct files_upload_proxied *u, const char *filename)
{
    if (!u->ingest)
        return refuse(u, SEAU_E_INTERNAL, NULL, NULL);
    if (++u->files > FILES_UPLOAD_PROXIED_FILES_MAX)
        return refuse(u, SEAU_E_VALIDATION, "file", "at most 1000 files per request");
    if (!*filename)
        return refuse(u, SEAU_E_VALIDATION, "file", "needs a file name");
    size_t n = (size_t)snprintf(u->key, sizeof(u->key), "%s%s", u->prefix, filename);
    snprintf(u->failed_key, sizeof(u->failed_key), "%s", n < sizeof(u->key) ? u->key : filename);
    const char *why = n < sizeof(u->key) ? s3name_key_problem(u->key) : "is too long";
    if (why) {
        char msg[FILES_UPLOAD_PROXIED_NAME_MAX + 64];
        snprintf(msg, sizeof(msg), "%s (%s)", why, filename);
        return refuse(u, SEAU_E_VALIDATION, "file", msg);
    }
    int rc = files_may_write(&u->o.who->subject, AUTH_OBJECT_WRITE, u->bucket, u->key);
    if (rc)
        return refuse(u, rc, NULL, NULL);
    if (u->o.before_file && (rc = u->o.before_file(u->o.before_file_arg)))
        return refuse(u, rc, NULL, NULL);
    u->in_file = true;
    u->file_bytes = 0;
    if ((rc = files_ingest_begin(u->ingest, u->key)))
        return ingest_failure(u, rc);
    return 0;
}

int files_upload_proxied_data(struct files_upload_proxied *u, const void *data, size_t n)
{
    if (!u->in_file)
        return refuse(u, SEAU_E_INTERNAL, NULL, NULL);
    u->file_bytes += (int64_t)n;
    if (u->file_bytes > u->o.max_file_bytes) {
        char msg[256];
        snprintf(msg, sizeof(msg), "The file is larger than this server accepts (%lld bytes).",
                 (long long)u->o.max_file_bytes);
        return refuse(u, SEAU_E_TOO_LARGE, NULL, msg);
    }
    int rc = files_ingest_data(u->ingest, data, n);
    return rc ? ingest_failure(u, rc) : 0;
}

int files_upload_proxied_end(struct files_upload_proxied *u)
{
    if (!u->in_file)
        return refuse(u, SEAU_E_INTERNAL, NULL, NULL);
    u->in_file = false;
    int rc = files_ingest_end(u->ingest);
    return rc ? ingest_failure(u, rc) : 0;
}

bool files_upload_proxied_has_room(struct files_upload_proxied *u)
{
    return !u->ingest || files_ingest_has_room(u->ingest);
}

size_t files_upload_proxied_count(const struct files_upload_proxied *u)
{
    return u->files;
}

int files_upload_proxied_finish(struct files_upload_proxied *u)
{
    if (u->files == 0)
        return refuse(u, SEAU_E_VALIDATION, "file", "is required");
    int rc = files_ingest_finish(u->ingest);
    if (rc == FILES_INGEST_BUSY)
        return rc;
    if (rc)
        return ingest_failure(u, rc);
    /* Before the answer: a client told 201 finds the entries, in the order of its requests. */
    record_stored(u);
    return 0;
}

const char *files_upload_proxied_refusal(const struct files_upload_proxied *u,
                                         const char **ret_field)
{
    *ret_field = u->field;
    return u->why;
}

const char *files_upload_proxied_bucket(const struct files_upload_proxied *u)
{
    return u->bucket;
}

const struct files_ingested *files_upload_proxied_results(struct files_upload_proxied *u,
                                                          size_t *ret_n)
{
    *ret_n = 0;
    return u->ingest ? files_ingest_results(u->ingest, ret_n) : NULL;
}

/* One object.upload entry: a stored file (failure 0) or the failure of the one it was on. */
static void audit_upload(struct files_upload_proxied *u, const char *key, int64_t size,
                         const char *type, int failure)
{
    json_t *d = failure ? json_pack("{s:s}", "error", err_api_code(failure))
                        : json_pack("{s:I, s:s, s:s}", "size", (json_int_t)size, "contentType",
                                    type, "via", u->o.via ? u->o.via : "proxy");
    char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    struct db_audit_entry e;
    audit_entry_init(&e, u->o.actor, "object.upload", failure ? "failure" : "success", text,
                     time_now_ms());
    e.bucket = (char *)u->bucket;
    e.key = (char *)key;
    (void)db_audit_append(u->env.db, &e);
    free(text);
}

/* The audit entry, metric and event of each stored file not yet recorded. */
static void record_stored(struct files_upload_proxied *u)
{
    size_t n = 0;
    const struct files_ingested *r = files_ingest_results(u->ingest, &n);
    for (size_t i = u->recorded; i < n; i++) {
        audit_upload(u, r[i].key, r[i].size, r[i].content_type, 0);
        metrics_observe_upload(u->env.metrics, METRICS_UPLOAD_PROXIED, r[i].size);
        events_publish(u->env.events, &(struct event){.type = EVENTS_UPLOAD,
                                                      .bucket = u->bucket,
                                                      .key = r[i].key,
                                                      .size = r[i].size,
                                                      .etag = r[i].etag,
                                                      .actor = u->o.actor->email,
                                                      .actor_id = u->o.actor->user_id,
                                                      .message = u->o.event_message});
    }
    u->recorded = n;
}

void files_upload_proxied_stop(struct files_upload_proxied *u)
{
    if (u && u->ingest)
        files_ingest_stop(u->ingest);
}

void files_upload_proxied_free(struct files_upload_proxied *u, int failure)
{
    if (!u)
        return;
    if (u->ingest) {
        /* Stops the worker first: whatever it had not stored is abandoned and cleaned up;
         * what it had stored before a failure is in the bucket and gets its entries now. */
        files_ingest_stop(u->ingest);
        record_stored(u);
        if (failure && u->failed_key[0])
            audit_upload(u, u->failed_key, 0, NULL, failure);
        files_ingest_free(u->ingest);
    }
    free(u);
}
