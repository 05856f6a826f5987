/*
 * The SQLite store: the embedded default, one file under ./data. This file
 * holds what every domain of the store shares: opening the file with its
 * pragmas, the connection pool, the statement cache, transactions, the
 * migration runner, and the table of operations that db.c dispatches to.
 * The domains live beside it (store.h lists them).
 *
 * A fixed pool of connections lets HTTP threads read in parallel (WAL mode:
 * readers never block the writer). Each connection prepares each statement
 * once, on first use, and keeps it. Writes take the write lock up front
 * (BEGIN IMMEDIATE) so a transaction never fails half way on a lock upgrade.
 * Everything SQLite-specific stays in src/db/sqlite/.
 */
#include "core/err.h"
#include "db/sqlite/store.h"
#include "core/trace.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000
#define MIGRATIONS_DIR  "src/db/migrations/sqlite/"

#define STORE_STATEMENTS(X)                                                                        \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                    \
    X(BEGIN_READ, "BEGIN")                                                                         \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")                                                                        \
    X(PING, "SELECT 1")                                                                            \
    X(MIGRATION_VERSION, "SELECT count(*) FROM schema_migrations WHERE version = ?1")              \
    X(MIGRATION_RECORD, "INSERT INTO schema_migrations (version, name, applied_at) "               \
                        "VALUES (?1, ?2, ?3)")

SQLITE__STATEMENTS(STORE_STATEMENTS, SQLITE__STORE)

struct sqlite_store {
    pthread_mutex_t lock;
    pthread_cond_t available;
    struct sqlite__conn *conns;
    size_t nconns;
    size_t *free_stack; /* indexes of idle connections */
    size_t nfree;
};

static struct sqlite_store *store_of(struct db *db)
{
    return db->impl;
}

struct sqlite__conn *sqlite__acquire(struct db *db)
{
    struct sqlite_store *s = store_of(db);
    pthread_mutex_lock(&s->lock);
    while (s->nfree == 0)
        pthread_cond_wait(&s->available, &s->lock);
    struct sqlite__conn *c = &s->conns[s->free_stack[--s->nfree]];
    pthread_mutex_unlock(&s->lock);
    return c;
}

void sqlite__release(struct db *db, struct sqlite__conn *c)
{
    struct sqlite_store *s = store_of(db);
    pthread_mutex_lock(&s->lock);
    s->free_stack[s->nfree++] = (size_t)(c - s->conns);
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
}

int sqlite__map_rc(int rc)
{
    switch (rc & 0xFF) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_CONSTRAINT:
        return SEAU_E_CONFLICT;
    case SQLITE_NOMEM:
        return SEAU_E_NOMEM;
    case SQLITE_TOOBIG:
        return SEAU_E_TOO_LARGE;
    default:
        return SEAU_E_DB;
    }
}

int sqlite__fail(int rc)
{
    int err = sqlite__map_rc(rc);
    return err ? err : SEAU_E_DB;
}

sqlite3_stmt *sqlite__prepare(struct sqlite__conn *c, enum sqlite__domain domain, int id,
                              const char *sql)
{
    sqlite3_stmt *st = c->stmts[domain][id];
    if (!st) {
        if (sqlite3_prepare_v3(c->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
            SQLITE_OK)
            return NULL;
        c->stmts[domain][id] = st;
    } else {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    return st;
}

int sqlite__exec(sqlite3_stmt *st)
{
    if (!st)
        return SEAU_E_DB;
    int rc = sqlite3_step(st);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    int err = sqlite__map_rc(rc);
    sqlite3_reset(st);
    return err;
}

void sqlite__bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void sqlite__bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite__bind_text(st, i, s && *s ? s : NULL);
}

void sqlite__copy_col(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, outlen, "%s", t ? (const char *)t : "");
}

char *sqlite__dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t)
        return NULL;
    return strdup((const char *)t);
}

int sqlite__tx_begin(struct sqlite__conn *c)
{
    c->span = trace_span_start("db.transaction", TRACE_CLIENT, NULL);
    trace_span_str(c->span, "db.system", "sqlite");
    int rc = sqlite__exec(stmt(c, STMT_BEGIN));
    if (rc) {
        trace_span_error(c->span, "BEGIN failed");
        trace_span_end(c->span);
        c->span = NULL;
    }
    return rc;
}

/* Ends the transaction's span: committed or rolled back. */
static void tx_span_end(struct sqlite__conn *c, int rc)
{
    if (!c->span)
        return;
    trace_span_str(c->span, "db.outcome", rc == 0 ? "commit" : "rollback");
    if (rc)
        trace_span_error(c->span, err_name(rc));
    trace_span_end(c->span);
    c->span = NULL;
}

int sqlite__tx_end(struct sqlite__conn *c, int rc)
{
    if (rc == 0) {
        rc = sqlite__exec(stmt(c, STMT_COMMIT));
        if (rc == 0) {
            tx_span_end(c, 0);
            return 0;
        }
    }
    sqlite__exec(stmt(c, STMT_ROLLBACK));
    tx_span_end(c, rc);
    return rc;
}

int sqlite__read_begin(struct sqlite__conn *c)
{
    return sqlite__exec(stmt(c, STMT_BEGIN_READ));
}

void sqlite__read_end(struct sqlite__conn *c)
{
    sqlite__exec(stmt(c, STMT_ROLLBACK));
}

static int ping(struct db *db)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    sqlite3_stmt *st = stmt(c, STMT_PING);
    int rc = SEAU_E_DB;
    if (st) {
        int r = sqlite3_step(st);
        rc = r == SQLITE_ROW ? 0 : sqlite__fail(r);
        sqlite3_reset(st);
    }
    sqlite__release(db, c);
    return rc;
}

/* Embedded migrations in version order; their names start with the version number. */
static int migrate(struct db *db, int *ret_applied)
{
    struct sqlite__conn *c = sqlite__acquire(db);
    int applied = 0;
    int rc = sqlite__map_rc(sqlite3_exec(c->handle,
                                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                         "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                         "applied_at INTEGER NOT NULL)",
                                         NULL, NULL, NULL));
    int64_t last = db__migration_last(MIGRATIONS_DIR);
    for (int64_t version = 1; rc == 0 && version <= last; version++) {
        const char *name = NULL;
        const struct embedded_file *mig = db__migration_find(MIGRATIONS_DIR, version, &name);
        if (!mig)
            continue; /* a version reserved for a feature this build lacks (backend.h) */
        rc = sqlite__tx_begin(c);
        if (rc)
            break;
        /* Another process may have applied it while we waited for the lock. */
        sqlite3_stmt *st = stmt(c, STMT_MIGRATION_VERSION);
        int64_t done = -1;
        if (st) {
            sqlite3_bind_int64(st, 1, version);
            if (sqlite3_step(st) == SQLITE_ROW)
                done = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
        }
        if (done < 0) {
            rc = SEAU_E_DB;
        } else if (done == 0) {
            rc = sqlite__map_rc(sqlite3_exec(c->handle, mig->data, NULL, NULL, NULL));
            st = rc == 0 ? stmt(c, STMT_MIGRATION_RECORD) : NULL;
            if (st) {
                sqlite3_bind_int64(st, 1, version);
                sqlite__bind_text(st, 2, name);
                sqlite3_bind_int64(st, 3, (int64_t)time(NULL) * 1000);
                rc = sqlite__exec(st);
                applied++;
            } else if (rc == 0) {
                rc = SEAU_E_DB;
            }
        }
        rc = sqlite__tx_end(c, rc);
    }
    sqlite__release(db, c);
    if (rc == 0 && ret_applied)
        *ret_applied = applied;
    return rc;
}

static void store_close(struct db *db)
{
    struct sqlite_store *s = store_of(db);
    if (s) {
        for (size_t i = 0; i < s->nconns; i++) {
            for (int d = 0; d < SQLITE__DOMAINS; d++)
                for (int k = 0; k < SQLITE__DOMAIN_STMTS_MAX; k++)
                    sqlite3_finalize(s->conns[i].stmts[d][k]);
            sqlite3_close(s->conns[i].handle);
        }
        free(s->conns);
        free(s->free_stack);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->available);
        free(s);
    }
    free(db);
}

static const struct db_ops sqlite_ops = {
    .name = "sqlite",
    .migrate = migrate,
    .ping = ping,
    .close = store_close,
    .user_count = sqlite__user_count,
    .user_insert = sqlite__user_insert,
    .user_get = sqlite__user_get,
    .user_get_by_email = sqlite__user_get_by_email,
    .user_list = sqlite__user_list,
    .user_update = sqlite__user_update,
    .user_delete = sqlite__user_delete,
    .session_create = sqlite__session_create,
    .session_get = sqlite__session_get,
    .session_touch = sqlite__session_touch,
    .session_delete = sqlite__session_delete,
    .session_purge = sqlite__session_purge,
    .grants_get = sqlite__grants_get,
    .grants_set = sqlite__grants_set,
    .audit_append = sqlite__audit_append,
    .audit_list = sqlite__audit_list,
    .audit_walk = sqlite__audit_walk,
    .throttle_get = sqlite__throttle_get,
    .throttle_fail = sqlite__throttle_fail,
    .throttle_clear = sqlite__throttle_clear,
    .session_list = sqlite__session_list,
    .session_delete_id = sqlite__session_delete_id,
    .session_delete_others = sqlite__session_delete_others,
    .mfa_get = sqlite__mfa_get,
    .mfa_setup = sqlite__mfa_setup,
    .mfa_enable = sqlite__mfa_enable,
    .mfa_use_step = sqlite__mfa_use_step,
    .mfa_use_recovery = sqlite__mfa_use_recovery,
    .mfa_recovery_left = sqlite__mfa_recovery_left,
    .mfa_delete = sqlite__mfa_delete,
    .mfa_challenge_create = sqlite__mfa_challenge_create,
    .mfa_challenge_get = sqlite__mfa_challenge_get,
    .mfa_challenge_delete = sqlite__mfa_challenge_delete,
    .pat_insert = sqlite__pat_insert,
    .pat_list = sqlite__pat_list,
    .pat_get_by_hash = sqlite__pat_get_by_hash,
    .pat_touch = sqlite__pat_touch,
    .pat_delete = sqlite__pat_delete,
    .object_upsert = sqlite__object_upsert,
    .object_get = sqlite__object_get,
    .object_delete = sqlite__object_delete,
    .object_delete_prefix = sqlite__object_delete_prefix,
    .object_sync_page = sqlite__object_sync_page,
    .object_sync_sweep = sqlite__object_sync_sweep,
    .object_search = sqlite__object_search,
    .index_sync_get = sqlite__index_sync_get,
    .index_sync_put = sqlite__index_sync_put,
    .upload_insert = sqlite__upload_insert,
    .upload_get = sqlite__upload_get,
    .upload_claim = sqlite__upload_claim,
    .upload_release = sqlite__upload_release,
    .upload_delete = sqlite__upload_delete,
    .upload_list_stale = sqlite__upload_list_stale,
    .trash_insert = sqlite__trash_insert,
    .trash_get = sqlite__trash_get,
    .trash_find_marker = sqlite__trash_find_marker,
    .trash_list = sqlite__trash_list,
    .trash_delete = sqlite__trash_delete,
    .tags_set = sqlite__tags_set,
    .tags_get = sqlite__tags_get,
    .share_insert = sqlite__share_insert,
    .share_get = sqlite__share_get,
    .share_get_by_token = sqlite__share_get_by_token,
    .share_list = sqlite__share_list,
    .share_revoke = sqlite__share_revoke,
    .share_count_download = sqlite__share_count_download,
    .oidc_login_put = sqlite__oidc_login_put,
    .oidc_login_take = sqlite__oidc_login_take,
    .oidc_sign_in = sqlite__oidc_sign_in,
    .upload_link_insert = sqlite__upload_link_insert,
    .upload_link_get = sqlite__upload_link_get,
    .upload_link_get_by_token = sqlite__upload_link_get_by_token,
    .upload_link_list = sqlite__upload_link_list,
    .upload_link_revoke = sqlite__upload_link_revoke,
    .upload_link_take = sqlite__upload_link_take,
    .upload_link_give_back = sqlite__upload_link_give_back,
    .invitation_put = sqlite__invitation_put,
    .invitation_get = sqlite__invitation_get,
    .invitation_accept = sqlite__invitation_accept,
    .object_totals = sqlite__object_totals,
    .object_level = sqlite__object_level,
    .object_folders = sqlite__object_folders,
    .audit_active_users = sqlite__audit_active_users,
    .notifications_insert = sqlite__notifications_insert,
    .notification_list = sqlite__notification_list,
    .notification_last_id = sqlite__notification_last_id,
    .notification_s3_check = sqlite__notification_s3_check,
    .notification_s3_ingest = sqlite__notification_s3_ingest,
    .notification_purge = sqlite__notification_purge,
};

static int conn_open(const char *path, struct sqlite__conn *c)
{
    memset(c, 0, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->handle, flags, NULL) != SQLITE_OK)
        return SEAU_E_DB;
    sqlite3_busy_timeout(c->handle, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->handle, 1);
    if (sqlite__search_register(c->handle) != SQLITE_OK ||
        sqlite__notifications_register(c->handle) != SQLITE_OK)
        return SEAU_E_DB;
    /* synchronous=NORMAL is durable across process crashes in WAL mode. */
    return sqlite__map_rc(sqlite3_exec(c->handle,
                                       "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                                       "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;",
                                       NULL, NULL, NULL));
}

/* Creates the directory that holds the database file, private to this user. */
static void make_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof(dir))
        return;
    memcpy(dir, path, n);
    dir[n] = '\0';
    mkdir(dir, 0700); /* An existing directory is fine; open reports real problems. */
}

int db__sqlite_open(const char *target, int conns, struct db **ret)
{
    /* "sqlite:PATH", or the URL form "sqlite:///abs/path". */
    const char *path = strncmp(target, "//", 2) == 0 ? target + 2 : target;
    if (!*path)
        return SEAU_E_VALIDATION;
    if (conns < 1)
        conns = 1;
    make_parent_dir(path);
    struct db *db = calloc(1, sizeof(*db));
    struct sqlite_store *s = calloc(1, sizeof(*s));
    if (!db || !s) {
        free(db);
        free(s);
        return SEAU_E_NOMEM;
    }
    db->ops = &sqlite_ops;
    db->impl = s;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->available, NULL);
    s->conns = calloc((size_t)conns, sizeof(*s->conns));
    s->free_stack = calloc((size_t)conns, sizeof(*s->free_stack));
    if (!s->conns || !s->free_stack) {
        store_close(db);
        return SEAU_E_NOMEM;
    }
    /* The file holds password hashes: nobody else may read it. */
    mode_t old = umask(077);
    int rc = 0;
    for (int i = 0; i < conns && rc == 0; i++) {
        rc = conn_open(path, &s->conns[i]);
        s->nconns++;
        s->free_stack[s->nfree++] = (size_t)i;
    }
    umask(old);
    if (rc) {
        store_close(db);
        return rc;
    }
    *ret = db;
    return 0;
}

int db__sqlite_probe(const char *target, char *why, size_t n)
{
    const char *path = strncmp(target, "//", 2) == 0 ? target + 2 : target;
    if (!*path) {
        snprintf(why, n, "the URL names no file");
        return SEAU_E_VALIDATION;
    }
    /* Read-only and without creating: a probe leaves no file behind. */
    sqlite3 *h = NULL;
    int src = sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_exec(h, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    int rc = 0;
    if (src == SQLITE_CANTOPEN && access(path, F_OK) != 0) {
        /* Not there yet: serve creates it (and its folder). */
        snprintf(why, n, "%s does not exist yet; seau serve creates it", path);
    } else if (src != SQLITE_OK) {
        rc = SEAU_E_DB;
        snprintf(why, n, "%s", h ? sqlite3_errmsg(h) : sqlite3_errstr(src));
    }
    sqlite3_close(h);
    return rc;
}
