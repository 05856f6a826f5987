/*
 * The PostgreSQL store's audit log: appending sealed entries to the hash
 * chain, listing and walking them, and counting active users.
 *
 * Appends are serialized across every connection and replica by a
 * transaction-level advisory lock taken before the chain's last hash is
 * read, inside the transaction of the change being recorded: the next
 * writer waits until this one commits or rolls back, then reads the hash
 * this one wrote. The lock is taken last in each change, so a writer never
 * waits for a row while holding it. Triggers (migration 0001) refuse any
 * UPDATE, DELETE or TRUNCATE of the log.
 */
#include "core/err.h"
#include "db/postgres/store.h"

#include <stdlib.h>
#include <string.h>

#define XSTR(x) STR(x)
#define STR(x)  #x

#define AUDIT_COLS                                                                                 \
    "id, time, user_id, user_email, action, bucket, key, ip, user_agent, status, details, "        \
    "prev_hash, hash"

#define AUDIT_STATEMENTS(X)                                                                        \
    X(AUDIT_LOCK, "SELECT pg_advisory_xact_lock(" XSTR(PG__LOCK_AUDIT) ")")                        \
    X(AUDIT_LAST, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")                       \
    X(AUDIT_INSERT, "INSERT INTO audit_log (" AUDIT_COLS ") "                                      \
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")             \
    X(AUDIT_LIST,                                                                                  \
      "SELECT " AUDIT_COLS " FROM audit_log WHERE ($1::bigint = 0 OR id < $1) "                    \
      "AND ($2::bigint = 0 OR user_id = $2) "                                                      \
      "AND ($3::text IS NULL OR lower(user_email COLLATE \"C\") = lower($3 COLLATE \"C\")) "       \
      "AND ($4::text IS NULL OR action = $4) AND ($5::text IS NULL OR bucket = $5) "               \
      "AND ($6::bigint = 0 OR time >= $6) AND ($7::bigint = 0 OR time < $7) "                      \
      "ORDER BY id DESC LIMIT $8")                                                                 \
    X(AUDIT_ACTIVE_USERS, "SELECT count(DISTINCT user_id) FROM audit_log WHERE time >= $1 "        \
                          "AND user_id > 0 AND ($2::text IS NULL OR bucket = $2)")

PG__STATEMENTS(AUDIT_STATEMENTS, PG__AUDIT)

/* The walk reads the log in pages of this many entries through a cursor. */
#define WALK_PAGE 1000

/* Appends and seals an audit entry; the caller holds the change's transaction. */
static int audit_insert(struct db *db, struct pg__conn *c, struct db_audit_entry *e)
{
    static const char zero_hash[65] =
        "0000000000000000000000000000000000000000000000000000000000000000";
    int rc = pg__done(c, run(c, STMT_AUDIT_LOCK, NULL), NULL);
    if (rc)
        return rc;
    PGresult *r = run(c, STMT_AUDIT_LAST, NULL);
    rc = pg__status(c, r);
    char prev[65];
    int64_t last_id = 0;
    if (rc == 0 && PQntuples(r) == 1) {
        last_id = pg__i64(r, 0, 0);
        pg__copy(r, 0, 1, prev, sizeof(prev));
    } else {
        memcpy(prev, zero_hash, sizeof(prev));
    }
    PQclear(r);
    if (rc)
        return rc;
    e->id = last_id + 1;
    db->seal(prev, e);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, e->id);
    pg__p_i64(&p, e->time);
    pg__p_opt_i64(&p, e->user_id, 0);
    pg__p_text(&p, e->user_email);
    pg__p_text(&p, e->action);
    pg__p_text(&p, e->bucket);
    pg__p_text(&p, e->key);
    pg__p_text(&p, e->ip);
    pg__p_text(&p, e->user_agent);
    pg__p_text(&p, e->status);
    pg__p_text(&p, e->details ? e->details : "{}");
    pg__p_text(&p, e->prev_hash);
    pg__p_text(&p, e->hash);
    return pg__done(c, run(c, STMT_AUDIT_INSERT, &p), NULL);
}

int pg__audit_write(struct db *db, struct pg__conn *c, int rc, struct db_audit_entry *audit)
{
    if (rc == 0 && audit)
        rc = audit_insert(db, c, audit);
    return rc;
}

static int audit_append_tx(struct db *db, struct pg__conn *c, void *ctx)
{
    return audit_insert(db, c, ctx);
}

int pg__audit_append(struct db *db, struct db_audit_entry *audit)
{
    return pg__tx(db, audit_append_tx, audit);
}

static int read_audit(const PGresult *r, int row, struct db_audit_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->id = pg__i64(r, row, 0);
    e->time = pg__i64(r, row, 1);
    e->user_id = pg__i64(r, row, 2);
    e->user_email = pg__dup(r, row, 3);
    e->action = pg__dup(r, row, 4);
    e->bucket = pg__dup(r, row, 5);
    e->key = pg__dup(r, row, 6);
    e->ip = pg__dup(r, row, 7);
    e->user_agent = pg__dup(r, row, 8);
    e->status = pg__dup(r, row, 9);
    e->details = pg__dup(r, row, 10);
    pg__copy(r, row, 11, e->prev_hash, sizeof(e->prev_hash));
    pg__copy(r, row, 12, e->hash, sizeof(e->hash));
    /* NOT NULL columns that came back NULL mean out of memory. */
    if (!e->action || !e->status || !e->details)
        return SEAU_E_NOMEM;
    return 0;
}

int pg__audit_list(struct db *db, const struct db_audit_filter *f, struct db_audit_entry **ret,
                   size_t *ret_n)
{
    struct db_audit_entry *entries = calloc(f->limit ? f->limit : 1, sizeof(*entries));
    if (!entries)
        return SEAU_E_NOMEM;
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, f->before_id);
    pg__p_i64(&p, f->user_id);
    pg__p_text(&p, f->user_email);
    pg__p_text(&p, f->action);
    pg__p_text(&p, f->bucket);
    pg__p_i64(&p, f->since);
    pg__p_i64(&p, f->until);
    pg__p_i64(&p, (int64_t)f->limit);
    PGresult *r = run(c, STMT_AUDIT_LIST, &p);
    int rc = pg__status(c, r);
    size_t n = 0;
    size_t rows = rc == 0 ? (size_t)PQntuples(r) : 0;
    while (rc == 0 && n < rows && n < f->limit) {
        rc = read_audit(r, (int)n, &entries[n]);
        n++;
    }
    PQclear(r);
    pg__release(db, c);
    if (rc) {
        db_audit_entries_free(entries, n);
        return rc;
    }
    *ret = entries;
    *ret_n = n;
    return 0;
}

static void audit_entry_done(struct db_audit_entry *e)
{
    free(e->user_email);
    free(e->action);
    free(e->bucket);
    free(e->key);
    free(e->ip);
    free(e->user_agent);
    free(e->status);
    free(e->details);
}

int pg__audit_walk(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e), void *ctx)
{
    struct pg__conn *c = pg__acquire(db);
    /*
     * One snapshot for the whole walk, read through a cursor in pages, so
     * memory stays bounded by the page however long the log is.
     */
    int rc = pg__read_begin(c);
    bool in_tx = rc == 0;
    if (rc == 0)
        rc = pg__exec_text(c, "DECLARE seau_audit_walk NO SCROLL CURSOR FOR SELECT " AUDIT_COLS
                              " FROM audit_log ORDER BY id");
    while (rc == 0) {
        char sql[64];
        snprintf(sql, sizeof(sql), "FETCH %d FROM seau_audit_walk", WALK_PAGE);
        PGresult *r = c->handle ? PQexec(c->handle, sql) : NULL;
        rc = pg__status(c, r);
        int rows = rc == 0 ? PQntuples(r) : 0;
        for (int i = 0; rc == 0 && i < rows; i++) {
            struct db_audit_entry e;
            rc = read_audit(r, i, &e);
            if (rc == 0)
                rc = fn(ctx, &e);
            audit_entry_done(&e);
        }
        PQclear(r);
        if (rows == 0)
            break;
    }
    if (in_tx)
        pg__read_end(c);
    pg__release(db, c);
    return rc;
}

int pg__audit_active_users(struct db *db, int64_t since, const char *bucket, int64_t *ret)
{
    struct pg__conn *c = pg__acquire(db);
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, since);
    pg__p_text(&p, bucket);
    PGresult *r = run(c, STMT_AUDIT_ACTIVE_USERS, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) != 1)
        rc = SEAU_E_DB;
    if (rc == 0)
        *ret = pg__i64(r, 0, 0);
    PQclear(r);
    pg__release(db, c);
    return rc;
}
