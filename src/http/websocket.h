/*
 * WebSocket connections (RFC 6455), server side: the opening handshake
 * (header checks, Sec-WebSocket-Accept, the 101 and libmicrohttpd's
 * upgrade), and one event-loop thread that serves every upgraded socket
 * (epoll, non-blocking sockets, wslay for the framing), so thousands of
 * idle clients cost memory, not threads.
 *
 * What a client is for is the user's business (events/hub.c): each
 * connection carries an opaque client context, and the user's callbacks
 * run on the loop thread. The loop pings every ping interval and drops a
 * client silent for three; it bounds each client's queue of frames
 * (send answers SEAU_E_TOO_LARGE when it is full: the user decides what a
 * slow client deserves); it answers close frames and, at shutdown, sends
 * every client a close frame (1001) and waits a bounded time for the
 * answers. It never close()s a socket itself: it calls the close function
 * the attach gave, exactly once (for a socket from http_ws_reply_upgrade:
 * closing the duplicate taken out of libmicrohttpd, see websocket.c).
 *
 * Frames sent to clients are encoded once (http_ws_frame_text: a server's
 * frames are not masked, so the bytes are the same for every client) and
 * shared by reference count among the queues holding them.
 *
 * Writing is the costly part of a broadcast (one send() per client, in
 * the kernel's TCP path), so a long round of writes is shared with writer
 * threads (http_ws_opts.writers) while the loop thread waits for them; a
 * client's frames waiting go out together in one sendmsg().
 *
 * Thread-safety: http_ws_attach, http_ws_post and http_ws_shutdown may be
 * called from any thread; http_ws_send and http_ws_close only on the loop
 * thread (from the callbacks and posted tasks); frame reference counts are
 * atomic; http_ws_free once, after the HTTP server stopped.
 */
#ifndef SEAU_HTTP_WEBSOCKET_H
#define SEAU_HTTP_WEBSOCKET_H

#include "http/request.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults (STYLE.md rule 15). */
#define HTTP_WS_QUEUE_MAX 256   /* frames waiting for one client */
#define HTTP_WS_RECV_MAX  4096  /* bytes of one message a client may send */
#define HTTP_WS_PING_MS   30000
#define HTTP_WS_CLOSE_MS  5000 /* wait for a closing client's answer */
#define HTTP_WS_SNDBUF    (64 * 1024)
#define HTTP_WS_TASKS_MAX 65536 /* posted tasks waiting for the loop thread */

#define HTTP_WS_CLOSE_GOING   1001 /* going away: the server stops */
#define HTTP_WS_CLOSE_POLICY  1008
#define HTTP_WS_CLOSE_TOO_BIG 1009
#define HTTP_WS_CLOSE_ERROR   1011

/* ================================= the handshake ===================================== */

#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 */

/*
 * Sec-WebSocket-Accept for the client's Sec-WebSocket-Key: base64(SHA-1(key
 * + the RFC's GUID)), into out (OpenSSL's EVP API). Returns 0, or
 * SEAU_E_BAD_REQUEST when key is not the base64 of 16 bytes (the RFC's
 * nonce), SEAU_E_INTERNAL when OpenSSL fails.
 */
int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/*
 * True when the comma-separated header value holds token, compared without
 * regard to case and surrounding blanks ("keep-alive, Upgrade" holds
 * "upgrade"). NULL holds nothing.
 */
bool ws_header_has_token(const char *value, const char *token);

/*
 * Checks that req asks for a WebSocket (Upgrade, Connection, version 13, a
 * valid key) and computes its accept value. Returns 0, or the refusal's
 * code after queuing its answer (400, or 500 when OpenSSL fails) when it
 * could: the handler then returns req->response ? 0 : code.
 */
int http_ws_handshake(struct http_req *req, char accept[WS_ACCEPT_LEN + 1]);

/*
 * Called on a server thread once the 101 went out, with the socket (now the
 * callee's: it must call close_fn(close_ctx) exactly once, e.g. through
 * http_ws_attach) and the bytes already read past the handshake. key is the
 * request's connection (req->conn), for finding what the handler reserved.
 */
typedef void (*http_ws_upgraded_fn)(void *ctx, const void *key, int fd, const char *extra,
                                    size_t nextra, void (*close_fn)(void *close_ctx),
                                    void *close_ctx);

/* Where upgraded sockets go; must outlive every response that names it. */
struct http_ws_upgrade {
    http_ws_upgraded_fn fn;
    void *ctx;
};

/* Answers 101 with accept; the socket then goes to u->fn(u->ctx, ...). Returns 0 or SEAU_E_NOMEM. */
int http_ws_reply_upgrade(struct http_req *req, const char *accept,
                          const struct http_ws_upgrade *u);

/* ================================= frames ============================================ */

struct http_ws_frame;

/* One text frame holding text (copied), with one reference. NULL when out of memory. */
struct http_ws_frame *http_ws_frame_text(const char *text, size_t len);
void http_ws_frame_ref(struct http_ws_frame *f);
/* Drops a reference; the last frees f. Accepts NULL. */
void http_ws_frame_unref(struct http_ws_frame *f);
/* For tests: the references held now, and the bytes on the wire (header and payload). */
size_t http_ws_frame_refs(const struct http_ws_frame *f);
const unsigned char *http_ws_frame_wire(const struct http_ws_frame *f, size_t *ret_len);

/* ================================= the loop ========================================== */

struct http_ws;
struct http_ws_client; /* valid from on_open until on_close returns */

struct http_ws_opts {
    size_t queue_max;         /* 0: HTTP_WS_QUEUE_MAX */
    size_t recv_max;          /* 0: HTTP_WS_RECV_MAX */
    int64_t ping_interval_ms; /* 0: HTTP_WS_PING_MS */
    int64_t close_timeout_ms; /* 0: HTTP_WS_CLOSE_MS */
    int sndbuf;               /* SO_SNDBUF of client sockets; 0: HTTP_WS_SNDBUF */
    /*
     * Writer threads beside the loop's, which share the writes of a round
     * with many clients to write to (a broadcast): 0, one per core beyond
     * the first (at most 7); negative: none, the loop writes alone.
     */
    int writers;
};

/* The user's side; every callback runs on the loop thread (or in http_ws_free). */
struct http_ws_callbacks {
    /* The client attached with client_ctx is connected; queue its first frames here. */
    void (*on_open)(void *ctx, struct http_ws_client *c, void *client_ctx);
    /* A whole text or binary message (at most recv_max bytes); NULL: messages are dropped. */
    void (*on_message)(void *ctx, void *client_ctx, bool text, const uint8_t *data, size_t len);
    /*
     * The client is gone (closed, broken, or never started: then on_open was
     * not called); client_ctx is the user's to free. Called exactly once
     * for every attach the loop took.
     */
    void (*on_close)(void *ctx, void *client_ctx);
};

/* Starts the loop's thread. Returns 0, SEAU_E_NOMEM or SEAU_E_IO (epoll, eventfd, thread). */
int http_ws_new(const struct http_ws_opts *o, const struct http_ws_callbacks *cb, void *ctx,
                struct http_ws **ret);

/*
 * Stops the thread (closing any client left without a close frame: call
 * http_ws_shutdown first), calls on_close for every client left, drops the
 * tasks not run, and frees everything. Accepts NULL.
 */
void http_ws_free(struct http_ws *ws);

/*
 * Gives the loop an upgraded socket with the bytes read past the handshake
 * (extra, copied) and the user's client_ctx. Returns 0: the loop owns the
 * socket and will call on_open and on_close. Returns SEAU_E_UNAVAILABLE
 * (shutting down) or SEAU_E_NOMEM: nothing was taken, the caller still owns
 * the socket and client_ctx.
 */
int http_ws_attach(struct http_ws *ws, int fd, const char *extra, size_t nextra,
                   void (*close_fn)(void *close_ctx), void *close_ctx, void *client_ctx);

/* A piece of work for the loop thread, embedded in the user's own struct. */
struct http_ws_task {
    void (*run)(void *ctx, struct http_ws_task *t);  /* on the loop thread; owns t from then */
    void (*drop)(void *ctx, struct http_ws_task *t); /* never run (http_ws_free): free t */
    struct http_ws_task *next;
};

/*
 * Runs t->run on the loop thread, after the attaches and tasks given
 * before it. Returns 0, or SEAU_E_UNAVAILABLE (shutting down, or
 * HTTP_WS_TASKS_MAX waiting) when t was not taken.
 */
int http_ws_post(struct http_ws *ws, struct http_ws_task *t);

/*
 * Loop thread: queues f (a reference is taken) for c. Returns 0 (also when
 * c is closing: the frame is dropped), SEAU_E_TOO_LARGE when c already has
 * queue_max frames waiting (nothing queued), or SEAU_E_NOMEM (c is then
 * closed with 1011).
 */
int http_ws_send(struct http_ws *ws, struct http_ws_client *c, struct http_ws_frame *f);

/*
 * Loop thread: starts a clean close with code and reason (at most 123
 * bytes): the frame being written goes out whole, the rest of the queue is
 * dropped, then the close frame; the peer's answer or the close timeout
 * ends it. A second close is a no-op.
 */
void http_ws_close(struct http_ws *ws, struct http_ws_client *c, uint16_t code,
                   const char *reason);

/*
 * Sends every client a close frame (1001) and waits until all have closed
 * or timeout_ms passed, then drops those left. Attaches and tasks are
 * refused from now on. Call before the HTTP server stops.
 */
void http_ws_shutdown(struct http_ws *ws, int64_t timeout_ms);

struct http_ws_stats {
    uint64_t clients;  /* connected now */
    uint64_t accepted; /* connections since start */
    uint64_t sent;     /* frames queued by http_ws_send and written whole */
};
void http_ws_stats(struct http_ws *ws, struct http_ws_stats *ret);

#endif
