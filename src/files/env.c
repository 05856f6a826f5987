/* The caller as the policy sees it (files/env.h). */
#include "files/env.h"

#include <stdlib.h>
#include <string.h>

int files_who_load(struct db *db, const struct auth_principal *p, struct files_who *ret)
{
    struct files_who w;
    memset(&w, 0, sizeof(w));
    w.subject.user_id = p->user.id;
    w.subject.role = p->role;
    if (p->role != AUTH_ROLE_ADMIN) {
        size_t n = 0;
        int rc = db_grants_get(db, p->user.id, &w.grants, &n);
        if (rc)
            return rc;
        w.subject.grants = w.grants;
        w.subject.ngrants = n;
    }
    *ret = w;
    return 0;
}

void files_who_done(struct files_who *w)
{
    if (!w)
        return;
    free(w->grants);
    memset(w, 0, sizeof(*w));
}
