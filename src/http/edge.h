/*
 * The server's edge: what libmicrohttpd 0.9.75 lets through or answers
 * itself, made strict. Shared between the files of the http module only
 * (server.c plugs these into libmicrohttpd); nothing here is for handlers.
 *
 * - A deadline for each request head. libmicrohttpd's connection timeout is
 *   an idle timeout: a client sending one byte of header every few seconds
 *   keeps a connection forever. Each connection's head must be complete by
 *   a deadline; past it the socket is shut down (a reaper thread checks).
 * - A cap on the connections of one client address (trusted proxies are
 *   exempt: all their clients share their address).
 * - Request framing a proxy could read differently (RFC 9112 sections 5.1
 *   and 6.3): Content-Length beside Transfer-Encoding, several Content-Length
 *   values, a transfer coding other than chunked, white space before a
 *   field's colon.
 * - libmicrohttpd's own error answers (400, 413, 414, 431, 500, 505), which
 *   it sends as HTML, in API.md's JSON error shape.
 */
#ifndef SEAU_HTTP_EDGE_H
#define SEAU_HTTP_EDGE_H

#include "core/net.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>

struct http__edge_opts {
    int64_t header_timeout_ms; /* 0: no deadline for request heads */
    int64_t idle_timeout_ms;   /* the keep-alive idle timeout, before a next head starts */
    unsigned max_per_client;   /* connections per client address; 0: no cap */
    const struct net_cidr_list *trusted_proxies; /* exempt from the cap; may be NULL */
};

struct http__edge;

/* Starts the reaper thread when there is a deadline. Returns 0, SEAU_E_NOMEM or SEAU_E_IO. */
int http__edge_new(const struct http__edge_opts *o, struct http__edge **ret);
/* Stops the reaper. Call after libmicrohttpd has stopped. Accepts NULL. */
void http__edge_free(struct http__edge *e);

/* libmicrohttpd callbacks; cls is the struct http__edge. */
enum MHD_Result http__edge_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void http__edge_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
/* MHD_OPTION_URI_LOG_CALLBACK: the request line is in. Returns NULL (no request state). */
void *http__edge_uri(void *cls, const char *uri, struct MHD_Connection *conn);

/* The head of the connection's current request is complete: no deadline until the next. */
void http__edge_head_done(struct MHD_Connection *conn);
/* The connection's request ended: its next head must arrive within idle + header timeout. */
void http__edge_request_done(struct http__edge *e, struct MHD_Connection *conn);

/*
 * An upgraded socket taken out of libmicrohttpd (websocket.c frees
 * libmicrohttpd's connection and keeps a duplicate of the socket) keeps its
 * place under the per-address cap: the connection's count moves to the hold
 * until http__edge_release. Call on the connection's thread, before its
 * close. Returns NULL when nothing is counted (no cap, an exempt address,
 * out of memory); release accepts NULL. The edge stays allocated until its
 * last hold is released, even past http__edge_free.
 */
struct http__edge_hold;
struct http__edge_hold *http__edge_take(struct MHD_Connection *conn);
void http__edge_release(struct http__edge_hold *h);

/* Heads cut at their deadline, and connections refused by the per-address cap, so far. */
uint64_t http__edge_heads_cut(const struct http__edge *e);
uint64_t http__edge_refused(const struct http__edge *e);

/*
 * Checks the request head libmicrohttpd accepted (RFC 9112). Returns 0, or
 * SEAU_E_BAD_REQUEST for Content-Length with Transfer-Encoding, differing
 * Content-Length values, a Transfer-Encoding that is not exactly "chunked",
 * a field name with white space, or an HTTP/1.1 request without exactly
 * one Host.
 */
int http__edge_check_head(struct MHD_Connection *conn, const char *version);

/*
 * Sees each message of libmicrohttpd's log (called from the external
 * logger, on the thread that logs). When the message announces one of its
 * own error answers, the answer it builds next on this thread is replaced
 * by a JSON one (see edge.c for how).
 */
void http__edge_library_message(const char *fmt, va_list ap);
/* Forgets an announced error answer that was not built (called at each request's start). */
void http__edge_library_reset(void);

#endif
