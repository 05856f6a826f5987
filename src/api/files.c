/*
 * Browse handlers of API.md "Buckets and objects": GET /api/buckets,
 * GET /api/list and GET /api/object. Thin: parse and validate the query,
 * call files/, render JSON.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/timeutil.h"
#include "core/str.h"
#include "files/delete.h"
#include "files/browse.h"
#include "files/index.h"
#include "files/recovery.h"
#include "s3/client.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_files_env(struct http_req *req, struct files_env *env)
{
    struct app *app = api_app(req);
    env->s3 = app->s3;
    env->db = app->db;
    env->buckets = app->cfg->buckets;
    env->nbuckets = app->cfg->nbuckets;
    env->events = app->events;
    env->metrics = app->metrics;
}

int api_reply_no_s3(struct http_req *req)
{
    return http_reply_error(req, SEAU_E_UNAVAILABLE,
                            "S3 is not configured on this server: set SEAU_S3_ENDPOINT (or use "
                            "AWS) and SEAU_BUCKETS.",
                            NULL);
}

/*
 * Answers a service failure. S3's own refusals and outages get
 * s3_error_describe()'s sentence (never a secret or signature); a 404 keeps
 * the default message, so a hidden bucket and a missing key look alike.
 */
int api_reply_s3_failure(struct http_req *req, int rc, const struct s3_error *e)
{
    if (rc == SEAU_E_UNAVAILABLE && (e->http_status || e->code[0])) {
        char why[768];
        s3_error_describe(e, why, sizeof(why));
        return http_reply_error(req, rc, why, NULL);
    }
    return rc;
}

/* ETags without their quotes: "abc" and W/"abc" read abc (API.md leaves the form open). */
json_t *api_etag_json(const char *etag)
{
    if (!etag || !*etag)
        return json_null();
    if (strncmp(etag, "W/", 2) == 0)
        etag += 2;
    size_t n = strlen(etag);
    if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
        return json_stringn(etag + 1, n - 2);
    return json_string(etag);
}

json_t *api_time_json(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char t[TIME_RFC3339_LEN];
    time_rfc3339(ms, t);
    return json_string(t);
}

json_t *api_object_json(const char *bucket, const char *key, int64_t size, int64_t mtime,
                        const char *etag, const char *content_type, int64_t uploaded_by)
{
    return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "bucket", bucket, "key", key, "size",
                     (json_int_t)size, "lastModified", api_time_json(mtime), "etag",
                     api_etag_json(etag), "contentType",
                     content_type && *content_type ? json_string(content_type) : json_null(),
                     "uploadedBy", uploaded_by > 0 ? json_integer(uploaded_by) : json_null());
}

/* S3's listing and HeadObject carry no uploader: uploadedBy is null there. */
static json_t *object_json(const char *bucket, const char *key, int64_t size, int64_t mtime,
                           const char *etag, const char *content_type)
{
    return api_object_json(bucket, key, size, mtime, etag, content_type, 0);
}

int api_buckets(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    const struct files_who *who = api_who(req);
    int rc;
    struct files_bucket *b = NULL;
    size_t n = 0;
    rc = files_buckets(&env, who, &b, &n);
    if (rc)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s?, s:s?, s:s?}", "name", b[i].name,
                                              "region", b[i].region, "versioning",
                                              b[i].versioning, "recoverable",
                                              files_recoverable(b[i].name, b[i].versioning)));
    files_buckets_free(b, n);
    return http_reply_json(req, 200, json_pack("{s:o}", "buckets", list));
}

int api_list(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct files_list_query q = {
        .bucket = http_req_query(req, "bucket"),
        .prefix = http_req_query(req, "prefix"),
        .delimiter = http_req_query(req, "delimiter"),
        .limit = http_req_query(req, "limit"),
        .cursor = http_req_query(req, "cursor"),
        .sort = http_req_query(req, "sort"),
        .uploaded_by = http_req_query(req, "uploadedBy"),
        .tag = http_req_query(req, "tag"),
    };
    struct jsonx_check check;
    jsonx_check_init(&check);
    struct files_list_params p;
    int rc = files_list_validate(&q, env.buckets, env.nbuckets, &check, &p);
    if (rc == SEAU_E_VALIDATION)
        return api_reply_invalid(req, &check);
    if (rc) {
        jsonx_check_done(&check);
        return rc;
    }
    const struct files_who *who = api_who(req);
    rc = 0;
    struct files_listing l;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    if (rc == 0) {
        rc = files_list(&env, who, &p, &check, &l, &e);
    }
    if (rc == SEAU_E_VALIDATION) {
        files_list_params_done(&p);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    if (rc) {
        files_list_params_done(&p);
        return api_reply_s3_failure(req, rc, &e);
    }
    json_t *files = json_array(), *folders = json_array();
    for (size_t i = 0; files && folders && i < l.count; i++) {
        const struct files_entry *x = &l.entries[i];
        if (x->is_folder) {
            json_array_append_new(folders, json_string(x->key));
            continue;
        }
        /* Sorted by size or date, the entries come from the index, which knows more. */
        json_t *j =
            object_json(p.bucket, x->key, x->size, x->last_modified_ms, x->etag, x->content_type);
        if (j && x->uploaded_by)
            json_object_set_new(j, "uploadedBy", json_integer(x->uploaded_by));
        json_array_append_new(files, j);
    }
    json_t *out = json_pack("{s:o, s:o, s:s?}", "files", files, "folders", folders, "nextCursor",
                            l.next_cursor);
    if (out && !l.next_cursor)
        json_object_set_new(out, "nextCursor", json_null());
    files_listing_done(&l);
    files_list_params_done(&p);
    return http_reply_json(req, 200, out);
}

int api_object(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *name = http_req_query(req, "bucket");
    const char *key = http_req_query(req, "key");
    const char *bucket = NULL;
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    const char *why;
    if (!key)
        jsonx_check_fail(&check, "key", "is required");
    else if ((why = s3name_key_problem(key)))
        jsonx_check_fail(&check, "key", why);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;

    const struct files_who *who = api_who(req);
    int rc;
    struct files_object o;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    rc = files_object_get(&env, who, bucket, key, &o, &e);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    json_t *meta = json_object();
    for (size_t i = 0; meta && i < o.meta_count; i++)
        json_object_set_new(meta, o.meta[i].name, json_string(o.meta[i].value));
    json_t *out =
        json_pack("{s:o, s:o}", "file",
                  object_json(bucket, key, o.size, o.last_modified_ms, o.etag, o.content_type),
                  "metadata", meta);
    /* System metadata and the uploader (files/recovery.h). */
    struct files_details det;
    if (out && files_details_get(&env, who, bucket, key, &det, NULL) == 0) {
        json_object_set_new(
            out, "system",
            json_pack("{s:o, s:I, s:o, s:s, s:o, s:o, s:o}", "contentType",
                      det.content_type[0] ? json_string(det.content_type) : json_null(), "size",
                      (json_int_t)det.size, "etag", api_etag_json(det.etag), "storageClass",
                      det.storage_class, "encryption",
                      det.encryption[0] ? json_string(det.encryption) : json_null(),
                      "lastModified", api_time_json(det.last_modified_ms), "versionId",
                      det.version_id[0] ? json_string(det.version_id) : json_null()));
        if (det.uploaded_by)
            json_object_set_new(json_object_get(out, "file"), "uploadedBy",
                                json_integer(det.uploaded_by));
    }
    if (out && o.versioned) {
        json_t *vs = json_array();
        for (size_t i = 0; vs && i < o.version_count; i++) {
            const struct files_version *v = &o.versions[i];
            json_array_append_new(
                vs, json_pack("{s:s, s:b, s:I, s:o, s:o, s:b}", "versionId", v->version_id,
                              "isLatest", v->is_latest, "size", (json_int_t)v->size, "lastModified",
                              api_time_json(v->last_modified_ms), "etag", api_etag_json(v->etag),
                              "deleteMarker", v->delete_marker));
        }
        json_object_set_new(out, "versions", vs ? vs : json_null());
    }
    files_object_done(&o);
    return http_reply_json(req, 200, out);
}

/* ====================================== search ===================================== */

/* Search cursors: base64url of "s" bucket NUL key, the last row shown. */
static int search_cursor_encode(const char *bucket, const char *key, char *out, size_t n)
{
    char raw[DB_BUCKET_MAX + DB_KEY_MAX + 4];
    size_t bl = strlen(bucket), kl = strlen(key);
    if (bl + kl + 2 > sizeof(raw) ||
        sodium_base64_ENCODED_LEN(bl + kl + 2, sodium_base64_VARIANT_URLSAFE_NO_PADDING) > n)
        return SEAU_E_RANGE;
    raw[0] = 's';
    memcpy(raw + 1, bucket, bl);
    raw[1 + bl] = '\0';
    memcpy(raw + 2 + bl, key, kl);
    sodium_bin2base64(out, n, (const unsigned char *)raw, bl + kl + 2,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

/* Decodes into raw (which then holds both strings); bucket and key point into it. */
static int search_cursor_decode(const char *s, char *raw, size_t rawlen, const char **bucket,
                                const char **key)
{
    size_t len = 0;
    if (sodium_base642bin((unsigned char *)raw, rawlen - 1, s, strlen(s), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len < 3 || raw[0] != 's')
        return SEAU_E_VALIDATION;
    raw[len] = '\0';
    size_t bl = strnlen(raw + 1, len - 1);
    if (1 + bl >= len)
        return SEAU_E_VALIDATION;
    *bucket = raw + 1;
    *key = raw + 2 + bl;
    if (strlen(*key) != len - 2 - bl || s3name_bucket_problem(*bucket) || s3name_key_problem(*key))
        return SEAU_E_VALIDATION;
    return 0;
}

static void size_param(struct http_req *req, struct jsonx_check *check, const char *name,
                       int64_t *out)
{
    const char *s = http_req_query(req, name);
    if (s && str_to_int64(s, 0, INT64_MAX, out))
        jsonx_check_fail(check, name, "must be a whole number of bytes");
}

static void time_param(struct http_req *req, struct jsonx_check *check, const char *name,
                       int64_t *out)
{
    const char *s = http_req_query(req, name);
    if (s && time_parse_rfc3339(s, out))
        jsonx_check_fail(check, name, "must be an RFC 3339 time, e.g. 2026-11-23T20:15:00Z");
}

int api_search(struct http_req *req)
{
    struct app *app = api_app(req);
    struct files_search s;
    memset(&s, 0, sizeof(s));
    s.min_size = s.max_size = -1;
    struct jsonx_check check;
    jsonx_check_init(&check);
    api_query_limit(req, &check, &s.limit);
    s.bucket = http_req_query(req, "bucket");
    if (s.bucket && s3name_bucket_problem(s.bucket))
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(s.bucket));
    s.q = http_req_query(req, "q");
    if (s.q) {
        size_t n = strlen(s.q), chars = 0;
        for (size_t i = 0; i < n; i++)
            chars += ((unsigned char)s.q[i] & 0xC0) != 0x80;
        if (!str_utf8_valid(s.q, n) || str_has_control(s.q, n))
            jsonx_check_fail(&check, "q", "must be UTF-8 text without control characters");
        else if (chars < FILES_SEARCH_Q_MIN_CHARS || n > DB_KEY_MAX)
            jsonx_check_fail(&check, "q", "must be 2 characters to 1024 bytes long");
    }
    s.prefix = http_req_query(req, "prefix");
    if (s.prefix && s3name_prefix_problem(s.prefix))
        jsonx_check_fail(&check, "prefix", s3name_prefix_problem(s.prefix));
    s.type = http_req_query(req, "type");
    if (s.type && !files_kind_valid(s.type))
        jsonx_check_fail(&check, "type", "is not a known type (image, pdf, video, audio, ...)");
    size_param(req, &check, "minSize", &s.min_size);
    size_param(req, &check, "maxSize", &s.max_size);
    time_param(req, &check, "modifiedAfter", &s.modified_after);
    time_param(req, &check, "modifiedBefore", &s.modified_before);
    /* Filters of files/recovery.h: uploadedBy=<account id>, tag=NAME=VALUE. */
    const char *up = http_req_query(req, "uploadedBy");
    if (up && str_to_int64(up, 1, INT64_MAX, &s.uploaded_by))
        jsonx_check_fail(&check, "uploadedBy", "must be an account id");
    const char *tag = http_req_query(req, "tag");
    char tag_name[DB_TAG_NAME_MAX + 1];
    if (tag) {
        const char *eq = strchr(tag, '=');
        size_t nl = eq ? (size_t)(eq - tag) : 0;
        if (!eq || nl == 0 || nl > DB_TAG_NAME_MAX || strlen(eq + 1) > DB_TAG_VALUE_MAX) {
            jsonx_check_fail(&check, "tag", "must be NAME=VALUE");
        } else {
            memcpy(tag_name, tag, nl);
            tag_name[nl] = '\0';
            s.tag_name = tag_name;
            s.tag_value = eq + 1;
        }
    }
    char raw[DB_BUCKET_MAX + DB_KEY_MAX + 8];
    const char *cursor = http_req_query(req, "cursor");
    if (cursor && search_cursor_decode(cursor, raw, sizeof(raw), &s.after_bucket, &s.after_key))
        jsonx_check_fail(&check, "cursor", "is not a cursor this server gave out");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    const struct files_who *who = api_who(req);
    int rc;
    struct files_search_result res;
    rc = files_index_search(app->db, app->cfg->buckets, &who->subject, &s, &res);
    if (rc)
        return rc;
    json_t *files = json_array();
    for (size_t i = 0; files && i < res.n; i++) {
        const struct db_object *o = &res.rows[i];
        json_t *j =
            object_json(o->bucket, o->key, o->size, o->last_modified, o->etag, o->content_type);
        if (j && o->uploaded_by)
            json_object_set_new(j, "uploadedBy", json_integer(o->uploaded_by));
        json_array_append_new(files, j);
    }
    json_t *out = json_pack("{s:o, s:I, s:b}", "files", files, "total", (json_int_t)res.total,
                            "totalCapped", res.total_capped);
    char next[2 * (DB_BUCKET_MAX + DB_KEY_MAX) + 16];
    if (out && res.more && res.n > 0 &&
        search_cursor_encode(res.rows[res.n - 1].bucket, res.rows[res.n - 1].key, next,
                             sizeof(next)) == 0)
        json_object_set_new(out, "nextCursor", json_string(next));
    else if (out)
        json_object_set_new(out, "nextCursor", json_null());
    files_search_result_done(&res);
    return http_reply_json(req, 200, out);
}

/* ====================================== delete ===================================== */

int api_delete_one(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *name = http_req_query(req, "bucket");
    const char *bucket = NULL;
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    struct slice k = http_req_param(req, 0);
    char key[DB_KEY_MAX + 2];
    const char *why = NULL;
    if (k.len == 0)
        why = "is required";
    else if (k.len > DB_KEY_MAX || memchr(k.p, '\0', k.len))
        why = "must be 1 to 1024 bytes of UTF-8 without control characters";
    if (!why) {
        memcpy(key, k.p, k.len);
        key[k.len] = '\0';
        why = s3name_key_problem(key);
    }
    if (why)
        jsonx_check_fail(&check, "key", why);
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
    int rc = files_delete_one_audited(&env, who, &actor.actor, bucket, key, &e);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    return http_reply_json(req, 200, json_pack("{s:b}", "success", 1));
}

/* Reads an array of strings field: at most max, each checked by problem(). */
static const char **string_list(struct jsonx_check *check, json_t *body, const char *field,
                                size_t max, const char *(*problem)(const char *), size_t *ret_n)
{
    *ret_n = 0;
    json_t *a = json_object_get(body, field);
    if (!a || json_is_null(a))
        return NULL;
    if (!json_is_array(a)) {
        jsonx_check_fail(check, field, "must be an array of strings");
        return NULL;
    }
    size_t n = json_array_size(a);
    if (n > max) {
        char msg[64];
        snprintf(msg, sizeof(msg), "must hold at most %zu entries", max);
        jsonx_check_fail(check, field, msg);
        return NULL;
    }
    const char **v = calloc(n + 1, sizeof(*v));
    if (!v) {
        jsonx_check_fail(check, field, "is too large");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(a, i);
        const char *why = NULL;
        if (!json_is_string(s) || json_string_length(s) != strlen(json_string_value(s)))
            why = "must hold only strings";
        else
            why = problem(json_string_value(s));
        if (why) {
            char msg[300];
            snprintf(msg, sizeof(msg), "entry %zu %s", i, why);
            jsonx_check_fail(check, field, msg);
            free(v);
            return NULL;
        }
        v[i] = json_string_value(s);
    }
    *ret_n = n;
    return v;
}

static const char *delete_prefix_problem(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || p[n - 1] != '/')
        return "must be a folder: not empty and ending with '/'";
    return s3name_key_problem(p);
}

int api_delete_many(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    int rc = 0;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket", "keys", "prefixes", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *name = jsonx_get_string(&check, body, "bucket", false, DB_BUCKET_MAX);
    const char *bucket = NULL;
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    size_t nkeys = 0, nprefixes = 0;
    const char **keys =
        string_list(&check, body, "keys", FILES_DELETE_KEYS_MAX, s3name_key_problem, &nkeys);
    const char **prefixes = string_list(&check, body, "prefixes", FILES_DELETE_PREFIXES_MAX,
                                        delete_prefix_problem, &nprefixes);
    if (jsonx_check_ok(&check) && nkeys + nprefixes == 0)
        jsonx_check_fail(&check, "keys", "name at least one key or prefix");
    if (!jsonx_check_ok(&check)) {
        free(keys);
        free(prefixes);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    if (brc) {
        free(keys);
        free(prefixes);
        return brc;
    }

    const struct files_who *who = api_who(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_delete_outcome out;
    memset(&out, 0, sizeof(out));
    rc = files_delete_many_audited(&env, who, &actor.actor, bucket, keys, nkeys, prefixes,
                                   nprefixes, &out);
    free(keys);
    free(prefixes);
    if (rc) {
        files_delete_outcome_done(&out);
        return rc;
    }
    json_t *deleted = json_array(), *errors = json_array();
    for (size_t i = 0; deleted && i < out.ndeleted; i++)
        json_array_append_new(deleted, json_string(out.deleted[i]));
    for (size_t i = 0; errors && i < out.nerrors; i++)
        json_array_append_new(errors,
                              json_pack("{s:s, s:s, s:s}", "key", out.errors[i].key, "code",
                                        out.errors[i].code, "message", out.errors[i].message));
    files_delete_outcome_done(&out);
    return http_reply_json(req, 200, json_pack("{s:o, s:o}", "deleted", deleted, "errors", errors));
}
