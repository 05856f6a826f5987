/* The in-process fan-out: one replica, so publishing is delivering. */
#include "events/fanout.h"

#include "core/err.h"

#include <stdlib.h>

struct local_fanout {
    struct events_fanout f; /* first */
    struct db *db;
};

static int local_publish(struct events_fanout *f, const struct db_notification *n)
{
    f->deliver(f->deliver_ctx, n);
    return 0;
}

/* Delivery is synchronous: every stored id has been (or is being) delivered. */
static int local_delivered(struct events_fanout *f, int64_t *ret)
{
    return db_notification_last_id(((struct local_fanout *)f)->db, ret);
}

static void local_free(struct events_fanout *f)
{
    free(f);
}

static const struct events_fanout_ops local_ops = {
    .name = "in-process",
    .publish = local_publish,
    .delivered = local_delivered,
    .free = local_free,
};

int events_fanout_local_new(struct db *db, events_deliver_fn deliver, void *ctx,
                            struct events_fanout **ret)
{
    struct local_fanout *l = calloc(1, sizeof(*l));
    if (!l)
        return SEAU_E_NOMEM;
    l->db = db;
    l->f.ops = &local_ops;
    l->f.deliver = deliver;
    l->f.deliver_ctx = ctx;
    *ret = &l->f;
    return 0;
}
