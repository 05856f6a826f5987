/*
 * Share links of API.md: POST /api/shares, GET /api/shares,
 * DELETE /api/shares/{id} (thin JSON handlers over files/shares.c), and the
 * public link itself, GET and POST /s/{token}: a small page (api/share_page.c)
 * or, with download=1, the file (a redirect to a short presigned URL, or the
 * bytes streamed when SEAU_DOWNLOAD_MODE=proxy).
 *
 * The token is a secret in the path: it never reaches the log (the access
 * log writes /s/{token} for these paths), an audit entry or a header we send
 * to a third party (Referrer-Policy: no-referrer; the presigned URL does not
 * carry it).
 */
#include "api/api.h"

#include "api/share_page.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/share_link.h"
#include "files/shares.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The cookie that remembers a correct password, scoped to the link's own path. */
#define SHARE_COOKIE     "seau_share"
#define SHARE_ORIGIN_MAX API_LINK_ORIGIN_MAX

/*
 * The origin links are made on: the configured public URL's, else the
 * request's own (scheme and Host). A Host that is not a plain host[:port]
 * gives "" (the URL is then a path), so nothing odd is echoed into a link.
 */
void api_link_origin(struct http_req *req, char out[API_LINK_ORIGIN_MAX])
{
    const struct cfg *cfg = api_app(req)->cfg;
    out[0] = '\0';
    if (cfg->public_origin) {
        snprintf(out, SHARE_ORIGIN_MAX, "%s", cfg->public_origin);
        return;
    }
    const char *host = http_req_header(req, "Host");
    size_t n = host ? strlen(host) : 0;
    if (n == 0 || n > 255)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = host[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
        if (!ok)
            return;
    }
    snprintf(out, SHARE_ORIGIN_MAX, "%s://%s", req->secure ? "https" : "http", host);
}

/* ===================================== management ===================================== */

/* Reads an optional integer field: absent or null leaves *given false. */
static void int_field(struct jsonx_check *check, json_t *body, const char *field, int64_t min,
                      int64_t max, const char *why, bool *given, int64_t *out)
{
    json_t *v = json_object_get(body, field);
    *given = false;
    if (!v || json_is_null(v))
        return;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        jsonx_check_fail(check, field, why);
        return;
    }
    *given = true;
    *out = json_integer_value(v);
}

int api_shares_create(struct http_req *req)
{
    struct app *app = api_app(req);
    struct files_env env;
    api_files_env(req, &env);
    json_t *body = api_json(req);
    int rc = 0;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"bucket",   "key",          "expiresIn",
                                          "password", "maxDownloads", NULL};
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

    int64_t now = time_now_ms();
    bool given = false;
    int64_t expires_in = 0, expires_at = 0;
    int_field(&check, body, "expiresIn", 0, FILES_SHARE_EXPIRES_IN_MAX,
              "must be a whole number of seconds", &given, &expires_in);
    if (jsonx_check_ok(&check) &&
        files_share_expiry(now, given, expires_in, app->cfg->share_default_expiry_ms,
                           app->cfg->share_max_expiry_ms, &expires_at) != 0) {
        char msg[160];
        if (app->cfg->share_max_expiry_ms > 0)
            snprintf(msg, sizeof(msg), "must be from 1 to %lld seconds (this server's maximum)",
                     (long long)(app->cfg->share_max_expiry_ms / 1000));
        else
            snprintf(msg, sizeof(msg), "must be from 0 (never) to %lld seconds",
                     (long long)FILES_SHARE_EXPIRES_IN_MAX);
        jsonx_check_fail(&check, "expiresIn", msg);
    }
    bool limited = false;
    int64_t max_downloads = 0;
    int_field(&check, body, "maxDownloads", 1, FILES_SHARE_MAX_DOWNLOADS_MAX,
              "must be a whole number of at least 1", &limited, &max_downloads);
    const char *password = NULL;
    json_t *pw = json_object_get(body, "password");
    if (pw && !json_is_null(pw)) {
        size_t n = json_is_string(pw) ? json_string_length(pw) : 0;
        if (!json_is_string(pw) || n != strlen(json_string_value(pw)) ||
            n < FILES_SHARE_PASSWORD_MIN || n > FILES_SHARE_PASSWORD_MAX ||
            str_has_control(json_string_value(pw), n))
            jsonx_check_fail(&check, "password",
                             "must be 8 to 1024 bytes of text without control characters");
        else
            password = json_string_value(pw);
    }
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    if (brc)
        return brc;

    const struct files_who *who = api_who(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct files_share_new n = {.bucket = bucket,
                                .key = key,
                                .expires_at = expires_at,
                                .password = password,
                                .max_downloads = max_downloads};
    struct db_share *s = calloc(1, sizeof(*s));
    char token[AUTH_TOKEN_LEN + 1];
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    rc = s ? files_share_create(&env, who, &actor.actor, &n, now, s, token, &e) : SEAU_E_NOMEM;
    if (rc) {
        free(s);
        return api_reply_s3_failure(req, rc, &e);
    }
    char origin[SHARE_ORIGIN_MAX], url[SHARE_ORIGIN_MAX + AUTH_TOKEN_LEN + 8];
    api_link_origin(req, origin);
    snprintf(url, sizeof(url), "%s/s/%s", origin, token);
    json_t *out = json_pack("{s:s, s:s, s:o}", "id", s->id, "url", url, "expiresAt",
                            api_time_json(s->expires_at));
    str_wipe(token, sizeof(token));
    str_wipe(url, sizeof(url));
    str_wipe(s, sizeof(*s));
    free(s);
    return http_reply_json(req, 201, out);
}

/*
 * API.md's share. url is null: only the token's hash is stored, so a link
 * can be shown once, when it is made. folder and state are additions:
 * state is "live", "expired" or "exhausted" (revoked shares are not listed).
 */
static json_t *share_json(const struct db_share *s, int64_t now)
{
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:n, s:I, s:o, s:o, s:o, s:I, s:o, s:b, s:b, s:s}", "id", s->id, "bucket",
        s->bucket, "key", s->key, "url", "createdBy", (json_int_t)s->created_by, "createdByEmail",
        s->created_by_email[0] ? json_string(s->created_by_email) : json_null(), "createdAt",
        api_time_json(s->created_at), "expiresAt", api_time_json(s->expires_at), "downloads",
        (json_int_t)s->downloads, "maxDownloads",
        s->max_downloads ? json_integer(s->max_downloads) : json_null(), "hasPassword",
        s->password_hash[0] != '\0', "folder", files_share_is_folder(s), "state",
        files_share_state_name(files_share_state(s, now)));
    return j;
}

int api_shares_list(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct jsonx_check check;
    jsonx_check_init(&check);
    struct files_share_query q;
    memset(&q, 0, sizeof(q));
    api_query_limit(req, &check, &q.limit);
    q.bucket = http_req_query(req, "bucket");
    if (q.bucket && s3name_bucket_problem(q.bucket))
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(q.bucket));
    const char *cursor = http_req_query(req, "cursor");
    if (cursor && api_id_cursor_decode('s', cursor, &q.before_seq))
        jsonx_check_fail(&check, "cursor", "is not a cursor this server gave out");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    const struct files_who *who = api_who(req);
    int rc;
    struct files_share_page p;
    rc = files_share_list(&env, who, &q, &p);
    if (rc)
        return rc;
    int64_t now = time_now_ms();
    json_t *list = json_array();
    for (size_t i = 0; list && i < p.n; i++)
        json_array_append_new(list, share_json(&p.rows[i], now));
    json_t *out = json_pack("{s:o}", "shares", list);
    if (out && p.next_before) {
        char next[64];
        api_id_cursor_encode('s', p.next_before, next, sizeof(next));
        json_object_set_new(out, "nextCursor", json_string(next));
    } else if (out) {
        json_object_set_new(out, "nextCursor", json_null());
    }
    str_wipe(p.rows, p.n * sizeof(*p.rows));
    free(p.rows);
    return http_reply_json(req, 200, out);
}

int api_shares_revoke(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    struct slice id = http_req_param(req, 0);
    if (id.len == 0 || id.len > DB_SHARE_ID_MAX)
        return SEAU_E_NOT_FOUND;
    char sid[DB_SHARE_ID_MAX + 1];
    memcpy(sid, id.p, id.len);
    sid[id.len] = '\0';
    const struct files_who *who = api_who(req);
    int rc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    rc = files_share_revoke(&env, who, &actor.actor, sid, time_now_ms());
    if (rc)
        return rc;
    return http_reply_empty(req, 204);
}

/* ===================================== the public link ================================ */

/* One request to a link: what was asked, and what the service answered. */
struct visit {
    struct http_req *req;
    struct files_env env;
    struct api_actor actor;
    char token[AUTH_TOKEN_LEN + 1];
    bool html; /* the client reads pages (a browser), else JSON errors */
    bool download;
    const char *rel;   /* ?key=: a file of a folder share */
    const char *after; /* ?after=: the folder page after this file */
    char password[FILES_SHARE_PASSWORD_MAX + 2];
    bool has_password;
    bool inline_;         /* ?inline=1: the page's preview */
    enum share_lang lang; /* of the visitor's Accept-Language */
    struct files_share_outcome out;
};

/* Headers every page and error of a link carries. */
static void page_headers(struct http_req *req)
{
    http_add_header(req, "Cache-Control", "no-store");
    http_add_header(req, "X-Robots-Tag", "noindex, nofollow");
}

static int reply_page(struct http_req *req, int status, struct buf *page)
{
    char csp[SHARE_PAGE_CSP_MAX];
    share_page_csp(csp);
    /* Sent besides the server's own policy: a browser enforces both, so this one narrows it. */
    http_add_header(req, "Content-Security-Policy", csp);
    page_headers(req);
    int rc = http_reply_bytes(req, status, "text/html; charset=utf-8", buf_cstr(page), page->len);
    buf_done(page);
    return rc;
}

/* An error as a page for browsers, or in API.md's JSON shape for scripts. */
static int reply_problem(struct visit *v, int err, enum share_msg title, enum share_msg text)
{
    if (!v->html) {
        page_headers(v->req);
        return http_reply_error(v->req, err, share_page_text(SHARE_EN, text), NULL);
    }
    struct buf page;
    buf_init(&page, SHARE_PAGE_MAX);
    int rc = share_page_message_in(&page, v->lang, share_page_text(v->lang, title),
                                   share_page_text(v->lang, text));
    if (rc) {
        buf_done(&page);
        return rc;
    }
    return reply_page(v->req, err_http_status(err), &page);
}

static bool accepts_html(struct http_req *req)
{
    const char *accept = http_req_header(req, "Accept");
    return accept && strstr(accept, "text/html") != NULL;
}

/* Reads the request's fields: the query, and for POST the urlencoded form. */
static int read_visit(struct visit *v)
{
    struct http_req *req = v->req;
    const char *q = http_req_query(req, "download");
    v->download = q && strcmp(q, "1") == 0;
    const char *in = http_req_query(req, "inline");
    v->inline_ = v->download && in && strcmp(in, "1") == 0;
    v->rel = http_req_query(req, "key");
    v->after = http_req_query(req, "after");
    const char *pw = http_req_query(req, "password");
    if (pw) {
        snprintf(v->password, sizeof(v->password), "%s", pw);
        v->has_password = true;
    }
    if (strcmp(req->method, "POST") != 0)
        return 0;
    const char *ct = http_req_header(req, "Content-Type");
    static const char form[] = "application/x-www-form-urlencoded";
    if (!ct || strncasecmp(ct, form, sizeof(form) - 1) != 0 ||
        (ct[sizeof(form) - 1] != '\0' && ct[sizeof(form) - 1] != ';'))
        return SEAU_E_MEDIA_TYPE;
    const char *body = buf_cstr(&req->body);
    char d[4];
    if (share_form_field(body, req->body.len, "download", d, sizeof(d)) == 0 && strcmp(d, "1") == 0)
        v->download = true;
    int rc = share_form_field(body, req->body.len, "password", v->password, sizeof(v->password));
    /* Undecodable or too long: given, but it cannot be right (refused without a check). */
    if (rc == SEAU_E_VALIDATION)
        v->password[0] = '\0';
    if (rc == 0 || rc == SEAU_E_VALIDATION)
        v->has_password = true;
    return 0;
}

/* Remembers a correct password for this link's path (see files_share_unlock_proof). */
static void set_unlock_cookie(struct visit *v)
{
    char cookie[FILES_SHARE_UNLOCK_LEN + AUTH_TOKEN_LEN + 128];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/s/%s; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
             SHARE_COOKIE, v->out.proof, v->token, (long long)v->out.unlock_max_age_s,
             v->req->secure ? "; Secure" : "");
    http_add_header(v->req, "Set-Cookie", cookie);
    str_wipe(cookie, sizeof(cookie));
}

static int reply_rate_limited(struct visit *v)
{
    int64_t retry = v->out.retry_s;
    if (!v->html) {
        page_headers(v->req);
        return api_reply_rate_limited(v->req, retry);
    }
    char secs[32];
    snprintf(secs, sizeof(secs), "%lld", (long long)retry);
    http_add_header(v->req, "Retry-After", secs);
    return reply_problem(v, SEAU_E_RATE_LIMITED, SHARE_MSG_TRIES_TITLE, SHARE_MSG_TRIES_TEXT);
}

static int reply_locked(struct visit *v)
{
    bool given = v->out.password_given;
    if (!v->html) {
        page_headers(v->req);
        return http_reply_error(v->req, SEAU_E_UNAUTHORIZED,
                                given ? "The password of this link is not right."
                                      : "This link needs its password: send it as the "
                                        "password parameter.",
                                NULL);
    }
    struct buf page;
    buf_init(&page, SHARE_PAGE_MAX);
    int rc = share_page_password_in(&page, v->lang, given);
    if (rc) {
        buf_done(&page);
        return rc;
    }
    return reply_page(v->req, 401, &page);
}

/*
 * Post/redirect/get: the page is then a plain GET the browser may reload. A
 * browser goes back to the page even when it asked for the file: the CSP's
 * form-action 'self' also covers the redirects of a form submission, so a
 * redirect on to S3 would be blocked; the page's download link is an
 * ordinary navigation.
 */
static int reply_unlocked(struct visit *v)
{
    char location[AUTH_TOKEN_LEN + 8];
    snprintf(location, sizeof(location), "/s/%s", v->token);
    http_add_header(v->req, "Location", location);
    page_headers(v->req);
    return http_reply_empty(v->req, 303);
}

static int reply_bad_key(struct visit *v)
{
    if (!v->html) {
        page_headers(v->req);
        return http_reply_error(v->req, SEAU_E_VALIDATION, NULL,
                                json_pack("{s:{s:s}}", "fields", "key", v->out.why));
    }
    return reply_problem(v, SEAU_E_VALIDATION, SHARE_MSG_BAD_KEY_TITLE, SHARE_MSG_BAD_KEY_TEXT);
}

static int reply_file_page(struct visit *v)
{
    const struct db_share *s = &v->out.share;
    struct buf page;
    buf_init(&page, SHARE_PAGE_MAX);
    int rc;
    if (v->out.answer == FILES_LINK_FILE_PAGE) {
        struct share_preview pv = {
            .kind = v->out.preview_kind[0] ? v->out.preview_kind : NULL,
            .text = v->out.preview_text,
            .truncated = v->out.preview_truncated,
        };
        if (pv.kind && strcmp(pv.kind, "text") == 0 && !pv.text)
            pv.kind = NULL; /* S3 did not give the beginning: no preview rather than an empty one */
        rc = share_page_file_in(&page, v->lang, v->out.file.rel, v->out.file.size, s->expires_at,
                                &pv);
    } else {
        /* The folder's own name: its last segment, with the slash. */
        size_t n = strlen(s->key);
        const char *name = s->key;
        for (size_t i = 0; i + 1 < n; i++)
            if (s->key[i] == '/')
                name = s->key + i + 1;
        const struct files_share_listing *l = &v->out.listing;
        rc = share_page_folder_in(&page, v->lang, name, l->files, l->n, l->next_after,
                                  s->expires_at);
    }
    if (rc) {
        buf_done(&page);
        return rc;
    }
    return reply_page(v->req, 200, &page);
}

/* Renders what files_share_open decided. */
static int reply_visit(struct visit *v, int rc)
{
    struct http_req *req = v->req;
    if (v->out.unlocked)
        set_unlock_cookie(v);
    if (v->out.answer == FILES_LINK_FILE) {
        http_add_header(req, "Cache-Control", "no-store");
        return api_reply_download(req, rc, &v->out.download, &v->out.problem, v->out.key,
                                  v->inline_);
    }
    if (rc)
        return api_reply_s3_failure(req, rc, &v->out.problem.err);
    switch (v->out.answer) {
    case FILES_LINK_NO_LINK:
        return reply_problem(v, SEAU_E_NOT_FOUND, SHARE_MSG_NOT_FOUND_TITLE,
                             SHARE_MSG_NOT_FOUND_TEXT);
    case FILES_LINK_GONE:
        return reply_problem(v, SEAU_E_GONE, SHARE_MSG_GONE_TITLE, SHARE_MSG_GONE_TEXT);
    case FILES_LINK_NO_S3:
        return api_reply_no_s3(req);
    case FILES_LINK_RATE_LIMITED:
        return reply_rate_limited(v);
    case FILES_LINK_LOCKED:
        return reply_locked(v);
    case FILES_LINK_UNLOCKED:
        return reply_unlocked(v);
    case FILES_LINK_BAD_KEY:
        return reply_bad_key(v);
    case FILES_LINK_NO_FILE:
        return reply_problem(v, SEAU_E_NOT_FOUND, SHARE_MSG_NO_FILE_TITLE, SHARE_MSG_NO_FILE_TEXT);
    case FILES_LINK_USED_UP:
        return reply_problem(v, SEAU_E_GONE, SHARE_MSG_USED_UP_TITLE, SHARE_MSG_USED_UP_TEXT);
    case FILES_LINK_BAD_PAGE:
        return reply_problem(v, SEAU_E_VALIDATION, SHARE_MSG_BAD_PAGE_TITLE,
                             SHARE_MSG_BAD_PAGE_TEXT);
    case FILES_LINK_FILE_PAGE:
    case FILES_LINK_FOLDER_PAGE:
        return reply_file_page(v);
    case FILES_LINK_FILE:
        break;
    }
    return SEAU_E_INTERNAL;
}

/* A link's token as auth_token_new writes them: base64url, AUTH_TOKEN_LEN characters. */
static bool token_shaped(struct slice t)
{
    if (t.len != AUTH_TOKEN_LEN)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        char c = t.p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

int api_share_open(struct http_req *req)
{
    struct visit *v = calloc(1, sizeof(*v));
    if (!v)
        return SEAU_E_NOMEM;
    v->req = req;
    api_files_env(req, &v->env);
    api_actor_init(&v->actor, req);
    v->html = accepts_html(req);
    v->lang = share_page_lang(http_req_header(req, "Accept-Language"));
    int rc = 0;
    struct slice t = http_req_param(req, 0);
    /* Before the body is read: a POST to a malformed link is the GET's 404, whatever it carries. */
    if (!token_shaped(t)) {
        rc =
            reply_problem(v, SEAU_E_NOT_FOUND, SHARE_MSG_NOT_FOUND_TITLE, SHARE_MSG_NOT_FOUND_TEXT);
        goto done;
    }
    memcpy(v->token, t.p, t.len);
    v->token[t.len] = '\0';
    rc = read_visit(v);
    if (rc)
        goto done;
    const struct cfg *cfg = api_app(req)->cfg;
    struct files_share_visit sv = {
        .token = v->token,
        .download = v->download,
        .rel = v->rel,
        .after = v->after,
        .password = v->has_password ? v->password : NULL,
        .unlock = http_req_cookie(req, SHARE_COOKIE),
        .ip = req->client_ip,
        .back_to_page = strcmp(req->method, "POST") == 0 && (v->html || !v->download),
        .head_only = strcmp(req->method, "HEAD") == 0,
        .inline_ = v->inline_,
        .now = time_now_ms(),
        .window_ms = api_app(req)->limits.window_ms,
        .actor = &v->actor.actor,
        .proxy = cfg->download_proxy,
        .presign_expiry_s = (uint32_t)(cfg->presign_expiry_ms / 1000),
        .max_transfers = (size_t)cfg->max_transfers,
        .range = http_req_header(req, "Range"),
        .if_range = http_req_header(req, "If-Range"),
        .if_none_match = http_req_header(req, "If-None-Match"),
    };
    rc = files_share_open(&v->env, &sv, &v->out);
    rc = reply_visit(v, rc);
    files_share_outcome_done(&v->out);
done:
    str_wipe(v, sizeof(*v));
    free(v);
    return rc;
}
