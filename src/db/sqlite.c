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
                        "VALUES (?1, ?2, ?3)")

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
};

static int conn_open(const char *path, struct conn *c)
{
    memset(c, 0, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->handle, flags, NULL) != SQLITE_OK)
        return SEAU_E_DB;
    sqlite3_busy_timeout(c->handle, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->handle, 1);
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
