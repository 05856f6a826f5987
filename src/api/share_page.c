/* The public page of a share link; see share_page.h. */
#include "api/share_page.h"

#include "core/codec.h"
#include "core/err.h"
#include "core/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The only style the page may use: its hash is in the page's CSP (share_page_csp). */
static const char style[] =
    ":root{color-scheme:light dark}"
    "body{font-family:system-ui,sans-serif;margin:0;padding:2rem 1rem;color:#1f2328;"
    "background:#f6f7f9}"
    "main{max-width:48rem;margin:0 auto;background:#fff;padding:1.5rem 2rem;"
    "border:1px solid #d8dee4;border-radius:8px}"
    "h1{font-size:1.3rem;overflow-wrap:anywhere}"
    "p.meta{color:#59636e}"
    "table{width:100%;border-collapse:collapse}"
    "th{text-align:left;color:#59636e;font-weight:600;padding:.4rem .5rem}"
    "td{padding:.4rem .5rem;border-top:1px solid #eaeef2;overflow-wrap:anywhere}"
    ".size{text-align:right;white-space:nowrap;color:#59636e}"
    "a.button,button{display:inline-block;padding:.5rem 1rem;background:#0969da;color:#fff;"
    "border:0;border-radius:6px;text-decoration:none;font-size:1rem;cursor:pointer}"
    "input{font-size:1rem;padding:.4rem;margin:0 .5rem .5rem 0}"
    ".error{color:#cf222e}"
    ".preview{margin:1rem 0}"
    ".preview img,.preview video{display:block;max-width:100%;max-height:70vh;height:auto;"
    "margin:0 auto}"
    ".preview audio{width:100%}"
    ".preview pre{white-space:pre-wrap;overflow-wrap:anywhere;max-height:60vh;overflow:auto;"
    "background:#f6f8fa;border:1px solid #d8dee4;border-radius:6px;padding:.75rem;"
    "font-size:.85rem}"
    "footer{text-align:center;color:#59636e;font-size:.85rem;margin-top:1rem}"
    "@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}"
    "main{background:#161b22;border-color:#30363d}"
    "p.meta,th,.size,footer{color:#9198a1}td{border-color:#30363d}a{color:#4493f8}"
    "a.button,button{background:#1f6feb;color:#fff}.error{color:#ff7b72}"
    ".preview pre{background:#0d1117;border-color:#30363d}}";

/* The page's words, in English and French (share_page_lang picks one). */
static const char *const texts[SHARE_MSG_COUNT][2] = {
    [SHARE_MSG_FOOTER] = {"Shared with Seau", "Partagé avec Seau"},
    [SHARE_MSG_NO_EXPIRY] = {"no expiry", "sans date de fin"},
    [SHARE_MSG_UNTIL] = {"available until", "disponible jusqu’au"},
    [SHARE_MSG_DOWNLOAD] = {"Download", "Télécharger"},
    [SHARE_MSG_FOLDER] = {"Shared folder", "Dossier partagé"},
    [SHARE_MSG_EMPTY] = {"There are no files here.", "Il n’y a aucun fichier ici."},
    [SHARE_MSG_NAME] = {"Name", "Nom"},
    [SHARE_MSG_SIZE] = {"Size", "Taille"},
    [SHARE_MSG_NEXT] = {"Next page", "Page suivante"},
    [SHARE_MSG_PASSWORD_TITLE] = {"Password required", "Mot de passe demandé"},
    [SHARE_MSG_PASSWORD_TEXT] = {"This link is protected by a password.",
                                 "Ce lien est protégé par un mot de passe."},
    [SHARE_MSG_PASSWORD_WRONG] = {"That password is not right.",
                                  "Ce mot de passe n’est pas le bon."},
    [SHARE_MSG_PASSWORD] = {"Password", "Mot de passe"},
    [SHARE_MSG_OPEN] = {"Open", "Ouvrir"},
    [SHARE_MSG_PREVIEW] = {"Preview", "Aperçu"},
    [SHARE_MSG_OPEN_PDF] = {"Open the PDF in this browser", "Ouvrir le PDF dans ce navigateur"},
    [SHARE_MSG_TEXT_CUT] = {"Only the beginning of the file is shown.",
                            "Seul le début du fichier est affiché."},
    [SHARE_MSG_NOT_FOUND_TITLE] = {"Link not found", "Lien introuvable"},
    [SHARE_MSG_NOT_FOUND_TEXT] = {"This link does not exist. Check that it was copied whole.",
                                  "Ce lien n’existe pas. Vérifiez qu’il a "
                                  "été copié en entier."},
    [SHARE_MSG_GONE_TITLE] = {"This link is no longer available", "Ce lien n’est plus disponible"},
    [SHARE_MSG_GONE_TEXT] = {"It has expired, was revoked or was used up. Ask the person who "
                             "shared it for a new one.",
                             "Il a expiré, a été révoqué ou a été "
                             "épuisé. Demandez-en un nouveau à la personne qui l’a "
                             "partagé."},
    [SHARE_MSG_TRIES_TITLE] = {"Too many tries", "Trop d’essais"},
    [SHARE_MSG_TRIES_TEXT] = {"Too many wrong passwords were tried for this link from your "
                              "address. Try again later.",
                              "Trop de mauvais mots de passe ont été essayés pour ce "
                              "lien depuis votre adresse. Réessayez plus tard."},
    [SHARE_MSG_BAD_KEY_TITLE] = {"No such file here", "Ce fichier n’est pas ici"},
    [SHARE_MSG_BAD_KEY_TEXT] = {"The file named in this link is not part of the shared folder.",
                                "Le fichier nommé dans ce lien ne fait pas partie du dossier "
                                "partagé."},
    [SHARE_MSG_NO_FILE_TITLE] = {"File not found", "Fichier introuvable"},
    [SHARE_MSG_NO_FILE_TEXT] = {"The shared file is no longer there.",
                                "Le fichier partagé n’est plus là."},
    [SHARE_MSG_USED_UP_TITLE] = {"This link is used up", "Ce lien est épuisé"},
    [SHARE_MSG_USED_UP_TEXT] = {"It has reached its number of downloads.",
                                "Il a atteint son nombre de téléchargements."},
    [SHARE_MSG_BAD_PAGE_TITLE] = {"Bad page", "Page inconnue"},
    [SHARE_MSG_BAD_PAGE_TEXT] = {"This page of the folder does not exist.",
                                 "Cette page du dossier n’existe pas."},
};

const char *share_page_text(enum share_lang lang, enum share_msg m)
{
    if ((unsigned)m >= SHARE_MSG_COUNT)
        return "";
    return texts[m][lang == SHARE_FR ? 1 : 0];
}

/* The language tag's weight, or -1 when it is neither English nor French. */
static int lang_of(const char *tag, size_t n, enum share_lang *ret)
{
    while (n && (*tag == ' ' || *tag == '\t')) {
        tag++;
        n--;
    }
    if (n >= 2 && strncasecmp(tag, "fr", 2) == 0 &&
        (n == 2 || tag[2] == '-' || tag[2] == ';' || tag[2] == ' ')) {
        *ret = SHARE_FR;
        return 0;
    }
    if (n >= 2 && strncasecmp(tag, "en", 2) == 0 &&
        (n == 2 || tag[2] == '-' || tag[2] == ';' || tag[2] == ' ')) {
        *ret = SHARE_EN;
        return 0;
    }
    return -1;
}

enum share_lang share_page_lang(const char *accept_language)
{
    enum share_lang best = SHARE_EN;
    double best_q = -1.0;
    const char *p = accept_language;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        enum share_lang l;
        if (lang_of(p, n, &l) == 0) {
            double q = 1.0;
            const char *semi = memchr(p, ';', n);
            if (semi) {
                const char *qp = semi + 1;
                while (qp < p + n && *qp == ' ')
                    qp++;
                if (qp + 2 <= p + n && qp[0] == 'q' && qp[1] == '=') {
                    char num[8] = {0};
                    size_t k = (size_t)(p + n - (qp + 2));
                    memcpy(num, qp + 2, k < sizeof(num) - 1 ? k : sizeof(num) - 1);
                    q = strtod(num, NULL);
                }
            }
            if (q > best_q && q > 0.0) {
                best_q = q;
                best = l;
            }
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return best;
}

int share_html_escape(struct buf *b, const char *s)
{
    int rc = 0;
    for (const char *p = s; rc == 0 && *p; p++) {
        switch (*p) {
        case '&':
            rc = buf_append_str(b, "&amp;");
            break;
        case '<':
            rc = buf_append_str(b, "&lt;");
            break;
        case '>':
            rc = buf_append_str(b, "&gt;");
            break;
        case '"':
            rc = buf_append_str(b, "&quot;");
            break;
        case '\'':
            rc = buf_append_str(b, "&#39;");
            break;
        default:
            rc = buf_append_char(b, *p);
        }
    }
    return rc;
}

int share_url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
        unsigned char c = *p;
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (plain) {
            rc = buf_append_char(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = buf_append(b, e, sizeof(e));
        }
    }
    return rc;
}

int share_form_field(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        /* A field is name=value; the name is compared as sent (ours need no decoding). */
        if (end - i > nlen && memcmp(body + i, name, nlen) == 0 && body[i + nlen] == '=') {
            struct slice v = {body + i + nlen + 1, end - i - nlen - 1};
            size_t n;
            return codec_percent_decode(v, CODEC_PLUS_SPACE, out, outlen, &n) ? SEAU_E_VALIDATION
                                                                              : 0;
        }
        i = end + 1;
    }
    return SEAU_E_NOT_FOUND;
}

/* v with thousands grouped by sep ("1,024", "1 024" with a narrow no-break space). */
static void grouped(long long v, const char *sep, char *out, size_t n)
{
    char digits[24];
    snprintf(digits, sizeof(digits), "%lld", v);
    size_t len = strlen(digits), o = 0, seplen = strlen(sep);
    for (size_t i = 0; i < len && o + seplen + 1 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            memcpy(out + o, sep, seplen);
            o += seplen;
        }
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

/*
 * The console's size format (web/lib/format.ts formatBytes): powers of
 * 1024, no decimals for bytes and from 100 up, else at most one (none when
 * it is 0), English or French separators and units.
 */
void share_size_text_lang(int64_t bytes, const char *lang, char out[32])
{
    static const char *const en_units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    static const char *const fr_units[] = {"o", "Ko", "Mo", "Go", "To", "Po"};
    bool fr = lang && strcmp(lang, "fr") == 0;
    const char *const *units = fr ? fr_units : en_units;
    const char *sep = fr ? "\xe2\x80\xaf" : ",";
    if (bytes < 0) {
        snprintf(out, 32, "\xe2\x80\x94");
        return;
    }
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof(en_units) / sizeof(en_units[0])) {
        v /= 1024.0;
        u++;
    }
    char num[24];
    if (u == 0 || v >= 100.0) {
        grouped((long long)(v + 0.5), sep, num, sizeof(num));
    } else {
        long long tenths = (long long)(v * 10.0 + 0.5);
        if (tenths % 10 == 0)
            grouped(tenths / 10, sep, num, sizeof(num));
        else
            snprintf(num, sizeof(num), "%lld%s%lld", tenths / 10, fr ? "," : ".", tenths % 10);
    }
    snprintf(out, 32, "%s %s", num, units[u]);
}

void share_size_text(int64_t bytes, char out[32])
{
    share_size_text_lang(bytes, "en", out);
}

void share_page_csp(char out[SHARE_PAGE_CSP_MAX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)style, sizeof(style) - 1);
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, SHARE_PAGE_CSP_MAX,
             "default-src 'none'; style-src 'sha256-%s'; img-src 'self'; media-src 'self'; "
             "form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'",
             b64);
}

static int begin(struct buf *b, enum share_lang lang, const char *title)
{
    int rc = buf_printf(b,
                        "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
                        "<meta charset=\"utf-8\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width, "
                        "initial-scale=1\">\n"
                        "<meta name=\"color-scheme\" content=\"light dark\">\n"
                        "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
                        "<meta name=\"referrer\" content=\"no-referrer\">\n"
                        "<link rel=\"icon\" href=\"/icon.svg\" type=\"image/svg+xml\">\n<title>",
                        lang == SHARE_FR ? "fr" : "en");
    if (rc == 0)
        rc = share_html_escape(b, title);
    if (rc == 0)
        rc = buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", style);
    return rc;
}

static int end(struct buf *b, enum share_lang lang)
{
    return buf_printf(b, "</main>\n<footer><p>%s</p></footer>\n</body>\n</html>\n",
                      share_page_text(lang, SHARE_MSG_FOOTER));
}

/* "available until ..." or "no expiry", as one paragraph line fragment. */
static int expiry_text(struct buf *b, enum share_lang lang, int64_t expires_at)
{
    if (!expires_at)
        return buf_append_str(b, share_page_text(lang, SHARE_MSG_NO_EXPIRY));
    char t[TIME_RFC3339_LEN];
    time_rfc3339(expires_at, t);
    return buf_printf(b, "%s <time datetime=\"%s\">%.10s %.5s UTC</time>",
                      share_page_text(lang, SHARE_MSG_UNTIL), t, t, t + 11);
}

/* The file shown in the page: the browser asks for it inline (the link counts it as a download). */
static int preview_html(struct buf *b, enum share_lang lang, const char *name,
                        const struct share_preview *pv)
{
    if (!pv || !pv->kind)
        return 0;
    static const char src[] = "?download=1&amp;inline=1";
    int rc = buf_printf(b, "<section class=\"preview\" aria-label=\"%s\">\n",
                        share_page_text(lang, SHARE_MSG_PREVIEW));
    if (rc == 0 && strcmp(pv->kind, "image") == 0) {
        rc = buf_printf(b, "<img src=\"%s\" alt=\"", src);
        if (rc == 0)
            rc = share_html_escape(b, name);
        if (rc == 0)
            rc = buf_append_str(b, "\">\n");
    } else if (rc == 0 && (strcmp(pv->kind, "audio") == 0 || strcmp(pv->kind, "video") == 0)) {
        rc = buf_printf(b, "<%s controls preload=\"metadata\" src=\"%s\" aria-label=\"", pv->kind,
                        src);
        if (rc == 0)
            rc = share_html_escape(b, name);
        if (rc == 0)
            rc = buf_printf(b, "\"></%s>\n", pv->kind);
    } else if (rc == 0 && strcmp(pv->kind, "pdf") == 0) {
        /* Framing is refused everywhere (frame-ancestors 'none'): the browser's own viewer, in a
         * tab. */
        rc = buf_printf(b, "<p><a href=\"%s\" rel=\"nofollow\">%s</a></p>\n", src,
                        share_page_text(lang, SHARE_MSG_OPEN_PDF));
    } else if (rc == 0 && strcmp(pv->kind, "text") == 0 && pv->text) {
        rc = buf_append_str(b, "<pre tabindex=\"0\">");
        if (rc == 0)
            rc = share_html_escape(b, pv->text);
        if (rc == 0)
            rc = buf_append_str(b, "</pre>\n");
        if (rc == 0 && pv->truncated)
            rc = buf_printf(b, "<p class=\"meta\">%s</p>\n",
                            share_page_text(lang, SHARE_MSG_TEXT_CUT));
    }
    if (rc == 0)
        rc = buf_append_str(b, "</section>\n");
    return rc;
}

int share_page_file_in(struct buf *b, enum share_lang lang, const char *name, int64_t size,
                       int64_t expires_at, const struct share_preview *pv)
{
    char sz[32];
    share_size_text_lang(size, lang == SHARE_FR ? "fr" : "en", sz);
    int rc = begin(b, lang, name);
    if (rc == 0)
        rc = buf_append_str(b, "<h1>");
    if (rc == 0)
        rc = share_html_escape(b, name);
    if (rc == 0)
        rc = buf_printf(b, "</h1>\n<p class=\"meta\">%s &middot; ", sz);
    if (rc == 0)
        rc = expiry_text(b, lang, expires_at);
    if (rc == 0)
        rc = buf_append_str(b, "</p>\n");
    if (rc == 0)
        rc = preview_html(b, lang, name, pv);
    if (rc == 0)
        rc = buf_printf(b,
                        "<p><a class=\"button\" href=\"?download=1\" rel=\"nofollow\">%s</a></p>\n",
                        share_page_text(lang, SHARE_MSG_DOWNLOAD));
    if (rc == 0)
        rc = end(b, lang);
    return rc;
}

int share_page_file(struct buf *b, const char *name, int64_t size, int64_t expires_at)
{
    return share_page_file_in(b, SHARE_EN, name, size, expires_at, NULL);
}

int share_page_folder_in(struct buf *b, enum share_lang lang, const char *name,
                         const struct files_share_file *files, size_t n, const char *next_after,
                         int64_t expires_at)
{
    const char *lg = lang == SHARE_FR ? "fr" : "en";
    int rc = begin(b, lang, name);
    if (rc == 0)
        rc = buf_append_str(b, "<h1>");
    if (rc == 0)
        rc = share_html_escape(b, name);
    if (rc == 0)
        rc = buf_printf(b, "</h1>\n<p class=\"meta\">%s &middot; ",
                        share_page_text(lang, SHARE_MSG_FOLDER));
    if (rc == 0)
        rc = expiry_text(b, lang, expires_at);
    if (rc == 0)
        rc = buf_append_str(b, "</p>\n");
    if (rc == 0 && n == 0)
        rc = buf_printf(b, "<p>%s</p>\n", share_page_text(lang, SHARE_MSG_EMPTY));
    if (rc == 0 && n > 0)
        rc = buf_printf(b,
                        "<table>\n<thead><tr><th>%s</th><th class=\"size\">%s</th>"
                        "</tr></thead>\n<tbody>\n",
                        share_page_text(lang, SHARE_MSG_NAME),
                        share_page_text(lang, SHARE_MSG_SIZE));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* Encoded first (for the URL), then escaped (for the attribute). */
        struct buf url;
        buf_init(&url, 4 * 1024 * 3);
        rc = share_url_encode(&url, files[i].rel);
        if (rc == 0)
            rc = buf_append_str(b, "<tr><td><a href=\"?download=1&amp;key=");
        if (rc == 0)
            rc = share_html_escape(b, buf_cstr(&url));
        buf_done(&url);
        if (rc == 0)
            rc = buf_append_str(b, "\" rel=\"nofollow\">");
        if (rc == 0)
            rc = share_html_escape(b, files[i].rel);
        char sz[32];
        share_size_text_lang(files[i].size, lg, sz);
        if (rc == 0)
            rc = buf_printf(b, "</a></td><td class=\"size\">%s</td></tr>\n", sz);
    }
    if (rc == 0 && n > 0)
        rc = buf_append_str(b, "</tbody>\n</table>\n");
    if (rc == 0 && next_after) {
        struct buf url;
        buf_init(&url, 4 * 1024 * 3);
        rc = share_url_encode(&url, next_after);
        if (rc == 0)
            rc = buf_append_str(b, "<p><a href=\"?after=");
        if (rc == 0)
            rc = share_html_escape(b, buf_cstr(&url));
        buf_done(&url);
        if (rc == 0)
            rc = buf_printf(b, "\" rel=\"nofollow\">%s</a></p>\n",
                            share_page_text(lang, SHARE_MSG_NEXT));
    }
    if (rc == 0)
        rc = end(b, lang);
    return rc;
}

int share_page_folder(struct buf *b, const char *name, const struct files_share_file *files,
                      size_t n, const char *next_after, int64_t expires_at)
{
    return share_page_folder_in(b, SHARE_EN, name, files, n, next_after, expires_at);
}

int share_page_password_in(struct buf *b, enum share_lang lang, bool wrong)
{
    const char *title = share_page_text(lang, SHARE_MSG_PASSWORD_TITLE);
    int rc = begin(b, lang, title);
    if (rc == 0)
        rc = buf_printf(b, "<h1>%s</h1>\n<p>%s</p>\n", title,
                        share_page_text(lang, SHARE_MSG_PASSWORD_TEXT));
    if (rc == 0 && wrong)
        rc = buf_printf(b, "<p class=\"error\" role=\"alert\">%s</p>\n",
                        share_page_text(lang, SHARE_MSG_PASSWORD_WRONG));
    if (rc == 0)
        rc = buf_printf(b,
                        "<form method=\"post\">\n<label for=\"password\">%s</label>\n"
                        "<input id=\"password\" name=\"password\" type=\"password\" "
                        "required autocomplete=\"off\" autofocus>\n"
                        "<button type=\"submit\">%s</button>\n</form>\n",
                        share_page_text(lang, SHARE_MSG_PASSWORD),
                        share_page_text(lang, SHARE_MSG_OPEN));
    if (rc == 0)
        rc = end(b, lang);
    return rc;
}

int share_page_password(struct buf *b, bool wrong)
{
    return share_page_password_in(b, SHARE_EN, wrong);
}

int share_page_message_in(struct buf *b, enum share_lang lang, const char *title, const char *text)
{
    int rc = begin(b, lang, title);
    if (rc == 0)
        rc = buf_append_str(b, "<h1>");
    if (rc == 0)
        rc = share_html_escape(b, title);
    if (rc == 0)
        rc = buf_append_str(b, "</h1>\n<p>");
    if (rc == 0)
        rc = share_html_escape(b, text);
    if (rc == 0)
        rc = buf_append_str(b, "</p>\n");
    if (rc == 0)
        rc = end(b, lang);
    return rc;
}

int share_page_message(struct buf *b, const char *title, const char *text)
{
    return share_page_message_in(b, SHARE_EN, title, text);
}
