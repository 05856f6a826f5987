/*
 * Tracing of requests (core/trace.h): a SERVER span per request, the child
 * of the caller's W3C traceparent when it sends one, named after the route
 * pattern (never the raw path: names and labels stay few), with the status
 * and the user's id; its context is the thread's current one while the
 * request's work runs, so S3 calls, store transactions and scans become its
 * children. With tracing on, the request id (access log, X-Request-Id) is
 * the trace id, so a log line leads to its trace.
 */
#include "api/api.h"

#include "auth/session.h"
#include "core/trace.h"

#include <stdio.h>
#include <string.h>

void api_trace_started(struct http_req *req)
{
    if (!trace_enabled())
        return;
    struct trace_ctx parent;
    memset(&parent, 0, sizeof(parent));
    const char *tp = http_req_header(req, "traceparent");
    if (tp && !trace_parse_traceparent(tp, &parent))
        memset(&parent, 0, sizeof(parent));
    struct trace_span *s = trace_span_start(req->method, TRACE_SERVER, &parent);
    if (!s)
        return;
    req->trace = s;
    struct trace_ctx ctx;
    trace_span_ctx(s, &ctx);
    char id[33];
    trace_format_trace_id(&ctx, id);
    snprintf(req->request_id, sizeof(req->request_id), "%s", id);
    trace_span_str(s, "http.request.method", req->method);
    trace_span_str(s, "client.address", req->client_ip);
}

void api_trace_on_thread(struct http_req *req, bool entering)
{
    if (!req->trace)
        return;
    if (entering) {
        struct trace_ctx ctx;
        trace_span_ctx(req->trace, &ctx);
        trace_enter(&ctx, NULL);
    } else {
        trace_leave(NULL);
    }
}

void api_trace_completed(struct http_req *req)
{
    struct trace_span *s = req->trace;
    if (!s)
        return;
    req->trace = NULL;
    char name[96];
    snprintf(name, sizeof(name), "%s %s", req->method, req->route_label);
    trace_span_name(s, name);
    trace_span_str(s, "http.route", req->route_label);
    trace_span_int(s, "http.response.status_code", req->status);
    const struct auth_principal *p = req->principal;
    if (p)
        trace_span_int(s, "enduser.id", p->user.id);
    if (req->status >= 500)
        trace_span_error(s, NULL);
    trace_span_end(s);
}
