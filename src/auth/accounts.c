#include "auth/accounts.h"

#include "auth/internal.h"
#include "auth/password.h"
#include "core/err.h"
#include "core/s3name.h"
#include "core/str.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *auth_email_problem(const char *email)
{
    size_t n = strlen(email);
    if (n < 3 || n > DB_EMAIL_MAX)
        return "must be an email address of at most 254 characters";
    if (!str_utf8_valid(email, n) || str_has_control(email, n) || strchr(email, ' '))
        return "must not contain spaces or control characters";
    const char *at = strchr(email, '@');
    if (!at || at == email || at[1] == '\0' || strchr(at + 1, '@'))
        return "must be an email address like name@example.com";
    return NULL;
}

const char *auth_name_problem(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > DB_NAME_MAX)
        return "must be 1 to 200 characters long";
    if (!str_utf8_valid(name, n) || str_has_control(name, n))
        return "must be text without control characters";
    return NULL;
}

void auth_email_normalize(char *email)
{
    for (char *p = email; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
}

/* Builds a JSON object text from a jansson value (taken); NULL on no memory. */
static char *details_text(json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    return s;
}

char *auth__details(void *obj)
{
    return details_text(obj);
}

/*
 * "pair:ADDRESS|email" and "ip:ADDRESS", the keys of the sign-in throttle
 * (internal.h). An address holds no '|', so a pair key names one pair.
 */
static void throttle_key(char *out, size_t n, const char *kind, const char *ip, const char *email)
{
    if (email)
        snprintf(out, n, "%s:%s|%s", kind, ip ? ip : "", email);
    else
        snprintf(out, n, "%s:%s", kind, ip ? ip : "");
}

#define THROTTLE_KEY_MAX (DB_EMAIL_MAX + DB_IP_MAX + 16)

/* Seconds until the window of t ends, at least 1. */
static int64_t retry_after(const struct db_throttle *t, int64_t window_ms, int64_t now)
{
    int64_t ms = t->window_start + window_ms - now;
    return ms <= 1000 ? 1 : (ms + 999) / 1000;
}

/* Returns SEAU_E_RATE_LIMITED when key has used up its failures in the current window. */
static int throttle_check(struct db *db, const char *key, int64_t max, int64_t window_ms,
                          int64_t now, int64_t *ret_retry)
{
    struct db_throttle t;
    int rc = db_throttle_get(db, key, &t);
    if (rc)
        return rc;
    if (t.failures >= max && t.window_start + window_ms > now) {
        *ret_retry = retry_after(&t, window_ms, now);
        return SEAU_E_RATE_LIMITED;
    }
    return 0;
}

int auth__throttle_check(struct db *db, const struct auth_limits *lim, const char *email,
                         const char *ip, int64_t now, int64_t *ret_retry_s)
{
    char pair_key[THROTTLE_KEY_MAX], ip_key[THROTTLE_KEY_MAX];
    throttle_key(pair_key, sizeof(pair_key), "pair", ip, email);
    throttle_key(ip_key, sizeof(ip_key), "ip", ip, NULL);
    int rc = throttle_check(db, ip_key, lim->max_failures_ip, lim->window_ms, now, ret_retry_s);
    if (rc == 0)
        rc = throttle_check(db, pair_key, lim->max_failures_account, lim->window_ms, now,
                            ret_retry_s);
    return rc;
}

void auth__throttle_fail(struct db *db, const struct auth_limits *lim, const char *email,
                         const char *ip, int64_t now)
{
    char pair_key[THROTTLE_KEY_MAX], ip_key[THROTTLE_KEY_MAX];
    throttle_key(pair_key, sizeof(pair_key), "pair", ip, email);
    throttle_key(ip_key, sizeof(ip_key), "ip", ip, NULL);
    struct db_throttle t;
    (void)db_throttle_fail(db, ip_key, now, lim->window_ms, &t);
    (void)db_throttle_fail(db, pair_key, now, lim->window_ms, &t);
}

void auth__throttle_clear(struct db *db, const char *email, const char *ip)
{
    char pair_key[THROTTLE_KEY_MAX];
    throttle_key(pair_key, sizeof(pair_key), "pair", ip, email);
    (void)db_throttle_clear(db, pair_key);
}

static void audit_login_failure(struct db *db, const struct audit_actor *from, const char *email,
                                const char *reason, int64_t user_id, int64_t now)
{
    char *details = details_text(json_pack("{s:s}", "reason", reason));
    struct audit_actor a = *from;
    a.user_id = user_id;
    a.email = email;
    struct db_audit_entry e;
    audit_entry_init(&e, &a, "auth.login", "failure", details, now);
    /*
     * A store failure here cannot be reported to anyone useful: the client
     * gets its 401 either way. The login itself changed nothing.
     */
    (void)db_audit_append(db, &e);
    free(details);
}

/* Right password, second factor on: a short-lived challenge instead of a session. */
static int start_challenge(struct db *db, const struct db_user *u, const struct audit_actor *from,
                           int64_t now, struct auth_login_result *res)
{
    unsigned char hash[DB_TOKEN_HASH_LEN];
    auth_token_new(res->mfa_token, hash);
    int rc = db_mfa_challenge_create(db, hash, u->id, now, now + AUTH_MFA_CHALLENGE_MS);
    if (rc == 0) {
        struct audit_actor a = *from;
        a.user_id = u->id;
        a.email = u->email;
        struct db_audit_entry e;
        audit_entry_init(&e, &a, "auth.mfa.challenge", "success", NULL, now);
        (void)db_audit_append(db, &e);
        res->mfa_required = true;
    }
    return rc;
}

int auth_login(struct db *db, const struct auth_limits *lim, const char *email_in,
               const char *password, const struct audit_actor *from, int64_t now,
               struct auth_login_result *ret, int64_t *ret_retry_after_s)
{
    char email[DB_EMAIL_MAX + 1];
    snprintf(email, sizeof(email), "%s", email_in);
    auth_email_normalize(email);

    int64_t retry = 0;
    int rc = auth__throttle_check(db, lim, email, from->ip, now, &retry);
    if (rc == SEAU_E_RATE_LIMITED) {
        audit_login_failure(db, from, email, "rate_limited", 0, now);
        *ret_retry_after_s = retry;
        return rc;
    }
    if (rc)
        return rc;

    struct db_user u;
    rc = db_user_get_by_email(db, email, &u);
    const char *reason = NULL;
    if (rc == SEAU_E_NOT_FOUND) {
        auth_password_verify_decoy(password);
        reason = "unknown_email";
        u.id = 0;
    } else if (rc) {
        return rc;
    } else if (!u.password_hash[0]) {
        /* Invited and not accepted yet: no password works, after the same work as one. */
        auth_password_verify_decoy(password);
        reason = "no_password";
    } else if (!auth_password_verify(u.password_hash, password)) {
        reason = "wrong_password";
    } else if (u.disabled) {
        reason = "disabled";
    }
    if (reason) {
        auth__throttle_fail(db, lim, email, from->ip, now);
        audit_login_failure(db, from, email, reason, u.id, now);
        return SEAU_E_INVALID_CREDENTIALS;
    }
    memset(u.password_hash, 0, sizeof(u.password_hash));

    struct auth_login_result res;
    memset(&res, 0, sizeof(res));
    if (u.mfa) {
        /* The pair's failures are forgotten only once the second factor is passed too. */
        rc = start_challenge(db, &u, from, now, &res);
        if (rc == 0) {
            res.user = u;
            *ret = res;
        }
        str_wipe(&res, sizeof(res));
        return rc;
    }
    rc = auth_session_start(db, &lim->session, &u, from, NULL, now, res.token, &res.expires_at);
    if (rc)
        return rc;
    auth__throttle_clear(db, email, from->ip);
    /* Housekeeping on a path that is rare and already slow (argon2id): drop dead sessions. */
    (void)db_session_purge(db, now - lim->session.idle_ms, now);
    u.last_login_at = now;
    res.user = u;
    res.mfa_enrolment_required = auth_mfa_enrolment_required(&lim->session, &u);
    *ret = res;
    str_wipe(&res, sizeof(res));
    return 0;
}

int auth_logout(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                int64_t now)
{
    struct db_audit_entry e;
    audit_entry_init(&e, from, "auth.logout", "success", NULL, now);
    int rc = db_session_delete(db, p->token_hash, &e);
    /* Already gone (a concurrent logout, or expiry purge): the goal is reached. */
    return rc == SEAU_E_NOT_FOUND ? 0 : rc;
}

static int user_create(struct db *db, const struct audit_actor *actor, const char *email_in,
                       const char *name, const char *password, enum auth_role role,
                       bool must_change, int64_t now, struct db_user *ret);

int auth_user_create(struct db *db, const struct audit_actor *actor, const char *email_in,
                     const char *name, const char *password, enum auth_role role, int64_t now,
                     struct db_user *ret)
{
    return user_create(db, actor, email_in, name, password, role, false, now, ret);
}

int auth_user_create_temporary(struct db *db, const struct audit_actor *actor, const char *email,
                               const char *name, const char *password, enum auth_role role,
                               bool must_change, int64_t now, struct db_user *ret)
{
    return user_create(db, actor, email, name, password, role, must_change, now, ret);
}

static int user_create(struct db *db, const struct audit_actor *actor, const char *email_in,
                       const char *name, const char *password, enum auth_role role,
                       bool must_change, int64_t now, struct db_user *ret)
{
    if (auth_email_problem(email_in) || auth_name_problem(name) ||
        auth_password_problem(password) || role == AUTH_ROLE_NONE)
        return SEAU_E_VALIDATION;
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "%s", email_in);
    auth_email_normalize(u.email);
    snprintf(u.name, sizeof(u.name), "%s", name);
    snprintf(u.role, sizeof(u.role), "%s", auth_role_name(role));
    u.created_at = now;
    u.must_change_password = must_change;
    int rc = auth_password_hash(password, u.password_hash);
    if (rc)
        return rc;
    char *details = details_text(json_pack("{s:s, s:s}", "email", u.email, "role", u.role));
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "user.create", "success", details, now);
    e.key = NULL;
    rc = db_user_insert(db, &u, &e);
    free(details);
    str_wipe(u.password_hash, sizeof(u.password_hash));
    if (rc)
        return rc;
    *ret = u;
    return 0;
}

/* Records a refused change, so the activity log shows attempts as well as changes. */
static void audit_refusal(struct db *db, const struct audit_actor *actor, const char *action,
                          int64_t target, int err, int64_t now)
{
    json_t *d = json_pack("{s:I, s:s}", "targetId", (json_int_t)target, "error", err_api_code(err));
    char *details = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    struct db_audit_entry e;
    audit_entry_init(&e, actor, action, "failure", details, now);
    (void)db_audit_append(db, &e);
    free(details);
}

int auth_user_update_allowed(struct db *db, const struct auth_principal *who,
                             const struct audit_actor *actor, int64_t target_id, int64_t now)
{
    if (who->role == AUTH_ROLE_ADMIN || target_id == who->user.id)
        return 0;
    audit_refusal(db, actor, "user.update", target_id, SEAU_E_FORBIDDEN, now);
    return SEAU_E_FORBIDDEN;
}

int auth_user_update(struct db *db, const struct auth_limits *lim, const struct auth_principal *who,
                     const struct audit_actor *actor, int64_t target_id,
                     const struct auth_user_patch *patch, int64_t now, struct db_user *ret,
                     int64_t *ret_retry_after_s)
{
    bool self = who->user.id == target_id;
    bool admin = who->role == AUTH_ROLE_ADMIN;
    if (!admin && !self)
        return SEAU_E_FORBIDDEN;
    if (!admin && (patch->role || patch->has_disabled))
        return SEAU_E_FORBIDDEN;
    struct db_user u;
    int rc = db_user_get(db, target_id, &u);
    if (rc)
        return rc;
    enum auth_role role = patch->role ? auth_role_parse(patch->role) : AUTH_ROLE_NONE;
    if ((patch->name && auth_name_problem(patch->name)) ||
        (patch->password && auth_password_problem(patch->password)) ||
        (patch->role && role == AUTH_ROLE_NONE))
        return SEAU_E_VALIDATION;

    enum db_revoke revoke = DB_REVOKE_NONE;
    if (patch->password && self) {
        /* A stolen session alone must not be enough to take over the account. */
        int64_t retry = 0;
        rc = auth__throttle_check(db, lim, u.email, actor->ip, now, &retry);
        if (rc == SEAU_E_RATE_LIMITED)
            *ret_retry_after_s = retry;
        if (rc)
            return rc;
        if (!patch->current_password ||
            !auth_password_verify(u.password_hash, patch->current_password)) {
            auth__throttle_fail(db, lim, u.email, actor->ip, now);
            return SEAU_E_CURRENT_PASSWORD;
        }
        revoke = DB_REVOKE_OTHERS;
        /* Chosen by the person: the admin-set password it replaces is gone. */
        u.must_change_password = false;
    } else if (patch->password) {
        revoke = DB_REVOKE_ALL;
        /* Chosen by an admin for someone else: that person must choose their own. */
        u.must_change_password = lim->force_password_change;
    }

    json_t *changed = json_array();
    if (patch->name) {
        snprintf(u.name, sizeof(u.name), "%s", patch->name);
        json_array_append_new(changed, json_string("name"));
    }
    if (patch->role) {
        snprintf(u.role, sizeof(u.role), "%s", auth_role_name(role));
        json_array_append_new(changed, json_string("role"));
    }
    if (patch->has_disabled) {
        u.disabled = patch->disabled;
        if (u.disabled)
            revoke = DB_REVOKE_ALL;
        json_array_append_new(changed, json_string("disabled"));
    }
    if (patch->password) {
        rc = auth_password_hash(patch->password, u.password_hash);
        if (rc) {
            json_decref(changed);
            return rc;
        }
        json_array_append_new(changed, json_string("password"));
    }
    char *details = details_text(json_pack("{s:I, s:s, s:s, s:b, s:o}", "targetId",
                                           (json_int_t)u.id, "targetEmail", u.email, "role", u.role,
                                           "disabled", u.disabled, "changed", changed));
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "user.update", "success", details, now);
    rc = db_user_update(db, &u, revoke, who->token_hash, &e);
    free(details);
    str_wipe(u.password_hash, sizeof(u.password_hash));
    if (rc)
        return rc;
    *ret = u;
    return 0;
}

int auth_user_update_audited(struct db *db, const struct auth_limits *lim,
                             const struct auth_principal *who, const struct audit_actor *actor,
                             int64_t target_id, const struct auth_user_patch *patch, int64_t now,
                             struct db_user *ret, int64_t *ret_retry_after_s)
{
    int rc = auth_user_update(db, lim, who, actor, target_id, patch, now, ret, ret_retry_after_s);
    if (rc == SEAU_E_FORBIDDEN || rc == SEAU_E_CONFLICT || rc == SEAU_E_CURRENT_PASSWORD)
        audit_refusal(db, actor, "user.update", target_id, rc, now);
    return rc;
}

int auth_user_delete_audited(struct db *db, const struct audit_actor *actor, int64_t target_id,
                             int64_t now)
{
    int rc = auth_user_delete(db, actor, target_id, now);
    if (rc == SEAU_E_CONFLICT)
        audit_refusal(db, actor, "user.delete", target_id, rc, now);
    return rc;
}

int auth_user_delete(struct db *db, const struct audit_actor *actor, int64_t target_id, int64_t now)
{
    struct db_user u;
    int rc = db_user_get(db, target_id, &u);
    if (rc)
        return rc;
    char *details = details_text(json_pack("{s:I, s:s, s:s}", "targetId", (json_int_t)u.id,
                                           "targetEmail", u.email, "role", u.role));
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "user.delete", "success", details, now);
    rc = db_user_delete(db, target_id, &e);
    free(details);
    return rc;
}

int auth_grants_replace(struct db *db, const struct audit_actor *actor, int64_t target_id,
                        const struct db_grant *grants, size_t n, int64_t now)
{
    if (n > AUTH_MAX_GRANTS)
        return SEAU_E_VALIDATION;
    for (size_t i = 0; i < n; i++)
        if (s3name_bucket_problem(grants[i].bucket) || s3name_prefix_problem(grants[i].prefix) ||
            auth_level_parse(grants[i].level) == AUTH_LEVEL_NONE)
            return SEAU_E_VALIDATION;
    struct db_user u;
    int rc = db_user_get(db, target_id, &u);
    if (rc)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *one =
            json_pack("{s:s, s:s}", "bucket", grants[i].bucket, "prefix", grants[i].prefix);
        enum auth_level l = auth_level_parse(grants[i].level);
        if (one && l != AUTH_LEVEL_FULL)
            json_object_set_new(one, "level", json_string(auth_level_name(l)));
        json_array_append_new(list, one);
    }
    char *details = details_text(json_pack("{s:I, s:s, s:o}", "targetId", (json_int_t)u.id,
                                           "targetEmail", u.email, "grants", list));
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "grants.update", "success", details, now);
    rc = db_grants_set(db, target_id, grants, n, &e);
    free(details);
    return rc;
}

int auth_user_list(struct db *db, struct db_user **ret, size_t *ret_n)
{
    return db_user_list(db, ret, ret_n);
}

int auth_grants_get(struct db *db, int64_t target_id, struct db_grant **ret, size_t *ret_n)
{
    struct db_user u;
    int rc = db_user_get(db, target_id, &u);
    if (rc == 0)
        rc = db_grants_get(db, target_id, ret, ret_n);
    return rc;
}
