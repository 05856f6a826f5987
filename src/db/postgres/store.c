/*
 * The PostgreSQL store: for several replicas of Seau sharing one database.
 * This file holds what every domain of the store shares: connecting from
 * the URL, the connection pool, prepared statements, transactions with
 * their bounded retries, the migration runner, and the table of operations
 * that db.c dispatches to. The domains live beside it (store.h lists them).
 *
 * The URL ("postgres://user:pass@host:port/db?sslmode=require", or
 * "postgresql://...") is handed to libpq whole, so every connection
 * parameter libpq knows may appear in its query string, and what the URL
 * leaves out comes from the standard PG* variables (PGHOST, PGPASSWORD,
 * PGSSLMODE, ...) and ~/.pgpass, as with psql.
 *
 * A fixed pool of connections, like the SQLite store's, each preparing each
 * statement once, on first use. Transactions run at READ COMMITTED; where a
 * rule spans rows (the last admin, the audit chain, a user's uploads) the
 * change takes a transaction-level advisory lock first. A serialization
 * failure or deadlock reruns the whole transaction, up to TX_ATTEMPTS times.
 */
#include "core/err.h"
#include "db/postgres/store.h"
#include "core/trace.h"

#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIGRATIONS_DIR "src/db/migrations/postgres/"
#define TX_ATTEMPTS    8
#define URL_MAX        4096
/* A session-level advisory lock held while migrating: one replica migrates at a time. */
#define LOCK_MIGRATE 0x5365617500LL

#define STORE_STATEMENTS(X)                                                                        \
    X(PING, "SELECT 1")                                                                            \
    X(MIGRATION_VERSION, "SELECT coalesce(max(version), 0) FROM schema_migrations")                \
    X(MIGRATION_APPLIED, "SELECT count(*) FROM schema_migrations WHERE version = $1")              \
    X(MIGRATION_RECORD, "INSERT INTO schema_migrations (version, name, applied_at) "               \
                        "VALUES ($1, $2, $3)")

PG__STATEMENTS(STORE_STATEMENTS, PG__STORE)

struct pg_store {
    pthread_mutex_t lock;
    pthread_cond_t available;
    struct pg__conn *conns;
    size_t nconns;
    size_t *free_stack; /* indexes of idle connections */
    size_t nfree;
    char url[URL_MAX];
};

static struct pg_store *store_of(struct db *db)
{
    return db->impl;
}

/* ------------------------------------------------------------ parameters */

static void p_add(struct pg__params *p, const char *v, int len, int fmt)
{
    /* Statements declare at most PG__PARAMS_MAX parameters: a programmer error otherwise. */
    if (p->n >= PG__PARAMS_MAX)
        abort();
    p->values[p->n] = v;
    p->lengths[p->n] = len;
    p->formats[p->n] = fmt;
    p->n++;
}

void pg__p_text(struct pg__params *p, const char *s)
{
    p_add(p, s, 0, 0);
}

void pg__p_opt_text(struct pg__params *p, const char *s)
{
    p_add(p, s && *s ? s : NULL, 0, 0);
}

void pg__p_i64(struct pg__params *p, int64_t v)
{
    if (p->n >= PG__PARAMS_MAX)
        abort();
    snprintf(p->num[p->n], sizeof(p->num[0]), "%" PRId64, v);
    p_add(p, p->num[p->n], 0, 0);
}

void pg__p_opt_i64(struct pg__params *p, int64_t v, int64_t none)
{
    if (v == none)
        p_add(p, NULL, 0, 0);
    else
        pg__p_i64(p, v);
}

void pg__p_bool(struct pg__params *p, bool v)
{
    p_add(p, v ? "t" : "f", 0, 0);
}

void pg__p_bytes(struct pg__params *p, const unsigned char *b, size_t n)
{
    p_add(p, (const char *)b, (int)n, 1);
}

/* ------------------------------------------------------------ results */

int pg__status(struct pg__conn *c, const PGresult *r)
{
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
        return 0;
    /* libpq answers NULL also when the connection is lost: then the server is unavailable,
     * not the memory exhausted. */
    if (!r)
        return c->handle && PQstatus(c->handle) == CONNECTION_OK ? SEAU_E_NOMEM : SEAU_E_DB;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (!state)
        return SEAU_E_DB;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        c->retry = true;
        return SEAU_E_DB;
    }
    if (strncmp(state, "23", 2) == 0)
        return SEAU_E_CONFLICT;
    if (strcmp(state, "53200") == 0)
        return SEAU_E_NOMEM;
    if (strcmp(state, "54000") == 0 || strcmp(state, "22001") == 0)
        return SEAU_E_TOO_LARGE;
    return SEAU_E_DB;
}

int pg__done(struct pg__conn *c, PGresult *r, int64_t *ret_changes)
{
    int rc = pg__status(c, r);
    if (rc == 0 && ret_changes) {
        const char *t = PQcmdTuples(r);
        *ret_changes = t && *t ? strtoll(t, NULL, 10) : 0;
    }
    PQclear(r);
    return rc;
}

int64_t pg__i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool pg__bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

bool pg__null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) != 0;
}

void pg__copy(const PGresult *r, int row, int col, char *out, size_t outlen)
{
    const char *v = PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
    snprintf(out, outlen, "%s", v);
}

char *pg__dup(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return strdup(PQgetvalue(r, row, col));
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

bool pg__bytes(const PGresult *r, int row, int col, unsigned char *out, size_t n)
{
    if (PQgetisnull(r, row, col))
        return false;
    /* Text format: bytea_output = hex ("\x0102..."), set on every connection. */
    const char *v = PQgetvalue(r, row, col);
    if (v[0] != '\\' || v[1] != 'x' || strlen(v + 2) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(v[2 + 2 * i]), lo = hexval(v[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

char *pg__text_array(const char *const *items, size_t n, size_t stride)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++) {
        const char *s = *(const char *const *)((const char *)items + i * stride);
        len += 3 + 2 * strlen(s);
    }
    char *out = malloc(len);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < n; i++) {
        const char *s = *(const char *const *)((const char *)items + i * stride);
        if (i)
            out[o++] = ',';
        out[o++] = '"';
        for (; *s; s++) {
            if (*s == '"' || *s == '\\')
                out[o++] = '\\';
            out[o++] = *s;
        }
        out[o++] = '"';
    }
    out[o++] = '}';
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------ the pool */

static void conn_close(struct pg__conn *c)
{
    if (c->handle)
        PQfinish(c->handle);
    memset(c, 0, sizeof(*c));
}

/* Settings every connection runs with: hex bytea for pg__bytes, UTF-8, UTC. */
static const char *const conn_setup = "SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; "
                                      "SET TIME ZONE 'UTC'";

/* libpq prints the server's notices ("relation … already exists, skipping") on stderr, which
 * is the JSON log: they say nothing an operator needs. */
static void pg__ignore_notice(void *ctx, const char *message)
{
    (void)ctx;
    (void)message;
}

static int conn_open(const char *url, struct pg__conn *c)
{
    memset(c, 0, sizeof(*c));
    /* A bounded wait for a server that does not answer (the URL may set its own, after). */
    static const char *const keys[] = {"connect_timeout", "dbname", "fallback_application_name",
                                       NULL};
    const char *values[] = {"5", url, "seau", NULL};
    c->handle = PQconnectdbParams(keys, values, 1);
    if (!c->handle)
        return SEAU_E_NOMEM;
    PQsetNoticeProcessor(c->handle, pg__ignore_notice, NULL);
    if (PQstatus(c->handle) != CONNECTION_OK)
        return SEAU_E_DB;
    return pg__exec_text(c, conn_setup);
}

PGconn *pg__connect(struct db *db)
{
    struct pg_store *s = store_of(db);
    /* Keepalives both ways: this side notices a vanished server, and the server (its
     * tcp_keepalives_*, set per session) drops a vanished replica's connection, and with it
     * the locks it held, within about half a minute instead of the kernel's two hours. */
    static const char *const keys[] = {"dbname",
                                       "fallback_application_name",
                                       "keepalives",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "connect_timeout",
                                       NULL};
    const char *values[] = {s->url, "seau", "1", "10", "5", "3", "5", NULL};
    PGconn *h = PQconnectdbParams(keys, values, 1);
    if (h && PQstatus(h) == CONNECTION_OK) {
        PQsetNoticeProcessor(h, pg__ignore_notice, NULL);
        PGresult *r = PQexec(h, "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
                                "SET tcp_keepalives_count = 3; SET TIME ZONE 'UTC'; "
                                "SET client_encoding = 'UTF8'; SET bytea_output = 'hex'");
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (ok)
            return h;
    }
    PQfinish(h);
    return NULL;
}

struct pg__conn *pg__acquire(struct db *db)
{
    struct pg_store *s = store_of(db);
    pthread_mutex_lock(&s->lock);
    while (s->nfree == 0)
        pthread_cond_wait(&s->available, &s->lock);
    struct pg__conn *c = &s->conns[s->free_stack[--s->nfree]];
    pthread_mutex_unlock(&s->lock);
    /* A connection the server dropped (a restart, a failover) is opened again. An idle
     * pooled connection has nothing to read (it never LISTENs): any input there is the
     * server's goodbye (its FATAL, then EOF), so it is closed whatever libpq made of it.
     * Asking libpq instead is not enough: it may read the FATAL without the EOF yet, still
     * say CONNECTION_OK, and the first request after a restart would fail on it. */
    if (c->handle && PQstatus(c->handle) == CONNECTION_OK) {
        struct pollfd pfd = {.fd = PQsocket(c->handle), .events = POLLIN, .revents = 0};
        if (pfd.fd < 0 || poll(&pfd, 1, 0) > 0)
            conn_close(c);
    }
    if (!c->handle || PQstatus(c->handle) != CONNECTION_OK) {
        conn_close(c);
        if (conn_open(s->url, c) != 0 && c->handle) {
            /* Keep the handle: statements fail with SEAU_E_DB and the next acquire retries. */
        }
    }
    c->retry = false;
    return c;
}

void pg__release(struct db *db, struct pg__conn *c)
{
    struct pg_store *s = store_of(db);
    /* A connection left inside a transaction (a bug or a lost COMMIT) is not reused as is. */
    if (c->handle && PQtransactionStatus(c->handle) != PQTRANS_IDLE)
        conn_close(c);
    pthread_mutex_lock(&s->lock);
    s->free_stack[s->nfree++] = (size_t)(c - s->conns);
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------ statements */

static PGresult *no_conn_result(struct pg__conn *c)
{
    return PQmakeEmptyPGresult(c->handle, PGRES_FATAL_ERROR);
}

PGresult *pg__run(struct pg__conn *c, enum pg__domain domain, int id, const char *sql,
                  const struct pg__params *p)
{
    static const struct pg__params none = {.n = 0};
    if (!p)
        p = &none;
    if (!c->handle)
        return no_conn_result(c);
    char name[16];
    snprintf(name, sizeof(name), "s%d_%d", (int)domain, id);
    if (!c->prepared[domain][id]) {
        PGresult *r = PQprepare(c->handle, name, sql, 0, NULL);
        if (!r)
            return no_conn_result(c);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            return r;
        PQclear(r);
        c->prepared[domain][id] = true;
    }
    PGresult *r = PQexecPrepared(c->handle, name, p->n, p->values, p->lengths, p->formats, 0);
    return r ? r : no_conn_result(c);
}

PGresult *pg__run_text(struct pg__conn *c, const char *sql, const struct pg__params *p)
{
    if (!c->handle)
        return no_conn_result(c);
    PGresult *r = PQexecParams(c->handle, sql, p->n, NULL, p->values, p->lengths, p->formats, 0);
    return r ? r : no_conn_result(c);
}

int pg__exec_text(struct pg__conn *c, const char *sql)
{
    if (!c->handle)
        return SEAU_E_DB;
    return pg__done(c, PQexec(c->handle, sql), NULL);
}

/* ------------------------------------------------------------ transactions */

/* A short pause that grows with each attempt, so two retrying writers drift apart. */
static void backoff(int attempt)
{
    struct timespec ts = {0, (long)(1 + (rand() % 5) + attempt * 5) * 1000000L};
    nanosleep(&ts, NULL);
}

int pg__tx(struct db *db, int (*body)(struct db *db, struct pg__conn *c, void *ctx), void *ctx)
{
    struct pg__conn *c = pg__acquire(db);
    struct trace_span *span = trace_span_start("db.transaction", TRACE_CLIENT, NULL);
    trace_span_str(span, "db.system", "postgresql");
    int rc = 0;
    int attempts = 0;
    for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
        attempts = attempt + 1;
        c->retry = false;
        rc = pg__exec_text(c, "BEGIN");
        if (rc == 0)
            rc = body(db, c, ctx);
        if (rc == 0)
            rc = pg__exec_text(c, "COMMIT");
        else if (c->handle && PQtransactionStatus(c->handle) != PQTRANS_IDLE)
            pg__exec_text(c, "ROLLBACK");
        if (rc == 0 || !c->retry)
            break;
        backoff(attempt);
    }
    pg__release(db, c);
    trace_span_int(span, "db.attempts", attempts);
    trace_span_str(span, "db.outcome", rc == 0 ? "commit" : "rollback");
    if (rc)
        trace_span_error(span, err_name(rc));
    trace_span_end(span);
    return rc;
}

int pg__read_begin(struct pg__conn *c)
{
    return pg__exec_text(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

void pg__read_end(struct pg__conn *c)
{
    pg__exec_text(c, "ROLLBACK");
}

/* ------------------------------------------------------------ operations */

static int ping(struct db *db)
{
    struct pg__conn *c = pg__acquire(db);
    int rc = pg__done(c, run(c, STMT_PING, NULL), NULL);
    pg__release(db, c);
    return rc;
}

/* The highest version this binary embeds. */
static int64_t embedded_version(void)
{
    return db__migration_last(MIGRATIONS_DIR);
}

/* Whether version is recorded as applied (versions may have gaps: backend.h). */
static int version_applied(struct pg__conn *c, int64_t version, bool *ret)
{
    struct pg__params p = {.n = 0};
    pg__p_i64(&p, version);
    PGresult *r = run(c, STMT_MIGRATION_APPLIED, &p);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 1)
        *ret = pg__i64(r, 0, 0) > 0;
    else if (rc == 0)
        rc = SEAU_E_DB;
    PQclear(r);
    return rc;
}

static int current_version(struct pg__conn *c, int64_t *ret)
{
    PGresult *r = run(c, STMT_MIGRATION_VERSION, NULL);
    int rc = pg__status(c, r);
    if (rc == 0 && PQntuples(r) == 1)
        *ret = pg__i64(r, 0, 0);
    else if (rc == 0)
        rc = SEAU_E_DB;
    PQclear(r);
    return rc;
}

/*
 * Embedded migrations in version order, each in its own transaction with
 * its row in schema_migrations. A session advisory lock makes replicas that
 * start together migrate one after the other; each re-reads the version
 * under it. A database migrated by a newer Seau (a version above every
 * embedded one) is refused with SEAU_E_SCHEMA_NEWER and left untouched.
 */
static int migrate(struct db *db, int *ret_applied)
{
    struct pg__conn *c = pg__acquire(db);
    int applied = 0;
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)", (long long)LOCK_MIGRATE);
    int rc = pg__exec_text(c, sql);
    bool locked = rc == 0;
    if (rc == 0)
        rc = pg__exec_text(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                              "version bigint PRIMARY KEY, name text NOT NULL, "
                              "applied_at bigint NOT NULL)");
    int64_t current = 0;
    if (rc == 0)
        rc = current_version(c, &current);
    if (rc == 0 && current > embedded_version())
        rc = SEAU_E_SCHEMA_NEWER;
    int64_t last = embedded_version();
    for (int64_t version = 1; rc == 0 && version <= last; version++) {
        const char *name = NULL;
        const struct embedded_file *mig = db__migration_find(MIGRATIONS_DIR, version, &name);
        if (!mig)
            continue; /* a version reserved for a feature this build lacks (backend.h) */
        bool done = false;
        rc = version_applied(c, version, &done);
        if (rc || done)
            continue;
        rc = pg__exec_text(c, "BEGIN");
        if (rc == 0)
            rc = pg__exec_text(c, mig->data);
        if (rc == 0) {
            struct pg__params p = {.n = 0};
            pg__p_i64(&p, version);
            pg__p_text(&p, name);
            pg__p_i64(&p, (int64_t)time(NULL) * 1000);
            rc = pg__done(c, run(c, STMT_MIGRATION_RECORD, &p), NULL);
        }
        if (rc == 0)
            rc = pg__exec_text(c, "COMMIT");
        else
            pg__exec_text(c, "ROLLBACK");
        if (rc == 0)
            applied++;
    }
    if (locked) {
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)", (long long)LOCK_MIGRATE);
        pg__exec_text(c, sql);
    }
    pg__release(db, c);
    if (rc == 0 && ret_applied)
        *ret_applied = applied;
    return rc;
}

static void store_close(struct db *db)
{
    struct pg_store *s = store_of(db);
    if (s) {
        for (size_t i = 0; i < s->nconns; i++)
            conn_close(&s->conns[i]);
        free(s->conns);
        free(s->free_stack);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->available);
        /* The URL may hold a password. */
        explicit_bzero(s->url, sizeof(s->url));
        free(s);
    }
    free(db);
}

static const struct db_ops pg_ops = {
    .name = "postgres",
    .migrate = migrate,
    .ping = ping,
    .close = store_close,
    .user_count = pg__user_count,
    .user_insert = pg__user_insert,
    .user_get = pg__user_get,
    .user_get_by_email = pg__user_get_by_email,
    .user_list = pg__user_list,
    .user_update = pg__user_update,
    .user_delete = pg__user_delete,
    .session_create = pg__session_create,
    .session_get = pg__session_get,
    .session_touch = pg__session_touch,
    .session_delete = pg__session_delete,
    .session_purge = pg__session_purge,
    .grants_get = pg__grants_get,
    .grants_set = pg__grants_set,
    .audit_append = pg__audit_append,
    .audit_list = pg__audit_list,
    .audit_walk = pg__audit_walk,
    .throttle_get = pg__throttle_get,
    .throttle_fail = pg__throttle_fail,
    .throttle_clear = pg__throttle_clear,
    .session_list = pg__session_list,
    .session_delete_id = pg__session_delete_id,
    .session_delete_others = pg__session_delete_others,
    .mfa_get = pg__mfa_get,
    .mfa_setup = pg__mfa_setup,
    .mfa_enable = pg__mfa_enable,
    .mfa_use_step = pg__mfa_use_step,
    .mfa_use_recovery = pg__mfa_use_recovery,
    .mfa_recovery_left = pg__mfa_recovery_left,
    .mfa_delete = pg__mfa_delete,
    .mfa_challenge_create = pg__mfa_challenge_create,
    .mfa_challenge_get = pg__mfa_challenge_get,
    .mfa_challenge_delete = pg__mfa_challenge_delete,
    .pat_insert = pg__pat_insert,
    .pat_list = pg__pat_list,
    .pat_get_by_hash = pg__pat_get_by_hash,
    .pat_touch = pg__pat_touch,
    .pat_delete = pg__pat_delete,
    .object_upsert = pg__object_upsert,
    .object_get = pg__object_get,
    .object_delete = pg__object_delete,
    .object_delete_prefix = pg__object_delete_prefix,
    .object_sync_page = pg__object_sync_page,
    .object_sync_sweep = pg__object_sync_sweep,
    .object_search = pg__object_search,
    .index_sync_get = pg__index_sync_get,
    .index_sync_put = pg__index_sync_put,
    .upload_insert = pg__upload_insert,
    .upload_get = pg__upload_get,
    .upload_claim = pg__upload_claim,
    .upload_release = pg__upload_release,
    .upload_delete = pg__upload_delete,
    .upload_list_stale = pg__upload_list_stale,
    .trash_insert = pg__trash_insert,
    .trash_get = pg__trash_get,
    .trash_find_marker = pg__trash_find_marker,
    .trash_list = pg__trash_list,
    .trash_delete = pg__trash_delete,
    .tags_set = pg__tags_set,
    .tags_get = pg__tags_get,
    .share_insert = pg__share_insert,
    .share_get = pg__share_get,
    .share_get_by_token = pg__share_get_by_token,
    .share_list = pg__share_list,
    .share_revoke = pg__share_revoke,
    .share_count_download = pg__share_count_download,
    .oidc_login_put = pg__oidc_login_put,
    .oidc_login_take = pg__oidc_login_take,
    .oidc_sign_in = pg__oidc_sign_in,
    .upload_link_insert = pg__upload_link_insert,
    .upload_link_get = pg__upload_link_get,
    .upload_link_get_by_token = pg__upload_link_get_by_token,
    .upload_link_list = pg__upload_link_list,
    .upload_link_revoke = pg__upload_link_revoke,
    .upload_link_take = pg__upload_link_take,
    .upload_link_give_back = pg__upload_link_give_back,
    .invitation_put = pg__invitation_put,
    .invitation_get = pg__invitation_get,
    .invitation_accept = pg__invitation_accept,
    .object_totals = pg__object_totals,
    .object_level = pg__object_level,
    .object_folders = pg__object_folders,
    .audit_active_users = pg__audit_active_users,
    .notifications_insert = pg__notifications_insert,
    .notification_list = pg__notification_list,
    .notification_last_id = pg__notification_last_id,
    .notification_s3_check = pg__notification_s3_check,
    .notification_s3_ingest = pg__notification_s3_ingest,
    .notification_purge = pg__notification_purge,
    .notifications_since = pg__notifications_since,
    .listen_open = pg__listen_open,
    .listen_wait = pg__listen_wait,
    .listen_close = pg__listen_close,
    .leader_new = pg__leader_new,
    .leader_try = pg__leader_try,
    .leader_free = pg__leader_free,
};

int db__postgres_open(const char *target, int conns, struct db **ret)
{
    /* "postgres://..." or "postgresql://..." (db.c strips either scheme): libpq parses the URL. */
    if (strncmp(target, "//", 2) != 0)
        return SEAU_E_VALIDATION;
    if (conns < 1)
        conns = 1;
    struct db *db = calloc(1, sizeof(*db));
    struct pg_store *s = calloc(1, sizeof(*s));
    if (!db || !s) {
        free(db);
        free(s);
        return SEAU_E_NOMEM;
    }
    int len = snprintf(s->url, sizeof(s->url), "postgresql:%s", target);
    if (len < 0 || (size_t)len >= sizeof(s->url)) {
        free(db);
        free(s);
        return SEAU_E_VALIDATION;
    }
    db->ops = &pg_ops;
    db->impl = s;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->available, NULL);
    s->conns = calloc((size_t)conns, sizeof(*s->conns));
    s->free_stack = calloc((size_t)conns, sizeof(*s->free_stack));
    if (!s->conns || !s->free_stack) {
        store_close(db);
        return SEAU_E_NOMEM;
    }
    int rc = 0;
    for (int i = 0; i < conns && rc == 0; i++) {
        rc = conn_open(s->url, &s->conns[i]);
        s->nconns++;
        s->free_stack[s->nfree++] = (size_t)i;
    }
    if (rc) {
        store_close(db);
        return rc;
    }
    *ret = db;
    return 0;
}

/* A database migrated by a newer Seau is named before serve would refuse it. */
static int probe_schema(PGconn *h, char *why, size_t n)
{
    int64_t version = 0;
    PGresult *r = PQexec(h, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    bool has = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
               strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (has) {
        r = PQexec(h, "SELECT coalesce(max(version), 0) FROM schema_migrations");
        if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            version = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    int64_t known = embedded_version();
    if (version > known) {
        snprintf(why, n,
                 "the database was migrated by a newer Seau (schema %lld; this one knows %lld): "
                 "upgrade this one",
                 (long long)version, (long long)known);
        return SEAU_E_SCHEMA_NEWER;
    }
    if (version < known)
        snprintf(why, n, "reachable, schema %lld of %lld (seau migrate or serve applies the rest)",
                 (long long)version, (long long)known);
    return 0;
}

int db__postgres_probe(const char *target, char *why, size_t n)
{
    char url[sizeof(((struct pg_store *)0)->url)];
    int len = snprintf(url, sizeof(url), "postgresql:%s", target);
    if (strncmp(target, "//", 2) != 0 || len < 0 || (size_t)len >= sizeof(url)) {
        snprintf(why, n, "the URL is not postgres://user@host:port/database");
        return SEAU_E_VALIDATION;
    }
    static const char *const keys[] = {"connect_timeout", "dbname", "fallback_application_name",
                                       NULL};
    const char *values[] = {"5", url, "seau", NULL};
    PGconn *h = PQconnectdbParams(keys, values, 1);
    int rc = 0;
    if (!h) {
        rc = SEAU_E_NOMEM;
        snprintf(why, n, "out of memory");
    } else if (PQstatus(h) != CONNECTION_OK) {
        rc = SEAU_E_DB;
        /* libpq's message, its last line that says something: "…failed: FATAL:  password
         * authentication failed for user \"x\"" or "…: Connection refused", without the hint. */
        const char *m = PQerrorMessage(h);
        size_t keep = strcspn(m, "\n");
        /* A URL libpq could not parse is quoted in its message, password and all: cut it. */
        const char *quoted = strstr(m, " in URI: ");
        if (quoted && (size_t)(quoted - m) < keep)
            keep = (size_t)(quoted - m);
        while (keep && (m[keep - 1] == ' ' || m[keep - 1] == '\r'))
            keep--;
        snprintf(why, n, "%.*s", (int)(keep < 400 ? keep : 400), keep ? m : "the server refused");
    } else {
        rc = probe_schema(h, why, n);
    }
    PQfinish(h);
    return rc;
}
