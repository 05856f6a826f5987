/*
 * Sessions: random 256-bit tokens, given to the client once and stored
 * only as their SHA-256, with an idle and an absolute expiry. The same token
 * works as the seau_session cookie and as a Bearer token.
 */
#ifndef SEAU_AUTH_SESSION_H
#define SEAU_AUTH_SESSION_H

#include "auth/policy.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

#define AUTH_TOKEN_LEN 43 /* base64url, no padding, of 32 random bytes */
#define AUTH_COOKIE_NAME "seau_session"

struct auth_session_cfg {
    int64_t idle_ms;
    int64_t max_age_ms;
    /*
     * SEAU_MFA_REQUIRED: bit (1u << role) set for each role that must have a
     * second factor. Such an account without one gets sessions that may only
     * enrol (auth_principal.mfa_enrolment_required).
     */
    unsigned mfa_required_roles;
};

#define AUTH_PAT_PREFIX "seau_" /* personal access tokens start with it (auth/tokens.h) */

/* The signed-in caller of a request. */
struct auth_principal {
    struct db_user user;
    enum auth_role role;
    unsigned char token_hash[DB_TOKEN_HASH_LEN];
    struct db_session session; /* zeroed when signed in with a personal access token */
    /* SEAU_MFA_REQUIRED applies and no second factor is on: only /api/auth/ routes. */
    bool mfa_enrolment_required;
    bool via_pat; /* a personal access token, not a session */
    char pat_id[DB_PAT_ID_MAX + 1];
};

/* Whether cfg requires a second factor of u that u does not have yet. */
bool auth_mfa_enrolment_required(const struct auth_session_cfg *cfg, const struct db_user *u);

/* Writes a new random token (AUTH_TOKEN_LEN chars + NUL) and its hash. */
void auth_token_new(char token[AUTH_TOKEN_LEN + 1], unsigned char hash[DB_TOKEN_HASH_LEN]);

/*
 * Hashes a token a client presented. Returns 0, or SEAU_E_UNAUTHORIZED when
 * it does not even look like one of ours (no database lookup is wasted).
 */
int auth_token_hash(const char *token, unsigned char hash[DB_TOKEN_HASH_LEN]);

/*
 * Finds the live session for token at time now and its user. Refreshes
 * the idle timer at most once a minute, to keep reads from becoming writes.
 * Returns 0, SEAU_E_UNAUTHORIZED for a missing, expired or disabled
 * account's session, or SEAU_E_DB.
 */
int auth_session_authenticate(struct db *db, const struct auth_session_cfg *cfg,
                              const char *token, int64_t now, struct auth_principal *ret);

/* Where a session is started from (recorded with it, shown in the sessions list). */
struct audit_actor;

/* A new session's public id (random), and the address and user agent it comes from. */
void auth_session_describe(struct db_session *s, const struct audit_actor *from);

/*
 * Starts a session for u (already authenticated by its factors) with the
 * "auth.login" audit entry from `from` (details: a JSON object text or
 * NULL). Writes the token (a secret: wipe it) and the expiry. Returns 0 or
 * a store error.
 */
int auth_session_start(struct db *db, const struct auth_session_cfg *cfg, const struct db_user *u,
                       const struct audit_actor *from, const char *details, int64_t now,
                       char ret_token[AUTH_TOKEN_LEN + 1], int64_t *ret_expires_at);

/*
 * The caller's live sessions, newest first, in a new array (free()).
 * Returns 0 or SEAU_E_DB.
 */
int auth_sessions_list(struct db *db, const struct auth_session_cfg *cfg,
                       const struct auth_principal *p, int64_t now, struct db_session **ret,
                       size_t *ret_n);

/*
 * Ends one of the caller's sessions by its public id ("auth.session.end"
 * audited). Returns 0, or SEAU_E_NOT_FOUND when the caller has none such.
 */
int auth_session_end(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                     const char *id, int64_t now);

/* Ends all the caller's sessions but the current one ("auth.session.end_others" audited). */
int auth_sessions_end_others(struct db *db, const struct auth_principal *p,
                             const struct audit_actor *from, int64_t now, int64_t *ret_n);

#endif
