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
};

/* The signed-in caller of a request. */
struct auth_principal {
    struct db_user user;
    enum auth_role role;
    unsigned char token_hash[DB_TOKEN_HASH_LEN];
    struct db_session session;
};

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

#endif
