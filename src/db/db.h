/*
 * The store: one interface over SQLite (sqlite.c) and, later, PostgreSQL.
 *
 * The interface speaks in domain operations, not SQL, so each backend keeps
 * its dialect to itself (STYLE.md rule 4). Callers use the db_* functions
 * below and never learn which backend is active.
 *
 * Every operation that changes state takes an optional audit entry and
 * appends it in the same transaction as the change: either both are stored
 * or neither is, so a crash can never lose the record of a change that
 * happened. The entry is sealed into the hash chain by the seal function
 * given at open time (audit/audit.c), under the store's write lock, so
 * concurrent writers (threads or replicas) cannot fork the chain.
 *
 * All functions return 0 or a negative SEAU_E_* code: SEAU_E_NOT_FOUND for
 * a missing row, SEAU_E_CONFLICT for a uniqueness or invariant violation,
 * SEAU_E_DB when the database fails or is busy beyond its timeout.
 */
#ifndef SEAU_DB_DB_H
#define SEAU_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_EMAIL_MAX 254
#define DB_NAME_MAX 200
#define DB_ROLE_MAX 15
#define DB_HASH_MAX 127    /* an argon2id hash string */
#define DB_BUCKET_MAX 63   /* S3 bucket names are 3..63 bytes */
#define DB_PREFIX_MAX 1024 /* S3 keys are at most 1024 bytes */
#define DB_TOKEN_HASH_LEN 32

struct db_user {
    int64_t id;
    char email[DB_EMAIL_MAX + 1];
    char name[DB_NAME_MAX + 1];
    char role[DB_ROLE_MAX + 1]; /* "admin", "manager" or "user" */
    char password_hash[DB_HASH_MAX + 1];
    bool disabled;
    int64_t created_at;    /* ms since the epoch */
    int64_t last_login_at; /* 0 when never */
};

struct db_session {
    unsigned char token_hash[DB_TOKEN_HASH_LEN]; /* SHA-256 of the token; the token is never stored */
    int64_t user_id;
    int64_t created_at;
    int64_t last_seen_at;
    int64_t expires_at; /* absolute expiry */
};

struct db_grant {
    char bucket[DB_BUCKET_MAX + 1];
    char prefix[DB_PREFIX_MAX + 1]; /* "" grants the whole bucket */
};

/*
 * One audit log entry. Strings are borrowed when the entry is an input and
 * owned by the result array when it comes from db_audit_list() (free the
 * array with db_audit_entries_free()).
 */
struct db_audit_entry {
    int64_t id;      /* assigned by the store: previous id + 1 */
    int64_t time;    /* ms since the epoch, set by the caller */
    int64_t user_id; /* 0 when there is no known actor */
    char *user_email;
    char *action; /* "auth.login", "user.update", ... */
    char *bucket;
    char *key;
    char *ip;
    char *user_agent;
    char *status;  /* "success" or "failure" */
    char *details; /* a JSON object as text */
    char prev_hash[65];
    char hash[65];
};

/*
 * Computes e->hash from prev_hash (the previous entry's hash, or 64 zeros
 * for the first) and the fields of e, and copies prev_hash into
 * e->prev_hash. Must be a pure function of its inputs.
 */
typedef void (*db_audit_seal_fn)(const char *prev_hash, struct db_audit_entry *e);

struct db_audit_filter {
    int64_t before_id; /* 0: from the newest */
    int64_t user_id;   /* 0: any */
    const char *user_email;
    const char *action;
    const char *bucket;
    int64_t since; /* ms; 0: no bound */
    int64_t until; /* ms; 0: no bound */
    size_t limit;
};

/* What happens to a user's sessions when the user is updated. */
enum db_revoke {
    DB_REVOKE_NONE,   /* keep every session */
    DB_REVOKE_ALL,    /* end every session (disabled, password reset by an admin) */
    DB_REVOKE_OTHERS, /* end all but the caller's own (own password change) */
};

/* Login failure counter for a key ("acct:..." or "ip:...") in a fixed window. */
struct db_throttle {
    int64_t failures;
    int64_t window_start;
};


/* ------------------------------------------------------------ object index */

#define DB_KEY_MAX 1024         /* S3 keys are at most 1024 bytes */
#define DB_ETAG_MAX 127         /* with its quotes; multipart ETags are ~40 bytes */
#define DB_CONTENT_TYPE_MAX 255
#define DB_KIND_MAX 15

/* One row of the object index: what Seau knows of an object in S3. */
struct db_object {
    char bucket[DB_BUCKET_MAX + 1];
    char key[DB_KEY_MAX + 1];
    int64_t size;
    char etag[DB_ETAG_MAX + 1];                 /* "" when unknown */
    int64_t last_modified;                      /* ms */
    char content_type[DB_CONTENT_TYPE_MAX + 1]; /* "" when unknown */
    char kind[DB_KIND_MAX + 1];                 /* "image", "pdf", ... "" counts as "other" */
    int64_t uploaded_by;                        /* user id; 0 when unknown */
    int64_t indexed_at;                         /* ms; when the row last changed */
};

/* What one sync page did to the index (added to by each call). */
struct db_sync_counts {
    int64_t added;
    int64_t changed;
    int64_t unchanged;
};

/*
 * A part of the object space a search may look in: one bucket, and within
 * it the keys that start with prefix ("" for the whole bucket). The caller
 * (files/index.c) computes these from the configured buckets, the caller's
 * grants and the request's own bucket and prefix; the store ORs them and
 * never returns or counts a row outside them.
 */
struct db_object_scope {
    const char *bucket;
    const char *prefix;
};

#define DB_SEARCH_SCOPES_MAX 1024 /* grants of one user that one search may OR */

struct db_object_query {
    const struct db_object_scope *scopes; /* none: nothing matches */
    size_t nscopes;                       /* at most DB_SEARCH_SCOPES_MAX */
    const char *q;                        /* NULL, or a substring of >= 2 characters */
    const char *kind;                     /* NULL: any */
    int64_t min_size, max_size;           /* -1: no bound; both inclusive */
    int64_t modified_after;               /* ms, exclusive; 0: no bound */
    int64_t modified_before;              /* ms, exclusive; 0: no bound */
    const char *after_bucket;             /* cursor: rows after (after_bucket, after_key) */
    const char *after_key;                /* in (bucket, key) order; NULL: from the start */
    size_t limit;                         /* rows wanted, 1 to 1001 */
    int64_t count_cap;                    /* 0: do not count; else count up to cap + 1 */
};

struct db;

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

    /*
     * The object index. Contracts:
     * object_upsert: inserts or replaces one row (Seau wrote the object);
     *   the row counts as seen at o->indexed_at.
     * object_get: SEAU_E_NOT_FOUND when the index has no such row.
     * object_delete: 0 whether or not the row existed (the index is a cache).
     * object_delete_prefix: every row of bucket whose key starts with prefix;
     *   *ret_n (optional) is how many went.
     * object_sync_page: one listing page in one transaction: each object is
     *   marked seen at seen_at; a new key is added, a changed one (size, ETag
     *   or time differ) replaced with content type and uploader cleared (S3
     *   does not list them), an unchanged one only marked. Counts are added
     *   to *counts.
     * object_sync_sweep: deletes the bucket's rows not seen since
     *   walk_started (neither listed by the walk nor written by Seau since it
     *   began). Call only after a complete walk.
     * object_search: rows of q in (bucket, key) order, at most q->limit, in
     *   a new array (free()); *ret_total is the number of all matches
     *   (ignoring the cursor) up to q->count_cap + 1, or -1 when not counted.
     *   Costs: q of >= 3 characters uses the trigram index; 2 characters scan
     *   the scopes' key ranges; the count stops at count_cap + 1 rows.
     */
    int (*object_upsert)(struct db *db, const struct db_object *o);
    int (*object_get)(struct db *db, const char *bucket, const char *key, struct db_object *ret);
    int (*object_delete)(struct db *db, const char *bucket, const char *key);
    int (*object_delete_prefix)(struct db *db, const char *bucket, const char *prefix,
                                int64_t *ret_n);
    int (*object_sync_page)(struct db *db, const struct db_object *objs, size_t n,
                            int64_t seen_at, struct db_sync_counts *counts);
    int (*object_sync_sweep)(struct db *db, const char *bucket, int64_t walk_started,
                             int64_t *ret_n);
    int (*object_search)(struct db *db, const struct db_object_query *q, struct db_object **ret,
                         size_t *ret_n, int64_t *ret_total);
};

struct db {
    const struct db_ops *ops;
    db_audit_seal_fn seal;
    void *impl;
};

/*
 * Opens the store named by url ("sqlite:PATH") with a pool of `conns`
 * connections. Does not migrate. Returns 0 and a new handle, or an error.
 */
int db_open(const char *url, int conns, db_audit_seal_fn seal, struct db **ret);
void db_close(struct db *db);

/* Backend constructors; only db.c calls them. */
int db__sqlite_open(const char *path, int conns, struct db **ret);

/* Thin dispatchers: see struct db_ops for each contract. */
int db_migrate(struct db *db, int *ret_applied);
int db_ping(struct db *db);
int db_user_count(struct db *db, int64_t *ret);
int db_user_insert(struct db *db, struct db_user *u, struct db_audit_entry *audit);
int db_user_get(struct db *db, int64_t id, struct db_user *ret);
int db_user_get_by_email(struct db *db, const char *email, struct db_user *ret);
int db_user_list(struct db *db, struct db_user **ret, size_t *ret_n);
int db_user_update(struct db *db, const struct db_user *u, enum db_revoke revoke,
                   const unsigned char *keep_token_hash, struct db_audit_entry *audit);
int db_user_delete(struct db *db, int64_t id, struct db_audit_entry *audit);
int db_session_create(struct db *db, const struct db_session *s, struct db_audit_entry *audit);
int db_session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                   struct db_user *ret_u);
int db_session_touch(struct db *db, const unsigned char *token_hash, int64_t now);
int db_session_delete(struct db *db, const unsigned char *token_hash,
                      struct db_audit_entry *audit);
int db_session_purge(struct db *db, int64_t idle_before, int64_t now);
int db_grants_get(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n);
int db_grants_set(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                  struct db_audit_entry *audit);
int db_audit_append(struct db *db, struct db_audit_entry *audit);
int db_audit_list(struct db *db, const struct db_audit_filter *f, struct db_audit_entry **ret,
                  size_t *ret_n);
int db_audit_walk(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e), void *ctx);
void db_audit_entries_free(struct db_audit_entry *entries, size_t n);
int db_throttle_get(struct db *db, const char *key, struct db_throttle *ret);
int db_throttle_fail(struct db *db, const char *key, int64_t now, int64_t window_ms,
                     struct db_throttle *ret);
int db_throttle_clear(struct db *db, const char *key);
int db_object_upsert(struct db *db, const struct db_object *o);
int db_object_get(struct db *db, const char *bucket, const char *key, struct db_object *ret);
int db_object_delete(struct db *db, const char *bucket, const char *key);
int db_object_delete_prefix(struct db *db, const char *bucket, const char *prefix, int64_t *ret_n);
int db_object_sync_page(struct db *db, const struct db_object *objs, size_t n, int64_t seen_at,
                        struct db_sync_counts *counts);
int db_object_sync_sweep(struct db *db, const char *bucket, int64_t walk_started, int64_t *ret_n);
int db_object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                     size_t *ret_n, int64_t *ret_total);

#endif
