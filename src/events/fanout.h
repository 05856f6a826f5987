/*
 * Fan-out: how a stored notification reaches the WebSocket hubs of every
 * replica (STYLE.md rule 4: a struct of function pointers chosen once at
 * start-up; callers never test which one is active).
 *
 * In-process (fanout_local.c, the default): straight to this process's hub.
 * PostgreSQL (to come with the PostgreSQL store): publish NOTIFYs the
 * notification's id on a channel; every replica LISTENs, reads the row and
 * hands it to deliver, its own hub included. Both give deliver every
 * notification once per replica.
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
    void (*free)(struct events_fanout *f);
};

struct events_fanout {
    const struct events_fanout_ops *ops;
    events_deliver_fn deliver;
    void *deliver_ctx;
};

/* The in-process fan-out. Returns 0 or SEAU_E_NOMEM. */
int events_fanout_local_new(events_deliver_fn deliver, void *ctx, struct events_fanout **ret);

static inline int events_fanout_publish(struct events_fanout *f, const struct db_notification *n)
{
    return f->ops->publish(f, n);
}

static inline void events_fanout_free(struct events_fanout *f)
{
    if (f)
        f->ops->free(f);
}

#endif
