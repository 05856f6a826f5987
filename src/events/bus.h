/*
 * The event bus: every change Seau makes is published here at once, and
 * every change seen on the buckets (S3 event notifications, from the SQS
 * consumer or the webhook) is ingested here. Each becomes a notification:
 * stored (kept SEAU_NOTIFICATION_RETENTION), then fanned out (fanout.h) to
 * the WebSocket hubs (hub.h), which push it to every client allowed to see
 * it. Changes from outside also update the object index.
 *
 * Publishing, from any handler, after the change succeeded (one line):
 *
 *     events_publish(api_app(req)->events, &(struct event){
 *         .type = EVENTS_UPLOAD, .bucket = bucket, .key = key, .size = size,
 *         .etag = etag, .actor = api_principal(req)->user.email,
 *         .actor_id = api_principal(req)->user.id});
 *
 * Types: EVENTS_UPLOAD, EVENTS_DELETE (one per deleted key), EVENTS_COPY
 * (.key the copy; .from_key the source), EVENTS_RENAME (also a move: .key
 * the new name, .from_key the old), EVENTS_SHARE, EVENTS_USER
 * (.target_user_id: the account changed; its WebSockets are closed so that
 * they reconnect with its new grants), EVENTS_ERROR. .size is
 * EVENTS_SIZE_UNKNOWN (-1) when not known; .etag lets the S3 event of the
 * same upload merge into this notification instead of showing twice.
 * .message overrides the generated sentence. .source defaults to
 * EVENTS_SOURCE_SEAU (0).
 *
 * The bucket may report a change before Seau publishes it (Ceph RGW pushes
 * while the S3 call is still answering): the notification stored from the
 * report is then taken over by Seau's own and sent again, completed, under
 * the same id — clients replace a notification they hold by id.
 *
 * events_publish never blocks its caller and never fails it: the event is
 * copied into a bounded queue that the bus thread stores and fans out. A
 * full queue or a store that stays down loses the event (counted in
 * seau_events_lost_total). ev may be NULL (events not running): nothing
 * happens.
 */
#ifndef SEAU_EVENTS_BUS_H
#define SEAU_EVENTS_BUS_H

#include "db/db.h"
#include "events/event.h"
#include "events/hub.h"
#include "events/s3event.h"
#include "metrics/metrics.h"

#include <stddef.h>
#include <stdint.h>

#define EVENTS_QUEUE_MAX       65536            /* Seau events waiting for the bus */
#define EVENTS_MERGE_WINDOW_MS (60 * 60 * 1000) /* S3 event merges into Seau's own this long */
#define EVENTS_CLAIM_WINDOW_MS (30 * 1000)      /* ... and Seau's own claims S3's this long */
#define EVENTS_PURGE_EVERY_MS  (10 * 60 * 1000)

struct events;
struct s3_client;

struct events_config {
    /* The S3 client whose cache (client.h) every change drops what it may show: Seau's
     * own, when published, and S3's, when ingested. Borrowed; NULL: none. */
    struct s3_client *s3;
    /* HEAD a created object through s3 before believing its event (SEAU_EVENTS_VERIFY). */
    bool verify;
    struct db *db;        /* borrowed */
    char *const *buckets; /* configured buckets (borrowed): others' events are ignored */
    size_t nbuckets;
    int64_t retention_ms;       /* notifications older than this are purged */
    struct events_hub_opts hub; /* limits of the WebSocket hub */
    /* The SQS consumer; queue_url NULL: none. sqs is borrowed and must
     * outlive events_free(); it must be used by nothing else (stopping the
     * consumer cancels its calls). */
    struct s3_client *sqs;
    const char *sqs_queue_url;
    /* A shared store (db_is_shared): how often the listener reads the store without a wake-up
     * (0: EVENTS_FANOUT_POLL_MS). */
    int64_t fanout_poll_ms;
};

/*
 * Starts the bus thread, the hub's thread and, when configured, the SQS
 * consumer's. Returns 0, SEAU_E_NOMEM or SEAU_E_IO.
 */
int events_start(const struct events_config *c, struct events **ret);

/*
 * Sends every WebSocket client a close frame and waits for them (bounded by
 * timeout_ms); new ones are refused. Call before the HTTP server stops.
 */
void events_close_clients(struct events *ev, int64_t timeout_ms);

/*
 * Stops the consumer (cancelling its long poll), then the bus (storing what
 * is queued), then the hub; frees everything. Call after the HTTP server
 * stopped. Accepts NULL.
 */
void events_free(struct events *ev);

/* Publishes a change Seau made (see above). */
void events_publish(struct events *ev, const struct event *e);

/*
 * A change to an account, published as EVENTS_USER with the sentence
 * "<actor> <what> <target>" ("admin@x created the account bob@x"); target
 * NULL names the account by its id. The account's WebSockets are closed
 * (they reconnect with its new role and grants). One line in each handler:
 *     events_publish_user(app->events, who->user.email, who->user.id, u.id, u.email,
 *                         "changed the account");
 */
void events_publish_user(struct events *ev, const char *actor, int64_t actor_id, int64_t target_id,
                         const char *target, const char *what);

/* Where an S3 event notification came in. */
enum events_via { EVENTS_VIA_SQS = METRICS_VIA_SQS, EVENTS_VIA_WEBHOOK = METRICS_VIA_WEBHOOK };

struct events_ingest_result {
    size_t stored;     /* new notifications */
    size_t merged;     /* the S3 side of a change Seau made */
    size_t duplicates; /* delivered before */
    size_t ignored;    /* other buckets, kinds Seau does not show */
    size_t rejected;   /* creations of keys that break the key rules or do not exist */
};

/*
 * Handles S3 event notifications, synchronously (the caller acknowledges
 * them only after): for each record on a configured bucket, drops it when
 * handled before (bucket, key, sequencer); for a change Seau did not make,
 * writes an audit entry (actor "s3:<principalId>", the event's source
 * address) after checking a creation (the key rules, a HEAD: a key that
 * breaks them or does not exist is audited as rejected and goes no
 * further); updates the object index
 * (created, overwritten, deleted) unless it is the echo of Seau's own
 * change or older than what the index already holds, then stores and fans
 * out the notification, or merges it into Seau's own. Returns 0 with *ret
 * (may be NULL), or the store's error at the first record that failed
 * (those before it are done; a retry finds them duplicates).
 */
int events_ingest_s3(struct events *ev, const struct events_s3_batch *b, enum events_via via,
                     struct events_ingest_result *ret);

/* The hub, for the WebSocket handler; NULL when ev is NULL. */
struct events_hub *events_hub(struct events *ev);

/* The SQS consumer's state for /api/ready: "ok", "starting", "failing", or NULL without one. */
const char *events_sqs_state(struct events *ev);

/* Fills the metrics of events/ (all zero for NULL, sqs_up -1). */
void events_stats(struct events *ev, struct metrics_events *ret);

/*
 * The history as GET /api/notifications and ?since= read it: q with the
 * scopes who may see (events_scopes) filled in. See db_notification_query.
 */
int events_history(struct events *ev, const struct auth_subject *who,
                   const struct db_notification_query *q, struct db_notification **ret,
                   size_t *ret_n);

/*
 * The id up to which this replica's hub was given every notification (0:
 * none): a new WebSocket client replays up to it and gets the rest live.
 * Alone on its store, the highest id ever stored.
 */
int events_last_id(struct events *ev, int64_t *ret);

/*
 * Whether this replica runs the purge of old notifications, a singleton
 * among replicas sharing a store (the caller holds the leader lock,
 * db_leader_try). Alone on its store, a replica purges from the start;
 * sharing it, not until told.
 */
void events_set_leader(struct events *ev, bool leader);

#endif
