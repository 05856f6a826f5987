/*
 * The SQLite store's audit log: appending sealed entries to the hash chain,
 * listing and walking them, and counting active users for the dashboard.
 *
 * The append is shared with every other domain (sqlite__audit_write): a
 * change and its entry are written in the change's own transaction, under
 * the write lock that BEGIN IMMEDIATE took, so the chain's last hash read
 * here cannot move before the new entry is in, even with other processes
 * writing to the same file.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

#define AUDIT_COLS                                                                                 \
    "id, time, user_id, user_email, action, bucket, key, ip, user_agent, status, details, "        \
    "prev_hash, hash"

#define AUDIT_STATEMENTS(X)                                                                        \
    X(AUDIT_LAST, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")                       \
    X(AUDIT_INSERT, "INSERT INTO audit_log (" AUDIT_COLS ") "                                      \
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")             \
    X(AUDIT_LIST,                                                                                  \
      "SELECT " AUDIT_COLS " FROM audit_log WHERE (?1 = 0 OR id < ?1) "                            \
      "AND (?2 = 0 OR user_id = ?2) AND (?3 IS NULL OR user_email = ?3 COLLATE NOCASE) "           \
      "AND (?4 IS NULL OR action = ?4) AND (?5 IS NULL OR bucket = ?5) "                           \
      "AND (?6 = 0 OR time >= ?6) AND (?7 = 0 OR time < ?7) ORDER BY id DESC LIMIT ?8")            \
    X(AUDIT_WALK, "SELECT " AUDIT_COLS " FROM audit_log ORDER BY id")                              \
    X(AUDIT_ACTIVE_USERS, "SELECT count(DISTINCT user_id) FROM audit_log WHERE time >= ?1 "        \
                          "AND user_id > 0 AND (?2 IS NULL OR bucket = ?2)")

SQLITE__STATEMENTS(AUDIT_STATEMENTS, SQLITE__AUDIT)

/* Appends and seals an audit entry; the caller holds the write transaction. */
static int audit_insert(struct db *db, struct sqlite__conn *c, struct db_audit_entry *e)
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
        sqlite__copy_col(st, 1, prev, sizeof(prev));
    } else if (rc == SQLITE_DONE) {
        memcpy(prev, zero_hash, sizeof(prev));
    } else {
        sqlite3_reset(st);
        return sqlite__map_rc(rc);
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
    sqlite__bind_text(st, 4, e->user_email);
    sqlite__bind_text(st, 5, e->action);
    sqlite__bind_text(st, 6, e->bucket);
    sqlite__bind_text(st, 7, e->key);
    sqlite__bind_text(st, 8, e->ip);
    sqlite__bind_text(st, 9, e->user_agent);
    sqlite__bind_text(st, 10, e->status);
    sqlite__bind_text(st, 11, e->details ? e->details : "{}");
    sqlite__bind_text(st, 12, e->prev_hash);
    sqlite__bind_text(st, 13, e->hash);
    return sqlite__exec(st);
}

int sqlite__audit_write(struct db *db, struct sqlite__conn *c, int rc, struct db_audit_entry *audit)
{
    if (rc == 0 && audit)
        rc = audit_insert(db, c, audit);
    return rc;
}

int sqlite__audit_append(struct db *db, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        rc = audit_insert(db, c, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

static int read_audit(sqlite3_stmt *st, struct db_audit_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(st, 0);
    e->time = sqlite3_column_int64(st, 1);
    e->user_id = sqlite3_column_int64(st, 2);
    e->user_email = sqlite__dup_col(st, 3);
    e->action = sqlite__dup_col(st, 4);
    e->bucket = sqlite__dup_col(st, 5);
    e->key = sqlite__dup_col(st, 6);
    e->ip = sqlite__dup_col(st, 7);
    e->user_agent = sqlite__dup_col(st, 8);
    e->status = sqlite__dup_col(st, 9);
    e->details = sqlite__dup_col(st, 10);
    sqlite__copy_col(st, 11, e->prev_hash, sizeof(e->prev_hash));
    sqlite__copy_col(st, 12, e->hash, sizeof(e->hash));
    /* NOT NULL columns that came back NULL mean out of memory. */
    if (!e->action || !e->status || !e->details)
        return SEAU_E_NOMEM;
    return 0;
}

int sqlite__audit_list(struct db *db, const struct db_audit_filter *f, struct db_audit_entry **ret,
                       size_t *ret_n)
{
    struct db_audit_entry *entries = calloc(f->limit ? f->limit : 1, sizeof(*entries));
    if (!entries)
        return SEAU_E_NOMEM;
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_AUDIT_LIST);
    size_t n = 0;
    int rc = st ? 0 : SEAU_E_DB;
    if (st) {
        sqlite3_bind_int64(st, 1, f->before_id);
        sqlite3_bind_int64(st, 2, f->user_id);
        sqlite__bind_text(st, 3, f->user_email);
        sqlite__bind_text(st, 4, f->action);
        sqlite__bind_text(st, 5, f->bucket);
        sqlite3_bind_int64(st, 6, f->since);
        sqlite3_bind_int64(st, 7, f->until);
        sqlite3_bind_int64(st, 8, (int64_t)f->limit);
    }
    while (rc == 0 && n < f->limit) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
            break;
        }
        rc = read_audit(st, &entries[n++]);
    }
    if (st)
        sqlite3_reset(st);
    sqlite__release(db, c);
    if (rc) {
        db_audit_entries_free(entries, n);
        return rc;
    }
    *ret = entries;
    *ret_n = n;
    return 0;
}

int sqlite__audit_walk(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e),
                       void *ctx)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    /* One read transaction: the walk sees a consistent snapshot while writers go on. */
    int rc = sqlite__read_begin(c);
    sqlite3_stmt *st = rc == 0 ? stmt(c, STMT_AUDIT_WALK) : NULL;
    if (rc == 0 && !st)
        rc = SEAU_E_DB;
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
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
    sqlite__read_end(c);
    sqlite__release(db, c);
    return rc;
}

int sqlite__audit_active_users(struct db *db, int64_t since, const char *bucket, int64_t *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_AUDIT_ACTIVE_USERS);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite3_bind_int64(st, 1, since);
        sqlite__bind_text(st, 2, bucket);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *ret = sqlite3_column_int64(st, 0);
            rc = 0;
        } else {
            rc = sqlite__fail(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}
