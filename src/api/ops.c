/* Operations: health, readiness, metrics and the OpenAPI document. */
#include "api/api.h"

#include "core/embed.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "http/server.h"
#include "s3/probe.h"

#include <stdio.h>
#include <string.h>

int api_health(struct http_req *req)
{
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:s}", "status", "ok", "version", SEAU_VERSION));
}

/* A probe answer is reused this long: readiness is polled often, S3 requests cost. */
#define S3_PROBE_TTL_MS 5000

/* Probes S3 at most once per TTL; concurrent callers wait for the one probe. */
static int probe_s3(struct app *app, char *why, size_t n)
{
    struct app_s3_probe *p = &app->probe;
    pthread_mutex_lock(&p->lock);
    int64_t now = time_now_ms();
    if (p->checked_at == 0 || now - p->checked_at >= S3_PROBE_TTL_MS) {
        p->why[0] = '\0';
        p->rc = s3_probe(app->s3_probe, app->cfg->buckets, app->cfg->nbuckets, p->why,
                         sizeof(p->why));
        p->checked_at = time_now_ms();
    }
    int rc = p->rc;
    snprintf(why, n, "%s", p->why);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int api_ready(struct http_req *req)
{
    struct app *app = api_app(req);
    if (!atomic_load(&app->ready))
        return http_reply_error(req, SEAU_E_UNAVAILABLE, "Seau is shutting down.",
                                json_pack("{s:{s:s}}", "checks", "server", "shutting_down"));
    bool db_ok = db_ping(app->db) == 0;
    char why[512] = "";
    const char *s3 = "not_configured";
    if (app->s3_probe)
        s3 = probe_s3(app, why, sizeof(why)) == 0 ? "ok" : "failed";
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
        snprintf(msg, sizeof(msg), "S3 is not answering: %s", why);
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
