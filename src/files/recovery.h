/*
 * Nothing lost, everything visible (API.md "Versions, recycle bin, tags and
 * metadata"): part of the object service, in three files.
 *
 *   versions.c  a key's versions (ListObjectVersions), restoring one (a
 *               server-side copy onto the key: the replaced version stays),
 *               deleting one (admins), and turning versioning on with a
 *               lifecycle rule for noncurrent versions;
 *   trash.c     the recycle bin: delete markers in versioned buckets, and in
 *               buckets named by SEAU_TRASH objects moved under a trash
 *               prefix (hidden from listings, search and stats, purged by a
 *               janitor thread after the retention);
 *   details.c   an object's system and user metadata, its tags (S3 tagging,
 *               kept in the store's tag index for search), and metadata
 *               edits (a copy onto itself with replaced metadata).
 *
 * Every function returns 0 or a negative SEAU_E_* code and writes its
 * results only on success. The *_audited functions (every change) write
 * their audit entry in the store (in the same transaction as the store's
 * own change where there is one) and publish their event on env->events.
 * Rights: reading needs AUTH_OBJECT_READ; restoring, re-tagging and
 * editing metadata need the rights of an overwrite, so a `user` acts only on
 * objects it uploaded (the index's uploader); deleting a version and
 * changing versioning are for admins (the route table), purging for managers
 * and admins. Outside the caller's grants everything is SEAU_E_NOT_FOUND.
 */
#ifndef SEAU_FILES_RECOVERY_H
#define SEAU_FILES_RECOVERY_H

#include "audit/audit.h"
#include "core/cfg.h"
#include "files/env.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3_error;

#define FILES_VERSIONS_PAGE_MAX 1000
#define FILES_TRASH_PAGE_MAX    1000
#define FILES_TRASH_ITEMS_MAX   1000 /* items of one restore or purge request */
#define FILES_LIFECYCLE_RULE_ID "seau-noncurrent-versions"
#define FILES_NONCURRENT_DAYS   30 /* the recommended rule, shown before it is applied */

/* ================================= trash prefixes ================================= */

/*
 * The buckets with a trash prefix (SEAU_TRASH), set once at start-up before
 * any thread reads them (serve, the CLI); t is borrowed for the process's
 * life. Read by the index (keys under a trash prefix are never indexed, so
 * search and stats do not see them), listings, deletes and the recycle bin.
 */
void files_trash_configure(const struct cfg_trash *t, size_t n);
/* The bucket's trash configuration; NULL when it has none. */
const struct cfg_trash *files_trash_of(const char *bucket);
/* True when key lies under bucket's trash prefix (or is the prefix's folder). */
bool files_trash_hides(const char *bucket, const char *key);
/*
 * Whether subject may write key (upload, copy or move to, rename to, a new
 * folder): auth_can's answer, and SEAU_E_FORBIDDEN for a key in the
 * bucket's trash folder whatever the role. Only Seau moves objects there,
 * and purges them at the retention: a file put there by hand would be lost.
 */
int files_may_write(const struct auth_subject *subject, enum auth_action action,
                    const char *bucket, const char *key);

/* What GET /api/buckets reports: "trash", "versions" or NULL (deletes are final). */
const char *files_recoverable(const char *bucket, const char *versioning);

/* ==================================== versions ==================================== */

struct files_version_entry {
    char *version_id;
    bool is_latest, is_delete_marker;
    int64_t size, last_modified_ms;
    char *etag;
    int64_t uploaded_by; /* 0: unknown (not uploaded through Seau, or not found) */
};

struct files_version_page {
    struct files_version_entry *entries;
    size_t n;
    char *next_cursor; /* NULL: the last page */
};
void files_version_page_done(struct files_version_page *p);

/*
 * One page (limit 1 to 1000) of the versions of exactly key, newest first,
 * from cursor (NULL: the start; else one this function gave out). Who
 * uploaded a version: the object index for the current one (same ETag),
 * else the audit log's upload or restore of that key right after the
 * version's time. SEAU_E_VALIDATION for a bad cursor.
 */
int files_versions_list(const struct files_env *env, const struct files_who *who,
                        const char *bucket, const char *key, const char *cursor, size_t limit,
                        struct files_version_page *ret, struct s3_error *ret_err);

/* What a restore or a metadata edit leaves at the key. */
struct files_written {
    int64_t size, last_modified_ms;
    char etag[256];
    char content_type[256];
    char version_id[1025];
    int64_t uploaded_by;
};

/*
 * Makes version_id the latest version of key: a server-side copy of it onto
 * the key (the version it replaces stays). SEAU_E_VALIDATION for a delete
 * marker, SEAU_E_NOT_FOUND for a version that does not exist. Audited
 * "version.restore"; publishes an upload event.
 */
int files_version_restore_audited(const struct files_env *env, const struct files_who *who,
                                  const struct audit_actor *actor, const char *bucket,
                                  const char *key, const char *version_id,
                                  struct files_written *ret, struct s3_error *ret_err);

/* Deletes one version for good (admins). Audited "version.delete"; a delete event. */
int files_version_delete_audited(const struct files_env *env, const struct files_who *who,
                                 const struct audit_actor *actor, const char *bucket,
                                 const char *key, const char *version_id, struct s3_error *ret_err);

/*
 * Turns versioning on (enabled true) or suspends it, and when noncurrent_days
 * > 0 also sets the lifecycle rule FILES_LIFECYCLE_RULE_ID expiring noncurrent
 * versions after that many days. A bucket that already has lifecycle rules
 * other than that one is SEAU_E_CONFLICT (its configuration would be
 * replaced): nothing is changed then. Audited "bucket.versioning".
 */
int files_versioning_set_audited(const struct files_env *env, const struct files_who *who,
                                 const struct audit_actor *actor, const char *bucket, bool enabled,
                                 int noncurrent_days, struct s3_error *ret_err);

/* ================================== recycle bin =================================== */

struct files_trash_item {
    char *key;
    int64_t size;
    int64_t deleted_at;     /* ms; 0 when unknown */
    int64_t deleted_by;     /* account id; 0 when unknown */
    char *deleted_by_email; /* NULL when unknown */
    char *restore_id;       /* the delete marker's version id, or the trash row's id */
};

struct files_trash_page {
    struct files_trash_item *items;
    size_t n;
    char *next_cursor;
};
void files_trash_page_done(struct files_trash_page *p);

/*
 * What the caller may restore under prefix (NULL: the bucket): in a bucket
 * with a trash prefix the objects moved there; else, in a versioned bucket,
 * the keys whose latest version is a delete marker. A `user` sees only what
 * it deleted through Seau. limit 1 to 1000.
 */
int files_trash_list(const struct files_env *env, const struct files_who *who, const char *bucket,
                     const char *prefix, const char *cursor, size_t limit,
                     struct files_trash_page *ret, struct s3_error *ret_err);

/* One item of a restore or purge request. */
struct files_trash_ref {
    const char *key;
    const char *restore_id;
};

struct files_trash_outcome {
    char **done; /* keys restored or purged */
    size_t ndone;
    struct files_trash_failure {
        char *key;
        const char *code; /* an API.md error code, static */
        char *message;
    } * errors;
    size_t nerrors;
};
void files_trash_outcome_done(struct files_trash_outcome *o);

/*
 * Restores items, or with prefix (items NULL) everything the caller may
 * restore under it (a folder; at most FILES_TRASH_ITEMS_MAX). Per-item
 * refusals go into ret->errors. Audited "trash.restore" (one entry per
 * request); an upload event per key restored.
 */
int files_trash_restore_audited(const struct files_env *env, const struct files_who *who,
                                const struct audit_actor *actor, const char *bucket,
                                const struct files_trash_ref *items, size_t n, const char *prefix,
                                struct files_trash_outcome *ret);

/*
 * Deletes items for good (all versions of the key in a versioned bucket;
 * the moved object and its row otherwise); all: everything listed for the
 * caller. Audited "trash.purge".
 */
int files_trash_purge_audited(const struct files_env *env, const struct files_who *who,
                              const struct audit_actor *actor, const char *bucket,
                              const struct files_trash_ref *items, size_t n, bool all,
                              struct files_trash_outcome *ret);

/*
 * Called by the delete service instead of DeleteObject in a bucket with a
 * trash prefix: copies key under the prefix, deletes it, records the row.
 * Returns 0, or the S3 / store failure (nothing is lost: the copy is
 * removed again when the delete fails).
 */
int files_trash_move(const struct files_env *env, const struct files_who *who, const char *bucket,
                     const char *key, struct s3_error *ret_err);

/* Called by the delete service when S3 reports a delete marker it made. */
void files_trash_record_marker(const struct files_env *env, const struct files_who *who,
                               const char *bucket, const char *key, const char *version_id);

/*
 * Purges moved objects older than their bucket's retention (at most 1000
 * per bucket and call); *ret_n counts them. Audited "trash.expire" (one
 * entry per bucket with purges).
 */
int files_trash_expire(const struct files_env *env, int64_t now, int64_t *ret_n);

/* The janitor thread: files_trash_expire every min(retention / 10, 60 s), at least 1 s. */
struct files_trash_janitor;
int files_trash_janitor_start(const struct files_env *env, struct files_trash_janitor **ret);
void files_trash_janitor_stop(struct files_trash_janitor *j);

/* ===================================== details ==================================== */

struct files_details {
    int64_t size, last_modified_ms;
    char etag[256];
    char content_type[256];
    char storage_class[64]; /* "STANDARD" when S3 said nothing */
    char encryption[64];    /* "" when none was reported */
    char version_id[1025];
    int64_t uploaded_by; /* from the index; 0 when unknown */
};

/* System metadata and uploader of an object (HeadObject and the index). */
int files_details_get(const struct files_env *env, const struct files_who *who, const char *bucket,
                      const char *key, struct files_details *ret, struct s3_error *ret_err);

/* A tag or metadata pair (owned strings when returned). */
struct files_pair {
    char *name, *value;
};
void files_pairs_free(struct files_pair *p, size_t n);

/* GetObjectTagging. */
int files_tags_get(const struct files_env *env, const struct files_who *who, const char *bucket,
                   const char *key, struct files_pair **ret, size_t *ret_n,
                   struct s3_error *ret_err);

/*
 * Validates (at most 10 tags, keys 1 to 128 characters, values at most 256,
 * UTF-8 without control characters: SEAU_E_VALIDATION with the field named
 * in *ret_field), checks the rights, PutObjectTagging, then the tag index
 * with its audit entry ("object.tags").
 */
int files_tags_set_audited(const struct files_env *env, const struct files_who *who,
                           const struct audit_actor *actor, const char *bucket, const char *key,
                           const struct files_pair *tags, size_t n, const char **ret_field,
                           struct s3_error *ret_err);

/*
 * Replaces the content type (NULL: kept) and/or the user metadata (NULL:
 * kept; names [A-Za-z0-9-_], S3's 2 KiB in all) by a copy of the object onto
 * itself. The uploader stays. Audited "object.metadata". On success
 * *ret_meta (free with files_pairs_free) is the user metadata the object
 * carries now, as S3 reports it after the copy: the kept one when only the
 * content type changed.
 */
int files_metadata_set_audited(const struct files_env *env, const struct files_who *who,
                               const struct audit_actor *actor, const char *bucket, const char *key,
                               const char *content_type, const struct files_pair *meta,
                               size_t nmeta, bool replace_meta, const char **ret_field,
                               struct files_written *ret, struct files_pair **ret_meta,
                               size_t *ret_nmeta, struct s3_error *ret_err);

/* ============================ shared by the three files ============================ */

/* The rights of an overwrite (a `user`: only objects it uploaded); *ret_owner the uploader. */
int files__may_overwrite(const struct files_env *env, const struct files_who *who,
                         const char *bucket, const char *key, int64_t *ret_owner);
/* Appends one audit entry (failure when rc, its API code in details); details is taken. */
struct json_t;
void files__audit(const struct files_env *env, const struct audit_actor *actor, const char *action,
                  const char *bucket, const char *key, int rc, struct json_t *details);

#endif
