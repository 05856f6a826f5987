/* Browse: buckets, listings and one object's details (files/browse.h). */
#include "files/browse.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "files/recovery.h"
#include "s3/client.h"
#include "s3/listing.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* True when the subject holds any grant on bucket (admins: every bucket). */
static bool sees_bucket(const struct auth_subject *who, const char *bucket)
{
    if (who->role == AUTH_ROLE_ADMIN)
        return true;
    for (size_t i = 0; i < who->ngrants; i++)
        if (strcmp(who->grants[i].bucket, bucket) == 0)
            return true;
    return false;
}

int files_bucket_resolve(char *const *buckets, size_t nbuckets, const char *name,
                         const char **ret)
{
    if (!name || !*name) {
        if (nbuckets == 0)
            return SEAU_E_NOT_FOUND;
        *ret = buckets[0];
        return 0;
    }
    if (s3name_bucket_problem(name))
        return SEAU_E_VALIDATION;
    for (size_t i = 0; i < nbuckets; i++) {
        if (strcmp(buckets[i], name) == 0) {
            *ret = buckets[i];
            return 0;
        }
    }
    return SEAU_E_NOT_FOUND;
}

/* ===================================== buckets ===================================== */

static const char *versioning_name(int status)
{
    switch (status) {
    case S3_VERSIONING_ENABLED:
        return "enabled";
    case S3_VERSIONING_SUSPENDED:
        return "suspended";
    default:
        return "off";
    }
}

void files_buckets_free(struct files_bucket *b, size_t n)
{
    for (size_t i = 0; b && i < n; i++)
        free(b[i].region);
    free(b);
}

int files_buckets(const struct files_env *env, const struct files_who *who,
                  struct files_bucket **ret, size_t *ret_n)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct files_bucket *out = calloc(env->nbuckets ? env->nbuckets : 1, sizeof(*out));
    if (!out)
        return SEAU_E_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < env->nbuckets; i++) {
        if (!sees_bucket(&who->subject, env->buckets[i]))
            continue;
        struct files_bucket *b = &out[n++];
        b->name = env->buckets[i];
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        /* A failure leaves the field NULL: see browse.h. */
        if (s3_get_bucket_location(env->s3, b->name, &a, NULL) == 0) {
            b->region = str_dup(a.location.region);
            s3_xml_answer_done(&a);
            if (!b->region) {
                files_buckets_free(out, n);
                return SEAU_E_NOMEM;
            }
        }
        if (s3_get_bucket_versioning(env->s3, b->name, &a, NULL) == 0) {
            b->versioning = versioning_name(a.versioning.status);
            s3_xml_answer_done(&a);
        }
    }
    *ret = out;
    *ret_n = n;
    return 0;
}

/* ===================================== cursors ===================================== */

/* The letter that opens a cursor of each sort (browse.h). */
static char sort_letter(enum files_sort sort)
{
    switch (sort) {
    case FILES_SORT_NAME_DESC:
        return 'd';
    case FILES_SORT_SIZE:
        return 's';
    case FILES_SORT_SIZE_DESC:
        return 'S';
    case FILES_SORT_MODIFIED:
        return 'm';
    case FILES_SORT_MODIFIED_DESC:
        return 'M';
    default:
        return 'n';
    }
}

bool files_sort_indexed(enum files_sort sort)
{
    return sort == FILES_SORT_SIZE || sort == FILES_SORT_SIZE_DESC ||
           sort == FILES_SORT_MODIFIED || sort == FILES_SORT_MODIFIED_DESC;
}

char *files_cursor_encode(enum files_sort sort, const char *token)
{
    size_t tlen = strlen(token);
    char *raw = malloc(tlen + 1);
    if (!raw)
        return NULL;
    raw[0] = sort_letter(sort);
    memcpy(raw + 1, token, tlen);
    size_t outlen = sodium_base64_ENCODED_LEN(tlen + 1, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(outlen);
    if (out)
        sodium_bin2base64(out, outlen, (const unsigned char *)raw, tlen + 1,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(raw);
    return out;
}

int files_cursor_decode(const char *cursor, enum files_sort sort, char **ret_token)
{
    size_t clen = strlen(cursor);
    if (clen == 0 || clen > FILES_CURSOR_MAX)
        return SEAU_E_VALIDATION;
    unsigned char *raw = malloc(clen + 1);
    if (!raw)
        return SEAU_E_NOMEM;
    size_t len = 0;
    int rc = SEAU_E_VALIDATION;
    if (sodium_base642bin(raw, clen, cursor, clen, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
        len >= 2 && raw[0] == (unsigned char)sort_letter(sort) &&
        str_utf8_valid((const char *)raw + 1, len - 1) &&
        !str_has_control((const char *)raw + 1, len - 1)) {
        raw[len] = '\0';
        char *tok = str_dup((const char *)raw + 1);
        rc = tok ? 0 : SEAU_E_NOMEM;
        if (tok)
            *ret_token = tok;
    }
    free(raw);
    return rc;
}

/* ===================================== validation ================================== */

void files_list_params_done(struct files_list_params *p)
{
    if (!p)
        return;
    free(p->token);
    p->token = NULL;
}

int files_list_validate(const struct files_list_query *q, char *const *buckets, size_t nbuckets,
                        struct jsonx_check *check, struct files_list_params *ret)
{
    struct files_list_params p;
    memset(&p, 0, sizeof(p));
    p.prefix = q->prefix ? q->prefix : "";
    p.delimiter = q->delimiter ? q->delimiter : "/";
    p.limit = FILES_LIST_LIMIT_DEFAULT;
    const char *why;
    int brc = files_bucket_resolve(buckets, nbuckets, q->bucket, &p.bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(check, "bucket", s3name_bucket_problem(q->bucket));
    if ((why = s3name_prefix_problem(p.prefix)))
        jsonx_check_fail(check, "prefix", why);
    size_t dlen = strlen(p.delimiter);
    if (dlen == 0 || dlen > FILES_DELIMITER_MAX || !str_utf8_valid(p.delimiter, dlen) ||
        str_has_control(p.delimiter, dlen))
        jsonx_check_fail(check, "delimiter", "must be 1 to 16 bytes of text");
    if (q->limit) {
        int64_t v;
        if (str_to_int64(q->limit, 1, FILES_LIST_LIMIT_MAX, &v))
            jsonx_check_fail(check, "limit", "must be a whole number from 1 to 1000");
        else
            p.limit = (size_t)v;
    }
    static const struct {
        const char *name;
        enum files_sort sort;
    } sorts[] = {
        {"name", FILES_SORT_NAME},          {"-name", FILES_SORT_NAME_DESC},
        {"size", FILES_SORT_SIZE},          {"-size", FILES_SORT_SIZE_DESC},
        {"lastModified", FILES_SORT_MODIFIED}, {"-lastModified", FILES_SORT_MODIFIED_DESC},
    };
    bool sort_ok = true;
    if (q->sort) {
        sort_ok = false;
        for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]) && !sort_ok; i++) {
            if (strcmp(q->sort, sorts[i].name) == 0) {
                p.sort = sorts[i].sort;
                sort_ok = true;
            }
        }
        if (!sort_ok)
            jsonx_check_fail(check, "sort",
                             "must be name, -name, size, -size, lastModified or -lastModified");
        else if (files_sort_indexed(p.sort) && strcmp(p.delimiter, "/") != 0) {
            sort_ok = false;
            jsonx_check_fail(check, "sort",
                             "size and date sorting work with the '/' delimiter only");
        }
    }
    if (q->uploaded_by && str_to_int64(q->uploaded_by, 1, INT64_MAX, &p.uploaded_by))
        jsonx_check_fail(check, "uploadedBy", "must be an account id");
    if (q->tag) {
        const char *eq = strchr(q->tag, '=');
        size_t nl = eq ? (size_t)(eq - q->tag) : 0;
        if (!eq || nl == 0 || nl > DB_TAG_NAME_MAX || strlen(eq + 1) > DB_TAG_VALUE_MAX) {
            jsonx_check_fail(check, "tag", "must be NAME=VALUE");
        } else {
            memcpy(p.tag_name, q->tag, nl);
            p.tag_name[nl] = '\0';
            p.tag_value = eq + 1;
        }
    }
    if (q->cursor && sort_ok) {
        int rc = files_cursor_decode(q->cursor, p.sort, &p.token);
        if (rc == SEAU_E_NOMEM)
            return rc;
        if (rc)
            jsonx_check_fail(check, "cursor",
                             "is not a cursor this server gave out for this sort order");
    }
    if (!jsonx_check_ok(check)) {
        files_list_params_done(&p);
        return SEAU_E_VALIDATION;
    }
    if (brc) {
        files_list_params_done(&p);
        return brc;
    }
    *ret = p;
    return 0;
}

/* ===================================== grant filter ================================ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int files_visible_level(const struct auth_subject *who, const char *bucket, const char *prefix,
                        const char *delimiter, bool *ret_full, char ***ret_folders,
                        size_t *ret_n)
{
    if (!sees_bucket(who, bucket))
        return SEAU_E_NOT_FOUND;
    if (auth_grants_cover(who, bucket, prefix)) {
        *ret_full = true;
        *ret_folders = NULL;
        *ret_n = 0;
        return 0;
    }
    /* The folders leading to grants below the prefix: O(grants²), grants are few. */
    size_t plen = strlen(prefix), dlen = strlen(delimiter);
    char **folders = calloc(who->ngrants + 1, sizeof(*folders));
    if (!folders)
        return SEAU_E_NOMEM;
    size_t n = 0;
    bool below = false;
    for (size_t i = 0; i < who->ngrants; i++) {
        const struct db_grant *g = &who->grants[i];
        if (strcmp(g->bucket, bucket) != 0 || strncmp(g->prefix, prefix, plen) != 0)
            continue;
        below = true;
        const char *rest = g->prefix + plen;
        const char *d = strstr(rest, delimiter);
        /* A grant ending inside this level's name ("team-a" without a '/') leads to no
         * folder of its own: it is reached by naming its prefix. */
        if (!d)
            continue;
        size_t flen = plen + (size_t)(d - rest) + dlen;
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++)
            dup = strlen(folders[k]) == flen && strncmp(folders[k], g->prefix, flen) == 0;
        if (dup)
            continue;
        struct slice s = {g->prefix, flen};
        folders[n] = slice_dup(s);
        if (!folders[n]) {
            for (size_t k = 0; k < n; k++)
                free(folders[k]);
            free(folders);
            return SEAU_E_NOMEM;
        }
        n++;
    }
    if (!below) {
        free(folders);
        return SEAU_E_NOT_FOUND;
    }
    qsort(folders, n, sizeof(*folders), cmp_str);
    *ret_full = false;
    *ret_folders = folders;
    *ret_n = n;
    return 0;
}

/* ===================================== listings ==================================== */

static void entry_done(struct files_entry *e)
{
    free(e->key);
    free(e->etag);
    free(e->content_type);
    memset(e, 0, sizeof(*e));
}

void files_listing_done(struct files_listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        entry_done(&l->entries[i]);
    free(l->entries);
    free(l->next_cursor);
    memset(l, 0, sizeof(*l));
}

static int entry_set(struct files_entry *e, const char *key, bool folder, const struct s3_object *o)
{
    memset(e, 0, sizeof(*e));
    e->key = str_dup(key);
    e->is_folder = folder;
    if (o) {
        e->size = o->size;
        e->last_modified_ms = o->last_modified_ms;
        e->etag = str_dup(o->etag);
    }
    if (!e->key || (o && !e->etag)) {
        entry_done(e);
        return SEAU_E_NOMEM;
    }
    return 0;
}

/*
 * Walks one S3 page in name order, merging objects and common prefixes (each
 * sorted by S3; together they cover the page's range in order) and calling
 * fn on each, skipping the folder marker (key == prefix). fn returns 0 to go
 * on, 1 to stop, or an error.
 */
typedef int (*entry_fn)(void *ctx, const char *name, bool folder, const struct s3_object *o);

static int walk_page(const struct s3_object_list *l, const char *bucket, const char *prefix,
                     entry_fn fn, void *ctx)
{
    size_t i = 0, j = 0;
    while (i < l->object_count || j < l->common_prefix_count) {
        bool take_obj = j >= l->common_prefix_count ||
                        (i < l->object_count &&
                         strcmp(l->objects[i].key, l->common_prefixes[j]) < 0);
        int rc;
        if (take_obj) {
            const struct s3_object *o = &l->objects[i++];
            if ((*prefix && strcmp(o->key, prefix) == 0) || files_trash_hides(bucket, o->key))
                continue;
            rc = fn(ctx, o->key, false, o);
        } else {
            const char *f = l->common_prefixes[j++];
            /* The recycle bin's folder is not shown (files/recovery.h). */
            if (files_trash_hides(bucket, f))
                continue;
            rc = fn(ctx, f, true, NULL);
        }
        if (rc)
            return rc;
    }
    return 0;
}

struct collect {
    struct files_entry *entries; /* a ring of cap entries when descending */
    size_t cap, count, start;
    const char *before; /* descending: stop at names >= before (NULL: none) */
    bool dropped;       /* descending: entries fell out of the ring */
    size_t scanned;
    bool stopped;
};

static int collect_asc(void *ctx, const char *name, bool folder, const struct s3_object *o)
{
    struct collect *c = ctx;
    if (c->count == c->cap)
        return 1;
    int rc = entry_set(&c->entries[c->count], name, folder, o);
    if (rc == 0)
        c->count++;
    return rc;
}

static int collect_desc(void *ctx, const char *name, bool folder, const struct s3_object *o)
{
    struct collect *c = ctx;
    if (c->before && strcmp(name, c->before) >= 0) {
        c->stopped = true;
        return 1;
    }
    if (++c->scanned > FILES_DESC_SCAN_MAX)
        return SEAU_E_RANGE;
    size_t slot;
    if (c->count < c->cap) {
        slot = (c->start + c->count++) % c->cap;
    } else {
        slot = c->start;
        entry_done(&c->entries[slot]);
        c->start = (c->start + 1) % c->cap;
        c->dropped = true;
    }
    return entry_set(&c->entries[slot], name, folder, o);
}

static int list_full_asc(const struct files_env *env, const struct files_list_params *p,
                         struct files_listing *out, struct s3_error *ret_err)
{
    struct s3_list_params lp = {.prefix = p->prefix,
                                .delimiter = p->delimiter,
                                .continuation_token = p->token,
                                .max_keys = (int)p->limit};
    struct s3_listing it;
    s3_listing_init(&it, env->s3, p->bucket, &lp);
    it.cached = true; /* what people look at: many opening one folder cost one listing */
    const struct s3_object_list *l = NULL;
    int rc = s3_listing_next(&it, &l, ret_err);
    if (rc || !l) {
        s3_listing_done(&it);
        return rc;
    }
    struct collect c = {.entries = calloc(p->limit, sizeof(struct files_entry)), .cap = p->limit};
    rc = c.entries ? walk_page(l, p->bucket, p->prefix, collect_asc, &c) : SEAU_E_NOMEM;
    if (rc == 1)
        rc = 0;
    out->entries = c.entries;
    out->count = c.count;
    const char *next = s3_listing_next_token(&it);
    if (rc == 0 && next) {
        out->next_cursor = files_cursor_encode(FILES_SORT_NAME, next);
        if (!out->next_cursor)
            rc = SEAU_E_NOMEM;
    }
    s3_listing_done(&it); /* one page: the cursor resumes the walk */
    return rc;
}

static int list_full_desc(const struct files_env *env, const struct files_list_params *p,
                          struct jsonx_check *check, struct files_listing *out,
                          struct s3_error *ret_err)
{
    struct collect c = {.entries = calloc(p->limit, sizeof(struct files_entry)),
                        .cap = p->limit,
                        .before = p->token};
    if (!c.entries)
        return SEAU_E_NOMEM;
    struct s3_listing it;
    s3_listing_init(&it, env->s3, p->bucket,
                    &(struct s3_list_params){.prefix = p->prefix, .delimiter = p->delimiter});
    it.cached = true;
    const struct s3_object_list *l;
    int rc;
    while ((rc = s3_listing_next(&it, &l, ret_err)) == 0 && l) {
        rc = walk_page(l, p->bucket, p->prefix, collect_desc, &c);
        if (rc)
            break;
    }
    s3_listing_done(&it);
    if (rc == 1)
        rc = 0;
    if (rc == SEAU_E_RANGE) {
        jsonx_check_fail(check, "sort",
                         "-name is available for folders of up to 10000 entries until the "
                         "object index exists; use name");
        rc = SEAU_E_VALIDATION;
    }
    /* The ring, newest name first. */
    struct files_entry *sorted = rc ? NULL : calloc(c.cap, sizeof(*sorted));
    if (!rc && !sorted)
        rc = SEAU_E_NOMEM;
    if (rc) {
        for (size_t i = 0; i < c.count; i++)
            entry_done(&c.entries[(c.start + i) % c.cap]);
        free(c.entries);
        return rc;
    }
    for (size_t i = 0; i < c.count; i++)
        sorted[i] = c.entries[(c.start + c.count - 1 - i) % c.cap];
    free(c.entries);
    out->entries = sorted;
    out->count = c.count;
    if (c.dropped && c.count > 0) {
        out->next_cursor = files_cursor_encode(FILES_SORT_NAME_DESC, sorted[c.count - 1].key);
        if (!out->next_cursor)
            return SEAU_E_NOMEM; /* the caller frees *out */
    }
    return 0;
}

/* ================================ sorted by the index =============================== */

/* Where an index-sorted page starts: after a folder, or after an object. */
struct index_cursor {
    const char *folder; /* borrowed from the token; NULL: not in the folders any more */
    bool objects;       /* continue in the objects, after value/id */
    int64_t value, id;
};

static int index_cursor_parse(const char *token, const char *prefix, struct index_cursor *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!token)
        return 0;
    if (token[0] == 'f' && strncmp(token + 1, prefix, strlen(prefix)) == 0 &&
        strlen(token + 1) > strlen(prefix)) {
        ret->folder = token + 1;
        return 0;
    }
    const char *comma = token[0] == 'o' ? strchr(token, ',') : NULL;
    char num[24];
    size_t vlen = comma ? (size_t)(comma - token - 1) : 0;
    if (!comma || vlen == 0 || vlen >= sizeof(num))
        return SEAU_E_VALIDATION;
    memcpy(num, token + 1, vlen);
    num[vlen] = '\0';
    if (str_to_int64(num, INT64_MIN, INT64_MAX, &ret->value) ||
        str_to_int64(comma + 1, 1, INT64_MAX, &ret->id))
        return SEAU_E_VALIDATION;
    ret->objects = true;
    return 0;
}

static char *index_cursor_objects(enum files_sort sort, const struct db_level_row *last)
{
    int64_t v = sort == FILES_SORT_SIZE || sort == FILES_SORT_SIZE_DESC ? last->o.size
                                                                        : last->o.last_modified;
    char token[64];
    snprintf(token, sizeof(token), "o%lld,%lld", (long long)v, (long long)last->id);
    return files_cursor_encode(sort, token);
}

static char *index_cursor_folder(enum files_sort sort, const char *folder)
{
    size_t n = strlen(folder);
    char *token = malloc(n + 2);
    if (!token)
        return NULL;
    token[0] = 'f';
    memcpy(token + 1, folder, n + 1);
    char *c = files_cursor_encode(sort, token);
    free(token);
    return c;
}

static int entry_from_row(struct files_entry *e, const struct db_object *o)
{
    memset(e, 0, sizeof(*e));
    e->key = str_dup(o->key);
    e->etag = str_dup(o->etag);
    e->size = o->size;
    e->last_modified_ms = o->last_modified;
    e->uploaded_by = o->uploaded_by;
    if (*o->content_type)
        e->content_type = str_dup(o->content_type);
    if (!e->key || !e->etag || (*o->content_type && !e->content_type)) {
        entry_done(e);
        return SEAU_E_NOMEM;
    }
    return 0;
}

/*
 * One page of a level sorted by the index: the folders after the cursor
 * (ascending names), then the objects in the requested order. One more row
 * than room is read in each phase to know whether another page follows.
 */
static int list_indexed(const struct files_env *env, const struct files_list_params *p,
                        struct jsonx_check *check, struct files_listing *out)
{
    struct index_cursor cur;
    if (index_cursor_parse(p->token, p->prefix, &cur)) {
        jsonx_check_fail(check, "cursor", "is not a cursor this server gave out for this sort order");
        return SEAU_E_VALIDATION;
    }
    out->entries = calloc(p->limit, sizeof(*out->entries));
    if (!out->entries)
        return SEAU_E_NOMEM;
    int rc = 0;
    const char *last_folder = NULL;
    if (!cur.objects) {
        char **folders = NULL;
        size_t nf = 0;
        rc = db_object_folders(env->db, p->bucket, p->prefix, cur.folder, p->limit + 1, &folders,
                               &nf);
        if (rc)
            return rc;
        for (size_t i = 0; i < nf; i++) {
            if (out->count < p->limit) {
                out->entries[out->count].key = folders[i];
                out->entries[out->count].is_folder = true;
                out->count++;
            } else {
                free(folders[i]);
            }
        }
        free(folders);
        if (nf > p->limit) {
            out->next_cursor = index_cursor_folder(p->sort, out->entries[out->count - 1].key);
            return out->next_cursor ? 0 : SEAU_E_NOMEM;
        }
        if (out->count > 0)
            last_folder = out->entries[out->count - 1].key;
    }
    /* Room left on the page; with none, one row still tells whether objects follow. */
    size_t room = p->limit - out->count;
    struct db_level_query q = {
        .bucket = p->bucket,
        .prefix = p->prefix,
        .order = p->sort == FILES_SORT_SIZE || p->sort == FILES_SORT_SIZE_DESC
                     ? DB_LEVEL_BY_SIZE
                     : DB_LEVEL_BY_MODIFIED,
        .desc = p->sort == FILES_SORT_SIZE_DESC || p->sort == FILES_SORT_MODIFIED_DESC,
        .after = cur.objects,
        .after_value = cur.value,
        .after_id = cur.id,
        .limit = room + 1,
    };
    struct db_level_row *rows = NULL;
    size_t n = 0;
    rc = db_object_level(env->db, &q, &rows, &n);
    if (rc)
        return rc;
    for (size_t i = 0; rc == 0 && i < n && i < room; i++) {
        rc = entry_from_row(&out->entries[out->count], &rows[i].o);
        if (rc == 0)
            out->count++;
    }
    if (rc == 0 && n > room) {
        out->next_cursor = room ? index_cursor_objects(p->sort, &rows[room - 1])
                                : index_cursor_folder(p->sort, last_folder);
        if (!out->next_cursor)
            rc = SEAU_E_NOMEM;
    }
    free(rows);
    return rc;
}

/*
 * Keeps the folders and the objects matching the uploader and tag filters,
 * from the object index and the tag index: two store reads per object of
 * the page, O(limit).
 */
static int filter_entries(const struct files_env *env, const struct files_list_params *p,
                          struct files_listing *l)
{
    size_t kept = 0;
    int rc = 0;
    for (size_t i = 0; i < l->count; i++) {
        struct files_entry *e = &l->entries[i];
        bool keep = e->is_folder;
        if (!keep && rc == 0) {
            keep = true;
            if (p->uploaded_by) {
                struct db_object o;
                int grc = db_object_get(env->db, p->bucket, e->key, &o);
                if (grc && grc != SEAU_E_NOT_FOUND)
                    rc = grc;
                keep = grc == 0 && o.uploaded_by == p->uploaded_by;
                if (keep)
                    e->uploaded_by = o.uploaded_by;
            }
            if (keep && p->tag_name[0]) {
                struct db_tag *tags = NULL;
                size_t n = 0;
                int trc = db_tags_get(env->db, p->bucket, e->key, &tags, &n);
                if (trc)
                    rc = trc;
                bool found = false;
                for (size_t k = 0; k < n && !found; k++)
                    found = strcmp(tags[k].name, p->tag_name) == 0 &&
                            strcmp(tags[k].value, p->tag_value) == 0;
                free(tags);
                keep = found;
            }
        }
        if (keep)
            l->entries[kept++] = *e;
        else
            entry_done(e);
    }
    l->count = kept;
    return rc;
}

int files_list(const struct files_env *env, const struct files_who *who,
               const struct files_list_params *p, struct jsonx_check *check,
               struct files_listing *ret, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    bool full = false;
    char **folders = NULL;
    size_t nf = 0;
    int rc = files_visible_level(&who->subject, p->bucket, p->prefix, p->delimiter, &full,
                                 &folders, &nf);
    if (rc)
        return rc;
    struct files_listing out;
    memset(&out, 0, sizeof(out));
    if (!full) {
        /* Made from the grants: one page, the folders moved into the entries. */
        out.entries = calloc(nf ? nf : 1, sizeof(*out.entries));
        if (!out.entries)
            rc = SEAU_E_NOMEM;
        for (size_t i = 0; i < nf; i++) {
            size_t k = p->sort == FILES_SORT_NAME_DESC ? nf - 1 - i : i;
            if (out.entries) {
                out.entries[i].key = folders[k];
                out.entries[i].is_folder = true;
                out.count++;
            } else {
                free(folders[k]);
            }
        }
        free(folders);
    } else if (files_sort_indexed(p->sort)) {
        rc = list_indexed(env, p, check, &out);
    } else if (p->sort == FILES_SORT_NAME_DESC) {
        rc = list_full_desc(env, p, check, &out, ret_err);
    } else {
        rc = list_full_asc(env, p, &out, ret_err);
    }
    if (rc == 0 && (p->uploaded_by || p->tag_name[0]))
        rc = filter_entries(env, p, &out);
    if (rc) {
        files_listing_done(&out);
        return rc;
    }
    *ret = out;
    return 0;
}

/* ===================================== one object ================================== */

void files_object_done(struct files_object *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->meta_count; i++) {
        free(o->meta[i].name);
        free(o->meta[i].value);
    }
    free(o->meta);
    for (size_t i = 0; i < o->version_count; i++) {
        free(o->versions[i].version_id);
        free(o->versions[i].etag);
    }
    free(o->versions);
    memset(o, 0, sizeof(*o));
}

/* Appends the versions of exactly key, walking ListObjectVersions pages from the key on. */
static int load_versions(const struct files_env *env, const char *bucket, const char *key,
                         struct files_object *o, struct s3_error *ret_err)
{
    o->versions = calloc(FILES_VERSIONS_MAX, sizeof(*o->versions));
    if (!o->versions)
        return SEAU_E_NOMEM;
    char *key_marker = NULL, *vid_marker = NULL;
    int rc = 0;
    bool done = false;
    while (!done && rc == 0) {
        struct s3_list_versions_params lp = {
            .prefix = key, .key_marker = key_marker, .version_id_marker = vid_marker};
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        rc = s3_list_object_versions(env->s3, bucket, &lp, &a, ret_err);
        if (rc)
            break;
        const struct s3_version_list *l = &a.versions;
        /* Keys come in order: once past key, no more of its versions follow. */
        for (size_t i = 0; i < l->version_count && !done && rc == 0; i++) {
            const struct s3_object_version *v = &l->versions[i];
            int c = strcmp(v->key, key);
            if (c > 0 || o->version_count == FILES_VERSIONS_MAX)
                done = true;
            if (c != 0 || done)
                continue;
            struct files_version *fv = &o->versions[o->version_count];
            fv->version_id = str_dup(v->version_id);
            fv->etag = str_dup(v->etag);
            fv->is_latest = v->is_latest;
            fv->delete_marker = v->is_delete_marker;
            fv->size = v->size;
            fv->last_modified_ms = v->last_modified_ms;
            o->version_count++;
            if (!fv->version_id || !fv->etag)
                rc = SEAU_E_NOMEM;
        }
        free(key_marker);
        free(vid_marker);
        key_marker = vid_marker = NULL;
        if (rc == 0 && !done && l->is_truncated && *l->next_key_marker) {
            key_marker = str_dup(l->next_key_marker);
            vid_marker = str_dup(l->next_version_id_marker);
            if (!key_marker || !vid_marker)
                rc = SEAU_E_NOMEM;
        } else {
            done = true;
        }
        s3_xml_answer_done(&a);
    }
    free(key_marker);
    free(vid_marker);
    return rc;
}

int files_object_get(const struct files_env *env, const struct files_who *who,
                     const char *bucket, const char *key, struct files_object *ret,
                     struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct auth_resource res = {.bucket = bucket, .key = key};
    int rc = auth_can(&who->subject, AUTH_OBJECT_READ, &res);
    if (rc == 0 && files_trash_hides(bucket, key))
        rc = SEAU_E_NOT_FOUND;
    if (rc)
        return rc;
    struct files_object o;
    memset(&o, 0, sizeof(o));
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    rc = s3_head_object_cached(env->s3, bucket, key, &h, ret_err);
    if (rc)
        return rc;
    o.size = h.content_length;
    o.last_modified_ms = h.last_modified_ms;
    memcpy(o.etag, h.etag, sizeof(o.etag) < sizeof(h.etag) ? sizeof(o.etag) : sizeof(h.etag));
    o.etag[sizeof(o.etag) - 1] = '\0';
    memcpy(o.content_type, h.content_type, sizeof(o.content_type));
    o.content_type[sizeof(o.content_type) - 1] = '\0';
    if (h.meta_count) {
        o.meta = calloc(h.meta_count, sizeof(*o.meta));
        if (!o.meta)
            rc = SEAU_E_NOMEM;
        for (size_t i = 0; rc == 0 && i < h.meta_count; i++) {
            o.meta[i].name = str_dup(h.meta[i].name);
            o.meta[i].value = str_dup(h.meta[i].value);
            o.meta_count++;
            if (!o.meta[i].name || !o.meta[i].value)
                rc = SEAU_E_NOMEM;
        }
    }
    s3_object_head_done(&h);
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    /* A store that cannot tell its versioning state (s3rver answers an empty
     * document) has no versions to show: the object is answered without them. */
    if (rc == 0 && s3_get_bucket_versioning(env->s3, bucket, &a, NULL) == 0) {
        o.versioned = a.versioning.status != S3_VERSIONING_OFF;
        s3_xml_answer_done(&a);
        if (o.versioned)
            rc = load_versions(env, bucket, key, &o, ret_err);
    }
    if (rc) {
        files_object_done(&o);
        return rc;
    }
    *ret = o;
    return 0;
}
