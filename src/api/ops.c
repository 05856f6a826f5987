/* Operations: health, readiness, metrics and the OpenAPI document. */
#include "api/api.h"

#include "core/embed.h"
#include "core/err.h"
#include "http/server.h"

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
    if (db_ping(app->db) != 0)
        return http_reply_error(req, SEAU_E_DB, "The database is not answering.",
                                json_pack("{s:{s:s}}", "checks", "database", "failed"));
    return http_reply_json(req, 200,
                           json_pack("{s:s, s:{s:s}}", "status", "ready", "checks", "database",
                                     "ok"));
}

int api_metrics(struct http_req *req)
{
    struct app *app = api_app(req);
    struct metrics_gauges g = {
        .in_flight = app->server ? http_server_in_flight(app->server) : 0,
        .ready = atomic_load(&app->ready),
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
