/*
 * Change handlers of API.md "Buckets and objects": POST /api/copy,
 * POST /api/rename and POST /api/folders. Thin: parse and validate the
 * body, call the audited service of files/change.h (which writes the audit
 * entry and publishes the events), render JSON.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/change.h"
#include "files/browse.h"
#include "s3/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pairs and failures shown in the details of a folder rename that went part way. */
#define CHANGE_DETAILS_KEYS 100

/* API.md's object from the index's row. */
static json_t *object_json(const struct db_object *o)
{
    return api_object_json(o->bucket, o->key, o->size, o->last_modified, o->etag, o->content_type,
                           o->uploaded_by);
}

static json_t *pairs_json(const struct files_copy_outcome *o, size_t max)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < o->ncopied && i < max; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s}", "from", o->copied[i].from, "to", o->copied[i].to));
    return a;
}

static json_t *failures_json(const struct files_copy_outcome *o, size_t max)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < o->nerrors && i < max; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "key", o->errors[i].key, "code",
                                           o->errors[i].code, "message", o->errors[i].message));
    return a;
}

/* A source of a copy: a key, or a folder ending with '/'. */
static const char *source_problem(const char *s)
{
    return s3name_key_problem(s);
}

/* Reads "sources": 1 to FILES_COPY_SOURCES_MAX strings, each a valid key or folder. */
static const char **sources_list(struct jsonx_check *check, json_t *body, size_t *ret_n)
{
    *ret_n = 0;
    json_t *a = json_object_get(body, "sources");
    if (!a || json_is_null(a)) {
        jsonx_check_fail(check, "sources", "is required: name at least one key or folder");
        return NULL;
    }
    if (!json_is_array(a) || json_array_size(a) == 0) {
        jsonx_check_fail(check, "sources", "must be an array of one or more keys or folders");
        return NULL;
    }
    size_t n = json_array_size(a);
    if (n > FILES_COPY_SOURCES_MAX) {
        char msg[64];
        snprintf(msg, sizeof(msg), "must hold at most %d entries", FILES_COPY_SOURCES_MAX);
        jsonx_check_fail(check, "sources", msg);
        return NULL;
    }
    const char **v = calloc(n + 1, sizeof(*v));
    if (!v) {
        jsonx_check_fail(check, "sources", "is too large");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(a, i);
        const char *why = NULL;
        if (!json_is_string(s) || json_string_length(s) != strlen(json_string_value(s)))
            why = "must hold only strings";
        else
            why = source_problem(json_string_value(s));
        if (why) {
            char msg[300];
            snprintf(msg, sizeof(msg), "entry %zu %s", i, why);
            jsonx_check_fail(check, "sources", msg);
            free(v);
            return NULL;
        }
        v[i] = json_string_value(s);
    }
    *ret_n = n;
    return v;
}

/* Resolves a bucket field; a malformed name is recorded in check. */
static int bucket_field(struct jsonx_check *check, json_t *body, const char *field,
                        char *const *buckets, size_t nbuckets, const char **ret)
{
    const char *name = jsonx_get_string(check, body, field, false, DB_BUCKET_MAX);
    int rc = files_bucket_resolve(buckets, nbuckets, name, ret);
    if (rc == SEAU_E_VALIDATION)
        jsonx_check_fail(check, field, s3name_bucket_problem(name));
    return rc;
}

/* Reads a key field: required, 1 to 1024 bytes, valid by the key rules. */
static const char *key_field(struct jsonx_check *check, json_t *body, const char *field)
{
    const char *k = jsonx_get_string(check, body, field, true, S3NAME_KEY_MAX);
    const char *why = k ? s3name_key_problem(k) : NULL;
    if (why) {
        jsonx_check_fail(check, field, why);
        return NULL;
    }
    return k;
}

/* Reads "conflict" (API.md): absent or null is "fail". */
static enum files_conflict conflict_field(struct jsonx_check *check, json_t *body)
{
    enum files_conflict mode = FILES_CONFLICT_FAIL;
    json_t *c = json_object_get(body, "conflict");
    if (c && !json_is_null(c) &&
        (!json_is_string(c) || files_conflict_parse(json_string_value(c), &mode)))
        jsonx_check_fail(check, "conflict", "must be \"fail\", \"replace\", \"keepBoth\" or \"skip\"");
    return mode;
}

static json_t *skipped_json(const struct files_copy_outcome *o)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < o->nskipped; i++)
        json_array_append_new(a, json_string(o->skipped[i]));
    return a;
}

/* ====================================== copy ======================================= */

int api_copy(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    int rc = 0;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {
        "bucket", "sources", "destinationBucket", "destinationPrefix", "move", "conflict", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    struct files_copy_request q = {.dst_prefix = "",
                                   .actor = api_principal(req)->user.id,
                                   .multipart_threshold =
                                       (uint64_t)api_app(req)->cfg->multipart_copy_threshold};
    int brc = bucket_field(&check, body, "bucket", env.buckets, env.nbuckets, &q.bucket);
    /* No destination bucket: the source's, a copy within the bucket. */
    int drc = 0;
    json_t *db = json_object_get(body, "destinationBucket");
    if (db && !json_is_null(db))
        drc = bucket_field(&check, body, "destinationBucket", env.buckets, env.nbuckets,
                           &q.dst_bucket);
    json_t *dp = json_object_get(body, "destinationPrefix");
    if (dp && !json_is_null(dp)) {
        const char *s = json_is_string(dp) ? json_string_value(dp) : NULL;
        const char *why = NULL;
        if (!s || json_string_length(dp) != strlen(s))
            why = "must be a string";
        else if (*s && s[strlen(s) - 1] != '/')
            why = "must be \"\" (the bucket's root) or a folder ending with '/'";
        else if (*s)
            why = s3name_key_problem(s);
        if (why)
            jsonx_check_fail(&check, "destinationPrefix", why);
        else
            q.dst_prefix = s;
    }
    (void)jsonx_get_bool(&check, body, "move", &q.move);
    q.conflict = conflict_field(&check, body);
    const char **sources = sources_list(&check, body, &q.nsources);
    q.sources = sources;
    if (!jsonx_check_ok(&check)) {
        free(sources);
        return api_reply_invalid(req, &check);
    }
    if (brc || drc) {
        jsonx_check_done(&check);
        free(sources);
        return brc ? brc : drc;
    }
    if (!q.dst_bucket)
        q.dst_bucket = q.bucket;

    const struct files_who *who = api_who(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_copy_outcome out;
    memset(&out, 0, sizeof(out));
    rc = files_copy_audited(&env, who, &actor.actor, &q, &check, &out);
    free(sources);
    if (rc == SEAU_E_VALIDATION) {
        files_copy_outcome_done(&out);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    if (rc) {
        files_copy_outcome_done(&out);
        return rc;
    }
    json_t *reply = json_pack("{s:o, s:o, s:o}", "copied", pairs_json(&out, SIZE_MAX), "errors",
                              failures_json(&out, SIZE_MAX), "skipped", skipped_json(&out));
    files_copy_outcome_done(&out);
    return http_reply_json(req, 200, reply);
}

/* ===================================== rename ====================================== */

int api_rename(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    int rc = 0;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket", "key", "newKey", "conflict", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *bucket = NULL;
    int brc = bucket_field(&check, body, "bucket", env.buckets, env.nbuckets, &bucket);
    const char *key = key_field(&check, body, "key");
    const char *new_key = key_field(&check, body, "newKey");
    enum files_conflict conflict = conflict_field(&check, body);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    if (brc) {
        jsonx_check_done(&check);
        return brc;
    }

    const struct files_who *who = api_who(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_renamed r;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    rc = files_rename_with_audited(&env, who, &actor.actor, bucket, key, new_key, conflict,
                                   (uint64_t)api_app(req)->cfg->multipart_copy_threshold, &check,
                                   &r, &e);
    if (rc == SEAU_E_VALIDATION && !jsonx_check_ok(&check)) {
        files_renamed_done(&r);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    if (rc && r.folder && (r.moved.ncopied || r.moved.nerrors)) {
        /* A folder that moved part way: say what moved and what did not. */
        char msg[200];
        snprintf(msg, sizeof(msg), "%zu objects of the folder could not be moved; %zu were moved.",
                 r.moved.nerrors, r.moved.ncopied);
        json_t *details = json_pack("{s:I, s:o, s:o}", "movedCount", (json_int_t)r.moved.ncopied,
                                    "moved", pairs_json(&r.moved, CHANGE_DETAILS_KEYS), "errors",
                                    failures_json(&r.moved, CHANGE_DETAILS_KEYS));
        files_renamed_done(&r);
        return http_reply_error(req, rc, msg, details);
    }
    if (rc) {
        files_renamed_done(&r);
        return api_reply_s3_failure(req, rc, &e);
    }
    json_t *out = json_pack("{s:o}", "file", object_json(&r.object));
    if (out && r.skipped)
        json_object_set_new(out, "skipped", json_true());
    if (out && r.folder) {
        /* A folder has no size of its own: size is the bytes moved, moved how many objects. */
        json_t *f = json_object_get(out, "file");
        json_object_set_new(f, "size", json_integer(r.moved.bytes));
        json_object_set_new(out, "moved", json_integer((json_int_t)r.moved.ncopied));
    }
    files_renamed_done(&r);
    return http_reply_json(req, 200, out);
}

/* ===================================== folders ===================================== */

int api_folders_create(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    int rc = 0;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket", "prefix", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *bucket = NULL;
    int brc = bucket_field(&check, body, "bucket", env.buckets, env.nbuckets, &bucket);
    const char *given = jsonx_get_string(&check, body, "prefix", true, S3NAME_KEY_MAX);
    /* "a/b" and "a/b/" name the same folder: the marker always ends with '/'. */
    char prefix[S3NAME_KEY_MAX + 2];
    if (given) {
        size_t n = strlen(given);
        memcpy(prefix, given, n + 1);
        if (given[n - 1] != '/') {
            prefix[n] = '/';
            prefix[n + 1] = '\0';
        }
        const char *why = s3name_key_problem(prefix);
        if (why)
            jsonx_check_fail(&check, "prefix", why);
    }
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;

    const struct files_who *who = api_who(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    rc = files_folder_create_audited(&env, who, &actor.actor, bucket, prefix, &e);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    return http_reply_json(req, 201, json_pack("{s:s, s:s}", "bucket", bucket, "prefix", prefix));
}
