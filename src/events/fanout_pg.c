/*
 * The fan-out through a shared store (fanout.h): several replicas on one
 * PostgreSQL. The store announces each committed batch of notifications;
 * this replica's listener thread wakes on the announcement, or on its timer
 * when an announcement was missed (a reconnection, a dropped packet), reads
 * what is above the last id it delivered, and hands it to deliver in id
 * order. The store guarantees that ids become visible in commit order (db.h,
 * db_notifications_since), so reading above the last delivered id never
 * skips a notification that commits later.
 *
 * The thread is the only writer of `last`; delivered() reads it from any
 * thread. Stopping is prompt: the wait also watches an eventfd.
 *
 * Modules do not log (STYLE.md rule 9): a store that stays down shows in
 * the reconnect count and in /api/ready's database check, not here.
 */
#include "events/fanout.h"

#include "core/err.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <unistd.h>

#define PAGE        256  /* notifications read at once */
#define NOTICES_MAX 64   /* announcements taken per wake-up */
#define BACKOFF_MIN 100  /* ms before the first reconnection */
#define BACKOFF_MAX 5000 /* ms between reconnections at most */

struct pg_fanout {
    struct events_fanout f; /* first: the ops' functions cast back */
    struct db *db;
    int64_t poll_ms;
    int stop_fd;
    atomic_bool stop;
    pthread_t thread;
    bool started;
    atomic_int_fast64_t last; /* every id up to it was delivered */
    atomic_uint_fast64_t wakeups, reconnects, delivered;
};

/* Delivers what is stored above last, page by page. Returns 0 or the store's error. */
static int catch_up(struct pg_fanout *p)
{
    for (;;) {
        struct db_notification *rows = NULL;
        size_t n = 0;
        int64_t last = atomic_load(&p->last);
        int rc = db_notifications_since(p->db, last, PAGE, &rows, &n);
        if (rc)
            return rc;
        for (size_t i = 0; i < n; i++) {
            p->f.deliver(p->f.deliver_ctx, &rows[i]);
            atomic_store(&p->last, rows[i].id);
        }
        atomic_fetch_add(&p->delivered, n);
        db_notifications_free(rows, n);
        if (n < PAGE)
            return 0;
    }
}

/* Delivers the row id again (it took over the bucket's report of its change), if it is kept. */
static void send_again(struct pg_fanout *p, int64_t id)
{
    struct db_notification *rows = NULL;
    size_t n = 0;
    if (db_notifications_since(p->db, id - 1, 1, &rows, &n) != 0)
        return;
    if (n == 1 && rows[0].id == id) {
        p->f.deliver(p->f.deliver_ctx, &rows[0]);
        atomic_fetch_add(&p->delivered, 1);
    }
    db_notifications_free(rows, n);
}

/* Sleeps ms unless asked to stop first. */
static void pause_ms(struct pg_fanout *p, int64_t ms)
{
    struct pollfd pfd = {.fd = p->stop_fd, .events = POLLIN};
    poll(&pfd, 1, (int)ms);
}

static void *listen_main(void *arg)
{
    struct pg_fanout *p = arg;
    struct db_listener *l = NULL;
    int64_t backoff = BACKOFF_MIN;
    bool opened_before = false;
    while (!atomic_load(&p->stop)) {
        if (!l) {
            if (db_listen_open(p->db, &l) != 0) {
                l = NULL;
                pause_ms(p, backoff);
                backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
                continue;
            }
            if (opened_before)
                atomic_fetch_add(&p->reconnects, 1);
            opened_before = true;
            backoff = BACKOFF_MIN;
            /* What was stored while nobody listened. */
            catch_up(p);
        }
        struct db_notice notices[NOTICES_MAX];
        size_t n = 0;
        if (db_listen_wait(l, p->stop_fd, (int)p->poll_ms, notices, NOTICES_MAX, &n) != 0) {
            db_listen_close(l);
            l = NULL;
            continue;
        }
        if (atomic_load(&p->stop))
            break;
        atomic_fetch_add(&p->wakeups, n);
        /* Rows above `before` are delivered by catch_up as they are now, complete; a row at or
         * below it that was taken over goes out again. On a timer tick (n == 0) this is the
         * whole recovery of a missed wake-up. */
        int64_t before = atomic_load(&p->last);
        catch_up(p);
        for (size_t i = 0; i < n; i++)
            if (notices[i].kind == DB_NOTICE_AGAIN && notices[i].id <= before)
                send_again(p, notices[i].id);
    }
    db_listen_close(l);
    return NULL;
}

/* The store announces at commit; nothing is left to do here. */
static int pg_publish(struct events_fanout *f, const struct db_notification *n)
{
    (void)f;
    (void)n;
    return 0;
}

static int pg_delivered(struct events_fanout *f, int64_t *ret)
{
    *ret = atomic_load(&((struct pg_fanout *)f)->last);
    return 0;
}

static void pg_free(struct events_fanout *f)
{
    struct pg_fanout *p = (struct pg_fanout *)f;
    if (p->started) {
        atomic_store(&p->stop, true);
        uint64_t one = 1;
        ssize_t w = write(p->stop_fd, &one, sizeof(one));
        (void)w;
        pthread_join(p->thread, NULL);
    }
    if (p->stop_fd >= 0)
        close(p->stop_fd);
    free(p);
}

static const struct events_fanout_ops pg_ops = {
    .name = "postgres",
    .publish = pg_publish,
    .delivered = pg_delivered,
    .free = pg_free,
};

int events_fanout_pg_new(struct db *db, int64_t poll_ms, events_deliver_fn deliver, void *ctx,
                         struct events_fanout **ret)
{
    struct pg_fanout *p = calloc(1, sizeof(*p));
    if (!p)
        return SEAU_E_NOMEM;
    p->f.ops = &pg_ops;
    p->f.deliver = deliver;
    p->f.deliver_ctx = ctx;
    p->db = db;
    p->poll_ms = poll_ms > 0 ? poll_ms : EVENTS_FANOUT_POLL_MS;
    p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* What is stored already is history: clients replay it with since. This replica starts
     * before its HTTP server, so no client of it can miss a notification committed now. */
    int64_t last = 0;
    int rc = p->stop_fd >= 0 ? 0 : SEAU_E_IO;
    if (rc == 0)
        rc = db_notification_last_id(db, &last);
    atomic_init(&p->last, last);
    if (rc == 0) {
        rc = pthread_create(&p->thread, NULL, listen_main, p) == 0 ? 0 : SEAU_E_IO;
        p->started = rc == 0;
    }
    if (rc) {
        pg_free(&p->f);
        return rc;
    }
    *ret = &p->f;
    return 0;
}

void events_fanout_pg_stats(struct events_fanout *f, struct events_fanout_stats *ret)
{
    struct pg_fanout *p = (struct pg_fanout *)f;
    ret->wakeups = atomic_load(&p->wakeups);
    ret->reconnects = atomic_load(&p->reconnects);
    ret->delivered = atomic_load(&p->delivered);
}
