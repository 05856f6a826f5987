/*
 * Conditional and partial GETs of one representation (RFC 9110 §13, §14):
 * what a proxied download answers given the client's Range, If-Range and
 * If-None-Match headers and the object's size and ETag. Pure.
 */
#ifndef SEAU_HTTP_RANGE_H
#define SEAU_HTTP_RANGE_H

#include <stdbool.h>
#include <stdint.h>

enum http_range_kind {
    HTTP_RANGE_FULL,          /* 200: the whole object */
    HTTP_RANGE_PARTIAL,       /* 206: bytes first..last */
    HTTP_RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes * /size */
    HTTP_RANGE_NOT_MODIFIED,  /* 304 */
};

struct http_range {
    enum http_range_kind kind;
    int64_t first, last; /* inclusive; PARTIAL only */
};

/*
 * Decides the answer. range, if_range, if_none_match: the client's headers
 * or NULL. Only one byte range is served: a list of ranges, another unit or
 * a malformed header is ignored (200 with everything), as RFC 9110 allows.
 * If-None-Match matches weakly (W/ prefixes ignored), "*" matches anything;
 * If-Range applies the range only when it equals the ETag (strong).
 */
struct http_range http_range_decide(const char *range, const char *if_range,
                                    const char *if_none_match, int64_t size, const char *etag);

#endif
