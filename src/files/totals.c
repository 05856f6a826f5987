/* A folder's totals (the object index) and a store's capabilities (two probes, kept a while). */
#include "files/totals.h"

#include "core/err.h"
#include "files/index.h"
#include "s3/client.h"
#include "s3/xml.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (86400000LL)

int files_prefix_totals(struct db *db, char *const *buckets, const struct auth_subject *who,
                        const char *bucket, const char *prefix, int64_t now,
                        struct files_prefix_totals *ret)
{
    struct db_object_scope *scopes = NULL;
    size_t nscopes = 0;
    struct db_object_totals *t = NULL;
    int rc = files_index_scopes(buckets, who, bucket, prefix, &scopes, &nscopes);
    if (rc)
        return rc;
    t = calloc(1, sizeof(*t));
    if (!t) {
        rc = SEAU_E_NOMEM;
        goto out;
    }
    /* One day of the by-day totals: only the by-kind sums are wanted. */
    rc = db_object_totals(db, scopes, nscopes, now / DAY_MS, now / DAY_MS, t);
    if (rc)
        goto out;
    struct files_prefix_totals r = {0, 0};
    for (size_t i = 0; i < t->nkinds; i++) {
        r.objects += t->kinds[i].objects;
        r.bytes += t->kinds[i].bytes;
    }
    *ret = r;
out:
    free(t);
    free(scopes);
    return rc;
}

/* ------------------------------------------------------------ capabilities */

#define CAPS_KEPT 32

struct kept_caps {
    char bucket[DB_BUCKET_MAX + 1];
    int64_t until;
    struct files_store_caps caps;
};

static pthread_mutex_t caps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept_caps caps_kept[CAPS_KEPT];

void files_store_capabilities_forget(void)
{
    pthread_mutex_lock(&caps_lock);
    memset(caps_kept, 0, sizeof(caps_kept));
    pthread_mutex_unlock(&caps_lock);
}

static bool caps_find(const char *bucket, int64_t now, struct files_store_caps *ret)
{
    bool found = false;
    pthread_mutex_lock(&caps_lock);
    for (size_t i = 0; i < CAPS_KEPT && !found; i++) {
        if (caps_kept[i].until > now && strcmp(caps_kept[i].bucket, bucket) == 0) {
            *ret = caps_kept[i].caps;
            found = true;
        }
    }
    pthread_mutex_unlock(&caps_lock);
    return found;
}

static void caps_keep(const char *bucket, int64_t now, const struct files_store_caps *caps)
{
    pthread_mutex_lock(&caps_lock);
    size_t slot = 0;
    for (size_t i = 0; i < CAPS_KEPT; i++) {
        if (strcmp(caps_kept[i].bucket, bucket) == 0 ||
            caps_kept[i].until < caps_kept[slot].until) {
            slot = i;
            if (strcmp(caps_kept[i].bucket, bucket) == 0)
                break;
        }
    }
    snprintf(caps_kept[slot].bucket, sizeof(caps_kept[slot].bucket), "%s", bucket);
    caps_kept[slot].until = now + FILES_CAPS_TTL_MS;
    caps_kept[slot].caps = *caps;
    pthread_mutex_unlock(&caps_lock);
}

/* Stores without ListParts (s3rver) say so with 405 or 501; any other answer means they have it. */
static bool lacks_call(const struct s3_error *e)
{
    return e->http_status == 405 || e->http_status == 501 ||
           strcmp(e->code, "MethodNotAllowed") == 0 || strcmp(e->code, "NotImplemented") == 0;
}

int files_store_capabilities(const struct files_env *env, const struct auth_subject *who,
                             const char *bucket, int64_t now, struct files_store_caps *ret)
{
    if (!env->s3)
        return SEAU_E_UNAVAILABLE;
    struct db_object_scope *scopes = NULL;
    size_t nscopes = 0;
    int rc = files_index_scopes(env->buckets, who, bucket, NULL, &scopes, &nscopes);
    free(scopes);
    if (rc)
        return rc;
    if (caps_find(bucket, now, ret))
        return 0;

    struct files_store_caps caps = {.versioning = false, .list_parts = true};
    struct s3_xml_answer a;
    struct s3_error err;
    memset(&a, 0, sizeof(a));
    memset(&err, 0, sizeof(err));
    if (s3_get_bucket_versioning(env->s3, bucket, &a, &err) == 0) {
        caps.versioning = a.versioning.status == S3_VERSIONING_ENABLED ||
                          a.versioning.status == S3_VERSIONING_SUSPENDED;
        s3_xml_answer_done(&a);
    }
    memset(&a, 0, sizeof(a));
    memset(&err, 0, sizeof(err));
    /* An upload id no store has given: a store with ListParts answers NoSuchUpload. */
    rc = s3_list_parts(env->s3, bucket, ".seau-capability-probe", "seau-capability-probe", 0, 1, &a,
                       &err);
    if (rc == 0)
        s3_xml_answer_done(&a);
    else
        caps.list_parts = !lacks_call(&err);
    caps_keep(bucket, now, &caps);
    *ret = caps;
    return 0;
}
