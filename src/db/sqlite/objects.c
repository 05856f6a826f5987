/*
 * The SQLite store's object index: what Seau knows of the objects in S3,
 * written when Seau changes an object and when a bucket walk syncs it
 * (files/index.c), with the trigram index of keys (objects_fts) and the
 * kept totals by kind and by day (object_totals, object_days) updated in the
 * same transaction as each row. Reading the index lives beside it: search.c
 * (search) and views.c (totals, sorted levels, folders).
 */
#include "core/err.h"
#include "db/sqlite/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a delete of index rows returns: for the trigram index, then for the kept totals. */
#define DELETED_COLS "RETURNING rowid, key, bucket, size, kind, last_modified"

#define OBJECT_STATEMENTS(X)                                                                       \
    X(OBJECT_INSERT,                                                                               \
      "INSERT OR IGNORE INTO objects (bucket, key, size, etag, last_modified, content_type, "      \
      "kind, uploaded_by, indexed_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)")   \
    X(OBJECT_UPSERT,                                                                               \
      "INSERT INTO objects (bucket, key, size, etag, last_modified, content_type, kind, "          \
      "uploaded_by, indexed_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "         \
      "ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, "       \
      "last_modified = excluded.last_modified, content_type = excluded.content_type, "             \
      "kind = excluded.kind, uploaded_by = excluded.uploaded_by, "                                 \
      "indexed_at = excluded.indexed_at, seen_at = max(seen_at, excluded.seen_at)")                \
    X(OBJECT_GET,                                                                                  \
      "SELECT " SQLITE__OBJECT_COLS " FROM objects o WHERE o.bucket = ?1 AND o.key = ?2")          \
    X(OBJECT_DELETE, "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 " DELETED_COLS)           \
    X(OBJECT_DELETE_RANGE, "DELETE FROM objects WHERE bucket = ?1 AND key >= ?2 AND (?3 IS NULL "  \
                           "OR key < ?3) " DELETED_COLS)                                           \
    X(OBJECT_SYNC_SAME, "UPDATE objects SET seen_at = max(seen_at, ?6) WHERE bucket = ?1 "         \
                        "AND key = ?2 AND size = ?3 AND etag IS ?4 AND last_modified = ?5")        \
    /* A row Seau wrote after the walk began (seen_at > ?7) is newer than the listing. */          \
    X(OBJECT_SYNC_CHANGE,                                                                          \
      "UPDATE objects SET size = ?3, etag = ?4, last_modified = ?5, content_type = NULL, "         \
      "kind = ?6, uploaded_by = NULL, indexed_at = ?7, seen_at = ?7 "                              \
      "WHERE bucket = ?1 AND key = ?2 AND seen_at <= ?7")                                          \
    X(OBJECT_SYNC_ADD,                                                                             \
      "INSERT OR IGNORE INTO objects (bucket, key, size, etag, last_modified, content_type, "      \
      "kind, uploaded_by, indexed_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, NULL, ?7, "   \
      "?7)")                                                                                       \
    X(OBJECT_SWEEP, "DELETE FROM objects WHERE bucket = ?1 AND seen_at < ?2 " DELETED_COLS)        \
    X(FTS_INSERT, "INSERT INTO objects_fts (rowid, key) VALUES (?1, ?2)")                          \
    X(FTS_DELETE, "INSERT INTO objects_fts (objects_fts, rowid, key) VALUES ('delete', ?1, ?2)")   \
    X(TOTALS_ADD,                                                                                  \
      "INSERT INTO object_totals (bucket, kind, objects, bytes) VALUES (?1, ?2, ?3, ?4) "          \
      "ON CONFLICT (bucket, kind) DO UPDATE SET objects = objects + excluded.objects, "            \
      "bytes = bytes + excluded.bytes")                                                            \
    X(DAYS_ADD, "INSERT INTO object_days (bucket, day, objects, bytes) VALUES (?1, ?2, ?3, ?4) "   \
                "ON CONFLICT (bucket, day) DO UPDATE SET objects = objects + excluded.objects, "   \
                "bytes = bytes + excluded.bytes")                                                  \
    X(OBJECT_OLD, "SELECT size, kind, last_modified FROM objects WHERE bucket = ?1 AND key = ?2")  \
    X(INDEX_SYNC_GET, "SELECT walk_started, after_key, listed, completed_at FROM index_sync "      \
                      "WHERE bucket = ?1")                                                         \
    X(INDEX_SYNC_PUT,                                                                              \
      "INSERT INTO index_sync (bucket, walk_started, after_key, listed, completed_at) "            \
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (bucket) DO UPDATE SET "                           \
      "walk_started = excluded.walk_started, after_key = excluded.after_key, "                     \
      "listed = excluded.listed, completed_at = excluded.completed_at")

SQLITE__STATEMENTS(OBJECT_STATEMENTS, SQLITE__OBJECTS)

void sqlite__read_object(sqlite3_stmt *st, struct db_object *o)
{
    memset(o, 0, sizeof(*o));
    sqlite__copy_col(st, 0, o->bucket, sizeof(o->bucket));
    sqlite__copy_col(st, 1, o->key, sizeof(o->key));
    o->size = sqlite3_column_int64(st, 2);
    sqlite__copy_col(st, 3, o->etag, sizeof(o->etag));
    o->last_modified = sqlite3_column_int64(st, 4);
    sqlite__copy_col(st, 5, o->content_type, sizeof(o->content_type));
    sqlite__copy_col(st, 6, o->kind, sizeof(o->kind));
    o->uploaded_by = sqlite3_column_int64(st, 7);
    o->indexed_at = sqlite3_column_int64(st, 8);
}

/* Adds a new row's key to the trigram index; the caller holds the write transaction. */
static int fts_insert(struct sqlite__conn *c, int64_t rowid, const char *key)
{
    sqlite3_stmt *st = stmt(c, STMT_FTS_INSERT);
    if (st) {
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    }
    return sqlite__exec(st);
}

/*
 * The kept totals (object_totals, object_days; migration 0004): every write
 * to objects notes what it added and removed here, and the deltas are
 * written once per (bucket, kind) and (bucket, day) before the transaction
 * ends. The caller holds the write transaction.
 */
#define TOTALS_ACC_MAX 32
#define TOTALS_DAY_MS  86400000LL

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
static int acc_flush(struct sqlite__conn *c, struct totals_acc *a)
{
    int rc = a->rc;
    for (size_t i = 0; rc == 0 && i < a->n; i++) {
        if (a->e[i].objects == 0 && a->e[i].bytes == 0)
            continue;
        bool day = a->e[i].kind[0] == '\0';
        sqlite3_stmt *st = stmt(c, day ? STMT_DAYS_ADD : STMT_TOTALS_ADD);
        if (st) {
            sqlite__bind_text(st, 1, a->e[i].bucket);
            if (day)
                sqlite3_bind_int64(st, 2, a->e[i].day);
            else
                sqlite__bind_text(st, 2, a->e[i].kind);
            sqlite3_bind_int64(st, 3, a->e[i].objects);
            sqlite3_bind_int64(st, 4, a->e[i].bytes);
        }
        rc = sqlite__exec(st);
    }
    a->n = 0;
    a->rc = 0;
    return rc;
}

static void acc_entry(struct sqlite__conn *c, struct totals_acc *a, const char *bucket,
                      const char *kind, int64_t day, int64_t objects, int64_t bytes)
{
    size_t i = 0;
    while (i < a->n && !(strcmp(a->e[i].bucket, bucket) == 0 && strcmp(a->e[i].kind, kind) == 0 &&
                         a->e[i].day == day))
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
static void acc_note(struct sqlite__conn *c, struct totals_acc *a, const char *bucket,
                     const char *kind, int64_t size, int64_t last_modified, int sign)
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

static int old_row_read(struct sqlite__conn *c, const char *bucket, const char *key,
                        struct old_row *ret)
{
    sqlite3_stmt *st = stmt(c, STMT_OBJECT_OLD);
    if (!st)
        return SEAU_E_DB;
    sqlite__bind_text(st, 1, bucket);
    sqlite__bind_text(st, 2, key);
    int r = sqlite3_step(st);
    int rc = 0;
    ret->exists = r == SQLITE_ROW;
    if (r == SQLITE_ROW) {
        ret->size = sqlite3_column_int64(st, 0);
        copy_bounded(ret->kind, sizeof(ret->kind), (const char *)sqlite3_column_text(st, 1));
        ret->last_modified = sqlite3_column_int64(st, 2);
    } else if (r != SQLITE_DONE) {
        rc = sqlite__fail(r);
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
static int delete_returning(struct sqlite__conn *c, sqlite3_stmt *st, int64_t *ret_n)
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
            rc = sqlite__fail(r);
            break;
        }
        int64_t rowid = sqlite3_column_int64(st, 0);
        sqlite3_stmt *f = stmt(c, STMT_FTS_DELETE);
        if (f) {
            sqlite3_bind_int64(f, 1, rowid);
            sqlite3_bind_text(f, 2, (const char *)sqlite3_column_text(st, 1), -1, SQLITE_TRANSIENT);
        }
        rc = sqlite__exec(f);
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
    sqlite__bind_text(st, 1, o->bucket);
    sqlite__bind_text(st, 2, o->key);
    sqlite3_bind_int64(st, 3, o->size);
    sqlite__bind_opt_text(st, 4, o->etag);
    sqlite3_bind_int64(st, 5, o->last_modified);
    sqlite__bind_opt_text(st, 6, o->content_type);
    sqlite__bind_text(st, 7, *o->kind ? o->kind : "other");
    if (o->uploaded_by)
        sqlite3_bind_int64(st, 8, o->uploaded_by);
    sqlite3_bind_int64(st, 9, o->indexed_at);
}

/* Inserts the row (and its key into the FTS index), or replaces the existing row's fields. */
int sqlite__object_upsert(struct db *db, const struct db_object *o)
{
    struct totals_acc *acc = calloc(1, sizeof(*acc));
    if (!acc)
        return SEAU_E_NOMEM;
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_OBJECT_INSERT);
        if (st)
            bind_object(st, o);
        rc = sqlite__exec(st);
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
                rc = sqlite__exec(st);
        }
        acc_note(c, acc, o->bucket, o->kind, o->size, o->last_modified, 1);
        if (rc == 0)
            rc = acc_flush(c, acc);
        rc = sqlite__tx_end(c, rc);
    }
    free(acc);
    sqlite__release(db, c);
    return rc;
}

int sqlite__object_get(struct db *db, const char *bucket, const char *key, struct db_object *ret)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_OBJECT_GET);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite__bind_text(st, 1, bucket);
        sqlite__bind_text(st, 2, key);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            sqlite__read_object(st, ret);
            rc = 0;
        } else {
            rc = r == SQLITE_DONE ? SEAU_E_NOT_FOUND : sqlite__map_rc(r);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__object_delete(struct db *db, const char *bucket, const char *key)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_OBJECT_DELETE);
        if (st) {
            sqlite__bind_text(st, 1, bucket);
            sqlite__bind_text(st, 2, key);
        }
        rc = delete_returning(c, st, NULL);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__object_delete_prefix(struct db *db, const char *bucket, const char *prefix,
                                 int64_t *ret_n)
{
    char hi[DB_PREFIX_MAX + 2];
    bool bounded = db__prefix_successor(prefix, hi, sizeof(hi));
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_OBJECT_DELETE_RANGE);
        if (st) {
            sqlite__bind_text(st, 1, bucket);
            sqlite__bind_text(st, 2, prefix);
            sqlite__bind_text(st, 3, bounded ? hi : NULL);
        }
        rc = delete_returning(c, st, ret_n);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

/* One listed object: marks it, replaces it, or adds it; counts which. */
/* Binds the parameters STMT_OBJECT_SYNC_CHANGE and STMT_OBJECT_SYNC_ADD share. */
static void bind_sync_row(sqlite3_stmt *st, const struct db_object *o, const char *kind,
                          int64_t seen_at)
{
    sqlite__bind_text(st, 1, o->bucket);
    sqlite__bind_text(st, 2, o->key);
    sqlite3_bind_int64(st, 3, o->size);
    sqlite__bind_opt_text(st, 4, o->etag);
    sqlite3_bind_int64(st, 5, o->last_modified);
    sqlite__bind_text(st, 6, kind);
    sqlite3_bind_int64(st, 7, seen_at);
}

static int sync_one(struct sqlite__conn *c, const struct db_object *o, int64_t seen_at,
                    struct db_sync_counts *counts, struct totals_acc *acc)
{
    const char *kind = *o->kind ? o->kind : "other";
    sqlite3_stmt *st = stmt(c, STMT_OBJECT_SYNC_SAME);
    if (!st)
        return SEAU_E_DB;
    sqlite__bind_text(st, 1, o->bucket);
    sqlite__bind_text(st, 2, o->key);
    sqlite3_bind_int64(st, 3, o->size);
    sqlite__bind_opt_text(st, 4, o->etag);
    sqlite3_bind_int64(st, 5, o->last_modified);
    sqlite3_bind_int64(st, 6, seen_at);
    int rc = sqlite__exec(st);
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
    rc = sqlite__exec(st);
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

int sqlite__object_sync_page(struct db *db, const struct db_object *objs, size_t n, int64_t seen_at,
                             struct db_sync_counts *counts)
{
    struct db_sync_counts local = *counts;
    struct totals_acc *acc = calloc(1, sizeof(*acc));
    if (!acc)
        return SEAU_E_NOMEM;
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = sync_one(c, &objs[i], seen_at, &local, acc);
        if (rc == 0)
            rc = acc_flush(c, acc);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    free(acc);
    if (rc == 0)
        *counts = local;
    return rc;
}

int sqlite__object_sync_sweep(struct db *db, const char *bucket, int64_t walk_started,
                              int64_t *ret_n)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int rc = sqlite__tx_begin(c);
    if (rc == 0) {
        sqlite3_stmt *st = stmt(c, STMT_OBJECT_SWEEP);
        if (st) {
            sqlite__bind_text(st, 1, bucket);
            sqlite3_bind_int64(st, 2, walk_started);
        }
        rc = delete_returning(c, st, ret_n);
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    return rc;
}

int sqlite__index_sync_get(struct db *db, const char *bucket, struct db_index_sync *ret)
{
    struct db_index_sync s;
    memset(&s, 0, sizeof(s));
    snprintf(s.bucket, sizeof(s.bucket), "%s", bucket);
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_INDEX_SYNC_GET);
    int rc = SEAU_E_DB;
    if (st) {
        sqlite__bind_text(st, 1, bucket);
        int r = sqlite3_step(st);
        rc = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : sqlite__fail(r);
        if (r == SQLITE_ROW) {
            s.walk_started = sqlite3_column_int64(st, 0);
            sqlite__copy_col(st, 1, s.after_key, sizeof(s.after_key));
            s.listed = sqlite3_column_int64(st, 2);
            s.completed_at = sqlite3_column_int64(st, 3);
        }
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    if (rc == 0)
        *ret = s;
    return rc;
}

int sqlite__index_sync_put(struct db *db, const struct db_index_sync *s)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_INDEX_SYNC_PUT);
    if (st) {
        sqlite__bind_text(st, 1, s->bucket);
        sqlite3_bind_int64(st, 2, s->walk_started);
        sqlite__bind_opt_text(st, 3, s->after_key);
        sqlite3_bind_int64(st, 4, s->listed);
        sqlite3_bind_int64(st, 5, s->completed_at);
    }
    int rc = sqlite__exec(st);
    sqlite__release(db, c);
    return rc;
}
