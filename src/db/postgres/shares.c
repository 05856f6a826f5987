/*
 * The PostgreSQL store's share links (files/shares.c). A download is
 * counted by one guarded UPDATE (live, not expired, below its limit): under
 * READ COMMITTED a concurrent UPDATE of the row waits for the first to
 * commit and then re-checks the guard against the new count, so downloads on
 * any number of replicas never pass the limit. The count and its audit
 * entry share one transaction.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdlib.h>
#include <string.h>

#define SHARE_COLS                                                                                 \
    "s.seq, s.id, s.token_hash, s.bucket, s.key, s.created_by, u.email, s.created_at, "            \
    "s.expires_at, s.password_hash, s.max_downloads, s.downloads, s.revoked_at "                   \
    "FROM shares s LEFT JOIN users u ON u.id = s.created_by "

#define SHARE_STATEMENTS(X)                                                                        \
    X(SHARE_INSERT, "INSERT INTO shares (id, token_hash, bucket, key, created_by, created_at, "    \
                    "expires_at, password_hash, max_downloads) "                                   \
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq")                   \
    X(SHARE_GET, "SELECT " SHARE_COLS "WHERE s.id = $1")                                           \
    X(SHARE_GET_TOKEN, "SELECT " SHARE_COLS "WHERE s.token_hash = $1")                             \
    X(SHARE_LIST_ALL,                                                                              \
      "SELECT " SHARE_COLS "WHERE s.revoked_at IS NULL "                                           \
      "AND ($1::bigint = 0 OR s.seq < $1) AND ($2::text IS NULL OR s.bucket = $2) "                \
      "ORDER BY s.seq DESC LIMIT $3")                                                              \
    X(SHARE_LIST_USER,                                                                             \
      "SELECT " SHARE_COLS "WHERE s.created_by = $4 AND s.revoked_at IS NULL "                     \
      "AND ($1::bigint = 0 OR s.seq < $1) AND ($2::text IS NULL OR s.bucket = $2) "                \
      "ORDER BY s.seq DESC LIMIT $3")                                                              \
    X(SHARE_REVOKE, "UPDATE shares SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")      \
    X(SHARE_COUNT, "UPDATE shares SET downloads = downloads + 1 WHERE id = $1 "                    \
                   "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) "           \
                   "AND (max_downloads IS NULL OR downloads < max_downloads)")                     \
    X(SHARE_EXISTS, "SELECT 1 FROM shares WHERE id = $1")

PG__STATEMENTS(SHARE_STATEMENTS, PG__SHARES)

static void read_share(const PGresult *r, int row, struct db_share *s)
{
    memset(s, 0, sizeof(*s));
    s->seq = pg__i64(r, row, 0);
    pg__copy(r, row, 1, s->id, sizeof(s->id));
    pg__bytes(r, row, 2, s->token_hash, DB_TOKEN_HASH_LEN);
    pg__copy(r, row, 3, s->bucket, sizeof(s->bucket));
    pg__copy(r, row, 4, s->key, sizeof(s->key));
    s->created_by = pg__i64(r, row, 5);
    pg__copy(r, row, 6, s->created_by_email, sizeof(s->created_by_email));
    s->created_at = pg__i64(r, row, 7);
    s->expires_at = pg__i64(r, row, 8); /* NULL reads 0: never */
    pg__copy(r, row, 9, s->password_hash, sizeof(s->password_hash));
    s->max_downloads = pg__i64(r, row, 10);
    s->downloads = pg__i64(r, row, 11);
    s->revoked_at = pg__i64(r, row, 12);
}

struct share_change {
    struct db_share *s;
    enum stmt_id id;
    const char *share_id;
    int64_t now;
    int refused;
    int64_t seq;
    struct db_audit_entry *audit;
};

static int share_insert_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct share_change *x = ctx;
    const struct db_share *s = x->s;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, s->id);
    pg__p_bytes(&p, s->token_hash, DB_TOKEN_HASH_LEN);
    pg__p_text(&p, s->bucket);
    pg__p_text(&p, s->key);
    pg__p_i64(&p, s->created_by);
    pg__p_i64(&p, s->created_at);
    pg__p_opt_i64(&p, s->expires_at, 0);
    pg__p_opt_text(&p, s->password_hash);
    pg__p_opt_i64(&p, s->max_downloads, 0);
    PGresult *r = run(c, STMT_SHARE_INSERT, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 1)
        x->seq = pg__i64(r, 0, 0);
    else if (rc == 0)
        rc = SEAU_E_DB;
    PQclear(r);
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__share_insert(struct db *db, struct db_share *s, struct db_audit_entry *audit)
{
    struct share_change x = {.s = s, .audit = audit};
    int rc = pg__tx(db, share_insert_tx, &x);
    if (rc == 0)
        s->seq = x.seq;
    return rc;
}

/* Runs a one-row share lookup bound to a text id or a token hash. */
static int share_read_one(struct db *db, enum stmt_id id, const char *text,
                          const unsigned char *hash, struct db_share *ret)
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
        read_share(r, 0, ret);
    PQclear(r);
    pg__release(db, c);
    return rc;
}

int pg__share_get(struct db *db, const char *id, struct db_share *ret)
{
    return share_read_one(db, STMT_SHARE_GET, id, NULL, ret);
}

int pg__share_get_by_token(struct db *db, const unsigned char *token_hash, struct db_share *ret)
{
    return share_read_one(db, STMT_SHARE_GET_TOKEN, NULL, token_hash, ret);
}

int pg__share_list(struct db *db, const struct db_share_filter *f, struct db_share **ret,
                   size_t *ret_n)
{
    size_t limit = f->limit == 0 || f->limit > 1001 ? 1001 : f->limit;
    struct db_share *rows = calloc(limit, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, f->before_seq);
    pg__p_text(&p, f->bucket);
    pg__p_i64(&p, (int64_t)limit);
    if (f->created_by)
        pg__p_i64(&p, f->created_by);
    PGresult *r = run(c, f->created_by ? STMT_SHARE_LIST_USER : STMT_SHARE_LIST_ALL, &p);
    int rc = pg__status(c, r);
    size_t n = 0;
    int nrows = rc == 0 ? PQntuples(r) : 0;
    for (int i = 0; i < nrows && n < limit; i++)
        read_share(r, i, &rows[n++]);
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

/*
 * One guarded UPDATE of a share by id with its audit entry. When no row
 * changed: SEAU_E_NOT_FOUND for a missing share, else refused (the guard
 * did not hold).
 */
static int share_update_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    struct share_change *x = ctx;
    struct pg__params p = {.n = 0};
    pg__p_text(&p, x->share_id);
    pg__p_i64(&p, x->now);
    int64_t changed = 0;
    int rc = pg__done(c, run(c, x->id, &p), &changed);
    if (rc == 0 && changed != 1) {
        struct pg__params q = {.n = 0};
        pg__p_text(&q, x->share_id);
        PGresult *r = run(c, STMT_SHARE_EXISTS, &q);
        rc = pg__status(c, r);
        if (rc == 0)
            rc = PQntuples(r) > 0 ? x->refused : SEAU_E_NOT_FOUND;
        PQclear(r);
    }
    return pg__audit_write(db, c, rc, x->audit);
}

int pg__share_revoke(struct db *db, const char *id, int64_t now, struct db_audit_entry *audit)
{
    struct share_change x = {.id = STMT_SHARE_REVOKE,
                             .share_id = id,
                             .now = now,
                             .refused = SEAU_E_NOT_FOUND,
                             .audit = audit};
    return pg__tx(db, share_update_tx, &x);
}

int pg__share_count_download(struct db *db, const char *id, int64_t now,
                             struct db_audit_entry *audit)
{
    struct share_change x = {
        .id = STMT_SHARE_COUNT, .share_id = id, .now = now, .refused = SEAU_E_GONE, .audit = audit};
    return pg__tx(db, share_update_tx, &x);
}
