/*
 * Content-Disposition with a file name any browser shows right and no header
 * can be broken by (RFC 6266 with RFC 8187's filename*): an ASCII fallback
 * in filename="..." and the exact UTF-8 name percent-encoded in filename*.
 */
#ifndef SEAU_HTTP_DISPOSITION_H
#define SEAU_HTTP_DISPOSITION_H

#include <stdbool.h>
#include <stddef.h>

/* The largest header this writes for a 1024-byte name, with room to spare. */
#define HTTP_DISPOSITION_MAX 4200

/*
 * Writes `attachment` (or `inline`) with name (UTF-8; NULL or "" → "download")
 * into out. Quotes, backslashes, control characters and non-ASCII bytes
 * become '_' in the fallback; names are cut at 1024 bytes (never inside a
 * UTF-8 sequence in filename*). Returns 0, or -1 when n is too small.
 */
int http_content_disposition(char *out, size_t n, bool inline_, const char *name);

#endif
