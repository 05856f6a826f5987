/* Direct upload sessions; see upload_direct.h. The janitor thread is in upload_janitor.c. */
#include "files/upload_direct.h"

#include "core/cfg.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/str.h"
#include "events/bus.h"
#include "files/clamav.h"
#include "files/index.h"
#include "files/owner.h"
#include "files/recovery.h"
#include "files/rules.h"
#include "metrics/metrics.h"
#include "s3/client.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t files_upload_part_size(int64_t size)
{
    int64_t n = size > 0 ? size : 0;
    /* FILES_UPLOAD_PART_AIM parts, within [PART_MIN, PART_CAP]; then what 10,000 parts need. */
    int64_t part = (n + FILES_UPLOAD_PART_AIM - 1) / FILES_UPLOAD_PART_AIM;
    if (part < FILES_UPLOAD_PART_MIN)
        part = FILES_UPLOAD_PART_MIN;
    if (part > FILES_UPLOAD_PART_CAP)
        part = FILES_UPLOAD_PART_CAP;
    int64_t need = (n + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
    if (need > part)
        part = need;
    return (part + FILES_UPLOAD_PART_ALIGN - 1) / FILES_UPLOAD_PART_ALIGN * FILES_UPLOAD_PART_ALIGN;
}

int64_t files_upload_part_count(const struct db_upload *u)
{
    if (u->single || u->size == 0 || u->part_size <= 0)
        return 1;
    return (u->size + u->part_size - 1) / u->part_size;
}

/* The bytes part n (1-based) must hold. */
static int64_t part_bytes(const struct db_upload *u, int64_t n)
{
    if (u->single)
        return u->size;
    int64_t rest = u->size - (n - 1) * u->part_size;
    return rest < u->part_size ? rest : u->part_size;
}

static uint32_t expiry_s(const struct cfg *cfg)
{
    int64_t s = cfg->presign_expiry_ms / 1000;
    if (s < 1)
        s = 1;
    if (s > S3_MAX_EXPIRES)
        s = S3_MAX_EXPIRES;
    return (uint32_t)s;
}

void files_upload_view_done(struct files_upload_view *v)
{
    for (size_t i = 0; i < v->nurls; i++)
        free(v->urls[i].url);
    free(v->urls);
    memset(v, 0, sizeof(*v));
}

static bool bucket_configured(const struct files_env *env, const char *bucket)
{
    for (size_t i = 0; i < env->nbuckets; i++)
        if (strcmp(env->buckets[i], bucket) == 0)
            return true;
    return false;
}

/* ETags compare without their quotes (clients send either form) and a weak prefix. */
static void etag_bare(const char *e, const char **ret, size_t *ret_n)
{
    if (strncmp(e, "W/", 2) == 0)
        e += 2;
    size_t n = strlen(e);
    if (n >= 2 && e[0] == '"' && e[n - 1] == '"') {
        e++;
        n -= 2;
    }
    *ret = e;
    *ret_n = n;
}

static bool etag_equal(const char *a, const char *b)
{
    const char *x, *y;
    size_t xn, yn;
    etag_bare(a, &x, &xn);
    etag_bare(b, &y, &yn);
    return xn == yn && memcmp(x, y, xn) == 0;
}

/* An audit entry whose strings (details included) outlive the db_* call that appends it. */
struct audit_note {
    struct db_audit_entry e;
    char *details;
};

static void note_init(struct audit_note *n, const struct audit_actor *actor, const char *action,
                      bool ok, const struct db_upload *u, json_t *details, int64_t now)
{
    if (details)
        json_object_set_new(details, "uploadId", json_string(u->id));
    n->details = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(details);
    audit_entry_init(&n->e, actor, action, ok ? "success" : "failure", n->details, now);
    n->e.bucket = (char *)u->bucket;
    n->e.key = (char *)u->key;
}

static void note_done(struct audit_note *n)
{
    free(n->details);
    n->details = NULL;
}

/* Forgets the session with an audit entry; 0 also when it is already gone. */
static int forget(struct db *db, const struct db_upload *u, const struct audit_actor *actor,
                  const char *action, bool ok, json_t *details, int64_t now)
{
    struct audit_note n;
    note_init(&n, actor, action, ok, u, details, now);
    int rc = db_upload_delete(db, u->id, &n.e);
    note_done(&n);
    return rc == SEAU_E_NOT_FOUND ? 0 : rc;
}

/* Presigns the URLs of parts numbers[0..n) into ret. */
static int presign_into(const struct files_env *env, const struct cfg *cfg,
                        const struct db_upload *u, const int *numbers, size_t n, int64_t now,
                        struct files_upload_view *ret, struct s3_error *ret_err)
{
    struct files_upload_view v;
    memset(&v, 0, sizeof(v));
    v.row = *u;
    v.part_count = files_upload_part_count(u);
    uint32_t exp = expiry_s(cfg);
    v.urls_expire_at = now + (int64_t)exp * 1000;
    v.urls = n ? calloc(n, sizeof(*v.urls)) : NULL;
    if (n && !v.urls)
        return SEAU_E_NOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        v.urls[i].part_number = numbers[i];
        rc = s3_presign_upload_part(env->s3, u->bucket, u->key, u->s3_upload_id, numbers[i], exp,
                                    &v.urls[i].url, ret_err);
        if (rc == 0)
            v.nurls++;
    }
    if (rc) {
        files_upload_view_done(&v);
        return rc;
    }
    *ret = v;
    return 0;
}

/* ===================================== start ======================================= */

int files_upload_start(const struct files_env *env, const struct cfg *cfg,
                       const struct files_who *who, const struct audit_actor *actor,
                       const struct files_upload_request *r, int64_t now,
                       struct files_upload_view *ret, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    int rc = files_may_write(&who->subject, AUTH_OBJECT_WRITE, r->bucket, r->key);
    if (rc)
        return rc;
    /* Someone else's object is not the caller's to replace (asked again at complete). */
    if ((rc = files_owner_may_overwrite(env, who, r->bucket, r->key, ret_err)))
        return rc;
    if (r->size < 0 || (uint64_t)r->size > S3_MAX_OBJECT_SIZE)
        return SEAU_E_TOO_LARGE;
    rc = files_rules_check_size(cfg, r->size);
    if (rc == 0)
        rc = files_rules_check_type(cfg, r->content_type);
    if (rc)
        return rc;
    if (strlen(r->bucket) > DB_BUCKET_MAX || strlen(r->key) > DB_KEY_MAX ||
        strlen(r->content_type) > DB_CONTENT_TYPE_MAX)
        return SEAU_E_VALIDATION; /* the caller validated these; defence in depth */

    struct db_upload *u = calloc(1, sizeof(*u));
    if (!u)
        return SEAU_E_NOMEM;
    if (sodium_init() < 0) {
        free(u);
        return SEAU_E_INTERNAL;
    }
    unsigned char raw[24];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(u->id, sizeof(u->id), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    u->user_id = who->subject.user_id;
    snprintf(u->bucket, sizeof(u->bucket), "%s", r->bucket);
    snprintf(u->key, sizeof(u->key), "%s", r->key);
    snprintf(u->content_type, sizeof(u->content_type), "%s", r->content_type);
    u->size = r->size;
    u->single = r->size < cfg->upload_multipart_threshold;
    u->part_size = u->single ? r->size : files_upload_part_size(r->size);
    u->created_at = now;

    /* The object's Content-Type is the declared one: S3 serves it with that. */
    struct s3_put_options opt = {.content_type = r->content_type};
    char *s3id = NULL;
    rc = s3_create_multipart_upload(env->s3, u->bucket, u->key, &opt, &s3id, ret_err);
    if (rc) {
        free(u);
        return rc;
    }
    if (strlen(s3id) > DB_S3_UPLOAD_ID_MAX)
        rc = SEAU_E_INTERNAL;
    else
        snprintf(u->s3_upload_id, sizeof(u->s3_upload_id), "%s", s3id);

    int64_t count = files_upload_part_count(u);
    size_t nurls = count < FILES_UPLOAD_URLS_MAX ? (size_t)count : FILES_UPLOAD_URLS_MAX;
    int numbers[FILES_UPLOAD_URLS_MAX];
    for (size_t i = 0; i < nurls; i++)
        numbers[i] = (int)i + 1;
    struct files_upload_view v;
    memset(&v, 0, sizeof(v));
    if (rc == 0)
        rc = presign_into(env, cfg, u, numbers, nurls, now, &v, ret_err);
    if (rc == 0) {
        struct audit_note n;
        note_init(&n, actor, "upload.start", true, u,
                  json_pack("{s:I, s:s, s:I, s:I, s:b}", "size", (json_int_t)u->size, "contentType",
                            u->content_type, "partSize", (json_int_t)u->part_size, "parts",
                            (json_int_t)count, "single", u->single),
                  now);
        rc = db_upload_insert(env->db, u, FILES_UPLOAD_OPEN_MAX, &n.e);
        note_done(&n);
    }
    if (rc) {
        /* Nothing may stay open in S3 that no session row will ever abort. */
        (void)s3_abort_multipart_upload(env->s3, u->bucket, u->key, s3id, NULL);
        files_upload_view_done(&v);
    } else {
        *ret = v;
    }
    free(s3id);
    free(u);
    return rc;
}

/* ===================================== find, parts, URLs =========================== */

int files_upload_find(const struct files_env *env, const struct files_who *who, const char *id,
                      struct db_upload *ret)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > DB_UPLOAD_ID_MAX ||
        strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n)
        return SEAU_E_NOT_FOUND;
    struct db_upload *u = malloc(sizeof(*u));
    if (!u)
        return SEAU_E_NOMEM;
    int rc = db_upload_get(env->db, id, u);
    if (rc == 0 && who->subject.role != AUTH_ROLE_ADMIN && u->user_id != who->subject.user_id)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0 && !bucket_configured(env, u->bucket))
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0) {
        struct auth_resource res = {.bucket = u->bucket, .key = u->key};
        rc = auth_can(&who->subject, AUTH_OBJECT_WRITE, &res);
        if (rc == SEAU_E_FORBIDDEN)
            rc = SEAU_E_NOT_FOUND;
    }
    if (rc == 0)
        *ret = *u;
    free(u);
    return rc;
}

int files_upload_parts(const struct files_env *env, const struct db_upload *u,
                       struct files_upload_part **ret, size_t *ret_n, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct files_upload_part *parts = NULL;
    size_t n = 0, cap = 0;
    int marker = 0, rc = 0;
    for (int pages = 0; rc == 0 && pages <= S3_MAX_PARTS / 1000; pages++) {
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        rc = s3_list_parts(env->s3, u->bucket, u->key, u->s3_upload_id, marker, 1000, &a, ret_err);
        if (rc)
            break;
        const struct s3_part_list *l = &a.parts;
        for (size_t i = 0; rc == 0 && i < l->count; i++) {
            const struct s3_part *p = &l->parts[i];
            if (p->part_number < 1 || p->part_number > S3_MAX_PARTS ||
                strlen(p->etag) >= S3_ETAG_SIZE || p->size < 0)
                continue; /* not a part Seau could have asked for */
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                struct files_upload_part *np = realloc(parts, ncap * sizeof(*np));
                if (!np) {
                    rc = SEAU_E_NOMEM;
                    break;
                }
                parts = np;
                cap = ncap;
            }
            parts[n].part_number = (int)p->part_number;
            snprintf(parts[n].etag, sizeof(parts[n].etag), "%s", p->etag);
            parts[n].size = p->size;
            n++;
        }
        bool more = l->is_truncated && l->next_part_number_marker > marker;
        int next = (int)l->next_part_number_marker;
        s3_xml_answer_done(&a);
        if (!more)
            break;
        marker = next;
    }
    if (rc) {
        free(parts);
        return rc;
    }
    *ret = parts;
    *ret_n = n;
    return 0;
}

int files_upload_presign(const struct files_env *env, const struct cfg *cfg,
                         const struct db_upload *u, const int *numbers, size_t n, int64_t now,
                         struct jsonx_check *check, struct files_upload_view *ret,
                         struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    int64_t count = files_upload_part_count(u);
    char msg[160];
    if (n == 0 || n > FILES_UPLOAD_URLS_MAX) {
        snprintf(msg, sizeof(msg), "must hold 1 to %d part numbers", FILES_UPLOAD_URLS_MAX);
        jsonx_check_fail(check, "partNumbers", msg);
        return SEAU_E_VALIDATION;
    }
    for (size_t i = 0; i < n; i++) {
        if (numbers[i] < 1 || numbers[i] > count) {
            snprintf(msg, sizeof(msg), "entry %zu: this upload has parts 1 to %lld", i,
                     (long long)count);
            jsonx_check_fail(check, "partNumbers", msg);
            return SEAU_E_VALIDATION;
        }
    }
    return presign_into(env, cfg, u, numbers, n, now, ret, ret_err);
}

/* ===================================== complete ==================================== */

/* The first bytes of an object, for sniffing. */
struct sample {
    char buf[FILES_SNIFF_BYTES];
    size_t len;
};

static int sample_write(void *ctx, const void *data, size_t len)
{
    struct sample *s = ctx;
    size_t room = sizeof(s->buf) - s->len;
    if (len > room)
        len = room; /* the range asked for no more; never overflow if S3 sends more */
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    return 0;
}

/* Streams an object's bytes to clamd as S3 sends them: nothing is held whole. */
static int scan_write(void *ctx, const void *data, size_t len)
{
    /* A failed send is not final: clamd may have closed to say why; finish reads it. */
    (void)clamav_scan_data(ctx, data, len);
    return 0;
}

/*
 * Scans bucket/key at etag with the configured clamd. Returns 0 (clean),
 * SEAU_E_MALWARE with the signature's name in name, SEAU_E_UNAVAILABLE
 * (scanner unreachable or refusing: fail closed), or S3's failure.
 */
static int scan_object(const struct files_env *env, const struct cfg *cfg, const struct db_upload *u,
                       const char *etag, char name[CLAMAV_VERDICT_MAX], struct s3_error *ret_err)
{
    struct clamav_scan *scan = NULL;
    name[0] = '\0';
    int rc = clamav_scan_start(cfg->clamav, &scan);
    if (rc) {
        snprintf(name, CLAMAV_VERDICT_MAX, "the scanner is unreachable");
        return SEAU_E_UNAVAILABLE;
    }
    struct s3_get_options opt = {.if_match = etag && etag[0] ? etag : NULL};
    struct s3_sink sink = {.write = scan_write, .ctx = scan};
    struct s3_object_head gh;
    memset(&gh, 0, sizeof(gh));
    rc = s3_get_object(env->s3, u->bucket, u->key, &opt, &sink, &gh, ret_err);
    s3_object_head_done(&gh);
    if (rc == 0)
        rc = clamav_scan_finish(scan, name);
    clamav_scan_free(scan);
    return rc;
}

/* What the checks found; why is the sentence for a refusal. */
struct verdict {
    struct s3_object_head head;
    char type[FILES_MEDIA_TYPE_MAX + 1];
    int refused; /* 0, or SEAU_E_TOO_LARGE / SEAU_E_MEDIA_TYPE / SEAU_E_CONFLICT */
    char why[FILES_MEDIA_TYPE_MAX + 128];
};

/*
 * HEADs the completed object and sniffs its first bytes. Returns 0 with the
 * verdict (refused or not), or the S3 failure that prevented the checks.
 */
static int inspect(const struct files_env *env, const struct cfg *cfg, const struct db_upload *u,
                   struct verdict *v, struct s3_error *ret_err)
{
    int rc = s3_head_object(env->s3, u->bucket, u->key, NULL, &v->head, ret_err);
    if (rc)
        return rc;
    int64_t size = v->head.content_length;
    if (size < 0 || files_rules_check_size(cfg, size)) {
        v->refused = SEAU_E_TOO_LARGE;
        snprintf(v->why, sizeof(v->why), "The file has %lld bytes; at most %lld are accepted.",
                 (long long)size, (long long)cfg->max_upload_bytes);
        return 0;
    }
    if (size != u->size) {
        v->refused = SEAU_E_CONFLICT;
        snprintf(v->why, sizeof(v->why),
                 "The uploaded file has %lld bytes, not the %lld declared; it was removed.",
                 (long long)size, (long long)u->size);
        return 0;
    }
    struct sample *s = calloc(1, sizeof(*s));
    if (!s)
        return SEAU_E_NOMEM;
    if (size > 0) {
        char range[64];
        int64_t last = (size < FILES_SNIFF_BYTES ? size : FILES_SNIFF_BYTES) - 1;
        snprintf(range, sizeof(range), "bytes=0-%lld", (long long)last);
        /* The same object that was HEADed: If-Match on its ETag. */
        struct s3_get_options opt = {.range = range, .if_match = v->head.etag};
        struct s3_sink sink = {.write = sample_write, .ctx = s};
        struct s3_object_head gh;
        memset(&gh, 0, sizeof(gh));
        rc = s3_get_object(env->s3, u->bucket, u->key, &opt, &sink, &gh, ret_err);
        s3_object_head_done(&gh);
    }
    if (rc == 0)
        rc = files_rules_sniff(s->buf, s->len, size > (int64_t)s->len, u->key, v->type,
                               sizeof(v->type));
    free(s);
    if (rc)
        return rc;
    if (files_rules_check_type(cfg, v->type)) {
        v->refused = SEAU_E_MEDIA_TYPE;
        snprintf(v->why, sizeof(v->why),
                 "The file's content is %s, which is not an accepted type; it was removed.",
                 v->type);
        return 0;
    }
    if (cfg->clamav) {
        char name[CLAMAV_VERDICT_MAX];
        rc = scan_object(env, cfg, u, v->head.etag, name, ret_err);
        if (rc == SEAU_E_MALWARE) {
            v->refused = rc;
            snprintf(v->why, sizeof(v->why),
                     "The malware scanner found %.100s in the file; it was removed.", name);
            return 0;
        }
        if (rc == SEAU_E_UNAVAILABLE) {
            v->refused = rc;
            snprintf(v->why, sizeof(v->why),
                     "The malware scanner could not check the file (%.100s); it was removed.",
                     name);
            return 0;
        }
        return rc;
    }
    return 0;
}

/*
 * Checks the client's list against the parts S3 holds and builds the list
 * for CompleteMultipartUpload (S3's own ETags). Records problems in check.
 */
static int match_parts(const struct db_upload *u, const struct files_upload_done_part *given,
                       size_t ngiven, const struct files_upload_part *held, size_t nheld,
                       struct jsonx_check *check, struct s3_completed_part *out)
{
    int64_t count = files_upload_part_count(u);
    char msg[200];
    size_t h = 0;
    for (int64_t i = 1; i <= count; i++) {
        while (h < nheld && held[h].part_number < i)
            h++;
        if (h == nheld || held[h].part_number != i) {
            snprintf(msg, sizeof(msg), "part %lld has not been uploaded", (long long)i);
            jsonx_check_fail(check, "parts", msg);
            return SEAU_E_VALIDATION;
        }
        if (ngiven && !etag_equal(given[i - 1].etag, held[h].etag)) {
            snprintf(msg, sizeof(msg), "part %lld: the ETag is not the one S3 holds for it",
                     (long long)i);
            jsonx_check_fail(check, "parts", msg);
            return SEAU_E_VALIDATION;
        }
        if (held[h].size != part_bytes(u, i)) {
            snprintf(msg, sizeof(msg), "part %lld holds %lld bytes; it must hold %lld",
                     (long long)i, (long long)held[h].size, (long long)part_bytes(u, i));
            jsonx_check_fail(check, "parts", msg);
            return SEAU_E_VALIDATION;
        }
        out[i - 1] = (struct s3_completed_part){.part_number = (int)i, .etag = held[h].etag};
    }
    return 0;
}

/* S3 servers without ListParts (s3rver) say so with 405 or 501. */
static bool cannot_list(const struct s3_error *e)
{
    return e->http_status == 405 || e->http_status == 501 ||
           strcmp(e->code, "MethodNotAllowed") == 0 || strcmp(e->code, "NotImplemented") == 0;
}

static void set_why(char *why, size_t whylen, const char *s)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", s);
}

/*
 * The ownership rule at completion, for the session's owner: the role is
 * asked afresh (a `user` may not replace another's object), so an admin
 * completing someone's session acts with that person's rights.
 */
static int owner_recheck(const struct files_env *env, const struct db_upload *u,
                         struct s3_error *ret_err)
{
    struct db_user *owner = malloc(sizeof(*owner));
    if (!owner)
        return SEAU_E_NOMEM;
    int rc = db_user_get(env->db, u->user_id, owner);
    bool user = rc == 0 && auth_role_parse(owner->role) == AUTH_ROLE_USER;
    free(owner);
    if (rc)
        return rc == SEAU_E_NOT_FOUND ? SEAU_E_FORBIDDEN : rc;
    if (!user)
        return 0;
    return files_owner_check(env->s3, env->db, u->bucket, u->key, u->user_id, NULL, ret_err);
}

int files_upload_complete(const struct files_env *env, const struct cfg *cfg,
                          const struct files_who *who, const struct audit_actor *actor,
                          const char *id, const struct files_upload_done_part *parts, size_t n,
                          int64_t now, struct jsonx_check *check, char *why, size_t whylen,
                          struct files_upload_result *ret, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct db_upload u;
    int rc = files_upload_find(env, who, id, &u);
    if (rc)
        return rc;
    int64_t count = files_upload_part_count(&u);
    char msg[160];
    if (n == 0 && !u.single) {
        jsonx_check_fail(check, "parts", "must list the uploaded parts");
        return SEAU_E_VALIDATION;
    }
    for (size_t i = 0; n && i < n; i++) {
        if ((int64_t)n != count || parts[i].part_number != (int)i + 1) {
            snprintf(msg, sizeof(msg), "must list parts 1 to %lld, in order", (long long)count);
            jsonx_check_fail(check, "parts", msg);
            return SEAU_E_VALIDATION;
        }
    }
    rc = db_upload_claim(env->db, u.id, now, now + FILES_UPLOAD_LEASE_MS);
    if (rc == SEAU_E_CONFLICT)
        set_why(why, whylen, "Another request is completing or cancelling this upload.");
    if (rc)
        return rc;

    /* The parts S3 holds decide; the client's list must agree with them. */
    struct files_upload_part *held = NULL;
    size_t nheld = 0;
    struct s3_completed_part *list = NULL;
    struct s3_error pe;
    memset(&pe, 0, sizeof(pe));
    rc = files_upload_parts(env, &u, &held, &nheld, &pe);
    bool unlisted = rc && cannot_list(&pe);
    if (unlisted)
        rc = 0;
    else if (rc && ret_err)
        *ret_err = pe;
    if (rc == 0 && !(list = calloc((size_t)count, sizeof(*list))))
        rc = SEAU_E_NOMEM;
    if (rc == 0 && unlisted) {
        /* An S3 without ListParts (s3rver): the client's list goes to S3 as it is; the
         * checks after completion still catch a wrong total. */
        if (n == 0) {
            jsonx_check_fail(check, "parts",
                             "must list the uploaded part: this S3 cannot list "
                             "the parts itself");
            rc = SEAU_E_VALIDATION;
        }
        for (size_t i = 0; rc == 0 && i < n; i++)
            list[i] = (struct s3_completed_part){.part_number = parts[i].part_number,
                                                 .etag = parts[i].etag};
    } else if (rc == 0 && n == 0 && nheld == 0) {
        rc = SEAU_E_CONFLICT;
        set_why(why, whylen, "Nothing has been uploaded yet: PUT the file to the URL first.");
    } else if (rc == 0) {
        rc = match_parts(&u, parts, n, held, nheld, check, list);
    }
    /* Someone may have uploaded onto the key since start: ask again before it is replaced. */
    if (rc == 0 && (rc = owner_recheck(env, &u, ret_err)) == SEAU_E_FORBIDDEN) {
        free(list);
        free(held);
        set_why(why, whylen,
                "Someone else has uploaded a file with this name meanwhile; it was not replaced.");
        (void)s3_abort_multipart_upload(env->s3, u.bucket, u.key, u.s3_upload_id, NULL);
        int frc = forget(env->db, &u, actor, "object.upload", false,
                         json_pack("{s:s}", "error", "forbidden"), now);
        return frc ? frc : SEAU_E_FORBIDDEN;
    }
    struct s3_put_result put;
    memset(&put, 0, sizeof(put));
    if (rc == 0)
        rc = s3_complete_multipart_upload(env->s3, u.bucket, u.key, u.s3_upload_id, list,
                                          (size_t)count, &put, ret_err);
    free(list);
    free(held);
    if (rc == SEAU_E_NOT_FOUND) {
        /* S3 no longer knows the upload (aborted elsewhere): the session is over. */
        int frc = forget(env->db, &u, actor, "object.upload", false,
                         json_pack("{s:s}", "error", "upload_gone"), now);
        return frc ? frc : SEAU_E_NOT_FOUND;
    }
    if (rc) {
        (void)db_upload_release(env->db, u.id);
        return rc;
    }

    /* S3 has made the object: from here the session ends whatever the checks say. */
    struct verdict *v = calloc(1, sizeof(*v));
    if (!v) {
        (void)forget(env->db, &u, actor, "object.upload", false,
                     json_pack("{s:s}", "error", "internal"), now);
        return SEAU_E_NOMEM;
    }
    int irc = inspect(env, cfg, &u, v, ret_err);
    int outcome = irc ? irc : v->refused;
    bool left = false;
    if (outcome) {
        /* Nothing of a refused or unchecked upload stays: its own version goes. */
        const char *version = v->head.version_id[0] ? v->head.version_id : NULL;
        left = s3_delete_object(env->s3, u.bucket, u.key, version, NULL, NULL) != 0;
        if (v->refused)
            set_why(why, whylen, v->why);
    }
    json_t *d =
        json_pack("{s:I, s:s, s:s}", "size", (json_int_t)v->head.content_length, "declaredType",
                  u.content_type, "method", u.single ? "direct-put" : "direct-multipart");
    if (d && v->type[0])
        json_object_set_new(d, "contentType", json_string(v->type));
    if (d && outcome) {
        json_object_set_new(d, "error", json_string(err_api_code(outcome)));
        json_object_set_new(d, "objectLeft", json_boolean(left));
    }
    rc = forget(env->db, &u, actor, "object.upload", outcome == 0, d, now);
    if (outcome == 0 && rc == 0) {
        struct db_object *o = &ret->object;
        memset(o, 0, sizeof(*o));
        snprintf(o->bucket, sizeof(o->bucket), "%s", u.bucket);
        snprintf(o->key, sizeof(o->key), "%s", u.key);
        o->size = v->head.content_length;
        /* An ETag too long for the index is left out of it rather than cut. */
        const char *etag = v->head.etag[0] ? v->head.etag : put.etag;
        if (strlen(etag) < sizeof(o->etag))
            memcpy(o->etag, etag, strlen(etag) + 1);
        o->last_modified = v->head.last_modified_ms ? v->head.last_modified_ms : now;
        snprintf(o->content_type, sizeof(o->content_type), "%s", v->type);
        snprintf(o->kind, sizeof(o->kind), "%s", files_kind_of(u.key, v->type));
        o->uploaded_by = u.user_id;
        o->indexed_at = now;
        /* The index is a cache of S3: a failure here is healed by the next sync. */
        (void)files_index_record(env->db, o->bucket, o->key, o->size, o->etag, o->last_modified,
                                 o->content_type, o->uploaded_by, now);
        metrics_observe_upload(env->metrics, METRICS_UPLOAD_DIRECT, o->size);
        events_publish(env->events, &(struct event){.type = EVENTS_UPLOAD,
                                                    .bucket = o->bucket,
                                                    .key = o->key,
                                                    .size = o->size,
                                                    .etag = o->etag,
                                                    .actor = actor->email,
                                                    .actor_id = actor->user_id});
    }
    s3_object_head_done(&v->head);
    free(v);
    return outcome ? outcome : rc;
}

/* ===================================== abort, sweep ================================ */

int files_upload_abort(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const char *id, int64_t now,
                       struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct db_upload u;
    int rc = files_upload_find(env, who, id, &u);
    if (rc == 0)
        rc = db_upload_claim(env->db, u.id, now, now + FILES_UPLOAD_LEASE_MS);
    if (rc)
        return rc;
    rc = s3_abort_multipart_upload(env->s3, u.bucket, u.key, u.s3_upload_id, ret_err);
    if (rc && rc != SEAU_E_NOT_FOUND) {
        (void)db_upload_release(env->db, u.id);
        return rc;
    }
    return forget(env->db, &u, actor, "upload.abort", true,
                  json_pack("{s:s}", "reason", "cancelled"), now);
}

int files_upload_sweep(const struct files_env *env, int64_t older_than_ms, int64_t now,
                       const atomic_bool *cancel, struct files_upload_sweep_stats *ret)
{
    struct files_upload_sweep_stats st = {0, 0};
    static const struct audit_actor system = {0, "system", NULL, "seau upload janitor"};
    int rc = env->s3 ? 0 : SEAU_E_UNAVAILABLE;
    for (int64_t seen = 0; rc == 0 && seen < FILES_UPLOAD_SWEEP_MAX;) {
        struct db_upload *rows = NULL;
        size_t n = 0;
        rc = db_upload_list_stale(env->db, now - older_than_ms, now, FILES_UPLOAD_SWEEP_BATCH,
                                  &rows, &n);
        if (rc)
            break;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const struct db_upload *u = &rows[i];
            if (cancel && atomic_load(cancel))
                break;
            /* Held until the retry time: on failure it is left so, and not listed again now. */
            int crc = db_upload_claim(env->db, u->id, now, now + FILES_UPLOAD_SWEEP_RETRY_MS);
            if (crc == SEAU_E_NOT_FOUND || crc == SEAU_E_CONFLICT)
                continue; /* finished or taken meanwhile */
            if (crc) {
                rc = crc;
                break;
            }
            int src = s3_abort_multipart_upload(env->s3, u->bucket, u->key, u->s3_upload_id, NULL);
            if (src && src != SEAU_E_NOT_FOUND) {
                st.failed++;
                continue;
            }
            rc = forget(env->db, u, &system, "upload.abort", true,
                        json_pack("{s:s, s:I, s:I}", "reason", "expired", "userId",
                                  (json_int_t)u->user_id, "createdAt", (json_int_t)u->created_at),
                        now);
            if (rc == 0)
                st.aborted++;
        }
        free(rows);
        seen += (int64_t)n;
        if (n < FILES_UPLOAD_SWEEP_BATCH || (cancel && atomic_load(cancel)))
            break;
    }
    if (ret)
        *ret = st;
    return rc;
}
