/*
 * An incremental multipart/form-data parser (RFC 7578, RFC 2046 §5.1), fed
 * the body in pieces of any size: it never holds a part's content, only one
 * part's headers (bounded) and the few bytes that might begin a boundary.
 * It is the front of proxied uploads, so it reads untrusted bytes: limits
 * below, and a libFuzzer harness (tests/fuzz/multipart.c).
 *
 * Parts come out as begin (name, filename, content type), data (any number of
 * pieces, possibly empty), end. Bytes before the first boundary (preamble) and
 * after the last (epilogue) are ignored, as RFC 2046 says.
 */
#ifndef SEAU_HTTP_MULTIPART_H
#define SEAU_HTTP_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MULTIPART_BOUNDARY_MAX 70    /* RFC 2046 */
#define HTTP_MULTIPART_HEADERS_MAX  8192  /* bytes of one part's headers */
#define HTTP_MULTIPART_NAME_MAX     256   /* bytes of a field name */
#define HTTP_MULTIPART_FILENAME_MAX 1024  /* bytes of a file name (an S3 key's limit) */
#define HTTP_MULTIPART_TYPE_MAX     255

/* One part's headers, as the begin callback sees them (borrowed for the call). */
struct http_multipart_part {
    const char *name;         /* the form field's name; "" when absent */
    const char *filename;     /* NULL for a plain field; the file name (UTF-8) for a file */
    const char *content_type; /* "" when absent */
};

/*
 * Callbacks return 0 to go on, or a negative SEAU_E_* code that stops the
 * parser: http_multipart_feed returns it as is.
 */
struct http_multipart_handler {
    int (*begin)(void *ctx, const struct http_multipart_part *part);
    int (*data)(void *ctx, const char *data, size_t n);
    int (*end)(void *ctx);
};

struct http_multipart;

/*
 * Reads the boundary parameter of a Content-Type header into out (at least
 * HTTP_MULTIPART_BOUNDARY_MAX + 1 bytes). Returns 0, SEAU_E_MEDIA_TYPE when the
 * type is not multipart/form-data, SEAU_E_BAD_REQUEST for a missing or
 * malformed boundary.
 */
int http_multipart_boundary(const char *content_type, char *out, size_t n);

/* A parser for boundary (copied). NULL when out of memory. */
struct http_multipart *http_multipart_new(const char *boundary,
                                          const struct http_multipart_handler *h, void *ctx);
void http_multipart_free(struct http_multipart *m);

/*
 * Parses the next n bytes. Returns 0, SEAU_E_BAD_REQUEST for a malformed body
 * (headers too long, no Content-Disposition, bytes after the parser failed),
 * or a callback's code. After a failure every call fails.
 */
int http_multipart_feed(struct http_multipart *m, const char *data, size_t n);

/* The body ended: 0 when the closing boundary was seen, else SEAU_E_BAD_REQUEST. */
int http_multipart_finish(struct http_multipart *m);

#endif
