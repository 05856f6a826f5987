/*
 * The fan-out between replicas on one PostgreSQL (src/events/fanout_pg.c
 * with the store's listener, db.h "replicas"). Runs only against the test
 * server (CTest's `postgres` fixture sets SEAU_TEST_DATABASE_URL): each
 * test has a writer handle (one replica) and a listening handle (another).
 * - a batch stored through one handle wakes the other's listener at once
 *   (its timer is a minute: only the NOTIFY can explain the delivery);
 * - a row stored without any NOTIFY (a missed wake-up) arrives on the timer;
 * - a notification whose transaction commits late is delivered, before the
 *   one stored after it: the store's ordering lock makes the later writer
 *   wait, so a reader never skips the lower id;
 * - a listener whose connection the server killed reconnects and catches up;
 * - a row taken over by Seau's own notification is delivered again.
 */
#include "../testutil.h"

#include "core/err.h"
#include "db/postgres/store.h"
#include "events/fanout.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define SEEN_MAX 64

struct seen {
    pthread_mutex_t mu;
    int64_t ids[SEEN_MAX];
    char sources[SEEN_MAX][8];
    size_t n;
};

static void collect(void *ctx, const struct db_notification *n)
{
    struct seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (s->n < SEEN_MAX) {
        s->ids[s->n] = n->id;
        snprintf(s->sources[s->n], sizeof(s->sources[0]), "%s", n->source);
        s->n++;
    }
    pthread_mutex_unlock(&s->mu);
}

static size_t seen_count(struct seen *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until count notifications were delivered or ms passed; returns the time it took. */
static int64_t wait_seen(struct seen *s, size_t count, int64_t ms)
{
    int64_t start = now_ms();
    while (seen_count(s) < count && now_ms() - start < ms) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return now_ms() - start;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct two {
    struct test_db t;     /* the writer replica */
    struct db *listening; /* the other replica */
    struct seen seen;
    struct events_fanout *f;
};

static void two_open(struct two *x, int64_t poll_ms)
{
    assert_non_null(test_db_server()); /* run through CTest's postgres fixture */
    memset(x, 0, sizeof(*x));
    test_db_open(&x->t);
    assert_int_equal(db_open(x->t.url, 2, audit_seal, &x->listening), 0);
    assert_true(db_is_shared(x->listening));
    pthread_mutex_init(&x->seen.mu, NULL);
    assert_int_equal(events_fanout_pg_new(x->listening, poll_ms, collect, &x->seen, &x->f), 0);
    /* The listener connects on its thread: give it a moment, as a replica has before serving. */
    sleep_ms(300);
}

static void two_close(struct two *x)
{
    events_fanout_free(x->f);
    db_close(x->listening);
    pthread_mutex_destroy(&x->seen.mu);
    test_db_close(&x->t);
}

static struct db_notification note(const char *key)
{
    return (struct db_notification){.time = 1000,
                                    .type = "upload",
                                    .source = "seau",
                                    .bucket = "b",
                                    .key = (char *)key,
                                    .size = 3,
                                    .message = "someone uploaded"};
}

/* Runs sql on a connection of its own; returns the first column of its first row (0: none). */
static int64_t raw(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    assert_true(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);
    int64_t v =
        st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return v;
}

static void test_notify_wakes_the_other_replica(void **state)
{
    (void)state;
    struct two x;
    two_open(&x, 60000);
    struct db_notification rows[2] = {note("a"), note("b")};
    assert_int_equal(db_notifications_insert(x.t.db, rows, 2, 0, NULL), 0);
    int64_t took = wait_seen(&x.seen, 2, 5000);
    assert_int_equal(seen_count(&x.seen), 2);
    assert_true(took < 1000);
    assert_int_equal(x.seen.ids[0], rows[0].id);
    assert_int_equal(x.seen.ids[1], rows[1].id);
    struct events_fanout_stats st;
    events_fanout_pg_stats(x.f, &st);
    assert_int_equal(st.wakeups, 1); /* one NOTIFY for the batch */
    int64_t upto = 0;
    assert_int_equal(events_fanout_delivered(x.f, &upto), 0);
    assert_int_equal(upto, rows[1].id);
    two_close(&x);
}

static void test_missed_wakeup_costs_nothing(void **state)
{
    (void)state;
    struct two x;
    two_open(&x, 300);
    PGconn *c = PQconnectdb(x.t.url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    /* Stored behind the store's back: nobody announces it. */
    int64_t id = raw(c, "INSERT INTO notifications (time, type, source, message) "
                        "VALUES (1000, 'user', 'seau', 'quiet') RETURNING id");
    PQfinish(c);
    wait_seen(&x.seen, 1, 5000);
    assert_int_equal(seen_count(&x.seen), 1);
    assert_int_equal(x.seen.ids[0], id);
    struct events_fanout_stats st;
    events_fanout_pg_stats(x.f, &st);
    assert_int_equal(st.wakeups, 0);
    two_close(&x);
}

struct writer {
    struct db *db;
    struct db_notification row;
    int rc;
};

static void *write_one(void *arg)
{
    struct writer *w = arg;
    w->rc = db_notifications_insert(w->db, &w->row, 1, 0, NULL);
    return NULL;
}

static void test_late_commit_is_not_skipped(void **state)
{
    (void)state;
    struct two x;
    two_open(&x, 100);
    /* A transaction in flight, as the store runs one: the ordering lock, then its id. */
    PGconn *c = PQconnectdb(x.t.url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    raw(c, "BEGIN");
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", (long long)PG__LOCK_NOTIFY);
    raw(c, sql);
    int64_t low = raw(c, "INSERT INTO notifications (time, type, source, message) "
                         "VALUES (1000, 'user', 'seau', 'slow') RETURNING id");
    /* Another replica stores a notification meanwhile: it draws its id after the lock. */
    struct writer w = {.row = note("later")};
    assert_int_equal(db_open(x.t.url, 1, audit_seal, &w.db), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, write_one, &w), 0);
    sleep_ms(500); /* five timer ticks: a committed higher id would have been read by now */
    assert_int_equal(seen_count(&x.seen), 0);
    raw(c, "COMMIT");
    PQfinish(c);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    assert_true(w.row.id > low);
    wait_seen(&x.seen, 2, 5000);
    assert_int_equal(seen_count(&x.seen), 2);
    assert_int_equal(x.seen.ids[0], low);
    assert_int_equal(x.seen.ids[1], w.row.id);
    db_close(w.db);
    two_close(&x);
}

static void test_listener_reconnects(void **state)
{
    (void)state;
    struct two x;
    two_open(&x, 60000);
    PGconn *c = PQconnectdb(x.t.url);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    /* The listener connects on its own thread: on a loaded machine it may not be
     * listening yet. Wait for it (bounded), then cut its connection. */
    for (int i = 0; i < 200 && raw(c, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                      "'LISTEN%' AND datname = current_database()") != 1;
         i++)
        usleep(50 * 1000);
    assert_int_equal(raw(c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE query LIKE 'LISTEN%' AND datname = current_database()"),
                     1);
    PQfinish(c);
    /* Stored while the listener is down or reconnecting: read when it is back. */
    struct db_notification row = note("while-down");
    assert_int_equal(db_notifications_insert(x.t.db, &row, 1, 0, NULL), 0);
    wait_seen(&x.seen, 1, 5000);
    assert_int_equal(seen_count(&x.seen), 1);
    assert_int_equal(x.seen.ids[0], row.id);
    /* The row may come by the timer's read before the listener has reconnected: wait
     * (bounded) for the reconnection itself. */
    struct events_fanout_stats st;
    events_fanout_pg_stats(x.f, &st);
    for (int i = 0; i < 200 && st.reconnects < 1; i++) {
        usleep(50 * 1000);
        events_fanout_pg_stats(x.f, &st);
    }
    assert_true(st.reconnects >= 1);
    two_close(&x);
}

static void test_taken_over_row_goes_again(void **state)
{
    (void)state;
    struct two x;
    two_open(&x, 60000);
    /* The bucket reports an upload first ... */
    struct db_s3_event e = {.bucket = "b",
                            .key = "k",
                            .dedupe = "seq-1",
                            .change = DB_S3_CREATED,
                            .etag = "e1",
                            .merge_since = 0,
                            .now = 1000};
    struct db_notification s3row = {.time = 1000,
                                    .type = "upload",
                                    .source = "s3",
                                    .size = 3,
                                    .etag = "e1",
                                    .message = "uploaded (S3)"};
    enum db_s3_outcome out;
    assert_int_equal(db_notification_s3_ingest(x.t.db, &e, &s3row, &out), 0);
    assert_int_equal(out, DB_S3_INSERTED);
    wait_seen(&x.seen, 1, 5000);
    assert_int_equal(seen_count(&x.seen), 1);
    /* ... then Seau's own notification of that upload takes the row over. */
    struct db_notification own = note("k");
    own.etag = "e1";
    bool claimed = false;
    assert_int_equal(db_notifications_insert(x.t.db, &own, 1, 1, &claimed), 0);
    assert_true(claimed);
    assert_int_equal(own.id, s3row.id);
    wait_seen(&x.seen, 2, 5000);
    assert_int_equal(seen_count(&x.seen), 2);
    assert_int_equal(x.seen.ids[1], s3row.id);
    assert_string_equal(x.seen.sources[0], "s3");
    assert_string_equal(x.seen.sources[1], "seau");
    two_close(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_wakes_the_other_replica),
        cmocka_unit_test(test_missed_wakeup_costs_nothing),
        cmocka_unit_test(test_late_commit_is_not_skipped),
        cmocka_unit_test(test_listener_reconnects),
        cmocka_unit_test(test_taken_over_row_goes_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
