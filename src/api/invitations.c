/*
 * Invitations (auth/invitations.h): POST /api/users with "invite": true,
 * POST /api/users/{id}/invitation (admin), and the link's own routes,
 * GET and POST /api/invitations/{token} (public, throttled like sign-in).
 *
 * The link is {origin}/invite#token=TOKEN: in the fragment, so the browser
 * never sends the token with the page request (nor in a Referer); the web
 * client's page reads it and calls the API. The API paths that carry it
 * are logged as /api/invitations/{token} (middleware.c).
 *
 * Sending the mail (SEAU_SMTP_URL) waits on the mail server, so these
 * routes run on the HTTP server's offload threads (HTTP_OFFLOAD) and the
 * send is bounded by INVITE_MAIL_TIMEOUT_MS; a mail that fails leaves the
 * invitation valid and the answer says "emailed": false.
 */
#include "api/api.h"

#include "auth/invitations.h"
#include "auth/password.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/mail.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"

#include <stdlib.h>
#include <string.h>

#define INVITE_MAIL_TIMEOUT_MS 10000
#define INVITE_URL_MAX         (API_LINK_ORIGIN_MAX + 32 + AUTH_TOKEN_LEN)

/* Mails the link when SEAU_SMTP_URL is set; true once the server accepted the mail. */
static bool mail_link(struct http_req *req, const struct db_user *u, const char *url,
                      int64_t expires_at)
{
    const struct cfg *cfg = api_app(req)->cfg;
    if (!cfg->smtp_url || !cfg->smtp_from || !mail_address_ok(u->email))
        return false;
    char *body = auth_invitation_mail_body(u, url, expires_at);
    char *msg = body ? mail_message_new(cfg->smtp_from, u->email, AUTH_INVITATION_SUBJECT, body,
                                        time_now_ms())
                     : NULL;
    struct mail_server s = {
        .url = cfg->smtp_url, .from = cfg->smtp_from, .timeout_ms = INVITE_MAIL_TIMEOUT_MS};
    int rc = msg ? mail_send(&s, u->email, msg) : SEAU_E_NOMEM;
    if (body)
        str_wipe(body, strlen(body));
    if (msg)
        str_wipe(msg, strlen(msg));
    free(body);
    free(msg);
    return rc == 0;
}

/* {"url","expiresAt","emailed"} for a new link (mailed here when mail is configured). */
static json_t *invitation_json(struct http_req *req, const struct db_user *u,
                               struct auth_invitation *inv)
{
    char origin[API_LINK_ORIGIN_MAX], url[INVITE_URL_MAX];
    api_link_origin(req, origin);
    snprintf(url, sizeof(url), "%s/invite#token=%s", origin, inv->token);
    bool emailed = mail_link(req, u, url, inv->expires_at);
    json_t *out = json_pack("{s:s, s:o, s:b}", "url", url, "expiresAt",
                            api_time_json(inv->expires_at), "emailed", emailed);
    str_wipe(url, sizeof(url));
    str_wipe(inv, sizeof(*inv));
    return out;
}

int api_users_invite(struct http_req *req)
{
    struct app *app = api_app(req);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"email", "name", "role", "invite", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    if (json_object_get(body, "password"))
        jsonx_check_fail(&check, "password",
                         "must not be given with invite: the person chooses it");
    const char *email, *name, *role;
    api_account_fields(&check, body, &email, &name, &role);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    struct api_actor actor;
    api_actor_init(&actor, req);
    struct db_user u;
    struct auth_invitation inv;
    int rc = auth_invite_user(app->db, &actor.actor, email, name, auth_role_parse(role),
                              app->cfg->invite_ttl_ms, time_now_ms(), &u, &inv);
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc, "A user with this email already exists.",
                                json_pack("{s:{s:s}}", "fields", "email", "is already taken"));
    if (rc)
        return rc;
    events_publish_user(app->events, actor.actor.email, actor.actor.user_id, u.id, u.email,
                        "invited the account");
    json_t *invitation = invitation_json(req, &u, &inv);
    return http_reply_json(
        req, 201, json_pack("{s:o, s:o}", "user", api_user_json(&u), "invitation", invitation));
}

int api_user_invitation_reissue(struct http_req *req)
{
    struct app *app = api_app(req);
    int64_t id;
    int rc = api_param_id(req, 0, &id);
    if (rc)
        return rc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct db_user u;
    struct auth_invitation inv;
    rc = auth_invitation_reissue(app->db, &actor.actor, id, app->cfg->invite_ttl_ms, time_now_ms(),
                                 &u, &inv);
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc,
                                "This account already has a password or signs in with an "
                                "identity provider; an invitation only sets a first password.",
                                NULL);
    if (rc)
        return rc;
    json_t *invitation = invitation_json(req, &u, &inv);
    return http_reply_json(
        req, 200, json_pack("{s:o, s:o}", "user", api_user_json(&u), "invitation", invitation));
}

/* The token of the path, or "" when it cannot be one (the service then answers as for unknown). */
static void path_token(struct http_req *req, char out[AUTH_TOKEN_LEN + 1])
{
    struct slice t = http_req_param(req, 0);
    out[0] = '\0';
    if (t.len == AUTH_TOKEN_LEN) {
        memcpy(out, t.p, t.len);
        out[t.len] = '\0';
    }
}

/* 404 invalid_invitation, 429 with Retry-After, or rc for the server. */
static int reply_failure(struct http_req *req, int rc, int64_t retry)
{
    if (rc == SEAU_E_RATE_LIMITED)
        return api_reply_rate_limited(req, retry);
    return rc;
}

int api_invitation_get(struct http_req *req)
{
    struct app *app = api_app(req);
    char token[AUTH_TOKEN_LEN + 1];
    path_token(req, token);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct db_user u;
    int64_t expires = 0, retry = 0;
    int rc = auth_invitation_lookup(app->db, &app->limits, token, &actor.actor, time_now_ms(), &u,
                                    &expires, &retry);
    str_wipe(token, sizeof(token));
    if (rc)
        return reply_failure(req, rc, retry);
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:s, s:o}", "email", u.email, "name", u.name,
                                     "expiresAt", api_time_json(expires)));
}

int api_invitation_accept(struct http_req *req)
{
    struct app *app = api_app(req);
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"password", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *password = jsonx_get_string(&check, body, "password", true, AUTH_PASSWORD_MAX);
    const char *why;
    if (password && (why = auth_password_problem(password)))
        jsonx_check_fail(&check, "password", why);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    char token[AUTH_TOKEN_LEN + 1];
    path_token(req, token);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct auth_login_result res;
    int64_t retry = 0;
    int rc = auth_invitation_accept(app->db, &app->limits, token, password, &actor.actor,
                                    time_now_ms(), &res, &retry);
    str_wipe(token, sizeof(token));
    if (rc)
        return reply_failure(req, rc, retry);
    return api_reply_signed_in(req, &res);
}
