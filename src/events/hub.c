/*
 * The WebSocket hub's event loop. One thread owns every client: it alone
 * touches the clients, their wslay contexts and the frames queued for them,
 * so none of that needs a lock. Other threads talk to it through the inbox
 * (new clients, frames to broadcast, accounts to close), guarded by
 * h->lock and signalled with an eventfd.
 *
 * A notification is encoded once into a whole WebSocket frame (a server's
 * frames are not masked, so the bytes are the same for every client) and
 * shared, by reference count, by every client queue holding it; it is
 * written straight to each socket, one send() per client, without a copy.
 * wslay reads what clients send and writes the control frames (pongs,
 * pings, close); a data frame begun is always finished before wslay writes,
 * and wslay's frames go out before a new data frame starts, so the two
 * never interleave on the wire.
 */
#include "events/hub.h"

#include "core/err.h"
#include "core/timeutil.h"
#include "events/event.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>

#define PENDING_TTL_MS   30000
#define INBOX_FRAMES_MAX 65536 /* broadcasts waiting for the hub thread */
#define RECENT_MAX       256   /* frames kept to close the gap between a replay and live */
#define TICK_MS          1000
#define USER_BUCKETS     1024 /* power of two */

/* ------------------------------------------------------------------ frames */

/* One notification, encoded; shared by the queues holding it (hub thread only after hand-off). */
struct frame {
    size_t refs;
    int64_t id;
    const char *bucket; /* into storage; NULL: not about a bucket */
    const char *key;
    size_t len; /* of wire: the frame's header and its JSON text */
    unsigned char *wire;
    struct frame *next; /* inbox link */
};

static struct frame *frame_new(const struct db_notification *n)
{
    json_t *j = events_notification_json(n);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return NULL;
    size_t tlen = strlen(text);
    size_t hlen = tlen < 126 ? 2 : tlen < 65536 ? 4 : 10;
    size_t blen = n->bucket ? strlen(n->bucket) + 1 : 0;
    size_t klen = n->key ? strlen(n->key) + 1 : 0;
    struct frame *f = malloc(sizeof(*f) + hlen + tlen + blen + klen);
    if (!f) {
        free(text);
        return NULL;
    }
    unsigned char *w = (unsigned char *)(f + 1);
    memset(f, 0, sizeof(*f));
    f->refs = 1;
    f->id = n->id;
    f->wire = w;
    f->len = hlen + tlen;
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
    char *p = (char *)(w + hlen + tlen);
    free(text);
    if (n->bucket) {
        memcpy(p, n->bucket, blen);
        f->bucket = p;
        p += blen;
    }
    if (n->key) {
        memcpy(p, n->key, klen);
        f->key = p;
    }
    return f;
}

static void frame_unref(struct frame *f)
{
    if (f && --f->refs == 0)
        free(f);
}

/* ----------------------------------------------------------------- clients */

struct client {
    struct events_hub *h;
    int fd;
    void (*close_fn)(void *ctx);
    void *close_ctx;
    wslay_event_context_ptr ws;
    struct auth_subject who; /* grants owned below */
    struct db_grant *grants;
    int64_t upto_id;

    /* Frames waiting, oldest first (a ring); the head may be partly written. */
    struct frame **q;
    size_t qcap, qhead, qlen;
    size_t head_off; /* bytes of the head frame already written */

    char *extra; /* bytes read past the handshake, fed to wslay first */
    size_t extra_len, extra_off;

    int64_t next_ping, last_recv, close_deadline;
    bool closing, dead, dirty;
    uint32_t watching; /* epoll interest */
    struct client *prev, *next;
    struct client *dirty_next;
};

/* A reserved place (events_hub_reserve), waiting for its socket. */
struct pending {
    const void *key;
    int64_t created;
    struct auth_subject who;
    struct db_grant *grants;
    int64_t upto_id;
    struct frame **replay;
    size_t nreplay;
    /* Filled by attach. */
    int fd;
    char *extra;
    size_t extra_len;
    void (*close_fn)(void *ctx);
    void *close_ctx;
    struct pending *next;
};

/* A request to close an account's clients. */
struct user_close {
    int64_t user_id;
    uint16_t code;
    char reason[124];
    struct user_close *next;
};

struct user_count {
    int64_t user_id;
    size_t n;
    struct user_count *next;
};

struct events_hub {
    struct events_hub_opts o;
    int ep, efd;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t lock; /* guards everything down to "hub thread only" */
    pthread_cond_t done;
    struct pending *reserved; /* waiting for attach */
    struct pending *attached; /* attached, for the hub thread */
    struct frame *inbox, *inbox_tail;
    size_t ninbox;
    struct user_close *closes;
    size_t places; /* reserved + attached + connected */
    struct user_count *users[USER_BUCKETS];
    bool stopping, quit, finished;
    int64_t stop_deadline;

    /* Hub thread only. */
    struct client *clients;
    struct client *dirty;
    struct frame *recent[RECENT_MAX];
    size_t nrecent, recent_head;
    int64_t next_tick;

    atomic_uint_fast64_t nclients, accepted, dropped_slow, sent;
};

/* ------------------------------------------------------------------ counts */

static struct user_count **user_slot(struct events_hub *h, int64_t user_id)
{
    struct user_count **p = &h->users[(uint64_t)user_id & (USER_BUCKETS - 1)];
    while (*p && (*p)->user_id != user_id)
        p = &(*p)->next;
    return p;
}

/* Takes a place for user_id; h->lock held. */
static int place_take(struct events_hub *h, int64_t user_id)
{
    if (h->places >= h->o.max_clients)
        return SEAU_E_UNAVAILABLE;
    struct user_count **p = user_slot(h, user_id);
    if (*p && (*p)->n >= h->o.max_per_user)
        return SEAU_E_RATE_LIMITED;
    if (!*p) {
        *p = calloc(1, sizeof(**p));
        if (!*p)
            return SEAU_E_NOMEM;
        (*p)->user_id = user_id;
    }
    (*p)->n++;
    h->places++;
    return 0;
}

/* Gives a place back; h->lock held. */
static void place_give(struct events_hub *h, int64_t user_id)
{
    struct user_count **p = user_slot(h, user_id);
    if (*p && --(*p)->n == 0) {
        struct user_count *dead = *p;
        *p = dead->next;
        free(dead);
    }
    if (h->places > 0)
        h->places--;
}

static int copy_subject(const struct auth_subject *who, struct auth_subject *ret,
                        struct db_grant **ret_grants)
{
    struct db_grant *g = NULL;
    if (who->ngrants) {
        g = malloc(who->ngrants * sizeof(*g));
        if (!g)
            return SEAU_E_NOMEM;
        memcpy(g, who->grants, who->ngrants * sizeof(*g));
    }
    *ret = *who;
    ret->grants = g;
    *ret_grants = g;
    return 0;
}

static void pending_free(struct pending *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nreplay; i++)
        frame_unref(p->replay[i]);
    free(p->replay);
    free(p->grants);
    free(p->extra);
    free(p);
}

static void wake(struct events_hub *h)
{
    uint64_t one = 1;
    ssize_t w = write(h->efd, &one, sizeof(one));
    (void)w; /* a full counter already means "wake up" */
}

/* --------------------------------------------------------------- wslay glue */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user_data)
{
    (void)flags;
    struct client *c = user_data;
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
    struct client *c = user_data;
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

/* Clients send nothing Seau reads: text and binary messages are dropped. */
static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user_data)
{
    (void)ctx;
    (void)arg;
    (void)user_data;
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = on_recv,
    .send_callback = on_send,
    .on_msg_recv_callback = on_msg,
};

/* ------------------------------------------------------------- client life */

static void mark_dirty(struct events_hub *h, struct client *c)
{
    if (!c->dirty) {
        c->dirty = true;
        c->dirty_next = h->dirty;
        h->dirty = c;
    }
}

static void queue_clear(struct client *c, bool keep_head)
{
    size_t keep = keep_head && c->head_off > 0 ? 1 : 0;
    for (size_t i = keep; i < c->qlen; i++) {
        size_t at = (c->qhead + i) % c->qcap;
        frame_unref(c->q[at]);
        c->q[at] = NULL;
    }
    c->qlen = keep;
}

/* Starts a clean close: a close frame, then the peer's answer or the deadline. */
static void begin_close(struct events_hub *h, struct client *c, uint16_t code, const char *reason,
                        int64_t now)
{
    if (c->closing || c->dead)
        return;
    c->closing = true;
    c->close_deadline = now + h->o.close_timeout_ms;
    /* A frame partly written goes out whole (before the close frame); the rest is dropped now. */
    queue_clear(c, true);
    size_t rlen = reason ? strlen(reason) : 0;
    if (wslay_event_queue_close(c->ws, code, (const uint8_t *)reason, rlen) != 0)
        c->dead = true;
    mark_dirty(h, c);
}

/* Adds f to c's queue; a client whose queue is full is too slow and is closed with 1008. */
static void client_push(struct events_hub *h, struct client *c, struct frame *f, int64_t now)
{
    if (c->closing || c->dead)
        return;
    if (c->qlen == c->qcap) {
        if (c->qcap >= h->o.queue_max) {
            atomic_fetch_add(&h->dropped_slow, 1);
            begin_close(h, c, EVENTS_WS_CLOSE_SLOW, "too slow: reconnect and use since", now);
            return;
        }
        /* Queues grow on demand, so an idle client costs no queue at all. */
        size_t ncap = c->qcap ? c->qcap * 2 : 4;
        if (ncap > h->o.queue_max)
            ncap = h->o.queue_max;
        struct frame **nq = malloc(ncap * sizeof(*nq));
        if (!nq) {
            begin_close(h, c, 1011, "out of memory", now);
            return;
        }
        for (size_t i = 0; i < c->qlen; i++)
            nq[i] = c->q[(c->qhead + i) % c->qcap];
        free(c->q);
        c->q = nq;
        c->qcap = ncap;
        c->qhead = 0;
    }
    f->refs++;
    c->q[(c->qhead + c->qlen) % c->qcap] = f;
    c->qlen++;
    mark_dirty(h, c);
}

/* Watches what wslay wants; a client that wants neither to read nor to write is done. */
static void watch(struct events_hub *h, struct client *c)
{
    uint32_t want = 0;
    if (wslay_event_want_read(c->ws))
        want |= EPOLLIN | EPOLLRDHUP;
    if (wslay_event_want_write(c->ws) || c->head_off > 0 || (c->qlen > 0 && !c->closing))
        want |= EPOLLOUT;
    if (want == 0) {
        c->dead = true;
        return;
    }
    if (want == c->watching)
        return;
    struct epoll_event ev = {.events = want, .data.ptr = c};
    if (epoll_ctl(h->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->watching = want;
    else
        c->dead = true;
}

/* Pops the head frame, written whole. */
static void head_done(struct events_hub *h, struct client *c)
{
    frame_unref(c->q[c->qhead]);
    c->q[c->qhead] = NULL;
    c->qhead = (c->qhead + 1) % c->qcap;
    c->qlen--;
    c->head_off = 0;
    atomic_fetch_add(&h->sent, 1);
}

/*
 * Writes what can be written now, in an order that keeps frames whole: the
 * rest of a data frame begun, then wslay's control frames, then the next
 * data frames, one send() each. Stops when the socket is full (EPOLLOUT
 * brings the client back).
 */
static void client_flush(struct events_hub *h, struct client *c)
{
    while (!c->dead) {
        if (c->head_off > 0 || (c->qlen > 0 && !c->closing && !wslay_event_want_write(c->ws))) {
            struct frame *f = c->q[c->qhead];
            ssize_t w = send(c->fd, f->wire + c->head_off, f->len - c->head_off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    c->dead = true;
                break;
            }
            c->head_off += (size_t)w;
            if (c->head_off < f->len)
                break;
            head_done(h, c);
            continue;
        }
        if (!wslay_event_want_write(c->ws))
            break;
        if (wslay_event_send(c->ws) != 0) {
            c->dead = true;
            break;
        }
        if (wslay_event_want_write(c->ws))
            break;
    }
    if (!c->dead && c->closing && wslay_event_get_close_sent(c->ws) &&
        wslay_event_get_close_received(c->ws))
        c->dead = true;
    if (!c->dead)
        watch(h, c);
}

static void client_read(struct events_hub *h, struct client *c, int64_t now)
{
    if (wslay_event_recv(c->ws) != 0) {
        c->dead = true; /* closed, broken, or a protocol error wslay answered */
        return;
    }
    if (wslay_event_get_close_received(c->ws) && !c->closing) {
        /* wslay queued the answering close frame; send it, then let go. */
        c->closing = true;
        c->close_deadline = now + h->o.close_timeout_ms;
        queue_clear(c, true);
    }
    mark_dirty(h, c);
}

static void client_free(struct events_hub *h, struct client *c)
{
    epoll_ctl(h->ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->ws)
        wslay_event_context_free(c->ws);
    queue_clear(c, false);
    free(c->q);
    free(c->extra);
    if (c->close_fn)
        c->close_fn(c->close_ctx);
    pthread_mutex_lock(&h->lock);
    place_give(h, c->who.user_id);
    pthread_mutex_unlock(&h->lock);
    atomic_fetch_sub(&h->nclients, 1);
    free(c->grants);
    free(c);
}

/* Turns an attached reservation into a connected client, with its replay queued. */
static void client_start(struct events_hub *h, struct pending *p, int64_t now)
{
    struct client *c = calloc(1, sizeof(*c));
    if (!c) {
        p->close_fn(p->close_ctx);
        pthread_mutex_lock(&h->lock);
        place_give(h, p->who.user_id);
        pthread_mutex_unlock(&h->lock);
        pending_free(p);
        return;
    }
    c->h = h;
    c->fd = p->fd;
    c->close_fn = p->close_fn;
    c->close_ctx = p->close_ctx;
    c->who = p->who;
    c->grants = p->grants;
    p->grants = NULL;
    c->upto_id = p->upto_id;
    c->extra = p->extra;
    c->extra_len = p->extra_len;
    p->extra = NULL;
    c->last_recv = now;
    c->next_ping = now + h->o.ping_interval_ms;
    atomic_fetch_add(&h->nclients, 1);
    atomic_fetch_add(&h->accepted, 1);

    int fl = fcntl(c->fd, F_GETFL);
    int one = 1;
    bool ok = fl >= 0 && fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) == 0;
    /* A small send buffer bounds the kernel memory of each client and shows a stalled one early. */
    if (ok && h->o.sndbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &h->o.sndbuf, sizeof(h->o.sndbuf));
    if (ok)
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ok = ok && wslay_event_context_server_init(&c->ws, &callbacks, c) == 0;
    if (ok)
        wslay_event_config_set_max_recv_msg_length(c->ws, EVENTS_WS_RECV_MAX);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    ok = ok && epoll_ctl(h->ep, EPOLL_CTL_ADD, c->fd, &ev) == 0;
    if (ok)
        c->watching = ev.events;
    c->next = h->clients;
    if (h->clients)
        h->clients->prev = c;
    h->clients = c;
    if (!ok) {
        c->dead = true;
        pending_free(p);
        return;
    }
    /* The replay, then what was broadcast since the reserve read it (the recent ring). */
    int64_t last = c->upto_id;
    for (size_t i = 0; i < p->nreplay; i++) {
        client_push(h, c, p->replay[i], now);
        if (p->replay[i]->id > last)
            last = p->replay[i]->id;
    }
    for (size_t i = 0; i < h->nrecent; i++) {
        struct frame *f = h->recent[(h->recent_head + i) % RECENT_MAX];
        if (f->id > last && events_visible(&c->who, f->bucket, f->key))
            client_push(h, c, f, now);
    }
    pending_free(p);
    if (c->extra_len)
        client_read(h, c, now); /* epoll will not report bytes already read by libmicrohttpd */
    mark_dirty(h, c);
}

static void remember(struct events_hub *h, struct frame *f)
{
    f->refs++;
    if (h->nrecent == RECENT_MAX) {
        frame_unref(h->recent[h->recent_head]);
        h->recent[h->recent_head] = f;
        h->recent_head = (h->recent_head + 1) % RECENT_MAX;
    } else {
        h->recent[(h->recent_head + h->nrecent) % RECENT_MAX] = f;
        h->nrecent++;
    }
}

static void broadcast_one(struct events_hub *h, struct frame *f, int64_t now)
{
    remember(h, f);
    for (struct client *c = h->clients; c; c = c->next)
        if (f->id > c->upto_id && events_visible(&c->who, f->bucket, f->key))
            client_push(h, c, f, now);
}

/* Takes everything other threads left in the inbox. */
static void drain_inbox(struct events_hub *h, int64_t now)
{
    uint64_t counter;
    ssize_t r = read(h->efd, &counter, sizeof(counter));
    (void)r;
    pthread_mutex_lock(&h->lock);
    struct pending *attached = h->attached;
    struct frame *frames = h->inbox;
    struct user_close *closes = h->closes;
    h->attached = NULL;
    h->inbox = h->inbox_tail = NULL;
    h->ninbox = 0;
    h->closes = NULL;
    pthread_mutex_unlock(&h->lock);

    while (attached) {
        struct pending *p = attached;
        attached = p->next;
        client_start(h, p, now);
    }
    while (frames) {
        struct frame *f = frames;
        frames = f->next;
        f->next = NULL;
        broadcast_one(h, f, now);
        frame_unref(f);
    }
    while (closes) {
        struct user_close *uc = closes;
        closes = uc->next;
        for (struct client *c = h->clients; c; c = c->next)
            if (c->who.user_id == uc->user_id)
                begin_close(h, c, uc->code, uc->reason, now);
        free(uc);
    }
}

/* Once a second: pings, liveness, close deadlines, reservations that never got a socket. */
static void tick(struct events_hub *h, int64_t now)
{
    for (struct client *c = h->clients; c; c = c->next) {
        if (c->dead)
            continue;
        if (c->closing) {
            if (now >= c->close_deadline)
                c->dead = true;
            continue;
        }
        if (now - c->last_recv > 3 * h->o.ping_interval_ms) {
            c->dead = true; /* no pong nor anything else for three intervals */
            continue;
        }
        if (now >= c->next_ping) {
            struct wslay_event_msg ping = {.opcode = WSLAY_PING, .msg = NULL, .msg_length = 0};
            if (wslay_event_queue_msg(c->ws, &ping) != 0)
                c->dead = true;
            c->next_ping = now + h->o.ping_interval_ms;
            mark_dirty(h, c);
        }
    }
    pthread_mutex_lock(&h->lock);
    for (struct pending **pp = &h->reserved; *pp;) {
        struct pending *p = *pp;
        if (now - p->created > PENDING_TTL_MS || h->stopping) {
            *pp = p->next;
            place_give(h, p->who.user_id);
            pending_free(p);
        } else {
            pp = &p->next;
        }
    }
    pthread_mutex_unlock(&h->lock);
}

static void reap(struct events_hub *h)
{
    for (struct client *c = h->clients; c;) {
        struct client *next = c->next;
        if (c->dead) {
            if (c->prev)
                c->prev->next = c->next;
            else
                h->clients = c->next;
            if (c->next)
                c->next->prev = c->prev;
            client_free(h, c);
        }
        c = next;
    }
}

static void *hub_main(void *arg)
{
    struct events_hub *h = arg;
    struct epoll_event evs[256];
    bool closing_all = false;
    /* Ticks come often enough for the ping interval (a third of it, at most a second). */
    int64_t tick_ms = h->o.ping_interval_ms / 3 < TICK_MS ? h->o.ping_interval_ms / 3 : TICK_MS;
    if (tick_ms < 10)
        tick_ms = 10;
    h->next_tick = time_now_ms() + tick_ms;
    for (;;) {
        int64_t now = time_now_ms();
        int timeout = (int)(h->next_tick > now ? h->next_tick - now : 0);
        if (closing_all && timeout > 50)
            timeout = 50;
        int n = epoll_wait(h->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), timeout);
        now = time_now_ms();
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                drain_inbox(h, now);
                continue;
            }
            struct client *c = evs[i].data.ptr;
            if (c->dead)
                continue;
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
                client_read(h, c, now);
            if (evs[i].events & EPOLLOUT)
                mark_dirty(h, c);
        }
        pthread_mutex_lock(&h->lock);
        bool stopping = h->stopping, quit = h->quit;
        int64_t deadline = h->stop_deadline;
        pthread_mutex_unlock(&h->lock);
        if (stopping && !closing_all) {
            closing_all = true;
            for (struct client *c = h->clients; c; c = c->next)
                begin_close(h, c, EVENTS_WS_CLOSE_GOING, "server shutting down", now);
        }
        if (now >= h->next_tick || (closing_all && now >= deadline)) {
            tick(h, now);
            h->next_tick = now + tick_ms;
        }
        if (closing_all && now >= deadline)
            for (struct client *c = h->clients; c; c = c->next)
                c->dead = true;
        while (h->dirty) {
            struct client *c = h->dirty;
            h->dirty = c->dirty_next;
            c->dirty = false;
            c->dirty_next = NULL;
            if (!c->dead)
                client_flush(h, c);
        }
        reap(h);
        if ((closing_all && !h->clients) || quit) {
            pthread_mutex_lock(&h->lock);
            h->finished = true;
            pthread_cond_broadcast(&h->done);
            bool really = h->quit;
            pthread_mutex_unlock(&h->lock);
            if (really)
                break;
        }
    }
    return NULL;
}

/* --------------------------------------------------------------- interface */

int events_hub_new(const struct events_hub_opts *o, struct events_hub **ret)
{
    struct events_hub *h = calloc(1, sizeof(*h));
    if (!h)
        return SEAU_E_NOMEM;
    if (o)
        h->o = *o;
    if (!h->o.max_clients)
        h->o.max_clients = EVENTS_WS_CLIENTS_MAX;
    if (!h->o.max_per_user)
        h->o.max_per_user = EVENTS_WS_PER_USER_MAX;
    if (!h->o.queue_max)
        h->o.queue_max = EVENTS_WS_QUEUE_MAX;
    if (h->o.ping_interval_ms <= 0)
        h->o.ping_interval_ms = EVENTS_WS_PING_MS;
    if (h->o.close_timeout_ms <= 0)
        h->o.close_timeout_ms = EVENTS_WS_CLOSE_MS;
    if (!h->o.sndbuf)
        h->o.sndbuf = EVENTS_WS_SNDBUF;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->done, NULL);
    h->ep = epoll_create1(EPOLL_CLOEXEC);
    h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (h->ep < 0 || h->efd < 0 || epoll_ctl(h->ep, EPOLL_CTL_ADD, h->efd, &ev) != 0 ||
        pthread_create(&h->thread, NULL, hub_main, h) != 0) {
        events_hub_free(h);
        return SEAU_E_IO;
    }
    h->thread_started = true;
    *ret = h;
    return 0;
}

void events_hub_free(struct events_hub *h)
{
    if (!h)
        return;
    if (h->thread_started) {
        pthread_mutex_lock(&h->lock);
        h->quit = true;
        h->stopping = true;
        pthread_mutex_unlock(&h->lock);
        wake(h);
        pthread_join(h->thread, NULL);
    }
    /* The thread is gone: what is left is ours alone. */
    for (struct client *c = h->clients; c; c = c->next)
        c->dead = true;
    reap(h);
    for (size_t i = 0; i < h->nrecent; i++)
        frame_unref(h->recent[(h->recent_head + i) % RECENT_MAX]);
    while (h->inbox) {
        struct frame *f = h->inbox;
        h->inbox = f->next;
        frame_unref(f);
    }
    struct pending *lists[2] = {h->reserved, h->attached};
    for (int l = 0; l < 2; l++) {
        while (lists[l]) {
            struct pending *p = lists[l];
            lists[l] = p->next;
            if (p->close_fn)
                p->close_fn(p->close_ctx);
            pending_free(p);
        }
    }
    while (h->closes) {
        struct user_close *uc = h->closes;
        h->closes = uc->next;
        free(uc);
    }
    for (size_t b = 0; b < USER_BUCKETS; b++) {
        while (h->users[b]) {
            struct user_count *u = h->users[b];
            h->users[b] = u->next;
            free(u);
        }
    }
    if (h->ep >= 0)
        close(h->ep);
    if (h->efd >= 0)
        close(h->efd);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->done);
    free(h);
}

int events_hub_reserve(struct events_hub *h, const void *key, const struct auth_subject *who,
                       const struct db_notification *replay, size_t nreplay, int64_t upto_id)
{
    if (nreplay > EVENTS_WS_REPLAY_MAX)
        nreplay = EVENTS_WS_REPLAY_MAX;
    struct pending *p = calloc(1, sizeof(*p));
    if (!p)
        return SEAU_E_NOMEM;
    p->key = key;
    p->created = time_now_ms();
    p->upto_id = upto_id;
    p->fd = -1;
    int rc = copy_subject(who, &p->who, &p->grants);
    if (rc == 0 && nreplay) {
        p->replay = calloc(nreplay, sizeof(*p->replay));
        rc = p->replay ? 0 : SEAU_E_NOMEM;
    }
    for (size_t i = 0; rc == 0 && i < nreplay; i++) {
        p->replay[i] = frame_new(&replay[i]);
        if (!p->replay[i])
            rc = SEAU_E_NOMEM;
        else
            p->nreplay++;
    }
    if (rc) {
        pending_free(p);
        return rc;
    }
    pthread_mutex_lock(&h->lock);
    /* A new reserve on the same connection replaces the old one (whose socket never came). */
    for (struct pending **pp = &h->reserved; *pp; pp = &(*pp)->next) {
        if ((*pp)->key == key) {
            struct pending *old = *pp;
            *pp = old->next;
            place_give(h, old->who.user_id);
            pending_free(old);
            break;
        }
    }
    size_t npending = 0;
    for (struct pending *q = h->reserved; q; q = q->next)
        npending++;
    if (h->stopping || npending >= EVENTS_WS_PENDING_MAX)
        rc = SEAU_E_UNAVAILABLE;
    if (rc == 0)
        rc = place_take(h, who->user_id);
    if (rc == 0) {
        p->next = h->reserved;
        h->reserved = p;
    }
    pthread_mutex_unlock(&h->lock);
    if (rc)
        pending_free(p);
    return rc;
}

void events_hub_attach(struct events_hub *h, const void *key, int fd, const char *extra,
                       size_t nextra, void (*close_fn)(void *ctx), void *close_ctx)
{
    char *copy = NULL;
    if (nextra) {
        copy = malloc(nextra);
        if (copy)
            memcpy(copy, extra, nextra);
    }
    pthread_mutex_lock(&h->lock);
    struct pending *p = NULL;
    for (struct pending **pp = &h->reserved; *pp; pp = &(*pp)->next) {
        if ((*pp)->key == key) {
            p = *pp;
            *pp = p->next;
            break;
        }
    }
    bool take = p && !h->stopping && (nextra == 0 || copy);
    if (take) {
        p->fd = fd;
        p->extra = copy;
        p->extra_len = nextra;
        p->close_fn = close_fn;
        p->close_ctx = close_ctx;
        p->next = h->attached;
        h->attached = p;
    } else if (p) {
        place_give(h, p->who.user_id);
    }
    pthread_mutex_unlock(&h->lock);
    if (take) {
        wake(h);
        return;
    }
    free(copy);
    pending_free(p);
    close_fn(close_ctx);
}

int events_hub_broadcast(struct events_hub *h, const struct db_notification *n)
{
    struct frame *f = frame_new(n);
    if (!f)
        return SEAU_E_NOMEM;
    pthread_mutex_lock(&h->lock);
    int rc = 0;
    if (h->stopping || h->ninbox >= INBOX_FRAMES_MAX) {
        rc = SEAU_E_UNAVAILABLE;
    } else {
        if (h->inbox_tail)
            h->inbox_tail->next = f;
        else
            h->inbox = f;
        h->inbox_tail = f;
        h->ninbox++;
    }
    pthread_mutex_unlock(&h->lock);
    if (rc)
        frame_unref(f); /* never handed over: this thread still owns it alone */
    else
        wake(h);
    return rc;
}

void events_hub_close_user(struct events_hub *h, int64_t user_id, uint16_t code, const char *reason)
{
    struct user_close *uc = calloc(1, sizeof(*uc));
    if (!uc)
        return;
    uc->user_id = user_id;
    uc->code = code;
    if (reason) {
        size_t n = strlen(reason);
        if (n >= sizeof(uc->reason))
            n = sizeof(uc->reason) - 1;
        memcpy(uc->reason, reason, n);
    }
    pthread_mutex_lock(&h->lock);
    uc->next = h->closes;
    h->closes = uc;
    pthread_mutex_unlock(&h->lock);
    wake(h);
}

void events_hub_shutdown(struct events_hub *h, int64_t timeout_ms)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    if (!h->stopping) {
        h->stopping = true;
        h->stop_deadline = time_now_ms() + timeout_ms;
    }
    pthread_mutex_unlock(&h->lock);
    wake(h);
    /* The thread drops every client by the deadline; wait a second past it at most. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = (int64_t)until.tv_nsec + (timeout_ms + 1000) * 1000000;
    until.tv_sec += (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&h->lock);
    while (!h->finished)
        if (pthread_cond_timedwait(&h->done, &h->lock, &until) != 0)
            break;
    pthread_mutex_unlock(&h->lock);
}

void events_hub_stats(struct events_hub *h, struct events_hub_stats *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!h)
        return;
    ret->clients = atomic_load(&h->nclients);
    ret->accepted = atomic_load(&h->accepted);
    ret->dropped_slow = atomic_load(&h->dropped_slow);
    ret->sent = atomic_load(&h->sent);
}
