/*
 * Fan-out: how a stored notification reaches the WebSocket hubs of every
 * replica (STYLE.md rule 4: a struct of function pointers chosen once at
 * start-up; callers never test which one is active).
 *
 * In-process (fanout_local.c, the store is not shared): straight to this
 * process's hub.
 * Through the store (fanout_pg.c, a shared store: PostgreSQL): the store
 * announces each committed batch (db.h, "replicas": PostgreSQL NOTIFYs its
 * highest id at commit); every replica, its own included, has a listener
 * thread that wakes on it, and on a timer, reads the notifications above the
 * last id it delivered (db_notifications_since) and hands them to deliver in
 * id order. publish has nothing left to do.
 * Both give deliver every notification once per replica, in id order; a
 * notification that took over the bucket's report is delivered again, under
 * the id it took over.
 */
#ifndef SEAU_EVENTS_FANOUT_H
#define SEAU_EVENTS_FANOUT_H

#include "db/db.h"

/* Where notifications end up on this replica (the hub); n is borrowed for the call. */
typedef void (*events_deliver_fn)(void *ctx, const struct db_notification *n);

struct events_fanout;

struct events_fanout_ops {
    const char *name;
    /*
     * Hands a stored notification (n->id set) to every replica. Must not
     * block on clients. Returns 0, or a SEAU_E_* code when it was lost for
     * the others (the history still holds it: clients catch up with since).
     */
    int (*publish)(struct events_fanout *f, const struct db_notification *n);
    /*
     * The id up to which deliver has been given every notification it will
     * ever get (a new WebSocket client replays up to it and takes the rest
     * live). Returns 0 or the store's error.
     */
    int (*delivered)(struct events_fanout *f, int64_t *ret);
    void (*free)(struct events_fanout *f);
};

struct events_fanout {
    const struct events_fanout_ops *ops;
    events_deliver_fn deliver;
    void *deliver_ctx;
};

/* The in-process fan-out (db borrowed). Returns 0 or SEAU_E_NOMEM. */
int events_fanout_local_new(struct db *db, events_deliver_fn deliver, void *ctx,
                            struct events_fanout **ret);

#define EVENTS_FANOUT_POLL_MS 2000 /* a listener reads the store at least this often */

/*
 * The fan-out through a shared store (db borrowed, db_is_shared): starts the
 * listener thread, which delivers what is stored after the current last id.
 * poll_ms (0: EVENTS_FANOUT_POLL_MS) bounds what a missed wake-up costs. A
 * lost connection is opened again with a backoff (0.1 s doubling to 5 s),
 * then the notifications stored meanwhile are read. Returns 0,
 * SEAU_E_NOMEM, SEAU_E_IO (thread) or the store's error.
 */
int events_fanout_pg_new(struct db *db, int64_t poll_ms, events_deliver_fn deliver, void *ctx,
                         struct events_fanout **ret);

/* What a shared store's fan-out has done, for tests and metrics. */
struct events_fanout_stats {
    uint64_t wakeups;    /* notices received */
    uint64_t reconnects; /* listener connections opened again */
    uint64_t delivered;  /* notifications handed to deliver */
};
void events_fanout_pg_stats(struct events_fanout *f, struct events_fanout_stats *ret);

static inline int events_fanout_publish(struct events_fanout *f, const struct db_notification *n)
{
    return f->ops->publish(f, n);
}

static inline int events_fanout_delivered(struct events_fanout *f, int64_t *ret)
{
    return f->ops->delivered(f, ret);
}

static inline void events_fanout_free(struct events_fanout *f)
{
    if (f)
        f->ops->free(f);
}

#endif
