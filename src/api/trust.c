/*
 * GET /api/prefix-totals and GET /api/capabilities: what the console needs
 * to name what a bulk action takes and what a store lacks. Thin over
 * files/totals.c.
 */
#include "api/api.h"

#include "auth/policy.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/timeutil.h"
#include "files/env.h"
#include "files/totals.h"

#include <string.h>

/* The bucket asked for, else the default one; NULL (after replying) when it is malformed. */
static const char *bucket_of(struct http_req *req, const struct files_env *env, int *rc)
{
    const char *bucket = http_req_query(req, "bucket");
    if (!bucket || !*bucket)
        bucket = env->nbuckets ? env->buckets[0] : NULL;
    if (!bucket) {
        *rc = SEAU_E_NOT_FOUND;
        return NULL;
    }
    if (s3name_bucket_problem(bucket)) {
        *rc = api_reply_invalid_field(req, "bucket", s3name_bucket_problem(bucket));
        return NULL;
    }
    return bucket;
}

int api_prefix_totals(struct http_req *req)
{
    struct app *app = api_app(req);
    struct files_env env;
    api_files_env(req, &env);
    int rc = 0;
    const char *bucket = bucket_of(req, &env, &rc);
    if (!bucket)
        return rc;
    const char *prefix = http_req_query(req, "prefix");
    if (!prefix)
        prefix = "";
    if (*prefix && s3name_prefix_problem(prefix)) {
        return api_reply_invalid_field(req, "prefix", s3name_prefix_problem(prefix));
    }
    const struct files_who *who = api_who(req);
    struct files_prefix_totals t;
    rc =
        files_prefix_totals(app->db, env.buckets, &who->subject, bucket, prefix, time_now_ms(), &t);
    if (rc)
        return rc;
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:s, s:I, s:I}", "bucket", bucket, "prefix", prefix,
                                     "objects", (json_int_t)t.objects, "bytes",
                                     (json_int_t)t.bytes));
}

int api_capabilities(struct http_req *req)
{
    struct files_env env;
    api_files_env(req, &env);
    int rc = 0;
    const char *bucket = bucket_of(req, &env, &rc);
    if (!bucket)
        return rc;
    const char *prefix = http_req_query(req, "prefix");
    if (!prefix)
        prefix = "";
    if (*prefix && s3name_prefix_problem(prefix)) {
        return api_reply_invalid_field(req, "prefix", s3name_prefix_problem(prefix));
    }
    const struct files_who *who = api_who(req);
    struct files_store_caps caps;
    rc = files_store_capabilities(&env, &who->subject, bucket, time_now_ms(), &caps);
    if (rc)
        return rc;
    /* What the caller's grants allow in this folder ("none": only folders leading to its grants).
     */
    const char *level = auth_level_name(auth_grants_level(&who->subject, bucket, prefix));
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:b, s:b, s:s}", "bucket", bucket, "versioning",
                                     caps.versioning, "listParts", caps.list_parts, "level",
                                     level));
}
