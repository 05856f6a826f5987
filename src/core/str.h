/*
 * Borrowed string slices and checked conversions (STYLE.md rules 13, 14, 16).
 *
 * A slice borrows bytes it does not own and never assumes a NUL. Numbers
 * are parsed by helpers that reject trailing garbage and report overflow,
 * never by atoi() and friends.
 */
#ifndef SEAU_CORE_STR_H
#define SEAU_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slice {
    const char *p;
    size_t len;
};

#define SLICE_LIT(s) ((struct slice){(s), sizeof(s) - 1})

struct slice slice_from_cstr(const char *s);
bool slice_eq_cstr(struct slice s, const char *c);
bool slice_starts_with(struct slice s, const char *prefix);
/* Copies into a new NUL-terminated string; NULL on out of memory. */
char *slice_dup(struct slice s);

/*
 * Parses a whole string as a decimal integer within [min, max].
 * Returns 0 and writes *ret, SEAU_E_VALIDATION for non-numbers, or
 * SEAU_E_RANGE for overflow and values outside the bounds.
 */
int str_to_int64(const char *s, int64_t min, int64_t max, int64_t *ret);
int slice_to_int64(struct slice s, int64_t min, int64_t max, int64_t *ret);

/*
 * Parses a duration: a whole number followed by an optional unit
 * (ms, s, m, h, d; no unit means seconds). Writes milliseconds.
 */
int str_to_duration_ms(const char *s, int64_t *ret_ms);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool str_utf8_valid(const char *s, size_t len);
/*
 * Copies in into out (outlen bytes, NUL-terminated) as valid UTF-8: each
 * byte that does not start a valid sequence becomes '?', and the copy is cut
 * on a character boundary when out is too small. For text that came from a
 * client and must be stored or logged as JSON. Returns the bytes written.
 */
size_t str_utf8_copy_lossy(char *out, size_t outlen, const char *in);

/* True when s[0..len) holds a control character (C0, DEL, or C1). */
bool str_has_control(const char *s, size_t len);

/* Constant-time comparison of two byte strings (rule 16). */
bool str_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* Wipes memory in a way the compiler may not elide. */
void str_wipe(void *p, size_t n);
/* Wipes and frees a NUL-terminated secret. Accepts NULL. */
void str_free_secret(char *s);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void str_hex(const unsigned char *in, size_t n, char *out);

/* ASCII case-insensitive equality. */
bool str_ieq(const char *a, const char *b);

/* strdup that accepts NULL (returns NULL). Out of memory also gives NULL. */
char *str_dup(const char *s);

#endif
