#include "http/server.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/clientip.h"
#include "http/edge.h"
#include "http/offload.h"
#include "http/static.h"
#include "http/stream.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_opts o;
    atomic_uint in_flight;
    atomic_bool closing;         /* http_server_closing: answers end their connection */
    struct http_parking parking; /* connections of streamed responses and bodies */
    struct http__edge *edge;     /* head deadlines, per-address cap, the library's errors */
    struct http__offload *offload; /* handlers that call S3, off libmicrohttpd's workers */
};

int64_t http_server_retry_after(void *server, struct http_req *req)
{
    struct http_server *s = server;
    return s && s->o.retry_after_s ? s->o.retry_after_s(req) : 0;
}

struct http_parking *http_server_parking(void *server)
{
    return server ? &((struct http_server *)server)->parking : NULL;
}

/* Per-request state the handlers do not see. */
struct req_state {
    struct http_req req;
    int match_rc;
    size_t discarded;    /* body bytes dropped after an early answer */
    bool queued;         /* a response was handed to libmicrohttpd */
    bool body_done;      /* a streamed body's sink has answered */
    const char *version; /* "HTTP/1.1", borrowed from libmicrohttpd */
    struct http__job job;          /* the handler's run on an offload thread */
    struct http_server *server;    /* for the job */
};

/* Body bytes read and dropped after an early error answer before the connection is cut. */
#define HTTP_DISCARD_MAX (1024 * 1024)

static const char api_csp[] = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

static void apply_headers(struct http_server *s, struct http_req *req)
{
    struct MHD_Response *r = req->response;
    MHD_add_response_header(r, "X-Request-Id", req->request_id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, "Permissions-Policy",
                            "camera=(), microphone=(), geolocation=(), payment=()");
    /*
     * A handler's own complete policy (one with default-src, as the share
     * page's) stands alone: a browser enforces every policy it gets, so the
     * server's would block what the page's allows. One that only adds a
     * directive ("sandbox") narrows the server's and goes beside it.
     */
    bool own_csp = req->own_csp;
    for (size_t i = 0; i < req->nextra && !own_csp; i++)
        own_csp = str_ieq(req->extra[i].name, "Content-Security-Policy") &&
                  strstr(req->extra[i].value, "default-src") != NULL;
    if (!own_csp)
        MHD_add_response_header(r, "Content-Security-Policy",
                                req->api || !s->o.web_csp ? api_csp : s->o.web_csp);
    if (s->o.public_https || req->secure)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    if (req->api)
        MHD_add_response_header(r, "Cache-Control", "no-store");
    for (size_t i = 0; i < req->nextra; i++)
        MHD_add_response_header(r, req->extra[i].name, req->extra[i].value);
    /* libmicrohttpd closes the connection after an answer that says so. */
    if (atomic_load_explicit(&s->closing, memory_order_relaxed) &&
        req->status != MHD_HTTP_SWITCHING_PROTOCOLS)
        MHD_add_response_header(r, "Connection", "close");
}

static enum MHD_Result queue(struct http_server *s, struct http_req *req)
{
    if (!req->response)
        http_reply_error(req, SEAU_E_INTERNAL, NULL, NULL);
    if (!req->response)
        return MHD_NO; /* Out of memory even for an error: drop the connection. */
    apply_headers(s, req);
    enum MHD_Result r = MHD_queue_response(req->conn, (unsigned)req->status, req->response);
    MHD_destroy_response(req->response);
    req->response = NULL;
    return r;
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    size_t *total = cls;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/*
 * Random bytes for request ids, drawn from the kernel a pool at a time per
 * thread: randombytes_buf is one getrandom() call each time, which cost 2 to
 * 3 % of a cheap request's CPU. The ids stay unpredictable (the pool is the
 * kernel's randomness); only the system calls are shared.
 */
#define REQUEST_ID_RANDOM     12
#define REQUEST_ID_POOL_BYTES (REQUEST_ID_RANDOM * 32)

static void request_id_random(unsigned char out[REQUEST_ID_RANDOM])
{
    static _Thread_local unsigned char pool[REQUEST_ID_POOL_BYTES];
    static _Thread_local size_t used = REQUEST_ID_POOL_BYTES;
    if (used == REQUEST_ID_POOL_BYTES) {
        randombytes_buf(pool, sizeof(pool));
        used = 0;
    }
    memcpy(out, pool + used, REQUEST_ID_RANDOM);
    sodium_memzero(pool + used, REQUEST_ID_RANDOM); /* handed out once */
    used += REQUEST_ID_RANDOM;
}

/* Accepts a client's X-Request-Id when it is short and plain; else makes one. */
static void set_request_id(struct http_req *req)
{
    const char *given = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (given) {
        size_t n = strlen(given);
        bool ok = n > 0 && n <= HTTP_REQUEST_ID_MAX;
        for (size_t i = 0; ok && i < n; i++) {
            char c = given[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == ':';
        }
        if (ok) {
            memcpy(req->request_id, given, n + 1);
            return;
        }
    }
    unsigned char rnd[REQUEST_ID_RANDOM];
    request_id_random(rnd);
    str_hex(rnd, sizeof(rnd), req->request_id);
}

static void set_client(struct http_server *s, struct http_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[INET6_ADDRSTRLEN];
    net_addr_text(ci ? ci->client_addr : NULL, peer, sizeof(peer));
    const char *xff = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Forwarded-For");
    bool trusted =
        http_client_ip(peer, xff, s->o.trusted_proxies, req->client_ip, sizeof(req->client_ip));
    const char *proto =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    req->secure = s->o.public_https || (trusted && proto && str_ieq(proto, "https"));
}

static bool is_api_path(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
}

/* First call for a request: only headers are known. */
static int begin_request(struct http_server *s, struct req_state *st)
{
    struct http_req *req = &st->req;
    snprintf(req->route_label, sizeof(req->route_label), "unmatched");
    size_t header_bytes = 0;
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, sum_header, &header_bytes);
    if (header_bytes > s->o.header_limit)
        return SEAU_E_HEADERS_TOO_LARGE;
    if (http__edge_check_head(req->conn, st->version))
        return SEAU_E_BAD_REQUEST; /* framing a proxy could read otherwise: never guess */
    st->match_rc =
        http_router_match(s->o.routes, s->o.nroutes, req->method, req->path, &req->match);
    if (st->match_rc == 0)
        snprintf(req->route_label, sizeof(req->route_label), "%s", req->match.route->pattern);
    else if (req->api || st->match_rc == SEAU_E_METHOD)
        snprintf(req->route_label, sizeof(req->route_label), "unmatched");
    else
        snprintf(req->route_label, sizeof(req->route_label), "static");
    size_t limit = st->match_rc == 0 ? req->match.route->body_limit : 0;
    buf_init(&req->body, limit);
    const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Length");
    int64_t declared = 0;
    if (cl && str_to_int64(cl, 0, INT64_MAX, &declared) == 0 && (uint64_t)declared > limit &&
        st->match_rc == 0)
        return SEAU_E_TOO_LARGE;
    return 0;
}

static void dispatch_now(struct http_server *s, struct req_state *st);

/* dispatch_now() with the request's trace context on this thread. */
static void dispatch(struct http_server *s, struct req_state *st)
{
    if (s->o.on_thread)
        s->o.on_thread(&st->req, true);
    dispatch_now(s, st);
    if (s->o.on_thread)
        s->o.on_thread(&st->req, false);
}

static void dispatch_now(struct http_server *s, struct req_state *st)
{
    struct http_req *req = &st->req;
    req->dispatched = true;
    if (st->match_rc == 0) {
        const struct http_route *r = req->match.route;
        int rc = 0;
        if (r->access != HTTP_PUBLIC) {
            rc = s->o.authenticate(req);
            if (rc == 0 && req->access < (int)r->access)
                rc = SEAU_E_FORBIDDEN;
        }
        if (rc == 0 && s->o.prepare)
            rc = s->o.prepare(req);
        if (rc == 0 && !req->response)
            rc = r->handler(req);
        if (rc != 0 && !req->response)
            http_reply_error(req, rc, NULL, NULL);
        return;
    }
    if (st->match_rc == SEAU_E_METHOD) {
        http_add_header(req, "Allow", req->match.allow);
        http_reply_error(req, SEAU_E_METHOD, NULL, NULL);
        return;
    }
    if (req->api || !s->o.web_root) {
        http_reply_error(req, SEAU_E_NOT_FOUND, NULL, NULL);
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        http_add_header(req, "Allow", "GET, HEAD");
        http_reply_error(req, SEAU_E_METHOD, NULL, NULL);
        return;
    }
    int rc = http_static_reply(req, s->o.web_root);
    if (rc && !req->response)
        http_reply_error(req, rc, NULL, NULL);
}

/* Runs on an offload thread while the connection is suspended; resuming it queues the answer. */
static void offloaded(struct http__job *job)
{
    struct req_state *st = (struct req_state *)((char *)job - offsetof(struct req_state, job));
    dispatch(st->server, st);
    MHD_resume_connection(st->req.conn);
}

/*
 * Whether the request's handler goes to an offload thread: routes that call
 * S3 (HTTP_NEEDS_S3) or another server (HTTP_OFFLOAD), whose answers wait on
 * the network. Not a streamed
 * body's: its handler only sets up the sink, and the body arrives on the
 * connection's own thread.
 */
static bool should_offload(const struct http_server *s, const struct req_state *st)
{
    if (!s->offload || st->match_rc != 0)
        return false;
    const struct http_route *r = st->req.match.route;
    return (r->flags & (HTTP_NEEDS_S3 | HTTP_OFFLOAD)) && r->body_limit != HTTP_BODY_STREAMED;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct http_server *s = cls;
    struct req_state *st = *con_cls;
    if (!st) {
        http__edge_head_done(conn);
        http__edge_library_reset();
        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        st->version = version;
        struct http_req *req = &st->req;
        req->conn = conn;
        req->app = s->o.app;
        req->server = s;
        req->method = method;
        req->path = url;
        req->start_ns = time_mono_ns();
        req->api = is_api_path(url);
        req->counted = true;
        atomic_fetch_add(&s->in_flight, 1);
        set_request_id(req);
        set_client(s, req);
        if (s->o.started)
            s->o.started(req);
        int rc = begin_request(s, st);
        if (rc) {
            /* Answering now costs the keep-alive, which an oversized request deserves. */
            req->dispatched = true;
            st->queued = true;
            if (rc == SEAU_E_BAD_REQUEST)
                http_add_header(req, "Connection", "close"); /* where the body ends is unknown */
            http_reply_error(req, rc, NULL, NULL);
            return queue(s, req);
        }
        /* Queueing in this first call would lose keep-alive (STACK-NOTES): wait for the next. */
        return MHD_YES;
    }
    struct http_req *req = &st->req;
    /* A streamed body's handler runs as soon as the headers are in, before any byte of it. */
    if (!req->dispatched && st->match_rc == 0 && req->match.route->body_limit == HTTP_BODY_STREAMED)
        dispatch(s, st);
    if (*upload_data_size && req->body_stream) {
        if (s->o.on_thread)
            s->o.on_thread(req, true);
        enum MHD_Result r = http_body_feed(req, upload_data, upload_data_size);
        if (s->o.on_thread)
            s->o.on_thread(req, false);
        return r;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->dispatched) {
            /*
             * Already answered (404, 405, 413): libmicrohttpd sends the answer
             * only once the body has been read, so the rest is read and
             * dropped, up to a bound; past it the connection is simply closed.
             */
            st->discarded += n;
            return st->discarded <= HTTP_DISCARD_MAX ? MHD_YES : MHD_NO;
        }
        int rc = st->match_rc == 0 ? buf_append(&req->body, upload_data, n) : SEAU_E_NOT_FOUND;
        if (rc == SEAU_E_NOT_FOUND) {
            dispatch(s, st); /* 404 or 405: no need to keep what nobody will handle */
        } else if (rc) {
            req->dispatched = true;
            http_reply_error(req, rc, NULL, NULL);
        }
        return MHD_YES;
    }
    if (st->queued)
        return MHD_YES; /* answered in the first call; nothing more to send */
    if (req->body_stream && !st->body_done) {
        if (s->o.on_thread)
            s->o.on_thread(req, true);
        http_body_finish(req);
        if (s->o.on_thread)
            s->o.on_thread(req, false);
        st->body_done = true;
    }
    if (!req->dispatched && should_offload(s, st)) {
        /* Suspended before it is queued: the resume cannot come first. */
        req->dispatched = true;
        st->server = s;
        st->job.run = offloaded;
        MHD_suspend_connection(conn);
        http__offload_submit(s->offload, &st->job);
        return MHD_YES;
    }
    if (!req->dispatched)
        dispatch(s, st);
    st->queued = true;
    return queue(s, req);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    http__edge_request_done(s->edge, conn);
    struct req_state *st = *con_cls;
    if (!st)
        return;
    struct http_req *req = &st->req;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && req->status == 0)
        req->status = 499; /* The client went away before an answer was ready. */
    double secs = (double)(time_mono_ns() - req->start_ns) / 1e9;
    if (s->o.completed)
        s->o.completed(req, secs);
    http_body_release(req);
    if (s->o.release)
        s->o.release(req);
    if (req->response)
        MHD_destroy_response(req->response);
    json_decref(req->json);
    /* Bodies may hold passwords (login, users): wipe them, they are small and bounded. */
    buf_done_secure(&req->body);
    for (size_t i = 0; i < req->nextra; i++) {
        free(req->extra[i].name);
        free(req->extra[i].value);
    }
    if (req->counted)
        atomic_fetch_sub(&s->in_flight, 1);
    free(st);
    *con_cls = NULL;
}

/*
 * Decodes %XX in paths and query arguments in place. A decoded NUL would
 * silently cut the string short for everything downstream, so it becomes
 * U+0001 instead: still a control character, which every validator
 * rejects, rather than a different, shorter name.
 */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r == '%' && r[1] && r[2]) {
            int hi = r[1], lo = r[2], v = 0, ok = 1;
            for (int k = 0; k < 2 && ok; k++) {
                int ch = k == 0 ? hi : lo;
                v <<= 4;
                if (ch >= '0' && ch <= '9')
                    v |= ch - '0';
                else if (ch >= 'a' && ch <= 'f')
                    v |= ch - 'a' + 10;
                else if (ch >= 'A' && ch <= 'F')
                    v |= ch - 'A' + 10;
                else
                    ok = 0;
            }
            if (ok) {
                *w++ = (char)(v == 0 ? 1 : v);
                r += 2;
                continue;
            }
        }
        *w++ = *r;
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* The format comes from libmicrohttpd, which checks its own strings. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *s = cls;
    http__edge_library_message(fmt, ap);
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (s->o.library_log)
        s->o.library_log(msg);
}

int http_server_start(const struct http_server_opts *opts, struct http_server **ret)
{
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return SEAU_E_NOMEM;
    s->o = *opts;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->closing, false);
    struct http__edge_opts eo = {
        .header_timeout_ms = opts->header_timeout_ms,
        .idle_timeout_ms = (int64_t)opts->idle_timeout_s * 1000,
        .max_per_client = opts->max_per_client,
        .trusted_proxies = opts->trusted_proxies,
    };
    int erc = http__edge_new(&eo, &s->edge);
    if (erc) {
        free(s);
        return erc;
    }
    erc = http__offload_new(HTTP_OFFLOAD_THREADS, &s->offload);
    if (erc) {
        http__edge_free(s->edge);
        free(s);
        return erc;
    }
    http_parking_init(&s->parking);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TURBO |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE;
    if (opts->listen_addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, http__edge_accept, s->edge, access_handler, s, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, s, MHD_OPTION_NOTIFY_CONNECTION, http__edge_notify, s->edge,
        MHD_OPTION_URI_LOG_CALLBACK, http__edge_uri, s->edge, MHD_OPTION_SOCK_ADDR,
        opts->listen_addr, MHD_OPTION_THREAD_POOL_SIZE, opts->threads, MHD_OPTION_CONNECTION_LIMIT,
        opts->max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT, opts->conn_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, opts->idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_END);
    if (!s->daemon) {
        http_parking_done(&s->parking);
        http__offload_free(s->offload);
        http__edge_free(s->edge);
        free(s);
        return SEAU_E_IO;
    }
    *ret = s;
    return 0;
}

unsigned http_server_in_flight(const struct http_server *s)
{
    return atomic_load(&s->in_flight);
}

uint64_t http_server_heads_cut(const struct http_server *s)
{
    return s->edge ? http__edge_heads_cut(s->edge) : 0;
}

uint64_t http_server_connections_refused(const struct http_server *s)
{
    return s->edge ? http__edge_refused(s->edge) : 0;
}

void http_server_closing(struct http_server *s)
{
    if (s)
        atomic_store(&s->closing, true);
}

unsigned http_server_stop(struct http_server *s, int64_t timeout_ms)
{
    http_server_closing(s); /* also without a drain: answers still in flight end theirs */
    if (!s)
        return 0;
    MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
    int64_t deadline = time_mono_ns() + timeout_ms * 1000000;
    while (atomic_load(&s->in_flight) > 0 && time_mono_ns() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    unsigned left = atomic_load(&s->in_flight);
    /* Handlers still running on offload threads finish (S3 calls are bounded) and resume. */
    http__offload_free(s->offload);
    s->offload = NULL;
    /* libmicrohttpd must not stop with a connection suspended: wake them to fail. */
    http_parking_stop(&s->parking);
    MHD_stop_daemon(s->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    http_parking_done(&s->parking);
    http__edge_free(s->edge);
    free(s);
    return left;
}
