/*
 * Checks of the values a request carries (keys, header values, ranges) and
 * parsing of what answer headers return (Content-Range, ETags), XML
 * escaping, Content-MD5.
 */
#include "s3/internal.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#include <openssl/evp.h>

#include <limits.h>
#include <string.h>

int s3__xml_escape(struct buf *b, const char *s)
{
    int rc = 0;
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
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
            rc = buf_append_str(b, "&apos;");
            break;
        case '\t':
            rc = buf_append_str(b, "&#9;");
            break;
        case '\n':
            rc = buf_append_str(b, "&#10;");
            break;
        case '\r':
            rc = buf_append_str(b, "&#13;");
            break;
        default:
            if (*p < 0x20)
                return SEAU_E_VALIDATION;
            rc = buf_append_char(b, (char)*p);
        }
    }
    return rc;
}

/* An object key S3 can store: 1 to S3_MAX_KEY bytes of UTF-8. */
bool s3__key_valid(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    return n > 0 && n <= S3_MAX_KEY && str_utf8_valid(key, n);
}

/* A header value we send: no control character (CR, LF, NUL...). */
bool s3__header_value_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

static bool s3__digits(const char *s, const char *end)
{
    if (s == end)
        return false;
    for (; s < end; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A single byte range: "bytes=F-L", "bytes=F-" or "bytes=-N", F <= L. */
bool s3__range_valid(const char *r)
{
    if (strncmp(r, "bytes=", 6) != 0)
        return false;
    const char *s = r + 6, *dash = strchr(s, '-'), *end = s + strlen(s);
    if (!dash || dash - s > 19 || end - dash - 1 > 19)
        return false;
    if (dash == s)
        return s3__digits(dash + 1, end);
    if (!s3__digits(s, dash))
        return false;
    if (dash + 1 == end)
        return true;
    if (!s3__digits(dash + 1, end))
        return false;
    int64_t first, last;
    struct slice fs = {s, (size_t)(dash - s)}, ls = {dash + 1, (size_t)(end - dash - 1)};
    return slice_to_int64(fs, 0, INT64_MAX, &first) == 0 &&
           slice_to_int64(ls, 0, INT64_MAX, &last) == 0 && first <= last;
}

/* Parses Content-Range "bytes F-L/S" or "bytes *\/S" (an unknown size "*" gives -1). */
int s3__parse_content_range(const char *v, int64_t *ret_first, int64_t *ret_last, int64_t *ret_size)
{
    if (strncmp(v, "bytes ", 6) != 0)
        return SEAU_E_VALIDATION;
    const char *s = v + 6, *slash = strchr(s, '/');
    if (!slash)
        return SEAU_E_VALIDATION;
    int64_t first = -1, last = -1, size = -1;
    if (!(slash - s == 1 && *s == '*')) {
        const char *dash = memchr(s, '-', (size_t)(slash - s));
        if (!dash ||
            slice_to_int64((struct slice){s, (size_t)(dash - s)}, 0, INT64_MAX, &first) != 0 ||
            slice_to_int64((struct slice){dash + 1, (size_t)(slash - dash - 1)}, 0, INT64_MAX,
                           &last) != 0 ||
            first > last)
            return SEAU_E_VALIDATION;
    }
    if (strcmp(slash + 1, "*") != 0 && str_to_int64(slash + 1, 0, INT64_MAX, &size) != 0)
        return SEAU_E_VALIDATION;
    *ret_first = first;
    *ret_last = last;
    *ret_size = size;
    return 0;
}

/* Copies v[0..n) into a fixed field; false when it does not fit. */
bool s3__set_field(char *dst, size_t size, const char *v, size_t n)
{
    if (n >= size)
        return false;
    memcpy(dst, v, n);
    dst[n] = '\0';
    return true;
}

/* Copies s into a fixed field, cut on a UTF-8 boundary when too long. */
void s3__copy_cut(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n > size - 1) {
        n = size - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Writes an ETag into a field, with double quotes added when a server sent
 * it bare (Ceph RGW's CopyObjectResult and CopyPartResult), so that every
 * ETag Seau hands out has one form. "" stays "". */
bool s3__set_etag(char dst[S3_ETAG_SIZE], const char *etag)
{
    size_t n = strlen(etag);
    if (n == 0) {
        dst[0] = '\0';
        return true;
    }
    if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
        return s3__set_field(dst, S3_ETAG_SIZE, etag, n);
    if (n + 2 >= S3_ETAG_SIZE)
        return false;
    dst[0] = '"';
    memcpy(dst + 1, etag, n);
    dst[n + 1] = '"';
    dst[n + 2] = '\0';
    return true;
}

/* Base64 of the MD5 of data, for Content-MD5 (24 characters and a NUL). */
int s3__content_md5(const void *data, size_t len, char ret[25])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(data, len, md, &md_len, EVP_md5(), NULL) != 1 || md_len != 16)
        return SEAU_E_INTERNAL;
    char out[32];
    if (EVP_EncodeBlock((unsigned char *)out, md, 16) != 24)
        return SEAU_E_INTERNAL;
    memcpy(ret, out, 25);
    return 0;
}
