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

/* The page's language: French when Accept-Language prefers it to English, else English. */
enum share_lang { SHARE_EN = 0, SHARE_FR = 1 };
enum share_lang share_page_lang(const char *accept_language);

/* The page's sentences (share_page_text), so handlers can name a problem in the visitor's language.
 */
enum share_msg {
    SHARE_MSG_FOOTER,
    SHARE_MSG_NO_EXPIRY,
    SHARE_MSG_UNTIL,
    SHARE_MSG_DOWNLOAD,
    SHARE_MSG_FOLDER,
    SHARE_MSG_EMPTY,
    SHARE_MSG_NAME,
    SHARE_MSG_SIZE,
    SHARE_MSG_NEXT,
    SHARE_MSG_PASSWORD_TITLE,
    SHARE_MSG_PASSWORD_TEXT,
    SHARE_MSG_PASSWORD_WRONG,
    SHARE_MSG_PASSWORD,
    SHARE_MSG_OPEN,
    SHARE_MSG_PREVIEW,
    SHARE_MSG_OPEN_PDF,
    SHARE_MSG_TEXT_CUT,
    SHARE_MSG_NOT_FOUND_TITLE,
    SHARE_MSG_NOT_FOUND_TEXT,
    SHARE_MSG_GONE_TITLE,
    SHARE_MSG_GONE_TEXT,
    SHARE_MSG_TRIES_TITLE,
    SHARE_MSG_TRIES_TEXT,
    SHARE_MSG_BAD_KEY_TITLE,
    SHARE_MSG_BAD_KEY_TEXT,
    SHARE_MSG_NO_FILE_TITLE,
    SHARE_MSG_NO_FILE_TEXT,
    SHARE_MSG_USED_UP_TITLE,
    SHARE_MSG_USED_UP_TEXT,
    SHARE_MSG_BAD_PAGE_TITLE,
    SHARE_MSG_BAD_PAGE_TEXT,
    SHARE_MSG_COUNT
};
const char *share_page_text(enum share_lang lang, enum share_msg m);

/*
 * What the file page shows of the file: kind "image", "audio", "video"
 * (the element asks ?download=1&inline=1), "pdf" (a link to open it
 * inline: framing is refused), "text" (text, NUL-terminated and already
 * cut, shown escaped; truncated adds a line saying so); NULL kind: nothing.
 */
struct share_preview {
    const char *kind;
    const char *text;
    bool truncated;
};

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

/*
 * A size as the console writes it (web/lib/format.ts formatBytes, the one
 * format of Seau): "999 B", "1.5 KB", "2 KB", "1,024 KB", powers of 1024;
 * in French "1,5 Ko". lang is "en" or "fr" (anything else: English).
 */
void share_size_text_lang(int64_t bytes, const char *lang, char out[32]);
/* share_size_text_lang() in English. */
void share_size_text(int64_t bytes, char out[32]);

/* The page's Content-Security-Policy: its own stylesheet, and images and media from itself (the
 * previews); forms post to itself. */
void share_page_csp(char out[SHARE_PAGE_CSP_MAX]);

/* The page of a file share: its name, size, expiry (0: never) and a download link. */
int share_page_file(struct buf *b, const char *name, int64_t size, int64_t expires_at);
/* The same in lang, with the file's preview (pv may be NULL). */
int share_page_file_in(struct buf *b, enum share_lang lang, const char *name, int64_t size,
                       int64_t expires_at, const struct share_preview *pv);

/*
 * The page of a folder share: the folder's name, one page of its files
 * (relative keys, each linked to ?download=1&key=...) and, when next_after
 * is not NULL, a link to the next page (?after=...).
 */
int share_page_folder(struct buf *b, const char *name, const struct files_share_file *files,
                      size_t n, const char *next_after, int64_t expires_at);
int share_page_folder_in(struct buf *b, enum share_lang lang, const char *name,
                         const struct files_share_file *files, size_t n, const char *next_after,
                         int64_t expires_at);

/* The password form; wrong adds a line saying the last one was not right. */
int share_page_password(struct buf *b, bool wrong);
int share_page_password_in(struct buf *b, enum share_lang lang, bool wrong);

/* A page with a title and one sentence (gone, not found, too many tries, ...). */
int share_page_message(struct buf *b, const char *title, const char *text);
int share_page_message_in(struct buf *b, enum share_lang lang, const char *title, const char *text);

#endif
