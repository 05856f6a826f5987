/* The object index service: see index.h. */
#include "files/index.h"
#include "files/recovery.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "s3/client.h"
#include "s3/listing.h"
#include "s3/xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Extensions of each kind, lower case; the content type wins when known. */
static const struct {
    const char *ext;
    const char *kind;
} kind_by_ext[] = {
    {"jpg", "image"},     {"jpeg", "image"},   {"png", "image"},     {"gif", "image"},
    {"webp", "image"},    {"svg", "image"},    {"bmp", "image"},     {"tif", "image"},
    {"tiff", "image"},    {"heic", "image"},   {"avif", "image"},    {"ico", "image"},
    {"mp4", "video"},     {"mov", "video"},    {"mkv", "video"},     {"webm", "video"},
    {"avi", "video"},     {"m4v", "video"},    {"mp3", "audio"},     {"wav", "audio"},
    {"flac", "audio"},    {"ogg", "audio"},    {"m4a", "audio"},     {"aac", "audio"},
    {"opus", "audio"},    {"pdf", "pdf"},      {"txt", "text"},      {"md", "text"},
    {"csv", "text"},      {"json", "text"},    {"xml", "text"},      {"yaml", "text"},
    {"yml", "text"},      {"log", "text"},     {"html", "text"},     {"css", "text"},
    {"js", "text"},       {"ts", "text"},      {"c", "text"},        {"h", "text"},
    {"py", "text"},       {"go", "text"},      {"rs", "text"},       {"sh", "text"},
    {"zip", "archive"},   {"tar", "archive"},  {"gz", "archive"},    {"tgz", "archive"},
    {"bz2", "archive"},   {"xz", "archive"},   {"zst", "archive"},   {"7z", "archive"},
    {"rar", "archive"},   {"doc", "document"}, {"docx", "document"}, {"xls", "document"},
    {"xlsx", "document"}, {"ppt", "document"}, {"pptx", "document"}, {"odt", "document"},
    {"ods", "document"},  {"odp", "document"}, {"rtf", "document"},
};

static const char *const kinds[] = {"image", "video", "audio",    "pdf",
                                    "text",  "archive", "document", "other"};

bool files_kind_valid(const char *kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kind, kinds[i]) == 0)
            return true;
    return false;
}

static const char *kind_of_type(const char *ct)
{
    static const struct {
        const char *prefix;
        const char *kind;
    } map[] = {
        {"image/", "image"},
        {"video/", "video"},
        {"audio/", "audio"},
        {"application/pdf", "pdf"},
        {"text/", "text"},
        {"application/json", "text"},
        {"application/xml", "text"},
        {"application/zip", "archive"},
        {"application/gzip", "archive"},
        {"application/x-tar", "archive"},
        {"application/x-7z-compressed", "archive"},
        {"application/x-bzip2", "archive"},
        {"application/x-xz", "archive"},
        {"application/zstd", "archive"},
        {"application/vnd.rar", "archive"},
        {"application/msword", "document"},
        {"application/vnd.openxmlformats-officedocument", "document"},
        {"application/vnd.oasis.opendocument", "document"},
        {"application/vnd.ms-", "document"},
        {"application/rtf", "document"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strncasecmp(ct, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].kind;
    return NULL;
}

const char *files_kind_of(const char *key, const char *content_type)
{
    if (content_type && *content_type) {
        const char *k = kind_of_type(content_type);
        if (k)
            return k;
    }
    const char *slash = strrchr(key, '/');
    const char *base = slash ? slash + 1 : key;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base && dot[1]) {
        for (size_t i = 0; i < sizeof(kind_by_ext) / sizeof(kind_by_ext[0]); i++)
            if (strcasecmp(dot + 1, kind_by_ext[i].ext) == 0)
                return kind_by_ext[i].kind;
    }
    return "other";
}

/* Fills a row; SEAU_E_VALIDATION when a field does not fit the index. */
static int object_fill(struct db_object *o, const char *bucket, const char *key, int64_t size,
                       const char *etag, int64_t last_modified, const char *content_type)
{
    memset(o, 0, sizeof(*o));
    if (strlen(bucket) >= sizeof(o->bucket) || strlen(key) >= sizeof(o->key) || !*key ||
        size < 0)
        return SEAU_E_VALIDATION;
    /* The recycle bin's objects are not files: search and stats never see them. */
    if (files_trash_hides(bucket, key))
        return SEAU_E_VALIDATION;
    memcpy(o->bucket, bucket, strlen(bucket) + 1);
    memcpy(o->key, key, strlen(key) + 1);
    o->size = size;
    o->last_modified = last_modified;
    /* An over-long ETag or content type is stored as unknown rather than cut. */
    if (etag && strlen(etag) < sizeof(o->etag))
        memcpy(o->etag, etag, strlen(etag) + 1);
    if (content_type && strlen(content_type) < sizeof(o->content_type))
        memcpy(o->content_type, content_type, strlen(content_type) + 1);
    const char *kind = files_kind_of(key, o->content_type);
    memcpy(o->kind, kind, strlen(kind) + 1);
    return 0;
}

int files_index_record(struct db *db, const char *bucket, const char *key, int64_t size,
                       const char *etag, int64_t last_modified, const char *content_type,
                       int64_t uploaded_by, int64_t now)
{
    struct db_object o;
    int rc = object_fill(&o, bucket, key, size, etag, last_modified, content_type);
    if (rc)
        return rc;
    o.uploaded_by = uploaded_by;
    o.indexed_at = now;
    return db_object_upsert(db, &o);
}

int files_index_forget(struct db *db, const char *bucket, const char *key)
{
    return db_object_delete(db, bucket, key);
}

int files_index_forget_prefix(struct db *db, const char *bucket, const char *prefix)
{
    return db_object_delete_prefix(db, bucket, prefix ? prefix : "", NULL);
}

int files_index_apply_page(struct db *db, const char *bucket, const struct s3_object *objs,
                           size_t n, int64_t walk_started, struct files_sync_stats *stats)
{
    if (n == 0)
        return 0;
    struct db_object *rows = calloc(n, sizeof(*rows));
    if (!rows)
        return SEAU_E_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        /* A key the index cannot hold (none from a real S3) is skipped, not fatal. */
        if (object_fill(&rows[m], bucket, objs[i].key, objs[i].size, objs[i].etag,
                        objs[i].last_modified_ms, NULL) == 0)
            m++;
    }
    struct db_sync_counts counts = {stats->added, stats->changed, stats->unchanged};
    int rc = db_object_sync_page(db, rows, m, walk_started, &counts);
    free(rows);
    if (rc == 0) {
        stats->listed += (int64_t)n;
        stats->added = counts.added;
        stats->changed = counts.changed;
        stats->unchanged = counts.unchanged;
        stats->pages++;
    }
    return rc;
}

int files_index_sweep(struct db *db, const char *bucket, int64_t walk_started,
                      struct files_sync_stats *stats)
{
    int64_t removed = 0;
    int rc = db_object_sync_sweep(db, bucket, walk_started, &removed);
    if (rc == 0)
        stats->removed += removed;
    return rc;
}

int files_index_sync(struct db *db, struct s3_client *s3, const char *bucket,
                     struct files_sync_stats *ret, struct s3_error *ret_err)
{
    return files_index_sync_until(db, s3, bucket, NULL, NULL, ret, ret_err);
}

int files_index_sync_until(struct db *db, struct s3_client *s3, const char *bucket,
                           bool (*stop)(void *ctx), void *ctx, struct files_sync_stats *ret,
                           struct s3_error *ret_err)
{
    struct files_sync_stats stats;
    memset(&stats, 0, sizeof(stats));
    /* Rows written before this instant and not listed by the walk are gone from S3. */
    int64_t walk_started = time_now_ms();
    struct s3_listing it;
    s3_listing_init(&it, s3, bucket, &(struct s3_list_params){.max_keys = 1000});
    const struct s3_object_list *l = NULL;
    int rc = 0;
    for (;;) {
        /* Asked before each request: the first, and any for a page left. */
        if (stop && (!l || s3_listing_next_token(&it)) && stop(ctx)) {
            rc = SEAU_E_CANCELLED;
            break;
        }
        rc = s3_listing_next(&it, &l, ret_err);
        if (rc || !l)
            break;
        rc = files_index_apply_page(db, bucket, l->objects, l->object_count, walk_started, &stats);
        if (rc)
            break;
    }
    s3_listing_done(&it);
    if (rc == 0)
        rc = files_index_sweep(db, bucket, walk_started, &stats);
    if (ret)
        *ret = stats;
    return rc;
}

int files_index_sync_resume(struct db *db, struct s3_client *s3, const char *bucket,
                            bool (*stop)(void *ctx), void (*on_page)(void *ctx, int64_t listed),
                            void *ctx, struct files_sync_stats *ret, bool *ret_resumed,
                            struct s3_error *ret_err)
{
    struct files_sync_stats stats;
    memset(&stats, 0, sizeof(stats));
    struct db_index_sync st;
    int rc = db_index_sync_get(db, bucket, &st);
    if (rc)
        return rc;
    bool resumed = st.walk_started > 0;
    /* Where the listing starts; st.after_key moves on with every page stored. */
    char from[DB_KEY_MAX + 1] = "";
    if (resumed) {
        stats.listed = st.listed;
        snprintf(from, sizeof(from), "%s", st.after_key);
    } else {
        st.walk_started = time_now_ms();
        st.after_key[0] = '\0';
        st.listed = 0;
        rc = db_index_sync_put(db, &st);
    }
    struct s3_listing it;
    s3_listing_init(&it, s3, bucket,
                    &(struct s3_list_params){.max_keys = 1000, .start_after = from[0] ? from : NULL});
    const struct s3_object_list *l = NULL;
    while (rc == 0) {
        if (stop && (!l || s3_listing_next_token(&it)) && stop(ctx)) {
            rc = SEAU_E_CANCELLED;
            break;
        }
        rc = s3_listing_next(&it, &l, ret_err);
        if (rc || !l)
            break;
        rc = files_index_apply_page(db, bucket, l->objects, l->object_count, st.walk_started,
                                    &stats);
        if (rc == 0 && l->object_count) {
            snprintf(st.after_key, sizeof(st.after_key), "%s", l->objects[l->object_count - 1].key);
            st.listed = stats.listed;
            rc = db_index_sync_put(db, &st);
        }
        if (rc == 0 && on_page)
            on_page(ctx, stats.listed);
    }
    s3_listing_done(&it);
    if (rc == 0)
        rc = files_index_sweep(db, bucket, st.walk_started, &stats);
    if (rc == 0) {
        st.walk_started = 0;
        st.after_key[0] = '\0';
        st.listed = stats.listed;
        st.completed_at = time_now_ms();
        rc = db_index_sync_put(db, &st);
    }
    if (ret)
        *ret = stats;
    if (ret_resumed)
        *ret_resumed = resumed;
    return rc;
}

static bool bucket_configured(char *const *buckets, const char *b)
{
    for (size_t i = 0; buckets && buckets[i]; i++)
        if (strcmp(buckets[i], b) == 0)
            return true;
    return false;
}

static bool bucket_visible(const struct auth_subject *who, const char *b)
{
    if (who->role == AUTH_ROLE_ADMIN)
        return true;
    for (size_t i = 0; i < who->ngrants; i++)
        if (strcmp(who->grants[i].bucket, b) == 0)
            return true;
    return false;
}

static bool starts_with(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/*
 * Adds the scopes of one bucket: the request's prefix within each grant on
 * it (the longer of the two when one contains the other; nothing when they
 * are disjoint). Scopes borrow the grant and request strings.
 */
static int add_scopes(const struct auth_subject *who, const char *bucket, const char *prefix,
                      struct db_object_scope *out, size_t cap, size_t *n)
{
    if (who->role == AUTH_ROLE_ADMIN) {
        if (*n == cap)
            return SEAU_E_TOO_LARGE;
        out[(*n)++] = (struct db_object_scope){bucket, prefix};
        return 0;
    }
    for (size_t i = 0; i < who->ngrants; i++) {
        const struct db_grant *g = &who->grants[i];
        if (strcmp(g->bucket, bucket) != 0)
            continue;
        const char *p = NULL;
        if (starts_with(prefix, g->prefix))
            p = prefix;
        else if (starts_with(g->prefix, prefix))
            p = g->prefix;
        if (!p)
            continue;
        if (*n == cap)
            return SEAU_E_TOO_LARGE;
        out[(*n)++] = (struct db_object_scope){bucket, p};
    }
    return 0;
}

int files_index_scopes(char *const *buckets, const struct auth_subject *who, const char *bucket,
                       const char *prefix, struct db_object_scope **ret, size_t *ret_n)
{
    if (bucket && (!bucket_configured(buckets, bucket) || !bucket_visible(who, bucket)))
        return SEAU_E_NOT_FOUND;
    if (!prefix)
        prefix = "";
    struct db_object_scope *scopes = calloc(DB_SEARCH_SCOPES_MAX, sizeof(*scopes));
    if (!scopes)
        return SEAU_E_NOMEM;
    size_t nscopes = 0;
    int rc = 0;
    if (bucket) {
        rc = add_scopes(who, bucket, prefix, scopes, DB_SEARCH_SCOPES_MAX, &nscopes);
    } else {
        for (size_t i = 0; rc == 0 && buckets && buckets[i]; i++)
            rc = add_scopes(who, buckets[i], prefix, scopes, DB_SEARCH_SCOPES_MAX, &nscopes);
    }
    if (rc) {
        free(scopes);
        return rc;
    }
    *ret = scopes;
    *ret_n = nscopes;
    return 0;
}

int files_index_search(struct db *db, char *const *buckets, const struct auth_subject *who,
                       const struct files_search *s, struct files_search_result *ret)
{
    if (s->limit == 0 || s->limit > FILES_SEARCH_LIMIT_MAX || (s->type && !files_kind_valid(s->type)))
        return SEAU_E_VALIDATION;
    struct db_object_scope *scopes = NULL;
    size_t nscopes = 0;
    int rc = files_index_scopes(buckets, who, s->bucket, s->prefix, &scopes, &nscopes);
    if (rc)
        return rc;
    struct db_object_query q = {
        .scopes = scopes,
        .nscopes = nscopes,
        .q = s->q && *s->q ? s->q : NULL,
        .kind = s->type,
        .min_size = s->min_size,
        .max_size = s->max_size,
        .modified_after = s->modified_after,
        .modified_before = s->modified_before,
        .uploaded_by = s->uploaded_by,
        .tag_name = s->tag_name,
        .tag_value = s->tag_value,
        .after_bucket = s->after_bucket,
        .after_key = s->after_key,
        .limit = s->limit + 1, /* one more tells whether there is a next page */
        .count_cap = FILES_SEARCH_COUNT_CAP,
    };
    struct db_object *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    if (rc == 0)
        rc = db_object_search(db, &q, &rows, &n, &total);
    free(scopes);
    if (rc)
        return rc;
    ret->rows = rows;
    ret->more = n > s->limit;
    ret->n = ret->more ? s->limit : n;
    ret->total_capped = total > FILES_SEARCH_COUNT_CAP;
    ret->total = ret->total_capped ? FILES_SEARCH_COUNT_CAP : total;
    return 0;
}

void files_search_result_done(struct files_search_result *r)
{
    if (r) {
        free(r->rows);
        r->rows = NULL;
        r->n = 0;
    }
}
