/*
 * The numbers of GET /api/stats (API.md), from the object index and the
 * audit log, never from S3, and only what the caller may see:
 *
 * - objects, bytes, byType: the index rows within the caller's scopes
 *   (files_index_scopes: the configured buckets, or the one asked for,
 *   intersected with its grants), by the search "type" of files_kind_of().
 * - uploadsPerDay: for each of the last FILES_STATS_DAYS days (UTC, oldest
 *   first, days without any included), the objects in those scopes whose
 *   last modification (S3's LastModified) falls on that day, and their
 *   bytes. So it counts what exists now by the day it was last written,
 *   whoever wrote it (through Seau or straight to S3, once indexed); a file
 *   deleted since does not count. The audit log would miss writes made
 *   outside Seau.
 * - activeUsers: the distinct accounts with an audit entry in the last
 *   FILES_STATS_DAYS days (on the bucket, when one is asked for). A `user`
 *   may not read the activity log, so for it this is 1 when it was active
 *   itself, else 0.
 * - recentActivity: the last FILES_STATS_RECENT audit entries (on the
 *   bucket, when one is asked for); a `user` gets only its own.
 *
 * Cost: see db_object_totals: whole-bucket scopes (admins, bucket grants)
 * read kept totals, O(1) in the number of objects; a prefix grant
 * aggregates its key range.
 */
#ifndef SEAU_FILES_STATS_H
#define SEAU_FILES_STATS_H

#include "auth/policy.h"
#include "db/db.h"

#include <stddef.h>
#include <stdint.h>

#define FILES_STATS_DAYS   30
#define FILES_STATS_RECENT 10
#define FILES_STATS_TYPES  8 /* image, video, audio, pdf, text, archive, document, other */

struct files_stats_type {
    const char *type; /* static */
    int64_t objects;
    int64_t bytes;
};

struct files_stats_day {
    int64_t day; /* days since 1970-01-01, UTC */
    int64_t count;
    int64_t bytes;
};

struct files_stats {
    int64_t objects;
    int64_t bytes;
    struct files_stats_type types[FILES_STATS_TYPES]; /* every type, in the order above */
    struct files_stats_day days[FILES_STATS_DAYS];    /* oldest first */
    int64_t active_users;
    struct db_audit_entry *recent; /* newest first; owned */
    size_t nrecent;
};

/*
 * Fills *ret for `who` at time now (ms). bucket NULL: every configured
 * bucket it sees. Returns 0 (release *ret with files_stats_done), or
 * SEAU_E_NOT_FOUND for a bucket that is not configured or not visible,
 * SEAU_E_DB, SEAU_E_NOMEM.
 */
int files_stats_get(struct db *db, char *const *buckets, const struct auth_subject *who,
                    const char *bucket, int64_t now, struct files_stats *ret);
void files_stats_done(struct files_stats *s);

#endif
