/*
 * Inside the store: what db.c needs of a backend, and what backends share.
 * Only src/db/ includes this header; callers see db.h alone.
 *
 * A backend fills one struct db_ops (each member has the contract of the
 * db_* function of the same name in db.h) and a constructor that opens it.
 * db.c picks the constructor once, from the URL scheme, and every db_*
 * call goes through the table (STYLE.md rule 4), so a second backend
 * (src/db/postgres/, with the same file names as src/db/sqlite/) plugs in
 * with one more line in db.c's table and nothing else.
 */
#ifndef SEAU_DB_BACKEND_H
#define SEAU_DB_BACKEND_H

#include "core/embed.h"
#include "db/db.h"

#include <stdatomic.h>

struct db_ops {
    const char *name;
    int (*migrate)(struct db *db, int *ret_applied);
    int (*ping)(struct db *db);
    void (*close)(struct db *db);

    int (*user_count)(struct db *db, int64_t *ret);
    int (*user_insert)(struct db *db, struct db_user *u, struct db_audit_entry *audit);
    int (*user_get)(struct db *db, int64_t id, struct db_user *ret);
    int (*user_get_by_email)(struct db *db, const char *email, struct db_user *ret);
    int (*user_list)(struct db *db, struct db_user **ret, size_t *ret_n);
    int (*user_update)(struct db *db, const struct db_user *u, enum db_revoke revoke,
                       const unsigned char *keep_token_hash, struct db_audit_entry *audit);
    int (*user_delete)(struct db *db, int64_t id, struct db_audit_entry *audit);

    int (*session_create)(struct db *db, const struct db_session *s, struct db_audit_entry *audit);
    int (*session_get)(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                       struct db_user *ret_u);
    int (*session_touch)(struct db *db, const unsigned char *token_hash, int64_t now);
    int (*session_delete)(struct db *db, const unsigned char *token_hash,
                          struct db_audit_entry *audit);
    int (*session_purge)(struct db *db, int64_t idle_before, int64_t now);

    int (*grants_get)(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n);
    int (*grants_set)(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                      struct db_audit_entry *audit);

    int (*audit_append)(struct db *db, struct db_audit_entry *audit);
    int (*audit_list)(struct db *db, const struct db_audit_filter *f, struct db_audit_entry **ret,
                      size_t *ret_n);
    int (*audit_walk)(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e),
                      void *ctx);

    int (*throttle_get)(struct db *db, const char *key, struct db_throttle *ret);
    int (*throttle_fail)(struct db *db, const char *key, int64_t now, int64_t window_ms,
                         struct db_throttle *ret);
    int (*throttle_clear)(struct db *db, const char *key);

    /* Sessions, second factors, personal access tokens (migration 0008). */
    int (*session_list)(struct db *db, int64_t user_id, int64_t idle_before, int64_t now,
                        struct db_session **ret, size_t *ret_n);
    int (*session_delete_id)(struct db *db, int64_t user_id, const char *id,
                             struct db_audit_entry *audit);
    int (*session_delete_others)(struct db *db, int64_t user_id, const unsigned char *keep,
                                 struct db_audit_entry *audit, int64_t *ret_n);
    int (*mfa_get)(struct db *db, int64_t user_id, struct db_mfa *ret);
    int (*mfa_setup)(struct db *db, const struct db_mfa *m, struct db_audit_entry *audit);
    int (*mfa_enable)(struct db *db, int64_t user_id, int64_t step,
                      const unsigned char (*codes)[DB_TOKEN_HASH_LEN], size_t n,
                      struct db_audit_entry *audit);
    int (*mfa_use_step)(struct db *db, int64_t user_id, int64_t step);
    int (*mfa_use_recovery)(struct db *db, int64_t user_id, const unsigned char *code_hash,
                            int64_t now);
    int (*mfa_recovery_left)(struct db *db, int64_t user_id, int64_t *ret);
    int (*mfa_delete)(struct db *db, int64_t user_id, struct db_audit_entry *audit);
    int (*mfa_challenge_create)(struct db *db, const unsigned char *token_hash, int64_t user_id,
                                int64_t now, int64_t expires_at);
    int (*mfa_challenge_get)(struct db *db, const unsigned char *token_hash, int64_t now,
                             int64_t *ret_user_id);
    int (*mfa_challenge_delete)(struct db *db, const unsigned char *token_hash);
    int (*pat_insert)(struct db *db, const struct db_pat *t, size_t max_per_user,
                      struct db_audit_entry *audit);
    int (*pat_list)(struct db *db, int64_t user_id, struct db_pat **ret, size_t *ret_n);
    int (*pat_get_by_hash)(struct db *db, const unsigned char *token_hash, struct db_pat *ret_t,
                           struct db_user *ret_u);
    int (*pat_touch)(struct db *db, const char *id, int64_t now);
    int (*pat_delete)(struct db *db, int64_t user_id, const char *id,
                      struct db_audit_entry *audit);

    int (*object_upsert)(struct db *db, const struct db_object *o);
    int (*object_get)(struct db *db, const char *bucket, const char *key, struct db_object *ret);
    int (*object_delete)(struct db *db, const char *bucket, const char *key);
    int (*object_delete_prefix)(struct db *db, const char *bucket, const char *prefix,
                                int64_t *ret_n);
    int (*object_sync_page)(struct db *db, const struct db_object *objs, size_t n, int64_t seen_at,
                            struct db_sync_counts *counts);
    int (*object_sync_sweep)(struct db *db, const char *bucket, int64_t walk_started,
                             int64_t *ret_n);
    int (*object_search)(struct db *db, const struct db_object_query *q, struct db_object **ret,
                         size_t *ret_n, int64_t *ret_total);
    int (*index_sync_get)(struct db *db, const char *bucket, struct db_index_sync *ret);
    int (*index_sync_put)(struct db *db, const struct db_index_sync *s);

    int (*upload_insert)(struct db *db, const struct db_upload *u, size_t max_per_user,
                         struct db_audit_entry *audit);
    int (*upload_get)(struct db *db, const char *id, struct db_upload *ret);
    int (*upload_claim)(struct db *db, const char *id, int64_t now, int64_t until);
    int (*upload_release)(struct db *db, const char *id);
    int (*upload_delete)(struct db *db, const char *id, struct db_audit_entry *audit);
    int (*upload_list_stale)(struct db *db, int64_t created_before, int64_t now, size_t limit,
                             struct db_upload **ret, size_t *ret_n);

    int (*object_totals)(struct db *db, const struct db_object_scope *scopes, size_t nscopes,
                         int64_t day_from, int64_t day_to, struct db_object_totals *ret);
    int (*object_level)(struct db *db, const struct db_level_query *q, struct db_level_row **ret,
                        size_t *ret_n);
    int (*object_folders)(struct db *db, const char *bucket, const char *prefix, const char *after,
                          size_t limit, char ***ret, size_t *ret_n);
    int (*audit_active_users)(struct db *db, int64_t since, const char *bucket, int64_t *ret);

    int (*share_insert)(struct db *db, struct db_share *s, struct db_audit_entry *audit);
    int (*share_get)(struct db *db, const char *id, struct db_share *ret);
    int (*share_get_by_token)(struct db *db, const unsigned char *token_hash, struct db_share *ret);
    int (*share_list)(struct db *db, const struct db_share_filter *f, struct db_share **ret,
                      size_t *ret_n);
    int (*share_revoke)(struct db *db, const char *id, int64_t now, struct db_audit_entry *audit);
    int (*share_count_download)(struct db *db, const char *id, int64_t now,
                                struct db_audit_entry *audit);

    /* Upload links (db.h). */
    int (*upload_link_insert)(struct db *db, struct db_upload_link *l,
                              struct db_audit_entry *audit);
    int (*upload_link_get)(struct db *db, const char *id, struct db_upload_link *ret);
    int (*upload_link_get_by_token)(struct db *db, const unsigned char *token_hash,
                                    struct db_upload_link *ret);
    int (*upload_link_list)(struct db *db, const struct db_upload_link_filter *f,
                            struct db_upload_link **ret, size_t *ret_n);
    int (*upload_link_revoke)(struct db *db, const char *id, int64_t now,
                              struct db_audit_entry *audit);
    int (*upload_link_take)(struct db *db, const char *id, int64_t now, int64_t files,
                            int64_t bytes);
    int (*upload_link_give_back)(struct db *db, const char *id, int64_t files, int64_t bytes);

    int (*notifications_insert)(struct db *db, struct db_notification *n, size_t count,
                                int64_t claim_since, bool *ret_claimed);
    int (*notification_list)(struct db *db, const struct db_notification_query *q,
                             struct db_notification **ret, size_t *ret_n);
    int (*notification_last_id)(struct db *db, int64_t *ret);
    int (*notification_s3_check)(struct db *db, const struct db_s3_event *e,
                                 struct db_s3_check *ret);
    int (*notification_s3_ingest)(struct db *db, const struct db_s3_event *e,
                                  struct db_notification *n, enum db_s3_outcome *ret);
    int (*notification_purge)(struct db *db, int64_t before, int64_t *ret_n);

    /* Single sign-on (db.h "single sign-on"). */
    int (*oidc_login_put)(struct db *db, const struct db_oidc_login *l, int64_t now);
    int (*oidc_login_take)(struct db *db, const unsigned char *key_hash, int64_t now,
                           struct db_oidc_login *ret);
    int (*oidc_sign_in)(struct db *db, const struct db_oidc_identity *id, struct db_session *s,
                        struct db_audit_entry *audit, struct db_user *ret);
    /* Recycle bin and tags (db.h "recycle bin, tags"). */
    int (*trash_insert)(struct db *db, struct db_trash *t, struct db_audit_entry *audit);
    int (*trash_get)(struct db *db, int64_t id, struct db_trash *ret);
    int (*trash_find_marker)(struct db *db, const char *bucket, const char *version_id,
                             struct db_trash *ret);
    int (*trash_list)(struct db *db, const struct db_trash_filter *f, struct db_trash **ret,
                      size_t *ret_n);
    int (*trash_delete)(struct db *db, int64_t id, struct db_audit_entry *audit);
    int (*tags_set)(struct db *db, const char *bucket, const char *key, const struct db_tag *tags,
                    size_t n, struct db_audit_entry *audit);
    int (*tags_get)(struct db *db, const char *bucket, const char *key, struct db_tag **ret,
                    size_t *ret_n);

    /* Invitations (db.h "invitations", migration 0014). */
    int (*invitation_put)(struct db *db, const struct db_invitation *inv,
                          struct db_audit_entry *audit);
    int (*invitation_get)(struct db *db, const unsigned char *token_hash, int64_t now,
                          struct db_invitation *ret_inv, struct db_user *ret_u);
    int (*invitation_accept)(struct db *db, const unsigned char *token_hash, int64_t now,
                             const char *password_hash, struct db_audit_entry *audit,
                             struct db_user *ret_u);

    /* Replicas (db.h): NULL in a store that is not shared (db.c answers for it). */
    int (*notifications_since)(struct db *db, int64_t after_id, size_t limit,
                               struct db_notification **ret, size_t *ret_n);
    int (*listen_open)(struct db *db, struct db_listener **ret);
    int (*listen_wait)(struct db_listener *l, int wake_fd, int timeout_ms, struct db_notice *ret,
                       size_t max, size_t *ret_n);
    void (*listen_close)(struct db_listener *l);
    int (*leader_new)(struct db *db, int64_t key, struct db_leader **ret);
    int (*leader_try)(struct db_leader *l, bool *ret_leader);
    void (*leader_free)(struct db_leader *l);
};

/* The heads of the replicas' handles: a backend's own struct starts with one (db.c dispatches). */
struct db_listener {
    const struct db_ops *ops;
};
struct db_leader {
    const struct db_ops
        *ops; /* NULL: a store that is not shared, where this is always the leader */
};

struct db {
    const struct db_ops *ops;
    db_audit_seal_fn seal; /* set by db_open after the constructor returns */
    void *impl;            /* the backend's own state */
    /* db_session_cache_enable; NULL: off. */
    struct db__session_cache *session_cache;
    /* Moved on by every write of a session or a user through this handle (session_cache.c). */
    atomic_uint_least64_t auth_generation;
};

/* session_cache.c: recent db_session_get answers, valid while the generation holds. */
int db__session_cache_new(int64_t ttl_ms, struct db__session_cache **ret);
void db__session_cache_free(struct db__session_cache *c);
/* True and the copy when one for token_hash, taken under generation, is within its time to live. */
bool db__session_cache_get(struct db__session_cache *c, const unsigned char *token_hash,
                           uint64_t generation, struct db_session *ret_s, struct db_user *ret_u);
/* Keeps a lookup's answer (without the password hash); generation and time: its start's. */
void db__session_cache_put(struct db__session_cache *c, const unsigned char *token_hash,
                           uint64_t generation, int64_t fetched_ns, const struct db_session *sess,
                           const struct db_user *user);

/*
 * Backend constructors. Each takes what follows the URL scheme ("sqlite:" ->
 * the file path) and returns a new handle with ops and impl set.
 */
int db__sqlite_open(const char *target, int conns, struct db **ret);
/* "postgres:" or "postgresql:" -> "//user:pass@host:port/db?params", given to libpq. */
int db__postgres_open(const char *target, int conns, struct db **ret);
/* db_probe's halves: the same targets, one connection, the reason in why. */
int db__sqlite_probe(const char *target, char *why, size_t n);
int db__postgres_probe(const char *target, char *why, size_t n);

/*
 * The smallest string above every string that starts with prefix, for the
 * range key >= prefix AND key < successor (an index serves both bounds).
 * Keys compare as bytes, so this is prefix with its last byte incremented;
 * 0xFF never occurs in UTF-8, so no carry is needed. False for the empty
 * prefix (no upper bound) or when out is too small.
 */
bool db__prefix_successor(const char *prefix, char *out, size_t outlen);

/*
 * Sorts scopes and drops those inside another (a grant of "a/" and one of
 * "a/b/"), so that scopes are disjoint and, taken in order, list keys in
 * (bucket, key) order without duplicates. Returns the new count. O(n log n)
 * over n <= DB_SEARCH_SCOPES_MAX scopes.
 */
size_t db__scopes_normalize(struct db_object_scope *s, size_t n);

/*
 * The embedded migration of one version for one backend: the file under dir
 * (e.g. "src/db/migrations/sqlite/") whose name starts with the version as
 * four digits and '_' ("0003_upload_sessions.sql"), or NULL when there is
 * none (every migration up to the previous version is applied). Each backend
 * has its own folder, so the versions of two backends advance together but
 * their SQL differs. *ret_name (optional) points at the file name in dir.
 */
const struct embedded_file *db__migration_find(const char *dir, int64_t version,
                                               const char **ret_name);

/*
 * The highest version embedded in dir (0: none). Versions may have gaps
 * where a numbered migration belongs to a change not in this build; the
 * migrators skip a missing version and apply the ones after it.
 */
int64_t db__migration_last(const char *dir);

#endif
