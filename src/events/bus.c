/*
 * The bus: Seau's own events go through a bounded queue to the bus thread,
 * which stores them in batches and fans them out; S3 event notifications
 * are ingested on the caller's thread (the SQS consumer, webhook requests)
 * because their sender must only be acknowledged once they are stored.
 *
 * The bus thread is the top of its own call chain, like a request handler:
 * it logs what it could not do (STYLE.md rule 9), once.
 */
#include "events/bus.h"
#include "audit/audit.h"
#include "core/s3name.h"
#include "s3/client.h"

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/consumer.h"
#include "events/fanout.h"
#include "files/index.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX   256 /* Seau events stored in one transaction */
#define STORE_TRIES 3

/* A published event, copied (all strings in one allocation after the struct). */
struct queued {
    struct db_notification row;
    struct queued *next;
};

struct events {
    struct events_config c;
    struct events_hub *hub;
    struct events_fanout *fanout;
    struct events_consumer *consumer;

    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct queued *head, *tail;
    size_t queued;
    bool stop;
    pthread_t thread;
    bool thread_started;

    atomic_bool singletons; /* this replica purges old notifications (events_set_leader) */

    atomic_uint_fast64_t received[METRICS_VIA_COUNT];
    atomic_uint_fast64_t stored, merged, duplicates, lost;
};

/* --------------------------------------------------------------- fan-out */

/* Where the fan-out delivers on this replica: the hub, and the closing of changed accounts. */
static void deliver(void *ctx, const struct db_notification *n)
{
    struct events *ev = ctx;
    events_hub_broadcast(ev->hub, n);
    if (n->target_user_id && strcmp(n->type, "user") == 0)
        events_hub_close_user(ev->hub, n->target_user_id, EVENTS_WS_CLOSE_SLOW,
                              "your account changed: reconnect");
}

static void fan_out(struct events *ev, const struct db_notification *n)
{
    if (events_fanout_publish(ev->fanout, n) != 0)
        log_event(LOG_WARN, "a notification was stored but not sent to live clients",
                  json_pack("{s:I}", "id", (json_int_t)n->id));
}

/* ----------------------------------------------------------- Seau's events */

static size_t slen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static char *put(char **p, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *at = *p;
    memcpy(at, s, n);
    *p += n;
    return at;
}

void events_publish(struct events *ev, const struct event *e)
{
    if (!ev || !e)
        return;
    atomic_fetch_add(&ev->received[METRICS_VIA_SEAU], 1);
    /* At once, on the caller's thread: its next listing must show the change. */
    if (e->bucket && e->key)
        s3_client_invalidate(ev->c.s3, e->bucket, e->key);
    if (e->bucket && e->from_key)
        s3_client_invalidate(ev->c.s3, e->bucket, e->from_key);
    char message[EVENTS_MESSAGE_MAX + 1];
    events_message(e, message);
    char etag[DB_ETAG_MAX + 1];
    const char *bare = events_etag_bare(e->etag, etag, sizeof(etag));
    struct db_notification row;
    events_row_of(e, message, time_now_ms(), &row);
    row.etag = (char *)bare;
    size_t need = slen(row.bucket) + slen(row.key) + slen(row.from_key) + slen(row.etag) +
                  slen(row.actor) + slen(row.message);
    struct queued *q = malloc(sizeof(*q) + need);
    if (!q) {
        atomic_fetch_add(&ev->lost, 1);
        return;
    }
    char *p = (char *)(q + 1);
    q->row = row;
    q->row.bucket = put(&p, row.bucket);
    q->row.key = put(&p, row.key);
    q->row.from_key = put(&p, row.from_key);
    q->row.etag = put(&p, row.etag);
    q->row.actor = put(&p, row.actor);
    q->row.message = put(&p, row.message);
    q->next = NULL;
    pthread_mutex_lock(&ev->lock);
    bool take = !ev->stop && ev->queued < EVENTS_QUEUE_MAX;
    if (take) {
        if (ev->tail)
            ev->tail->next = q;
        else
            ev->head = q;
        ev->tail = q;
        ev->queued++;
        pthread_cond_signal(&ev->wake);
    }
    pthread_mutex_unlock(&ev->lock);
    if (!take) {
        atomic_fetch_add(&ev->lost, 1);
        free(q);
    }
}

void events_publish_user(struct events *ev, const char *actor, int64_t actor_id, int64_t target_id,
                         const char *target, const char *what)
{
    if (!ev)
        return;
    char id[32], message[EVENTS_MESSAGE_MAX + 1];
    snprintf(id, sizeof(id), "#%lld", (long long)target_id);
    snprintf(message, sizeof(message), "%s %s %s", actor ? actor : "Seau", what,
             target ? target : id);
    events_publish(ev, &(struct event){.type = EVENTS_USER,
                                       .actor = actor,
                                       .actor_id = actor_id,
                                       .target_user_id = target_id,
                                       .size = EVENTS_SIZE_UNKNOWN,
                                       .message = message});
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Stores one batch (retrying a store that is briefly down), then fans it out. */
static void store_batch(struct events *ev, struct queued *list, size_t n)
{
    struct db_notification rows[BATCH_MAX];
    size_t i = 0;
    for (struct queued *q = list; q && i < n; q = q->next)
        rows[i++] = q->row;
    bool claimed[BATCH_MAX];
    int rc = 0;
    for (int attempt = 0; attempt < STORE_TRIES; attempt++) {
        int64_t since = time_now_ms() - EVENTS_CLAIM_WINDOW_MS;
        rc = db_notifications_insert(ev->c.db, rows, n, since, claimed);
        if (rc == 0)
            break;
        sleep_ms(100 << (2 * attempt));
    }
    if (rc) {
        atomic_fetch_add(&ev->lost, n);
        log_event(LOG_ERROR, "notifications of Seau's own changes could not be stored",
                  json_pack("{s:I, s:s}", "count", (json_int_t)n, "error", err_message(rc)));
        return;
    }
    /* A claimed row (the bucket reported the change first) goes out again, completed, under
     * the id clients already have. */
    for (size_t k = 0; k < n; k++) {
        atomic_fetch_add(claimed[k] ? &ev->merged : &ev->stored, 1);
        fan_out(ev, &rows[k]);
    }
}

static void purge(struct events *ev, int64_t now)
{
    int64_t gone = 0;
    int rc = db_notification_purge(ev->c.db, now - ev->c.retention_ms, &gone);
    if (rc)
        log_event(LOG_WARN, "old notifications could not be purged",
                  json_pack("{s:s}", "error", err_message(rc)));
    else if (gone > 0)
        log_event(LOG_DEBUG, "purged old notifications",
                  json_pack("{s:I}", "count", (json_int_t)gone));
}

static void *bus_main(void *arg)
{
    struct events *ev = arg;
    int64_t next_purge = time_now_ms();
    for (;;) {
        pthread_mutex_lock(&ev->lock);
        while (!ev->head && !ev->stop) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&ev->wake, &ev->lock, &until);
            if (time_now_ms() >= next_purge)
                break;
        }
        struct queued *list = ev->head;
        size_t n = 0;
        struct queued *last = NULL;
        for (struct queued *q = list; q && n < BATCH_MAX; q = q->next) {
            last = q;
            n++;
        }
        if (last) {
            ev->head = last->next;
            if (!ev->head)
                ev->tail = NULL;
            last->next = NULL;
            ev->queued -= n;
        }
        bool stop = ev->stop && !ev->head;
        pthread_mutex_unlock(&ev->lock);
        if (n)
            store_batch(ev, list, n);
        while (list) {
            struct queued *q = list;
            list = q->next;
            free(q);
        }
        int64_t now = time_now_ms();
        if (now >= next_purge && ev->c.retention_ms > 0 && atomic_load(&ev->singletons)) {
            purge(ev, now);
            next_purge = now + EVENTS_PURGE_EVERY_MS;
        }
        if (stop && n == 0)
            break;
    }
    return NULL;
}

/* ------------------------------------------------------------ S3's events */

static bool configured(const struct events *ev, const char *bucket)
{
    for (size_t i = 0; i < ev->c.nbuckets; i++)
        if (strcmp(ev->c.buckets[i], bucket) == 0)
            return true;
    return false;
}

/* The object index after a change seen on the bucket. */
static int apply_to_index(struct events *ev, const struct events_s3_record *r, int64_t now)
{
    if (r->change == DB_S3_REMOVED)
        return files_index_forget(ev->c.db, r->bucket, r->key);
    /* The index keeps ETags as S3 lists them: with their quotes. */
    char etag[DB_ETAG_MAX + 1] = "";
    if (r->etag && strlen(r->etag) + 2 < sizeof(etag))
        snprintf(etag, sizeof(etag), "\"%s\"", r->etag);
    return files_index_record(ev->c.db, r->bucket, r->key, r->size >= 0 ? r->size : 0,
                              etag[0] ? etag : NULL, r->time > 0 ? r->time : now, NULL, 0, now);
}

/*
 * Whether an S3 event of a creation can be believed before it reaches the
 * index: its key must follow the key rules, and the object must exist (a HEAD;
 * a forged or stale event names one that does not). Returns 0 with *ret_why
 * NULL (believed) or a sentence (rejected); a HEAD that could not be answered
 * is an error, so the event is retried later.
 */
static int out_of_band_check(struct events *ev, const struct events_s3_record *r,
                             const char **ret_why)
{
    *ret_why = NULL;
    if (r->change != DB_S3_CREATED)
        return 0;
    const char *problem = s3name_key_problem(r->key);
    if (problem) {
        *ret_why = "the key breaks the key rules";
        return 0;
    }
    if (!ev->c.s3 || !ev->c.verify)
        return 0;
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    struct s3_error err;
    int rc = s3_head_object(ev->c.s3, r->bucket, r->key, NULL, &h, &err);
    s3_object_head_done(&h);
    if (rc == SEAU_E_NOT_FOUND) {
        *ret_why = "the object does not exist";
        rc = 0;
    }
    return rc;
}

/* The audit entry of a change seen on a bucket: the S3 principal and address as the event
 * gives them. Best effort, as the other audit entries written outside a change's transaction. */
static void audit_out_of_band(struct events *ev, const struct events_s3_record *r,
                              const char *why, int64_t now)
{
    char actor[300];
    snprintf(actor, sizeof(actor), "s3:%s", r->principal ? r->principal : "unknown");
    json_t *d = json_pack("{s:s, s:s?, s:s?, s:s?}", "source", "s3", "event", r->event_name,
                          "versionId", r->version_id, "reason", why);
    if (d && r->size >= 0)
        json_object_set_new(d, "size", json_integer(r->size));
    char *details = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    struct audit_actor who = {0, actor, r->source_ip, NULL};
    struct db_audit_entry e;
    audit_entry_init(&e, &who,
                     r->change == DB_S3_CREATED ? "s3.object.created" : "s3.object.removed",
                     why ? "rejected" : "success", details, now);
    e.bucket = r->bucket;
    e.key = r->key;
    (void)db_audit_append(ev->c.db, &e);
    free(details);
}

static int ingest_one(struct events *ev, const struct events_s3_record *r,
                      struct events_ingest_result *res)
{
    int64_t now = time_now_ms();
    s3_client_invalidate(ev->c.s3, r->bucket, r->key); /* a change made around Seau */
    char dedupe[2 * EVENTS_S3_FIELD_MAX + 96], seq[EVENTS_SEQUENCER_LEN + 1];
    events_s3_dedupe(r, dedupe, sizeof(dedupe));
    struct db_s3_event e = {
        .bucket = r->bucket,
        .key = r->key,
        .dedupe = dedupe,
        .sequencer = r->ordered ? events_s3_sequencer(r->sequencer, seq) : NULL,
        .change = r->change,
        .etag = r->etag,
        .merge_since = now - EVENTS_MERGE_WINDOW_MS,
        .now = now,
    };
    struct db_s3_check check;
    int rc = db_notification_s3_check(ev->c.db, &e, &check);
    if (rc)
        return rc;
    if (check.seen) {
        res->duplicates++;
        atomic_fetch_add(&ev->duplicates, 1);
        return 0;
    }
    /* A change made around Seau (not the echo of its own): checked, then audited. */
    if (!check.merge_id) {
        const char *why = NULL;
        rc = out_of_band_check(ev, r, &why);
        if (rc == 0)
            audit_out_of_band(ev, r, why, now);
        if (rc)
            return rc;
        if (why) {
            res->rejected++;
            return 0; /* recorded as rejected: not indexed, not shown */
        }
    }
    /* Seau's own change already updated the index (with who uploaded it); an older event must
     * not undo a newer one. The index is updated before the event is recorded as handled, so a
     * failure here leaves it to be retried. */
    if (!check.merge_id && !check.stale) {
        rc = apply_to_index(ev, r, now);
        if (rc)
            return rc;
    }
    struct event evt = {
        .type = r->type,
        .source = EVENTS_SOURCE_S3,
        .time = r->time,
        .bucket = r->bucket,
        .key = r->key,
        .size = r->change == DB_S3_CREATED ? r->size : EVENTS_SIZE_UNKNOWN,
        .etag = r->etag,
        .actor = r->principal,
    };
    char message[EVENTS_MESSAGE_MAX + 1];
    events_message(&evt, message);
    struct db_notification row;
    events_row_of(&evt, message, now, &row);
    enum db_s3_outcome outcome;
    rc = db_notification_s3_ingest(ev->c.db, &e, &row, &outcome);
    if (rc)
        return rc;
    switch (outcome) {
    case DB_S3_INSERTED:
        res->stored++;
        atomic_fetch_add(&ev->stored, 1);
        fan_out(ev, &row);
        break;
    case DB_S3_MERGED:
        res->merged++;
        atomic_fetch_add(&ev->merged, 1);
        break;
    case DB_S3_DUPLICATE:
        res->duplicates++;
        atomic_fetch_add(&ev->duplicates, 1);
        break;
    }
    return 0;
}

int events_ingest_s3(struct events *ev, const struct events_s3_batch *b, enum events_via via,
                     struct events_ingest_result *ret)
{
    struct events_ingest_result res = {.ignored = b->ignored};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->count; i++) {
        const struct events_s3_record *r = &b->records[i];
        atomic_fetch_add(&ev->received[via], 1);
        if (!configured(ev, r->bucket)) {
            res.ignored++;
            continue;
        }
        rc = ingest_one(ev, r, &res);
    }
    if (ret)
        *ret = res;
    return rc;
}

/* --------------------------------------------------------------- history */

int events_history(struct events *ev, const struct auth_subject *who,
                   const struct db_notification_query *q, struct db_notification **ret,
                   size_t *ret_n)
{
    size_t max = ev->c.nbuckets * (who->role == AUTH_ROLE_ADMIN ? 1 : who->ngrants + 1);
    if (max > DB_SEARCH_SCOPES_MAX)
        max = DB_SEARCH_SCOPES_MAX;
    struct db_object_scope *scopes = calloc(max ? max : 1, sizeof(*scopes));
    if (!scopes)
        return SEAU_E_NOMEM;
    struct db_notification_query full = *q;
    full.nscopes = events_scopes(who, ev->c.buckets, ev->c.nbuckets, scopes, max, &full.unscoped);
    full.scopes = scopes;
    int rc = db_notification_list(ev->c.db, &full, ret, ret_n);
    free(scopes);
    return rc;
}

int events_last_id(struct events *ev, int64_t *ret)
{
    return events_fanout_delivered(ev->fanout, ret);
}

void events_set_leader(struct events *ev, bool leader)
{
    if (ev)
        atomic_store(&ev->singletons, leader);
}

/* ------------------------------------------------------------- lifecycle */

int events_start(const struct events_config *c, struct events **ret)
{
    struct events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return SEAU_E_NOMEM;
    ev->c = *c;
    ev->c.sqs_queue_url = NULL; /* the consumer keeps its own copy */
    pthread_mutex_init(&ev->lock, NULL);
    pthread_cond_init(&ev->wake, NULL);
    /* Alone on its store, a replica purges; sharing it, it waits to be told it leads. */
    atomic_init(&ev->singletons, !db_is_shared(c->db));
    int rc = events_hub_new(&c->hub, &ev->hub);
    if (rc == 0 && db_is_shared(c->db))
        rc = events_fanout_pg_new(c->db, c->fanout_poll_ms, deliver, ev, &ev->fanout);
    else if (rc == 0)
        rc = events_fanout_local_new(c->db, deliver, ev, &ev->fanout);
    if (rc == 0) {
        rc = pthread_create(&ev->thread, NULL, bus_main, ev) == 0 ? 0 : SEAU_E_IO;
        ev->thread_started = rc == 0;
    }
    if (rc == 0 && c->sqs && c->sqs_queue_url) {
        struct events_consumer_opts co = {.sqs = c->sqs, .queue_url = c->sqs_queue_url, .ev = ev};
        rc = events_consumer_start(&co, &ev->consumer);
    }
    if (rc) {
        events_free(ev);
        return rc;
    }
    *ret = ev;
    return 0;
}

void events_close_clients(struct events *ev, int64_t timeout_ms)
{
    if (ev)
        events_hub_shutdown(ev->hub, timeout_ms);
}

void events_free(struct events *ev)
{
    if (!ev)
        return;
    events_consumer_stop(ev->consumer);
    if (ev->thread_started) {
        pthread_mutex_lock(&ev->lock);
        ev->stop = true;
        pthread_cond_signal(&ev->wake);
        pthread_mutex_unlock(&ev->lock);
        pthread_join(ev->thread, NULL);
    }
    while (ev->head) {
        struct queued *q = ev->head;
        ev->head = q->next;
        free(q);
    }
    events_fanout_free(ev->fanout);
    events_hub_free(ev->hub);
    pthread_mutex_destroy(&ev->lock);
    pthread_cond_destroy(&ev->wake);
    free(ev);
}

struct events_hub *events_hub(struct events *ev)
{
    return ev ? ev->hub : NULL;
}

const char *events_sqs_state(struct events *ev)
{
    if (!ev || !ev->consumer)
        return NULL;
    struct events_consumer_stats s;
    events_consumer_stats(ev->consumer, &s);
    return s.state;
}

void events_stats(struct events *ev, struct metrics_events *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->sqs_up = -1;
    if (!ev)
        return;
    for (int i = 0; i < METRICS_VIA_COUNT; i++)
        ret->received[i] = atomic_load(&ev->received[i]);
    ret->stored = atomic_load(&ev->stored);
    ret->merged = atomic_load(&ev->merged);
    ret->duplicates = atomic_load(&ev->duplicates);
    ret->lost = atomic_load(&ev->lost);
    struct events_hub_stats hs;
    events_hub_stats(ev->hub, &hs);
    ret->ws_clients = hs.clients;
    ret->ws_accepted = hs.accepted;
    ret->ws_dropped_slow = hs.dropped_slow;
    ret->ws_sent = hs.sent;
    if (ev->consumer) {
        struct events_consumer_stats cs;
        events_consumer_stats(ev->consumer, &cs);
        ret->sqs_up = strcmp(cs.state, "ok") == 0 ? 1 : 0;
        ret->sqs_errors = cs.errors;
        ret->sqs_failed = cs.failed;
        ret->sqs_lag_seconds = cs.lag_s;
    }
}
