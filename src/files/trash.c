/* The recycle bin (files/recovery.h). */
#include "files/recovery.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "files/index.h"
#include "s3/client.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ================================= trash prefixes ================================= */

static const struct cfg_trash *trash_cfg;
static size_t trash_n;

void files_trash_configure(const struct cfg_trash *t, size_t n)
{
    trash_cfg = t;
    trash_n = n;
}

const struct cfg_trash *files_trash_of(const char *bucket)
{
    for (size_t i = 0; bucket && i < trash_n; i++)
        if (strcmp(trash_cfg[i].bucket, bucket) == 0)
            return &trash_cfg[i];
    return NULL;
}

bool files_trash_hides(const char *bucket, const char *key)
{
    const struct cfg_trash *t = files_trash_of(bucket);
    if (!t || !key)
        return false;
    size_t pl = strlen(t->prefix);
    /* The prefix itself, anything under it, and its folder without the slash. */
    return strncmp(key, t->prefix, pl) == 0 ||
           (strlen(key) == pl - 1 && strncmp(key, t->prefix, pl - 1) == 0);
}

int files_may_write(const struct auth_subject *subject, enum auth_action action,
                    const char *bucket, const char *key)
{
    struct auth_resource res = {.bucket = bucket, .key = key};
    int rc = auth_can(subject, action, &res);
    if (rc == 0 && files_trash_hides(bucket, key))
        rc = SEAU_E_FORBIDDEN;
    return rc;
}

const char *files_recoverable(const char *bucket, const char *versioning)
{
    if (files_trash_of(bucket))
        return "trash";
    if (versioning && strcmp(versioning, "enabled") == 0)
        return "versions";
    return NULL;
}

/* ===================================== pages ====================================== */

void files_trash_page_done(struct files_trash_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].key);
        free(p->items[i].deleted_by_email);
        free(p->items[i].restore_id);
    }
    free(p->items);
    free(p->next_cursor);
    memset(p, 0, sizeof(*p));
}

void files_trash_outcome_done(struct files_trash_outcome *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->ndone; i++)
        free(o->done[i]);
    free(o->done);
    for (size_t i = 0; i < o->nerrors; i++) {
        free(o->errors[i].key);
        free(o->errors[i].message);
    }
    free(o->errors);
    memset(o, 0, sizeof(*o));
}

static int outcome_done_add(struct files_trash_outcome *o, const char *key)
{
    char **p = realloc(o->done, (o->ndone + 1) * sizeof(*p));
    if (!p)
        return SEAU_E_NOMEM;
    o->done = p;
    if (!(p[o->ndone] = str_dup(key)))
        return SEAU_E_NOMEM;
    o->ndone++;
    return 0;
}

static int outcome_error_add(struct files_trash_outcome *o, const char *key, int err)
{
    struct files_trash_failure *p = realloc(o->errors, (o->nerrors + 1) * sizeof(*p));
    if (!p)
        return SEAU_E_NOMEM;
    o->errors = p;
    p[o->nerrors].key = str_dup(key);
    p[o->nerrors].code = err_api_code(err);
    p[o->nerrors].message = str_dup(err_message(err));
    if (!p[o->nerrors].key || !p[o->nerrors].message) {
        free(p[o->nerrors].key);
        free(p[o->nerrors].message);
        return SEAU_E_NOMEM;
    }
    o->nerrors++;
    return 0;
}

/* Cursors: base64url of 't' and a row id, or 'm' and a key marker NUL version marker. */
static char *cursor_make(char kind, const char *a, const char *b)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0, n = 1 + la + (b ? 1 + lb : 0);
    char *raw = malloc(n);
    if (!raw)
        return NULL;
    raw[0] = kind;
    memcpy(raw + 1, a, la);
    if (b) {
        raw[1 + la] = '\0';
        memcpy(raw + 2 + la, b, lb);
    }
    size_t outlen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(outlen);
    if (out)
        sodium_bin2base64(out, outlen, (const unsigned char *)raw, n,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(raw);
    return out;
}

/* Decodes into *ret_raw (new, NUL-terminated, may hold an inner NUL); *ret_len its bytes. */
static int cursor_read(const char *c, char kind, char **ret_raw, size_t *ret_len)
{
    size_t cl = strlen(c), len = 0;
    if (cl == 0 || cl > 4096)
        return SEAU_E_VALIDATION;
    char *raw = malloc(cl + 1);
    if (!raw)
        return SEAU_E_NOMEM;
    if (sodium_base642bin((unsigned char *)raw, cl, c, cl, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len < 2 || raw[0] != kind) {
        free(raw);
        return SEAU_E_VALIDATION;
    }
    raw[len] = '\0';
    *ret_raw = raw;
    *ret_len = len;
    return 0;
}

/* ===================================== listing ==================================== */

static int item_set(struct files_trash_item *it, const char *key, int64_t size, int64_t at,
                    int64_t by, const char *email, const char *restore_id)
{
    memset(it, 0, sizeof(*it));
    it->key = str_dup(key);
    it->size = size;
    it->deleted_at = at;
    it->deleted_by = by;
    it->deleted_by_email = email && *email ? str_dup(email) : NULL;
    it->restore_id = str_dup(restore_id);
    if (!it->key || !it->restore_id || (email && *email && !it->deleted_by_email))
        return SEAU_E_NOMEM;
    return 0;
}

/* The moved objects of a trash-prefix bucket, from the store. */
static int list_moved(const struct files_env *env, const struct files_who *who, const char *bucket,
                      const char *prefix, const char *cursor, size_t limit,
                      struct files_trash_page *out)
{
    int64_t after = 0;
    if (cursor) {
        char *raw = NULL;
        size_t len = 0;
        int rc = cursor_read(cursor, 't', &raw, &len);
        if (rc)
            return rc;
        rc = str_to_int64(raw + 1, 1, INT64_MAX, &after) ? SEAU_E_VALIDATION : 0;
        free(raw);
        if (rc)
            return rc;
    }
    out->items = calloc(limit, sizeof(*out->items));
    if (!out->items)
        return SEAU_E_NOMEM;
    int rc = 0;
    bool more = false;
    /* Rows outside the caller's grants are skipped: read on until the page is full. */
    while (rc == 0 && out->n < limit && !more) {
        struct db_trash_filter f = {
            .bucket = bucket,
            .prefix = prefix,
            .deleted_by = who->subject.role == AUTH_ROLE_USER ? who->subject.user_id : 0,
            .after_id = after,
            .limit = limit + 1};
        struct db_trash *rows = NULL;
        size_t n = 0;
        rc = db_trash_list(env->db, &f, &rows, &n);
        if (rc)
            break;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            after = rows[i].id;
            if (!auth_grants_cover(&who->subject, bucket, rows[i].key))
                continue;
            if (out->n == limit) {
                more = true;
                break;
            }
            char id[24];
            snprintf(id, sizeof(id), "%lld", (long long)rows[i].id);
            rc = item_set(&out->items[out->n++], rows[i].key, rows[i].size, rows[i].deleted_at,
                          rows[i].deleted_by, rows[i].deleted_by_email, id);
        }
        free(rows);
        if (n <= limit && !more)
            break;
    }
    if (rc == 0 && more && out->n > 0) {
        /* Resume after the last row shown (its id is its restore id). */
        char id[24];
        snprintf(id, sizeof(id), "%s", out->items[out->n - 1].restore_id);
        out->next_cursor = cursor_make('t', id, NULL);
        if (!out->next_cursor)
            rc = SEAU_E_NOMEM;
    }
    return rc;
}

/* The keys whose latest version is a delete marker, walking ListObjectVersions. */
static int list_markers(const struct files_env *env, const struct files_who *who,
                        const char *bucket, const char *prefix, const char *cursor, size_t limit,
                        struct files_trash_page *out, struct s3_error *ret_err)
{
    char *key_marker = NULL, *vid_marker = NULL;
    if (cursor) {
        char *raw = NULL;
        size_t len = 0;
        int rc = cursor_read(cursor, 'm', &raw, &len);
        if (rc)
            return rc;
        size_t kl = strnlen(raw + 1, len - 1);
        key_marker = str_dup(raw + 1);
        vid_marker = 1 + kl < len ? str_dup(raw + 2 + kl) : str_dup("");
        free(raw);
        if (!key_marker || !vid_marker) {
            free(key_marker);
            free(vid_marker);
            return SEAU_E_NOMEM;
        }
    }
    out->items = calloc(limit, sizeof(*out->items));
    if (!out->items) {
        free(key_marker);
        free(vid_marker);
        return SEAU_E_NOMEM;
    }
    int rc = 0;
    bool done = false;
    int pages = 0;
    while (rc == 0 && !done) {
        struct s3_list_versions_params lp = {.prefix = prefix,
                                             .key_marker = key_marker,
                                             .version_id_marker =
                                                 vid_marker && *vid_marker ? vid_marker : NULL,
                                             .max_keys = 1000};
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        rc = s3_list_object_versions(env->s3, bucket, &lp, &a, ret_err);
        if (rc)
            break;
        const struct s3_version_list *l = &a.versions;
        for (size_t i = 0; rc == 0 && i < l->version_count && !done; i++) {
            const struct s3_object_version *v = &l->versions[i];
            if (!v->is_delete_marker || !v->is_latest || files_trash_hides(bucket, v->key) ||
                !auth_grants_cover(&who->subject, bucket, v->key))
                continue;
            struct db_trash row;
            bool known = db_trash_find_marker(env->db, bucket, v->version_id, &row) == 0;
            if (who->subject.role == AUTH_ROLE_USER &&
                (!known || row.deleted_by != who->subject.user_id))
                continue;
            if (out->n == limit) {
                /* The next page starts at this key: the marker before it in S3's order. */
                done = true;
                out->next_cursor = out->n ? cursor_make('m', out->items[out->n - 1].key,
                                                        out->items[out->n - 1].restore_id)
                                          : NULL;
                if (!out->next_cursor)
                    rc = SEAU_E_NOMEM;
                break;
            }
            /* The size of what was deleted: the version right below the marker, when listed. */
            int64_t size = 0;
            if (i + 1 < l->version_count && strcmp(l->versions[i + 1].key, v->key) == 0)
                size = l->versions[i + 1].size;
            rc = item_set(&out->items[out->n++], v->key, size,
                          known ? row.deleted_at : v->last_modified_ms, known ? row.deleted_by : 0,
                          known ? row.deleted_by_email : NULL, v->version_id);
        }
        free(key_marker);
        free(vid_marker);
        key_marker = vid_marker = NULL;
        /* At most 50 pages (50,000 versions) a request: the rest on the next one. */
        if (rc == 0 && !done && l->is_truncated && *l->next_key_marker && ++pages < 50) {
            key_marker = str_dup(l->next_key_marker);
            vid_marker = str_dup(l->next_version_id_marker);
            if (!key_marker || !vid_marker)
                rc = SEAU_E_NOMEM;
        } else if (rc == 0 && !done && l->is_truncated && *l->next_key_marker) {
            out->next_cursor = cursor_make('m', l->next_key_marker, l->next_version_id_marker);
            if (!out->next_cursor)
                rc = SEAU_E_NOMEM;
            done = true;
        } else {
            done = true;
        }
        s3_xml_answer_done(&a);
    }
    free(key_marker);
    free(vid_marker);
    return rc;
}

int files_trash_list(const struct files_env *env, const struct files_who *who, const char *bucket,
                     const char *prefix, const char *cursor, size_t limit,
                     struct files_trash_page *ret, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    if (limit == 0 || limit > FILES_TRASH_PAGE_MAX)
        return SEAU_E_VALIDATION;
    const char *p = prefix ? prefix : "";
    /* The caller must see the folder (or something below it). */
    struct auth_resource res = {.bucket = bucket, .key = p};
    int rc = auth_can(&who->subject, AUTH_OBJECT_READ, &res);
    if (rc == SEAU_E_NOT_FOUND && *p == '\0')
        rc = 0; /* the bucket's root: grants below it filter each item */
    bool visible = who->subject.role == AUTH_ROLE_ADMIN;
    for (size_t i = 0; !visible && i < who->subject.ngrants; i++)
        visible = strcmp(who->subject.grants[i].bucket, bucket) == 0;
    if (!visible)
        return SEAU_E_NOT_FOUND;
    if (rc)
        return rc;
    struct files_trash_page out;
    memset(&out, 0, sizeof(out));
    if (files_trash_of(bucket))
        rc = list_moved(env, who, bucket, p, cursor, limit, &out);
    else
        rc = list_markers(env, who, bucket, p, cursor, limit, &out, ret_err);
    if (rc) {
        files_trash_page_done(&out);
        return rc;
    }
    *ret = out;
    return 0;
}

/* ================================ moving and recording =============================== */

/* The uploader the index knows for bucket/key; 0 when unknown. */
static int64_t uploader_of(const struct files_env *env, const char *bucket, const char *key)
{
    struct db_object o;
    return db_object_get(env->db, bucket, key, &o) == 0 ? o.uploaded_by : 0;
}

int files_trash_move(const struct files_env *env, const struct files_who *who, const char *bucket,
                     const char *key, struct s3_error *ret_err)
{
    const struct cfg_trash *t = files_trash_of(bucket);
    if (!t)
        return SEAU_E_INTERNAL;
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    int rc = s3_head_object(env->s3, bucket, key, NULL, &h, ret_err);
    int64_t size = h.content_length;
    s3_object_head_done(&h);
    if (rc == SEAU_E_NOT_FOUND)
        return 0; /* deleting what does not exist succeeds, as in S3 */
    if (rc)
        return rc;
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof(rnd));
    char hex[33];
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    struct db_trash row;
    memset(&row, 0, sizeof(row));
    snprintf(row.bucket, sizeof(row.bucket), "%s", bucket);
    snprintf(row.key, sizeof(row.key), "%s", key);
    snprintf(row.trash_key, sizeof(row.trash_key), "%s%s", t->prefix, hex);
    row.size = size;
    row.deleted_by = who->subject.user_id;
    row.deleted_at = time_now_ms();
    row.uploaded_by = uploader_of(env, bucket, key);
    rc = s3_copy(env->s3, bucket, key, bucket, row.trash_key, NULL, 0, NULL, ret_err);
    if (rc == 0)
        rc = db_trash_insert(env->db, &row, NULL);
    if (rc == 0) {
        rc = s3_delete_object(env->s3, bucket, key, NULL, NULL, ret_err);
        if (rc)
            (void)db_trash_delete(env->db, row.id, NULL);
    }
    if (rc)
        (void)s3_delete_object(env->s3, bucket, row.trash_key, NULL, NULL, NULL);
    return rc;
}

void files_trash_record_marker(const struct files_env *env, const struct files_who *who,
                               const char *bucket, const char *key, const char *version_id)
{
    if (!version_id || !*version_id || strlen(version_id) > DB_VERSION_ID_MAX)
        return;
    struct db_trash row;
    memset(&row, 0, sizeof(row));
    snprintf(row.bucket, sizeof(row.bucket), "%s", bucket);
    snprintf(row.key, sizeof(row.key), "%s", key);
    snprintf(row.version_id, sizeof(row.version_id), "%s", version_id);
    row.deleted_by = who->subject.user_id;
    row.deleted_at = time_now_ms();
    /* Called before the delete service forgets the key's index row. */
    row.uploaded_by = uploader_of(env, bucket, key);
    /* The record of who deleted is a convenience: S3 keeps the marker either way. */
    (void)db_trash_insert(env->db, &row, NULL);
}

/* ================================ restore and purge ================================ */

/* Whether the caller may act on a marker row: a `user` only on its own deletes. */
static int may_touch(const struct files_who *who, const char *bucket, const char *key, bool known,
                     int64_t deleted_by, bool purge)
{
    struct auth_resource res = {.bucket = bucket, .key = key};
    int rc = auth_can(&who->subject, purge ? AUTH_OBJECT_DELETE : AUTH_OBJECT_WRITE, &res);
    if (rc)
        return rc;
    if (purge && who->subject.role == AUTH_ROLE_USER)
        return SEAU_E_FORBIDDEN;
    if (who->subject.role == AUTH_ROLE_USER && (!known || deleted_by != who->subject.user_id))
        return SEAU_E_NOT_FOUND; /* others' deletes are not shown to it */
    return 0;
}

/* Deletes every version of exactly key (a versioned purge). */
static int purge_versions(const struct files_env *env, const char *bucket, const char *key)
{
    int rc = 0;
    for (int round = 0; rc == 0 && round < 100; round++) {
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        rc = s3_list_object_versions(
            env->s3, bucket, &(struct s3_list_versions_params){.prefix = key, .max_keys = 1000}, &a,
            NULL);
        if (rc)
            break;
        struct s3_object_id ids[1000];
        size_t n = 0;
        for (size_t i = 0; i < a.versions.version_count && n < 1000; i++)
            if (strcmp(a.versions.versions[i].key, key) == 0)
                ids[n++] = (struct s3_object_id){.key = key,
                                                 .version_id = a.versions.versions[i].version_id};
        if (n > 0) {
            struct s3_xml_answer d;
            memset(&d, 0, sizeof(d));
            rc = s3_delete_objects(env->s3, bucket, ids, n, true, &d, NULL);
            if (rc == 0 && d.deleted.error_count > 0)
                rc = SEAU_E_UNAVAILABLE;
            s3_xml_answer_done(&d);
        }
        bool again = n > 0 && a.versions.is_truncated;
        s3_xml_answer_done(&a);
        if (!again)
            break;
    }
    return rc;
}

/* Restores or purges one item; the per-item outcome goes into out. */
static int act_one(const struct files_env *env, const struct files_who *who, const char *bucket,
                   const char *key, const char *restore_id, bool purge,
                   struct files_trash_outcome *out)
{
    int rc;
    if (files_trash_of(bucket)) {
        int64_t id = 0;
        struct db_trash row;
        rc = str_to_int64(restore_id, 1, INT64_MAX, &id) ? SEAU_E_NOT_FOUND : 0;
        if (rc == 0)
            rc = db_trash_get(env->db, id, &row);
        if (rc == 0 &&
            (strcmp(row.bucket, bucket) != 0 || strcmp(row.key, key) != 0 || !row.trash_key[0]))
            rc = SEAU_E_NOT_FOUND;
        if (rc == 0)
            rc = may_touch(who, bucket, key, true, row.deleted_by, purge);
        if (rc == 0 && !purge) {
            /* Never over a file that took the name since: that would lose it. */
            struct s3_object_head h;
            memset(&h, 0, sizeof(h));
            int hrc = s3_head_object(env->s3, bucket, key, NULL, &h, NULL);
            s3_object_head_done(&h);
            if (hrc == 0)
                rc = SEAU_E_CONFLICT;
            else if (hrc != SEAU_E_NOT_FOUND)
                rc = hrc;
            if (rc == 0)
                rc = s3_copy(env->s3, bucket, row.trash_key, bucket, key, NULL, 0, NULL, NULL);
            if (rc == 0) {
                struct s3_object_head w;
                memset(&w, 0, sizeof(w));
                if (s3_head_object(env->s3, bucket, key, NULL, &w, NULL) == 0)
                    (void)files_index_record(env->db, bucket, key, w.content_length, w.etag,
                                             w.last_modified_ms, w.content_type, row.uploaded_by,
                                             time_now_ms());
                s3_object_head_done(&w);
            }
        }
        if (rc == 0)
            rc = s3_delete_object(env->s3, bucket, row.trash_key, NULL, NULL, NULL);
        if (rc == 0)
            (void)db_trash_delete(env->db, row.id, NULL);
    } else {
        struct db_trash row;
        bool known = db_trash_find_marker(env->db, bucket, restore_id, &row) == 0 &&
                     strcmp(row.key, key) == 0;
        rc = may_touch(who, bucket, key, known, known ? row.deleted_by : 0, purge);
        if (rc == 0 && purge) {
            rc = purge_versions(env, bucket, key);
            if (rc == 0)
                (void)files_index_forget(env->db, bucket, key);
        } else if (rc == 0) {
            /* Only a marker that is still the latest version: HEAD must say it is deleted. */
            struct s3_object_head h;
            memset(&h, 0, sizeof(h));
            int hrc = s3_head_object(env->s3, bucket, key, NULL, &h, NULL);
            s3_object_head_done(&h);
            if (hrc == 0)
                rc = SEAU_E_CONFLICT;
            else if (hrc != SEAU_E_NOT_FOUND)
                rc = hrc;
            struct s3_delete_info info;
            memset(&info, 0, sizeof(info));
            if (rc == 0)
                rc = s3_delete_object(env->s3, bucket, key, restore_id, &info, NULL);
            if (rc == 0 && !info.delete_marker)
                rc = SEAU_E_VALIDATION; /* it was no delete marker: a version went, wrongly named */
            if (rc == 0) {
                struct s3_object_head w;
                memset(&w, 0, sizeof(w));
                if (s3_head_object(env->s3, bucket, key, NULL, &w, NULL) == 0)
                    (void)files_index_record(env->db, bucket, key, w.content_length, w.etag,
                                             w.last_modified_ms, w.content_type,
                                             known ? row.uploaded_by : 0, time_now_ms());
                s3_object_head_done(&w);
            }
        }
        if (rc == 0 && known)
            (void)db_trash_delete(env->db, row.id, NULL);
    }
    if (rc == SEAU_E_NOMEM)
        return rc;
    return rc ? outcome_error_add(out, key, rc) : outcome_done_add(out, key);
}

static json_t *outcome_details(const struct files_trash_outcome *o)
{
    json_t *keys = json_array();
    for (size_t i = 0; keys && i < o->ndone && i < 100; i++)
        json_array_append_new(keys, json_string(o->done[i]));
    return json_pack("{s:I, s:o, s:I}", "count", (json_int_t)o->ndone, "keys",
                     keys ? keys : json_array(), "errors", (json_int_t)o->nerrors);
}

/* Every item listed for the caller under prefix (up to FILES_TRASH_ITEMS_MAX). */
static int act_listed(const struct files_env *env, const struct files_who *who, const char *bucket,
                      const char *prefix, bool purge, struct files_trash_outcome *out)
{
    struct files_trash_page pg;
    memset(&pg, 0, sizeof(pg));
    int rc = files_trash_list(env, who, bucket, prefix, NULL, FILES_TRASH_ITEMS_MAX, &pg, NULL);
    for (size_t i = 0; rc == 0 && i < pg.n; i++)
        rc = act_one(env, who, bucket, pg.items[i].key, pg.items[i].restore_id, purge, out);
    files_trash_page_done(&pg);
    return rc;
}

static int act_audited(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const char *bucket,
                       const struct files_trash_ref *items, size_t n, const char *prefix, bool all,
                       bool purge, struct files_trash_outcome *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    if (purge && who->subject.role == AUTH_ROLE_USER)
        return SEAU_E_FORBIDDEN;
    int rc = 0;
    if (items) {
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = act_one(env, who, bucket, items[i].key, items[i].restore_id, purge, ret);
    } else if (prefix || all) {
        rc = act_listed(env, who, bucket, prefix, purge, ret);
    }
    if (rc)
        return rc;
    files__audit(env, actor, purge ? "trash.purge" : "trash.restore", bucket,
                 ret->ndone ? ret->done[0] : (items && n ? items[0].key : prefix),
                 ret->nerrors && !ret->ndone ? SEAU_E_VALIDATION : 0, outcome_details(ret));
    for (size_t i = 0; i < ret->ndone; i++)
        events_publish(env->events, &(struct event){.type = purge ? EVENTS_DELETE : EVENTS_UPLOAD,
                                                    .bucket = bucket,
                                                    .key = ret->done[i],
                                                    .size = EVENTS_SIZE_UNKNOWN,
                                                    .actor = actor->email,
                                                    .actor_id = actor->user_id});
    return 0;
}

int files_trash_restore_audited(const struct files_env *env, const struct files_who *who,
                                const struct audit_actor *actor, const char *bucket,
                                const struct files_trash_ref *items, size_t n, const char *prefix,
                                struct files_trash_outcome *ret)
{
    return act_audited(env, who, actor, bucket, items, n, prefix, false, false, ret);
}

int files_trash_purge_audited(const struct files_env *env, const struct files_who *who,
                              const struct audit_actor *actor, const char *bucket,
                              const struct files_trash_ref *items, size_t n, bool all,
                              struct files_trash_outcome *ret)
{
    return act_audited(env, who, actor, bucket, items, n, NULL, all, true, ret);
}

/* ===================================== expiry ===================================== */

int files_trash_expire(const struct files_env *env, int64_t now, int64_t *ret_n)
{
    int64_t total = 0;
    int rc = 0;
    for (size_t b = 0; rc == 0 && env->s3 && b < trash_n; b++) {
        const struct cfg_trash *t = &trash_cfg[b];
        struct db_trash_filter f = {
            .bucket = t->bucket, .before_time = now - t->retention_ms, .limit = 1000};
        struct db_trash *rows = NULL;
        size_t n = 0;
        rc = db_trash_list(env->db, &f, &rows, &n);
        if (rc)
            break;
        int64_t purged = 0;
        for (size_t i = 0; i < n; i++) {
            int drc = s3_delete_object(env->s3, t->bucket, rows[i].trash_key, NULL, NULL, NULL);
            if (drc == 0 && db_trash_delete(env->db, rows[i].id, NULL) == 0)
                purged++;
        }
        free(rows);
        if (purged) {
            struct audit_actor system = {.user_id = 0, .email = NULL};
            files__audit(env, &system, "trash.expire", t->bucket, NULL, 0,
                         json_pack("{s:I, s:I}", "count", (json_int_t)purged, "retentionMs",
                                   (json_int_t)t->retention_ms));
        }
        total += purged;
    }
    if (rc == 0 && ret_n)
        *ret_n = total;
    return rc;
}

struct files_trash_janitor {
    struct files_env env;
    int64_t interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stopping;
};

static void *janitor_main(void *arg)
{
    struct files_trash_janitor *j = arg;
    pthread_mutex_lock(&j->lock);
    while (!atomic_load(&j->stopping)) {
        pthread_mutex_unlock(&j->lock);
        (void)files_trash_expire(&j->env, time_now_ms(), NULL);
        pthread_mutex_lock(&j->lock);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += j->interval_ms / 1000;
        until.tv_nsec += (j->interval_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        while (!atomic_load(&j->stopping) &&
               pthread_cond_timedwait(&j->wake, &j->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

int files_trash_janitor_start(const struct files_env *env, struct files_trash_janitor **ret)
{
    if (trash_n == 0) {
        *ret = NULL;
        return 0;
    }
    struct files_trash_janitor *j = calloc(1, sizeof(*j));
    if (!j)
        return SEAU_E_NOMEM;
    j->env = *env;
    j->interval_ms = 60000;
    for (size_t i = 0; i < trash_n; i++)
        if (trash_cfg[i].retention_ms / 10 < j->interval_ms)
            j->interval_ms = trash_cfg[i].retention_ms / 10;
    if (j->interval_ms < 1000)
        j->interval_ms = 1000;
    atomic_init(&j->stopping, false);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&j->lock, NULL);
    if (pthread_create(&j->thread, NULL, janitor_main, j) != 0) {
        pthread_cond_destroy(&j->wake);
        pthread_mutex_destroy(&j->lock);
        free(j);
        return SEAU_E_INTERNAL;
    }
    *ret = j;
    return 0;
}

void files_trash_janitor_stop(struct files_trash_janitor *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    atomic_store(&j->stopping, true);
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    pthread_cond_destroy(&j->wake);
    pthread_mutex_destroy(&j->lock);
    free(j);
}
