/*
 * GET /api/activity: the audit log, newest first, with filters and cursor
 * paging. Thin: parse the query, read one page through audit_list, render.
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>

static json_t *entry_json(const struct db_audit_entry *e)
{
    char t[TIME_RFC3339_LEN];
    time_rfc3339(e->time, t);
    json_t *details = e->details ? json_loads(e->details, 0, NULL) : NULL;
    json_t *j = json_pack("{s:I, s:s, s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:o}", "id",
                          (json_int_t)e->id, "time", t, "userEmail", e->user_email, "action",
                          e->action, "bucket", e->bucket, "key", e->key, "ip", e->ip, "userAgent",
                          e->user_agent, "status", e->status, "details",
                          details ? details : json_object());
    if (j)
        json_object_set_new(j, "userId", e->user_id ? json_integer(e->user_id) : json_null());
    return j;
}

static void parse_time(struct http_req *req, struct jsonx_check *check, const char *name,
                       int64_t *out)
{
    const char *s = http_req_query(req, name);
    if (s && time_parse_rfc3339(s, out))
        jsonx_check_fail(check, name, "must be an RFC 3339 time, e.g. 2026-11-23T20:15:00Z");
}

int api_activity(struct http_req *req)
{
    struct db_audit_filter f;
    memset(&f, 0, sizeof(f));
    struct jsonx_check check;
    jsonx_check_init(&check);
    size_t limit = 100;
    api_query_limit(req, &check, &limit);
    const char *cursor = http_req_query(req, "cursor");
    if (cursor && api_id_cursor_decode('a', cursor, &f.before_id))
        jsonx_check_fail(&check, "cursor", "is not a cursor this server gave out");
    const char *user = http_req_query(req, "user");
    if (user && *user) {
        /* Either an account id or an email address. */
        if (str_to_int64(user, 1, INT64_MAX, &f.user_id) != 0)
            f.user_email = user;
    }
    f.action = http_req_query(req, "action");
    f.bucket = http_req_query(req, "bucket");
    parse_time(req, &check, "since", &f.since);
    parse_time(req, &check, "until", &f.until);
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    struct audit_page page;
    int rc = audit_list(api_app(req)->db, &f, limit, &page);
    if (rc) {
        audit_page_done(&page);
        return rc;
    }
    json_t *list = json_array();
    for (size_t i = 0; list && i < page.n; i++)
        json_array_append_new(list, entry_json(&page.entries[i]));
    json_t *out = json_pack("{s:o}", "entries", list);
    if (out && page.more) {
        char next[64];
        api_id_cursor_encode('a', page.entries[page.n - 1].id, next, sizeof(next));
        json_object_set_new(out, "nextCursor", json_string(next));
    } else if (out) {
        json_object_set_new(out, "nextCursor", json_null());
    }
    audit_page_done(&page);
    return http_reply_json(req, 200, out);
}
