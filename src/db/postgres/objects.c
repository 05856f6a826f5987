/*
 * The PostgreSQL store's object index: what Seau knows of the objects in
 * S3, written when Seau changes an object and when a bucket walk syncs it
 * (files/index.c). The trigram index (pg_trgm, migration 0002) and the kept
 * totals by kind and by day (triggers, migration 0004) follow every write
 * inside its own transaction, so this file only writes objects. Reading the
 * index lives beside it: search.c and views.c.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBJECT_STATEMENTS(X)                                                                       \
    X(OBJECT_UPSERT,                                                                               \
      "INSERT INTO objects AS o (bucket, key, size, etag, last_modified, content_type, kind, "     \
      "uploaded_by, indexed_at, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) "         \
      "ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, "       \
      "last_modified = excluded.last_modified, content_type = excluded.content_type, "             \
      "kind = excluded.kind, uploaded_by = excluded.uploaded_by, "                                 \
      "indexed_at = excluded.indexed_at, seen_at = greatest(o.seen_at, excluded.seen_at)")         \
    X(OBJECT_GET, "SELECT " PG__OBJECT_COLS " FROM objects o WHERE o.bucket = $1 AND o.key = $2")  \
    X(OBJECT_DELETE, "DELETE FROM objects WHERE bucket = $1 AND key = $2")                         \
    X(OBJECT_DELETE_RANGE, "DELETE FROM objects WHERE bucket = $1 AND key >= $2 "                  \
                           "AND ($3::text IS NULL OR key < $3)")                                   \
    X(OBJECT_SYNC_SAME,                                                                            \
      "UPDATE objects SET seen_at = greatest(seen_at, $6) WHERE bucket = $1 AND key = $2 "         \
      "AND size = $3 AND etag IS NOT DISTINCT FROM $4 AND last_modified = $5")                     \
    /* A row Seau wrote after the walk began (seen_at > $7) is newer than the listing. */          \
    X(OBJECT_SYNC_CHANGE,                                                                          \
      "UPDATE objects SET size = $3, etag = $4, last_modified = $5, content_type = NULL, "         \
      "kind = $6, uploaded_by = NULL, indexed_at = $7, seen_at = $7 "                              \
      "WHERE bucket = $1 AND key = $2 AND seen_at <= $7")                                          \
    X(OBJECT_SYNC_ADD,                                                                             \
      "INSERT INTO objects (bucket, key, size, etag, last_modified, content_type, kind, "          \
      "uploaded_by, indexed_at, seen_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, NULL, $7, $7) "     \
      "ON CONFLICT (bucket, key) DO NOTHING")                                                      \
    X(OBJECT_SWEEP, "DELETE FROM objects WHERE bucket = $1 AND seen_at < $2")                      \
    X(INDEX_SYNC_GET, "SELECT walk_started, after_key, listed, completed_at FROM index_sync "      \
                      "WHERE bucket = $1")                                                         \
    X(INDEX_SYNC_PUT,                                                                              \
      "INSERT INTO index_sync (bucket, walk_started, after_key, listed, completed_at) "            \
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (bucket) DO UPDATE SET "                           \
      "walk_started = excluded.walk_started, after_key = excluded.after_key, "                     \
      "listed = excluded.listed, completed_at = excluded.completed_at")

PG__STATEMENTS(OBJECT_STATEMENTS, PG__OBJECTS)

void pg__read_object(const PGresult *r, int row, struct db_object *o)
{
    memset(o, 0, sizeof(*o));
    pg__copy(r, row, 0, o->bucket, sizeof(o->bucket));
    pg__copy(r, row, 1, o->key, sizeof(o->key));
    o->size = pg__i64(r, row, 2);
    pg__copy(r, row, 3, o->etag, sizeof(o->etag));
    o->last_modified = pg__i64(r, row, 4);
    pg__copy(r, row, 5, o->content_type, sizeof(o->content_type));
    pg__copy(r, row, 6, o->kind, sizeof(o->kind));
    o->uploaded_by = pg__i64(r, row, 7);
    o->indexed_at = pg__i64(r, row, 8);
}

static int object_upsert_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    const struct db_object *o = ctx;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, o->bucket);
    pg__p_text(&p, o->key);
    pg__p_i64(&p, o->size);
    pg__p_opt_text(&p, o->etag);
    pg__p_i64(&p, o->last_modified);
    pg__p_opt_text(&p, o->content_type);
    pg__p_text(&p, *o->kind ? o->kind : "other");
    pg__p_opt_i64(&p, o->uploaded_by, 0);
    pg__p_i64(&p, o->indexed_at);
    return pg__done(c, run(c, STMT_OBJECT_UPSERT, &p), NULL);
}

int pg__object_upsert(struct db *db, const struct db_object *o)
{
    return pg__tx(db, object_upsert_tx, (void *)o);
}

int pg__object_get(struct db *db, const char *bucket, const char *key, struct db_object *ret)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, bucket);
    pg__p_text(&p, key);
    PGresult *r = run(c, STMT_OBJECT_GET, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        pg__read_object(r, 0, ret);
    PQclear(r);
    pg__release(db, c);
    return rc;
}

/* One DELETE with up to three text parameters, in its own transaction (with the totals). */
struct object_delete {
    enum stmt_id id;
    const char *a, *b, *hi;
    int64_t t;
    int nparams;
    int64_t deleted;
};

static int object_delete_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct object_delete *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, x->a);
    if (x->id == STMT_OBJECT_SWEEP) {
        pg__p_i64(&p, x->t);
    } else {
        pg__p_text(&p, x->b);
        if (x->id == STMT_OBJECT_DELETE_RANGE)
            pg__p_text(&p, x->hi);
    }
    return pg__done(c, run(c, x->id, &p), &x->deleted);
}

int pg__object_delete(struct db *db, const char *bucket, const char *key)
{
    struct object_delete x = {.id = STMT_OBJECT_DELETE, .a = bucket, .b = key};
    return pg__tx(db, object_delete_tx, &x);
}

int pg__object_delete_prefix(struct db *db, const char *bucket, const char *prefix, int64_t *ret_n)
{
    char hi[DB_PREFIX_MAX + 2];
    bool bounded = db__prefix_successor(prefix, hi, sizeof(hi));
    struct object_delete x = {
        .id = STMT_OBJECT_DELETE_RANGE, .a = bucket, .b = prefix, .hi = bounded ? hi : NULL};
    int rc = pg__tx(db, object_delete_tx, &x);
    if (rc == 0 && ret_n)
        *ret_n = x.deleted;
    return rc;
}

int pg__object_sync_sweep(struct db *db, const char *bucket, int64_t walk_started, int64_t *ret_n)
{
    struct object_delete x = {.id = STMT_OBJECT_SWEEP, .a = bucket, .t = walk_started};
    int rc = pg__tx(db, object_delete_tx, &x);
    if (rc == 0 && ret_n)
        *ret_n = x.deleted;
    return rc;
}

/* Binds the parameters STMT_OBJECT_SYNC_CHANGE and STMT_OBJECT_SYNC_ADD share. */
static void params_sync_row(struct pg__params *p, const struct db_object *o, const char *kind,
                            int64_t seen_at)
{
    pg__p_text(p, o->bucket);
    pg__p_text(p, o->key);
    pg__p_i64(p, o->size);
    pg__p_opt_text(p, o->etag);
    pg__p_i64(p, o->last_modified);
    pg__p_text(p, kind);
    pg__p_i64(p, seen_at);
}

/* One listed object: marks it, adds it, or replaces it; counts which. */
static int sync_one(struct pg__conn *c, const struct db_object *o, int64_t seen_at,
                    struct db_sync_counts *counts)
{
    const char *kind = *o->kind ? o->kind : "other";
    struct pg__params p = {.n = 0};
    pg__p_text(&p, o->bucket);
    pg__p_text(&p, o->key);
    pg__p_i64(&p, o->size);
    pg__p_opt_text(&p, o->etag);
    pg__p_i64(&p, o->last_modified);
    pg__p_i64(&p, seen_at);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_OBJECT_SYNC_SAME, &p), &changed);
    if (rc == 0 && changed == 1) {
        counts->unchanged++;
        return 0;
    }
    if (rc)
        return rc;
    struct pg__params q = {.n = 0};
    params_sync_row(&q, o, kind, seen_at);
    rc = pg__done(c, run(c, STMT_OBJECT_SYNC_ADD, &q), &changed);
    if (rc == 0 && changed == 1) {
        counts->added++;
        return 0;
    }
    if (rc)
        return rc;
    rc = pg__done(c, run(c, STMT_OBJECT_SYNC_CHANGE, &q), &changed);
    if (rc)
        return rc;
    /* Not changed: Seau wrote the object after the walk began; its row is newer. */
    if (changed == 1)
        counts->changed++;
    else
        counts->unchanged++;
    return 0;
}

struct sync_page {
    const struct db_object *objs;
    size_t n;
    int64_t seen_at;
    struct db_sync_counts counts;
};

static int sync_page_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct sync_page *x = ctx;
    struct db_sync_counts local = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < x->n; i++)
        rc = sync_one(c, &x->objs[i], x->seen_at, &local);
    if (rc == 0)
        x->counts = local;
    return rc;
}

int pg__object_sync_page(struct db *db, const struct db_object *objs, size_t n, int64_t seen_at,
                         struct db_sync_counts *counts)
{
    struct sync_page x = {.objs = objs, .n = n, .seen_at = seen_at};
    int rc = pg__tx(db, sync_page_tx, &x);
    if (rc == 0) {
        counts->added += x.counts.added;
        counts->changed += x.counts.changed;
        counts->unchanged += x.counts.unchanged;
    }
    return rc;
}

int pg__index_sync_get(struct db *db, const char *bucket, struct db_index_sync *ret)
{
    struct db_index_sync s;
    memset(&s, 0, sizeof(s));
    snprintf(s.bucket, sizeof(s.bucket), "%s", bucket);
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, bucket);
    PGresult *r = run(c, STMT_INDEX_SYNC_GET, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 1) {
        s.walk_started = pg__i64(r, 0, 0);
        pg__copy(r, 0, 1, s.after_key, sizeof(s.after_key));
        s.listed = pg__i64(r, 0, 2);
        s.completed_at = pg__i64(r, 0, 3);
    }
    PQclear(r);
    pg__release(db, c);
    if (rc == 0)
        *ret = s;
    return rc;
}

int pg__index_sync_put(struct db *db, const struct db_index_sync *s)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, s->bucket);
    pg__p_i64(&p, s->walk_started);
    pg__p_opt_text(&p, s->after_key);
    pg__p_i64(&p, s->listed);
    pg__p_i64(&p, s->completed_at);
    int rc = pg__done(c, run(c, STMT_INDEX_SYNC_PUT, &p), NULL);
    pg__release(db, c);
    return rc;
}
