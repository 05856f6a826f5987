/* GET /api/stats (API.md "Notifications and activity"): thin over files/stats.c. */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/timeutil.h"
#include "files/browse.h"
#include "files/stats.h"

#include <string.h>

/* An audit entry in the shape GET /api/activity gives its entries. */
static json_t *entry_json(const struct db_audit_entry *e)
{
    char t[TIME_RFC3339_LEN];
    time_rfc3339(e->time, t);
    json_t *details = e->details ? json_loads(e->details, 0, NULL) : NULL;
    json_t *j =
        json_pack("{s:I, s:s, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:o}", "id",
                  (json_int_t)e->id, "time", t, "userEmail", e->user_email, "action", e->action,
                  "bucket", e->bucket, "key", e->key, "ip", e->ip, "userAgent", e->user_agent,
                  "status", e->status, "details", details ? details : json_object());
    if (j)
        json_object_set_new(j, "userId", e->user_id ? json_integer(e->user_id) : json_null());
    return j;
}

/* "2026-11-23" for a day number. */
static json_t *day_json(int64_t day)
{
    char t[TIME_RFC3339_LEN];
    time_rfc3339(day * 86400000LL, t);
    return json_stringn(t, 10);
}

int api_stats(struct http_req *req)
{
    struct app *app = api_app(req);
    const char *bucket = http_req_query(req, "bucket");
    if (bucket && !*bucket)
        bucket = NULL;
    if (bucket && s3name_bucket_problem(bucket)) {
        return api_reply_invalid_field(req, "bucket", s3name_bucket_problem(bucket));
    }
    const struct files_who *who = api_who(req);
    int rc;
    struct files_stats s;
    rc = files_stats_get(app->db, app->cfg->buckets, &who->subject, bucket, time_now_ms(), &s);
    if (rc)
        return rc;
    json_t *by_type = json_array(), *days = json_array(), *recent = json_array();
    for (size_t i = 0; by_type && i < FILES_STATS_TYPES; i++)
        json_array_append_new(by_type, json_pack("{s:s, s:I, s:I}", "type", s.types[i].type,
                                                 "objects", (json_int_t)s.types[i].objects, "bytes",
                                                 (json_int_t)s.types[i].bytes));
    for (size_t i = 0; days && i < FILES_STATS_DAYS; i++)
        json_array_append_new(days, json_pack("{s:o, s:I, s:I}", "day", day_json(s.days[i].day),
                                              "count", (json_int_t)s.days[i].count, "bytes",
                                              (json_int_t)s.days[i].bytes));
    for (size_t i = 0; recent && i < s.nrecent; i++)
        json_array_append_new(recent, entry_json(&s.recent[i]));
    json_t *out = json_pack("{s:I, s:I, s:o, s:o, s:I, s:o}", "objects", (json_int_t)s.objects,
                            "bytes", (json_int_t)s.bytes, "byType", by_type, "uploadsPerDay", days,
                            "activeUsers", (json_int_t)s.active_users, "recentActivity", recent);
    files_stats_done(&s);
    return http_reply_json(req, 200, out);
}
