#include "auth/explain.h"

#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool auth_explain_action(const char *name, enum auth_action *ret)
{
    static const struct {
        const char *name;
        enum auth_action action;
    } map[] = {
        {"read", AUTH_OBJECT_READ},
        {"upload", AUTH_OBJECT_WRITE},
        {"delete", AUTH_OBJECT_DELETE},
        {"share", AUTH_SHARE_CREATE},
    };
    for (size_t i = 0; name && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(name, map[i].name) == 0) {
            *ret = map[i].action;
            return true;
        }
    return false;
}

int auth_access_explain(struct db *db, int64_t user_id, const char *bucket, const char *key,
                        enum auth_action action, struct auth_explanation *ret)
{
    struct db_user u;
    int rc = db_user_get(db, user_id, &u);
    if (rc)
        return rc;
    struct db_grant *grants = NULL;
    size_t ngrants = 0;
    rc = db_grants_get(db, user_id, &grants, &ngrants);
    if (rc)
        return rc;
    struct auth_resource what = {.bucket = bucket, .key = key ? key : ""};
    if (action == AUTH_OBJECT_DELETE && key && *key) {
        struct db_object o;
        if (db_object_get(db, bucket, key, &o) == 0)
            what.owner_id = o.uploaded_by;
    }
    struct auth_subject who = {
        .user_id = u.id,
        .role = u.disabled ? AUTH_ROLE_NONE : auth_role_parse(u.role),
        .grants = grants,
        .ngrants = ngrants,
    };
    struct auth_decision d;
    auth_can_explain(&who, action, &what, &d);
    struct auth_explanation x;
    memset(&x, 0, sizeof(x));
    x.rc = d.rc;
    x.allowed = d.rc == 0;
    snprintf(x.reason, sizeof(x.reason), "%s",
             u.disabled ? "Denied: the account is disabled." : d.reason);
    if (d.grant) {
        x.has_grant = true;
        x.grant = *d.grant;
    }
    free(grants);
    *ret = x;
    return 0;
}
