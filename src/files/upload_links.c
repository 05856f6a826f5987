/* Upload links; see upload_links.h. */
#include "files/upload_links.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum files_upload_link_state files_upload_link_state(const struct db_upload_link *l, int64_t now)
{
    if (l->revoked_at)
        return FILES_UPLOAD_LINK_REVOKED;
    if (l->expires_at && now >= l->expires_at)
        return FILES_UPLOAD_LINK_EXPIRED;
    if ((l->max_files && l->files >= l->max_files) || (l->max_bytes && l->bytes >= l->max_bytes))
        return FILES_UPLOAD_LINK_FULL;
    return FILES_UPLOAD_LINK_LIVE;
}

const char *files_upload_link_state_name(enum files_upload_link_state st)
{
    switch (st) {
    case FILES_UPLOAD_LINK_LIVE:
        return "live";
    case FILES_UPLOAD_LINK_REVOKED:
        return "revoked";
    case FILES_UPLOAD_LINK_EXPIRED:
        return "expired";
    case FILES_UPLOAD_LINK_FULL:
        return "full";
    case FILES_UPLOAD_LINK_WITHDRAWN:
        return "withdrawn";
    }
    return "unknown";
}

int64_t files_upload_link_room(const struct db_upload_link *l, int64_t content_length)
{
    if (!l->max_bytes)
        return content_length;
    int64_t left = l->max_bytes - l->bytes;
    if (left < 0)
        left = 0;
    return content_length < left ? content_length : left;
}

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

static json_t *int_or_null(int64_t v)
{
    return v ? json_integer(v) : json_null();
}

int files_upload_link_create(const struct files_env *env, const struct files_who *who,
                             const struct audit_actor *actor,
                             const struct files_upload_link_new *n, int64_t now,
                             struct db_upload_link *ret, char ret_token[AUTH_TOKEN_LEN + 1])
{
    struct auth_resource res = {.bucket = n->bucket, .key = n->prefix};
    int rc = auth_can(&who->subject, AUTH_SHARE_CREATE, &res);
    if (rc) {
        char *details = details_text(json_pack("{s:s}", "error", err_api_code(rc)));
        struct db_audit_entry e;
        audit_entry_init(&e, actor, "uploadlink.create", "failure", details, now);
        e.bucket = (char *)(uintptr_t)n->bucket;
        e.key = (char *)(uintptr_t)n->prefix;
        (void)db_audit_append(env->db, &e);
        free(details);
        return rc;
    }
    if (sodium_init() < 0)
        return SEAU_E_INTERNAL;
    struct db_upload_link *l = calloc(1, sizeof(*l));
    if (!l)
        return SEAU_E_NOMEM;
    unsigned char raw[16];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(l->id, sizeof(l->id), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char token[AUTH_TOKEN_LEN + 1];
    auth_token_new(token, l->token_hash);
    snprintf(l->bucket, sizeof(l->bucket), "%s", n->bucket);
    snprintf(l->prefix, sizeof(l->prefix), "%s", n->prefix);
    snprintf(l->message, sizeof(l->message), "%s", n->message ? n->message : "");
    l->created_by = who->subject.user_id;
    l->created_at = now;
    l->expires_at =
        now + 1000 * (n->expires_in_s > 0 ? n->expires_in_s : FILES_UPLOAD_LINK_EXPIRES_DEF);
    l->max_files = n->max_files;
    l->max_bytes = n->max_bytes;
    if (n->password)
        rc = auth_password_hash(n->password, l->password_hash);
    char *details = NULL;
    if (rc == 0) {
        details = details_text(json_pack(
            "{s:s, s:o, s:b, s:o, s:o}", "link", l->id, "expiresAt", time_or_null(l->expires_at),
            "hasPassword", n->password != NULL, "maxFiles", int_or_null(l->max_files), "maxBytes",
            int_or_null(l->max_bytes)));
        struct db_audit_entry e;
        audit_entry_init(&e, actor, "uploadlink.create", "success", details, now);
        e.bucket = l->bucket;
        e.key = l->prefix;
        rc = db_upload_link_insert(env->db, l, &e);
    }
    free(details);
    if (rc == 0) {
        *ret = *l;
        memcpy(ret_token, token, sizeof(token));
    }
    str_wipe(token, sizeof(token));
    str_wipe(l, sizeof(*l));
    free(l);
    return rc;
}

int files_upload_link_list(const struct files_env *env, const struct files_who *who,
                           int64_t before_seq, size_t limit, struct db_upload_link **ret,
                           size_t *ret_n)
{
    struct db_upload_link_filter f = {
        .before_seq = before_seq,
        .created_by = who->subject.role == AUTH_ROLE_ADMIN ? 0 : who->subject.user_id,
        .limit = limit < 1 ? 1 : limit > 1001 ? 1001 : limit};
    return db_upload_link_list(env->db, &f, ret, ret_n);
}

int files_upload_link_revoke(const struct files_env *env, const struct files_who *who,
                             const struct audit_actor *actor, const char *id, int64_t now)
{
    if (!id || strlen(id) > DB_SHARE_ID_MAX)
        return SEAU_E_NOT_FOUND;
    struct db_upload_link *l = malloc(sizeof(*l));
    if (!l)
        return SEAU_E_NOMEM;
    int rc = db_upload_link_get(env->db, id, l);
    if (rc == 0 && l->revoked_at)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0 && who->subject.role != AUTH_ROLE_ADMIN && l->created_by != who->subject.user_id)
        rc = SEAU_E_NOT_FOUND;
    if (rc == 0) {
        char *details = details_text(json_pack("{s:s}", "link", l->id));
        struct db_audit_entry e;
        audit_entry_init(&e, actor, "uploadlink.revoke", "success", details, now);
        e.bucket = l->bucket;
        e.key = l->prefix;
        rc = db_upload_link_revoke(env->db, id, now, &e);
        free(details);
    }
    free(l);
    return rc;
}

int files_upload_link_subject(const struct files_env *env, const struct db_upload_link *l,
                              struct files_who *ret, struct db_user *ret_user)
{
    int rc = db_user_get(env->db, l->created_by, ret_user);
    if (rc == SEAU_E_NOT_FOUND || (rc == 0 && ret_user->disabled))
        return SEAU_E_GONE;
    if (rc)
        return rc;
    struct auth_principal p;
    memset(&p, 0, sizeof(p));
    p.user = *ret_user;
    p.role = auth_role_parse(ret_user->role);
    return files_who_load(env->db, &p, ret);
}

/* Whether the creator may still open this folder to uploads (Authority). */
static int creator_may(const struct files_env *env, const struct db_upload_link *l, bool *ret)
{
    struct db_user *u = malloc(sizeof(*u));
    if (!u)
        return SEAU_E_NOMEM;
    struct files_who who;
    memset(&who, 0, sizeof(who));
    int rc = files_upload_link_subject(env, l, &who, u);
    *ret = false;
    if (rc == SEAU_E_GONE) {
        rc = 0;
    } else if (rc == 0) {
        bool configured = false;
        for (size_t i = 0; i < env->nbuckets; i++)
            configured = configured || strcmp(env->buckets[i], l->bucket) == 0;
        struct auth_resource res = {.bucket = l->bucket, .key = l->prefix};
        *ret = configured && auth_can(&who.subject, AUTH_SHARE_CREATE, &res) == 0;
        files_who_done(&who);
    }
    free(u);
    return rc;
}

int files_upload_link_resolve(const struct files_env *env, const char *token, int64_t now,
                              struct db_upload_link *ret, enum files_upload_link_state *ret_state)
{
    unsigned char hash[DB_TOKEN_HASH_LEN];
    if (!token || auth_token_hash(token, hash) != 0)
        return SEAU_E_NOT_FOUND;
    int rc = db_upload_link_get_by_token(env->db, hash, ret);
    if (rc)
        return rc;
    enum files_upload_link_state st = files_upload_link_state(ret, now);
    if (st == FILES_UPLOAD_LINK_LIVE) {
        bool ok = false;
        if ((rc = creator_may(env, ret, &ok)))
            return rc;
        if (!ok)
            st = FILES_UPLOAD_LINK_WITHDRAWN;
    }
    *ret_state = st;
    return 0;
}

int files_upload_link_password(struct db *db, const struct db_upload_link *l, const char *ip,
                               const char *password, int64_t now, int64_t window_ms,
                               int64_t *ret_retry_s)
{
    if (!l->password_hash[0])
        return 0;
    char key[DB_SHARE_ID_MAX + 80];
    snprintf(key, sizeof(key), "uploadlink:%s:%s", l->id, ip ? ip : "");
    struct db_throttle t;
    int rc = db_throttle_get(db, key, &t);
    if (rc)
        return rc;
    if (t.failures >= FILES_UPLOAD_LINK_PASSWORD_FAILURES && t.window_start + window_ms > now) {
        int64_t ms = t.window_start + window_ms - now;
        *ret_retry_s = ms <= 1000 ? 1 : (ms + 999) / 1000;
        return SEAU_E_RATE_LIMITED;
    }
    if (!password || !*password)
        return SEAU_E_UNAUTHORIZED;
    if (strlen(password) <= FILES_UPLOAD_LINK_PASSWORD_MAX &&
        auth_password_verify(l->password_hash, password))
        return 0;
    (void)db_throttle_fail(db, key, now, window_ms, &t);
    return SEAU_E_UNAUTHORIZED;
}

void files_upload_link_actor(const struct db_upload_link *l, const char *ip,
                             const char *user_agent, char label[DB_SHARE_ID_MAX + 16],
                             struct audit_actor *ret)
{
    snprintf(label, DB_SHARE_ID_MAX + 16, "upload-link:%s", l->id);
    *ret = (struct audit_actor){.user_id = 0, .email = label, .ip = ip, .user_agent = user_agent};
}

void files_upload_link_audit(const struct files_env *env, const struct db_upload_link *l,
                             const struct audit_actor *actor, const char *event, int http_status,
                             const char *reason, int64_t now)
{
    json_t *d = json_pack("{s:s, s:s, s:i}", "link", l->id, "event", event, "http", http_status);
    if (d && reason)
        json_object_set_new(d, "reason", json_string(reason));
    char *details = details_text(d);
    struct db_audit_entry e;
    audit_entry_init(&e, actor, "uploadlink.access", http_status < 400 ? "success" : "failure",
                     details, now);
    e.bucket = (char *)(uintptr_t)l->bucket;
    e.key = (char *)(uintptr_t)l->prefix;
    (void)db_audit_append(env->db, &e);
    free(details);
}

void files_upload_link_event_message(const struct db_upload_link *l, char *out, size_t n)
{
    snprintf(out, n, "A file arrived through the upload link to %s",
             l->prefix[0] ? l->prefix : l->bucket);
}
