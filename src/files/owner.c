/* Ownership of objects and numbered names; see owner.h. */
#include "files/owner.h"

#include "core/err.h"
#include "s3/client.h"

#include <stdio.h>
#include <string.h>

int files_key_exists(struct s3_client *s3, const char *bucket, const char *key, bool *ret_exists,
                     struct s3_error *ret_err)
{
    if (!s3)
        return SEAU_E_UNAVAILABLE;
    struct s3_object_head h;
    memset(&h, 0, sizeof(h));
    int rc = s3_head_object(s3, bucket, key, NULL, &h, ret_err);
    s3_object_head_done(&h);
    if (rc == SEAU_E_NOT_FOUND) {
        if (ret_err)
            memset(ret_err, 0, sizeof(*ret_err));
        *ret_exists = false;
        return 0;
    }
    if (rc)
        return rc;
    *ret_exists = true;
    return 0;
}

int files_owner_check(struct s3_client *s3, struct db *db, const char *bucket, const char *key,
                      int64_t user_id, bool *ret_exists, struct s3_error *ret_err)
{
    struct db_object o;
    int rc = db_object_get(db, bucket, key, &o);
    if (rc && rc != SEAU_E_NOT_FOUND)
        return rc;
    bool known = rc == 0;
    bool mine = known && user_id != 0 && o.uploaded_by == user_id;
    bool exists = true;
    if (!mine) {
        rc = files_key_exists(s3, bucket, key, &exists, ret_err);
        if (rc)
            return rc;
    }
    if (ret_exists)
        *ret_exists = exists;
    return exists && !mine ? SEAU_E_FORBIDDEN : 0;
}

int files_owner_may_overwrite(const struct files_env *env, const struct files_who *who,
                              const char *bucket, const char *key, struct s3_error *ret_err)
{
    if (who->subject.role != AUTH_ROLE_USER)
        return 0;
    return files_owner_check(env->s3, env->db, bucket, key, who->subject.user_id, NULL, ret_err);
}

int files_name_numbered(const char *key, unsigned n, char *out, size_t outlen)
{
    size_t len = strlen(key);
    bool folder = len > 0 && key[len - 1] == '/';
    size_t stem_end = folder ? len - 1 : len; /* where " (n)" goes */
    if (!folder) {
        const char *slash = strrchr(key, '/');
        const char *base = slash ? slash + 1 : key;
        const char *dot = strrchr(base, '.');
        /* ".env" has no extension; "report." keeps its dot after the number too. */
        if (dot && dot != base)
            stem_end = (size_t)(dot - key);
    }
    int w = snprintf(out, outlen, "%.*s (%u)%s", (int)stem_end, key, n, key + stem_end);
    if (w < 0 || (size_t)w >= outlen || (size_t)w > DB_KEY_MAX)
        return SEAU_E_VALIDATION;
    return 0;
}

int files_name_free(struct s3_client *s3, const char *bucket, const char *key, char *out,
                    size_t outlen, struct s3_error *ret_err)
{
    if (strlen(key) >= outlen)
        return SEAU_E_VALIDATION;
    char name[DB_KEY_MAX + 1];
    snprintf(name, sizeof(name), "%s", key);
    for (unsigned i = 0; i <= FILES_NAME_TRIES; i++) {
        int rc = i ? files_name_numbered(key, i, name, sizeof(name)) : 0;
        bool taken = false;
        if (rc == 0)
            rc = files_key_exists(s3, bucket, name, &taken, ret_err);
        if (rc)
            return rc;
        if (!taken) {
            snprintf(out, outlen, "%s", name);
            return 0;
        }
    }
    return SEAU_E_CONFLICT;
}
