/*
 * The AWS credentials chain: where Seau's S3 and STS requests get the keys
 * they are signed with (they feed struct sigv4_credentials).
 *
 * credentials.c is one file (about 1,700 lines) on purpose: the five sources
 * share one provider struct, one cache with its early refresh and locking,
 * one HTTP fetch and one JSON reading of temporary keys; each source is a
 * ~150-line open/fetch pair over them, so a file per source would export
 * that whole machinery (and the cache's invariants) to every file.
 *
 * Sources, in the order the AWS SDKs try them; the first that is configured
 * is chosen once, by s3_credentials_open(), and kept for the provider's life:
 *   1. "environment": AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the
 *      optional AWS_SESSION_TOKEN.
 *   2. "profile NAME": AWS_PROFILE (default "default") in the shared
 *      credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 *      ~/.aws/credentials, section "[NAME]"), else in the config file
 *      (AWS_CONFIG_FILE, default ~/.aws/config, "[profile NAME]" or
 *      "[default]"): aws_access_key_id, aws_secret_access_key and the
 *      optional aws_session_token. Both files are read once, at open; a file
 *      that does not exist is skipped, even when named explicitly, as in the
 *      SDKs, but a malformed one is an error. A profile without keys (SSO,
 *      assume-role, credential_process) is skipped: those are not supported.
 *      AWS_PROFILE naming a profile that is in neither file is an error.
 *   3. "web identity": AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (and the
 *      optional AWS_ROLE_SESSION_NAME), exchanged through STS
 *      AssumeRoleWithWebIdentity at AWS_ENDPOINT_URL_STS, or
 *      https://sts.REGION.amazonaws.com/ (https://sts.amazonaws.com/ when no
 *      region is known). The token file is read again at every refresh.
 *   4. "ecs": AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback
 *      address or the ECS / EKS Pod Identity agents), with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at every refresh) or
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header.
 *   5. "imds": the EC2 instance metadata service, IMDSv2 only (a session
 *      token is always requested; there is no fall back to IMDSv1), unless
 *      AWS_EC2_METADATA_DISABLED=true. AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      overrides http://169.254.169.254. It is the last resort, chosen
 *      without probing: on a laptop without IMDS the first
 *      s3_credentials_get() fails after at most a one-second connect timeout.
 *
 * Caching. Long-term keys (sources 1 and 2) are read once and never
 * refreshed. Temporary credentials (sources 3 to 5, whose answers must carry
 * an Expiration) are cached and refreshed from 5 minutes before they expire,
 * but never more often than every 10 s (for keys that come back with less
 * than 5 minutes left). One thread refreshes while the others keep using the
 * cached credentials as long as they are valid (no lock is held during
 * network I/O). A refresh that fails while the cached credentials are still
 * valid is not an error: they are returned. A failed refresh is not retried
 * on the spot; instead the source is not asked again for a while (1 s,
 * doubling up to 60 s, reset by a success), and calls in between get the
 * cached credentials or, when none is valid, the last error at once.
 *
 * Errors are int codes (core/err.h) and, for `seau check`, one sentence
 * through s3_credentials_open_why() and s3_credentials_last_error(). No
 * message ever holds a secret (a secret key, a session token, a web identity
 * token, an ECS authorization token or an IMDS token), and nothing logs.
 * Secrets are wiped before they are freed (STYLE.md rule 16).
 *
 * HTTP goes through libcurl: a new easy handle per request, connect and
 * total timeouts, answers bounded to S3_CRED_MAX_ANSWER bytes, redirects
 * never followed, http and https only, TLS verification on. IMDS and ECS
 * requests bypass any proxy; STS requests honour the usual proxy variables.
 */
#ifndef SEAU_S3_CREDENTIALS_H
#define SEAU_S3_CREDENTIALS_H

#include "s3/sigv4.h"

#include <stdint.h>

#define S3_CRED_MAX_ANSWER       (64 * 1024)     /* bytes of an HTTP answer */
#define S3_CRED_MAX_TOKEN_FILE   (32 * 1024)     /* bytes of a token file read at refresh */
#define S3_CRED_REFRESH_EARLY_MS (5 * 60 * 1000) /* refresh this long before expiry */
#define S3_CRED_WHY_SIZE         256             /* room for a diagnostic sentence */

/*
 * The variables the chain reads, borrowed (NULL or "" when unset). Tests fill
 * it by hand; s3_cred_env_from_process() fills it from the environment.
 * home is $HOME, used for the default file locations and a leading "~/".
 * region is AWS_REGION, else AWS_DEFAULT_REGION.
 */
struct s3_cred_env {
    const char *access_key_id;             /* AWS_ACCESS_KEY_ID */
    const char *secret_access_key;         /* AWS_SECRET_ACCESS_KEY */
    const char *session_token;             /* AWS_SESSION_TOKEN */
    const char *profile;                   /* AWS_PROFILE */
    const char *shared_credentials_file;   /* AWS_SHARED_CREDENTIALS_FILE */
    const char *config_file;               /* AWS_CONFIG_FILE */
    const char *home;                      /* HOME */
    const char *region;                    /* AWS_REGION, else AWS_DEFAULT_REGION */
    const char *web_identity_token_file;   /* AWS_WEB_IDENTITY_TOKEN_FILE */
    const char *role_arn;                  /* AWS_ROLE_ARN */
    const char *role_session_name;         /* AWS_ROLE_SESSION_NAME */
    const char *endpoint_url_sts;          /* AWS_ENDPOINT_URL_STS */
    const char *container_relative_uri;    /* AWS_CONTAINER_CREDENTIALS_RELATIVE_URI */
    const char *container_full_uri;        /* AWS_CONTAINER_CREDENTIALS_FULL_URI */
    const char *container_auth_token;      /* AWS_CONTAINER_AUTHORIZATION_TOKEN */
    const char *container_auth_token_file; /* AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE */
    const char *ec2_metadata_disabled;     /* AWS_EC2_METADATA_DISABLED */
    const char *ec2_metadata_endpoint;     /* AWS_EC2_METADATA_SERVICE_ENDPOINT */
};

/*
 * Fills ret with pointers into the process environment (getenv()); they stay
 * valid until the environment changes, and s3_credentials_open() copies what
 * it keeps. Never fails.
 */
void s3_cred_env_from_process(struct s3_cred_env *ret);

/*
 * A copy of the credentials, owned by the caller: release it with
 * s3_credentials_done(), which wipes the secrets.
 */
struct s3_credentials {
    char *access_key_id;
    char *secret_access_key; /* secret */
    char *session_token;     /* secret; NULL when there is none */
    int64_t expires_ms;      /* ms since the epoch; 0 for long-term keys */
};

/* Wipes and frees the strings and zeroes c. Accepts NULL and a zeroed struct. */
void s3_credentials_done(struct s3_credentials *c);

/* A borrowed view for the signer, valid while c is; the token is empty when there is none. */
struct sigv4_credentials s3_credentials_sigv4(const struct s3_credentials *c);

struct s3_cred_provider;

/*
 * Chooses the source from env (see the top of this file) and copies the
 * configuration it needs; profile files are read here, but nothing goes on
 * the network. Call it once at start-up, before other threads use libcurl:
 * when the chosen source speaks HTTP it calls curl_global_init(), which is
 * reference-counted and paired with curl_global_cleanup() in
 * s3_credentials_free().
 *
 * Returns 0 and a new provider in *ret (free with s3_credentials_free()),
 * or:
 *   SEAU_E_VALIDATION  half a configuration (a key ID without its secret, a
 *                      token file without a role ARN), a malformed value or
 *                      URI, a malformed credentials or config file;
 *   SEAU_E_NOT_FOUND   AWS_PROFILE names a profile found in neither file, or
 *                      no source at all (IMDS disabled and nothing else set);
 *   SEAU_E_TOO_LARGE   a credentials or config file past the limits of ini.h;
 *   SEAU_E_IO          a file that exists but cannot be read;
 *   SEAU_E_NOMEM, SEAU_E_INTERNAL (libcurl would not initialise).
 */
int s3_credentials_open(const struct s3_cred_env *env, struct s3_cred_provider **ret);

/*
 * Like s3_credentials_open(), and on failure also writes into why one
 * sentence naming the problem ("AWS_ACCESS_KEY_ID is set but
 * AWS_SECRET_ACCESS_KEY is not", "/home/a/.aws/config, line 12: expected
 * [section], key = value, or a comment"), for `seau check`. why is "" on
 * success. It never holds a secret.
 */
int s3_credentials_open_why(const struct s3_cred_env *env, char why[S3_CRED_WHY_SIZE],
                            struct s3_cred_provider **ret);

/* Wipes the cached credentials and frees the provider. Accepts NULL. */
void s3_credentials_free(struct s3_cred_provider *p);

/*
 * Writes into *ret a copy of credentials valid at now_ms (the injected wall
 * clock, ms since the epoch), fetching or refreshing them as described at the
 * top. Thread-safe. Returns 0, SEAU_E_UNAVAILABLE when the source failed and
 * no valid credentials remain (unreachable, timed out, an HTTP error, an
 * answer that is malformed, expired or larger than S3_CRED_MAX_ANSWER, an
 * unreadable token file: s3_credentials_last_error() says which), or
 * SEAU_E_NOMEM. May block for the source's timeouts: up to about 15 s for
 * STS, 10 s for ECS, 9 s for IMDS (three requests).
 */
int s3_credentials_get(struct s3_cred_provider *p, int64_t now_ms, struct s3_credentials *ret);

/*
 * Copies into why the sentence describing the last failed fetch, or "" when
 * the last fetch succeeded or none was made. Never a secret. Thread-safe.
 */
void s3_credentials_last_error(struct s3_cred_provider *p, char why[S3_CRED_WHY_SIZE]);

/*
 * Names the chosen source: "environment", "profile NAME", "web identity",
 * "ecs" or "imds". Never a secret; owned by the provider.
 */
const char *s3_credentials_source(const struct s3_cred_provider *p);

/*
 * The region from AWS_REGION, AWS_DEFAULT_REGION, or the profile's "region"
 * in the config file, in that order; NULL when none is set. Owned by the
 * provider.
 */
const char *s3_credentials_region(const struct s3_cred_provider *p);

#endif
