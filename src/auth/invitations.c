#include "auth/invitations.h"

#include "auth/internal.h"
#include "auth/password.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The throttle's "account" for invitation links: failures count per address. */
#define INVITE_THROTTLE_KEY "(invitation)"

/* Makes a link for u, invalidating its earlier ones, with the audit entry of action. */
static int issue(struct db *db, const struct audit_actor *actor, const struct db_user *u,
                 const char *action, int64_t ttl_ms, int64_t now, struct auth_invitation *ret)
{
    struct db_invitation inv;
    memset(&inv, 0, sizeof(inv));
    struct auth_invitation out;
    memset(&out, 0, sizeof(out));
    auth_token_new(out.token, inv.token_hash);
    inv.user_id = u->id;
    inv.created_by = actor->user_id;
    inv.created_at = now;
    inv.expires_at = out.expires_at = now + ttl_ms;
    char expires[TIME_RFC3339_LEN];
    time_rfc3339(inv.expires_at, expires);
    char *details = auth__details(json_pack("{s:I, s:s, s:s}", "targetId", (json_int_t)u->id,
                                            "targetEmail", u->email, "expiresAt", expires));
    struct db_audit_entry e;
    audit_entry_init(&e, actor, action, "success", details, now);
    int rc = db_invitation_put(db, &inv, &e);
    free(details);
    if (rc == 0)
        *ret = out;
    str_wipe(&out, sizeof(out));
    return rc;
}

int auth_invite_user(struct db *db, const struct audit_actor *actor, const char *email,
                     const char *name, enum auth_role role, int64_t ttl_ms, int64_t now,
                     struct db_user *ret_u, struct auth_invitation *ret_inv)
{
    if (!email || !name || auth_email_problem(email) || auth_name_problem(name) ||
        role == AUTH_ROLE_NONE || ttl_ms <= 0)
        return SEAU_E_VALIDATION;
    struct db_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.email, sizeof(u.email), "%s", email);
    auth_email_normalize(u.email);
    snprintf(u.name, sizeof(u.name), "%s", name);
    snprintf(u.role, sizeof(u.role), "%s", auth_role_name(role));
    u.created_at = now;
    /* No usable password until the link is taken: "" never verifies (auth_login). */
    u.password_hash[0] = '\0';
    char *details =
        auth__details(json_pack("{s:s, s:s, s:b}", "email", u.email, "role", u.role, "invited", 1));
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "user.create", "success", details, now);
    int rc = db_user_insert(db, &u, &e);
    free(details);
    /*
     * Two transactions: should the second fail, the account exists without
     * a link, and POST /api/users/{id}/invitation makes one.
     */
    if (rc == 0)
        rc = issue(db, actor, &u, "user.invitation_created", ttl_ms, now, ret_inv);
    if (rc == 0)
        *ret_u = u;
    return rc;
}

int auth_invitation_reissue(struct db *db, const struct audit_actor *actor, int64_t user_id,
                            int64_t ttl_ms, int64_t now, struct db_user *ret_u,
                            struct auth_invitation *ret_inv)
{
    if (ttl_ms <= 0)
        return SEAU_E_VALIDATION;
    struct db_user u;
    int rc = db_user_get(db, user_id, &u);
    if (rc)
        return rc;
    if (u.password_hash[0] || u.provider[0])
        rc = SEAU_E_CONFLICT;
    str_wipe(u.password_hash, sizeof(u.password_hash));
    if (rc == 0)
        rc = issue(db, actor, &u, "user.invitation_resent", ttl_ms, now, ret_inv);
    if (rc == 0)
        *ret_u = u;
    return rc;
}

/* The live invitation of token, or SEAU_E_INVALID_INVITATION (counted) / SEAU_E_RATE_LIMITED. */
static int find(struct db *db, const struct auth_limits *lim, const char *token,
                const struct audit_actor *from, int64_t now, unsigned char hash[DB_TOKEN_HASH_LEN],
                struct db_invitation *inv, struct db_user *u, int64_t *ret_retry)
{
    int64_t retry = 0;
    int rc = auth__throttle_check(db, lim, INVITE_THROTTLE_KEY, from->ip, now, &retry);
    if (rc == SEAU_E_RATE_LIMITED)
        *ret_retry = retry;
    if (rc)
        return rc;
    /*
     * The store finds the row by the token's SHA-256 (an index lookup): the
     * time it takes tells nothing about the token itself, only about a hash
     * no one can invert.
     */
    rc = auth_token_hash(token, hash) ? SEAU_E_NOT_FOUND : 0;
    if (rc == 0)
        rc = db_invitation_get(db, hash, now, inv, u);
    if (rc == SEAU_E_NOT_FOUND) {
        auth__throttle_fail(db, lim, INVITE_THROTTLE_KEY, from->ip, now);
        return SEAU_E_INVALID_INVITATION;
    }
    return rc;
}

int auth_invitation_lookup(struct db *db, const struct auth_limits *lim, const char *token,
                           const struct audit_actor *from, int64_t now, struct db_user *ret_u,
                           int64_t *ret_expires_at, int64_t *ret_retry_after_s)
{
    unsigned char hash[DB_TOKEN_HASH_LEN];
    struct db_invitation inv;
    struct db_user u;
    int rc = find(db, lim, token, from, now, hash, &inv, &u, ret_retry_after_s);
    if (rc == 0) {
        str_wipe(u.password_hash, sizeof(u.password_hash));
        *ret_u = u;
        *ret_expires_at = inv.expires_at;
    }
    return rc;
}

int auth_invitation_accept(struct db *db, const struct auth_limits *lim, const char *token,
                           const char *password, const struct audit_actor *from, int64_t now,
                           struct auth_login_result *ret, int64_t *ret_retry_after_s)
{
    if (!password || auth_password_problem(password))
        return SEAU_E_VALIDATION;
    unsigned char hash[DB_TOKEN_HASH_LEN];
    struct db_invitation inv;
    struct db_user u;
    int rc = find(db, lim, token, from, now, hash, &inv, &u, ret_retry_after_s);
    if (rc)
        return rc;
    char pw_hash[DB_HASH_MAX + 1];
    rc = auth_password_hash(password, pw_hash);
    if (rc)
        return rc;
    struct audit_actor a = *from;
    a.user_id = u.id;
    a.email = u.email;
    char *details = auth__details(
        json_pack("{s:I, s:s}", "targetId", (json_int_t)u.id, "targetEmail", u.email));
    struct db_audit_entry e;
    audit_entry_init(&e, &a, "user.invitation_accepted", "success", details, now);
    /* Taken by someone else (another replica) since find(): the same answer as unknown. */
    rc = db_invitation_accept(db, hash, now, pw_hash, &e, &u);
    free(details);
    str_wipe(pw_hash, sizeof(pw_hash));
    if (rc == SEAU_E_NOT_FOUND)
        return SEAU_E_INVALID_INVITATION;
    if (rc)
        return rc;
    str_wipe(u.password_hash, sizeof(u.password_hash));

    struct auth_login_result res;
    memset(&res, 0, sizeof(res));
    char *login_details = auth__details(json_pack("{s:s}", "via", "invitation"));
    rc = auth_session_start(db, &lim->session, &u, from, login_details, now, res.token,
                            &res.expires_at);
    free(login_details);
    if (rc == 0) {
        u.last_login_at = now;
        res.user = u;
        res.mfa_enrolment_required = auth_mfa_enrolment_required(&lim->session, &u);
        *ret = res;
    }
    str_wipe(&res, sizeof(res));
    return rc;
}

char *auth_invitation_mail_body(const struct db_user *u, const char *url, int64_t expires_at)
{
    char expires[TIME_RFC3339_LEN];
    time_rfc3339(expires_at, expires);
    struct buf b;
    buf_init(&b, 16 * 1024);
    int rc = buf_printf(&b,
                        "Hello %s,\n\n"
                        "An account was made for you on Seau (%s).\n"
                        "Open this link to choose your password and sign in:\n\n"
                        "%s\n\n"
                        "The link works once, until %s (UTC).\n\n"
                        "-- \n\n"
                        "Bonjour %s,\n\n"
                        "Un compte a été créé pour vous sur Seau (%s).\n"
                        "Ouvrez ce lien pour choisir votre mot de passe et vous connecter :\n\n"
                        "%s\n\n"
                        "Le lien ne sert qu'une fois, jusqu'au %s (UTC).\n",
                        u->name, u->email, url, expires, u->name, u->email, url, expires);
    if (rc) {
        buf_done(&b);
        return NULL;
    }
    return buf_take(&b);
}
