/*
 * One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA-1,
 * the parameters every authenticator app understands (30 s steps, 6
 * digits), and the base32 of RFC 4648 that carries the secret to the app.
 * Pure functions: the clock is a parameter, so tests are exact.
 */
#ifndef SEAU_AUTH_TOTP_H
#define SEAU_AUTH_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_TOTP_STEP_MS    30000
#define AUTH_TOTP_DIGITS     6
#define AUTH_TOTP_WINDOW     1  /* steps accepted either side of now (clock drift) */
#define AUTH_TOTP_SECRET_LEN 20 /* bytes: 160 bits, RFC 4226's recommendation */

/* The time step of a moment in ms since the epoch. */
int64_t auth_totp_step(int64_t now_ms);

/*
 * The HOTP value of key at counter, as digits decimal digits (6 to 8) and a
 * NUL in out (digits + 1 bytes). Returns 0, or SEAU_E_VALIDATION for a
 * digits value out of range.
 */
int auth_totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits,
                   char *out);

/*
 * Checks a 6-digit code against key for the steps within AUTH_TOTP_WINDOW
 * of now. Every candidate is computed and compared in constant time.
 * Returns 0 with *ret_step the step that matched, SEAU_E_CONFLICT when
 * the matching step is not above last_step (the code was used already), or
 * SEAU_E_INVALID_CODE.
 */
int auth_totp_verify(const unsigned char *key, size_t keylen, const char *code, int64_t now_ms,
                     int64_t last_step, int64_t *ret_step);

/*
 * Base32 (RFC 4648, upper case, no padding) of n bytes into out, which
 * holds at least auth_base32_len(n) + 1 bytes. Returns the length written.
 */
size_t auth_base32_len(size_t n);
size_t auth_base32_encode(const unsigned char *p, size_t n, char *out);

#endif
