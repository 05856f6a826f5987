/*
 * Handlers of API.md "Versions, recycle bin, tags and metadata": versions,
 * versioning, the recycle bin, tags and metadata edits. Thin: parse and
 * validate, call files/recovery.h, render JSON.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "files/browse.h"
#include "files/recovery.h"
#include "s3/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bucket (query or body value) and a key; records problems in check. */
static int object_target(struct http_req *req, struct jsonx_check *check, const char *name,
                         const char *key, bool key_required, const char **ret_bucket)
{
    struct files_env env;
    api_files_env(req, &env);
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, ret_bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(check, "bucket", s3name_bucket_problem(name));
    const char *why;
    if (!key && key_required)
        jsonx_check_fail(check, "key", "is required");
    else if (key && (why = s3name_key_problem(key)))
        jsonx_check_fail(check, "key", why);
    return brc;
}

static bool version_id_ok(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    return n > 0 && n <= 1024 && str_utf8_valid(v, n) && !str_has_control(v, n);
}

static json_t *user_or_null(int64_t id)
{
    return id > 0 ? json_integer(id) : json_null();
}

static json_t *next_cursor_json(const char *c)
{
    return c ? json_string(c) : json_null();
}

/* ===================================== versions ==================================== */

int api_versions_list(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *bucket = NULL;
    const char *key = http_req_query(req, "key");
    int brc = object_target(req, &check, http_req_query(req, "bucket"), key, true, &bucket);
    size_t limit = 100;
    api_query_limit(req, &check, &limit);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;
    struct files_version_page pg;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = files_versions_list(&env, api_who(req), bucket, key, http_req_query(req, "cursor"),
                                 limit, &pg, &e);
    if (rc == SEAU_E_VALIDATION) {
        return api_reply_invalid_field(req, "cursor", "is not a cursor this server gave out");
    }
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    json_t *vs = json_array();
    for (size_t i = 0; vs && i < pg.n; i++) {
        const struct files_version_entry *v = &pg.entries[i];
        json_array_append_new(vs, json_pack("{s:s, s:I, s:o, s:o, s:b, s:b, s:o}", "versionId",
                                            v->version_id, "size", (json_int_t)v->size,
                                            "lastModified", api_time_json(v->last_modified_ms),
                                            "etag", api_etag_json(v->etag), "isLatest",
                                            v->is_latest, "isDeleteMarker", v->is_delete_marker,
                                            "uploadedBy", user_or_null(v->uploaded_by)));
    }
    json_t *out =
        json_pack("{s:o, s:o}", "versions", vs, "nextCursor", next_cursor_json(pg.next_cursor));
    files_version_page_done(&pg);
    return http_reply_json(req, 200, out);
}

static json_t *written_json(const char *bucket, const char *key, const struct files_written *w)
{
    return api_object_json(bucket, key, w->size, w->last_modified_ms, w->etag, w->content_type,
                           w->uploaded_by);
}

int api_versions_restore(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket", "key", "versionId", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *name = jsonx_get_string(&check, body, "bucket", false, DB_BUCKET_MAX);
    const char *key = jsonx_get_string(&check, body, "key", true, DB_KEY_MAX);
    const char *vid = jsonx_get_string(&check, body, "versionId", true, 1024);
    const char *bucket = NULL;
    int brc = object_target(req, &check, name, key, false, &bucket);
    if (vid && !version_id_ok(vid))
        jsonx_check_fail(&check, "versionId", "is not a version id");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_written w;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc =
        files_version_restore_audited(&env, api_who(req), &actor.actor, bucket, key, vid, &w, &e);
    if (rc == SEAU_E_VALIDATION) {
        return api_reply_invalid_field(req, "versionId",
                                       "names a delete marker, which holds no file");
    }
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    json_t *out =
        json_pack("{s:o, s:s}", "file", written_json(bucket, key, &w), "versionId", w.version_id);
    return http_reply_json(req, 200, out);
}

int api_versions_delete(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *bucket = NULL;
    const char *key = http_req_query(req, "key");
    const char *vid = http_req_query(req, "versionId");
    int brc = object_target(req, &check, http_req_query(req, "bucket"), key, true, &bucket);
    if (!version_id_ok(vid))
        jsonx_check_fail(&check, "versionId", vid ? "is not a version id" : "is required");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = files_version_delete_audited(&env, api_who(req), &actor.actor, bucket, key, vid, &e);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    return http_reply_json(req, 200, json_pack("{s:b}", "success", 1));
}

int api_buckets_versioning(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket", "enabled", "noncurrentDays", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *name = jsonx_get_string(&check, body, "bucket", false, DB_BUCKET_MAX);
    bool enabled = true;
    if (json_object_get(body, "enabled"))
        jsonx_get_bool(&check, body, "enabled", &enabled);
    json_t *d = json_object_get(body, "noncurrentDays");
    int days = 0;
    if (d && !json_is_null(d)) {
        if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 36500)
            jsonx_check_fail(&check, "noncurrentDays",
                             "must be a whole number of days, 1 to 36500");
        else
            days = (int)json_integer_value(d);
    }
    const char *bucket = NULL;
    int brc = object_target(req, &check, name, NULL, false, &bucket);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc =
        files_versioning_set_audited(&env, api_who(req), &actor.actor, bucket, enabled, days, &e);
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc,
                                "The bucket already has lifecycle rules; Seau would replace them. "
                                "Add the rule for noncurrent versions with your S3 tools, or turn "
                                "versioning on without it.",
                                NULL);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    json_t *out = json_pack(
        "{s:s, s:s, s:o}", "bucket", bucket, "versioning", enabled ? "enabled" : "suspended",
        "lifecycle",
        days ? json_pack("{s:s, s:i}", "id", FILES_LIFECYCLE_RULE_ID, "noncurrentDays", days)
             : json_null());
    return http_reply_json(req, 200, out);
}

/* ===================================== trash ====================================== */

int api_trash_list(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *bucket = NULL;
    const char *name = http_req_query(req, "bucket");
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    const char *prefix = http_req_query(req, "prefix");
    if (prefix && s3name_prefix_problem(prefix))
        jsonx_check_fail(&check, "prefix", s3name_prefix_problem(prefix));
    size_t limit = 100;
    api_query_limit(req, &check, &limit);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;
    struct files_trash_page pg;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = files_trash_list(&env, api_who(req), bucket, prefix, http_req_query(req, "cursor"),
                              limit, &pg, &e);
    if (rc == SEAU_E_VALIDATION) {
        return api_reply_invalid_field(req, "cursor", "is not a cursor this server gave out");
    }
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    json_t *files = json_array();
    for (size_t i = 0; files && i < pg.n; i++) {
        const struct files_trash_item *it = &pg.items[i];
        json_array_append_new(files,
                              json_pack("{s:s, s:s, s:I, s:o, s:o, s:s?, s:s}", "bucket", bucket,
                                        "key", it->key, "size", (json_int_t)it->size, "deletedAt",
                                        api_time_json(it->deleted_at), "deletedBy",
                                        user_or_null(it->deleted_by), "deletedByEmail",
                                        it->deleted_by_email, "restoreId", it->restore_id));
    }
    json_t *out = json_pack("{s:o, s:o, s:s?}", "files", files, "nextCursor",
                            next_cursor_json(pg.next_cursor), "mode",
                            files_trash_of(bucket) ? "trash" : "versions");
    files_trash_page_done(&pg);
    return http_reply_json(req, 200, out);
}

/* Reads "items": [{"key","restoreId"}], at most FILES_TRASH_ITEMS_MAX. */
static struct files_trash_ref *trash_items(struct jsonx_check *check, json_t *body, size_t *ret_n)
{
    *ret_n = 0;
    json_t *a = json_object_get(body, "items");
    if (!a)
        return NULL;
    if (!json_is_array(a) || json_array_size(a) > FILES_TRASH_ITEMS_MAX) {
        jsonx_check_fail(check, "items", "must be an array of at most 1000 {key, restoreId}");
        return NULL;
    }
    size_t n = json_array_size(a);
    struct files_trash_ref *v = calloc(n ? n : 1, sizeof(*v));
    if (!v) {
        jsonx_check_fail(check, "items", "is too large");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(a, i);
        json_t *k = json_object_get(it, "key"), *r = json_object_get(it, "restoreId");
        if (!json_is_object(it) || !json_is_string(k) || !json_is_string(r) ||
            s3name_key_problem(json_string_value(k)) || !version_id_ok(json_string_value(r))) {
            char msg[96];
            snprintf(msg, sizeof(msg), "entry %zu must be {\"key\": a key, \"restoreId\": text}",
                     i);
            jsonx_check_fail(check, "items", msg);
            free(v);
            return NULL;
        }
        v[i].key = json_string_value(k);
        v[i].restore_id = json_string_value(r);
    }
    *ret_n = n;
    return v;
}

static int reply_outcome(struct http_req *req, const char *field, struct files_trash_outcome *o)
{
    json_t *done = json_array(), *errors = json_array();
    for (size_t i = 0; done && i < o->ndone; i++)
        json_array_append_new(done, json_string(o->done[i]));
    for (size_t i = 0; errors && i < o->nerrors; i++)
        json_array_append_new(errors,
                              json_pack("{s:s, s:s, s:s}", "key", o->errors[i].key, "code",
                                        o->errors[i].code, "message", o->errors[i].message));
    files_trash_outcome_done(o);
    return http_reply_json(req, 200, json_pack("{s:o, s:o}", field, done, "errors", errors));
}

static int trash_act(struct http_req *req, bool purge)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed_restore[] = {"bucket", "items", "prefix", NULL};
    static const char *const allowed_purge[] = {"bucket", "items", "all", NULL};
    jsonx_reject_unknown(&check, body, purge ? allowed_purge : allowed_restore);
    const char *name = jsonx_get_string(&check, body, "bucket", false, DB_BUCKET_MAX);
    const char *bucket = NULL;
    int brc = object_target(req, &check, name, NULL, false, &bucket);
    size_t n = 0;
    struct files_trash_ref *items = trash_items(&check, body, &n);
    const char *prefix = NULL;
    bool all = false;
    if (!purge && json_object_get(body, "prefix")) {
        prefix = jsonx_get_string(&check, body, "prefix", false, DB_KEY_MAX);
        if (prefix && s3name_prefix_problem(prefix))
            jsonx_check_fail(&check, "prefix", s3name_prefix_problem(prefix));
    }
    if (purge && json_object_get(body, "all"))
        jsonx_get_bool(&check, body, "all", &all);
    if (jsonx_check_ok(&check) && !items && !prefix && !all)
        jsonx_check_fail(&check, "items",
                         purge ? "name the items, or all: true" : "name the items, or a prefix");
    if (!jsonx_check_ok(&check)) {
        free(items);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    if (brc) {
        free(items);
        return brc;
    }
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_trash_outcome o;
    int rc = purge ? files_trash_purge_audited(&env, api_who(req), &actor.actor, bucket, items, n,
                                               all, &o)
                   : files_trash_restore_audited(&env, api_who(req), &actor.actor, bucket, items, n,
                                                 prefix, &o);
    free(items);
    if (rc) {
        files_trash_outcome_done(&o);
        return rc;
    }
    return reply_outcome(req, purge ? "purged" : "restored", &o);
}

int api_trash_restore(struct http_req *req)
{
    return trash_act(req, false);
}

int api_trash_purge(struct http_req *req)
{
    return trash_act(req, true);
}

/* ================================= tags, metadata ================================= */

static json_t *pairs_json(const struct files_pair *p, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        json_object_set_new(o, p[i].name, json_string(p[i].value));
    return o;
}

int api_tags_get(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *bucket = NULL;
    const char *key = http_req_query(req, "key");
    int brc = object_target(req, &check, http_req_query(req, "bucket"), key, true, &bucket);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;
    struct files_pair *p = NULL;
    size_t n = 0;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = files_tags_get(&env, api_who(req), bucket, key, &p, &n, &e);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    json_t *out = json_pack("{s:o}", "tags", pairs_json(p, n));
    files_pairs_free(p, n);
    return http_reply_json(req, 200, out);
}

/* Reads an object of string values into pairs (borrowed strings); max entries. */
static struct files_pair *pairs_from(struct jsonx_check *check, json_t *o, const char *field,
                                     size_t max, size_t *ret_n)
{
    *ret_n = 0;
    if (!json_is_object(o)) {
        jsonx_check_fail(check, field, "must be an object of names to text values");
        return NULL;
    }
    size_t n = json_object_size(o);
    if (n > max) {
        char msg[64];
        snprintf(msg, sizeof(msg), "must hold at most %zu entries", max);
        jsonx_check_fail(check, field, msg);
        return NULL;
    }
    struct files_pair *p = calloc(n ? n : 1, sizeof(*p));
    if (!p) {
        jsonx_check_fail(check, field, "is too large");
        return NULL;
    }
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach(o, k, v)
    {
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
            jsonx_check_fail(check, field, "values must be text");
            free(p);
            return NULL;
        }
        p[i].name = (char *)k;
        p[i].value = (char *)json_string_value(v);
        i++;
    }
    *ret_n = n;
    return p;
}

int api_tags_put(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket", "key", "tags", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    /* bucket and key may also come in the query, as for GET. */
    const char *name = json_object_get(body, "bucket")
                           ? jsonx_get_string(&check, body, "bucket", false, DB_BUCKET_MAX)
                           : http_req_query(req, "bucket");
    const char *key = json_object_get(body, "key")
                          ? jsonx_get_string(&check, body, "key", true, DB_KEY_MAX)
                          : http_req_query(req, "key");
    const char *bucket = NULL;
    int brc = object_target(req, &check, name, key, true, &bucket);
    size_t n = 0;
    struct files_pair *tags = NULL;
    if (!json_object_get(body, "tags"))
        jsonx_check_fail(&check, "tags", "is required");
    else
        tags = pairs_from(&check, json_object_get(body, "tags"), "tags", S3_MAX_TAGS, &n);
    if (!jsonx_check_ok(&check)) {
        free(tags);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    if (brc) {
        free(tags);
        return brc;
    }
    struct api_actor actor;
    api_actor_init(&actor, req);
    const char *field = NULL;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc =
        files_tags_set_audited(&env, api_who(req), &actor.actor, bucket, key, tags, n, &field, &e);
    if (rc == SEAU_E_VALIDATION && field) {
        free(tags);
        return api_reply_invalid_field(
            req, field,
            "holds at most 10 tags; keys of 1 to 128 characters, values of at most 256, without "
            "control characters (and no aws: prefix)");
    }
    json_t *out = rc ? NULL : json_pack("{s:o}", "tags", pairs_json(tags, n));
    free(tags);
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    return http_reply_json(req, 200, out);
}

int api_object_patch(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket", "key", "contentType", "metadata", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *name = jsonx_get_string(&check, body, "bucket", false, DB_BUCKET_MAX);
    const char *key = jsonx_get_string(&check, body, "key", true, DB_KEY_MAX);
    const char *ctype = json_object_get(body, "contentType")
                            ? jsonx_get_string(&check, body, "contentType", false, 255)
                            : NULL;
    const char *bucket = NULL;
    int brc = object_target(req, &check, name, key, false, &bucket);
    size_t n = 0;
    struct files_pair *meta = NULL;
    json_t *m = json_object_get(body, "metadata");
    if (m)
        meta = pairs_from(&check, m, "metadata", S3_MAX_META_COUNT, &n);
    if (jsonx_check_ok(&check) && !m && !ctype)
        jsonx_check_fail(&check, "metadata", "give contentType and/or metadata");
    if (!jsonx_check_ok(&check)) {
        free(meta);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    if (brc) {
        free(meta);
        return brc;
    }
    struct api_actor actor;
    api_actor_init(&actor, req);
    const char *field = NULL;
    struct files_written w;
    struct files_pair *now = NULL;
    size_t nnow = 0;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = files_metadata_set_audited(&env, api_who(req), &actor.actor, bucket, key, ctype, meta,
                                        n, m != NULL, &field, &w, &now, &nnow, &e);
    free(meta);
    json_t *meta_out = rc == 0 ? pairs_json(now, nnow) : NULL;
    files_pairs_free(now, nnow);
    if (rc == SEAU_E_VALIDATION && field) {
        return api_reply_invalid_field(req, field,
                                       strcmp(field, "contentType") == 0
                                           ? "must be a media type such as text/plain"
                                           : "names are letters, digits, '-' and '_'; values "
                                             "printable ASCII; 2 KiB in all");
    }
    if (rc)
        return api_reply_s3_failure(req, rc, &e);
    json_t *out = json_pack("{s:o}", "file", written_json(bucket, key, &w));
    if (out)
        json_object_set_new(out, "metadata", meta_out ? meta_out : json_object());
    return http_reply_json(req, 200, out);
}
