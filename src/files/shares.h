/*
 * Managed share links (API.md POST/GET /api/shares, DELETE /api/shares/{id},
 * GET /s/{token}): a link on Seau's own address that opens one object or
 * one folder (a "prefix/") to anyone holding it, for a while, optionally
 * behind a password and a download limit. Unlike a presigned URL it is not
 * bound by S3's 7-day limit and can be revoked.
 *
 * Secrets. The token (256 random bits, base64url) is returned once by
 * files_share_create and stored only as its SHA-256, like a session token;
 * so the link cannot be shown again later (listings carry no URL). The
 * password is stored as an argon2id hash. Neither ever reaches an audit
 * entry or the log.
 *
 * Authority. A link acts with its creator's rights, checked again on every
 * access: when the creator is deleted or disabled, or no longer may share
 * that bucket and key (role or grants changed), or the bucket is no longer
 * configured, the link is gone (FILES_SHARE_WITHDRAWN).
 *
 * Who sees which shares: a `user` only its own (it cannot create any under
 * API.md's role table, so none); a `manager` its own and those whose
 * bucket/key its grants cover; an admin all. A share outside that is
 * SEAU_E_NOT_FOUND, as for objects.
 *
 * Every function returns 0 or a negative SEAU_E_* code and writes its
 * outputs only on success. Nothing here speaks HTTP or logs.
 */
#ifndef SEAU_FILES_SHARES_H
#define SEAU_FILES_SHARES_H

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/session.h"
#include "files/browse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3_error;

/* Limits (STYLE.md rule 15). */
#define FILES_SHARE_PASSWORD_MIN       8                 /* bytes of a link's password */
#define FILES_SHARE_PASSWORD_MAX       AUTH_PASSWORD_MAX /* hashing cost grows with length */
#define FILES_SHARE_EXPIRES_IN_MAX     3153600000LL      /* seconds (100 years) a client may ask */
#define FILES_SHARE_MAX_DOWNLOADS_MAX  1000000000LL
#define FILES_SHARE_LIST_SCAN_MAX      10000 /* rows one filtered listing page may read */
#define FILES_SHARE_PRESIGN_MAX_S      300   /* lifetime of the S3 URL a link redirects to */
#define FILES_SHARE_FOLDER_PAGE        100   /* files of a folder share per page */
#define FILES_SHARE_PASSWORD_FAILURES  10    /* wrong passwords per share and address per window */
#define FILES_SHARE_UNLOCK_MAX_AGE_MS  (3600LL * 1000) /* how long a correct password is remembered */
#define FILES_SHARE_UNLOCK_LEN         64    /* hex characters of an unlock proof */
#define FILES_SHARE_ID_LEN             22    /* base64url of 16 random bytes */

/* ===================================== pure rules ===================================== */

/*
 * When a new link expires. given false: after default_ms (0: never).
 * Otherwise after expires_in_s seconds, where 0 asks for "never", which
 * only an unlimited maximum allows. max_ms 0 means no maximum. Returns 0
 * and *ret_expires_at (0: never), or SEAU_E_RANGE when expires_in_s is
 * negative, over FILES_SHARE_EXPIRES_IN_MAX, or beyond max_ms.
 */
int files_share_expiry(int64_t now, bool given, int64_t expires_in_s, int64_t default_ms,
                       int64_t max_ms, int64_t *ret_expires_at);

/* A share of a folder names a prefix: its key ends with '/'. */
bool files_share_is_folder(const struct db_share *s);

/* Whether a link may still be used at time now, as far as its own row says. */
enum files_share_state {
    FILES_SHARE_LIVE = 0,
    FILES_SHARE_REVOKED,
    FILES_SHARE_EXPIRED,
    FILES_SHARE_EXHAUSTED, /* max_downloads reached */
    FILES_SHARE_WITHDRAWN, /* the creator may no longer share it (see Authority above) */
};
enum files_share_state files_share_state(const struct db_share *s, int64_t now);
/* "live", "revoked", "expired", "exhausted", "withdrawn". */
const char *files_share_state_name(enum files_share_state st);

/*
 * The object a request through a share names: the shared key itself for a
 * file share (rel ignored); for a folder share, the folder's prefix followed
 * by rel, a key relative to it, which must pass the key rules on its own
 * (so neither "../x" nor "/x" can leave the folder) and together with the
 * prefix. Returns 0 and the key in out, or SEAU_E_VALIDATION with a reason
 * in *ret_why (static) when rel is missing or refused.
 */
int files_share_member_key(const struct db_share *s, const char *rel, char out[DB_KEY_MAX + 1],
                           const char **ret_why);

/*
 * The proof a browser keeps (a cookie) after giving the right password, so
 * the links of the page work without repeating it: HMAC-SHA-256 keyed by the
 * share's password hash over the token, in hex. Only the server, which
 * holds the hash, can make one; it dies with the link. files_share_unlocked
 * compares in constant time; false for a share without a password.
 */
void files_share_unlock_proof(const struct db_share *s, const char *token,
                              char out[FILES_SHARE_UNLOCK_LEN + 1]);
bool files_share_unlocked(const struct db_share *s, const char *token, const char *proof);

/* ===================================== management ===================================== */

/* A new link as validated by the API layer. */
struct files_share_new {
    const char *bucket;    /* a configured bucket */
    const char *key;       /* passes the key rules; "prefix/" for a folder */
    int64_t expires_at;    /* from files_share_expiry; 0: never */
    const char *password;  /* NULL: none; else FILES_SHARE_PASSWORD_MIN..MAX bytes */
    int64_t max_downloads; /* 0: no limit */
};

/*
 * Creates a link: the policy (AUTH_SHARE_CREATE: SEAU_E_NOT_FOUND outside
 * the caller's grants, SEAU_E_FORBIDDEN for a `user`), then S3 (HeadObject
 * for a key; a one-key listing for a folder: SEAU_E_NOT_FOUND when nothing
 * is there), then the store with a `share.create` audit entry. A refusal is
 * audited too (status failure). A new link is published on the bus
 * (EVENTS_SHARE, naming the item, never the link). Returns 0, the stored share in *ret and the
 * token, which exists nowhere else, in ret_token; or the failure, with S3's
 * in *ret_err. Cost: one S3 request and one argon2id hash with a password.
 */
int files_share_create(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const struct files_share_new *n,
                       int64_t now, struct db_share *ret, char ret_token[AUTH_TOKEN_LEN + 1],
                       struct s3_error *ret_err);

struct files_share_query {
    const char *bucket; /* NULL: every bucket */
    int64_t before_seq; /* from the cursor; 0: the newest first */
    size_t limit;       /* 1 to 1000 */
};

struct files_share_page {
    struct db_share *rows; /* newest first; free() */
    size_t n;
    int64_t next_before; /* the cursor of the next page; 0 on the last one */
};

/*
 * The live shares the caller may see (see above), newest first. A manager's
 * page is filtered by its grants while read: it stops after reading
 * FILES_SHARE_LIST_SCAN_MAX rows, so a page may hold fewer than limit
 * shares and still have a next one. Returns 0 or SEAU_E_DB / SEAU_E_NOMEM.
 */
int files_share_list(const struct files_env *env, const struct files_who *who,
                     const struct files_share_query *q, struct files_share_page *ret);

/*
 * Revokes the share with this id when the caller may see it (its own, an
 * admin's any, a manager's within its grants), with a `share.revoke` audit
 * entry: from then on its link answers 410. SEAU_E_NOT_FOUND for an unknown,
 * foreign or already revoked share.
 */
int files_share_revoke(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const char *id, int64_t now);

/* ===================================== the public link ================================ */

/* What a presented token opens. */
struct files_share_access {
    struct db_share share;
    enum files_share_state state;
};

/*
 * Looks up the link of a token and judges it at now, the creator's rights
 * included. Returns 0 (whatever the state), SEAU_E_NOT_FOUND for a token
 * that is malformed or unknown, or a store failure.
 */
int files_share_resolve(const struct files_env *env, const char *token, int64_t now,
                        struct files_share_access *ret);

/*
 * Checks a presented password against a share's, throttled per share and
 * client address: after FILES_SHARE_PASSWORD_FAILURES wrong ones within
 * window_ms, SEAU_E_RATE_LIMITED (with the seconds to wait in *ret_retry_s)
 * without even checking. Returns 0, SEAU_E_UNAUTHORIZED for a missing or
 * wrong password (counted when wrong), or SEAU_E_DB.
 */
int files_share_password(struct db *db, const struct db_share *s, const char *ip,
                         const char *password, int64_t now, int64_t window_ms,
                         int64_t *ret_retry_s);

/* One file of a share: its key relative to the share (a folder's) or its name. */
struct files_share_file {
    char *rel; /* owned */
    int64_t size;
    int64_t last_modified_ms;
};

/* The file behind key (HeadObject). SEAU_E_NOT_FOUND when S3 has none. */
int files_share_stat(const struct files_env *env, const struct db_share *s, const char *key,
                     struct files_share_file *ret, struct s3_error *ret_err);
void files_share_file_done(struct files_share_file *f);

struct files_share_listing {
    struct files_share_file *files; /* key order */
    size_t n;
    char *next_after; /* the rel to continue after; NULL on the last page */
};
void files_share_listing_done(struct files_share_listing *l);

/*
 * One page (at most limit, <= 1000) of the files under a folder share, all
 * depths, after the relative key `after` (NULL: from the start). Keys Seau's
 * rules refuse and the folder's own marker are left out.
 */
int files_share_list_folder(const struct files_env *env, const struct db_share *s,
                            const char *after, size_t limit, struct files_share_listing *ret,
                            struct s3_error *ret_err);

/*
 * Counts one download of key through s, with its `share.access` audit entry
 * in the same transaction, only while the share is live: SEAU_E_GONE when
 * it was revoked, expired or used up meanwhile (nothing is written then).
 */
int files_share_count_download(const struct files_env *env, const struct db_share *s,
                               const struct audit_actor *actor, const char *key, int64_t now);

/*
 * Records any other access (a page view, a refused or throttled password, a
 * gone link) as a `share.access` entry: status "success" or "failure",
 * details {"share", "event", "http", "reason"?}. Best effort: an audit
 * failure does not change the answer.
 */
void files_share_audit_access(const struct files_env *env, const struct db_share *s,
                              const struct audit_actor *actor, const char *key,
                              const char *event, int http_status, const char *reason,
                              int64_t now);

#endif
