/*
 * The public side of an upload link: GET /u/{token} (the page,
 * api/upload_page.c) and POST /u/{token}/upload (multipart/form-data: an
 * optional `password` field first, then `file` parts), streamed through the
 * proxied-upload service (files/upload_proxied.h) as POST /api/upload is,
 * with the link's creator as the subject of the policy, files numbered
 * instead of replacing anything, and the link's limits counted in the store
 * (files/upload_links.h).
 *
 * Counting. Before any byte is stored the request reserves its
 * Content-Length against maxBytes (a request without one is refused: 411),
 * and each file takes one slot of maxFiles as it begins; what was reserved
 * but not stored is given back when the request ends. A link that cannot
 * take the request or the file answers 410 (413 when the body alone is
 * larger than the room left).
 *
 * CSRF. The form is public and no cookie or session authorizes it: the
 * token in the path is the only credential, so a page elsewhere gains
 * nothing by posting it. Still, a browser's cross-site post is refused
 * (Sec-Fetch-Site other than same-origin, or an Origin that is not Seau's:
 * api_csrf_check), so the link cannot be used from another site's page
 * with a visitor's browser; clients that send neither (scripts) pass.
 *
 * The token never reaches the log (the access log writes /u/{token}) or
 * the audit (the link's id names it there).
 */
#include "api/api.h"

#include "api/upload_page.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/transfers.h"
#include "files/upload_links.h"
#include "files/upload_proxied.h"
#include "http/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool accepts_html(struct http_req *req)
{
    const char *accept = http_req_header(req, "Accept");
    return accept && strstr(accept, "text/html") != NULL;
}

static int reply_page(struct http_req *req, int status, struct buf *page)
{
    char csp[UPLOAD_PAGE_CSP_MAX];
    upload_page_csp(csp);
    req->own_csp = true;
    http_add_header(req, "Content-Security-Policy", csp);
    http_add_header(req, "Cache-Control", "no-store");
    http_add_header(req, "X-Robots-Tag", "noindex, nofollow");
    int rc = http_reply_bytes(req, status, "text/html; charset=utf-8", buf_cstr(page), page->len);
    buf_done(page);
    return rc;
}

/* An answer for browsers (a page) or scripts (API.md's error). */
static int reply_problem(struct http_req *req, enum upload_page_lang lang, int err,
                         const char *which, const char *message)
{
    if (!accepts_html(req)) {
        http_add_header(req, "Cache-Control", "no-store");
        return http_reply_error(req, err, message, NULL);
    }
    char title[32], text[32];
    snprintf(title, sizeof(title), "%s.title", which);
    snprintf(text, sizeof(text), "%s.text", which);
    struct buf page;
    buf_init(&page, UPLOAD_PAGE_MAX);
    int rc = upload_page_message(&page, lang, upload_page_text(lang, title),
                                 message ? message : upload_page_text(lang, text));
    if (rc) {
        buf_done(&page);
        return rc;
    }
    return reply_page(req, err_http_status(err), &page);
}

/* The token of the path, or "" when it cannot be one. */
static void token_param(struct http_req *req, char out[AUTH_TOKEN_LEN + 1])
{
    struct slice t = http_req_param(req, 0);
    out[0] = '\0';
    if (t.len != AUTH_TOKEN_LEN)
        return;
    memcpy(out, t.p, t.len);
    out[t.len] = '\0';
}

/* ===================================== the page ======================================= */

int api_upload_link_page(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    enum upload_page_lang lang = upload_page_lang(http_req_header(req, "Accept-Language"));
    char token[AUTH_TOKEN_LEN + 1];
    token_param(req, token);
    struct db_upload_link *l = calloc(1, sizeof(*l));
    if (!l)
        return SEAU_E_NOMEM;
    enum files_upload_link_state st = FILES_UPLOAD_LINK_LIVE;
    int64_t now = time_now_ms();
    int rc = files_upload_link_resolve(&env, token, now, l, &st);
    str_wipe(token, sizeof(token));
    if (rc == SEAU_E_NOT_FOUND) {
        free(l);
        return reply_problem(req, lang, rc, "notfound", NULL);
    }
    if (rc) {
        free(l);
        return rc;
    }
    struct api_actor actor;
    api_actor_init(&actor, req);
    char label[DB_SHARE_ID_MAX + 16];
    struct audit_actor visitor;
    files_upload_link_actor(l, actor.actor.ip, actor.actor.user_agent, label, &visitor);
    if (st != FILES_UPLOAD_LINK_LIVE) {
        files_upload_link_audit(&env, l, &visitor, "page", 410, files_upload_link_state_name(st),
                                now);
        free(l);
        return reply_problem(req, lang, SEAU_E_GONE, "gone", NULL);
    }
    files_upload_link_audit(&env, l, &visitor, "page", 200, NULL, now);
    struct upload_page_info info = {
        .token = NULL,
        .message = l->message,
        .from = l->created_by_email,
        .expires_at = l->expires_at,
        .password = l->password_hash[0] != '\0',
        .files_left = l->max_files ? l->max_files - l->files : -1,
        .bytes_left = l->max_bytes ? l->max_bytes - l->bytes : -1,
    };
    /* The token again, for the form's action (it is in the page's own URL already). */
    token_param(req, token);
    info.token = token;
    struct buf page;
    buf_init(&page, UPLOAD_PAGE_MAX);
    rc = upload_page_form(&page, lang, &info);
    str_wipe(token, sizeof(token));
    free(l);
    if (rc) {
        buf_done(&page);
        return rc;
    }
    return reply_page(req, 200, &page);
}

/* ===================================== the upload ===================================== */

#define FIELD_MAX (FILES_UPLOAD_LINK_PASSWORD_MAX + 1)

struct link_upload {
    struct http_req *req;
    struct http_body *body;
    struct files_env env;
    enum upload_page_lang lang;
    struct db_upload_link link;
    struct db_user creator;
    struct files_who who; /* the creator's rights */
    bool who_loaded;
    char label[DB_SHARE_ID_MAX + 16];
    char arrived[DB_PREFIX_MAX + 64]; /* each stored file's notification */
    struct audit_actor visitor;
    char user_agent[513];
    bool transfer;
    struct http_multipart *mp;
    struct files_upload_proxied *svc;

    int64_t reserved_bytes; /* counted against the link at the start */
    int64_t taken_files;    /* slots taken as files began */
    bool unlocked;          /* the password was given (or none is needed) */
    bool in_password, in_file, in_other;
    char field[FIELD_MAX + 1];
    size_t field_len;

    bool replied;
    int failure;
};

static int refuse(struct link_upload *u, int rc, const char *why)
{
    u->failure = rc;
    if (u->replied)
        return rc;
    u->replied = true;
    if (rc == SEAU_E_GONE)
        reply_problem(u->req, u->lang, rc, "gone", why && *why ? why : NULL);
    else
        http_reply_error(u->req, rc, why && *why ? why : NULL, NULL);
    return rc;
}

static int refused(struct link_upload *u, int rc)
{
    const char *field;
    const char *why = files_upload_proxied_refusal(u->svc, &field);
    return refuse(u, rc, why);
}

static void wake(void *arg)
{
    struct link_upload *u = arg;
    http_body_resume(u->body);
}

/* Each file takes one slot of the link's maxFiles as it begins (files_upload_proxied opts). */
static int take_file(void *arg)
{
    struct link_upload *u = arg;
    if (!u->unlocked)
        return SEAU_E_UNAUTHORIZED;
    int rc = db_upload_link_take(u->env.db, u->link.id, time_now_ms(), 1, 0);
    if (rc == 0)
        u->taken_files++;
    return rc == SEAU_E_NOT_FOUND ? SEAU_E_GONE : rc;
}

static int check_password(struct link_upload *u)
{
    int64_t retry = 0;
    const struct cfg *cfg = api_app(u->req)->cfg;
    int rc = files_upload_link_password(u->env.db, &u->link, u->visitor.ip, u->field, time_now_ms(),
                                        cfg->login_window_ms, &retry);
    str_wipe(u->field, sizeof(u->field));
    if (rc == SEAU_E_RATE_LIMITED) {
        u->failure = rc;
        u->replied = true;
        api_reply_rate_limited(u->req, retry);
        return rc;
    }
    if (rc == SEAU_E_UNAUTHORIZED)
        return refuse(u, rc, "The password is not right.");
    if (rc)
        return refuse(u, rc, NULL);
    u->unlocked = true;
    return 0;
}

static int on_begin(void *ctx, const struct http_multipart_part *p)
{
    struct link_upload *u = ctx;
    u->field_len = 0;
    if (p->filename) {
        if (strcmp(p->name, "file") != 0)
            return refuse(u, SEAU_E_VALIDATION, "Files go in parts named file.");
        if (!u->unlocked)
            return refuse(u, SEAU_E_UNAUTHORIZED, "This link asks for its password first.");
        int rc = 0;
        if (!files_upload_proxied_has_target(u->svc))
            rc = files_upload_proxied_target(u->svc, u->link.bucket, u->link.prefix);
        if (rc == 0)
            rc = files_upload_proxied_begin(u->svc, p->filename);
        if (rc)
            return refused(u, rc);
        u->in_file = true;
        return 0;
    }
    u->in_password = strcmp(p->name, "password") == 0;
    u->in_other = !u->in_password;
    return 0;
}

static int on_data(void *ctx, const char *data, size_t n)
{
    struct link_upload *u = ctx;
    if (u->in_file) {
        int rc = files_upload_proxied_data(u->svc, data, n);
        return rc ? refused(u, rc) : 0;
    }
    if (!u->in_password)
        return 0;
    if (u->field_len + n > FIELD_MAX)
        return refuse(u, SEAU_E_VALIDATION, "The password is too long.");
    memcpy(u->field + u->field_len, data, n);
    u->field_len += n;
    return 0;
}

static int on_end(void *ctx)
{
    struct link_upload *u = ctx;
    if (u->in_file) {
        u->in_file = false;
        int rc = files_upload_proxied_end(u->svc);
        return rc ? refused(u, rc) : 0;
    }
    if (u->in_password) {
        u->in_password = false;
        u->field[u->field_len] = '\0';
        if (!u->link.password_hash[0]) {
            str_wipe(u->field, sizeof(u->field));
            return 0;
        }
        return check_password(u);
    }
    u->in_other = false;
    return 0;
}

static const struct http_multipart_handler form = {on_begin, on_data, on_end};

static int body_data(void *ctx, struct http_req *req, const char *data, size_t n)
{
    (void)req;
    struct link_upload *u = ctx;
    if (u->replied)
        return u->failure;
    if (!files_upload_proxied_has_room(u->svc))
        return HTTP_BODY_PAUSE;
    int rc = http_multipart_feed(u->mp, data, n);
    if (rc == 0)
        return 0;
    return refuse(u, rc, rc == SEAU_E_BAD_REQUEST ? "The form data is malformed." : NULL);
}

/* The name a stored key has under the link's prefix. */
static const char *name_under(const struct link_upload *u, const char *key)
{
    size_t plen = strlen(u->link.prefix);
    return strncmp(key, u->link.prefix, plen) == 0 ? key + plen : key;
}

static int body_end(void *ctx, struct http_req *req)
{
    struct link_upload *u = ctx;
    int rc = http_multipart_finish(u->mp);
    if (rc)
        return refuse(u, rc, "The form data ended before its closing boundary.");
    if (!u->unlocked)
        return refuse(u, SEAU_E_UNAUTHORIZED, "This link asks for its password.");
    rc = files_upload_proxied_finish(u->svc);
    if (rc == FILES_INGEST_BUSY)
        return HTTP_BODY_PAUSE;
    if (rc)
        return refused(u, rc);
    size_t n = 0;
    const struct files_ingested *r = files_upload_proxied_results(u->svc, &n);
    if (accepts_html(req)) {
        struct buf page;
        buf_init(&page, UPLOAD_PAGE_MAX);
        rc = upload_page_message(&page, u->lang, upload_page_text(u->lang, "received.title"),
                                 upload_page_text(u->lang, "received.text"));
        if (rc) {
            buf_done(&page);
            return rc;
        }
        return reply_page(req, 201, &page);
    }
    json_t *files = json_array();
    for (size_t i = 0; files && i < n; i++)
        json_array_append_new(files, json_pack("{s:s, s:I}", "name", name_under(u, r[i].key),
                                               "size", (json_int_t)r[i].size));
    return http_reply_json(req, 201, json_pack("{s:o}", "files", files));
}

static void body_release(void *ctx)
{
    struct link_upload *u = ctx;
    int rc = u->failure;
    if (!rc && u->req->status >= 400)
        rc = SEAU_E_INTERNAL;
    if (!rc && u->req->status == 499)
        rc = SEAU_E_CANCELLED;
    size_t n = 0;
    int64_t stored = 0;
    if (u->svc) {
        /* Stops the worker: what it had not stored is abandoned and does not count. */
        files_upload_proxied_stop(u->svc);
        const struct files_ingested *r = files_upload_proxied_results(u->svc, &n);
        for (size_t i = 0; i < n; i++)
            stored += r[i].size;
    }
    files_upload_proxied_free(u->svc, rc);
    /* What was reserved and not stored goes back to the link. */
    int64_t files_back = u->taken_files - (int64_t)n;
    int64_t bytes_back = u->reserved_bytes - stored;
    if (files_back > 0 || bytes_back > 0)
        (void)db_upload_link_give_back(u->env.db, u->link.id, files_back > 0 ? files_back : 0,
                                       bytes_back > 0 ? bytes_back : 0);
    http_multipart_free(u->mp);
    if (u->transfer)
        files_transfer_release();
    if (u->who_loaded)
        files_who_done(&u->who);
    str_wipe(u->field, sizeof(u->field));
    free(u);
}

static const struct http_body_sink sink = {body_data, body_end, body_release};

/* The link of the path, judged, with the request's reservation: 0 or the answer given. */
static int open_link(struct link_upload *u, int64_t length)
{
    struct http_req *req = u->req;
    char token[AUTH_TOKEN_LEN + 1];
    token_param(req, token);
    enum files_upload_link_state st = FILES_UPLOAD_LINK_LIVE;
    int64_t now = time_now_ms();
    int rc = files_upload_link_resolve(&u->env, token, now, &u->link, &st);
    str_wipe(token, sizeof(token));
    if (rc == SEAU_E_NOT_FOUND)
        return reply_problem(req, u->lang, rc, "notfound", NULL), rc;
    if (rc)
        return rc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    snprintf(u->user_agent, sizeof(u->user_agent), "%s", actor.user_agent);
    files_upload_link_actor(&u->link, req->client_ip, u->user_agent, u->label, &u->visitor);
    if (st != FILES_UPLOAD_LINK_LIVE) {
        files_upload_link_audit(&u->env, &u->link, &u->visitor, "upload", 410,
                                files_upload_link_state_name(st), now);
        return reply_problem(req, u->lang, SEAU_E_GONE, "gone", NULL), SEAU_E_GONE;
    }
    if (api_csrf_check(req, false)) {
        files_upload_link_audit(&u->env, &u->link, &u->visitor, "upload", 403, "cross-site", now);
        return http_reply_error(req, SEAU_E_CSRF, NULL, NULL), SEAU_E_CSRF;
    }
    if (u->link.max_bytes && length > files_upload_link_room(&u->link, length)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "This link accepts %lld more bytes; the upload is larger.",
                 (long long)files_upload_link_room(&u->link, length));
        files_upload_link_audit(&u->env, &u->link, &u->visitor, "upload", 413, "room", now);
        return http_reply_error(req, SEAU_E_TOO_LARGE, msg, NULL), SEAU_E_TOO_LARGE;
    }
    rc = db_upload_link_take(u->env.db, u->link.id, now, 0, length);
    if (rc == SEAU_E_GONE || rc == SEAU_E_NOT_FOUND) {
        files_upload_link_audit(&u->env, &u->link, &u->visitor, "upload", 410, "full", now);
        return reply_problem(req, u->lang, SEAU_E_GONE, "gone", NULL), SEAU_E_GONE;
    }
    if (rc)
        return rc;
    u->reserved_bytes = length;
    rc = files_upload_link_subject(&u->env, &u->link, &u->who, &u->creator);
    if (rc == 0)
        u->who_loaded = true;
    else if (rc == SEAU_E_GONE)
        return reply_problem(req, u->lang, rc, "gone", NULL), rc;
    u->unlocked = u->link.password_hash[0] == '\0';
    return rc;
}

int api_upload_link_upload(struct http_req *req)
{
    struct link_upload *u = calloc(1, sizeof(*u));
    if (!u)
        return SEAU_E_NOMEM;
    u->req = req;
    api_files_env(req, &u->env);
    u->lang = upload_page_lang(http_req_header(req, "Accept-Language"));
    char boundary[HTTP_MULTIPART_BOUNDARY_MAX + 1];
    int rc =
        http_multipart_boundary(http_req_header(req, "Content-Type"), boundary, sizeof(boundary));
    if (rc) {
        free(u);
        return http_reply_error(req, rc == SEAU_E_MEDIA_TYPE ? rc : SEAU_E_BAD_REQUEST,
                                "Send the files as multipart/form-data.", NULL);
    }
    int64_t length = 0;
    const char *cl = http_req_header(req, "Content-Length");
    if (!cl || str_to_int64(cl, 1, INT64_MAX / 2, &length)) {
        free(u);
        return http_reply_error(req, SEAU_E_BAD_REQUEST,
                                "Send the upload with its Content-Length.", NULL);
    }
    rc = open_link(u, length);
    if (rc) {
        body_release(u);
        return req->response ? 0 : rc;
    }
    const struct cfg *cfg = api_app(req)->cfg;
    files_upload_link_event_message(&u->link, u->arrived, sizeof(u->arrived));
    struct files_upload_proxied_opts o = {
        .env = &u->env,
        .who = &u->who,
        .actor = &u->visitor,
        .allowed_types = cfg->allowed_types,
        .clamav = cfg->clamav,
        .max_file_bytes = cfg->max_upload_bytes,
        .content_length = length,
        .never_replace = true,
        .uploaded_by = u->link.created_by,
        .via = "upload-link",
        .event_message = u->arrived,
        .before_file = take_file,
        .before_file_arg = u,
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
    if (rc == 0 && !(u->mp = http_multipart_new(boundary, &form, u)))
        rc = SEAU_E_NOMEM;
    if (rc == 0)
        rc = http_req_stream_body(req, &sink, u, &u->body);
    if (rc) {
        body_release(u);
        return req->response ? 0 : rc;
    }
    return 0;
}
