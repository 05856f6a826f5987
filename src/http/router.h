/*
 * The route table and its matcher (STYLE.md rule 5).
 *
 * A table lists, for every API endpoint, the method, the path pattern, the
 * handler, the least role that may call it and the largest body it
 * accepts. The server authenticates and checks the role from the table
 * before a handler runs, so handlers never repeat those checks.
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

#define HTTP_MAX_PARAMS 4

struct http_route {
    const char *method; /* "GET", "POST", ...; a GET route also answers HEAD */
    const char *pattern;
    http_handler handler;
    enum http_access access;
    size_t body_limit; /* bytes; 0: the request must have no body */
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
