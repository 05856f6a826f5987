/*
 * The API layer: the route table, the hooks the HTTP server calls around
 * every request (authentication, CSRF, logging, metrics), and the helpers
 * handlers share. Handlers are thin: parse and validate, call a service,
 * render JSON (STYLE.md rule 5).
 */
#ifndef SEAU_API_API_H
#define SEAU_API_API_H

#include "api/app.h"
#include "audit/audit.h"
#include "auth/session.h"
#include "db/db.h"
#include "http/request.h"
#include "http/router.h"

#include <jansson.h>
#include <stddef.h>

/* The route table. */
extern const struct http_route api_routes[];
extern const size_t api_nroutes;

/* Hooks for http_server_opts. */
int api_authenticate(struct http_req *req);
void api_release(struct http_req *req);
void api_completed(struct http_req *req, double seconds);

/* The application state of a request. */
static inline struct app *api_app(struct http_req *req)
{
    return req->app;
}

/* The signed-in caller; only valid on routes that are not public. */
static inline struct auth_principal *api_principal(struct http_req *req)
{
    return req->principal;
}

/*
 * The CSRF rule of API.md: a state-changing request must come from our own
 * origin (Sec-Fetch-Site, else Origin). With require true, a request that
 * carries neither header is refused too. Returns 0 or SEAU_E_CSRF.
 */
int api_csrf_check(struct http_req *req, bool require);

/* Who is acting, for audit entries; strings borrowed from req and buffers in a. */
struct api_actor {
    struct audit_actor actor;
    char user_agent[513];
};
void api_actor_init(struct api_actor *a, struct http_req *req);

/* A user as API.md shows it (never the password hash). New reference. */
json_t *api_user_json(const struct db_user *u);

/* Reads a path parameter as an account id; SEAU_E_NOT_FOUND when it is not one. */
int api_param_id(struct http_req *req, size_t i, int64_t *ret);

/*
 * Reads the limit query parameter: default 100, at most 1000. Returns 0 or
 * SEAU_E_VALIDATION (with a field error recorded in check).
 */
struct jsonx_check;
int api_query_limit(struct http_req *req, struct jsonx_check *check, size_t *ret);

/* Answers validation_failed with the fields collected in check (consumed). */
int api_reply_invalid(struct http_req *req, struct jsonx_check *check);

/* Answers 429 with Retry-After (and details.retryAfter) in seconds. */
int api_reply_rate_limited(struct http_req *req, int64_t retry_after_s);

/* Handlers, grouped by file. */
int api_health(struct http_req *req);
int api_ready(struct http_req *req);
int api_metrics(struct http_req *req);
int api_openapi(struct http_req *req);
int api_login(struct http_req *req);
int api_logout(struct http_req *req);
int api_me(struct http_req *req);
int api_users_list(struct http_req *req);
int api_users_create(struct http_req *req);
int api_users_update(struct http_req *req);
int api_users_delete(struct http_req *req);
int api_grants_get(struct http_req *req);
int api_grants_put(struct http_req *req);
int api_activity(struct http_req *req);
int api_search(struct http_req *req);
int api_buckets(struct http_req *req);
int api_list(struct http_req *req);
int api_object(struct http_req *req);
int api_delete_one(struct http_req *req);
int api_delete_many(struct http_req *req);

#endif
