/*
 * The API layer: the route table, the hooks the HTTP server calls around
 * every request (authentication, CSRF, the route's preamble, logging,
 * metrics), and the helpers handlers share.
 *
 * The rule (ARCHITECTURE.md "The service boundary"): a handler parses the
 * request, calls ONE service function (files/, auth/, events/) and renders
 * its answer. It never writes an audit entry, publishes an event, or calls
 * S3 (s3_*) or the store (db_*): the service validates, decides
 * authorization through auth_can, calls S3 and the store, writes the audit
 * entry and publishes the event itself on the bus in its environment
 * (files_env.events). The preamble handlers used to repeat (S3 configured?
 * JSON body? caller and grants loaded?) is a flag on the route
 * (http/router.h enum http_route_flag), applied by api_prepare; handlers
 * read what it prepared with api_json, api_who and api_files_env.
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
/* Applies the route's flags (router.h enum http_route_flag); see the accessors below. */
int api_prepare(struct http_req *req);
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

/* The body of an HTTP_JSON_BODY route: a JSON object, borrowed until the request ends. */
static inline json_t *api_json(struct http_req *req)
{
    return req->json;
}

/*
 * The caller as the policy sees it (account, role, grants) on an
 * HTTP_LOADS_CALLER route; borrowed until the request ends. NULL elsewhere.
 */
struct files_who;
const struct files_who *api_who(struct http_req *req);

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

/* ---- shared by the file handlers (files.c) ---- */
struct files_env;
struct s3_error;
/* The object service's environment for this request (S3, store, buckets, bus). */
void api_files_env(struct http_req *req, struct files_env *env);
/*
 * Cursors of lists paged by row id (cursor.c): list is the letter naming the
 * list ('a' activity, 'n' notifications, 's' shares); out holds at least 48
 * bytes. decode returns 0 or SEAU_E_VALIDATION (malformed, or another list's).
 */
#define API_ID_CURSOR_MAX 48
void api_id_cursor_encode(char list, int64_t id, char *out, size_t n);
int api_id_cursor_decode(char list, const char *s, int64_t *ret);

/* An ETag without its quotes (W/ dropped), or null when empty or NULL. */
json_t *api_etag_json(const char *etag);
/* An RFC 3339 time, or null for 0 and below (unknown). */
json_t *api_time_json(int64_t ms);
/*
 * API.md's object: etag without quotes, times RFC 3339 (null when unknown),
 * contentType null when "" or NULL, uploadedBy the account id or null (0).
 */
json_t *api_object_json(const char *bucket, const char *key, int64_t size, int64_t mtime,
                        const char *etag, const char *content_type, int64_t uploaded_by);
/* 503: S3 is not configured on this server. */
int api_reply_no_s3(struct http_req *req);
/*
 * Answers a service failure: S3's own refusals and outages with
 * s3_error_describe()'s sentence (never a secret), anything else with its
 * default message (a 404 stays plain, so hidden and missing look alike).
 * Returns 0 after replying or rc for the server to answer.
 */
int api_reply_s3_failure(struct http_req *req, int rc, const struct s3_error *e);

/*
 * 503 with Retry-After: SEAU_MAX_TRANSFERS proxied transfers are running
 * (files/transfers.h holds the bound). Returns 0 after replying.
 */
int api_reply_transfers_busy(struct http_req *req);

/*
 * Renders what the download service (files/download.h) answered: rc and pb
 * when it refused (503 with Retry-After when every transfer slot is taken),
 * else a 302 to the presigned URL, or the object streamed through Seau
 * (Range, If-None-Match, If-Range honoured; active types as text/plain
 * under a sandboxing CSP). key names the file saved; inline_ asks for
 * Content-Disposition: inline. Releases d.
 */
struct files_download;
struct files_download_problem;
int api_reply_download(struct http_req *req, int rc, struct files_download *d,
                       const struct files_download_problem *pb, const char *key, bool inline_);

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
/* Answers validation_failed naming one field (a problem found after parsing, e.g. by a service). */
int api_reply_invalid_field(struct http_req *req, const char *field, const char *why);

/*
 * A new account's email, name and role from body (POST /api/users, with or
 * without invite): each required and checked by auth's rules, problems into
 * check; what is missing is NULL. users.c.
 */
void api_account_fields(struct jsonx_check *check, json_t *body, const char **ret_email,
                        const char **ret_name, const char **ret_role);

/* Answers 429 with Retry-After (and details.retryAfter) in seconds. */
int api_reply_rate_limited(struct http_req *req, int64_t retry_after_s);

/* Handlers, grouped by file. */
int api_health(struct http_req *req);
int api_ready(struct http_req *req);
int api_metrics(struct http_req *req);
/* Retry-After of a 503 while the S3 circuit breaker is not closed (http_server_opts hook). */
int64_t api_retry_after_s(struct http_req *req);
/* Tracing of requests (api/trace.c): the http_server_opts hooks, and the end of the span. */
void api_trace_started(struct http_req *req);
void api_trace_on_thread(struct http_req *req, bool entering);
void api_trace_completed(struct http_req *req);
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
int api_download(struct http_req *req);
int api_download_zip(struct http_req *req);
int api_upload(struct http_req *req);
int api_delete_one(struct http_req *req);
int api_delete_many(struct http_req *req);
int api_copy(struct http_req *req);
int api_rename(struct http_req *req);
int api_folders_create(struct http_req *req);
int api_stats(struct http_req *req);
/* trust.c: a folder's totals, the store's capabilities. */
int api_prefix_totals(struct http_req *req);
int api_capabilities(struct http_req *req);
/* Direct uploads (upload_direct.c). */
int api_uploads_create(struct http_req *req);
int api_uploads_get(struct http_req *req);
int api_uploads_parts(struct http_req *req);
int api_uploads_complete(struct http_req *req);
int api_uploads_abort(struct http_req *req);
/* Share links (shares.c); api_share_open answers the public GET and POST /s/{token}. */
int api_shares_create(struct http_req *req);
int api_shares_list(struct http_req *req);
int api_shares_revoke(struct http_req *req);
int api_share_open(struct http_req *req);
/*
 * The origin public links are made on (shares.c): the configured public
 * URL's, else the request's own scheme and Host ("" when the Host is odd).
 */
#define API_LINK_ORIGIN_MAX 512
void api_link_origin(struct http_req *req, char out[API_LINK_ORIGIN_MAX]);
/* Upload links (upload_links.c; the public page and its form: upload_link_page.c). */
int api_upload_links_create(struct http_req *req);
int api_upload_links_list(struct http_req *req);
int api_upload_links_revoke(struct http_req *req);
int api_upload_link_page(struct http_req *req);
int api_upload_link_upload(struct http_req *req);
/* Real-time events (events.c). */
int api_notifications(struct http_req *req);
int api_notifications_ws(struct http_req *req);
int api_events_s3(struct http_req *req);
/* Single sign-on (auth_oidc.c). */
int api_auth_providers(struct http_req *req);
int api_oidc_start(struct http_req *req);
int api_oidc_callback(struct http_req *req);
int api_oidc_logout(struct http_req *req);
/* Second factors, sessions, personal access tokens, the access explainer (identity.c, auth.c). */
int api_mfa_verify(struct http_req *req);
int api_mfa_status(struct http_req *req);
int api_mfa_setup(struct http_req *req);
int api_mfa_confirm(struct http_req *req);
int api_mfa_disable(struct http_req *req);
int api_user_mfa_reset(struct http_req *req);
int api_sessions_list(struct http_req *req);
int api_session_end(struct http_req *req);
int api_sessions_end_others(struct http_req *req);
int api_tokens_list(struct http_req *req);
int api_tokens_create(struct http_req *req);
int api_tokens_revoke(struct http_req *req);
int api_access_explain(struct http_req *req);
/* Versions, recycle bin, tags and metadata (recovery.c). */
int api_versions_list(struct http_req *req);
int api_versions_restore(struct http_req *req);
int api_versions_delete(struct http_req *req);
int api_buckets_versioning(struct http_req *req);
int api_trash_list(struct http_req *req);
int api_trash_restore(struct http_req *req);
int api_trash_purge(struct http_req *req);
int api_tags_get(struct http_req *req);
int api_tags_put(struct http_req *req);
int api_object_patch(struct http_req *req);
/* Invitations (invitations.c): POST /api/users with "invite": true goes to api_users_invite. */
int api_users_invite(struct http_req *req);
int api_user_invitation_reissue(struct http_req *req);
int api_invitation_get(struct http_req *req);
int api_invitation_accept(struct http_req *req);
/* 200 {"token","user","expiresAt","mfaEnrolmentRequired"} and the session cookie; wipes res. */
struct auth_login_result;
int api_reply_signed_in(struct http_req *req, struct auth_login_result *res);

#endif
