/*
 * The upload rules (API.md "Uploads are checked against the configured size
 * limit (413) and allowed types (415), the type sniffed from the content, not
 * trusted from the client"), shared by direct uploads (files/upload_direct.c) and
 * proxied ones (POST /api/upload), so a file is judged the same way whichever
 * path it takes.
 *
 * The type of a file is what libmagic reads in its first bytes. A name's
 * extension only refines a vague answer (plain text, "data") into the text
 * format it names (.css, .js, .json, .csv, .svg, ...): it never lets a file
 * pass as a type its bytes contradict, so an executable named .png is
 * application/x-dosexec (or similar), never image/png.
 *
 * Thread-safety: every function may be called from any thread at once.
 * libmagic handles are not thread-safe; they come from a small pool here,
 * each loaded from one copy of the compiled database read once per process.
 */
#ifndef SEAU_FILES_RULES_H
#define SEAU_FILES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;

/* Bytes of a file's start that sniffing reads; more are ignored. */
#define FILES_SNIFF_BYTES (64 * 1024)
/* Longest media type accepted from a client or returned by sniffing (with the NUL: 256). */
#define FILES_MEDIA_TYPE_MAX 255

/* 0 when size fits the configured limit (cfg->max_upload_bytes), else SEAU_E_TOO_LARGE. */
int files_rules_check_size(const struct cfg *cfg, int64_t size);

/*
 * Whether type is in the allowlist `allowed` (SEAU_ALLOWED_TYPES: comma-
 * separated media types, case-insensitive, parameters such as
 * "; charset=utf-8" ignored on both sides). A subtype "*" matches every
 * subtype of its type (image/ followed by a star: every image), and a lone
 * star, or star/star, matches everything.
 * allowed NULL or empty: every type is allowed. Pure.
 */
bool files_rules_type_allowed(const char *allowed, const char *type);

/* 0 when type is allowed by cfg->allowed_types, else SEAU_E_MEDIA_TYPE. */
int files_rules_check_type(const struct cfg *cfg, const char *type);

/*
 * NULL when s is a well-formed media type as a client may declare it
 * ("type/subtype" of RFC 6838 token characters, optional "; name=value"
 * parameters, at most FILES_MEDIA_TYPE_MAX bytes, no control characters),
 * else why not (a sentence fragment).
 */
const char *files_rules_media_type_problem(const char *s);

/*
 * The media type of a file from its first n bytes (at most
 * FILES_SNIFF_BYTES are looked at) and its name (a key or file name; may be
 * NULL). partial: the file goes on beyond these bytes (a cut UTF-8 sequence
 * at the end is then not held against it). Writes the type, lowercased and
 * without parameters, into ret (retlen bytes, at least 64). Returns 0,
 * SEAU_E_NOMEM, or SEAU_E_INTERNAL when libmagic or its database cannot be
 * loaded. Cost: one libmagic pass over n bytes (well under a millisecond for
 * 64 KiB).
 */
int files_rules_sniff(const void *data, size_t n, bool partial, const char *name, char *ret,
                      size_t retlen);

/*
 * Loads libmagic's database now (it is otherwise loaded by the first sniff),
 * so a missing database is reported at start-up. Returns 0 or
 * SEAU_E_INTERNAL; *ret_path (optional) names the file tried.
 */
int files_rules_init(const char **ret_path);

/* Frees the pooled handles and the database copy (for tests and a clean exit). */
void files_rules_cleanup(void);

#endif
