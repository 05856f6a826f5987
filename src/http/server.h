/*
 * The HTTP server on libmicrohttpd: request lifecycle, limits, security
 * headers, request ids, the route table, static files and graceful
 * shutdown. It knows nothing of users or JSON shapes beyond the error
 * envelope; the application plugs in through the hooks below.
 */
#ifndef SEAU_HTTP_SERVER_H
#define SEAU_HTTP_SERVER_H

#include "core/net.h"
#include "http/request.h"
#include "http/router.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct http_server_opts {
    const struct sockaddr *listen_addr;
    socklen_t listen_addr_len;
    unsigned threads;         /* worker threads (>= 2, see STACK-NOTES) */
    unsigned max_connections;
    size_t header_limit;      /* total bytes of request headers; past it 431 */
    size_t conn_memory;       /* libmicrohttpd's per-connection memory */
    unsigned idle_timeout_s;  /* idle keep-alive connections are closed after this */
    int64_t header_timeout_ms; /* a request head must be complete this long after it began; 0: no bound */
    unsigned max_per_client;  /* connections from one address (trusted proxies exempt); 0: no cap */

    const struct http_route *routes;
    size_t nroutes;
    const char *web_root; /* static files for non-/api paths; NULL: none */

    const struct net_cidr_list *trusted_proxies;
    bool public_https; /* the public URL is https: HSTS and Secure cookies */
    const char *web_csp; /* Content-Security-Policy for the web client's pages */

    void *app;
    /*
     * Authenticates the request (sets req->principal, req->access,
     * req->via_cookie, req->log_user) and applies CSRF rules. Returns 0,
     * or an error to answer with. Called only for non-public routes and
     * for public routes that want an optional principal is not supported.
     */
    int (*authenticate)(struct http_req *req);
    /*
     * Applies the matched route's flags (enum http_route_flag) once the
     * caller is authenticated and allowed, before the handler. Returns 0 to
     * run the handler, 0 with a reply queued to answer without it, or an
     * error to answer with. NULL: routes must have no flags.
     */
    int (*prepare)(struct http_req *req);
    /* Frees req->principal and whatever prepare set up. */
    void (*release)(struct http_req *req);
    /* Called once per request after the response is sent (logs, metrics). */
    void (*completed)(struct http_req *req, double seconds);
    /* libmicrohttpd's own error messages. */
    void (*library_log)(const char *message);
    /* Seconds a 503 answer should tell the client to wait (Retry-After), 0 for none: an
     * upstream's circuit breaker knows when it will try again. NULL: never. */
    int64_t (*retry_after_s)(struct http_req *req);
    /* Tracing: started once the headers are in (it may replace req->request_id with the trace
     * id), and on_thread around each stretch of work on the request's thread (the handler, the
     * body's chunks), so that what it calls knows whose work it is. NULL: none. */
    void (*started)(struct http_req *req);
    void (*on_thread)(struct http_req *req, bool entering);
};

/* The retry_after_s hook's answer for req (0 without a hook or a server). */
int64_t http_server_retry_after(void *server, struct http_req *req);

struct http_server;

/*
 * Threads that run the handlers of routes calling S3 (HTTP_NEEDS_S3), so a
 * slow S3 never holds up libmicrohttpd's workers; each may hold a database
 * connection, so the store's pool needs this many more.
 */
#define HTTP_OFFLOAD_THREADS 16

/* Binds and starts serving. Returns 0 or SEAU_E_IO (e.g. address in use). */
int http_server_start(const struct http_server_opts *opts, struct http_server **ret);

/* Requests being handled right now (headers received, response not yet sent). */
unsigned http_server_in_flight(const struct http_server *s);

/* Request heads cut at their deadline, and connections refused by the per-address cap. */
uint64_t http_server_heads_cut(const struct http_server *s);
uint64_t http_server_connections_refused(const struct http_server *s);

/*
 * The process is going away (SEAU_SHUTDOWN_DRAIN): from now on every answer
 * but a WebSocket's 101 carries "Connection: close", so a client or a load
 * balancer with kept-alive connections stops reusing them while the server
 * still answers, instead of sending its next request into a connection the
 * stop is about to close (a request a proxy must not retry if it is a POST).
 */
void http_server_closing(struct http_server *s);

/*
 * Stops accepting connections, waits up to timeout_ms for in-flight
 * requests to finish, then closes everything. Returns the number of
 * requests that were still running when the bound was reached.
 */
unsigned http_server_stop(struct http_server *s, int64_t timeout_ms);

#endif
