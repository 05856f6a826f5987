/*
 * What every service in files/ works with: the environment (S3, the store,
 * the configured buckets, the event bus) and the caller as the policy sees
 * it. The API layer prepares both for a request from its route's flags
 * (api/api.h: api_files_env, api_who); services take them as arguments and
 * never reach for struct app.
 */
#ifndef SEAU_FILES_ENV_H
#define SEAU_FILES_ENV_H

#include "auth/policy.h"
#include "auth/session.h"
#include "db/db.h"

#include <stddef.h>

struct s3_client;
struct events;
struct metrics;

/* What the service works with; borrowed, all from struct app. */
struct files_env {
    struct s3_client *s3; /* NULL: S3 is not configured (SEAU_E_UNAVAILABLE) */
    struct db *db;
    char *const *buckets; /* configured buckets; the first is the default */
    size_t nbuckets;
    struct events *events;   /* the bus services publish to (events/bus.h); NULL: none */
    struct metrics *metrics; /* where uploads are counted (metrics/metrics.h); NULL: nowhere */
};

/*
 * The caller as the policy sees it: the principal's account and role and,
 * below admin, its grants loaded from the store. Release with
 * files_who_done(). Returns 0 or SEAU_E_DB / SEAU_E_NOMEM.
 */
struct files_who {
    struct auth_subject subject;
    struct db_grant *grants; /* owned */
};
int files_who_load(struct db *db, const struct auth_principal *p, struct files_who *ret);
void files_who_done(struct files_who *w);

#endif
