/*
 * The store's front door: db_open chooses a backend from the URL scheme,
 * once, and every db_* function below dispatches through its table of
 * operations (db/backend.h). Nothing here knows SQL; the helpers shared by
 * every backend (freeing result arrays, finding embedded migrations) live
 * here too.
 */
#include "db/backend.h"

#include "core/err.h"
#include "core/timeutil.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The URL schemes this build opens, each with its backend's constructor. */
static const struct {
    const char *scheme; /* including the ':' */
    int (*open)(const char *target, int conns, struct db **ret);
    int (*probe)(const char *target, char *why, size_t n);
} backends[] = {
    {"sqlite:", db__sqlite_open, db__sqlite_probe},
    {"postgres:", db__postgres_open, db__postgres_probe},
    {"postgresql:", db__postgres_open, db__postgres_probe},
};

int db_open(const char *url, int conns, db_audit_seal_fn seal, struct db **ret)
{
    if (!url)
        return SEAU_E_VALIDATION;
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        size_t n = strlen(backends[i].scheme);
        if (strncmp(url, backends[i].scheme, n) != 0)
            continue;
        if (!url[n])
            return SEAU_E_VALIDATION;
        struct db *db = NULL;
        int rc = backends[i].open(url + n, conns, &db);
        if (rc)
            return rc;
        db->seal = seal;
        *ret = db;
        return 0;
    }
    return SEAU_E_VALIDATION;
}

int db_probe(const char *url, char *why, size_t n)
{
    if (n)
        why[0] = '\0';
    for (size_t i = 0; url && i < sizeof(backends) / sizeof(backends[0]); i++) {
        size_t len = strlen(backends[i].scheme);
        if (strncmp(url, backends[i].scheme, len) == 0 && url[len])
            return backends[i].probe(url + len, why, n);
    }
    snprintf(why, n, "the URL is not sqlite:PATH or postgres://…");
    return SEAU_E_VALIDATION;
}

const struct embedded_file *db__migration_find(const char *dir, int64_t version,
                                               const char **ret_name)
{
    char prefix[256];
    int len = snprintf(prefix, sizeof(prefix), "%s%04lld_", dir, (long long)version);
    if (len < 0 || (size_t)len >= sizeof(prefix))
        return NULL;
    const struct embedded_file *found = NULL;
    for (const struct embedded_file *f = embedded_files; f->path; f++)
        if (strncmp(f->path, prefix, (size_t)len) == 0)
            found = f;
    if (found && ret_name)
        *ret_name = found->path + strlen(dir);
    return found;
}

int64_t db__migration_last(const char *dir)
{
    size_t n = strlen(dir);
    int64_t last = 0;
    for (const struct embedded_file *f = embedded_files; f->path; f++) {
        if (strncmp(f->path, dir, n) != 0)
            continue;
        const char *v = f->path + n;
        int64_t x = 0;
        int digits = 0;
        while (digits < 4 && v[digits] >= '0' && v[digits] <= '9')
            x = x * 10 + (v[digits++] - '0');
        if (digits == 4 && v[4] == '_' && x > last)
            last = x;
    }
    return last;
}

bool db__prefix_successor(const char *prefix, char *out, size_t outlen)
{
    size_t n = strlen(prefix);
    if (n == 0 || n >= outlen)
        return false;
    memcpy(out, prefix, n + 1);
    out[n - 1] = (char)((unsigned char)out[n - 1] + 1);
    return true;
}

static int scope_cmp(const void *a, const void *b)
{
    const struct db_object_scope *x = a, *y = b;
    int d = strcmp(x->bucket, y->bucket);
    return d ? d : strcmp(x->prefix, y->prefix);
}

size_t db__scopes_normalize(struct db_object_scope *s, size_t n)
{
    qsort(s, n, sizeof(*s), scope_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out > 0 && strcmp(s[out - 1].bucket, s[i].bucket) == 0 &&
            strncmp(s[i].prefix, s[out - 1].prefix, strlen(s[out - 1].prefix)) == 0)
            continue;
        s[out++] = s[i];
    }
    return out;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    db__session_cache_free(db->session_cache);
    db->session_cache = NULL;
    db->ops->close(db);
}

int db_session_cache_enable(struct db *db, int64_t ttl_ms)
{
    if (ttl_ms <= 0 || db->session_cache)
        return 0;
    return db__session_cache_new(ttl_ms, &db->session_cache);
}

/*
 * After a write that may change a session or a user: copies of
 * db_session_get answers taken before it are no longer used. Moved on
 * whatever the write's outcome, as a failed write may have half-happened
 * from the reader's point of view (a retried transaction).
 */
static int auth_bump(struct db *db, int rc)
{
    atomic_fetch_add(&db->auth_generation, 1);
    return rc;
}

void db_audit_entries_free(struct db_audit_entry *entries, size_t n)
{
    if (!entries)
        return;
    for (size_t i = 0; i < n; i++) {
        struct db_audit_entry *e = &entries[i];
        free(e->user_email);
        free(e->action);
        free(e->bucket);
        free(e->key);
        free(e->ip);
        free(e->user_agent);
        free(e->status);
        free(e->details);
    }
    free(entries);
}

int db_migrate(struct db *db, int *ret_applied)
{
    return db->ops->migrate(db, ret_applied);
}

int db_ping(struct db *db)
{
    return db->ops->ping(db);
}

int db_user_count(struct db *db, int64_t *ret)
{
    return db->ops->user_count(db, ret);
}

int db_user_insert(struct db *db, struct db_user *u, struct db_audit_entry *audit)
{
    return db->ops->user_insert(db, u, audit);
}

int db_user_get(struct db *db, int64_t id, struct db_user *ret)
{
    return db->ops->user_get(db, id, ret);
}

int db_user_get_by_email(struct db *db, const char *email, struct db_user *ret)
{
    return db->ops->user_get_by_email(db, email, ret);
}

int db_user_list(struct db *db, struct db_user **ret, size_t *ret_n)
{
    return db->ops->user_list(db, ret, ret_n);
}

int db_user_update(struct db *db, const struct db_user *u, enum db_revoke revoke,
                   const unsigned char *keep_token_hash, struct db_audit_entry *audit)
{
    return auth_bump(db, db->ops->user_update(db, u, revoke, keep_token_hash, audit));
}

int db_user_delete(struct db *db, int64_t id, struct db_audit_entry *audit)
{
    return auth_bump(db, db->ops->user_delete(db, id, audit));
}

int db_session_create(struct db *db, const struct db_session *s, struct db_audit_entry *audit)
{
    return auth_bump(db, db->ops->session_create(db, s, audit));
}

int db_session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                   struct db_user *ret_u)
{
    uint64_t generation = atomic_load(&db->auth_generation);
    if (db->session_cache &&
        db__session_cache_get(db->session_cache, token_hash, generation, ret_s, ret_u))
        return 0;
    int64_t started = time_mono_ns();
    int rc = db->ops->session_get(db, token_hash, ret_s, ret_u);
    if (rc == 0) {
        sodium_memzero(ret_u->password_hash, sizeof(ret_u->password_hash));
        if (db->session_cache)
            db__session_cache_put(db->session_cache, token_hash, generation, started, ret_s,
                                  ret_u);
    }
    return rc;
}

int db_session_touch(struct db *db, const unsigned char *token_hash, int64_t now)
{
    return auth_bump(db, db->ops->session_touch(db, token_hash, now));
}

int db_session_delete(struct db *db, const unsigned char *token_hash, struct db_audit_entry *audit)
{
    return auth_bump(db, db->ops->session_delete(db, token_hash, audit));
}

int db_session_purge(struct db *db, int64_t idle_before, int64_t now)
{
    return auth_bump(db, db->ops->session_purge(db, idle_before, now));
}

int db_grants_get(struct db *db, int64_t user_id, struct db_grant **ret, size_t *ret_n)
{
    return db->ops->grants_get(db, user_id, ret, ret_n);
}

int db_grants_set(struct db *db, int64_t user_id, const struct db_grant *g, size_t n,
                  struct db_audit_entry *audit)
{
    return db->ops->grants_set(db, user_id, g, n, audit);
}

int db_audit_append(struct db *db, struct db_audit_entry *audit)
{
    return db->ops->audit_append(db, audit);
}

int db_audit_list(struct db *db, const struct db_audit_filter *f, struct db_audit_entry **ret,
                  size_t *ret_n)
{
    return db->ops->audit_list(db, f, ret, ret_n);
}

int db_audit_walk(struct db *db, int (*fn)(void *ctx, const struct db_audit_entry *e), void *ctx)
{
    return db->ops->audit_walk(db, fn, ctx);
}

int db_throttle_get(struct db *db, const char *key, struct db_throttle *ret)
{
    return db->ops->throttle_get(db, key, ret);
}

int db_throttle_fail(struct db *db, const char *key, int64_t now, int64_t window_ms,
                     struct db_throttle *ret)
{
    return db->ops->throttle_fail(db, key, now, window_ms, ret);
}

int db_throttle_clear(struct db *db, const char *key)
{
    return db->ops->throttle_clear(db, key);
}

int db_object_upsert(struct db *db, const struct db_object *o)
{
    return db->ops->object_upsert(db, o);
}

int db_object_get(struct db *db, const char *bucket, const char *key, struct db_object *ret)
{
    return db->ops->object_get(db, bucket, key, ret);
}

int db_object_delete(struct db *db, const char *bucket, const char *key)
{
    return db->ops->object_delete(db, bucket, key);
}

int db_object_delete_prefix(struct db *db, const char *bucket, const char *prefix, int64_t *ret_n)
{
    return db->ops->object_delete_prefix(db, bucket, prefix, ret_n);
}

int db_object_sync_page(struct db *db, const struct db_object *objs, size_t n, int64_t seen_at,
                        struct db_sync_counts *counts)
{
    return db->ops->object_sync_page(db, objs, n, seen_at, counts);
}

int db_object_sync_sweep(struct db *db, const char *bucket, int64_t walk_started, int64_t *ret_n)
{
    return db->ops->object_sync_sweep(db, bucket, walk_started, ret_n);
}

int db_index_sync_get(struct db *db, const char *bucket, struct db_index_sync *ret)
{
    return db->ops->index_sync_get(db, bucket, ret);
}

int db_index_sync_put(struct db *db, const struct db_index_sync *s)
{
    return db->ops->index_sync_put(db, s);
}

int db_object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                     size_t *ret_n, int64_t *ret_total)
{
    return db->ops->object_search(db, q, ret, ret_n, ret_total);
}

/* ------------------------------------------------------------ upload sessions */

int db_upload_insert(struct db *db, const struct db_upload *u, size_t max_per_user,
                     struct db_audit_entry *audit)
{
    return db->ops->upload_insert(db, u, max_per_user, audit);
}

int db_upload_get(struct db *db, const char *id, struct db_upload *ret)
{
    return db->ops->upload_get(db, id, ret);
}

int db_upload_claim(struct db *db, const char *id, int64_t now, int64_t until)
{
    return db->ops->upload_claim(db, id, now, until);
}

int db_upload_release(struct db *db, const char *id)
{
    return db->ops->upload_release(db, id);
}

int db_upload_delete(struct db *db, const char *id, struct db_audit_entry *audit)
{
    return db->ops->upload_delete(db, id, audit);
}

int db_upload_list_stale(struct db *db, int64_t created_before, int64_t now, size_t limit,
                         struct db_upload **ret, size_t *ret_n)
{
    return db->ops->upload_list_stale(db, created_before, now, limit, ret, ret_n);
}

/* ------------------------------------------------------------ object views */

int db_object_totals(struct db *db, const struct db_object_scope *scopes, size_t nscopes,
                     int64_t day_from, int64_t day_to, struct db_object_totals *ret)
{
    return db->ops->object_totals(db, scopes, nscopes, day_from, day_to, ret);
}

int db_object_level(struct db *db, const struct db_level_query *q, struct db_level_row **ret,
                    size_t *ret_n)
{
    return db->ops->object_level(db, q, ret, ret_n);
}

int db_object_folders(struct db *db, const char *bucket, const char *prefix, const char *after,
                      size_t limit, char ***ret, size_t *ret_n)
{
    return db->ops->object_folders(db, bucket, prefix, after, limit, ret, ret_n);
}

int db_audit_active_users(struct db *db, int64_t since, const char *bucket, int64_t *ret)
{
    return db->ops->audit_active_users(db, since, bucket, ret);
}

/* ------------------------------------------------------------ upload links */

int db_upload_link_insert(struct db *db, struct db_upload_link *l, struct db_audit_entry *audit)
{
    return db->ops->upload_link_insert(db, l, audit);
}

int db_upload_link_get(struct db *db, const char *id, struct db_upload_link *ret)
{
    return db->ops->upload_link_get(db, id, ret);
}

int db_upload_link_get_by_token(struct db *db, const unsigned char *token_hash,
                                struct db_upload_link *ret)
{
    return db->ops->upload_link_get_by_token(db, token_hash, ret);
}

int db_upload_link_list(struct db *db, const struct db_upload_link_filter *f,
                        struct db_upload_link **ret, size_t *ret_n)
{
    return db->ops->upload_link_list(db, f, ret, ret_n);
}

int db_upload_link_revoke(struct db *db, const char *id, int64_t now,
                          struct db_audit_entry *audit)
{
    return db->ops->upload_link_revoke(db, id, now, audit);
}

int db_upload_link_take(struct db *db, const char *id, int64_t now, int64_t files, int64_t bytes)
{
    return db->ops->upload_link_take(db, id, now, files, bytes);
}

int db_upload_link_give_back(struct db *db, const char *id, int64_t files, int64_t bytes)
{
    return db->ops->upload_link_give_back(db, id, files, bytes);
}

/* ------------------------------------------------------------ share links */

int db_share_insert(struct db *db, struct db_share *s, struct db_audit_entry *audit)
{
    return db->ops->share_insert(db, s, audit);
}

int db_share_get(struct db *db, const char *id, struct db_share *ret)
{
    return db->ops->share_get(db, id, ret);
}

int db_share_get_by_token(struct db *db, const unsigned char *token_hash, struct db_share *ret)
{
    return db->ops->share_get_by_token(db, token_hash, ret);
}

int db_share_list(struct db *db, const struct db_share_filter *f, struct db_share **ret,
                  size_t *ret_n)
{
    return db->ops->share_list(db, f, ret, ret_n);
}

int db_share_revoke(struct db *db, const char *id, int64_t now, struct db_audit_entry *audit)
{
    return db->ops->share_revoke(db, id, now, audit);
}

int db_share_count_download(struct db *db, const char *id, int64_t now,
                            struct db_audit_entry *audit)
{
    return db->ops->share_count_download(db, id, now, audit);
}

/* ------------------------------------------------------------ single sign-on */

int db_oidc_login_put(struct db *db, const struct db_oidc_login *l, int64_t now)
{
    return db->ops->oidc_login_put(db, l, now);
}

int db_oidc_login_take(struct db *db, const unsigned char *key_hash, int64_t now,
                       struct db_oidc_login *ret)
{
    return db->ops->oidc_login_take(db, key_hash, now, ret);
}

int db_oidc_sign_in(struct db *db, const struct db_oidc_identity *id, struct db_session *s,
                    struct db_audit_entry *audit, struct db_user *ret)
{
    return auth_bump(db, db->ops->oidc_sign_in(db, id, s, audit, ret));
}

/* ------------------------------------------------------------ notifications */

int db_notifications_insert(struct db *db, struct db_notification *n, size_t count,
                            int64_t claim_since, bool *ret_claimed)
{
    return db->ops->notifications_insert(db, n, count, claim_since, ret_claimed);
}

int db_notification_list(struct db *db, const struct db_notification_query *q,
                         struct db_notification **ret, size_t *ret_n)
{
    return db->ops->notification_list(db, q, ret, ret_n);
}

void db_notifications_free(struct db_notification *rows, size_t n)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++) {
        struct db_notification *r = &rows[i];
        free(r->type);
        free(r->source);
        free(r->bucket);
        free(r->key);
        free(r->from_key);
        free(r->etag);
        free(r->actor);
        free(r->message);
    }
    free(rows);
}

int db_notification_last_id(struct db *db, int64_t *ret)
{
    return db->ops->notification_last_id(db, ret);
}

int db_notification_s3_check(struct db *db, const struct db_s3_event *e, struct db_s3_check *ret)
{
    return db->ops->notification_s3_check(db, e, ret);
}

int db_notification_s3_ingest(struct db *db, const struct db_s3_event *e, struct db_notification *n,
                              enum db_s3_outcome *ret)
{
    return db->ops->notification_s3_ingest(db, e, n, ret);
}

int db_notification_purge(struct db *db, int64_t before, int64_t *ret_n)
{
    return db->ops->notification_purge(db, before, ret_n);
}

/* ------------------------------------------------------------ replicas */

bool db_is_shared(struct db *db)
{
    return db->ops->listen_open != NULL;
}

int db_notifications_since(struct db *db, int64_t after_id, size_t limit,
                           struct db_notification **ret, size_t *ret_n)
{
    if (limit == 0 || limit > 1000)
        return SEAU_E_VALIDATION;
    if (!db->ops->notifications_since)
        return SEAU_E_UNAVAILABLE;
    return db->ops->notifications_since(db, after_id, limit, ret, ret_n);
}

int db_listen_open(struct db *db, struct db_listener **ret)
{
    if (!db->ops->listen_open)
        return SEAU_E_UNAVAILABLE;
    return db->ops->listen_open(db, ret);
}

int db_listen_wait(struct db_listener *l, int wake_fd, int timeout_ms, struct db_notice *ret,
                   size_t max, size_t *ret_n)
{
    return l->ops->listen_wait(l, wake_fd, timeout_ms, ret, max, ret_n);
}

void db_listen_close(struct db_listener *l)
{
    if (l)
        l->ops->listen_close(l);
}

int db_leader_new(struct db *db, int64_t key, struct db_leader **ret)
{
    if (db->ops->leader_new)
        return db->ops->leader_new(db, key, ret);
    struct db_leader *l = calloc(1, sizeof(*l));
    if (!l)
        return SEAU_E_NOMEM;
    *ret = l;
    return 0;
}

int db_leader_try(struct db_leader *l, bool *ret_leader)
{
    if (!l->ops) {
        *ret_leader = true;
        return 0;
    }
    return l->ops->leader_try(l, ret_leader);
}

void db_leader_free(struct db_leader *l)
{
    if (!l)
        return;
    if (l->ops)
        l->ops->leader_free(l);
    else
        free(l);
}

/* ------------------------------------------------------------ sessions, MFA, tokens */

int db_session_list(struct db *db, int64_t user_id, int64_t idle_before, int64_t now,
                    struct db_session **ret, size_t *ret_n)
{
    return db->ops->session_list(db, user_id, idle_before, now, ret, ret_n);
}

int db_session_delete_id(struct db *db, int64_t user_id, const char *id,
                         struct db_audit_entry *audit)
{
    return auth_bump(db, db->ops->session_delete_id(db, user_id, id, audit));
}

int db_session_delete_others(struct db *db, int64_t user_id, const unsigned char *keep,
                             struct db_audit_entry *audit, int64_t *ret_n)
{
    return auth_bump(db, db->ops->session_delete_others(db, user_id, keep, audit, ret_n));
}

int db_mfa_get(struct db *db, int64_t user_id, struct db_mfa *ret)
{
    return db->ops->mfa_get(db, user_id, ret);
}

int db_mfa_setup(struct db *db, const struct db_mfa *m, struct db_audit_entry *audit)
{
    return db->ops->mfa_setup(db, m, audit);
}

int db_mfa_enable(struct db *db, int64_t user_id, int64_t step,
                  const unsigned char (*codes)[DB_TOKEN_HASH_LEN], size_t n,
                  struct db_audit_entry *audit)
{
    return auth_bump(db, db->ops->mfa_enable(db, user_id, step, codes, n, audit));
}

int db_mfa_use_step(struct db *db, int64_t user_id, int64_t step)
{
    return db->ops->mfa_use_step(db, user_id, step);
}

int db_mfa_use_recovery(struct db *db, int64_t user_id, const unsigned char *code_hash, int64_t now)
{
    return db->ops->mfa_use_recovery(db, user_id, code_hash, now);
}

int db_mfa_recovery_left(struct db *db, int64_t user_id, int64_t *ret)
{
    return db->ops->mfa_recovery_left(db, user_id, ret);
}

int db_mfa_delete(struct db *db, int64_t user_id, struct db_audit_entry *audit)
{
    return auth_bump(db, db->ops->mfa_delete(db, user_id, audit));
}

int db_mfa_challenge_create(struct db *db, const unsigned char *token_hash, int64_t user_id,
                            int64_t now, int64_t expires_at)
{
    return db->ops->mfa_challenge_create(db, token_hash, user_id, now, expires_at);
}

int db_mfa_challenge_get(struct db *db, const unsigned char *token_hash, int64_t now,
                         int64_t *ret_user_id)
{
    return db->ops->mfa_challenge_get(db, token_hash, now, ret_user_id);
}

int db_mfa_challenge_delete(struct db *db, const unsigned char *token_hash)
{
    return db->ops->mfa_challenge_delete(db, token_hash);
}

int db_pat_insert(struct db *db, const struct db_pat *t, size_t max_per_user,
                  struct db_audit_entry *audit)
{
    return db->ops->pat_insert(db, t, max_per_user, audit);
}

int db_pat_list(struct db *db, int64_t user_id, struct db_pat **ret, size_t *ret_n)
{
    return db->ops->pat_list(db, user_id, ret, ret_n);
}

int db_pat_get_by_hash(struct db *db, const unsigned char *token_hash, struct db_pat *ret_t,
                       struct db_user *ret_u)
{
    return db->ops->pat_get_by_hash(db, token_hash, ret_t, ret_u);
}

int db_pat_touch(struct db *db, const char *id, int64_t now)
{
    return db->ops->pat_touch(db, id, now);
}

int db_pat_delete(struct db *db, int64_t user_id, const char *id, struct db_audit_entry *audit)
{
    return db->ops->pat_delete(db, user_id, id, audit);
}

/* ------------------------------------------------------------ recycle bin, tags */

int db_trash_insert(struct db *db, struct db_trash *t, struct db_audit_entry *audit)
{
    return db->ops->trash_insert(db, t, audit);
}

int db_trash_get(struct db *db, int64_t id, struct db_trash *ret)
{
    return db->ops->trash_get(db, id, ret);
}

int db_trash_find_marker(struct db *db, const char *bucket, const char *version_id,
                         struct db_trash *ret)
{
    return db->ops->trash_find_marker(db, bucket, version_id, ret);
}

int db_trash_list(struct db *db, const struct db_trash_filter *f, struct db_trash **ret,
                  size_t *ret_n)
{
    return db->ops->trash_list(db, f, ret, ret_n);
}

int db_trash_delete(struct db *db, int64_t id, struct db_audit_entry *audit)
{
    return db->ops->trash_delete(db, id, audit);
}

int db_tags_set(struct db *db, const char *bucket, const char *key, const struct db_tag *tags,
                size_t n, struct db_audit_entry *audit)
{
    if (n > DB_TAGS_MAX)
        return SEAU_E_VALIDATION;
    return db->ops->tags_set(db, bucket, key, tags, n, audit);
}

int db_tags_get(struct db *db, const char *bucket, const char *key, struct db_tag **ret,
                size_t *ret_n)
{
    return db->ops->tags_get(db, bucket, key, ret, ret_n);
}

/* Invitations (migration 0014). */
int db_invitation_put(struct db *db, const struct db_invitation *inv, struct db_audit_entry *audit)
{
    return db->ops->invitation_put(db, inv, audit);
}

int db_invitation_get(struct db *db, const unsigned char *token_hash, int64_t now,
                      struct db_invitation *ret_inv, struct db_user *ret_u)
{
    return db->ops->invitation_get(db, token_hash, now, ret_inv, ret_u);
}

int db_invitation_accept(struct db *db, const unsigned char *token_hash, int64_t now,
                         const char *password_hash, struct db_audit_entry *audit,
                         struct db_user *ret_u)
{
    return auth_bump(db,
                     db->ops->invitation_accept(db, token_hash, now, password_hash, audit, ret_u));
}
