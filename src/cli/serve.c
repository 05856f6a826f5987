/* seau serve: the server, from start-up to graceful shutdown. */
#include "api/api.h"
#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/password.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/server.h"
#include "s3/client.h"
#include "s3/credentials.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The web client's pages: scripts and styles from our own origin only. */
static const char web_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

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
    unsigned threads = worker_threads(&c);
    struct db *db = NULL;
    if (cli__open_db(&c, (int)threads + 2, &db)) {
        cfg_done(&c);
        return 1;
    }
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
                .session = {.idle_ms = c.session_idle_ms, .max_age_ms = c.session_max_age_ms},
            },
    };
    atomic_init(&app.ready, 1);
    pthread_mutex_init(&app.probe.lock, NULL);
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
    const char *web_root = access(c.web_root, R_OK | X_OK) == 0 ? c.web_root : NULL;
    struct http_server_opts opts = {
        .listen_addr = (const struct sockaddr *)&c.listen_addr,
        .listen_addr_len = c.listen_addr_len,
        .threads = threads,
        .max_connections = (unsigned)c.max_connections,
        .header_limit = 16 * 1024,
        .conn_memory = 32 * 1024,
        .idle_timeout_s = 60,
        .routes = api_routes,
        .nroutes = api_nroutes,
        .web_root = web_root,
        .trusted_proxies = &c.trusted_proxies,
        .public_https = c.public_https,
        .web_csp = web_csp,
        .app = &app,
        .authenticate = api_authenticate,
        .release = api_release,
        .completed = api_completed,
        .library_log = library_log,
    };
    struct http_server *server = NULL;
    rc = app.metrics ? http_server_start(&opts, &server) : SEAU_E_NOMEM;
    if (rc) {
        log_event(LOG_ERROR, "cannot listen",
                  json_pack("{s:s, s:s}", "listen", c.listen, "error",
                            "the address is in use or not available"));
        s3_client_free(app.s3_probe);
        s3_client_free(app.s3);
        s3_credentials_free(s3_creds);
        metrics_free(app.metrics);
        db_close(db);
        cfg_done(&c);
        return 1;
    }
    app.server = server;
    log_event(LOG_INFO, "seau is serving",
              json_pack("{s:s, s:s, s:s, s:s?, s:i, s:s?, s:s?}", "version", SEAU_VERSION,
                        "listen", c.listen, "database", c.database_url, "webRoot", web_root,
                        "threads", (int)threads, "s3Endpoint",
                        app.s3 ? (c.s3_endpoint ? c.s3_endpoint : "AWS") : NULL,
                        "s3Credentials", s3_creds ? s3_credentials_source(s3_creds) : NULL));

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    atomic_store(&app.ready, 0);
    log_event(LOG_INFO, "shutting down",
              json_pack("{s:s, s:I, s:I}", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                        "drainMs", (json_int_t)c.shutdown_drain_ms, "timeoutMs",
                        (json_int_t)c.shutdown_timeout_ms));
    if (c.shutdown_drain_ms > 0) {
        /* Keep serving while load balancers notice /api/ready turned 503. */
        struct timespec ts = {c.shutdown_drain_ms / 1000, (c.shutdown_drain_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    unsigned left = http_server_stop(server, c.shutdown_timeout_ms);
    app.server = NULL;
    if (left)
        log_event(LOG_WARN, "requests were cut off at the shutdown deadline",
                  json_pack("{s:i}", "requests", (int)left));
    log_event(LOG_INFO, "stopped", NULL);
    s3_client_free(app.s3_probe);
    s3_client_free(app.s3);
    s3_credentials_free(s3_creds);
    pthread_mutex_destroy(&app.probe.lock);
    metrics_free(app.metrics);
    db_close(db);
    cfg_done(&c);
    return 0;
}
