/*
 * One HTTP request as handlers see it, and the ways to answer it.
 *
 * The server allocates a request when its headers arrive and frees it, with
 * everything hanging off it, when the response has been sent (STYLE.md rule
 * 12). Handlers borrow it for the duration of the call and answer with
 * exactly one http_reply_* call.
 */
#ifndef SEAU_HTTP_REQUEST_H
#define SEAU_HTTP_REQUEST_H

#include "core/buf.h"
#include "http/router.h"

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct MHD_Connection;
struct MHD_Response;

#define HTTP_MAX_EXTRA_HEADERS 16
#define HTTP_REQUEST_ID_MAX 64

struct http_header {
    char *name;
    char *value;
};

struct http_req {
    struct MHD_Connection *conn;
    void *app; /* the application's state, from http_server_opts */
    const char *method;
    const char *path;         /* decoded path, without the query string */
    struct http_match match;  /* route and path parameters */
    char route_label[64];     /* route pattern for metrics, or "static", "unmatched" */
    struct buf body;          /* the request body, bounded by the route's limit */
    json_t *json;             /* parsed body (http_req_json), owned */
    void *principal;          /* set by the authenticate hook; owned by it */
    int access;               /* role level of the principal (enum http_access) */
    bool via_cookie;          /* authenticated by the session cookie (CSRF applies) */
    bool secure;              /* reached over https (directly or via a trusted proxy) */
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    char client_ip[INET6_ADDRSTRLEN];
    int64_t start_ns;

    /* The answer, set by http_reply_*. */
    struct MHD_Response *response;
    int status;
    uint64_t bytes_out;
    bool api; /* an /api/ path: strict CSP, JSON errors */
    bool own_csp; /* the handler sends the one Content-Security-Policy (a public page's) */
    struct http_header extra[HTTP_MAX_EXTRA_HEADERS];
    size_t nextra;
    const char *log_user; /* email for the access log; borrowed from principal */
    void *trace;          /* the request's span (core/trace.h), owned by the started hook's side */

    /* Server bookkeeping. */
    void *server; /* struct http_server */
    bool dispatched;
    bool counted;
    struct http_body *body_stream; /* set by http_req_stream_body */
};

/* A request header or query argument, or NULL. Borrowed until the request ends. */
const char *http_req_header(struct http_req *req, const char *name);
const char *http_req_query(struct http_req *req, const char *name);
const char *http_req_cookie(struct http_req *req, const char *name);
/*
 * Every value of a query argument given several times (?k=a&k=b), in order:
 * the first max into out (borrowed until the request ends; a value-less
 * argument reads ""), and how many were given in *ret_seen (more than max
 * when past it). Returns how many were stored.
 */
size_t http_req_query_all(struct http_req *req, const char *name, const char **out, size_t max,
                          size_t *ret_seen);
/* The i-th path parameter, URL-decoded by the server; borrowed from the path, not NUL-terminated. */
struct slice http_req_param(struct http_req *req, size_t i);

/*
 * Parses the body as a JSON object (the route must accept a body). Checks
 * the content type (415), depth (413) and syntax (400). Returns 0 and a
 * borrowed object in *ret, or a SEAU_E_* code with no reply queued.
 */
int http_req_json(struct http_req *req, json_t **ret);

/* Adds a response header; the value is copied. Returns 0 or SEAU_E_NOMEM / SEAU_E_RANGE. */
int http_add_header(struct http_req *req, const char *name, const char *value);

/* Answers with body (a JSON value whose reference is taken). */
int http_reply_json(struct http_req *req, int status, json_t *body);
/*
 * Answers with API.md's error shape for err; message NULL uses the default
 * message, details (taken) may be NULL.
 */
int http_reply_error(struct http_req *req, int err, const char *message, json_t *details);
/* Answers with no body (204, 304, ...). */
int http_reply_empty(struct http_req *req, int status);
/* Answers with bytes (copied) of the given content type. */
int http_reply_bytes(struct http_req *req, int status, const char *content_type, const void *data,
                     size_t len);
/* Answers with a response the caller built (taken), e.g. from a file. */
int http_reply_response(struct http_req *req, int status, struct MHD_Response *response,
                        uint64_t bytes);

/* ================================= streamed responses ================================= */

/*
 * A response body produced while it is sent (proxied downloads, ZIP), with
 * memory bounded whatever its size, and without ever blocking a server
 * thread: when the producer has nothing ready, the connection is parked
 * (libmicrohttpd's suspend) and other connections on that thread go on;
 * http_stream_wake() brings it back.
 */
#define HTTP_STREAM_END   (-1) /* from read: the body is complete */
#define HTTP_STREAM_ERROR (-2) /* from read: abort; the client sees the connection cut */

struct http_stream_source {
    /*
     * Called on a server thread when the client can take more: copies up to
     * max bytes into buf and returns how many (> 0); 0 when nothing is ready
     * yet (call http_stream_wake once something is); HTTP_STREAM_END;
     * HTTP_STREAM_ERROR. Must not block.
     */
    ssize_t (*read)(void *ctx, char *buf, size_t max);
    /*
     * Called exactly once, on a server thread, when the response is done
     * with: sent, failed, the client went away, or the server stops. After it
     * returns, ctx is not used again and http_stream_wake must no longer be
     * called (stop and join any producer thread first).
     */
    void (*release)(void *ctx);
};

struct http_stream;

/*
 * A stream over src and ctx, to hand to http_reply_stream(). NULL when out
 * of memory (then release is not called: ctx is still the caller's).
 */
struct http_stream *http_stream_new(const struct http_stream_source *src, void *ctx);

/*
 * Answers with status and the stream's bytes (s is taken: from now on its
 * release will be called, also when this fails). size: the exact body
 * length (Content-Length), or -1 for a chunked body. Add headers with
 * http_add_header before. Returns 0 or SEAU_E_NOMEM (nothing queued, src
 * released).
 */
int http_reply_stream(struct http_req *req, int status, const char *content_type, int64_t size,
                      struct http_stream *s);

/* Something new is ready for read (bytes, the end, an error). Any thread. */
void http_stream_wake(struct http_stream *s);

/* ================================= streamed request bodies ============================ */

/*
 * A route whose body_limit is HTTP_BODY_STREAMED gets its body as it
 * arrives instead of buffered: its handler runs once the headers are in
 * (authenticated, role checked) and either answers at once (the body is
 * then read and dropped, up to a bound) or calls http_req_stream_body()
 * and returns 0 without answering. The sink then sees the bytes, in order,
 * and answers at the end. A sink that cannot take bytes now (an S3 part is
 * being sent) returns HTTP_BODY_PAUSE; the connection's thread then waits
 * until http_body_resume() (see http/stream.c for why it waits rather than
 * parks).
 */
#define HTTP_BODY_STREAMED ((size_t)-1)
#define HTTP_BODY_PAUSE    1

struct http_body_sink {
    /*
     * The next n bytes of the body (n > 0). Returns 0 when all were taken,
     * HTTP_BODY_PAUSE when none were (called again with the same bytes after
     * http_body_resume), or a SEAU_E_* code: the server answers with it
     * unless the sink already answered, and drops the rest of the body.
     */
    int (*data)(void *ctx, struct http_req *req, const char *data, size_t n);
    /*
     * The body is complete: answer with one http_reply_* and return 0;
     * or return HTTP_BODY_PAUSE to be called again after http_body_resume
     * (e.g. while the last part and the completion run); or a SEAU_E_* code
     * for the server to answer with.
     */
    int (*end)(void *ctx, struct http_req *req);
    /*
     * Called exactly once when the request is over, whatever happened: after
     * the answer was sent, or when the client went away mid-body (then end
     * was never called: undo what was started), or when the server stops.
     * After it returns, ctx is not used and http_body_resume must not be
     * called again.
     */
    void (*release)(void *ctx);
};

struct http_body;

/*
 * From a streamed route's handler: the body goes to sink with ctx. Returns 0
 * and the handle for http_body_resume in *ret (valid until release), or
 * SEAU_E_NOMEM (release not called).
 */
int http_req_stream_body(struct http_req *req, const struct http_body_sink *sink, void *ctx,
                         struct http_body **ret);

/* The sink can go on (after HTTP_BODY_PAUSE). Any thread. */
void http_body_resume(struct http_body *b);

#endif
