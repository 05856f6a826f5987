/*
 * The S3 client: endpoints and addressing, transport (libcurl), signing,
 * retries, error mapping, and the S3 operations Seau uses.
 *
 * One struct s3_client serves the whole process: it is thread-safe, and many
 * HTTP threads may call operations on it at once. It borrows a credentials
 * provider (s3/credentials.h) and asks it for credentials at every attempt, so
 * temporary credentials are refreshed as they expire.
 *
 * Transport. Each request takes an easy handle from a small pool (LIFO, so the
 * most recently used handle, whose connection is still open, goes first) and
 * gives it back after the transfer: connections are reused without libcurl's
 * shared connection cache, which libcurl does not support across threads
 * (curl's KNOWN_BUGS, "A shared connection cache is not thread-safe"). The
 * DNS cache and TLS sessions are shared between handles through a CURLSH with
 * lock callbacks. Redirects are never followed; TLS is always verified.
 *
 * Signing. Every request is signed with SigV4 in headers (s3/sigv4.h), with
 * x-amz-content-sha256 always present: the SHA-256 of a body held in memory,
 * UNSIGNED-PAYLOAD for a streamed one. Object keys are given raw (UTF-8, as
 * the user named them) and are percent-encoded exactly once, here.
 *
 * Retries. A request is retried, up to max_retries times, after a connection
 * error (refused, reset, closed mid-answer, timed out), an HTTP 500, 502, 503
 * or 504, or an S3 error SlowDown, RequestTimeout or InternalError (also when
 * it comes inside a "200 OK", as CompleteMultipartUpload and CopyObject may
 * answer) — only when the request can be replayed: no body, a body in memory,
 * or a streamed body whose source can rewind. Before retry n (1, 2, ...) the
 * client sleeps a random time in [0, min(backoff_cap_ms, backoff_base_ms *
 * 2^(n-1))] ("full jitter"). A GetObject whose bytes were already handed to
 * the caller is never retried: it fails with code "IncompleteBody", never a
 * partial success.
 *
 * Errors. Every operation returns 0 or a negative SEAU_E_* code, and on
 * failure fills *ret_err (when not NULL) with the HTTP status and what S3
 * said. The code is chosen from the S3 error code, else the HTTP status:
 *
 *   SEAU_E_NOT_FOUND     NoSuchKey, NoSuchBucket, NoSuchUpload, NoSuchVersion,
 *                        NoSuchCORSConfiguration, NotFound, any 404
 *   SEAU_E_UNAVAILABLE   (becomes 503 upstream_unavailable) AccessDenied,
 *                        SignatureDoesNotMatch, InvalidAccessKeyId,
 *                        ExpiredToken, InvalidToken, RequestTimeTooSkewed,
 *                        any 401 or 403: S3 refuses Seau's own credentials
 *                        or clock, which the operator must fix — say so with
 *                        s3_error_describe(); also every 5xx, SlowDown and
 *                        connection error once retries are spent, the
 *                        pseudo-codes below, and any other S3 error
 *   SEAU_E_CONFLICT      PreconditionFailed (412), BucketNotEmpty,
 *                        BucketAlreadyExists, OperationAborted, any 409
 *   SEAU_E_RANGE         InvalidRange (416)
 *   SEAU_E_TOO_LARGE     EntityTooLarge
 *   SEAU_E_VALIDATION    our caller's input, checked before sending (an empty
 *                        or too long key, a bad part number, expiry, ...), and
 *                        S3's InvalidArgument, KeyTooLongError,
 *                        EntityTooSmall, InvalidPart, InvalidPartOrder,
 *                        InvalidBucketName, InvalidObjectName, MalformedXML
 *   SEAU_E_NOMEM, SEAU_E_INTERNAL (libcurl or OpenSSL failed)
 *   whatever a caller's callback returned, as it was returned.
 *
 * A 304 (If-None-Match matched) is not an error: GetObject and HeadObject
 * return 0 with head.not_modified set. HEAD answers have no body, so their
 * errors are named from the status (404 → "NotFound", 403 → "Forbidden",
 * 412 → "PreconditionFailed", 5xx → "ServiceUnavailable"...).
 *
 * When the failure is not S3's own answer, err.http_status is what was
 * received (0 when nothing was) and err.code one of these pseudo-codes:
 *   "ConnectionFailed"        could not connect, or the connection broke
 *   "Timeout"                 a timeout (connect, total or low speed) expired
 *   "IncompleteBody"          the answer was cut short after some of it was
 *                             handed to the caller (not retried)
 *   "MalformedAnswer"         an answer that could not be read (not XML, cut
 *                             short, a header too long for its field...)
 *   "CredentialsUnavailable"  the credentials provider failed
 *   "BodyShort"               a streamed body ended before its length
 *   "Aborted"                 a callback (sink, body source) stopped the
 *                             transfer; its own code is returned
 *   "InvalidInput"            our caller's input was refused before sending
 * Messages never hold a secret, a signature or a string to sign.
 *
 * Ownership. Strings passed in are borrowed for the call. Results are written
 * only on success (STYLE.md rule 7); answers holding heap memory are released
 * with the function named at each type. Nothing here logs.
 */
#ifndef SEAU_S3_CLIENT_H
#define SEAU_S3_CLIENT_H

#include "s3/credentials.h"
#include "s3/xml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits (STYLE.md rule 15). */
#define S3_MAX_KEY          1024                               /* bytes of an object key */
#define S3_MAX_BUCKET       63                                 /* bytes of a bucket name */
#define S3_MAX_META         2048                               /* bytes of user metadata, as AWS */
#define S3_MAX_META_COUNT   64                                 /* x-amz-meta-* headers per object */
#define S3_MAX_DELETE_BATCH 1000                               /* keys per DeleteObjects */
#define S3_MAX_PARTS        10000                              /* parts of a multipart upload */
#define S3_MIN_PART_SIZE    (5ull * 1024 * 1024)               /* all parts but the last */
#define S3_MAX_PART_SIZE    (5ull * 1024 * 1024 * 1024)        /* one part */
#define S3_MAX_COPY_SIZE    (5ull * 1024 * 1024 * 1024)        /* one CopyObject */
#define S3_MAX_OBJECT_SIZE  (5ull * 1024 * 1024 * 1024 * 1024) /* one object */
#define S3_MAX_EXPIRES      604800                             /* presigned URL lifetime, 7 days */
#define S3_MAX_ERROR_BODY   (64 * 1024)                        /* bytes of an error answer read */

/* Field sizes of answers' headers (with the NUL). A longer value fails the
 * request as "MalformedAnswer" rather than being cut. */
#define S3_ETAG_SIZE         256
#define S3_VERSION_ID_SIZE   1024
#define S3_CONTENT_TYPE_SIZE 256
#define S3_HEADER_SIZE       1024 /* content-disposition, cache-control, content-range */
#define S3_REQUEST_ID_SIZE   128

/* Defaults of struct s3_config. */
#define S3_DEFAULT_REGION             "us-east-1"
#define S3_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define S3_DEFAULT_REQUEST_TIMEOUT_MS 60000
#define S3_DEFAULT_LOW_SPEED_BYTES    1024  /* bytes per second ... */
#define S3_DEFAULT_LOW_SPEED_TIME_MS  30000 /* ... sustained this long, else a timeout */
#define S3_DEFAULT_MAX_RETRIES        3
#define S3_DEFAULT_BACKOFF_BASE_MS    100
#define S3_DEFAULT_BACKOFF_CAP_MS     5000
#define S3_NO_RETRIES                 (-1) /* max_retries: never retry */

enum s3_addressing {
    /* AWS: virtual-hosted ({bucket}.s3.{region}.amazonaws.com), except for
     * bucket names that cannot be a TLS host label (dots, capitals,
     * underscores), which go path style as the AWS SDKs do. A custom
     * endpoint: path style ({endpoint}/{bucket}/{key}). */
    S3_ADDRESSING_AUTO = 0,
    /* Always path style (SEAU_S3_FORCE_PATH_STYLE=true). */
    S3_ADDRESSING_PATH,
    /* Virtual-hosted on a custom endpoint too: {bucket}.{endpoint host}. */
    S3_ADDRESSING_VIRTUAL,
};

/*
 * The client's configuration. Strings are copied by s3_client_new(); numbers
 * left at 0 take the default above. The lead engineer's src/core/cfg.c maps
 * the environment into it: SEAU_S3_ENDPOINT, else AWS_ENDPOINT_URL_S3 →
 * endpoint; SEAU_S3_FORCE_PATH_STYLE=true → S3_ADDRESSING_PATH; AWS_REGION
 * (else the credentials provider's region) → region. SEAU_BUCKETS is not the
 * client's business: operations name their bucket.
 */
struct s3_config {
    /* NULL or "": AWS, https://s3.{region}.amazonaws.com. Otherwise an http
     * or https URL with a host and an optional port, without a path, query
     * or user info ("http://127.0.0.1:7480"). */
    const char *endpoint;
    const char *region; /* NULL or "": S3_DEFAULT_REGION; signs every request */
    /* SQS (the s3_sqs_* calls): NULL or "": https://sqs.{region}.amazonaws.com;
     * else an http(s) URL like endpoint (cfg.c: SEAU_SQS_ENDPOINT, else
     * AWS_ENDPOINT_URL_SQS). Requests go there whatever host the queue URL
     * names, which is passed as given. */
    const char *sqs_endpoint;
    enum s3_addressing addressing;
    /* Timeouts, per attempt. request_timeout_ms bounds the whole of a request
     * that has no streamed body (every call but GetObject, and PutObject and
     * UploadPart from a callback); streamed ones are bounded by the low-speed
     * rule instead: below low_speed_bytes per second for low_speed_time_ms
     * (rounded up to whole seconds) is a timeout. */
    int64_t connect_timeout_ms;
    int64_t request_timeout_ms;
    int64_t low_speed_bytes;
    int64_t low_speed_time_ms;
    /* Retries after the first attempt: 0 means S3_DEFAULT_MAX_RETRIES,
     * S3_NO_RETRIES none; at most 10. */
    int max_retries;
    int64_t backoff_base_ms; /* at most backoff_cap_ms */
    int64_t backoff_cap_ms;  /* at most 60 000 */
    const char *user_agent;  /* NULL: "seau/VERSION" */
    /* Optional libcurl CURLOPT_CONNECT_TO entry ("HOST:PORT:CONNECT-HOST:
     * CONNECT-PORT", empty HOST or PORT for any): connect elsewhere than the
     * URL's host while keeping it in Host and TLS SNI. For tests of
     * virtual-hosted addressing and split-horizon DNS. */
    const char *connect_to;
    /* Injected clock and sleep, for tests; NULL: the real ones. now_ms is the
     * wall clock in milliseconds since the epoch (signing, credentials);
     * sleep_ms waits between retries. */
    int64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    void *clock_ctx;
};

struct s3_client;

/*
 * Creates a client. The provider is borrowed and must outlive the client.
 * Call it before other threads use libcurl (it calls curl_global_init(),
 * paired with curl_global_cleanup() in s3_client_free()).
 *
 * Returns 0 and the client in *ret, SEAU_E_VALIDATION for a configuration
 * that makes no sense (an endpoint that is not an http(s) URL with a host,
 * one with a path or credentials, a region that is not [a-z0-9-], a timeout
 * or retry count out of range), SEAU_E_NOMEM, or SEAU_E_INTERNAL when
 * libcurl fails to initialise.
 */
int s3_client_new(const struct s3_config *config, struct s3_cred_provider *credentials,
                  struct s3_client **ret);

/* Frees the client and its idle connections. Accepts NULL. No operation may
 * be running on it. */
void s3_client_free(struct s3_client *c);

/*
 * Makes every transfer of c stop at once, those in flight (a long poll
 * included) and those to come, failing with SEAU_E_CANCELLED (code
 * "Aborted"), never retried. For a client about to be freed by another
 * thread than the one using it (the SQS consumer at shutdown). Any thread.
 */
void s3_client_cancel(struct s3_client *c);

/* The region requests are signed for; owned by the client. */
const char *s3_client_region(const struct s3_client *c);

/* Counters since the client was made, for metrics and tests. */
struct s3_client_stats {
    uint64_t requests;    /* attempts sent, retries included */
    uint64_t retries;     /* attempts that were retries */
    uint64_t connections; /* new connections opened (the rest were reused) */
};
void s3_client_stats(struct s3_client *c, struct s3_client_stats *ret);

/*
 * Called after every attempt (retries included) with the call's operation
 * ("GetObject", "ReceiveMessage"), the answer's HTTP status (0: none came:
 * connection, timeout, signing) and its duration. Runs on the calling
 * thread: it must be quick and thread-safe. Set once, before the client is
 * used by more than one thread; fn NULL removes it.
 */
typedef void (*s3_observer_fn)(void *ctx, const char *operation, int http_status, double seconds);
void s3_client_set_observer(struct s3_client *c, s3_observer_fn fn, void *ctx);

/* ================================ circuit breaker ================================= */

/*
 * Each endpoint of a client (S3, SQS) has a circuit breaker, off until
 * configured. Closed, calls go through; `failures` consecutive failed calls
 * (no answer, a timeout, a 500, 502, 503 or 504, SlowDown — after the
 * call's retries; a 501 NotImplemented is an S3 without a feature, not down), or a
 * failure ratio of at least `ratio` over the calls of the last window_ms
 * (at least min_calls of them), open it: for open_ms every call fails at
 * once with SEAU_E_UNAVAILABLE, code "CircuitOpen", without touching the
 * network. Then one call goes through as a probe (half-open) while the
 * others still fail at once: its success closes the breaker, its failure
 * opens it again. An answer that is an S3 refusal (404, 403, 409...) counts
 * as a success: the endpoint is up. Configure before the client is shared.
 */
struct s3_breaker_config {
    int failures;      /* consecutive failures that open it; 0: not this rule */
    double ratio;      /* 0 < ratio <= 1; 0: not this rule */
    int min_calls;     /* 0: 10 */
    int64_t window_ms; /* 0: 30 s */
    int64_t open_ms;   /* 0: 10 s */
};
void s3_client_set_breaker(struct s3_client *c, bool sqs, const struct s3_breaker_config *cfg);

enum s3_circuit { S3_CIRCUIT_CLOSED = 0, S3_CIRCUIT_OPEN = 1, S3_CIRCUIT_HALF_OPEN = 2 };

struct s3_circuit_info {
    bool enabled;
    enum s3_circuit state;
    int64_t retry_after_ms; /* open: until the probe; half-open: a second */
    int consecutive_failures;
    uint64_t opened_total;   /* times it opened */
    uint64_t rejected_total; /* calls failed at once */
};
/* The breaker of the S3 endpoint (sqs false) or the SQS one. */
void s3_client_circuit(struct s3_client *c, bool sqs, struct s3_circuit_info *ret);
/* "closed", "open", "half_open". */
const char *s3_circuit_name(enum s3_circuit state);

/* ===================================== errors ===================================== */

/* The SEAU_E_* code for an S3 error code and HTTP status (the table above). */
int s3_error_to_err(int http_status, const char *code);

/*
 * Writes into out (size n, always NUL-terminated when n > 0) one sentence for
 * the API layer's log and messages: what S3 answered and, for the errors
 * that are Seau's configuration (credentials, clock, endpoint), what to
 * check. Never a secret. Returns out.
 */
const char *s3_error_describe(const struct s3_error *e, char *out, size_t n);

/* ============================= object headers, bodies ============================= */

/* A name and a value: user metadata (name without "x-amz-meta-"), or query
 * and header extras. */
struct s3_meta {
    const char *name;
    const char *value;
};

/*
 * What HeadObject and GetObject tell about an object, from the answer's
 * headers. Strings are "" when absent. Release with s3_object_head_done().
 */
struct s3_object_head {
    int http_status;          /* 200, 206, or 304 */
    bool not_modified;        /* 304: If-None-Match matched; nothing else is set */
    bool delete_marker;       /* x-amz-delete-marker: true */
    int64_t content_length;   /* -1 when absent */
    int64_t last_modified_ms; /* 0 when absent */
    int64_t range_first, range_last, object_size; /* Content-Range "bytes F-L/S"; -1 when absent */
    char etag[S3_ETAG_SIZE];                      /* with its quotes, as sent */
    char content_type[S3_CONTENT_TYPE_SIZE];
    char content_range[S3_HEADER_SIZE];
    char content_disposition[S3_HEADER_SIZE];
    char cache_control[S3_HEADER_SIZE];
    char version_id[S3_VERSION_ID_SIZE];
    char request_id[S3_REQUEST_ID_SIZE];
    char storage_class[64]; /* x-amz-storage-class; "" means STANDARD (S3 omits it then) */
    char sse[64];           /* x-amz-server-side-encryption: "AES256", "aws:kms", ... */
    struct s3_meta *meta; /* x-amz-meta-*, names lowercased; owned by the head */
    size_t meta_count;
};

/* Frees the metadata and zeroes h. Accepts NULL and a zeroed head. */
void s3_object_head_done(struct s3_object_head *h);

/*
 * A request body: either a buffer held whole (data, len; signed with its
 * SHA-256, replayable), or a stream of exactly `length` bytes read through
 * `read` (sent as UNSIGNED-PAYLOAD; replayable only when `rewind` is set).
 *
 * read fills buf with up to cap bytes and writes how many into *ret_len;
 * returning 0 with *ret_len 0 before `length` bytes ends the request with
 * "BodyShort" (SEAU_E_IO); a negative code ends it with that code. Bytes past
 * `length` are never asked for. rewind restarts the stream from its first
 * byte for a retry; returning an error gives up the retry.
 */
struct s3_body {
    const void *data;
    size_t len;
    int (*read)(void *ctx, void *buf, size_t cap, size_t *ret_len);
    int (*rewind)(void *ctx);
    void *ctx;
    uint64_t length;
};

/* A body over a buffer, borrowed for the call. */
struct s3_body s3_body_buffer(const void *data, size_t len);

/* Options of PutObject, CreateMultipartUpload and a replacing CopyObject. */
struct s3_put_options {
    const char *content_type;        /* NULL: S3's default (binary/octet-stream) */
    const char *content_disposition; /* NULL: none */
    const char *cache_control;       /* NULL: none */
    const struct s3_meta *meta;      /* x-amz-meta-NAME: VALUE, names [A-Za-z0-9-_] */
    size_t meta_count;
};

/* What a write answers. "" when the server did not say. */
struct s3_put_result {
    char etag[S3_ETAG_SIZE]; /* always quoted: a bare one (Ceph RGW copies) gets quotes */
    char version_id[S3_VERSION_ID_SIZE];
    int64_t last_modified_ms; /* copies only; 0 otherwise */
};

/* =================================== buckets ==================================== */

/* ListBuckets. On success *ret is an answer of kind S3_XML_LIST_BUCKETS
 * (ret->buckets); release it with s3_xml_answer_done(). */
int s3_list_buckets(struct s3_client *c, struct s3_xml_answer *ret, struct s3_error *ret_err);

/* HeadBucket: 0 when the bucket exists and the credentials may use it,
 * SEAU_E_NOT_FOUND when it does not exist. */
int s3_head_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err);

/* CreateBucket (with a LocationConstraint when the region is not us-east-1
 * and the endpoint is AWS). SEAU_E_CONFLICT when it exists. */
int s3_create_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err);

/* DeleteBucket. SEAU_E_CONFLICT when the bucket is not empty. */
int s3_delete_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err);

/* GetBucketLocation: *ret of kind S3_XML_BUCKET_LOCATION (ret->location.region). */
int s3_get_bucket_location(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                           struct s3_error *ret_err);

/* GetBucketVersioning: *ret of kind S3_XML_BUCKET_VERSIONING. */
int s3_get_bucket_versioning(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                             struct s3_error *ret_err);

/* PutBucketVersioning: Enabled when enabled, else Suspended. */
int s3_put_bucket_versioning(struct s3_client *c, const char *bucket, bool enabled,
                             struct s3_error *ret_err);

/* GetBucketCors: *ret of kind S3_XML_BUCKET_CORS; SEAU_E_NOT_FOUND when the
 * bucket has no CORS configuration (NoSuchCORSConfiguration). */
int s3_get_bucket_cors(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                       struct s3_error *ret_err);

/* PutBucketCors with the given rules (1 to 100; each with origins and
 * methods). Sent with Content-MD5, which S3 requires. */
int s3_put_bucket_cors(struct s3_client *c, const char *bucket, const struct s3_cors *cors,
                       struct s3_error *ret_err);

/* =================================== listings =================================== */

/*
 * ListObjectsV2. Every field optional (NULL, 0). max_keys: 1 to 1000, 0 for
 * S3's default (1000). encoding-type=url is always asked for (keys may hold
 * characters XML 1.0 cannot carry), and every key, common prefix and echoed
 * field comes back decoded, once. The client decodes them itself rather than
 * s3/xml.c: Ceph RGW 16 encodes keys and common prefixes but echoes Prefix,
 * Delimiter, StartAfter and NextKeyMarker as they are, which a blanket
 * decoding would corrupt ("+" → " ") or refuse ("50%cent"). So
 * encoding_type reads "" in the answer.
 */
struct s3_list_params {
    const char *prefix;
    const char *delimiter;
    const char *continuation_token;
    const char *start_after;
    int max_keys;
    bool fetch_owner;
};
/* *ret of kind S3_XML_LIST_OBJECTS_V2 (ret->objects). O(page). */
int s3_list_objects_v2(struct s3_client *c, const char *bucket, const struct s3_list_params *p,
                       struct s3_xml_answer *ret, struct s3_error *ret_err);

/* ListObjectVersions; encoding-type=url asked for and decoded as for
 * ListObjectsV2 (next_key_marker included). */
struct s3_list_versions_params {
    const char *prefix;
    const char *delimiter;
    const char *key_marker;
    const char *version_id_marker;
    int max_keys; /* 1 to 1000, 0: default */
};
/* *ret of kind S3_XML_LIST_VERSIONS (ret->versions). */
int s3_list_object_versions(struct s3_client *c, const char *bucket,
                            const struct s3_list_versions_params *p, struct s3_xml_answer *ret,
                            struct s3_error *ret_err);

/* =================================== objects ==================================== */

/* Conditions and variants of HeadObject and GetObject; every field optional. */
struct s3_get_options {
    const char *version_id;
    /* "bytes=F-L", "bytes=F-" or "bytes=-N": a single range, checked. */
    const char *range;
    const char *if_none_match; /* an ETag or "*": a match answers 304 → not_modified */
    const char *if_match;      /* an ETag: a mismatch is SEAU_E_CONFLICT */
    /* GetObject only: response-content-disposition and -type overrides. */
    const char *response_content_disposition;
    const char *response_content_type;
};

/* HeadObject. On success *ret holds the headers (release with
 * s3_object_head_done()). A delete marker as latest version is
 * SEAU_E_NOT_FOUND. */
int s3_head_object(struct s3_client *c, const char *bucket, const char *key,
                   const struct s3_get_options *opt, struct s3_object_head *ret,
                   struct s3_error *ret_err);

/*
 * Where GetObject delivers: on_head (optional) once, with the headers, before
 * the first byte (not called for a 304); then write with each chunk as it
 * arrives. Either returns 0 to go on, or a negative code that stops the
 * transfer and is returned by s3_get_object() as is.
 */
struct s3_sink {
    int (*on_head)(void *ctx, const struct s3_object_head *head);
    int (*write)(void *ctx, const void *data, size_t len);
    void *ctx;
};

/*
 * GetObject, streamed to sink. On success *ret holds the headers (as given to
 * on_head). Retried only before the first byte reached the sink; a transfer
 * cut after that fails with "IncompleteBody" (SEAU_E_UNAVAILABLE), so a 0
 * return means every byte of the answer was delivered. Memory: O(chunk).
 */
int s3_get_object(struct s3_client *c, const char *bucket, const char *key,
                  const struct s3_get_options *opt, const struct s3_sink *sink,
                  struct s3_object_head *ret, struct s3_error *ret_err);

/* PutObject from body (at most S3_MAX_PART_SIZE bytes). ret may be NULL. */
int s3_put_object(struct s3_client *c, const char *bucket, const char *key,
                  const struct s3_body *body, const struct s3_put_options *opt,
                  struct s3_put_result *ret, struct s3_error *ret_err);

/* What DeleteObject answers. */
struct s3_delete_info {
    bool delete_marker; /* a delete marker was created, or was what got deleted */
    char version_id[S3_VERSION_ID_SIZE];
};

/* DeleteObject (version_id NULL: the latest, creating a delete marker in a
 * versioned bucket). Deleting a key that does not exist succeeds, as in S3.
 * ret may be NULL. */
int s3_delete_object(struct s3_client *c, const char *bucket, const char *key,
                     const char *version_id, struct s3_delete_info *ret, struct s3_error *ret_err);

/* One key (and optional version) for DeleteObjects. */
struct s3_object_id {
    const char *key;
    const char *version_id; /* NULL: the latest */
};

/*
 * DeleteObjects for 1 to S3_MAX_DELETE_BATCH keys (more is SEAU_E_TOO_LARGE:
 * the caller batches), with the Content-MD5 S3 requires. Keys holding control
 * characters XML 1.0 cannot carry are SEAU_E_VALIDATION. On success *ret is
 * of kind S3_XML_DELETE_OBJECTS: per-key failures are in ret->deleted.errors,
 * not in the return code. quiet: S3 lists only the failures.
 */
int s3_delete_objects(struct s3_client *c, const char *bucket, const struct s3_object_id *ids,
                      size_t count, bool quiet, struct s3_xml_answer *ret,
                      struct s3_error *ret_err);

/* Options of CopyObject. */
struct s3_copy_options {
    const char *source_version_id;
    const char *source_if_match; /* x-amz-copy-source-if-match: mismatch → SEAU_E_CONFLICT */
    /* NULL: the copy keeps the source's metadata (COPY); else REPLACE with
     * these headers and metadata. */
    const struct s3_put_options *replace;
};

/*
 * CopyObject of a source of at most S3_MAX_COPY_SIZE bytes (S3's limit; use
 * s3_copy() for any size). The source key is encoded once in
 * x-amz-copy-source. A failure S3 reports inside a "200 OK" is an error like
 * any other (and retried when it is InternalError or SlowDown). ret may be
 * NULL.
 */
int s3_copy_object(struct s3_client *c, const char *src_bucket, const char *src_key,
                   const char *dst_bucket, const char *dst_key, const struct s3_copy_options *opt,
                   struct s3_put_result *ret, struct s3_error *ret_err);

/*
 * UploadPartCopy: bytes [first, last] of the source (first < 0: the whole
 * source) become part part_number (1 to S3_MAX_PARTS) of the upload. ret
 * receives the part's ETag; must not be NULL.
 */
int s3_upload_part_copy(struct s3_client *c, const char *bucket, const char *key,
                        const char *upload_id, int part_number, const char *src_bucket,
                        const char *src_key, const char *src_version_id, int64_t first,
                        int64_t last, struct s3_put_result *ret, struct s3_error *ret_err);

/*
 * Copies an object of any size: HeadObject on the source, then CopyObject up
 * to S3_MAX_COPY_SIZE, else s3_copy_multipart() with part_size. ret may be
 * NULL.
 */
int s3_copy(struct s3_client *c, const char *src_bucket, const char *src_key,
            const char *dst_bucket, const char *dst_key, const struct s3_copy_options *opt,
            uint64_t part_size, struct s3_put_result *ret, struct s3_error *ret_err);

/*
 * Copies part by part, as objects over 5 GiB must be: HeadObject on the
 * source (its size; its content type and metadata unless opt->replace),
 * CreateMultipartUpload, UploadPartCopy for each part_size range (0: 512 MiB;
 * from S3_MIN_PART_SIZE to S3_MAX_PART_SIZE, raised so that at most
 * S3_MAX_PARTS parts are needed), CompleteMultipartUpload. On any failure the
 * upload is aborted, so nothing half-copied stays. The source's
 * source_if_match applies to every part. ret may be NULL.
 */
int s3_copy_multipart(struct s3_client *c, const char *src_bucket, const char *src_key,
                      const char *dst_bucket, const char *dst_key,
                      const struct s3_copy_options *opt, uint64_t part_size,
                      struct s3_put_result *ret, struct s3_error *ret_err);

/* ================================== multipart =================================== */

/* CreateMultipartUpload. On success *ret_upload_id is a new string (free()). */
int s3_create_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                               const struct s3_put_options *opt, char **ret_upload_id,
                               struct s3_error *ret_err);

/* UploadPart part_number (1 to S3_MAX_PARTS) from body (at most
 * S3_MAX_PART_SIZE bytes). ret receives the part's ETag; must not be NULL. */
int s3_upload_part(struct s3_client *c, const char *bucket, const char *key, const char *upload_id,
                   int part_number, const struct s3_body *body, struct s3_put_result *ret,
                   struct s3_error *ret_err);

/* A finished part, for CompleteMultipartUpload. */
struct s3_completed_part {
    int part_number;
    const char *etag; /* as UploadPart answered it */
};

/*
 * CompleteMultipartUpload with 1 to S3_MAX_PARTS parts in ascending order.
 * "200 OK" with an <Error> body is an error (retried for InternalError and
 * SlowDown, as AWS advises). When the answer's ETag is empty (Ceph RGW), the
 * object is HEADed for it. ret may be NULL.
 */
int s3_complete_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                                 const char *upload_id, const struct s3_completed_part *parts,
                                 size_t count, struct s3_put_result *ret, struct s3_error *ret_err);

/* AbortMultipartUpload. SEAU_E_NOT_FOUND when there is no such upload. */
int s3_abort_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                              const char *upload_id, struct s3_error *ret_err);

/* ListParts from after part_number_marker (0: the start), up to max_parts
 * (1 to 1000, 0: default). *ret of kind S3_XML_LIST_PARTS. */
int s3_list_parts(struct s3_client *c, const char *bucket, const char *key, const char *upload_id,
                  int part_number_marker, int max_parts, struct s3_xml_answer *ret,
                  struct s3_error *ret_err);

/* ListMultipartUploads. encoding-type is not asked for: Ceph RGW 16 would
 * encode keys without saying so (see s3/xml.h). */
struct s3_list_uploads_params {
    const char *prefix;
    const char *delimiter;
    const char *key_marker;
    const char *upload_id_marker;
    int max_uploads; /* 1 to 1000, 0: default */
};
/* *ret of kind S3_XML_LIST_UPLOADS (ret->uploads). */
int s3_list_multipart_uploads(struct s3_client *c, const char *bucket,
                              const struct s3_list_uploads_params *p, struct s3_xml_answer *ret,
                              struct s3_error *ret_err);

/* ===================================== cache ====================================== */

/*
 * A short-lived cache of listing pages and HEADs, off until set: answers of
 * s3_list_objects_v2_cached() and s3_head_object_cached() are kept ttl_ms,
 * and identical calls made while one is in flight wait for its answer
 * instead of sending their own (a folder opened by 50 people at once costs
 * one listing). Failures are shared with the calls waiting, never kept.
 * Every write through the client (PUT, POST, DELETE on a bucket) drops the
 * entries it may change — listings whose prefix starts the key, the key's
 * HEAD, the whole bucket for a bucket-level write — and so does
 * s3_client_invalidate() for changes made around the client (S3 events,
 * presigned uploads). Only callers that show S3's state to people use the
 * cached calls; those deciding on it (ownership, copies, the index) do not.
 * Set before the client is shared; ttl_ms 0 leaves it off.
 */
int s3_client_set_cache(struct s3_client *c, int64_t ttl_ms, size_t max_entries);
int s3_list_objects_v2_cached(struct s3_client *c, const char *bucket,
                              const struct s3_list_params *p, struct s3_xml_answer *ret,
                              struct s3_error *ret_err);
/* HeadObject of the latest version, without conditions. */
int s3_head_object_cached(struct s3_client *c, const char *bucket, const char *key,
                          struct s3_object_head *ret, struct s3_error *ret_err);
/* Drops what may show bucket/key (key NULL: all of the bucket). c may be NULL. */
void s3_client_invalidate(struct s3_client *c, const char *bucket, const char *key);

struct s3_cache_stats {
    bool enabled;
    uint64_t hits, misses, coalesced, invalidations;
    size_t entries;
};
void s3_client_cache_stats(struct s3_client *c, struct s3_cache_stats *ret);
/* ============================ tagging, lifecycle ============================ */
/* (s3/tagging.c) */

#define S3_MAX_TAGS      10  /* tags of one object */
#define S3_MAX_TAG_KEY   128 /* characters of a tag key */
#define S3_MAX_TAG_VALUE 256 /* characters of a tag value */

/* GetObjectTagging (version_id NULL: the latest). *ret of kind S3_XML_TAGGING. */
int s3_get_object_tagging(struct s3_client *c, const char *bucket, const char *key,
                          const char *version_id, struct s3_xml_answer *ret,
                          struct s3_error *ret_err);

/*
 * PutObjectTagging with n tags (0 to S3_MAX_TAGS; 0 removes them all),
 * names and values of at most S3_MAX_TAG_KEY and S3_MAX_TAG_VALUE
 * characters (checked: SEAU_E_VALIDATION), sent with Content-MD5.
 */
int s3_put_object_tagging(struct s3_client *c, const char *bucket, const char *key,
                          const char *version_id, const struct s3_meta *tags, size_t n,
                          struct s3_error *ret_err);

/* GetBucketLifecycleConfiguration: *ret of kind S3_XML_LIFECYCLE; SEAU_E_NOT_FOUND
 * when the bucket has none (NoSuchLifecycleConfiguration). */
int s3_get_bucket_lifecycle(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                            struct s3_error *ret_err);

/*
 * PutBucketLifecycleConfiguration with one rule (id, whole bucket) that
 * expires noncurrent versions noncurrent_days (1 to 36500) after they stop
 * being current and removes expired delete markers. It REPLACES the bucket's
 * whole configuration: callers check there is none first.
 */
int s3_put_bucket_lifecycle_noncurrent(struct s3_client *c, const char *bucket, const char *id,
                                       int noncurrent_days, struct s3_error *ret_err);

/* ================================== presigning ================================== */

/*
 * Presigned URLs (query-string SigV4, UNSIGNED-PAYLOAD, only Host signed),
 * valid expires_s seconds from now (1 to S3_MAX_EXPIRES). The time comes from
 * the injected clock; credentials from the provider (temporary credentials
 * bound the URL's real lifetime to theirs). On success *ret_url is a new
 * string (free()). opt (GET only, may be NULL) adds versionId and the
 * response-content-disposition and -type overrides; if_* and range are not
 * part of a URL and must be NULL.
 */
int s3_presign_get(struct s3_client *c, const char *bucket, const char *key, uint32_t expires_s,
                   const struct s3_get_options *opt, char **ret_url, struct s3_error *ret_err);
int s3_presign_put(struct s3_client *c, const char *bucket, const char *key, uint32_t expires_s,
                   char **ret_url, struct s3_error *ret_err);
int s3_presign_upload_part(struct s3_client *c, const char *bucket, const char *key,
                           const char *upload_id, int part_number, uint32_t expires_s,
                           char **ret_url, struct s3_error *ret_err);

#endif
