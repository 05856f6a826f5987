/*
 * Events and notifications (API.md "Notifications and activity"): what
 * changed, as it is published (struct event) and as people see it (a
 * notification: a stored row, struct db_notification, rendered as JSON).
 *
 * Pure functions: nothing here stores, sends or logs.
 */
#ifndef SEAU_EVENTS_EVENT_H
#define SEAU_EVENTS_EVENT_H

#include "auth/policy.h"
#include "db/db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum events_type {
    EVENTS_UPLOAD,
    EVENTS_DELETE,
    EVENTS_COPY,
    EVENTS_RENAME, /* also a move (copy with move=true): key is the new name, from_key the old */
    EVENTS_SHARE,
    EVENTS_USER,
    EVENTS_ERROR,
    EVENTS_TYPE_COUNT
};

enum events_source {
    EVENTS_SOURCE_SEAU,   /* done through this server */
    EVENTS_SOURCE_S3,     /* seen on a bucket through S3 event notifications */
    EVENTS_SOURCE_SYSTEM, /* reported by the server itself */
    EVENTS_SOURCE_COUNT
};

#define EVENTS_SIZE_UNKNOWN (-1)
#define EVENTS_MESSAGE_MAX  4096 /* bytes of a notification's message */

/*
 * One change, as published. Strings are borrowed for the call that takes
 * the event (which copies what it keeps). Fields that do not apply are
 * NULL / 0; size is EVENTS_SIZE_UNKNOWN when not known (0 is an empty file).
 */
struct event {
    enum events_type type;
    enum events_source source;
    int64_t time;         /* ms since the epoch; 0: now */
    const char *bucket;   /* NULL: not about a bucket (user changes) */
    const char *key;      /* the object, or a folder "prefix/" */
    const char *from_key; /* rename and move: the key before */
    int64_t size;
    const char *etag;       /* as S3 gave it (quotes are dropped); NULL: unknown */
    const char *actor;      /* who: the account's email (seau), S3's principal (s3) */
    int64_t actor_id;       /* the Seau account; 0: none */
    int64_t target_user_id; /* user changes: the account changed */
    const char *message;    /* NULL: made from the fields (events_message) */
};

/* "upload", "delete", ...; static storage. */
const char *events_type_name(enum events_type t);
/* The type named s; SEAU_E_VALIDATION for anything else. */
int events_type_parse(const char *s, enum events_type *ret);
/* "seau", "s3", "system"; static storage. */
const char *events_source_name(enum events_source s);

/*
 * The human sentence for e ("alice@example.com uploaded report.pdf to
 * photos"), or e->message when set, into out: valid UTF-8, cut on a
 * character boundary at EVENTS_MESSAGE_MAX bytes.
 */
void events_message(const struct event *e, char out[EVENTS_MESSAGE_MAX + 1]);

/*
 * An ETag as notifications keep it: without quotes or a weak "W/" prefix,
 * copied into out (n bytes). NULL when etag is NULL, empty or too long.
 */
const char *events_etag_bare(const char *etag, char *out, size_t n);

/*
 * The row for e, with strings borrowed from e and message (which the
 * caller made with events_message). time 0 becomes now.
 */
void events_row_of(const struct event *e, const char *message, int64_t now,
                   struct db_notification *ret);

/*
 * API.md's notification for a stored row: {"id","type","message",
 * "timestamp","metadata":{"bucket","key","fileName","fileSize","actor",
 * "source"}} (metadata also holds "fromKey" for renames). New reference, or
 * NULL when out of memory.
 */
json_t *events_notification_json(const struct db_notification *n);

/*
 * Whether who may see a notification on bucket/key: a notification about
 * a bucket follows the grants (auth_grants_cover; admins see everything);
 * one about no bucket (user changes) is for admins and managers.
 */
bool events_visible(const struct auth_subject *who, const char *bucket, const char *key);

/*
 * The scopes a history read must stay in for who: admins, every configured
 * bucket whole; others, their grants on configured buckets. Writes up to
 * max scopes (borrowed from buckets and who) and returns how many; *ret_unscoped
 * tells whether notifications about no bucket are visible too.
 */
size_t events_scopes(const struct auth_subject *who, char *const *buckets, size_t nbuckets,
                     struct db_object_scope *out, size_t max, bool *ret_unscoped);

#endif
