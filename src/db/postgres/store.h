/*
 * Shared by the files of the PostgreSQL store (src/db/postgres/) and nothing
 * else. The store mirrors the SQLite one file by file: store.c (URL, the
 * pool, prepared statements, transactions with retries, migrations, the
 * table of operations), accounts.c, audit.c, objects.c, search.c, views.c,
 * uploads.c, shares.c and notifications.c. Each domain file declares its
 * SQL with PG__STATEMENTS() and implements the db_ops members of its domain
 * as pg__* functions, which store.c puts in the table.
 *
 * Where SQLite relies on its single writer, this store takes explicit locks
 * inside the change's transaction (transaction-level advisory locks, or
 * single guarded statements that PostgreSQL re-checks after a row lock), so
 * several replicas may share one database.
 */
#ifndef SEAU_DB_POSTGRES_STORE_H
#define SEAU_DB_POSTGRES_STORE_H

#include "db/backend.h"

#include <libpq-fe.h>
#include <stdbool.h>

enum pg__domain {
    PG__STORE,
    PG__ACCOUNTS,
    PG__AUDIT,
    PG__OBJECTS,
    PG__SEARCH,
    PG__VIEWS,
    PG__UPLOADS,
    PG__SHARES,
    PG__NOTIFICATIONS,
    PG__OIDC,
    PG__IDENTITY,
    PG__UPLOAD_LINKS,
    PG__RECOVERY,
    PG__DOMAINS
};

#define PG__DOMAIN_STMTS_MAX 32 /* statements one domain may declare */
#define PG__PARAMS_MAX       16 /* parameters of one prepared statement */

/*
 * Transaction-level advisory lock keys (pg_advisory_xact_lock): one
 * namespace per rule, so two rules never wait on each other.
 */
#define PG__LOCK_AUDIT  5365617501 /* appends to the audit chain */
#define PG__LOCK_ADMINS 5365617502 /* changes that may remove the last admin */
#define PG__LOCK_UPLOAD 53656175   /* with the user id: one user's upload count */
/* Inserts of notifications: ids become visible in the order they were drawn (replicas.c). */
#define PG__LOCK_NOTIFY 5365617503

/* The channels of the fan-out between replicas; each payload is one notification id. */
#define PG__CHANNEL_NEW   "seau_notifications"       /* a batch committed: its highest new id */
#define PG__CHANNEL_AGAIN "seau_notifications_again" /* a row taken over, to be sent again */

/* One connection of the pool; a thread holds it between acquire and release. */
struct pg__conn {
    PGconn *handle;
    /* Whether each statement is prepared on this connection (on first use). */
    bool prepared[PG__DOMAINS][PG__DOMAIN_STMTS_MAX];
    /* The last failure was a serialization failure or a deadlock: retry the transaction. */
    bool retry;
};

/* Parameters of one statement, in libpq's form; numbers are formatted in place. */
struct pg__params {
    int n;
    const char *values[PG__PARAMS_MAX];
    int lengths[PG__PARAMS_MAX];
    int formats[PG__PARAMS_MAX];
    char num[PG__PARAMS_MAX][24];
};

/* Appends text (NULL: SQL NULL). The text must outlive the statement's execution. */
void pg__p_text(struct pg__params *p, const char *s);
/* Appends text, or NULL for NULL or "". */
void pg__p_opt_text(struct pg__params *p, const char *s);
void pg__p_i64(struct pg__params *p, int64_t v);
/* Appends v, or NULL when v == none. */
void pg__p_opt_i64(struct pg__params *p, int64_t v, int64_t none);
void pg__p_bool(struct pg__params *p, bool v);
/* Appends bytes as a binary bytea parameter. */
void pg__p_bytes(struct pg__params *p, const unsigned char *b, size_t n);

/*
 * Declares a domain's statements from an X-macro list X(NAME, "SQL"): an
 * enum stmt_id and a file-local run(c, STMT_NAME, params) that prepares the
 * statement on c on first use and executes it, returning its result (never
 * NULL; PQclear it). One use per domain file.
 */
#define PG__STMT_ENUM(name, sql) STMT_##name,
#define PG__STMT_SQL(name, sql)  sql,
#define PG__STATEMENTS(LIST, DOMAIN)                                                               \
    enum stmt_id { LIST(PG__STMT_ENUM) STMT_COUNT };                                               \
    static const char *const stmt_sql[] = {LIST(PG__STMT_SQL)};                                    \
    _Static_assert(STMT_COUNT <= PG__DOMAIN_STMTS_MAX, "too many statements in one domain");       \
    static PGresult *run(struct pg__conn *c, enum stmt_id id, const struct pg__params *p)          \
    {                                                                                              \
        return pg__run(c, DOMAIN, (int)id, stmt_sql[id], p);                                       \
    }

/* ------------------------------------------------------------ store.c */

struct pg__conn *pg__acquire(struct db *db);
void pg__release(struct db *db, struct pg__conn *c);

/* See PG__STATEMENTS; p may be NULL for no parameters. */
PGresult *pg__run(struct pg__conn *c, enum pg__domain domain, int id, const char *sql,
                  const struct pg__params *p);

/*
 * A new connection of its own (not the pool's) for a listener or the leader
 * lock, with keepalives both ways; NULL when the server is unreachable.
 */
PGconn *pg__connect(struct db *db);

/* Runs SQL text once (no parameters, several statements allowed); clears its result. */
int pg__exec_text(struct pg__conn *c, const char *sql);

/* Runs SQL text with parameters, unprepared (built per request: search); never NULL. */
PGresult *pg__run_text(struct pg__conn *c, const char *sql, const struct pg__params *p);

/*
 * The result's status as a SEAU_E_* code: 0 for a command or rows; an
 * integrity violation (class 23) SEAU_E_CONFLICT; anything else
 * SEAU_E_DB, with c->retry set for a serialization failure (40001) or a
 * deadlock (40P01).
 */
int pg__status(struct pg__conn *c, const PGresult *r);

/* pg__status, then clears r; *ret_changes (optional) gets the rows affected. */
int pg__done(struct pg__conn *c, PGresult *r, int64_t *ret_changes);

/* Column readers (text format). NULL reads as 0 / "" / NULL. */
int64_t pg__i64(const PGresult *r, int row, int col);
bool pg__bool(const PGresult *r, int row, int col);
bool pg__null(const PGresult *r, int row, int col);
void pg__copy(const PGresult *r, int row, int col, char *out, size_t outlen);
char *pg__dup(const PGresult *r, int row, int col);
/* A bytea column of exactly n bytes into out; false otherwise. */
bool pg__bytes(const PGresult *r, int row, int col, unsigned char *out, size_t n);

/*
 * Runs body(db, c, ctx) in a transaction (READ COMMITTED) and commits when
 * it returns 0, else rolls back. A serialization failure or deadlock runs
 * the whole transaction again, a bounded number of times, so a body must
 * write its outputs only from what it read in the attempt that commits.
 */
int pg__tx(struct db *db, int (*body)(struct db *db, struct pg__conn *c, void *ctx), void *ctx);

/* A read-only snapshot on a held connection: every statement between sees one state. */
int pg__read_begin(struct pg__conn *c);
void pg__read_end(struct pg__conn *c);

/* A PostgreSQL array literal of strings ({"a","b"}), in a new string (free()); NULL: no memory. */
char *pg__text_array(const char *const *items, size_t n, size_t stride);

/* ------------------------------------------------------------ audit.c */

/*
 * Appends and seals an audit entry inside the transaction of the change it
 * records. With rc non-zero or no entry it does nothing and returns rc.
 */
int pg__audit_write(struct db *db, struct pg__conn *c, int rc, struct db_audit_entry *audit);

/* ------------------------------------------------------------ objects.c */

#define PG__OBJECT_COLS                                                                            \
    "o.bucket, o.key, o.size, o.etag, o.last_modified, o.content_type, o.kind, o.uploaded_by, "    \
    "o.indexed_at"
#define PG__OBJECT_NCOLS 9 /* the columns of PG__OBJECT_COLS */

/* Reads PG__OBJECT_COLS from row, starting at column 0. */
void pg__read_object(const PGresult *r, int row, struct db_object *o);

/* ------------------------------------------------------------ the operations */

int pg__user_count(struct db *db, int64_t *ret);
int pg__user_insert(struct db *db, struct db_user *u, struct db_audit_entry *audit);
int pg__user_get(struct db *db, int64_t id, struct db_user *ret);
int pg__user_get_by_email(struct db *db, const char *email, struct db_user *ret);
int pg__user_list(struct db *db, struct db_user **ret, size_t *ret_n);
int pg__user_update(struct db *db, const struct db_user *u, enum db_revoke revoke,
                    const unsigned char *keep_token_hash, struct db_audit_entry *audit);
int pg__user_delete(struct db *db, int64_t id, struct db_audit_entry *audit);
int pg__session_create(struct db *db, const struct db_session *s, struct db_audit_entry *audit);
int pg__session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                    struct db_user *ret_u);
int pg__session_touch(struct db *db, const unsigned char *token_hash, int64_t now);
int pg__session_delete(struct db *db, const unsigned char *token_hash,
                       struct db_audit_entry *audit);
int pg__session_purge(struct db *db, int64_t idle_before, int64_t now);
int pg__grants_get(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n);
int pg__grants_set(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                   struct db_audit_entry *audit);
int pg__throttle_get(struct db *db, const char *key, struct db_throttle *ret);
int pg__throttle_fail(struct db *db, const char *key, int64_t now, int64_t window_ms,
                      struct db_throttle *ret);
int pg__throttle_clear(struct db *db, const char *key);

/* Sessions, second factors, personal access tokens (identity.c). */
int pg__session_list(struct db *db, int64_t user_id, int64_t idle_before, int64_t now,
                    struct db_session **ret, size_t *ret_n);
int pg__session_delete_id(struct db *db, int64_t user_id, const char *id,
                         struct db_audit_entry *audit);
int pg__session_delete_others(struct db *db, int64_t user_id, const unsigned char *keep,
                             struct db_audit_entry *audit, int64_t *ret_n);
int pg__mfa_get(struct db *db, int64_t user_id, struct db_mfa *ret);
int pg__mfa_setup(struct db *db, const struct db_mfa *m, struct db_audit_entry *audit);
int pg__mfa_enable(struct db *db, int64_t user_id, int64_t step,
                  const unsigned char (*codes)[DB_TOKEN_HASH_LEN], size_t n,
                  struct db_audit_entry *audit);
int pg__mfa_use_step(struct db *db, int64_t user_id, int64_t step);
int pg__mfa_use_recovery(struct db *db, int64_t user_id, const unsigned char *code_hash,
                        int64_t now);
int pg__mfa_recovery_left(struct db *db, int64_t user_id, int64_t *ret);
int pg__mfa_delete(struct db *db, int64_t user_id, struct db_audit_entry *audit);
int pg__mfa_challenge_create(struct db *db, const unsigned char *token_hash, int64_t user_id,
                            int64_t now, int64_t expires_at);
int pg__mfa_challenge_get(struct db *db, const unsigned char *token_hash, int64_t now,
                         int64_t *ret_user_id);
int pg__mfa_challenge_delete(struct db *db, const unsigned char *token_hash);
int pg__pat_insert(struct db *db, const struct db_pat *t, size_t max_per_user,
                  struct db_audit_entry *audit);
int pg__pat_list(struct db *db, int64_t user_id, struct db_pat **ret, size_t *ret_n);
int pg__pat_get_by_hash(struct db *db, const unsigned char *token_hash, struct db_pat *ret_t,
                       struct db_user *ret_u);
int pg__pat_touch(struct db *db, const char *id, int64_t now);
int pg__pat_delete(struct db *db, int64_t user_id, const char *id, struct db_audit_entry *audit);

int pg__audit_append(struct db *db, struct db_audit_entry *audit);
int pg__audit_list(struct db *db, const struct db_audit_filter *f, struct db_audit_entry **ret,
                   size_t *ret_n);
int pg__audit_walk(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e), void *ctx);
int pg__audit_active_users(struct db *db, int64_t since, const char *bucket, int64_t *ret);

int pg__object_upsert(struct db *db, const struct db_object *o);
int pg__object_get(struct db *db, const char *bucket, const char *key, struct db_object *ret);
int pg__object_delete(struct db *db, const char *bucket, const char *key);
int pg__object_delete_prefix(struct db *db, const char *bucket, const char *prefix, int64_t *ret_n);
int pg__object_sync_page(struct db *db, const struct db_object *objs, size_t n, int64_t seen_at,
                         struct db_sync_counts *counts);
int pg__object_sync_sweep(struct db *db, const char *bucket, int64_t walk_started, int64_t *ret_n);
int pg__object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                      size_t *ret_n, int64_t *ret_total);
int pg__index_sync_get(struct db *db, const char *bucket, struct db_index_sync *ret);
int pg__index_sync_put(struct db *db, const struct db_index_sync *s);

int pg__object_totals(struct db *db, const struct db_object_scope *scopes, size_t nscopes,
                      int64_t day_from, int64_t day_to, struct db_object_totals *ret);
int pg__object_level(struct db *db, const struct db_level_query *q, struct db_level_row **ret,
                     size_t *ret_n);
int pg__object_folders(struct db *db, const char *bucket, const char *prefix, const char *after,
                       size_t limit, char ***ret, size_t *ret_n);

int pg__upload_insert(struct db *db, const struct db_upload *u, size_t max_per_user,
                      struct db_audit_entry *audit);
int pg__upload_get(struct db *db, const char *id, struct db_upload *ret);
int pg__upload_claim(struct db *db, const char *id, int64_t now, int64_t until);
int pg__upload_release(struct db *db, const char *id);
int pg__upload_delete(struct db *db, const char *id, struct db_audit_entry *audit);
int pg__upload_list_stale(struct db *db, int64_t created_before, int64_t now, size_t limit,
                          struct db_upload **ret, size_t *ret_n);

int pg__upload_link_insert(struct db *db, struct db_upload_link *l, struct db_audit_entry *audit);
int pg__upload_link_get(struct db *db, const char *id, struct db_upload_link *ret);
int pg__upload_link_get_by_token(struct db *db, const unsigned char *token_hash,
                                 struct db_upload_link *ret);
int pg__upload_link_list(struct db *db, const struct db_upload_link_filter *f,
                         struct db_upload_link **ret, size_t *ret_n);
int pg__upload_link_revoke(struct db *db, const char *id, int64_t now,
                           struct db_audit_entry *audit);
int pg__upload_link_take(struct db *db, const char *id, int64_t now, int64_t files, int64_t bytes);
int pg__upload_link_give_back(struct db *db, const char *id, int64_t files, int64_t bytes);

int pg__share_insert(struct db *db, struct db_share *s, struct db_audit_entry *audit);
int pg__share_get(struct db *db, const char *id, struct db_share *ret);
int pg__share_get_by_token(struct db *db, const unsigned char *token_hash, struct db_share *ret);
int pg__share_list(struct db *db, const struct db_share_filter *f, struct db_share **ret,
                   size_t *ret_n);
int pg__share_revoke(struct db *db, const char *id, int64_t now, struct db_audit_entry *audit);
int pg__share_count_download(struct db *db, const char *id, int64_t now,
                             struct db_audit_entry *audit);

int pg__notifications_insert(struct db *db, struct db_notification *n, size_t count,
                             int64_t claim_since, bool *ret_claimed);
int pg__notification_list(struct db *db, const struct db_notification_query *q,
                          struct db_notification **ret, size_t *ret_n);
int pg__notification_last_id(struct db *db, int64_t *ret);
int pg__notification_s3_check(struct db *db, const struct db_s3_event *e, struct db_s3_check *ret);
int pg__notification_s3_ingest(struct db *db, const struct db_s3_event *e,
                               struct db_notification *n, enum db_s3_outcome *ret);
int pg__notification_purge(struct db *db, int64_t before, int64_t *ret_n);
int pg__notifications_since(struct db *db, int64_t after_id, size_t limit,
                            struct db_notification **ret, size_t *ret_n);

/* ------------------------------------------------------------ replicas.c */

int pg__listen_open(struct db *db, struct db_listener **ret);
int pg__listen_wait(struct db_listener *l, int wake_fd, int timeout_ms, struct db_notice *ret,
                    size_t max, size_t *ret_n);
void pg__listen_close(struct db_listener *l);
int pg__leader_new(struct db *db, int64_t key, struct db_leader **ret);
int pg__leader_try(struct db_leader *l, bool *ret_leader);
void pg__leader_free(struct db_leader *l);

/* ------------------------------------------------------------ oidc.c */
int pg__oidc_login_put(struct db *db, const struct db_oidc_login *l, int64_t now);
int pg__oidc_login_take(struct db *db, const unsigned char *key_hash, int64_t now,
                        struct db_oidc_login *ret);
int pg__oidc_sign_in(struct db *db, const struct db_oidc_identity *id, struct db_session *s,
                      struct db_audit_entry *audit, struct db_user *ret);
/* ------------------------------------------------------------ recovery.c */

int pg__trash_insert(struct db *db, struct db_trash *t, struct db_audit_entry *audit);
int pg__trash_get(struct db *db, int64_t id, struct db_trash *ret);
int pg__trash_find_marker(struct db *db, const char *bucket, const char *version_id,
                          struct db_trash *ret);
int pg__trash_list(struct db *db, const struct db_trash_filter *f, struct db_trash **ret,
                   size_t *ret_n);
int pg__trash_delete(struct db *db, int64_t id, struct db_audit_entry *audit);
int pg__tags_set(struct db *db, const char *bucket, const char *key, const struct db_tag *tags,
                 size_t n, struct db_audit_entry *audit);
int pg__tags_get(struct db *db, const char *bucket, const char *key, struct db_tag **ret,
                 size_t *ret_n);

/* Invitations (accounts.c, migration 0014). */
int pg__invitation_put(struct db *db, const struct db_invitation *inv,
                       struct db_audit_entry *audit);
int pg__invitation_get(struct db *db, const unsigned char *token_hash, int64_t now,
                       struct db_invitation *ret_inv, struct db_user *ret_u);
int pg__invitation_accept(struct db *db, const unsigned char *token_hash, int64_t now,
                          const char *password_hash, struct db_audit_entry *audit,
                          struct db_user *ret_u);

#endif
