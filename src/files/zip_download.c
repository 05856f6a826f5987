/*
 * The ZIP download job (zip_download.h): planning, listing, the producer
 * thread and the audit entry. The S3 calls go through zip__s3, a table the
 * unit tests replace with an in-memory bucket.
 */
#include "files/zip_download.h"
#include "core/trace.h"

#include "core/bytepipe.h"
#include "core/err.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/recovery.h"
#include "files/transfers.h"
#include "files/zip.h"
#include "s3/listing.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===================================== S3 calls ====================================== */

/* The S3 calls of a job; tests swap the table. */
struct zip__s3_ops {
    int (*head)(struct s3_client *s3, const char *bucket, const char *key,
                struct s3_object_head *ret, struct s3_error *err);
    /* Calls each(ctx, o) for every object under prefix, in key order, until each fails. */
    int (*walk)(struct s3_client *s3, const char *bucket, const char *prefix,
                int (*each)(void *ctx, const struct s3_object *o), void *ctx,
                struct s3_error *err);
    /* GetObject into sink; if_match (may be NULL) cuts it should the object have changed. */
    int (*get)(struct s3_client *s3, const char *bucket, const char *key, const char *if_match,
               const struct s3_sink *sink, struct s3_error *err);
};

static int s3_head(struct s3_client *s3, const char *bucket, const char *key,
                   struct s3_object_head *ret, struct s3_error *err)
{
    return s3_head_object(s3, bucket, key, NULL, ret, err);
}

/* Every object under one prefix, 1000 keys a page (s3/listing.h). */
static int s3_walk(struct s3_client *s3, const char *bucket, const char *prefix,
                   int (*each)(void *ctx, const struct s3_object *o), void *ctx,
                   struct s3_error *err)
{
    struct s3_listing it;
    s3_listing_init(&it, s3, bucket, &(struct s3_list_params){.prefix = prefix, .max_keys = 1000});
    const struct s3_object_list *page;
    int rc;
    while ((rc = s3_listing_next(&it, &page, err)) == 0 && page) {
        for (size_t i = 0; rc == 0 && i < page->object_count; i++)
            rc = each(ctx, &page->objects[i]);
        if (rc)
            break;
    }
    s3_listing_done(&it);
    return rc;
}

static int s3_get(struct s3_client *s3, const char *bucket, const char *key, const char *if_match,
                  const struct s3_sink *sink, struct s3_error *err)
{
    struct s3_get_options opt = {.if_match = if_match};
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    int rc = s3_get_object(s3, bucket, key, &opt, sink, &h, err);
    s3_object_head_done(&h);
    return rc;
}

static const struct zip__s3_ops zip__s3_real = {s3_head, s3_walk, s3_get};
static const struct zip__s3_ops *zip__s3 = &zip__s3_real;

/* ===================================== the selection ================================= */

static const char *prefix_problem(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || p[n - 1] != '/')
        return "must be a folder: not empty and ending with '/'";
    return s3name_key_problem(p);
}

/* Records the first bad value of a list in check. */
static void check_list(struct jsonx_check *check, const char *field, const char *const *v, size_t n,
                       size_t seen, size_t max, const char *(*problem)(const char *))
{
    char msg[128];
    if (seen > max) {
        snprintf(msg, sizeof(msg), "must hold at most %zu entries", max);
        jsonx_check_fail(check, field, msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *why = problem(v[i]);
        if (why) {
            jsonx_check_fail(check, field, why);
            return;
        }
    }
}

void files_zip_check(const struct files_zip_selection *s, struct jsonx_check *check)
{
    check_list(check, "keys", s->keys, s->nkeys, s->keys_seen, FILES_ZIP_KEYS_MAX,
               s3name_key_problem);
    check_list(check, "prefixes", s->prefixes, s->nprefixes, s->prefixes_seen,
               FILES_ZIP_PREFIXES_MAX, prefix_problem);
    if (jsonx_check_ok(check) && s->keys_seen + s->prefixes_seen == 0)
        jsonx_check_fail(check, "keys", "name at least one key or prefix");
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Drops what another part of the selection already holds: repeated keys
 * and prefixes, prefixes inside a selected prefix, keys inside one. Keeps
 * the request's order otherwise. O(n²) over at most 1000 keys: fine.
 */
static void dedupe(struct files_zip_selection *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nprefixes; i++) {
        bool inside = false;
        for (size_t j = 0; j < s->nprefixes && !inside; j++)
            inside = j != i && starts_with(s->prefixes[i], s->prefixes[j]) &&
                     (strcmp(s->prefixes[i], s->prefixes[j]) != 0 || j < i);
        if (!inside)
            s->prefixes[n++] = s->prefixes[i];
    }
    s->nprefixes = n;
    n = 0;
    for (size_t i = 0; i < s->nkeys; i++) {
        const char *k = s->keys[i];
        bool drop = false;
        for (size_t j = 0; j < s->nprefixes && !drop; j++)
            drop = starts_with(k, s->prefixes[j]);
        for (size_t j = 0; j < n && !drop; j++) /* a repeat: its first occurrence stays */
            drop = strcmp(s->keys[j], k) == 0;
        if (!drop)
            s->keys[n++] = k;
    }
    s->nkeys = n;
}

/* The folder holding a key or a prefix, as a length of s: "a/b/c" → "a/b/", "a/b/" → "a/". */
static size_t parent_len(const char *s)
{
    size_t n = strlen(s);
    if (n && s[n - 1] == '/')
        n--;
    while (n && s[n - 1] != '/')
        n--;
    return n;
}

/* The longest folder holding every key and prefix of the selection, as a length of its first. */
static size_t common_parent(const struct files_zip_selection *s)
{
    const char *first = s->nkeys ? s->keys[0] : s->prefixes[0];
    size_t len = parent_len(first);
    for (size_t i = 0; i < s->nkeys + s->nprefixes; i++) {
        const char *x = i < s->nkeys ? s->keys[i] : s->prefixes[i - s->nkeys];
        size_t pl = parent_len(x), k = 0;
        while (k < len && k < pl && first[k] == x[k])
            k++;
        len = k;
    }
    while (len && first[len - 1] != '/')
        len--;
    return len;
}

/* The archive's file name: the folder's when one folder is zipped, else download.zip. */
static void archive_name(const struct files_zip_selection *s, char *out, size_t n)
{
    if (s->nkeys == 0 && s->nprefixes == 1) {
        const char *p = s->prefixes[0];
        size_t end = strlen(p) - 1, start = parent_len(p);
        snprintf(out, n, "%.*s.zip", (int)(end - start), p + start);
        return;
    }
    snprintf(out, n, "download.zip");
}

/* ===================================== entries ======================================= */

struct entry {
    char *key;
    char *etag; /* quoted, as S3 gave it; "" when unknown */
    int64_t size;
    int64_t mtime_ms;
};

struct plan {
    struct entry *v;
    size_t n, cap;
    size_t name_bytes;
    size_t skipped; /* objects under a prefix left out: hidden, or names Seau refuses */
};

static void plan_done(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].key);
        free(p->v[i].etag);
    }
    free(p->v);
    memset(p, 0, sizeof(*p));
}

/* Adds an entry; SEAU_E_TOO_LARGE past the limits. */
static int plan_add(struct plan *p, const char *key, const char *etag, int64_t size,
                    int64_t mtime_ms)
{
    size_t klen = strlen(key);
    if (p->n == FILES_ZIP_ENTRIES_MAX || p->name_bytes + klen > FILES_ZIP_NAME_BYTES_MAX)
        return SEAU_E_TOO_LARGE;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        struct entry *v = realloc(p->v, cap * sizeof(*v));
        if (!v)
            return SEAU_E_NOMEM;
        p->v = v;
        p->cap = cap;
    }
    struct entry *e = &p->v[p->n];
    e->key = str_dup(key);
    e->etag = str_dup(etag ? etag : "");
    if (!e->key || !e->etag) {
        free(e->key);
        free(e->etag);
        return SEAU_E_NOMEM;
    }
    e->size = size < 0 ? 0 : size;
    e->mtime_ms = mtime_ms;
    p->n++;
    p->name_bytes += klen;
    return 0;
}

/* HeadObject on each key. A missing key is 404; a key that cannot be named in a ZIP, 400. */
static int resolve_keys(const struct files_env *env, const char *bucket,
                        const struct files_zip_selection *s, size_t base, struct plan *p,
                        struct files_zip_problem *pb)
{
    for (size_t i = 0; i < s->nkeys; i++) {
        const char *why = zip_name_problem(s->keys[i] + base);
        if (why) {
            pb->field = "keys";
            snprintf(pb->why, sizeof(pb->why), "cannot be named in a ZIP: it %s", why);
            return SEAU_E_VALIDATION;
        }
        struct s3_object_head h;
        memset(&h, 0, sizeof(h));
        int rc = zip__s3->head(env->s3, bucket, s->keys[i], &h, &pb->err);
        if (rc == 0)
            rc = plan_add(p, s->keys[i], h.etag, h.content_length, h.last_modified_ms);
        s3_object_head_done(&h);
        if (rc)
            return rc;
    }
    return 0;
}

struct walk_ctx {
    const struct files_who *who;
    const char *bucket;
    size_t base;
    struct plan *p;
};

/* One listed object: into the plan when the caller may see it and ZIP can name it. */
static int walk_one(void *ctx, const struct s3_object *o)
{
    struct walk_ctx *w = ctx;
    struct auth_resource res = {.bucket = w->bucket, .key = o->key};
    /* Hidden objects and keys Seau's rules or ZIP names refuse are left out quietly. */
    if (auth_can(&w->who->subject, AUTH_OBJECT_READ, &res) != 0 ||
        files_trash_hides(w->bucket, o->key) || s3name_key_problem(o->key) ||
        zip_name_problem(o->key + w->base)) {
        w->p->skipped++;
        return 0;
    }
    return plan_add(w->p, o->key, o->etag, o->size, o->last_modified_ms);
}

/* Lists a prefix: every object the caller may see goes into the plan. 404 when none. */
static int resolve_prefix(const struct files_env *env, const struct files_who *who,
                          const char *bucket, const char *prefix, size_t base, struct plan *p,
                          struct files_zip_problem *pb)
{
    size_t before = p->n;
    struct walk_ctx w = {who, bucket, base, p};
    int rc = zip__s3->walk(env->s3, bucket, prefix, walk_one, &w, &pb->err);
    if (rc == 0 && p->n == before)
        rc = SEAU_E_NOT_FOUND;
    return rc;
}

/* The policy first: anything named that the caller may not see hides the whole request. */
static int authorize(const struct files_who *who, const char *bucket,
                     const struct files_zip_selection *s)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nkeys; i++) {
        struct auth_resource res = {.bucket = bucket, .key = s->keys[i]};
        rc = auth_can(&who->subject, AUTH_OBJECT_READ, &res);
    }
    for (size_t i = 0; rc == 0 && i < s->nprefixes; i++) {
        bool full;
        char **folders = NULL;
        size_t nf = 0;
        rc = files_visible_level(&who->subject, bucket, s->prefixes[i], "/", &full, &folders,
                                 &nf);
        for (size_t k = 0; k < nf; k++)
            free(folders[k]);
        free(folders);
    }
    return rc;
}

/* ===================================== the producer ================================== */

struct files_zip {
    struct trace_ctx trace; /* the request's: the producer's S3 calls are its children */
    struct s3_client *s3;
    struct db *db;
    char *bucket;
    struct plan plan;
    size_t base; /* bytes of the common parent, cut from every key */
    char filename[S3_MAX_KEY + 8];
    struct bytepipe *pipe;
    pthread_t thread;
    bool started;        /* the producer runs: cancel and join it */
    bool holds_transfer; /* one transfer slot is ours */
    /* Written by the producer, read after the join. */
    int rc;
    uint64_t bytes;
    size_t done; /* entries written whole */
    struct s3_error err;
    /* Read side. */
    bool delivered; /* the reader saw the end */
    /* For the audit entry, written once the archive is done with. */
    bool audit;
    int64_t user_id;
    char *email, *ip, *user_agent;
    json_t *details;
};

static int pipe_write(void *ctx, const void *data, size_t n)
{
    return bytepipe_write(ctx, data, n);
}

struct get_ctx {
    struct zip_writer *z;
    uint64_t got;
};

static int get_write(void *ctx, const void *data, size_t n)
{
    struct get_ctx *g = ctx;
    g->got += n;
    return zip_entry_data(g->z, data, n);
}

static int write_entry(struct files_zip *j, struct zip_writer *z, const struct entry *e)
{
    const char *name = e->key + j->base;
    bool dir = name[strlen(name) - 1] == '/';
    int rc = zip_begin_entry(z, name, e->mtime_ms, dir ? 0 : e->size);
    if (rc || dir || e->size == 0)
        return rc ? rc : zip_end_entry(z);
    struct get_ctx g = {z, 0};
    struct s3_sink sink = {.write = get_write, .ctx = &g};
    /* If-Match: should the object change after it was resolved, the archive is cut rather
     * than carry bytes its listing did not describe. */
    rc = zip__s3->get(j->s3, j->bucket, e->key, e->etag[0] ? e->etag : NULL, &sink, &j->err);
    if (rc == 0 && g.got != (uint64_t)e->size)
        rc = SEAU_E_IO;
    return rc ? rc : zip_end_entry(z);
}

static void *produce(void *arg)
{
    struct files_zip *j = arg;
    trace_enter(&j->trace, NULL);
    struct zip_sink sink = {pipe_write, j->pipe};
    struct zip_writer *z = zip_writer_new(&sink, NULL);
    int rc = z ? 0 : SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < j->plan.n; i++) {
        rc = write_entry(j, z, &j->plan.v[i]);
        if (rc == 0)
            j->done++;
    }
    if (rc == 0)
        rc = zip_finish(z);
    if (z)
        j->bytes = zip_bytes_written(z);
    zip_writer_free(z);
    j->rc = rc;
    bytepipe_close(j->pipe, rc);
    return NULL;
}

static void job_audit(struct files_zip *j)
{
    json_t *d = j->details ? json_incref(j->details) : json_object();
    json_object_set_new(d, "written", json_integer((json_int_t)j->done));
    json_object_set_new(d, "bytes", json_integer((json_int_t)j->bytes));
    if (!j->delivered) {
        const char *why =
            j->rc == 0 || j->rc == SEAU_E_CANCELLED ? "the client went away" : err_message(j->rc);
        char text[768];
        if (j->rc != 0 && j->rc != SEAU_E_CANCELLED && (j->err.http_status || j->err.code[0]))
            why = s3_error_describe(&j->err, text, sizeof(text));
        json_object_set_new(d, "incomplete", json_string(why));
    }
    char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    struct audit_actor actor = {j->user_id, j->email, j->ip, j->user_agent};
    struct db_audit_entry e;
    audit_entry_init(&e, &actor, "object.download_zip", j->delivered ? "success" : "failure", text,
                     time_now_ms());
    e.bucket = j->bucket;
    e.key = j->plan.n ? j->plan.v[0].key : NULL;
    (void)db_audit_append(j->db, &e);
    free(text);
}

void files_zip_free(struct files_zip *j)
{
    if (!j)
        return;
    if (j->started) {
        bytepipe_cancel(j->pipe);
        pthread_join(j->thread, NULL);
        if (j->audit)
            job_audit(j);
    }
    if (j->holds_transfer)
        files_transfer_release();
    bytepipe_free(j->pipe);
    plan_done(&j->plan);
    free(j->bucket);
    free(j->email);
    free(j->ip);
    free(j->user_agent);
    json_decref(j->details);
    free(j);
}

ssize_t files_zip_read(struct files_zip *j, char *buf, size_t max)
{
    ssize_t n = bytepipe_read(j->pipe, buf, max);
    if (n == BYTEPIPE_END) {
        j->delivered = true;
        return FILES_ZIP_END;
    }
    if (n == BYTEPIPE_ERROR)
        return FILES_ZIP_ERROR;
    return n;
}

void files_zip_set_notify(struct files_zip *j, void (*fn)(void *ctx), void *ctx)
{
    bytepipe_set_notify(j->pipe, fn, ctx);
}

const char *files_zip_filename(const struct files_zip *j)
{
    return j->filename;
}

/* The audit entry's request part: the selection, bounded. */
static json_t *audit_details(const struct files_zip_selection *s, const struct plan *p)
{
    json_t *keys = json_array(), *prefixes = json_array();
    for (size_t i = 0; keys && i < s->nkeys && i < FILES_ZIP_AUDIT_KEYS; i++)
        json_array_append_new(keys, json_string(s->keys[i]));
    for (size_t i = 0; prefixes && i < s->nprefixes; i++)
        json_array_append_new(prefixes, json_string(s->prefixes[i]));
    return json_pack("{s:o, s:o, s:I, s:I}", "keys", keys, "prefixes", prefixes, "entries",
                     (json_int_t)p->n, "skipped", (json_int_t)p->skipped);
}

/* A request refused after validation (hidden, missing, too large, S3 down), audited as such. */
static void audit_refusal(const struct files_env *env, const struct files_zip_request *r, int rc)
{
    const struct files_zip_selection *s = r->sel;
    struct plan none;
    memset(&none, 0, sizeof(none));
    json_t *d = audit_details(s, &none);
    if (d)
        json_object_set_new(d, "error", json_string(err_api_code(rc)));
    char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    struct db_audit_entry e;
    audit_entry_init(&e, r->actor, "object.download_zip", "failure", text, time_now_ms());
    e.bucket = (char *)r->bucket;
    e.key = (char *)(s->nkeys ? s->keys[0] : s->nprefixes ? s->prefixes[0] : NULL);
    (void)db_audit_append(env->db, &e);
    free(text);
}

static bool dup_opt(const char *s, char **ret)
{
    *ret = s ? str_dup(s) : NULL;
    return !s || *ret;
}

/* The producer, on a thread of its own, writing into a new pipe. */
static int job_launch(struct files_zip *j)
{
    j->pipe = bytepipe_new(FILES_ZIP_PIPE_BYTES);
    if (!j->pipe)
        return SEAU_E_NOMEM;
    trace_current(&j->trace);
    if (pthread_create(&j->thread, NULL, produce, j) != 0)
        return SEAU_E_IO;
    j->started = true;
    return 0;
}

int files_zip_start(const struct files_env *env, const struct files_who *who,
                    const struct files_zip_request *r, struct files_zip_problem *pb,
                    struct files_zip **ret)
{
    struct files_zip_selection *sel = r->sel;
    memset(pb, 0, sizeof(*pb));
    int rc = authorize(who, r->bucket, sel);
    if (rc) {
        if (r->audit)
            audit_refusal(env, r, rc);
        return rc;
    }
    if (files_transfer_acquire(r->max_transfers) != 0) {
        pb->busy = true;
        return SEAU_E_UNAVAILABLE;
    }
    struct files_zip *j = calloc(1, sizeof(*j));
    if (!j) {
        files_transfer_release();
        return SEAU_E_NOMEM;
    }
    j->holds_transfer = true;

    /* Resolve every entry before answering, so that errors keep their status. */
    dedupe(sel);
    j->base = common_parent(sel);
    rc = resolve_keys(env, r->bucket, sel, j->base, &j->plan, pb);
    for (size_t i = 0; rc == 0 && i < sel->nprefixes; i++)
        rc = resolve_prefix(env, who, r->bucket, sel->prefixes[i], j->base, &j->plan, pb);
    if (rc) {
        if (r->audit)
            audit_refusal(env, r, rc);
        files_zip_free(j);
        return rc;
    }
    j->s3 = env->s3;
    j->db = env->db;
    j->audit = r->audit;
    j->user_id = r->actor->user_id;
    if (!dup_opt(r->bucket, &j->bucket) || !dup_opt(r->actor->email, &j->email) ||
        !dup_opt(r->actor->ip, &j->ip) || !dup_opt(r->actor->user_agent, &j->user_agent) ||
        !(j->details = audit_details(sel, &j->plan)))
        rc = SEAU_E_NOMEM;
    archive_name(sel, j->filename, sizeof(j->filename));
    if (rc == 0)
        rc = job_launch(j);
    if (rc) {
        files_zip_free(j);
        return rc;
    }
    *ret = j;
    return 0;
}
