/* Managed share links; see shares.h. */
#include "files/shares.h"

#include "core/err.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "s3/client.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ===================================== pure rules ===================================== */

int files_share_expiry(int64_t now, bool given, int64_t expires_in_s, int64_t default_ms,
                       int64_t max_ms, int64_t *ret_expires_at)
{
    if (!given) {
        *ret_expires_at = default_ms > 0 ? now + default_ms : 0;
        return 0;
    }
    if (expires_in_s < 0 || expires_in_s > FILES_SHARE_EXPIRES_IN_MAX)
        return SEAU_E_RANGE;
    if (expires_in_s == 0) {
        /* "Never" is only for a server whose maximum is unlimited. */
        if (max_ms > 0)
            return SEAU_E_RANGE;
        *ret_expires_at = 0;
        return 0;
    }
    int64_t ms = expires_in_s * 1000; /* no overflow: bounded by FILES_SHARE_EXPIRES_IN_MAX */
    if (max_ms > 0 && ms > max_ms)
        return SEAU_E_RANGE;
    *ret_expires_at = now + ms;
    return 0;
}

bool files_share_is_folder(const struct db_share *s)
{
    size_t n = strlen(s->key);
    return n > 0 && s->key[n - 1] == '/';
}

enum files_share_state files_share_state(const struct db_share *s, int64_t now)
{
    if (s->revoked_at)
        return FILES_SHARE_REVOKED;
    if (s->expires_at && now >= s->expires_at)
        return FILES_SHARE_EXPIRED;
    if (s->max_downloads && s->downloads >= s->max_downloads)
        return FILES_SHARE_EXHAUSTED;
    return FILES_SHARE_LIVE;
}

const char *files_share_state_name(enum files_share_state st)
{
    switch (st) {
    case FILES_SHARE_LIVE:
        return "live";
    case FILES_SHARE_REVOKED:
        return "revoked";
    case FILES_SHARE_EXPIRED:
        return "expired";
    case FILES_SHARE_EXHAUSTED:
        return "exhausted";
    case FILES_SHARE_WITHDRAWN:
        return "withdrawn";
    }
    return "unknown";
}

int files_share_member_key(const struct db_share *s, const char *rel, char out[DB_KEY_MAX + 1],
                           const char **ret_why)
{
    if (!files_share_is_folder(s)) {
        snprintf(out, DB_KEY_MAX + 1, "%s", s->key);
        return 0;
    }
    const char *why = NULL;
    size_t plen = strlen(s->key);
    if (!rel || !*rel)
        why = "is required: name a file of the shared folder";
    else
        why = s3name_key_problem(rel);
    /* The relative key passed the key rules alone: no '..' segment, no leading '/'. */
    if (!why && plen + strlen(rel) > DB_KEY_MAX)
        why = "is too long: the whole key must be at most 1024 bytes";
    if (why) {
        *ret_why = why;
        return SEAU_E_VALIDATION;
    }
    char key[DB_KEY_MAX + 1];
    memcpy(key, s->key, plen);
    memcpy(key + plen, rel, strlen(rel) + 1);
    if ((why = s3name_key_problem(key))) {
        *ret_why = why;
        return SEAU_E_VALIDATION;
    }
    memcpy(out, key, strlen(key) + 1);
    return 0;
}

void files_share_unlock_proof(const struct db_share *s, const char *token,
                              char out[FILES_SHARE_UNLOCK_LEN + 1])
{
    static const char label[] = "seau-share-unlock:";
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)s->password_hash,
                                strlen(s->password_hash));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof(label) - 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, strlen(token));
    crypto_auth_hmacsha256_final(&st, mac);
    str_wipe(&st, sizeof(st));
    str_hex(mac, sizeof(mac), out);
    str_wipe(mac, sizeof(mac));
}

bool files_share_unlocked(const struct db_share *s, const char *token, const char *proof)
{
    if (!s->password_hash[0] || !token || !proof || strlen(proof) != FILES_SHARE_UNLOCK_LEN)
        return false;
    char want[FILES_SHARE_UNLOCK_LEN + 1];
    files_share_unlock_proof(s, token, want);
    bool ok = str_ct_equal(want, FILES_SHARE_UNLOCK_LEN, proof, FILES_SHARE_UNLOCK_LEN);
    str_wipe(want, sizeof(want));
    return ok;
}

/* ===================================== audit ========================================== */

static char *details_text(json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    return s;
}

static json_t *time_or_null(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char t[TIME_RFC3339_LEN];
    time_rfc3339(ms, t);
    return json_string(t);
}

/* A refused share.create (403 or 404): who tried what. Best effort. */
static void audit_create_refused(const struct files_env *env, const struct audit_actor *actor,
                                 const struct files_share_new *n, int rc, int64_t now)
{
    char *details = details_text(json_pack("{s:s}", "error", err_api_code(rc)));
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "share.create", "failure", details, now);
    e.bucket = (char *)(uintptr_t)n->bucket;
    e.key = (char *)(uintptr_t)n->key;
    (void)db_audit_append(env->db, &e);
    free(details);
}

void files_share_audit_access(const struct files_env *env, const struct db_share *s,
                              const struct audit_actor *actor, const char *key,
                              const char *event, int http_status, const char *reason,
                              int64_t now)
{
    json_t *d = json_pack("{s:s, s:s, s:i}", "share", s->id, "event", event, "http", http_status);
    if (d && reason)
        json_object_set_new(d, "reason", json_string(reason));
    char *details = details_text(d);
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "share.access", http_status < 400 ? "success" : "failure",
                     details, now);
    e.bucket = (char *)(uintptr_t)s->bucket;
    e.key = (char *)(uintptr_t)(key ? key : s->key);
    (void)db_audit_append(env->db, &e);
    free(details);
}

/* ===================================== management ===================================== */

/* Whether bucket/key holds anything: the object, or for "prefix/" any key below it. */
static int target_exists(const struct files_env *env, const char *bucket, const char *key,
                         bool folder, struct s3_error *ret_err)
{
    if (!folder) {
        struct s3_object_head h;
        memset(&h, 0, sizeof(h));
        int rc = s3_head_object(env->s3, bucket, key, NULL, &h, ret_err);
        bool marker = h.delete_marker;
        s3_object_head_done(&h);
        return rc ? rc : marker ? SEAU_E_NOT_FOUND : 0;
    }
    struct s3_list_params p = {.prefix = key, .max_keys = 1};
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    int rc = s3_list_objects_v2(env->s3, bucket, &p, &a, ret_err);
    if (rc == 0 && a.objects.object_count == 0 && a.objects.common_prefix_count == 0)
        rc = SEAU_E_NOT_FOUND;
    s3_xml_answer_done(&a);
    return rc;
}

int files_share_create(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const struct files_share_new *n,
                       int64_t now, struct db_share *ret, char ret_token[AUTH_TOKEN_LEN + 1],
                       struct s3_error *ret_err)
{
    struct auth_resource res = {.bucket = n->bucket, .key = n->key};
    int rc = auth_can(&who->subject, AUTH_SHARE_CREATE, &res);
    if (rc) {
        audit_create_refused(env, actor, n, rc, now);
        return rc;
    }
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct db_share *s = calloc(1, sizeof(*s));
    if (!s)
        return SEAU_E_NOMEM;
    snprintf(s->bucket, sizeof(s->bucket), "%s", n->bucket);
    snprintf(s->key, sizeof(s->key), "%s", n->key);
    rc = target_exists(env, n->bucket, n->key, files_share_is_folder(s), ret_err);
    if (rc == SEAU_E_NOT_FOUND)
        audit_create_refused(env, actor, n, rc, now);
    char token[AUTH_TOKEN_LEN + 1];
    char *details = NULL;
    if (rc == 0) {
        unsigned char raw[16];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(s->id, sizeof(s->id), raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        auth_token_new(token, s->token_hash);
        s->created_by = who->subject.user_id;
        s->created_at = now;
        s->expires_at = n->expires_at;
        s->max_downloads = n->max_downloads;
        if (n->password)
            rc = auth_password_hash(n->password, s->password_hash);
    }
    if (rc == 0) {
        json_t *d = json_pack("{s:s, s:o, s:b, s:b}", "share", s->id, "expiresAt",
                              time_or_null(s->expires_at), "hasPassword", n->password != NULL,
                              "folder", files_share_is_folder(s));
        if (d)
            json_object_set_new(d, "maxDownloads", s->max_downloads
                                                       ? json_integer(s->max_downloads)
                                                       : json_null());
        details = details_text(d);
        struct db_audit_entry e;
        audit_entry_init(&e, actor, "share.create", "success", details, now);
        e.bucket = s->bucket;
        e.key = s->key;
        rc = db_share_insert(env->db, s, &e);
    }
    free(details);
    if (rc == 0) {
        *ret = *s;
        memcpy(ret_token, token, sizeof(token));
        /* The notification names the shared item, never the link (its token is a secret). */
        events_publish(env->events, &(struct event){.type = EVENTS_SHARE,
                                                    .bucket = n->bucket,
                                                    .key = n->key,
                                                    .size = EVENTS_SIZE_UNKNOWN,
                                                    .actor = actor->email,
                                                    .actor_id = actor->user_id});
    }
    str_wipe(token, sizeof(token));
    str_wipe(s, sizeof(*s));
    free(s);
    return rc;
}

/* Whether the caller may see (and so revoke) s; see shares.h. */
static bool share_visible(const struct files_who *who, const struct db_share *s)
{
    const struct auth_subject *sub = &who->subject;
    if (sub->role == AUTH_ROLE_ADMIN || s->created_by == sub->user_id)
        return true;
    return sub->role == AUTH_ROLE_MANAGER &&
           auth_grants_level(sub, s->bucket, s->key) >= AUTH_LEVEL_FULL;
}

int files_share_list(const struct files_env *env, const struct files_who *who,
                     const struct files_share_query *q, struct files_share_page *ret)
{
    size_t limit = q->limit < 1 ? 1 : q->limit > 1000 ? 1000 : q->limit;
    struct db_share_filter f = {.before_seq = q->before_seq, .bucket = q->bucket};
    if (who->subject.role == AUTH_ROLE_USER)
        f.created_by = who->subject.user_id;
    /* One more than a page tells whether there is a next one. */
    f.limit = limit + 1;
    struct db_share *kept = calloc(limit + 1, sizeof(*kept));
    if (!kept)
        return SEAU_E_NOMEM;
    size_t nkept = 0, scanned = 0;
    int64_t last_scanned = 0;
    bool more = false; /* rows remain past those scanned */
    int rc = 0;
    for (;;) {
        struct db_share *rows = NULL;
        size_t n = 0;
        rc = db_share_list(env->db, &f, &rows, &n);
        if (rc)
            break;
        size_t i = 0;
        for (; i < n && nkept <= limit; i++) {
            scanned++;
            last_scanned = rows[i].seq;
            if (share_visible(who, &rows[i]))
                kept[nkept++] = rows[i];
        }
        more = i < n || n == f.limit;
        if (n > 0)
            f.before_seq = rows[n - 1].seq;
        str_wipe(rows, n * sizeof(*rows));
        free(rows);
        if (nkept > limit || !more || scanned >= FILES_SHARE_LIST_SCAN_MAX)
            break;
    }
    if (rc) {
        free(kept);
        return rc;
    }
    struct files_share_page p = {.rows = kept, .n = nkept, .next_before = 0};
    if (nkept > limit) {
        p.n = limit;
        p.next_before = kept[limit - 1].seq;
    } else if (more) {
        /* The scan stopped early: the next page goes on from the last row read. */
        p.next_before = last_scanned;
    }
    *ret = p;
    return 0;
}

int files_share_revoke(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const char *id, int64_t now)
{
    if (!id || !*id || strlen(id) > DB_SHARE_ID_MAX)
        return SEAU_E_NOT_FOUND;
    struct db_share *s = malloc(sizeof(*s));
    if (!s)
        return SEAU_E_NOMEM;
    int rc = db_share_get(env->db, id, s);
    if (rc == 0 && (s->revoked_at || !share_visible(who, s)))
        rc = SEAU_E_NOT_FOUND;
    char *details = NULL;
    if (rc == 0) {
        details = details_text(json_pack("{s:s, s:I}", "share", s->id, "createdBy",
                                         (json_int_t)s->created_by));
        struct db_audit_entry e;
        audit_entry_init(&e, actor, "share.revoke", "success", details, now);
        e.bucket = s->bucket;
        e.key = s->key;
        rc = db_share_revoke(env->db, s->id, now, &e);
    }
    free(details);
    free(s);
    return rc;
}

/* ===================================== the public link ================================ */

/* Whether the creator of s may still share it now (see Authority in shares.h). */
static int creator_may_share(const struct files_env *env, const struct db_share *s, bool *ret)
{
    const char *bucket = NULL;
    if (files_bucket_resolve(env->buckets, env->nbuckets, s->bucket, &bucket) != 0) {
        *ret = false;
        return 0;
    }
    struct db_user u;
    int rc = db_user_get(env->db, s->created_by, &u);
    if (rc == SEAU_E_NOT_FOUND) {
        *ret = false;
        return 0;
    }
    if (rc)
        return rc;
    struct auth_subject sub = {.user_id = u.id, .role = auth_role_parse(u.role)};
    str_wipe(u.password_hash, sizeof(u.password_hash));
    if (u.disabled || sub.role == AUTH_ROLE_NONE) {
        *ret = false;
        return 0;
    }
    struct db_grant *grants = NULL;
    size_t ngrants = 0;
    if (sub.role != AUTH_ROLE_ADMIN) {
        rc = db_grants_get(env->db, u.id, &grants, &ngrants);
        if (rc)
            return rc;
        sub.grants = grants;
        sub.ngrants = ngrants;
    }
    struct auth_resource res = {.bucket = s->bucket, .key = s->key};
    *ret = auth_can(&sub, AUTH_SHARE_CREATE, &res) == 0;
    free(grants);
    return 0;
}

int files_share_resolve(const struct files_env *env, const char *token, int64_t now,
                        struct files_share_access *ret)
{
    unsigned char hash[DB_TOKEN_HASH_LEN];
    if (auth_token_hash(token, hash) != 0)
        return SEAU_E_NOT_FOUND;
    struct files_share_access a;
    memset(&a, 0, sizeof(a));
    int rc = db_share_get_by_token(env->db, hash, &a.share);
    if (rc)
        return rc;
    a.state = files_share_state(&a.share, now);
    if (a.state == FILES_SHARE_LIVE) {
        bool ok = false;
        rc = creator_may_share(env, &a.share, &ok);
        if (rc)
            return rc;
        if (!ok)
            a.state = FILES_SHARE_WITHDRAWN;
    }
    *ret = a;
    return 0;
}

int files_share_password(struct db *db, const struct db_share *s, const char *ip,
                         const char *password, int64_t now, int64_t window_ms,
                         int64_t *ret_retry_s)
{
    if (!s->password_hash[0])
        return 0;
    char key[DB_SHARE_ID_MAX + 80];
    snprintf(key, sizeof(key), "share:%s:%s", s->id, ip ? ip : "");
    struct db_throttle t;
    int rc = db_throttle_get(db, key, &t);
    if (rc)
        return rc;
    if (t.failures >= FILES_SHARE_PASSWORD_FAILURES && t.window_start + window_ms > now) {
        int64_t ms = t.window_start + window_ms - now;
        *ret_retry_s = ms <= 1000 ? 1 : (ms + 999) / 1000;
        return SEAU_E_RATE_LIMITED;
    }
    if (!password || !*password)
        return SEAU_E_UNAUTHORIZED;
    if (strlen(password) <= FILES_SHARE_PASSWORD_MAX &&
        auth_password_verify(s->password_hash, password))
        return 0;
    (void)db_throttle_fail(db, key, now, window_ms, &t);
    return SEAU_E_UNAUTHORIZED;
}

void files_share_file_done(struct files_share_file *f)
{
    if (!f)
        return;
    free(f->rel);
    f->rel = NULL;
}

void files_share_listing_done(struct files_share_listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->files[i].rel);
    free(l->files);
    free(l->next_after);
    memset(l, 0, sizeof(*l));
}

/* How key reads through s: relative to a folder share, else its last segment. */
static const char *rel_of(const struct db_share *s, const char *key)
{
    if (files_share_is_folder(s))
        return key + strlen(s->key);
    const char *slash = strrchr(key, '/');
    return slash && slash[1] ? slash + 1 : key;
}

int files_share_stat(const struct files_env *env, const struct db_share *s, const char *key,
                     struct files_share_file *ret, struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    int rc = s3_head_object(env->s3, s->bucket, key, NULL, &h, ret_err);
    if (rc == 0 && h.delete_marker)
        rc = SEAU_E_NOT_FOUND;
    struct files_share_file f = {.size = h.content_length < 0 ? 0 : h.content_length,
                                 .last_modified_ms = h.last_modified_ms};
    s3_object_head_done(&h);
    if (rc)
        return rc;
    f.rel = str_dup(rel_of(s, key));
    if (!f.rel)
        return SEAU_E_NOMEM;
    *ret = f;
    return 0;
}

int files_share_list_folder(const struct files_env *env, const struct db_share *s,
                            const char *after, size_t limit, struct files_share_listing *ret,
                            struct s3_error *ret_err)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    if (limit < 1 || limit > 1000)
        limit = FILES_SHARE_FOLDER_PAGE;
    /*
     * `after` only positions the listing, which the prefix confines to the
     * folder whatever it says: text is enough (a key the rules refuse may be
     * the last of a page).
     */
    char start[DB_KEY_MAX + 1];
    bool from_after = after && *after;
    if (from_after) {
        size_t plen = strlen(s->key), alen = strlen(after);
        if (plen + alen > DB_KEY_MAX || !str_utf8_valid(after, alen) ||
            str_has_control(after, alen))
            return SEAU_E_VALIDATION;
        memcpy(start, s->key, plen);
        memcpy(start + plen, after, alen + 1);
    }
    struct s3_list_params p = {.prefix = s->key,
                               .start_after = from_after ? start : NULL,
                               .max_keys = (int)limit};
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    int rc = s3_list_objects_v2(env->s3, s->bucket, &p, &a, ret_err);
    if (rc)
        return rc;
    struct files_share_listing l;
    memset(&l, 0, sizeof(l));
    const struct s3_object_list *ol = &a.objects;
    l.files = calloc(ol->object_count ? ol->object_count : 1, sizeof(*l.files));
    if (!l.files)
        rc = SEAU_E_NOMEM;
    size_t plen = strlen(s->key);
    for (size_t i = 0; rc == 0 && i < ol->object_count; i++) {
        const struct s3_object *o = &ol->objects[i];
        /* S3 lists only keys under the prefix; checked anyway, it costs nothing. */
        if (strncmp(o->key, s->key, plen) != 0 || o->key[plen] == '\0' ||
            s3name_key_problem(o->key))
            continue;
        char *rel = str_dup(o->key + plen);
        if (!rel) {
            rc = SEAU_E_NOMEM;
            break;
        }
        l.files[l.n++] = (struct files_share_file){
            .rel = rel, .size = o->size, .last_modified_ms = o->last_modified_ms};
    }
    if (rc == 0 && ol->is_truncated && ol->object_count > 0) {
        const char *last = ol->objects[ol->object_count - 1].key;
        if (strncmp(last, s->key, plen) == 0 && last[plen]) {
            l.next_after = str_dup(last + plen);
            if (!l.next_after)
                rc = SEAU_E_NOMEM;
        }
    }
    s3_xml_answer_done(&a);
    if (rc) {
        files_share_listing_done(&l);
        return rc;
    }
    *ret = l;
    return 0;
}

int files_share_count_download(const struct files_env *env, const struct db_share *s,
                               const struct audit_actor *actor, const char *key, int64_t now)
{
    char *details =
        details_text(json_pack("{s:s, s:s}", "share", s->id, "event", "download"));
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "share.access", "success", details, now);
    e.bucket = (char *)(uintptr_t)s->bucket;
    e.key = (char *)(uintptr_t)key;
    int rc = db_share_count_download(env->db, s->id, now, &e);
    free(details);
    return rc;
}
