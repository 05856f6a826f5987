/*
 * The SQLite store's upload links (files/upload_links.c): creating,
 * reading, listing and revoking them, and counting what arrives through
 * them. Files and bytes are counted by one guarded UPDATE (live, not
 * expired, new totals within the limits): SQLite runs one writer at a time,
 * so concurrent uploads never pass a limit.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

#define LINK_COLS                                                                                  \
    "l.seq, l.id, l.token_hash, l.bucket, l.prefix, l.created_by, u.email, l.created_at, "         \
    "l.expires_at, l.password_hash, l.max_files, l.max_bytes, l.message, l.files, l.bytes, "       \
    "l.revoked_at FROM upload_links l LEFT JOIN users u ON u.id = l.created_by "
#define LINK_STATEMENTS(X)                                                                         \
    X(LINK_INSERT, "INSERT INTO upload_links (id, token_hash, bucket, prefix, created_by, "        \
                   "created_at, expires_at, password_hash, max_files, max_bytes, message) "        \
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")                        \
    X(LINK_GET, "SELECT " LINK_COLS "WHERE l.id = ?1")                                             \
    X(LINK_GET_TOKEN, "SELECT " LINK_COLS "WHERE l.token_hash = ?1")                               \
    X(LINK_LIST, "SELECT " LINK_COLS "WHERE l.revoked_at IS NULL "                                 \
                 "AND (?1 = 0 OR l.seq < ?1) AND (?2 = 0 OR l.created_by = ?2) "                   \
                 "ORDER BY l.seq DESC LIMIT ?3")                                                   \
    X(LINK_REVOKE, "UPDATE upload_links SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL") \
    X(LINK_TAKE, "UPDATE upload_links SET files = files + ?3, bytes = bytes + ?4 WHERE id = ?1 "   \
                 "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2) "             \
                 "AND (max_files IS NULL OR files + ?3 <= max_files) "                             \
                 "AND (max_bytes IS NULL OR bytes + ?4 <= max_bytes)")                             \
    X(LINK_GIVE_BACK, "UPDATE upload_links SET files = max(files - ?2, 0), "                       \
                      "bytes = max(bytes - ?3, 0) WHERE id = ?1")                                  \
    X(LINK_EXISTS, "SELECT 1 FROM upload_links WHERE id = ?1")

SQLITE__STATEMENTS(LINK_STATEMENTS, SQLITE__UPLOAD_LINKS)

static void read_link(sqlite3_stmt *st, struct db_upload_link *l)
{
    memset(l, 0, sizeof(*l));
    l->seq = sqlite3_column_int64(st, 0);
    sqlite__copy_col(st, 1, l->id, sizeof(l->id));
    const void *h = sqlite3_column_blob(st, 2);
    if (h && sqlite3_column_bytes(st, 2) == DB_TOKEN_HASH_LEN)
        memcpy(l->token_hash, h, DB_TOKEN_HASH_LEN);
    sqlite__copy_col(st, 3, l->bucket, sizeof(l->bucket));
    sqlite__copy_col(st, 4, l->prefix, sizeof(l->prefix));
    l->created_by = sqlite3_column_int64(st, 5);
    sqlite__copy_col(st, 6, l->created_by_email, sizeof(l->created_by_email));
    l->created_at = sqlite3_column_int64(st, 7);
    l->expires_at = sqlite3_column_int64(st, 8); /* NULL reads 0: never */
    sqlite__copy_col(st, 9, l->password_hash, sizeof(l->password_hash));
    l->max_files = sqlite3_column_int64(st, 10);
    l->max_bytes = sqlite3_column_int64(st, 11);
    sqlite__copy_col(st, 12, l->message, sizeof(l->message));
    l->files = sqlite3_column_int64(st, 13);
    l->bytes = sqlite3_column_int64(st, 14);
    l->revoked_at = sqlite3_column_int64(st, 15);
}

int sqlite__upload_link_insert(struct db *db, struct db_upload_link *l,
                               struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_LINK_INSERT);
        if (st) {
            sqlite__bind_text(st, 1, l->id);
            sqlite3_bind_blob(st, 2, l->token_hash, DB_TOKEN_HASH_LEN, SQLITE_STATIC);
            sqlite__bind_text(st, 3, l->bucket);
            sqlite__bind_text(st, 4, l->prefix);
            sqlite3_bind_int64(st, 5, l->created_by);
            sqlite3_bind_int64(st, 6, l->created_at);
            if (l->expires_at)
                sqlite3_bind_int64(st, 7, l->expires_at);
            sqlite__bind_opt_text(st, 8, l->password_hash);
            if (l->max_files)
                sqlite3_bind_int64(st, 9, l->max_files);
            if (l->max_bytes)
                sqlite3_bind_int64(st, 10, l->max_bytes);
            sqlite__bind_opt_text(st, 11, l->message);
        }
        rc = sqlite__exec(st);
        int64_t seq = rc == 0 ? sqlite3_last_insert_rowid(c->handle) : 0;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
        if (rc == 0)
            l->seq = seq;
    }
    sqlite__release(db, c);
    return rc;
}

/* Runs a one-row lookup bound to a text id or a token hash. */
static int link_read_one(struct db *db, enum stmt_id id, const char *text,
                         const unsigned char *hash, struct db_upload_link *ret)
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
            read_link(st, ret);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__upload_link_get(struct db *db, const char *id, struct db_upload_link *ret)
{
    return link_read_one(db, STMT_LINK_GET, id, NULL, ret);
}

int sqlite__upload_link_get_by_token(struct db *db, const unsigned char *token_hash,
                                     struct db_upload_link *ret)
{
    return link_read_one(db, STMT_LINK_GET_TOKEN, NULL, token_hash, ret);
}

int sqlite__upload_link_list(struct db *db, const struct db_upload_link_filter *f,
                             struct db_upload_link **ret, size_t *ret_n)
{
    size_t limit = f->limit == 0 || f->limit > 1001 ? 1001 : f->limit;
    struct db_upload_link *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_LINK_LIST);
    int rc = st ? 0 : SEAU_E_DB;
    size_t n = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, f->before_seq);
        sqlite3_bind_int64(st, 2, f->created_by);
        sqlite3_bind_int64(st, 3, (int64_t)limit);
        int r = SQLITE_DONE;
        while (n < limit && (r = sqlite3_step(st)) == SQLITE_ROW)
            read_link(st, &rows[n++]);
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

/* Whether a link with this id exists, with the connection held. */
static int link_exists(struct sqlite__conn *c, const char *id)
{
    sqlite3_stmt *st = stmt(c, STMT_LINK_EXISTS);
    if (!st)
        return SEAU_E_DB;
    sqlite__bind_text(st, 1, id);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r == SQLITE_ROW)
        return 0;
    return r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
}

int sqlite__upload_link_revoke(struct db *db, const char *id, int64_t now,
                               struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_LINK_REVOKE);
        if (st) {
            sqlite__bind_text(st, 1, id);
            sqlite3_bind_int64(st, 2, now);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1)
            rc = SEAU_E_NOT_FOUND;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__upload_link_take(struct db *db, const char *id, int64_t now, int64_t files,
                             int64_t bytes)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_LINK_TAKE);
        if (st) {
            sqlite__bind_text(st, 1, id);
            sqlite3_bind_int64(st, 2, now);
            sqlite3_bind_int64(st, 3, files);
            sqlite3_bind_int64(st, 4, bytes);
        }
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1) {
            rc = link_exists(c, id);
            if (rc == 0)
                rc = SEAU_E_GONE;
        }
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__upload_link_give_back(struct db *db, const char *id, int64_t files, int64_t bytes)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_LINK_GIVE_BACK);
        if (st) {
            sqlite__bind_text(st, 1, id);
            sqlite3_bind_int64(st, 2, files);
            sqlite3_bind_int64(st, 3, bytes);
        }
        rc = sqlite__exec(st);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}
