/*
 * WebSocket connections (websocket.h). The loop thread owns every client:
 * it alone touches the clients, their wslay contexts and the frames queued
 * for them, so none of that needs a lock. Other threads talk to it through
 * the inbox (sockets to start, tasks to run), guarded by ws->lock and
 * signalled with an eventfd.
 *
 * A queued frame is written straight to each socket, one send() per
 * client, without a copy. wslay reads what clients send and writes the
 * control frames (pongs, pings, close); a data frame begun is always
 * finished before wslay writes, and wslay's frames go out before a new data
 * frame starts, so the two never interleave on the wire.
 */
#include "http/websocket.h"

#include "core/err.h"
#include "core/timeutil.h"
#include "http/edge.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wslay/wslay.h>

#define TICK_MS      1000
#define FLUSH_IOV    16  /* frames of one client in one sendmsg() */
#define WRITER_MIN   256 /* dirty clients worth waking the writer threads for */
#define WRITER_SHARE 64  /* clients a writer takes at a time */
#define WRITERS_MAX  7   /* writer threads beside the loop */

/* ================================= the handshake ===================================== */

/* RFC 6455, section 1.3. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
    unsigned char nonce[16];
    size_t n = 0;
    if (!key || strlen(key) != 24 ||
        sodium_base642bin(nonce, sizeof(nonce), key, 24, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof(nonce))
        return SEAU_E_BAD_REQUEST;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, key, 24) == 1 &&
             EVP_DigestUpdate(ctx, ws_guid, sizeof(ws_guid) - 1) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 20;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return SEAU_E_INTERNAL;
    sodium_bin2base64(out, WS_ACCEPT_LEN + 1, md, 20, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

bool ws_header_has_token(const char *value, const char *token)
{
    if (!value)
        return false;
    size_t tlen = strlen(token);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == tlen && strncasecmp(start, token, tlen) == 0)
            return true;
    }
    return false;
}

int http_ws_handshake(struct http_req *req, char accept[WS_ACCEPT_LEN + 1])
{
    const char *key = http_req_header(req, "Sec-WebSocket-Key");
    const char *version = http_req_header(req, "Sec-WebSocket-Version");
    if (!ws_header_has_token(http_req_header(req, "Upgrade"), "websocket") ||
        !ws_header_has_token(http_req_header(req, "Connection"), "upgrade")) {
        http_reply_error(req, SEAU_E_BAD_REQUEST,
                         "This address is a WebSocket: ask for an upgrade.", NULL);
        return SEAU_E_BAD_REQUEST;
    }
    if (!version || strcmp(version, "13") != 0) {
        http_add_header(req, "Sec-WebSocket-Version", "13");
        http_reply_error(req, SEAU_E_BAD_REQUEST, "Only WebSocket version 13 is spoken.", NULL);
        return SEAU_E_BAD_REQUEST;
    }
    int rc = ws_accept_key(key, accept);
    if (rc)
        http_reply_error(req, rc, "Sec-WebSocket-Key is not a valid key.", NULL);
    return rc;
}

static void upgraded_close(void *ctx)
{
    MHD_upgrade_action(ctx, MHD_UPGRADE_ACTION_CLOSE);
}

/* An upgraded socket taken out of libmicrohttpd (see upgraded()). */
struct ws__taken {
    int fd;                       /* our duplicate of the socket */
    struct http__edge_hold *hold; /* its address's place under the per-client cap */
};

static void taken_close(void *ctx)
{
    struct ws__taken *t = ctx;
    close(t->fd);
    http__edge_release(t->hold);
    free(t);
}

/*
 * libmicrohttpd, on one of its threads, once the 101 is sent: the socket goes to the user.
 *
 * libmicrohttpd 0.9.75 keeps an upgraded connection whole until the
 * application closes it: its memory pool (MHD_OPTION_CONNECTION_MEMORY_LIMIT,
 * 32 KiB, written through by the request's read and write buffers), the
 * connection and the request's own state — about 27 KiB of resident memory
 * for each idle WebSocket, 70% of what one cost (bench/README.md). The pool
 * cannot simply be smaller: every connection shares its size, and request
 * heads of 16 KiB must fit. So the socket is taken out instead: the user
 * gets a duplicate of the descriptor, and libmicrohttpd is told at once that
 * the application is done with the connection, which it then frees and
 * whose descriptor it closes. For a plain connection that path never calls
 * shutdown() (libmicrohttpd only does on connections it closes itself, and
 * MHD_USE_TURBO skips even that), so the TCP connection lives on through the
 * duplicate. (With libmicrohttpd's own TLS, never used here, the socket
 * handed over would be one end of a socket pair and this would not hold.)
 * The request ends
 * there: its access-log line, trace span and duration cover the handshake,
 * and the WebSocket no longer takes one of libmicrohttpd's connection slots
 * (the hub bounds WebSockets on its own); its address keeps its place under
 * the per-client cap (http__edge_take) until the socket is closed. When the
 * duplicate cannot be made, libmicrohttpd keeps the connection as before.
 */
static void upgraded(void *cls, struct MHD_Connection *connection, void *con_cls,
                     const char *extra_in, size_t extra_in_size, MHD_socket sock,
                     struct MHD_UpgradeResponseHandle *urh)
{
    (void)con_cls;
    const struct http_ws_upgrade *u = cls;
    struct ws__taken *t = malloc(sizeof(*t));
    int fd = t ? fcntl(sock, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd < 0) {
        free(t);
        u->fn(u->ctx, connection, sock, extra_in, extra_in_size, upgraded_close, urh);
        return;
    }
    t->fd = fd;
    t->hold = http__edge_take(connection);
    /* The user finds its reservation by the connection, still alive here; extra is copied. */
    u->fn(u->ctx, connection, fd, extra_in, extra_in_size, taken_close, t);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

int http_ws_reply_upgrade(struct http_req *req, const char *accept,
                          const struct http_ws_upgrade *u)
{
    struct MHD_Response *r = MHD_create_response_for_upgrade(upgraded, (void *)u);
    if (!r)
        return SEAU_E_NOMEM;
    MHD_add_response_header(r, "Upgrade", "websocket");
    MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
    return http_reply_response(req, 101, r, 0);
}

/* ================================= frames ============================================ */

struct http_ws_frame {
    atomic_size_t refs; /* atomic: the writer threads drop theirs at once (see flush_dirty) */
    size_t len; /* of wire: the frame's header and its payload */
    unsigned char wire[];
};

struct http_ws_frame *http_ws_frame_text(const char *text, size_t tlen)
{
    size_t hlen = tlen < 126 ? 2 : tlen < 65536 ? 4 : 10;
    struct http_ws_frame *f = malloc(sizeof(*f) + hlen + tlen);
    if (!f)
        return NULL;
    atomic_init(&f->refs, 1);
    f->len = hlen + tlen;
    unsigned char *w = f->wire;
    /* RFC 6455 section 5.2: FIN and the text opcode, then the length, unmasked. */
    w[0] = 0x81;
    if (hlen == 2) {
        w[1] = (unsigned char)tlen;
    } else if (hlen == 4) {
        w[1] = 126;
        w[2] = (unsigned char)(tlen >> 8);
        w[3] = (unsigned char)tlen;
    } else {
        w[1] = 127;
        for (int i = 0; i < 8; i++)
            w[2 + i] = (unsigned char)((uint64_t)tlen >> (56 - 8 * i));
    }
    memcpy(w + hlen, text, tlen);
    return f;
}

void http_ws_frame_ref(struct http_ws_frame *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

void http_ws_frame_unref(struct http_ws_frame *f)
{
    if (f && atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
        free(f);
}

size_t http_ws_frame_refs(const struct http_ws_frame *f)
{
    return atomic_load(&f->refs);
}

const unsigned char *http_ws_frame_wire(const struct http_ws_frame *f, size_t *ret_len)
{
    *ret_len = f->len;
    return f->wire;
}

/* ================================= clients =========================================== */

struct http_ws_client {
    int fd;
    void (*close_fn)(void *ctx);
    void *close_ctx;
    void *user; /* the user's client context */
    bool opened; /* on_open was called */
    wslay_event_context_ptr wsl;

    /* Frames waiting, oldest first (a ring); the head may be partly written. */
    struct http_ws_frame **q;
    size_t qcap, qhead, qlen;
    size_t head_off; /* bytes of the head frame already written */

    char *extra; /* bytes read past the handshake, fed to wslay first */
    size_t extra_len, extra_off;

    int64_t next_ping, last_recv, close_deadline;
    bool closing, dead, dirty;
    uint32_t watching; /* epoll interest */
    struct http_ws_client *prev, *next;
    struct http_ws_client *dirty_next;
    struct http_ws_client *inbox_next; /* attached, waiting for the loop */
    struct http_ws *ws;
};

struct http_ws {
    struct http_ws_opts o;
    struct http_ws_callbacks cb;
    void *ctx;
    int ep, efd;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t lock; /* guards everything down to "loop thread only" */
    pthread_cond_t done;
    struct http_ws_client *attached; /* for the loop thread */
    struct http_ws_task *tasks, *tasks_tail;
    size_t ntasks;
    bool stopping, quit, finished;
    int64_t stop_deadline;

    /* Loop thread only. */
    struct http_ws_client *clients;
    struct http_ws_client *dirty;
    int64_t next_tick;

    /* The writers (flush_dirty): helper threads that flush a share of a long dirty list. */
    unsigned nwriters; /* started */
    pthread_t *writers;
    pthread_mutex_t wlock;
    pthread_cond_t wgo, wdone;
    unsigned wgen, wrunning; /* a round's number; helpers still in it */
    bool wquit;
    struct http_ws_client **batch; /* the round's clients (loop thread grows it) */
    size_t nbatch, batch_cap;
    atomic_size_t batch_next; /* the next share to take */

    atomic_uint_fast64_t nclients, accepted, sent;
};

static void wake(struct http_ws *ws)
{
    uint64_t one = 1;
    ssize_t w = write(ws->efd, &one, sizeof(one));
    (void)w; /* a full counter already means "wake up" */
}

/* --------------------------------------------------------------- wslay glue */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user_data)
{
    (void)flags;
    struct http_ws_client *c = user_data;
    if (c->extra_off < c->extra_len) {
        size_t n = c->extra_len - c->extra_off;
        if (n > len)
            n = len;
        memcpy(buf, c->extra + c->extra_off, n);
        c->extra_off += n;
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t r = recv(c->fd, buf, len, 0);
        if (r > 0) {
            c->last_recv = time_now_ms();
            return r;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        else
            wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE); /* closed or broken */
        return -1;
    }
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user_data)
{
    struct http_ws_client *c = user_data;
    int sflags = MSG_NOSIGNAL | ((flags & WSLAY_MSG_MORE) ? MSG_MORE : 0);
    for (;;) {
        ssize_t r = send(c->fd, data, len, sflags);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        else
            wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user_data)
{
    (void)ctx;
    struct http_ws_client *c = user_data;
    struct http_ws *ws = c->ws;
    if (ws->cb.on_message && (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME))
        ws->cb.on_message(ws->ctx, c->user, arg->opcode == WSLAY_TEXT_FRAME, arg->msg,
                          arg->msg_length);
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = on_recv,
    .send_callback = on_send,
    .on_msg_recv_callback = on_msg,
};

/* ------------------------------------------------------------- client life */

static void mark_dirty(struct http_ws *ws, struct http_ws_client *c)
{
    if (!c->dirty) {
        c->dirty = true;
        c->dirty_next = ws->dirty;
        ws->dirty = c;
    }
}

static void queue_clear(struct http_ws_client *c, bool keep_head)
{
    size_t keep = keep_head && c->head_off > 0 ? 1 : 0;
    for (size_t i = keep; i < c->qlen; i++) {
        size_t at = (c->qhead + i) % c->qcap;
        http_ws_frame_unref(c->q[at]);
        c->q[at] = NULL;
    }
    c->qlen = keep;
}

static void begin_close(struct http_ws *ws, struct http_ws_client *c, uint16_t code,
                        const char *reason, int64_t now)
{
    if (c->closing || c->dead)
        return;
    c->closing = true;
    c->close_deadline = now + ws->o.close_timeout_ms;
    /* A frame partly written goes out whole (before the close frame); the rest is dropped now. */
    queue_clear(c, true);
    size_t rlen = reason ? strlen(reason) : 0;
    if (rlen > 123)
        rlen = 123;
    if (wslay_event_queue_close(c->wsl, code, (const uint8_t *)reason, rlen) != 0)
        c->dead = true;
    mark_dirty(ws, c);
}

void http_ws_close(struct http_ws *ws, struct http_ws_client *c, uint16_t code,
                   const char *reason)
{
    begin_close(ws, c, code, reason, time_now_ms());
}

int http_ws_send(struct http_ws *ws, struct http_ws_client *c, struct http_ws_frame *f)
{
    if (c->closing || c->dead)
        return 0;
    if (c->qlen == c->qcap) {
        if (c->qcap >= ws->o.queue_max)
            return SEAU_E_TOO_LARGE;
        /* Queues grow on demand, so an idle client costs no queue at all. */
        size_t ncap = c->qcap ? c->qcap * 2 : 4;
        if (ncap > ws->o.queue_max)
            ncap = ws->o.queue_max;
        struct http_ws_frame **nq = malloc(ncap * sizeof(*nq));
        if (!nq) {
            begin_close(ws, c, HTTP_WS_CLOSE_ERROR, "out of memory", time_now_ms());
            return SEAU_E_NOMEM;
        }
        for (size_t i = 0; i < c->qlen; i++)
            nq[i] = c->q[(c->qhead + i) % c->qcap];
        free(c->q);
        c->q = nq;
        c->qcap = ncap;
        c->qhead = 0;
    }
    http_ws_frame_ref(f);
    c->q[(c->qhead + c->qlen) % c->qcap] = f;
    c->qlen++;
    mark_dirty(ws, c);
    return 0;
}

/* Watches what wslay wants; a client that wants neither to read nor to write is done. */
static void watch(struct http_ws *ws, struct http_ws_client *c)
{
    uint32_t want = 0;
    if (wslay_event_want_read(c->wsl))
        want |= EPOLLIN | EPOLLRDHUP;
    if (wslay_event_want_write(c->wsl) || c->head_off > 0 || (c->qlen > 0 && !c->closing))
        want |= EPOLLOUT;
    if (want == 0) {
        c->dead = true;
        return;
    }
    if (want == c->watching)
        return;
    struct epoll_event ev = {.events = want, .data.ptr = c};
    if (epoll_ctl(ws->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->watching = want;
    else
        c->dead = true;
}

/* Pops the head frame, written whole. */
static void head_done(struct http_ws *ws, struct http_ws_client *c)
{
    http_ws_frame_unref(c->q[c->qhead]);
    c->q[c->qhead] = NULL;
    c->qhead = (c->qhead + 1) % c->qcap;
    c->qlen--;
    c->head_off = 0;
    atomic_fetch_add(&ws->sent, 1);
}

/*
 * Writes what can be written now, in an order that keeps frames whole: the
 * rest of a data frame begun, then wslay's control frames, then the next
 * data frames. Stops when the socket is full (EPOLLOUT brings the client
 * back). Runs on the loop thread or on a writer (flush_dirty): it touches
 * only c, the frames' atomic counts and ws's atomic counters.
 *
 * The frames waiting go out together, up to FLUSH_IOV in one sendmsg():
 * when broadcasts come faster than one pass over the clients, a client's
 * backlog then costs one system call and one TCP segment instead of one of
 * each per frame, so the hub catches up instead of falling further behind.
 */
static void client_flush(struct http_ws *ws, struct http_ws_client *c)
{
    while (!c->dead) {
        if (c->head_off > 0 || (c->qlen > 0 && !c->closing && !wslay_event_want_write(c->wsl))) {
            /* Only the rest of the head while wslay waits to write, or the client closes. */
            size_t n = c->closing || wslay_event_want_write(c->wsl) ? 1 : c->qlen;
            if (n > FLUSH_IOV)
                n = FLUSH_IOV;
            struct iovec iov[FLUSH_IOV];
            for (size_t i = 0; i < n; i++) {
                struct http_ws_frame *f = c->q[(c->qhead + i) % c->qcap];
                size_t skip = i == 0 ? c->head_off : 0;
                iov[i].iov_base = f->wire + skip;
                iov[i].iov_len = f->len - skip;
            }
            struct msghdr m = {.msg_iov = iov, .msg_iovlen = n};
            ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    c->dead = true;
                break;
            }
            size_t left = (size_t)w;
            for (size_t i = 0; i < n && left >= iov[i].iov_len; i++) {
                left -= iov[i].iov_len;
                head_done(ws, c);
            }
            c->head_off += left; /* 0 when every frame went whole */
            if (c->head_off > 0 || w == 0)
                break; /* the socket is full */
            continue;
        }
        if (!wslay_event_want_write(c->wsl))
            break;
        if (wslay_event_send(c->wsl) != 0) {
            c->dead = true;
            break;
        }
        if (wslay_event_want_write(c->wsl))
            break;
    }
    if (!c->dead && c->closing && wslay_event_get_close_sent(c->wsl) &&
        wslay_event_get_close_received(c->wsl))
        c->dead = true;
    if (!c->dead)
        watch(ws, c);
}

static void client_read(struct http_ws *ws, struct http_ws_client *c, int64_t now)
{
    if (wslay_event_recv(c->wsl) != 0) {
        c->dead = true; /* closed, broken, or a protocol error wslay answered */
        return;
    }
    if (wslay_event_get_close_received(c->wsl) && !c->closing) {
        /* wslay queued the answering close frame; send it, then let go. */
        c->closing = true;
        c->close_deadline = now + ws->o.close_timeout_ms;
        queue_clear(c, true);
    }
    mark_dirty(ws, c);
}

/* Lets go of a client: the socket through its close function, the user's context through on_close. */
static void client_free(struct http_ws *ws, struct http_ws_client *c)
{
    if (c->opened) {
        epoll_ctl(ws->ep, EPOLL_CTL_DEL, c->fd, NULL);
        atomic_fetch_sub(&ws->nclients, 1);
    }
    if (c->wsl)
        wslay_event_context_free(c->wsl);
    queue_clear(c, false);
    free(c->q);
    free(c->extra);
    if (c->close_fn)
        c->close_fn(c->close_ctx);
    ws->cb.on_close(ws->ctx, c->user);
    free(c);
}

/* Turns an attached socket into a connected client and lets the user queue its first frames. */
static void client_start(struct http_ws *ws, struct http_ws_client *c, int64_t now)
{
    c->last_recv = now;
    c->next_ping = now + ws->o.ping_interval_ms;
    c->opened = true;
    atomic_fetch_add(&ws->nclients, 1);
    atomic_fetch_add(&ws->accepted, 1);

    int fl = fcntl(c->fd, F_GETFL);
    int one = 1;
    bool ok = fl >= 0 && fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) == 0;
    /* A small send buffer bounds the kernel memory of each client and shows a stalled one early. */
    if (ok && ws->o.sndbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &ws->o.sndbuf, sizeof(ws->o.sndbuf));
    if (ok)
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ok = ok && wslay_event_context_server_init(&c->wsl, &callbacks, c) == 0;
    if (ok)
        wslay_event_config_set_max_recv_msg_length(c->wsl, ws->o.recv_max);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    ok = ok && epoll_ctl(ws->ep, EPOLL_CTL_ADD, c->fd, &ev) == 0;
    if (ok)
        c->watching = ev.events;
    c->next = ws->clients;
    if (ws->clients)
        ws->clients->prev = c;
    ws->clients = c;
    if (!ok) {
        c->dead = true;
        return;
    }
    ws->cb.on_open(ws->ctx, c, c->user);
    if (c->extra_len)
        client_read(ws, c, now); /* epoll will not report bytes already read by libmicrohttpd */
    mark_dirty(ws, c);
}

/* Takes everything other threads left in the inbox: sockets first, then tasks in order. */
static void drain_inbox(struct http_ws *ws, int64_t now)
{
    uint64_t counter;
    ssize_t r = read(ws->efd, &counter, sizeof(counter));
    (void)r;
    pthread_mutex_lock(&ws->lock);
    struct http_ws_client *attached = ws->attached;
    struct http_ws_task *tasks = ws->tasks;
    ws->attached = NULL;
    ws->tasks = ws->tasks_tail = NULL;
    ws->ntasks = 0;
    pthread_mutex_unlock(&ws->lock);

    while (attached) {
        struct http_ws_client *c = attached;
        attached = c->inbox_next;
        c->inbox_next = NULL;
        client_start(ws, c, now);
    }
    while (tasks) {
        struct http_ws_task *t = tasks;
        tasks = t->next;
        t->next = NULL;
        t->run(ws->ctx, t);
    }
}

/* Once a second: pings, liveness, close deadlines. */
static void tick(struct http_ws *ws, int64_t now)
{
    for (struct http_ws_client *c = ws->clients; c; c = c->next) {
        if (c->dead)
            continue;
        if (c->closing) {
            if (now >= c->close_deadline)
                c->dead = true;
            continue;
        }
        if (now - c->last_recv > 3 * ws->o.ping_interval_ms) {
            c->dead = true; /* no pong nor anything else for three intervals */
            continue;
        }
        if (now >= c->next_ping) {
            struct wslay_event_msg ping = {.opcode = WSLAY_PING, .msg = NULL, .msg_length = 0};
            if (wslay_event_queue_msg(c->wsl, &ping) != 0)
                c->dead = true;
            c->next_ping = now + ws->o.ping_interval_ms;
            mark_dirty(ws, c);
        }
    }
}

/* Flushes the round's clients, a share at a time, until none is left; loop thread or writer. */
static void flush_batch(struct http_ws *ws)
{
    for (;;) {
        size_t at = atomic_fetch_add(&ws->batch_next, WRITER_SHARE);
        if (at >= ws->nbatch)
            break;
        size_t end = at + WRITER_SHARE < ws->nbatch ? at + WRITER_SHARE : ws->nbatch;
        for (size_t i = at; i < end; i++)
            client_flush(ws, ws->batch[i]);
    }
}

static void *writer_main(void *arg)
{
    struct http_ws *ws = arg;
    unsigned seen = 0;
    for (;;) {
        pthread_mutex_lock(&ws->wlock);
        while (!ws->wquit && ws->wgen == seen)
            pthread_cond_wait(&ws->wgo, &ws->wlock);
        bool quit = ws->wquit;
        seen = ws->wgen;
        pthread_mutex_unlock(&ws->wlock);
        if (quit)
            break;
        flush_batch(ws);
        pthread_mutex_lock(&ws->wlock);
        if (--ws->wrunning == 0)
            pthread_cond_signal(&ws->wdone);
        pthread_mutex_unlock(&ws->wlock);
    }
    return NULL;
}

/*
 * Writes to every client marked dirty. One broadcast makes every client
 * dirty, and its cost is one send() each, almost all of it in the kernel's
 * TCP path: with thousands of clients that is the loop's whole time. So a
 * long list is shared with the writer threads (fork and join: the loop
 * waits for them, so nothing else runs meanwhile and a client is flushed
 * by one thread only); a short one is flushed here.
 */
static void flush_dirty(struct http_ws *ws)
{
    size_t n = 0;
    for (struct http_ws_client *c = ws->dirty; c; c = c->dirty_next)
        n++;
    if (n > ws->batch_cap && ws->nwriters > 0 && n >= WRITER_MIN) {
        struct http_ws_client **nb = realloc(ws->batch, n * sizeof(*nb));
        if (nb) {
            ws->batch = nb;
            ws->batch_cap = n;
        }
    }
    bool share = ws->nwriters > 0 && n >= WRITER_MIN && n <= ws->batch_cap;
    ws->nbatch = 0;
    while (ws->dirty) {
        struct http_ws_client *c = ws->dirty;
        ws->dirty = c->dirty_next;
        c->dirty = false;
        c->dirty_next = NULL;
        if (c->dead)
            continue;
        if (share)
            ws->batch[ws->nbatch++] = c;
        else
            client_flush(ws, c); /* few, or no memory for the list: this thread alone */
    }
    if (!share || ws->nbatch == 0)
        return;
    atomic_store(&ws->batch_next, 0);
    pthread_mutex_lock(&ws->wlock);
    ws->wgen++;
    ws->wrunning = ws->nwriters;
    pthread_cond_broadcast(&ws->wgo);
    pthread_mutex_unlock(&ws->wlock);
    flush_batch(ws);
    pthread_mutex_lock(&ws->wlock);
    while (ws->wrunning > 0)
        pthread_cond_wait(&ws->wdone, &ws->wlock);
    pthread_mutex_unlock(&ws->wlock);
}

static void reap(struct http_ws *ws)
{
    for (struct http_ws_client *c = ws->clients; c;) {
        struct http_ws_client *next = c->next;
        if (c->dead) {
            if (c->prev)
                c->prev->next = c->next;
            else
                ws->clients = c->next;
            if (c->next)
                c->next->prev = c->prev;
            client_free(ws, c);
        }
        c = next;
    }
}

static void *loop_main(void *arg)
{
    struct http_ws *ws = arg;
    struct epoll_event evs[256];
    bool closing_all = false;
    /* Ticks come often enough for the ping interval (a third of it, at most a second). */
    int64_t tick_ms = ws->o.ping_interval_ms / 3 < TICK_MS ? ws->o.ping_interval_ms / 3 : TICK_MS;
    if (tick_ms < 10)
        tick_ms = 10;
    ws->next_tick = time_now_ms() + tick_ms;
    for (;;) {
        int64_t now = time_now_ms();
        int timeout = (int)(ws->next_tick > now ? ws->next_tick - now : 0);
        if (closing_all && timeout > 50)
            timeout = 50;
        int n = epoll_wait(ws->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), timeout);
        now = time_now_ms();
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                drain_inbox(ws, now);
                continue;
            }
            struct http_ws_client *c = evs[i].data.ptr;
            if (c->dead)
                continue;
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
                client_read(ws, c, now);
            if (evs[i].events & EPOLLOUT)
                mark_dirty(ws, c);
        }
        pthread_mutex_lock(&ws->lock);
        bool stopping = ws->stopping, quit = ws->quit;
        int64_t deadline = ws->stop_deadline;
        pthread_mutex_unlock(&ws->lock);
        if (stopping && !closing_all) {
            closing_all = true;
            drain_inbox(ws, now); /* what was attached before the stop is closed too */
            for (struct http_ws_client *c = ws->clients; c; c = c->next)
                begin_close(ws, c, HTTP_WS_CLOSE_GOING, "server shutting down", now);
        }
        if (now >= ws->next_tick || (closing_all && now >= deadline)) {
            tick(ws, now);
            ws->next_tick = now + tick_ms;
        }
        if (closing_all && now >= deadline)
            for (struct http_ws_client *c = ws->clients; c; c = c->next)
                c->dead = true;
        flush_dirty(ws);
        reap(ws);
        if ((closing_all && !ws->clients) || quit) {
            pthread_mutex_lock(&ws->lock);
            ws->finished = true;
            pthread_cond_broadcast(&ws->done);
            bool really = ws->quit;
            pthread_mutex_unlock(&ws->lock);
            if (really)
                break;
        }
    }
    return NULL;
}

/* ================================= interface ========================================= */

int http_ws_new(const struct http_ws_opts *o, const struct http_ws_callbacks *cb, void *ctx,
                struct http_ws **ret)
{
    struct http_ws *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return SEAU_E_NOMEM;
    if (o)
        ws->o = *o;
    ws->cb = *cb;
    ws->ctx = ctx;
    if (!ws->o.queue_max)
        ws->o.queue_max = HTTP_WS_QUEUE_MAX;
    if (!ws->o.recv_max)
        ws->o.recv_max = HTTP_WS_RECV_MAX;
    if (ws->o.ping_interval_ms <= 0)
        ws->o.ping_interval_ms = HTTP_WS_PING_MS;
    if (ws->o.close_timeout_ms <= 0)
        ws->o.close_timeout_ms = HTTP_WS_CLOSE_MS;
    if (!ws->o.sndbuf)
        ws->o.sndbuf = HTTP_WS_SNDBUF;
    pthread_mutex_init(&ws->lock, NULL);
    pthread_cond_init(&ws->done, NULL);
    pthread_mutex_init(&ws->wlock, NULL);
    pthread_cond_init(&ws->wgo, NULL);
    pthread_cond_init(&ws->wdone, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int want = ws->o.writers;
    if (want == 0)
        want = cores > 1 ? (int)(cores - 1) : 0;
    if (want < 0)
        want = 0;
    if (want > WRITERS_MAX)
        want = WRITERS_MAX;
    ws->writers = want > 0 ? calloc((size_t)want, sizeof(*ws->writers)) : NULL;
    /* Too few writers (no memory, no thread) only makes broadcasts slower. */
    for (int i = 0; ws->writers && i < want; i++) {
        if (pthread_create(&ws->writers[i], NULL, writer_main, ws) != 0)
            break;
        ws->nwriters++;
    }
    ws->ep = epoll_create1(EPOLL_CLOEXEC);
    ws->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (ws->ep < 0 || ws->efd < 0 || epoll_ctl(ws->ep, EPOLL_CTL_ADD, ws->efd, &ev) != 0 ||
        pthread_create(&ws->thread, NULL, loop_main, ws) != 0) {
        http_ws_free(ws);
        return SEAU_E_IO;
    }
    ws->thread_started = true;
    *ret = ws;
    return 0;
}

void http_ws_free(struct http_ws *ws)
{
    if (!ws)
        return;
    if (ws->thread_started) {
        pthread_mutex_lock(&ws->lock);
        ws->quit = true;
        ws->stopping = true;
        pthread_mutex_unlock(&ws->lock);
        wake(ws);
        pthread_join(ws->thread, NULL);
    }
    pthread_mutex_lock(&ws->wlock);
    ws->wquit = true;
    pthread_cond_broadcast(&ws->wgo);
    pthread_mutex_unlock(&ws->wlock);
    for (unsigned i = 0; i < ws->nwriters; i++)
        pthread_join(ws->writers[i], NULL);
    free(ws->writers);
    free(ws->batch);
    pthread_mutex_destroy(&ws->wlock);
    pthread_cond_destroy(&ws->wgo);
    pthread_cond_destroy(&ws->wdone);
    /* The threads are gone: what is left is ours alone. */
    for (struct http_ws_client *c = ws->clients; c; c = c->next)
        c->dead = true;
    reap(ws);
    while (ws->attached) {
        struct http_ws_client *c = ws->attached;
        ws->attached = c->inbox_next;
        client_free(ws, c);
    }
    while (ws->tasks) {
        struct http_ws_task *t = ws->tasks;
        ws->tasks = t->next;
        t->drop(ws->ctx, t);
    }
    if (ws->ep >= 0)
        close(ws->ep);
    if (ws->efd >= 0)
        close(ws->efd);
    pthread_mutex_destroy(&ws->lock);
    pthread_cond_destroy(&ws->done);
    free(ws);
}

int http_ws_attach(struct http_ws *ws, int fd, const char *extra, size_t nextra,
                   void (*close_fn)(void *close_ctx), void *close_ctx, void *client_ctx)
{
    struct http_ws_client *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    if (nextra) {
        c->extra = malloc(nextra);
        if (!c->extra) {
            free(c);
            return SEAU_E_NOMEM;
        }
        memcpy(c->extra, extra, nextra);
        c->extra_len = nextra;
    }
    c->ws = ws;
    c->fd = fd;
    c->close_fn = close_fn;
    c->close_ctx = close_ctx;
    c->user = client_ctx;
    pthread_mutex_lock(&ws->lock);
    bool take = !ws->stopping;
    if (take) {
        c->inbox_next = ws->attached;
        ws->attached = c;
    }
    pthread_mutex_unlock(&ws->lock);
    if (!take) {
        free(c->extra);
        free(c);
        return SEAU_E_UNAVAILABLE;
    }
    wake(ws);
    return 0;
}

int http_ws_post(struct http_ws *ws, struct http_ws_task *t)
{
    int rc = 0;
    t->next = NULL;
    pthread_mutex_lock(&ws->lock);
    if (ws->stopping || ws->ntasks >= HTTP_WS_TASKS_MAX) {
        rc = SEAU_E_UNAVAILABLE;
    } else {
        if (ws->tasks_tail)
            ws->tasks_tail->next = t;
        else
            ws->tasks = t;
        ws->tasks_tail = t;
        ws->ntasks++;
    }
    pthread_mutex_unlock(&ws->lock);
    if (rc == 0)
        wake(ws);
    return rc;
}

void http_ws_shutdown(struct http_ws *ws, int64_t timeout_ms)
{
    if (!ws)
        return;
    pthread_mutex_lock(&ws->lock);
    if (!ws->stopping) {
        ws->stopping = true;
        ws->stop_deadline = time_now_ms() + timeout_ms;
    }
    pthread_mutex_unlock(&ws->lock);
    wake(ws);
    /* The thread drops every client by the deadline; wait a second past it at most. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = (int64_t)until.tv_nsec + (timeout_ms + 1000) * 1000000;
    until.tv_sec += (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&ws->lock);
    while (!ws->finished)
        if (pthread_cond_timedwait(&ws->done, &ws->lock, &until) != 0)
            break;
    pthread_mutex_unlock(&ws->lock);
}

void http_ws_stats(struct http_ws *ws, struct http_ws_stats *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!ws)
        return;
    ret->clients = atomic_load(&ws->nclients);
    ret->accepted = atomic_load(&ws->accepted);
    ret->sent = atomic_load(&ws->sent);
}
