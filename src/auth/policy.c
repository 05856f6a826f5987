#include "auth/policy.h"

#include "core/err.h"

#include <string.h>

enum auth_role auth_role_parse(const char *s)
{
    if (!s)
        return AUTH_ROLE_NONE;
    if (strcmp(s, "admin") == 0)
        return AUTH_ROLE_ADMIN;
    if (strcmp(s, "manager") == 0)
        return AUTH_ROLE_MANAGER;
    if (strcmp(s, "user") == 0)
        return AUTH_ROLE_USER;
    return AUTH_ROLE_NONE;
}

const char *auth_role_name(enum auth_role r)
{
    switch (r) {
    case AUTH_ROLE_ADMIN:
        return "admin";
    case AUTH_ROLE_MANAGER:
        return "manager";
    case AUTH_ROLE_USER:
        return "user";
    default:
        return "none";
    }
}

/* The grant covering bucket/key with the highest level (the first of equals), or NULL. */
static const struct db_grant *covering_grant(const struct auth_subject *who, const char *bucket,
                                             const char *key)
{
    if (!bucket)
        return NULL;
    const struct db_grant *best = NULL;
    for (size_t i = 0; i < who->ngrants; i++) {
        const struct db_grant *g = &who->grants[i];
        if (strcmp(g->bucket, bucket) != 0)
            continue;
        size_t plen = strlen(g->prefix);
        if ((plen == 0 || (key && strncmp(key, g->prefix, plen) == 0)) &&
            (!best || auth_level_parse(g->level) > auth_level_parse(best->level)))
            best = g;
    }
    return best;
}

bool auth_grants_cover(const struct auth_subject *who, const char *bucket, const char *key)
{
    if (who->role == AUTH_ROLE_ADMIN)
        return true;
    return covering_grant(who, bucket, key) != NULL;
}

enum auth_level auth_level_parse(const char *s)
{
    if (!s)
        return AUTH_LEVEL_NONE;
    if (strcmp(s, "full") == 0 || strcmp(s, "") == 0)
        return AUTH_LEVEL_FULL;
    if (strcmp(s, "upload") == 0)
        return AUTH_LEVEL_UPLOAD;
    if (strcmp(s, "read") == 0)
        return AUTH_LEVEL_READ;
    return AUTH_LEVEL_NONE;
}

const char *auth_level_name(enum auth_level l)
{
    switch (l) {
    case AUTH_LEVEL_FULL:
        return "full";
    case AUTH_LEVEL_UPLOAD:
        return "upload";
    case AUTH_LEVEL_READ:
        return "read";
    default:
        return "none";
    }
}

enum auth_level auth_grants_level(const struct auth_subject *who, const char *bucket,
                                  const char *key)
{
    if (who->role == AUTH_ROLE_ADMIN)
        return AUTH_LEVEL_FULL;
    enum auth_level best = AUTH_LEVEL_NONE;
    if (!bucket)
        return best;
    for (size_t i = 0; i < who->ngrants; i++) {
        const struct db_grant *g = &who->grants[i];
        if (strcmp(g->bucket, bucket) != 0)
            continue;
        size_t plen = strlen(g->prefix);
        if (plen == 0 || (key && strncmp(key, g->prefix, plen) == 0)) {
            enum auth_level l = auth_level_parse(g->level);
            if (l > best)
                best = l;
        }
    }
    return best;
}

/* The level an object action needs from the grants. */
static enum auth_level level_needed(enum auth_action a)
{
    switch (a) {
    case AUTH_OBJECT_READ:
        return AUTH_LEVEL_READ;
    case AUTH_OBJECT_WRITE:
    case AUTH_FOLDER_CREATE:
        return AUTH_LEVEL_UPLOAD;
    default:
        return AUTH_LEVEL_FULL;
    }
}

static bool is_object_action(enum auth_action a)
{
    return a == AUTH_OBJECT_READ || a == AUTH_OBJECT_WRITE || a == AUTH_OBJECT_DELETE ||
           a == AUTH_FOLDER_CREATE || a == AUTH_SHARE_CREATE;
}

/* Records the decision in ret (when given) and returns its code. */
static int decide(struct auth_decision *ret, int rc, const char *reason,
                  const struct db_grant *grant)
{
    if (ret) {
        ret->rc = rc;
        ret->reason = reason;
        ret->grant = grant;
    }
    return rc;
}

int auth_can(const struct auth_subject *who, enum auth_action action,
             const struct auth_resource *what)
{
    return auth_can_explain(who, action, what, NULL);
}

int auth_can_explain(const struct auth_subject *who, enum auth_action action,
                     const struct auth_resource *what, struct auth_decision *ret)
{
    if (!who || who->role == AUTH_ROLE_NONE)
        return decide(ret, SEAU_E_FORBIDDEN, "Denied: the account has no role.", NULL);
    const struct db_grant *g = NULL;
    if (is_object_action(action) && who->role != AUTH_ROLE_ADMIN) {
        g = covering_grant(who, what->bucket, what->key);
        if (!g)
            return decide(ret, SEAU_E_NOT_FOUND,
                          "Denied: no grant covers this bucket and prefix.", NULL);
    }
    if (who->role == AUTH_ROLE_ADMIN)
        return decide(ret, 0, "Allowed: administrators may do everything.", NULL);
    /* Visible, but the grant's level stops short of the action. */
    if (is_object_action(action) &&
        auth_grants_level(who, what->bucket, what->key) < level_needed(action))
        return decide(ret, SEAU_E_FORBIDDEN,
                      "Denied: the grant that covers this path does not allow this action "
                      "(its level is too low).",
                      g);
    switch (action) {
    case AUTH_USERS_LIST:
    case AUTH_ACTIVITY_READ:
        return who->role == AUTH_ROLE_MANAGER
                   ? decide(ret, 0, "Allowed: managers may do this.", NULL)
                   : decide(ret, SEAU_E_FORBIDDEN, "Denied: only managers and admins may.", NULL);
    case AUTH_USER_EDIT_SELF:
        return what->target_user_id == who->user_id
                   ? decide(ret, 0, "Allowed: one may edit one's own account.", NULL)
                   : decide(ret, SEAU_E_FORBIDDEN, "Denied: this is someone else's account.",
                            NULL);
    case AUTH_USER_MANAGE:
    case AUTH_GRANTS_MANAGE:
    case AUTH_SETTINGS:
        return decide(ret, SEAU_E_FORBIDDEN, "Denied: only admins may.", NULL);
    case AUTH_OBJECT_READ:
    case AUTH_OBJECT_WRITE:
        return decide(ret, 0, "Allowed by a grant that covers this path.", g);
    case AUTH_OBJECT_DELETE:
        if (who->role == AUTH_ROLE_MANAGER)
            return decide(ret, 0, "Allowed: a manager may delete within its grants.", g);
        return what->owner_id != 0 && what->owner_id == who->user_id
                   ? decide(ret, 0, "Allowed: the grant covers this path and the user uploaded "
                                    "this object.", g)
                   : decide(ret, SEAU_E_FORBIDDEN,
                            "Denied: a user may delete only objects it uploaded itself.", g);
    case AUTH_FOLDER_CREATE:
    case AUTH_SHARE_CREATE:
        return who->role == AUTH_ROLE_MANAGER
                   ? decide(ret, 0, "Allowed: a manager may do this within its grants.", g)
                   : decide(ret, SEAU_E_FORBIDDEN,
                            "Denied: only managers and admins may share or create folders.", g);
    }
    return decide(ret, SEAU_E_FORBIDDEN, "Denied.", NULL);
}
