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
#define AUDIT_COLS                                                                                 \
    "id, time, user_id, user_email, action, bucket, key, ip, user_agent, status, details, "        \
    "prev_hash, hash"

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
    X(OBJECT_DELETE, "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 RETURNING rowid, key")    \
    X(OBJECT_DELETE_RANGE,                                                                         \
      "DELETE FROM objects WHERE bucket = ?1 AND key >= ?2 AND (?3 IS NULL OR key < ?3) "         \
      "RETURNING rowid, key")                                                                      \
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
    X(OBJECT_SWEEP, "DELETE FROM objects WHERE bucket = ?1 AND seen_at < ?2 RETURNING rowid, key") \
    X(FTS_INSERT, "INSERT INTO objects_fts (rowid, key) VALUES (?1, ?2)")                          \
    X(FTS_DELETE, "INSERT INTO objects_fts (objects_fts, rowid, key) VALUES ('delete', ?1, ?2)")   \
    X(OBJECT_FTS_COUNT, "SELECT count(*) FROM (SELECT 1 FROM objects_fts "                         \
                        "WHERE objects_fts MATCH ?1 LIMIT ?2)")

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
 * Runs a prepared "DELETE ... RETURNING rowid, key" and removes each deleted
 * key from the trigram index. SQLite makes every change of a RETURNING
 * statement at its first step and buffers the rows, so the FTS statement may
 * run between steps. The caller holds the write transaction.
 */
static int delete_returning(struct conn *c, sqlite3_stmt *st, int64_t *ret_n)
{
    if (!st)
        return SEAU_E_DB;
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
        n++;
    }
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
            st = stmt(c, STMT_OBJECT_UPSERT);
            if (st)
                bind_object(st, o);
            rc = exec_stmt(st);
        }
        rc = tx_end(c, rc);
    }
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
                    struct db_sync_counts *counts)
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
    st = rc == 0 ? stmt(c, STMT_OBJECT_SYNC_CHANGE) : NULL;
    if (rc == 0 && !st)
        return SEAU_E_DB;
    if (rc)
        return rc;
    bind_sync_row(st, o, kind, seen_at);
    rc = exec_stmt(st);
    if (rc == 0 && sqlite3_changes(c->handle) == 1) {
        counts->changed++;
        return 0;
    }
    st = rc == 0 ? stmt(c, STMT_OBJECT_SYNC_ADD) : NULL;
    if (rc == 0 && !st)
        return SEAU_E_DB;
    if (rc)
        return rc;
    bind_sync_row(st, o, kind, seen_at);
    rc = exec_stmt(st);
    if (rc == 0 && sqlite3_changes(c->handle) == 1) {
        counts->added++;
        rc = fts_insert(c, sqlite3_last_insert_rowid(c->handle), o->key);
    } else if (rc == 0) {
        /* Ignored: Seau wrote the object after the walk began; its row is newer. */
        counts->unchanged++;
    }
    return rc;
}

static int sq_object_sync_page(struct db *db, const struct db_object *objs, size_t n,
                               int64_t seen_at, struct db_sync_counts *counts)
{
    struct db_sync_counts local = *counts;
    struct conn *c = conn_acquire(db);
    int rc = tx_begin(c);
    if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = sync_one(c, &objs[i], seen_at, &local);
        rc = tx_end(c, rc);
    }
    conn_release(db, c);
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
};

static int conn_open(const char *path, struct conn *c)
{
    memset(c, 0, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->handle, flags, NULL) != SQLITE_OK)
        return SEAU_E_DB;
    sqlite3_busy_timeout(c->handle, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->handle, 1);
    if (register_object_functions(c->handle) != SQLITE_OK)
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
