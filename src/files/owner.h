/*
 * Who owns an object, and names that do not collide.
 *
 * Ownership (API.md's roles table): a `user` may overwrite only objects it
 * uploaded itself; an upload, copy, move or rename onto someone else's
 * object is SEAU_E_FORBIDDEN, on every path that writes a key, and
 * ownership never moves by overwriting. The owner is the uploader the
 * object index records (db_object.uploaded_by). An object S3 holds but the
 * index knows no uploader for (written by another tool, or changed since
 * Seau last saw it) belongs to nobody the caller can prove to be, so it is
 * refused too, as a delete would be.
 *
 * Whether the key exists is asked of S3 (HeadObject), the truth for what
 * exists: an index row for an object deleted since does not block anyone.
 * Managers and admins may overwrite anything within their grants; for them
 * nothing is asked.
 *
 * Numbered names: "report.pdf" taken → "report (1).pdf", "report (2).pdf",
 * ...; the number goes before the last extension of the last path segment
 * (not before the dot of a name that starts with one: ".env" → ".env (1)").
 */
#ifndef SEAU_FILES_OWNER_H
#define SEAU_FILES_OWNER_H

#include "files/env.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3_client;
struct s3_error;

#define FILES_NAME_TRIES 1000 /* numbered names tried before giving up (SEAU_E_CONFLICT) */

/*
 * Whether user_id may write bucket/key as things stand: 0 when no object
 * has that key or the index names user_id as its uploader;
 * SEAU_E_FORBIDDEN when it exists and belongs to someone else or to nobody
 * known; S3's or the store's failure otherwise (*ret_err, when not NULL,
 * describes S3's). *ret_exists (optional) tells whether the key exists.
 * Cost: one index read, and one HeadObject unless the index names user_id.
 */
int files_owner_check(struct s3_client *s3, struct db *db, const char *bucket, const char *key,
                      int64_t user_id, bool *ret_exists, struct s3_error *ret_err);

/*
 * files_owner_check for the caller when it is a `user`; 0 without asking
 * anything for managers and admins.
 */
int files_owner_may_overwrite(const struct files_env *env, const struct files_who *who,
                              const char *bucket, const char *key, struct s3_error *ret_err);

/*
 * Whether bucket/key exists (HeadObject). Returns 0 with *ret_exists, or
 * S3's failure.
 */
int files_key_exists(struct s3_client *s3, const char *bucket, const char *key, bool *ret_exists,
                     struct s3_error *ret_err);

/*
 * The n-th numbered variant of key (n >= 1) in out: "a/report.pdf", 2 →
 * "a/report (2).pdf"; a folder "a/b/" → "a/b (2)/". Returns 0, or
 * SEAU_E_VALIDATION when the result would not fit in outlen bytes or pass
 * the key rules' length (DB_KEY_MAX). Pure.
 */
int files_name_numbered(const char *key, unsigned n, char *out, size_t outlen);

/*
 * The first of key, key (1), key (2), ... that no object has in bucket, in
 * out (outlen >= DB_KEY_MAX + 1). Returns 0, SEAU_E_CONFLICT after
 * FILES_NAME_TRIES taken names, SEAU_E_VALIDATION for a name too long to
 * number, or S3's failure. Cost: one HeadObject per name tried. Between the
 * answer and the write someone else may take the name; callers that must
 * never overwrite check again where they can.
 */
int files_name_free(struct s3_client *s3, const char *bucket, const char *key, char *out,
                    size_t outlen, struct s3_error *ret_err);

#endif
