/*
 * The public page of a share link (GET /s/{token}): plain semantic HTML
 * that needs no script and no image, with one small stylesheet allowed by
 * its hash in the page's own Content-Security-Policy. Every name that came
 * from a bucket or a client is HTML-escaped, and every name put in a link
 * is percent-encoded first, so `<img src=x onerror=alert(1)>.png` is shown
 * as text.
 *
 * Functions writing into a buf return 0, SEAU_E_TOO_LARGE past the buf's
 * maximum, or SEAU_E_NOMEM. Nothing here does I/O.
 */
#ifndef SEAU_API_SHARE_PAGE_H
#define SEAU_API_SHARE_PAGE_H

#include "core/buf.h"
#include "files/shares.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of one page: 100 names of up to 1024 bytes, each escaped twice over, fit. */
#define SHARE_PAGE_MAX (2 * 1024 * 1024)
/* Bytes of the policy share_page_csp writes. */
#define SHARE_PAGE_CSP_MAX 256

/* Appends s with & < > " ' as character references. */
int share_html_escape(struct buf *b, const char *s);

/* Appends s percent-encoded for a query value (RFC 3986: all but A-Z a-z 0-9 - . _ ~). */
int share_url_encode(struct buf *b, const char *s);

/*
 * Finds name in an application/x-www-form-urlencoded body (body[0..len))
 * and decodes it ('+' is a space, %XX a byte) into out (outlen bytes, NUL
 * included). Returns 0, SEAU_E_NOT_FOUND when absent, or SEAU_E_VALIDATION
 * when its value does not fit, decodes to a NUL, or is malformed.
 */
int share_form_field(const char *body, size_t len, const char *name, char *out, size_t outlen);

/* "123 bytes", "1.5 KB", "12.0 MB", ... (1000-based, as file managers show). */
void share_size_text(int64_t bytes, char out[32]);

/* The page's Content-Security-Policy: nothing but its own stylesheet; forms post to itself. */
void share_page_csp(char out[SHARE_PAGE_CSP_MAX]);

/* The page of a file share: its name, size, expiry (0: never) and a download link. */
int share_page_file(struct buf *b, const char *name, int64_t size, int64_t expires_at);

/*
 * The page of a folder share: the folder's name, one page of its files
 * (relative keys, each linked to ?download=1&key=...) and, when next_after
 * is not NULL, a link to the next page (?after=...).
 */
int share_page_folder(struct buf *b, const char *name, const struct files_share_file *files,
                      size_t n, const char *next_after, int64_t expires_at);

/* The password form; wrong adds a line saying the last one was not right. */
int share_page_password(struct buf *b, bool wrong);

/* A page with a title and one sentence (gone, not found, too many tries, ...). */
int share_page_message(struct buf *b, const char *title, const char *text);

#endif
