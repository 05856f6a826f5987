/*
 * Roles, grants and the one policy function every handler asks.
 *
 * The router already refuses a route to a role below the route's minimum;
 * auth_can() decides what depends on the resource: which user is being
 * changed, which bucket and key are touched, who uploaded an object.
 */
#ifndef SEAU_AUTH_POLICY_H
#define SEAU_AUTH_POLICY_H

#include "db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum auth_role {
    AUTH_ROLE_NONE = 0,
    AUTH_ROLE_USER = 1,
    AUTH_ROLE_MANAGER = 2,
    AUTH_ROLE_ADMIN = 3,
};

/* "user", "manager", "admin" -> role; AUTH_ROLE_NONE for anything else. */
enum auth_role auth_role_parse(const char *s);
const char *auth_role_name(enum auth_role r);

enum auth_action {
    AUTH_USERS_LIST,     /* see every account */
    AUTH_USER_MANAGE,    /* create, delete, change role or state of an account */
    AUTH_USER_EDIT_SELF, /* change one's own name and password (target = self) */
    AUTH_GRANTS_MANAGE,
    AUTH_ACTIVITY_READ,
    AUTH_SETTINGS,
    AUTH_OBJECT_READ,   /* list, search, preview, download */
    AUTH_OBJECT_WRITE,  /* upload */
    AUTH_OBJECT_DELETE, /* delete, and the source side of rename and move */
    AUTH_FOLDER_CREATE,
    AUTH_SHARE_CREATE,
};

/* Who is asking: the account and, for user and manager roles, its grants. */
struct auth_subject {
    int64_t user_id;
    enum auth_role role;
    const struct db_grant *grants;
    size_t ngrants;
};

/* What is touched; fields that do not apply are 0 / NULL. */
struct auth_resource {
    int64_t target_user_id;   /* for user actions */
    const char *bucket;       /* for object actions */
    const char *key;          /* object key or "prefix/" */
    int64_t owner_id;         /* who uploaded the object; 0 when unknown */
};

/*
 * Returns 0 when allowed, SEAU_E_NOT_FOUND when the resource lies outside
 * what the subject may even see (so its existence does not leak), or
 * SEAU_E_FORBIDDEN when it is visible but the action is not allowed.
 */
int auth_can(const struct auth_subject *who, enum auth_action action,
             const struct auth_resource *what);

/*
 * Why auth_can answered as it did: auth_can is this function without the
 * explanation, so the access explainer (GET /api/access/explain) reports
 * the very decision every request gets, not a second opinion.
 */
struct auth_decision {
    int rc;                       /* auth_can's answer */
    const char *reason;           /* a static sentence */
    const struct db_grant *grant; /* the grant that covered the resource (borrowed), or NULL */
};
int auth_can_explain(const struct auth_subject *who, enum auth_action action,
                     const struct auth_resource *what, struct auth_decision *ret);

/*
 * What a grant allows, in order: each level allows what the ones before it
 * do. READ: list, search, preview, download. UPLOAD: and upload, and new
 * folders (for managers). FULL: and delete, rename, move, share.
 */
enum auth_level {
    AUTH_LEVEL_NONE = 0,
    AUTH_LEVEL_READ = 1,
    AUTH_LEVEL_UPLOAD = 2,
    AUTH_LEVEL_FULL = 3,
};

/* "read", "upload", "full" ("" too, as stores before levels) -> level; AUTH_LEVEL_NONE otherwise. */
enum auth_level auth_level_parse(const char *s);
const char *auth_level_name(enum auth_level l);

/*
 * The most the grants allow on bucket/key: the highest level of the grants
 * covering it (admins: FULL; none covering it: NONE).
 */
enum auth_level auth_grants_level(const struct auth_subject *who, const char *bucket,
                                  const char *key);

/* True when the grants let the subject see bucket/key at all. */
bool auth_grants_cover(const struct auth_subject *who, const char *bucket, const char *key);

#endif
