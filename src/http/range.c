#include "http/range.h"

#include <string.h>

/* Parses a decimal of at most 18 digits at *s; advances *s. */
static bool digits(const char **s, int64_t *ret)
{
    const char *p = *s;
    int64_t v = 0;
    size_t n = 0;
    while (*p >= '0' && *p <= '9') {
        if (++n > 18)
            return false;
        v = v * 10 + (*p - '0');
        p++;
    }
    if (n == 0)
        return false;
    *s = p;
    *ret = v;
    return true;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Compares two entity tags, ignoring a weak prefix on either. */
static bool etag_weak_equal(const char *a, size_t alen, const char *b)
{
    if (alen >= 2 && a[0] == 'W' && a[1] == '/') {
        a += 2;
        alen -= 2;
    }
    if (strncmp(b, "W/", 2) == 0)
        b += 2;
    return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/* Whether the comma-separated If-None-Match list names etag (or is "*"). */
static bool none_match_hits(const char *list, const char *etag)
{
    const char *p = list;
    for (;;) {
        p = skip_ws(p);
        if (*p == '\0')
            return false;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        if ((m == 1 && p[0] == '*') || (etag[0] && etag_weak_equal(p, m, etag)))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
}

struct http_range http_range_decide(const char *range, const char *if_range,
                                    const char *if_none_match, int64_t size, const char *etag)
{
    struct http_range full = {HTTP_RANGE_FULL, 0, size > 0 ? size - 1 : 0};
    if (if_none_match && none_match_hits(if_none_match, etag))
        return (struct http_range){HTTP_RANGE_NOT_MODIFIED, 0, 0};
    if (!range)
        return full;
    /* If-Range with an ETag: only a strong match keeps the range. Dates are not trusted. */
    if (if_range && (strncmp(if_range, "W/", 2) == 0 || strcmp(if_range, etag) != 0))
        return full;
    const char *p = skip_ws(range);
    if (strncmp(p, "bytes=", 6) != 0)
        return full;
    p = skip_ws(p + 6);
    int64_t first = -1, last = -1;
    if (*p == '-') {
        /* A suffix: the last N bytes. */
        p++;
        int64_t n;
        if (!digits(&p, &n))
            return full;
        if (*skip_ws(p) != '\0')
            return full;
        if (n == 0 || size == 0)
            return (struct http_range){HTTP_RANGE_UNSATISFIABLE, 0, 0};
        first = n >= size ? 0 : size - n;
        last = size - 1;
    } else {
        if (!digits(&p, &first) || *p != '-')
            return full;
        p++;
        if (*p >= '0' && *p <= '9') {
            if (!digits(&p, &last) || last < first)
                return full;
        }
        if (*skip_ws(p) != '\0')
            return full; /* several ranges, or junk: serve it all */
        if (first >= size)
            return (struct http_range){HTTP_RANGE_UNSATISFIABLE, 0, 0};
        if (last < 0 || last >= size)
            last = size - 1;
    }
    return (struct http_range){HTTP_RANGE_PARTIAL, first, last};
}
