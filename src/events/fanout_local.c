/* The in-process fan-out: one replica, so publishing is delivering. */
#include "events/fanout.h"

#include "core/err.h"

#include <stdlib.h>

static int local_publish(struct events_fanout *f, const struct db_notification *n)
{
    f->deliver(f->deliver_ctx, n);
    return 0;
}

static void local_free(struct events_fanout *f)
{
    free(f);
}

static const struct events_fanout_ops local_ops = {
    .name = "in-process",
    .publish = local_publish,
    .free = local_free,
};

int events_fanout_local_new(events_deliver_fn deliver, void *ctx, struct events_fanout **ret)
{
    struct events_fanout *f = calloc(1, sizeof(*f));
    if (!f)
        return SEAU_E_NOMEM;
    f->ops = &local_ops;
    f->deliver = deliver;
    f->deliver_ctx = ctx;
    *ret = f;
    return 0;
}
