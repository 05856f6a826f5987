/*
 * What happens around every request: authentication, CSRF, the preamble a
 * route's flags ask for (api_prepare), logging, metrics.
 */
#include "api/api.h"

#include "files/env.h"

#include "auth/policy.h"
#include "auth/tokens.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdlib.h>
#include <string.h>

static bool is_safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

/* The origin this request should come from: the public URL's, else its own Host's. */
static bool expected_origin(struct http_req *req, char *out, size_t n)
{
    const struct cfg *cfg = api_app(req)->cfg;
    if (cfg->public_origin) {
        snprintf(out, n, "%s", cfg->public_origin);
        return true;
    }
    const char *host = http_req_header(req, "Host");
    if (!host || !*host)
        return false;
    snprintf(out, n, "%s://%s", req->secure ? "https" : "http", host);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return true;
}

int api_csrf_check(struct http_req *req, bool require)
{
    const char *site = http_req_header(req, "Sec-Fetch-Site");
    if (site)
        return strcmp(site, "same-origin") == 0 ? 0 : SEAU_E_CSRF;
    const char *origin = http_req_header(req, "Origin");
    if (!origin)
        return require ? SEAU_E_CSRF : 0;
    char expect[512];
    if (!expected_origin(req, expect, sizeof(expect)))
        return SEAU_E_CSRF;
    return str_ieq(origin, expect) ? 0 : SEAU_E_CSRF;
}

/* The token from "Authorization: Bearer X", or NULL. */
static const char *bearer_token(struct http_req *req)
{
    const char *h = http_req_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}

/*
 * The signed-in caller and what api_prepare loaded for it, freed together by
 * api_release. The principal comes first: req->principal points at it.
 */
struct api_caller {
    struct auth_principal principal;
    struct files_who who;
    bool who_loaded;
};

/* PATCH /api/users/{id} of the caller's own account. */
static bool changes_own_account(struct http_req *req, const struct auth_principal *p)
{
    const struct http_route *r = req->match.route;
    int64_t id = 0;
    return r && strcmp(r->method, "PATCH") == 0 && strcmp(r->pattern, "/api/users/{id}") == 0 &&
           api_param_id(req, 0, &id) == 0 && id == p->user.id;
}

/* The routes a session that must change its password may still call (besides its own PATCH). */
static bool may_precede_password_change(struct http_req *req)
{
    const struct http_route *r = req->match.route;
    return r && ((strcmp(r->method, "GET") == 0 && strcmp(r->pattern, "/api/auth/me") == 0) ||
                 (strcmp(r->method, "POST") == 0 && strcmp(r->pattern, "/api/auth/logout") == 0));
}

int api_authenticate(struct http_req *req)
{
    struct app *app = api_app(req);
    const char *token = bearer_token(req);
    bool via_cookie = false;
    if (!token) {
        token = http_req_cookie(req, AUTH_COOKIE_NAME);
        via_cookie = token != NULL;
    }
    /* Browsers cannot set headers on a WebSocket: that one route also takes ?token=. */
    if (!token && req->match.route &&
        strcmp(req->match.route->pattern, "/api/notifications/ws") == 0)
        token = http_req_query(req, "token");
    if (!token)
        return SEAU_E_UNAUTHORIZED;
    struct api_caller *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    struct auth_principal *p = &c->principal;
    int64_t now = time_now_ms();
    int rc = auth_pat_looks_like(token) && !via_cookie
                 ? auth_pat_authenticate(app->db, &app->limits.session, token, now, p)
                 : auth_session_authenticate(app->db, &app->limits.session, token, now, p);
    if (rc) {
        free(c);
        return rc;
    }
    metrics_user_seen(app->metrics, p->user.id, now);
    req->principal = p;
    req->access = (int)p->role;
    req->via_cookie = via_cookie;
    req->log_user = p->user.email;
    /* Cookies ride along on cross-site requests; bearer tokens cannot be forged that way. */
    if (via_cookie && !is_safe_method(req->method))
        rc = api_csrf_check(req, true);
    /*
     * SEAU_MFA_REQUIRED: an account that must have a second factor and has
     * none may only reach /api/auth/ (who am I, enrol, sign out) until it
     * enrols; everything else answers 403 mfa_enrolment_required.
     */
    bool own_password = p->user.must_change_password && changes_own_account(req, p);
    if (rc == 0 && p->mfa_enrolment_required && req->match.route && !own_password &&
        strncmp(req->match.route->pattern, "/api/auth/", 10) != 0)
        rc = SEAU_E_MFA_ENROLMENT;
    /*
     * An admin chose this account's password (SEAU_FORCE_PASSWORD_CHANGE):
     * until the person chooses their own, the session may only ask who it
     * is, change its own account (the password, with currentPassword) and
     * sign out; everything else answers 403 password_change_required.
     */
    if (rc == 0 && p->user.must_change_password && !own_password &&
        !may_precede_password_change(req))
        rc = SEAU_E_PASSWORD_CHANGE;
    return rc;
}

int api_prepare(struct http_req *req)
{
    unsigned flags = req->match.route->flags;
    int rc = 0;
    if (flags & HTTP_SAME_ORIGIN)
        rc = api_csrf_check(req, false);
    if (rc == 0 && (flags & HTTP_NEEDS_S3) && !api_app(req)->s3)
        return api_reply_no_s3(req);
    json_t *body;
    if (rc == 0 && (flags & HTTP_JSON_BODY))
        rc = http_req_json(req, &body);
    if (rc == 0 && (flags & HTTP_LOADS_CALLER)) {
        struct api_caller *c = req->principal;
        /* A public route has no caller to load: a table mistake, caught by a unit test. */
        if (!c)
            return SEAU_E_INTERNAL;
        rc = files_who_load(api_app(req)->db, &c->principal, &c->who);
        c->who_loaded = rc == 0;
    }
    return rc;
}

const struct files_who *api_who(struct http_req *req)
{
    struct api_caller *c = req->principal;
    return c && c->who_loaded ? &c->who : NULL;
}

void api_release(struct http_req *req)
{
    struct api_caller *c = req->principal;
    if (c) {
        if (c->who_loaded)
            files_who_done(&c->who);
        str_wipe(c, sizeof(*c));
        free(c);
        req->principal = NULL;
    }
}

void api_completed(struct http_req *req, double seconds)
{
    struct app *app = api_app(req);
    api_trace_completed(req);
    if (app->metrics)
        metrics_observe_http(app->metrics, req->method, req->route_label, req->status, seconds);
    if (!log_enabled(LOG_INFO))
        return;
    /* Never the query string, a header value, a cookie or a body: they may hold secrets. */
    char method[16], path[1024];
    str_utf8_copy_lossy(method, sizeof(method), req->method);
    /* A share or upload link's path holds its secret token: log the pattern instead. */
    str_utf8_copy_lossy(path, sizeof(path),
                        strncmp(req->path, "/s/", 3) == 0   ? "/s/{token}"
                        : strncmp(req->path, "/u/", 3) == 0 ? "/u/{token}"
                        : strncmp(req->path, "/api/invitations/", 17) == 0
                            ? "/api/invitations/{token}"
                            : req->path);
    struct log_request line = {
        .request_id = req->request_id,
        .method = method,
        .path = path,
        .status = req->status,
        .duration_ms = seconds * 1000.0,
        .bytes = (int64_t)req->bytes_out,
        .ip = req->client_ip,
        .route = req->route_label,
        .user = req->log_user,
    };
    log_request_line(&line);
}

void api_actor_init(struct api_actor *a, struct http_req *req)
{
    memset(a, 0, sizeof(*a));
    const struct auth_principal *p = req->principal;
    if (p) {
        a->actor.user_id = p->user.id;
        a->actor.email = p->user.email;
    }
    a->actor.ip = req->client_ip;
    const char *ua = http_req_header(req, "User-Agent");
    if (ua) {
        /* Bounded and valid UTF-8, so the entry can always be shown again. */
        str_utf8_copy_lossy(a->user_agent, sizeof(a->user_agent), ua);
        a->actor.user_agent = a->user_agent;
    }
}

json_t *api_user_json(const struct db_user *u)
{
    char created[TIME_RFC3339_LEN], last[TIME_RFC3339_LEN];
    time_rfc3339(u->created_at, created);
    json_t *j =
        json_pack("{s:I, s:s, s:s, s:s, s:b, s:s}", "id", (json_int_t)u->id, "email", u->email,
                  "name", u->name, "role", u->role, "disabled", u->disabled, "createdAt", created);
    if (j)
        json_object_set_new(j, "mfa", json_boolean(u->mfa));
    if (!j)
        return NULL;
    if (u->last_login_at) {
        time_rfc3339(u->last_login_at, last);
        json_object_set_new(j, "lastLoginAt", json_string(last));
    } else {
        json_object_set_new(j, "lastLoginAt", json_null());
    }
    json_object_set_new(j, "provider", u->provider[0] ? json_string(u->provider) : json_null());
    json_object_set_new(j, "mustChangePassword", json_boolean(u->must_change_password));
    return j;
}

int api_param_id(struct http_req *req, size_t i, int64_t *ret)
{
    int64_t id;
    if (slice_to_int64(http_req_param(req, i), 1, INT64_MAX, &id))
        return SEAU_E_NOT_FOUND;
    *ret = id;
    return 0;
}

int api_query_limit(struct http_req *req, struct jsonx_check *check, size_t *ret)
{
    const char *s = http_req_query(req, "limit");
    int64_t v = 100;
    if (s && str_to_int64(s, 1, 1000, &v)) {
        jsonx_check_fail(check, "limit", "must be a whole number from 1 to 1000");
        return SEAU_E_VALIDATION;
    }
    *ret = (size_t)v;
    return 0;
}

int api_reply_invalid(struct http_req *req, struct jsonx_check *check)
{
    return http_reply_error(req, SEAU_E_VALIDATION, NULL, jsonx_check_take_details(check));
}

int api_reply_invalid_field(struct http_req *req, const char *field, const char *why)
{
    struct jsonx_check check;
    jsonx_check_init(&check);
    jsonx_check_fail(&check, field, why);
    return api_reply_invalid(req, &check);
}

int api_reply_rate_limited(struct http_req *req, int64_t retry_after_s)
{
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)retry_after_s);
    http_add_header(req, "Retry-After", v);
    return http_reply_error(req, SEAU_E_RATE_LIMITED, NULL,
                            json_pack("{s:I}", "retryAfter", (json_int_t)retry_after_s));
}

int api_reply_transfers_busy(struct http_req *req)
{
    http_add_header(req, "Retry-After", "5");
    return http_reply_error(req, SEAU_E_UNAVAILABLE,
                            "Too many transfers are running on this server; try again shortly.",
                            NULL);
}
