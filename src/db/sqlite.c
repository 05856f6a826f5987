/*
 * The SQLite store: the embedded default, one file under ./data.
 *
 * A fixed pool of connections lets HTTP threads read in parallel (WAL mode:
 * readers never block the writer). Each connection prepares each statement
 * once, on first use, and keeps it. Writes take the write lock up front
 * (BEGIN IMMEDIATE) so a transaction never fails half way on a lock upgrade.
 * Everything SQLite-specific stays in this file.
 */
#include "core/embed.h"
#include "core/err.h"
#include "db/db.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 5000
#define MIGRATIONS_DIR "src/db/migrations/sqlite/"

#define USER_COLS "id, email, name, role, password_hash, disabled, created_at, last_login_at"
#define OBJECT_COLS                                                                                \
    "o.bucket, o.key, o.size, o.etag, o.last_modified, o.content_type, o.kind, o.uploaded_by, "    \
    "o.indexed_at"
/* What a delete of index rows returns: for the trigram index, then for the kept totals. */
#define DELETED_COLS "RETURNING rowid, key, bucket, size, kind, last_modified"
#define AUDIT_COLS                                                                                 \
    "id, time, user_id, user_email, action, bucket, key, ip, user_agent, status, details, "        \
    "prev_hash, hash"

/* Upload sessions (files/uploads.c); listed apart so their block stays together. */
#define UPLOAD_COLS                                                                                \
    "id, user_id, bucket, key, s3_upload_id, single, size, content_type, part_size, created_at, "  \
    "busy_until"
#define UPLOAD_STATEMENTS(X)                                                                       \
    X(UPLOAD_COUNT_USER, "SELECT count(*) FROM upload_sessions WHERE user_id = ?1")                \
    X(UPLOAD_INSERT, "INSERT INTO upload_sessions (" UPLOAD_COLS ") "                              \
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)")                        \
    X(UPLOAD_GET, "SELECT " UPLOAD_COLS " FROM upload_sessions WHERE id = ?1")                     \
    X(UPLOAD_CLAIM, "UPDATE upload_sessions SET busy_until = ?3 WHERE id = ?1 AND busy_until <= ?2") \
    X(UPLOAD_RELEASE, "UPDATE upload_sessions SET busy_until = 0 WHERE id = ?1")                   \
    X(UPLOAD_DELETE, "DELETE FROM upload_sessions WHERE id = ?1")                                  \
    X(UPLOAD_STALE, "SELECT " UPLOAD_COLS " FROM upload_sessions WHERE created_at < ?1 "           \
                    "AND busy_until <= ?2 ORDER BY created_at, id LIMIT ?3")

/* Object views (stats, sorted levels); listed apart so their block stays together. */
#define LEVEL_SQL(order_col, cmp, dir)                                                             \
    "SELECT " OBJECT_COLS ", o.rowid FROM objects o WHERE o.bucket = ?1 AND o.parent = ?2 "        \
    "AND o.key >= ?3 AND (?4 IS NULL OR o.key < ?4) AND o.key <> ?2 "                              \
    "AND (o." order_col ", o.rowid) " cmp " (?5, ?6) "                                             \
    "ORDER BY o." order_col " " dir ", o.rowid " dir " LIMIT ?7"
#define VIEW_STATEMENTS(X)                                                                         \
    X(TOTALS_BUCKET, "SELECT kind, objects, bytes FROM object_totals "                             \
                     "WHERE bucket = ?1 AND objects > 0")                                          \
    /* One pass over a prefix's range: by kind, and by day within the window (-1 outside). */  \
    X(TOTALS_RANGE, "SELECT kind, CASE WHEN last_modified >= ?4 AND last_modified < ?5 "            \
                    "THEN last_modified / 86400000 ELSE -1 END, count(*), coalesce(sum(size), 0) " \
                    "FROM objects WHERE bucket = ?1 AND key >= ?2 AND key < ?3 GROUP BY 1, 2")     \
    X(DAYS_BUCKET, "SELECT day, objects, bytes FROM object_days WHERE bucket = ?1 "                \
                   "AND day >= ?4 / 86400000 AND day < ?5 / 86400000 AND objects > 0")             \
    X(TOTALS_ADD, "INSERT INTO object_totals (bucket, kind, objects, bytes) VALUES (?1, ?2, ?3, ?4) " \
                  "ON CONFLICT (bucket, kind) DO UPDATE SET objects = objects + excluded.objects, " \
                  "bytes = bytes + excluded.bytes")                                                \
    X(DAYS_ADD, "INSERT INTO object_days (bucket, day, objects, bytes) VALUES (?1, ?2, ?3, ?4) "   \
                "ON CONFLICT (bucket, day) DO UPDATE SET objects = objects + excluded.objects, "   \
                "bytes = bytes + excluded.bytes")                                                  \
    X(OBJECT_OLD, "SELECT size, kind, last_modified FROM objects WHERE bucket = ?1 AND key = ?2")  \
    X(LEVEL_SIZE_ASC, LEVEL_SQL("size", ">", "ASC"))                                               \
    X(LEVEL_SIZE_DESC, LEVEL_SQL("size", "<", "DESC"))                                             \
    X(LEVEL_MODIFIED_ASC, LEVEL_SQL("last_modified", ">", "ASC"))                                  \
    X(LEVEL_MODIFIED_DESC, LEVEL_SQL("last_modified", "<", "DESC"))                                \
    /* The next parent in a range: the upper bound stays a plain term (no "?3 IS NULL OR"), so  \
     * the index range ends there and a level without subfolders costs one probe. */            \
    X(FOLDER_NEXT_GE, "SELECT parent FROM objects WHERE bucket = ?1 AND parent >= ?2 "             \
                      "AND parent < ?3 ORDER BY parent LIMIT 1")                                   \
    X(FOLDER_NEXT_GT, "SELECT parent FROM objects WHERE bucket = ?1 AND parent > ?2 "              \
                      "AND parent < ?3 ORDER BY parent LIMIT 1")                                   \
    X(FOLDER_NEXT_GE_OPEN, "SELECT parent FROM objects WHERE bucket = ?1 AND parent >= ?2 "        \
                           "ORDER BY parent LIMIT 1")                                              \
    X(FOLDER_NEXT_GT_OPEN, "SELECT parent FROM objects WHERE bucket = ?1 AND parent > ?2 "         \
                           "ORDER BY parent LIMIT 1")                                              \
    X(AUDIT_ACTIVE_USERS, "SELECT count(DISTINCT user_id) FROM audit_log WHERE time >= ?1 "        \
                          "AND user_id > 0 AND (?2 IS NULL OR bucket = ?2)")

/* Share links (files/shares.c); listed apart so their block stays together. */
#define SHARE_COLS                                                                                 \
    "s.seq, s.id, s.token_hash, s.bucket, s.key, s.created_by, u.email, s.created_at, "            \
    "s.expires_at, s.password_hash, s.max_downloads, s.downloads, s.revoked_at "                   \
    "FROM shares s LEFT JOIN users u ON u.id = s.created_by "
#define SHARE_STATEMENTS(X)                                                                        \
    X(SHARE_INSERT, "INSERT INTO shares (id, token_hash, bucket, key, created_by, created_at, "    \
                    "expires_at, password_hash, max_downloads) "                                   \
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                                 \
    X(SHARE_GET, "SELECT " SHARE_COLS "WHERE s.id = ?1")                                           \
    X(SHARE_GET_TOKEN, "SELECT " SHARE_COLS "WHERE s.token_hash = ?1")                             \
    /* Two listings, so each walks an index newest first: all shares, or one creator's. */       \
    X(SHARE_LIST_ALL, "SELECT " SHARE_COLS "WHERE s.revoked_at IS NULL "                           \
                      "AND (?1 = 0 OR s.seq < ?1) AND (?3 IS NULL OR s.bucket = ?3) "              \
                      "ORDER BY s.seq DESC LIMIT ?4")                                              \
    X(SHARE_LIST_USER, "SELECT " SHARE_COLS "WHERE s.created_by = ?2 AND s.revoked_at IS NULL "    \
                       "AND (?1 = 0 OR s.seq < ?1) AND (?3 IS NULL OR s.bucket = ?3) "             \
                       "ORDER BY s.seq DESC LIMIT ?4")                                             \
    X(SHARE_REVOKE, "UPDATE shares SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")      \
    X(SHARE_COUNT, "UPDATE shares SET downloads = downloads + 1 WHERE id = ?1 "                    \
                   "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2) "           \
                   "AND (max_downloads IS NULL OR downloads < max_downloads)")                     \
    X(SHARE_EXISTS, "SELECT 1 FROM shares WHERE id = ?1")

/* Notifications (events/); listed apart so their block stays together. */
#define NOTIFY_COLS                                                                                \
    "id, time, type, source, bucket, key, from_key, size, etag, actor, actor_id, "                \
    "target_user_id, message"
#define NOTIFY_STATEMENTS(X)                                                                       \
    X(NOTIFY_INSERT, "INSERT INTO notifications (time, type, source, bucket, key, from_key, "      \
                     "size, etag, actor, actor_id, target_user_id, message) "                      \
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")                 \
    /* Walks the rowid down from ?2: the scopes filter in C (seau_note_visible). */               \
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
    X(CLAIM_BECOME, "UPDATE notifications SET time = ?2, type = ?3, source = ?4, from_key = ?5, "  \
                    "size = coalesce(?6, size), etag = coalesce(?7, etag), actor = ?8, "           \
                    "actor_id = ?9, target_user_id = NULL, message = ?10, "                        \
                    "s3_created = s3_created OR ?11, s3_removed = s3_removed OR ?12 WHERE id = ?1")

/* Every statement this store runs; prepared once per connection. */
#define SQLITE_STATEMENTS(X)                                                                       \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                    \
    X(BEGIN_READ, "BEGIN")                                                                         \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")                                                                        \
    X(PING, "SELECT 1")                                                                            \
    X(USER_COUNT, "SELECT count(*) FROM users")                                                    \
    X(ADMIN_COUNT, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0")             \
    X(USER_INSERT, "INSERT INTO users (email, name, role, password_hash, disabled, created_at) "    \
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                              \
    X(USER_GET, "SELECT " USER_COLS " FROM users WHERE id = ?1")                                   \
    X(USER_GET_EMAIL, "SELECT " USER_COLS " FROM users WHERE email = ?1")                          \
    X(USER_LIST, "SELECT " USER_COLS " FROM users ORDER BY id")                                    \
    X(USER_UPDATE, "UPDATE users SET name = ?2, role = ?3, password_hash = ?4, disabled = ?5 "     \
                   "WHERE id = ?1")                                                                \
    X(USER_LAST_LOGIN, "UPDATE users SET last_login_at = ?2 WHERE id = ?1")                        \
    X(USER_DELETE, "DELETE FROM users WHERE id = ?1")                                              \
    X(SESSION_INSERT, "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, "      \
                      "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)")                                   \
    X(SESSION_GET, "SELECT s.user_id, s.created_at, s.last_seen_at, s.expires_at, u.id, u.email, " \
                   "u.name, u.role, u.password_hash, u.disabled, u.created_at, u.last_login_at "   \
                   "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1")     \
    X(SESSION_TOUCH, "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1")                \
    X(SESSION_DELETE, "DELETE FROM sessions WHERE token_hash = ?1")                                \
    X(SESSION_DELETE_USER, "DELETE FROM sessions WHERE user_id = ?1")                              \
    X(SESSION_DELETE_OTHERS, "DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2")       \
    X(SESSION_PURGE, "DELETE FROM sessions WHERE last_seen_at < ?1 OR expires_at <= ?2")           \
    X(GRANTS_GET, "SELECT bucket, prefix FROM grants WHERE user_id = ?1 ORDER BY bucket, prefix")  \
    X(GRANTS_DELETE, "DELETE FROM grants WHERE user_id = ?1")                                      \
    X(GRANTS_INSERT, "INSERT OR IGNORE INTO grants (user_id, bucket, prefix) VALUES (?1, ?2, ?3)") \
    X(AUDIT_LAST, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")                       \
    X(AUDIT_INSERT, "INSERT INTO audit_log (" AUDIT_COLS ") "                                      \
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")             \
    X(AUDIT_LIST,                                                                                  \
      "SELECT " AUDIT_COLS " FROM audit_log WHERE (?1 = 0 OR id < ?1) "                            \
      "AND (?2 = 0 OR user_id = ?2) AND (?3 IS NULL OR user_email = ?3 COLLATE NOCASE) "           \
      "AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR bucket = ?5) "                           \
      "AND (?6 = 0 OR time >= ?6) AND (?7 = 0 OR time < ?7) ORDER BY id DESC LIMIT ?8")            \
    X(AUDIT_WALK, "SELECT " AUDIT_COLS " FROM audit_log ORDER BY id")                              \
    X(THROTTLE_GET, "SELECT failures, window_start FROM login_throttle WHERE key = ?1")            \
    X(THROTTLE_UPSERT,                                                                             \
      "INSERT INTO login_throttle (key, failures, window_start) VALUES (?1, 1, ?2) "               \
      "ON CONFLICT (key) DO UPDATE SET "                                                           \
      "failures = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE failures + 1 END, "                \
      "window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END "            \
      "RETURNING failures, window_start")                                                          \
    X(THROTTLE_CLEAR, "DELETE FROM login_throttle WHERE key = ?1")                                 \
    X(THROTTLE_PURGE, "DELETE FROM login_throttle WHERE window_start <= ?1")                       \
    X(MIGRATION_VERSION, "SELECT coalesce(max(version), 0) FROM schema_migrations")                \
    X(MIGRATION_RECORD, "INSERT INTO schema_migrations (version, name, applied_at) "               \
                        "VALUES (?1, ?2, ?3)")                                                          \
    X(OBJECT_INSERT,                                                                               \
      "INSERT OR IGNORE INTO objects (bucket, key, size, etag, last_modified, content_type, kind, " \
      "uploaded_by, indexed_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)")         \
    X(OBJECT_UPSERT,                                                                               \
      "INSERT INTO objects (bucket, key, size, etag, last_modified, content_type, kind, "          \
      "uploaded_by, indexed_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "         \
      "ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, "       \
      "last_modified = excluded.last_modified, content_type = excluded.content_type, "             \
      "kind = excluded.kind, uploaded_by = excluded.uploaded_by, "                                 \
      "indexed_at = excluded.indexed_at, seen_at = max(seen_at, excluded.seen_at)")                \
    X(OBJECT_GET, "SELECT " OBJECT_COLS " FROM objects o WHERE o.bucket = ?1 AND o.key = ?2")      \
    X(OBJECT_DELETE, "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 " DELETED_COLS)           \
    X(OBJECT_DELETE_RANGE,                                                                         \
      "DELETE FROM objects WHERE bucket = ?1 AND key >= ?2 AND (?3 IS NULL OR key < ?3) "         \
      DELETED_COLS)                                                                                \
    X(OBJECT_SYNC_SAME, "UPDATE objects SET seen_at = max(seen_at, ?6) WHERE bucket = ?1 "         \
                        "AND key = ?2 AND size = ?3 AND etag IS ?4 AND last_modified = ?5")        \
    /* A row Seau wrote after the walk began (seen_at > ?7) is newer than the listing. */         \
    X(OBJECT_SYNC_CHANGE,                                                                          \
      "UPDATE objects SET size = ?3, etag = ?4, last_modified = ?5, content_type = NULL, "          \
      "kind = ?6, uploaded_by = NULL, indexed_at = ?7, seen_at = ?7 "                              \
      "WHERE bucket = ?1 AND key = ?2 AND seen_at <= ?7")                                          \
    X(OBJECT_SYNC_ADD,                                                                             \
      "INSERT OR IGNORE INTO objects (bucket, key, size, etag, last_modified, content_type, "      \
      "kind, uploaded_by, indexed_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, NULL, ?7, ?7)") \
    X(OBJECT_SWEEP, "DELETE FROM objects WHERE bucket = ?1 AND seen_at < ?2 " DELETED_COLS)        \
    X(FTS_INSERT, "INSERT INTO objects_fts (rowid, key) VALUES (?1, ?2)")                          \
    X(FTS_DELETE, "INSERT INTO objects_fts (objects_fts, rowid, key) VALUES ('delete', ?1, ?2)")   \
    X(OBJECT_FTS_COUNT, "SELECT count(*) FROM (SELECT 1 FROM objects_fts "                         \
                        "WHERE objects_fts MATCH ?1 LIMIT ?2)")                                                 \
    UPLOAD_STATEMENTS(X)                                                                           \
    VIEW_STATEMENTS(X)                                                                             \
    SHARE_STATEMENTS(X)                                                                            \
    NOTIFY_STATEMENTS(X)

enum stmt_id {
#define STMT_ENUM(name, sql) STMT_##name,
    SQLITE_STATEMENTS(STMT_ENUM)
#undef STMT_ENUM
        STMT_COUNT
};

static const char *const stmt_sql[] = {
#define STMT_SQL(name, sql) sql,
    SQLITE_STATEMENTS(STMT_SQL)
#undef STMT_SQL
};

struct conn {
    sqlite3 *handle;
    sqlite3_stmt *stmts[STMT_COUNT];
};

struct sqlite_store {
    pthread_mutex_t lock;
    pthread_cond_t available;
    struct conn *conns;
    size_t nconns;
    size_t *free_stack; /* indexes of idle connections */
    size_t nfree;
};

static struct sqlite_store *store_of(struct db *db)
{
    return db->impl;
}

/* Borrows an idle connection, waiting for one when all are busy. */
static struct conn *conn_acquire(struct db *db)
{
    struct sqlite_store *s = store_of(db);
    pthread_mutex_lock(&s->lock);
    while (s->nfree == 0)
        pthread_cond_wait(&s->available, &s->lock);
    struct conn *c = &s->conns[s->free_stack[--s->nfree]];
    pthread_mutex_unlock(&s->lock);
    return c;
}

static void conn_release(struct db *db, struct conn *c)
{
    struct sqlite_store *s = store_of(db);
    pthread_mutex_lock(&s->lock);
    s->free_stack[s->nfree++] = (size_t)(c - s->conns);
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
}

static int map_rc(int rc)
{
    switch (rc & 0xFF) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_CONSTRAINT:
        return SEAU_E_CONFLICT;
    case SQLITE_NOMEM:
        return SEAU_E_NOMEM;
    case SQLITE_TOOBIG:
        return SEAU_E_TOO_LARGE;
    default:
        return SEAU_E_DB;
    }
}

/* The statement, reset and with its bindings cleared; NULL when it cannot be prepared. */
static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
    sqlite3_stmt *st = c->stmts[id];
    if (!st) {
        if (sqlite3_prepare_v3(c->handle, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
            SQLITE_OK)
            return NULL;
        c->stmts[id] = st;
    } else {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    return st;
}

/* Runs a statement that returns no rows (or ignores them). */
static int exec_stmt(sqlite3_stmt *st)
{
    if (!st)
        return SEAU_E_DB;
    int rc = sqlite3_step(st);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    int err = map_rc(rc);
    sqlite3_reset(st);
    return err;
}

static int exec_id(struct conn *c, enum stmt_id id)
{
    return exec_stmt(stmt(c, id));
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, outlen, "%s", t ? (const char *)t : "");
}

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t)
        return NULL;
    return strdup((const char *)t);
}

static void read_user(sqlite3_stmt *st, int base, struct db_user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, base + 0);
    copy_col(st, base + 1, u->email, sizeof(u->email));
    copy_col(st, base + 2, u->name, sizeof(u->name));
    copy_col(st, base + 3, u->role, sizeof(u->role));
    copy_col(st, base + 4, u->password_hash, sizeof(u->password_hash));
    u->disabled = sqlite3_column_int(st, base + 5) != 0;
    u->created_at = sqlite3_column_int64(st, base + 6);
    u->last_login_at = sqlite3_column_int64(st, base + 7);
}

static int tx_begin(struct conn *c)
{
    return exec_id(c, STMT_BEGIN);
}

/* Commits when rc is 0, else rolls back; returns the first error. */
static int tx_end(struct conn *c, int rc)
{
    if (rc == 0) {
        rc = exec_id(c, STMT_COMMIT);
        if (rc == 0)
            return 0;
    }
    exec_id(c, STMT_ROLLBACK);
    return rc;
}

/* Appends and seals an audit entry; the caller holds the write transaction. */
static int audit_insert(struct db *db, struct conn *c, struct db_audit_entry *e)
{
    static const char zero_hash[65] =
        "0000000000000000000000000000000000000000000000000000000000000000";
    char prev[65];
    int64_t last_id = 0;
    sqlite3_stmt *st = stmt(c, STMT_AUDIT_LAST);
    if (!st)
        return SEAU_E_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        last_id = sqlite3_column_int64(st, 0);
        copy_col(st, 1, prev, sizeof(prev));
    } else if (rc == SQLITE_DONE) {
        memcpy(prev, zero_hash, sizeof(prev));
    } else {
        sqlite3_reset(st);
        return map_rc(rc);
    }
    sqlite3_reset(st);
    e->id = last_id + 1;
    db->seal(prev, e);
    st = stmt(c, STMT_AUDIT_INSERT);
    if (!st)
        return SEAU_E_DB;
    sqlite3_bind_int64(st, 1, e->id);
    sqlite3_bind_int64(st, 2, e->time);
    if (e->user_id)
        sqlite3_bind_int64(st, 3, e->user_id);
    bind_text(st, 4, e->user_email);
    bind_text(st, 5, e->action);
    bind_text(st, 6, e->bucket);
    bind_text(st, 7, e->key);
    bind_text(st, 8, e->ip);
    bind_text(st, 9, e->user_agent);
    bind_text(st, 10, e->status);
    bind_text(st, 11, e->details ? e->details : "{}");
    bind_text(st, 12, e->prev_hash);
    bind_text(st, 13, e->hash);
    return exec_stmt(st);
}

static int maybe_audit(struct db *db, struct conn *c, int rc, struct db_audit_entry *audit)
{
    if (rc == 0 && audit)
        rc = audit_insert(db, c, audit);
    return rc;
}

/* Refuses a change that would leave no enabled admin (checked inside the transaction). */
static int check_admin_remains(struct conn *c)
{
    sqlite3_stmt *st = stmt(c, STMT_ADMIN_COUNT);
    if (!st)
        return SEAU_E_DB;
    int rc = sqlite3_step(st);
    int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (n < 0)
        return map_rc(rc);
    return n > 0 ? 0 : SEAU_E_CONFLICT;
}

static int count_query(struct db *db, enum stmt_id id, int64_t *ret)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, id);
    int rc = SEAU_E_DB;
    if (st) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *ret = sqlite3_column_int64(st, 0);
            rc = 0;
        } else {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
        }
        sqlite3_reset(st);
    }
    conn_release(db, c);
    return rc;
}

static int sq_ping(struct db *db)
{
    int64_t one = 0;
    return count_query(db, STMT_PING, &one);
}

static int sq_user_count(struct db *db, int64_t *ret)
{
    return count_query(db, STMT_USER_COUNT, ret);
}

static int sq_user_insert(struct db *db, struct db_user *u, struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_USER_INSERT);
        if (!st) {
            rc = SEAU_E_DB;
        } else {
            bind_text(st, 1, u->email);
            bind_text(st, 2, u->name);
            bind_text(st, 3, u->role);
            bind_text(st, 4, u->password_hash);
            sqlite3_bind_int(st, 5, u->disabled);
            sqlite3_bind_int64(st, 6, u->created_at);
            rc = exec_stmt(st);
            if (rc == 0)
                u->id = sqlite3_last_insert_rowid(c->handle);
        }
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int get_user_by(struct db *db, enum stmt_id id, int64_t key_id, const char *key_email,
                       struct db_user *ret)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, id);
    int rc = SEAU_E_DB;
    if (st) {
        if (key_email)
            bind_text(st, 1, key_email);
        else
            sqlite3_bind_int64(st, 1, key_id);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            read_user(st, 0, ret);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : map_rc(r);
        }
        sqlite3_reset(st);
    }
    conn_release(db, c);
    return rc;
}

static int sq_user_get(struct db *db, int64_t id, struct db_user *ret)
{
    return get_user_by(db, STMT_USER_GET, id, NULL, ret);
}

static int sq_user_get_by_email(struct db *db, const char *email, struct db_user *ret)
{
    return get_user_by(db, STMT_USER_GET_EMAIL, 0, email, ret);
}

static int sq_user_list(struct db *db, struct db_user **ret, size_t *ret_n)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_USER_LIST);
    struct db_user *users = NULL;
    size_t n = 0, cap = 0;
    int rc = st ? 0 : SEAU_E_DB;
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct db_user *p = realloc(users, ncap * sizeof(*p));
            if (!p) {
                rc = SEAU_E_NOMEM;
                break;
            }
            users = p;
            cap = ncap;
        }
        read_user(st, 0, &users[n++]);
    }
    if (st)
        sqlite3_reset(st);
    conn_release(db, c);
    if (rc) {
        free(users);
        return rc;
    }
    *ret = users;
    *ret_n = n;
    return 0;
}

static int sq_user_update(struct db *db, const struct db_user *u, enum db_revoke revoke,
                          const unsigned char *keep_token_hash, struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_USER_UPDATE);
        if (!st) {
            rc = SEAU_E_DB;
        } else {
            sqlite3_bind_int64(st, 1, u->id);
            bind_text(st, 2, u->name);
            bind_text(st, 3, u->role);
            bind_text(st, 4, u->password_hash);
            sqlite3_bind_int(st, 5, u->disabled);
            rc = exec_stmt(st);
            if (rc == 0 && sqlite3_changes(c->handle) == 0)
                rc = SEAU_E_NOT_FOUND;
        }
        if (rc == 0)
            rc = check_admin_remains(c);
        if (rc == 0 && revoke == DB_REVOKE_ALL) {
            st = stmt(c, STMT_SESSION_DELETE_USER);
            if (st)
                sqlite3_bind_int64(st, 1, u->id);
            rc = exec_stmt(st);
        } else if (rc == 0 && revoke == DB_REVOKE_OTHERS) {
            st = stmt(c, STMT_SESSION_DELETE_OTHERS);
            if (st) {
                sqlite3_bind_int64(st, 1, u->id);
                sqlite3_bind_blob(st, 2, keep_token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            }
            rc = exec_stmt(st);
        }
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_user_delete(struct db *db, int64_t id, struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_USER_DELETE);
        if (st)
            sqlite3_bind_int64(st, 1, id);
        rc = exec_stmt(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0)
            rc = SEAU_E_NOT_FOUND;
        if (rc == 0)
            rc = check_admin_remains(c);
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_session_create(struct db *db, const struct db_session *s,
                             struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_SESSION_INSERT);
        if (st) {
            sqlite3_bind_blob(st, 1, s->token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, s->user_id);
            sqlite3_bind_int64(st, 3, s->created_at);
            sqlite3_bind_int64(st, 4, s->last_seen_at);
            sqlite3_bind_int64(st, 5, s->expires_at);
        }
        rc = exec_stmt(st);
        if (rc == 0) {
            st = stmt(c, STMT_USER_LAST_LOGIN);
            if (st) {
                sqlite3_bind_int64(st, 1, s->user_id);
                sqlite3_bind_int64(st, 2, s->created_at);
            }
            rc = exec_stmt(st);
        }
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                          struct db_user *ret_u)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_SESSION_GET);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_blob(st, 1, token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            memcpy(ret_s->token_hash, token_hash, DB_TOKEN_HASH_LEN);
            ret_s->user_id = sqlite3_column_int64(st, 0);
            ret_s->created_at = sqlite3_column_int64(st, 1);
            ret_s->last_seen_at = sqlite3_column_int64(st, 2);
            ret_s->expires_at = sqlite3_column_int64(st, 3);
            read_user(st, 4, ret_u);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : map_rc(r);
        }
        sqlite3_reset(st);
    }
    conn_release(db, c);
    return rc;
}

static int exec_hash_stmt(struct db *db, enum stmt_id id, const unsigned char *hash, int64_t n,
                          bool bind_n, struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = audit ? tx_begin(c) : 0;
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, id);
        if (st) {
            sqlite3_bind_blob(st, 1, hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            if (bind_n)
                sqlite3_bind_int64(st, 2, n);
        }
        rc = exec_stmt(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 0)
            rc = SEAU_E_NOT_FOUND;
        if (audit) {
            rc = maybe_audit(db, c, rc, audit);
            rc = tx_end(c, rc);
        }
    }
    conn_release(db, c);
    return rc;
}

static int sq_session_touch(struct db *db, const unsigned char *token_hash, int64_t now)
{
    return exec_hash_stmt(db, STMT_SESSION_TOUCH, token_hash, now, true, NULL);
}

static int sq_session_delete(struct db *db, const unsigned char *token_hash,
                             struct db_audit_entry *audit)
{
    return exec_hash_stmt(db, STMT_SESSION_DELETE, token_hash, 0, false, audit);
}

static int sq_session_purge(struct db *db, int64_t idle_before, int64_t now)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_SESSION_PURGE);
    if (st) {
        sqlite3_bind_int64(st, 1, idle_before);
        sqlite3_bind_int64(st, 2, now);
    }
    int rc = exec_stmt(st);
    conn_release(db, c);
    return rc;
}

static int sq_grants_get(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_GRANTS_GET);
    struct db_grant *g = NULL;
    size_t n = 0, cap = 0;
    int rc = st ? 0 : SEAU_E_DB;
    if (st)
        sqlite3_bind_int64(st, 1, user_id);
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct db_grant *p = realloc(g, ncap * sizeof(*p));
            if (!p) {
                rc = SEAU_E_NOMEM;
                break;
            }
            g = p;
            cap = ncap;
        }
        copy_col(st, 0, g[n].bucket, sizeof(g[n].bucket));
        copy_col(st, 1, g[n].prefix, sizeof(g[n].prefix));
        n++;
    }
    if (st)
        sqlite3_reset(st);
    conn_release(db, c);
    if (rc) {
        free(g);
        return rc;
    }
    *ret = g;
    *ret_n = n;
    return 0;
}

static int sq_grants_set(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                         struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_GRANTS_DELETE);
        if (st)
            sqlite3_bind_int64(st, 1, user_id);
        rc = exec_stmt(st);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            st = stmt(c, STMT_GRANTS_INSERT);
            if (st) {
                sqlite3_bind_int64(st, 1, user_id);
                bind_text(st, 2, g[i].bucket);
                bind_text(st, 3, g[i].prefix);
            }
            rc = exec_stmt(st);
        }
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_audit_append(struct db *db, struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        rc = audit_insert(db, c, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int read_audit(sqlite3_stmt *st, struct db_audit_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(st, 0);
    e->time = sqlite3_column_int64(st, 1);
    e->user_id = sqlite3_column_int64(st, 2);
    e->user_email = dup_col(st, 3);
    e->action = dup_col(st, 4);
    e->bucket = dup_col(st, 5);
    e->key = dup_col(st, 6);
    e->ip = dup_col(st, 7);
    e->user_agent = dup_col(st, 8);
    e->status = dup_col(st, 9);
    e->details = dup_col(st, 10);
    copy_col(st, 11, e->prev_hash, sizeof(e->prev_hash));
    copy_col(st, 12, e->hash, sizeof(e->hash));
    /* NOT NULL columns that came back NULL mean out of memory. */
    if (!e->action || !e->status || !e->details)
        return SEAU_E_NOMEM;
    return 0;
}

static int sq_audit_list(struct db *db, const struct db_audit_filter *f,
                         struct db_audit_entry **ret, size_t *ret_n)
{
    struct db_audit_entry *entries = calloc(f->limit ? f->limit : 1, sizeof(*entries));
    if (!entries)
        return SEAU_E_NOMEM;
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_AUDIT_LIST);
    size_t n = 0;
    int rc = st ? 0 : SEAU_E_DB;
    if (st) {
        sqlite3_bind_int64(st, 1, f->before_id);
        sqlite3_bind_int64(st, 2, f->user_id);
        bind_text(st, 3, f->user_email);
        bind_text(st, 4, f->action);
        bind_text(st, 5, f->bucket);
        sqlite3_bind_int64(st, 6, f->since);
        sqlite3_bind_int64(st, 7, f->until);
        sqlite3_bind_int64(st, 8, (int64_t)f->limit);
    }
    while (rc == 0 && n < f->limit) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
            break;
        }
        rc = read_audit(st, &entries[n++]);
    }
    if (st)
        sqlite3_reset(st);
    conn_release(db, c);
    if (rc) {
        db_audit_entries_free(entries, n);
        return rc;
    }
    *ret = entries;
    *ret_n = n;
    return 0;
}

static int sq_audit_walk(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e),
                         void *ctx)
{
    struct conn *c = conn_acquire(db);
    /* One read transaction: the walk sees a consistent snapshot while writers go on. */
    int rc = exec_id(c, STMT_BEGIN_READ);
    sqlite3_stmt *st = rc == 0 ? stmt(c, STMT_AUDIT_WALK) : NULL;
    if (rc == 0 && !st)
        rc = SEAU_E_DB;
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
            break;
        }
        struct db_audit_entry e;
        rc = read_audit(st, &e);
        if (rc == 0)
            rc = fn(ctx, &e);
        free(e.user_email);
        free(e.action);
        free(e.bucket);
        free(e.key);
        free(e.ip);
        free(e.user_agent);
        free(e.status);
        free(e.details);
    }
    if (st)
        sqlite3_reset(st);
    exec_id(c, STMT_ROLLBACK);
    conn_release(db, c);
    return rc;
}

static int sq_throttle_get(struct db *db, const char *key, struct db_throttle *ret)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_THROTTLE_GET);
    int rc = SEAU_E_DB;
    if (st) {
        bind_text(st, 1, key);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            ret->failures = sqlite3_column_int64(st, 0);
            ret->window_start = sqlite3_column_int64(st, 1);
            rc = 0;
        } else if (r == SQLITE_DONE) {
            ret->failures = 0;
            ret->window_start = 0;
            rc = 0;
        } else {
            rc = map_rc(r);
        }
        sqlite3_reset(st);
    }
    conn_release(db, c);
    return rc;
}

static int sq_throttle_fail(struct db *db, const char *key, int64_t now, int64_t window_ms,
                            struct db_throttle *ret)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        /* Old windows of other keys are dropped here so the table stays small. */
        sqlite3_stmt *st = stmt(c, STMT_THROTTLE_PURGE);
        if (st)
            sqlite3_bind_int64(st, 1, now - window_ms);
        rc = exec_stmt(st);
        st = rc == 0 ? stmt(c, STMT_THROTTLE_UPSERT) : NULL;
        if (rc == 0 && !st)
            rc = SEAU_E_DB;
        if (rc == 0) {
            bind_text(st, 1, key);
            sqlite3_bind_int64(st, 2, now);
            sqlite3_bind_int64(st, 3, window_ms);
            int r = sqlite3_step(st);
            if (r == SQLITE_ROW) {
                ret->failures = sqlite3_column_int64(st, 0);
                ret->window_start = sqlite3_column_int64(st, 1);
                rc = exec_stmt(st);
            } else {
                rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
                sqlite3_reset(st);
            }
        }
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_throttle_clear(struct db *db, const char *key)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_THROTTLE_CLEAR);
    if (st)
        bind_text(st, 1, key);
    int rc = exec_stmt(st);
    conn_release(db, c);
    return rc;
}

/* ------------------------------------------------------------ object index */


/*
 * Above this many trigram matches (over the whole index) a search walks the
 * scopes' key ranges in order and tests each key, because matches are then
 * dense enough that a page fills quickly; below it, the trigram index gives
 * the matching rows and only those are sorted. Either way a page costs
 * O(SPARSE_MAX) at worst rather than O(matches).
 */
#define SEARCH_SPARSE_MAX 20000
#define SEARCH_SQL_MAX 2048
#define SEARCH_BINDS_MAX 16

/*
 * Case folding for the key scans: the characters of ASCII, Latin-1, Latin
 * Extended-A and Additional, Greek and Cyrillic, which covers the keys people
 * type. The trigram index folds all of Unicode itself; this fold answers the
 * 2-character queries and the dense case, where no index helps.
 */
static uint32_t fold_cp(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c == 0x130)
        return 'i';
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
        return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
        return c & 1 ? c + 1 : c;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
        return c + 32;
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 37;
    if (c == 0x38C)
        return 0x3CC;
    if (c == 0x38E || c == 0x38F)
        return c + 63;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF))
        return c | 1;
    return c;
}

/*
 * Folds UTF-8 text of n bytes into out (room for n bytes: folding never
 * lengthens the characters above). Bytes that are not valid UTF-8 are copied
 * as they are. Returns the length written.
 */
static size_t fold_utf8(const unsigned char *s, size_t n, unsigned char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned char b = s[i];
        uint32_t c;
        size_t len;
        if (b < 0x80) {
            out[o++] = (unsigned char)fold_cp(b);
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            c = ((uint32_t)(b & 0x1F) << 6) | (s[i + 1] & 0x3F);
            len = 2;
        } else if ((b & 0xF0) == 0xE0 && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 &&
                   (s[i + 2] & 0xC0) == 0x80) {
            c = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) |
                (s[i + 2] & 0x3F);
            len = 3;
        } else {
            out[o++] = b;
            i++;
            continue;
        }
        uint32_t f = fold_cp(c);
        /* Every pair above keeps its UTF-8 length, except U+0130 -> 'i'. */
        if (f < 0x80) {
            out[o++] = (unsigned char)f;
        } else if (f < 0x800 && len == 2) {
            out[o++] = (unsigned char)(0xC0 | (f >> 6));
            out[o++] = (unsigned char)(0x80 | (f & 0x3F));
        } else if (len == 3 && f >= 0x800) {
            out[o++] = (unsigned char)(0xE0 | (f >> 12));
            out[o++] = (unsigned char)(0x80 | ((f >> 6) & 0x3F));
            out[o++] = (unsigned char)(0x80 | (f & 0x3F));
        } else {
            memcpy(out + o, s + i, len);
            o += len;
        }
        i += len;
    }
    return o;
}

/* SQL function seau_fold(text): the fold above, for the key scans. */
static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *s = sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (!s) {
        sqlite3_result_null(ctx);
        return;
    }
    unsigned char stack[1100];
    unsigned char *out = (size_t)n <= sizeof(stack) ? stack : sqlite3_malloc(n ? n : 1);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    size_t len = fold_utf8(s, (size_t)n, out);
    sqlite3_result_text(ctx, (const char *)out, (int)len, SQLITE_TRANSIENT);
    if (out != stack)
        sqlite3_free(out);
}

/* Called by conn_open for every connection. */
static int register_object_functions(sqlite3 *h)
{
    return sqlite3_create_function_v2(h, "seau_fold", 1,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                      sql_fold, NULL, NULL, NULL);
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    bind_text(st, i, s && *s ? s : NULL);
}

static void read_object(sqlite3_stmt *st, struct db_object *o)
{
    memset(o, 0, sizeof(*o));
    copy_col(st, 0, o->bucket, sizeof(o->bucket));
    copy_col(st, 1, o->key, sizeof(o->key));
    o->size = sqlite3_column_int64(st, 2);
    copy_col(st, 3, o->etag, sizeof(o->etag));
    o->last_modified = sqlite3_column_int64(st, 4);
    copy_col(st, 5, o->content_type, sizeof(o->content_type));
    copy_col(st, 6, o->kind, sizeof(o->kind));
    o->uploaded_by = sqlite3_column_int64(st, 7);
    o->indexed_at = sqlite3_column_int64(st, 8);
}

/*
 * The smallest string above every string that starts with prefix, for the
 * range key >= prefix AND key < successor (the index serves both bounds).
 * Keys compare as bytes (BINARY collation), so this is prefix with its last
 * byte incremented; 0xFF never occurs in UTF-8, so no carry is needed.
 * Returns false for the empty prefix (no upper bound).
 */
static bool prefix_successor(const char *prefix, char *out, size_t outlen)
{
    size_t n = strlen(prefix);
    if (n == 0 || n >= outlen)
        return false;
    memcpy(out, prefix, n + 1);
    out[n - 1] = (char)((unsigned char)out[n - 1] + 1);
    return true;
}

/* Adds a new row's key to the trigram index; the caller holds the write transaction. */
static int fts_insert(struct conn *c, int64_t rowid, const char *key)
{
    sqlite3_stmt *st = stmt(c, STMT_FTS_INSERT);
    if (st) {
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    }
    return exec_stmt(st);
}

/*
 * The kept totals (object_totals, object_days; migration 0004): every write
 * to objects notes what it added and removed here, and the deltas are
 * written once per (bucket, kind) and (bucket, day) before the transaction
 * ends. The caller holds the write transaction.
 */
#define TOTALS_ACC_MAX 32
#define TOTALS_DAY_MS 86400000LL

struct totals_acc {
    struct {
        char bucket[DB_BUCKET_MAX + 1];
        char kind[DB_KIND_MAX + 1]; /* "" for a day's entry */
        int64_t day;
        int64_t objects, bytes;
    } e[TOTALS_ACC_MAX];
    size_t n;
    int rc; /* the first failure of an early flush */
};

static void copy_bounded(char *out, size_t n, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len >= n)
        len = n - 1;
    memcpy(out, s ? s : "", len);
    out[len] = '\0';
}

/* Writes the deltas and empties the accumulator. */
static int acc_flush(struct conn *c, struct totals_acc *a)
{
    int rc = a->rc;
    for (size_t i = 0; rc == 0 && i < a->n; i++) {
        if (a->e[i].objects == 0 && a->e[i].bytes == 0)
            continue;
        bool day = a->e[i].kind[0] == '\0';
        sqlite3_stmt *st = stmt(c, day ? STMT_DAYS_ADD : STMT_TOTALS_ADD);
        if (st) {
            bind_text(st, 1, a->e[i].bucket);
            if (day)
                sqlite3_bind_int64(st, 2, a->e[i].day);
            else
                bind_text(st, 2, a->e[i].kind);
            sqlite3_bind_int64(st, 3, a->e[i].objects);
            sqlite3_bind_int64(st, 4, a->e[i].bytes);
        }
        rc = exec_stmt(st);
    }
    a->n = 0;
    a->rc = 0;
    return rc;
}

static void acc_entry(struct conn *c, struct totals_acc *a, const char *bucket, const char *kind,
                      int64_t day, int64_t objects, int64_t bytes)
{
    size_t i = 0;
    while (i < a->n && !(strcmp(a->e[i].bucket, bucket) == 0 &&
                         strcmp(a->e[i].kind, kind) == 0 && a->e[i].day == day))
        i++;
    if (i == a->n) {
        if (a->n == TOTALS_ACC_MAX) {
            int rc = acc_flush(c, a);
            if (rc && !a->rc)
                a->rc = rc;
            i = 0;
        }
        copy_bounded(a->e[i].bucket, sizeof(a->e[i].bucket), bucket);
        copy_bounded(a->e[i].kind, sizeof(a->e[i].kind), kind);
        a->e[i].day = day;
        a->e[i].objects = a->e[i].bytes = 0;
        a->n = i + 1;
    }
    a->e[i].objects += objects;
    a->e[i].bytes += bytes;
}

/* Notes one row added (sign 1) or removed (sign -1). */
static void acc_note(struct conn *c, struct totals_acc *a, const char *bucket, const char *kind,
                     int64_t size, int64_t last_modified, int sign)
{
    acc_entry(c, a, bucket, kind && *kind ? kind : "other", 0, sign, sign * size);
    acc_entry(c, a, bucket, "", last_modified / TOTALS_DAY_MS, sign, sign * size);
}

/* What the totals know of a row: read before it is replaced. */
struct old_row {
    bool exists;
    int64_t size, last_modified;
    char kind[DB_KIND_MAX + 1];
};

static int old_row_read(struct conn *c, const char *bucket, const char *key, struct old_row *ret)
{
    sqlite3_stmt *st = stmt(c, STMT_OBJECT_OLD);
    if (!st)
        return SEAU_E_DB;
    bind_text(st, 1, bucket);
    bind_text(st, 2, key);
    int r = sqlite3_step(st);
    int rc = 0;
    ret->exists = r == SQLITE_ROW;
    if (r == SQLITE_ROW) {
        ret->size = sqlite3_column_int64(st, 0);
        copy_bounded(ret->kind, sizeof(ret->kind), (const char *)sqlite3_column_text(st, 1));
        ret->last_modified = sqlite3_column_int64(st, 2);
    } else if (r != SQLITE_DONE) {
        rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
    }
    sqlite3_reset(st);
    return rc;
}

/*
 * Runs a prepared "DELETE ... DELETED_COLS", removes each deleted key from
 * the trigram index and each row from the kept totals. SQLite makes every
 * change of a RETURNING statement at its first step and buffers the rows,
 * so other statements may run between steps. The caller holds the write
 * transaction.
 */
static int delete_returning(struct conn *c, sqlite3_stmt *st, int64_t *ret_n)
{
    if (!st)
        return SEAU_E_DB;
    struct totals_acc *acc = calloc(1, sizeof(*acc));
    if (!acc) {
        sqlite3_reset(st);
        return SEAU_E_NOMEM;
    }
    int64_t n = 0;
    int rc = 0;
    for (;;) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
            break;
        }
        int64_t rowid = sqlite3_column_int64(st, 0);
        sqlite3_stmt *f = stmt(c, STMT_FTS_DELETE);
        if (f) {
            sqlite3_bind_int64(f, 1, rowid);
            sqlite3_bind_text(f, 2, (const char *)sqlite3_column_text(st, 1), -1,
                              SQLITE_TRANSIENT);
        }
        rc = exec_stmt(f);
        if (rc)
            break;
        acc_note(c, acc, (const char *)sqlite3_column_text(st, 2),
                 (const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 3),
                 sqlite3_column_int64(st, 5), -1);
        n++;
    }
    if (rc == 0)
        rc = acc_flush(c, acc);
    free(acc);
    sqlite3_reset(st);
    if (rc == 0 && ret_n)
        *ret_n = n;
    return rc;
}

static void bind_object(sqlite3_stmt *st, const struct db_object *o)
{
    bind_text(st, 1, o->bucket);
    bind_text(st, 2, o->key);
    sqlite3_bind_int64(st, 3, o->size);
    bind_opt_text(st, 4, o->etag);
    sqlite3_bind_int64(st, 5, o->last_modified);
    bind_opt_text(st, 6, o->content_type);
    bind_text(st, 7, *o->kind ? o->kind : "other");
    if (o->uploaded_by)
        sqlite3_bind_int64(st, 8, o->uploaded_by);
    sqlite3_bind_int64(st, 9, o->indexed_at);
}

/* Inserts the row (and its key into the FTS index), or replaces the existing row's fields. */
static int sq_object_upsert(struct db *db, const struct db_object *o)
{
    struct totals_acc *acc = calloc(1, sizeof(*acc));
    if (!acc)
        return SEAU_E_NOMEM;
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_OBJECT_INSERT);
        if (st)
            bind_object(st, o);
        rc = exec_stmt(st);
        if (rc == 0 && sqlite3_changes(c->handle) == 1) {
            rc = fts_insert(c, sqlite3_last_insert_rowid(c->handle), o->key);
        } else if (rc == 0) {
            struct old_row old;
            rc = old_row_read(c, o->bucket, o->key, &old);
            if (rc == 0 && old.exists)
                acc_note(c, acc, o->bucket, old.kind, old.size, old.last_modified, -1);
            st = rc == 0 ? stmt(c, STMT_OBJECT_UPSERT) : NULL;
            if (st)
                bind_object(st, o);
            if (rc == 0)
                rc = exec_stmt(st);
        }
        acc_note(c, acc, o->bucket, o->kind, o->size, o->last_modified, 1);
        if (rc == 0)
            rc = acc_flush(c, acc);
        rc = tx_end(c, rc);
    }
    free(acc);
    conn_release(db, c);
    return rc;
}

static int sq_object_get(struct db *db, const char *bucket, const char *key, struct db_object *ret)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_OBJECT_GET);
    int rc = SEAU_E_DB;
    if (st) {
        bind_text(st, 1, bucket);
        bind_text(st, 2, key);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            read_object(st, ret);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : map_rc(r);
        }
        sqlite3_reset(st);
    }
    conn_release(db, c);
    return rc;
}

static int sq_object_delete(struct db *db, const char *bucket, const char *key)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_OBJECT_DELETE);
        if (st) {
            bind_text(st, 1, bucket);
            bind_text(st, 2, key);
        }
        rc = delete_returning(c, st, NULL);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_object_delete_prefix(struct db *db, const char *bucket, const char *prefix,
                                   int64_t *ret_n)
{
    char hi[DB_PREFIX_MAX + 2];
    bool bounded = prefix_successor(prefix, hi, sizeof(hi));
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_OBJECT_DELETE_RANGE);
        if (st) {
            bind_text(st, 1, bucket);
            bind_text(st, 2, prefix);
            bind_text(st, 3, bounded ? hi : NULL);
        }
        rc = delete_returning(c, st, ret_n);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

/* One listed object: marks it, replaces it, or adds it; counts which. */
/* Binds the parameters STMT_OBJECT_SYNC_CHANGE and STMT_OBJECT_SYNC_ADD share. */
static void bind_sync_row(sqlite3_stmt *st, const struct db_object *o, const char *kind,
                          int64_t seen_at)
{
    bind_text(st, 1, o->bucket);
    bind_text(st, 2, o->key);
    sqlite3_bind_int64(st, 3, o->size);
    bind_opt_text(st, 4, o->etag);
    sqlite3_bind_int64(st, 5, o->last_modified);
    bind_text(st, 6, kind);
    sqlite3_bind_int64(st, 7, seen_at);
}

static int sync_one(struct conn *c, const struct db_object *o, int64_t seen_at,
                    struct db_sync_counts *counts, struct totals_acc *acc)
{
    const char *kind = *o->kind ? o->kind : "other";
    sqlite3_stmt *st = stmt(c, STMT_OBJECT_SYNC_SAME);
    if (!st)
        return SEAU_E_DB;
    bind_text(st, 1, o->bucket);
    bind_text(st, 2, o->key);
    sqlite3_bind_int64(st, 3, o->size);
    bind_opt_text(st, 4, o->etag);
    sqlite3_bind_int64(st, 5, o->last_modified);
    sqlite3_bind_int64(st, 6, seen_at);
    int rc = exec_stmt(st);
    if (rc == 0 && sqlite3_changes(c->handle) == 1) {
        counts->unchanged++;
        return 0;
    }
    if (rc)
        return rc;
    /* Changed or new: what the row holds now leaves the totals if the change is applied. */
    struct old_row old;
    rc = old_row_read(c, o->bucket, o->key, &old);
    if (rc)
        return rc;
    st = stmt(c, old.exists ? STMT_OBJECT_SYNC_CHANGE : STMT_OBJECT_SYNC_ADD);
    if (!st)
        return SEAU_E_DB;
    bind_sync_row(st, o, kind, seen_at);
    rc = exec_stmt(st);
    if (rc)
        return rc;
    if (sqlite3_changes(c->handle) != 1) {
        /* Ignored: Seau wrote the object after the walk began; its row is newer. */
        counts->unchanged++;
        return 0;
    }
    if (old.exists)
        acc_note(c, acc, o->bucket, old.kind, old.size, old.last_modified, -1);
    acc_note(c, acc, o->bucket, kind, o->size, o->last_modified, 1);
    if (old.exists) {
        counts->changed++;
        return 0;
    }
    counts->added++;
    return fts_insert(c, sqlite3_last_insert_rowid(c->handle), o->key);
}

static int sq_object_sync_page(struct db *db, const struct db_object *objs, size_t n,
                               int64_t seen_at, struct db_sync_counts *counts)
{
    struct db_sync_counts local = *counts;
    struct totals_acc *acc = calloc(1, sizeof(*acc));
    if (!acc)
        return SEAU_E_NOMEM;
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = sync_one(c, &objs[i], seen_at, &local, acc);
        if (rc == 0)
            rc = acc_flush(c, acc);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    free(acc);
    if (rc == 0)
        *counts = local;
    return rc;
}

static int sq_object_sync_sweep(struct db *db, const char *bucket, int64_t walk_started,
                                int64_t *ret_n)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_OBJECT_SWEEP);
        if (st) {
            bind_text(st, 1, bucket);
            sqlite3_bind_int64(st, 2, walk_started);
        }
        rc = delete_returning(c, st, ret_n);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

/* A search statement under construction: SQL text and its bindings, both bounded. */
struct search_sql {
    char sql[SEARCH_SQL_MAX];
    size_t len;
    bool overflow;
    struct {
        bool is_text;
        int64_t i;
        const char *t;
        int tlen;
    } binds[SEARCH_BINDS_MAX];
    int nbinds;
};

static void ss_add(struct search_sql *s, const char *text)
{
    size_t n = strlen(text);
    if (s->len + n >= sizeof(s->sql)) {
        s->overflow = true;
        return;
    }
    memcpy(s->sql + s->len, text, n + 1);
    s->len += n;
}

static void ss_text(struct search_sql *s, const char *sql, const char *t, int tlen)
{
    if (s->nbinds == SEARCH_BINDS_MAX) {
        s->overflow = true;
        return;
    }
    ss_add(s, sql);
    s->binds[s->nbinds].is_text = true;
    s->binds[s->nbinds].t = t;
    s->binds[s->nbinds].tlen = tlen;
    s->nbinds++;
}

static void ss_int(struct search_sql *s, const char *sql, int64_t v)
{
    if (s->nbinds == SEARCH_BINDS_MAX) {
        s->overflow = true;
        return;
    }
    ss_add(s, sql);
    s->binds[s->nbinds].is_text = false;
    s->binds[s->nbinds].i = v;
    s->nbinds++;
}

enum search_mode {
    SEARCH_ALL,  /* no q: the key ranges in order */
    SEARCH_SCAN, /* the key ranges in order, each key folded and tested */
    SEARCH_FTS,  /* the trigram index's matches, sorted */
};

/* What every search statement of one request shares. */
struct search_plan {
    const struct db_object_query *q;
    enum search_mode mode;
    char *match;    /* the FTS5 phrase: q in double quotes, quotes doubled */
    char *folded;   /* q folded, for SEARCH_SCAN */
    int folded_len;
};

/*
 * Appends the conditions of one scope and the query's filters. cursor_key is
 * the key to continue after within this scope's bucket, or NULL.
 */
static void ss_where(struct search_sql *s, const struct search_plan *p,
                     const struct db_object_scope *scope, const char *hi, const char *cursor_key)
{
    const struct db_object_query *q = p->q;
    /*
     * With the trigram index, the few matching rowids drive the query and
     * the unary + keeps the planner from walking the key range instead
     * (which would probe every key of the scope).
     */
    bool fts = p->mode == SEARCH_FTS;
    ss_text(s, fts ? " FROM objects o WHERE +o.bucket = ?" : " FROM objects o WHERE o.bucket = ?",
            scope->bucket, -1);
    if (*scope->prefix)
        ss_text(s, fts ? " AND +o.key >= ?" : " AND o.key >= ?", scope->prefix, -1);
    if (hi)
        ss_text(s, fts ? " AND +o.key < ?" : " AND o.key < ?", hi, -1);
    if (cursor_key)
        ss_text(s, fts ? " AND +o.key > ?" : " AND o.key > ?", cursor_key, -1);
    if (p->mode == SEARCH_FTS)
        ss_text(s, " AND o.rowid IN (SELECT rowid FROM objects_fts WHERE objects_fts MATCH ?)",
                p->match, -1);
    else if (p->mode == SEARCH_SCAN)
        ss_text(s, " AND instr(seau_fold(o.key), ?) > 0", p->folded, p->folded_len);
    if (q->kind)
        ss_text(s, " AND o.kind = ?", q->kind, -1);
    if (q->min_size >= 0)
        ss_int(s, " AND o.size >= ?", q->min_size);
    if (q->max_size >= 0)
        ss_int(s, " AND o.size <= ?", q->max_size);
    if (q->modified_after)
        ss_int(s, " AND o.last_modified > ?", q->modified_after);
    if (q->modified_before)
        ss_int(s, " AND o.last_modified < ?", q->modified_before);
}

static int ss_prepare(struct conn *c, struct search_sql *s, sqlite3_stmt **ret)
{
    if (s->overflow)
        return SEAU_E_INTERNAL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->handle, s->sql, (int)s->len, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return SEAU_E_DB;
    }
    for (int i = 0; i < s->nbinds; i++) {
        if (s->binds[i].is_text)
            sqlite3_bind_text(st, i + 1, s->binds[i].t, s->binds[i].tlen, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, i + 1, s->binds[i].i);
    }
    *ret = st;
    return 0;
}

/* Appends up to `want` rows of one scope to rows[*n]. */
static int search_scope_rows(struct conn *c, const struct search_plan *p,
                             const struct db_object_scope *scope, const char *hi,
                             const char *cursor_key, size_t want, struct db_object *rows,
                             size_t *n)
{
    struct search_sql s = {.len = 0};
    ss_add(&s, "SELECT " OBJECT_COLS);
    ss_where(&s, p, scope, hi, cursor_key);
    ss_int(&s, " ORDER BY o.key LIMIT ?", (int64_t)want);
    sqlite3_stmt *st = NULL;
    int rc = ss_prepare(c, &s, &st);
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
            break;
        }
        read_object(st, &rows[(*n)++]);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Counts up to `cap` matches in one scope (the cursor does not apply). */
static int search_scope_count(struct conn *c, const struct search_plan *p,
                              const struct db_object_scope *scope, const char *hi, int64_t cap,
                              int64_t *ret)
{
    struct search_sql s = {.len = 0};
    ss_add(&s, "SELECT count(*) FROM (SELECT 1");
    ss_where(&s, p, scope, hi, NULL);
    ss_int(&s, " LIMIT ?)", cap);
    sqlite3_stmt *st = NULL;
    int rc = ss_prepare(c, &s, &st);
    if (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            *ret = sqlite3_column_int64(st, 0);
        else
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Chooses between the trigram index and a scan, from how many keys hold q's trigrams. */
static int search_choose(struct conn *c, struct search_plan *p)
{
    const struct db_object_query *q = p->q;
    p->mode = SEARCH_ALL;
    if (!q->q || !*q->q)
        return 0;
    size_t qlen = strlen(q->q), chars = 0;
    for (size_t i = 0; i < qlen; i++)
        chars += ((unsigned char)q->q[i] & 0xC0) != 0x80;
    p->folded = malloc(qlen + 1);
    p->match = malloc(2 * qlen + 3);
    if (!p->folded || !p->match)
        return SEAU_E_NOMEM;
    p->folded_len = (int)fold_utf8((const unsigned char *)q->q, qlen, (unsigned char *)p->folded);
    p->folded[p->folded_len] = '\0';
    size_t m = 0;
    p->match[m++] = '"';
    for (size_t i = 0; i < qlen; i++) {
        if (q->q[i] == '"')
            p->match[m++] = '"';
        p->match[m++] = q->q[i];
    }
    p->match[m++] = '"';
    p->match[m] = '\0';
    p->mode = SEARCH_SCAN;
    if (chars < 3)
        return 0;
    sqlite3_stmt *st = stmt(c, STMT_OBJECT_FTS_COUNT);
    if (!st)
        return SEAU_E_DB;
    bind_text(st, 1, p->match);
    sqlite3_bind_int64(st, 2, SEARCH_SPARSE_MAX + 1);
    int r = sqlite3_step(st);
    int64_t n = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (n < 0)
        return map_rc(r) ? map_rc(r) : SEAU_E_DB;
    if (n <= SEARCH_SPARSE_MAX)
        p->mode = SEARCH_FTS;
    return 0;
}

static int scope_cmp(const void *a, const void *b)
{
    const struct db_object_scope *x = a, *y = b;
    int d = strcmp(x->bucket, y->bucket);
    return d ? d : strcmp(x->prefix, y->prefix);
}

/*
 * Sorts the scopes and drops those inside another (a grant of "a/" and one
 * of "a/b/"), so that scopes are disjoint and, taken in order, list keys in
 * (bucket, key) order without duplicates. O(n log n) over n <= 1024 scopes.
 */
static size_t scopes_normalize(struct db_object_scope *s, size_t n)
{
    qsort(s, n, sizeof(*s), scope_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && strcmp(s[out - 1].bucket, s[i].bucket) == 0 &&
            strncmp(s[i].prefix, s[out - 1].prefix, strlen(s[out - 1].prefix)) == 0)
            continue;
        s[out++] = s[i];
    }
    return out;
}

static int sq_object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                            size_t *ret_n, int64_t *ret_total)
{
    if (q->limit == 0 || q->limit > 1001 || q->nscopes > DB_SEARCH_SCOPES_MAX)
        return SEAU_E_VALIDATION;
    struct db_object *rows = calloc(q->limit, sizeof(*rows));
    struct db_object_scope *scopes = calloc(q->nscopes ? q->nscopes : 1, sizeof(*scopes));
    struct search_plan plan = {.q = q};
    size_t n = 0, nscopes = q->nscopes;
    int64_t total = 0;
    int rc = rows && scopes ? 0 : SEAU_E_NOMEM;
    if (rc == 0) {
        if (nscopes)
            memcpy(scopes, q->scopes, nscopes * sizeof(*scopes));
        nscopes = scopes_normalize(scopes, nscopes);
    }
    struct conn *c = conn_acquire(db);
    /* One read transaction: the page and its count see the same snapshot. */
    if (rc == 0)
        rc = exec_id(c, STMT_BEGIN_READ);
    bool in_tx = rc == 0;
    if (rc == 0 && nscopes > 0)
        rc = search_choose(c, &plan);
    for (size_t i = 0; rc == 0 && i < nscopes; i++) {
        const struct db_object_scope *sc = &scopes[i];
        char hi[DB_PREFIX_MAX + 2];
        const char *hip = prefix_successor(sc->prefix, hi, sizeof(hi)) ? hi : NULL;
        const char *cursor_key = NULL;
        bool before_cursor = false;
        if (q->after_bucket) {
            int d = strcmp(sc->bucket, q->after_bucket);
            before_cursor = d < 0;
            if (d == 0)
                cursor_key = q->after_key ? q->after_key : "";
        }
        if (!before_cursor && n < q->limit)
            rc = search_scope_rows(c, &plan, sc, hip, cursor_key, q->limit - n, rows, &n);
        if (rc == 0 && q->count_cap > 0 && total <= q->count_cap) {
            int64_t part = 0;
            rc = search_scope_count(c, &plan, sc, hip, q->count_cap + 1 - total, &part);
            total += part;
        }
    }
    if (in_tx)
        exec_id(c, STMT_ROLLBACK);
    conn_release(db, c);
    free(plan.match);
    free(plan.folded);
    free(scopes);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    if (ret_total)
        *ret_total = q->count_cap > 0 ? total : -1;
    return 0;
}

/* Embedded migrations in version order; their names start with the version number. */
static int sq_migrate(struct db *db, int *ret_applied)
{
    struct conn *c = conn_acquire(db);
    int applied = 0;
    int rc = map_rc(sqlite3_exec(c->handle,
                                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                 "applied_at INTEGER NOT NULL)",
                                 NULL, NULL, NULL));
    for (int64_t version = 1; rc == 0; version++) {
        const struct embedded_file *mig = NULL;
        char prefix[sizeof(MIGRATIONS_DIR) + 24];
        snprintf(prefix, sizeof(prefix), MIGRATIONS_DIR "%04lld_", (long long)version);
        for (const struct embedded_file *f = embedded_files; f->path; f++)
            if (strncmp(f->path, prefix, strlen(prefix)) == 0)
                mig = f;
        if (!mig)
            break;
        rc = tx_begin(c);
        if (rc)
            break;
        /* Another process may have applied it while we waited for the lock. */
        sqlite3_stmt *st = stmt(c, STMT_MIGRATION_VERSION);
        int64_t current = -1;
        if (st && sqlite3_step(st) == SQLITE_ROW)
            current = sqlite3_column_int64(st, 0);
        if (st)
            sqlite3_reset(st);
        if (current < 0) {
            rc = SEAU_E_DB;
        } else if (current < version) {
            rc = map_rc(sqlite3_exec(c->handle, mig->data, NULL, NULL, NULL));
            st = rc == 0 ? stmt(c, STMT_MIGRATION_RECORD) : NULL;
            if (st) {
                sqlite3_bind_int64(st, 1, version);
                bind_text(st, 2, mig->path + strlen(MIGRATIONS_DIR));
                sqlite3_bind_int64(st, 3, (int64_t)time(NULL) * 1000);
                rc = exec_stmt(st);
                applied++;
            } else if (rc == 0) {
                rc = SEAU_E_DB;
            }
        }
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    if (rc == 0 && ret_applied)
        *ret_applied = applied;
    return rc;
}

static void sq_close(struct db *db)
{
    struct sqlite_store *s = store_of(db);
    if (s) {
        for (size_t i = 0; i < s->nconns; i++) {
            for (int k = 0; k < STMT_COUNT; k++)
                sqlite3_finalize(s->conns[i].stmts[k]);
            sqlite3_close(s->conns[i].handle);
        }
        free(s->conns);
        free(s->free_stack);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->available);
        free(s);
    }
    free(db);
}

/* ------------------------------------------------------------ upload sessions */

static void read_upload(sqlite3_stmt *st, struct db_upload *u)
{
    memset(u, 0, sizeof(*u));
    copy_col(st, 0, u->id, sizeof(u->id));
    u->user_id = sqlite3_column_int64(st, 1);
    copy_col(st, 2, u->bucket, sizeof(u->bucket));
    copy_col(st, 3, u->key, sizeof(u->key));
    copy_col(st, 4, u->s3_upload_id, sizeof(u->s3_upload_id));
    u->single = sqlite3_column_int(st, 5) != 0;
    u->size = sqlite3_column_int64(st, 6);
    copy_col(st, 7, u->content_type, sizeof(u->content_type));
    u->part_size = sqlite3_column_int64(st, 8);
    u->created_at = sqlite3_column_int64(st, 9);
    u->busy_until = sqlite3_column_int64(st, 10);
}

static int sq_upload_insert(struct db *db, const struct db_upload *u, size_t max_per_user,
                            struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_UPLOAD_COUNT_USER);
        int64_t n = -1;
        if (st) {
            sqlite3_bind_int64(st, 1, u->user_id);
            int r = sqlite3_step(st);
            if (r == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
            else
                rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
            sqlite3_reset(st);
        } else {
            rc = SEAU_E_DB;
        }
        if (rc == 0 && (uint64_t)n >= max_per_user)
            rc = SEAU_E_CONFLICT;
        if (rc == 0) {
            st = stmt(c, STMT_UPLOAD_INSERT);
            if (st) {
                bind_text(st, 1, u->id);
                sqlite3_bind_int64(st, 2, u->user_id);
                bind_text(st, 3, u->bucket);
                bind_text(st, 4, u->key);
                bind_text(st, 5, u->s3_upload_id);
                sqlite3_bind_int(st, 6, u->single ? 1 : 0);
                sqlite3_bind_int64(st, 7, u->size);
                bind_text(st, 8, u->content_type);
                sqlite3_bind_int64(st, 9, u->part_size);
                sqlite3_bind_int64(st, 10, u->created_at);
            }
            rc = exec_stmt(st);
        }
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

/* Reads one session by id with the connection held; SEAU_E_NOT_FOUND when absent. */
static int upload_read(struct conn *c, const char *id, struct db_upload *ret)
{
    sqlite3_stmt *st = stmt(c, STMT_UPLOAD_GET);
    if (!st)
        return SEAU_E_DB;
    bind_text(st, 1, id);
    int r = sqlite3_step(st);
    int rc;
    if (r == SQLITE_ROW) {
        read_upload(st, ret);
        rc = 0;
    } else {
        rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : (map_rc(r) ? map_rc(r) : SEAU_E_DB);
    }
    sqlite3_reset(st);
    return rc;
}

static int sq_upload_get(struct db *db, const char *id, struct db_upload *ret)
{
    struct conn *c = conn_acquire(db);
    int rc = upload_read(c, id, ret);
    conn_release(db, c);
    return rc;
}

static int sq_upload_claim(struct db *db, const char *id, int64_t now, int64_t until)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_UPLOAD_CLAIM);
        if (st) {
            bind_text(st, 1, id);
            sqlite3_bind_int64(st, 2, now);
            sqlite3_bind_int64(st, 3, until);
        }
        rc = exec_stmt(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1) {
            /* Not taken: tell a missing session from a busy one. */
            struct db_upload u;
            rc = upload_read(c, id, &u);
            if (rc == 0)
                rc = SEAU_E_CONFLICT;
        }
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_upload_release(struct db *db, const char *id)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_UPLOAD_RELEASE);
    if (st)
        bind_text(st, 1, id);
    int rc = exec_stmt(st);
    conn_release(db, c);
    return rc;
}

static int sq_upload_delete(struct db *db, const char *id, struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_UPLOAD_DELETE);
        if (st)
            bind_text(st, 1, id);
        rc = exec_stmt(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1)
            rc = SEAU_E_NOT_FOUND;
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_upload_list_stale(struct db *db, int64_t created_before, int64_t now, size_t limit,
                                struct db_upload **ret, size_t *ret_n)
{
    if (limit == 0 || limit > 1000)
        limit = 1000;
    struct db_upload *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_UPLOAD_STALE);
    int rc = st ? 0 : SEAU_E_DB;
    size_t n = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, created_before);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, (int64_t)limit);
        int r = SQLITE_DONE;
        while (n < limit && (r = sqlite3_step(st)) == SQLITE_ROW)
            read_upload(st, &rows[n++]);
        if (n < limit && r != SQLITE_DONE)
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
        sqlite3_reset(st);
    }
    conn_release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

/* ------------------------------------------------------------ object views */

#define DAY_MS 86400000LL

/* Adds a kind's counts; past DB_TOTALS_KINDS_MAX - 1 names, into "other". */
static void totals_add_kind(struct db_object_totals *t, const char *kind, int64_t objects,
                            int64_t bytes)
{
    if (!kind || !*kind)
        kind = "other";
    size_t i = 0;
    while (i < t->nkinds && strcmp(t->kinds[i].kind, kind) != 0)
        i++;
    if (i == t->nkinds && t->nkinds == DB_TOTALS_KINDS_MAX - 1 && strcmp(kind, "other") != 0) {
        totals_add_kind(t, "other", objects, bytes);
        return;
    }
    if (i == t->nkinds) {
        snprintf(t->kinds[i].kind, sizeof(t->kinds[i].kind), "%s", kind);
        t->nkinds++;
    }
    t->kinds[i].objects += objects;
    t->kinds[i].bytes += bytes;
}

/* Adds a day's counts, keeping the days ascending; the caller bounds the span. */
static void totals_add_day(struct db_object_totals *t, int64_t day, int64_t count, int64_t bytes)
{
    size_t i = 0;
    while (i < t->ndays && t->days[i].day < day)
        i++;
    if (i == t->ndays || t->days[i].day != day) {
        if (t->ndays == DB_TOTALS_DAYS_MAX)
            return;
        memmove(&t->days[i + 1], &t->days[i], (t->ndays - i) * sizeof(t->days[0]));
        t->days[i] = (struct db_day_total){.day = day};
        t->ndays++;
    }
    t->days[i].count += count;
    t->days[i].bytes += bytes;
}

/*
 * Steps a totals statement, adding each row: TOTALS_BUCKET (kind, objects,
 * bytes), DAYS_BUCKET (day, objects, bytes) or TOTALS_RANGE (kind, day or -1,
 * objects, bytes).
 */
static int totals_read(sqlite3_stmt *st, struct db_object_totals *t, enum stmt_id id)
{
    int rc = 0;
    for (;;) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
            break;
        }
        if (id == STMT_DAYS_BUCKET) {
            totals_add_day(t, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           sqlite3_column_int64(st, 2));
        } else if (id == STMT_TOTALS_BUCKET) {
            totals_add_kind(t, (const char *)sqlite3_column_text(st, 0),
                            sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
        } else {
            int64_t n = sqlite3_column_int64(st, 2), b = sqlite3_column_int64(st, 3);
            totals_add_kind(t, (const char *)sqlite3_column_text(st, 0), n, b);
            if (sqlite3_column_int64(st, 1) >= 0)
                totals_add_day(t, sqlite3_column_int64(st, 1), n, b);
        }
    }
    sqlite3_reset(st);
    return rc;
}

/* One scope: the kept totals of a whole bucket, or one pass over a prefix's key range. */
static int totals_scope(struct conn *c, const struct db_object_scope *sc, int64_t from_ms,
                        int64_t to_ms, struct db_object_totals *t)
{
    char hi[DB_PREFIX_MAX + 2];
    bool whole = !prefix_successor(sc->prefix, hi, sizeof(hi));
    static const enum stmt_id whole_ids[] = {STMT_TOTALS_BUCKET, STMT_DAYS_BUCKET};
    static const enum stmt_id range_ids[] = {STMT_TOTALS_RANGE};
    const enum stmt_id *ids = whole ? whole_ids : range_ids;
    size_t nids = whole ? 2 : 1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nids; i++) {
        sqlite3_stmt *st = stmt(c, ids[i]);
        if (!st)
            return SEAU_E_DB;
        bind_text(st, 1, sc->bucket);
        if (!whole) {
            bind_text(st, 2, sc->prefix);
            bind_text(st, 3, hi);
        }
        sqlite3_bind_int64(st, 4, from_ms);
        sqlite3_bind_int64(st, 5, to_ms);
        rc = totals_read(st, t, ids[i]);
    }
    return rc;
}

static int sq_object_totals(struct db *db, const struct db_object_scope *scopes, size_t nscopes,
                            int64_t day_from, int64_t day_to, struct db_object_totals *ret)
{
    if (nscopes > DB_SEARCH_SCOPES_MAX || day_from < 0 || day_to < day_from ||
        day_to - day_from >= DB_TOTALS_DAYS_MAX)
        return SEAU_E_VALIDATION;
    struct db_object_totals *t = calloc(1, sizeof(*t));
    struct db_object_scope *s = calloc(nscopes ? nscopes : 1, sizeof(*s));
    int rc = t && s ? 0 : SEAU_E_NOMEM;
    if (rc == 0) {
        if (nscopes)
            memcpy(s, scopes, nscopes * sizeof(*s));
        nscopes = scopes_normalize(s, nscopes);
        struct conn *c = conn_acquire(db);
        /* One read transaction: every scope is counted in the same snapshot. */
        rc = exec_id(c, STMT_BEGIN_READ);
        bool in_tx = rc == 0;
        for (size_t i = 0; rc == 0 && i < nscopes; i++)
            rc = totals_scope(c, &s[i], day_from * DAY_MS, (day_to + 1) * DAY_MS, t);
        if (in_tx)
            exec_id(c, STMT_ROLLBACK);
        conn_release(db, c);
    }
    if (rc == 0)
        *ret = *t;
    free(t);
    free(s);
    return rc;
}

static int sq_object_level(struct db *db, const struct db_level_query *q,
                           struct db_level_row **ret, size_t *ret_n)
{
    if (q->limit == 0 || q->limit > 1001 || strlen(q->prefix) > DB_PREFIX_MAX)
        return SEAU_E_VALIDATION;
    /* The level's folder: the prefix up to and including its last '/'. */
    char parent[DB_PREFIX_MAX + 1];
    const char *slash = strrchr(q->prefix, '/');
    size_t plen = slash ? (size_t)(slash - q->prefix) + 1 : 0;
    memcpy(parent, q->prefix, plen);
    parent[plen] = '\0';
    char hi[DB_PREFIX_MAX + 2];
    bool bounded = prefix_successor(q->prefix, hi, sizeof(hi));
    enum stmt_id id = q->order == DB_LEVEL_BY_SIZE
                          ? (q->desc ? STMT_LEVEL_SIZE_DESC : STMT_LEVEL_SIZE_ASC)
                          : (q->desc ? STMT_LEVEL_MODIFIED_DESC : STMT_LEVEL_MODIFIED_ASC);
    struct db_level_row *rows = calloc(q->limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, id);
    size_t n = 0;
    int rc = st ? 0 : SEAU_E_DB;
    if (st) {
        bind_text(st, 1, q->bucket);
        bind_text(st, 2, parent);
        bind_text(st, 3, q->prefix);
        bind_text(st, 4, bounded ? hi : NULL);
        /* Without a cursor, start before every row of the order. */
        sqlite3_bind_int64(st, 5, q->after ? q->after_value : q->desc ? INT64_MAX : INT64_MIN);
        sqlite3_bind_int64(st, 6, q->after ? q->after_id : q->desc ? INT64_MAX : INT64_MIN);
        sqlite3_bind_int64(st, 7, (int64_t)q->limit);
        int r = SQLITE_DONE;
        while (n < q->limit && (r = sqlite3_step(st)) == SQLITE_ROW) {
            read_object(st, &rows[n].o);
            rows[n].id = sqlite3_column_int64(st, 9);
            n++;
        }
        if (n < q->limit && r != SQLITE_DONE)
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
        sqlite3_reset(st);
    }
    conn_release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int sq_object_folders(struct db *db, const char *bucket, const char *prefix,
                             const char *after, size_t limit, char ***ret, size_t *ret_n)
{
    size_t plen = strlen(prefix);
    if (limit == 0 || limit > 1001 || plen > DB_PREFIX_MAX ||
        (after && (strlen(after) > DB_PREFIX_MAX || strncmp(after, prefix, plen) != 0)))
        return SEAU_E_VALIDATION;
    const char *slash = strrchr(prefix, '/');
    size_t level_len = slash ? (size_t)(slash - prefix) + 1 : 0;
    char hi[DB_PREFIX_MAX + 2];
    bool bounded = prefix_successor(prefix, hi, sizeof(hi));
    /*
     * from: where the next folder may start. Parents equal to the level's own
     * folder are its files, so the first seek is strictly above it; after a
     * folder F, every parent starting with F is skipped by seeking from F's
     * successor.
     */
    char from[DB_PREFIX_MAX + 2];
    bool strict = true;
    if (after) {
        strict = !prefix_successor(after, from, sizeof(from));
    } else if (plen > level_len) {
        memcpy(from, prefix, plen + 1);
        strict = false;
    } else {
        memcpy(from, prefix, level_len);
        from[level_len] = '\0';
    }
    char **out = calloc(limit, sizeof(*out));
    if (!out)
        return SEAU_E_NOMEM;
    size_t n = 0;
    int rc = 0;
    struct conn *c = conn_acquire(db);
    rc = exec_id(c, STMT_BEGIN_READ);
    bool in_tx = rc == 0;
    while (rc == 0 && n < limit) {
        enum stmt_id id = bounded ? (strict ? STMT_FOLDER_NEXT_GT : STMT_FOLDER_NEXT_GE)
                                  : (strict ? STMT_FOLDER_NEXT_GT_OPEN : STMT_FOLDER_NEXT_GE_OPEN);
        sqlite3_stmt *st = stmt(c, id);
        if (!st) {
            rc = SEAU_E_DB;
            break;
        }
        bind_text(st, 1, bucket);
        bind_text(st, 2, from);
        if (bounded)
            bind_text(st, 3, hi);
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            rc = r == SQLITE_DONE ? 0 : map_rc(r) ? map_rc(r) : SEAU_E_DB;
            sqlite3_reset(st);
            break;
        }
        /* The folder: the prefix and the parent's next name, with its '/'. */
        const char *parent = (const char *)sqlite3_column_text(st, 0);
        const char *end = parent && strlen(parent) > plen ? strchr(parent + plen, '/') : NULL;
        if (!end) {
            /* Cannot happen: every parent in range is longer than the prefix and ends in '/'. */
            rc = SEAU_E_INTERNAL;
            sqlite3_reset(st);
            break;
        }
        size_t flen = (size_t)(end - parent) + 1;
        out[n] = malloc(flen + 1);
        if (!out[n]) {
            rc = SEAU_E_NOMEM;
            sqlite3_reset(st);
            break;
        }
        memcpy(out[n], parent, flen);
        out[n][flen] = '\0';
        sqlite3_reset(st);
        strict = !prefix_successor(out[n], from, sizeof(from));
        n++;
    }
    if (in_tx)
        exec_id(c, STMT_ROLLBACK);
    conn_release(db, c);
    if (rc) {
        free_strings(out, n);
        return rc;
    }
    *ret = out;
    *ret_n = n;
    return 0;
}

static int sq_audit_active_users(struct db *db, int64_t since, const char *bucket, int64_t *ret)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_AUDIT_ACTIVE_USERS);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_int64(st, 1, since);
        bind_text(st, 2, bucket);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *ret = sqlite3_column_int64(st, 0);
            rc = 0;
        } else {
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
        }
        sqlite3_reset(st);
    }
    conn_release(db, c);
    return rc;
}

/* ------------------------------------------------------------ share links */

static void read_share(sqlite3_stmt *st, struct db_share *s)
{
    memset(s, 0, sizeof(*s));
    s->seq = sqlite3_column_int64(st, 0);
    copy_col(st, 1, s->id, sizeof(s->id));
    const void *h = sqlite3_column_blob(st, 2);
    if (h && sqlite3_column_bytes(st, 2) == DB_TOKEN_HASH_LEN)
        memcpy(s->token_hash, h, DB_TOKEN_HASH_LEN);
    copy_col(st, 3, s->bucket, sizeof(s->bucket));
    copy_col(st, 4, s->key, sizeof(s->key));
    s->created_by = sqlite3_column_int64(st, 5);
    copy_col(st, 6, s->created_by_email, sizeof(s->created_by_email));
    s->created_at = sqlite3_column_int64(st, 7);
    s->expires_at = sqlite3_column_int64(st, 8); /* NULL reads 0: never */
    copy_col(st, 9, s->password_hash, sizeof(s->password_hash));
    s->max_downloads = sqlite3_column_int64(st, 10);
    s->downloads = sqlite3_column_int64(st, 11);
    s->revoked_at = sqlite3_column_int64(st, 12);
}

static int sq_share_insert(struct db *db, struct db_share *s, struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_SHARE_INSERT);
        if (st) {
            bind_text(st, 1, s->id);
            sqlite3_bind_blob(st, 2, s->token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            bind_text(st, 3, s->bucket);
            bind_text(st, 4, s->key);
            sqlite3_bind_int64(st, 5, s->created_by);
            sqlite3_bind_int64(st, 6, s->created_at);
            if (s->expires_at)
                sqlite3_bind_int64(st, 7, s->expires_at);
            bind_text(st, 8, s->password_hash[0] ? s->password_hash : NULL);
            if (s->max_downloads)
                sqlite3_bind_int64(st, 9, s->max_downloads);
        }
        rc = exec_stmt(st);
        int64_t seq = rc == 0 ? sqlite3_last_insert_rowid(c->handle) : 0;
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
        if (rc == 0)
            s->seq = seq;
    }
    conn_release(db, c);
    return rc;
}

/* Runs a one-row share lookup bound to a text id or a token hash. */
static int share_read_one(struct db *db, enum stmt_id id, const char *text,
                          const unsigned char *hash, struct db_share *ret)
{
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, id);
    int rc = SEAU_E_DB;
    if (st) {
        if (hash)
            sqlite3_bind_blob(st, 1, hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        else
            bind_text(st, 1, text);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            read_share(st, ret);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : (map_rc(r) ? map_rc(r) : SEAU_E_DB);
        }
        sqlite3_reset(st);
    }
    conn_release(db, c);
    return rc;
}

static int sq_share_get(struct db *db, const char *id, struct db_share *ret)
{
    return share_read_one(db, STMT_SHARE_GET, id, NULL, ret);
}

static int sq_share_get_by_token(struct db *db, const unsigned char *token_hash,
                                 struct db_share *ret)
{
    return share_read_one(db, STMT_SHARE_GET_TOKEN, NULL, token_hash, ret);
}

static int sq_share_list(struct db *db, const struct db_share_filter *f, struct db_share **ret,
                         size_t *ret_n)
{
    size_t limit = f->limit == 0 || f->limit > 1001 ? 1001 : f->limit;
    struct db_share *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct conn *c = conn_acquire(db);
    sqlite3_stmt *st = stmt(c, f->created_by ? STMT_SHARE_LIST_USER : STMT_SHARE_LIST_ALL);
    int rc = st ? 0 : SEAU_E_DB;
    size_t n = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, f->before_seq);
        sqlite3_bind_int64(st, 2, f->created_by);
        bind_text(st, 3, f->bucket);
        sqlite3_bind_int64(st, 4, (int64_t)limit);
        int r = SQLITE_DONE;
        while (n < limit && (r = sqlite3_step(st)) == SQLITE_ROW)
            read_share(st, &rows[n++]);
        if (n < limit && r != SQLITE_DONE)
            rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
        sqlite3_reset(st);
    }
    conn_release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

/* Whether a share with this id exists, with the connection held. */
static int share_exists(struct conn *c, const char *id)
{
    sqlite3_stmt *st = stmt(c, STMT_SHARE_EXISTS);
    if (!st)
        return SEAU_E_DB;
    bind_text(st, 1, id);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r == SQLITE_ROW)
        return 0;
    return r == SQLITE_DONE ? SEAU_E_NOT_FOUND : (map_rc(r) ? map_rc(r) : SEAU_E_DB);
}

/*
 * One guarded UPDATE of a share by id with its audit entry. When no row
 * changed: SEAU_E_NOT_FOUND for a missing share, else refused (the guard
 * did not hold).
 */
static int share_update(struct db *db, enum stmt_id id, const char *share_id, int64_t now,
                        int refused, struct db_audit_entry *audit)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, id);
        if (st) {
            bind_text(st, 1, share_id);
            sqlite3_bind_int64(st, 2, now);
        }
        rc = exec_stmt(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1) {
            rc = share_exists(c, share_id);
            if (rc == 0)
                rc = refused;
        }
        rc = maybe_audit(db, c, rc, audit);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

static int sq_share_revoke(struct db *db, const char *id, int64_t now, struct db_audit_entry *audit)
{
    return share_update(db, STMT_SHARE_REVOKE, id, now, SEAU_E_NOT_FOUND, audit);
}

static int sq_share_count_download(struct db *db, const char *id, int64_t now,
                                   struct db_audit_entry *audit)
{
    return share_update(db, STMT_SHARE_COUNT, id, now, SEAU_E_GONE, audit);
}

/* ------------------------------------------------------------ notifications */

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

/* Called by conn_open for every connection. */
static int register_notification_functions(sqlite3 *h)
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

static int notification_insert_one(struct conn *c, struct db_notification *n)
{
    sqlite3_stmt *st = stmt(c, STMT_NOTIFY_INSERT);
    if (!st)
        return SEAU_E_DB;
    sqlite3_bind_int64(st, 1, n->time);
    bind_text(st, 2, n->type);
    bind_text(st, 3, n->source);
    bind_text(st, 4, n->bucket);
    bind_text(st, 5, n->key);
    bind_text(st, 6, n->from_key);
    bind_opt_int64(st, 7, n->size, -1);
    bind_text(st, 8, n->etag);
    bind_text(st, 9, n->actor);
    bind_opt_int64(st, 10, n->actor_id, 0);
    bind_opt_int64(st, 11, n->target_user_id, 0);
    bind_text(st, 12, n->message ? n->message : "");
    int rc = exec_stmt(st);
    if (rc == 0)
        n->id = sqlite3_last_insert_rowid(c->handle);
    return rc;
}

/*
 * The S3 notification a Seau row about an object takes over (see
 * db.h, notifications_insert): 0 and *ret_id (0: none).
 */
static int claim_find(struct conn *c, const struct db_notification *n, int64_t since,
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
    bind_text(st, 1, n->bucket);
    bind_text(st, 2, n->key);
    sqlite3_bind_int64(st, 3, since);
    if (created)
        bind_text(st, 4, n->etag);
    int r = sqlite3_step(st);
    int rc = 0;
    if (r == SQLITE_ROW)
        *ret_id = sqlite3_column_int64(st, 0);
    else if (r != SQLITE_DONE)
        rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
    sqlite3_reset(st);
    *ret_created = created;
    return rc;
}

static int claim_become(struct conn *c, int64_t id, bool created, const struct db_notification *n)
{
    sqlite3_stmt *st = stmt(c, STMT_CLAIM_BECOME);
    if (!st)
        return SEAU_E_DB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, n->time);
    bind_text(st, 3, n->type);
    bind_text(st, 4, n->source);
    bind_text(st, 5, n->from_key);
    bind_opt_int64(st, 6, n->size, -1);
    bind_text(st, 7, n->etag);
    bind_text(st, 8, n->actor);
    bind_opt_int64(st, 9, n->actor_id, 0);
    bind_text(st, 10, n->message ? n->message : "");
    sqlite3_bind_int(st, 11, created);
    sqlite3_bind_int(st, 12, !created);
    return exec_stmt(st);
}

static int sq_notifications_insert(struct db *db, struct db_notification *n, size_t count,
                                   int64_t claim_since, bool *ret_claimed)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
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
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    return rc;
}

/* One int64 from a single-row query bound to at most one int64; *ret = none for NULL. */
static int query_int64(struct conn *c, enum stmt_id id, const int64_t *arg, int64_t none,
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
        rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
    sqlite3_reset(st);
    return rc;
}

static int read_notification(sqlite3_stmt *st, struct db_notification *n)
{
    memset(n, 0, sizeof(*n));
    n->id = sqlite3_column_int64(st, 0);
    n->time = sqlite3_column_int64(st, 1);
    n->type = dup_col(st, 2);
    n->source = dup_col(st, 3);
    n->bucket = dup_col(st, 4);
    n->key = dup_col(st, 5);
    n->from_key = dup_col(st, 6);
    n->size = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
    n->etag = dup_col(st, 8);
    n->actor = dup_col(st, 9);
    n->actor_id = sqlite3_column_int64(st, 10);
    n->target_user_id = sqlite3_column_int64(st, 11);
    n->message = dup_col(st, 12);
    bool lost = !n->type || !n->source || !n->message ||
                (sqlite3_column_type(st, 4) != SQLITE_NULL && !n->bucket) ||
                (sqlite3_column_type(st, 5) != SQLITE_NULL && !n->key) ||
                (sqlite3_column_type(st, 6) != SQLITE_NULL && !n->from_key) ||
                (sqlite3_column_type(st, 8) != SQLITE_NULL && !n->etag) ||
                (sqlite3_column_type(st, 9) != SQLITE_NULL && !n->actor);
    return lost ? SEAU_E_NOMEM : 0;
}

static int sq_notification_list(struct db *db, const struct db_notification_query *q,
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
    struct conn *c = conn_acquire(db);
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
        bind_text(st, 4, q->type);
        sqlite3_bind_pointer(st, 5, &sc, NOTE_SCOPES_TYPE, NULL);
        sqlite3_bind_int64(st, 6, (int64_t)q->limit);
        while (rc == 0 && n < q->limit) {
            int r = sqlite3_step(st);
            if (r == SQLITE_DONE)
                break;
            if (r != SQLITE_ROW) {
                rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
                break;
            }
            rc = read_notification(st, &rows[n++]);
        }
        sqlite3_reset(st);
        /* The pointer must not outlive sc. */
        sqlite3_clear_bindings(st);
    }
    conn_release(db, c);
    if (rc) {
        db_notifications_free(rows, n);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

static int sq_notification_last_id(struct db *db, int64_t *ret)
{
    struct conn *c = conn_acquire(db);
    int64_t v = 0;
    int rc = query_int64(c, STMT_NOTIFY_LAST_ID, NULL, 0, &v);
    conn_release(db, c);
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
        rc = map_rc(r) ? map_rc(r) : SEAU_E_DB;
    }
    sqlite3_reset(st);
    return rc;
}

/* The three questions of db_s3_check, on a held connection. */
static int s3_check(struct conn *c, const struct db_s3_event *e, struct db_s3_check *ret)
{
    struct db_s3_check out = {0};
    sqlite3_stmt *st = stmt(c, STMT_S3_SEEN_GET);
    if (st) {
        bind_text(st, 1, e->bucket);
        bind_text(st, 2, e->key);
        bind_text(st, 3, e->dedupe);
    }
    int rc = s3_exists(st, &out.seen, NULL);
    if (rc == 0 && e->sequencer) {
        st = stmt(c, STMT_S3_SEEN_NEWER);
        if (st) {
            bind_text(st, 1, e->bucket);
            bind_text(st, 2, e->key);
            bind_text(st, 3, e->sequencer);
        }
        rc = s3_exists(st, &out.stale, NULL);
    }
    if (rc == 0) {
        st = stmt(c, e->change == DB_S3_CREATED ? STMT_S3_MERGE_CREATED : STMT_S3_MERGE_REMOVED);
        if (st) {
            bind_text(st, 1, e->bucket);
            bind_text(st, 2, e->key);
            sqlite3_bind_int64(st, 3, e->merge_since);
            if (e->change == DB_S3_CREATED)
                bind_text(st, 4, e->etag);
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

static int sq_notification_s3_check(struct db *db, const struct db_s3_event *e,
                                    struct db_s3_check *ret)
{
    struct conn *c = conn_acquire(db);
    int rc = s3_check(c, e, ret);
    conn_release(db, c);
    return rc;
}

static int sq_notification_s3_ingest(struct db *db, const struct db_s3_event *e,
                                     struct db_notification *n, enum db_s3_outcome *ret)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc) {
        conn_release(db, c);
        return rc;
    }
    enum db_s3_outcome outcome = DB_S3_DUPLICATE;
    sqlite3_stmt *st = stmt(c, STMT_S3_SEEN_INSERT);
    if (st) {
        bind_text(st, 1, e->bucket);
        bind_text(st, 2, e->key);
        bind_text(st, 3, e->dedupe);
        bind_text(st, 4, e->sequencer);
        sqlite3_bind_int64(st, 5, e->now);
    }
    rc = exec_stmt(st);
    bool fresh = rc == 0 && sqlite3_changes(c->handle) == 1;
    struct db_s3_check check = {0};
    if (fresh)
        rc = s3_check(c, e, &check);
    if (fresh && rc == 0 && check.merge_id) {
        st = stmt(c, e->change == DB_S3_CREATED ? STMT_S3_MARK_CREATED : STMT_S3_MARK_REMOVED);
        if (st)
            sqlite3_bind_int64(st, 1, check.merge_id);
        rc = exec_stmt(st);
        outcome = DB_S3_MERGED;
    } else if (fresh && rc == 0) {
        n->bucket = (char *)e->bucket;
        n->key = (char *)e->key;
        rc = notification_insert_one(c, n);
        outcome = DB_S3_INSERTED;
    }
    rc = tx_end(c, rc);
    conn_release(db, c);
    if (rc)
        return rc;
    if (outcome == DB_S3_MERGED)
        n->id = check.merge_id;
    *ret = outcome;
    return 0;
}

static int sq_notification_purge(struct db *db, int64_t before, int64_t *ret_n)
{
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    int64_t n = 0;
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_NOTIFY_PURGE);
        if (st)
            sqlite3_bind_int64(st, 1, before);
        rc = exec_stmt(st);
        n = sqlite3_changes(c->handle);
        if (rc == 0) {
            st = stmt(c, STMT_S3_SEEN_PURGE);
            if (st)
                sqlite3_bind_int64(st, 1, before);
            rc = exec_stmt(st);
        }
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
    if (rc == 0 && ret_n)
        *ret_n = n;
    return rc;
}

static const struct db_ops sqlite_ops = {
    .name = "sqlite",
    .migrate = sq_migrate,
    .ping = sq_ping,
    .close = sq_close,
    .user_count = sq_user_count,
    .user_insert = sq_user_insert,
    .user_get = sq_user_get,
    .user_get_by_email = sq_user_get_by_email,
    .user_list = sq_user_list,
    .user_update = sq_user_update,
    .user_delete = sq_user_delete,
    .session_create = sq_session_create,
    .session_get = sq_session_get,
    .session_touch = sq_session_touch,
    .session_delete = sq_session_delete,
    .session_purge = sq_session_purge,
    .grants_get = sq_grants_get,
    .grants_set = sq_grants_set,
    .audit_append = sq_audit_append,
    .audit_list = sq_audit_list,
    .audit_walk = sq_audit_walk,
    .throttle_get = sq_throttle_get,
    .throttle_fail = sq_throttle_fail,
    .throttle_clear = sq_throttle_clear,
    .object_upsert = sq_object_upsert,
    .object_get = sq_object_get,
    .object_delete = sq_object_delete,
    .object_delete_prefix = sq_object_delete_prefix,
    .object_sync_page = sq_object_sync_page,
    .object_sync_sweep = sq_object_sync_sweep,
    .object_search = sq_object_search,
    .upload_insert = sq_upload_insert,
    .upload_get = sq_upload_get,
    .upload_claim = sq_upload_claim,
    .upload_release = sq_upload_release,
    .upload_delete = sq_upload_delete,
    .upload_list_stale = sq_upload_list_stale,
    .share_insert = sq_share_insert,
    .share_get = sq_share_get,
    .share_get_by_token = sq_share_get_by_token,
    .share_list = sq_share_list,
    .share_revoke = sq_share_revoke,
    .share_count_download = sq_share_count_download,
    .object_totals = sq_object_totals,
    .object_level = sq_object_level,
    .object_folders = sq_object_folders,
    .audit_active_users = sq_audit_active_users,
    .notifications_insert = sq_notifications_insert,
    .notification_list = sq_notification_list,
    .notification_last_id = sq_notification_last_id,
    .notification_s3_check = sq_notification_s3_check,
    .notification_s3_ingest = sq_notification_s3_ingest,
    .notification_purge = sq_notification_purge,
};

static int conn_open(const char *path, struct conn *c)
{
    memset(c, 0, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->handle, flags, NULL) != SQLITE_OK)
        return SEAU_E_DB;
    sqlite3_busy_timeout(c->handle, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->handle, 1);
    if (register_object_functions(c->handle) != SQLITE_OK ||
        register_notification_functions(c->handle) != SQLITE_OK)
        return SEAU_E_DB;
    /* synchronous=NORMAL is durable across process crashes in WAL mode. */
    return map_rc(sqlite3_exec(c->handle,
                               "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                               "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;",
                               NULL, NULL, NULL));
}

/* Creates the directory that holds the database file, private to this user. */
static void make_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof(dir))
        return;
    memcpy(dir, path, n);
    dir[n] = '\0';
    mkdir(dir, 0700); /* An existing directory is fine; open reports real problems. */
}

int db__sqlite_open(const char *path, int conns, struct db **ret)
{
    if (conns < 1)
        conns = 1;
    make_parent_dir(path);
    struct db *db = calloc(1, sizeof(*db));
    struct sqlite_store *s = calloc(1, sizeof(*s));
    if (!db || !s) {
        free(db);
        free(s);
        return SEAU_E_NOMEM;
    }
    db->ops = &sqlite_ops;
    db->impl = s;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->available, NULL);
    s->conns = calloc((size_t)conns, sizeof(*s->conns));
    s->free_stack = calloc((size_t)conns, sizeof(*s->free_stack));
    if (!s->conns || !s->free_stack) {
        sq_close(db);
        return SEAU_E_NOMEM;
    }
    /* The file holds password hashes: nobody else may read it. */
    mode_t old = umask(077);
    int rc = 0;
    for (int i = 0; i < conns && rc == 0; i++) {
        rc = conn_open(path, &s->conns[i]);
        s->nconns++;
        s->free_stack[s->nfree++] = (size_t)i;
    }
    umask(old);
    if (rc) {
        sq_close(db);
        return rc;
    }
    *ret = db;
    return 0;
}
