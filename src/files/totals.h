/*
 * A folder's totals and a store's capabilities, for the console's bulk
 * actions and its plain words about what a store lacks.
 *
 * files_prefix_totals: the objects and bytes under bucket/prefix that `who`
 * may see, from the object index (files_index_scopes intersected with the
 * grants), never from S3; a folder holding nothing visible is 0 and 0.
 * SEAU_E_NOT_FOUND when the bucket is not configured or not visible.
 *
 * files_store_capabilities: whether the bucket's store keeps versions
 * (GetBucketVersioning says Enabled or Suspended) and lists an upload's
 * parts (ListParts on an upload id that cannot exist answers NoSuchUpload;
 * a store without the call, such as s3rver, answers 405 or 501). The answer
 * is kept FILES_CAPS_TTL_MS per bucket. SEAU_E_UNAVAILABLE without S3.
 */
#ifndef SEAU_FILES_TOTALS_H
#define SEAU_FILES_TOTALS_H

#include "auth/policy.h"
#include "db/db.h"
#include "files/env.h"

#include <stdbool.h>
#include <stdint.h>

#define FILES_CAPS_TTL_MS (5 * 60 * 1000)

struct files_prefix_totals {
    int64_t objects;
    int64_t bytes;
};

int files_prefix_totals(struct db *db, char *const *buckets, const struct auth_subject *who,
                        const char *bucket, const char *prefix, int64_t now,
                        struct files_prefix_totals *ret);

struct files_store_caps {
    bool versioning;
    bool list_parts;
};

int files_store_capabilities(const struct files_env *env, const struct auth_subject *who,
                             const char *bucket, int64_t now, struct files_store_caps *ret);

/* For tests: forget the kept answers. */
void files_store_capabilities_forget(void);

#endif
