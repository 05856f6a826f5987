/*
 * The object index service: keeps the store's object index (db.h,
 * db_object_*) in step with S3 and answers searches from it.
 *
 * The index is a cache of S3. Seau's own writes call files_index_record()
 * and files_index_forget*(); files_index_sync() converges a bucket with a
 * full ListObjectsV2 walk (new, changed and vanished keys). Searches never
 * touch S3, and never return or count a key outside the caller's grants.
 */
#ifndef SEAU_FILES_INDEX_H
#define SEAU_FILES_INDEX_H

#include "auth/policy.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

struct s3_client;
struct s3_error;
struct s3_object;

#define FILES_SEARCH_Q_MIN_CHARS 2
#define FILES_SEARCH_LIMIT_MAX 1000
/* The total of a search stops counting here; API: "total" then says 10000 and "totalCapped" true. */
#define FILES_SEARCH_COUNT_CAP 10000

/*
 * The search "type" of an object from its content type (preferred, when
 * known) or its key's extension: "image", "video", "audio", "pdf", "text",
 * "archive", "document", or "other". Static storage.
 */
const char *files_kind_of(const char *key, const char *content_type);
/* True for the names files_kind_of() can return. */
bool files_kind_valid(const char *kind);

/* Records an object Seau has just written (upload, copy, rename target). */
int files_index_record(struct db *db, const char *bucket, const char *key, int64_t size,
                       const char *etag, int64_t last_modified, const char *content_type,
                       int64_t uploaded_by, int64_t now);
/* Forgets one object, or every object under prefix ("" for the bucket). */
int files_index_forget(struct db *db, const char *bucket, const char *key);
int files_index_forget_prefix(struct db *db, const char *bucket, const char *prefix);

struct files_sync_stats {
    int64_t listed;
    int64_t added, changed, unchanged, removed;
    int64_t pages;
};

/*
 * Walks the whole bucket (ListObjectsV2, no delimiter, 1000 keys a page),
 * storing each page in one transaction, then sweeps the rows the walk did
 * not see. An S3 failure stops before the sweep (nothing is removed) and
 * fills *ret_err when given. *ret (optional) holds the counts so far even on
 * failure. Cost: one request and one transaction per 1000 keys.
 */
int files_index_sync(struct db *db, struct s3_client *s3, const char *bucket,
                     struct files_sync_stats *ret, struct s3_error *ret_err);

/*
 * files_index_sync() that asks stop(ctx) (when not NULL) before each page:
 * true ends the walk with SEAU_E_CANCELLED, before the sweep, so nothing is
 * removed on the strength of a partial walk. For the reconciliation thread,
 * which must stop promptly at shutdown (files/reconcile.h).
 */
int files_index_sync_until(struct db *db, struct s3_client *s3, const char *bucket,
                           bool (*stop)(void *ctx), void *ctx, struct files_sync_stats *ret,
                           struct s3_error *ret_err);

/*
 * files_index_sync_until() that keeps its place in the store (db_index_sync)
 * after every page, so that a walk cut short (stopped, S3 failing, the
 * process gone) resumes after the last key it stored, with the same start
 * time, instead of starting over; the sweep comes after the walk's last
 * page, whichever run reached it. on_page (optional) is told the objects
 * listed so far (a resumed walk counts from where it stood). *ret_resumed
 * (optional): whether this run resumed a walk. For the reconciliation
 * thread; `seau index sync` walks whole.
 */
int files_index_sync_resume(struct db *db, struct s3_client *s3, const char *bucket,
                            bool (*stop)(void *ctx), void (*on_page)(void *ctx, int64_t listed),
                            void *ctx, struct files_sync_stats *ret, bool *ret_resumed,
                            struct s3_error *ret_err);

/* The halves of a walk, for files_index_sync() and tests: one listed page, and the sweep. */
int files_index_apply_page(struct db *db, const char *bucket, const struct s3_object *objs,
                           size_t n, int64_t walk_started, struct files_sync_stats *stats);
int files_index_sweep(struct db *db, const char *bucket, int64_t walk_started,
                      struct files_sync_stats *stats);

/*
 * The parts of the index `who` may see (search, stats): the configured
 * buckets (NULL-terminated) intersected with its grants (admins: all), within
 * bucket (NULL: every visible one) and prefix (NULL or "": none). Scopes
 * borrow the bucket, prefix and grant strings. Returns 0 and a new array in
 * *ret (free(); it may hold no scope), SEAU_E_NOT_FOUND when bucket is not
 * configured or not visible, SEAU_E_TOO_LARGE past DB_SEARCH_SCOPES_MAX.
 */
int files_index_scopes(char *const *buckets, const struct auth_subject *who, const char *bucket,
                       const char *prefix, struct db_object_scope **ret, size_t *ret_n);

/* A search as GET /api/search asks it; validated by the caller. */
struct files_search {
    const char *bucket; /* NULL: every visible bucket */
    const char *q;      /* NULL or >= 2 characters */
    const char *prefix; /* NULL or "" for none */
    const char *type;   /* NULL or a files_kind_valid() name */
    int64_t min_size, max_size;               /* -1: no bound */
    int64_t modified_after, modified_before;  /* ms; 0: no bound */
    size_t limit;                             /* 1 to FILES_SEARCH_LIMIT_MAX */
    const char *after_bucket, *after_key;     /* from the cursor; NULL: first page */
    int64_t uploaded_by;                      /* uploadedBy=: an account id; 0: anyone */
    const char *tag_name, *tag_value;         /* tag=NAME=VALUE; NULL: any */
};

struct files_search_result {
    struct db_object *rows; /* owned: free() */
    size_t n;
    bool more;              /* another page exists; continue after rows[n - 1] */
    int64_t total;          /* all matches, at most FILES_SEARCH_COUNT_CAP */
    bool total_capped;      /* there are more than total */
};

/*
 * Searches the index within what `who` may see: the configured buckets
 * (buckets, NULL-terminated) intersected with its grants (admins: all), the
 * request's bucket and prefix. Returns SEAU_E_NOT_FOUND when s->bucket is
 * not configured or not visible (the same answer, so hidden buckets do not
 * leak), SEAU_E_VALIDATION for a query the caller should have refused.
 */
int files_index_search(struct db *db, char *const *buckets, const struct auth_subject *who,
                       const struct files_search *s, struct files_search_result *ret);
void files_search_result_done(struct files_search_result *r);

#endif
