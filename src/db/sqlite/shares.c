/*
 * The SQLite store's share links (files/shares.c): creating, reading,
 * listing and revoking them, and counting downloads. A download is counted
 * by one guarded UPDATE (live, not expired, below its limit), so concurrent
 * downloads never pass the limit; it and its audit entry share one
 * transaction.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

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
    /* Two listings, so each walks an index newest first: all shares, or one creator's. */         \
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

SQLITE__STATEMENTS(SHARE_STATEMENTS, SQLITE__SHARES)

static void read_share(sqlite3_stmt *st, struct db_share *s)
{
    memset(s, 0, sizeof(*s));
    s->seq = sqlite3_column_int64(st, 0);
    sqlite__copy_col(st, 1, s->id, sizeof(s->id));
    const void *h = sqlite3_column_blob(st, 2);
    if (h && sqlite3_column_bytes(st, 2) == DB_TOKEN_HASH_LEN)
        memcpy(s->token_hash, h, DB_TOKEN_HASH_LEN);
    sqlite__copy_col(st, 3, s->bucket, sizeof(s->bucket));
    sqlite__copy_col(st, 4, s->key, sizeof(s->key));
    s->created_by = sqlite3_column_int64(st, 5);
    sqlite__copy_col(st, 6, s->created_by_email, sizeof(s->created_by_email));
    s->created_at = sqlite3_column_int64(st, 7);
    s->expires_at = sqlite3_column_int64(st, 8); /* NULL reads 0: never */
    sqlite__copy_col(st, 9, s->password_hash, sizeof(s->password_hash));
    s->max_downloads = sqlite3_column_int64(st, 10);
    s->downloads = sqlite3_column_int64(st, 11);
    s->revoked_at = sqlite3_column_int64(st, 12);
}

int sqlite__share_insert(struct db *db, struct db_share *s, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_SHARE_INSERT);
        if (st) {
            sqlite__bind_text(st, 1, s->id);
            sqlite3_bind_blob(st, 2, s->token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            sqlite__bind_text(st, 3, s->bucket);
            sqlite__bind_text(st, 4, s->key);
            sqlite3_bind_int64(st, 5, s->created_by);
            sqlite3_bind_int64(st, 6, s->created_at);
            if (s->expires_at)
                sqlite3_bind_int64(st, 7, s->expires_at);
            sqlite__bind_text(st, 8, s->password_hash[0] ? s->password_hash : NULL);
            if (s->max_downloads)
                sqlite3_bind_int64(st, 9, s->max_downloads);
        }
        rc = sqlite__exec(st);
        int64_t seq = rc == 0 ? sqlite3_last_insert_rowid(c->handle) : 0;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
        if (rc == 0)
            s->seq = seq;
    }
    sqlite__release(db, c);
    return rc;
}

/* Runs a one-row share lookup bound to a text id or a token hash. */
static int share_read_one(struct db *db, enum stmt_id id, const char *text,
                          const unsigned char *hash, struct db_share *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, id);
    int rc = SEAU_E_DB;
    if (st) {
        if (hash)
            sqlite3_bind_blob(st, 1, hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
        else
            sqlite__bind_text(st, 1, text);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            read_share(st, ret);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__share_get(struct db *db, const char *id, struct db_share *ret)
{
    return share_read_one(db, STMT_SHARE_GET, id, NULL, ret);
}

int sqlite__share_get_by_token(struct db *db, const unsigned char *token_hash, struct db_share *ret)
{
    return share_read_one(db, STMT_SHARE_GET_TOKEN, NULL, token_hash, ret);
}

int sqlite__share_list(struct db *db, const struct db_share_filter *f, struct db_share **ret,
                       size_t *ret_n)
{
    size_t limit = f->limit == 0 || f->limit > 1001 ? 1001 : f->limit;
    struct db_share *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, f->created_by ? STMT_SHARE_LIST_USER : STMT_SHARE_LIST_ALL);
    int rc = st ? 0 : SEAU_E_DB;
    size_t n = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, f->before_seq);
        sqlite3_bind_int64(st, 2, f->created_by);
        sqlite__bind_text(st, 3, f->bucket);
        sqlite3_bind_int64(st, 4, (int64_t)limit);
        int r = SQLITE_DONE;
        while (n < limit && (r = sqlite3_step(st)) == SQLITE_ROW)
            read_share(st, &rows[n++]);
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

/* Whether a share with this id exists, with the connection held. */
static int share_exists(struct sqlite__conn *c, const char *id)
{
    sqlite3_stmt *st = stmt(c, STMT_SHARE_EXISTS);
    if (!st)
        return SEAU_E_DB;
    sqlite__bind_text(st, 1, id);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r == SQLITE_ROW)
        return 0;
    return r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
}

/*
 * One guarded UPDATE of a share by id with its audit entry. When no row
 * changed: SEAU_E_NOT_FOUND for a missing share, else refused (the guard
 * did not hold).
 */
static int share_update(struct db *db, enum stmt_id id, const char *share_id, int64_t now,
                        int refused, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, id);
        if (st) {
            sqlite__bind_text(st, 1, share_id);
            sqlite3_bind_int64(st, 2, now);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1) {
            rc = share_exists(c, share_id);
            if (rc == 0)
                rc = refused;
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__share_revoke(struct db *db, const char *id, int64_t now, struct db_audit_entry *audit)
{
    return share_update(db, STMT_SHARE_REVOKE, id, now, SEAU_E_NOT_FOUND, audit);
}

int sqlite__share_count_download(struct db *db, const char *id, int64_t now,
                                 struct db_audit_entry *audit)
{
    return share_update(db, STMT_SHARE_COUNT, id, now, SEAU_E_GONE, audit);
}
