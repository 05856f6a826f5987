/*
 * Personal access tokens: for scripts, used as "Authorization: Bearer",
 * acting with their owner's rights at the time of each request (the role
 * and grants are read afresh, as for a session). A token is "seau_" and 43
 * base64url characters (256 random bits), shown once at creation and
 * stored only as its SHA-256; a request's token is looked up by that hash
 * and the hash compared again in constant time. Tokens are listed with
 * their last use, revocable, audited, and die with their owner (a foreign
 * key cascade). A token cannot create tokens nor change second factors:
 * those need a signed-in person.
 */
#ifndef SEAU_AUTH_TOKENS_H
#define SEAU_AUTH_TOKENS_H

#include "auth/session.h"
#include "audit/audit.h"

#define AUTH_PAT_LEN          (sizeof(AUTH_PAT_PREFIX) - 1 + AUTH_TOKEN_LEN)
#define AUTH_PAT_MAX_PER_USER 50
#define AUTH_PAT_NAME_MAX     100
#define AUTH_PAT_MAX_EXPIRY_S (366LL * 24 * 3600)

/*
 * Creates a token named name for the caller, expiring expires_in_s seconds
 * from now (0: never). Returns 0 with the token (a secret: wipe it) and its
 * row, SEAU_E_VALIDATION (name or expiry), SEAU_E_CONFLICT (too many
 * tokens), or SEAU_E_FORBIDDEN when the caller is itself a token.
 */
int auth_pat_create(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                    const char *name, int64_t expires_in_s, int64_t now,
                    char ret_token[AUTH_PAT_LEN + 1], struct db_pat *ret);

/* The caller's tokens, newest first, in a new array (free()). */
int auth_pat_list(struct db *db, const struct auth_principal *p, struct db_pat **ret,
                  size_t *ret_n);

/* Revokes one of the caller's tokens; SEAU_E_NOT_FOUND when the caller has none such. */
int auth_pat_revoke(struct db *db, const struct auth_principal *p, const struct audit_actor *from,
                    const char *id, int64_t now);

/* Whether a bearer value is shaped as a personal access token (starts with the prefix). */
bool auth_pat_looks_like(const char *token);

/*
 * The principal for a personal access token at now. Refreshes last_used_at
 * at most once a minute. Returns 0, SEAU_E_UNAUTHORIZED (unknown, expired,
 * or its owner disabled), or SEAU_E_DB.
 */
int auth_pat_authenticate(struct db *db, const struct auth_session_cfg *cfg, const char *token,
                          int64_t now, struct auth_principal *ret);

#endif
