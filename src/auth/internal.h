/*
 * Shared by the files of the auth module (accounts.c, mfa.c, tokens.c) and
 * nothing else.
 *
 * The sign-in throttle counts failures per (account, client address) pair
 * and per client address, never per account alone: a stranger who guesses
 * wrong from one address locks only that address out of that account (and,
 * past the per-address limit, that address out of every account), while
 * the owner signing in from another address is not affected. Passwords,
 * second-factor codes and current-password checks all count on the same
 * pair, so switching factor does not buy more guesses. The counters live
 * in the store, so every replica sees them.
 */
#ifndef SEAU_AUTH_INTERNAL_H
#define SEAU_AUTH_INTERNAL_H

#include "auth/accounts.h"

/*
 * Returns SEAU_E_RATE_LIMITED with *ret_retry_s set when the address, or
 * the pair of email and address, used up its failures in the current
 * window; 0 otherwise, or a store error.
 */
int auth__throttle_check(struct db *db, const struct auth_limits *lim, const char *email,
                         const char *ip, int64_t now, int64_t *ret_retry_s);

/* Counts one failure for the pair and for the address. Best effort: a store error is ignored. */
void auth__throttle_fail(struct db *db, const struct auth_limits *lim, const char *email,
                         const char *ip, int64_t now);

/* Forgets the pair's failures (after a complete sign-in). */
void auth__throttle_clear(struct db *db, const char *email, const char *ip);

/* A JSON object text built from obj (taken), or NULL; release with free(). */
char *auth__details(void *obj);

#endif
