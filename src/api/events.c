/*
 * Handlers of API.md "Notifications and activity" that belong to the
 * real-time events (events/): GET /api/notifications (the history),
 * GET /api/notifications/ws (the live feed, a WebSocket) and
 * POST /api/events/s3 (the MinIO / Ceph RGW webhook).
 */
#include "api/api.h"

#include "core/err.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "events/hub.h"
#include "events/s3event.h"
#include "files/browse.h"
#include "http/websocket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int reply_no_events(struct http_req *req)
{
    return http_reply_error(req, SEAU_E_UNAVAILABLE, "Notifications are not running.", NULL);
}

/* ====================================== history ===================================== */

/* since: a notification id (whole number) or an RFC 3339 time. */
static void parse_since(struct http_req *req, struct jsonx_check *check, int64_t *ret_id,
                        int64_t *ret_time)
{
    const char *s = http_req_query(req, "since");
    if (!s)
        return;
    if (str_to_int64(s, 0, INT64_MAX, ret_id) == 0)
        return;
    if (time_parse_rfc3339(s, ret_time) == 0 && *ret_time > 0)
        return;
    jsonx_check_fail(check, "since",
                     "must be a notification id or an RFC 3339 time, e.g. 2026-11-23T20:15:00Z");
}

int api_notifications(struct http_req *req)
{
    struct app *app = api_app(req);
    if (!app->events)
        return reply_no_events(req);
    struct db_notification_query q;
    memset(&q, 0, sizeof(q));
    struct jsonx_check check;
    jsonx_check_init(&check);
    size_t limit = 100;
    api_query_limit(req, &check, &limit);
    const char *cursor = http_req_query(req, "cursor");
    if (cursor && api_id_cursor_decode('n', cursor, &q.before_id))
        jsonx_check_fail(&check, "cursor", "is not a cursor this server gave out");
    parse_since(req, &check, &q.after_id, &q.since);
    const char *type = http_req_query(req, "type");
    enum events_type t;
    if (type && events_type_parse(type, &t) != 0)
        jsonx_check_fail(&check, "type",
                         "must be one of upload, delete, copy, rename, share, user, error");
    q.type = type;
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);
    q.limit = limit + 1; /* one more tells whether there is a next page */

    struct db_notification *rows = NULL;
    size_t n = 0;
    int rc = events_history(app->events, &api_who(req)->subject, &q, &rows, &n);
    if (rc)
        return rc;
    json_t *list = json_array();
    size_t shown = n > limit ? limit : n;
    for (size_t i = 0; list && i < shown; i++)
        json_array_append_new(list, events_notification_json(&rows[i]));
    json_t *out = json_pack("{s:o}", "notifications", list);
    if (out && n > limit) {
        char next[64];
        api_id_cursor_encode('n', rows[shown - 1].id, next, sizeof(next));
        json_object_set_new(out, "nextCursor", json_string(next));
    } else if (out) {
        json_object_set_new(out, "nextCursor", json_null());
    }
    db_notifications_free(rows, n);
    return http_reply_json(req, 200, out);
}

/* ===================================== WebSocket ==================================== */

int api_notifications_ws(struct http_req *req)
{
    struct app *app = api_app(req);
    struct events_hub *hub = events_hub(app->events);
    if (!hub)
        return reply_no_events(req);
    char accept[WS_ACCEPT_LEN + 1];
    int rc = http_ws_handshake(req, accept);
    if (rc)
        return req->response ? 0 : rc;
    /* Browsers send cookies on cross-site WebSockets too: only our own pages may use them. */
    if (req->via_cookie && api_csrf_check(req, true) != 0)
        return SEAU_E_CSRF;
    struct jsonx_check check;
    jsonx_check_init(&check);
    int64_t since = -1;
    const char *s = http_req_query(req, "since");
    if (s && str_to_int64(s, 0, INT64_MAX, &since) != 0)
        jsonx_check_fail(&check, "since", "must be a notification id (a whole number)");
    if (!jsonx_check_ok(&check))
        return api_reply_invalid(req, &check);
    jsonx_check_done(&check);

    rc = events_hub_open(app->events, req->conn, &api_who(req)->subject, since);
    if (rc == SEAU_E_RATE_LIMITED)
        return http_reply_error(req, rc, "Too many live connections for this account.", NULL);
    if (rc == SEAU_E_UNAVAILABLE)
        return http_reply_error(req, rc, "No room for another live connection now.", NULL);
    if (rc)
        return rc;
    /* Should the answer fail, the reservation expires on its own. */
    return http_ws_reply_upgrade(req, accept, events_hub_upgrade(hub));
}

/* ====================================== webhook ===================================== */

/* The secret as the sender gives it: "Authorization: Bearer S", or ?token=S (Ceph RGW 16
 * cannot send headers, so its push-endpoint carries it; the access log never shows queries). */
static bool webhook_authorized(struct http_req *req, const char *secret)
{
    const char *given = NULL;
    const char *h = http_req_header(req, "Authorization");
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        given = h + 7;
        while (*given == ' ')
            given++;
    } else if (!h) {
        given = http_req_query(req, "token");
    }
    return given && str_ct_equal(given, strlen(given), secret, strlen(secret));
}

int api_events_s3(struct http_req *req)
{
    struct app *app = api_app(req);
    const char *secret = app->cfg->webhook_secret;
    if (!secret || !*secret)
        return SEAU_E_NOT_FOUND; /* the webhook is off */
    if (!webhook_authorized(req, secret))
        return http_reply_error(req, SEAU_E_UNAUTHORIZED, "The webhook secret is missing or wrong.",
                                NULL);
    if (!app->events)
        return reply_no_events(req);
    const char *ct = http_req_header(req, "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16) != 0)
        return SEAU_E_MEDIA_TYPE;
    struct events_s3_batch b;
    int rc = events_s3_parse(buf_cstr(&req->body), req->body.len, &b);
    if (rc == SEAU_E_BAD_REQUEST)
        return http_reply_error(req, rc, "The body is not an S3 event notification.", NULL);
    if (rc)
        return rc;
    struct events_ingest_result res = {0};
    if (!b.test)
        rc = events_ingest_s3(app->events, &b, EVENTS_VIA_WEBHOOK, &res);
    events_s3_batch_done(&b);
    if (rc) {
        log_event(LOG_WARN, "S3 events from the webhook could not be stored",
                  json_pack("{s:s, s:s}", "requestId", req->request_id, "error", err_message(rc)));
        return http_reply_error(req, SEAU_E_UNAVAILABLE,
                                "The events could not be stored now; send them again.", NULL);
    }
    return http_reply_empty(req, 204);
}
