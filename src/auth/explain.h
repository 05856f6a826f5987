/*
 * The access explainer (GET /api/access/explain, admins): what auth_can
 * answers for one account, one bucket and key, and one action, with the
 * reason and the grant it rests on. The account's role and grants are
 * read from the store, and for a delete the object's uploader from the
 * object index, exactly as a request of that account would see them.
 */
#ifndef SEAU_AUTH_EXPLAIN_H
#define SEAU_AUTH_EXPLAIN_H

#include "auth/policy.h"
#include "db/db.h"

#include <stdbool.h>

struct auth_explanation {
    bool allowed;
    int rc; /* auth_can's code: 0, SEAU_E_NOT_FOUND (not visible) or SEAU_E_FORBIDDEN */
    char reason[256];
    bool has_grant;
    struct db_grant grant;
};

/* "read", "upload", "delete", "share" -> the policy's action; false for anything else. */
bool auth_explain_action(const char *name, enum auth_action *ret);

/*
 * Explains action on bucket/key for account user_id. Returns 0 with the
 * explanation, SEAU_E_NOT_FOUND when there is no such account, or a store
 * error.
 */
int auth_access_explain(struct db *db, int64_t user_id, const char *bucket, const char *key,
                        enum auth_action action, struct auth_explanation *ret);

#endif
