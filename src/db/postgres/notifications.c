/*
 * The PostgreSQL store's notifications (events/): Seau's own changes and the
 * events S3 reports, with the merging of the two reports of one change, the
 * history read filtered to the caller's scopes (passed as two arrays, bucket
 * and prefix, and tested in SQL), and the purge of old rows — the semantics
 * of the SQLite store's notifications.c.
 *
 * An S3 event is recorded as handled by INSERT ... ON CONFLICT DO NOTHING on
 * its unique key (bucket, key, dedupe): when two replicas receive the same
 * event, one inserts it and the other, waiting on the key, inserts nothing
 * and reports a duplicate.
 *
 * Replicas read what is newer than the last id they delivered
 * (db_notifications_since), so an id must never become visible after a
 * higher one: ids come from a sequence when the row is inserted, and a
 * transaction that commits late would otherwise carry a lower id than one a
 * replica already read. Every transaction that inserts notifications first
 * takes one transaction-level advisory lock (PG__LOCK_NOTIFY), held until it
 * commits or rolls back, and draws its ids under it: inserting transactions
 * run one after the other, so commit order is id order. (An id may still be
 * skipped for good, by a rollback; none is skipped and filled later.) The
 * lock is held for the few statements of one batch, never across a network
 * call. Each such transaction also NOTIFYs, delivered by PostgreSQL at
 * commit and only if it commits: the highest new id on PG__CHANNEL_NEW, and
 * each row taken over on PG__CHANNEL_AGAIN.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_COLS                                                                                \
    "id, time, type, source, bucket, key, from_key, size, etag, actor, actor_id, "                 \
    "target_user_id, message"

#define NOTIFY_STATEMENTS(X)                                                                       \
    X(NOTIFY_INSERT, "INSERT INTO notifications (time, type, source, bucket, key, from_key, "      \
                     "size, etag, actor, actor_id, target_user_id, message) "                      \
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")    \
    X(NOTIFY_LIST,                                                                                 \
      "SELECT " NOTIFY_COLS " FROM notifications n WHERE id > $1 AND id <= $2 "                    \
      "AND ($3::bigint = 0 OR time >= $3) AND ($4::text IS NULL OR type = $4) "                    \
      "AND ((bucket IS NULL AND $7::boolean) OR EXISTS (SELECT 1 FROM unnest($5::text[], "         \
      "$6::text[]) AS s(b, p) WHERE s.b = n.bucket AND (s.p = '' OR starts_with(n.key, s.p)))) "   \
      "ORDER BY id DESC LIMIT $8")                                                                 \
    X(NOTIFY_MIN_SINCE, "SELECT min(id) FROM notifications WHERE time >= $1")                      \
    X(NOTIFY_LAST_ID,                                                                              \
      "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM notifications_id_seq")           \
    X(NOTIFY_PURGE, "DELETE FROM notifications WHERE time < $1")                                   \
    X(S3_SEEN_GET, "SELECT 1 FROM s3_events_seen WHERE bucket = $1 AND key = $2 AND dedupe = $3")  \
    X(S3_SEEN_NEWER, "SELECT 1 FROM s3_events_seen WHERE bucket = $1 AND key = $2 "                \
                     "AND sequencer > $3 LIMIT 1")                                                 \
    X(S3_SEEN_INSERT, "INSERT INTO s3_events_seen (bucket, key, dedupe, sequencer, time) "         \
                      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")                        \
    X(S3_SEEN_PURGE, "DELETE FROM s3_events_seen WHERE time < $1")                                 \
    X(S3_MERGE_CREATED, "SELECT id FROM notifications WHERE bucket = $1 AND key = $2 "             \
                        "AND source = 'seau' AND type IN ('upload', 'copy', 'rename') "            \
                        "AND NOT s3_created AND time >= $3 "                                       \
                        "AND (etag IS NULL OR $4::text IS NULL OR etag = $4) "                     \
                        "ORDER BY id DESC LIMIT 1")                                                \
    X(S3_MERGE_REMOVED, "SELECT id FROM notifications WHERE bucket = $1 AND source = 'seau' "      \
                        "AND NOT s3_removed AND time >= $3 AND ((type = 'delete' AND key = $2) "   \
                        "OR (type = 'rename' AND from_key = $2)) ORDER BY id DESC LIMIT 1")        \
    X(S3_MARK_CREATED, "UPDATE notifications SET s3_created = true WHERE id = $1")                 \
    X(S3_MARK_REMOVED, "UPDATE notifications SET s3_removed = true WHERE id = $1")                 \
    X(CLAIM_CREATED, "SELECT id FROM notifications WHERE bucket = $1 AND key = $2 "                \
                     "AND source = 's3' AND type IN ('upload', 'copy') AND NOT s3_created "        \
                     "AND time >= $3 AND (etag IS NULL OR $4::text IS NULL OR etag = $4) "         \
                     "ORDER BY id DESC LIMIT 1 FOR UPDATE")                                        \
    X(CLAIM_REMOVED, "SELECT id FROM notifications WHERE bucket = $1 AND key = $2 "                \
                     "AND source = 's3' AND type = 'delete' AND NOT s3_removed AND time >= $3 "    \
                     "ORDER BY id DESC LIMIT 1 FOR UPDATE")                                        \
    X(CLAIM_BECOME,                                                                                \
      "UPDATE notifications SET time = $2, type = $3, source = $4, from_key = $5, "                \
      "size = coalesce($6, size), etag = coalesce($7, etag), actor = $8, "                         \
      "actor_id = $9, target_user_id = NULL, message = $10, "                                      \
      "s3_created = s3_created OR $11, s3_removed = s3_removed OR $12 WHERE id = $1")              \
    X(ORDER_LOCK, "SELECT pg_advisory_xact_lock($1)")                                              \
    X(ANNOUNCE, "SELECT pg_notify($1, $2::bigint::text)")                                          \
    X(NOTIFY_SINCE, "SELECT " NOTIFY_COLS " FROM notifications WHERE id > $1 ORDER BY id LIMIT "   \
                                          "$2")

PG__STATEMENTS(NOTIFY_STATEMENTS, PG__NOTIFICATIONS)

/* The ordering lock (see the top of the file); held until the transaction ends. */
static int order_lock(struct pg__conn *c)
{
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, PG__LOCK_NOTIFY);
    return pg__done(c, run(c, STMT_ORDER_LOCK, &p), NULL);
}

/* Queues a NOTIFY of id on channel (sent at commit). */
static int announce(struct pg__conn *c, const char *channel, int64_t id)
{
    struct pg__params p = {.n = 0};
    pg__p_text(&p, channel);
    pg__p_i64(&p, id);
    return pg__done(c, run(c, STMT_ANNOUNCE, &p), NULL);
}

static int notification_insert_one(struct pg__conn *c, struct db_notification *n)
{
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, n->time);
    pg__p_text(&p, n->type);
    pg__p_text(&p, n->source);
    pg__p_text(&p, n->bucket);
    pg__p_text(&p, n->key);
    pg__p_text(&p, n->from_key);
    pg__p_opt_i64(&p, n->size, -1);
    pg__p_text(&p, n->etag);
    pg__p_text(&p, n->actor);
    pg__p_opt_i64(&p, n->actor_id, 0);
    pg__p_opt_i64(&p, n->target_user_id, 0);
    pg__p_text(&p, n->message ? n->message : "");
    PGresult *r = run(c, STMT_NOTIFY_INSERT, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 1)
        n->id = pg__i64(r, 0, 0);
    else if (rc == 0)
        rc = SEAU_E_DB;
    PQclear(r);
    return rc;
}

/* Runs a statement; *ret_found tells whether it returned a row, *ret_id (optional) its first
 * column. */
static int first_row(struct pg__conn *c, enum stmt_id id, const struct pg__params *p,
                     bool *ret_found, int64_t *ret_id)
{
    PGresult *r = run(c, id, p);
    int rc = pg__status(c, r);
    if (rc == 0) {
        *ret_found = PQntuples(r) > 0;
        if (ret_id)
            *ret_id = *ret_found ? pg__i64(r, 0, 0) : 0;
    }
    PQclear(r);
    return rc;
}

/* The S3 notification a Seau row about an object takes over (db.h, notifications_insert). */
static int claim_find(struct pg__conn *c, const struct db_notification *n, int64_t since,
                      bool *ret_created, int64_t *ret_id)
{
    *ret_id = 0;
    bool created = strcmp(n->type, "upload") == 0 || strcmp(n->type, "copy") == 0 ||
                   strcmp(n->type, "rename") == 0;
    bool removed = strcmp(n->type, "delete") == 0;
    if (!n->bucket || !n->key || (!created && !removed))
        return 0;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, n->bucket);
    pg__p_text(&p, n->key);
    pg__p_i64(&p, since);
    if (created)
        pg__p_text(&p, n->etag);
    bool found = false;
    *ret_created = created;
    return first_row(c, created ? STMT_CLAIM_CREATED : STMT_CLAIM_REMOVED, &p, &found, ret_id);
}

static int claim_become(struct pg__conn *c, int64_t id, bool created,
                        const struct db_notification *n)
{
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, id);
    pg__p_i64(&p, n->time);
    pg__p_text(&p, n->type);
    pg__p_text(&p, n->source);
    pg__p_text(&p, n->from_key);
    pg__p_opt_i64(&p, n->size, -1);
    pg__p_text(&p, n->etag);
    pg__p_text(&p, n->actor);
    pg__p_opt_i64(&p, n->actor_id, 0);
    pg__p_text(&p, n->message ? n->message : "");
    pg__p_bool(&p, created);
    pg__p_bool(&p, !created);
    return pg__done(c, run(c, STMT_CLAIM_BECOME, &p), NULL);
}

struct notes_insert {
    struct db_notification *n;
    size_t count;
    int64_t claim_since;
    bool *claimed;
};

static int notifications_insert_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct notes_insert *x = ctx;
    int rc = order_lock(c);
    int64_t newest = 0;
    for (size_t i = 0; rc == 0 && i < x->count; i++) {
        struct db_notification *n = &x->n[i];
        int64_t id = 0;
        bool created = false;
        if (x->claim_since > 0)
            rc = claim_find(c, n, x->claim_since, &created, &id);
        if (rc == 0 && id) {
            rc = claim_become(c, id, created, n);
            n->id = id;
            if (rc == 0)
                rc = announce(c, PG__CHANNEL_AGAIN, id);
        } else if (rc == 0) {
            rc = notification_insert_one(c, n);
            newest = n->id;
        }
        if (x->claimed)
            x->claimed[i] = id != 0;
    }
    if (rc == 0 && newest)
        rc = announce(c, PG__CHANNEL_NEW, newest);
    return rc;
}

int pg__notifications_insert(struct db *db, struct db_notification *n, size_t count,
                             int64_t claim_since, bool *ret_claimed)
{
    struct notes_insert x = {
        .n = n, .count = count, .claim_since = claim_since, .claimed = ret_claimed};
    return pg__tx(db, notifications_insert_tx, &x);
}

static int read_notification(const PGresult *r, int row, struct db_notification *n)
{
    memset(n, 0, sizeof(*n));
    n->id = pg__i64(r, row, 0);
    n->time = pg__i64(r, row, 1);
    n->type = pg__dup(r, row, 2);
    n->source = pg__dup(r, row, 3);
    n->bucket = pg__dup(r, row, 4);
    n->key = pg__dup(r, row, 5);
    n->from_key = pg__dup(r, row, 6);
    n->size = pg__null(r, row, 7) ? -1 : pg__i64(r, row, 7);
    n->etag = pg__dup(r, row, 8);
    n->actor = pg__dup(r, row, 9);
    n->actor_id = pg__i64(r, row, 10);
    n->target_user_id = pg__i64(r, row, 11);
    n->message = pg__dup(r, row, 12);
    bool lost = !n->type || !n->source || !n->message || (!pg__null(r, row, 4) && !n->bucket) ||
                (!pg__null(r, row, 5) && !n->key) || (!pg__null(r, row, 6) && !n->from_key) ||
                (!pg__null(r, row, 8) && !n->etag) || (!pg__null(r, row, 9) && !n->actor);
    return lost ? SEAU_E_NOMEM : 0;
}

int pg__notification_list(struct db *db, const struct db_notification_query *q,
                          struct db_notification **ret, size_t *ret_n)
{
    if (q->limit == 0 || q->limit > 1001 || q->nscopes > DB_SEARCH_SCOPES_MAX)
        return SEAU_E_VALIDATION;
    struct db_notification *rows = calloc(q->limit, sizeof(*rows));
    char *buckets = NULL, *prefixes = NULL;
    if (rows && q->nscopes) {
        buckets = pg__text_array(&q->scopes[0].bucket, q->nscopes, sizeof(q->scopes[0]));
        prefixes = pg__text_array(&q->scopes[0].prefix, q->nscopes, sizeof(q->scopes[0]));
    } else if (rows) {
        buckets = strdup("{}");
        prefixes = strdup("{}");
    }
    if (!rows || !buckets || !prefixes) {
        free(rows);
        free(buckets);
        free(prefixes);
        return SEAU_E_NOMEM;
    }
    int64_t lo = q->after_id > 0 ? q->after_id : 0;
    int64_t hi = INT64_MAX;
    if (q->before_id > 0)
        hi = q->before_id - 1;
    if (q->upto_id > 0 && q->upto_id < hi)
        hi = q->upto_id;
    struct pg__conn *c = pg__acquire(db);
    int rc = 0;
    size_t n = 0;
    if (q->since > 0) {
        /* Every row at or after since has an id at or above the least such id: an exact bound. */
        struct pg__params p = {.n = 0};
        pg__p_i64(&p, q->since);
        PGresult *r = run(c, STMT_NOTIFY_MIN_SINCE, &p);
        rc = pg__status(c, r);
        int64_t first = INT64_MAX;
        if (rc == 0 && PQntuples(r) == 1 && !pg__null(r, 0, 0))
            first = pg__i64(r, 0, 0);
        PQclear(r);
        if (rc == 0 && first - 1 > lo)
            lo = first - 1;
    }
    if (rc == 0 && lo < hi) {
        struct pg__params p = {.n = 0};
        pg__p_i64(&p, lo);
        pg__p_i64(&p, hi);
        pg__p_i64(&p, q->since);
        pg__p_text(&p, q->type);
        pg__p_text(&p, buckets);
        pg__p_text(&p, prefixes);
        pg__p_bool(&p, q->unscoped);
        pg__p_i64(&p, (int64_t)q->limit);
        PGresult *r = run(c, STMT_NOTIFY_LIST, &p);
        rc = pg__status(c, r);
        int nrows = rc == 0 ? PQntuples(r) : 0;
        while (rc == 0 && (int)n < nrows && n < q->limit) {
            rc = read_notification(r, (int)n, &rows[n]);
            n++;
        }
        PQclear(r);
    }
    pg__release(db, c);
    free(buckets);
    free(prefixes);
    if (rc) {
        db_notifications_free(rows, n);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

int pg__notifications_since(struct db *db, int64_t after_id, size_t limit,
                            struct db_notification **ret, size_t *ret_n)
{
    struct db_notification *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, after_id);
    pg__p_i64(&p, (int64_t)limit);
    struct pg__conn *c = pg__acquire(db);
    PGresult *r = run(c, STMT_NOTIFY_SINCE, &p);
    int rc = pg__status(c, r);
    size_t n = 0;
    int nrows = rc == 0 ? PQntuples(r) : 0;
    while (rc == 0 && (int)n < nrows && n < limit) {
        rc = read_notification(r, (int)n, &rows[n]);
        n++;
    }
    PQclear(r);
    pg__release(db, c);
    if (rc) {
        db_notifications_free(rows, n);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

int pg__notification_last_id(struct db *db, int64_t *ret)
{
    struct pg__conn *c = pg__acquire(db);
    bool found = false;
    int64_t v = 0;
    int rc = first_row(c, STMT_NOTIFY_LAST_ID, NULL, &found, &v);
    pg__release(db, c);
    if (rc == 0)
        *ret = found ? v : 0;
    return rc;
}

/* The three questions of db_s3_check, on a held connection. */
static int s3_check(struct pg__conn *c, const struct db_s3_event *e, struct db_s3_check *ret)
{
    struct db_s3_check out = {0};
    struct pg__params p = {.n = 0};
    pg__p_text(&p, e->bucket);
    pg__p_text(&p, e->key);
    pg__p_text(&p, e->dedupe);
    int rc = first_row(c, STMT_S3_SEEN_GET, &p, &out.seen, NULL);
    if (rc == 0 && e->sequencer) {
        struct pg__params q = {.n = 0};
        pg__p_text(&q, e->bucket);
        pg__p_text(&q, e->key);
        pg__p_text(&q, e->sequencer);
        rc = first_row(c, STMT_S3_SEEN_NEWER, &q, &out.stale, NULL);
    }
    if (rc == 0) {
        bool created = e->change == DB_S3_CREATED;
        struct pg__params q = {.n = 0};
        pg__p_text(&q, e->bucket);
        pg__p_text(&q, e->key);
        pg__p_i64(&q, e->merge_since);
        if (created)
            pg__p_text(&q, e->etag);
        bool found = false;
        rc = first_row(c, created ? STMT_S3_MERGE_CREATED : STMT_S3_MERGE_REMOVED, &q, &found,
                       &out.merge_id);
        if (!found)
            out.merge_id = 0;
    }
    if (rc == 0)
        *ret = out;
    return rc;
}

int pg__notification_s3_check(struct db *db, const struct db_s3_event *e, struct db_s3_check *ret)
{
    struct pg__conn *c = pg__acquire(db);
    int rc = s3_check(c, e, ret);
    pg__release(db, c);
    return rc;
}

struct s3_ingest {
    const struct db_s3_event *e;
    struct db_notification *n;
    enum db_s3_outcome outcome;
    int64_t merge_id;
};

static int s3_ingest_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct s3_ingest *x = ctx;
    const struct db_s3_event *e = x->e;
    x->outcome = DB_S3_DUPLICATE;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, e->bucket);
    pg__p_text(&p, e->key);
    pg__p_text(&p, e->dedupe);
    pg__p_text(&p, e->sequencer);
    pg__p_i64(&p, e->now);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_S3_SEEN_INSERT, &p), &changed);
    bool fresh = rc == 0 && changed == 1;
    struct db_s3_check check = {0};
    if (fresh)
        rc = s3_check(c, e, &check);
    if (fresh && rc == 0 && check.merge_id) {
        struct pg__params q = {.n = 0};
        pg__p_i64(&q, check.merge_id);
        rc = pg__done(
            c, run(c, e->change == DB_S3_CREATED ? STMT_S3_MARK_CREATED : STMT_S3_MARK_REMOVED, &q),
            NULL);
        x->outcome = DB_S3_MERGED;
        x->merge_id = check.merge_id;
    } else if (fresh && rc == 0) {
        x->n->bucket = (char *)e->bucket;
        x->n->key = (char *)e->key;
        rc = order_lock(c);
        if (rc == 0)
            rc = notification_insert_one(c, x->n);
        if (rc == 0)
            rc = announce(c, PG__CHANNEL_NEW, x->n->id);
        x->outcome = DB_S3_INSERTED;
    }
    return rc;
}

int pg__notification_s3_ingest(struct db *db, const struct db_s3_event *e,
                               struct db_notification *n, enum db_s3_outcome *ret)
{
    struct s3_ingest x = {.e = e, .n = n};
    int rc = pg__tx(db, s3_ingest_tx, &x);
    if (rc)
        return rc;
    if (x.outcome == DB_S3_MERGED)
        n->id = x.merge_id;
    *ret = x.outcome;
    return 0;
}

struct notes_purge {
    int64_t before;
    int64_t n;
};

static int purge_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct notes_purge *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->before);
    int rc = pg__done(c, run(c, STMT_NOTIFY_PURGE, &p), &x->n);
    if (rc == 0)
        rc = pg__done(c, run(c, STMT_S3_SEEN_PURGE, &p), NULL);
    return rc;
}

int pg__notification_purge(struct db *db, int64_t before, int64_t *ret_n)
{
    struct notes_purge x = {.before = before};
    int rc = pg__tx(db, purge_tx, &x);
    if (rc == 0 && ret_n)
        *ret_n = x.n;
    return rc;
}
