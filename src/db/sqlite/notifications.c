/*
 * The SQLite store's notifications (events/): Seau's own changes and the
 * events S3 reports, with the merging of the two reports of one change
 * (whichever comes first, the other is absorbed into it), the history read
 * of GET /api/notifications filtered to the caller's scopes by
 * seau_note_visible(), the SQL function this file registers, and the purge
 * of old rows.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

#define NOTIFY_COLS                                                                                \
    "id, time, type, source, bucket, key, from_key, size, etag, actor, actor_id, "                 \
    "target_user_id, message"
#define NOTIFY_STATEMENTS(X)                                                                       \
    X(NOTIFY_INSERT, "INSERT INTO notifications (time, type, source, bucket, key, from_key, "      \
                     "size, etag, actor, actor_id, target_user_id, message) "                      \
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")                 \
    /* Walks the rowid down from ?2: the scopes filter in C (seau_note_visible). */                \
    X(NOTIFY_LIST, "SELECT " NOTIFY_COLS " FROM notifications WHERE id > ?1 AND id <= ?2 "         \
                   "AND (?3 = 0 OR time >= ?3) AND (?4 IS NULL OR type = ?4) "                     \
                   "AND seau_note_visible(?5, bucket, key) ORDER BY id DESC LIMIT ?6")             \
    X(NOTIFY_MIN_SINCE, "SELECT min(id) FROM notifications WHERE time >= ?1")                      \
    X(NOTIFY_LAST_ID, "SELECT coalesce((SELECT seq FROM sqlite_sequence "                          \
                      "WHERE name = 'notifications'), 0)")                                         \
    X(NOTIFY_PURGE, "DELETE FROM notifications WHERE time < ?1")                                   \
    X(S3_SEEN_GET, "SELECT 1 FROM s3_events_seen WHERE bucket = ?1 AND key = ?2 AND dedupe = ?3")  \
    X(S3_SEEN_NEWER, "SELECT 1 FROM s3_events_seen WHERE bucket = ?1 AND key = ?2 "                \
                     "AND sequencer > ?3 LIMIT 1")                                                 \
    X(S3_SEEN_INSERT, "INSERT OR IGNORE INTO s3_events_seen (bucket, key, dedupe, sequencer, "     \
                      "time) VALUES (?1, ?2, ?3, ?4, ?5)")                                         \
    X(S3_SEEN_PURGE, "DELETE FROM s3_events_seen WHERE time < ?1")                                 \
    X(S3_MERGE_CREATED, "SELECT id FROM notifications WHERE bucket = ?1 AND key = ?2 "             \
                        "AND source = 'seau' AND type IN ('upload', 'copy', 'rename') "            \
                        "AND s3_created = 0 AND time >= ?3 "                                       \
                        "AND (etag IS NULL OR ?4 IS NULL OR etag = ?4) ORDER BY id DESC LIMIT 1")  \
    X(S3_MERGE_REMOVED, "SELECT id FROM notifications WHERE bucket = ?1 AND source = 'seau' "      \
                        "AND s3_removed = 0 AND time >= ?3 AND ((type = 'delete' AND key = ?2) "   \
                        "OR (type = 'rename' AND from_key = ?2)) ORDER BY id DESC LIMIT 1")        \
    X(S3_MARK_CREATED, "UPDATE notifications SET s3_created = 1 WHERE id = ?1")                    \
    X(S3_MARK_REMOVED, "UPDATE notifications SET s3_removed = 1 WHERE id = ?1")                    \
    X(CLAIM_CREATED, "SELECT id FROM notifications WHERE bucket = ?1 AND key = ?2 "                \
                     "AND source = 's3' AND type IN ('upload', 'copy') AND s3_created = 0 "        \
                     "AND time >= ?3 AND (etag IS NULL OR ?4 IS NULL OR etag = ?4) "               \
                     "ORDER BY id DESC LIMIT 1")                                                   \
    X(CLAIM_REMOVED, "SELECT id FROM notifications WHERE bucket = ?1 AND key = ?2 "                \
                     "AND source = 's3' AND type = 'delete' AND s3_removed = 0 AND time >= ?3 "    \
                     "ORDER BY id DESC LIMIT 1")                                                   \
    X(CLAIM_BECOME,                                                                                \
      "UPDATE notifications SET time = ?2, type = ?3, source = ?4, from_key = ?5, "                \
      "size = coalesce(?6, size), etag = coalesce(?7, etag), actor = ?8, "                         \
      "actor_id = ?9, target_user_id = NULL, message = ?10, "                                      \
      "s3_created = s3_created OR ?11, s3_removed = s3_removed OR ?12 WHERE id = ?1")              \
    /* Every statement this store runs; prepared once per connection. */

SQLITE__STATEMENTS(NOTIFY_STATEMENTS, SQLITE__NOTIFICATIONS)

/* The scopes a history read may show, passed to seau_note_visible() as a pointer. */
struct note_scopes {
    const struct db_object_scope *scopes;
    size_t n;
    bool unscoped;
};
#define NOTE_SCOPES_TYPE "seau_note_scopes"

/*
 * seau_note_visible(scopes, bucket, key): 1 when a row lies inside one of
 * the scopes (its bucket, and its key starts with the scope's prefix), or
 * is about no bucket and unscoped rows are allowed. O(scopes) per row.
 */
static void sql_note_visible(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct note_scopes *sc = sqlite3_value_pointer(argv[0], NOTE_SCOPES_TYPE);
    const char *bucket = (const char *)sqlite3_value_text(argv[1]);
    const char *key = (const char *)sqlite3_value_text(argv[2]);
    int visible = 0;
    if (sc && !bucket)
        visible = sc->unscoped;
    for (size_t i = 0; sc && bucket && !visible && i < sc->n; i++) {
        const struct db_object_scope *s = &sc->scopes[i];
        size_t plen = strlen(s->prefix);
        visible = strcmp(s->bucket, bucket) == 0 &&
                  (plen == 0 || (key && strncmp(key, s->prefix, plen) == 0));
    }
    sqlite3_result_int(ctx, visible);
}

int sqlite__notifications_register(sqlite3 *h)
{
    return sqlite3_create_function_v2(h, "seau_note_visible", 3, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                      NULL, sql_note_visible, NULL, NULL, NULL);
}

static void bind_opt_int64(sqlite3_stmt *st, int i, int64_t v, int64_t none)
{
    if (v == none)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static int notification_insert_one(struct sqlite__conn *c, struct db_notification *n)
{
    sqlite3_stmt *st = stmt(c, STMT_NOTIFY_INSERT);
    if (!st)
        return SEAU_E_DB;
    sqlite3_bind_int64(st, 1, n->time);
    sqlite__bind_text(st, 2, n->type);
    sqlite__bind_text(st, 3, n->source);
    sqlite__bind_text(st, 4, n->bucket);
    sqlite__bind_text(st, 5, n->key);
    sqlite__bind_text(st, 6, n->from_key);
    bind_opt_int64(st, 7, n->size, -1);
    sqlite__bind_text(st, 8, n->etag);
    sqlite__bind_text(st, 9, n->actor);
    bind_opt_int64(st, 10, n->actor_id, 0);
    bind_opt_int64(st, 11, n->target_user_id, 0);
    sqlite__bind_text(st, 12, n->message ? n->message : "");
    int rc = sqlite__exec(st);
    if (rc == 0)
        n->id = sqlite3_last_insert_rowid(c->handle);
    return rc;
}

/*
 * The S3 notification a Seau row about an object takes over (see
 * db.h, notifications_insert): 0 and *ret_id (0: none).
 */
static int claim_find(struct sqlite__conn *c, const struct db_notification *n, int64_t since,
                      bool *ret_created, int64_t *ret_id)
{
    *ret_id = 0;
    bool created = strcmp(n->type, "upload") == 0 || strcmp(n->type, "copy") == 0 ||
                   strcmp(n->type, "rename") == 0;
    bool removed = strcmp(n->type, "delete") == 0;
    if (!n->bucket || !n->key || (!created && !removed))
        return 0;
    sqlite3_stmt *st = stmt(c, created ? STMT_CLAIM_CREATED : STMT_CLAIM_REMOVED);
    if (!st)
        return SEAU_E_DB;
    sqlite__bind_text(st, 1, n->bucket);
    sqlite__bind_text(st, 2, n->key);
    sqlite3_bind_int64(st, 3, since);
    if (created)
        sqlite__bind_text(st, 4, n->etag);
    int r = sqlite3_step(st);
    int rc = 0;
    if (r == SQLITE_ROW)
        *ret_id = sqlite3_column_int64(st, 0);
    else if (r != SQLITE_DONE)
        rc = sqlite__fail(r);
    sqlite3_reset(st);
    *ret_created = created;
    return rc;
}

static int claim_become(struct sqlite__conn *c, int64_t id, bool created,
                        const struct db_notification *n)
{
    sqlite3_stmt *st = stmt(c, STMT_CLAIM_BECOME);
    if (!st)
        return SEAU_E_DB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, n->time);
    sqlite__bind_text(st, 3, n->type);
    sqlite__bind_text(st, 4, n->source);
    sqlite__bind_text(st, 5, n->from_key);
    bind_opt_int64(st, 6, n->size, -1);
    sqlite__bind_text(st, 7, n->etag);
    sqlite__bind_text(st, 8, n->actor);
    bind_opt_int64(st, 9, n->actor_id, 0);
    sqlite__bind_text(st, 10, n->message ? n->message : "");
    sqlite3_bind_int(st, 11, created);
    sqlite3_bind_int(st, 12, !created);
    return sqlite__exec(st);
}

int sqlite__notifications_insert(struct db *db, struct db_notification *n, size_t count,
                                 int64_t claim_since, bool *ret_claimed)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < count; i++) {
            int64_t id = 0;
            bool created = false;
            if (claim_since > 0)
                rc = claim_find(c, &n[i], claim_since, &created, &id);
            if (rc == 0 && id) {
                rc = claim_become(c, id, created, &n[i]);
                n[i].id = id;
            } else if (rc == 0) {
                rc = notification_insert_one(c, &n[i]);
            }
            if (ret_claimed)
                ret_claimed[i] = id != 0;
        }
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

/* One int64 from a single-row query bound to at most one int64; *ret = none for NULL. */
static int query_int64(struct sqlite__conn *c, enum stmt_id id, const int64_t *arg, int64_t none,
                       int64_t *ret)
{
    sqlite3_stmt *st = stmt(c, id);
    if (!st)
        return SEAU_E_DB;
    if (arg)
        sqlite3_bind_int64(st, 1, *arg);
    int r = sqlite3_step(st);
    int rc = 0;
    if (r == SQLITE_ROW)
        *ret = sqlite3_column_type(st, 0) == SQLITE_NULL ? none : sqlite3_column_int64(st, 0);
    else if (r == SQLITE_DONE)
        *ret = none;
    else
        rc = sqlite__fail(r);
    sqlite3_reset(st);
    return rc;
}

static int read_notification(sqlite3_stmt *st, struct db_notification *n)
{
    memset(n, 0, sizeof(*n));
    n->id = sqlite3_column_int64(st, 0);
    n->time = sqlite3_column_int64(st, 1);
    n->type = sqlite__dup_col(st, 2);
    n->source = sqlite__dup_col(st, 3);
    n->bucket = sqlite__dup_col(st, 4);
    n->key = sqlite__dup_col(st, 5);
    n->from_key = sqlite__dup_col(st, 6);
    n->size = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
    n->etag = sqlite__dup_col(st, 8);
    n->actor = sqlite__dup_col(st, 9);
    n->actor_id = sqlite3_column_int64(st, 10);
    n->target_user_id = sqlite3_column_int64(st, 11);
    n->message = sqlite__dup_col(st, 12);
    bool lost = !n->type || !n->source || !n->message ||
                (sqlite3_column_type(st, 4) != SQLITE_NULL && !n->bucket) ||
                (sqlite3_column_type(st, 5) != SQLITE_NULL && !n->key) ||
                (sqlite3_column_type(st, 6) != SQLITE_NULL && !n->from_key) ||
                (sqlite3_column_type(st, 8) != SQLITE_NULL && !n->etag) ||
                (sqlite3_column_type(st, 9) != SQLITE_NULL && !n->actor);
    return lost ? SEAU_E_NOMEM : 0;
}

int sqlite__notification_list(struct db *db, const struct db_notification_query *q,
                              struct db_notification **ret, size_t *ret_n)
{
    if (q->limit == 0 || q->limit > 1001 || q->nscopes > DB_SEARCH_SCOPES_MAX)
        return SEAU_E_VALIDATION;
    struct db_notification *rows = calloc(q->limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct note_scopes sc = {q->scopes, q->nscopes, q->unscoped};
    int64_t lo = q->after_id > 0 ? q->after_id : 0;
    int64_t hi = INT64_MAX;
    if (q->before_id > 0)
        hi = q->before_id - 1;
    if (q->upto_id > 0 && q->upto_id < hi)
        hi = q->upto_id;
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = 0;
    size_t n = 0;
    if (q->since > 0) {
        /* Every row at or after since has an id at or above the least such id: an exact bound. */
        int64_t first = 0;
        rc = query_int64(c, STMT_NOTIFY_MIN_SINCE, &q->since, INT64_MAX, &first);
        if (rc == 0 && first - 1 > lo)
            lo = first - 1;
    }
    sqlite3_stmt *st = rc == 0 && lo < hi ? stmt(c, STMT_NOTIFY_LIST) : NULL;
    if (rc == 0 && lo < hi && !st)
        rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, hi);
        sqlite3_bind_int64(st, 3, q->since);
        sqlite__bind_text(st, 4, q->type);
        sqlite3_bind_pointer(st, 5, &sc, NOTE_SCOPES_TYPE, NULL);
        sqlite3_bind_int64(st, 6, (int64_t)q->limit);
        while (rc == 0 && n < q->limit) {
            int r = sqlite3_step(st);
            if (r == SQLITE_DONE)
                break;
            if (r != SQLITE_ROW) {
                rc = sqlite__fail(r);
                break;
            }
            rc = read_notification(st, &rows[n++]);
        }
        sqlite3_reset(st);
        /* The pointer must not outlive sc. */
        sqlite3_clear_bindings(st);
    }
    sqlite__release(db, c);
    if (rc) {
        db_notifications_free(rows, n);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

int sqlite__notification_last_id(struct db *db, int64_t *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int64_t v = 0;
    int rc = query_int64(c, STMT_NOTIFY_LAST_ID, NULL, 0, &v);
    sqlite__release(db, c);
    if (rc == 0)
        *ret = v;
    return rc;
}

/* Whether a statement bound by bind() returns a row; *ret_id gets its first column. */
static int s3_exists(sqlite3_stmt *st, bool *ret, int64_t *ret_id)
{
    if (!st)
        return SEAU_E_DB;
    int r = sqlite3_step(st);
    int rc = 0;
    if (r == SQLITE_ROW) {
        *ret = true;
        if (ret_id)
            *ret_id = sqlite3_column_int64(st, 0);
    } else if (r == SQLITE_DONE) {
        *ret = false;
    } else {
        rc = sqlite__fail(r);
    }
    sqlite3_reset(st);
    return rc;
}

/* The three questions of db_s3_check, on a held connection. */
static int s3_check(struct sqlite__conn *c, const struct db_s3_event *e, struct db_s3_check *ret)
{
    struct db_s3_check out = {0};
    sqlite3_stmt *st = stmt(c, STMT_S3_SEEN_GET);
    if (st) {
        sqlite__bind_text(st, 1, e->bucket);
        sqlite__bind_text(st, 2, e->key);
        sqlite__bind_text(st, 3, e->dedupe);
    }
    int rc = s3_exists(st, &out.seen, NULL);
    if (rc == 0 && e->sequencer) {
        st = stmt(c, STMT_S3_SEEN_NEWER);
        if (st) {
            sqlite__bind_text(st, 1, e->bucket);
            sqlite__bind_text(st, 2, e->key);
            sqlite__bind_text(st, 3, e->sequencer);
        }
        rc = s3_exists(st, &out.stale, NULL);
    }
    if (rc == 0) {
        st = stmt(c, e->change == DB_S3_CREATED ? STMT_S3_MERGE_CREATED : STMT_S3_MERGE_REMOVED);
        if (st) {
            sqlite__bind_text(st, 1, e->bucket);
            sqlite__bind_text(st, 2, e->key);
            sqlite3_bind_int64(st, 3, e->merge_since);
            if (e->change == DB_S3_CREATED)
                sqlite__bind_text(st, 4, e->etag);
        }
        bool found = false;
        rc = s3_exists(st, &found, &out.merge_id);
        if (!found)
            out.merge_id = 0;
    }
    if (rc == 0)
        *ret = out;
    return rc;
}

int sqlite__notification_s3_check(struct db *db, const struct db_s3_event *e,
                                  struct db_s3_check *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = s3_check(c, e, ret);
    sqlite__release(db, c);
    return rc;
}

int sqlite__notification_s3_ingest(struct db *db, const struct db_s3_event *e,
                                   struct db_notification *n, enum db_s3_outcome *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc) {
        sqlite__release(db, c);
        return rc;
    }
    enum db_s3_outcome outcome = DB_S3_DUPLICATE;
    sqlite3_stmt *st = stmt(c, STMT_S3_SEEN_INSERT);
    if (st) {
        sqlite__bind_text(st, 1, e->bucket);
        sqlite__bind_text(st, 2, e->key);
        sqlite__bind_text(st, 3, e->dedupe);
        sqlite__bind_text(st, 4, e->sequencer);
        sqlite3_bind_int64(st, 5, e->now);
    }
    rc = sqlite__exec(st);
    bool fresh = rc == 0 && sqlite3_changes(c->handle) == 1;
    struct db_s3_check check = {0};
    if (fresh)
        rc = s3_check(c, e, &check);
    if (fresh && rc == 0 && check.merge_id) {
        st = stmt(c, e->change == DB_S3_CREATED ? STMT_S3_MARK_CREATED : STMT_S3_MARK_REMOVED);
        if (st)
            sqlite3_bind_int64(st, 1, check.merge_id);
        rc = sqlite__exec(st);
        outcome = DB_S3_MERGED;
    } else if (fresh && rc == 0) {
        n->bucket = (char *)e->bucket;
        n->key = (char *)e->key;
        rc = notification_insert_one(c, n);
        outcome = DB_S3_INSERTED;
    }
    rc = sqlite__tx_end(c, rc);
    sqlite__release(db, c);
    if (rc)
        return rc;
    if (outcome == DB_S3_MERGED)
        n->id = check.merge_id;
    *ret = outcome;
    return 0;
}

int sqlite__notification_purge(struct db *db, int64_t before, int64_t *ret_n)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    int64_t n = 0;
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_NOTIFY_PURGE);
        if (st)
            sqlite3_bind_int64(st, 1, before);
        rc = sqlite__exec(st);
        n = sqlite3_changes(c->handle);
        if (rc == 0) {
            st = stmt(c, STMT_S3_SEEN_PURGE);
            if (st)
                sqlite3_bind_int64(st, 1, before);
            rc = sqlite__exec(st);
        }
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    if (rc == 0 && ret_n)
        *ret_n = n;
    return rc;
}
