/* The users and grants API of API.md ("Authentication and users"). */
#include "api/api.h"

#include "auth/accounts.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "core/err.h"
#include "core/s3name.h"
#include "core/jsonx.h"
#include "core/timeutil.h"
#include "events/bus.h"

#include <stdlib.h>
#include <string.h>

int api_users_list(struct http_req *req)
{
    struct db_user *users = NULL;
    size_t n = 0;
    int rc = auth_user_list(api_app(req)->db, &users, &n);
    if (rc)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        json_array_append_new(list, api_user_json(&users[i]));
    free(users);
    return http_reply_json(req, 200, json_pack("{s:o}", "users", list));
}

void api_account_fields(struct jsonx_check *check, json_t *body, const char **ret_email,
                        const char **ret_name, const char **ret_role)
{
    const char *email = jsonx_get_string(check, body, "email", true, DB_EMAIL_MAX);
    const char *name = jsonx_get_string(check, body, "name", true, DB_NAME_MAX);
    const char *role = jsonx_get_string(check, body, "role", true, 16);
    const char *why;
    if (email && (why = auth_email_problem(email)))
        jsonx_check_fail(check, "email", why);
    if (name && (why = auth_name_problem(name)))
        jsonx_check_fail(check, "name", why);
    if (role && auth_role_parse(role) == AUTH_ROLE_NONE)
        jsonx_check_fail(check, "role", "must be admin, manager or user");
    *ret_email = email;
    *ret_name = name;
    *ret_role = role;
}

int api_users_create(struct http_req *req)
{
    struct app *app = api_app(req);
    json_t *body = api_json(req);
    /* "invite": true: no password; the person chooses it through a one-time link. */
    json_t *invite = json_object_get(body, "invite");
    if (json_is_true(invite))
        return api_users_invite(req);
    struct jsonx_check check;
    jsonx_check_init(&check);
    if (invite && !json_is_boolean(invite))
        jsonx_check_fail(&check, "invite", "must be true or false");
    static const char *const allowed[] = {"email", "name", "password", "role", "invite", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    const char *email, *name, *role;
    api_account_fields(&check, body, &email, &name, &role);
    const char *password = jsonx_get_string(&check, body, "password", true, AUTH_PASSWORD_MAX);
    const char *why;
    if (password && (why = auth_password_problem(password)))
        jsonx_check_fail(&check, "password", why);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    struct api_actor actor;
    api_actor_init(&actor, req);
    struct db_user u;
    /* Chosen by an admin for someone else: to be changed at the first sign-in (when configured). */
    int rc = auth_user_create_temporary(app->db, &actor.actor, email, name, password,
                                        auth_role_parse(role), app->cfg->force_password_change,
                                        time_now_ms(), &u);
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc, "A user with this email already exists.",
                                json_pack("{s:{s:s}}", "fields", "email", "is already taken"));
    if (rc)
        return rc;
    events_publish_user(app->events, actor.actor.email, actor.actor.user_id, u.id, u.email,
                        "created the account");
    return http_reply_json(req, 201, json_pack("{s:o}", "user", api_user_json(&u)));
}

int api_users_update(struct http_req *req)
{
    struct app *app = api_app(req);
    struct auth_principal *who = api_principal(req);
    int64_t id;
    int rc = api_param_id(req, 0, &id);
    if (rc)
        return rc;
    /* Only admins learn whether someone else's account exists. */
    struct api_actor actor;
    api_actor_init(&actor, req);
    rc = auth_user_update_allowed(app->db, who, &actor.actor, id, time_now_ms());
    if (rc)
        return rc;
    /* Parsed here, not by HTTP_JSON_BODY: the refusal above comes first, whatever the body. */
    json_t *body;
    rc = http_req_json(req, &body);
    if (rc)
        return rc;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"name", "role", "password", "disabled", "currentPassword",
                                          NULL};
    jsonx_reject_unknown(&check, body, allowed);
    struct auth_user_patch patch;
    memset(&patch, 0, sizeof(patch));
    patch.name = jsonx_get_string(&check, body, "name", false, DB_NAME_MAX);
    patch.role = jsonx_get_string(&check, body, "role", false, 16);
    patch.password = jsonx_get_string(&check, body, "password", false, AUTH_PASSWORD_MAX);
    patch.current_password =
        jsonx_get_string(&check, body, "currentPassword", false, AUTH_PASSWORD_MAX);
    patch.has_disabled = jsonx_get_bool(&check, body, "disabled", &patch.disabled);
    const char *why;
    if (patch.name && (why = auth_name_problem(patch.name)))
        jsonx_check_fail(&check, "name", why);
    if (patch.password && (why = auth_password_problem(patch.password)))
        jsonx_check_fail(&check, "password", why);
    if (patch.role && auth_role_parse(patch.role) == AUTH_ROLE_NONE)
        jsonx_check_fail(&check, "role", "must be admin, manager or user");
    if (patch.password && id == who->user.id && !patch.current_password)
        jsonx_check_fail(&check, "currentPassword", "is required to change your own password");
    if (jsonx_check_ok(&check) && !patch.name && !patch.role && !patch.password &&
        !patch.has_disabled)
        jsonx_check_fail(&check, "body", "names nothing to change");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    struct db_user u;
    int64_t retry = 0;
    rc = auth_user_update_audited(app->db, &app->limits, who, &actor.actor, id, &patch,
                                  time_now_ms(), &u, &retry);
    if (rc == SEAU_E_RATE_LIMITED)
        return api_reply_rate_limited(req, retry);
    if (rc == SEAU_E_CURRENT_PASSWORD)
        return http_reply_error(req, rc, NULL,
                                json_pack("{s:{s:s}}", "fields", "currentPassword", "is wrong"));
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc, "At least one enabled admin must remain.", NULL);
    if (rc)
        return rc;
    events_publish_user(app->events, who->user.email, who->user.id, u.id, u.email,
                        "changed the account");
    return http_reply_json(req, 200, json_pack("{s:o}", "user", api_user_json(&u)));
}

int api_users_delete(struct http_req *req)
{
    struct app *app = api_app(req);
    int64_t id;
    int rc = api_param_id(req, 0, &id);
    if (rc)
        return rc;
    struct api_actor actor;
    api_actor_init(&actor, req);
    rc = auth_user_delete_audited(app->db, &actor.actor, id, time_now_ms());
    if (rc == SEAU_E_CONFLICT)
        return http_reply_error(req, rc, "At least one enabled admin must remain.", NULL);
    if (rc)
        return rc;
    events_publish_user(app->events, actor.actor.email, actor.actor.user_id, id, NULL,
                        "deleted the account");
    return http_reply_empty(req, 204);
}

/* A grant as API.md shows it; "level" only when it allows less than everything ("full"). */
static json_t *grants_json(const struct db_grant *g, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        json_t *one = json_pack("{s:s, s:s}", "bucket", g[i].bucket, "prefix", g[i].prefix);
        enum auth_level l = auth_level_parse(g[i].level);
        if (one && l != AUTH_LEVEL_FULL)
            json_object_set_new(one, "level", json_string(auth_level_name(l)));
        json_array_append_new(list, one);
    }
    return json_pack("{s:o}", "grants", list);
}

int api_grants_get(struct http_req *req)
{
    struct app *app = api_app(req);
    int64_t id;
    int rc = api_param_id(req, 0, &id);
    if (rc)
        return rc;
    struct db_grant *g = NULL;
    size_t n = 0;
    rc = auth_grants_get(app->db, id, &g, &n);
    if (rc)
        return rc;
    json_t *out = grants_json(g, n);
    free(g);
    return http_reply_json(req, 200, out);
}

int api_grants_put(struct http_req *req)
{
    struct app *app = api_app(req);
    int64_t id;
    int rc = api_param_id(req, 0, &id);
    if (rc)
        return rc;
    /* Parsed here, not by HTTP_JSON_BODY: an id that is none is 404 first, whatever the body. */
    json_t *body;
    rc = http_req_json(req, &body);
    if (rc)
        return rc;
    struct jsonx_check check;
    jsonx_check_init(&check);
    static const char *const allowed[] = {"grants", NULL};
    jsonx_reject_unknown(&check, body, allowed);
    json_t *list = json_object_get(body, "grants");
    if (!json_is_array(list))
        jsonx_check_fail(&check, "grants", "must be a list of {bucket, prefix}");
    else if (json_array_size(list) > AUTH_MAX_GRANTS)
        jsonx_check_fail(&check, "grants", "must hold at most 256 entries");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);

    size_t n = json_array_size(list);
    struct db_grant *g = calloc(n ? n : 1, sizeof(*g));
    if (!g) {
        jsonx_check_done(&check);
        return SEAU_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(list, i);
        char field[48];
        snprintf(field, sizeof(field), "grants[%zu]", i);
        json_t *b = json_object_get(item, "bucket"), *p = json_object_get(item, "prefix");
        json_t *lv = json_object_get(item, "level");
        bool prefix_ok = !p || json_is_string(p) || json_is_null(p);
        if (json_is_object(item) && lv &&
            (!json_is_string(lv) || auth_level_parse(json_string_value(lv)) == AUTH_LEVEL_NONE ||
             !*json_string_value(lv))) {
            jsonx_check_fail(&check, field, "level must be \"read\", \"upload\" or \"full\"");
            continue;
        }
        if (!json_is_object(item) || !json_is_string(b) || !prefix_ok) {
            jsonx_check_fail(&check, field, "must be {\"bucket\": string, \"prefix\": string}");
            continue;
        }
        /* jansson refuses \u0000 while parsing, so these are whole C strings. */
        const char *bucket = json_string_value(b);
        const char *prefix = json_is_string(p) ? json_string_value(p) : "";
        const char *why = s3name_bucket_problem(bucket);
        if (!why)
            why = s3name_prefix_problem(prefix);
        if (why) {
            jsonx_check_fail(&check, field, why);
            continue;
        }
        snprintf(g[i].bucket, sizeof(g[i].bucket), "%s", bucket);
        snprintf(g[i].prefix, sizeof(g[i].prefix), "%s", prefix);
        snprintf(g[i].level, sizeof(g[i].level), "%s", lv ? json_string_value(lv) : "full");
    }
    if (!jsonx_check_ok(&check)) {
        free(g);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    struct api_actor actor;
    api_actor_init(&actor, req);
    rc = auth_grants_replace(app->db, &actor.actor, id, g, n, time_now_ms());
    free(g);
    if (rc)
        return rc;
    events_publish_user(app->events, actor.actor.email, actor.actor.user_id, id, NULL,
                        "changed the grants of the account");
    /* Answer with what was stored (duplicates collapse), as GET would show it. */
    return api_grants_get(req);
}
