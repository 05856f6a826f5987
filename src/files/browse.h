/*
 * Browsing (files/browse.c), part of the object service (ARCHITECTURE.md
 * "files/"): what a caller may see of the configured buckets, and reads of
 * listings and objects from S3, which is the truth for what exists. The
 * environment and the caller every files/ service takes are in files/env.h.
 *
 * Every function here returns 0 or a negative SEAU_E_* code and writes its
 * results only on success (STYLE.md rule 7). Nothing here speaks HTTP or
 * logs: S3 failures come back as the code s3_error_to_err() chose, with what
 * S3 said in *ret_err (when not NULL) for the API layer to describe.
 *
 * Visibility. Admins see every configured bucket. Managers and users see a
 * configured bucket only when they hold a grant on it, and inside it only
 * what their grants cover (auth_grants_cover): anything else is
 * SEAU_E_NOT_FOUND, never SEAU_E_FORBIDDEN, so its existence does not leak.
 */
#ifndef SEAU_FILES_BROWSE_H
#define SEAU_FILES_BROWSE_H

#include "auth/policy.h"
#include "auth/session.h"
#include "db/db.h"
#include "files/env.h"
#include "s3/xml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3_client;
struct jsonx_check;

/* Limits (STYLE.md rule 15). */
#define FILES_LIST_LIMIT_DEFAULT 100
#define FILES_LIST_LIMIT_MAX     1000
#define FILES_DELIMITER_MAX      16     /* bytes of a delimiter */
#define FILES_CURSOR_MAX         4096   /* characters of a cursor a client sends back */
#define FILES_DESC_SCAN_MAX      10000  /* entries read ahead of a -name page (see below) */
#define FILES_VERSIONS_MAX       1000   /* versions of one key shown by files_object_get */

/* ===================================== buckets ===================================== */

struct files_bucket {
    const char *name;       /* borrowed from the configuration */
    char *region;           /* NULL when S3 did not say (the call failed) */
    const char *versioning; /* "enabled", "suspended", "off"; NULL when the call failed */
};

/*
 * The configured buckets the caller may see, in configuration order, with
 * region (GetBucketLocation) and versioning (GetBucketVersioning). Both calls
 * are made per bucket; when one fails for a bucket, that bucket is still
 * reported with NULL in the field, so one missing or unreadable bucket does
 * not hide the others (the failure is the operator's to fix; /api/ready and
 * the log say more). Costs 2 S3 requests per visible bucket.
 * Release *ret with files_buckets_free(*ret, *ret_n).
 * Returns 0, SEAU_E_UNAVAILABLE without S3, SEAU_E_DB, SEAU_E_NOMEM.
 */
int files_buckets(const struct files_env *env, const struct files_who *who,
                  struct files_bucket **ret, size_t *ret_n);
void files_buckets_free(struct files_bucket *b, size_t n);

/* ===================================== listings ==================================== */

enum files_sort {
    FILES_SORT_NAME = 0, /* ascending byte order of the UTF-8 names, as S3 lists */
    FILES_SORT_NAME_DESC,
    FILES_SORT_SIZE, /* the object index's order: see files_list() */
    FILES_SORT_SIZE_DESC,
    FILES_SORT_MODIFIED,
    FILES_SORT_MODIFIED_DESC,
};

/* True for the sorts answered from the object index rather than from S3. */
bool files_sort_indexed(enum files_sort sort);

/*
 * A listing request, validated. name and -name list S3; size, -size,
 * lastModified and -lastModified read the object index, whose level indexes
 * know only '/' as the delimiter: with another delimiter those sorts are
 * refused as invalid rather than applied to one page only, which would look
 * sorted and be wrong.
 */
struct files_list_params {
    const char *bucket; /* borrowed: a configured bucket */
    const char *prefix; /* borrowed; "" for the bucket's root */
    const char *delimiter;
    size_t limit;
    enum files_sort sort;
    char *token; /* decoded from the cursor (owned); NULL on the first page */
    /* Filters (files/recovery.h): objects this account uploaded (0: any), objects carrying
     * the tag tag_name=tag_value (tag_name[0] == 0: any). A filtered page may hold fewer
     * entries than limit; folders are always shown. */
    int64_t uploaded_by;
    char tag_name[DB_TAG_NAME_MAX + 1];
    const char *tag_value;
};
void files_list_params_done(struct files_list_params *p);

/* The raw query parameters (NULL when absent), as a client sent them. */
struct files_list_query {
    const char *bucket, *prefix, *delimiter, *limit, *cursor, *sort;
    const char *uploaded_by, *tag; /* uploadedBy=<account id>, tag=NAME=VALUE */
};

/*
 * Validates a listing query: records every bad field in check and returns
 * SEAU_E_VALIDATION; returns SEAU_E_NOT_FOUND for a well-formed bucket that
 * is not configured; else 0 and *ret (strings borrowed from q and buckets).
 * The bucket defaults to buckets[0], the delimiter to "/" (1 to 16 bytes of
 * UTF-8 text), limit to 100 (1 to 1000). Pure: no S3, no store.
 */
int files_list_validate(const struct files_list_query *q, char *const *buckets, size_t nbuckets,
                        struct jsonx_check *check, struct files_list_params *ret);

/*
 * Cursors are opaque to clients: base64url (no padding) of one letter for
 * the sort they continue ('n' name, 'd' -name, 's'/'S' size/-size,
 * 'm'/'M' lastModified/-lastModified) and a token: S3's continuation token
 * for name, the last name shown for -name, and for the index sorts either
 * "f" and the last folder shown or "o" and "VALUE,ID" of the last object
 * shown (its size or time, and its index row id). A cursor given back with
 * another sort, or not made here, is refused.
 * files_cursor_encode returns a new string (NULL: out of memory);
 * files_cursor_decode returns 0 and a new string in *ret_token, or
 * SEAU_E_VALIDATION.
 */
char *files_cursor_encode(enum files_sort sort, const char *token);
int files_cursor_decode(const char *cursor, enum files_sort sort, char **ret_token);

/* One entry of a listing: an object, or a folder (a common prefix). */
struct files_entry {
    char *key; /* the object key, or the folder's prefix ending with the delimiter */
    bool is_folder;
    int64_t size;             /* objects only */
    int64_t last_modified_ms; /* objects only */
    char *etag;               /* objects only, with its quotes as S3 sent it */
    char *content_type;       /* index sorts only, when the index knows it; else NULL */
    int64_t uploaded_by;      /* index sorts only; 0 when unknown */
};

struct files_listing {
    struct files_entry *entries; /* folders and objects together, in the requested order */
    size_t count;
    char *next_cursor; /* NULL on the last page */
};
void files_listing_done(struct files_listing *l);

/*
 * Lists one level of a bucket (ListObjectsV2 with the delimiter).
 *
 * Where a grant covers the prefix (or the caller is an admin), this is S3's
 * listing, paged by S3's continuation token. An object whose key equals the
 * prefix (a "folder marker" some tools create) is not shown: it is the
 * folder itself. Where no grant covers the prefix but some grants lie below
 * it, the answer is exactly the folders leading to those grants (made from
 * the grants, not from S3, so nothing else at that level leaks), in one page:
 * their number is bounded by the caller's grants. Elsewhere SEAU_E_NOT_FOUND.
 *
 * -name: S3 lists in ascending order only, so a descending page is found by
 * reading the level from its start up to the cursor (the last name shown),
 * keeping the last `limit` entries. That costs O(entries before the cursor);
 * past FILES_DESC_SCAN_MAX entries it stops and returns SEAU_E_VALIDATION
 * with "sort" recorded in check, rather than answer slowly or wrongly.
 *
 * size, -size, lastModified, -lastModified: read from the object index, not
 * S3, so they show what the index knows (Seau's own writes at once, changes
 * made elsewhere after the next sync or reconciliation). Folders come first,
 * in ascending name order, then the objects in the requested order, ties
 * broken by the index row id; pages continue with keyset cursors, so each
 * costs O(limit) index reads (db_object_level, db_object_folders) whatever
 * the folder's size. Entries carry the content type and uploader the index
 * knows. Where the caller sees the level only through the folders leading to
 * its grants, the answer is those folders, as for name.
 */
int files_list(const struct files_env *env, const struct files_who *who,
               const struct files_list_params *p, struct jsonx_check *check,
               struct files_listing *ret, struct s3_error *ret_err);

/*
 * The grant filter of files_list, pure: whether the caller sees prefix in
 * bucket fully (0, *ret_full true), only through the folders leading to its
 * grants (0, *ret_full false, the folders in *ret_folders, sorted ascending,
 * each a new string; free them and the array), or not at all
 * (SEAU_E_NOT_FOUND).
 */
int files_visible_level(const struct auth_subject *who, const char *bucket, const char *prefix,
                        const char *delimiter, bool *ret_full, char ***ret_folders,
                        size_t *ret_n);

/* ===================================== one object ================================== */

struct files_version {
    char *version_id;
    bool is_latest;
    bool delete_marker;
    int64_t size;
    int64_t last_modified_ms;
    char *etag;
};

struct files_meta {
    char *name, *value;
};

struct files_object {
    int64_t size;
    int64_t last_modified_ms;
    char etag[256];
    char content_type[256];          /* "" when S3 gave none */
    struct files_meta *meta;         /* user metadata, names lowercased */
    size_t meta_count;
    bool versioned;                  /* versioning enabled or suspended: versions is set */
    struct files_version *versions;  /* newest first, as S3 lists; at most FILES_VERSIONS_MAX */
    size_t version_count;
};
void files_object_done(struct files_object *o);

/*
 * HeadObject, and when the bucket is versioned (enabled or suspended) the
 * key's versions (ListObjectVersions with the key as prefix, keeping that
 * exact key); when GetBucketVersioning itself fails, the object is returned
 * without versions (versioned false) rather than not at all. Returns 0, SEAU_E_NOT_FOUND for a key the caller may not see
 * or that does not exist (or whose latest version is a delete marker), or
 * the S3 failure.
 */
int files_object_get(const struct files_env *env, const struct files_who *who,
                     const char *bucket, const char *key, struct files_object *ret,
                     struct s3_error *ret_err);

/*
 * The bucket a request names: NULL or "" → the default; 0 and the
 * configured name in *ret (borrowed), SEAU_E_VALIDATION for a malformed name,
 * SEAU_E_NOT_FOUND for one not configured.
 */
int files_bucket_resolve(char *const *buckets, size_t nbuckets, const char *name,
                         const char **ret);

#endif
