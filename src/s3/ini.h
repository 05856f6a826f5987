/*
 * A small, bounded parser for the AWS shared files: ~/.aws/credentials and
 * ~/.aws/config (the format of the AWS SDKs' "shared config files" spec).
 *
 * What is accepted, line by line (lines end with LF or CRLF; a UTF-8 BOM at
 * the start is skipped):
 *   - blank lines, and comments: a line whose first non-blank byte is '#' or
 *     ';';
 *   - "[name]" section headers, blanks inside the brackets trimmed, optionally
 *     followed by blanks and a comment;
 *   - "key = value" properties: the key is trimmed and lower-cased (names are
 *     case-insensitive, as in botocore), the value is trimmed and loses an
 *     inline comment, which is a '#' or ';' preceded by a blank ("v ; note");
 *     "a;b" keeps its ';';
 *   - continuation lines: a line indented deeper than the property above it
 *     is appended to that property's value after a '\n' (this is how nested
 *     settings such as "s3 =\n  max_concurrent_requests = 10" stay out of
 *     the top level). A blank line or a section header ends the property.
 * Anything else is malformed and fails the whole file, as it does for the AWS
 * CLI: a property before any section, a line without '=', an empty key, an
 * unterminated or empty section header, a NUL byte.
 *
 * Section names are case-sensitive, as profile names are in AWS. How a
 * section maps to a profile depends on the kind of file:
 *   - credentials: "[name]" is profile "name", verbatim;
 *   - config: "[profile name]" (one or more blanks after the lower-case word
 *     "profile") is profile "name"; "[default]" is the default profile, and
 *     "[profile default]" wins over it when both are present; any other
 *     section ("[sso-session x]", "[services x]", "[x]") is not a profile
 *     and is never returned by a lookup.
 * A section that appears twice is one section; for a key set twice, the last
 * value wins.
 *
 * Ownership: a struct s3_ini owns every string it returns; they live until
 * s3_ini_free(), which wipes the values first, as they may hold secrets
 * (STYLE.md rule 16). A parsed file is immutable, so concurrent lookups are
 * safe.
 */
#ifndef SEAU_S3_INI_H
#define SEAU_S3_INI_H

#include <stdbool.h>
#include <stddef.h>

/* Hard limits (STYLE.md rule 15); past any of them parsing fails with SEAU_E_TOO_LARGE. */
#define S3_INI_MAX_FILE     (1024 * 1024) /* bytes of a file */
#define S3_INI_MAX_LINE     4096          /* bytes of a line, CR LF excluded; also of a value */
#define S3_INI_MAX_SECTIONS 1024          /* distinct sections in a file */
#define S3_INI_MAX_KEYS     16384         /* properties in a file, repeats included */

enum s3_ini_kind {
    S3_INI_CREDENTIALS, /* ~/.aws/credentials: "[name]" */
    S3_INI_CONFIG,      /* ~/.aws/config: "[profile name]" or "[default]" */
};

struct s3_ini;

/*
 * Parses data[0..len) (NULs are refused, no terminator is needed).
 * Returns 0 and a new struct s3_ini in *ret (free with s3_ini_free()),
 * SEAU_E_VALIDATION for a malformed line, SEAU_E_TOO_LARGE past a limit, or
 * SEAU_E_NOMEM. On failure *err_line, when err_line is not NULL, receives
 * the 1-based number of the offending line (0 when the whole file is at
 * fault); it is a diagnostic and is left alone on success.
 */
int s3_ini_parse(const char *data, size_t len, enum s3_ini_kind kind, struct s3_ini **ret,
                 size_t *err_line);

/*
 * Reads and parses the file at path. Returns what s3_ini_parse() returns,
 * and also SEAU_E_NOT_FOUND when the file does not exist, SEAU_E_IO when it
 * cannot be read (or is not a regular file) and SEAU_E_TOO_LARGE when it is
 * larger than S3_INI_MAX_FILE. The bytes read are wiped before they are freed.
 */
int s3_ini_load(const char *path, enum s3_ini_kind kind, struct s3_ini **ret, size_t *err_line);

/* Wipes the values and frees everything. Accepts NULL. */
void s3_ini_free(struct s3_ini *ini);

/* True when the file has a section for the profile (even an empty one). */
bool s3_ini_has_profile(const struct s3_ini *ini, const char *profile);

/*
 * The value of key (any case) in the profile's section, or NULL when either
 * is absent. The string belongs to ini. O(sections + properties), which is
 * bounded by the limits above and fine for a handful of lookups at start-up.
 */
const char *s3_ini_get(const struct s3_ini *ini, const char *profile, const char *key);

#endif
