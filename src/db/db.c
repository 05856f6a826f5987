#include "db/db.h"

#include "core/cfg.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

int db_open(const char *url, int conns, db_audit_seal_fn seal, struct db **ret)
{
    const char *path = cfg_sqlite_path(url);
    if (!path || !*path)
        return SEAU_E_VALIDATION;
    struct db *db = NULL;
    int rc = db__sqlite_open(path, conns, &db);
    if (rc)
        return rc;
    db->seal = seal;
    *ret = db;
    return 0;
}

void db_close(struct db *db)
{
    if (db)
        db->ops->close(db);
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
    return db->ops->user_update(db, u, revoke, keep_token_hash, audit);
}

int db_user_delete(struct db *db, int64_t id, struct db_audit_entry *audit)
{
    return db->ops->user_delete(db, id, audit);
}

int db_session_create(struct db *db, const struct db_session *s, struct db_audit_entry *audit)
{
    return db->ops->session_create(db, s, audit);
}

int db_session_get(struct db *db, const unsigned char *token_hash, struct db_session *ret_s,
                   struct db_user *ret_u)
{
    return db->ops->session_get(db, token_hash, ret_s, ret_u);
}

int db_session_touch(struct db *db, const unsigned char *token_hash, int64_t now)
{
    return db->ops->session_touch(db, token_hash, now);
}

int db_session_delete(struct db *db, const unsigned char *token_hash, struct db_audit_entry *audit)
{
    return db->ops->session_delete(db, token_hash, audit);
}

int db_session_purge(struct db *db, int64_t idle_before, int64_t now)
{
    return db->ops->session_purge(db, idle_before, now);
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

int db_object_search(struct db *db, const struct db_object_query *q, struct db_object **ret,
                     size_t *ret_n, int64_t *ret_total)
{
    return db->ops->object_search(db, q, ret, ret_n, ret_total);
}
