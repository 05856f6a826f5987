/* Details: system metadata, tags, metadata edits (files/recovery.h). */
#include "files/recovery.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "files/index.h"
#include "s3/client.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void files_pairs_free(struct files_pair *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

static int may_read(const struct files_who *who, const char *bucket, const char *key)
{
    struct auth_resource res = {.bucket = bucket, .key = key};
    int rc = auth_can(&who->subject, AUTH_OBJECT_READ, &res);
    if (rc == 0 && files_trash_hides(bucket, key))
        rc = SEAU_E_NOT_FOUND;
    return rc;
}

int files_details_get(const struct files_env *env, const struct files_who *who, const char *bucket,
                      const char *key, struct files_details *ret, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    int rc = may_read(who, bucket, key);
    if (rc)
        return rc;
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    rc = s3_head_object(env->s3, bucket, key, NULL, &h, ret_err);
    if (rc)
        return rc;
    struct files_details d;
    memset(&d, 0, sizeof(d));
    d.size = h.content_length;
    d.last_modified_ms = h.last_modified_ms;
    snprintf(d.etag, sizeof(d.etag), "%s", h.etag);
    snprintf(d.content_type, sizeof(d.content_type), "%s", h.content_type);
    snprintf(d.storage_class, sizeof(d.storage_class), "%s",
             h.storage_class[0] ? h.storage_class : "STANDARD");
    snprintf(d.encryption, sizeof(d.encryption), "%s", h.sse);
    snprintf(d.version_id, sizeof(d.version_id), "%s", h.version_id);
    s3_object_head_done(&h);
    struct db_object o;
    if (db_object_get(env->db, bucket, key, &o) == 0)
        d.uploaded_by = o.uploaded_by;
    *ret = d;
    return 0;
}

int files_tags_get(const struct files_env *env, const struct files_who *who, const char *bucket,
                   const char *key, struct files_pair **ret, size_t *ret_n,
                   struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    int rc = may_read(who, bucket, key);
    if (rc)
        return rc;
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    rc = s3_get_object_tagging(env->s3, bucket, key, NULL, &a, ret_err);
    if (rc)
        return rc;
    size_t n = a.tagging.count;
    struct files_pair *p = calloc(n ? n : 1, sizeof(*p));
    if (!p)
        rc = SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        p[i].name = str_dup(a.tagging.tags[i].key);
        p[i].value = str_dup(a.tagging.tags[i].value);
        if (!p[i].name || !p[i].value)
            rc = SEAU_E_NOMEM;
    }
    s3_xml_answer_done(&a);
    if (rc) {
        files_pairs_free(p, n);
        return rc;
    }
    *ret = p;
    *ret_n = n;
    return 0;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

static bool text_ok(const char *s)
{
    size_t n = strlen(s);
    return str_utf8_valid(s, n) && !str_has_control(s, n);
}

int files_tags_set_audited(const struct files_env *env, const struct files_who *who,
                           const struct audit_actor *actor, const char *bucket, const char *key,
                           const struct files_pair *tags, size_t n, const char **ret_field,
                           struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    *ret_field = NULL;
    if (n > S3_MAX_TAGS) {
        *ret_field = "tags";
        return SEAU_E_VALIDATION;
    }
    for (size_t i = 0; i < n; i++) {
        const char *k = tags[i].name, *v = tags[i].value;
        if (!*k || !text_ok(k) || utf8_chars(k) > S3_MAX_TAG_KEY || !text_ok(v) ||
            utf8_chars(v) > S3_MAX_TAG_VALUE || strncmp(k, "aws:", 4) == 0) {
            *ret_field = "tags";
            return SEAU_E_VALIDATION;
        }
    }
    int rc = files__may_overwrite(env, who, bucket, key, NULL);
    if (rc == SEAU_E_NOT_FOUND)
        return rc;
    struct s3_meta m[S3_MAX_TAGS];
    struct db_tag *dt = calloc(n ? n : 1, sizeof(*dt));
    if (!dt)
        return SEAU_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        m[i] = (struct s3_meta){.name = tags[i].name, .value = tags[i].value};
        snprintf(dt[i].name, sizeof(dt[i].name), "%s", tags[i].name);
        snprintf(dt[i].value, sizeof(dt[i].value), "%s", tags[i].value);
    }
    if (rc == 0) {
        rc = s3_put_object_tagging(env->s3, bucket, key, NULL, m, n, ret_err);
        /* Ceph RGW counts a tag's bytes where AWS counts characters: its refusal is the
         * caller's input, not an outage. */
        if (rc && ret_err && strcmp(ret_err->code, "InvalidTag") == 0) {
            rc = SEAU_E_VALIDATION;
            *ret_field = "tags";
        }
    }
    json_t *names = json_array();
    for (size_t i = 0; names && i < n; i++)
        json_array_append_new(names, json_string(tags[i].name));
    json_t *d = json_pack("{s:o}", "tags", names ? names : json_array());
    if (rc == 0) {
        /* The tag index and the audit entry in one transaction. */
        char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        struct db_audit_entry e;
        audit_entry_init(&e, actor, "object.tags", "success", text, time_now_ms());
        e.bucket = (char *)bucket;
        e.key = (char *)key;
        rc = db_tags_set(env->db, bucket, key, dt, n, &e);
        free(text);
        json_decref(d);
    } else {
        files__audit(env, actor, "object.tags", bucket, key, rc, d);
    }
    free(dt);
    return rc;
}

/* S3's metadata of a HEAD answer, copied out of it. */
static int pairs_of_meta(const struct s3_meta *m, size_t n, struct files_pair **ret, size_t *ret_n)
{
    struct files_pair *p = calloc(n ? n : 1, sizeof(*p));
    if (!p)
        return SEAU_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        p[i].name = str_dup(m[i].name);
        p[i].value = str_dup(m[i].value);
        if (!p[i].name || !p[i].value) {
            files_pairs_free(p, n);
            return SEAU_E_NOMEM;
        }
    }
    *ret = p;
    *ret_n = n;
    return 0;
}

static bool meta_name_ok(const char *s)
{
    if (!*s || strlen(s) > 128)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return false;
    return true;
}

static bool meta_value_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return false; /* HTTP header values: printable ASCII, as S3 stores them */
    return true;
}

int files_metadata_set_audited(const struct files_env *env, const struct files_who *who,
                               const struct audit_actor *actor, const char *bucket, const char *key,
                               const char *content_type, const struct files_pair *meta,
                               size_t nmeta, bool replace_meta, const char **ret_field,
                               struct files_written *ret, struct files_pair **ret_meta,
                               size_t *ret_nmeta, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    *ret_field = NULL;
    size_t total = 0;
    for (size_t i = 0; replace_meta && i < nmeta; i++) {
        if (!meta_name_ok(meta[i].name) || !meta_value_ok(meta[i].value)) {
            *ret_field = "metadata";
            return SEAU_E_VALIDATION;
        }
        total += strlen(meta[i].name) + strlen(meta[i].value);
    }
    if (total > S3_MAX_META || nmeta > S3_MAX_META_COUNT) {
        *ret_field = "metadata";
        return SEAU_E_VALIDATION;
    }
    if (content_type && (!*content_type || strlen(content_type) > 255 ||
                         !meta_value_ok(content_type) || !strchr(content_type, '/'))) {
        *ret_field = "contentType";
        return SEAU_E_VALIDATION;
    }
    int64_t owner = 0;
    int rc = files__may_overwrite(env, who, bucket, key, &owner);
    if (rc == SEAU_E_NOT_FOUND)
        return rc;
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    if (rc == 0)
        rc = s3_head_object(env->s3, bucket, key, NULL, &h, ret_err);
    struct s3_meta m[S3_MAX_META_COUNT];
    size_t nm = 0;
    if (rc == 0) {
        if (replace_meta)
            for (size_t i = 0; i < nmeta; i++)
                m[nm++] = (struct s3_meta){.name = meta[i].name, .value = meta[i].value};
        else
            for (size_t i = 0; i < h.meta_count && nm < S3_MAX_META_COUNT; i++)
                m[nm++] = h.meta[i];
    }
    struct s3_put_options po = {
        .content_type = content_type ? content_type : (h.content_type[0] ? h.content_type : NULL),
        .content_disposition = h.content_disposition[0] ? h.content_disposition : NULL,
        .cache_control = h.cache_control[0] ? h.cache_control : NULL,
        .meta = m,
        .meta_count = nm};
    if (rc == 0)
        rc = s3_copy(env->s3, bucket, key, bucket, key,
                     &(struct s3_copy_options){.source_if_match = h.etag, .replace = &po}, 0, NULL,
                     ret_err);
    s3_object_head_done(&h);
    struct files_written w;
    memset(&w, 0, sizeof(w));
    struct files_pair *now = NULL;
    size_t nnow = 0;
    if (rc == 0) {
        struct s3_object_head a;
        memset(&a, 0, sizeof(a));
        rc = s3_head_object(env->s3, bucket, key, NULL, &a, ret_err);
        if (rc == 0) {
            w.size = a.content_length;
            w.last_modified_ms = a.last_modified_ms;
            snprintf(w.etag, sizeof(w.etag), "%s", a.etag);
            snprintf(w.content_type, sizeof(w.content_type), "%s", a.content_type);
            snprintf(w.version_id, sizeof(w.version_id), "%s", a.version_id);
            w.uploaded_by = owner;
            (void)files_index_record(env->db, bucket, key, w.size, w.etag, w.last_modified_ms,
                                     w.content_type, owner, time_now_ms());
            rc = pairs_of_meta(a.meta, a.meta_count, &now, &nnow);
        }
        s3_object_head_done(&a);
    }
    json_t *d = json_pack("{s:b, s:I}", "contentType", content_type != NULL, "metadata",
                          (json_int_t)(replace_meta ? nmeta : 0));
    files__audit(env, actor, "object.metadata", bucket, key, rc, d);
    if (rc) {
        files_pairs_free(now, nnow);
        return rc;
    }
    events_publish(env->events, &(struct event){.type = EVENTS_UPLOAD,
                                                .bucket = bucket,
                                                .key = key,
                                                .size = w.size,
                                                .etag = w.etag,
                                                .actor = actor->email,
                                                .actor_id = actor->user_id});
    *ret = w;
    *ret_meta = now;
    *ret_nmeta = nnow;
    return 0;
}
