/*
 * The PostgreSQL store's recycle bin and tag index (see the SQLite store's
 * recovery.c). Each change and its audit entry share one transaction.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdlib.h>
#include <string.h>

#define TRASH_COLS                                                                                 \
    "t.id, t.bucket, t.key, t.trash_key, t.version_id, t.size, t.deleted_by, u.email, "            \
    "t.deleted_at, t.uploaded_by FROM trash t LEFT JOIN users u ON u.id = t.deleted_by "
#define RECOVERY_STATEMENTS(X)                                                                     \
    X(TRASH_INSERT, "INSERT INTO trash (bucket, key, trash_key, version_id, size, deleted_by, "    \
                    "deleted_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")                \
    X(TRASH_GET, "SELECT " TRASH_COLS "WHERE t.id = $1")                                           \
    X(TRASH_MARKER, "SELECT " TRASH_COLS "WHERE t.bucket = $1 AND t.version_id = $2 "              \
                    "AND t.version_id <> '' ORDER BY t.id DESC LIMIT 1")                           \
    X(TRASH_LIST, "SELECT " TRASH_COLS "WHERE t.bucket = $1 AND t.trash_key <> '' "                \
                  "AND t.id > $2 AND ($3::bigint = 0 OR t.deleted_by = $3) "                       \
                  "AND ($4::text IS NULL OR left(t.key, length($4)) = $4) "                        \
                  "AND ($5::bigint = 0 OR t.deleted_at < $5) ORDER BY t.id LIMIT $6")              \
    X(TRASH_DELETE, "DELETE FROM trash WHERE id = $1")                                             \
    X(TAGS_CLEAR, "DELETE FROM object_tags WHERE bucket = $1 AND key = $2")                        \
    X(TAGS_INSERT, "INSERT INTO object_tags (bucket, key, name, value) VALUES ($1, $2, $3, $4)")   \
    X(TAGS_GET, "SELECT name, value FROM object_tags WHERE bucket = $1 AND key = $2 "              \
                "ORDER BY name")

PG__STATEMENTS(RECOVERY_STATEMENTS, PG__RECOVERY)

static void read_trash(const PGresult *r, int row, struct db_trash *t)
{
    memset(t, 0, sizeof(*t));
    t->id = pg__i64(r, row, 0);
    pg__copy(r, row, 1, t->bucket, sizeof(t->bucket));
    pg__copy(r, row, 2, t->key, sizeof(t->key));
    pg__copy(r, row, 3, t->trash_key, sizeof(t->trash_key));
    pg__copy(r, row, 4, t->version_id, sizeof(t->version_id));
    t->size = pg__i64(r, row, 5);
    t->deleted_by = pg__i64(r, row, 6);
    pg__copy(r, row, 7, t->deleted_by_email, sizeof(t->deleted_by_email));
    t->deleted_at = pg__i64(r, row, 8);
    t->uploaded_by = pg__i64(r, row, 9);
}

struct trash_change {
    struct db_trash *t;
    int64_t id;
    const char *bucket, *key;
    const struct db_tag *tags;
    size_t ntags;
    struct db_audit_entry *audit;
};

static int trash_insert_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct trash_change *x = ctx;
    const struct db_trash *t = x->t;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, t->bucket);
    pg__p_text(&p, t->key);
    pg__p_text(&p, t->trash_key);
    pg__p_text(&p, t->version_id);
    pg__p_i64(&p, t->size);
    pg__p_i64(&p, t->deleted_by);
    pg__p_i64(&p, t->deleted_at);
    pg__p_i64(&p, t->uploaded_by);
    PGresult *r = run(c, STMT_TRASH_INSERT, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 1)
        x->id = pg__i64(r, 0, 0);
    else if (rc == 0)
        rc = SEAU_E_DB;
    PQclear(r);
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__trash_insert(struct db *db, struct db_trash *t, struct db_audit_entry *audit)
{
    struct trash_change x = {.t = t, .audit = audit};
    int rc = pg__tx(db, trash_insert_tx, &x);
    if (rc == 0)
        t->id = x.id;
    return rc;
}

static int trash_read_one(struct db *db, enum stmt_id id, struct pg__params *p,
                          struct db_trash *ret)
{
    struct pg__conn *c = pg__acquire(db);
    PGresult *r = run(c, id, p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        read_trash(r, 0, ret);
    PQclear(r);
    pg__release(db, c);
    return rc;
}

int pg__trash_get(struct db *db, int64_t id, struct db_trash *ret)
{
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, id);
    return trash_read_one(db, STMT_TRASH_GET, &p, ret);
}

int pg__trash_find_marker(struct db *db, const char *bucket, const char *version_id,
                          struct db_trash *ret)
{
    if (!version_id || !*version_id)
        return SEAU_E_NOT_FOUND;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, bucket);
    pg__p_text(&p, version_id);
    return trash_read_one(db, STMT_TRASH_MARKER, &p, ret);
}

int pg__trash_list(struct db *db, const struct db_trash_filter *f, struct db_trash **ret,
                   size_t *ret_n)
{
    size_t limit = f->limit == 0 || f->limit > 1001 ? 1001 : f->limit;
    struct db_trash *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, f->bucket);
    pg__p_i64(&p, f->after_id);
    pg__p_i64(&p, f->deleted_by);
    pg__p_opt_text(&p, f->prefix);
    pg__p_i64(&p, f->before_time);
    pg__p_i64(&p, (int64_t)limit);
    PGresult *r = run(c, STMT_TRASH_LIST, &p);
    int rc = pg__status(c, r);
    size_t n = 0;
    int nrows = rc == 0 ? PQntuples(r) : 0;
    for (int i = 0; i < nrows && n < limit; i++)
        read_trash(r, i, &rows[n++]);
    PQclear(r);
    pg__release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}

static int trash_delete_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct trash_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, x->id);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_TRASH_DELETE, &p), &changed);
    if (rc == 0 && changed != 1)
        rc = SEAU_E_NOT_FOUND;
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__trash_delete(struct db *db, int64_t id, struct db_audit_entry *audit)
{
    struct trash_change x = {.id = id, .audit = audit};
    return pg__tx(db, trash_delete_tx, &x);
}

static int tags_set_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct trash_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, x->bucket);
    pg__p_text(&p, x->key);
    int rc = pg__done(c, run(c, STMT_TAGS_CLEAR, &p), NULL);
    for (size_t i = 0; rc == 0 && i < x->ntags; i++) {
        struct pg__params q = {.n = 0};
        pg__p_text(&q, x->bucket);
        pg__p_text(&q, x->key);
        pg__p_text(&q, x->tags[i].name);
        pg__p_text(&q, x->tags[i].value);
        rc = pg__done(c, run(c, STMT_TAGS_INSERT, &q), NULL);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__tags_set(struct db *db, const char *bucket, const char *key, const struct db_tag *tags,
                 size_t n, struct db_audit_entry *audit)
{
    struct trash_change x = {
        .bucket = bucket, .key = key, .tags = tags, .ntags = n, .audit = audit};
    return pg__tx(db, tags_set_tx, &x);
}

int pg__tags_get(struct db *db, const char *bucket, const char *key, struct db_tag **ret,
                 size_t *ret_n)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, bucket);
    pg__p_text(&p, key);
    PGresult *r = run(c, STMT_TAGS_GET, &p);
    int rc = pg__status(c, r);
    int nrows = rc == 0 ? PQntuples(r) : 0;
    struct db_tag *rows = NULL;
    size_t n = 0;
    if (rc == 0 && nrows > 0) {
        rows = calloc(DB_TAGS_MAX, sizeof(*rows));
        if (!rows)
            rc = SEAU_E_NOMEM;
        for (int i = 0; rows && i < nrows && n < DB_TAGS_MAX; i++, n++) {
            pg__copy(r, i, 0, rows[n].name, sizeof(rows[n].name));
            pg__copy(r, i, 1, rows[n].value, sizeof(rows[n].value));
        }
    }
    PQclear(r);
    pg__release(db, c);
    if (rc) {
        free(rows);
        return rc;
    }
    *ret = rows;
    *ret_n = n;
    return 0;
}
