/*
 * The store: one interface over SQLite (src/db/sqlite/) and PostgreSQL
 * (src/db/postgres/, with the same files, domain by domain).
 *
 * The interface speaks in domain operations, not SQL, so each backend keeps
 * its dialect to itself (STYLE.md rule 4). db_open chooses the backend once,
 * from the URL's scheme; callers use the db_* functions below on an opaque
 * handle and never learn which backend is active (db.c dispatches through
 * the backend's table of operations, db/backend.h).
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

#define DB_EMAIL_MAX      254
#define DB_NAME_MAX       200
#define DB_ROLE_MAX       15
#define DB_HASH_MAX       127  /* an argon2id hash string */
#define DB_BUCKET_MAX     63   /* S3 bucket names are 3..63 bytes */
#define DB_PREFIX_MAX     1024 /* S3 keys are at most 1024 bytes */
#define DB_TOKEN_HASH_LEN 32
#define DB_PROVIDER_MAX   32 /* an identity provider's id (SEAU_OIDC_<ID>_*) */
#define DB_SESSION_ID_MAX 32  /* hex of 16 random bytes */
#define DB_IP_MAX         63
#define DB_USER_AGENT_MAX 511

struct db_user {
    int64_t id;
    char email[DB_EMAIL_MAX + 1];
    char name[DB_NAME_MAX + 1];
    char role[DB_ROLE_MAX + 1]; /* "admin", "manager" or "user" */
    char password_hash[DB_HASH_MAX + 1];
    bool disabled;
    int64_t created_at;    /* ms since the epoch */
    int64_t last_login_at; /* 0 when never */
    /* The identity provider the account signs in with; "" for a password account. */
    char provider[DB_PROVIDER_MAX + 1];
    bool mfa; /* a confirmed second factor (TOTP) is on; read-only here */
    /* An admin chose the password: the person must choose their own (migration 0014). */
    bool must_change_password;
};

struct db_session {
    unsigned char
        token_hash[DB_TOKEN_HASH_LEN]; /* SHA-256 of the token; the token is never stored */
    int64_t user_id;
    int64_t created_at;
    int64_t last_seen_at;
    int64_t expires_at; /* absolute expiry */
    char id[DB_SESSION_ID_MAX + 1];       /* public, not secret: names it in the API */
    char ip[DB_IP_MAX + 1];               /* where it was created; "" when unknown */
    char user_agent[DB_USER_AGENT_MAX + 1];
};

/* What a grant allows (auth/policy.h): "read", "upload" or "full" ("" reads as "full"). */
#define DB_GRANT_LEVEL_MAX 6

struct db_grant {
    char bucket[DB_BUCKET_MAX + 1];
    char prefix[DB_PREFIX_MAX + 1]; /* "" grants the whole bucket */
    char level[DB_GRANT_LEVEL_MAX + 1];
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

#define DB_KEY_MAX          1024 /* S3 keys are at most 1024 bytes */
#define DB_ETAG_MAX         127  /* with its quotes; multipart ETags are ~40 bytes */
#define DB_CONTENT_TYPE_MAX 255
#define DB_KIND_MAX         15

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
    int64_t uploaded_by;                  /* rows this account uploaded; 0: anyone's */
    const char *tag_name;                 /* rows carrying this tag (object_tags); NULL: any */
    const char *tag_value;                /* with tag_name: its value */
};

/* ------------------------------------------------------------ upload sessions */

#define DB_UPLOAD_ID_MAX    64   /* the opaque token given to the client */
#define DB_S3_UPLOAD_ID_MAX 1024 /* S3's UploadId; AWS's are ~150 characters */

/* One direct upload session (POST /api/uploads): an S3 multipart upload. */
struct db_upload {
    char id[DB_UPLOAD_ID_MAX + 1];
    int64_t user_id; /* who started it */
    char bucket[DB_BUCKET_MAX + 1];
    char key[DB_KEY_MAX + 1];
    char s3_upload_id[DB_S3_UPLOAD_ID_MAX + 1];
    bool single;  /* one PUT of the whole file (a one-part multipart upload) */
    int64_t size; /* declared by the client */
    char content_type[DB_CONTENT_TYPE_MAX + 1]; /* declared by the client */
    int64_t part_size;                          /* single: the size */
    int64_t created_at;
    int64_t busy_until; /* ms; an operation holds the session until then; 0: free */
};

/* ------------------------------------------------------------ object views */
/* What GET /api/stats and the size/date sorts of GET /api/list read from the
 * object index (files/stats.c, files/browse.c). */

#define DB_TOTALS_KINDS_MAX 16 /* kinds one totals answer holds; more fold into "other" */
#define DB_TOTALS_DAYS_MAX  62 /* days one totals answer may span */

struct db_kind_total {
    char kind[DB_KIND_MAX + 1];
    int64_t objects;
    int64_t bytes;
};

struct db_day_total {
    int64_t day; /* days since 1970-01-01, UTC */
    int64_t count;
    int64_t bytes;
};

struct db_object_totals {
    struct db_kind_total kinds[DB_TOTALS_KINDS_MAX]; /* kinds with objects, by name */
    size_t nkinds;
    struct db_day_total days[DB_TOTALS_DAYS_MAX]; /* days with objects, ascending */
    size_t ndays;
};

enum db_level_order {
    DB_LEVEL_BY_SIZE,
    DB_LEVEL_BY_MODIFIED,
};

/*
 * One folder level of a bucket ('/' is the delimiter): the rows whose key
 * starts with prefix and holds no '/' after it, except the level's own
 * folder marker (the key equal to the prefix up to its last '/'), ordered
 * by size or last_modified, ties
 * broken by a row id, ascending or descending. A keyset cursor continues
 * strictly after (after_value, after_id) in that order.
 */
struct db_level_query {
    const char *bucket;
    const char *prefix; /* "" for the root */
    enum db_level_order order;
    bool desc;
    bool after; /* false: from the start */
    int64_t after_value;
    int64_t after_id;
    size_t limit; /* 1 to 1001 */
};

struct db_level_row {
    struct db_object o;
    int64_t id; /* for the cursor; stable while the row lives */
};

/* ------------------------------------------------------------ share links */

#define DB_SHARE_ID_MAX 32

/*
 * One managed share link (files/shares.c). The link's token is never
 * stored, only its SHA-256 (token_hash); id is the public, non-secret name
 * the API uses.
 */
struct db_share {
    int64_t seq; /* set by the store; newer shares have larger values */
    char id[DB_SHARE_ID_MAX + 1];
    unsigned char token_hash[DB_TOKEN_HASH_LEN];
    char bucket[DB_BUCKET_MAX + 1];
    char key[DB_KEY_MAX + 1]; /* an object key, or a folder's prefix ending with '/' */
    int64_t created_by;
    char created_by_email[DB_EMAIL_MAX + 1]; /* filled by reads */
    int64_t created_at;
    int64_t expires_at;                  /* 0: never */
    char password_hash[DB_HASH_MAX + 1]; /* "": no password */
    int64_t max_downloads;               /* 0: no limit */
    int64_t downloads;
    int64_t revoked_at; /* 0: live */
};

struct db_share_filter {
    int64_t before_seq; /* 0: from the newest */
    int64_t created_by; /* 0: anyone's */
    const char *bucket; /* NULL: any */
    size_t limit;       /* rows wanted, 1 to 1001 */
};

/* ------------------------------------------------------------ upload links */

#define DB_UPLOAD_LINK_MESSAGE_MAX 2000 /* bytes of the creator's message */

/*
 * One upload link ("file request", files/upload_links.c): anyone holding
 * its token may upload files under bucket/prefix, within its limits. As
 * for shares, only the token's SHA-256 is stored; id names it in the API.
 */
struct db_upload_link {
    int64_t seq; /* set by the store; newer links have larger values */
    char id[DB_SHARE_ID_MAX + 1];
    unsigned char token_hash[DB_TOKEN_HASH_LEN];
    char bucket[DB_BUCKET_MAX + 1];
    char prefix[DB_PREFIX_MAX + 1]; /* "" or a folder ending with '/' */
    int64_t created_by;
    char created_by_email[DB_EMAIL_MAX + 1]; /* filled by reads */
    int64_t created_at;
    int64_t expires_at;                  /* 0: never */
    char password_hash[DB_HASH_MAX + 1]; /* "": no password */
    int64_t max_files;                   /* 0: no limit */
    int64_t max_bytes;                   /* 0: no limit */
    char message[DB_UPLOAD_LINK_MESSAGE_MAX + 1];
    int64_t files; /* files counted (taken) so far */
    int64_t bytes; /* bytes counted so far */
    int64_t revoked_at; /* 0: live */
};

struct db_upload_link_filter {
    int64_t before_seq; /* 0: from the newest */
    int64_t created_by; /* 0: anyone's */
    size_t limit;       /* rows wanted, 1 to 1001 */
};

/* ------------------------------------------------------------ notifications */

/*
 * One notification (events/, API.md "Notifications and activity"). Strings
 * are borrowed when it is an input, and owned by the result array when it
 * comes from notification_list (free with db_notifications_free()).
 * size and the ids are -1 / 0 when unknown.
 */
struct db_notification {
    int64_t id;   /* assigned by the store */
    int64_t time; /* ms: when the change happened */
    char *type;   /* "upload", "delete", "copy", "rename", "share", "user", "error" */
    char *source; /* "seau", "s3", "system" */
    char *bucket; /* NULL: not about a bucket */
    char *key;
    char *from_key; /* rename and move: the key before */
    int64_t size;   /* -1: unknown */
    char *etag;     /* without quotes; NULL: unknown */
    char *actor;
    int64_t actor_id;
    int64_t target_user_id;
    char *message;
};

/*
 * Which notifications a history read returns: newest first, at most limit,
 * only those inside the scopes (the caller's visible buckets and prefixes,
 * OR'ed; a scope's prefix matches the key's start) and, with unscoped,
 * those about no bucket at all.
 */
struct db_notification_query {
    int64_t before_id; /* cursor: ids below it; 0: from the newest */
    int64_t after_id;  /* ids above it (since=<id>); 0: no bound */
    int64_t upto_id;   /* ids up to it; 0: no bound */
    int64_t since;     /* ms: time at or after it; 0: no bound */
    const char *type;  /* NULL: any */
    const struct db_object_scope *scopes;
    size_t nscopes; /* at most DB_SEARCH_SCOPES_MAX */
    bool unscoped;
    size_t limit; /* 1 to 1001 */
};

/* One S3 event notification as the store matches it against what it holds. */
enum db_s3_change {
    DB_S3_CREATED, /* ObjectCreated:* */
    DB_S3_REMOVED, /* ObjectRemoved:*, lifecycle expiration */
};
struct db_s3_event {
    const char *bucket;
    const char *key;
    const char *dedupe;    /* identity of the event: the sequencer, else time, name, ETag */
    const char *sequencer; /* 32 hex digits (padded), or NULL */
    enum db_s3_change change;
    const char *etag;    /* without quotes; NULL: unknown */
    int64_t merge_since; /* a Seau notification at or after this time may absorb it */
    int64_t now;
};

/* What the store knows of an S3 event before it is handled. */
struct db_s3_check {
    bool seen;        /* handled before: a duplicate */
    bool stale;       /* an event with a later sequencer on this key was handled */
    int64_t merge_id; /* the Seau notification it would merge into; 0: none */
};

enum db_s3_outcome {
    DB_S3_INSERTED,  /* stored as a new notification (*n has its id) */
    DB_S3_MERGED,    /* absorbed by Seau's own notification (n->id is that one's) */
    DB_S3_DUPLICATE, /* handled before; nothing changed */
};

/* ------------------------------------------------------------ second factors, tokens */

#define DB_MFA_SECRET_MAX 64 /* bytes of a TOTP secret */
#define DB_PAT_ID_MAX     32

/* One account's TOTP enrolment (auth/mfa.c). The secret is a secret: wipe it after use. */
struct db_mfa {
    int64_t user_id;
    unsigned char secret[DB_MFA_SECRET_MAX];
    size_t secret_len;
    bool enabled;      /* false: set up, not confirmed yet */
    int64_t last_step; /* the last TOTP time step accepted; 0: none */
    int64_t created_at;
};

/* A personal access token (auth/tokens.c); only its SHA-256 is stored. */
struct db_pat {
    char id[DB_PAT_ID_MAX + 1];
    int64_t user_id;
    char name[DB_NAME_MAX + 1];
    unsigned char token_hash[DB_TOKEN_HASH_LEN];
    int64_t created_at;
    int64_t expires_at;   /* 0: never */
    int64_t last_used_at; /* 0: never */
};

struct db; /* opaque: a backend behind a table of operations (db/backend.h) */

/*
 * Opens the store named by url with a pool of `conns` connections:
 * "sqlite:PATH" (or "sqlite:///abs/path"), or "postgres://..." /
 * "postgresql://..." (libpq's URL, its query parameters such as sslmode,
 * and the PG* variables for what it leaves out). A URL of another scheme is
 * refused with SEAU_E_VALIDATION (cfg_validate names the reason first); a
 * server that cannot be reached gives SEAU_E_DB. Does not migrate. Returns
 * 0 and a new handle, or an error.
 */
int db_open(const char *url, int conns, db_audit_seal_fn seal, struct db **ret);

/*
 * Why the store named by url cannot be opened, in one sentence for a person
 * (the server's own words: "password authentication failed for user …",
 * "Connection refused", "database … does not exist"; never the password).
 * Connects once with a short timeout and closes again. Returns 0 when it
 * opens (why is then ""), else an error with why filled.
 */
int db_probe(const char *url, char *why, size_t n);
void db_close(struct db *db);

/*
 * Applies the backend's embedded migrations that are not applied yet;
 * *ret_applied counts them. SEAU_E_SCHEMA_NEWER (PostgreSQL) when the
 * database holds a version this binary does not know: it was migrated by a
 * newer Seau, and is left untouched.
 */
int db_migrate(struct db *db, int *ret_applied);
int db_ping(struct db *db);

/*
 * Keeps db_session_get's answers for ttl_ms (0: off, the default), so that
 * requests in a row with one token read the store once (SEAU_SESSION_CACHE).
 * Writes of sessions and users through this handle are seen at once; those
 * made elsewhere (another replica, another process) within ttl_ms.
 */
int db_session_cache_enable(struct db *db, int64_t ttl_ms);

/* Accounts: users, sessions, grants, and the login throttle. */
int db_user_count(struct db *db, int64_t *ret);
int db_user_insert(struct db *db, struct db_user *u, struct db_audit_entry *audit);
int db_user_get(struct db *db, int64_t id, struct db_user *ret);
int db_user_get_by_email(struct db *db, const char *email, struct db_user *ret);
int db_user_list(struct db *db, struct db_user **ret, size_t *ret_n);
int db_user_update(struct db *db, const struct db_user *u, enum db_revoke revoke,
                   const unsigned char *keep_token_hash, struct db_audit_entry *audit);
int db_user_delete(struct db *db, int64_t id, struct db_audit_entry *audit);
int db_session_create(struct db *db, const struct db_session *s, struct db_audit_entry *audit);
/*
 * The session and its user (without the password hash, which nothing that
 * authenticates by session needs). With the session cache on, a lookup of
 * the same token within its time to live, with no write of a session or a
 * user through this handle since, is answered from memory.
 */
int db_session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                   struct db_user *ret_u);
int db_session_touch(struct db *db, const unsigned char *token_hash, int64_t now);
int db_session_delete(struct db *db, const unsigned char *token_hash, struct db_audit_entry *audit);
int db_session_purge(struct db *db, int64_t idle_before, int64_t now);
int db_grants_get(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n);
int db_grants_set(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                  struct db_audit_entry *audit);
/* The audit log (db_audit_entry; free lists with db_audit_entries_free). */
int db_audit_append(struct db *db, struct db_audit_entry *audit);
int db_audit_list(struct db *db, const struct db_audit_filter *f, struct db_audit_entry **ret,
                  size_t *ret_n);
int db_audit_walk(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e), void *ctx);
void db_audit_entries_free(struct db_audit_entry *entries, size_t n);

/* Login throttle: failures per key in a fixed window of window_ms. */
int db_throttle_get(struct db *db, const char *key, struct db_throttle *ret);
int db_throttle_fail(struct db *db, const char *key, int64_t now, int64_t window_ms,
                     struct db_throttle *ret);
int db_throttle_clear(struct db *db, const char *key);

/*
 * Sessions, second factors and personal access tokens (auth/session.c,
 * auth/mfa.c, auth/tokens.c; migration 0008). Contracts:
 * session_list: the user's sessions seen at or after idle_before and not
 *   expired at now, newest first, in a new array (free()).
 * session_delete_id: ends the user's session of that public id with its
 *   audit entry; SEAU_E_NOT_FOUND when the user has none such (no entry).
 * session_delete_others: ends all the user's sessions but keep's, with
 *   one audit entry; *ret_n (optional) counts them.
 * mfa_get: the enrolment, confirmed or not; SEAU_E_NOT_FOUND when none.
 * mfa_setup: stores a new unconfirmed secret, replacing an unconfirmed
 *   one; SEAU_E_CONFLICT when a confirmed one exists (nothing changes).
 * mfa_enable: confirms the enrolment with the step of the code that
 *   proved it, and replaces the recovery codes by the n hashes given, in
 *   one transaction with its audit entry; SEAU_E_CONFLICT when it is
 *   confirmed already or step is not above last_step, SEAU_E_NOT_FOUND
 *   when there is no enrolment.
 * mfa_use_step: accepts a code's time step only when it is above the last
 *   one accepted (one atomic UPDATE: two replicas never accept the same
 *   code); SEAU_E_CONFLICT otherwise (a replay).
 * mfa_use_recovery: marks one unused recovery code used at now;
 *   SEAU_E_NOT_FOUND when the user has no such unused code.
 * mfa_recovery_left: how many unused recovery codes the user has.
 * mfa_delete: removes the enrolment and the recovery codes with its audit
 *   entry; SEAU_E_NOT_FOUND when there was none (no entry then).
 * mfa_challenge_create: stores a pending second-factor sign-in (and drops
 *   expired ones). mfa_challenge_get: its user while it lives at now,
 *   else SEAU_E_NOT_FOUND. mfa_challenge_delete: 0 also when absent.
 * pat_insert: stores t with its audit entry; SEAU_E_CONFLICT when the
 *   user already has max_per_user tokens (or the id or hash exists).
 * pat_list: the user's tokens, newest first, in a new array (free()).
 * pat_get_by_hash: the token of that hash and its owner; SEAU_E_NOT_FOUND.
 * pat_touch: sets last_used_at.
 * pat_delete: revokes the user's token of that id with its audit entry;
 *   SEAU_E_NOT_FOUND when the user has none such (no entry then).
 */
int db_session_list(struct db *db, int64_t user_id, int64_t idle_before, int64_t now,
                    struct db_session **ret, size_t *ret_n);
int db_session_delete_id(struct db *db, int64_t user_id, const char *id,
                         struct db_audit_entry *audit);
int db_session_delete_others(struct db *db, int64_t user_id, const unsigned char *keep,
                             struct db_audit_entry *audit, int64_t *ret_n);
int db_mfa_get(struct db *db, int64_t user_id, struct db_mfa *ret);
int db_mfa_setup(struct db *db, const struct db_mfa *m, struct db_audit_entry *audit);
int db_mfa_enable(struct db *db, int64_t user_id, int64_t step,
                  const unsigned char (*codes)[DB_TOKEN_HASH_LEN], size_t n,
                  struct db_audit_entry *audit);
int db_mfa_use_step(struct db *db, int64_t user_id, int64_t step);
int db_mfa_use_recovery(struct db *db, int64_t user_id, const unsigned char *code_hash,
                        int64_t now);
int db_mfa_recovery_left(struct db *db, int64_t user_id, int64_t *ret);
int db_mfa_delete(struct db *db, int64_t user_id, struct db_audit_entry *audit);
int db_mfa_challenge_create(struct db *db, const unsigned char *token_hash, int64_t user_id,
                            int64_t now, int64_t expires_at);
int db_mfa_challenge_get(struct db *db, const unsigned char *token_hash, int64_t now,
                         int64_t *ret_user_id);
int db_mfa_challenge_delete(struct db *db, const unsigned char *token_hash);
int db_pat_insert(struct db *db, const struct db_pat *t, size_t max_per_user,
                  struct db_audit_entry *audit);
int db_pat_list(struct db *db, int64_t user_id, struct db_pat **ret, size_t *ret_n);
int db_pat_get_by_hash(struct db *db, const unsigned char *token_hash, struct db_pat *ret_t,
                       struct db_user *ret_u);
int db_pat_touch(struct db *db, const char *id, int64_t now);
int db_pat_delete(struct db *db, int64_t user_id, const char *id, struct db_audit_entry *audit);

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
int db_object_upsert(struct db *db, const struct db_object *o);
int db_object_get(struct db *db, const char *bucket, const char *key, struct db_object *ret);
int db_object_delete(struct db *db, const char *bucket, const char *key);
int db_object_delete_prefix(struct db *db, const char *bucket, const char *prefix, int64_t *ret_n);
int db_object_sync_page(struct db *db, const struct db_object *objs, size_t n, int64_t seen_at,
                        struct db_sync_counts *counts);
int db_object_sync_sweep(struct db *db, const char *bucket, int64_t walk_started, int64_t *ret_n);
int db_object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                     size_t *ret_n, int64_t *ret_total);

/*
 * Where the walk of a bucket into the index stands (files/index.c), so that
 * a walk cut short resumes where it stopped. Contracts:
 * index_sync_get: the bucket's state, or a zeroed one (bucket set) when
 *   it was never walked.
 * index_sync_put: stores s whole (inserted or replaced).
 */
struct db_index_sync {
    char bucket[DB_BUCKET_MAX + 1];
    int64_t walk_started;            /* ms; 0: no walk under way */
    char after_key[DB_KEY_MAX + 1];  /* the walk under way resumes after it; "": from the start */
    int64_t listed;                  /* objects listed by the walk under way (or the last one) */
    int64_t completed_at;            /* ms; when a walk last went to the end; 0: never */
};
int db_index_sync_get(struct db *db, const char *bucket, struct db_index_sync *ret);
int db_index_sync_put(struct db *db, const struct db_index_sync *s);

/*
 * Direct upload sessions (files/uploads.c). Contracts:
 * upload_insert: stores u with its audit entry; SEAU_E_CONFLICT when the
 *   user already has max_per_user sessions (or the id exists).
 * upload_get: SEAU_E_NOT_FOUND when there is no such session.
 * upload_claim: takes the session's lease until `until` when it is free
 *   (busy_until <= now); SEAU_E_NOT_FOUND when absent, SEAU_E_CONFLICT
 *   when another operation holds it.
 * upload_release: gives the lease back (busy_until = 0); 0 also when the
 *   session is gone.
 * upload_delete: removes the session with its audit entry (audit may be
 *   NULL); SEAU_E_NOT_FOUND when absent (then no entry is written).
 * upload_list_stale: up to limit sessions created before created_before
 *   and free at now, oldest first, in a new array (free()).
 */
int db_upload_insert(struct db *db, const struct db_upload *u, size_t max_per_user,
                     struct db_audit_entry *audit);
int db_upload_get(struct db *db, const char *id, struct db_upload *ret);
int db_upload_claim(struct db *db, const char *id, int64_t now, int64_t until);
int db_upload_release(struct db *db, const char *id);
int db_upload_delete(struct db *db, const char *id, struct db_audit_entry *audit);
int db_upload_list_stale(struct db *db, int64_t created_before, int64_t now, size_t limit,
                         struct db_upload **ret, size_t *ret_n);

/*
 * Object views (files/stats.c, files/browse.c). Contracts:
 * object_totals: objects and bytes by kind within the scopes (OR'ed;
 *   none: all zero), and by day of last_modified for the days
 *   day_from..day_to (inclusive, at most DB_TOTALS_DAYS_MAX). Costs: a
 *   scope of a whole bucket reads the kept totals and the last days of
 *   the date index; a prefix scope aggregates its key range, O(rows).
 * object_level: up to q->limit rows of one level (db_level_query) in a
 *   new array (free()). O(limit) through the level indexes.
 * object_folders: the subfolders of the level prefix (each prefix + a
 *   name + '/', in byte order, after `after` when not NULL), at most
 *   limit, in a new array of new strings (free each and the array). One
 *   index seek per folder, whatever the number of objects below.
 * audit_active_users: the number of distinct users with an audit entry
 *   at or after since (on bucket, when not NULL).
 */
int db_object_totals(struct db *db, const struct db_object_scope *scopes, size_t nscopes,
                     int64_t day_from, int64_t day_to, struct db_object_totals *ret);
int db_object_level(struct db *db, const struct db_level_query *q, struct db_level_row **ret,
                    size_t *ret_n);
int db_object_folders(struct db *db, const char *bucket, const char *prefix, const char *after,
                      size_t limit, char ***ret, size_t *ret_n);
int db_audit_active_users(struct db *db, int64_t since, const char *bucket, int64_t *ret);

/*
 * Share links (files/shares.c). Contracts:
 * share_insert: stores s (its seq is assigned) with its audit entry;
 *   SEAU_E_CONFLICT when the id or token hash exists.
 * share_get / share_get_by_token: the share, revoked or not, with
 *   created_by_email; SEAU_E_NOT_FOUND when there is none.
 * share_list: live (not revoked) shares matching f, newest first (seq
 *   descending), in a new array (free()).
 * share_revoke: sets revoked_at = now with its audit entry;
 *   SEAU_E_NOT_FOUND when absent or already revoked (no entry then).
 * share_count_download: adds one download, with its audit entry, only
 *   while the share is live at now (not revoked, not expired, below
 *   max_downloads), checked in the same UPDATE so concurrent downloads
 *   never exceed the limit; SEAU_E_GONE when it is not (no entry then),
 *   SEAU_E_NOT_FOUND when absent.
 */
int db_share_insert(struct db *db, struct db_share *s, struct db_audit_entry *audit);
int db_share_get(struct db *db, const char *id, struct db_share *ret);
int db_share_get_by_token(struct db *db, const unsigned char *token_hash, struct db_share *ret);
int db_share_list(struct db *db, const struct db_share_filter *f, struct db_share **ret,
                  size_t *ret_n);
int db_share_revoke(struct db *db, const char *id, int64_t now, struct db_audit_entry *audit);
int db_share_count_download(struct db *db, const char *id, int64_t now,
                            struct db_audit_entry *audit);

/*
 * Upload links (files/upload_links.c). Contracts:
 * upload_link_insert: stores l (its seq is assigned) with its audit entry;
 *   SEAU_E_CONFLICT when the id or token hash exists.
 * upload_link_get / upload_link_get_by_token: the link, revoked or not,
 *   with created_by_email; SEAU_E_NOT_FOUND when there is none.
 * upload_link_list: live (not revoked) links matching f, newest first, in
 *   a new array (free()).
 * upload_link_revoke: sets revoked_at = now with its audit entry;
 *   SEAU_E_NOT_FOUND when absent or already revoked (no entry then).
 * upload_link_take: counts files and bytes more against the link in one
 *   guarded UPDATE, only while it is live at now (not revoked, not
 *   expired) and the new totals stay within max_files and max_bytes, so
 *   concurrent uploads (threads or replicas) never pass the limits;
 *   SEAU_E_GONE when the guard does not hold (nothing counted),
 *   SEAU_E_NOT_FOUND when absent.
 * upload_link_give_back: uncounts files and bytes taken for uploads that
 *   did not happen (never below zero); 0 also when the link is gone.
 */
int db_upload_link_insert(struct db *db, struct db_upload_link *l, struct db_audit_entry *audit);
int db_upload_link_get(struct db *db, const char *id, struct db_upload_link *ret);
int db_upload_link_get_by_token(struct db *db, const unsigned char *token_hash,
                                struct db_upload_link *ret);
int db_upload_link_list(struct db *db, const struct db_upload_link_filter *f,
                        struct db_upload_link **ret, size_t *ret_n);
int db_upload_link_revoke(struct db *db, const char *id, int64_t now,
                          struct db_audit_entry *audit);
int db_upload_link_take(struct db *db, const char *id, int64_t now, int64_t files, int64_t bytes);
int db_upload_link_give_back(struct db *db, const char *id, int64_t files, int64_t bytes);

/*
 * Notifications (events/). Contracts:
 * notifications_insert: stores n rows of Seau's own changes in one
 *   transaction and sets their ids, ascending in the order given. With
 *   claim_since > 0, a row about an object first claims the newest
 *   notification from S3 on the same object at or after claim_since and
 *   not merged yet (the bucket's report of this very change came
 *   first): created (upload, copy, rename: a creation of key, with the
 *   same ETag when both are known), removed (delete: a deletion of
 *   key). The claimed row becomes this one (same id; its time, type,
 *   source, actor and message are replaced) and ret_claimed[i] (when
 *   ret_claimed is not NULL) is set.
 * notification_list: rows matching q (db_notification_query), newest
 *   first, in a new array (db_notifications_free()). Costs: walks ids
 *   down from before_id until limit rows match, so a caller who sees
 *   little may read every kept row (bounded by the retention).
 * notification_last_id: the highest id ever stored (0 when none).
 * notification_s3_check: read-only; see struct db_s3_check.
 * notification_s3_ingest: in one transaction, records e as handled and
 *   either finds it handled before (DB_S3_DUPLICATE), merges it into
 *   the newest Seau notification on the same object since
 *   e->merge_since not yet merged for this kind of change (created:
 *   upload, copy or rename to e->key with the same ETag when both are
 *   known; removed: delete of e->key, or rename from e->key), or
 *   stores n (its bucket and key are e's).
 * notification_purge: deletes notifications and handled S3 events
 *   older than before; *ret_n (optional) counts the notifications.
 */
int db_notifications_insert(struct db *db, struct db_notification *n, size_t count,
                            int64_t claim_since, bool *ret_claimed);
int db_notification_list(struct db *db, const struct db_notification_query *q,
                         struct db_notification **ret, size_t *ret_n);
void db_notifications_free(struct db_notification *rows, size_t n);
int db_notification_last_id(struct db *db, int64_t *ret);
int db_notification_s3_check(struct db *db, const struct db_s3_event *e, struct db_s3_check *ret);
int db_notification_s3_ingest(struct db *db, const struct db_s3_event *e, struct db_notification *n,
                              enum db_s3_outcome *ret);
int db_notification_purge(struct db *db, int64_t before, int64_t *ret_n);

/* ------------------------------------------------------------ recycle bin, tags */

#define DB_VERSION_ID_MAX 1024
#define DB_TAG_NAME_MAX   512  /* 128 characters of UTF-8 */
#define DB_TAG_VALUE_MAX  1024 /* 256 characters of UTF-8 */
#define DB_TAGS_MAX       10

/*
 * One deletion Seau can undo (files/trash.c): a delete marker Seau made in
 * a versioned bucket (version_id set, trash_key ""), or an object Seau moved
 * under the bucket's trash prefix (trash_key set, version_id "").
 */
struct db_trash {
    int64_t id; /* assigned by the store */
    char bucket[DB_BUCKET_MAX + 1];
    char key[DB_KEY_MAX + 1]; /* the key it had */
    char trash_key[DB_KEY_MAX + 1];
    char version_id[DB_VERSION_ID_MAX + 1];
    int64_t size;
    int64_t deleted_by; /* account id; 0 when unknown */
    char deleted_by_email[DB_EMAIL_MAX + 1]; /* filled by reads; "" when unknown */
    int64_t deleted_at;
    int64_t uploaded_by; /* the object's uploader when it was deleted; 0 when unknown */
};

/* Which moved objects (trash_key set) a listing returns, by id ascending. */
struct db_trash_filter {
    const char *bucket;
    const char *prefix;  /* keys (the original ones) starting with it; NULL or "": all */
    int64_t deleted_by;  /* 0: anyone's */
    int64_t after_id;    /* cursor: ids above it */
    int64_t before_time; /* deleted_at below it; 0: no bound (the janitor's expiry) */
    size_t limit;        /* 1 to 1001 */
};

struct db_tag {
    char name[DB_TAG_NAME_MAX + 1];
    char value[DB_TAG_VALUE_MAX + 1];
};

/*
 * Contracts:
 * trash_insert: stores t (t->id set) with its audit entry.
 * trash_get: by id; SEAU_E_NOT_FOUND when absent.
 * trash_find_marker: the row of a delete marker (bucket, version_id);
 *   SEAU_E_NOT_FOUND when Seau did not make it.
 * trash_list: moved objects matching f, id ascending, in a new array (free()).
 * trash_delete: removes the row with its audit entry (audit may be NULL);
 *   SEAU_E_NOT_FOUND when absent (no entry then).
 * tags_set: replaces the tags Seau knows of bucket/key (n 0 to
 *   DB_TAGS_MAX: 0 forgets them) with its audit entry (may be NULL).
 * tags_get: the tags of bucket/key by name, in a new array (free(); NULL
 *   and 0 when none).
 */
int db_trash_insert(struct db *db, struct db_trash *t, struct db_audit_entry *audit);
int db_trash_get(struct db *db, int64_t id, struct db_trash *ret);
int db_trash_find_marker(struct db *db, const char *bucket, const char *version_id,
                         struct db_trash *ret);
int db_trash_list(struct db *db, const struct db_trash_filter *f, struct db_trash **ret,
                  size_t *ret_n);
int db_trash_delete(struct db *db, int64_t id, struct db_audit_entry *audit);
int db_tags_set(struct db *db, const char *bucket, const char *key, const struct db_tag *tags,
                size_t n, struct db_audit_entry *audit);
int db_tags_get(struct db *db, const char *bucket, const char *key, struct db_tag **ret,
                size_t *ret_n);

/* ------------------------------------------------------------ moving stores */

/*
 * Copies every row of src, a SQLite store, into dst, an empty PostgreSQL
 * store, both migrated to the same schema version (`seau migrate --to`):
 * users, sessions, grants, the audit log (same ids, same hashes: the chain
 * is copied, not sealed again), the login throttle, the object index (its
 * kept totals are rebuilt by dst), upload sessions, shares, notifications
 * and the handled S3 events. One read transaction of src, one transaction
 * of dst: all of it or nothing. dst's identities continue past the copied
 * ids. *ret_rows (optional) counts the rows copied.
 * Returns SEAU_E_VALIDATION when src is not SQLite or dst not PostgreSQL,
 * SEAU_E_SCHEMA_NEWER when their versions differ, SEAU_E_CONFLICT when dst
 * already holds a row (nothing is written), SEAU_E_DB on failure.
 */
int db_copy(struct db *src, struct db *dst, int64_t *ret_rows);

/* ------------------------------------------------------------ replicas */

/*
 * What several replicas of Seau sharing one store need beyond its tables:
 * a wake-up when another replica stored notifications, and one leader for
 * the singletons (upload janitor, index reconciliation, retention).
 *
 * db_is_shared: whether other processes may write this store at once (the
 *   PostgreSQL store). Read once at start-up to choose the event fan-out.
 *
 * db_notifications_since: the notifications with an id above after_id,
 *   oldest first, at most limit (1 to 1000), whatever their scope (the
 *   hub filters per client), in a new array (db_notifications_free()).
 *   With the store's ordering rule (PostgreSQL: every insert of a
 *   notification holds one transaction-level advisory lock, so ids
 *   become visible in commit order), a reader that saw id k never later
 *   finds a new id below k: reading above the last id delivered misses
 *   nothing.
 *
 * The listener (PostgreSQL: a dedicated connection that LISTENs; not the
 * pool's). A batch of new notifications, once committed, announces its
 * highest id (DB_NOTICE_NEW); a notification of Seau's own change that took
 * over the bucket's report of it announces that row's id again, completed
 * (DB_NOTICE_AGAIN).
 * db_listen_open: connects and listens. Returns 0, SEAU_E_DB (the server is
 *   unreachable: retry later), SEAU_E_UNAVAILABLE (the store is not shared)
 *   or SEAU_E_NOMEM.
 * db_listen_wait: waits until a notice arrives, wake_fd (optional, -1) is
 *   readable, or timeout_ms passed; fills up to max notices (*ret_n may be
 *   0). Returns 0, or SEAU_E_DB when the connection is lost (close it and
 *   open another; notices sent meanwhile are lost, the ids are not).
 * db_listen_close: accepts NULL.
 *
 * The leader lock (PostgreSQL: pg_try_advisory_lock on a dedicated
 * connection, released by the server when that connection dies; the
 * connection has keepalives so a vanished peer is noticed within a minute).
 * db_leader_new: a handle, not connected yet. Returns 0 or SEAU_E_NOMEM.
 * db_leader_try: *ret_leader tells whether this handle holds the lock now:
 *   a holder checks its connection is alive (false when it died: the
 *   server released the lock); the others connect when needed and try to
 *   take it. Cheap enough to call every few seconds. On a store that is not
 *   shared, always true. Returns 0 (with *ret_leader set; an unreachable
 *   server is "not the leader", not an error) or SEAU_E_NOMEM.
 * db_leader_free: releases the lock (closes the connection); accepts NULL.
 */
bool db_is_shared(struct db *db);
int db_notifications_since(struct db *db, int64_t after_id, size_t limit,
                           struct db_notification **ret, size_t *ret_n);

enum db_notice_kind { DB_NOTICE_NEW, DB_NOTICE_AGAIN };
struct db_notice {
    enum db_notice_kind kind;
    int64_t id;
};
struct db_listener;
int db_listen_open(struct db *db, struct db_listener **ret);
int db_listen_wait(struct db_listener *l, int wake_fd, int timeout_ms, struct db_notice *ret,
                   size_t max, size_t *ret_n);
void db_listen_close(struct db_listener *l);

#define DB_LEADER_SINGLETONS 0x5365617510LL /* the key of the singletons' leader lock */
struct db_leader;
int db_leader_new(struct db *db, int64_t key, struct db_leader **ret);
int db_leader_try(struct db_leader *l, bool *ret_leader);
void db_leader_free(struct db_leader *l);

/* ------------------------------------------------------------ single sign-on (OIDC) */

#define DB_SUBJECT_MAX     255  /* the ID token's sub (OpenID Connect: at most 255 ASCII) */
#define DB_OIDC_SECRET_MAX 63   /* state, nonce, PKCE verifier: base64url of 32 bytes */
#define DB_RETURN_TO_MAX   2048 /* the same-origin path a sign-in returns to */

/* A sign-in under way, between /api/auth/oidc/{provider}/start and its callback. */
struct db_oidc_login {
    unsigned char key_hash[DB_TOKEN_HASH_LEN]; /* SHA-256 of the pre-login cookie */
    char provider[DB_PROVIDER_MAX + 1];
    char state[DB_OIDC_SECRET_MAX + 1];
    char nonce[DB_OIDC_SECRET_MAX + 1];
    char verifier[DB_OIDC_SECRET_MAX + 1]; /* secret: wipe after use */
    char return_to[DB_RETURN_TO_MAX + 1];
    int64_t created_at;
    int64_t expires_at;
};

/* Who an ID token says signed in, and what the claim mappings give them. */
struct db_oidc_identity {
    const char *provider;
    const char *subject;
    const char *email; /* normalized (lower-case) */
    const char *name;
    /* "admin", "manager", "user"; NULL: keep an account's role ("user" when new). */
    const char *role;
    bool set_grants; /* replace the account's grants with grants[0..ngrants) */
    const struct db_grant *grants;
    size_t ngrants;
};

/*
 * db_oidc_login_put: stores a pending sign-in (and purges the expired ones).
 * db_oidc_login_take: removes the pending sign-in of key_hash and returns
 *   it; SEAU_E_NOT_FOUND when there is none or it expired at now. At most
 *   one caller ever gets a given row, on any replica.
 * db_oidc_sign_in: in one transaction, finds the account of (provider,
 *   subject) or creates it (password "!" that no password verifies),
 *   brings its e-mail, name, role and (with set_grants) grants up to date,
 *   records the sign-in time, stores session s (its user_id is set here)
 *   and appends audit, whose user_id and user_email are set to the
 *   account's. Returns 0 with the account, SEAU_E_FORBIDDEN for a disabled
 *   account, SEAU_E_CONFLICT when the e-mail belongs to another account or
 *   the change would leave no enabled admin (nothing is written then).
 */
int db_oidc_login_put(struct db *db, const struct db_oidc_login *l, int64_t now);
int db_oidc_login_take(struct db *db, const unsigned char *key_hash, int64_t now,
                       struct db_oidc_login *ret);
int db_oidc_sign_in(struct db *db, const struct db_oidc_identity *id, struct db_session *s,
                    struct db_audit_entry *audit, struct db_user *ret);


/* ------------------------------------------------------------ invitations */

/*
 * A one-time link with which an invited person sets their own password
 * (auth/invitations.c, migration 0014). Only the token's SHA-256 is stored.
 */
struct db_invitation {
    unsigned char token_hash[DB_TOKEN_HASH_LEN];
    int64_t user_id;
    int64_t created_by; /* the admin's account id; 0 when unknown */
    int64_t created_at;
    int64_t expires_at;
    int64_t used_at; /* 0: not used */
};

/*
 * Invitations. Contracts:
 * invitation_put: stores inv and deletes every other invitation of the
 *   same account (a new link invalidates the old ones), with its audit
 *   entry, in one transaction; SEAU_E_NOT_FOUND when the account is gone.
 * invitation_get: the invitation of that hash and its account while it is
 *   unused and unexpired at now; SEAU_E_NOT_FOUND otherwise (unknown, used
 *   and expired look alike).
 * invitation_accept: in one transaction, marks the invitation used at now
 *   (one conditional UPDATE: only while unused and unexpired, so two
 *   replicas cannot both take it), sets the account's password hash and
 *   clears must_change_password, and appends audit. Returns the account as
 *   it now is; SEAU_E_NOT_FOUND when the invitation is unknown,
 *   used or expired, or the account is disabled (nothing changes then).
 */
int db_invitation_put(struct db *db, const struct db_invitation *inv,
                      struct db_audit_entry *audit);
int db_invitation_get(struct db *db, const unsigned char *token_hash, int64_t now,
                      struct db_invitation *ret_inv, struct db_user *ret_u);
int db_invitation_accept(struct db *db, const unsigned char *token_hash, int64_t now,
                         const char *password_hash, struct db_audit_entry *audit,
                         struct db_user *ret_u);

#endif
