/*
 * Second factors, sessions, personal access tokens and the access
 * explainer (API.md "Identity providers, MFA, sessions, tokens"). The
 * second step of a sign-in (POST /api/auth/mfa) is in auth.c, beside the
 * first. Each handler parses, calls one service of auth/ and renders.
 */
#include "api/api.h"

#include "auth/explain.h"
#include "auth/mfa.h"
#include "auth/tokens.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the one "code" field of a JSON body; replies 400 and returns false when missing. */
static const char *code_field(struct http_req *req, int *ret_rc)
{
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"code", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *code = jsonx_get_string(&check, body, "code", true, 64);
    if (!jsonx_check_ok(&check)) {
        *ret_rc = api_reply_invalid(req, &check);
        return NULL;
    }
    jsonx_check_done(&check);
    return code;
}

/* The answers every code-checking route shares. Returns 0 after replying, or rc. */
static int reply_code_failure(struct http_req *req, int rc, int64_t retry)
{
    if (rc == SEAU_E_RATE_LIMITED)
        return api_reply_rate_limited(req, retry);
    if (rc == SEAU_E_FORBIDDEN)
        return http_reply_error(
            req, rc, "A personal access token cannot change second factors or tokens.", NULL);
    return rc;
}

int api_mfa_setup(struct http_req *req)
{
    struct app *app = api_app(req);
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct auth_mfa_setup_result res;
    int rc = auth_mfa_setup(app->db, api_principal(req), &actor.actor, time_now_ms(), &res);
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(
            req, rc, "A second factor is on already; turn it off first to replace it.", NULL);
    if (rc)
        return reply_code_failure(req, rc, 0);
    json_t *out = json_pack("{s:s, s:s}", "secret", res.secret, "otpauthUrl", res.otpauth_url);
    str_wipe(&res, sizeof(res));
    return http_reply_json(req, 200, out);
}

int api_mfa_confirm(struct http_req *req)
{
    struct app *app = api_app(req);
    int rc = 0;
    const char *code = code_field(req, &rc);
    if (!code)
        return rc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    char codes[AUTH_MFA_RECOVERY_CODES][AUTH_MFA_RECOVERY_CODE_LEN + 1];
    int64_t retry = 0;
    rc = auth_mfa_confirm(app->db, &app->limits, api_principal(req), &actor.actor, code,
                          time_now_ms(), codes, &retry);
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc, "There is no set-up waiting for confirmation.", NULL);
    if (rc)
        return reply_code_failure(req, rc, retry);
    json_t *list = json_array();
    for (size_t i = 0; list && i < AUTH_MFA_RECOVERY_CODES; i++)
        json_array_append_new(list, json_string(codes[i]));
    str_wipe(codes, sizeof(codes));
    return http_reply_json(req, 200, json_pack("{s:o}", "recoveryCodes", list));
}

int api_mfa_disable(struct http_req *req)
{
    struct app *app = api_app(req);
    int rc = 0;
    const char *code = code_field(req, &rc);
    if (!code)
        return rc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    int64_t retry = 0;
    rc = auth_mfa_disable(app->db, &app->limits, api_principal(req), &actor.actor, code,
                          time_now_ms(), &retry);
    if (rc == SEAU_E_NOT_FOUND)
        return http_reply_error(req, rc, "No second factor is on.", NULL);
    if (rc)
        return reply_code_failure(req, rc, retry);
    return http_reply_empty(req, 204);
}

int api_user_mfa_reset(struct http_req *req)
{
    int64_t id;
    int rc = api_param_id(req, 0, &id);
    if (rc)
        return rc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    rc = auth_mfa_reset(api_app(req)->db, &actor.actor, id, time_now_ms());
    return rc ? rc : http_reply_empty(req, 204);
}

int api_mfa_status(struct http_req *req)
{
    const struct auth_principal *p = api_principal(req);
    int64_t left = 0;
    int rc = p->user.mfa ? auth_mfa_recovery_left(api_app(req)->db, p, &left) : 0;
    if (rc)
        return rc;
    return http_reply_json(req, 200,
                           json_pack("{s:b, s:I, s:b}", "enabled", p->user.mfa, "recoveryCodesLeft",
                                     (json_int_t)left, "enrolmentRequired",
                                     p->mfa_enrolment_required));
}

int api_sessions_list(struct http_req *req)
{
    struct app *app = api_app(req);
    const struct auth_principal *p = api_principal(req);
    struct db_session *rows = NULL;
    size_t n = 0;
    int rc = auth_sessions_list(app->db, &app->limits.session, p, time_now_ms(), &rows, &n);
    if (rc)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        const struct db_session *s = &rows[i];
        json_array_append_new(
            list,
            json_pack("{s:s, s:o, s:o, s:o, s:o, s:b}", "id", s->id, "createdAt",
                      api_time_json(s->created_at), "lastSeenAt", api_time_json(s->last_seen_at),
                      "ip", s->ip[0] ? json_string(s->ip) : json_null(), "userAgent",
                      s->user_agent[0] ? json_string(s->user_agent) : json_null(), "current",
                      !p->via_pat && strcmp(s->id, p->session.id) == 0));
    }
    str_wipe(rows, n * sizeof(*rows));
    free(rows);
    return http_reply_json(req, 200, json_pack("{s:o}", "sessions", list));
}

int api_session_end(struct http_req *req)
{
    struct slice id = http_req_param(req, 0);
    char buf[DB_SESSION_ID_MAX + 1];
    if (id.len == 0 || id.len > DB_SESSION_ID_MAX)
        return SEAU_E_NOT_FOUND;
    snprintf(buf, sizeof(buf), "%.*s", (int)id.len, id.p);
    struct api_actor actor;
    api_actor_init(&actor, req);
    int rc =
        auth_session_end(api_app(req)->db, api_principal(req), &actor.actor, buf, time_now_ms());
    return rc ? rc : http_reply_empty(req, 204);
}

int api_sessions_end_others(struct http_req *req)
{
    struct api_actor actor;
    api_actor_init(&actor, req);
    int64_t n = 0;
    int rc = auth_sessions_end_others(api_app(req)->db, api_principal(req), &actor.actor,
                                      time_now_ms(), &n);
    return rc ? rc : http_reply_empty(req, 204);
}

static json_t *pat_json(const struct db_pat *t)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", t->id, "name", t->name, "createdAt",
                     api_time_json(t->created_at), "expiresAt", api_time_json(t->expires_at),
                     "lastUsedAt", api_time_json(t->last_used_at));
}

int api_tokens_list(struct http_req *req)
{
    struct db_pat *rows = NULL;
    size_t n = 0;
    int rc = auth_pat_list(api_app(req)->db, api_principal(req), &rows, &n);
    if (rc)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        json_array_append_new(list, pat_json(&rows[i]));
    free(rows);
    return http_reply_json(req, 200, json_pack("{s:o}", "tokens", list));
}

int api_tokens_create(struct http_req *req)
{
    json_t *body = api_json(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"name", "expiresIn", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *name = jsonx_get_string(&check, body, "name", true, AUTH_PAT_NAME_MAX);
    int64_t expires_in = 0;
    json_t *e = json_object_get(body, "expiresIn");
    if (e && !json_is_null(e)) {
        if (!json_is_integer(e) || json_integer_value(e) < 0 ||
            json_integer_value(e) > AUTH_PAT_MAX_EXPIRY_S)
            jsonx_check_fail(&check, "expiresIn",
                             "must be a whole number of seconds from 0 (never) to 31622400");
        else
            expires_in = json_integer_value(e);
    }
    const char *why;
    if (name && (why = auth_name_problem(name)))
        jsonx_check_fail(&check, "name", why);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    struct api_actor actor;
    api_actor_init(&actor, req);
    char token[AUTH_PAT_LEN + 1];
    struct db_pat t;
    int rc = auth_pat_create(api_app(req)->db, api_principal(req), &actor.actor, name, expires_in,
                             time_now_ms(), token, &t);
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc, "You have too many tokens; revoke one first.", NULL);
    if (rc)
        return reply_code_failure(req, rc, 0);
    json_t *out = pat_json(&t);
    json_object_set_new(out, "token", json_string(token));
    str_wipe(token, sizeof(token));
    return http_reply_json(req, 201, out);
}

int api_tokens_revoke(struct http_req *req)
{
    struct slice id = http_req_param(req, 0);
    char buf[DB_PAT_ID_MAX + 1];
    if (id.len == 0 || id.len > DB_PAT_ID_MAX)
        return SEAU_E_NOT_FOUND;
    snprintf(buf, sizeof(buf), "%.*s", (int)id.len, id.p);
    struct api_actor actor;
    api_actor_init(&actor, req);
    int rc =
        auth_pat_revoke(api_app(req)->db, api_principal(req), &actor.actor, buf, time_now_ms());
    return rc ? rc : http_reply_empty(req, 204);
}

int api_access_explain(struct http_req *req)
{
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *uid = http_req_query(req, "userId");
    const char *bucket = http_req_query(req, "bucket");
    const char *key = http_req_query(req, "key");
    const char *action_name = http_req_query(req, "action");
    int64_t user_id = 0;
    enum auth_action action = AUTH_OBJECT_READ;
    const char *why;
    if (!uid || str_to_int64(uid, 1, INT64_MAX, &user_id))
        jsonx_check_fail(&check, "userId", "must be an account id");
    if (!bucket || (why = s3name_bucket_problem(bucket)))
        jsonx_check_fail(&check, "bucket", bucket ? why : "is required");
    if (key && *key && (why = s3name_key_problem(key)))
        jsonx_check_fail(&check, "key", why);
    if (!auth_explain_action(action_name, &action))
        jsonx_check_fail(&check, "action", "must be read, upload, delete or share");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    struct auth_explanation x;
    int rc = auth_access_explain(api_app(req)->db, user_id, bucket, key, action, &x);
    if (rc == SEAU_E_NOT_FOUND)
        return http_reply_error(req, rc, "There is no account with this id.", NULL);
    if (rc)
        return rc;
    json_t *grant =
        x.has_grant ? json_pack("{s:s, s:s}", "bucket", x.grant.bucket, "prefix", x.grant.prefix)
                    : json_null();
    return http_reply_json(
        req, 200,
        json_pack("{s:b, s:s, s:o}", "allowed", x.allowed, "reason", x.reason, "grant", grant));
}
