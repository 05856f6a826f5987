/* The numbers of GET /api/stats: see stats.h. */
#include "files/stats.h"

#include "core/err.h"
#include "files/index.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static const char *const types[FILES_STATS_TYPES] = {"image", "video",   "audio",    "pdf",
                                                     "text",  "archive", "document", "other"};

/* The slot of a kind; anything files_kind_of() would not name counts as "other". */
static size_t type_slot(const char *kind)
{
    for (size_t i = 0; i < FILES_STATS_TYPES; i++)
        if (strcmp(kind, types[i]) == 0)
            return i;
    return FILES_STATS_TYPES - 1;
}

/* The audit side: active users and recent entries, as the role allows. */
static int audit_side(struct db *db, const struct auth_subject *who, const char *bucket,
                      int64_t since, struct files_stats *s)
{
    struct db_audit_filter f = {.bucket = bucket, .limit = FILES_STATS_RECENT};
    bool own_only = who->role == AUTH_ROLE_USER;
    if (own_only)
        f.user_id = who->user_id;
    int rc = db_audit_list(db, &f, &s->recent, &s->nrecent);
    if (rc)
        return rc;
    if (!own_only)
        return db_audit_active_users(db, since, bucket, &s->active_users);
    /* Its own activity only: 1 when it has an entry in the window, else 0. */
    struct db_audit_filter mine = {
        .user_id = who->user_id, .bucket = bucket, .since = since, .limit = 1};
    struct db_audit_entry *e = NULL;
    size_t n = 0;
    rc = db_audit_list(db, &mine, &e, &n);
    if (rc == 0)
        s->active_users = n > 0;
    db_audit_entries_free(e, n);
    return rc;
}

int files_stats_get(struct db *db, char *const *buckets, const struct auth_subject *who,
                    const char *bucket, int64_t now, struct files_stats *ret)
{
    struct db_object_scope *scopes = NULL;
    size_t nscopes = 0;
    int rc = files_index_scopes(buckets, who, bucket, NULL, &scopes, &nscopes);
    if (rc)
        return rc;
    int64_t today = now / DAY_MS, first = today - (FILES_STATS_DAYS - 1);
    struct db_object_totals *t = calloc(1, sizeof(*t));
    rc = t ? db_object_totals(db, scopes, nscopes, first, today, t) : SEAU_E_NOMEM;
    free(scopes);
    struct files_stats s;
    memset(&s, 0, sizeof(s));
    for (size_t i = 0; i < FILES_STATS_TYPES; i++)
        s.types[i].type = types[i];
    for (size_t i = 0; i < FILES_STATS_DAYS; i++)
        s.days[i].day = first + (int64_t)i;
    if (rc == 0) {
        for (size_t i = 0; i < t->nkinds; i++) {
            struct files_stats_type *x = &s.types[type_slot(t->kinds[i].kind)];
            x->objects += t->kinds[i].objects;
            x->bytes += t->kinds[i].bytes;
            s.objects += t->kinds[i].objects;
            s.bytes += t->kinds[i].bytes;
        }
        for (size_t i = 0; i < t->ndays; i++) {
            int64_t d = t->days[i].day - first;
            if (d >= 0 && d < FILES_STATS_DAYS) {
                s.days[d].count += t->days[i].count;
                s.days[d].bytes += t->days[i].bytes;
            }
        }
        rc = audit_side(db, who, bucket, first * DAY_MS, &s);
    }
    free(t);
    if (rc) {
        files_stats_done(&s);
        return rc;
    }
    *ret = s;
    return 0;
}

void files_stats_done(struct files_stats *s)
{
    if (!s)
        return;
    db_audit_entries_free(s->recent, s->nrecent);
    s->recent = NULL;
    s->nrecent = 0;
}
