/*
 * GET /api/download-zip: a folder or a selection as one ZIP, built while it
 * is sent (files/zip.h), without temporary files and in bounded memory.
 *
 * Before answering, the handler validates the request, asks the policy for
 * every named key and prefix (anything hidden makes the whole request 404,
 * as if it did not exist), and resolves the entries: a HeadObject per key
 * (a missing key is 404) and a ListObjectsV2 walk per prefix, where objects
 * the caller may not see are skipped. So every error that has a status is
 * answered with it, and the archive's entries are fixed before its first
 * byte. Then a producer thread writes the archive into a bounded byte pipe
 * (core/bytepipe.h), one GetObject per entry, and the streamed response
 * drains it without ever blocking a server thread. An object that fails
 * mid-archive cuts the connection: the client sees an incomplete download,
 * never a well-formed archive with a file missing or truncated.
 *
 * Entry names are the keys relative to the selection's common parent
 * folder: zipping the folder a/b/ gives b/..., zipping a/b/c.txt and a/d/
 * gives c.txt and d/.... Keys are unique in a bucket and the selection is
 * deduplicated (a key inside a selected folder, a folder inside another),
 * so names are unique by construction.
 *
 * Memory: the resolved entries (key, size, time, ETag) and the writer's
 * central directory, both bounded by ZIP_ENTRIES_MAX and ZIP_NAME_BYTES_MAX,
 * plus one pipe of ZIP_PIPE_BYTES.
 */
#include "api/api.h"

#include "core/bytepipe.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "files/browse.h"
#include "files/zip.h"
#include "http/disposition.h"
#include "s3/client.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Limits (STYLE.md rule 15). */
#define ZIP_KEYS_MAX       1000
#define ZIP_PREFIXES_MAX   100
#define ZIP_ENTRIES_MAX    100000     /* objects in one archive */
#define ZIP_NAME_BYTES_MAX (16 << 20) /* bytes of all keys in one archive */
#define ZIP_PIPE_BYTES     (512 * 1024)
#define ZIP_AUDIT_KEYS     20 /* keys named in the audit entry's details */

/* ===================================== the request ==================================== */

/* The repeated query parameters, borrowed from the connection. */
struct selection {
    const char **keys, **prefixes;
    size_t nkeys, nprefixes;         /* kept (at most the caps) */
    size_t keys_seen, prefixes_seen; /* given */
    bool nomem;
};

static bool push(const char ***v, size_t *n, size_t cap, const char *s, bool *nomem)
{
    if (!*v) {
        *v = calloc(cap, sizeof(**v));
        if (!*v) {
            *nomem = true;
            return false;
        }
    }
    (*v)[(*n)++] = s;
    return true;
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    struct selection *s = cls;
    if (strcmp(key, "keys") == 0) {
        if (++s->keys_seen <= ZIP_KEYS_MAX)
            push(&s->keys, &s->nkeys, ZIP_KEYS_MAX, value ? value : "", &s->nomem);
    } else if (strcmp(key, "prefixes") == 0) {
        if (++s->prefixes_seen <= ZIP_PREFIXES_MAX)
            push(&s->prefixes, &s->nprefixes, ZIP_PREFIXES_MAX, value ? value : "", &s->nomem);
    }
    return MHD_YES;
}

static void selection_done(struct selection *s)
{
    free(s->keys);
    free(s->prefixes);
}

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

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Drops what another part of the selection already holds: repeated keys
 * and prefixes, prefixes inside a selected prefix, keys inside one. Keeps
 * the request's order otherwise. O(n²) over at most 1000 keys: fine.
 */
static void dedupe(struct selection *s)
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
static size_t common_parent(const struct selection *s)
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
static void archive_name(const struct selection *s, char *out, size_t n)
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
    if (p->n == ZIP_ENTRIES_MAX || p->name_bytes + klen > ZIP_NAME_BYTES_MAX)
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

/* What resolution ran into, for the reply. */
struct problem {
    int rc;
    struct s3_error err;
    const char *field; /* validation: the field and why */
    char why[256];
};

/* HeadObject on each key. A missing key is 404; a key that cannot be named in a ZIP, 400. */
static int resolve_keys(const struct files_env *env, const char *bucket, const struct selection *s,
                        size_t base, struct plan *p, struct problem *pb)
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
        int rc = s3_head_object(env->s3, bucket, s->keys[i], NULL, &h, &pb->err);
        if (rc == 0)
            rc = plan_add(p, s->keys[i], h.etag, h.content_length, h.last_modified_ms);
        s3_object_head_done(&h);
        if (rc)
            return rc;
    }
    return 0;
}

/* Lists a prefix: every object the caller may see goes into the plan. 404 when none. */
static int resolve_prefix(const struct files_env *env, const struct files_who *who,
                          const char *bucket, const char *prefix, size_t base, struct plan *p,
                          struct problem *pb)
{
    size_t before = p->n;
    char *token = NULL;
    int rc = 0;
    for (;;) {
        struct s3_list_params lp = {
            .prefix = prefix, .continuation_token = token, .max_keys = 1000};
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        rc = s3_list_objects_v2(env->s3, bucket, &lp, &a, &pb->err);
        if (rc)
            break;
        const struct s3_object_list *l = &a.objects;
        for (size_t i = 0; rc == 0 && i < l->object_count; i++) {
            const struct s3_object *o = &l->objects[i];
            struct auth_resource res = {.bucket = bucket, .key = o->key};
            /* Hidden objects and keys Seau's rules or ZIP names refuse are left out quietly. */
            if (auth_can(&who->subject, AUTH_OBJECT_READ, &res) != 0 ||
                s3name_key_problem(o->key) || zip_name_problem(o->key + base)) {
                p->skipped++;
                continue;
            }
            rc = plan_add(p, o->key, o->etag, o->size, o->last_modified_ms);
        }
        char *next = NULL;
        if (rc == 0 && l->is_truncated && l->next_continuation_token &&
            *l->next_continuation_token) {
            next = str_dup(l->next_continuation_token);
            if (!next)
                rc = SEAU_E_NOMEM;
        }
        s3_xml_answer_done(&a);
        free(token);
        token = next;
        if (rc || !token)
            break;
    }
    free(token);
    if (rc == 0 && p->n == before)
        rc = SEAU_E_NOT_FOUND;
    return rc;
}

/* ===================================== the producer ================================== */

struct zipjob {
    struct s3_client *s3;
    struct db *db;
    char *bucket;
    struct plan plan;
    size_t base; /* bytes of the common parent, cut from every key */
    struct bytepipe *pipe;
    struct http_stream *stream;
    pthread_t thread;
    bool started;        /* the producer runs: cancel and join it */
    bool holds_transfer; /* one of cfg->max_transfers is ours */
    /* Written by the producer, read after the join. */
    int rc;
    uint64_t bytes;
    size_t done; /* entries written whole */
    struct s3_error err;
    /* Read side. */
    bool delivered; /* the reader saw the end */
    /* For the audit entry, written once the response is done with. */
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

static int write_entry(struct zipjob *j, struct zip_writer *z, const struct entry *e)
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
    struct s3_get_options opt = {.if_match = e->etag[0] ? e->etag : NULL};
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    rc = s3_get_object(j->s3, j->bucket, e->key, &opt, &sink, &h, &j->err);
    s3_object_head_done(&h);
    if (rc == 0 && g.got != (uint64_t)e->size)
        rc = SEAU_E_IO;
    return rc ? rc : zip_end_entry(z);
}

static void *produce(void *arg)
{
    struct zipjob *j = arg;
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

static void job_audit(struct zipjob *j)
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

static void job_free(struct zipjob *j)
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
        api_transfer_release();
    bytepipe_free(j->pipe);
    plan_done(&j->plan);
    free(j->bucket);
    free(j->email);
    free(j->ip);
    free(j->user_agent);
    json_decref(j->details);
    free(j);
}

static ssize_t job_read(void *ctx, char *buf, size_t max)
{
    struct zipjob *j = ctx;
    ssize_t n = bytepipe_read(j->pipe, buf, max);
    if (n == BYTEPIPE_END) {
        j->delivered = true;
        return HTTP_STREAM_END;
    }
    if (n == BYTEPIPE_ERROR)
        return HTTP_STREAM_ERROR;
    return n;
}

static void job_release(void *ctx)
{
    job_free(ctx);
}

static void job_notify(void *ctx)
{
    struct zipjob *j = ctx;
    http_stream_wake(j->stream);
}

static const struct http_stream_source job_source = {job_read, job_release};

/* The audit entry's request part: the selection, bounded. */
static json_t *audit_details(const struct selection *s, const struct plan *p)
{
    json_t *keys = json_array(), *prefixes = json_array();
    for (size_t i = 0; keys && i < s->nkeys && i < ZIP_AUDIT_KEYS; i++)
        json_array_append_new(keys, json_string(s->keys[i]));
    for (size_t i = 0; prefixes && i < s->nprefixes; i++)
        json_array_append_new(prefixes, json_string(s->prefixes[i]));
    return json_pack("{s:o, s:o, s:I, s:I}", "keys", keys, "prefixes", prefixes, "entries",
                     (json_int_t)p->n, "skipped", (json_int_t)p->skipped);
}

/*
 * Starts the producer and answers with the stream. Whatever happens, j is
 * freed: by the stream's release once http_reply_stream has it, else here.
 */
static int send_zip(struct http_req *req, struct zipjob *j, const char *filename)
{
    j->pipe = bytepipe_new(ZIP_PIPE_BYTES);
    if (!j->pipe) {
        job_free(j);
        return SEAU_E_NOMEM;
    }
    if (pthread_create(&j->thread, NULL, produce, j) != 0) {
        job_free(j);
        return SEAU_E_IO;
    }
    j->started = true;
    /* The producer may fill the pipe before anyone reads: notify matters only after a read. */
    j->stream = http_stream_new(&job_source, j);
    if (!j->stream) {
        job_free(j);
        return SEAU_E_NOMEM;
    }
    bytepipe_set_notify(j->pipe, job_notify, j);
    char disposition[HTTP_DISPOSITION_MAX];
    if (http_content_disposition(disposition, sizeof(disposition), false, filename) == 0)
        http_add_header(req, "Content-Disposition", disposition);
    return http_reply_stream(req, 200, "application/zip", -1, j->stream);
}

/* A request refused after validation (hidden, missing, too large, S3 down), audited as such. */
static void audit_refusal(struct http_req *req, const char *bucket, const struct selection *s,
                          int rc)
{
    struct api_actor actor;
    api_actor_init(&actor, req);
    struct plan none;
    memset(&none, 0, sizeof(none));
    json_t *d = audit_details(s, &none);
    if (d)
        json_object_set_new(d, "error", json_string(err_api_code(rc)));
    char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    struct db_audit_entry e;
    audit_entry_init(&e, &actor.actor, "object.download_zip", "failure", text, time_now_ms());
    e.bucket = (char *)bucket;
    e.key = (char *)(s->nkeys ? s->keys[0] : s->nprefixes ? s->prefixes[0] : NULL);
    (void)db_audit_append(api_app(req)->db, &e);
    free(text);
}

/* ===================================== the handler =================================== */

static int reply_problem(struct http_req *req, struct problem *pb)
{
    if (pb->rc == SEAU_E_VALIDATION && pb->field) {
        struct jsonx_check check;
        jsonx_check_init(&check);
        jsonx_check_fail(&check, pb->field, pb->why);
        return api_reply_invalid(req, &check);
    }
    if (pb->rc == SEAU_E_TOO_LARGE) {
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "The selection holds more than %d objects or %d MiB of names; zip smaller "
                 "folders.",
                 ZIP_ENTRIES_MAX, ZIP_NAME_BYTES_MAX >> 20);
        return http_reply_error(req, SEAU_E_TOO_LARGE, msg, NULL);
    }
    return api_reply_s3_failure(req, pb->rc, &pb->err);
}

int api_download_zip(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    if (!env.s3)
        return api_reply_no_s3(req);
    struct selection sel;
    memset(&sel, 0, sizeof(sel));
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect, &sel);
    if (sel.nomem) {
        selection_done(&sel);
        return SEAU_E_NOMEM;
    }
    struct jsonx_check check;
    jsonx_check_init(&check);
    const char *name = http_req_query(req, "bucket");
    const char *bucket = NULL;
    int brc = files_bucket_resolve(env.buckets, env.nbuckets, name, &bucket);
    if (brc == SEAU_E_VALIDATION)
        jsonx_check_fail(&check, "bucket", s3name_bucket_problem(name));
    check_list(&check, "keys", sel.keys, sel.nkeys, sel.keys_seen, ZIP_KEYS_MAX,
               s3name_key_problem);
    check_list(&check, "prefixes", sel.prefixes, sel.nprefixes, sel.prefixes_seen, ZIP_PREFIXES_MAX,
               prefix_problem);
    if (jsonx_check_ok(&check) && sel.keys_seen + sel.prefixes_seen == 0)
        jsonx_check_fail(&check, "keys", "name at least one key or prefix");
    if (!jsonx_check_ok(&check)) {
        selection_done(&sel);
        return api_reply_invalid(req, &check);
    }
    jsonx_check_done(&check);
    if (brc) {
        selection_done(&sel);
        return brc;
    }

    /* The policy first: anything named that the caller may not see hides the whole request. */
    bool audit = api_app(req)->cfg->audit_downloads;
    struct files_who who;
    int rc = files_who_load(env.db, api_principal(req), &who);
    if (rc) {
        selection_done(&sel);
        return rc;
    }
    for (size_t i = 0; rc == 0 && i < sel.nkeys; i++) {
        struct auth_resource res = {.bucket = bucket, .key = sel.keys[i]};
        rc = auth_can(&who.subject, AUTH_OBJECT_READ, &res);
    }
    for (size_t i = 0; rc == 0 && i < sel.nprefixes; i++) {
        bool full;
        char **folders = NULL;
        size_t nf = 0;
        rc = files_visible_level(&who.subject, bucket, sel.prefixes[i], "/", &full, &folders, &nf);
        for (size_t k = 0; k < nf; k++)
            free(folders[k]);
        free(folders);
    }
    if (rc) {
        if (audit)
            audit_refusal(req, bucket, &sel, rc);
        files_who_done(&who);
        selection_done(&sel);
        return rc;
    }
    if (api_transfer_acquire(req)) {
        files_who_done(&who);
        selection_done(&sel);
        return 0; /* answered 503 */
    }
    struct zipjob *j = calloc(1, sizeof(*j));
    if (!j) {
        api_transfer_release();
        files_who_done(&who);
        selection_done(&sel);
        return SEAU_E_NOMEM;
    }
    j->holds_transfer = true;

    /* Resolve every entry before answering, so that errors keep their status. */
    dedupe(&sel);
    struct problem pb;
    memset(&pb, 0, sizeof(pb));
    j->base = common_parent(&sel);
    pb.rc = resolve_keys(&env, bucket, &sel, j->base, &j->plan, &pb);
    for (size_t i = 0; pb.rc == 0 && i < sel.nprefixes; i++)
        pb.rc = resolve_prefix(&env, &who, bucket, sel.prefixes[i], j->base, &j->plan, &pb);
    files_who_done(&who);
    if (pb.rc) {
        if (audit)
            audit_refusal(req, bucket, &sel, pb.rc);
        selection_done(&sel);
        job_free(j);
        return reply_problem(req, &pb);
    }
    struct api_actor actor;
    api_actor_init(&actor, req);
    j->s3 = env.s3;
    j->db = env.db;
    j->audit = audit;
    j->user_id = actor.actor.user_id;
    j->bucket = str_dup(bucket);
    j->email = actor.actor.email ? str_dup(actor.actor.email) : NULL;
    j->ip = actor.actor.ip ? str_dup(actor.actor.ip) : NULL;
    j->user_agent = actor.actor.user_agent ? str_dup(actor.actor.user_agent) : NULL;
    j->details = audit_details(&sel, &j->plan);
    char filename[S3_MAX_KEY + 8];
    archive_name(&sel, filename, sizeof(filename));
    selection_done(&sel);
    if (!j->bucket || !j->details) {
        job_free(j);
        return SEAU_E_NOMEM;
    }
    return send_zip(req, j, filename);
}
