/*
 * Upload links ("file requests", API.md "Upload links"): a manager or an
 * admin opens a folder to anyone holding a link, for uploads only: the
 * visitor sees a page with the creator's message and a drop zone, never
 * the folder's contents.
 *
 * Secrets. As for shares (files/shares.h): the token (256 random bits) is
 * returned once and stored as its SHA-256; the optional password as an
 * argon2id hash (auth/password.h); neither reaches the audit log.
 *
 * Authority. A link acts with its creator's rights, asked again at every
 * upload: when the creator is deleted, disabled, no longer a manager or an
 * admin, or no longer granted the folder, the link is gone
 * (FILES_UPLOAD_LINK_WITHDRAWN).
 *
 * Limits. maxFiles and maxBytes are counted in the store with guarded
 * UPDATEs (db_upload_link_take), so concurrent uploads, on any replica,
 * never pass them: a request reserves the bytes its body may hold before
 * any byte is stored, and a file slot as each file begins; what was not
 * stored is given back when the request ends.
 *
 * Files land under the link's prefix and never replace an object: a taken
 * name gets a number ("report (1).pdf", files/owner.h), with the size, type
 * and malware rules of proxied uploads (files/upload_proxied.h).
 */
#ifndef SEAU_FILES_UPLOAD_LINKS_H
#define SEAU_FILES_UPLOAD_LINKS_H

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/session.h"
#include "files/env.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILES_UPLOAD_LINK_PASSWORD_MIN 8
#define FILES_UPLOAD_LINK_PASSWORD_MAX AUTH_PASSWORD_MAX
#define FILES_UPLOAD_LINK_EXPIRES_MAX  (366LL * 24 * 3600) /* seconds a link may live */
#define FILES_UPLOAD_LINK_EXPIRES_DEF  (7LL * 24 * 3600)   /* when none is asked */
#define FILES_UPLOAD_LINK_FILES_MAX    100000
#define FILES_UPLOAD_LINK_LIST_MAX     1000
#define FILES_UPLOAD_LINK_PASSWORD_FAILURES 10 /* per link and address per window */

enum files_upload_link_state {
    FILES_UPLOAD_LINK_LIVE = 0,
    FILES_UPLOAD_LINK_REVOKED,
    FILES_UPLOAD_LINK_EXPIRED,
    FILES_UPLOAD_LINK_FULL,      /* maxFiles reached, or maxBytes */
    FILES_UPLOAD_LINK_WITHDRAWN, /* the creator may no longer upload there (Authority) */
};

/* The state as the link's own row says at now (never WITHDRAWN). Pure. */
enum files_upload_link_state files_upload_link_state(const struct db_upload_link *l, int64_t now);
/* "live", "revoked", "expired", "full", "withdrawn". */
const char *files_upload_link_state_name(enum files_upload_link_state st);

/*
 * The bytes a request of content_length may still bring: the room left
 * under max_bytes (content_length when there is no limit). Pure.
 */
int64_t files_upload_link_room(const struct db_upload_link *l, int64_t content_length);

/* A new link as validated by the API layer. */
struct files_upload_link_new {
    const char *bucket;   /* configured */
    const char *prefix;   /* "" or a folder ending with '/', valid by the key rules */
    int64_t expires_in_s; /* 1 to FILES_UPLOAD_LINK_EXPIRES_MAX; 0: the default */
    const char *password; /* NULL: none */
    int64_t max_files;    /* 0: no limit */
    int64_t max_bytes;    /* 0: no limit */
    const char *message;  /* NULL or at most DB_UPLOAD_LINK_MESSAGE_MAX bytes of UTF-8 */
};

/*
 * Creates a link: the policy (AUTH_SHARE_CREATE on bucket/prefix:
 * SEAU_E_NOT_FOUND outside the grants, SEAU_E_FORBIDDEN for a `user`), then
 * the store with an `uploadlink.create` audit entry (a refusal is audited
 * too). Returns 0 with the row in *ret and the token, which exists nowhere
 * else, in ret_token.
 */
int files_upload_link_create(const struct files_env *env, const struct files_who *who,
                             const struct audit_actor *actor,
                             const struct files_upload_link_new *n, int64_t now,
                             struct db_upload_link *ret, char ret_token[AUTH_TOKEN_LEN + 1]);

/*
 * The live links the caller may see, newest first, at most limit: an
 * admin's all, a manager's its own. *ret is a new array (free()).
 */
int files_upload_link_list(const struct files_env *env, const struct files_who *who,
                           int64_t before_seq, size_t limit, struct db_upload_link **ret,
                           size_t *ret_n);

/*
 * Revokes a link the caller may see (its own; an admin's any), with an
 * `uploadlink.revoke` audit entry. SEAU_E_NOT_FOUND otherwise.
 */
int files_upload_link_revoke(const struct files_env *env, const struct files_who *who,
                             const struct audit_actor *actor, const char *id, int64_t now);

/*
 * The link of a token, judged at now with its creator's rights: 0 and
 * *ret, *ret_state (whatever the state); SEAU_E_NOT_FOUND for a malformed
 * or unknown token.
 */
int files_upload_link_resolve(const struct files_env *env, const char *token, int64_t now,
                              struct db_upload_link *ret, enum files_upload_link_state *ret_state);

/*
 * Checks a presented password, throttled per link and address as share
 * passwords are. 0 (also for a link without one), SEAU_E_UNAUTHORIZED,
 * SEAU_E_RATE_LIMITED with *ret_retry_s.
 */
int files_upload_link_password(struct db *db, const struct db_upload_link *l, const char *ip,
                               const char *password, int64_t now, int64_t window_ms,
                               int64_t *ret_retry_s);

/*
 * The creator as the upload's subject: its account and grants, for the
 * proxied-upload service (release with files_who_done). SEAU_E_GONE when
 * the account is gone or disabled.
 */
int files_upload_link_subject(const struct files_env *env, const struct db_upload_link *l,
                              struct files_who *ret, struct db_user *ret_user);

/* The actor audit entries name for a visitor: no account, "upload-link:<id>". */
void files_upload_link_actor(const struct db_upload_link *l, const char *ip,
                             const char *user_agent, char label[DB_SHARE_ID_MAX + 16],
                             struct audit_actor *ret);

/*
 * Records an access that stored nothing (a page view, a refused password, a
 * gone or full link) as `uploadlink.access`: best effort.
 */
void files_upload_link_audit(const struct files_env *env, const struct db_upload_link *l,
                             const struct audit_actor *actor, const char *event, int http_status,
                             const char *reason, int64_t now);

/*
 * The sentence of the notification each file stored through l sends to
 * everyone who sees the folder, the creator included ("A file arrived
 * through the upload link to finance/in/"), into out (n bytes): the
 * upload's own event per file, so one file is one notification.
 */
void files_upload_link_event_message(const struct db_upload_link *l, char *out, size_t n);

#endif
