/* seau serve: the server, from start-up to graceful shutdown. */
#include "api/api.h"
#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/oidc.h"
#include "auth/password.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "core/trace.h"
#include "events/bus.h"
#include "events/consumer.h"
#include "files/recovery.h"
#include "files/reconcile.h"
#include "files/fetch.h"
#include "files/rules.h"
#include "files/upload_direct.h"
#include "http/server.h"
#include "http/webcsp.h"
#include "s3/client.h"
#include "s3/credentials.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Creates the first admin when the store has no user (as MinIO and Grafana
 * do): from SEAU_ADMIN_EMAIL/SEAU_ADMIN_PASSWORD, or admin@localhost with a
 * generated password printed once on stdout (never into the log).
 */
static int bootstrap_admin(struct db *db, const struct cfg *c)
{
    int64_t n = 0;
    int rc = db_user_count(db, &n);
    if (rc || n > 0)
        return rc;
    char generated[AUTH_GENERATED_PASSWORD_LEN + 1];
    const char *email = c->admin_email ? c->admin_email : "admin@localhost";
    const char *password = c->admin_password;
    if (!password) {
        auth_password_generate(generated);
        password = generated;
    }
    struct audit_actor actor = {0, "system", NULL, "seau serve (first start)"};
    struct db_user u;
    rc = auth_user_create(db, &actor, email, "Administrator", password, AUTH_ROLE_ADMIN,
                          time_now_ms(), &u);
    if (rc == SEAU_E_CONFLICT)
        rc = 0; /* Another replica created it first. */
    else if (rc == 0) {
        log_event(LOG_INFO, "created the first admin",
                  json_pack("{s:s, s:b}", "email", u.email, "generatedPassword",
                            password == generated));
        if (password == generated) {
            printf("\n  Seau created the first admin account:\n"
                   "    email:    %s\n"
                   "    password: %s\n"
                   "  This password is shown only now. Sign in and change it.\n\n",
                   u.email, generated);
            fflush(stdout);
        }
    }
    str_wipe(generated, sizeof(generated));
    return rc;
}

static void library_log(const char *message)
{
    log_event(LOG_WARN, "libmicrohttpd", json_pack("{s:s}", "detail", message));
}

static unsigned worker_threads(const struct cfg *c)
{
    if (c->http_threads > 0)
        return (unsigned)c->http_threads;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 2 ? 2 : (unsigned)cores;
}

/* The upload janitor's report after a sweep that did something or failed. */
static void janitor_report(void *ctx, int rc, const struct files_upload_sweep_stats *st)
{
    (void)ctx;
    log_event(rc ? LOG_WARN : LOG_INFO, "upload janitor swept abandoned uploads",
              json_pack("{s:I, s:I, s:s?}", "aborted", (json_int_t)st->aborted, "failed",
                        (json_int_t)st->failed, "error", rc ? err_message(rc) : NULL));
}

/* One log line per reconciliation run, with each bucket's counts. */
static void reconcile_report(void *ctx, const struct files_reconcile_bucket *b, size_t n)
{
    (void)ctx;
    json_t *list = json_array();
    bool failed = false;
    for (size_t i = 0; list && i < n; i++) {
        const struct files_reconcile_bucket *x = &b[i];
        failed |= x->rc != 0 && x->rc != SEAU_E_CANCELLED;
        json_array_append_new(
            list, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s?}", "bucket", x->bucket,
                            "listed", (json_int_t)x->stats.listed, "added",
                            (json_int_t)x->stats.added, "changed", (json_int_t)x->stats.changed,
                            "unchanged", (json_int_t)x->stats.unchanged, "removed",
                            (json_int_t)x->stats.removed, "ms", (json_int_t)x->ms, "error",
                            x->rc ? (x->why[0] ? x->why : err_message(x->rc)) : NULL));
    }
    log_event(failed ? LOG_WARN : LOG_INFO, "object index reconciled",
              json_pack("{s:o}", "buckets", list ? list : json_array()));
}

/*
 * The singletons: the upload janitor, the index reconciliation and the
 * purge of old notifications run on one replica at a time, the one that
 * holds the leader lock (db_leader_try; alone on its store, always this
 * one). A thread tries the lock every LEADER_RETRY_MS: a follower takes
 * over within seconds of the leader's session ending (a killed leader's
 * connection closes; a vanished host's is dropped by keepalives), and a
 * leader that lost its session stops them. Each change is logged once.
 */
#define LEADER_RETRY_MS 3000

struct singletons {
    struct db *db;
    const struct cfg *c;
    struct app *app;
    const struct files_env *env;
    struct db_leader *lock;
    bool leading;
    struct files_upload_janitor *janitor;
    struct files_trash_janitor *trash_janitor;
    struct files_reconciler *reconciler;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stop;
};

static void singletons_lead(struct singletons *s, bool lead)
{
    if (lead == s->leading)
        return;
    s->leading = lead;
    if (db_is_shared(s->db))
        log_event(LOG_INFO,
                  lead ? "this replica now runs the singletons"
                       : "this replica no longer runs the singletons",
                  json_pack("{s:[s,s,s], s:i}", "singletons", "upload janitor",
                            "index reconciliation", "notification retention", "pid",
                            (int)getpid()));
    events_set_leader(s->app->events, lead);
    if (!lead) {
        files_reconcile_stop(s->reconciler);
        files_upload_janitor_stop(s->janitor);
        files_trash_janitor_stop(s->trash_janitor);
        s->reconciler = NULL;
        s->janitor = NULL;
        s->trash_janitor = NULL;
        return;
    }
    if (s->app->s3 && files_trash_janitor_start(s->env, &s->trash_janitor))
        log_event(LOG_ERROR, "cannot start the recycle bin's janitor", NULL);
    if (s->app->s3 && files_upload_janitor_start(s->env, s->c, janitor_report, NULL, &s->janitor))
        log_event(LOG_ERROR, "cannot start the upload janitor", NULL);
    /* The object index converges with S3 every SEAU_INDEX_RECONCILE_INTERVAL (0: never). */
    /* With SEAU_INDEX_SYNC_AT_START, the walks that are due run at once (in the background). */
    struct files_reconcile_opts ro = {.db = s->db,
                                      .s3 = s->app->s3,
                                      .buckets = s->c->buckets,
                                      .nbuckets = s->c->nbuckets,
                                      .interval_ms = s->c->index_reconcile_ms,
                                      .at_start = s->c->index_sync_at_start,
                                      .progress = s->app->index_progress,
                                      .report = reconcile_report};
    if (s->app->s3 && s->c->index_reconcile_ms > 0 &&
        files_reconcile_begin(&ro, &s->reconciler))
        log_event(LOG_ERROR, "cannot start the object index reconciliation", NULL);
}

static void *singletons_main(void *arg)
{
    struct singletons *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += LEADER_RETRY_MS / 1000;
        until.tv_nsec += (LEADER_RETRY_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->mu, &until);
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->mu);
        bool lead = false;
        db_leader_try(s->lock, &lead);
        singletons_lead(s, lead);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Tries the lock once now (alone on its store: takes it), then keeps trying on a thread. */
static int singletons_start(struct singletons *s)
{
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    int rc = db_leader_new(s->db, DB_LEADER_SINGLETONS, &s->lock);
    if (rc)
        return rc;
    bool lead = false;
    db_leader_try(s->lock, &lead);
    singletons_lead(s, lead);
    s->started = pthread_create(&s->thread, NULL, singletons_main, s) == 0;
    return s->started ? 0 : SEAU_E_INTERNAL;
}

/* Stops the thread and the singletons (a walk or a sweep ends at its next step), frees the lock. */
static void singletons_stop(struct singletons *s)
{
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    files_reconcile_stop(s->reconciler);
    files_upload_janitor_stop(s->janitor);
    files_trash_janitor_stop(s->trash_janitor);
    s->reconciler = NULL;
    s->janitor = NULL;
    s->trash_janitor = NULL;
    db_leader_free(s->lock); /* releases the lock: another replica takes over */
    s->lock = NULL;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wake);
}

/*
 * Real-time events (events/bus.h): the bus, the WebSocket hub and, with
 * SEAU_SQS_QUEUE_URL, the SQS consumer on a client of its own. Its calls go
 * to AWS_ENDPOINT_URL_SQS when set (the queue URL's host may not resolve
 * here, as with fauxqs), else to the queue URL's own host; the queue URL is
 * passed as given, as AWS SDKs do; requests are signed for the queue URL's
 * region when it names one. Returns 0, or prints why and returns 1.
 */
/* The S3 clients' observer: every attempt counted in the metrics (m). */
static void observe_s3(void *m, const char *operation, int http_status, double seconds)
{
    metrics_observe_s3(m, operation, http_status, seconds);
}

static int start_events(const struct cfg *c, struct db *db, struct metrics *metrics,
                        const struct s3_breaker_config *breaker, struct s3_client *s3,
                        struct s3_cred_provider **creds, struct s3_client **ret_sqs,
                        struct events **ret)
{
    struct events_config ec = {
        .s3 = s3,
        .verify = c->events_verify,
        .db = db,
        .buckets = c->buckets,
        .nbuckets = c->nbuckets,
        .retention_ms = c->notification_retention_ms,
        .hub = {.max_clients = (size_t)c->max_connections},
    };
    struct s3_client *sqs = NULL;
    if (c->sqs_queue_url) {
        const char *env = getenv("AWS_ENDPOINT_URL_SQS");
        char endpoint[1024], qregion[64];
        const char *region = events_sqs_region(c->sqs_queue_url, qregion, sizeof(qregion)) == 0
                                 ? qregion
                                 : getenv("AWS_REGION");
        if (!region || !*region)
            region = getenv("AWS_DEFAULT_REGION");
        if (!*creds && cli__s3_credentials(creds))
            return 1;
        struct s3_config sc = {
            .endpoint = NULL,
            .region = region && *region ? region : s3_credentials_region(*creds),
            .sqs_endpoint = env && *env ? env : endpoint,
            .connect_timeout_ms = 5000,
            .request_timeout_ms = 10000,
            .max_retries = S3_NO_RETRIES, /* the consumer backs off itself */
        };
        if ((!env || !*env) &&
            events_sqs_endpoint(c->sqs_queue_url, endpoint, sizeof(endpoint)) != 0) {
            fprintf(stderr, "seau: SEAU_SQS_QUEUE_URL is not a queue URL\n");
            return 1;
        }
        int rc = s3_client_new(&sc, *creds, &sqs);
        if (rc) {
            fprintf(stderr, "seau: the SQS settings are not usable: %s\n", err_message(rc));
            return 1;
        }
        if (metrics)
            s3_client_set_observer(sqs, observe_s3, metrics);
        s3_client_set_breaker(sqs, true, breaker);
        ec.sqs = sqs;
        ec.sqs_queue_url = c->sqs_queue_url;
    }
    int rc = events_start(&ec, ret);
    if (rc) {
        s3_client_free(sqs);
        fprintf(stderr, "seau: cannot start the real-time events: %s\n", err_message(rc));
        return 1;
    }
    *ret_sqs = sqs;
    return 0;
}

/*
 * Single sign-on from SEAU_OIDC_<ID>_* and SEAU_PASSWORD_LOGIN. Returns 0
 * (with *ret NULL when there is no provider and passwords are on), or
 * SEAU_E_VALIDATION after printing every problem.
 */
static int load_oidc(struct auth_oidc **ret)
{
    extern char **environ;
    struct auth_oidc_cfg oc;
    struct cfg_problems problems = {.len = 0};
    int rc = auth_oidc_cfg_load(environ, &oc, &problems);
    for (size_t i = 0; i < problems.len; i++)
        fprintf(stderr, "seau: %s\n", problems.items[i]);
    cfg_problems_done(&problems);
    if (rc == 0 && (oc.nproviders || !oc.password_login))
        rc = auth_oidc_new(&oc, ret);
    auth_oidc_cfg_done(&oc);
    return rc ? SEAU_E_VALIDATION : 0;
}

static void serve_help(void)
{
    printf("Usage: seau serve [options]\n\nServes the API and the web client until SIGTERM or "
           "SIGINT, then shuts down gracefully.\n\n");
    cfg_print_help(stdout);
}

int cli_serve(int argc, char **argv)
{
    if (cli__wants_help(argc, argv)) {
        serve_help();
        return 0;
    }
    /* Block the stop signals before any thread starts, so only sigwait() below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    jsonx_use_wiping_allocator();
    struct cfg c;
    if (cli__load_config(argc, argv, &c))
        return 2;
    log_setup(c.log_level, c.log_format, 2);
    if (auth_password_init() != 0) {
        log_event(LOG_ERROR, "libsodium failed to start", NULL);
        cfg_done(&c);
        return 1;
    }
    /* Traces (OTEL_* variables): before any thread that makes spans. */
    char trace_why[256] = "";
    if (trace_setup(trace_why, sizeof(trace_why))) {
        log_event(LOG_ERROR, "the tracing settings are not usable",
                  json_pack("{s:s}", "error", trace_why[0] ? trace_why : "out of memory"));
        cfg_done(&c);
        return 2;
    }
    if (trace_enabled())
        log_event(LOG_INFO, "traces are exported over OTLP/HTTP", NULL);
    unsigned threads = worker_threads(&c);
    struct db *db = NULL;
    if (cli__open_db(&c, (int)threads + 2 + HTTP_OFFLOAD_THREADS, &db)) {
        cfg_done(&c);
        return 1;
    }
    /* Without it every request reads its session from the store: slower, still right. */
    if (db_session_cache_enable(db, c.session_cache_ms))
        log_event(LOG_WARN, "the session cache is off: out of memory", NULL);
    int rc = bootstrap_admin(db, &c);
    if (rc) {
        log_event(LOG_ERROR, "cannot create the first admin",
                  json_pack("{s:s}", "error", err_message(rc)));
        db_close(db);
        cfg_done(&c);
        return 1;
    }

    struct app app = {
        .cfg = &c,
        .db = db,
        .metrics = metrics_new(),
        .limits =
            {
                .max_failures_account = c.login_max_failures,
                .max_failures_ip = c.login_max_failures_ip,
                .window_ms = c.login_window_ms,
                .force_password_change = c.force_password_change,
                .session = {.idle_ms = c.session_idle_ms,
                            .max_age_ms = c.session_max_age_ms,
                            .mfa_required_roles = c.mfa_required_roles},
            },
    };
    atomic_init(&app.ready, 1);
    pthread_mutex_init(&app.probe.lock, NULL);
    struct files_index_progress index_progress;
    files_index_progress_init(&index_progress);
    app.index_progress = &index_progress;
    struct s3_cred_provider *s3_creds = NULL;
    if (cli__s3_configured(&c) &&
        (cli__s3_credentials(&s3_creds) || cli__s3_client(&c, s3_creds, false, &app.s3) ||
         cli__s3_client(&c, s3_creds, true, &app.s3_probe))) {
        s3_client_free(app.s3);
        s3_credentials_free(s3_creds);
        metrics_free(app.metrics);
        db_close(db);
        cfg_done(&c);
        return 1;
    }
    if (app.metrics && app.s3) {
        s3_client_set_observer(app.s3, observe_s3, app.metrics);
        s3_client_set_observer(app.s3_probe, observe_s3, app.metrics);
    }
    struct s3_breaker_config breaker = {
        .failures = (int)c.s3_breaker_failures,
        .ratio = (double)c.s3_breaker_ratio / 100.0,
        .open_ms = c.s3_breaker_open_ms,
    };
    if (app.s3) {
        s3_client_set_breaker(app.s3, false, &breaker);
        if (s3_client_set_cache(app.s3, c.s3_cache_ttl_ms, 0))
            log_event(LOG_WARN, "no memory for the S3 cache: it stays off", NULL);
    }
    struct s3_client *sqs = NULL;
    if (start_events(&c, db, app.metrics, &breaker, app.s3, &s3_creds, &sqs, &app.events)) {
        s3_client_free(app.s3_probe);
        s3_client_free(app.s3);
        s3_credentials_free(s3_creds);
        metrics_free(app.metrics);
        db_close(db);
        cfg_done(&c);
        return 1;
    }
    const char *web_root = access(c.web_root, R_OK | X_OK) == 0 ? c.web_root : NULL;
    /* The pages' CSP: the export's inline scripts by hash (WEB_ROOT/csp.json), S3 for the
     * browser's direct transfers. Without it (out of memory) the server uses the API's CSP. */
    char *web_csp = NULL;
    size_t csp_hashes = 0;
    if (http_web_csp(web_root, c.s3_endpoint, c.s3_force_path_style, &web_csp, &csp_hashes)) {
        log_event(LOG_WARN, "csp.json in the web root is unusable: inline scripts stay blocked",
                  json_pack("{s:s?}", "webRoot", web_root));
        http_web_csp(NULL, c.s3_endpoint, c.s3_force_path_style, &web_csp, &csp_hashes);
    }
    struct http_server_opts opts = {
        .listen_addr = (const struct sockaddr *)&c.listen_addr,
        .listen_addr_len = c.listen_addr_len,
        .threads = threads,
        .max_connections = (unsigned)c.max_connections,
        .header_limit = 16 * 1024,
        .conn_memory = 32 * 1024,
        .idle_timeout_s = 60,
        .header_timeout_ms = c.header_timeout_ms,
        .max_per_client = (unsigned)c.max_per_client,
        .routes = api_routes,
        .nroutes = api_nroutes,
        .web_root = web_root,
        .trusted_proxies = &c.trusted_proxies,
        .public_https = c.public_https,
        .web_csp = web_csp,
        .app = &app,
        .authenticate = api_authenticate,
        .prepare = api_prepare,
        .release = api_release,
        .completed = api_completed,
        .library_log = library_log,
        .retry_after_s = api_retry_after_s,
        .started = api_trace_started,
        .on_thread = api_trace_on_thread,
    };
    struct http_server *server = NULL;
    rc = load_oidc(&app.oidc);
    if (rc == 0)
        rc = app.metrics ? http_server_start(&opts, &server) : SEAU_E_NOMEM;
    if (rc == SEAU_E_VALIDATION) {
        free(web_csp);
        events_free(app.events);
        s3_client_free(sqs);
        s3_client_free(app.s3_probe);
        s3_client_free(app.s3);
        s3_credentials_free(s3_creds);
        metrics_free(app.metrics);
        db_close(db);
        cfg_done(&c);
        return 2;
    }
    if (rc) {
        auth_oidc_free(app.oidc);
        log_event(LOG_ERROR, "cannot listen",
                  json_pack("{s:s, s:s}", "listen", c.listen, "error",
                            "the address is in use or not available"));
        free(web_csp);
        events_free(app.events);
        s3_client_free(sqs);
        s3_client_free(app.s3_probe);
        s3_client_free(app.s3);
        s3_credentials_free(s3_creds);
        metrics_free(app.metrics);
        db_close(db);
        cfg_done(&c);
        return 1;
    }
    app.server = server;
    app.sqs = sqs;
    /* From here on a request never waits on write(): lines go through the background writer. */
    if (log_async_start())
        log_event(LOG_WARN, "cannot start the log writer: lines are written synchronously", NULL);
    /* Direct uploads: sniffing needs libmagic's database; abandoned uploads need aborting. */
    const char *magic_path = NULL;
    if (files_rules_init(&magic_path))
        log_event(LOG_ERROR, "cannot load libmagic's database: uploads will fail",
                  json_pack("{s:s}", "path", magic_path));
    struct files_env upload_env = {.s3 = app.s3, .db = db, .buckets = c.buckets,
                                   .nbuckets = c.nbuckets};
    struct singletons singles = {.db = db, .c = &c, .app = &app, .env = &upload_env};
    if (singletons_start(&singles))
        log_event(LOG_ERROR, "cannot start the leader election of the singletons", NULL);
    char shown_db[1024];
    cfg_database_url_display(c.database_url, shown_db, sizeof(shown_db));
    log_event(LOG_INFO, "seau is serving",
              json_pack("{s:s, s:s, s:s, s:s?, s:i, s:s?, s:s?}", "version", SEAU_VERSION,
                        "listen", c.listen, "database", shown_db, "webRoot", web_root,
                        "threads", (int)threads, "s3Endpoint",
                        app.s3 ? (c.s3_endpoint ? c.s3_endpoint : "AWS") : NULL,
                        "s3Credentials", s3_creds ? s3_credentials_source(s3_creds) : NULL));

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    atomic_store(&app.ready, 0);
    http_server_closing(server);
    log_event(LOG_INFO, "shutting down",
              json_pack("{s:s, s:I, s:I}", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                        "drainMs", (json_int_t)c.shutdown_drain_ms, "timeoutMs",
                        (json_int_t)c.shutdown_timeout_ms));
    /* First: a walk in progress is abandoned at its next page, so it never delays the exit. */
    singletons_stop(&singles); /* likewise: a sweep stops before its next session */
    if (c.shutdown_drain_ms > 0) {
        /* Keep serving while load balancers notice /api/ready turned 503. */
        struct timespec ts = {c.shutdown_drain_ms / 1000, (c.shutdown_drain_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    /* WebSockets get their close frame while the server still runs: upgraded sockets are
     * libmicrohttpd's, and it must not stop with them open. */
    events_close_clients(app.events, c.shutdown_timeout_ms < 2000 ? c.shutdown_timeout_ms : 2000);
    unsigned left = http_server_stop(server, c.shutdown_timeout_ms);
    app.server = NULL;
    events_free(app.events); /* after the server: handlers publish until it stops */
    app.events = NULL;
    app.sqs = NULL;
    s3_client_free(sqs);
    files_rules_cleanup(); /* after the server: handlers sniff until it stops */
    files_fetch_wait_all(); /* released downloads' fetches end before their S3 client goes */
    if (left)
        log_event(LOG_WARN, "requests were cut off at the shutdown deadline",
                  json_pack("{s:i}", "requests", (int)left));
    log_event(LOG_INFO, "stopped", NULL);
    log_async_stop(); /* writes every queued line */
    free(web_csp);
    s3_client_free(app.s3_probe);
    s3_client_free(app.s3);
    s3_credentials_free(s3_creds);
    pthread_mutex_destroy(&app.probe.lock);
    files_index_progress_done(&index_progress);
    metrics_free(app.metrics);
    auth_oidc_free(app.oidc);
    db_close(db);
    trace_shutdown(c.shutdown_timeout_ms); /* after everything that makes spans */
    cfg_done(&c);
    return 0;
}
