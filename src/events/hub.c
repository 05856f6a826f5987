/*
 * The hub's fan-out of notifications over the WebSocket loop of
 * http/websocket.h. The loop owns the sockets, the framing, pings and the
 * per-client queues; the hub decides who is there (reservations, the
 * per-account bound), what each client may see (events_visible on its
 * grants), the replay and the gap between it and live notifications, and
 * what a slow client deserves (1008).
 *
 * State and its owner: reservations and the place counts are guarded by
 * h->lock (any thread); connected clients, the recent ring and the
 * notes' reference counts belong to the loop thread, reached through its
 * callbacks and posted tasks (http_ws_post), so they need no lock.
 *
 * A notification is encoded once into a whole WebSocket frame (a note,
 * with what events_visible needs) and shared, by reference count, by every
 * client queue holding it.
 */
#include "events/hub.h"

#include "core/err.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "events/event.h"
#include "http/websocket.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_TTL_MS 30000
#define RECENT_MAX     256 /* notes kept to close the gap between a replay and live */
#define USER_BUCKETS   1024 /* power of two */

/* ------------------------------------------------------------------- notes */

/* One notification, encoded; shared by the queues holding it (loop thread only after hand-off). */
struct note {
    size_t refs;
    int64_t id;
    const char *bucket; /* into storage; NULL: not about a bucket */
    const char *key;
    struct http_ws_frame *frame;
};

static struct note *note_new(const struct db_notification *n)
{
    json_t *j = events_notification_json(n);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return NULL;
    size_t blen = n->bucket ? strlen(n->bucket) + 1 : 0;
    size_t klen = n->key ? strlen(n->key) + 1 : 0;
    struct note *note = malloc(sizeof(*note) + blen + klen);
    struct http_ws_frame *f = note ? http_ws_frame_text(text, strlen(text)) : NULL;
    free(text);
    if (!f) {
        free(note);
        return NULL;
    }
    memset(note, 0, sizeof(*note));
    note->refs = 1;
    note->id = n->id;
    note->frame = f;
    char *p = (char *)(note + 1);
    if (n->bucket) {
        memcpy(p, n->bucket, blen);
        note->bucket = p;
        p += blen;
    }
    if (n->key) {
        memcpy(p, n->key, klen);
        note->key = p;
    }
    return note;
}

static void note_unref(struct note *n)
{
    if (n && --n->refs == 0) {
        http_ws_frame_unref(n->frame);
        free(n);
    }
}

/* ----------------------------------------------------------------- clients */

/* A client: reserved (h->reserved), then attached to the loop, then connected (h->clients). */
struct client {
    const void *key;
    int64_t created;
    struct auth_subject who; /* grants owned below */
    struct db_grant *grants;
    int64_t upto_id;
    struct note **replay; /* until on_open queues it */
    size_t nreplay;
    struct http_ws_client *ws; /* connected: the loop's handle */
    bool linked;               /* in h->clients */
    struct client *prev, *next;
};

struct user_count {
    int64_t user_id;
    size_t n;
    struct user_count *next;
};

struct events_hub {
    struct events_hub_opts o;
    struct http_ws *ws;
    struct http_ws_upgrade upgrade;

    pthread_mutex_t lock; /* guards down to "loop thread only" */
    struct client *reserved;
    size_t places; /* reserved + attached + connected */
    struct user_count *users[USER_BUCKETS];
    bool stopping;

    /* Loop thread only. */
    struct client *clients;
    struct note *recent[RECENT_MAX];
    size_t nrecent, recent_head;

    atomic_uint_fast64_t dropped_slow;
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

static void client_free(struct client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nreplay; i++)
        note_unref(c->replay[i]);
    free(c->replay);
    free(c->grants);
    free(c);
}

/* Drops reservations whose socket never came (or all of them when stopping); h->lock held. */
static void purge_reserved(struct events_hub *h, int64_t now)
{
    for (struct client **pp = &h->reserved; *pp;) {
        struct client *c = *pp;
        if (now - c->created > PENDING_TTL_MS || h->stopping) {
            *pp = c->next;
            place_give(h, c->who.user_id);
            client_free(c);
        } else {
            pp = &c->next;
        }
    }
}

/* ------------------------------------------------------- on the loop thread */

/* Queues n for c; a client too far behind is closed with 1008, its backlog dropped. */
static void push(struct events_hub *h, struct client *c, struct note *n)
{
    if (http_ws_send(h->ws, c->ws, n->frame) == SEAU_E_TOO_LARGE) {
        atomic_fetch_add(&h->dropped_slow, 1);
        http_ws_close(h->ws, c->ws, EVENTS_WS_CLOSE_SLOW, "too slow: reconnect and use since");
    }
}

static void on_open(void *ctx, struct http_ws_client *wc, void *client_ctx)
{
    struct events_hub *h = ctx;
    struct client *c = client_ctx;
    c->ws = wc;
    c->linked = true;
    c->prev = NULL;
    c->next = h->clients;
    if (h->clients)
        h->clients->prev = c;
    h->clients = c;
    /* The replay, then what was broadcast since the reserve read it (the recent ring). */
    int64_t last = c->upto_id;
    for (size_t i = 0; i < c->nreplay; i++) {
        push(h, c, c->replay[i]);
        if (c->replay[i]->id > last)
            last = c->replay[i]->id;
        note_unref(c->replay[i]);
    }
    free(c->replay);
    c->replay = NULL;
    c->nreplay = 0;
    for (size_t i = 0; i < h->nrecent; i++) {
        struct note *n = h->recent[(h->recent_head + i) % RECENT_MAX];
        if (n->id > last && events_visible(&c->who, n->bucket, n->key))
            push(h, c, n);
    }
}

static void on_close(void *ctx, void *client_ctx)
{
    struct events_hub *h = ctx;
    struct client *c = client_ctx;
    if (c->linked) {
        if (c->prev)
            c->prev->next = c->next;
        else
            h->clients = c->next;
        if (c->next)
            c->next->prev = c->prev;
    }
    pthread_mutex_lock(&h->lock);
    place_give(h, c->who.user_id);
    pthread_mutex_unlock(&h->lock);
    client_free(c);
}

static const struct http_ws_callbacks hub_callbacks = {on_open, NULL, on_close};

static void remember(struct events_hub *h, struct note *n)
{
    n->refs++;
    if (h->nrecent == RECENT_MAX) {
        note_unref(h->recent[h->recent_head]);
        h->recent[h->recent_head] = n;
        h->recent_head = (h->recent_head + 1) % RECENT_MAX;
    } else {
        h->recent[(h->recent_head + h->nrecent) % RECENT_MAX] = n;
        h->nrecent++;
    }
}

struct broadcast_task {
    struct http_ws_task t; /* first: the task is the struct */
    struct note *note;
};

static void broadcast_run(void *ctx, struct http_ws_task *t)
{
    struct events_hub *h = ctx;
    struct broadcast_task *b = (struct broadcast_task *)t;
    remember(h, b->note);
    for (struct client *c = h->clients; c; c = c->next)
        if (b->note->id > c->upto_id && events_visible(&c->who, b->note->bucket, b->note->key))
            push(h, c, b->note);
    note_unref(b->note);
    free(b);
}

static void broadcast_drop(void *ctx, struct http_ws_task *t)
{
    (void)ctx;
    struct broadcast_task *b = (struct broadcast_task *)t;
    note_unref(b->note);
    free(b);
}

struct close_task {
    struct http_ws_task t;
    int64_t user_id;
    uint16_t code;
    char reason[124];
};

static void close_run(void *ctx, struct http_ws_task *t)
{
    struct events_hub *h = ctx;
    struct close_task *uc = (struct close_task *)t;
    for (struct client *c = h->clients; c; c = c->next)
        if (c->who.user_id == uc->user_id)
            http_ws_close(h->ws, c->ws, uc->code, uc->reason);
    free(uc);
}

static void close_drop(void *ctx, struct http_ws_task *t)
{
    (void)ctx;
    free(t);
}

/* --------------------------------------------------------------- interface */

static void hub_attach(void *ctx, const void *key, int fd, const char *extra, size_t nextra,
                       void (*close_fn)(void *close_ctx), void *close_ctx)
{
    events_hub_attach(ctx, key, fd, extra, nextra, close_fn, close_ctx);
}

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
    h->upgrade.fn = hub_attach;
    h->upgrade.ctx = h;
    pthread_mutex_init(&h->lock, NULL);
    struct http_ws_opts wo = {
        .queue_max = h->o.queue_max,
        .recv_max = EVENTS_WS_RECV_MAX,
        .ping_interval_ms = h->o.ping_interval_ms,
        .close_timeout_ms = h->o.close_timeout_ms,
        .sndbuf = h->o.sndbuf,
        .writers = h->o.writers,
    };
    int rc = http_ws_new(&wo, &hub_callbacks, h, &h->ws);
    if (rc) {
        events_hub_free(h);
        return rc;
    }
    *ret = h;
    return 0;
}

void events_hub_free(struct events_hub *h)
{
    if (!h)
        return;
    /* The loop lets go of every client it holds (on_close), then the rest is ours alone. */
    http_ws_free(h->ws);
    for (size_t i = 0; i < h->nrecent; i++)
        note_unref(h->recent[(h->recent_head + i) % RECENT_MAX]);
    while (h->reserved) {
        struct client *c = h->reserved;
        h->reserved = c->next;
        client_free(c);
    }
    for (size_t b = 0; b < USER_BUCKETS; b++) {
        while (h->users[b]) {
            struct user_count *u = h->users[b];
            h->users[b] = u->next;
            free(u);
        }
    }
    pthread_mutex_destroy(&h->lock);
    free(h);
}

const struct http_ws_upgrade *events_hub_upgrade(struct events_hub *h)
{
    return &h->upgrade;
}

int events_hub_reserve(struct events_hub *h, const void *key, const struct auth_subject *who,
                       const struct db_notification *replay, size_t nreplay, int64_t upto_id)
{
    if (nreplay > EVENTS_WS_REPLAY_MAX)
        nreplay = EVENTS_WS_REPLAY_MAX;
    struct client *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    c->key = key;
    c->created = time_now_ms();
    c->upto_id = upto_id;
    int rc = 0;
    if (who->ngrants) {
        c->grants = malloc(who->ngrants * sizeof(*c->grants));
        if (c->grants)
            memcpy(c->grants, who->grants, who->ngrants * sizeof(*c->grants));
        else
            rc = SEAU_E_NOMEM;
    }
    c->who = *who;
    c->who.grants = c->grants;
    if (rc == 0 && nreplay) {
        c->replay = calloc(nreplay, sizeof(*c->replay));
        rc = c->replay ? 0 : SEAU_E_NOMEM;
    }
    for (size_t i = 0; rc == 0 && i < nreplay; i++) {
        c->replay[i] = note_new(&replay[i]);
        if (!c->replay[i])
            rc = SEAU_E_NOMEM;
        else
            c->nreplay++;
    }
    if (rc) {
        client_free(c);
        return rc;
    }
    pthread_mutex_lock(&h->lock);
    purge_reserved(h, c->created);
    /* A new reserve on the same connection replaces the old one (whose socket never came). */
    size_t npending = 0;
    for (struct client **pp = &h->reserved; *pp;) {
        if ((*pp)->key == key) {
            struct client *old = *pp;
            *pp = old->next;
            place_give(h, old->who.user_id);
            client_free(old);
        } else {
            npending++;
            pp = &(*pp)->next;
        }
    }
    if (h->stopping || npending >= EVENTS_WS_PENDING_MAX)
        rc = SEAU_E_UNAVAILABLE;
    if (rc == 0)
        rc = place_take(h, who->user_id);
    if (rc == 0) {
        c->next = h->reserved;
        h->reserved = c;
    }
    pthread_mutex_unlock(&h->lock);
    if (rc)
        client_free(c);
    return rc;
}

/* The replay of ?since=: the newest EVENTS_WS_REPLAY_MAX visible after it, oldest first. */
static int load_replay(struct events *ev, const struct auth_subject *who, int64_t since,
                       int64_t upto, struct db_notification **ret, size_t *ret_n)
{
    struct db_notification_query q = {
        .after_id = since, .upto_id = upto, .limit = EVENTS_WS_REPLAY_MAX};
    struct db_notification *rows = NULL;
    size_t n = 0;
    int rc = events_history(ev, who, &q, &rows, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n / 2; i++) {
        struct db_notification t = rows[i];
        rows[i] = rows[n - 1 - i];
        rows[n - 1 - i] = t;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

int events_hub_open(struct events *ev, const void *key, const struct auth_subject *who,
                    int64_t since)
{
    struct events_hub *h = events_hub(ev);
    if (!h)
        return SEAU_E_UNAVAILABLE;
    int64_t upto = 0;
    struct db_notification *rows = NULL;
    size_t n = 0;
    int rc = events_last_id(ev, &upto);
    if (rc == 0 && since >= 0)
        rc = load_replay(ev, who, since, upto, &rows, &n);
    /* Sharing a store, this replica may not have delivered up to `since` yet
     * (its listener runs behind the writers): then nothing is replayed, and
     * live notes must still start after `since`, not after what it delivered. */
    if (since > upto)
        upto = since;
    if (rc == 0)
        rc = events_hub_reserve(h, key, who, rows, n, upto);
    db_notifications_free(rows, n);
    return rc;
}

void events_hub_attach(struct events_hub *h, const void *key, int fd, const char *extra,
                       size_t nextra, void (*close_fn)(void *ctx), void *close_ctx)
{
    pthread_mutex_lock(&h->lock);
    struct client *c = NULL;
    for (struct client **pp = &h->reserved; *pp; pp = &(*pp)->next) {
        if ((*pp)->key == key) {
            c = *pp;
            *pp = c->next;
            c->next = NULL;
            break;
        }
    }
    bool stopping = h->stopping;
    pthread_mutex_unlock(&h->lock);
    /* From a successful attach on, the place is given back by on_close. */
    if (c && !stopping && http_ws_attach(h->ws, fd, extra, nextra, close_fn, close_ctx, c) == 0)
        return;
    if (c) {
        pthread_mutex_lock(&h->lock);
        place_give(h, c->who.user_id);
        pthread_mutex_unlock(&h->lock);
        client_free(c);
    }
    close_fn(close_ctx);
}

int events_hub_broadcast(struct events_hub *h, const struct db_notification *n)
{
    struct broadcast_task *b = calloc(1, sizeof(*b));
    if (b)
        b->note = note_new(n);
    if (!b || !b->note) {
        free(b);
        return SEAU_E_NOMEM;
    }
    b->t.run = broadcast_run;
    b->t.drop = broadcast_drop;
    int rc = http_ws_post(h->ws, &b->t);
    if (rc)
        broadcast_drop(h, &b->t); /* never handed over: this thread still owns it alone */
    return rc;
}

void events_hub_close_user(struct events_hub *h, int64_t user_id, uint16_t code, const char *reason)
{
    struct close_task *uc = calloc(1, sizeof(*uc));
    if (!uc)
        return;
    uc->t.run = close_run;
    uc->t.drop = close_drop;
    uc->user_id = user_id;
    uc->code = code;
    if (reason) {
        size_t n = strlen(reason);
        if (n >= sizeof(uc->reason))
            n = sizeof(uc->reason) - 1;
        memcpy(uc->reason, reason, n);
    }
    if (http_ws_post(h->ws, &uc->t) != 0)
        free(uc);
}

void events_hub_shutdown(struct events_hub *h, int64_t timeout_ms)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    purge_reserved(h, time_now_ms());
    pthread_mutex_unlock(&h->lock);
    http_ws_shutdown(h->ws, timeout_ms);
}

void events_hub_stats(struct events_hub *h, struct events_hub_stats *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!h)
        return;
    struct http_ws_stats s;
    http_ws_stats(h->ws, &s);
    ret->clients = s.clients;
    ret->accepted = s.accepted;
    ret->sent = s.sent;
    ret->dropped_slow = atomic_load(&h->dropped_slow);
}
