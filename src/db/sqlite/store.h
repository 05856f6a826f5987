/*
 * Shared by the files of the SQLite store (src/db/sqlite/) and nothing else.
 *
 * The store is one module split by domain: store.c (the pool, statements,
 * transactions, migrations, the table of operations), accounts.c, audit.c,
 * objects.c, search.c, views.c, uploads.c, shares.c and notifications.c.
 * Each domain file declares its own SQL statements with
 * SQLITE__STATEMENTS() and implements the db_ops members of its domain as
 * sqlite__* functions, which store.c puts in the table. What one domain
 * needs of another is declared here too: chiefly sqlite__audit_write(),
 * with which every change writes its audit entry inside its own
 * transaction, and the object-key helpers shared by the object files.
 */
#ifndef SEAU_DB_SQLITE_STORE_H
#define SEAU_DB_SQLITE_STORE_H

#include "db/backend.h"

#include <sqlite3.h>
#include <stdbool.h>

/* The domains, each with its own slots of prepared statements per connection. */
enum sqlite__domain {
    SQLITE__STORE,
    SQLITE__ACCOUNTS,
    SQLITE__AUDIT,
    SQLITE__OBJECTS,
    SQLITE__SEARCH,
    SQLITE__VIEWS,
    SQLITE__UPLOADS,
    SQLITE__SHARES,
    SQLITE__NOTIFICATIONS,
    SQLITE__OIDC,
    SQLITE__IDENTITY,
    SQLITE__UPLOAD_LINKS,
    SQLITE__RECOVERY,
    SQLITE__DOMAINS
};

#define SQLITE__DOMAIN_STMTS_MAX 32 /* statements one domain may declare */

/* One connection of the pool; a thread holds it between acquire and release. */
struct sqlite__conn {
    sqlite3 *handle;
    void *span; /* the write transaction's span (core/trace.h), between tx_begin and tx_end */
    /* Prepared once, on first use, and kept until the store closes. */
    sqlite3_stmt *stmts[SQLITE__DOMAINS][SQLITE__DOMAIN_STMTS_MAX];
};

/*
 * Declares a domain's statements from an X-macro list X(NAME, "SQL"): an
 * enum stmt_id of STMT_NAME values and a file-local stmt(c, STMT_NAME) that
 * returns the statement prepared on c, reset and with its bindings cleared,
 * or NULL when it cannot be prepared. One use per domain file.
 */
#define SQLITE__STMT_ENUM(name, sql) STMT_##name,
#define SQLITE__STMT_SQL(name, sql)  sql,
#define SQLITE__STATEMENTS(LIST, DOMAIN)                                                           \
    enum stmt_id { LIST(SQLITE__STMT_ENUM) STMT_COUNT };                                           \
    static const char *const stmt_sql[] = {LIST(SQLITE__STMT_SQL)};                                \
    _Static_assert(STMT_COUNT <= SQLITE__DOMAIN_STMTS_MAX, "too many statements in one domain");   \
    static sqlite3_stmt *stmt(struct sqlite__conn *c, enum stmt_id id)                             \
    {                                                                                              \
        return sqlite__prepare(c, DOMAIN, (int)id, stmt_sql[id]);                                  \
    }

/* ------------------------------------------------------------ store.c */

/* Borrows an idle connection, waiting for one when all are busy. */
struct sqlite__conn *sqlite__acquire(struct db *db);
void sqlite__release(struct db *db, struct sqlite__conn *c);

/* See SQLITE__STATEMENTS. */
sqlite3_stmt *sqlite__prepare(struct sqlite__conn *c, enum sqlite__domain domain, int id,
                              const char *sql);

/* An SQLite result code as a SEAU_E_* code: 0 for OK, DONE and ROW. */
int sqlite__map_rc(int rc);

/* An SQLite failure (not OK, DONE or ROW) as a SEAU_E_* code, never 0. */
int sqlite__fail(int rc);

/* Runs a statement that returns no rows (or ignores them); SEAU_E_DB for NULL. */
int sqlite__exec(sqlite3_stmt *st);

/*
 * Write transactions take the write lock up front (BEGIN IMMEDIATE), so one
 * never fails half way on a lock upgrade. tx_end commits when rc is 0, else
 * rolls back, and returns the first error.
 */
int sqlite__tx_begin(struct sqlite__conn *c);
int sqlite__tx_end(struct sqlite__conn *c, int rc);

/* A read transaction: every statement between them sees one snapshot. */
int sqlite__read_begin(struct sqlite__conn *c);
void sqlite__read_end(struct sqlite__conn *c);

/* Binds text, or NULL for a NULL pointer; the text must outlive the step. */
void sqlite__bind_text(sqlite3_stmt *st, int i, const char *s);

/* Binds text, or NULL for a NULL pointer or "". */
void sqlite__bind_opt_text(sqlite3_stmt *st, int i, const char *s);

/* Copies a text column into out (truncated to outlen - 1 bytes; "" for NULL). */
void sqlite__copy_col(sqlite3_stmt *st, int col, char *out, size_t outlen);

/* A new copy of a text column, or NULL for NULL (or out of memory). */
char *sqlite__dup_col(sqlite3_stmt *st, int col);

/* ------------------------------------------------------------ audit.c */

/*
 * Appends and seals an audit entry on a connection that holds the write
 * transaction of the change it records, so both commit or neither does.
 * With rc non-zero (the change failed) or no entry it does nothing and
 * returns rc.
 */
int sqlite__audit_write(struct db *db, struct sqlite__conn *c, int rc,
                        struct db_audit_entry *audit);

/* ------------------------------------------------------------ objects.c */

/* The columns read_object() reads, from "objects o". */
#define SQLITE__OBJECT_COLS                                                                        \
    "o.bucket, o.key, o.size, o.etag, o.last_modified, o.content_type, o.kind, o.uploaded_by, "    \
    "o.indexed_at"

/* Reads SQLITE__OBJECT_COLS from the current row. */
void sqlite__read_object(sqlite3_stmt *st, struct db_object *o);

/* ------------------------------------------------------------ SQL functions */

/* Registered on every connection by store.c: seau_fold() (search.c). */
int sqlite__search_register(sqlite3 *h);

/* seau_note_visible() (notifications.c). */
int sqlite__notifications_register(sqlite3 *h);

/* ------------------------------------------------------------ the operations */

int sqlite__user_count(struct db *db, int64_t *ret);
int sqlite__user_insert(struct db *db, struct db_user *u, struct db_audit_entry *audit);
int sqlite__user_get(struct db *db, int64_t id, struct db_user *ret);
int sqlite__user_get_by_email(struct db *db, const char *email, struct db_user *ret);
int sqlite__user_list(struct db *db, struct db_user **ret, size_t *ret_n);
int sqlite__user_update(struct db *db, const struct db_user *u, enum db_revoke revoke,
                        const unsigned char *keep_token_hash, struct db_audit_entry *audit);
int sqlite__user_delete(struct db *db, int64_t id, struct db_audit_entry *audit);
int sqlite__session_create(struct db *db, const struct db_session *s, struct db_audit_entry *audit);
int sqlite__session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                        struct db_user *ret_u);
int sqlite__session_touch(struct db *db, const unsigned char *token_hash, int64_t now);
int sqlite__session_delete(struct db *db, const unsigned char *token_hash,
                           struct db_audit_entry *audit);
int sqlite__session_purge(struct db *db, int64_t idle_before, int64_t now);
int sqlite__grants_get(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n);
int sqlite__grants_set(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                       struct db_audit_entry *audit);
int sqlite__throttle_get(struct db *db, const char *key, struct db_throttle *ret);
int sqlite__throttle_fail(struct db *db, const char *key, int64_t now, int64_t window_ms,
                          struct db_throttle *ret);
int sqlite__throttle_clear(struct db *db, const char *key);

/* Sessions, second factors, personal access tokens (identity.c). */
int sqlite__session_list(struct db *db, int64_t user_id, int64_t idle_before, int64_t now,
                    struct db_session **ret, size_t *ret_n);
int sqlite__session_delete_id(struct db *db, int64_t user_id, const char *id,
                         struct db_audit_entry *audit);
int sqlite__session_delete_others(struct db *db, int64_t user_id, const unsigned char *keep,
                             struct db_audit_entry *audit, int64_t *ret_n);
int sqlite__mfa_get(struct db *db, int64_t user_id, struct db_mfa *ret);
int sqlite__mfa_setup(struct db *db, const struct db_mfa *m, struct db_audit_entry *audit);
int sqlite__mfa_enable(struct db *db, int64_t user_id, int64_t step,
                  const unsigned char (*codes)[DB_TOKEN_HASH_LEN], size_t n,
                  struct db_audit_entry *audit);
int sqlite__mfa_use_step(struct db *db, int64_t user_id, int64_t step);
int sqlite__mfa_use_recovery(struct db *db, int64_t user_id, const unsigned char *code_hash,
                        int64_t now);
int sqlite__mfa_recovery_left(struct db *db, int64_t user_id, int64_t *ret);
int sqlite__mfa_delete(struct db *db, int64_t user_id, struct db_audit_entry *audit);
int sqlite__mfa_challenge_create(struct db *db, const unsigned char *token_hash, int64_t user_id,
                            int64_t now, int64_t expires_at);
int sqlite__mfa_challenge_get(struct db *db, const unsigned char *token_hash, int64_t now,
                         int64_t *ret_user_id);
int sqlite__mfa_challenge_delete(struct db *db, const unsigned char *token_hash);
int sqlite__pat_insert(struct db *db, const struct db_pat *t, size_t max_per_user,
                  struct db_audit_entry *audit);
int sqlite__pat_list(struct db *db, int64_t user_id, struct db_pat **ret, size_t *ret_n);
int sqlite__pat_get_by_hash(struct db *db, const unsigned char *token_hash, struct db_pat *ret_t,
                       struct db_user *ret_u);
int sqlite__pat_touch(struct db *db, const char *id, int64_t now);
int sqlite__pat_delete(struct db *db, int64_t user_id, const char *id, struct db_audit_entry *audit);

int sqlite__audit_append(struct db *db, struct db_audit_entry *audit);
int sqlite__audit_list(struct db *db, const struct db_audit_filter *f, struct db_audit_entry **ret,
                       size_t *ret_n);
int sqlite__audit_walk(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e),
                       void *ctx);
int sqlite__audit_active_users(struct db *db, int64_t since, const char *bucket, int64_t *ret);

int sqlite__object_upsert(struct db *db, const struct db_object *o);
int sqlite__object_get(struct db *db, const char *bucket, const char *key, struct db_object *ret);
int sqlite__object_delete(struct db *db, const char *bucket, const char *key);
int sqlite__object_delete_prefix(struct db *db, const char *bucket, const char *prefix,
                                 int64_t *ret_n);
int sqlite__object_sync_page(struct db *db, const struct db_object *objs, size_t n, int64_t seen_at,
                             struct db_sync_counts *counts);
int sqlite__object_sync_sweep(struct db *db, const char *bucket, int64_t walk_started,
                              int64_t *ret_n);
int sqlite__object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                          size_t *ret_n, int64_t *ret_total);
int sqlite__index_sync_get(struct db *db, const char *bucket, struct db_index_sync *ret);
int sqlite__index_sync_put(struct db *db, const struct db_index_sync *s);

int sqlite__object_totals(struct db *db, const struct db_object_scope *scopes, size_t nscopes,
                          int64_t day_from, int64_t day_to, struct db_object_totals *ret);
int sqlite__object_level(struct db *db, const struct db_level_query *q, struct db_level_row **ret,
                         size_t *ret_n);
int sqlite__object_folders(struct db *db, const char *bucket, const char *prefix, const char *after,
                           size_t limit, char ***ret, size_t *ret_n);

int sqlite__upload_insert(struct db *db, const struct db_upload *u, size_t max_per_user,
                          struct db_audit_entry *audit);
int sqlite__upload_get(struct db *db, const char *id, struct db_upload *ret);
int sqlite__upload_claim(struct db *db, const char *id, int64_t now, int64_t until);
int sqlite__upload_release(struct db *db, const char *id);
int sqlite__upload_delete(struct db *db, const char *id, struct db_audit_entry *audit);
int sqlite__upload_list_stale(struct db *db, int64_t created_before, int64_t now, size_t limit,
                              struct db_upload **ret, size_t *ret_n);

int sqlite__share_insert(struct db *db, struct db_share *s, struct db_audit_entry *audit);
int sqlite__share_get(struct db *db, const char *id, struct db_share *ret);
int sqlite__share_get_by_token(struct db *db, const unsigned char *token_hash,
                               struct db_share *ret);
int sqlite__share_list(struct db *db, const struct db_share_filter *f, struct db_share **ret,
                       size_t *ret_n);
int sqlite__share_revoke(struct db *db, const char *id, int64_t now, struct db_audit_entry *audit);
int sqlite__share_count_download(struct db *db, const char *id, int64_t now,
                                 struct db_audit_entry *audit);

int sqlite__upload_link_insert(struct db *db, struct db_upload_link *l,
                               struct db_audit_entry *audit);
int sqlite__upload_link_get(struct db *db, const char *id, struct db_upload_link *ret);
int sqlite__upload_link_get_by_token(struct db *db, const unsigned char *token_hash,
                                     struct db_upload_link *ret);
int sqlite__upload_link_list(struct db *db, const struct db_upload_link_filter *f,
                             struct db_upload_link **ret, size_t *ret_n);
int sqlite__upload_link_revoke(struct db *db, const char *id, int64_t now,
                               struct db_audit_entry *audit);
int sqlite__upload_link_take(struct db *db, const char *id, int64_t now, int64_t files,
                             int64_t bytes);
int sqlite__upload_link_give_back(struct db *db, const char *id, int64_t files, int64_t bytes);

int sqlite__notifications_insert(struct db *db, struct db_notification *n, size_t count,
                                 int64_t claim_since, bool *ret_claimed);
int sqlite__notification_list(struct db *db, const struct db_notification_query *q,
                              struct db_notification **ret, size_t *ret_n);
int sqlite__notification_last_id(struct db *db, int64_t *ret);
int sqlite__notification_s3_check(struct db *db, const struct db_s3_event *e,
                                  struct db_s3_check *ret);
int sqlite__notification_s3_ingest(struct db *db, const struct db_s3_event *e,
                                   struct db_notification *n, enum db_s3_outcome *ret);
int sqlite__notification_purge(struct db *db, int64_t before, int64_t *ret_n);

/* Invitations (accounts.c, migration 0014). */
int sqlite__invitation_put(struct db *db, const struct db_invitation *inv,
                           struct db_audit_entry *audit);
int sqlite__invitation_get(struct db *db, const unsigned char *token_hash, int64_t now,
                           struct db_invitation *ret_inv, struct db_user *ret_u);
int sqlite__invitation_accept(struct db *db, const unsigned char *token_hash, int64_t now,
                              const char *password_hash, struct db_audit_entry *audit,
                              struct db_user *ret_u);

/* ------------------------------------------------------------ oidc.c */
int sqlite__oidc_login_put(struct db *db, const struct db_oidc_login *l, int64_t now);
int sqlite__oidc_login_take(struct db *db, const unsigned char *key_hash, int64_t now,
                            struct db_oidc_login *ret);
int sqlite__oidc_sign_in(struct db *db, const struct db_oidc_identity *id, struct db_session *s,
                      struct db_audit_entry *audit, struct db_user *ret);
/* ------------------------------------------------------------ recovery.c */

int sqlite__trash_insert(struct db *db, struct db_trash *t, struct db_audit_entry *audit);
int sqlite__trash_get(struct db *db, int64_t id, struct db_trash *ret);
int sqlite__trash_find_marker(struct db *db, const char *bucket, const char *version_id,
                              struct db_trash *ret);
int sqlite__trash_list(struct db *db, const struct db_trash_filter *f, struct db_trash **ret,
                       size_t *ret_n);
int sqlite__trash_delete(struct db *db, int64_t id, struct db_audit_entry *audit);
int sqlite__tags_set(struct db *db, const char *bucket, const char *key,
                     const struct db_tag *tags, size_t n, struct db_audit_entry *audit);
int sqlite__tags_get(struct db *db, const char *bucket, const char *key, struct db_tag **ret,
                     size_t *ret_n);

#endif
