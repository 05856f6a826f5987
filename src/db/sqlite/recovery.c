/*
 * The SQLite store's recycle bin and tag index (files/trash.c,
 * files/details.c): rows recording what Seau deleted and can bring back,
 * and the tags Seau set on objects. Each change and its audit entry share
 * one transaction.
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdlib.h>
#include <string.h>

#define TRASH_COLS                                                                                 \
    "t.id, t.bucket, t.key, t.trash_key, t.version_id, t.size, t.deleted_by, u.email, "            \
    "t.deleted_at, t.uploaded_by FROM trash t LEFT JOIN users u ON u.id = t.deleted_by "
#define RECOVERY_STATEMENTS(X)                                                                     \
    X(TRASH_INSERT, "INSERT INTO trash (bucket, key, trash_key, version_id, size, deleted_by, "    \
                    "deleted_at, uploaded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                             \
    X(TRASH_GET, "SELECT " TRASH_COLS "WHERE t.id = ?1")                                           \
    X(TRASH_MARKER, "SELECT " TRASH_COLS "WHERE t.bucket = ?1 AND t.version_id = ?2 "              \
                    "AND t.version_id <> '' ORDER BY t.id DESC LIMIT 1")                           \
    X(TRASH_LIST, "SELECT " TRASH_COLS "WHERE t.bucket = ?1 AND t.trash_key <> '' "                \
                  "AND t.id > ?2 AND (?3 = 0 OR t.deleted_by = ?3) "                               \
                  "AND (?4 IS NULL OR substr(t.key, 1, length(?4)) = ?4) "                         \
                  "AND (?5 = 0 OR t.deleted_at < ?5) ORDER BY t.id LIMIT ?6")                      \
    X(TRASH_DELETE, "DELETE FROM trash WHERE id = ?1")                                             \
    X(TAGS_CLEAR, "DELETE FROM object_tags WHERE bucket = ?1 AND key = ?2")                        \
    X(TAGS_INSERT, "INSERT INTO object_tags (bucket, key, name, value) VALUES (?1, ?2, ?3, ?4)")   \
    X(TAGS_GET, "SELECT name, value FROM object_tags WHERE bucket = ?1 AND key = ?2 "              \
                "ORDER BY name")

SQLITE__STATEMENTS(RECOVERY_STATEMENTS, SQLITE__RECOVERY)

static void read_trash(sqlite3_stmt *st, struct db_trash *t)
{
    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(st, 0);
    sqlite__copy_col(st, 1, t->bucket, sizeof(t->bucket));
    sqlite__copy_col(st, 2, t->key, sizeof(t->key));
    sqlite__copy_col(st, 3, t->trash_key, sizeof(t->trash_key));
    sqlite__copy_col(st, 4, t->version_id, sizeof(t->version_id));
    t->size = sqlite3_column_int64(st, 5);
    t->deleted_by = sqlite3_column_int64(st, 6);
    sqlite__copy_col(st, 7, t->deleted_by_email, sizeof(t->deleted_by_email));
    t->deleted_at = sqlite3_column_int64(st, 8);
    t->uploaded_by = sqlite3_column_int64(st, 9);
}

int sqlite__trash_insert(struct db *db, struct db_trash *t, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_TRASH_INSERT);
        if (st) {
            sqlite__bind_text(st, 1, t->bucket);
            sqlite__bind_text(st, 2, t->key);
            sqlite__bind_text(st, 3, t->trash_key);
            sqlite__bind_text(st, 4, t->version_id);
            sqlite3_bind_int64(st, 5, t->size);
            sqlite3_bind_int64(st, 6, t->deleted_by);
            sqlite3_bind_int64(st, 7, t->deleted_at);
            sqlite3_bind_int64(st, 8, t->uploaded_by);
        }
        rc = sqlite__exec(st);
        int64_t id = rc == 0 ? sqlite3_last_insert_rowid(c->handle) : 0;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
        if (rc == 0)
            t->id = id;
    }
    sqlite__release(db, c);
    return rc;
}

/* One row by id (text NULL) or by marker (bucket, version id). */
static int trash_read_one(struct db *db, int64_t id, const char *bucket, const char *version_id,
                          struct db_trash *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, bucket ? STMT_TRASH_MARKER : STMT_TRASH_GET);
    int rc = SEAU_E_DB;
    if (st) {
        if (bucket) {
            sqlite__bind_text(st, 1, bucket);
            sqlite__bind_text(st, 2, version_id);
        } else {
            sqlite3_bind_int64(st, 1, id);
        }
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            read_trash(st, ret);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__fail(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__trash_get(struct db *db, int64_t id, struct db_trash *ret)
{
    return trash_read_one(db, id, NULL, NULL, ret);
}

int sqlite__trash_find_marker(struct db *db, const char *bucket, const char *version_id,
                              struct db_trash *ret)
{
    if (!version_id || !*version_id)
        return SEAU_E_NOT_FOUND;
    return trash_read_one(db, 0, bucket, version_id, ret);
}

int sqlite__trash_list(struct db *db, const struct db_trash_filter *f, struct db_trash **ret,
                       size_t *ret_n)
{
    size_t limit = f->limit == 0 || f->limit > 1001 ? 1001 : f->limit;
    struct db_trash *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_TRASH_LIST);
    int rc = SEAU_E_DB;
    size_t n = 0;
    if (st) {
        sqlite__bind_text(st, 1, f->bucket);
        sqlite3_bind_int64(st, 2, f->after_id);
        sqlite3_bind_int64(st, 3, f->deleted_by);
        sqlite__bind_text(st, 4, f->prefix && *f->prefix ? f->prefix : NULL);
        sqlite3_bind_int64(st, 5, f->before_time);
        sqlite3_bind_int64(st, 6, (int64_t)limit);
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW && n < limit)
            read_trash(st, &rows[n++]);
        rc = r == SQLITE_DONE || r == SQLITE_ROW ? 0 : sqlite__fail(r);
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

int sqlite__trash_delete(struct db *db, int64_t id, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_TRASH_DELETE);
        if (st)
            sqlite3_bind_int64(st, 1, id);
        rc = sqlite__exec(st);
        if (rc == 0 && sqlite3_changes(c->handle) != 1)
            rc = SEAU_E_NOT_FOUND;
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__tags_set(struct db *db, const char *bucket, const char *key, const struct db_tag *tags,
                     size_t n, struct db_audit_entry *audit)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_TAGS_CLEAR);
        if (st) {
            sqlite__bind_text(st, 1, bucket);
            sqlite__bind_text(st, 2, key);
        }
        rc = sqlite__exec(st);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            st = stmt(c, STMT_TAGS_INSERT);
            if (st) {
                sqlite__bind_text(st, 1, bucket);
                sqlite__bind_text(st, 2, key);
                sqlite__bind_text(st, 3, tags[i].name);
                sqlite__bind_text(st, 4, tags[i].value);
            }
            rc = sqlite__exec(st);
        }
        rc = sqlite__audit_write(db, c, rc, audit);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__tags_get(struct db *db, const char *bucket, const char *key, struct db_tag **ret,
                     size_t *ret_n)
{
    struct db_tag *rows = NULL; /* allocated with the first row: NULL when there is none */
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_TAGS_GET);
    int rc = SEAU_E_DB;
    size_t n = 0;
    if (st) {
        sqlite__bind_text(st, 1, bucket);
        sqlite__bind_text(st, 2, key);
        int r = SQLITE_DONE;
        rc = 0;
        while (rc == 0 && n < DB_TAGS_MAX && (r = sqlite3_step(st)) == SQLITE_ROW) {
            if (!rows && !(rows = calloc(DB_TAGS_MAX, sizeof(*rows)))) {
                rc = SEAU_E_NOMEM;
                break;
            }
            sqlite__copy_col(st, 0, rows[n].name, sizeof(rows[n].name));
            sqlite__copy_col(st, 1, rows[n].value, sizeof(rows[n].value));
            n++;
        }
        if (rc == 0 && n < DB_TAGS_MAX && r != SQLITE_DONE)
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
