/*
 * Operations: health, readiness (the checks are files/ready.h's), metrics
 * and the OpenAPI document.
 */
#include "api/api.h"

#include "core/embed.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "http/server.h"
#include "files/ready.h"

#include <stdio.h>
#include <string.h>

int api_health(struct http_req *req)
{
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:s}", "status", "ok", "version", SEAU_VERSION));
}

int api_ready(struct http_req *req)
{
    struct app *app = api_app(req);
    if (!atomic_load(&app->ready))
        return http_reply_error(req, SEAU_E_UNAVAILABLE, "Seau is shutting down.",
                                json_pack("{s:{s:s}}", "checks", "server", "shutting_down"));
    struct files_ready r;
    files_ready_check(app->db, app->s3_probe, app->cfg->buckets, app->cfg->nbuckets, &app->probe,
                      time_now_ms(), &r);
    bool db_ok = r.db_ok;
    const char *s3 = r.s3;
    json_t *checks = json_pack("{s:s, s:s}", "database", db_ok ? "ok" : "failed", "s3", s3);
    /* The SQS consumer's state is shown, not required: without it the console still serves
     * (only changes made outside Seau show late), so it must not take the replica out. */
    const char *sqs = events_sqs_state(app->events);
    if (checks)
        json_object_set_new(checks, "sqs", json_string(sqs ? sqs : "not_configured"));
    if (!db_ok) {
        json_decref(checks);
        return http_reply_error(req, SEAU_E_DB, "The database is not answering.",
                                json_pack("{s:{s:s, s:s}}", "checks", "database", "failed",
                                          "s3", s3));
    }
    if (strcmp(s3, "failed") == 0) {
        char msg[600];
        snprintf(msg, sizeof(msg), "S3 is not answering: %s", r.why);
        return http_reply_error(req, SEAU_E_UNAVAILABLE, msg, json_pack("{s:o}", "checks", checks));
    }
    return http_reply_json(req, 200, json_pack("{s:s, s:o}", "status", "ready", "checks", checks));
}

int api_metrics(struct http_req *req)
{
    struct app *app = api_app(req);
    struct metrics_events ev;
    events_stats(app->events, &ev);
    struct metrics_gauges g = {
        .in_flight = app->server ? http_server_in_flight(app->server) : 0,
        .ready = atomic_load(&app->ready),
        .events = &ev,
    };
    struct buf out;
    buf_init(&out, 4 * 1024 * 1024);
    int rc = metrics_render(app->metrics, &g, &out);
    if (rc == 0)
        rc = http_reply_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                              buf_cstr(&out), out.len);
    buf_done(&out);
    return rc;
}

int api_openapi(struct http_req *req)
{
    const struct embedded_file *f = embed_find("src/api/openapi.json");
    if (!f)
        return SEAU_E_INTERNAL;
    return http_reply_bytes(req, 200, "application/json; charset=utf-8", f->data, f->len);
}
