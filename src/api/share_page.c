/* The public page of a share link; see share_page.h. */
#include "api/share_page.h"

#include "core/codec.h"
#include "core/err.h"
#include "core/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The only style the page may use: its hash is in the page's CSP (share_page_csp). */
static const char style[] =
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
    "footer{text-align:center;color:#59636e;font-size:.85rem;margin-top:1rem}";

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

void share_size_text(int64_t bytes, char out[32])
{
    static const char *const units[] = {"KB", "MB", "GB", "TB", "PB", "EB"};
    if (bytes < 1000) {
        snprintf(out, 32, "%lld byte%s", (long long)bytes, bytes == 1 ? "" : "s");
        return;
    }
    double v = (double)bytes;
    size_t u = 0;
    v /= 1000.0;
    while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1000.0;
        u++;
    }
    snprintf(out, 32, "%.1f %s", v, units[u]);
}

void share_page_csp(char out[SHARE_PAGE_CSP_MAX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)style, sizeof(style) - 1);
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, SHARE_PAGE_CSP_MAX,
             "default-src 'none'; style-src 'sha256-%s'; form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'",
             b64);
}

static int begin(struct buf *b, const char *title)
{
    int rc = buf_append_str(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                               "<meta charset=\"utf-8\">\n"
                               "<meta name=\"viewport\" content=\"width=device-width, "
                               "initial-scale=1\">\n"
                               "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
                               "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    if (rc == 0)
        rc = share_html_escape(b, title);
    if (rc == 0)
        rc = buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", style);
    return rc;
}

static int end(struct buf *b)
{
    return buf_append_str(b, "</main>\n<footer><p>Shared with Seau</p></footer>\n"
                             "</body>\n</html>\n");
}

/* "Available until ..." or "No expiry", as one paragraph line fragment. */
static int expiry_text(struct buf *b, int64_t expires_at)
{
    if (!expires_at)
        return buf_append_str(b, "no expiry");
    char t[TIME_RFC3339_LEN];
    time_rfc3339(expires_at, t);
    return buf_printf(b, "available until <time datetime=\"%s\">%.10s %.5s UTC</time>", t, t,
                      t + 11);
}

int share_page_file(struct buf *b, const char *name, int64_t size, int64_t expires_at)
{
    char sz[32];
    share_size_text(size, sz);
    int rc = begin(b, name);
    if (rc == 0)
        rc = buf_append_str(b, "<h1>");
    if (rc == 0)
        rc = share_html_escape(b, name);
    if (rc == 0)
        rc = buf_printf(b, "</h1>\n<p class=\"meta\">%s &middot; ", sz);
    if (rc == 0)
        rc = expiry_text(b, expires_at);
    if (rc == 0)
        rc = buf_append_str(b, "</p>\n<p><a class=\"button\" href=\"?download=1\" "
                               "rel=\"nofollow\">Download</a></p>\n");
    if (rc == 0)
        rc = end(b);
    return rc;
}

int share_page_folder(struct buf *b, const char *name, const struct files_share_file *files,
                      size_t n, const char *next_after, int64_t expires_at)
{
    int rc = begin(b, name);
    if (rc == 0)
        rc = buf_append_str(b, "<h1>");
    if (rc == 0)
        rc = share_html_escape(b, name);
    if (rc == 0)
        rc = buf_append_str(b, "</h1>\n<p class=\"meta\">Shared folder &middot; ");
    if (rc == 0)
        rc = expiry_text(b, expires_at);
    if (rc == 0)
        rc = buf_append_str(b, "</p>\n");
    if (rc == 0 && n == 0)
        rc = buf_append_str(b, "<p>There are no files here.</p>\n");
    if (rc == 0 && n > 0)
        rc = buf_append_str(b, "<table>\n<thead><tr><th>Name</th><th class=\"size\">Size</th>"
                               "</tr></thead>\n<tbody>\n");
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
        share_size_text(files[i].size, sz);
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
            rc = buf_append_str(b, "\" rel=\"nofollow\">Next page</a></p>\n");
    }
    if (rc == 0)
        rc = end(b);
    return rc;
}

int share_page_password(struct buf *b, bool wrong)
{
    int rc = begin(b, "Password required");
    if (rc == 0)
        rc = buf_append_str(b, "<h1>Password required</h1>\n"
                               "<p>This link is protected by a password.</p>\n");
    if (rc == 0 && wrong)
        rc = buf_append_str(b, "<p class=\"error\" role=\"alert\">That password is not right."
                               "</p>\n");
    if (rc == 0)
        rc = buf_append_str(b, "<form method=\"post\">\n<label for=\"password\">Password</label>\n"
                               "<input id=\"password\" name=\"password\" type=\"password\" "
                               "required autocomplete=\"off\" autofocus>\n"
                               "<button type=\"submit\">Open</button>\n</form>\n");
    if (rc == 0)
        rc = end(b);
    return rc;
}

int share_page_message(struct buf *b, const char *title, const char *text)
{
    int rc = begin(b, title);
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
        rc = end(b);
    return rc;
}
