/*
 * The PostgreSQL store's direct upload sessions (files/uploads.c), with a
 * lease (busy_until) taken by one guarded UPDATE, so that two requests on
 * any replicas never work on one session at once. The per-user limit is
 * counted under an advisory lock of that user inside the insert's
 * transaction, so concurrent starts cannot both pass it.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdlib.h>
#include <string.h>

#define XSTR(x) STR(x)
#define STR(x)  #x

#define UPLOAD_COLS                                                                                \
    "id, user_id, bucket, key, s3_upload_id, single, size, content_type, part_size, created_at, "  \
    "busy_until"

#define UPLOAD_STATEMENTS(X)                                                                       \
    X(UPLOAD_LOCK_USER,                                                                            \
      "SELECT pg_advisory_xact_lock(" XSTR(PG__LOCK_UPLOAD) ", ($1::bigint % 2147483647)::int)")   \
    X(UPLOAD_COUNT_USER, "SELECT count(*) FROM upload_sessions WHERE user_id = $1")                \
    X(UPLOAD_INSERT, "INSERT INTO upload_sessions (" UPLOAD_COLS ") "                              \
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)")                        \
    X(UPLOAD_GET, "SELECT " UPLOAD_COLS " FROM upload_sessions WHERE id = $1")                     \
    X(UPLOAD_CLAIM,                                                                                \
      "UPDATE upload_sessions SET busy_until = $3 WHERE id = $1 AND busy_until <= $2")             \
    X(UPLOAD_RELEASE, "UPDATE upload_sessions SET busy_until = 0 WHERE id = $1")                   \
    X(UPLOAD_DELETE, "DELETE FROM upload_sessions WHERE id = $1")                                  \
    X(UPLOAD_STALE, "SELECT " UPLOAD_COLS " FROM upload_sessions WHERE created_at < $1 "           \
                    "AND busy_until <= $2 ORDER BY created_at, id LIMIT $3")

PG__STATEMENTS(UPLOAD_STATEMENTS, PG__UPLOADS)

static void read_upload(const PGresult *r, int row, struct db_upload *u)
{
    memset(u, 0, sizeof(*u));
    pg__copy(r, row, 0, u->id, sizeof(u->id));
    u->user_id = pg__i64(r, row, 1);
    pg__copy(r, row, 2, u->bucket, sizeof(u->bucket));
    pg__copy(r, row, 3, u->key, sizeof(u->key));
    pg__copy(r, row, 4, u->s3_upload_id, sizeof(u->s3_upload_id));
    u->single = pg__bool(r, row, 5);
    u->size = pg__i64(r, row, 6);
    pg__copy(r, row, 7, u->content_type, sizeof(u->content_type));
    u->part_size = pg__i64(r, row, 8);
    u->created_at = pg__i64(r, row, 9);
    u->busy_until = pg__i64(r, row, 10);
}

struct upload_change {
    const struct db_upload *u;
    size_t max_per_user;
    const char *id;
    int64_t now, until;
    struct db_audit_entry *audit;
};

static int upload_insert_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct upload_change *x = ctx;
    const struct db_upload *u = x->u;
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, u->user_id);
    int rc = pg__done(c, run(c, STMT_UPLOAD_LOCK_USER, &p), NULL);
    if (rc == 0) {
        PGresult *r = run(c, STMT_UPLOAD_COUNT_USER, &p);
        rc = pg__status(c, r);
        if (rc == 0 && PQntuples(r) != 1)
            rc = SEAU_E_DB;
        if (rc == 0 && (uint64_t)pg__i64(r, 0, 0) >= x->max_per_user)
            rc = SEAU_E_CONFLICT;
        PQclear(r);
    }
    if (rc == 0) {
        struct pg__params q = {.n = 0};
        pg__p_text(&q, u->id);
        pg__p_i64(&q, u->user_id);
        pg__p_text(&q, u->bucket);
        pg__p_text(&q, u->key);
        pg__p_text(&q, u->s3_upload_id);
        pg__p_bool(&q, u->single);
        pg__p_i64(&q, u->size);
        pg__p_text(&q, u->content_type);
        pg__p_i64(&q, u->part_size);
        pg__p_i64(&q, u->created_at);
        rc = pg__done(c, run(c, STMT_UPLOAD_INSERT, &q), NULL);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__upload_insert(struct db *db, const struct db_upload *u, size_t max_per_user,
                      struct db_audit_entry *audit)
{
    struct upload_change x = {.u = u, .max_per_user = max_per_user, .audit = audit};
    return pg__tx(db, upload_insert_tx, &x);
}

/* Reads one session by id on a held connection; SEAU_E_NOT_FOUND when absent. */
static int upload_read(struct pg__conn *c, const char *id, struct db_upload *ret)
{
    struct pg__params p = {.n = 0};
    pg__p_text(&p, id);
    PGresult *r = run(c, STMT_UPLOAD_GET, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        read_upload(r, 0, ret);
    PQclear(r);
    return rc;
}

int pg__upload_get(struct db *db, const char *id, struct db_upload *ret)
{
    struct pg__conn *c = pg__acquire(db);
    int rc = upload_read(c, id, ret);
    pg__release(db, c);
    return rc;
}

static int upload_claim_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    (void)db;
    struct upload_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, x->id);
    pg__p_i64(&p, x->now);
    pg__p_i64(&p, x->until);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_UPLOAD_CLAIM, &p), &changed);
    if (rc == 0 && changed != 1) {
        /* Not taken: tell a missing session from a busy one. */
        struct db_upload u;
        rc = upload_read(c, x->id, &u);
        if (rc == 0)
            rc = SEAU_E_CONFLICT;
    }
    return rc;
}

int pg__upload_claim(struct db *db, const char *id, int64_t now, int64_t until)
{
    struct upload_change x = {.id = id, .now = now, .until = until};
    return pg__tx(db, upload_claim_tx, &x);
}

int pg__upload_release(struct db *db, const char *id)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_text(&p, id);
    int rc = pg__done(c, run(c, STMT_UPLOAD_RELEASE, &p), NULL);
    pg__release(db, c);
    return rc;
}

static int upload_delete_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct upload_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, x->id);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, STMT_UPLOAD_DELETE, &p), &changed);
    if (rc == 0 && changed != 1)
        rc = SEAU_E_NOT_FOUND;
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__upload_delete(struct db *db, const char *id, struct db_audit_entry *audit)
{
    struct upload_change x = {.id = id, .audit = audit};
    return pg__tx(db, upload_delete_tx, &x);
}

int pg__upload_list_stale(struct db *db, int64_t created_before, int64_t now, size_t limit,
                          struct db_upload **ret, size_t *ret_n)
{
    if (limit == 0 || limit > 1000)
        limit = 1000;
    struct db_upload *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, created_before);
    pg__p_i64(&p, now);
    pg__p_i64(&p, (int64_t)limit);
    PGresult *r = run(c, STMT_UPLOAD_STALE, &p);
    int rc = pg__status(c, r);
    size_t n = 0;
    int nrows = rc == 0 ? PQntuples(r) : 0;
    for (int i = 0; i < nrows && n < limit; i++)
        read_upload(r, i, &rows[n++]);
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
