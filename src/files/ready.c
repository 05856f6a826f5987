/* Readiness: see ready.h. */
#include "files/ready.h"

#include "core/timeutil.h"
#include "s3/probe.h"

#include <stdio.h>
#include <string.h>

/* Probes S3 at most once per TTL; concurrent callers wait for the one probe. */
static int probe(struct s3_client *s3, char *const *buckets, size_t nbuckets,
                 struct files_ready_probe *p, int64_t now, char *why, size_t n)
{
    pthread_mutex_lock(&p->lock);
    if (p->checked_at == 0 || now - p->checked_at >= FILES_READY_S3_TTL_MS) {
        p->why[0] = '\0';
        p->rc = s3_probe(s3, buckets, nbuckets, p->why, sizeof(p->why));
        p->checked_at = time_now_ms();
    }
    int rc = p->rc;
    snprintf(why, n, "%s", p->why);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void files_ready_check(struct db *db, struct s3_client *probe_s3, char *const *buckets,
                       size_t nbuckets, struct files_ready_probe *cache, int64_t now,
                       struct files_ready *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->db_ok = db_ping(db) == 0;
    ret->s3 = "not_configured";
    if (probe_s3)
        ret->s3 = probe(probe_s3, buckets, nbuckets, cache, now, ret->why, sizeof(ret->why)) == 0
                      ? "ok"
                      : "failed";
}
