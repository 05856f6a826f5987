/*
 * The account service: sign-in and sign-out, users and their grants.
 *
 * Every function here validates its inputs (the API layer may have done so
 * already to report field errors), enforces the rules of API.md's
 * "Authentication and users", and records an audit entry in the same
 * transaction as the change. Nothing here logs or knows about HTTP.
 */
#ifndef SEAU_AUTH_ACCOUNTS_H
#define SEAU_AUTH_ACCOUNTS_H

#include "audit/audit.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

#define AUTH_MAX_GRANTS 256

struct auth_limits {
    int64_t max_failures_account;
    int64_t max_failures_ip;
    int64_t window_ms;
    struct auth_session_cfg session;
    /* SEAU_FORCE_PASSWORD_CHANGE: a password an admin sets for someone else is temporary. */
    bool force_password_change;
};

/* NULL when acceptable, else why not (a sentence fragment for the field). */
const char *auth_email_problem(const char *email);
const char *auth_name_problem(const char *name);

/* Lower-cases ASCII letters of an email in place: addresses are compared case-insensitively. */
void auth_email_normalize(char *email);

struct auth_login_result {
    char token[AUTH_TOKEN_LEN + 1]; /* secret: wipe after use; "" when mfa_required */
    struct db_user user;
    int64_t expires_at;
    /* The account has a second factor: no session yet, mfa_token for POST /api/auth/mfa. */
    bool mfa_required;
    char mfa_token[AUTH_TOKEN_LEN + 1]; /* secret */
    /* SEAU_MFA_REQUIRED applies and no factor is on: the session may only enrol. */
    bool mfa_enrolment_required;
};

/* How long the second step of a sign-in may wait after the password. */
#define AUTH_MFA_CHALLENGE_MS (5 * 60 * 1000)

/*
 * Signs in. Returns 0 with a new session (or, for an account with a second
 * factor, ret->mfa_required and a challenge token instead),
 * SEAU_E_INVALID_CREDENTIALS (the same for an unknown email, a wrong
 * password or a disabled account, after the same work), or
 * SEAU_E_RATE_LIMITED with *ret_retry_after_s set. Failures count per
 * (account, address) pair and per address (auth/internal.h).
 */
int auth_login(struct db *db, const struct auth_limits *lim, const char *email,
               const char *password, const struct audit_actor *from, int64_t now,
               struct auth_login_result *ret, int64_t *ret_retry_after_s);

/* Ends the caller's session. */
int auth_logout(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                int64_t now);

/*
 * Creates an account. actor may have user_id 0 (the command line, or the
 * first admin at start-up). Returns 0, SEAU_E_VALIDATION, or
 * SEAU_E_CONFLICT when the email is taken.
 */
int auth_user_create(struct db *db, const struct audit_actor *actor, const char *email,
                     const char *name, const char *password, enum auth_role role, int64_t now,
                     struct db_user *ret);

/*
 * auth_user_create by an admin for someone else: with must_change (the
 * SEAU_FORCE_PASSWORD_CHANGE setting), the person's sessions may only change
 * the password until they do (api/middleware.c, password_change_required).
 */
int auth_user_create_temporary(struct db *db, const struct audit_actor *actor, const char *email,
                               const char *name, const char *password, enum auth_role role,
                               bool must_change, int64_t now, struct db_user *ret);

/* A partial update; NULL / has_* false leave a field as it is. */
struct auth_user_patch {
    const char *name;
    const char *role;
    const char *password;
    const char *current_password;
    bool has_disabled;
    bool disabled;
};

/*
 * Applies patch to account target_id on behalf of who (see API.md: admins
 * change anything; everyone may change their own name and password, giving
 * the current password). Returns 0 with the updated account,
 * SEAU_E_NOT_FOUND, SEAU_E_FORBIDDEN, SEAU_E_VALIDATION, SEAU_E_CURRENT_PASSWORD
 * (missing or wrong), SEAU_E_RATE_LIMITED (too many wrong current passwords;
 * *ret_retry_after_s set), or SEAU_E_CONFLICT when no enabled admin would remain.
 */
int auth_user_update(struct db *db, const struct auth_limits *lim, const struct auth_principal *who,
                     const struct audit_actor *actor, int64_t target_id,
                     const struct auth_user_patch *patch, int64_t now, struct db_user *ret,
                     int64_t *ret_retry_after_s);
/*
 * auth_user_update for the API: a refusal (forbidden, conflict, wrong
 * current password) is also recorded in the audit log as a user.update
 * failure, so the activity log shows attempts as well as changes.
 */
int auth_user_update_audited(struct db *db, const struct auth_limits *lim,
                             const struct auth_principal *who, const struct audit_actor *actor,
                             int64_t target_id, const struct auth_user_patch *patch, int64_t now,
                             struct db_user *ret, int64_t *ret_retry_after_s);

/*
 * Whether who may change account target_id at all (admins: any; others:
 * their own), decided before the request's body is read so that the answer
 * does not depend on it. Returns 0, or SEAU_E_FORBIDDEN after recording the
 * refusal in the audit log.
 */
int auth_user_update_allowed(struct db *db, const struct auth_principal *who,
                             const struct audit_actor *actor, int64_t target_id, int64_t now);

/* Deletes an account with its sessions and grants; SEAU_E_CONFLICT for the last admin. */
int auth_user_delete(struct db *db, const struct audit_actor *actor, int64_t target_id,
                     int64_t now);
/* auth_user_delete for the API: the last-admin refusal is also recorded (user.delete failure). */
int auth_user_delete_audited(struct db *db, const struct audit_actor *actor, int64_t target_id,
                             int64_t now);

/* Every account, for the users list; release *ret with free(). Returns 0 or SEAU_E_DB. */
int auth_user_list(struct db *db, struct db_user **ret, size_t *ret_n);

/*
 * An account's grants (release *ret with free()). Returns 0,
 * SEAU_E_NOT_FOUND when there is no such account, or SEAU_E_DB.
 */
int auth_grants_get(struct db *db, int64_t target_id, struct db_grant **ret, size_t *ret_n);

/* Replaces an account's grants. */
int auth_grants_replace(struct db *db, const struct audit_actor *actor, int64_t target_id,
                        const struct db_grant *grants, size_t n, int64_t now);

#endif
