/*
 * Single sign-on (API.md "Identity providers, MFA, sessions, tokens"):
 * GET /api/auth/providers, and per provider GET .../start, .../callback and
 * .../logout. The service is auth/oidc.h; these handlers read the request,
 * call it once, and answer with redirects and cookies. A refusal is a 302
 * to /login?error=<code> (the service audited it).
 */
#include "api/api.h"

#include "auth/oidc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>

/* The origin the browser reached us at: SEAU_PUBLIC_URL's, else the request's own Host. */
static void base_url(struct http_req *req, char *out, size_t n)
{
    const struct cfg *c = api_app(req)->cfg;
    if (c && c->public_origin) {
        snprintf(out, n, "%s", c->public_origin);
        return;
    }
    const char *host = http_req_header(req, "Host");
    snprintf(out, n, "%s://%s", req->secure ? "https" : "http", host ? host : "localhost");
}

static int redirect(struct http_req *req, const char *location)
{
    int rc = http_add_header(req, "Location", location);
    if (rc == 0)
        rc = http_add_header(req, "Cache-Control", "no-store");
    return rc ? rc : http_reply_empty(req, 302);
}

static int redirect_error(struct http_req *req, const char *code)
{
    char to[96];
    snprintf(to, sizeof(to), "/login?error=%s", code);
    return redirect(req, to);
}

static void prelogin_cookie(struct http_req *req, const char *value, int64_t max_age_s)
{
    char cookie[256];
    snprintf(cookie, sizeof(cookie),
             "%s=%s; Path=/api/auth/oidc/; Max-Age=%lld; HttpOnly; "
             "SameSite=Lax%s",
             AUTH_OIDC_COOKIE, value, (long long)max_age_s, req->secure ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
    str_wipe(cookie, sizeof(cookie));
}

/* The provider id of the path: a slice copied into out; false when too long. */
static bool provider_param(struct http_req *req, char *out, size_t n)
{
    struct slice s = http_req_param(req, 0);
    if (s.len == 0 || s.len >= n)
        return false;
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
    return true;
}

int api_auth_providers(struct http_req *req)
{
    const struct auth_oidc *o = api_app(req)->oidc;
    json_t *list = json_array();
    for (size_t i = 0; list && i < auth_oidc_count(o); i++) {
        const struct auth_oidc_provider_cfg *p = auth_oidc_provider(o, i);
        json_array_append_new(list, json_pack("{s:s, s:s}", "id", p->id, "name", p->name));
    }
    return http_reply_json(
        req, 200, json_pack("{s:b, s:o}", "password", auth_oidc_password_login(o), "oidc", list));
}

int api_oidc_start(struct http_req *req)
{
    struct app *app = api_app(req);
    char provider[DB_PROVIDER_MAX + 1];
    if (!app->oidc || !provider_param(req, provider, sizeof(provider)))
        provider[0] = '\0';
    char base[512];
    base_url(req, base, sizeof(base));
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct auth_oidc_start s;
    const char *error = "sso_failed";
    int rc = app->oidc
                 ? auth_oidc_start(app->oidc, app->db, provider, http_req_query(req, "returnTo"),
                                   base, &actor.actor, time_now_ms(), &s, &error)
                 : SEAU_E_NOT_FOUND;
    if (rc)
        return redirect_error(req, app->oidc ? error : "sso_provider");
    prelogin_cookie(req, s.cookie, AUTH_OIDC_LOGIN_TTL_MS / 1000);
    str_wipe(s.cookie, sizeof(s.cookie));
    rc = redirect(req, s.url);
    free(s.url);
    return rc;
}

int api_oidc_callback(struct http_req *req)
{
    struct app *app = api_app(req);
    char provider[DB_PROVIDER_MAX + 1];
    if (!provider_param(req, provider, sizeof(provider)))
        provider[0] = '\0';
    char base[512];
    base_url(req, base, sizeof(base));
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct auth_oidc_callback_in in = {
        .provider = provider,
        .cookie = http_req_cookie(req, AUTH_OIDC_COOKIE),
        .state = http_req_query(req, "state"),
        .code = http_req_query(req, "code"),
        .error = http_req_query(req, "error"),
        .base_url = base,
    };
    struct auth_oidc_done done;
    const char *error = "sso_provider";
    int rc = app->oidc ? auth_oidc_callback(app->oidc, app->db, &app->limits.session, &in,
                                            &actor.actor, time_now_ms(), &done, &error)
                       : SEAU_E_NOT_FOUND;
    prelogin_cookie(req, "", 0); /* used or refused: it is never good again */
    if (rc) {
        metrics_login_failed(app->metrics);
        return redirect_error(req, error);
    }
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
             AUTH_COOKIE_NAME, done.login.token, (long long)(app->limits.session.max_age_ms / 1000),
             req->secure ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
    str_wipe(cookie, sizeof(cookie));
    req->log_user = NULL;
    rc = redirect(req, done.return_to);
    str_wipe(&done, sizeof(done));
    return rc;
}

int api_oidc_logout(struct http_req *req)
{
    struct app *app = api_app(req);
    char provider[DB_PROVIDER_MAX + 1];
    char base[512];
    base_url(req, base, sizeof(base));
    char *url = NULL;
    if (app->oidc && provider_param(req, provider, sizeof(provider)) &&
        auth_oidc_logout_url(app->oidc, provider, base, time_now_ms(), &url) == 0) {
        int rc = redirect(req, url);
        free(url);
        return rc;
    }
    return redirect(req, "/login");
}
