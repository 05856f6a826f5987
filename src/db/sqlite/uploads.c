/*
 * The SQLite store's direct upload sessions (POST /api/uploads,
 * files/uploads.c): one row per S3 multipart upload a client drives, with a
 * lease (busy_until) so that two requests never work on one session at
 * once. Creating and ending a session write their audit entries in the same
 * transaction; the per-user limit is counted inside that transaction too.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

#define UPLOAD_COLS                                                                                \
    "id, user_id, bucket, key, s3_upload_id, single, size, content_type, part_size, created_at, "  \
    "busy_until"
#define UPLOAD_STATEMENTS(X)                                                                       \
    X(UPLOAD_COUNT_USER, "SELECT count(*) FROM upload_sessions WHERE user_id = ?1")                \
    X(UPLOAD_INSERT, "INSERT INTO upload_sessions (" UPLOAD_COLS ") "                              \
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)")                        \
    X(UPLOAD_GET, "SELECT " UPLOAD_COLS " FROM upload_sessions WHERE id = ?1")                     \
    X(UPLOAD_CLAIM,                                                                                \
      "UPDATE upload_sessions SET busy_until = ?3 WHERE id = ?1 AND busy_until <= ?2")             \
    X(UPLOAD_RELEASE, "UPDATE upload_sessions SET busy_until = 0 WHERE id = ?1")                   \
    X(UPLOAD_DELETE, "DELETE FROM upload_sessions WHERE id = ?1")                                  \
    X(UPLOAD_STALE, "SELECT " UPLOAD_COLS " FROM upload_sessions WHERE created_at < ?1 "           \
                    "AND busy_until <= ?2 ORDER BY created_at, id LIMIT ?3")

SQLITE__STATEMENTS(UPLOAD_STATEMENTS, SQLITE__UPLOADS)

static void read_upload(sqlite3_stmt *st, struct db_upload *u)
{
    memset(u, 0, sizeof(*u));
    sqlite__copy_col(st, 0, u->id, sizeof(u->id));
    u->user_id = sqlite3_column_int64(st, 1);
    sqlite__copy_col(st, 2, u->bucket, sizeof(u->bucket));
    sqlite__copy_col(st, 3, u->key, sizeof(u->key));
    sqlite__copy_col(st, 4, u->s3_upload_id, sizeof(u->s3_upload_id));
    u->single = sqlite3_column_int(st, 5) != 0;
    u->size = sqlite3_column_int64(st, 6);
    sqlite__copy_col(st, 7, u->content_type, sizeof(u->content_type));
    u->part_size = sqlite3_column_int64(st, 8);
    u->created_at = sqlite3_column_int64(st, 9);
    u->busy_until = sqlite3_column_int64(st, 10);
}

int sqlite__upload_insert(struct db *db, const struct db_upload *u, size_t max_per_user,
                          struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_UPLOAD_COUNT_USER);
        int64_t n = -1;
        if (st) {
            sqlite3_bind_int64(st, 1, u->user_id);
            int r = sqlite3_step(st);
            if (r == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
            else
                rc = sqlite__fail(r);
            sqlite3_reset(st);
        } else {
            rc = SEAU_E_DB;
        }
        if (rc == 0 && (uint64_t)n >= max_per_user)
            rc = SEAU_E_CONFLICT;
        if (rc == 0) {
            st = stmt(c, STMT_UPLOAD_INSERT);
            if (st) {
                sqlite__bind_text(st, 1, u->id);
                sqlite3_bind_int64(st, 2, u->user_id);
                sqlite__bind_text(st, 3, u->bucket);
                sqlite__bind_text(st, 4, u->key);
                sqlite__bind_text(st, 5, u->s3_upload_id);
                sqlite3_bind_int(st, 6, u->single ? 1 : 0);
                sqlite3_bind_int64(st, 7, u->size);
                sqlite__bind_text(st, 8, u->content_type);
                sqlite3_bind_int64(st, 9, u->part_size);
                sqlite3_bind_int64(st, 10, u->created_at);
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

/* Reads one session by id with the connection held; SEAU_E_NOT_FOUND when absent. */
static int upload_read(struct sqlite__conn *c, const char *id, struct db_upload *ret)
{
    sqlite3_stmt *st = stmt(c, STMT_UPLOAD_GET);
    if (!st)
        return SEAU_E_DB;
    sqlite__bind_text(st, 1, id);
    int r = sqlite3_step(st);
    int rc;
    if (r == SQLITE_ROW) {
        read_upload(st, ret);
        rc = 0;
    } else {
        rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
    }
    sqlite3_reset(st);
    return rc;
}

int sqlite__upload_get(struct db *db, const char *id, struct db_upload *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = upload_read(c, id, ret);
    sqlite__release(db, c);
    return rc;
}

int sqlite__upload_claim(struct db *db, const char *id, int64_t now, int64_t until)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_UPLOAD_CLAIM);
        if (st) {
            sqlite__bind_text(st, 1, id);
            sqlite3_bind_int64(st, 2, now);
            sqlite3_bind_int64(st, 3, until);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1) {
            /* Not taken: tell a missing session from a busy one. */
            struct db_upload u;
            rc = upload_read(c, id, &u);
            if (rc == 0)
                rc = SEAU_E_CONFLICT;
        }
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__upload_release(struct db *db, const char *id)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_UPLOAD_RELEASE);
    if (st)
        sqlite__bind_text(st, 1, id);
    int rc = sqlite__exec(st);
    sqlite__release(db, c);
    return rc;
}

int sqlite__upload_delete(struct db *db, const char *id, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_UPLOAD_DELETE);
        if (st)
            sqlite__bind_text(st, 1, id);
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1)
            rc = SEAU_E_NOT_FOUND;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__upload_list_stale(struct db *db, int64_t created_before, int64_t now, size_t limit,
                              struct db_upload **ret, size_t *ret_n)
{
    if (limit == 0 || limit > 1000)
        limit = 1000;
    struct db_upload *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct sqlite__conn *c = sqlite__acquire(db);
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
            rc = sqlite__fail(r);
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}
