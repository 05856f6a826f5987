/*
 * The PostgreSQL store's upload links (files/upload_links.c). Files and
 * bytes are counted by one guarded UPDATE (live, not expired, new totals
 * within the limits): under READ COMMITTED a concurrent UPDATE of the row
 * waits for the first to commit and re-checks the guard against the new
 * totals, so uploads on any number of replicas never pass a limit.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdlib.h>
#include <string.h>

#define LINK_COLS                                                                                  \
    "l.seq, l.id, l.token_hash, l.bucket, l.prefix, l.created_by, u.email, l.created_at, "         \
    "l.expires_at, l.password_hash, l.max_files, l.max_bytes, l.message, l.files, l.bytes, "       \
    "l.revoked_at FROM upload_links l LEFT JOIN users u ON u.id = l.created_by "

#define LINK_STATEMENTS(X)                                                                         \
    X(LINK_INSERT, "INSERT INTO upload_links (id, token_hash, bucket, prefix, created_by, "        \
                   "created_at, expires_at, password_hash, max_files, max_bytes, message) "        \
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING seq")          \
    X(LINK_GET, "SELECT " LINK_COLS "WHERE l.id = $1")                                             \
    X(LINK_GET_TOKEN, "SELECT " LINK_COLS "WHERE l.token_hash = $1")                               \
    X(LINK_LIST, "SELECT " LINK_COLS "WHERE l.revoked_at IS NULL "                                 \
                 "AND ($1::bigint = 0 OR l.seq < $1) AND ($2::bigint = 0 OR l.created_by = $2) "   \
                 "ORDER BY l.seq DESC LIMIT $3")                                                   \
    X(LINK_REVOKE, "UPDATE upload_links SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL") \
    X(LINK_TAKE, "UPDATE upload_links SET files = files + $3, bytes = bytes + $4 WHERE id = $1 "   \
                 "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) "             \
                 "AND (max_files IS NULL OR files + $3 <= max_files) "                             \
                 "AND (max_bytes IS NULL OR bytes + $4 <= max_bytes)")                             \
    X(LINK_GIVE_BACK, "UPDATE upload_links SET files = greatest(files - $2, 0), "                  \
                      "bytes = greatest(bytes - $3, 0) WHERE id = $1")                             \
    X(LINK_EXISTS, "SELECT 1 FROM upload_links WHERE id = $1")

PG__STATEMENTS(LINK_STATEMENTS, PG__UPLOAD_LINKS)

static void read_link(const PGresult *r, int row, struct db_upload_link *l)
{
    memset(l, 0, sizeof(*l));
    l->seq = pg__i64(r, row, 0);
    pg__copy(r, row, 1, l->id, sizeof(l->id));
    pg__bytes(r, row, 2, l->token_hash, DB_TOKEN_HASH_LEN);
    pg__copy(r, row, 3, l->bucket, sizeof(l->bucket));
    pg__copy(r, row, 4, l->prefix, sizeof(l->prefix));
    l->created_by = pg__i64(r, row, 5);
    pg__copy(r, row, 6, l->created_by_email, sizeof(l->created_by_email));
    l->created_at = pg__i64(r, row, 7);
    l->expires_at = pg__i64(r, row, 8);
    pg__copy(r, row, 9, l->password_hash, sizeof(l->password_hash));
    l->max_files = pg__i64(r, row, 10);
    l->max_bytes = pg__i64(r, row, 11);
    pg__copy(r, row, 12, l->message, sizeof(l->message));
    l->files = pg__i64(r, row, 13);
    l->bytes = pg__i64(r, row, 14);
    l->revoked_at = pg__i64(r, row, 15);
}

struct link_change {
    struct db_upload_link *l;
    enum stmt_id id;
    const char *link_id;
    int64_t now, files, bytes;
    int refused;
    int64_t seq;
    struct db_audit_entry *audit;
};

static int link_insert_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct link_change *x = ctx;
    const struct db_upload_link *l = x->l;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, l->id);
    pg__p_bytes(&p, l->token_hash, DB_TOKEN_HASH_LEN);
    pg__p_text(&p, l->bucket);
    pg__p_text(&p, l->prefix);
    pg__p_i64(&p, l->created_by);
    pg__p_i64(&p, l->created_at);
    pg__p_opt_i64(&p, l->expires_at, 0);
    pg__p_opt_text(&p, l->password_hash);
    pg__p_opt_i64(&p, l->max_files, 0);
    pg__p_opt_i64(&p, l->max_bytes, 0);
    pg__p_opt_text(&p, l->message);
    PGresult *r = run(c, STMT_LINK_INSERT, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 1)
        x->seq = pg__i64(r, 0, 0);
    else if (rc == 0)
        rc = SEAU_E_DB;
    PQclear(r);
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__upload_link_insert(struct db *db, struct db_upload_link *l, struct db_audit_entry *audit)
{
    struct link_change x = {.l = l, .audit = audit};
    int rc = pg__tx(db, link_insert_tx, &x);
    if (rc == 0)
        l->seq = x.seq;
    return rc;
}

static int link_read_one(struct db *db, enum stmt_id id, const char *text,
                         const unsigned char *hash, struct db_upload_link *ret)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    if (hash)
        pg__p_bytes(&p, hash, DB_TOKEN_HASH_LEN);
    else
        pg__p_text(&p, text);
    PGresult *r = run(c, id, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 0)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0)
        read_link(r, 0, ret);
    PQclear(r);
    pg__release(db, c);
    return rc;
}

int pg__upload_link_get(struct db *db, const char *id, struct db_upload_link *ret)
{
    return link_read_one(db, STMT_LINK_GET, id, NULL, ret);
}

int pg__upload_link_get_by_token(struct db *db, const unsigned char *token_hash,
                                 struct db_upload_link *ret)
{
    return link_read_one(db, STMT_LINK_GET_TOKEN, NULL, token_hash, ret);
}

int pg__upload_link_list(struct db *db, const struct db_upload_link_filter *f,
                         struct db_upload_link **ret, size_t *ret_n)
{
    size_t limit = f->limit == 0 || f->limit > 1001 ? 1001 : f->limit;
    struct db_upload_link *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, f->before_seq);
    pg__p_i64(&p, f->created_by);
    pg__p_i64(&p, (int64_t)limit);
    PGresult *r = run(c, STMT_LINK_LIST, &p);
    int rc = pg__status(c, r);
    size_t n = 0;
    int nrows = rc == 0 ? PQntuples(r) : 0;
    for (int i = 0; i < nrows && n < limit; i++)
        read_link(r, i, &rows[n++]);
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

/* One guarded UPDATE by id; when no row changed, SEAU_E_NOT_FOUND or x->refused. */
static int link_update_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct link_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, x->link_id);
    if (x->id == STMT_LINK_GIVE_BACK) {
        pg__p_i64(&p, x->files);
        pg__p_i64(&p, x->bytes);
    } else {
        pg__p_i64(&p, x->now);
        if (x->id == STMT_LINK_TAKE) {
            pg__p_i64(&p, x->files);
            pg__p_i64(&p, x->bytes);
        }
    }
    int64_t changed = 0;
    int rc = pg__done(c, run(c, x->id, &p), &changed);
    if (rc == 0 && changed != 1 && x->id != STMT_LINK_GIVE_BACK) {
        struct pg__params q = {.n = 0};
        pg__p_text(&q, x->link_id);
        PGresult *r = run(c, STMT_LINK_EXISTS, &q);
        rc = pg__status(c, r);
        if (rc == 0)
            rc = PQntuples(r) > 0 ? x->refused : SEAU_E_NOT_FOUND;
        PQclear(r);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__upload_link_revoke(struct db *db, const char *id, int64_t now,
                           struct db_audit_entry *audit)
{
    struct link_change x = {.id = STMT_LINK_REVOKE,
                            .link_id = id,
                            .now = now,
                            .refused = SEAU_E_NOT_FOUND,
                            .audit = audit};
    return pg__tx(db, link_update_tx, &x);
}

int pg__upload_link_take(struct db *db, const char *id, int64_t now, int64_t files, int64_t bytes)
{
    struct link_change x = {.id = STMT_LINK_TAKE,
                            .link_id = id,
                            .now = now,
                            .files = files,
                            .bytes = bytes,
                            .refused = SEAU_E_GONE};
    return pg__tx(db, link_update_tx, &x);
}

int pg__upload_link_give_back(struct db *db, const char *id, int64_t files, int64_t bytes)
{
    struct link_change x = {
        .id = STMT_LINK_GIVE_BACK, .link_id = id, .files = files, .bytes = bytes};
    return pg__tx(db, link_update_tx, &x);
}
