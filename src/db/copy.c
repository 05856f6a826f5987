/*
 * db_copy: a SQLite store's rows into an empty PostgreSQL store (`seau
 * migrate --to`).
 *
 * A dedicated function, not a copy through the db_* reads and writes: the
 * read interface cannot enumerate sessions, upload sessions, revoked
 * shares, the handled S3 events or the login throttle, and the write
 * interface assigns new ids and seals audit entries anew, while the copy
 * must keep every id and the audit chain's hashes as they are. So this one
 * file knows both backends' handles (backend.h, sqlite/store.h,
 * postgres/store.h) and moves the tables column by column: both schemas
 * have the same tables and columns (migrations/sqlite and
 * migrations/postgres advance together), and each value crosses as text
 * (integers in decimal, which PostgreSQL's boolean also reads as 0/1) or
 * as bytes (bytea), with its NULLs. The kept totals (object_totals,
 * object_days) are not copied: PostgreSQL's triggers rebuild them from the
 * inserted objects.
 */
#include "db/backend.h"
#include "db/postgres/store.h"
#include "db/sqlite/store.h"

#include "core/err.h"

#include <stdio.h>
#include <string.h>

/*
 * The tables, parents before children (foreign keys). cols is the column
 * list on both sides; src is the SQLite select list when it differs
 * (objects: the rowid becomes the id). seq: the identity whose next value
 * must pass the copied ids (and SQLite's AUTOINCREMENT high-water mark).
 */
static const struct copy_table {
    const char *name;
    const char *cols;
    const char *src;
    int ncols;
    bool seq;
} tables[] = {
    {"users",
     "id, email, name, role, password_hash, disabled, created_at, last_login_at, provider, "
     "subject, must_change_password",
     NULL, 11, true},
    {"invitations", "token_hash, user_id, created_by, created_at, expires_at, used_at", NULL, 6,
     false},
    {"sessions", "token_hash, user_id, created_at, last_seen_at, expires_at, id, ip, user_agent",
     NULL, 8, false},
    {"mfa", "user_id, secret, enabled, last_step, created_at", NULL, 5, false},
    {"mfa_recovery", "user_id, code_hash, used_at", NULL, 3, false},
    {"mfa_challenges", "token_hash, user_id, created_at, expires_at", NULL, 4, false},
    {"tokens", "id, user_id, name, token_hash, created_at, expires_at, last_used_at", NULL, 7,
     false},
    {"grants", "user_id, bucket, prefix, level", NULL, 4, false},
    {"audit_log",
     "id, time, user_id, user_email, action, bucket, key, ip, user_agent, status, details, "
     "prev_hash, hash",
     NULL, 13, false},
    {"login_throttle", "key, failures, window_start", NULL, 3, false},
    {"objects",
     "id, bucket, key, size, etag, last_modified, content_type, kind, uploaded_by, indexed_at, "
     "seen_at",
     "rowid, bucket, key, size, etag, last_modified, content_type, kind, uploaded_by, "
     "indexed_at, seen_at",
     11, true},
    {"upload_sessions",
     "id, user_id, bucket, key, s3_upload_id, single, size, content_type, part_size, created_at, "
     "busy_until",
     NULL, 11, false},
    {"shares",
     "seq, id, token_hash, bucket, key, created_by, created_at, expires_at, password_hash, "
     "max_downloads, downloads, revoked_at",
     NULL, 12, true},
    {"notifications",
     "id, time, type, source, bucket, key, from_key, size, etag, actor, actor_id, "
     "target_user_id, message, s3_created, s3_removed",
     NULL, 15, true},
    {"s3_events_seen", "bucket, key, dedupe, sequencer, time", NULL, 5, false},
    {"index_sync", "bucket, walk_started, after_key, listed, completed_at", NULL, 5, false},
    {"upload_links",
     "seq, id, token_hash, bucket, prefix, created_by, created_at, expires_at, password_hash, "
     "max_files, max_bytes, message, files, bytes, revoked_at",
     NULL, 15, true},
    {"trash", "id, bucket, key, trash_key, version_id, size, deleted_by, deleted_at, uploaded_by",
     NULL, 9, true},
    {"object_tags", "bucket, key, name, value", NULL, 4, false},
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* SQLite tables the copy leaves out on purpose: derived, or the store's own bookkeeping. */
static bool copy__derived(const char *name)
{
    return strcmp(name, "schema_migrations") == 0 || strcmp(name, "object_totals") == 0 ||
           strcmp(name, "object_days") == 0 ||
           strcmp(name, "oidc_logins") == 0 /* sign-ins under way: minutes long */ ||
           strncmp(name, "objects_fts", 11) == 0 || strncmp(name, "sqlite_", 7) == 0;
}

/* One integer from a one-row SQLite query; 0 when it yields nothing or NULL. */
static int copy__sqlite_i64(sqlite3 *h, const char *sql, const char *arg, int64_t *ret)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite__map_rc(sqlite3_prepare_v2(h, sql, -1, &st, NULL));
    *ret = 0;
    if (rc == 0 && arg)
        sqlite__bind_text(st, 1, arg);
    if (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            *ret = sqlite3_column_int64(st, 0);
        else if (r != SQLITE_DONE)
            rc = sqlite__fail(r);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Every SQLite table is either copied or derived: a table added later without a line here stops the
 * copy. */
static int copy__check_tables(sqlite3 *h)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite__map_rc(sqlite3_prepare_v2(
        h, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &st, NULL));
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
            break;
        }
        const char *name = (const char *)sqlite3_column_text(st, 0);
        bool known = !name || copy__derived(name);
        for (size_t i = 0; !known && i < NTABLES; i++)
            known = strcmp(name, tables[i].name) == 0;
        if (!known)
            rc = SEAU_E_INTERNAL;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whether the PostgreSQL store holds any row in a table the copy fills. */
static int copy__pg_empty(struct pg__conn *c, bool *ret_empty)
{
    char sql[128];
    int rc = 0;
    *ret_empty = true;
    for (size_t i = 0; rc == 0 && *ret_empty && i < NTABLES; i++) {
        snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 FROM %s)", tables[i].name);
        PGresult *r = PQexec(c->handle, sql);
        rc = pg__status(c, r);
        if (rc == 0 && PQntuples(r) == 1 && pg__bool(r, 0, 0))
            *ret_empty = false;
        PQclear(r);
    }
    return rc;
}

static int copy__table(sqlite3 *h, struct pg__conn *c, const struct copy_table *t,
                       int64_t *ret_rows)
{
    char sel[512], ins[512];
    int len = snprintf(sel, sizeof(sel), "SELECT %s FROM %s", t->src ? t->src : t->cols, t->name);
    if (len < 0 || (size_t)len >= sizeof(sel))
        return SEAU_E_INTERNAL;
    len = snprintf(ins, sizeof(ins), "INSERT INTO %s (%s) VALUES (", t->name, t->cols);
    for (int i = 1; len > 0 && (size_t)len < sizeof(ins) && i <= t->ncols; i++)
        len += snprintf(ins + len, sizeof(ins) - (size_t)len, "%s$%d", i > 1 ? ", " : "", i);
    if (len < 0 || (size_t)len + 2 >= sizeof(ins))
        return SEAU_E_INTERNAL;
    memcpy(ins + len, ")", 2);

    sqlite3_stmt *st = NULL;
    int rc = sqlite__map_rc(sqlite3_prepare_v2(h, sel, -1, &st, NULL));
    if (rc == 0 && sqlite3_column_count(st) != t->ncols)
        rc = SEAU_E_INTERNAL;
    PGresult *prep = rc == 0 ? PQprepare(c->handle, "copy_row", ins, 0, NULL) : NULL;
    if (rc == 0) {
        rc = pg__status(c, prep);
        PQclear(prep);
    }
    while (rc == 0) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = sqlite__fail(r);
            break;
        }
        struct pg__params p = {.n = 0};
        for (int i = 0; i < t->ncols; i++) {
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_NULL:
                pg__p_opt_text(&p, NULL);
                break;
            case SQLITE_BLOB:
                pg__p_bytes(&p, sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
                break;
            case SQLITE_INTEGER:
                pg__p_i64(&p, sqlite3_column_int64(st, i));
                break;
            default: /* text (no column of the schema holds a float) */
                pg__p_text(&p, (const char *)sqlite3_column_text(st, i));
                break;
            }
        }
        rc = pg__done(
            c, PQexecPrepared(c->handle, "copy_row", p.n, p.values, p.lengths, p.formats, 0), NULL);
        if (rc == 0)
            (*ret_rows)++;
    }
    sqlite3_finalize(st);
    if (c->handle && PQtransactionStatus(c->handle) == PQTRANS_INTRANS)
        pg__exec_text(c, "DEALLOCATE copy_row");
    if (rc == 0 && t->seq) {
        /* Past the highest id copied and the highest SQLite ever gave (AUTOINCREMENT). */
        const char *idcol =
            strcmp(t->name, "shares") == 0 || strcmp(t->name, "upload_links") == 0 ? "seq" : "id";
        int64_t top = 0, hw = 0;
        char q[160];
        snprintf(q, sizeof(q), "SELECT max(%s) FROM %s",
                 strcmp(t->name, "objects") == 0 ? "rowid" : idcol, t->name);
        rc = copy__sqlite_i64(h, q, NULL, &top);
        if (rc == 0 &&
            copy__sqlite_i64(h, "SELECT max(seq) FROM sqlite_sequence WHERE name = ?", t->name,
                             &hw) == 0 &&
            hw > top)
            top = hw;
        if (rc == 0 && top > 0) {
            struct pg__params p = {.n = 0};
            pg__p_text(&p, t->name);
            pg__p_text(&p, idcol);
            pg__p_i64(&p, top);
            rc = pg__done(
                c, pg__run_text(c, "SELECT setval(pg_get_serial_sequence($1, $2), $3, true)", &p),
                NULL);
        }
    }
    return rc;
}

int db_copy(struct db *src, struct db *dst, int64_t *ret_rows)
{
    if (!src || !dst || strcmp(src->ops->name, "sqlite") != 0 ||
        strcmp(dst->ops->name, "postgres") != 0)
        return SEAU_E_VALIDATION;
    int64_t rows = 0;
    struct sqlite__conn *s = sqlite__acquire(src);
    struct pg__conn *c = pg__acquire(dst);
    int64_t sv = 0, pv = 0;
    /* One read transaction: the copy is of one moment of the SQLite store. */
    int rc = sqlite__read_begin(s);
    if (rc == 0)
        rc = copy__sqlite_i64(s->handle, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                              NULL, &sv);
    if (rc == 0)
        rc = copy__check_tables(s->handle);
    if (rc == 0)
        rc = pg__exec_text(c, "BEGIN");
    if (rc == 0) {
        PGresult *r = PQexec(c->handle, "SELECT coalesce(max(version), 0) FROM schema_migrations");
        rc = pg__status(c, r);
        if (rc == 0)
            pv = pg__i64(r, 0, 0);
        PQclear(r);
    }
    if (rc == 0 && sv != pv)
        rc = SEAU_E_SCHEMA_NEWER;
    /* No other writer may slip a row in between the check and the copy. */
    if (rc == 0)
        rc = pg__exec_text(c, "LOCK TABLE users, sessions, mfa, mfa_recovery, mfa_challenges, "
                              "tokens, grants, audit_log, login_throttle, objects, "
                              "upload_sessions, shares, notifications, s3_events_seen, "
                              "index_sync, upload_links, trash, object_tags, invitations "
                              "IN EXCLUSIVE MODE");
    bool empty = false;
    if (rc == 0)
        rc = copy__pg_empty(c, &empty);
    if (rc == 0 && !empty)
        rc = SEAU_E_CONFLICT;
    for (size_t i = 0; rc == 0 && i < NTABLES; i++)
        rc = copy__table(s->handle, c, &tables[i], &rows);
    if (rc == 0)
        rc = pg__exec_text(c, "COMMIT");
    else if (c->handle && PQtransactionStatus(c->handle) != PQTRANS_IDLE)
        pg__exec_text(c, "ROLLBACK");
    sqlite__read_end(s);
    pg__release(dst, c);
    sqlite__release(src, s);
    if (rc == 0 && ret_rows)
        *ret_rows = rows;
    return rc;
}
