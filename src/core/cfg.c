#include "core/cfg.h"

#include "core/err.h"
#include "core/s3name.h"
#include "core/str.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cfg_option {
    const char *env;
    const char *flag;
    size_t offset; /* of the char * field in struct cfg */
    const char *def;
    const char *help;
    bool secret;
};

#define OPT(env, flag, field, def, help, secret)                                                   \
    {env, flag, offsetof(struct cfg, field), def, help, secret}

static const struct cfg_option cfg_options[] = {
    OPT("SEAU_LISTEN", "listen", listen, "127.0.0.1:8080", "address and port to listen on", false),
    OPT("SEAU_DATABASE_URL", "database-url", database_url, "sqlite:./data/seau.db",
        "database: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE", false),
    OPT("SEAU_PUBLIC_URL", "public-url", public_url, NULL,
        "address users reach Seau at, e.g. https://files.example.com", false),
    OPT("SEAU_LOG_LEVEL", "log-level", log_level_text, "info", "debug, info, warn or error", false),
    OPT("SEAU_LOG_FORMAT", "log-format", log_format_text, "json", "json or text", false),
    OPT("SEAU_TRUSTED_PROXIES", "trusted-proxies", trusted_proxies_text, NULL,
        "comma-separated addresses/CIDRs whose X-Forwarded-For is believed", false),
    OPT("SEAU_WEB_ROOT", "web-root", web_root, "./web/out", "folder of the web client's files",
        false),
    OPT("SEAU_ADMIN_EMAIL", "admin-email", admin_email, NULL,
        "first admin's email, created when there is no user", false),
    /* No flag: a password on the command line is visible to every local user in ps. */
    OPT("SEAU_ADMIN_PASSWORD", NULL, admin_password, NULL,
        "first admin's password (environment only)", true),
    OPT("SEAU_SESSION_IDLE_TIMEOUT", "session-idle-timeout", session_idle_text, "12h",
        "a session unused this long expires", false),
    OPT("SEAU_SESSION_MAX_AGE", "session-max-age", session_max_age_text, "7d",
        "a session expires this long after login, used or not", false),
    OPT("SEAU_SESSION_CACHE", "session-cache", session_cache_text, "1s",
        "how long a session read from the store answers the same token's next requests "
        "(0: every request reads it; at most 10s); a sign-out on another replica is seen "
        "within it",
        false),
    OPT("SEAU_HTTP_THREADS", "http-threads", http_threads_text, "0",
        "HTTP worker threads (0: one per core, at least 2)", false),
    OPT("SEAU_MAX_CONNECTIONS", "max-connections", max_connections_text, "4096",
        "concurrent HTTP connections", false),
    OPT("SEAU_MAX_CONNECTIONS_PER_CLIENT", "max-connections-per-client", max_per_client_text,
        "1024", "concurrent HTTP connections from one address (0: no cap; trusted proxies exempt)",
        false),
    OPT("SEAU_HEADER_TIMEOUT", "header-timeout", header_timeout_text, "10s",
        "time a client has to send a request's line and headers (0: no bound)", false),
    OPT("SEAU_SHUTDOWN_TIMEOUT", "shutdown-timeout", shutdown_timeout_text, "15s",
        "how long in-flight requests may take to finish at shutdown", false),
    OPT("SEAU_SHUTDOWN_DRAIN", "shutdown-drain", shutdown_drain_text, "0s",
        "how long to keep serving with /api/ready at 503 before shutting down", false),
    OPT("SEAU_LOGIN_MAX_FAILURES", "login-max-failures", login_max_failures_text, "5",
        "failed logins per account within the window before 429", false),
    OPT("SEAU_LOGIN_MAX_FAILURES_IP", "login-max-failures-ip", login_max_failures_ip_text, "20",
        "failed logins per client address within the window before 429", false),
    OPT("SEAU_LOGIN_WINDOW", "login-window", login_window_text, "15m",
        "window of the login failure limits", false),
    OPT("SEAU_MFA_REQUIRED", "mfa-required", mfa_required_text, NULL,
        "comma-separated roles that must set up a second factor (admin,manager,user)", false),
    OPT("SEAU_S3_ENDPOINT", "s3-endpoint", s3_endpoint, NULL,
        "S3-compatible endpoint URL (else AWS_ENDPOINT_URL_S3, else AWS)", false),
    OPT("SEAU_S3_FORCE_PATH_STYLE", "s3-force-path-style", s3_force_path_style_text, "false",
        "address buckets as endpoint/bucket/key even on AWS", false),
    OPT("SEAU_BUCKETS", "buckets", buckets_text, NULL,
        "comma-separated buckets Seau offers; the first is the default", false),
    /* S3 resilience: the circuit breaker, the cache, the request timeout. */
    OPT("SEAU_S3_REQUEST_TIMEOUT", "s3-request-timeout", s3_request_timeout_text, "60s",
        "longest S3 call (a streamed transfer is bounded by its speed instead)", false),
    OPT("SEAU_S3_BREAKER_FAILURES", "s3-breaker-failures", s3_breaker_failures_text, "5",
        "consecutive failed S3 calls that open the circuit breaker (0: not this rule)", false),
    OPT("SEAU_S3_BREAKER_RATIO", "s3-breaker-ratio", s3_breaker_ratio_text, "50",
        "percentage of failed S3 calls within 30s (at least 10 calls) that opens it (0: not "
        "this rule)",
        false),
    OPT("SEAU_S3_BREAKER_OPEN", "s3-breaker-open", s3_breaker_open_text, "10s",
        "how long an open breaker answers 503 at once before it probes S3 again", false),
    OPT("SEAU_S3_CACHE_TTL", "s3-cache-ttl", s3_cache_ttl_text, "2s",
        "how long listing pages and HEADs shown to people are reused (0: no cache)", false),
    /* Files: uploads, downloads, shares, the object index. */
    OPT("SEAU_MAX_UPLOAD_BYTES", "max-upload-bytes", max_upload_bytes_text, "5TiB",
        "largest file one may upload (bytes, or with KiB, MiB, GiB, TiB)", false),
    OPT("SEAU_ALLOWED_TYPES", "allowed-types", allowed_types, NULL,
        "comma-separated media types one may upload, e.g. image/*,application/pdf (unset: any)",
        false),
    OPT("SEAU_CLAMAV", "clamav", clamav, NULL,
        "clamd to scan uploads with: tcp://HOST:PORT or a Unix socket path (unset: no scan)",
        false),
    OPT("SEAU_TRASH", "trash", trash_text, NULL,
        "recycle bin for buckets without versioning: bucket:prefix:retention[,...], e.g. "
        "docs:.trash/:30d (deletes move objects under the prefix, purged after the retention)",
        false),
    OPT("SEAU_DOWNLOAD_MODE", "download-mode", download_mode_text, "redirect",
        "downloads: redirect (to a presigned S3 URL) or proxy (bytes through Seau)", false),
    OPT("SEAU_PRESIGN_EXPIRY", "presign-expiry", presign_expiry_text, "15m",
        "lifetime of presigned download and upload URLs (at most 7d)", false),
    OPT("SEAU_UPLOAD_MULTIPART_THRESHOLD", "upload-multipart-threshold",
        upload_multipart_threshold_text, "16MiB",
        "files at least this large are uploaded in parts (at least 5MiB)", false),
    OPT("SEAU_UPLOAD_SESSION_MAX_AGE", "upload-session-max-age", upload_session_max_age_text,
        "24h", "unfinished direct uploads older than this are aborted", false),
    OPT("SEAU_MAX_TRANSFERS", "max-transfers", max_transfers_text, "256",
        "proxied transfers (uploads, downloads, ZIPs) at once; more get 503", false),
    OPT("SEAU_AUDIT_DOWNLOADS", "audit-downloads", audit_downloads_text, "false",
        "write an audit entry for every download", false),
    OPT("SEAU_SHARE_MAX_EXPIRY", "share-max-expiry", share_max_expiry_text, "30d",
        "longest lifetime of a share link (0: unlimited)", false),
    OPT("SEAU_SHARE_DEFAULT_EXPIRY", "share-default-expiry", share_default_expiry_text, "7d",
        "lifetime of a share link that names none (0: unlimited)", false),
    OPT("SEAU_MULTIPART_COPY_THRESHOLD", "multipart-copy-threshold",
        multipart_copy_threshold_text, "5GiB",
        "objects larger than this are copied part by part (at most 5GiB)", false),
    OPT("SEAU_INDEX_RECONCILE_INTERVAL", "index-reconcile-interval", index_reconcile_text, "1h",
        "how often the object index is walked against S3 (0: never)", false),
    OPT("SEAU_INDEX_SYNC_AT_START", "index-sync-at-start", index_sync_at_start_text, "true",
        "walk at start, in the background, the buckets never walked, cut short or stale", false),
    /* Events. */
    OPT("SEAU_SQS_QUEUE_URL", "sqs-queue-url", sqs_queue_url, NULL,
        "SQS queue receiving the buckets' S3 event notifications (unset: none)", false),
    OPT("SEAU_WEBHOOK_SECRET", NULL, webhook_secret, NULL,
        "shared secret of POST /api/events/s3 (environment only; unset: webhook off)", true),
    OPT("SEAU_EVENTS_VERIFY", "events-verify", events_verify_text, "true",
        "check each S3 event's object with a HEAD before believing it (false: trust the events)",
        false),
    OPT("SEAU_NOTIFICATION_RETENTION", "notification-retention", notification_retention_text,
        "30d", "how long notifications are kept", false),
    /* Invitations and first sign-in (auth/invitations.h, auth/mail.h). */
    OPT("SEAU_INVITE_TTL", "invite-ttl", invite_ttl_text, "7d",
        "how long an invitation link works", false),
    OPT("SEAU_FORCE_PASSWORD_CHANGE", "force-password-change", force_password_change_text, "true",
        "a password an admin sets for someone else must be changed at its first sign-in", false),
    /* No flag: the URL may hold the mail server's password. */
    OPT("SEAU_SMTP_URL", NULL, smtp_url, NULL,
        "mail server invitations are sent through: smtp://HOST:PORT, smtps://USER:PASS@HOST "
        "(environment only; unset: links are only shown)",
        true),
    OPT("SEAU_SMTP_FROM", "smtp-from", smtp_from, NULL,
        "sender address of invitation mails, e.g. seau@example.com", false),
};

#define CFG_NOPTIONS (sizeof(cfg_options) / sizeof(cfg_options[0]))

static char **field(struct cfg *c, const struct cfg_option *o)
{
    return (char **)(void *)((char *)c + o->offset);
}

static char *const *cfield(const struct cfg *c, const struct cfg_option *o)
{
    return (char *const *)(const void *)((const char *)c + o->offset);
}

static void problem(struct cfg_problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct cfg_problems *p, const char *fmt, ...)
{
    if (p->len == CFG_MAX_PROBLEMS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) >= 0)
        p->items[p->len++] = s;
    va_end(ap);
}

void cfg_problems_done(struct cfg_problems *p)
{
    for (size_t i = 0; i < p->len; i++)
        free(p->items[i]);
    p->len = 0;
}

static void set_value(struct cfg *c, const struct cfg_option *o, const char *v)
{
    char **f = field(c, o);
    if (o->secret)
        str_free_secret(*f);
    else
        free(*f);
    *f = str_dup(v);
}

static const struct cfg_option *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < CFG_NOPTIONS; i++) {
        const char *f = cfg_options[i].flag;
        if (f && strlen(f) == len && memcmp(f, name, len) == 0)
            return &cfg_options[i];
    }
    return NULL;
}

bool cfg_is_flag(const char *arg)
{
    if (strncmp(arg, "--", 2) != 0)
        return false;
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    return find_flag(name, eq ? (size_t)(eq - name) : strlen(name)) != NULL;
}

int cfg_load(struct cfg *c, int argc, char **argv, struct cfg_problems *problems)
{
    memset(c, 0, sizeof(*c));
    size_t before = problems->len;
    for (size_t i = 0; i < CFG_NOPTIONS; i++) {
        const struct cfg_option *o = &cfg_options[i];
        const char *env = getenv(o->env);
        set_value(c, o, env && *env ? env : o->def);
    }
    /* The AWS tools' own variable counts when Seau's is not set. */
    const char *aws_endpoint = getenv("AWS_ENDPOINT_URL_S3");
    if (!c->s3_endpoint && aws_endpoint && *aws_endpoint)
        c->s3_endpoint = str_dup(aws_endpoint);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            problem(problems, "unexpected argument '%s'", arg);
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        const struct cfg_option *o = find_flag(name, eq ? (size_t)(eq - name) : strlen(name));
        if (!o) {
            problem(problems, "unknown option '%s' (see --help)", arg);
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) {
                problem(problems, "option --%s needs a value", o->flag);
                continue;
            }
            value = argv[++i];
        }
        set_value(c, o, value);
    }
    return problems->len > before ? SEAU_E_VALIDATION : 0;
}

static void check_duration(struct cfg_problems *p, const char *env, const char *text, int64_t min,
                           int64_t *ret)
{
    if (str_to_duration_ms(text, ret) || *ret < min)
        problem(p, "%s='%s' is not a valid duration (e.g. 30s, 15m, 12h, 7d)", env, text);
}

static void check_int(struct cfg_problems *p, const char *env, const char *text, int64_t min,
                      int64_t max, int64_t *ret)
{
    if (str_to_int64(text, min, max, ret))
        problem(p, "%s='%s' must be a whole number from %lld to %lld", env, text, (long long)min,
                (long long)max);
}

const char *cfg_sqlite_path(const char *database_url)
{
    if (!database_url || strncmp(database_url, "sqlite:", 7) != 0)
        return NULL;
    const char *path = database_url + 7;
    /* Also accept the URL form sqlite:///abs/path. */
    if (strncmp(path, "//", 2) == 0)
        path += 2;
    return path;
}

/* Appends n bytes of s to out at *o, keeping room for the NUL. */
static void put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
    while (n-- && *o + 1 < outlen)
        out[(*o)++] = *s++;
    out[*o] = '\0';
}

char *cfg_database_url_display(const char *url, char *out, size_t outlen)
{
    static const char redacted[] = "(redacted)";
    size_t o = 0;
    if (outlen == 0)
        return out;
    out[0] = '\0';
    const char *rest = strstr(url, "://");
    if (!rest) {
        put(out, outlen, &o, url, strlen(url));
        return out;
    }
    rest += 3;
    size_t auth = strcspn(rest, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth; i++)
        if (rest[i] == '@')
            at = rest + i;
    const char *colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
    if (colon) {
        put(out, outlen, &o, url, (size_t)(colon + 1 - url));
        put(out, outlen, &o, redacted, sizeof(redacted) - 1);
        url = at;
    }
    /* The query string: password=... becomes password=(redacted). */
    for (const char *s = url; *s;) {
        bool param_start = s > url && (s[-1] == '?' || s[-1] == '&');
        if (param_start && strncmp(s, "password=", 9) == 0) {
            put(out, outlen, &o, s, 9);
            put(out, outlen, &o, redacted, sizeof(redacted) - 1);
            s += 9 + strcspn(s + 9, "&#");
            continue;
        }
        put(out, outlen, &o, s, 1);
        s++;
    }
    return out;
}

static bool parse_bool(const char *s, bool *ret);

/* SEAU_INVITE_TTL, SEAU_FORCE_PASSWORD_CHANGE, SEAU_SMTP_URL and SEAU_SMTP_FROM. */
static void check_invitations(struct cfg *c, struct cfg_problems *p)
{
    check_duration(p, "SEAU_INVITE_TTL", c->invite_ttl_text, 1000, &c->invite_ttl_ms);
    if (!parse_bool(c->force_password_change_text, &c->force_password_change))
        problem(p, "SEAU_FORCE_PASSWORD_CHANGE='%s' must be true or false",
                c->force_password_change_text);
    const char *u = c->smtp_url;
    /* The URL is a secret (it may hold a password): problems never quote it. */
    if (u && strncasecmp(u, "smtp://", 7) != 0 && strncasecmp(u, "smtps://", 8) != 0)
        problem(p, "SEAU_SMTP_URL must start with smtp:// or smtps://");
    else if (u && (str_has_control(u, strlen(u)) || strchr(u, ' ')))
        problem(p, "SEAU_SMTP_URL must not contain spaces or control characters");
    const char *f = c->smtp_from;
    if (f) {
        const char *at = strchr(f, '@');
        /* It goes into a mail header: no line breaks, no angle brackets, one '@'. */
        if (!at || at == f || !at[1] || strchr(at + 1, '@') || strpbrk(f, "<>\"\r\n\t ,;") ||
            str_has_control(f, strlen(f)) || strlen(f) > 254)
            problem(p, "SEAU_SMTP_FROM='%s' must be an email address like seau@example.com", f);
    }
    if (u && !f)
        problem(p, "SEAU_SMTP_URL is set but SEAU_SMTP_FROM is not");
}

static void check_public_url(struct cfg *c, struct cfg_problems *p)
{
    free(c->public_origin);
    c->public_origin = NULL;
    c->public_https = false;
    if (!c->public_url)
        return;
    const char *u = c->public_url;
    size_t scheme_len;
    if (strncasecmp(u, "https://", 8) == 0) {
        c->public_https = true;
        scheme_len = 8;
    } else if (strncasecmp(u, "http://", 7) == 0) {
        scheme_len = 7;
    } else {
        problem(p, "SEAU_PUBLIC_URL='%s' must start with http:// or https://", u);
        return;
    }
    size_t host_len = strcspn(u + scheme_len, "/?#");
    if (host_len == 0 || str_has_control(u, strlen(u)) || strchr(u, ' ')) {
        problem(p, "SEAU_PUBLIC_URL='%s' has no valid host", u);
        return;
    }
    /* The origin is scheme://host[:port], lower-cased as browsers send it. */
    char *origin = malloc(scheme_len + host_len + 1);
    if (!origin)
        return;
    for (size_t i = 0; i < scheme_len + host_len; i++) {
        char ch = u[i];
        origin[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    origin[scheme_len + host_len] = '\0';
    c->public_origin = origin;
}

/* A size: bytes, or a whole number with KiB, MiB, GiB or TiB (also K, M, G, T). */
static int parse_size(const char *s, int64_t *ret)
{
    static const struct {
        const char *unit;
        int shift;
    } units[] = {{"", 0},     {"B", 0},     {"K", 10},    {"KiB", 10}, {"M", 20},
                 {"MiB", 20}, {"G", 30},    {"GiB", 30},  {"T", 40},   {"TiB", 40}};
    size_t digits = strspn(s, "0123456789");
    if (digits == 0 || digits > 15)
        return SEAU_E_VALIDATION;
    char num[16];
    memcpy(num, s, digits);
    num[digits] = '\0';
    int64_t v;
    if (str_to_int64(num, 0, INT64_MAX, &v))
        return SEAU_E_VALIDATION;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(s + digits, units[i].unit) == 0) {
            if (v > (INT64_MAX >> units[i].shift))
                return SEAU_E_VALIDATION;
            *ret = v << units[i].shift;
            return 0;
        }
    }
    return SEAU_E_VALIDATION;
}

static void check_size(struct cfg_problems *p, const char *env, const char *text, int64_t min,
                       int64_t max, int64_t *ret)
{
    if (parse_size(text, ret) || *ret < min || *ret > max)
        problem(p, "%s='%s' must be a size from %lld to %lld bytes (e.g. 100MiB, 5GiB)", env, text,
                (long long)min, (long long)max);
}

static bool parse_bool(const char *s, bool *ret)
{
    if (str_ieq(s, "true") || str_ieq(s, "1") || str_ieq(s, "yes")) {
        *ret = true;
        return true;
    }
    if (str_ieq(s, "false") || str_ieq(s, "0") || str_ieq(s, "no")) {
        *ret = false;
        return true;
    }
    return false;
}

static void free_buckets(struct cfg *c)
{
    for (size_t i = 0; c->buckets && i < c->nbuckets; i++)
        free(c->buckets[i]);
    free(c->buckets);
    c->buckets = NULL;
    c->nbuckets = 0;
}

/* Splits SEAU_BUCKETS, naming each bad bucket and refusing duplicates. */
static void check_buckets(struct cfg *c, struct cfg_problems *p)
{
    free_buckets(c);
    const char *s = c->buckets_text ? c->buckets_text : "";
    size_t cap = 1;
    for (const char *q = s; *q; q++)
        cap += *q == ',';
    c->buckets = calloc(cap + 1, sizeof(char *));
    if (!c->buckets)
        return;
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        size_t n = strcspn(s, ", ");
        if (n == 0)
            break;
        char *name = slice_dup((struct slice){s, n});
        s += n;
        if (!name)
            return;
        const char *why = s3name_bucket_problem(name);
        bool dup = false;
        for (size_t i = 0; i < c->nbuckets; i++)
            dup = dup || strcmp(c->buckets[i], name) == 0;
        if (why || dup) {
            problem(p, "SEAU_BUCKETS: '%s' %s", name, why ? why : "is listed twice");
            free(name);
            continue;
        }
        c->buckets[c->nbuckets++] = name;
    }
}

static void free_trash(struct cfg *c)
{
    for (size_t i = 0; c->trash && i < c->ntrash; i++) {
        free(c->trash[i].bucket);
        free(c->trash[i].prefix);
    }
    free(c->trash);
    c->trash = NULL;
    c->ntrash = 0;
}

/* Splits SEAU_TRASH into bucket:prefix:retention entries on configured buckets. */
static void check_trash(struct cfg *c, struct cfg_problems *p)
{
    free_trash(c);
    const char *s = c->trash_text ? c->trash_text : "";
    size_t cap = 1;
    for (const char *q = s; *q; q++)
        cap += *q == ',';
    c->trash = calloc(cap, sizeof(*c->trash));
    if (!c->trash)
        return;
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        size_t n = strcspn(s, ",");
        if (n == 0)
            break;
        char *entry = slice_dup((struct slice){s, n});
        s += n;
        if (!entry)
            return;
        char *c1 = strchr(entry, ':');
        char *c2 = c1 ? strrchr(entry, ':') : NULL;
        if (!c1 || c2 == c1) {
            problem(p, "SEAU_TRASH: '%s' must be bucket:prefix:retention, e.g. docs:.trash/:30d",
                    entry);
            free(entry);
            continue;
        }
        *c1 = '\0';
        *c2 = '\0';
        const char *bucket = entry, *prefix = c1 + 1, *retention = c2 + 1;
        bool known = false, dup = false;
        for (size_t i = 0; i < c->nbuckets; i++)
            known = known || strcmp(c->buckets[i], bucket) == 0;
        for (size_t i = 0; i < c->ntrash; i++)
            dup = dup || strcmp(c->trash[i].bucket, bucket) == 0;
        size_t pl = strlen(prefix);
        const char *why = s3name_prefix_problem(prefix);
        int64_t ms = 0;
        if (!known || dup)
            problem(p, "SEAU_TRASH: bucket '%s' %s", bucket,
                    dup ? "is listed twice" : "is not one of SEAU_BUCKETS");
        else if (pl == 0 || prefix[pl - 1] != '/' || why)
            problem(p, "SEAU_TRASH: the prefix '%s' of '%s' must be a folder ending with '/'",
                    prefix, bucket);
        else if (check_duration(p, "SEAU_TRASH", retention, 1000, &ms), ms >= 1000) {
            struct cfg_trash *t = &c->trash[c->ntrash];
            t->bucket = str_dup(bucket);
            t->prefix = str_dup(prefix);
            t->retention_ms = ms;
            if (t->bucket && t->prefix)
                c->ntrash++;
            else {
                free(t->bucket);
                free(t->prefix);
            }
        }
        free(entry);
    }
}

/* An endpoint is scheme://host[:port] and nothing more: buckets and keys go after it. */
static void check_endpoint(const char *e, struct cfg_problems *p)
{
    size_t scheme = strncasecmp(e, "https://", 8) == 0  ? 8
                    : strncasecmp(e, "http://", 7) == 0 ? 7
                                                        : 0;
    const char *host = e + scheme;
    size_t host_len = strcspn(host, "/?#@");
    bool bare = host[host_len] == '\0' || (host[host_len] == '/' && host[host_len + 1] == '\0');
    if (!scheme || host_len == 0 || !bare || str_has_control(e, strlen(e)) || strchr(e, ' '))
        problem(p, "SEAU_S3_ENDPOINT='%s' must be an http:// or https:// URL with a host and "
                   "an optional port, e.g. http://127.0.0.1:9000",
                e);
}

#define MiB (1024LL * 1024)
#define GiB (1024 * MiB)
#define TiB (1024 * GiB)

/* Files and events options. */
static void check_files(struct cfg *c, struct cfg_problems *p)
{
    check_size(p, "SEAU_MAX_UPLOAD_BYTES", c->max_upload_bytes_text, 1, 5 * TiB,
               &c->max_upload_bytes);
    if (c->allowed_types && (str_has_control(c->allowed_types, strlen(c->allowed_types)) ||
                             strspn(c->allowed_types, ", ") == strlen(c->allowed_types)))
        problem(p, "SEAU_ALLOWED_TYPES='%s' must be comma-separated media types, e.g. "
                   "image/*,application/pdf",
                c->allowed_types);
    if (c->clamav && strncmp(c->clamav, "tcp://", 6) != 0 && c->clamav[0] != '/')
        problem(p, "SEAU_CLAMAV='%s' must be tcp://HOST:PORT or an absolute Unix socket path",
                c->clamav);
    if (strcmp(c->download_mode_text, "redirect") == 0)
        c->download_proxy = false;
    else if (strcmp(c->download_mode_text, "proxy") == 0)
        c->download_proxy = true;
    else
        problem(p, "SEAU_DOWNLOAD_MODE='%s' must be redirect or proxy", c->download_mode_text);
    check_duration(p, "SEAU_PRESIGN_EXPIRY", c->presign_expiry_text, 1000, &c->presign_expiry_ms);
    if (c->presign_expiry_ms > 7LL * 24 * 3600 * 1000)
        problem(p, "SEAU_PRESIGN_EXPIRY='%s' is longer than S3's 7 days", c->presign_expiry_text);
    check_size(p, "SEAU_UPLOAD_MULTIPART_THRESHOLD", c->upload_multipart_threshold_text, 5 * MiB,
               5 * GiB, &c->upload_multipart_threshold);
    check_duration(p, "SEAU_UPLOAD_SESSION_MAX_AGE", c->upload_session_max_age_text, 60000,
                   &c->upload_session_max_age_ms);
    check_int(p, "SEAU_MAX_TRANSFERS", c->max_transfers_text, 1, 100000, &c->max_transfers);
    if (!parse_bool(c->audit_downloads_text, &c->audit_downloads))
        problem(p, "SEAU_AUDIT_DOWNLOADS='%s' must be true or false", c->audit_downloads_text);
    check_duration(p, "SEAU_SHARE_MAX_EXPIRY", c->share_max_expiry_text, 0,
                   &c->share_max_expiry_ms);
    check_duration(p, "SEAU_SHARE_DEFAULT_EXPIRY", c->share_default_expiry_text, 0,
                   &c->share_default_expiry_ms);
    if (c->share_max_expiry_ms &&
        (c->share_default_expiry_ms == 0 || c->share_default_expiry_ms > c->share_max_expiry_ms))
        problem(p, "SEAU_SHARE_DEFAULT_EXPIRY='%s' is longer than SEAU_SHARE_MAX_EXPIRY='%s'",
                c->share_default_expiry_text, c->share_max_expiry_text);
    check_size(p, "SEAU_MULTIPART_COPY_THRESHOLD", c->multipart_copy_threshold_text, 5 * MiB,
               5 * GiB, &c->multipart_copy_threshold);
    check_duration(p, "SEAU_INDEX_RECONCILE_INTERVAL", c->index_reconcile_text, 0,
                   &c->index_reconcile_ms);
    if (!parse_bool(c->index_sync_at_start_text, &c->index_sync_at_start))
        problem(p, "SEAU_INDEX_SYNC_AT_START='%s' must be true or false",
                c->index_sync_at_start_text);
    check_duration(p, "SEAU_S3_REQUEST_TIMEOUT", c->s3_request_timeout_text, 1000,
                   &c->s3_request_timeout_ms);
    check_int(p, "SEAU_S3_BREAKER_FAILURES", c->s3_breaker_failures_text, 0, 1000,
              &c->s3_breaker_failures);
    check_int(p, "SEAU_S3_BREAKER_RATIO", c->s3_breaker_ratio_text, 0, 100, &c->s3_breaker_ratio);
    check_duration(p, "SEAU_S3_BREAKER_OPEN", c->s3_breaker_open_text, 100, &c->s3_breaker_open_ms);
    check_duration(p, "SEAU_S3_CACHE_TTL", c->s3_cache_ttl_text, 0, &c->s3_cache_ttl_ms);
    if (c->s3_cache_ttl_ms > 60000)
        problem(p, "SEAU_S3_CACHE_TTL='%s' is longer than a minute: the cache is meant to be short",
                c->s3_cache_ttl_text);
    if (c->sqs_queue_url && strncmp(c->sqs_queue_url, "https://", 8) != 0 &&
        strncmp(c->sqs_queue_url, "http://", 7) != 0)
        problem(p, "SEAU_SQS_QUEUE_URL='%s' must be an http:// or https:// queue URL",
                c->sqs_queue_url);
    if (c->webhook_secret && strlen(c->webhook_secret) < 16)
        problem(p, "SEAU_WEBHOOK_SECRET must be at least 16 characters long");
    if (!parse_bool(c->events_verify_text, &c->events_verify))
        problem(p, "SEAU_EVENTS_VERIFY='%s' must be true or false", c->events_verify_text);
    check_duration(p, "SEAU_NOTIFICATION_RETENTION", c->notification_retention_text, 60000,
                   &c->notification_retention_ms);
}

/* SEAU_MFA_REQUIRED: role names, each a bit (1 << the role's value in auth/policy.h). */
static void check_mfa_required(struct cfg *c, struct cfg_problems *p)
{
    static const struct {
        const char *name;
        unsigned bit;
    } roles[] = {{"user", 1u << 1}, {"manager", 1u << 2}, {"admin", 1u << 3}};
    c->mfa_required_roles = 0;
    const char *s = c->mfa_required_text;
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        while (n > 0 && *s == ' ') {
            s++;
            n--;
        }
        while (n > 0 && s[n - 1] == ' ')
            n--;
        bool known = false;
        for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
            if (n == strlen(roles[i].name) && strncmp(s, roles[i].name, n) == 0) {
                c->mfa_required_roles |= roles[i].bit;
                known = true;
            }
        if (!known && n > 0)
            problem(p, "SEAU_MFA_REQUIRED names '%.*s'; roles are admin, manager and user", (int)n,
                    s);
        s = end ? end + 1 : NULL;
    }
}

int cfg_validate(struct cfg *c, struct cfg_problems *p)
{
    size_t before = p->len;
    if (net_listen_parse(c->listen, &c->listen_addr, &c->listen_addr_len))
        problem(p, "SEAU_LISTEN='%s' must be IP:PORT, e.g. 127.0.0.1:8080 or [::1]:8080",
                c->listen);
    const char *db = c->database_url;
    /* A PostgreSQL URL is checked by libpq when the store opens (it may lean on PG* variables). */
    bool postgres = strncmp(db, "postgres://", 11) == 0 || strncmp(db, "postgresql://", 13) == 0;
    if (!postgres && (!cfg_sqlite_path(db) || !*cfg_sqlite_path(db)))
        problem(p,
                "SEAU_DATABASE_URL='%s' must be sqlite:PATH (e.g. sqlite:./data/seau.db) or "
                "postgres://USER:PASSWORD@HOST:PORT/DATABASE",
                db);
    if (log_level_parse(c->log_level_text, &c->log_level))
        problem(p, "SEAU_LOG_LEVEL='%s' must be debug, info, warn or error", c->log_level_text);
    if (log_format_parse(c->log_format_text, &c->log_format))
        problem(p, "SEAU_LOG_FORMAT='%s' must be json or text", c->log_format_text);
    memset(&c->trusted_proxies, 0, sizeof(c->trusted_proxies));
    if (c->trusted_proxies_text && net_cidr_list_parse(c->trusted_proxies_text, &c->trusted_proxies))
        problem(p, "SEAU_TRUSTED_PROXIES='%s' must be a comma-separated list of IP addresses or "
                   "CIDR ranges (at most %d)",
                c->trusted_proxies_text, NET_MAX_CIDRS);
    check_public_url(c, p);
    if (c->admin_email && !strchr(c->admin_email, '@'))
        problem(p, "SEAU_ADMIN_EMAIL='%s' is not an email address", c->admin_email);
    if (c->admin_password && strlen(c->admin_password) < 12)
        problem(p, "SEAU_ADMIN_PASSWORD must be at least 12 characters long");
    if (c->admin_password && !c->admin_email)
        problem(p, "SEAU_ADMIN_PASSWORD is set but SEAU_ADMIN_EMAIL is not");
    check_duration(p, "SEAU_SESSION_IDLE_TIMEOUT", c->session_idle_text, 60000, &c->session_idle_ms);
    check_duration(p, "SEAU_SESSION_MAX_AGE", c->session_max_age_text, 60000,
                   &c->session_max_age_ms);
    check_duration(p, "SEAU_SESSION_CACHE", c->session_cache_text, 0, &c->session_cache_ms);
    if (c->session_cache_ms > 10000)
        problem(p, "SEAU_SESSION_CACHE='%s' is over 10s: a session ended on another replica "
                   "would stay usable that long",
                c->session_cache_text);
    check_int(p, "SEAU_HTTP_THREADS", c->http_threads_text, 0, 256, &c->http_threads);
    check_int(p, "SEAU_MAX_CONNECTIONS", c->max_connections_text, 16, 1000000, &c->max_connections);
    check_int(p, "SEAU_MAX_CONNECTIONS_PER_CLIENT", c->max_per_client_text, 0, 1000000,
              &c->max_per_client);
    check_duration(p, "SEAU_HEADER_TIMEOUT", c->header_timeout_text, 0, &c->header_timeout_ms);
    check_duration(p, "SEAU_SHUTDOWN_TIMEOUT", c->shutdown_timeout_text, 0,
                   &c->shutdown_timeout_ms);
    check_duration(p, "SEAU_SHUTDOWN_DRAIN", c->shutdown_drain_text, 0, &c->shutdown_drain_ms);
    check_int(p, "SEAU_LOGIN_MAX_FAILURES", c->login_max_failures_text, 1, 1000000,
              &c->login_max_failures);
    check_int(p, "SEAU_LOGIN_MAX_FAILURES_IP", c->login_max_failures_ip_text, 1, 1000000,
              &c->login_max_failures_ip);
    check_duration(p, "SEAU_LOGIN_WINDOW", c->login_window_text, 1000, &c->login_window_ms);
    check_mfa_required(c, p);
    check_invitations(c, p);
    if (c->s3_endpoint)
        check_endpoint(c->s3_endpoint, p);
    if (!parse_bool(c->s3_force_path_style_text, &c->s3_force_path_style))
        problem(p, "SEAU_S3_FORCE_PATH_STYLE='%s' must be true or false",
                c->s3_force_path_style_text);
    check_buckets(c, p);
    check_trash(c, p);
    check_files(c, p);
    return p->len > before ? SEAU_E_VALIDATION : 0;
}

void cfg_done(struct cfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < CFG_NOPTIONS; i++) {
        char **f = field(c, &cfg_options[i]);
        if (cfg_options[i].secret)
            str_free_secret(*f);
        else
            free(*f);
        *f = NULL;
    }
    free(c->public_origin);
    c->public_origin = NULL;
    free_buckets(c);
    free_trash(c);
}

void cfg_print_help(FILE *f)
{
    fprintf(f, "Configuration (environment variable, flag; flags win):\n");
    for (size_t i = 0; i < CFG_NOPTIONS; i++) {
        const struct cfg_option *o = &cfg_options[i];
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s", o->flag ? o->flag : "(no flag)");
        fprintf(f, "  %-27s %-24s %s", o->env, flag, o->help);
        if (o->def)
            fprintf(f, " [default: %s]", o->def);
        fputc('\n', f);
    }
}

void cfg_print(const struct cfg *c, FILE *f)
{
    for (size_t i = 0; i < CFG_NOPTIONS; i++) {
        const struct cfg_option *o = &cfg_options[i];
        const char *v = *cfield(c, o);
        char shown[1024];
        if (v && o->offset == offsetof(struct cfg, database_url))
            v = cfg_database_url_display(v, shown, sizeof(shown));
        fprintf(f, "%s=%s\n", o->env, !v ? "" : o->secret ? "(set, redacted)" : v);
    }
}
