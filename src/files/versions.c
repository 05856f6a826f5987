/* Versions: list, restore, delete one, turn versioning on (files/recovery.h). */
#include "files/recovery.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "files/index.h"
#include "s3/client.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Audit entries of the actions that write a version, looked up for its uploader. */
static bool writes_version(const char *action)
{
    return strcmp(action, "object.upload") == 0 || strcmp(action, "version.restore") == 0 ||
           strcmp(action, "object.metadata") == 0 || strcmp(action, "object.copy") == 0;
}

/*
 * Who wrote the version of key made at lm (S3's Last-Modified, whole
 * seconds): the successful audit entry of a write of that key closest after
 * it, within two minutes. O(entries of the bucket in that window), bounded.
 */
static int64_t audit_uploader(struct db *db, const char *bucket, const char *key, int64_t lm)
{
    struct db_audit_filter f = {
        .bucket = bucket, .since = lm - 1000, .until = lm + 120000, .limit = 200};
    struct db_audit_entry *e = NULL;
    size_t n = 0;
    if (db_audit_list(db, &f, &e, &n) != 0)
        return 0;
    int64_t who = 0, best = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!e[i].key || strcmp(e[i].key, key) != 0 || !e[i].status ||
            strcmp(e[i].status, "success") != 0 || !e[i].action || !writes_version(e[i].action))
            continue;
        if (e[i].time < best && e[i].user_id > 0) {
            best = e[i].time;
            who = e[i].user_id;
        }
    }
    db_audit_entries_free(e, n);
    return who;
}

void files_version_page_done(struct files_version_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->entries[i].version_id);
        free(p->entries[i].etag);
    }
    free(p->entries);
    free(p->next_cursor);
    memset(p, 0, sizeof(*p));
}

static char *cursor_encode(const char *vid)
{
    size_t n = strlen(vid) + 1;
    char *raw = malloc(n + 1);
    if (!raw)
        return NULL;
    raw[0] = 'v';
    memcpy(raw + 1, vid, n);
    size_t outlen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(outlen);
    if (out)
        sodium_bin2base64(out, outlen, (const unsigned char *)raw, n,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(raw);
    return out;
}

static int cursor_decode(const char *c, char **ret)
{
    size_t cl = strlen(c), len = 0;
    if (cl == 0 || cl > 4096)
        return SEAU_E_VALIDATION;
    char *raw = malloc(cl + 1);
    if (!raw)
        return SEAU_E_NOMEM;
    int rc = SEAU_E_VALIDATION;
    if (sodium_base642bin((unsigned char *)raw, cl, c, cl, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
        len >= 2 && raw[0] == 'v' && !memchr(raw, '\0', len) &&
        !str_has_control(raw + 1, len - 1)) {
        raw[len] = '\0';
        *ret = str_dup(raw + 1);
        rc = *ret ? 0 : SEAU_E_NOMEM;
    }
    free(raw);
    return rc;
}

int files_versions_list(const struct files_env *env, const struct files_who *who,
                        const char *bucket, const char *key, const char *cursor, size_t limit,
                        struct files_version_page *ret, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    if (limit == 0 || limit > FILES_VERSIONS_PAGE_MAX)
        return SEAU_E_VALIDATION;
    struct auth_resource res = {.bucket = bucket, .key = key};
    int rc = auth_can(&who->subject, AUTH_OBJECT_READ, &res);
    if (rc)
        return rc;
    if (files_trash_hides(bucket, key))
        return SEAU_E_NOT_FOUND;
    char *vid_marker = NULL;
    if (cursor && (rc = cursor_decode(cursor, &vid_marker)))
        return rc;
    struct files_version_page out;
    memset(&out, 0, sizeof(out));
    out.entries = calloc(limit, sizeof(*out.entries));
    if (!out.entries) {
        free(vid_marker);
        return SEAU_E_NOMEM;
    }
    char *key_marker = vid_marker ? str_dup(key) : NULL;
    bool done = false, more = false;
    while (rc == 0 && !done) {
        struct s3_list_versions_params lp = {.prefix = key,
                                             .key_marker = key_marker,
                                             .version_id_marker = vid_marker,
                                             .max_keys =
                                                 (int)(limit + 1 > 1000 ? 1000 : limit + 1)};
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        rc = s3_list_object_versions(env->s3, bucket, &lp, &a, ret_err);
        if (rc)
            break;
        const struct s3_version_list *l = &a.versions;
        for (size_t i = 0; rc == 0 && i < l->version_count && !done; i++) {
            const struct s3_object_version *v = &l->versions[i];
            int c = strcmp(v->key, key);
            if (c > 0)
                done = true;
            if (c != 0 || done)
                continue;
            if (out.n == limit) {
                more = true;
                done = true;
                continue;
            }
            struct files_version_entry *e = &out.entries[out.n++];
            e->version_id = str_dup(v->version_id);
            e->etag = str_dup(v->etag);
            e->is_latest = v->is_latest;
            e->is_delete_marker = v->is_delete_marker;
            e->size = v->size;
            e->last_modified_ms = v->last_modified_ms;
            if (!e->version_id || !e->etag)
                rc = SEAU_E_NOMEM;
        }
        free(key_marker);
        free(vid_marker);
        key_marker = vid_marker = NULL;
        if (rc == 0 && !done && l->is_truncated && *l->next_key_marker &&
            strcmp(l->next_key_marker, key) <= 0) {
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
    if (rc == 0 && more && out.n > 0) {
        out.next_cursor = cursor_encode(out.entries[out.n - 1].version_id);
        if (!out.next_cursor)
            rc = SEAU_E_NOMEM;
    }
    /* Uploaders: the index knows the current object's; the audit log the others'. */
    struct db_object idx;
    bool have_idx = rc == 0 && db_object_get(env->db, bucket, key, &idx) == 0;
    for (size_t i = 0; rc == 0 && i < out.n; i++) {
        struct files_version_entry *e = &out.entries[i];
        if (e->is_delete_marker)
            continue;
        if (e->is_latest && have_idx && idx.uploaded_by && strcmp(idx.etag, e->etag) == 0)
            e->uploaded_by = idx.uploaded_by;
        else
            e->uploaded_by = audit_uploader(env->db, bucket, key, e->last_modified_ms);
    }
    if (rc) {
        files_version_page_done(&out);
        return rc;
    }
    *ret = out;
    return 0;
}

/* The rights of an overwrite: a `user` only on objects it uploaded (the index says). */
int files__may_overwrite(const struct files_env *env, const struct files_who *who,
                         const char *bucket, const char *key, int64_t *ret_owner)
{
    struct auth_resource res = {.bucket = bucket, .key = key};
    int rc = auth_can(&who->subject, AUTH_OBJECT_WRITE, &res);
    if (rc)
        return rc;
    if (files_trash_hides(bucket, key))
        return SEAU_E_NOT_FOUND;
    struct db_object o;
    rc = db_object_get(env->db, bucket, key, &o);
    if (rc && rc != SEAU_E_NOT_FOUND)
        return rc;
    res.owner_id = rc == 0 ? o.uploaded_by : 0;
    if (ret_owner)
        *ret_owner = res.owner_id;
    return auth_can(&who->subject, AUTH_OBJECT_DELETE, &res);
}

/* One audit entry; details (taken) may be NULL. */
void files__audit(const struct files_env *env, const struct audit_actor *actor, const char *action,
                  const char *bucket, const char *key, int rc, json_t *details)
{
    if (rc && details)
        json_object_set_new(details, "error", json_string(err_api_code(rc)));
    char *text = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    struct db_audit_entry e;
    audit_entry_init(&e, actor, action, rc ? "failure" : "success", text, time_now_ms());
    e.bucket = (char *)bucket;
    e.key = (char *)key;
    (void)db_audit_append(env->db, &e);
    free(text);
}

/* Fills w from a HEAD of bucket/key (the latest). */
static int head_written(const struct files_env *env, const char *bucket, const char *key,
                        struct files_written *w, struct s3_error *ret_err)
{
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    int rc = s3_head_object(env->s3, bucket, key, NULL, &h, ret_err);
    if (rc == 0) {
        w->size = h.content_length;
        w->last_modified_ms = h.last_modified_ms;
        snprintf(w->etag, sizeof(w->etag), "%s", h.etag);
        snprintf(w->content_type, sizeof(w->content_type), "%s", h.content_type);
        snprintf(w->version_id, sizeof(w->version_id), "%s", h.version_id);
    }
    s3_object_head_done(&h);
    return rc;
}

/* Whether version_id of key is a delete marker (one ListObjectVersions page from the key). */
static bool is_delete_marker(const struct files_env *env, const char *bucket, const char *key,
                             const char *version_id)
{
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    if (s3_list_object_versions(env->s3, bucket,
                                &(struct s3_list_versions_params){.prefix = key, .max_keys = 1000},
                                &a, NULL) != 0)
        return false;
    bool marker = false;
    for (size_t i = 0; i < a.versions.version_count; i++) {
        const struct s3_object_version *v = &a.versions.versions[i];
        if (strcmp(v->key, key) == 0 && strcmp(v->version_id, version_id) == 0)
            marker = v->is_delete_marker;
    }
    s3_xml_answer_done(&a);
    return marker;
}

int files_version_restore_audited(const struct files_env *env, const struct files_who *who,
                                  const struct audit_actor *actor, const char *bucket,
                                  const char *key, const char *version_id,
                                  struct files_written *ret, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    int64_t owner = 0;
    int rc = files__may_overwrite(env, who, bucket, key, &owner);
    if (rc == SEAU_E_NOT_FOUND)
        return rc; /* hidden: no audit entry says it exists */
    struct files_written w;
    memset(&w, 0, sizeof(w));
    if (rc == 0) {
        /* The version must exist and hold bytes: a delete marker answers HEAD with 405. */
        struct s3_object_head h;
        memset(&h, 0, sizeof(h));
        int hrc = s3_head_object(env->s3, bucket, key,
                                 &(struct s3_get_options){.version_id = version_id}, &h, ret_err);
        if (hrc == 0 && h.delete_marker)
            hrc = SEAU_E_VALIDATION;
        else if (hrc && ret_err && ret_err->http_status == 405)
            hrc = SEAU_E_VALIDATION;
        else if (hrc && ret_err && ret_err->http_status == 400)
            hrc = SEAU_E_NOT_FOUND; /* an id S3 cannot read is no version of this key */
        else if (hrc == SEAU_E_NOT_FOUND && is_delete_marker(env, bucket, key, version_id))
            hrc = SEAU_E_VALIDATION; /* RGW answers a marker's HEAD with 404 */
        s3_object_head_done(&h);
        rc = hrc;
    }
    if (rc == 0)
        rc = s3_copy(env->s3, bucket, key, bucket, key,
                     &(struct s3_copy_options){.source_version_id = version_id}, 0, NULL, ret_err);
    if (rc == 0)
        rc = head_written(env, bucket, key, &w, ret_err);
    if (rc == 0) {
        /* Ownership never moves by overwriting: the uploader the index knew stays. */
        w.uploaded_by = owner ? owner : who->subject.user_id;
        (void)files_index_record(env->db, bucket, key, w.size, w.etag, w.last_modified_ms,
                                 w.content_type, w.uploaded_by, time_now_ms());
    }
    files__audit(env, actor, "version.restore", bucket, key, rc,
                 json_pack("{s:s, s:s}", "versionId", version_id, "newVersionId", w.version_id));
    if (rc)
        return rc;
    events_publish(env->events, &(struct event){.type = EVENTS_UPLOAD,
                                                .bucket = bucket,
                                                .key = key,
                                                .size = w.size,
                                                .etag = w.etag,
                                                .actor = actor->email,
                                                .actor_id = actor->user_id,
                                                .message = NULL});
    *ret = w;
    return 0;
}

int files_version_delete_audited(const struct files_env *env, const struct files_who *who,
                                 const struct audit_actor *actor, const char *bucket,
                                 const char *key, const char *version_id, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct auth_resource res = {.bucket = bucket, .key = key};
    int rc = auth_can(&who->subject, AUTH_OBJECT_DELETE, &res);
    if (rc == 0 && who->subject.role != AUTH_ROLE_ADMIN)
        rc = SEAU_E_FORBIDDEN;
    if (rc == SEAU_E_NOT_FOUND)
        return rc;
    if (rc == 0)
        rc = s3_delete_object(env->s3, bucket, key, version_id, NULL, ret_err);
    if (rc == 0) {
        /* The key's latest version may have changed: the index follows S3. */
        struct files_written w;
        memset(&w, 0, sizeof(w));
        struct db_object o;
        int64_t owner = db_object_get(env->db, bucket, key, &o) == 0 ? o.uploaded_by : 0;
        if (head_written(env, bucket, key, &w, NULL) == 0)
            (void)files_index_record(env->db, bucket, key, w.size, w.etag, w.last_modified_ms,
                                     w.content_type, owner, time_now_ms());
        else
            (void)files_index_forget(env->db, bucket, key);
    }
    files__audit(env, actor, "version.delete", bucket, key, rc,
                 json_pack("{s:s}", "versionId", version_id));
    if (rc == 0)
        events_publish(env->events, &(struct event){.type = EVENTS_DELETE,
                                                    .bucket = bucket,
                                                    .key = key,
                                                    .size = EVENTS_SIZE_UNKNOWN,
                                                    .actor = actor->email,
                                                    .actor_id = actor->user_id});
    return rc;
}

int files_versioning_set_audited(const struct files_env *env, const struct files_who *who,
                                 const struct audit_actor *actor, const char *bucket, bool enabled,
                                 int noncurrent_days, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    if (who->subject.role != AUTH_ROLE_ADMIN)
        return SEAU_E_FORBIDDEN;
    int rc = 0;
    if (noncurrent_days > 0) {
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        int lrc = s3_get_bucket_lifecycle(env->s3, bucket, &a, &e);
        if (lrc == 0) {
            for (size_t i = 0; i < a.lifecycle.count; i++)
                if (strcmp(a.lifecycle.rules[i].id, FILES_LIFECYCLE_RULE_ID) != 0)
                    rc = SEAU_E_CONFLICT;
            s3_xml_answer_done(&a);
        } else if (lrc != SEAU_E_NOT_FOUND) {
            rc = lrc;
            if (ret_err)
                *ret_err = e;
        }
    }
    if (rc == 0)
        rc = s3_put_bucket_versioning(env->s3, bucket, enabled, ret_err);
    if (rc == 0 && noncurrent_days > 0)
        rc = s3_put_bucket_lifecycle_noncurrent(env->s3, bucket, FILES_LIFECYCLE_RULE_ID,
                                                noncurrent_days, ret_err);
    json_t *d = json_pack("{s:b}", "enabled", enabled);
    if (d && noncurrent_days > 0)
        json_object_set_new(d, "noncurrentDays", json_integer(noncurrent_days));
    files__audit(env, actor, "bucket.versioning", bucket, NULL, rc, d);
    return rc;
}
