/*
 * Invitations: an admin invites a person by email; the account is created
 * without a usable password and a one-time link (a random 256-bit token,
 * stored only as its SHA-256, like sessions) lets the person choose their
 * own password and signs them in. A link works once, until it expires
 * (SEAU_INVITE_TTL); issuing a new one for the account invalidates the old.
 * Unknown, used and expired links all answer SEAU_E_INVALID_INVITATION
 * alike, and every such answer counts as a failure of the sign-in throttle
 * for the client's address (auth/internal.h), so links cannot be guessed
 * faster than passwords.
 *
 * Audit actions: user.create (details.invited), user.invitation_created,
 * user.invitation_resent, user.invitation_accepted, then auth.login.
 */
#ifndef SEAU_AUTH_INVITATIONS_H
#define SEAU_AUTH_INVITATIONS_H

#include "auth/accounts.h"

/* A link just made: the token is a secret, shown once (wipe it). */
struct auth_invitation {
    char token[AUTH_TOKEN_LEN + 1];
    int64_t expires_at;
};

/*
 * Creates the account (role, name, email; no usable password) and its first
 * link, valid ttl_ms. Returns 0, SEAU_E_VALIDATION, or SEAU_E_CONFLICT when
 * the email is taken.
 */
int auth_invite_user(struct db *db, const struct audit_actor *actor, const char *email,
                     const char *name, enum auth_role role, int64_t ttl_ms, int64_t now,
                     struct db_user *ret_u, struct auth_invitation *ret_inv);

/*
 * A fresh link for account user_id, invalidating its previous ones
 * (user.invitation_resent). Returns 0, SEAU_E_NOT_FOUND, or SEAU_E_CONFLICT
 * when the account already has a password or signs in with an identity
 * provider (an invitation only ever sets a first password).
 */
int auth_invitation_reissue(struct db *db, const struct audit_actor *actor, int64_t user_id,
                            int64_t ttl_ms, int64_t now, struct db_user *ret_u,
                            struct auth_invitation *ret_inv);

/*
 * What the link's page shows: the account while the link works. Returns 0,
 * SEAU_E_INVALID_INVITATION (unknown, used, expired, or not even shaped like
 * a token; counted by the throttle), or SEAU_E_RATE_LIMITED with
 * *ret_retry_after_s.
 */
int auth_invitation_lookup(struct db *db, const struct auth_limits *lim, const char *token,
                           const struct audit_actor *from, int64_t now, struct db_user *ret_u,
                           int64_t *ret_expires_at, int64_t *ret_retry_after_s);

/*
 * Takes the link: sets password (the policy of auth/password.h), marks the
 * link used, audits user.invitation_accepted and signs the person in (a new
 * session, as auth_login). Returns 0 with the result, SEAU_E_VALIDATION
 * (the password), SEAU_E_INVALID_INVITATION, or SEAU_E_RATE_LIMITED.
 */
int auth_invitation_accept(struct db *db, const struct auth_limits *lim, const char *token,
                           const char *password, const struct audit_actor *from, int64_t now,
                           struct auth_login_result *ret, int64_t *ret_retry_after_s);

/*
 * The invitation mail's subject and body (English, then French) for the
 * account u and the link url, in a new string (free()); NULL when out of
 * memory. The subject is AUTH_INVITATION_SUBJECT.
 */
#define AUTH_INVITATION_SUBJECT "Your Seau account / Votre compte Seau"
char *auth_invitation_mail_body(const struct db_user *u, const char *url, int64_t expires_at);

#endif
