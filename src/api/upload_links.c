/*
 * Upload links of API.md, the management side: POST /api/upload-links,
 * GET /api/upload-links, DELETE /api/upload-links/{id}. Thin JSON handlers
 * over files/upload_links.c. The token is in the answer of POST only (its
 * hash is what the store keeps), and never in the log or the audit.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/browse.h"
#include "files/upload_links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads an optional integer field within min..max: absent or null leaves *out 0. */
static void int_field(struct jsonx_check *check, json_t *body, const char *field, int64_t min,
                      int64_t max, const char *why, int64_t *out)
{
    json_t *v = json_object_get(body, field);
    *out = 0;
    if (!v || json_is_null(v))
        return;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        jsonx_check_fail(check, field, why);
        return;
    }
    *out = json_integer_value(v);
}

/* An optional text field of at most max bytes without control characters (but newlines). */
static const char *text_field(struct jsonx_check *check, json_t *body, const char *field,
                              size_t min, size_t max, bool newlines, const char *why)
{
    json_t *v = json_object_get(body, field);
    if (!v || json_is_null(v))
        return NULL;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? json_string_length(v) : 0;
    bool ok = s && n == strlen(s) && n >= min && n <= max;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(newlines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
            ok = false;
    }
    if (!ok) {
        jsonx_check_fail(check, field, why);
        return NULL;
    }
    return s;
}

/* API.md's upload link; url is null (only the token's hash is kept). */
static json_t *link_json(const struct db_upload_link *l, int64_t now)
{
    return json_pack(
        "{s:s, s:s, s:s, s:n, s:I, s:o, s:o, s:o, s:b, s:o, s:o, s:s, s:I, s:I, s:s}", "id", l->id,
        "bucket", l->bucket, "prefix", l->prefix, "url", "createdBy", (json_int_t)l->created_by,
        "createdByEmail",
        l->created_by_email[0] ? json_string(l->created_by_email) : json_null(), "createdAt",
        api_time_json(l->created_at), "expiresAt", api_time_json(l->expires_at), "hasPassword",
        l->password_hash[0] != '\0', "maxFiles",
        l->max_files ? json_integer(l->max_files) : json_null(), "maxBytes",
        l->max_bytes ? json_integer(l->max_bytes) : json_null(), "message", l->message, "files",
        (json_int_t)l->files, "bytes", (json_int_t)l->bytes, "state",
        files_upload_link_state_name(files_upload_link_state(l, now)));
}

int api_upload_links_create(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket",   "prefix",   "expiresIn", "password",
                                          "maxFiles", "maxBytes", "message",   NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *name = jsonx_get_string(&check, body, "bucket", false, DB_BUCKET_MAX);
    const char *bucket = NULL;
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    /* "" (the bucket's root) is a prefix like any other here. */
    const char *prefix = "";
    json_t *pv = json_object_get(body, "prefix");
    if (pv && !json_is_null(pv)) {
        if (!json_is_string(pv) || json_string_length(pv) != strlen(json_string_value(pv)) ||
            json_string_length(pv) > DB_PREFIX_MAX)
            jsonx_check_fail(&check, "prefix", "must be a string of at most 1024 bytes");
        else
            prefix = json_string_value(pv);
    }
    if (*prefix) {
        const char *why = s3name_key_problem(prefix);
        if (!why && prefix[strlen(prefix) - 1] != '/')
            why = "must be \"\" (the bucket's root) or a folder ending with '/'";
        if (why)
            jsonx_check_fail(&check, "prefix", why);
    }
    struct files_upload_link_new n = {.bucket = bucket, .prefix = prefix};
    char msg[96];
    snprintf(msg, sizeof(msg), "must be a whole number of seconds from 1 to %lld",
             (long long)FILES_UPLOAD_LINK_EXPIRES_MAX);
    int_field(&check, body, "expiresIn", 1, FILES_UPLOAD_LINK_EXPIRES_MAX, msg, &n.expires_in_s);
    int_field(&check, body, "maxFiles", 1, FILES_UPLOAD_LINK_FILES_MAX,
              "must be a whole number from 1 to 100000", &n.max_files);
    int_field(&check, body, "maxBytes", 1, INT64_MAX / 2, "must be a whole number of bytes",
              &n.max_bytes);
    n.password = text_field(&check, body, "password", FILES_UPLOAD_LINK_PASSWORD_MIN,
                            FILES_UPLOAD_LINK_PASSWORD_MAX, false,
                            "must be 8 to 1024 bytes of text without control characters");
    n.message = text_field(&check, body, "message", 0, DB_UPLOAD_LINK_MESSAGE_MAX, true,
                           "must be at most 2000 bytes of text");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;

    struct api_actor actor;
    api_actor_init(&actor, req);
    struct db_upload_link *l = calloc(1, sizeof(*l));
    char token[AUTH_TOKEN_LEN + 1];
    int rc = l ? files_upload_link_create(&env, api_who(req), &actor.actor, &n, time_now_ms(), l,
                                          token)
               : SEAU_E_NOMEM;
    if (rc) {
        free(l);
        return rc;
    }
    char origin[API_LINK_ORIGIN_MAX], url[API_LINK_ORIGIN_MAX + AUTH_TOKEN_LEN + 8];
    api_link_origin(req, origin);
    snprintf(url, sizeof(url), "%s/u/%s", origin, token);
    json_t *out = json_pack("{s:s, s:s, s:o}", "id", l->id, "url", url, "expiresAt",
                            api_time_json(l->expires_at));
    str_wipe(token, sizeof(token));
    str_wipe(url, sizeof(url));
    str_wipe(l, sizeof(*l));
    free(l);
    return http_reply_json(req, 201, out);
}

int api_upload_links_list(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    size_t limit = 0;
    api_query_limit(req, &check, &limit);
    int64_t before = 0;
    const char *cursor = http_req_query(req, "cursor");
    if (cursor && api_id_cursor_decode('u', cursor, &before))
        jsonx_check_fail(&check, "cursor", "is not a cursor of this list");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    struct db_upload_link *rows = NULL;
    size_t n = 0;
    int rc = files_upload_link_list(&env, api_who(req), before, limit + 1, &rows, &n);
    if (rc)
        return rc;
    int64_t now = time_now_ms();
    json_t *links = json_array();
    size_t shown = n > limit ? limit : n;
    for (size_t i = 0; links && i < shown; i++)
        json_array_append_new(links, link_json(&rows[i], now));
    json_t *out = json_pack("{s:o}", "links", links);
    if (out && n > limit && shown > 0) {
        char next[API_ID_CURSOR_MAX];
        api_id_cursor_encode('u', rows[shown - 1].seq, next, sizeof(next));
        json_object_set_new(out, "nextCursor", json_string(next));
    }
    free(rows);
    return http_reply_json(req, 200, out);
}

int api_upload_links_revoke(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct slice id = http_req_param(req, 0);
    if (id.len == 0 || id.len > DB_SHARE_ID_MAX)
        return SEAU_E_NOT_FOUND;
    char lid[DB_SHARE_ID_MAX + 1];
    memcpy(lid, id.p, id.len);
    lid[id.len] = '\0';
    struct api_actor actor;
    api_actor_init(&actor, req);
    int rc = files_upload_link_revoke(&env, api_who(req), &actor.actor, lid, time_now_ms());
    if (rc)
        return rc;
    return http_reply_empty(req, 204);
}
