#include "http/router.h"

#include "core/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Matches one pattern against path; fills params on success. */
static bool match_pattern(const char *pattern, const char *path, struct http_match *m)
{
    const char *pp = pattern, *up = path;
    m->nparams = 0;
    for (;;) {
        if (*pp == '\0' || *up == '\0')
            return *pp == '\0' && *up == '\0';
        if (*pp != '/' || *up != '/')
            return false;
        pp++;
        up++;
        size_t plen = strcspn(pp, "/");
        size_t ulen = strcspn(up, "/");
        if (plen >= 2 && pp[0] == '{' && pp[plen - 1] == '}') {
            if (m->nparams == HTTP_MAX_PARAMS)
                return false;
            bool rest = plen > 5 && memcmp(pp + plen - 4, "...}", 4) == 0;
            if (rest) {
                size_t rlen = strlen(up);
                if (rlen == 0)
                    return false;
                m->params[m->nparams++] = (struct slice){up, rlen};
                return pp[plen] == '\0';
            }
            if (ulen == 0)
                return false;
            m->params[m->nparams++] = (struct slice){up, ulen};
        } else if (plen != ulen || memcmp(pp, up, plen) != 0) {
            return false;
        }
        pp += plen;
        up += ulen;
    }
}

static bool method_matches(const char *route_method, const char *method)
{
    if (strcmp(route_method, method) == 0)
        return true;
    return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
    if (strstr(allow, method))
        return;
    size_t n = strlen(allow);
    snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", method);
}

int http_router_match(const struct http_route *routes, size_t nroutes, const char *method,
                      const char *path, struct http_match *ret)
{
    struct http_match m;
    bool path_seen = false;
    char allow[sizeof(m.allow)] = "";
    for (size_t i = 0; i < nroutes; i++) {
        if (!match_pattern(routes[i].pattern, path, &m))
            continue;
        if (method_matches(routes[i].method, method)) {
            m.route = &routes[i];
            m.allow[0] = '\0';
            *ret = m;
            return 0;
        }
        path_seen = true;
        allow_add(allow, sizeof(allow), routes[i].method);
        if (strcmp(routes[i].method, "GET") == 0)
            allow_add(allow, sizeof(allow), "HEAD");
    }
    memset(ret, 0, sizeof(*ret));
    if (!path_seen)
        return SEAU_E_NOT_FOUND;
    snprintf(ret->allow, sizeof(ret->allow), "%s", allow);
    return SEAU_E_METHOD;
}
