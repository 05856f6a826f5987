/*
 * Configuration: SEAU_* environment variables, each overridable by a flag
 * of the same name (SEAU_LISTEN -> --listen). One table in cfg.c lists every
 * option with its default, help text and whether it is a secret; `seau
 * check`, `--help` and the start-up summary are all generated from it.
 */
#ifndef SEAU_CORE_CFG_H
#define SEAU_CORE_CFG_H

#include "core/log.h"
#include "core/net.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* A bucket whose deletes move objects under a trash prefix (SEAU_TRASH). */
struct cfg_trash {
    char *bucket;         /* a configured bucket */
    char *prefix;         /* ends with '/', e.g. ".trash/" */
    int64_t retention_ms; /* moved objects older than this are purged */
};

struct cfg {
    /* Raw values (owned strings; NULL when unset and without default). */
    char *listen;
    char *database_url;
    char *public_url;
    char *log_level_text;
    char *log_format_text;
    char *trusted_proxies_text;
    char *web_root;
    char *admin_email;
    char *admin_password; /* secret: wiped on free, never printed */
    char *session_idle_text;
    char *session_cache_text;
    char *session_max_age_text;
    char *http_threads_text;
    char *max_connections_text;
    char *max_per_client_text;     /* SEAU_MAX_CONNECTIONS_PER_CLIENT */
    char *header_timeout_text;     /* SEAU_HEADER_TIMEOUT */
    char *shutdown_timeout_text;
    char *shutdown_drain_text;
    char *login_max_failures_text;
    char *login_max_failures_ip_text;
    char *login_window_text;
    char *mfa_required_text;    /* SEAU_MFA_REQUIRED: roles that must have a second factor */
    char *s3_endpoint;          /* SEAU_S3_ENDPOINT, else AWS_ENDPOINT_URL_S3; NULL: AWS */
    char *s3_force_path_style_text;
    char *buckets_text;         /* SEAU_BUCKETS: comma-separated, the first is the default */
    char *max_upload_bytes_text;
    char *allowed_types;        /* SEAU_ALLOWED_TYPES as given; NULL: any type */
    char *clamav;               /* SEAU_CLAMAV: tcp://HOST:PORT or /socket/path; NULL: no scan */
    char *download_mode_text;
    char *presign_expiry_text;
    char *upload_multipart_threshold_text;
    char *upload_session_max_age_text;
    char *max_transfers_text;
    char *audit_downloads_text;
    char *share_max_expiry_text;
    char *share_default_expiry_text;
    char *multipart_copy_threshold_text;
    char *index_reconcile_text;
    char *s3_request_timeout_text;
    char *index_sync_at_start_text;
    char *s3_breaker_failures_text;
    char *s3_breaker_ratio_text;
    char *s3_breaker_open_text;
    char *s3_cache_ttl_text;
    char *sqs_queue_url;        /* SEAU_SQS_QUEUE_URL; NULL: no consumer */
    char *webhook_secret;       /* secret: POST /api/events/s3 bearer; NULL: webhook refused */
    char *notification_retention_text;
    char *events_verify_text;
    char *trash_text;           /* SEAU_TRASH: bucket:prefix:retention[,...]; NULL: none */
    char *invite_ttl_text;            /* SEAU_INVITE_TTL */
    char *force_password_change_text; /* SEAU_FORCE_PASSWORD_CHANGE */
    char *smtp_url;             /* secret: SEAU_SMTP_URL, smtp[s]://[user:pass@]host[:port]; NULL: no mail */
    char *smtp_from;            /* SEAU_SMTP_FROM: the invitation mails' sender */

    /* Parsed by cfg_validate(). */
    struct sockaddr_storage listen_addr;
    socklen_t listen_addr_len;
    enum log_level log_level;
    enum log_format log_format;
    struct net_cidr_list trusted_proxies;
    bool public_https;     /* the public URL is https: Secure cookies, HSTS */
    char *public_origin;   /* "https://files.example.com" or NULL */
    int64_t session_idle_ms;
    int64_t session_cache_ms;
    int64_t session_max_age_ms;
    int64_t http_threads;
    int64_t max_connections;
    int64_t max_per_client; /* 0: no cap */
    int64_t header_timeout_ms;
    int64_t shutdown_timeout_ms;
    int64_t shutdown_drain_ms;
    int64_t login_max_failures;
    int64_t login_max_failures_ip;
    int64_t login_window_ms;
    unsigned mfa_required_roles; /* bit 1 << r per role r of auth/policy.h (user 1 .. admin 3) */
    bool s3_force_path_style;
    int64_t max_upload_bytes;
    bool download_proxy;              /* SEAU_DOWNLOAD_MODE=proxy */
    int64_t presign_expiry_ms;
    int64_t upload_multipart_threshold;
    int64_t upload_session_max_age_ms;
    int64_t max_transfers;
    bool audit_downloads;
    int64_t share_max_expiry_ms;      /* 0: unlimited */
    int64_t share_default_expiry_ms;  /* 0: unlimited */
    int64_t multipart_copy_threshold;
    int64_t index_reconcile_ms;       /* 0: never */
    int64_t s3_request_timeout_ms;
    bool index_sync_at_start;         /* the due walks run at once when leading */
    int64_t s3_breaker_failures;      /* 0: not this rule */
    int64_t s3_breaker_ratio;         /* percent; 0: not this rule */
    int64_t s3_breaker_open_ms;
    int64_t s3_cache_ttl_ms;          /* 0: no cache */
    int64_t notification_retention_ms;
    bool events_verify; /* HEAD the object of an S3 event before believing it */
    int64_t invite_ttl_ms;      /* an invitation link's lifetime */
    bool force_password_change; /* an admin-set password must be changed at first sign-in */
    char **buckets; /* NULL-terminated list parsed from buckets_text; never NULL after validate */
    size_t nbuckets;
    struct cfg_trash *trash; /* parsed from trash_text: at most one per configured bucket */
    size_t ntrash;
};

/* A list of human sentences naming configuration problems. */
#define CFG_MAX_PROBLEMS 64
struct cfg_problems {
    char *items[CFG_MAX_PROBLEMS];
    size_t len;
};

void cfg_problems_done(struct cfg_problems *p);

/*
 * Fills c from defaults, then the environment, then the flags in
 * argv[0..argc) (which must all be configuration flags). Every problem
 * found is appended to problems; c is usable for --help even then.
 * Returns 0, or SEAU_E_VALIDATION when there was any problem.
 */
int cfg_load(struct cfg *c, int argc, char **argv, struct cfg_problems *problems);

/* Parses and checks the raw values; appends every problem found. */
int cfg_validate(struct cfg *c, struct cfg_problems *problems);

/* Frees everything; secrets are wiped first. Accepts NULL. */
void cfg_done(struct cfg *c);

/* Prints the flags with their variables, defaults and help to f. */
void cfg_print_help(FILE *f);

/* Prints the effective configuration with secrets redacted. */
void cfg_print(const struct cfg *c, FILE *f);

/*
 * Splits argv into configuration flags (--name=value or --name value) and
 * the rest, for commands that take both. Returns true when arg is a
 * configuration flag name (without "=value").
 */
bool cfg_is_flag(const char *arg);

/* The database file path of a sqlite: URL, or NULL for other schemes. */
const char *cfg_sqlite_path(const char *database_url);

/*
 * The database URL as it may be shown or logged: a password in the URL's
 * user information ("postgres://u:SECRET@host/db") or in a password=
 * parameter is replaced by "(redacted)". Writes at most outlen bytes,
 * NUL-terminated (truncated when longer), and returns out.
 */
char *cfg_database_url_display(const char *url, char *out, size_t outlen);

#endif
