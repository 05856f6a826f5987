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
#include "files/reconcile.h"
#include "metrics/obs.h"
#include "core/trace.h"
#include "s3/client.h"

#include <stdio.h>
#include <string.h>

/*
 * The liveness answer never changes: written once at build time rather than
 * built and printed with jansson for each of a load balancer's probes.
 * SEAU_VERSION is CMake's project version (digits and dots), safe in JSON.
 */
static const char health_body[] = "{\"status\":\"ok\",\"version\":\"" SEAU_VERSION "\"}";

int api_health(struct http_req *req)
{
    return http_reply_bytes(req, 200, "application/json; charset=utf-8", health_body,
                            sizeof(health_body) - 1);
}

/* What the S3 client's circuit breakers and cache say, for metrics and readiness. */
static void obs_sample(struct app *app, struct metrics_obs *o)
{
    memset(o, 0, sizeof(*o));
    struct s3_client *clients[] = {app->s3, app->sqs};
    const char *names[] = {"s3", "sqs"};
    for (size_t i = 0; i < 2; i++) {
        if (!clients[i])
            continue;
        struct s3_circuit_info ci;
        s3_client_circuit(clients[i], i == 1, &ci);
        if (!ci.enabled)
            continue;
        o->circuits[o->ncircuits++] = (struct metrics_obs_circuit){
            .endpoint = names[i],
            .state = (int)ci.state,
            .opened = ci.opened_total,
            .rejected = ci.rejected_total};
    }
    struct s3_cache_stats cs;
    s3_client_cache_stats(app->s3, &cs);
    o->cache = cs.enabled;
    o->cache_hits = cs.hits;
    o->cache_misses = cs.misses;
    o->cache_coalesced = cs.coalesced;
    o->cache_invalidations = cs.invalidations;
    o->cache_entries = cs.entries;
    o->tracing = trace_enabled();
    struct trace_stats ts;
    trace_stats(&ts);
    o->spans_exported = ts.exported;
    o->spans_dropped = ts.dropped;
    o->spans_failed = ts.failed;
    if (app->index_progress) {
        struct files_index_progress ip;
        files_index_progress_get(app->index_progress, &ip);
        o->index = ip.running || ip.runs > 0;
        o->index_running = ip.running;
        o->index_listed = (uint64_t)ip.listed;
        o->index_last_success = (double)ip.last_success_ms / 1000.0;
    }
}

/* The walks of the buckets into the index, as /api/ready and the dashboard show them. */
static json_t *index_details(struct app *app)
{
    if (!app->index_progress)
        return json_null();
    struct files_index_progress ip;
    files_index_progress_get(app->index_progress, &ip);
    const char *state = ip.running ? "syncing" : ip.runs == 0 ? "idle" : ip.failed ? "failed" : "done";
    return json_pack("{s:s, s:s?, s:I, s:b, s:o, s:o}", "state", state, "bucket",
                     ip.running ? ip.bucket : NULL, "objects", (json_int_t)ip.listed, "resumed",
                     ip.running && ip.resumed, "startedAt",
                     ip.started_ms ? api_time_json(ip.started_ms) : json_null(), "lastSuccessAt",
                     ip.last_success_ms ? api_time_json(ip.last_success_ms) : json_null());
}

/* The details of /api/ready: the S3 circuit breaker and cache (shown, never required). */
static json_t *ready_details(struct app *app)
{
    json_t *d = json_object();
    if (d)
        json_object_set_new(d, "index", index_details(app));
    if (!d || !app->s3)
        return d;
    struct s3_circuit_info ci;
    s3_client_circuit(app->s3, false, &ci);
    json_object_set_new(d, "s3Circuit",
                        json_pack("{s:s, s:b, s:i, s:I, s:I}", "state", s3_circuit_name(ci.state),
                                  "enabled", ci.enabled, "consecutiveFailures",
                                  ci.consecutive_failures, "retryAfterMs",
                                  (json_int_t)ci.retry_after_ms, "opened",
                                  (json_int_t)ci.opened_total));
    struct s3_cache_stats cs;
    s3_client_cache_stats(app->s3, &cs);
    json_object_set_new(d, "s3Cache",
                        json_pack("{s:b, s:I, s:I, s:I, s:I}", "enabled", cs.enabled, "hits",
                                  (json_int_t)cs.hits, "misses", (json_int_t)cs.misses,
                                  "coalesced", (json_int_t)cs.coalesced, "entries",
                                  (json_int_t)cs.entries));
    return d;
}

int64_t api_retry_after_s(struct http_req *req)
{
    struct app *app = api_app(req);
    if (!app || !app->s3)
        return 0;
    struct s3_circuit_info ci;
    s3_client_circuit(app->s3, false, &ci);
    if (ci.state == S3_CIRCUIT_CLOSED)
        return 0;
    int64_t s = (ci.retry_after_ms + 999) / 1000;
    return s < 1 ? 1 : s;
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
        return http_reply_error(req, SEAU_E_UNAVAILABLE, msg,
                                json_pack("{s:o, s:o}", "checks", checks, "details",
                                          ready_details(app)));
    }
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:o, s:o}", "status", "ready", "checks", checks,
                                     "details", ready_details(app)));
}

int api_metrics(struct http_req *req)
{
    struct app *app = api_app(req);
    struct metrics_events ev;
    events_stats(app->events, &ev);
    struct metrics_gauges g = {
        .in_flight = app->server ? http_server_in_flight(app->server) : 0,
        .heads_cut = app->server ? http_server_heads_cut(app->server) : 0,
        .connections_refused = app->server ? http_server_connections_refused(app->server) : 0,
        .ready = atomic_load(&app->ready),
        .events = &ev,
    };
    struct buf out;
    buf_init(&out, 4 * 1024 * 1024);
    int rc = metrics_render(app->metrics, &g, &out);
    struct metrics_obs obs;
    obs_sample(app, &obs);
    if (rc == 0)
        rc = metrics_render_obs(&obs, &out);
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
