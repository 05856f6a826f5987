/* Copy, move, rename and folder creation: see change.h. */
#include "files/change.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "files/index.h"
#include "files/owner.h"
#include "files/recovery.h"
#include "s3/client.h"
#include "s3/listing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===================================== outcomes ==================================== */

void files_copy_outcome_done(struct files_copy_outcome *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->ncopied; i++) {
        free(o->copied[i].from);
        free(o->copied[i].to);
    }
    free(o->copied);
    for (size_t i = 0; i < o->nerrors; i++) {
        free(o->errors[i].key);
        free(o->errors[i].message);
    }
    free(o->errors);
    for (size_t i = 0; i < o->nskipped; i++)
        free(o->skipped[i]);
    free(o->skipped);
    memset(o, 0, sizeof(*o));
}

int files_conflict_parse(const char *s, enum files_conflict *ret)
{
    static const struct {
        const char *name;
        enum files_conflict mode;
    } modes[] = {{"fail", FILES_CONFLICT_FAIL},
                 {"replace", FILES_CONFLICT_REPLACE},
                 {"keepBoth", FILES_CONFLICT_KEEP_BOTH},
                 {"skip", FILES_CONFLICT_SKIP}};
    for (size_t i = 0; s && i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(s, modes[i].name) == 0) {
            *ret = modes[i].mode;
            return 0;
        }
    }
    return SEAU_E_VALIDATION;
}

static int add_skipped(struct files_copy_outcome *o, const char *key)
{
    if (o->nskipped == o->skipped_cap) {
        size_t cap = o->skipped_cap ? 2 * o->skipped_cap : 16;
        char **p = realloc(o->skipped, cap * sizeof(*p));
        if (!p)
            return SEAU_E_NOMEM;
        o->skipped = p;
        o->skipped_cap = cap;
    }
    char *k = str_dup(key);
    if (!k)
        return SEAU_E_NOMEM;
    o->skipped[o->nskipped++] = k;
    return 0;
}

static int add_pair(struct files_copy_outcome *o, const char *from, const char *to)
{
    if (o->ncopied == o->copied_cap) {
        size_t cap = o->copied_cap ? 2 * o->copied_cap : 32;
        struct files_copy_pair *p = realloc(o->copied, cap * sizeof(*p));
        if (!p)
            return SEAU_E_NOMEM;
        o->copied = p;
        o->copied_cap = cap;
    }
    char *f = str_dup(from), *t = str_dup(to);
    if (!f || !t) {
        free(f);
        free(t);
        return SEAU_E_NOMEM;
    }
    o->copied[o->ncopied++] = (struct files_copy_pair){f, t};
    return 0;
}

static int add_failure(struct files_copy_outcome *o, const char *key, int err, const char *message)
{
    if (o->nerrors == o->errors_cap) {
        size_t cap = o->errors_cap ? 2 * o->errors_cap : 16;
        struct files_change_failure *p = realloc(o->errors, cap * sizeof(*p));
        if (!p)
            return SEAU_E_NOMEM;
        o->errors = p;
        o->errors_cap = cap;
    }
    char *k = str_dup(key), *m = str_dup(message ? message : err_message(err));
    if (!k || !m) {
        free(k);
        free(m);
        return SEAU_E_NOMEM;
    }
    o->errors[o->nerrors++] = (struct files_change_failure){
        .key = k, .code = err_api_code(err), .err = err, .message = m};
    return 0;
}

/* ===================================== helpers ===================================== */

static bool starts_with(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static bool is_folder(const char *key)
{
    size_t n = strlen(key);
    return n > 0 && key[n - 1] == '/';
}

/* The last name of a key ("b.txt" of "a/b.txt") or folder ("b/" of "a/b/"). */
static const char *name_of(const char *key)
{
    size_t n = strlen(key);
    size_t end = is_folder(key) ? n - 1 : n;
    size_t i = end;
    while (i > 0 && key[i - 1] != '/')
        i--;
    return key + i;
}

/* A new string a + b; NULL when out of memory. */
static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

/* Copies s into a field of n bytes; one too long for it is stored as unknown (""), never cut. */
static void set_field(char *out, size_t n, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len >= n)
        len = 0;
    memcpy(out, s ? s : "", len);
    out[len] = '\0';
}

/* The uploader the index knows for bucket/key, with the row; *ret_known false when none. */
static int index_row(const struct files_env *env, const char *bucket, const char *key,
                     struct db_object *ret, bool *ret_known)
{
    int rc = db_object_get(env->db, bucket, key, ret);
    *ret_known = rc == 0;
    return rc == SEAU_E_NOT_FOUND ? 0 : rc;
}

/* Part size of a part-by-part copy: the threshold, within S3's bounds and ours. */
static uint64_t copy_part_size(uint64_t threshold)
{
    if (threshold < S3_MIN_PART_SIZE)
        return S3_MIN_PART_SIZE;
    return threshold > FILES_COPY_PART_MAX ? FILES_COPY_PART_MAX : threshold;
}

/*
 * The object bucket/key as a listing shows it (its ETag and LastModified to
 * the millisecond, which HeadObject rounds to the second): what the index
 * must hold for the next sync to see the object unchanged.
 */
static int listed_one(const struct files_env *env, const char *bucket, const char *key,
                      struct db_object *ret, struct s3_error *ret_err)
{
    struct s3_list_params lp = {.prefix = key, .max_keys = 1};
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    int rc = s3_list_objects_v2(env->s3, bucket, &lp, &a, ret_err);
    if (rc)
        return rc;
    rc = SEAU_E_NOT_FOUND;
    if (a.objects.object_count > 0 && strcmp(a.objects.objects[0].key, key) == 0) {
        const struct s3_object *o = &a.objects.objects[0];
        ret->size = o->size;
        ret->last_modified = o->last_modified_ms;
        set_field(ret->etag, sizeof(ret->etag), o->etag ? o->etag : "");
        rc = 0;
    }
    s3_xml_answer_done(&a);
    return rc;
}

/*
 * Copies src_bucket/src_key to dst_bucket/dst_key: one CopyObject up to the
 * threshold, part by part above it. size < 0: unknown, asked with HeadObject
 * (which also gives the content type). On success *ret holds the new
 * object's size, ETag, LastModified and, when known, content type (ret's
 * bucket, key and content type are the caller's to set before: the content
 * type is kept when HeadObject is not asked).
 */
static int copy_object(const struct files_env *env, const char *src_bucket, const char *src_key,
                       const char *dst_bucket, const char *dst_key, int64_t size,
                       uint64_t threshold, struct db_object *ret, struct s3_error *ret_err)
{
    int rc = 0;
    if (size < 0) {
        struct s3_object_head h;
        memset(&h, 0, sizeof(h));
        rc = s3_head_object(env->s3, src_bucket, src_key, NULL, &h, ret_err);
        if (rc)
            return rc;
        size = h.content_length < 0 ? 0 : h.content_length;
        set_field(ret->content_type, sizeof(ret->content_type), h.content_type);
        s3_object_head_done(&h);
    }
    struct s3_put_result pr;
    memset(&pr, 0, sizeof(pr));
    bool parts = (uint64_t)size > threshold;
    if (parts)
        rc = s3_copy_multipart(env->s3, src_bucket, src_key, dst_bucket, dst_key, NULL,
                               copy_part_size(threshold), &pr, ret_err);
    else
        rc = s3_copy_object(env->s3, src_bucket, src_key, dst_bucket, dst_key, NULL, &pr, ret_err);
    if (rc)
        return rc;
    ret->size = size;
    set_field(ret->etag, sizeof(ret->etag), pr.etag);
    ret->last_modified = pr.last_modified_ms;
    /* CompleteMultipartUpload tells no time: ask a listing. Failing that, the
     * next sync corrects the row. */
    if ((parts || ret->last_modified <= 0) &&
        listed_one(env, dst_bucket, dst_key, ret, NULL) != 0 && ret->last_modified <= 0)
        ret->last_modified = time_now_ms();
    return 0;
}

/* auth_can for deleting bucket/key, with the owner read from the index row when known. */
static int may_delete(const struct files_who *who, const char *bucket, const char *key,
                      const struct db_object *row)
{
    struct auth_resource res = {
        .bucket = bucket, .key = key, .owner_id = row ? row->uploaded_by : 0};
    return auth_can(&who->subject, AUTH_OBJECT_DELETE, &res);
}

static int may(const struct files_who *who, enum auth_action action, const char *bucket,
               const char *key)
{
    if (action == AUTH_OBJECT_WRITE || action == AUTH_FOLDER_CREATE)
        return files_may_write(&who->subject, action, bucket, key);
    struct auth_resource res = {.bucket = bucket, .key = key};
    return auth_can(&who->subject, action, &res);
}

/* Whether a failure of one object's S3 call concerns that object only (go on) or S3 as a whole. */
static bool per_object(int rc)
{
    return rc == SEAU_E_NOT_FOUND || rc == SEAU_E_CONFLICT || rc == SEAU_E_VALIDATION ||
           rc == SEAU_E_TOO_LARGE || rc == SEAU_E_RANGE || rc == SEAU_E_FORBIDDEN;
}

static void describe(int rc, const struct s3_error *e, char *out, size_t n)
{
    if (e && (e->http_status || e->code[0]))
        s3_error_describe(e, out, n);
    else
        snprintf(out, n, "%s", err_message(rc));
}

/* ===================================== planning ==================================== */

/* One object to copy: from src to dst; size -1 when not known yet (a key source). */
struct item {
    char *src, *dst;
    int64_t size;
    int refused;       /* why it may not be copied (check_item), 0: it may */
    char *why;         /* the refusal described (owned) */
    const char *clash; /* why it is refused before any copy (plan_clashes); NULL: none */
};

struct plan {
    struct item *items;
    size_t n, cap;
};

static void plan_done(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].src);
        free(p->items[i].dst);
        free(p->items[i].why);
    }
    free(p->items);
    memset(p, 0, sizeof(*p));
}

/* Adds src → dst_base + rest; SEAU_E_RANGE past FILES_COPY_OBJECTS_MAX. */
static int plan_add(struct plan *p, const char *src, const char *dst_base, const char *rest,
                    int64_t size)
{
    if (p->n == FILES_COPY_OBJECTS_MAX)
        return SEAU_E_RANGE;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 32;
        struct item *x = realloc(p->items, cap * sizeof(*x));
        if (!x)
            return SEAU_E_NOMEM;
        p->items = x;
        p->cap = cap;
    }
    struct item it = {.src = str_dup(src), .dst = concat(dst_base, rest), .size = size};
    if (!it.src || !it.dst) {
        free(it.src);
        free(it.dst);
        return SEAU_E_NOMEM;
    }
    p->items[p->n++] = it;
    return 0;
}

/* Adds every object under prefix (a ListObjectsV2 walk), each to dst_base + the rest of its key. */
static int plan_folder(const struct files_env *env, const char *bucket, const char *prefix,
                       const char *dst_base, struct plan *p, struct s3_error *ret_err)
{
    size_t plen = strlen(prefix);
    struct s3_listing it;
    s3_listing_init(&it, env->s3, bucket,
                    &(struct s3_list_params){.prefix = prefix, .max_keys = 1000});
    const struct s3_object_list *l;
    int rc;
    while ((rc = s3_listing_next(&it, &l, ret_err)) == 0 && l) {
        for (size_t i = 0; rc == 0 && i < l->object_count; i++)
            rc = plan_add(p, l->objects[i].key, dst_base, l->objects[i].key + plen,
                          l->objects[i].size);
        if (rc)
            break;
    }
    s3_listing_done(&it);
    return rc;
}

/* Orders item pointers by one of their keys. */
static int by_src(const void *a, const void *b)
{
    return strcmp((*(struct item *const *)a)->src, (*(struct item *const *)b)->src);
}

static int by_src_then_order(const void *a, const void *b)
{
    const struct item *x = *(struct item *const *)a, *y = *(struct item *const *)b;
    int d = strcmp(x->src, y->src);
    return d ? d : (x < y ? -1 : x > y);
}

static int by_dst(const void *a, const void *b)
{
    const struct item *x = *(struct item *const *)a, *y = *(struct item *const *)b;
    int d = strcmp(x->dst, y->dst);
    /* Equal destinations keep the plan's order, so the first one wins. */
    return d ? d : (x < y ? -1 : x > y);
}

/*
 * Marks the objects whose copy would meet another of the same request: a
 * destination named twice (the second would replace the first, and for a
 * move lose its source's bytes), a destination that is another object's
 * source in the same bucket (it would be replaced before being read), and
 * for a move a source named twice (a key and its folder). Only objects not
 * already refused (check_item) take part, as a refused one is never copied.
 * The objects marked are reported as conflicts and never copied.
 * O(n log n).
 */
static int plan_clashes(struct plan *p, bool same_bucket, bool move)
{
    struct item **v = malloc((p->n ? p->n : 1) * sizeof(*v));
    struct item **w = malloc((p->n ? p->n : 1) * sizeof(*w));
    if (!v || !w) {
        free(v);
        free(w);
        return SEAU_E_NOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (!p->items[i].refused) {
            v[n] = w[n] = &p->items[i];
            n++;
        }
    }
    qsort(v, n, sizeof(*v), by_dst);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i]->dst, v[i - 1]->dst) == 0)
            v[i]->clash = "Another object of this request goes to the same new key.";
    qsort(w, n, sizeof(*w), by_src_then_order);
    for (size_t i = 1; move && i < n; i++)
        if (strcmp(w[i]->src, w[i - 1]->src) == 0 && !w[i]->clash)
            w[i]->clash = "It is named twice in this move.";
    for (size_t i = 0; same_bucket && i < n; i++) {
        struct item *it = v[i];
        struct item key = {.src = it->dst};
        struct item *k = &key;
        struct item **hit = bsearch(&k, w, n, sizeof(*w), by_src);
        if (hit && *hit != it && !it->clash)
            it->clash = "Its new key is read by another part of this request.";
    }
    free(v);
    free(w);
    return 0;
}

/* ===================================== running ===================================== */

struct pending {
    char *from, *to;
    int64_t size;
};

/* The state of one copy or move. */
struct run {
    const struct files_env *env;
    const struct files_who *who;
    const char *bucket, *dst_bucket;
    bool move;
    int64_t actor;
    uint64_t threshold;
    enum files_conflict conflict;
    struct files_copy_outcome *out;
    struct pending pending[S3_MAX_DELETE_BATCH]; /* moved: copied, source not deleted yet */
    size_t npending;
    int stopped;   /* the S3 failure that stopped the run; 0 while going */
    char why[768]; /* its description */
};

static void stop(struct run *r, int rc, const struct s3_error *e)
{
    r->stopped = rc;
    describe(rc, e, r->why, sizeof(r->why));
}

static void pending_clear(struct run *r)
{
    for (size_t i = 0; i < r->npending; i++) {
        free(r->pending[i].from);
        free(r->pending[i].to);
    }
    r->npending = 0;
}

/* Deletes the sources of the pending moves (DeleteObjects); the batch is empty after. */
static int flush_moves(struct run *r)
{
    if (r->npending == 0)
        return 0;
    struct s3_object_id ids[S3_MAX_DELETE_BATCH];
    for (size_t i = 0; i < r->npending; i++)
        ids[i] = (struct s3_object_id){.key = r->pending[i].from, .version_id = NULL};
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = 0;
    int src = s3_delete_objects(r->env->s3, r->bucket, ids, r->npending, false, &a, &e);
    if (src) {
        stop(r, src, &e);
        for (size_t i = 0; rc == 0 && i < r->npending; i++) {
            char msg[1200];
            snprintf(msg, sizeof(msg), "Copied to %s, but the source could not be removed: %s",
                     r->pending[i].to, r->why);
            rc = add_failure(r->out, r->pending[i].from, src, msg);
        }
        pending_clear(r);
        return rc;
    }
    const struct s3_delete_result *d = &a.deleted;
    for (size_t i = 0; rc == 0 && i < r->npending; i++) {
        const struct pending *m = &r->pending[i];
        const struct s3_delete_error *bad = NULL;
        for (size_t k = 0; k < d->error_count && !bad; k++)
            if (strcmp(d->errors[k].key, m->from) == 0)
                bad = &d->errors[k];
        if (bad) {
            char msg[1400];
            snprintf(msg, sizeof(msg), "Copied to %s, but S3 refused to remove the source: %s %s",
                     m->to, bad->code, bad->message);
            int code = s3_error_to_err(0, bad->code);
            rc = add_failure(r->out, m->from, per_object(code) ? code : SEAU_E_UNAVAILABLE, msg);
            continue;
        }
        /* The index is a cache of S3: a failure here is healed by the next sync. */
        (void)files_index_forget(r->env->db, r->bucket, m->from);
        rc = add_pair(r->out, m->from, m->to);
        if (rc == 0)
            r->out->bytes += m->size;
    }
    s3_xml_answer_done(&a);
    pending_clear(r);
    return rc;
}

/* Refusals of one object: checked before any S3 call for it. Returns 0, a refusal, or a fatal
 * error. */
static int check_item(struct run *r, const struct item *it, const struct db_object *row, char *msg,
                      size_t msglen)
{
    const char *why = s3name_key_problem(it->src);
    if (why) {
        snprintf(msg, msglen, "Seau does not handle this key: it %s.", why);
        return SEAU_E_VALIDATION;
    }
    if ((why = s3name_key_problem(it->dst))) {
        snprintf(msg, msglen, "Its new key would be invalid: it %s.", why);
        return SEAU_E_VALIDATION;
    }
    if (strcmp(r->bucket, r->dst_bucket) == 0 && strcmp(it->src, it->dst) == 0) {
        snprintf(msg, msglen, "It would be copied onto itself.");
        return SEAU_E_CONFLICT;
    }
    int rc = may(r->who, AUTH_OBJECT_READ, r->bucket, it->src);
    if (rc == 0 && r->move)
        rc = may_delete(r->who, r->bucket, it->src, row);
    if (rc == 0) {
        rc = may(r->who, AUTH_OBJECT_WRITE, r->dst_bucket, it->dst);
        if (rc == SEAU_E_NOT_FOUND || rc == SEAU_E_FORBIDDEN) {
            snprintf(msg, msglen, "You may not write %s in %s.", it->dst, r->dst_bucket);
            return rc;
        }
    }
    if (rc)
        snprintf(msg, msglen, "%s", err_message(rc));
    return rc;
}

/*
 * The destination of one object as the conflict mode and the ownership
 * rule decide: 0 to copy to it->dst (maybe renumbered), *ret_skip when it
 * is left out, or a refusal described in msg (SEAU_E_CONFLICT,
 * SEAU_E_FORBIDDEN) or S3's failure (*e).
 */
static int settle_dst(struct run *r, struct item *it, bool *ret_skip, char *msg, size_t msglen,
                      struct s3_error *e)
{
    *ret_skip = false;
    bool user = r->who->subject.role == AUTH_ROLE_USER;
    if (r->conflict == FILES_CONFLICT_REPLACE && !user)
        return 0; /* nothing to ask: the copy replaces whatever is there */
    bool exists = false;
    int rc = user ? files_owner_check(r->env->s3, r->env->db, r->dst_bucket, it->dst,
                                      r->who->subject.user_id, &exists, e)
                  : files_key_exists(r->env->s3, r->dst_bucket, it->dst, &exists, e);
    if (rc == SEAU_E_FORBIDDEN && r->conflict == FILES_CONFLICT_REPLACE) {
        snprintf(msg, msglen, "%s belongs to someone else; it was not replaced.", it->dst);
        return rc;
    }
    if (rc && rc != SEAU_E_FORBIDDEN)
        return rc;
    if (!exists || r->conflict == FILES_CONFLICT_REPLACE)
        return 0;
    switch (r->conflict) {
    case FILES_CONFLICT_SKIP:
        *ret_skip = true;
        return 0;
    case FILES_CONFLICT_KEEP_BOTH: {
        char *name = malloc(DB_KEY_MAX + 1);
        if (!name)
            return SEAU_E_NOMEM;
        rc = files_name_free(r->env->s3, r->dst_bucket, it->dst, name, DB_KEY_MAX + 1, e);
        if (rc == 0) {
            free(it->dst);
            it->dst = name;
            return 0;
        }
        free(name);
        if (rc == SEAU_E_CONFLICT || rc == SEAU_E_VALIDATION) {
            snprintf(msg, msglen, "No free name was found next to %s.", it->dst);
            return SEAU_E_CONFLICT;
        }
        return rc;
    }
    default:
        snprintf(msg, msglen, "%s already exists.", it->dst);
        return SEAU_E_CONFLICT;
    }
}

/* Copies one planned object, records it, and queues or reports it. */
static int do_item(struct run *r, struct item *it)
{
    if (r->stopped)
        return add_failure(r->out, it->src, r->stopped, r->why);
    if (it->refused)
        return add_failure(r->out, it->src, it->refused, it->why);
    if (it->clash)
        return add_failure(r->out, it->src, SEAU_E_CONFLICT, it->clash);
    struct db_object row;
    bool known = false;
    int rc = index_row(r->env, r->bucket, it->src, &row, &known);
    if (rc)
        return rc;
    char msg[1200];

    bool skip = false;
    struct s3_error se;
    memset(&se, 0, sizeof(se));
    rc = settle_dst(r, it, &skip, msg, sizeof(msg), &se);
    if (rc == SEAU_E_NOMEM)
        return rc;
    if (rc == SEAU_E_CONFLICT || rc == SEAU_E_FORBIDDEN)
        return add_failure(r->out, it->src, rc, msg);
    if (rc) {
        describe(rc, &se, msg, sizeof(msg));
        if (per_object(rc))
            return add_failure(r->out, it->src, rc, msg);
        stop(r, rc, &se);
        return add_failure(r->out, it->src, rc, r->why);
    }
    if (skip)
        return add_skipped(r->out, it->src);

    struct db_object made;
    memset(&made, 0, sizeof(made));
    /* A listed source's type comes from the index; a key source's from HeadObject. */
    if (known)
        memcpy(made.content_type, row.content_type, sizeof(made.content_type));
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    rc = copy_object(r->env, r->bucket, it->src, r->dst_bucket, it->dst, it->size, r->threshold,
                     &made, &e);
    if (rc == SEAU_E_NOMEM)
        return rc;
    if (rc) {
        describe(rc, &e, msg, sizeof(msg));
        if (per_object(rc))
            return add_failure(r->out, it->src, rc, msg);
        stop(r, rc, &e);
        return add_failure(r->out, it->src, rc, r->why);
    }
    /* A moved object stays its uploader's; a copy is the actor's. */
    int64_t owner = r->move && known && row.uploaded_by ? row.uploaded_by : r->actor;
    (void)files_index_record(r->env->db, r->dst_bucket, it->dst, made.size, made.etag,
                             made.last_modified, made.content_type, owner, time_now_ms());
    if (!r->move) {
        rc = add_pair(r->out, it->src, it->dst);
        if (rc == 0)
            r->out->bytes += made.size;
        return rc;
    }
    struct pending *m = &r->pending[r->npending];
    m->from = str_dup(it->src);
    m->to = str_dup(it->dst);
    m->size = made.size;
    r->npending++;
    if (!m->from || !m->to)
        return SEAU_E_NOMEM;
    return r->npending == S3_MAX_DELETE_BATCH ? flush_moves(r) : 0;
}

/* Records in the item whether it may be copied (check_item, with its index row). */
static int precheck(struct run *r, struct item *it)
{
    struct db_object row;
    bool known = false;
    int rc = index_row(r->env, r->bucket, it->src, &row, &known);
    if (rc)
        return rc;
    char msg[1200];
    rc = check_item(r, it, known ? &row : NULL, msg, sizeof(msg));
    if (rc == SEAU_E_NOMEM || rc == SEAU_E_DB)
        return rc;
    if (rc) {
        it->why = str_dup(msg);
        if (!it->why)
            return SEAU_E_NOMEM;
        it->refused = rc;
    }
    return 0;
}

static int run_plan(const struct files_env *env, const struct files_who *who, const char *bucket,
                    const char *dst_bucket, bool move, int64_t actor, uint64_t threshold,
                    enum files_conflict conflict, struct plan *p, struct files_copy_outcome *out)
{
    struct run *r = calloc(1, sizeof(*r));
    if (!r)
        return SEAU_E_NOMEM;
    *r = (struct run){.env = env,
                      .who = who,
                      .bucket = bucket,
                      .dst_bucket = dst_bucket,
                      .move = move,
                      .actor = actor,
                      .threshold = threshold,
                      .conflict = conflict,
                      .out = out};
    /* Every refusal first, so that objects refused do not count as clashing with others. */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < p->n; i++)
        rc = precheck(r, &p->items[i]);
    if (rc == 0)
        rc = plan_clashes(p, strcmp(bucket, dst_bucket) == 0, move);
    for (size_t i = 0; rc == 0 && i < p->n; i++)
        rc = do_item(r, &p->items[i]);
    if (rc == 0)
        rc = flush_moves(r);
    pending_clear(r);
    free(r);
    return rc;
}

/* ====================================== copy ======================================= */

/* The request-level refusals of files_copy: sources onto themselves. */
static bool copy_onto_itself(const struct files_copy_request *q, struct jsonx_check *check)
{
    if (strcmp(q->bucket, q->dst_bucket) != 0)
        return false;
    for (size_t i = 0; i < q->nsources; i++) {
        const char *s = q->sources[i];
        /* The source's new name: dst_prefix + its last name. */
        size_t dl = strlen(q->dst_prefix), nl = strlen(name_of(s));
        bool same = dl + nl == strlen(s) && strncmp(s, q->dst_prefix, dl) == 0 &&
                    strcmp(s + dl, name_of(s)) == 0;
        /* A folder must not land inside itself: its walk would meet its own copies. */
        bool inside = is_folder(s) && starts_with(q->dst_prefix, s);
        if (same || inside) {
            char msg[1200];
            snprintf(msg, sizeof(msg), "would copy %s %s", s,
                     inside ? "into itself" : "onto itself");
            jsonx_check_fail(check, "destinationPrefix", msg);
            return true;
        }
    }
    return false;
}

/* True when the subject holds any grant on bucket (admins: every bucket). */
static bool sees_bucket(const struct files_who *who, const char *bucket)
{
    if (who->subject.role == AUTH_ROLE_ADMIN)
        return true;
    for (size_t i = 0; i < who->subject.ngrants; i++)
        if (strcmp(who->subject.grants[i].bucket, bucket) == 0)
            return true;
    return false;
}

int files_copy(const struct files_env *env, const struct files_who *who,
               const struct files_copy_request *q, struct jsonx_check *check,
               struct files_copy_outcome *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    /* A bucket the caller cannot see at all is not there, before anything is judged. */
    if (!sees_bucket(who, q->bucket) || !sees_bucket(who, q->dst_bucket))
        return SEAU_E_NOT_FOUND;
    if (copy_onto_itself(q, check))
        return SEAU_E_VALIDATION;
    struct plan p;
    memset(&p, 0, sizeof(p));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < q->nsources; i++) {
        const char *s = q->sources[i];
        if (!is_folder(s)) {
            rc = plan_add(&p, s, q->dst_prefix, name_of(s), -1);
            continue;
        }
        /* A folder is walked only when the caller sees all of it. */
        int vis = may(who, AUTH_OBJECT_READ, q->bucket, s);
        if (vis) {
            rc = add_failure(ret, s, vis, NULL);
            continue;
        }
        char *base = concat(q->dst_prefix, name_of(s));
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        rc = base ? plan_folder(env, q->bucket, s, base, &p, &e) : SEAU_E_NOMEM;
        free(base);
        if (rc && rc != SEAU_E_RANGE && rc != SEAU_E_NOMEM) {
            char msg[768];
            describe(rc, &e, msg, sizeof(msg));
            rc = add_failure(ret, s, rc, msg);
        }
    }
    if (rc == SEAU_E_RANGE) {
        char msg[128];
        snprintf(msg, sizeof(msg),
                 "hold more than %d objects: copy or move them in several requests",
                 FILES_COPY_OBJECTS_MAX);
        jsonx_check_fail(check, "sources", msg);
        rc = SEAU_E_VALIDATION;
    }
    if (rc == 0)
        rc = run_plan(env, who, q->bucket, q->dst_bucket, q->move, q->actor, q->multipart_threshold,
                      q->conflict, &p, ret);
    plan_done(&p);
    return rc;
}

/* ===================================== rename ====================================== */

void files_renamed_done(struct files_renamed *r)
{
    if (!r)
        return;
    files_copy_outcome_done(&r->moved);
    memset(r, 0, sizeof(*r));
}

static int rename_file(const struct files_env *env, const struct files_who *who, const char *bucket,
                       const char *key, const char *new_key, enum files_conflict conflict,
                       uint64_t threshold, struct files_renamed *ret, struct s3_error *ret_err)
{
    struct db_object row;
    bool known = false;
    int rc = may(who, AUTH_OBJECT_READ, bucket, key);
    if (rc == 0)
        rc = index_row(env, bucket, key, &row, &known);
    if (rc == 0)
        rc = may(who, AUTH_OBJECT_WRITE, bucket, new_key);
    if (rc == 0)
        rc = may_delete(who, bucket, key, known ? &row : NULL);
    if (rc)
        return rc;
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    rc = s3_head_object(env->s3, bucket, key, NULL, &h, ret_err);
    if (rc)
        return rc;
    struct db_object *o = &ret->object;
    memset(o, 0, sizeof(*o));
    set_field(o->bucket, sizeof(o->bucket), bucket);
    set_field(o->key, sizeof(o->key), new_key);
    set_field(o->content_type, sizeof(o->content_type), h.content_type);
    o->uploaded_by = known ? row.uploaded_by : 0;
    int64_t size = h.content_length < 0 ? 0 : h.content_length;
    set_field(o->etag, sizeof(o->etag), h.etag); /* replaced by the copy's */
    if (strcmp(key, new_key) == 0) {
        /* Nothing to do: the object as it is. */
        o->size = size;
        o->last_modified = h.last_modified_ms;
        set_field(o->etag, sizeof(o->etag), h.etag);
        s3_object_head_done(&h);
        return 0;
    }
    s3_object_head_done(&h);
    bool taken = false;
    rc = files_key_exists(env->s3, bucket, new_key, &taken, ret_err);
    if (rc)
        return rc;
    char *numbered = NULL;
    if (taken) {
        switch (conflict) {
        case FILES_CONFLICT_FAIL:
            return SEAU_E_CONFLICT;
        case FILES_CONFLICT_SKIP:
            /* Nothing changes: the object as it is, under its own name. */
            ret->skipped = true;
            set_field(o->key, sizeof(o->key), key);
            o->size = size;
            o->last_modified = h.last_modified_ms;
            return 0;
        case FILES_CONFLICT_REPLACE:
            rc = files_owner_may_overwrite(env, who, bucket, new_key, ret_err);
            break;
        case FILES_CONFLICT_KEEP_BOTH:
            numbered = malloc(DB_KEY_MAX + 1);
            rc = numbered ? files_name_free(env->s3, bucket, new_key, numbered, DB_KEY_MAX + 1,
                                            ret_err)
                          : SEAU_E_NOMEM;
            if (rc == SEAU_E_VALIDATION)
                rc = SEAU_E_CONFLICT;
            if (rc == 0) {
                new_key = numbered;
                set_field(o->key, sizeof(o->key), new_key);
            }
            break;
        }
        if (rc) {
            free(numbered);
            return rc;
        }
    }
    rc = copy_object(env, bucket, key, bucket, new_key, size, threshold, o, ret_err);
    if (rc) {
        free(numbered);
        return rc;
    }
    rc = s3_delete_object(env->s3, bucket, key, NULL, NULL, ret_err);
    if (rc) {
        /* Undo the copy: the rename did not happen. (An object it replaced is not brought
         * back: in a versioned bucket its version stays.) */
        if (!(taken && conflict == FILES_CONFLICT_REPLACE))
            (void)s3_delete_object(env->s3, bucket, new_key, NULL, NULL, NULL);
        free(numbered);
        return rc;
    }
    (void)files_index_forget(env->db, bucket, key);
    (void)files_index_record(env->db, bucket, new_key, o->size, o->etag, o->last_modified,
                             o->content_type, o->uploaded_by, time_now_ms());
    free(numbered);
    return 0;
}

/* Whether anything lies under prefix in bucket (one listing request). */
static int folder_taken(const struct files_env *env, const char *bucket, const char *prefix,
                        bool *ret_taken, struct s3_error *ret_err)
{
    struct s3_list_params lp = {.prefix = prefix, .max_keys = 1};
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    int rc = s3_list_objects_v2(env->s3, bucket, &lp, &a, ret_err);
    if (rc == 0)
        *ret_taken = a.objects.object_count > 0;
    s3_xml_answer_done(&a);
    return rc;
}

static int rename_folder(const struct files_env *env, const struct files_who *who,
                         const char *bucket, const char *key, const char *new_key,
                         enum files_conflict conflict, int64_t actor, uint64_t threshold,
                         struct jsonx_check *check, struct files_renamed *ret,
                         struct s3_error *ret_err)
{
    ret->folder = true;
    set_field(ret->object.bucket, sizeof(ret->object.bucket), bucket);
    set_field(ret->object.key, sizeof(ret->object.key), new_key);
    int rc = may(who, AUTH_OBJECT_READ, bucket, key);
    if (rc)
        return rc;
    if (strcmp(key, new_key) == 0)
        return 0;
    if (starts_with(new_key, key)) {
        jsonx_check_fail(check, "newKey", "would move the folder into itself");
        return SEAU_E_VALIDATION;
    }
    rc = may(who, AUTH_OBJECT_WRITE, bucket, new_key);
    if (rc)
        return rc;
    /* Anything under the new name already: a conflict, never a merge. */
    bool taken = false;
    rc = folder_taken(env, bucket, new_key, &taken, ret_err);
    if (rc)
        return rc;
    char numbered[DB_KEY_MAX + 1];
    if (taken) {
        if (conflict == FILES_CONFLICT_SKIP) {
            ret->skipped = true;
            set_field(ret->object.key, sizeof(ret->object.key), key);
            return 0;
        }
        if (conflict == FILES_CONFLICT_REPLACE) {
            jsonx_check_fail(check, "newKey",
                             "names an existing folder: folders are not merged (choose keepBoth)");
            return SEAU_E_VALIDATION;
        }
        if (conflict != FILES_CONFLICT_KEEP_BOTH)
            return SEAU_E_CONFLICT;
        for (unsigned i = 1; taken; i++) {
            if (i > FILES_NAME_TRIES || files_name_numbered(new_key, i, numbered, sizeof(numbered)))
                return SEAU_E_CONFLICT;
            if ((rc = folder_taken(env, bucket, numbered, &taken, ret_err)))
                return rc;
        }
        new_key = numbered;
        set_field(ret->object.key, sizeof(ret->object.key), new_key);
        if ((rc = may(who, AUTH_OBJECT_WRITE, bucket, new_key)))
            return rc;
    }

    struct plan p;
    memset(&p, 0, sizeof(p));
    rc = plan_folder(env, bucket, key, new_key, &p, ret_err);
    if (rc == SEAU_E_RANGE) {
        char msg[128];
        snprintf(msg, sizeof(msg), "holds more than %d objects: move them in several requests",
                 FILES_COPY_OBJECTS_MAX);
        jsonx_check_fail(check, "key", msg);
        rc = SEAU_E_VALIDATION;
    }
    if (rc == 0 && p.n == 0)
        rc = SEAU_E_NOT_FOUND;
    /* Every object must be movable before the first moves: all or nothing for the rights. */
    for (size_t i = 0; rc == 0 && i < p.n; i++) {
        const char *why = s3name_key_problem(p.items[i].dst);
        if (why) {
            char msg[1200];
            snprintf(msg, sizeof(msg), "would give %s an invalid key: it %s", p.items[i].src, why);
            jsonx_check_fail(check, "newKey", msg);
            rc = SEAU_E_VALIDATION;
            break;
        }
        struct db_object row;
        bool known = false;
        rc = index_row(env, bucket, p.items[i].src, &row, &known);
        if (rc == 0)
            rc = may_delete(who, bucket, p.items[i].src, known ? &row : NULL);
    }
    if (rc == 0) {
        rc = run_plan(env, who, bucket, bucket, true, actor, threshold, FILES_CONFLICT_REPLACE, &p,
                      &ret->moved);
        if (rc == 0 && ret->moved.nerrors > 0)
            rc = ret->moved.errors[0].err;
    }
    plan_done(&p);
    return rc;
}

int files_rename(const struct files_env *env, const struct files_who *who, const char *bucket,
                 const char *key, const char *new_key, int64_t actor, uint64_t multipart_threshold,
                 struct jsonx_check *check, struct files_renamed *ret, struct s3_error *ret_err)
{
    return files_rename_with(env, who, bucket, key, new_key, FILES_CONFLICT_FAIL, actor,
                             multipart_threshold, check, ret, ret_err);
}

int files_rename_with(const struct files_env *env, const struct files_who *who,
                      const char *bucket, const char *key, const char *new_key,
                      enum files_conflict conflict, int64_t actor, uint64_t multipart_threshold,
                      struct jsonx_check *check, struct files_renamed *ret,
                      struct s3_error *ret_err)
{
    memset(ret, 0, sizeof(*ret));
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    if (is_folder(key) != is_folder(new_key)) {
        jsonx_check_fail(check, "newKey",
                         is_folder(key) ? "must end with '/': the key names a folder"
                                        : "must not end with '/': the key names a file");
        return SEAU_E_VALIDATION;
    }
    return is_folder(key)
               ? rename_folder(env, who, bucket, key, new_key, conflict, actor, multipart_threshold,
                               check, ret, ret_err)
               : rename_file(env, who, bucket, key, new_key, conflict, multipart_threshold, ret,
                             ret_err);
}

/* ===================================== folders ===================================== */

int files_folder_create(const struct files_env *env, const struct files_who *who,
                        const char *bucket, const char *prefix, int64_t actor,
                        struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    int rc = may(who, AUTH_FOLDER_CREATE, bucket, prefix);
    if (rc)
        return rc;
    /* Taken: the marker or anything under it (one listing), or a file of the same name. */
    struct s3_list_params lp = {.prefix = prefix, .max_keys = 1};
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    rc = s3_list_objects_v2(env->s3, bucket, &lp, &a, ret_err);
    if (rc)
        return rc;
    bool taken = a.objects.object_count > 0;
    s3_xml_answer_done(&a);
    if (taken)
        return SEAU_E_CONFLICT;
    size_t n = strlen(prefix);
    char *file = n > 1 ? malloc(n) : NULL;
    if (file) {
        memcpy(file, prefix, n - 1);
        file[n - 1] = '\0';
        struct s3_object_head h;
        memset(&h, 0, sizeof(h));
        rc = s3_head_object(env->s3, bucket, file, NULL, &h, ret_err);
        s3_object_head_done(&h);
        free(file);
        if (rc == 0)
            return SEAU_E_CONFLICT;
        if (rc != SEAU_E_NOT_FOUND)
            return rc;
        if (ret_err)
            memset(ret_err, 0, sizeof(*ret_err));
    } else if (n > 1) {
        return SEAU_E_NOMEM;
    }
    struct s3_body body = s3_body_buffer("", 0);
    struct s3_put_result pr;
    memset(&pr, 0, sizeof(pr));
    rc = s3_put_object(env->s3, bucket, prefix, &body, NULL, &pr, ret_err);
    if (rc)
        return rc;
    struct db_object o;
    memset(&o, 0, sizeof(o));
    set_field(o.etag, sizeof(o.etag), pr.etag);
    /* PutObject tells no time; the listing's is what the next sync compares. */
    if (listed_one(env, bucket, prefix, &o, NULL) != 0)
        o.last_modified = time_now_ms();
    (void)files_index_record(env->db, bucket, prefix, 0, o.etag, o.last_modified, NULL, actor,
                             time_now_ms());
    return 0;
}

/* ===================================== audited ===================================== */

/* One audit entry; details (taken) is a JSON object or NULL. */
static void audit_change(const struct files_env *env, const struct audit_actor *actor,
                         const char *action, const char *bucket, const char *key, bool ok,
                         json_t *details)
{
    char *text = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    struct db_audit_entry e;
    audit_entry_init(&e, actor, action, ok ? "success" : "failure", text, time_now_ms());
    e.bucket = (char *)bucket;
    e.key = (char *)key;
    (void)db_audit_append(env->db, &e);
    free(text);
}

/* The pairs of o, at most max, as [{"from", "to"}]. */
static json_t *pairs_json(const struct files_copy_outcome *o, size_t max)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < o->ncopied && i < max; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s}", "from", o->copied[i].from, "to", o->copied[i].to));
    return a;
}

int files_copy_audited(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const struct files_copy_request *req,
                       struct jsonx_check *check, struct files_copy_outcome *ret)
{
    int rc = files_copy(env, who, req, check, ret);
    if (rc)
        return rc;
    json_t *names = json_array();
    for (size_t i = 0; names && i < req->nsources && i < FILES_CHANGE_AUDIT_KEYS; i++)
        json_array_append_new(names, json_string(req->sources[i]));
    json_t *d =
        json_pack("{s:I, s:I, s:I, s:o, s:o, s:s, s:s}", "count", (json_int_t)ret->ncopied,
                  "errors", (json_int_t)ret->nerrors, "bytes", (json_int_t)ret->bytes, "sources",
                  names, "copied", pairs_json(ret, FILES_CHANGE_AUDIT_KEYS), "destinationBucket",
                  req->dst_bucket, "destinationPrefix", req->dst_prefix);
    audit_change(env, actor, req->move ? "object.move" : "object.copy", req->bucket,
                 req->sources[0], ret->nerrors == 0, d);
    /* One notification per object copied or moved. */
    for (size_t i = 0; i < ret->ncopied; i++)
        events_publish(env->events, &(struct event){.type = req->move ? EVENTS_RENAME : EVENTS_COPY,
                                                    .bucket = req->dst_bucket,
                                                    .key = ret->copied[i].to,
                                                    .from_key = ret->copied[i].from,
                                                    .size = EVENTS_SIZE_UNKNOWN,
                                                    .actor = actor->email,
                                                    .actor_id = actor->user_id});
    return 0;
}

int files_rename_audited(const struct files_env *env, const struct files_who *who,
                         const struct audit_actor *actor, const char *bucket, const char *key,
                         const char *new_key, uint64_t multipart_threshold,
                         struct jsonx_check *check, struct files_renamed *ret,
                         struct s3_error *ret_err)
{
    return files_rename_with_audited(env, who, actor, bucket, key, new_key, FILES_CONFLICT_FAIL,
                                     multipart_threshold, check, ret, ret_err);
}

int files_rename_with_audited(const struct files_env *env, const struct files_who *who,
                              const struct audit_actor *actor, const char *bucket,
                              const char *key, const char *new_key, enum files_conflict conflict,
                              uint64_t multipart_threshold, struct jsonx_check *check,
                              struct files_renamed *ret, struct s3_error *ret_err)
{
    int rc = files_rename_with(env, who, bucket, key, new_key, conflict, actor->user_id,
                               multipart_threshold, check, ret, ret_err);
    if (rc == SEAU_E_VALIDATION && !jsonx_check_ok(check))
        return rc; /* malformed: answered as such, not recorded */
    json_t *d = json_pack("{s:s, s:I, s:I}", "newKey", new_key, "count",
                          (json_int_t)(ret->folder ? ret->moved.ncopied : rc == 0), "errors",
                          (json_int_t)ret->moved.nerrors);
    if (d && rc)
        json_object_set_new(d, "error", json_string(err_api_code(rc)));
    if (d && rc == 0 && ret->skipped)
        json_object_set_new(d, "skipped", json_true());
    if (d && rc == 0 && strcmp(ret->object.key, new_key) != 0 && !ret->skipped)
        json_object_set_new(d, "storedAs", json_string(ret->object.key));
    audit_change(env, actor, "object.rename", bucket, key, rc == 0, d);
    if (rc || ret->skipped)
        return rc;
    events_publish(env->events,
                   &(struct event){.type = EVENTS_RENAME,
                                   .bucket = bucket,
                                   .key = ret->object.key,
                                   .from_key = key,
                                   .size = ret->folder ? ret->moved.bytes : ret->object.size,
                                   .actor = actor->email,
                                   .actor_id = actor->user_id});
    return 0;
}

int files_folder_create_audited(const struct files_env *env, const struct files_who *who,
                                const struct audit_actor *actor, const char *bucket,
                                const char *prefix, struct s3_error *ret_err)
{
    int rc = files_folder_create(env, who, bucket, prefix, actor->user_id, ret_err);
    audit_change(env, actor, "folder.create", bucket, prefix, rc == 0,
                 rc ? json_pack("{s:s}", "error", err_api_code(rc)) : NULL);
    return rc;
}
