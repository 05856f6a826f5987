/*
 * Copy, move, rename and folder creation (API.md POST /api/copy,
 * POST /api/rename, POST /api/folders), server-side in S3: the bytes never
 * pass through Seau.
 *
 * Rights, asked of the policy for every object (auth_can): read on the
 * source, upload (AUTH_OBJECT_WRITE) on the destination, and for a move or a
 * rename also delete on the source, which a `user` holds only on objects it
 * uploaded itself (the uploader comes from the object index, as for delete:
 * files/delete.h). Outside the grants is not_found, never forbidden.
 * Creating a folder is AUTH_FOLDER_CREATE: managers and admins (API.md's
 * roles table; a `user` makes folders by uploading into them).
 *
 * Copies. An object of at most multipart_threshold bytes is copied with one
 * CopyObject; a larger one part by part (s3_copy_multipart, parts of the
 * threshold clamped to 5 MiB .. 512 MiB), as S3 requires above 5 GiB. A copy
 * keeps the source's content type and metadata. An existing destination
 * object is handled as the request's conflict mode says (enum
 * files_conflict); a `user` never replaces another's object.
 *
 * Moves. Each source is deleted only after its copy succeeded, in batches
 * (DeleteObjects); a source S3 refuses to delete stays, its copy too, and
 * the pair is reported among the errors, not as moved.
 *
 * The index. Every new object is recorded (files_index_record) with what
 * S3 answered (ETag and LastModified as a listing shows them, so the next
 * sync sees it unchanged): the uploader is the actor for a copy, and the
 * source's uploader, when the index knows it, for a move or rename (a
 * renamed file stays its owner's). Moved sources are forgotten.
 *
 * Audit and events. The handlers call the *_audited functions at the end
 * of this header: each runs its operation, then writes one audit entry per
 * request (refusals included, except a request refused as malformed) and
 * publishes the event of each object changed on the bus in env->events.
 * files_copy, files_rename and files_folder_create are the operations
 * themselves, without either.
 */
#ifndef SEAU_FILES_CHANGE_H
#define SEAU_FILES_CHANGE_H

#include "audit/audit.h"
#include "files/browse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonx_check;
struct s3_error;

/* Limits of one request (STYLE.md rule 15). */
#define FILES_COPY_SOURCES_MAX 1000  /* entries of "sources" */
#define FILES_COPY_OBJECTS_MAX 10000 /* objects one copy, move or folder rename may touch */
#define FILES_COPY_PART_MAX    (512ull * 1024 * 1024)

/* One source and where it went. */
struct files_copy_pair {
    char *from, *to;
};

/* One key (or folder) that was not copied: code is an API.md error code (static). */
struct files_change_failure {
    char *key;
    const char *code;
    int err; /* the SEAU_E_* code behind it */
    char *message;
};

struct files_copy_outcome {
    struct files_copy_pair *copied; /* in the order done */
    size_t ncopied, copied_cap;
    char **skipped; /* sources not copied because their destination exists (FILES_CONFLICT_SKIP) */
    size_t nskipped, skipped_cap;
    struct files_change_failure *errors;
    size_t nerrors, errors_cap;
    int64_t bytes; /* of the objects copied */
};
void files_copy_outcome_done(struct files_copy_outcome *o);

/*
 * What to do when a destination key is already taken (API.md's "conflict"
 * of POST /api/copy and POST /api/rename). The zero value is the services'
 * historical behaviour; the API's default is FILES_CONFLICT_FAIL. With every
 * mode a `user` never replaces someone else's object (files/owner.h):
 * SEAU_E_FORBIDDEN for that object.
 */
enum files_conflict {
    FILES_CONFLICT_REPLACE = 0, /* the copy replaces it (a versioned bucket keeps the old one) */
    FILES_CONFLICT_FAIL,        /* the object is refused with SEAU_E_CONFLICT */
    FILES_CONFLICT_KEEP_BOTH,   /* the copy takes a numbered name: "report (1).pdf" */
    FILES_CONFLICT_SKIP,        /* the object is left out (outcome's skipped) */
};

/* "fail", "replace", "keepBoth", "skip" → 0 and *ret; SEAU_E_VALIDATION otherwise. Pure. */
int files_conflict_parse(const char *s, enum files_conflict *ret);

struct files_copy_request {
    const char *bucket;         /* of the sources: configured */
    const char *const *sources; /* keys, and folders ending with '/'; each valid by the key rules */
    size_t nsources;            /* 1 to FILES_COPY_SOURCES_MAX */
    const char *dst_bucket;     /* configured */
    const char *dst_prefix;     /* "" or a prefix ending with '/', valid by the key rules */
    bool move;
    int64_t actor;                /* the account acting: the uploader of copies */
    uint64_t multipart_threshold; /* larger objects are copied part by part */
    enum files_conflict conflict; /* an existing destination object (one HeadObject each) */
};

/*
 * Copies (or moves) each source to dst_prefix + its name: a key "a/b.txt"
 * to dst_prefix + "b.txt", a folder "a/b/" with everything under it
 * (ListObjectsV2) to dst_prefix + "b/" + the rest of each key.
 *
 * First the whole request is planned: the folders are listed and the
 * destinations named. Refused at once, with nothing done (SEAU_E_VALIDATION,
 * the reason recorded in check): a source that would land on itself or a
 * folder copied into itself in the same bucket ("a/" to "a/sub/"), and more
 * than FILES_COPY_OBJECTS_MAX objects in all.
 *
 * Then each object: refusals (not_found outside the grants, forbidden, a
 * listed key or a destination key the key rules refuse: validation_failed,
 * a key source that does not exist: not_found, conflict for an object whose
 * new key another object of the request also takes, or reads as its source)
 * go into ret->errors and the others proceed. When S3 fails as a whole (outage, refusal of Seau's
 * credentials), nothing more is sent: every object not done is reported
 * with that failure, so each planned object ends up in copied or errors.
 *
 * Returns 0 with *ret filled (release with files_copy_outcome_done, also on
 * failure), SEAU_E_NOT_FOUND when the caller holds no grant on either bucket
 * (the whole request: such a bucket does not exist for it), SEAU_E_VALIDATION,
 * SEAU_E_UNAVAILABLE without S3, SEAU_E_NOMEM.
 * Cost: one copy request per object (plus a HeadObject for a key source),
 * one listing request per 1000 objects of a folder, one DeleteObjects per
 * 1000 moved objects, one index read and write per object.
 */
int files_copy(const struct files_env *env, const struct files_who *who,
               const struct files_copy_request *req, struct jsonx_check *check,
               struct files_copy_outcome *ret);

/* What a rename produced. */
struct files_renamed {
    bool folder;
    bool skipped; /* FILES_CONFLICT_SKIP met a taken name: nothing changed, object is the source */
    struct db_object object;         /* a file: the new object as S3 and the index know it */
    struct files_copy_outcome moved; /* a folder: each object moved, and each failure */
};
void files_renamed_done(struct files_renamed *r);

/*
 * Renames key to new_key in bucket (both valid by the key rules, checked by
 * the caller). A key ending with '/' is a folder: new_key must end with '/'
 * too, and every object under it moves (at most FILES_COPY_OBJECTS_MAX).
 *
 * new_key equal to key changes nothing and answers the object as it is. An
 * existing new_key (HeadObject), or for a folder anything under new_key, is
 * SEAU_E_CONFLICT. A folder into itself, one of more than
 * FILES_COPY_OBJECTS_MAX objects, or one whose objects' new keys would break
 * the key rules is SEAU_E_VALIDATION (the reason recorded in check under
 * "newKey" or "key"); an empty or missing source SEAU_E_NOT_FOUND. A folder of which the caller may
 * not move every object is SEAU_E_FORBIDDEN with nothing done.
 *
 * A file is copied, then its source deleted; when the delete fails, the
 * copy is deleted again so the rename either happens or does not. A folder
 * moves object by object (files_copy with move): when some fail, the
 * return is the first failure's code and ret->moved says which moved.
 *
 * Returns 0 with *ret filled, or an error (after a folder move that went
 * part way, ret->moved says what moved and what failed). Release *ret with
 * files_renamed_done in every case. S3 failures are described in *ret_err
 * when it is not NULL.
 */
int files_rename(const struct files_env *env, const struct files_who *who, const char *bucket,
                 const char *key, const char *new_key, int64_t actor, uint64_t multipart_threshold,
                 struct jsonx_check *check, struct files_renamed *ret, struct s3_error *ret_err);

/*
 * files_rename with a conflict mode for a taken new_key (a file: HeadObject;
 * a folder: anything under it): FILES_CONFLICT_FAIL is files_rename's
 * SEAU_E_CONFLICT; KEEP_BOTH takes the first free numbered name
 * (ret->object.key says which); SKIP changes nothing (ret->skipped);
 * REPLACE replaces a file (a `user`: only its own, else SEAU_E_FORBIDDEN)
 * and is SEAU_E_VALIDATION for a folder ("newKey": folders are not merged).
 */
int files_rename_with(const struct files_env *env, const struct files_who *who,
                      const char *bucket, const char *key, const char *new_key,
                      enum files_conflict conflict, int64_t actor, uint64_t multipart_threshold,
                      struct jsonx_check *check, struct files_renamed *ret,
                      struct s3_error *ret_err);

/*
 * Creates the folder prefix (ending with '/', valid by the key rules) in
 * bucket: an empty object named prefix, the marker S3 consoles use, recorded
 * in the index with actor as its uploader. SEAU_E_CONFLICT when a folder
 * (a marker, or any object under prefix) or an object named like it without
 * the '/' already exists; SEAU_E_NOT_FOUND outside the grants;
 * SEAU_E_FORBIDDEN for a `user`. S3 failures in *ret_err.
 */
int files_folder_create(const struct files_env *env, const struct files_who *who,
                        const char *bucket, const char *prefix, int64_t actor,
                        struct s3_error *ret_err);

/* ================================ audited (the handlers') ============================ */

/* Pairs and keys named in one audit entry; its counts have them all. */
#define FILES_CHANGE_AUDIT_KEYS 100

/*
 * files_copy, then, when it returned 0, one audit entry ("object.move" or
 * "object.copy"; bucket and the first source; "success" when no object
 * failed; details {count, errors, bytes, sources and copied: up to
 * FILES_CHANGE_AUDIT_KEYS of each, destinationBucket, destinationPrefix})
 * and one event (EVENTS_RENAME for a move, EVENTS_COPY) per object copied.
 * A refused request (non-zero return) writes nothing. actor is borrowed.
 */
int files_copy_audited(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const struct files_copy_request *req,
                       struct jsonx_check *check, struct files_copy_outcome *ret);

/*
 * files_rename with actor->user_id as the acting account, then one audit
 * entry "object.rename" (bucket and key; details {newKey, count, errors,
 * error: the API.md code of a failure}) unless the request was malformed
 * (SEAU_E_VALIDATION with the reason in check); on success one
 * EVENTS_RENAME (size: the object's, or the bytes a folder moved).
 */
int files_rename_audited(const struct files_env *env, const struct files_who *who,
                         const struct audit_actor *actor, const char *bucket, const char *key,
                         const char *new_key, uint64_t multipart_threshold,
                         struct jsonx_check *check, struct files_renamed *ret,
                         struct s3_error *ret_err);

/* files_rename_audited with a conflict mode (files_rename_with). */
int files_rename_with_audited(const struct files_env *env, const struct files_who *who,
                              const struct audit_actor *actor, const char *bucket,
                              const char *key, const char *new_key, enum files_conflict conflict,
                              uint64_t multipart_threshold, struct jsonx_check *check,
                              struct files_renamed *ret, struct s3_error *ret_err);

/*
 * files_folder_create with actor->user_id as the uploader, then one audit
 * entry "folder.create" (bucket and prefix; details {error} on failure)
 * whatever the outcome. No event: a marker is not a file.
 */
int files_folder_create_audited(const struct files_env *env, const struct files_who *who,
                                const struct audit_actor *actor, const char *bucket,
                                const char *prefix, struct s3_error *ret_err);

#endif
