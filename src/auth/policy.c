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

bool auth_grants_cover(const struct auth_subject *who, const char *bucket, const char *key)
{
    if (who->role == AUTH_ROLE_ADMIN)
        return true;
    if (!bucket)
        return false;
    for (size_t i = 0; i < who->ngrants; i++) {
        const struct db_grant *g = &who->grants[i];
        if (strcmp(g->bucket, bucket) != 0)
            continue;
        size_t plen = strlen(g->prefix);
        if (plen == 0 || (key && strncmp(key, g->prefix, plen) == 0))
            return true;
    }
    return false;
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

int auth_can(const struct auth_subject *who, enum auth_action action,
             const struct auth_resource *what)
{
    if (!who || who->role == AUTH_ROLE_NONE)
        return SEAU_E_FORBIDDEN;
    if (is_object_action(action) && !auth_grants_cover(who, what->bucket, what->key))
        return SEAU_E_NOT_FOUND;
    if (who->role == AUTH_ROLE_ADMIN)
        return 0;
    /* Visible, but the grant's level stops short of the action. */
    if (is_object_action(action) &&
        auth_grants_level(who, what->bucket, what->key) < level_needed(action))
        return SEAU_E_FORBIDDEN;
    switch (action) {
    case AUTH_USERS_LIST:
    case AUTH_ACTIVITY_READ:
        return who->role == AUTH_ROLE_MANAGER ? 0 : SEAU_E_FORBIDDEN;
    case AUTH_USER_EDIT_SELF:
        return what->target_user_id == who->user_id ? 0 : SEAU_E_FORBIDDEN;
    case AUTH_USER_MANAGE:
    case AUTH_GRANTS_MANAGE:
    case AUTH_SETTINGS:
        return SEAU_E_FORBIDDEN;
    case AUTH_OBJECT_READ:
    case AUTH_OBJECT_WRITE:
        return 0;
    case AUTH_OBJECT_DELETE:
        if (who->role == AUTH_ROLE_MANAGER)
            return 0;
        return what->owner_id != 0 && what->owner_id == who->user_id ? 0 : SEAU_E_FORBIDDEN;
    case AUTH_FOLDER_CREATE:
    case AUTH_SHARE_CREATE:
        return who->role == AUTH_ROLE_MANAGER ? 0 : SEAU_E_FORBIDDEN;
    }
    return SEAU_E_FORBIDDEN;
}
