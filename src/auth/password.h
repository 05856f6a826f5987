/* Password hashing (argon2id through libsodium), policy and generation. */
#ifndef SEAU_AUTH_PASSWORD_H
#define SEAU_AUTH_PASSWORD_H

#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>

#define AUTH_PASSWORD_MIN 12
#define AUTH_PASSWORD_MAX 1024 /* hashing cost grows with length: bound it */
#define AUTH_GENERATED_PASSWORD_LEN 24

/* Prepares the decoy hash used for unknown accounts. Returns 0 or SEAU_E_NOMEM. */
int auth_password_init(void);

/* Hashes password into out (DB_HASH_MAX + 1 bytes). Returns 0 or SEAU_E_NOMEM. */
int auth_password_hash(const char *password, char out[DB_HASH_MAX + 1]);

/* True when password matches hash. Constant time in the password (libsodium). */
bool auth_password_verify(const char *hash, const char *password);

/*
 * Spends the time of one verification without a real account, so that an
 * unknown email costs the same as a wrong password.
 */
void auth_password_verify_decoy(const char *password);

/* NULL when password is acceptable, else a sentence saying why not. */
const char *auth_password_problem(const char *password);

/* Writes a random password of AUTH_GENERATED_PASSWORD_LEN characters and a NUL. */
void auth_password_generate(char out[AUTH_GENERATED_PASSWORD_LEN + 1]);

#endif
