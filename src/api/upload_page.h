/*
 * The public page of an upload link (GET /u/{token}): server-rendered HTML
 * in the visitor's language (French or English, from Accept-Language), light
 * or dark as the system prefers, with a drop zone and a list showing each
 * file's progress. The folder's contents are never shown.
 *
 * One strict Content-Security-Policy (upload_page_csp) allows exactly the
 * page's stylesheet and script, by their hashes, requests to the page's own
 * origin, and nothing else; the handler sends it instead of the server's
 * (http_req.own_csp). The script is constant (its hash never changes): what
 * it says comes from data- attributes of the page. Without script the form
 * still works (one POST, answered with a page).
 *
 * Every text from the link (the creator's message) is HTML-escaped.
 * Functions writing into a buf return 0, SEAU_E_TOO_LARGE or SEAU_E_NOMEM.
 */
#ifndef SEAU_API_UPLOAD_PAGE_H
#define SEAU_API_UPLOAD_PAGE_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPLOAD_PAGE_MAX     (64 * 1024)
#define UPLOAD_PAGE_CSP_MAX 512

enum upload_page_lang { UPLOAD_PAGE_EN = 0, UPLOAD_PAGE_FR };

/*
 * The language of an Accept-Language header: the French or English range
 * with the highest q (the first on a tie; "*" and other languages count for
 * nothing); English when neither is asked or the header is absent. Pure.
 */
enum upload_page_lang upload_page_lang(const char *accept_language);

/* The page's one Content-Security-Policy. */
void upload_page_csp(char out[UPLOAD_PAGE_CSP_MAX]);

/* What the page shows of a live link. */
struct upload_page_info {
    const char *token;   /* the form posts to <token>/upload, relative to /u/ */
    const char *message; /* the creator's, may be "" */
    const char *from;    /* the creator's email, may be "" */
    int64_t expires_at;  /* 0: never */
    bool password;       /* the form asks for the link's password */
    int64_t files_left;  /* -1: no limit */
    int64_t bytes_left;  /* -1: no limit */
};

int upload_page_form(struct buf *b, enum upload_page_lang lang, const struct upload_page_info *i);

/* A page with a title and a sentence, in the page's style ("link gone", "received"). */
int upload_page_message(struct buf *b, enum upload_page_lang lang, const char *title,
                        const char *text);

/* The texts handlers need: "gone" (title, text), "notfound", "received". */
const char *upload_page_text(enum upload_page_lang lang, const char *id);

#endif
