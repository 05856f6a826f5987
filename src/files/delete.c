/* The delete service; see delete.h. */
#include "files/delete.h"

#include "core/err.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "files/index.h"
#include "files/recovery.h"
#include "s3/client.h"
#include "s3/listing.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The uploader the index knows for bucket/key; 0 when unknown. Only a user's delete needs it. */
static int owner_of(const struct files_env *env, const struct files_who *who, const char *bucket,
                    const char *key, int64_t *ret)
{
    *ret = 0;
    if (who->subject.role != AUTH_ROLE_USER)
        return 0;
    struct db_object o;
    int rc = db_object_get(env->db, bucket, key, &o);
    if (rc == SEAU_E_NOT_FOUND)
        return 0;
    if (rc)
        return rc;
    *ret = o.uploaded_by;
    return 0;
}

/* auth_can for deleting bucket/key, with the owner looked up. */
static int may_delete(const struct files_env *env, const struct files_who *who,
                      const char *bucket, const char *key)
{
    /* Grants first: a hidden key costs no store lookup and says nothing more. */
    struct auth_resource res = {.bucket = bucket, .key = key};
    int rc = auth_can(&who->subject, AUTH_OBJECT_DELETE, &res);
    if (rc == 0 && files_trash_hides(bucket, key))
        return SEAU_E_NOT_FOUND; /* the recycle bin is purged through its own API */
    if (rc != SEAU_E_FORBIDDEN)
        return rc;
    rc = owner_of(env, who, bucket, key, &res.owner_id);
    if (rc)
        return rc;
    return auth_can(&who->subject, AUTH_OBJECT_DELETE, &res);
}

int files_delete_one(const struct files_env *env, const struct files_who *who,
                     const char *bucket, const char *key, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    int rc = may_delete(env, who, bucket, key);
    if (rc)
        return rc;
    /* With a trash prefix the object moves there; in a versioned bucket S3 leaves a
     * delete marker, whose maker the recycle bin records. */
    if (files_trash_of(bucket)) {
        rc = files_trash_move(env, who, bucket, key, ret_err);
    } else {
        struct s3_delete_info info;
        memset(&info, 0, sizeof(info));
        rc = s3_delete_object(env->s3, bucket, key, NULL, &info, ret_err);
        if (rc == 0 && info.delete_marker)
            files_trash_record_marker(env, who, bucket, key, info.version_id);
    }
    if (rc)
        return rc;
    /* The index is a cache of S3: a failure here is healed by the next sync. */
    (void)files_index_forget(env->db, bucket, key);
    return 0;
}

void files_delete_outcome_done(struct files_delete_outcome *o)
{
    for (size_t i = 0; i < o->ndeleted; i++)
        free(o->deleted[i]);
    free(o->deleted);
    for (size_t i = 0; i < o->nerrors; i++) {
        free(o->errors[i].key);
        free(o->errors[i].message);
    }
    free(o->errors);
    memset(o, 0, sizeof(*o));
}

static int add_deleted(struct files_delete_outcome *o, const char *key)
{
    if (o->ndeleted == o->deleted_cap) {
        size_t cap = o->deleted_cap ? 2 * o->deleted_cap : 64;
        char **p = realloc(o->deleted, cap * sizeof(*p));
        if (!p)
            return SEAU_E_NOMEM;
        o->deleted = p;
        o->deleted_cap = cap;
    }
    char *k = str_dup(key);
    if (!k)
        return SEAU_E_NOMEM;
    o->deleted[o->ndeleted++] = k;
    return 0;
}

static int add_error(struct files_delete_outcome *o, const char *key, const char *code,
                     const char *message)
{
    if (o->nerrors == o->errors_cap) {
        size_t cap = o->errors_cap ? 2 * o->errors_cap : 16;
        struct files_delete_failure *p = realloc(o->errors, cap * sizeof(*p));
        if (!p)
            return SEAU_E_NOMEM;
        o->errors = p;
        o->errors_cap = cap;
    }
    char *k = str_dup(key), *m = str_dup(message);
    if (!k || !m) {
        free(k);
        free(m);
        return SEAU_E_NOMEM;
    }
    o->errors[o->nerrors++] = (struct files_delete_failure){.key = k, .code = code, .message = m};
    return 0;
}

static int add_refusal(struct files_delete_outcome *o, const char *key, int err)
{
    return add_error(o, key, err_api_code(err), err_message(err));
}

/* The state of one files_delete_many call. */
struct run {
    const struct files_env *env;
    const struct files_who *who;
    const char *bucket;
    struct files_delete_outcome *out;
    char *batch[S3_MAX_DELETE_BATCH]; /* owned copies */
    size_t nbatch;
    int stopped;        /* the S3 failure that stopped the run; 0 while going */
    char why[768];      /* its description */
};

static void stop(struct run *r, int rc, const struct s3_error *e)
{
    r->stopped = rc;
    if (e && (e->http_status || e->code[0]))
        s3_error_describe(e, r->why, sizeof(r->why));
    else
        snprintf(r->why, sizeof(r->why), "%s", err_message(rc));
}

static int refuse_stopped(struct run *r, const char *key)
{
    return add_error(r->out, key, err_api_code(r->stopped), r->why);
}

static void batch_clear(struct run *r)
{
    for (size_t i = 0; i < r->nbatch; i++)
        free(r->batch[i]);
    r->nbatch = 0;
}

/* Sends the batch (DeleteObjects) and records its outcome; the batch is empty after. */
static int flush(struct run *r)
{
    if (r->nbatch == 0)
        return 0;
    int rc = 0;
    if (r->stopped) {
        for (size_t i = 0; rc == 0 && i < r->nbatch; i++)
            rc = refuse_stopped(r, r->batch[i]);
        batch_clear(r);
        return rc;
    }
    if (files_trash_of(r->bucket)) {
        /* Moved one by one: a copy under the trash prefix, then the delete. */
        for (size_t i = 0; rc == 0 && i < r->nbatch; i++) {
            struct s3_error e;
            memset(&e, 0, sizeof(e));
            int mrc = files_trash_move(r->env, r->who, r->bucket, r->batch[i], &e);
            if (mrc == 0) {
                (void)files_index_forget(r->env->db, r->bucket, r->batch[i]);
                rc = add_deleted(r->out, r->batch[i]);
            } else {
                rc = add_refusal(r->out, r->batch[i], mrc);
            }
        }
        batch_clear(r);
        return rc;
    }
    struct s3_object_id ids[S3_MAX_DELETE_BATCH];
    for (size_t i = 0; i < r->nbatch; i++)
        ids[i] = (struct s3_object_id){.key = r->batch[i], .version_id = NULL};
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int src = s3_delete_objects(r->env->s3, r->bucket, ids, r->nbatch, false, &a, &e);
    if (src) {
        stop(r, src, &e);
        for (size_t i = 0; rc == 0 && i < r->nbatch; i++)
            rc = refuse_stopped(r, r->batch[i]);
        batch_clear(r);
        return rc;
    }
    const struct s3_delete_result *d = &a.deleted;
    for (size_t i = 0; rc == 0 && i < d->deleted_count; i++) {
        /* The marker's record first: it keeps the uploader the index still knows. */
        if (d->deleted[i].delete_marker)
            files_trash_record_marker(r->env, r->who, r->bucket, d->deleted[i].key,
                                      d->deleted[i].delete_marker_version_id);
        (void)files_index_forget(r->env->db, r->bucket, d->deleted[i].key);
        rc = add_deleted(r->out, d->deleted[i].key);
    }
    for (size_t i = 0; rc == 0 && i < d->error_count; i++) {
        char msg[600];
        snprintf(msg, sizeof(msg), "S3 refused to delete it: %s %s", d->errors[i].code,
                 d->errors[i].message);
        int code = s3_error_to_err(0, d->errors[i].code);
        rc = add_error(r->out, d->errors[i].key,
                       code == SEAU_E_NOT_FOUND || code == SEAU_E_FORBIDDEN ? err_api_code(code)
                                                                           : "upstream_unavailable",
                       msg);
    }
    s3_xml_answer_done(&a);
    batch_clear(r);
    return rc;
}

/* Checks one key and queues it; flushes a full batch. */
static int consider(struct run *r, const char *key)
{
    if (r->stopped)
        return refuse_stopped(r, key);
    int rc = may_delete(r->env, r->who, r->bucket, key);
    if (rc == SEAU_E_NOT_FOUND || rc == SEAU_E_FORBIDDEN)
        return add_refusal(r->out, key, rc);
    if (rc)
        return rc;
    char *k = str_dup(key);
    if (!k)
        return SEAU_E_NOMEM;
    r->batch[r->nbatch++] = k;
    return r->nbatch == S3_MAX_DELETE_BATCH ? flush(r) : 0;
}

/* Walks a prefix and queues every object under it. */
static int expand(struct run *r, const char *prefix)
{
    if (r->stopped)
        return refuse_stopped(r, prefix);
    /* The prefix itself must be visible; a user's objects are then checked one by one. */
    struct auth_resource res = {.bucket = r->bucket, .key = prefix};
    int rc = auth_can(&r->who->subject, AUTH_OBJECT_DELETE, &res);
    if (rc == SEAU_E_NOT_FOUND)
        return add_refusal(r->out, prefix, rc);
    struct s3_listing it;
    s3_listing_init(&it, r->env->s3, r->bucket,
                    &(struct s3_list_params){.prefix = prefix, .max_keys = 1000});
    rc = 0;
    for (;;) {
        const struct s3_object_list *l;
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        int src = s3_listing_next(&it, &l, &e);
        if (src) {
            stop(r, src, &e);
            rc = refuse_stopped(r, prefix);
            break;
        }
        if (!l)
            break;
        for (size_t i = 0; rc == 0 && i < l->object_count; i++) {
            const char *key = l->objects[i].key;
            const char *why = s3name_key_problem(key);
            if (why) {
                char msg[256];
                snprintf(msg, sizeof(msg), "Seau does not handle this key: it %s.", why);
                rc = add_error(r->out, key, "validation_failed", msg);
            } else {
                rc = consider(r, key);
            }
        }
        if (rc || r->stopped)
            break;
    }
    s3_listing_done(&it);
    return rc;
}

int files_delete_many(const struct files_env *env, const struct files_who *who,
                      const char *bucket, const char *const *keys, size_t nkeys,
                      const char *const *prefixes, size_t nprefixes,
                      struct files_delete_outcome *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct run *r = calloc(1, sizeof(*r));
    if (!r)
        return SEAU_E_NOMEM;
    r->env = env;
    r->who = who;
    r->bucket = bucket;
    r->out = ret;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nkeys; i++)
        rc = consider(r, keys[i]);
    for (size_t i = 0; rc == 0 && i < nprefixes; i++)
        rc = expand(r, prefixes[i]);
    if (rc == 0)
        rc = flush(r);
    batch_clear(r);
    free(r);
    return rc;
}

/* ===================================== audited ===================================== */

/* One object.delete entry; details (taken) is a JSON object or NULL. */
static void audit_delete(const struct files_env *env, const struct audit_actor *actor,
                         const char *bucket, const char *key, bool ok, json_t *details)
{
    char *text = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "object.delete", ok ? "success" : "failure", text, time_now_ms());
    e.bucket = (char *)bucket;
    e.key = (char *)key;
    (void)db_audit_append(env->db, &e);
    free(text);
}

static void publish_delete(const struct files_env *env, const struct audit_actor *actor,
                           const char *bucket, const char *key)
{
    events_publish(env->events, &(struct event){.type = EVENTS_DELETE,
                                                .bucket = bucket,
                                                .key = key,
                                                .size = EVENTS_SIZE_UNKNOWN,
                                                .actor = actor->email,
                                                .actor_id = actor->user_id});
}

int files_delete_one_audited(const struct files_env *env, const struct files_who *who,
                             const struct audit_actor *actor, const char *bucket, const char *key,
                             struct s3_error *ret_err)
{
    int rc = files_delete_one(env, who, bucket, key, ret_err);
    json_t *d = rc ? json_pack("{s:i, s:[], s:s}", "count", 0, "keys", "error", err_api_code(rc))
                   : json_pack("{s:i, s:[s]}", "count", 1, "keys", key);
    audit_delete(env, actor, bucket, key, rc == 0, d);
    if (rc == 0)
        publish_delete(env, actor, bucket, key);
    return rc;
}

int files_delete_many_audited(const struct files_env *env, const struct files_who *who,
                              const struct audit_actor *actor, const char *bucket,
                              const char *const *keys, size_t nkeys, const char *const *prefixes,
                              size_t nprefixes, struct files_delete_outcome *ret)
{
    int rc = files_delete_many(env, who, bucket, keys, nkeys, prefixes, nprefixes, ret);
    if (rc)
        return rc;
    json_t *shown = json_array(), *px = json_array();
    for (size_t i = 0; shown && i < ret->ndeleted && i < FILES_DELETE_AUDIT_KEYS; i++)
        json_array_append_new(shown, json_string(ret->deleted[i]));
    for (size_t i = 0; px && i < nprefixes; i++)
        json_array_append_new(px, json_string(prefixes[i]));
    json_t *d = json_pack("{s:I, s:o, s:I, s:o}", "count", (json_int_t)ret->ndeleted, "keys", shown,
                          "errors", (json_int_t)ret->nerrors, "prefixes", px);
    audit_delete(env, actor, bucket, nkeys ? keys[0] : prefixes[0], ret->nerrors == 0, d);
    for (size_t i = 0; i < ret->ndeleted; i++)
        publish_delete(env, actor, bucket, ret->deleted[i]);
    return 0;
}
