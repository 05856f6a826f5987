/*
 * POST /api/auth/login, POST /api/auth/mfa (the second step of a sign-in),
 * POST /api/auth/logout, GET /api/auth/me.
 */
#include "api/api.h"

#include "auth/accounts.h"
#include "auth/oidc.h"
#include "auth/mfa.h"
#include "auth/password.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>

static void set_session_cookie(struct http_req *req, const char *token, int64_t max_age_s)
{
    char cookie[256];
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
             AUTH_COOKIE_NAME, token, (long long)max_age_s, req->secure ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
    str_wipe(cookie, sizeof(cookie));
}

int api_reply_signed_in(struct http_req *req, struct auth_login_result *res)
{
    struct app *app = api_app(req);
    set_session_cookie(req, res->token, app->limits.session.max_age_ms / 1000);
    char expires[TIME_RFC3339_LEN];
    time_rfc3339(res->expires_at, expires);
    json_t *out = json_pack("{s:s, s:o, s:s, s:b}", "token", res->token, "user",
                            api_user_json(&res->user), "expiresAt", expires, "mfaEnrolmentRequired",
                            auth_mfa_enrolment_required(&app->limits.session, &res->user));
    str_wipe(res, sizeof(*res));
    return http_reply_json(req, 200, out);
}

int api_login(struct http_req *req)
{
    struct app *app = api_app(req);
    if (!auth_oidc_password_login(app->oidc)) /* SEAU_PASSWORD_LOGIN=false: single sign-on only */
        return http_reply_error(req, SEAU_E_FORBIDDEN,
                                "Password sign-in is turned off: sign in "
                                "with your organisation's identity provider.",
                                NULL);
    /* Login CSRF (a cross-site page must not sign the browser into an attacker's account):
     * HTTP_SAME_ORIGIN, checked before the body is parsed. */
    json_t *body = api_json(req);
    int rc;
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *email = jsonx_get_string(&check, body, "email", true, DB_EMAIL_MAX);
    /* No policy check here: a password that could never be set still gets a plain 401. */
    const char *password = jsonx_get_string(&check, body, "password", true, AUTH_PASSWORD_MAX);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    struct api_actor actor;
    api_actor_init(&actor, req);
    struct auth_login_result res;
    int64_t retry = 0;
    rc = auth_login(app->db, &app->limits, email, password, &actor.actor, time_now_ms(), &res,
                    &retry);
    if (rc == SEAU_E_INVALID_CREDENTIALS || rc == SEAU_E_RATE_LIMITED)
        metrics_login_failed(app->metrics);
    if (rc == SEAU_E_RATE_LIMITED)
        return api_reply_rate_limited(req, retry);
    if (rc)
        return rc;
    if (res.mfa_required) {
        json_t *out = json_pack("{s:b, s:s}", "mfaRequired", 1, "mfaToken", res.mfa_token);
        str_wipe(&res, sizeof(res));
        return http_reply_json(req, 200, out);
    }
    return api_reply_signed_in(req, &res);
}

int api_mfa_verify(struct http_req *req)
{
    struct app *app = api_app(req);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"mfaToken", "code", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *token = jsonx_get_string(&check, body, "mfaToken", true, 64);
    const char *code = jsonx_get_string(&check, body, "code", true, 64);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    struct api_actor actor;
    api_actor_init(&actor, req);
    struct auth_login_result res;
    int64_t retry = 0;
    int rc = auth_mfa_login(app->db, &app->limits, token, code, &actor.actor, time_now_ms(), &res,
                            &retry);
    if (rc == SEAU_E_INVALID_CODE || rc == SEAU_E_RATE_LIMITED)
        metrics_login_failed(app->metrics);
    if (rc == SEAU_E_RATE_LIMITED)
        return api_reply_rate_limited(req, retry);
    if (rc == SEAU_E_UNAUTHORIZED)
        return http_reply_error(req, rc, "This sign-in step expired; sign in again.", NULL);
    if (rc)
        return rc;
    return api_reply_signed_in(req, &res);
}

int api_logout(struct http_req *req)
{
    struct app *app = api_app(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    int rc = auth_logout(app->db, api_principal(req), &actor.actor, time_now_ms());
    if (rc)
        return rc;
    char cookie[128];
    snprintf(cookie, sizeof(cookie), "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s",
             AUTH_COOKIE_NAME, req->secure ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
    return http_reply_empty(req, 204);
}

int api_me(struct http_req *req)
{
    const struct auth_principal *p = api_principal(req);
    return http_reply_json(req, 200,
                           json_pack("{s:o, s:b}", "user", api_user_json(&p->user),
                                     "mfaEnrolmentRequired", p->mfa_enrolment_required));
}
