/*
 * Direct upload handlers of API.md: POST /api/uploads, GET
 * /api/uploads/{uploadId}, POST /api/uploads/{uploadId}/parts, POST
 * /api/uploads/{uploadId}/complete, DELETE /api/uploads/{uploadId}. Thin:
 * parse and validate, call files/upload_direct.c (which writes the audit
 * entries), render JSON.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/browse.h"
#include "files/rules.h"
#include "files/upload_direct.h"
#include "s3/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Answers a service failure: what S3 said when it refused or failed (never a
 * secret), else the service's sentence (why) when it gave one, else the
 * default message. A 404 keeps the default, so a foreign session and a
 * missing one look alike.
 */
static int reply_failure(struct http_req *req, int rc, const struct s3_error *e, const char *why)
{
    if (rc == SEAU_E_NOT_FOUND)
        return rc;
    if ((rc == SEAU_E_UNAVAILABLE || rc == SEAU_E_VALIDATION) && (e->http_status || e->code[0])) {
        char text[768];
        s3_error_describe(e, text, sizeof(text));
        return http_reply_error(req, rc, text, NULL);
    }
    if (why && *why)
        return http_reply_error(req, rc, why, NULL);
    return api_reply_s3_failure(req, rc, e);
}

static json_t *urls_json(const struct files_upload_view *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < v->nurls; i++)
        json_array_append_new(a, json_pack("{s:i, s:s}", "partNumber", v->urls[i].part_number,
                                           "url", v->urls[i].url));
    return a;
}

/* The session as POST /api/uploads answers it (API.md's two shapes). */
static json_t *session_json(const struct files_upload_view *v)
{
    const struct db_upload *u = &v->row;
    if (u->single)
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}, s:o}", "uploadId", u->id, "bucket",
                         u->bucket, "key", u->key, "url", v->nurls ? v->urls[0].url : "", "method",
                         "PUT", "headers", "expiresAt", api_time_json(v->urls_expire_at));
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o}", "uploadId", u->id, "bucket", u->bucket,
                     "key", u->key, "partSize", (json_int_t)u->part_size, "partCount",
                     (json_int_t)v->part_count, "parts", urls_json(v), "expiresAt",
                     api_time_json(v->urls_expire_at));
}

/* The uploadId path parameter as a C string; "" when it cannot be one (then not found). */
static void upload_id_param(struct http_req *req, char out[DB_UPLOAD_ID_MAX + 1])
{
    struct slice s = http_req_param(req, 0);
    if (s.len == 0 || s.len > DB_UPLOAD_ID_MAX || memchr(s.p, '\0', s.len)) {
        out[0] = '\0';
        return;
    }
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
}

/* ====================================== create ===================================== */

int api_uploads_create(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    const struct cfg *cfg = api_app(req)->cfg;
    json_t *body = api_json(req);
    int rc = 0;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket", "key", "size", "contentType", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *name = jsonx_get_string(&check, body, "bucket", false, DB_BUCKET_MAX);
    const char *bucket = NULL;
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    const char *key = jsonx_get_string(&check, body, "key", true, DB_KEY_MAX);
    const char *why;
    if (key && (why = s3name_key_problem(key)))
        jsonx_check_fail(&check, "key", why);
    json_t *sz = json_object_get(body, "size");
    int64_t size = -1;
    if (!sz || json_is_null(sz))
        jsonx_check_fail(&check, "size", "is required");
    else if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        jsonx_check_fail(&check, "size", "must be a whole number of bytes");
    else
        size = (int64_t)json_integer_value(sz);
    const char *type = jsonx_get_string(&check, body, "contentType", false, FILES_MEDIA_TYPE_MAX);
    if (type && (why = files_rules_media_type_problem(type)))
        jsonx_check_fail(&check, "contentType", why);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;

    const struct files_who *who = api_who(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    /* A browser sends "" for a file whose type it does not know: treat it as unknown bytes. */
    struct files_upload_request r = {.bucket = bucket,
                                     .key = key,
                                     .size = size,
                                     .content_type = type ? type : "application/octet-stream"};
    struct files_upload_view v;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    rc = files_upload_start(&env, cfg, who, &actor.actor, &r, time_now_ms(), &v, &e);
    if (rc == SEAU_E_TOO_LARGE) {
        char msg[160];
        snprintf(msg, sizeof(msg), "The file has %lld bytes; at most %lld are accepted.",
                 (long long)size, (long long)cfg->max_upload_bytes);
        return http_reply_error(req, rc, msg,
                                json_pack("{s:I}", "maxBytes", (json_int_t)cfg->max_upload_bytes));
    }
    if (rc == SEAU_E_MEDIA_TYPE) {
        char msg[400];
        snprintf(msg, sizeof(msg), "Files of type %s are not accepted here.", r.content_type);
        return http_reply_error(req, rc, msg,
                                json_pack("{s:s, s:s?}", "contentType", r.content_type,
                                          "allowedTypes", cfg->allowed_types));
    }
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc,
                                "You have too many unfinished uploads: complete or cancel some "
                                "first.",
                                json_pack("{s:i}", "maxOpenUploads", FILES_UPLOAD_OPEN_MAX));
    if (rc)
        return reply_failure(req, rc, &e, NULL);
    json_t *out = session_json(&v);
    files_upload_view_done(&v);
    return http_reply_json(req, 201, out);
}

/* ====================================== get ======================================== */

int api_uploads_get(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    char id[DB_UPLOAD_ID_MAX + 1];
    upload_id_param(req, id);
    const struct files_who *who = api_who(req);
    int rc;
    struct db_upload u;
    rc = files_upload_find(&env, who, id, &u);
    if (rc)
        return rc;
    struct files_upload_part *parts = NULL;
    size_t n = 0;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    rc = files_upload_parts(&env, &u, &parts, &n, &e);
    if (rc)
        return reply_failure(req, rc, &e, NULL);
    json_t *done = json_array();
    for (size_t i = 0; done && i < n; i++)
        json_array_append_new(done,
                              json_pack("{s:i, s:s, s:I}", "partNumber", parts[i].part_number,
                                        "etag", parts[i].etag, "size", (json_int_t)parts[i].size));
    free(parts);
    int64_t count = files_upload_part_count(&u);
    return http_reply_json(
        req, 200,
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:o, s:o}", "uploadId", u.id, "bucket",
                  u.bucket, "key", u.key, "size", (json_int_t)u.size, "contentType", u.content_type,
                  "mode", u.single ? "single" : "multipart", "partSize", (json_int_t)u.part_size,
                  "partCount", (json_int_t)count, "createdAt", api_time_json(u.created_at),
                  "completedParts", done));
}

/* ====================================== parts ====================================== */

int api_uploads_parts(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    char id[DB_UPLOAD_ID_MAX + 1];
    upload_id_param(req, id);
    json_t *body = api_json(req);
    int rc = 0;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"partNumbers", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    json_t *a = json_object_get(body, "partNumbers");
    int numbers[FILES_UPLOAD_URLS_MAX];
    size_t n = 0;
    if (!a || !json_is_array(a) || json_array_size(a) == 0 ||
        json_array_size(a) > FILES_UPLOAD_URLS_MAX) {
        char msg[96];
        snprintf(msg, sizeof(msg), "must be an array of 1 to %d part numbers",
                 FILES_UPLOAD_URLS_MAX);
        jsonx_check_fail(&check, "partNumbers", msg);
    } else {
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *x = json_array_get(a, i);
            if (!json_is_integer(x) || json_integer_value(x) < 1 ||
                json_integer_value(x) > S3_MAX_PARTS) {
                jsonx_check_fail(&check, "partNumbers", "must hold whole numbers from 1 to 10000");
                break;
            }
            numbers[n++] = (int)json_integer_value(x);
        }
    }
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);

    const struct files_who *who = api_who(req);
    rc = 0;
    struct db_upload u;
    if (rc == 0) {
        rc = files_upload_find(&env, who, id, &u);
    }
    struct files_upload_view v;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    if (rc == 0)
        rc = files_upload_presign(&env, api_app(req)->cfg, &u, numbers, n, time_now_ms(), &check,
                                  &v, &e);
    if (rc == SEAU_E_VALIDATION && !jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (rc)
        return reply_failure(req, rc, &e, NULL);
    json_t *out = json_pack("{s:s, s:o, s:o}", "uploadId", v.row.id, "parts", urls_json(&v),
                            "expiresAt", api_time_json(v.urls_expire_at));
    files_upload_view_done(&v);
    return http_reply_json(req, 200, out);
}

/* ====================================== complete =================================== */

/* Reads {"parts":[{"partNumber","etag"}]}: ascending part numbers 1..10000, ETags as text. */
static struct files_upload_done_part *read_parts(struct jsonx_check *check, json_t *body,
                                                 size_t *ret_n)
{
    *ret_n = 0;
    json_t *a = json_object_get(body, "parts");
    if (!a || json_is_null(a))
        return NULL; /* a single PUT may name none; the service decides */
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    if (!json_is_array(a) || n > S3_MAX_PARTS) {
        jsonx_check_fail(check, "parts", "must be an array of at most 10000 parts");
        return NULL;
    }
    struct files_upload_done_part *p = calloc(n ? n : 1, sizeof(*p));
    if (!p) {
        jsonx_check_fail(check, "parts", "is too large");
        return NULL;
    }
    static const char *const fields[] = {"partNumber", "etag", NULL};
    char msg[160];
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(a, i);
        json_t *num = json_is_object(x) ? json_object_get(x, "partNumber") : NULL;
        json_t *tag = json_is_object(x) ? json_object_get(x, "etag") : NULL;
        const char *why = NULL;
        const char *unknown = NULL;
        if (json_is_object(x)) {
            const char *k;
            json_t *val;
            json_object_foreach(x, k, val)
            {
                bool known = false;
                for (size_t f = 0; fields[f]; f++)
                    known = known || strcmp(k, fields[f]) == 0;
                if (!known)
                    unknown = k;
            }
        }
        if (!json_is_object(x))
            why = "must be an object with partNumber and etag";
        else if (unknown)
            why = "holds a field other than partNumber and etag";
        else if (!json_is_integer(num) || json_integer_value(num) < 1 ||
                 json_integer_value(num) > S3_MAX_PARTS)
            why = "needs a partNumber from 1 to 10000";
        else if (i > 0 && json_integer_value(num) <= p[i - 1].part_number)
            why = "is out of order: part numbers must ascend";
        else if (!json_is_string(tag) || json_string_length(tag) == 0 ||
                 json_string_length(tag) >= S3_ETAG_SIZE ||
                 strlen(json_string_value(tag)) != json_string_length(tag) ||
                 str_has_control(json_string_value(tag), json_string_length(tag)))
            why = "needs an etag: the ETag S3 answered the part's PUT with";
        if (why) {
            snprintf(msg, sizeof(msg), "entry %zu %s", i, why);
            jsonx_check_fail(check, "parts", msg);
            free(p);
            return NULL;
        }
        p[i].part_number = (int)json_integer_value(num);
        p[i].etag = json_string_value(tag);
    }
    *ret_n = n;
    return p;
}

int api_uploads_complete(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    char id[DB_UPLOAD_ID_MAX + 1];
    upload_id_param(req, id);
    json_t *body = api_json(req);
    int rc = 0;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"parts", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    size_t n = 0;
    struct files_upload_done_part *parts = read_parts(&check, body, &n);
    if (!jsonx_check_ok(&check)) {
        free(parts);
        return api_reply_invalid(req, &check);
    }

    const struct files_who *who = api_who(req);
    rc = 0;
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_upload_result res;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    char why[400] = "";
    if (rc == 0) {
        rc = files_upload_complete(&env, api_app(req)->cfg, who, &actor.actor, id, parts, n,
                                   time_now_ms(), &check, why, sizeof(why), &res, &e);
    }
    free(parts);
    if (rc == SEAU_E_VALIDATION && !jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (rc)
        return reply_failure(req, rc, &e, why);
    const struct db_object *o = &res.object;
    json_t *file =
        json_pack("{s:s, s:s, s:I, s:o, s:o, s:s, s:I}", "bucket", o->bucket, "key", o->key, "size",
                  (json_int_t)o->size, "lastModified", api_time_json(o->last_modified), "etag",
                  api_etag_json(o->etag), "contentType", o->content_type, "uploadedBy",
                  (json_int_t)o->uploaded_by);
    return http_reply_json(req, 200, json_pack("{s:o}", "file", file));
}

/* ====================================== abort ====================================== */

int api_uploads_abort(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    char id[DB_UPLOAD_ID_MAX + 1];
    upload_id_param(req, id);
    const struct files_who *who = api_who(req);
    int rc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    rc = files_upload_abort(&env, who, &actor.actor, id, time_now_ms(), &e);
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc, "Another request is completing or cancelling this upload.",
                                NULL);
    if (rc)
        return reply_failure(req, rc, &e, NULL);
    return http_reply_empty(req, 204);
}
