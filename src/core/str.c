#include "core/str.h"

#include "core/err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct slice slice_from_cstr(const char *s)
{
    return (struct slice){s, s ? strlen(s) : 0};
}

bool slice_eq_cstr(struct slice s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && memcmp(s.p, c, n) == 0;
}

bool slice_starts_with(struct slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

char *slice_dup(struct slice s)
{
    char *p = malloc(s.len + 1);
    if (!p)
        return NULL;
    if (s.len)
        memcpy(p, s.p, s.len);
    p[s.len] = '\0';
    return p;
}

int slice_to_int64(struct slice s, int64_t min, int64_t max, int64_t *ret)
{
    size_t i = 0;
    bool neg = false;
    if (s.len == 0)
        return SEAU_E_VALIDATION;
    if (s.p[0] == '-' || s.p[0] == '+') {
        neg = s.p[0] == '-';
        i = 1;
        if (s.len == 1)
            return SEAU_E_VALIDATION;
    }
    /* Accumulate as a negative number so INT64_MIN is representable. */
    int64_t v = 0;
    for (; i < s.len; i++) {
        char c = s.p[i];
        if (c < '0' || c > '9')
            return SEAU_E_VALIDATION;
        int d = c - '0';
        if (v < (INT64_MIN + d) / 10)
            return SEAU_E_RANGE;
        v = v * 10 - d;
    }
    if (!neg) {
        if (v == INT64_MIN)
            return SEAU_E_RANGE;
        v = -v;
    }
    if (v < min || v > max)
        return SEAU_E_RANGE;
    *ret = v;
    return 0;
}

int str_to_int64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
    if (!s)
        return SEAU_E_VALIDATION;
    return slice_to_int64(slice_from_cstr(s), min, max, ret);
}

int str_to_duration_ms(const char *s, int64_t *ret_ms)
{
    if (!s)
        return SEAU_E_VALIDATION;
    size_t n = strlen(s);
    size_t digits = 0;
    while (digits < n && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (digits == 0)
        return SEAU_E_VALIDATION;
    const char *unit = s + digits;
    int64_t mult;
    if (*unit == '\0' || strcmp(unit, "s") == 0)
        mult = 1000;
    else if (strcmp(unit, "ms") == 0)
        mult = 1;
    else if (strcmp(unit, "m") == 0)
        mult = 60 * 1000;
    else if (strcmp(unit, "h") == 0)
        mult = 3600 * 1000;
    else if (strcmp(unit, "d") == 0)
        mult = 86400 * 1000;
    else
        return SEAU_E_VALIDATION;
    int64_t v;
    int rc = slice_to_int64((struct slice){s, digits}, 0, INT64_MAX / mult, &v);
    if (rc)
        return rc;
    *ret_ms = v * mult;
    return 0;
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when none starts there. */
static size_t utf8_seq_len(const unsigned char *p, size_t len)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
    if (n > len || !str_utf8_valid((const char *)p, n))
        return 0;
    return n;
}

size_t str_utf8_copy_lossy(char *out, size_t outlen, const char *in)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t len = strlen(in), w = 0;
    if (outlen == 0)
        return 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(p + i, len - i);
        size_t take = n ? n : 1;
        if (w + take >= outlen)
            break;
        if (n)
            memcpy(out + w, p + i, n);
        else
            out[w] = '?';
        w += take;
        i += take;
    }
    out[w] = '\0';
    return w;
}

bool str_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i - 1 < need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += need + 1;
    }
    return true;
}

bool str_has_control(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7F)
            return true;
        /* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F. */
        if (p[i] == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
            return true;
    }
    return false;
}

bool str_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    /* The lengths of our secrets (hashes, tokens) are public; their bytes are not. */
    if (alen != blen)
        return false;
    return alen == 0 || sodium_memcmp(a, b, alen) == 0;
}

void str_wipe(void *p, size_t n)
{
    if (p && n)
        sodium_memzero(p, n);
}

void str_free_secret(char *s)
{
    if (!s)
        return;
    str_wipe(s, strlen(s));
    free(s);
}

void str_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0F];
    }
    out[2 * n] = '\0';
}

bool str_ieq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
        if (x == '\0')
            return true;
    }
}

char *str_dup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}
