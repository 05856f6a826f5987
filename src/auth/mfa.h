/*
 * Second factors: TOTP enrolment (set-up, confirmation with ten recovery
 * codes), the second step of a sign-in, and turning MFA off (one's own,
 * with a code; anyone's, by an admin). Every change and every failed code
 * is audited; codes never appear in the audit log, nor does the secret.
 *
 * The secret is stored as it is (a TOTP check needs it; it cannot be
 * hashed) in the store only, is shown once at set-up and never again, and
 * is wiped from memory after use. Recovery codes are stored as SHA-256
 * hashes (80 random bits each, so a hash gives nothing away) and work once.
 */
#ifndef SEAU_AUTH_MFA_H
#define SEAU_AUTH_MFA_H

#include "auth/accounts.h"
#include "auth/totp.h"

#define AUTH_MFA_RECOVERY_CODES    10
#define AUTH_MFA_RECOVERY_CODE_LEN 19 /* XXXX-XXXX-XXXX-XXXX: 16 base32 characters */
#define AUTH_MFA_URL_MAX           (2 * DB_EMAIL_MAX + 256)

struct auth_mfa_setup_result {
    char secret[AUTH_TOTP_SECRET_LEN * 2]; /* base32; a secret: wipe after use */
    char otpauth_url[AUTH_MFA_URL_MAX];    /* holds the secret too */
};

/*
 * Starts (or restarts) the caller's enrolment with a new secret. Returns 0,
 * SEAU_E_CONFLICT when a confirmed factor is on already, or
 * SEAU_E_FORBIDDEN for a personal access token.
 */
int auth_mfa_setup(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                   int64_t now, struct auth_mfa_setup_result *ret);

/*
 * Confirms the enrolment with a current code and returns ten new recovery
 * codes (shown once). Returns 0, SEAU_E_INVALID_CODE (counted like a wrong
 * password), SEAU_E_RATE_LIMITED (*ret_retry_s set), SEAU_E_CONFLICT (no
 * set-up pending, or confirmed already), or SEAU_E_FORBIDDEN for a token.
 */
int auth_mfa_confirm(struct db *db, const struct auth_limits *lim, const struct auth_principal *p,
                     const struct audit_actor *from, const char *code, int64_t now,
                     char ret_codes[AUTH_MFA_RECOVERY_CODES][AUTH_MFA_RECOVERY_CODE_LEN + 1],
                     int64_t *ret_retry_s);

/*
 * The second step of a sign-in: mfa_token from auth_login and a TOTP code
 * or an unused recovery code. Returns 0 with a session in *ret (as
 * auth_login), SEAU_E_UNAUTHORIZED when the challenge is unknown or
 * expired, SEAU_E_INVALID_CODE (wrong, replayed or used code: counted on
 * the (account, address) pair and the address), or SEAU_E_RATE_LIMITED.
 */
int auth_mfa_login(struct db *db, const struct auth_limits *lim, const char *mfa_token,
                   const char *code, const struct audit_actor *from, int64_t now,
                   struct auth_login_result *ret, int64_t *ret_retry_s);

/*
 * Turns the caller's second factor off, proven by a code (TOTP or
 * recovery). Returns 0, SEAU_E_INVALID_CODE, SEAU_E_RATE_LIMITED,
 * SEAU_E_NOT_FOUND (no factor), or SEAU_E_FORBIDDEN for a token.
 */
int auth_mfa_disable(struct db *db, const struct auth_limits *lim, const struct auth_principal *p,
                     const struct audit_actor *from, const char *code, int64_t now,
                     int64_t *ret_retry_s);

/*
 * An admin resets another account's second factor ("mfa.reset"). Returns
 * 0 (also when it had none), or SEAU_E_NOT_FOUND when there is no account.
 */
int auth_mfa_reset(struct db *db, const struct audit_actor *from, int64_t target_id, int64_t now);

/* How many unused recovery codes the caller has left. */
int auth_mfa_recovery_left(struct db *db, const struct auth_principal *p, int64_t *ret);

/*
 * A recovery code in its canonical form (16 base32 characters, upper
 * case, without separators) into out (17 bytes). False when it is not one.
 */
bool auth_mfa_recovery_normalize(const char *in, char out[17]);

#endif
