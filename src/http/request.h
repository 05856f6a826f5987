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

struct MHD_Connection;
struct MHD_Response;

#define HTTP_MAX_EXTRA_HEADERS 8
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
    struct http_header extra[HTTP_MAX_EXTRA_HEADERS];
    size_t nextra;
    const char *log_user; /* email for the access log; borrowed from principal */

    /* Server bookkeeping. */
    bool dispatched;
    bool counted;
};

/* A request header or query argument, or NULL. Borrowed until the request ends. */
const char *http_req_header(struct http_req *req, const char *name);
const char *http_req_query(struct http_req *req, const char *name);
const char *http_req_cookie(struct http_req *req, const char *name);
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

#endif
