/* Request accessors and the http_reply_* family (see request.h). */
#include "core/err.h"
#include "core/jsonx.h"
#include "core/str.h"
#include "http/request.h"
#include "http/server.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Request bodies nest at most this deep; API.md's shapes need 3. */
#define HTTP_JSON_MAX_DEPTH 16

const char *http_req_header(struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_all {
    const char *name;
    const char **out;
    size_t max, n, seen;
};

static enum MHD_Result query_all_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct query_all *q = cls;
    if (strcmp(key, q->name) == 0 && q->seen++ < q->max)
        q->out[q->n++] = value ? value : "";
    return MHD_YES;
}

size_t http_req_query_all(struct http_req *req, const char *name, const char **out, size_t max,
                          size_t *ret_seen)
{
    struct query_all q = {name, out, max, 0, 0};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_all_one, &q);
    *ret_seen = q.seen;
    return q.n;
}

const char *http_req_cookie(struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

struct slice http_req_param(struct http_req *req, size_t i)
{
    if (i >= req->match.nparams)
        return (struct slice){"", 0};
    return req->match.params[i];
}

static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

int http_req_json(struct http_req *req, json_t **ret)
{
    if (req->json) {
        *ret = req->json;
        return 0;
    }
    if (!is_json_type(http_req_header(req, "Content-Type")))
        return SEAU_E_MEDIA_TYPE;
    json_t *j = NULL;
    int rc = jsonx_parse_object(buf_cstr(&req->body), req->body.len, HTTP_JSON_MAX_DEPTH, &j);
    if (rc)
        return rc;
    req->json = j;
    *ret = j;
    return 0;
}

int http_add_header(struct http_req *req, const char *name, const char *value)
{
    if (req->nextra == HTTP_MAX_EXTRA_HEADERS)
        return SEAU_E_RANGE;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return SEAU_E_NOMEM;
    }
    req->extra[req->nextra].name = n;
    req->extra[req->nextra].value = v;
    req->nextra++;
    return 0;
}

int http_reply_response(struct http_req *req, int status, struct MHD_Response *response,
                        uint64_t bytes)
{
    if (!response)
        return SEAU_E_NOMEM;
    if (req->response)
        MHD_destroy_response(req->response);
    req->response = response;
    req->status = status;
    req->bytes_out = bytes;
    return 0;
}

int http_reply_bytes(struct http_req *req, int status, const char *content_type, const void *data,
                     size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return SEAU_E_NOMEM;
    if (content_type)
        MHD_add_response_header(r, "Content-Type", content_type);
    return http_reply_response(req, status, r, len);
}

int http_reply_json(struct http_req *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text)
        return SEAU_E_NOMEM;
    size_t len = strlen(text);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return SEAU_E_NOMEM;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    return http_reply_response(req, status, r, len);
}

int http_reply_error(struct http_req *req, int err, const char *message, json_t *details)
{
    json_t *body = json_pack("{s:{s:s, s:s}}", "error", "code", err_api_code(err), "message",
                             message ? message : err_message(err));
    if (body && details)
        json_object_set_new(json_object_get(body, "error"), "details", details);
    else
        json_decref(details);
    if (err == SEAU_E_METHOD || err == SEAU_E_TOO_LARGE || err == SEAU_E_HEADERS_TOO_LARGE) {
        /* The rest of the request may still be on the wire: do not reuse the connection. */
        if (err != SEAU_E_METHOD)
            http_add_header(req, "Connection", "close");
    }
    if (err_http_status(err) == 503) {
        bool has = false;
        for (size_t i = 0; i < req->nextra; i++)
            has |= strcasecmp(req->extra[i].name, "Retry-After") == 0;
        int64_t wait_s = has ? 0 : http_server_retry_after(req->server, req);
        if (wait_s > 0) {
            char v[24];
            snprintf(v, sizeof(v), "%lld", (long long)wait_s);
            http_add_header(req, "Retry-After", v);
        }
    }
    int rc = http_reply_json(req, err_http_status(err), body);
    if (rc) {
        /* Not even JSON could be built: a static body still tells the client what happened. */
        static const char fallback[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"The server ran out of memory.\"}}";
        rc = http_reply_bytes(req, 500, "application/json; charset=utf-8", fallback,
                              sizeof(fallback) - 1);
    }
    return rc;
}

int http_reply_empty(struct http_req *req, int status)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    return http_reply_response(req, status, r, 0);
}
