/*
 * The route table and its matcher (STYLE.md rule 5).
 *
 * A table lists, for every API endpoint, the method, the path pattern, the
 * handler, the least role that may call it and the largest body it
 * accepts. The server authenticates and checks the role from the table
 * before a handler runs, so handlers never repeat those checks.
 *
 * A route's flags name the preamble its handler needs (the S3 store, a JSON
 * body, the caller's grants). The server hands them to the application's
 * prepare hook (http_server_opts.prepare; api/middleware.c for Seau), which
 * applies them after authentication and before the handler, so that no
 * handler repeats them either.
 *
 * Patterns are literal segments and parameters: "/api/users/{id}/grants".
 * A parameter matches one non-empty segment; "{name...}" as the last
 * segment matches the rest of the path, slashes included.
 */
#ifndef SEAU_HTTP_ROUTER_H
#define SEAU_HTTP_ROUTER_H

#include "core/str.h"

#include <stddef.h>

struct http_req;

/* Returns 0 after queueing a reply, or a SEAU_E_* code the server answers with. */
typedef int (*http_handler)(struct http_req *req);

/* Least role a route needs; the values order the roles. */
enum http_access {
    HTTP_PUBLIC = 0,  /* no session needed */
    HTTP_USER = 1,    /* any signed-in user */
    HTTP_MANAGER = 2, /* manager or admin */
    HTTP_ADMIN = 3,
};

/*
 * The preamble a route asks for (bits of http_route.flags), applied in this
 * order by the prepare hook; the first that fails answers the request and
 * the handler does not run.
 */
enum http_route_flag {
    HTTP_SAME_ORIGIN = 1u << 0,  /* the CSRF rule, also without a session (login CSRF) */
    HTTP_NEEDS_S3 = 1u << 1,     /* 503 when S3 is not configured */
    HTTP_JSON_BODY = 1u << 2,    /* the body parsed as a JSON object (415, 413, 400 otherwise) */
    HTTP_LOADS_CALLER = 1u << 3, /* the caller's account and grants loaded (non-public routes) */
    HTTP_OFFLOAD = 1u << 4,      /* the handler may wait on another server (mail): offloaded */
};

#define HTTP_MAX_PARAMS 4

struct http_route {
    const char *method; /* "GET", "POST", ...; a GET route also answers HEAD */
    const char *pattern;
    http_handler handler;
    enum http_access access;
    size_t body_limit; /* bytes; 0: the request must have no body */
    unsigned flags;    /* enum http_route_flag bits; 0: no preamble */
};

struct http_match {
    const struct http_route *route;
    struct slice params[HTTP_MAX_PARAMS]; /* borrowed from the path */
    size_t nparams;
    char allow[64]; /* for SEAU_E_METHOD: the methods the path accepts, e.g. "GET, PATCH" */
};

/*
 * Finds the route for method and path. Returns 0 with ret filled in,
 * SEAU_E_NOT_FOUND when no pattern matches the path, or SEAU_E_METHOD
 * when some pattern matches but not for this method (ret->allow names the
 * methods that would). O(routes x segments), fine for a few dozen routes.
 */
int http_router_match(const struct http_route *routes, size_t nroutes, const char *method,
                      const char *path, struct http_match *ret);

#endif
