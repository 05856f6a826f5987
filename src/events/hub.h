/*
 * The live feed of notifications (GET /api/notifications/ws): who is
 * connected and what each may see. The connections themselves — sockets,
 * framing, pings, queues, close frames — are http/websocket.h's, on its
 * one event-loop thread; the hub fans notifications out on top of it.
 *
 * A client's life:
 *   1. The HTTP handler, before it answers 101, reserves a place with
 *      events_hub_open() (or events_hub_reserve()): who the client is (its
 *      grants decide what it sees), and the notifications it asked to
 *      replay (?since=<id>).
 *   2. The upgrade hands over the socket with events_hub_attach() (the
 *      callback of events_hub_upgrade()), on one of the HTTP server's
 *      threads; the WebSocket loop takes it from there.
 *   3. The hub sends the replay, then every notification broadcast after
 *      it that the client may see (events_visible), in id order, one JSON
 *      text frame each. Notifications with an id at or below the reserve's
 *      upto_id are never sent live: the replay holds those it may see.
 *   4. The loop pings every ping interval; a client silent for three
 *      intervals is dropped. A client that lets more than queue_max
 *      notifications pile up (it does not read) is closed with 1008, its
 *      backlog dropped.
 *   5. At shutdown every client gets a close frame (1001), and the hub waits
 *      a bounded time for the answers.
 * The hub never close()s a socket itself: the close function the attach
 * gave is called exactly once.
 *
 * Thread-safety: every function may be called from any thread, except
 * events_hub_free (once, after the HTTP server stopped).
 */
#ifndef SEAU_EVENTS_HUB_H
#define SEAU_EVENTS_HUB_H

#include "auth/policy.h"
#include "db/db.h"
#include "http/websocket.h"

#include <stddef.h>
#include <stdint.h>

/* Limits and defaults (STYLE.md rule 15). */
#define EVENTS_WS_CLIENTS_MAX   10000 /* clients at once (default) */
#define EVENTS_WS_PER_USER_MAX  64    /* clients of one account at once */
#define EVENTS_WS_QUEUE_MAX     256   /* notifications waiting for one client */
#define EVENTS_WS_RECV_MAX      4096  /* bytes of one message a client may send */
#define EVENTS_WS_REPLAY_MAX    1000  /* notifications one ?since= replays */
#define EVENTS_WS_PENDING_MAX   1024  /* reserved places waiting for their socket */
#define EVENTS_WS_PING_MS       30000
#define EVENTS_WS_CLOSE_MS      5000 /* wait for a closing client's answer */
#define EVENTS_WS_SNDBUF        (64 * 1024)
#define EVENTS_WS_CLOSE_SLOW    HTTP_WS_CLOSE_POLICY /* too slow to read */
#define EVENTS_WS_CLOSE_GOING   HTTP_WS_CLOSE_GOING  /* going away: the server stops */
#define EVENTS_WS_CLOSE_TOO_BIG HTTP_WS_CLOSE_TOO_BIG

struct events_hub;

struct events_hub_opts {
    size_t max_clients;       /* 0: EVENTS_WS_CLIENTS_MAX */
    size_t max_per_user;      /* 0: EVENTS_WS_PER_USER_MAX */
    size_t queue_max;         /* 0: EVENTS_WS_QUEUE_MAX */
    int64_t ping_interval_ms; /* 0: EVENTS_WS_PING_MS */
    int64_t close_timeout_ms; /* 0: EVENTS_WS_CLOSE_MS */
    int sndbuf;               /* SO_SNDBUF of client sockets; 0: EVENTS_WS_SNDBUF */
    int writers;              /* http_ws_opts.writers: 0, one per core beyond the first */
};

/* Starts the hub's thread. Returns 0, SEAU_E_NOMEM or SEAU_E_IO (epoll, eventfd, thread). */
int events_hub_new(const struct events_hub_opts *o, struct events_hub **ret);

/*
 * Stops the thread (closing any client left without a close frame: call
 * events_hub_shutdown first) and frees everything. Accepts NULL.
 */
void events_hub_free(struct events_hub *h);

/*
 * Reserves a place for a client-to-be, named by key (an address unique
 * while the connection lives, e.g. libmicrohttpd's connection; a second
 * reserve with the same key replaces the first). who and its grants are
 * copied; replay (oldest first, at most EVENTS_WS_REPLAY_MAX) is encoded now.
 * Returns 0, SEAU_E_UNAVAILABLE when the hub is full or shutting down,
 * SEAU_E_RATE_LIMITED when the account has max_per_user clients, or
 * SEAU_E_NOMEM. A place whose socket never comes is dropped after 30 s.
 */
int events_hub_reserve(struct events_hub *h, const void *key, const struct auth_subject *who,
                       const struct db_notification *replay, size_t nreplay, int64_t upto_id);

struct events;

/*
 * The service of GET /api/notifications/ws, before its 101: reserves a
 * place for the connection key with the replay of what who may see after
 * since (-1: no replay; the newest EVENTS_WS_REPLAY_MAX, oldest first).
 * Returns 0, SEAU_E_UNAVAILABLE (events not running, hub full or stopping),
 * SEAU_E_RATE_LIMITED (the account's bound), SEAU_E_DB or SEAU_E_NOMEM.
 */
int events_hub_open(struct events *ev, const void *key, const struct auth_subject *who,
                    int64_t since);

/* Where the 101's socket goes (events_hub_attach): for http_ws_reply_upgrade. */
const struct http_ws_upgrade *events_hub_upgrade(struct events_hub *h);

/*
 * Gives the hub the socket of the client reserved under key, with the bytes
 * already read past the handshake (extra, copied). From then on the hub owns
 * the socket; close_fn(close_ctx) is called exactly once when it is done
 * with it — at once when there is no such reservation or the hub is
 * shutting down.
 */
void events_hub_attach(struct events_hub *h, const void *key, int fd, const char *extra,
                       size_t nextra, void (*close_fn)(void *ctx), void *close_ctx);

/*
 * Sends n to every client that may see it. Does not block on clients: the
 * notification is encoded here and queued for the hub thread. Returns 0, or
 * SEAU_E_NOMEM / SEAU_E_UNAVAILABLE (shut down) when it was dropped.
 */
int events_hub_broadcast(struct events_hub *h, const struct db_notification *n);

/*
 * Closes every client of an account with code and reason (at most 123
 * bytes), e.g. after its grants or role changed: it reconnects and sees
 * what it now may.
 */
void events_hub_close_user(struct events_hub *h, int64_t user_id, uint16_t code,
                           const char *reason);

/*
 * Sends every client a close frame (1001) and waits until all have closed
 * or timeout_ms passed, then drops those left. New clients are refused from
 * now on. Call before the HTTP server stops.
 */
void events_hub_shutdown(struct events_hub *h, int64_t timeout_ms);

struct events_hub_stats {
    uint64_t clients;      /* connected now */
    uint64_t accepted;     /* connections since start */
    uint64_t dropped_slow; /* closed with 1008 for not reading */
    uint64_t sent;         /* notifications sent */
};
void events_hub_stats(struct events_hub *h, struct events_hub_stats *ret);

#endif
