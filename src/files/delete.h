/*
 * The delete service of API.md (DELETE /api/delete/{key}, POST /api/delete):
 * single keys, lists of keys and whole folders (prefixes), with the policy
 * asked for every object (auth_can, AUTH_OBJECT_DELETE) and the object index
 * kept in step (files_index_forget for every key S3 reports deleted).
 *
 * Who uploaded an object comes from the object index (uploaded_by); a key
 * the index does not know, or knows without an uploader, has owner 0, so a
 * `user` may not delete it (forbidden). Managers and admins may delete
 * anything their grants cover. Anything outside the grants is not_found.
 *
 * Deleting a key that does not exist succeeds, as in S3 (DeleteObject is
 * idempotent); Seau does not HEAD every key first.
 *
 * Audit and events. The handlers call the *_audited functions at the end
 * of this header: each deletes, then writes one audit entry per request and
 * publishes an EVENTS_DELETE per key deleted on the bus in env->events.
 * files_delete_one and files_delete_many are the deletes themselves.
 */
#ifndef SEAU_FILES_DELETE_H
#define SEAU_FILES_DELETE_H

#include "audit/audit.h"
#include "files/browse.h"

#include <stddef.h>

struct s3_error;

/* Limits of one POST /api/delete (STYLE.md rule 15). */
#define FILES_DELETE_KEYS_MAX     1000
#define FILES_DELETE_PREFIXES_MAX 100

/*
 * Deletes one object (DeleteObject). Returns 0, SEAU_E_NOT_FOUND (outside
 * the grants), SEAU_E_FORBIDDEN (a user's, not its upload), SEAU_E_DB, or
 * S3's failure (described in *ret_err). The key is validated by the caller.
 */
int files_delete_one(const struct files_env *env, const struct files_who *who,
                     const char *bucket, const char *key, struct s3_error *ret_err);

/* One key that was not deleted: code is an API.md error code (static). */
struct files_delete_failure {
    char *key;
    const char *code;
    char *message;
};

struct files_delete_outcome {
    char **deleted; /* every key S3 reported deleted, in order */
    size_t ndeleted, deleted_cap;
    struct files_delete_failure *errors;
    size_t nerrors, errors_cap;
};
void files_delete_outcome_done(struct files_delete_outcome *o);

/*
 * Deletes keys and everything under prefixes (each non-empty and ending with
 * '/'; validated by the caller), in batches of at most S3_MAX_DELETE_BATCH
 * (DeleteObjects); a prefix is expanded by a ListObjectsV2 walk, 1000 keys a
 * page, each page deleted before the next is read. Per-key refusals
 * (not_found outside the grants, forbidden for a user's object it did not
 * upload, validation_failed for a listed key Seau's key rules refuse, S3's
 * per-key errors) go into ret->errors.
 *
 * When an S3 call fails as a whole (outage, refusal), nothing more is sent
 * to S3: that batch's keys and every key or prefix not yet attempted are
 * reported in ret->errors with the failure's code, so each requested key or
 * prefix ends up in deleted or errors (a prefix as itself when its walk
 * failed or never started).
 *
 * Returns 0 with *ret filled (release with files_delete_outcome_done, also
 * on failure), SEAU_E_UNAVAILABLE without S3, SEAU_E_NOMEM.
 * Cost: one DeleteObjects per 1000 keys, one ListObjectsV2 per 1000 keys
 * under a prefix, one index lookup per key for `user` callers.
 */
int files_delete_many(const struct files_env *env, const struct files_who *who,
                      const char *bucket, const char *const *keys, size_t nkeys,
                      const char *const *prefixes, size_t nprefixes,
                      struct files_delete_outcome *ret);

/* ================================ audited (the handlers') ============================ */

/* Keys named in an object.delete audit entry; details.count has them all. */
#define FILES_DELETE_AUDIT_KEYS 100

/*
 * files_delete_one, then one audit entry "object.delete" (bucket and key;
 * details {"count": 1, "keys": [key]}, or on failure {"count": 0, "keys":
 * [], "error": its API.md code}) whatever the outcome, and on success one
 * EVENTS_DELETE. actor is borrowed.
 */
int files_delete_one_audited(const struct files_env *env, const struct files_who *who,
                             const struct audit_actor *actor, const char *bucket, const char *key,
                             struct s3_error *ret_err);

/*
 * files_delete_many, then, when it returned 0, one audit entry
 * "object.delete" (bucket and the first key, else the first prefix;
 * "success" when no key failed; details {count, keys: up to
 * FILES_DELETE_AUDIT_KEYS deleted, errors, prefixes}) and one
 * EVENTS_DELETE per key deleted. A request refused as a whole writes
 * nothing.
 */
int files_delete_many_audited(const struct files_env *env, const struct files_who *who,
                              const struct audit_actor *actor, const char *bucket,
                              const char *const *keys, size_t nkeys, const char *const *prefixes,
                              size_t nprefixes, struct files_delete_outcome *ret);

#endif
