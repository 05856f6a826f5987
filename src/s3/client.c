/*
 * The S3 client (see client.h for the contract).
 *
 * Layout of this file, top to bottom:
 *   1. pure helpers, reached by tests/unit/s3/client.c: endpoint parsing,
 *      addressing and paths, retry classification and backoff, error
 *      mapping, XML escaping, header value parsing;
 *   2. the transport: the easy-handle pool, one attempt of a request
 *      (sign, send, read headers and body), the retry loop;
 *   3. the operations, each a few lines that describe a request;
 *   4. presigning.
 *
 * A request is described by a struct client__req: method, bucket, raw key,
 * decoded query parameters, extra headers, an optional body, and what to do
 * with the answer's body (parse it as XML of a kind, stream it to a sink, or
 * drop it). client__perform() runs it with retries and fills the caller's
 * struct s3_error on failure.
 */
#include "s3/client.h"

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "core/jsonx.h"
#include "core/timeutil.h"
#include "s3/sigv4.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef SEAU_VERSION
#define SEAU_VERSION "0"
#endif

#define CLIENT__POOL_MAX          32 /* idle easy handles kept */
#define CLIENT__MAX_QUERY         16 /* query parameters of one request */
#define CLIENT__MAX_HEADERS       (S3_MAX_META_COUNT + 16)
#define CLIENT__MAX_HOST          320 /* bucket + "." + endpoint host + port */
#define CLIENT__MAX_PATH          (1 + S3_MAX_BUCKET + 1 + 3 * S3_MAX_KEY)
#define CLIENT__MAX_URL           (16 + CLIENT__MAX_HOST + CLIENT__MAX_PATH + 64 * 1024)
#define CLIENT__MAX_HEADER_LINES  (64 * 1024)         /* the signer's extra header lines */
#define CLIENT__MAX_XML_BODY      (16u * 1024 * 1024) /* a request body we build (DeleteObjects) */
#define CLIENT__MAX_RETRIES       10
#define CLIENT__MAX_BACKOFF       60000
#define CLIENT__RECV_BUFFER       (256L * 1024) /* libcurl's receive buffer, for streamed GETs */
#define CLIENT__SEND_BUFFER       (256L * 1024) /* libcurl's upload buffer */
#define CLIENT__DEFAULT_COPY_PART (512ull * 1024 * 1024)
#define CLIENT__S3_NS             "http://s3.amazonaws.com/doc/2006-03-01/"

/* =============================== 1. pure helpers =============================== */

/* Where requests go, resolved once from the configuration. */
struct client__endpoint {
    bool aws; /* the AWS default endpoint */
    bool https;
    char host[256]; /* as in a URL: "127.0.0.1", "[::1]", "s3.eu-west-3.amazonaws.com" */
    long port;      /* 0: the scheme's default */
    enum s3_addressing addressing;
    char region[64];
};

static bool client__alnum_lower(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* A region as it may appear in a host name and a signing scope. */
static bool client__region_valid(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = r[i];
        if (!client__alnum_lower(ch) && ch != '-' && !(ch >= 'A' && ch <= 'Z') && ch != '_')
            return false;
    }
    return true;
}

/*
 * Parses the configured endpoint of a service ("s3", "sqs"; NULL or "" for
 * AWS's https://SERVICE.REGION.amazonaws.com) into ret. Returns 0 or
 * SEAU_E_VALIDATION (not an http(s) URL with a host, or one with a path,
 * query, fragment or credentials; a bad region), SEAU_E_NOMEM.
 */
static int client__parse_service_endpoint(const char *service, const char *endpoint,
                                          const char *region, enum s3_addressing addressing,
                                          struct client__endpoint *ret)
{
    struct client__endpoint ep;
    memset(&ep, 0, sizeof(ep));
    if (!region || !*region)
        region = S3_DEFAULT_REGION;
    if (!client__region_valid(region) || strlen(region) >= sizeof(ep.region))
        return SEAU_E_VALIDATION;
    memcpy(ep.region, region, strlen(region) + 1);
    if (addressing != S3_ADDRESSING_AUTO && addressing != S3_ADDRESSING_PATH &&
        addressing != S3_ADDRESSING_VIRTUAL)
        return SEAU_E_VALIDATION;
    ep.addressing = addressing;

    if (!endpoint || !*endpoint) {
        ep.aws = true;
        ep.https = true;
        int n = snprintf(ep.host, sizeof(ep.host), "%s.%s.amazonaws.com", service, region);
        if (n < 0 || (size_t)n >= sizeof(ep.host))
            return SEAU_E_VALIDATION;
        *ret = ep;
        return 0;
    }

    CURLU *u = curl_url();
    if (!u)
        return SEAU_E_NOMEM;
    int rc = 0;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *frag = NULL,
         *user = NULL, *password = NULL;
    if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        rc = SEAU_E_VALIDATION;
    if (rc == 0) {
        (void)curl_url_get(u, CURLUPART_PORT, &port, 0);
        (void)curl_url_get(u, CURLUPART_PATH, &path, 0);
        (void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
        (void)curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
        (void)curl_url_get(u, CURLUPART_USER, &user, 0);
        (void)curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
        if (strcmp(scheme, "https") == 0)
            ep.https = true;
        else if (strcmp(scheme, "http") != 0)
            rc = SEAU_E_VALIDATION;
        if (query || frag || user || password || (path && strcmp(path, "/") != 0 && *path))
            rc = SEAU_E_VALIDATION;
        if (!*host || strlen(host) >= sizeof(ep.host))
            rc = SEAU_E_VALIDATION;
    }
    if (rc == 0) {
        memcpy(ep.host, host, strlen(host) + 1);
        for (char *p = ep.host; *p; p++) /* host names are case-insensitive; sign them lowercase */
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        if (port) {
            int64_t v;
            if (str_to_int64(port, 1, 65535, &v) != 0)
                rc = SEAU_E_VALIDATION;
            else if (!((ep.https && v == 443) || (!ep.https && v == 80)))
                ep.port = (long)v;
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_free(frag);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    if (rc == 0)
        *ret = ep;
    return rc;
}

static int client__parse_endpoint(const char *endpoint, const char *region,
                                  enum s3_addressing addressing, struct client__endpoint *ret)
{
    return client__parse_service_endpoint("s3", endpoint, region, addressing, ret);
}

/* A bucket name Seau accepts at all: 1 to 63 of [A-Za-z0-9._-] (so it can
 * never inject a path, query or host). */
static bool client__bucket_valid(const char *b)
{
    size_t n = b ? strlen(b) : 0;
    if (n == 0 || n > S3_MAX_BUCKET)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (!client__alnum_lower(ch) && !(ch >= 'A' && ch <= 'Z') && ch != '.' && ch != '-' &&
            ch != '_')
            return false;
    }
    return true;
}

/*
 * True when the bucket can be the first label(s) of a virtual host name:
 * 3 to 63 of [a-z0-9.-], labels starting and ending with a letter or digit,
 * not an IPv4 address. With allow_dots false (AWS over https in AUTO mode)
 * a dot is refused too: "a.b.s3.amazonaws.com" does not match the wildcard
 * certificate, which is why the AWS SDKs send such buckets path style.
 */
static bool client__bucket_dns_ok(const char *b, bool allow_dots)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return false;
    bool all_digits_dots = true;
    for (size_t i = 0; i < n; i++) {
        char ch = b[i];
        if (ch == '.') {
            if (!allow_dots || i == 0 || i == n - 1 || b[i - 1] == '.' || b[i - 1] == '-' ||
                b[i + 1] == '-')
                return false;
            continue;
        }
        if (ch == '-') {
            if (i == 0 || i == n - 1)
                return false;
            all_digits_dots = false;
            continue;
        }
        if (!client__alnum_lower(ch))
            return false;
        if (!(ch >= '0' && ch <= '9'))
            all_digits_dots = false;
    }
    return !all_digits_dots;
}

/* Whether a request for this bucket goes virtual-hosted. */
static bool client__virtual(const struct client__endpoint *ep, const char *bucket)
{
    if (!bucket)
        return false;
    switch (ep->addressing) {
    case S3_ADDRESSING_PATH:
        return false;
    case S3_ADDRESSING_VIRTUAL:
        return client__bucket_dns_ok(bucket, !ep->https);
    case S3_ADDRESSING_AUTO:
    default:
        return ep->aws && client__bucket_dns_ok(bucket, false);
    }
}

/*
 * Appends to ret_host the Host header value (and URL authority) and to
 * ret_path the path as sent, percent-encoded once: "/bucket/key" path style,
 * "/key" virtual-hosted, "/bucket" or "/" for bucket-level requests, "/" for
 * the service. The key is raw; a key is never normalised ("a//b", "./x" and
 * a trailing '/' are kept as they are).
 */
static int client__target(const struct client__endpoint *ep, const char *bucket, const char *key,
                          struct buf *ret_host, struct buf *ret_path)
{
    bool virt = client__virtual(ep, bucket);
    int rc = 0;
    if (virt)
        rc = buf_printf(ret_host, "%s.", bucket);
    if (rc == 0)
        rc = buf_append_str(ret_host, ep->host);
    if (rc == 0 && ep->port)
        rc = buf_printf(ret_host, ":%ld", ep->port);
    if (rc == 0)
        rc = buf_append_char(ret_path, '/');
    if (rc == 0 && bucket && !virt) {
        rc = buf_append_str(ret_path, bucket);
        if (rc == 0 && key)
            rc = buf_append_char(ret_path, '/');
    }
    if (rc == 0 && key)
        rc = sigv4_uri_encode(slice_from_cstr(key), true, ret_path);
    return rc;
}

/* Whether a libcurl failure may be retried: the connection failed or broke. */
static bool client__retryable_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* Whether an answer may be retried: a server error or throttling. */
static bool client__retryable_answer(int status, const char *code)
{
    if (code && (strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestTimeout") == 0 ||
                 strcmp(code, "InternalError") == 0 || strcmp(code, "ServiceUnavailable") == 0 ||
                 strcmp(code, "Throttling") == 0 || strcmp(code, "ThrottlingException") == 0 ||
                 strcmp(code, "RequestThrottled") == 0 || strcmp(code, "InternalFailure") == 0))
        return true;
    return status == 500 || status == 502 || status == 503 || status == 504 || status == 429;
}

/*
 * The sleep before retry number `retry` (1, 2, ...): a number drawn from
 * [0, min(cap, base * 2^(retry-1))] by rnd ("full jitter", as the AWS SDKs
 * do). Pure: the caller supplies the random number.
 */
static int64_t client__backoff_ms(int retry, int64_t base, int64_t cap, uint64_t rnd)
{
    if (base <= 0 || cap <= 0 || retry <= 0)
        return 0;
    int64_t ceiling = base;
    for (int i = 1; i < retry && ceiling < cap; i++)
        ceiling = ceiling > INT64_MAX / 2 ? cap : ceiling * 2;
    if (ceiling > cap)
        ceiling = cap;
    return (int64_t)(rnd % ((uint64_t)ceiling + 1));
}

/* The code to report for an HTTP status when the answer had no S3 error
 * (a HEAD, or a body that was not an S3 <Error>). */
static const char *client__status_code(int status)
{
    switch (status) {
    case 301:
        return "PermanentRedirect";
    case 307:
        return "TemporaryRedirect";
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 409:
        return "Conflict";
    case 411:
        return "MissingContentLength";
    case 412:
        return "PreconditionFailed";
    case 416:
        return "InvalidRange";
    case 429:
        return "TooManyRequests";
    case 500:
        return "InternalError";
    case 501:
        return "NotImplemented";
    case 502:
        return "BadGateway";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "GatewayTimeout";
    default:
        return "UnexpectedStatus";
    }
}

static bool client__in(const char *code, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(code, *list) == 0)
            return true;
    return false;
}

int s3_error_to_err(int http_status, const char *code)
{
    /* S3's codes, then SQS's (JSON protocol) and their query-protocol twins. */
    static const char *const not_found[] = {"NoSuchKey",
                                            "NoSuchBucket",
                                            "NoSuchUpload",
                                            "NoSuchVersion",
                                            "NoSuchCORSConfiguration",
                                            "NotFound",
                                            "NoSuchLifecycleConfiguration",
                                            "NoSuchTagSet",
                                            "NoSuchBucketPolicy",
                                            "QueueDoesNotExist",
                                            "AWS.SimpleQueueService.NonExistentQueue",
                                            NULL};
    static const char *const conflict[] = {"PreconditionFailed",
                                           "BucketNotEmpty",
                                           "BucketAlreadyExists",
                                           "BucketAlreadyOwnedByYou",
                                           "OperationAborted",
                                           "InvalidBucketState",
                                           "ConditionalRequestConflict",
                                           "Conflict",
                                           "MessageNotInflight",
                                           "AWS.SimpleQueueService.MessageNotInflight",
                                           NULL};
    static const char *const validation[] = {"InvalidArgument",
                                             "KeyTooLongError",
                                             "EntityTooSmall",
                                             "InvalidPart",
                                             "InvalidPartOrder",
                                             "InvalidBucketName",
                                             "InvalidObjectName",
                                             "MalformedXML",
                                             "MetadataTooLarge",
                                             "InvalidInput",
                                             "InvalidStorageClass",
                                             "ReceiptHandleIsInvalid",
                                             "InvalidParameterValue",
                                             "MissingParameter",
                                             "InvalidAddress",
                                             "BatchEntryIdsNotDistinct",
                                             "TooManyEntriesInBatchRequest",
                                             "EmptyBatchRequest",
                                             "InvalidBatchEntryId",
                                             NULL};
    if (!code)
        code = "";
    if (client__in(code, not_found))
        return SEAU_E_NOT_FOUND;
    if (client__in(code, conflict))
        return SEAU_E_CONFLICT;
    if (strcmp(code, "InvalidRange") == 0)
        return SEAU_E_RANGE;
    if (strcmp(code, "EntityTooLarge") == 0)
        return SEAU_E_TOO_LARGE;
    if (strcmp(code, "BodyShort") == 0)
        return SEAU_E_IO;
    if (client__in(code, validation))
        return SEAU_E_VALIDATION;
    /* Credentials, signature and clock errors, server errors, throttling,
     * connection errors, unknown codes: S3 is unusable for Seau as configured
     * or right now, which the API reports as 503 upstream_unavailable. */
    if (*code)
        return SEAU_E_UNAVAILABLE;
    switch (http_status) {
    case 404:
        return SEAU_E_NOT_FOUND;
    case 409:
    case 412:
        return SEAU_E_CONFLICT;
    case 416:
        return SEAU_E_RANGE;
    default:
        return SEAU_E_UNAVAILABLE;
    }
}

/* What the operator should check, for the errors that are configuration. */
static const char *client__hint(const char *code)
{
    static const struct {
        const char *code, *hint;
    } hints[] = {
        {"SignatureDoesNotMatch", "S3 does not accept Seau's signature: check the secret access "
                                  "key (AWS_SECRET_ACCESS_KEY) and the region (AWS_REGION)"},
        {"InvalidAccessKeyId", "S3 does not know the access key: check AWS_ACCESS_KEY_ID"},
        {"AccessDenied", "the credentials may not do this: check the IAM or bucket policy"},
        {"Forbidden", "the credentials may not do this: check the IAM or bucket policy"},
        {"ExpiredToken", "the session token has expired: check the credentials source"},
        {"InvalidToken", "the session token is invalid: check AWS_SESSION_TOKEN"},
        {"RequestTimeTooSkewed", "this machine's clock is off: synchronise it (NTP)"},
        {"AuthorizationHeaderMalformed", "the region is wrong: check AWS_REGION"},
        {"PermanentRedirect", "the bucket is in another region: check AWS_REGION"},
        {"NoSuchBucket", "the bucket does not exist: check SEAU_BUCKETS"},
        {"ConnectionFailed", "S3 cannot be reached: check the endpoint (SEAU_S3_ENDPOINT) and "
                             "the network"},
        {"Timeout", "S3 did not answer in time: check the endpoint and the network"},
        {"CredentialsUnavailable", "no credentials: check the AWS credentials configuration"},
    };
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
        if (strcmp(code, hints[i].code) == 0)
            return hints[i].hint;
    return NULL;
}

const char *s3_error_describe(const struct s3_error *e, char *out, size_t n)
{
    if (!out || n == 0)
        return out;
    const char *code = e && e->code[0] ? e->code : "UnknownError";
    const char *hint = client__hint(code);
    struct buf b;
    buf_init(&b, 4096); /* then cut to n, on a UTF-8 boundary */
    int rc;
    if (e && e->http_status)
        rc = buf_printf(&b, "S3 answered %d %s", e->http_status, code);
    else
        rc = buf_printf(&b, "S3 request failed: %s", code);
    if (rc == 0 && e && e->message[0])
        rc = buf_printf(&b, ": %s", e->message);
    if (rc == 0 && e && e->request_id[0])
        rc = buf_printf(&b, " (request id %s)", e->request_id);
    if (rc == 0 && hint)
        rc = buf_printf(&b, "; %s", hint);
    if (rc == 0)
        rc = buf_append_char(&b, '.');
    (void)rc; /* a sentence past 4 KiB is cut where it stood */
    size_t len = b.len < n - 1 ? b.len : n - 1;
    while (len > 0 && len < b.len && ((unsigned char)b.data[len] & 0xC0) == 0x80)
        len--;
    if (b.data)
        memcpy(out, b.data, len);
    out[len] = '\0';
    buf_done(&b);
    return out;
}

/*
 * Appends s escaped for XML text: & < > " ' as entities, and TAB, LF, CR as
 * character references so that parsers do not normalise them. Returns
 * SEAU_E_VALIDATION for characters XML 1.0 cannot carry (other C0 controls),
 * or a buffer error.
 */
static int client__xml_escape(struct buf *b, const char *s)
{
    int rc = 0;
    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
        switch (*p) {
        case '&':
            rc = buf_append_str(b, "&amp;");
            break;
        case '<':
            rc = buf_append_str(b, "&lt;");
            break;
        case '>':
            rc = buf_append_str(b, "&gt;");
            break;
        case '"':
            rc = buf_append_str(b, "&quot;");
            break;
        case '\'':
            rc = buf_append_str(b, "&apos;");
            break;
        case '\t':
            rc = buf_append_str(b, "&#9;");
            break;
        case '\n':
            rc = buf_append_str(b, "&#10;");
            break;
        case '\r':
            rc = buf_append_str(b, "&#13;");
            break;
        default:
            if (*p < 0x20)
                return SEAU_E_VALIDATION;
            rc = buf_append_char(b, (char)*p);
        }
    }
    return rc;
}

/* An object key S3 can store: 1 to S3_MAX_KEY bytes of UTF-8. */
static bool client__key_valid(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    return n > 0 && n <= S3_MAX_KEY && str_utf8_valid(key, n);
}

/* A header value we send: no control character (CR, LF, NUL...). */
static bool client__header_value_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

static bool client__digits(const char *s, const char *end)
{
    if (s == end)
        return false;
    for (; s < end; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* A single byte range: "bytes=F-L", "bytes=F-" or "bytes=-N", F <= L. */
static bool client__range_valid(const char *r)
{
    if (strncmp(r, "bytes=", 6) != 0)
        return false;
    const char *s = r + 6, *dash = strchr(s, '-'), *end = s + strlen(s);
    if (!dash || dash - s > 19 || end - dash - 1 > 19)
        return false;
    if (dash == s)
        return client__digits(dash + 1, end);
    if (!client__digits(s, dash))
        return false;
    if (dash + 1 == end)
        return true;
    if (!client__digits(dash + 1, end))
        return false;
    int64_t first, last;
    struct slice fs = {s, (size_t)(dash - s)}, ls = {dash + 1, (size_t)(end - dash - 1)};
    return slice_to_int64(fs, 0, INT64_MAX, &first) == 0 &&
           slice_to_int64(ls, 0, INT64_MAX, &last) == 0 && first <= last;
}

/* Parses Content-Range "bytes F-L/S" or "bytes *\/S" (an unknown size "*" gives -1). */
static int client__parse_content_range(const char *v, int64_t *ret_first, int64_t *ret_last,
                                       int64_t *ret_size)
{
    if (strncmp(v, "bytes ", 6) != 0)
        return SEAU_E_VALIDATION;
    const char *s = v + 6, *slash = strchr(s, '/');
    if (!slash)
        return SEAU_E_VALIDATION;
    int64_t first = -1, last = -1, size = -1;
    if (!(slash - s == 1 && *s == '*')) {
        const char *dash = memchr(s, '-', (size_t)(slash - s));
        if (!dash ||
            slice_to_int64((struct slice){s, (size_t)(dash - s)}, 0, INT64_MAX, &first) != 0 ||
            slice_to_int64((struct slice){dash + 1, (size_t)(slash - dash - 1)}, 0, INT64_MAX,
                           &last) != 0 ||
            first > last)
            return SEAU_E_VALIDATION;
    }
    if (strcmp(slash + 1, "*") != 0 && str_to_int64(slash + 1, 0, INT64_MAX, &size) != 0)
        return SEAU_E_VALIDATION;
    *ret_first = first;
    *ret_last = last;
    *ret_size = size;
    return 0;
}

/* Copies v[0..n) into a fixed field; false when it does not fit. */
static bool client__set_field(char *dst, size_t size, const char *v, size_t n)
{
    if (n >= size)
        return false;
    memcpy(dst, v, n);
    dst[n] = '\0';
    return true;
}

/* Copies s into a fixed field, cut on a UTF-8 boundary when too long. */
static void client__copy_cut(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n > size - 1) {
        n = size - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Writes an ETag into a field, with double quotes added when a server sent
 * it bare (Ceph RGW's CopyObjectResult and CopyPartResult), so that every
 * ETag Seau hands out has one form. "" stays "". */
static bool client__set_etag(char dst[S3_ETAG_SIZE], const char *etag)
{
    size_t n = strlen(etag);
    if (n == 0) {
        dst[0] = '\0';
        return true;
    }
    if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
        return client__set_field(dst, S3_ETAG_SIZE, etag, n);
    if (n + 2 >= S3_ETAG_SIZE)
        return false;
    dst[0] = '"';
    memcpy(dst + 1, etag, n);
    dst[n + 1] = '"';
    dst[n + 2] = '\0';
    return true;
}

/* Base64 of the MD5 of data, for Content-MD5 (24 characters and a NUL). */
static int client__content_md5(const void *data, size_t len, char ret[25])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(data, len, md, &md_len, EVP_md5(), NULL) != 1 || md_len != 16)
        return SEAU_E_INTERNAL;
    char out[32];
    if (EVP_EncodeBlock((unsigned char *)out, md, 16) != 24)
        return SEAU_E_INTERNAL;
    memcpy(ret, out, 25);
    return 0;
}

/* ================================ 2. the transport ================================ */

struct s3_client {
    struct client__endpoint ep, sqs_ep;
    struct s3_cred_provider *creds;
    char *user_agent;
    struct curl_slist *connect_to;
    long connect_timeout_ms, request_timeout_ms, low_speed_bytes, low_speed_time_s;
    int max_retries;
    int64_t backoff_base_ms, backoff_cap_ms;
    int64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    void *clock_ctx;

    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    CURL *pool[CLIENT__POOL_MAX];
    size_t pool_len;

    atomic_uint_fast64_t requests, retries, connections;
    atomic_bool cancelled; /* s3_client_cancel(): every transfer stops */
};

static int64_t client__real_now_ms(void *ctx)
{
    (void)ctx;
    return time_now_ms();
}

static void client__real_sleep_ms(void *ctx, int64_t ms)
{
    (void)ctx;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A per-thread xorshift64* generator for backoff jitter: it needs to spread
 * retries, not to be unpredictable. */
static uint64_t client__random(void)
{
    static _Thread_local uint64_t state;
    if (state == 0) {
        int local;
        state =
            (uint64_t)time_mono_ns() ^ ((uint64_t)(uintptr_t)&local << 16) ^ 0x9E3779B97F4A7C15ull;
        if (state == 0)
            state = 1;
    }
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
}

static void client__lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h;
    (void)access;
    struct s3_client *c = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&c->share_locks[data]);
}

static void client__unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    struct s3_client *c = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&c->share_locks[data]);
}

static int64_t client__or(int64_t v, int64_t def)
{
    return v ? v : def;
}

int s3_client_new(const struct s3_config *config, struct s3_cred_provider *credentials,
                  struct s3_client **ret)
{
    if (!config || !credentials || !ret)
        return SEAU_E_INTERNAL;
    struct client__endpoint ep;
    struct client__endpoint sqs_ep;
    int rc = client__parse_endpoint(config->endpoint, config->region, config->addressing, &ep);
    if (rc == 0)
        rc = client__parse_service_endpoint("sqs", config->sqs_endpoint, config->region,
                                            S3_ADDRESSING_PATH, &sqs_ep);
    if (rc != 0)
        return rc;

    int64_t connect_ms = client__or(config->connect_timeout_ms, S3_DEFAULT_CONNECT_TIMEOUT_MS);
    int64_t request_ms = client__or(config->request_timeout_ms, S3_DEFAULT_REQUEST_TIMEOUT_MS);
    int64_t low_bytes = client__or(config->low_speed_bytes, S3_DEFAULT_LOW_SPEED_BYTES);
    int64_t low_ms = client__or(config->low_speed_time_ms, S3_DEFAULT_LOW_SPEED_TIME_MS);
    int64_t base = client__or(config->backoff_base_ms, S3_DEFAULT_BACKOFF_BASE_MS);
    int64_t cap = client__or(config->backoff_cap_ms, S3_DEFAULT_BACKOFF_CAP_MS);
    int retries = config->max_retries == 0               ? S3_DEFAULT_MAX_RETRIES
                  : config->max_retries == S3_NO_RETRIES ? 0
                                                         : config->max_retries;
    if (connect_ms < 0 || connect_ms > 600000 || request_ms < 0 || request_ms > 86400000 ||
        low_bytes < 0 || low_bytes > INT32_MAX || low_ms < 0 || low_ms > 86400000 || retries < 0 ||
        retries > CLIENT__MAX_RETRIES || base < 0 || cap < 0 || cap > CLIENT__MAX_BACKOFF ||
        base > cap)
        return SEAU_E_VALIDATION;
    if (config->user_agent && !client__header_value_ok(config->user_agent))
        return SEAU_E_VALIDATION;

    struct s3_client *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    c->ep = ep;
    c->sqs_ep = sqs_ep;
    c->creds = credentials;
    c->connect_timeout_ms = (long)connect_ms;
    c->request_timeout_ms = (long)request_ms;
    c->low_speed_bytes = (long)low_bytes;
    c->low_speed_time_s = (long)((low_ms + 999) / 1000);
    c->max_retries = retries;
    c->backoff_base_ms = base;
    c->backoff_cap_ms = cap;
    c->now_ms = config->now_ms ? config->now_ms : client__real_now_ms;
    c->sleep_ms = config->sleep_ms ? config->sleep_ms : client__real_sleep_ms;
    c->clock_ctx = config->clock_ctx;
    c->user_agent = str_dup(config->user_agent ? config->user_agent : "seau/" SEAU_VERSION);
    pthread_mutex_init(&c->pool_lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    if (!c->user_agent)
        rc = SEAU_E_NOMEM;
    if (rc == 0 && config->connect_to && *config->connect_to) {
        c->connect_to = curl_slist_append(NULL, config->connect_to);
        if (!c->connect_to)
            rc = SEAU_E_NOMEM;
    }
    if (rc == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rc = SEAU_E_INTERNAL;
    if (rc != 0) {
        curl_slist_free_all(c->connect_to);
        free(c->user_agent);
        pthread_mutex_destroy(&c->pool_lock);
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&c->share_locks[i]);
        free(c);
        return rc;
    }
    /* From here s3_client_free() undoes everything, curl_global_init included. */
    c->share = curl_share_init();
    if (!c->share)
        rc = SEAU_E_NOMEM;
    if (rc == 0 &&
        (curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, client__lock) != CURLSHE_OK ||
         curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, client__unlock) != CURLSHE_OK ||
         curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) != CURLSHE_OK ||
         curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
         curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK))
        rc = SEAU_E_INTERNAL;
    if (rc != 0) {
        s3_client_free(c);
        return rc;
    }
    *ret = c;
    return 0;
}

void s3_client_free(struct s3_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->pool_len; i++)
        curl_easy_cleanup(c->pool[i]);
    if (c->share)
        curl_share_cleanup(c->share);
    curl_slist_free_all(c->connect_to);
    free(c->user_agent);
    pthread_mutex_destroy(&c->pool_lock);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_locks[i]);
    free(c);
    curl_global_cleanup();
}

const char *s3_client_region(const struct s3_client *c)
{
    return c->ep.region;
}

void s3_client_stats(struct s3_client *c, struct s3_client_stats *ret)
{
    ret->requests = atomic_load(&c->requests);
    ret->retries = atomic_load(&c->retries);
    ret->connections = atomic_load(&c->connections);
}

/* An easy handle from the pool (the most recently returned: its connection
 * is the likeliest to be alive), or a new one. NULL for out of memory. */
static CURL *client__handle_get(struct s3_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_lock);
    if (c->pool_len > 0)
        h = c->pool[--c->pool_len];
    pthread_mutex_unlock(&c->pool_lock);
    if (!h)
        h = curl_easy_init();
    return h;
}

/* Gives a handle back, its options reset (its connections and the share
 * survive curl_easy_reset()). */
static void client__handle_put(struct s3_client *c, CURL *h)
{
    curl_easy_reset(h);
    pthread_mutex_lock(&c->pool_lock);
    if (c->pool_len < CLIENT__POOL_MAX) {
        c->pool[c->pool_len++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

/* What to do with a successful answer's body. */
enum client__want {
    CLIENT__DROP, /* nothing expected (PutObject, DeleteObject...) */
    CLIENT__XML,  /* an XML answer of req.xml_kind */
    CLIENT__SINK, /* the object's bytes, to req.sink */
    CLIENT__JSON, /* a JSON answer (SQS), collected whole into req.ret_json */
};

struct client__req {
    const char *op;                    /* "GetObject": named in messages */
    const struct client__endpoint *ep; /* NULL: the S3 endpoint */
    const char *service;               /* NULL: "s3" */
    int64_t long_poll_ms;              /* > 0: added to the total timeout, no low-speed rule */
    const char *method;
    const char *bucket; /* NULL: the service */
    const char *key;    /* NULL: the bucket (or service); raw */
    struct sigv4_pair query[CLIENT__MAX_QUERY];
    size_t nquery;
    struct sigv4_pair headers[CLIENT__MAX_HEADERS];
    size_t nheaders;
    const struct s3_body *body; /* NULL: none */
    enum client__want want;
    enum s3_xml_kind xml_kind;
    const struct s3_sink *sink;
    bool head_only;  /* HEAD: no body will come */
    bool streamed;   /* no total timeout: the low-speed rule bounds it */
    bool accept_304; /* If-None-Match was sent */
    /* ListObjectsV2 and ListObjectVersions asked for encoding-type=url: the
     * client decodes them itself (client__url_fix), given what it sent. */
    bool url_listing;
    const char *sent_prefix, *sent_delimiter, *sent_marker;
    int overflow; /* a query or header that did not fit: SEAU_E_INTERNAL */
    /* results, written on success */
    struct s3_xml_answer *ret_xml;
    struct s3_object_head *ret_head;
    struct buf *ret_json; /* CLIENT__JSON: the answer is appended */
};

static void client__q(struct client__req *rq, const char *name, const char *value)
{
    if (!value)
        return;
    if (rq->nquery == CLIENT__MAX_QUERY) {
        rq->overflow = SEAU_E_INTERNAL;
        return;
    }
    rq->query[rq->nquery++] = (struct sigv4_pair){slice_from_cstr(name), slice_from_cstr(value)};
}

static void client__h(struct client__req *rq, const char *name, const char *value)
{
    if (!value)
        return;
    if (rq->nheaders == CLIENT__MAX_HEADERS) {
        rq->overflow = SEAU_E_INTERNAL;
        return;
    }
    rq->headers[rq->nheaders++] =
        (struct sigv4_pair){slice_from_cstr(name), slice_from_cstr(value)};
}

/* One attempt's state, shared with libcurl's callbacks. */
struct client__xfer {
    struct s3_client *c;
    const struct client__req *rq;
    int status;        /* of the current header block */
    bool headers_done; /* the final (non-1xx) header block ended */
    bool header_bad;   /* a header value did not fit or did not parse */
    size_t meta_bytes;
    struct s3_object_head head; /* what the headers said */
    bool body_started;
    enum { XFER_DROP, XFER_XML, XFER_SINK, XFER_ERROR, XFER_JSON } mode;
    struct buf json;       /* XFER_JSON, and the errors of JSON requests */
    struct s3_xml *xml;    /* XFER_XML or XFER_ERROR */
    size_t strip;          /* bytes of <EncodingType>url</EncodingType> withheld */
    bool saw_url;          /* ... and the element was there */
    bool error_unreadable; /* the error body was not an S3 <Error> */
    uint64_t delivered;    /* bytes handed to the sink */
    int cb_rc;             /* an error raised in a callback; stops the transfer */
    const char *cb_code;   /* its pseudo-code */
    char cb_message[160];
    /* the body sent */
    const struct s3_body *body;
    uint64_t body_len, sent;
};

static void client__err(struct s3_error *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void client__err(struct s3_error *e, int status, const char *code, const char *fmt, ...)
{
    memset(e, 0, sizeof(*e));
    e->http_status = status;
    client__set_field(e->code, sizeof(e->code), code, strlen(code));
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    (void)n; /* a message longer than the field is cut */
}

static void client__head_reset(struct s3_object_head *h)
{
    s3_object_head_done(h);
    h->content_length = -1;
    h->range_first = h->range_last = h->object_size = -1;
}

void s3_object_head_done(struct s3_object_head *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->meta_count; i++)
        free((void *)h->meta[i].name); /* name and value share one allocation */
    free(h->meta);
    memset(h, 0, sizeof(*h));
}

/* Stores one x-amz-meta-* header; false past the limits or out of memory. */
static bool client__add_meta(struct client__xfer *x, const char *name, size_t nlen,
                             const char *value, size_t vlen)
{
    struct s3_object_head *h = &x->head;
    x->meta_bytes += nlen + vlen;
    if (h->meta_count == S3_MAX_META_COUNT || x->meta_bytes > 4 * S3_MAX_META)
        return false;
    char *p = malloc(nlen + vlen + 2);
    if (!p)
        return false;
    for (size_t i = 0; i < nlen; i++)
        p[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
    p[nlen] = '\0';
    memcpy(p + nlen + 1, value, vlen);
    p[nlen + 1 + vlen] = '\0';
    struct s3_meta *m = realloc(h->meta, (h->meta_count + 1) * sizeof(*m));
    if (!m) {
        free(p);
        return false;
    }
    h->meta = m;
    h->meta[h->meta_count++] = (struct s3_meta){p, p + nlen + 1};
    return true;
}

static bool client__name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* One header of the answer: stores what client.h's struct s3_object_head holds. */
static void client__on_header(struct client__xfer *x, const char *name, size_t nlen, const char *v,
                              size_t vlen)
{
    struct s3_object_head *h = &x->head;
    bool ok = true;
    char tmp[64];
    if (client__name_is(name, nlen, "etag"))
        ok = client__set_field(h->etag, sizeof(h->etag), v, vlen);
    else if (client__name_is(name, nlen, "content-length")) {
        int64_t n;
        ok = slice_to_int64((struct slice){v, vlen}, 0, INT64_MAX, &n) == 0;
        if (ok)
            h->content_length = n;
    } else if (client__name_is(name, nlen, "content-type"))
        ok = client__set_field(h->content_type, sizeof(h->content_type), v, vlen);
    else if (client__name_is(name, nlen, "content-range")) {
        ok = client__set_field(h->content_range, sizeof(h->content_range), v, vlen) &&
             client__parse_content_range(h->content_range, &h->range_first, &h->range_last,
                                         &h->object_size) == 0;
    } else if (client__name_is(name, nlen, "content-disposition"))
        ok = client__set_field(h->content_disposition, sizeof(h->content_disposition), v, vlen);
    else if (client__name_is(name, nlen, "cache-control"))
        ok = client__set_field(h->cache_control, sizeof(h->cache_control), v, vlen);
    else if (client__name_is(name, nlen, "last-modified")) {
        if (client__set_field(tmp, sizeof(tmp), v, vlen)) {
            time_t t = curl_getdate(tmp, NULL);
            if (t != (time_t)-1)
                h->last_modified_ms = (int64_t)t * 1000;
        }
    } else if (client__name_is(name, nlen, "x-amz-request-id"))
        ok = client__set_field(h->request_id, sizeof(h->request_id), v, vlen);
    else if (client__name_is(name, nlen, "x-amz-version-id"))
        ok = client__set_field(h->version_id, sizeof(h->version_id), v, vlen);
    else if (client__name_is(name, nlen, "x-amz-delete-marker"))
        h->delete_marker = vlen == 4 && strncasecmp(v, "true", 4) == 0;
    else if (nlen > 11 && strncasecmp(name, "x-amz-meta-", 11) == 0)
        ok = client__add_meta(x, name + 11, nlen - 11, v, vlen);
    if (!ok)
        x->header_bad = true;
}

static size_t client__on_header_line(char *p, size_t size, size_t n, void *ud)
{
    struct client__xfer *x = ud;
    size_t len = size * n, l = len;
    while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == '\n'))
        l--;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* A new header block: 100 Continue, or the final answer. */
        const char *sp = memchr(p, ' ', l);
        int64_t status = 0;
        if (sp && (size_t)(p + l - sp) >= 4)
            (void)slice_to_int64((struct slice){sp + 1, 3}, 100, 999, &status);
        x->status = (int)status;
        x->headers_done = false;
        x->header_bad = false;
        x->meta_bytes = 0;
        client__head_reset(&x->head);
        return len;
    }
    if (l == 0) {
        if (x->status >= 200)
            x->headers_done = true;
        return len;
    }
    const char *colon = memchr(p, ':', l);
    if (!colon)
        return len;
    size_t nlen = (size_t)(colon - p);
    const char *v = colon + 1, *end = p + l;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    client__on_header(x, p, nlen, v, (size_t)(end - v));
    return len;
}

/* Stops the transfer from a callback with rc, remembering why. */
static void client__cb_fail(struct client__xfer *x, int rc, const char *code, const char *message)
{
    if (x->cb_rc)
        return;
    x->cb_rc = rc;
    x->cb_code = code;
    client__set_field(x->cb_message, sizeof(x->cb_message), message,
                      strlen(message) < sizeof(x->cb_message) ? strlen(message)
                                                              : sizeof(x->cb_message) - 1);
}

/*
 * Encoded listings. Ceph RGW 16 answers encoding-type=url with
 * <EncodingType>url</EncodingType> and encodes Key and CommonPrefixes/Prefix,
 * but sends the echoed Prefix, Delimiter, StartAfter, KeyMarker and
 * NextKeyMarker as they are; s3/xml.c would decode those too, turning "+"
 * into a space or failing the whole answer on "50%cent". So the client
 * takes the decoding over: it feeds the parser the answer without that
 * element (the parser then decodes nothing), and decodes afterwards what is
 * always encoded, and the echoes only when they are not already what was
 * sent (see client__url_fix). The element is matched as AWS and RGW write
 * it; a server writing it otherwise gets the parser's own decoding.
 */
static const char client__enc_url[] = "<EncodingType>url</EncodingType>";

static int client__feed_listing(struct client__xfer *x, const char *p, size_t len)
{
    const size_t plen = sizeof(client__enc_url) - 1;
    size_t run = 0; /* p[run..i) is neither fed nor withheld yet */
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        if (p[i] == client__enc_url[x->strip]) {
            if (x->strip == 0 && i > run)
                rc = s3_xml_feed(x->xml, p + run, i - run);
            x->strip++;
            run = i + 1;
            if (x->strip == plen) {
                x->saw_url = true;
                x->strip = 0;
            }
            continue;
        }
        if (x->strip > 0) {
            /* What was withheld was not the element after all. The pattern
             * repeats no prefix of itself but "<", handled here. */
            rc = s3_xml_feed(x->xml, client__enc_url, x->strip);
            x->strip = 0;
            run = i;
            if (p[i] == client__enc_url[0]) {
                x->strip = 1;
                run = i + 1;
            }
        }
    }
    if (rc == 0 && x->strip == 0 && len > run)
        rc = s3_xml_feed(x->xml, p + run, len - run);
    return rc;
}

/*
 * Decodes in as encoding-type=url into out (room for strlen(in) + 1; out may
 * be in): "%XX" is a byte and "+" a space, as s3/xml.c reads them. False for
 * a bad escape, an escaped NUL or a result that is not UTF-8.
 */
static bool client__url_decode(const char *in, char *out, size_t *ret_len)
{
    size_t n = strlen(in), len;
    if (codec_percent_decode((struct slice){in, n}, CODEC_PLUS_SPACE, out, n + 1, &len) != 0)
        return false;
    *ret_len = len;
    return str_utf8_valid(out, len);
}

/* Decodes an always-encoded field (a key, a common prefix) in place. The
 * answer's strings are heap copies made by s3/xml.c, so writable, and
 * decoding only shrinks them; the shared "" is left alone. */
static int client__decode_field(const char *field)
{
    if (!*field)
        return 0;
    char *s = (char *)(uintptr_t)field;
    size_t n;
    if (!client__url_decode(s, s, &n))
        return SEAU_E_UNAVAILABLE;
    return n <= S3_MAX_KEY ? 0 : SEAU_E_TOO_LARGE;
}

/* Decodes an echoed field unless it already equals one of the values it may
 * stand for (what was sent, or the page's last entries): that is a server
 * that did not encode it. Left as sent when it does not decode. */
static void client__fix_echo(const char *field, const char *a, const char *b)
{
    if (!*field || (a && strcmp(field, a) == 0) || (b && strcmp(field, b) == 0))
        return;
    char tmp[S3_XML_MAX_TEXT + 1];
    size_t n = strlen(field), len;
    if (n < sizeof(tmp) && client__url_decode(field, tmp, &len))
        memcpy((char *)(uintptr_t)field, tmp, len + 1);
}

/* The decoding the parser was spared (see client__feed_listing). */
static int client__url_fix(const struct client__req *rq, struct s3_xml_answer *a)
{
    int rc = 0;
    if (a->kind == S3_XML_LIST_OBJECTS_V2) {
        struct s3_object_list *l = &a->objects;
        for (size_t i = 0; rc == 0 && i < l->object_count; i++)
            rc = client__decode_field(l->objects[i].key);
        for (size_t i = 0; rc == 0 && i < l->common_prefix_count; i++)
            rc = client__decode_field(l->common_prefixes[i]);
        if (rc == 0) {
            client__fix_echo(l->prefix, rq->sent_prefix, NULL);
            client__fix_echo(l->delimiter, rq->sent_delimiter, NULL);
            client__fix_echo(l->start_after, rq->sent_marker, NULL);
        }
    } else if (a->kind == S3_XML_LIST_VERSIONS) {
        struct s3_version_list *l = &a->versions;
        for (size_t i = 0; rc == 0 && i < l->version_count; i++)
            rc = client__decode_field(l->versions[i].key);
        for (size_t i = 0; rc == 0 && i < l->common_prefix_count; i++)
            rc = client__decode_field(l->common_prefixes[i]);
        if (rc == 0) {
            const char *last_key = l->version_count ? l->versions[l->version_count - 1].key : NULL;
            const char *last_prefix =
                l->common_prefix_count ? l->common_prefixes[l->common_prefix_count - 1] : NULL;
            client__fix_echo(l->prefix, rq->sent_prefix, NULL);
            client__fix_echo(l->delimiter, rq->sent_delimiter, NULL);
            client__fix_echo(l->key_marker, rq->sent_marker, NULL);
            client__fix_echo(l->next_key_marker, last_key, last_prefix);
        }
    }
    return rc; /* encoding_type stays "": the element never reached the parser */
}

/* Decides, at the first byte of the body (or at its end when it was empty),
 * what the body is for. Returns 0 or an error that stops the transfer. */
static int client__begin_body(struct client__xfer *x)
{
    const struct client__req *rq = x->rq;
    x->body_started = true;
    int st = x->status;
    if (st >= 200 && st < 300) {
        if (rq->want == CLIENT__SINK) {
            x->mode = XFER_SINK;
            if (x->header_bad) {
                client__cb_fail(x, SEAU_E_UNAVAILABLE, "MalformedAnswer",
                                "an answer header was malformed or too long");
                return x->cb_rc;
            }
            if (rq->sink->on_head) {
                x->head.http_status = st;
                int rc = rq->sink->on_head(rq->sink->ctx, &x->head);
                if (rc != 0) {
                    client__cb_fail(x, rc, "Aborted", "the caller stopped the transfer");
                    return rc;
                }
            }
            return 0;
        }
        if (rq->want == CLIENT__JSON) {
            x->mode = XFER_JSON;
            buf_init(&x->json, S3_SQS_MAX_ANSWER);
            return 0;
        }
        if (rq->want == CLIENT__XML) {
            x->mode = XFER_XML;
            /* Listings keep their keys encoded through the parser, whose
             * key limit applies before decoding: allow for %XX. */
            struct s3_xml_limits lim = {.max_key = 3 * S3_MAX_KEY};
            x->xml = s3_xml_new(rq->xml_kind, rq->url_listing ? &lim : NULL);
        } else {
            x->mode = XFER_DROP;
            return 0;
        }
    } else if (st == 304 || (st >= 100 && st < 200)) {
        x->mode = XFER_DROP;
        return 0;
    } else if (rq->want == CLIENT__JSON) {
        x->mode = XFER_ERROR;
        buf_init(&x->json, S3_MAX_ERROR_BODY);
        return 0;
    } else {
        x->mode = XFER_ERROR;
        struct s3_xml_limits lim = {.max_document = S3_MAX_ERROR_BODY};
        x->xml = s3_xml_new(S3_XML_ERROR, &lim);
    }
    if (!x->xml) {
        client__cb_fail(x, SEAU_E_NOMEM, "MalformedAnswer", "out of memory");
        return SEAU_E_NOMEM;
    }
    return 0;
}

static size_t client__on_body(char *p, size_t size, size_t n, void *ud)
{
    struct client__xfer *x = ud;
    size_t len = size * n;
    if (x->cb_rc)
        return 0;
    if (!x->body_started && client__begin_body(x) != 0)
        return 0;
    switch (x->mode) {
    case XFER_SINK: {
        int rc = x->rq->sink->write(x->rq->sink->ctx, p, len);
        if (rc != 0) {
            client__cb_fail(x, rc, "Aborted", "the caller stopped the transfer");
            return 0;
        }
        x->delivered += len;
        return len;
    }
    case XFER_XML: {
        int rc = x->rq->url_listing ? client__feed_listing(x, p, len) : s3_xml_feed(x->xml, p, len);
        if (rc != 0) {
            client__cb_fail(x, rc, "MalformedAnswer", "the answer is not the XML expected");
            return 0;
        }
        return len;
    }
    case XFER_JSON: {
        int rc = buf_append(&x->json, p, len);
        if (rc != 0) {
            client__cb_fail(x, rc, "MalformedAnswer", "the answer is too large");
            return 0;
        }
        return len;
    }
    case XFER_ERROR:
        /* An error body that is not what we can read (a proxy's HTML page)
         * still leaves the status to report: stop reading it, keep going. */
        if (x->rq->want == CLIENT__JSON) {
            if (!x->error_unreadable && buf_append(&x->json, p, len) != 0)
                x->error_unreadable = true;
        } else if (!x->error_unreadable && s3_xml_feed(x->xml, p, len) != 0) {
            x->error_unreadable = true;
        }
        return len;
    case XFER_DROP:
    default:
        return len;
    }
}

static size_t client__on_read(char *p, size_t size, size_t n, void *ud)
{
    struct client__xfer *x = ud;
    size_t cap = size * n;
    uint64_t left = x->body_len - x->sent;
    if (left == 0)
        return 0;
    if (cap > left)
        cap = (size_t)left;
    const struct s3_body *b = x->body;
    size_t got = 0;
    if (b->read) {
        int rc = b->read(b->ctx, p, cap, &got);
        if (rc != 0) {
            client__cb_fail(x, rc, "Aborted", "the body's source failed");
            return CURL_READFUNC_ABORT;
        }
        if (got == 0) {
            client__cb_fail(x, SEAU_E_IO, "BodyShort",
                            "the body's source ended before the length announced");
            return CURL_READFUNC_ABORT;
        }
        if (got > cap) {
            client__cb_fail(x, SEAU_E_INTERNAL, "Aborted", "the body's source overran");
            return CURL_READFUNC_ABORT;
        }
    } else {
        got = cap;
        memcpy(p, (const char *)b->data + x->sent, got);
    }
    x->sent += got;
    return got;
}

/* libcurl rewinds the body when it resends on a connection found dead. */
static int client__on_seek(void *ud, curl_off_t offset, int origin)
{
    struct client__xfer *x = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    const struct s3_body *b = x->body;
    if (b->read) {
        if (offset != 0 || !b->rewind || b->rewind(b->ctx) != 0)
            return CURL_SEEKFUNC_CANTSEEK;
    }
    x->sent = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static bool client__replayable(const struct client__req *rq)
{
    return !rq->body || !rq->body->read || rq->body->rewind;
}

static uint64_t client__body_len(const struct s3_body *b)
{
    return b ? (b->read ? b->length : b->len) : 0;
}

/* Appends "Name: value" to a curl header list. */
static int client__slist_add(struct curl_slist **list, struct slice name, struct slice value)
{
    struct buf line;
    buf_init(&line, 64 * 1024);
    int rc = buf_append(&line, name.p, name.len);
    if (rc == 0)
        rc = buf_append_str(&line, value.len ? ": " : ";"); /* "Name;" sends an empty value */
    if (rc == 0)
        rc = buf_append(&line, value.p, value.len);
    if (rc == 0) {
        struct curl_slist *l = curl_slist_append(*list, buf_cstr(&line));
        if (l)
            *list = l;
        else
            rc = SEAU_E_NOMEM;
    }
    buf_done_secure(&line); /* Authorization and token lines pass through here */
    return rc;
}

/* Frees a header list that held an Authorization or token header. */
static void client__slist_free(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        str_wipe(l->data, strlen(l->data));
    curl_slist_free_all(list);
}

/* The request's fixed parts, computed once for all attempts. */
struct client__prepared {
    struct buf host, path, query, url;
    char payload_hash[SIGV4_PAYLOAD_HASH_SIZE];
};

static void client__prepared_done(struct client__prepared *p)
{
    buf_done(&p->host);
    buf_done(&p->path);
    buf_done(&p->query);
    buf_done(&p->url);
}

static int client__prepare(struct s3_client *c, const struct client__req *rq,
                           struct client__prepared *ret)
{
    buf_init(&ret->host, CLIENT__MAX_HOST);
    buf_init(&ret->path, CLIENT__MAX_PATH);
    buf_init(&ret->query, CLIENT__MAX_URL);
    buf_init(&ret->url, CLIENT__MAX_URL);
    const struct client__endpoint *ep = rq->ep ? rq->ep : &c->ep;
    int rc = rq->overflow;
    if (rc == 0)
        rc = client__target(ep, rq->bucket, rq->key, &ret->host, &ret->path);
    if (rc == 0)
        rc = sigv4_canonical_query(rq->query, rq->nquery, &ret->query);
    if (rc == 0)
        rc = buf_printf(&ret->url, "%s://%s%s%s%s", ep->https ? "https" : "http",
                        buf_cstr(&ret->host), buf_cstr(&ret->path), ret->query.len ? "?" : "",
                        buf_cstr(&ret->query));
    if (rc == 0) {
        const struct s3_body *b = rq->body;
        if (b && b->read)
            rc = sigv4_payload_hash(NULL, 0, false, ret->payload_hash);
        else
            rc = sigv4_payload_hash(b ? b->data : "", b ? b->len : 0, true, ret->payload_hash);
    }
    if (rc != 0)
        client__prepared_done(ret);
    return rc;
}

/* Signs the request for this attempt and builds libcurl's header list. */
static int client__sign(struct s3_client *c, const struct client__req *rq,
                        const struct client__prepared *pr, struct curl_slist **ret_list,
                        struct s3_error *err)
{
    struct s3_credentials cr = {0};
    int rc = s3_credentials_get(c->creds, c->now_ms(c->clock_ctx), &cr);
    if (rc != 0) {
        char why[S3_CRED_WHY_SIZE];
        s3_credentials_last_error(c->creds, why);
        client__err(err, 0, "CredentialsUnavailable", "%s",
                    why[0] ? why : "the credentials provider failed");
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_UNAVAILABLE;
    }
    struct sigv4_pair headers[CLIENT__MAX_HEADERS + 2];
    size_t nh = 0;
    headers[nh++] = (struct sigv4_pair){SLICE_LIT("Host"), {pr->host.data, pr->host.len}};
    headers[nh++] =
        (struct sigv4_pair){SLICE_LIT("X-Amz-Content-SHA256"), slice_from_cstr(pr->payload_hash)};
    for (size_t i = 0; i < rq->nheaders; i++)
        headers[nh++] = rq->headers[i];
    struct sigv4_request sr = {
        .method = slice_from_cstr(rq->method),
        .path = {pr->path.data, pr->path.len},
        .query = rq->query,
        .query_count = rq->nquery,
        .headers = headers,
        .header_count = nh,
    };
    struct sigv4_credentials sc = s3_credentials_sigv4(&cr);
    struct sigv4_params sp = {
        .credentials = &sc,
        .region = slice_from_cstr(c->ep.region),
        .service = slice_from_cstr(rq->service ? rq->service : "s3"),
        .now = (time_t)(c->now_ms(c->clock_ctx) / 1000),
        .payload_hash = slice_from_cstr(pr->payload_hash),
    };
    struct buf auth, extra;
    buf_init(&auth, 4096);
    buf_init(&extra, CLIENT__MAX_HEADER_LINES);
    rc = sigv4_sign_headers(&sr, &sp, &auth, &extra);
    s3_credentials_done(&cr);
    struct curl_slist *list = NULL;
    for (size_t i = 0; rc == 0 && i < nh; i++)
        rc = client__slist_add(&list, headers[i].name, headers[i].value);
    /* The signer's lines ("Name: value\r\n") go as they are. */
    for (char *line = extra.data, *next; rc == 0 && line && *line; line = next) {
        char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        *eol = '\0';
        next = eol + 2;
        struct curl_slist *l = curl_slist_append(list, line);
        if (l)
            list = l;
        else
            rc = SEAU_E_NOMEM;
    }
    if (rc == 0)
        rc = client__slist_add(&list, SLICE_LIT("Authorization"),
                               (struct slice){auth.data, auth.len});
    /* No "Expect: 100-continue" (a round trip per upload, and a 1 s wait on
     * servers that ignore it); Content-Type only when we set one. */
    bool has_ct = false;
    for (size_t i = 0; i < rq->nheaders; i++)
        if (slice_eq_cstr(rq->headers[i].name, "Content-Type"))
            has_ct = true;
    /* "Name:" tells libcurl not to send a header of its own. */
    const char *drop[] = {"Expect:",
                          !has_ct && strcmp(rq->method, "POST") == 0 ? "Content-Type:" : NULL};
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        if (!drop[i])
            continue;
        struct curl_slist *l = curl_slist_append(list, drop[i]);
        if (l)
            list = l;
        else
            rc = SEAU_E_NOMEM;
    }
    buf_done_secure(&auth);
    buf_done_secure(&extra);
    if (rc != 0) {
        client__slist_free(list);
        client__err(err, 0, "InvalidInput", "%s could not be signed: %s", rq->op, err_name(rc));
        return rc == SEAU_E_NOMEM ? rc : rc == SEAU_E_TOO_LARGE ? rc : SEAU_E_VALIDATION;
    }
    *ret_list = list;
    return 0;
}

static void client__xfer_init(struct client__xfer *x, struct s3_client *c,
                              const struct client__req *rq)
{
    memset(x, 0, sizeof(*x));
    x->c = c;
    x->rq = rq;
    x->body = rq->body;
    x->body_len = client__body_len(rq->body);
    client__head_reset(&x->head);
}

static void client__xfer_done(struct client__xfer *x)
{
    s3_xml_free(x->xml);
    x->xml = NULL;
    buf_done(&x->json);
    s3_object_head_done(&x->head);
}

/* ================================== cancellation ================================= */

/* libcurl's progress callback: stops the transfer once the client was cancelled. */
static int client__on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                               curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    struct client__xfer *x = clientp;
    if (!atomic_load(&x->c->cancelled))
        return 0;
    client__cb_fail(x, SEAU_E_CANCELLED, "Aborted", "the client was cancelled");
    return 1;
}

void s3_client_cancel(struct s3_client *c)
{
    if (c)
        atomic_store(&c->cancelled, true);
}

static CURLcode client__setopts(struct s3_client *c, CURL *h, const struct client__req *rq,
                                const struct client__prepared *pr, struct curl_slist *headers,
                                struct client__xfer *x)
{
    CURLcode cc = curl_easy_setopt(h, CURLOPT_URL, pr->url.data);
#if LIBCURL_VERSION_NUM >= 0x075500
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    /* The path is sent exactly as signed: libcurl must not squash "/./" or
     * "/../" in a key. */
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    if (cc == CURLE_OK && !rq->streamed)
        cc =
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->request_timeout_ms + (long)rq->long_poll_ms);
    /* A long poll is silent while it waits: the low-speed rule would end it. */
    if (cc == CURLE_OK && rq->long_poll_ms == 0)
        cc = curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, c->low_speed_bytes);
    if (cc == CURLE_OK && rq->long_poll_ms == 0)
        cc = curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, client__on_header_line);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, client__on_body);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (cc == CURLE_OK && c->connect_to)
        cc = curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    if (cc == CURLE_OK && rq->want == CLIENT__SINK)
        cc = curl_easy_setopt(h, CURLOPT_BUFFERSIZE, CLIENT__RECV_BUFFER);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, client__on_progress);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (cc != CURLE_OK)
        return cc;

    if (strcmp(rq->method, "HEAD") == 0)
        return curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (strcmp(rq->method, "GET") == 0)
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (strcmp(rq->method, "DELETE") == 0)
        return curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    bool put = strcmp(rq->method, "PUT") == 0;
    cc = curl_easy_setopt(h, put ? CURLOPT_UPLOAD : CURLOPT_POST, 1L);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, put ? CURLOPT_INFILESIZE_LARGE : CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)x->body_len);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_READFUNCTION, client__on_read);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_READDATA, x);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, client__on_seek);
    if (cc == CURLE_OK)
        cc = curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
    if (cc == CURLE_OK && x->body_len > 64 * 1024)
        cc = curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, CLIENT__SEND_BUFFER);
    return cc;
}

/* Reads an error of the AWS JSON protocol ({"__type": "com.amazonaws.sqs#
 * QueueDoesNotExist", "message": "..."}) into err; leaves err alone when the
 * body is not one. */
static void client__json_error(const struct buf *body, struct s3_error *err)
{
    json_t *o = NULL;
    if (!body->len || jsonx_parse_object(body->data, body->len, 8, &o) != 0)
        return;
    const char *type = json_string_value(json_object_get(o, "__type"));
    if (!type)
        type = json_string_value(json_object_get(o, "code"));
    const char *msg = json_string_value(json_object_get(o, "message"));
    if (!msg)
        msg = json_string_value(json_object_get(o, "Message"));
    if (type) {
        const char *hash = strrchr(type, '#');
        const char *code = hash ? hash + 1 : type;
        client__set_field(err->code, sizeof(err->code), code,
                          strlen(code) < sizeof(err->code) ? strlen(code) : 0);
    }
    if (msg)
        client__copy_cut(err->message, sizeof(err->message), msg);
    json_decref(o);
}

/* After the transfer: was it a success, an S3 error, or a transport failure?
 * Fills err on failure and says whether a retry may help. */
static int client__outcome(const struct client__req *rq, struct client__xfer *x, CURLcode cc,
                           struct s3_xml_answer *ret_answer, bool *ret_retryable,
                           struct s3_error *err)
{
    *ret_retryable = false;
    bool handed = x->delivered > 0 || (x->mode == XFER_SINK && rq->sink->on_head);
    if (x->cb_rc) {
        client__err(err, x->status, x->cb_code ? x->cb_code : "Aborted", "%s: %s", rq->op,
                    x->cb_message);
        return x->cb_rc;
    }
    if (cc != CURLE_OK) {
        if (handed) {
            client__err(err, x->status, "IncompleteBody",
                        "%s: the answer broke off after %" PRIu64
                        " bytes had been delivered (%s); not retried",
                        rq->op, x->delivered, curl_easy_strerror(cc));
            return SEAU_E_UNAVAILABLE;
        }
        client__err(err, x->status, cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionFailed",
                    "%s: %s", rq->op, curl_easy_strerror(cc));
        *ret_retryable = client__retryable_curl(cc);
        return cc == CURLE_OUT_OF_MEMORY ? SEAU_E_NOMEM : SEAU_E_UNAVAILABLE;
    }
    int st = x->status;
    if (!rq->head_only && !x->body_started) {
        /* An empty body: decide now what it was for (calls on_head for an
         * empty object, fails an XML answer that never came). */
        int rc = client__begin_body(x);
        if (rc != 0) {
            client__err(err, st, x->cb_code ? x->cb_code : "Aborted", "%s: %s", rq->op,
                        x->cb_message);
            return rc;
        }
    }
    bool ok = (st >= 200 && st < 300) || (st == 304 && rq->accept_304);
    if (ok && x->header_bad) {
        client__err(err, st, "MalformedAnswer", "%s: an answer header was malformed or too long",
                    rq->op);
        return SEAU_E_UNAVAILABLE;
    }
    x->head.http_status = st;
    if (st == 304 && rq->accept_304) {
        x->head.not_modified = true;
        return 0;
    }
    if (ok && x->mode == XFER_JSON) {
        /* Hand the answer over whole, without a copy. */
        buf_done(rq->ret_json);
        *rq->ret_json = x->json;
        buf_init(&x->json, 0);
        return 0;
    }
    if (ok && x->mode != XFER_XML)
        return 0;

    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    if (ok) {
        int rc = 0;
        if (x->strip > 0) /* the answer ended inside what looked like the element */
            rc = s3_xml_feed(x->xml, client__enc_url, x->strip);
        if (rc == 0)
            rc = s3_xml_finish(x->xml, &a);
        if (rc == 0 && a.kind != S3_XML_ERROR && rq->url_listing && x->saw_url) {
            rc = client__url_fix(rq, &a);
            if (rc != 0)
                s3_xml_answer_done(&a);
        }
        if (rc != 0) {
            client__err(err, st, "MalformedAnswer", "%s: the answer could not be read (%s)", rq->op,
                        err_name(rc));
            return rc == SEAU_E_NOMEM || rc == SEAU_E_TOO_LARGE ? rc : SEAU_E_UNAVAILABLE;
        }
        if (a.kind != S3_XML_ERROR) {
            *ret_answer = a;
            return 0;
        }
        /* "200 OK" with an <Error> body: CompleteMultipartUpload, CopyObject. */
    } else if (x->xml && !x->error_unreadable && s3_xml_finish(x->xml, &a) != 0) {
        memset(&a, 0, sizeof(a));
    }
    memset(err, 0, sizeof(*err));
    if (a.kind == S3_XML_ERROR && a.error.code[0])
        *err = a.error;
    s3_xml_answer_done(&a);
    if (rq->want == CLIENT__JSON && !x->error_unreadable)
        client__json_error(&x->json, err);
    err->http_status = st;
    if (!err->code[0]) {
        const char *code = client__status_code(st);
        client__set_field(err->code, sizeof(err->code), code, strlen(code));
    }
    if (!err->message[0])
        (void)snprintf(err->message, sizeof(err->message), "%s answered HTTP %d", rq->op, st);
    if (!err->request_id[0])
        memcpy(err->request_id, x->head.request_id, sizeof(err->request_id));
    *ret_retryable = client__retryable_answer(st, err->code);
    return s3_error_to_err(st, err->code);
}

/* One attempt: sign, send, read. */
static int client__attempt(struct s3_client *c, const struct client__req *rq,
                           const struct client__prepared *pr, struct client__xfer *x,
                           struct s3_xml_answer *ret_answer, bool *ret_retryable,
                           struct s3_error *err)
{
    *ret_retryable = false;
    struct curl_slist *headers = NULL;
    int rc = client__sign(c, rq, pr, &headers, err);
    if (rc != 0)
        return rc;
    CURL *h = client__handle_get(c);
    if (!h) {
        client__slist_free(headers);
        client__err(err, 0, "InvalidInput", "%s: out of memory", rq->op);
        return SEAU_E_NOMEM;
    }
    CURLcode cc = client__setopts(c, h, rq, pr, headers, x);
    if (cc != CURLE_OK) {
        client__handle_put(c, h);
        client__slist_free(headers);
        client__err(err, 0, "InvalidInput", "%s: libcurl refused an option: %s", rq->op,
                    curl_easy_strerror(cc));
        return cc == CURLE_OUT_OF_MEMORY ? SEAU_E_NOMEM : SEAU_E_INTERNAL;
    }
    atomic_fetch_add(&c->requests, 1);
    cc = curl_easy_perform(h);
    long connects = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        atomic_fetch_add(&c->connections, (uint_fast64_t)connects);
    client__handle_put(c, h);
    client__slist_free(headers);
    return client__outcome(rq, x, cc, ret_answer, ret_retryable, err);
}

/*
 * Runs a request with retries (see client.h). On success writes rq->ret_head
 * and rq->ret_xml when set; on failure fills *ret_err when not NULL.
 */
static int client__perform(struct s3_client *c, struct client__req *rq, struct s3_error *ret_err)
{
    struct s3_error err;
    memset(&err, 0, sizeof(err));
    struct client__prepared pr;
    int rc = client__prepare(c, rq, &pr);
    if (rc != 0) {
        client__err(&err, 0, "InvalidInput", "%s: the request could not be built (%s)", rq->op,
                    err_name(rc));
        if (ret_err)
            *ret_err = err;
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_VALIDATION;
    }
    for (int attempt = 0;; attempt++) {
        if (attempt > 0) {
            atomic_fetch_add(&c->retries, 1);
            c->sleep_ms(c->clock_ctx, client__backoff_ms(attempt, c->backoff_base_ms,
                                                         c->backoff_cap_ms, client__random()));
            if (rq->body && rq->body->read && rq->body->rewind(rq->body->ctx) != 0)
                break; /* keeps the previous attempt's error */
        }
        struct client__xfer x;
        client__xfer_init(&x, c, rq);
        struct s3_xml_answer a;
        memset(&a, 0, sizeof(a));
        bool retryable = false;
        rc = client__attempt(c, rq, &pr, &x, &a, &retryable, &err);
        if (rc == 0) {
            if (rq->ret_head) {
                *rq->ret_head = x.head;
                memset(&x.head, 0, sizeof(x.head)); /* its metadata moved */
            }
            if (rq->ret_xml)
                *rq->ret_xml = a;
            else
                s3_xml_answer_done(&a);
        }
        client__xfer_done(&x);
        if (rc == 0 || !retryable || attempt >= c->max_retries || !client__replayable(rq))
            break;
    }
    client__prepared_done(&pr);
    if (rc != 0 && ret_err)
        *ret_err = err;
    return rc;
}

/* ================================ 3. the operations ================================ */

static int client__invalid(struct s3_error *ret_err, const char *op, const char *what)
{
    if (ret_err)
        client__err(ret_err, 0, "InvalidInput", "%s: %s", op, what);
    return SEAU_E_VALIDATION;
}

/* Checks a bucket, and a key when key_needed. */
static int client__check(const char *op, const char *bucket, const char *key, bool key_needed,
                         struct s3_error *ret_err)
{
    if (!client__bucket_valid(bucket))
        return client__invalid(ret_err, op, "the bucket name is not valid");
    if (key_needed && !client__key_valid(key))
        return client__invalid(ret_err, op, "the key must be 1 to 1024 bytes of UTF-8");
    return 0;
}

/* Adds a query parameter when the value is set and not empty. */
static void client__q_opt(struct client__req *rq, const char *name, const char *value)
{
    if (value && *value)
        client__q(rq, name, value);
}

/* Checks a page size (0 or 1 to 1000) and formats it into out. */
static bool client__page_size(int n, char out[16])
{
    if (n < 0 || n > 1000)
        return false;
    (void)snprintf(out, 16, "%d", n);
    return true;
}

static bool client__part_number_ok(int n)
{
    return n >= 1 && n <= S3_MAX_PARTS;
}

int s3_list_buckets(struct s3_client *c, struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    struct client__req rq = {.op = "ListBuckets",
                             .method = "GET",
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_LIST_BUCKETS,
                             .ret_xml = ret};
    return client__perform(c, &rq, ret_err);
}

int s3_head_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err)
{
    int rc = client__check("HeadBucket", bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct client__req rq = {
        .op = "HeadBucket", .method = "HEAD", .bucket = bucket, .head_only = true};
    return client__perform(c, &rq, ret_err);
}

int s3_create_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err)
{
    int rc = client__check("CreateBucket", bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct buf xml;
    buf_init(&xml, 4096);
    struct s3_body body = {0};
    struct client__req rq = {.op = "CreateBucket", .method = "PUT", .bucket = bucket};
    /* us-east-1 takes no constraint; other S3 implementations have their own
     * idea of region names (Ceph: zone groups), so only AWS gets one. */
    if (c->ep.aws && strcmp(c->ep.region, "us-east-1") != 0) {
        rc = buf_printf(&xml,
                        "<CreateBucketConfiguration xmlns=\"" CLIENT__S3_NS "\">"
                        "<LocationConstraint>%s</LocationConstraint>"
                        "</CreateBucketConfiguration>",
                        c->ep.region);
        body = s3_body_buffer(xml.data, xml.len);
        rq.body = &body;
        client__h(&rq, "Content-Type", "application/xml");
    }
    if (rc == 0)
        rc = client__perform(c, &rq, ret_err);
    else
        rc = client__invalid(ret_err, "CreateBucket", "out of memory");
    buf_done(&xml);
    return rc;
}

int s3_delete_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err)
{
    int rc = client__check("DeleteBucket", bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct client__req rq = {.op = "DeleteBucket", .method = "DELETE", .bucket = bucket};
    return client__perform(c, &rq, ret_err);
}

/* A GET of a bucket sub-resource ("location", "versioning", "cors") parsed as kind. */
static int client__get_bucket_xml(struct s3_client *c, const char *op, const char *bucket,
                                  const char *subresource, enum s3_xml_kind kind,
                                  struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    int rc = client__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct client__req rq = {.op = op,
                             .method = "GET",
                             .bucket = bucket,
                             .want = CLIENT__XML,
                             .xml_kind = kind,
                             .ret_xml = ret};
    client__q(&rq, subresource, "");
    return client__perform(c, &rq, ret_err);
}

int s3_get_bucket_location(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                           struct s3_error *ret_err)
{
    return client__get_bucket_xml(c, "GetBucketLocation", bucket, "location",
                                  S3_XML_BUCKET_LOCATION, ret, ret_err);
}

int s3_get_bucket_versioning(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                             struct s3_error *ret_err)
{
    return client__get_bucket_xml(c, "GetBucketVersioning", bucket, "versioning",
                                  S3_XML_BUCKET_VERSIONING, ret, ret_err);
}

int s3_get_bucket_cors(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                       struct s3_error *ret_err)
{
    return client__get_bucket_xml(c, "GetBucketCors", bucket, "cors", S3_XML_BUCKET_CORS, ret,
                                  ret_err);
}

/* A PUT of an XML document to a bucket sub-resource, with Content-MD5. */
static int client__put_bucket_xml(struct s3_client *c, const char *op, const char *bucket,
                                  const char *subresource, const struct buf *xml,
                                  struct s3_error *ret_err)
{
    char md5[25];
    int rc = client__content_md5(xml->data ? xml->data : "", xml->len, md5);
    if (rc != 0) {
        if (ret_err)
            client__err(ret_err, 0, "InvalidInput", "%s: MD5 failed", op);
        return rc;
    }
    struct s3_body body = s3_body_buffer(xml->data ? xml->data : "", xml->len);
    struct client__req rq = {.op = op, .method = "PUT", .bucket = bucket, .body = &body};
    client__q(&rq, subresource, "");
    client__h(&rq, "Content-Type", "application/xml");
    client__h(&rq, "Content-MD5", md5);
    return client__perform(c, &rq, ret_err);
}

int s3_put_bucket_versioning(struct s3_client *c, const char *bucket, bool enabled,
                             struct s3_error *ret_err)
{
    int rc = client__check("PutBucketVersioning", bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct buf xml;
    buf_init(&xml, 1024);
    rc = buf_printf(&xml,
                    "<VersioningConfiguration xmlns=\"" CLIENT__S3_NS "\">"
                    "<Status>%s</Status></VersioningConfiguration>",
                    enabled ? "Enabled" : "Suspended");
    if (rc == 0)
        rc = client__put_bucket_xml(c, "PutBucketVersioning", bucket, "versioning", &xml, ret_err);
    buf_done(&xml);
    return rc;
}

/* Appends <tag>escaped</tag> for each string. */
static int client__xml_list(struct buf *b, const char *tag, const char *const *v, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = buf_printf(b, "<%s>", tag);
        if (rc == 0)
            rc = client__xml_escape(b, v[i]);
        if (rc == 0)
            rc = buf_printf(b, "</%s>", tag);
    }
    return rc;
}

int s3_put_bucket_cors(struct s3_client *c, const char *bucket, const struct s3_cors *cors,
                       struct s3_error *ret_err)
{
    const char *op = "PutBucketCors";
    int rc = client__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    if (!cors || cors->count == 0 || cors->count > 100)
        return client__invalid(ret_err, op, "a CORS configuration holds 1 to 100 rules");
    struct buf xml;
    buf_init(&xml, 256 * 1024);
    rc = buf_append_str(&xml, "<CORSConfiguration xmlns=\"" CLIENT__S3_NS "\">");
    for (size_t i = 0; rc == 0 && i < cors->count; i++) {
        const struct s3_cors_rule *r = &cors->rules[i];
        if (r->allowed_origin_count == 0 || r->allowed_method_count == 0) {
            rc = SEAU_E_VALIDATION;
            break;
        }
        rc = buf_append_str(&xml, "<CORSRule>");
        if (rc == 0 && r->id && *r->id)
            rc = client__xml_list(&xml, "ID", &r->id, 1);
        if (rc == 0)
            rc = client__xml_list(&xml, "AllowedOrigin", r->allowed_origins,
                                  r->allowed_origin_count);
        if (rc == 0)
            rc = client__xml_list(&xml, "AllowedMethod", r->allowed_methods,
                                  r->allowed_method_count);
        if (rc == 0)
            rc = client__xml_list(&xml, "AllowedHeader", r->allowed_headers,
                                  r->allowed_header_count);
        if (rc == 0)
            rc = client__xml_list(&xml, "ExposeHeader", r->expose_headers, r->expose_header_count);
        if (rc == 0 && r->has_max_age_seconds)
            rc = buf_printf(&xml, "<MaxAgeSeconds>%" PRId64 "</MaxAgeSeconds>", r->max_age_seconds);
        if (rc == 0)
            rc = buf_append_str(&xml, "</CORSRule>");
    }
    if (rc == 0)
        rc = buf_append_str(&xml, "</CORSConfiguration>");
    if (rc == 0)
        rc = client__put_bucket_xml(c, op, bucket, "cors", &xml, ret_err);
    else
        rc = client__invalid(ret_err, op,
                             "a rule is empty, too large or holds control "
                             "characters");
    buf_done(&xml);
    return rc;
}

int s3_list_objects_v2(struct s3_client *c, const char *bucket, const struct s3_list_params *p,
                       struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    const char *op = "ListObjectsV2";
    int rc = client__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    static const struct s3_list_params none;
    if (!p)
        p = &none;
    char max_keys[16];
    if (!client__page_size(p->max_keys, max_keys))
        return client__invalid(ret_err, op, "max_keys must be 0 to 1000");
    struct client__req rq = {.op = op,
                             .method = "GET",
                             .bucket = bucket,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_LIST_OBJECTS_V2,
                             .ret_xml = ret,
                             .url_listing = true,
                             .sent_prefix = p->prefix,
                             .sent_delimiter = p->delimiter,
                             .sent_marker = p->start_after};
    client__q(&rq, "list-type", "2");
    client__q(&rq, "encoding-type", "url");
    client__q_opt(&rq, "prefix", p->prefix);
    client__q_opt(&rq, "delimiter", p->delimiter);
    client__q_opt(&rq, "continuation-token", p->continuation_token);
    client__q_opt(&rq, "start-after", p->start_after);
    if (p->max_keys)
        client__q(&rq, "max-keys", max_keys);
    if (p->fetch_owner)
        client__q(&rq, "fetch-owner", "true");
    return client__perform(c, &rq, ret_err);
}

int s3_list_object_versions(struct s3_client *c, const char *bucket,
                            const struct s3_list_versions_params *p, struct s3_xml_answer *ret,
                            struct s3_error *ret_err)
{
    const char *op = "ListObjectVersions";
    int rc = client__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    static const struct s3_list_versions_params none;
    if (!p)
        p = &none;
    char max_keys[16];
    if (!client__page_size(p->max_keys, max_keys))
        return client__invalid(ret_err, op, "max_keys must be 0 to 1000");
    struct client__req rq = {.op = op,
                             .method = "GET",
                             .bucket = bucket,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_LIST_VERSIONS,
                             .ret_xml = ret,
                             .url_listing = true,
                             .sent_prefix = p->prefix,
                             .sent_delimiter = p->delimiter,
                             .sent_marker = p->key_marker};
    client__q(&rq, "versions", "");
    client__q(&rq, "encoding-type", "url");
    client__q_opt(&rq, "prefix", p->prefix);
    client__q_opt(&rq, "delimiter", p->delimiter);
    client__q_opt(&rq, "key-marker", p->key_marker);
    client__q_opt(&rq, "version-id-marker", p->version_id_marker);
    if (p->max_keys)
        client__q(&rq, "max-keys", max_keys);
    return client__perform(c, &rq, ret_err);
}

/* Adds the conditions and variants of HeadObject and GetObject. */
static int client__get_options(struct client__req *rq, const struct s3_get_options *o, bool get,
                               struct s3_error *ret_err)
{
    if (!o)
        return 0;
    const char *checks[] = {o->version_id,
                            o->range,
                            o->if_none_match,
                            o->if_match,
                            o->response_content_disposition,
                            o->response_content_type};
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
        if (checks[i] && (!client__header_value_ok(checks[i]) || strlen(checks[i]) > 2048))
            return client__invalid(ret_err, rq->op,
                                   "an option holds control characters or is "
                                   "too long");
    if (o->range && !client__range_valid(o->range))
        return client__invalid(ret_err, rq->op,
                               "the range must be bytes=F-L, bytes=F- or "
                               "bytes=-N");
    if (!get && (o->response_content_disposition || o->response_content_type))
        return client__invalid(ret_err, rq->op, "response overrides are for GetObject");
    client__q_opt(rq, "versionId", o->version_id);
    client__q_opt(rq, "response-content-disposition", o->response_content_disposition);
    client__q_opt(rq, "response-content-type", o->response_content_type);
    client__h(rq, "Range", o->range);
    client__h(rq, "If-None-Match", o->if_none_match);
    client__h(rq, "If-Match", o->if_match);
    rq->accept_304 = o->if_none_match != NULL;
    return 0;
}

int s3_head_object(struct s3_client *c, const char *bucket, const char *key,
                   const struct s3_get_options *opt, struct s3_object_head *ret,
                   struct s3_error *ret_err)
{
    const char *op = "HeadObject";
    int rc = client__check(op, bucket, key, true, ret_err);
    struct client__req rq = {.op = op,
                             .method = "HEAD",
                             .bucket = bucket,
                             .key = key,
                             .head_only = true,
                             .ret_head = ret};
    if (rc == 0)
        rc = client__get_options(&rq, opt, false, ret_err);
    if (rc == 0)
        rc = client__perform(c, &rq, ret_err);
    return rc;
}

int s3_get_object(struct s3_client *c, const char *bucket, const char *key,
                  const struct s3_get_options *opt, const struct s3_sink *sink,
                  struct s3_object_head *ret, struct s3_error *ret_err)
{
    const char *op = "GetObject";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc == 0 && (!sink || !sink->write))
        rc = client__invalid(ret_err, op, "a sink with a write function is needed");
    struct client__req rq = {.op = op,
                             .method = "GET",
                             .bucket = bucket,
                             .key = key,
                             .want = CLIENT__SINK,
                             .sink = sink,
                             .streamed = true,
                             .ret_head = ret};
    if (rc == 0)
        rc = client__get_options(&rq, opt, true, ret_err);
    if (rc == 0)
        rc = client__perform(c, &rq, ret_err);
    return rc;
}

struct s3_body s3_body_buffer(const void *data, size_t len)
{
    struct s3_body b = {.data = data ? data : "", .len = len};
    return b;
}

static bool client__meta_name_ok(const char *n)
{
    if (!*n)
        return false;
    for (; *n; n++)
        if (!client__alnum_lower(*n) && !(*n >= 'A' && *n <= 'Z') && *n != '-' && *n != '_')
            return false;
    return true;
}

static bool client__ascii_printable(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
            return false;
    return true;
}

/*
 * Adds the headers of s3_put_options. The x-amz-meta- names are built in
 * names (the caller's, alive for the request), then pointed at.
 */
static int client__put_headers(struct client__req *rq, const struct s3_put_options *o,
                               struct buf *names, struct s3_error *ret_err)
{
    if (!o)
        return 0;
    const char *hv[] = {o->content_type, o->content_disposition, o->cache_control};
    for (size_t i = 0; i < 3; i++)
        if (hv[i] && (!client__header_value_ok(hv[i]) || strlen(hv[i]) >= S3_HEADER_SIZE))
            return client__invalid(ret_err, rq->op,
                                   "a header holds control characters or is "
                                   "too long");
    if (o->meta_count > S3_MAX_META_COUNT)
        return client__invalid(ret_err, rq->op, "too many metadata entries");
    size_t total = 0;
    for (size_t i = 0; i < o->meta_count; i++) {
        const struct s3_meta *m = &o->meta[i];
        if (!m->name || !m->value || !client__meta_name_ok(m->name) ||
            !client__ascii_printable(m->value))
            return client__invalid(ret_err, rq->op,
                                   "metadata names are [A-Za-z0-9_-] and "
                                   "values printable ASCII");
        total += strlen(m->name) + strlen(m->value);
        if (total > S3_MAX_META)
            return client__invalid(ret_err, rq->op, "metadata is limited to 2 KiB");
        int rc = buf_printf(names, "x-amz-meta-%s", m->name);
        if (rc == 0)
            rc = buf_append_char(names, '\0');
        if (rc != 0)
            return client__invalid(ret_err, rq->op, "out of memory");
    }
    client__h(rq, "Content-Type", o->content_type);
    client__h(rq, "Content-Disposition", o->content_disposition);
    client__h(rq, "Cache-Control", o->cache_control);
    const char *name = names->data;
    for (size_t i = 0; i < o->meta_count; i++) {
        client__h(rq, name, o->meta[i].value);
        name += strlen(name) + 1;
    }
    return 0;
}

/* Checks a request body: set, and at most S3_MAX_PART_SIZE bytes. */
static int client__check_body(const char *op, const struct s3_body *b, struct s3_error *ret_err)
{
    if (!b || (!b->read && !b->data && b->len))
        return client__invalid(ret_err, op, "a body is needed");
    if (client__body_len(b) > S3_MAX_PART_SIZE)
        return client__invalid(ret_err, op, "a body is at most 5 GiB");
    return 0;
}

/* Copies what a write answered into ret (may be NULL). */
static int client__put_result(const struct s3_object_head *h, const char *etag,
                              int64_t last_modified_ms, struct s3_put_result *ret,
                              struct s3_error *ret_err, const char *op)
{
    if (!ret)
        return 0;
    struct s3_put_result r;
    memset(&r, 0, sizeof(r));
    if (!client__set_etag(r.etag, etag) ||
        !client__set_field(r.version_id, sizeof(r.version_id), h->version_id,
                           strlen(h->version_id))) {
        if (ret_err)
            client__err(ret_err, h->http_status, "MalformedAnswer", "%s: the ETag is too long", op);
        return SEAU_E_UNAVAILABLE;
    }
    r.last_modified_ms = last_modified_ms;
    *ret = r;
    return 0;
}

int s3_put_object(struct s3_client *c, const char *bucket, const char *key,
                  const struct s3_body *body, const struct s3_put_options *opt,
                  struct s3_put_result *ret, struct s3_error *ret_err)
{
    const char *op = "PutObject";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc == 0)
        rc = client__check_body(op, body, ret_err);
    if (rc != 0)
        return rc;
    struct buf names;
    buf_init(&names, 64 * 1024);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct client__req rq = {.op = op,
                             .method = "PUT",
                             .bucket = bucket,
                             .key = key,
                             .body = body,
                             .streamed = body->read != NULL,
                             .ret_head = &head};
    rc = client__put_headers(&rq, opt, &names, ret_err);
    if (rc == 0)
        rc = client__perform(c, &rq, ret_err);
    if (rc == 0)
        rc = client__put_result(&head, head.etag, 0, ret, ret_err, op);
    s3_object_head_done(&head);
    buf_done(&names);
    return rc;
}

int s3_delete_object(struct s3_client *c, const char *bucket, const char *key,
                     const char *version_id, struct s3_delete_info *ret, struct s3_error *ret_err)
{
    const char *op = "DeleteObject";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct client__req rq = {
        .op = op, .method = "DELETE", .bucket = bucket, .key = key, .ret_head = &head};
    client__q_opt(&rq, "versionId", version_id);
    rc = client__perform(c, &rq, ret_err);
    if (rc == 0 && ret) {
        ret->delete_marker = head.delete_marker;
        memcpy(ret->version_id, head.version_id, sizeof(ret->version_id));
    }
    s3_object_head_done(&head);
    return rc;
}

int s3_delete_objects(struct s3_client *c, const char *bucket, const struct s3_object_id *ids,
                      size_t count, bool quiet, struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    const char *op = "DeleteObjects";
    int rc = client__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    if (count == 0 || !ids)
        return client__invalid(ret_err, op, "no key to delete");
    if (count > S3_MAX_DELETE_BATCH) {
        if (ret_err)
            client__err(ret_err, 0, "InvalidInput", "%s: at most %d keys per request", op,
                        S3_MAX_DELETE_BATCH);
        return SEAU_E_TOO_LARGE;
    }
    struct buf xml;
    buf_init(&xml, CLIENT__MAX_XML_BODY);
    rc = buf_printf(&xml, "<Delete xmlns=\"" CLIENT__S3_NS "\">%s",
                    quiet ? "<Quiet>true</Quiet>" : "");
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (!client__key_valid(ids[i].key)) {
            rc = SEAU_E_VALIDATION;
            break;
        }
        rc = buf_append_str(&xml, "<Object><Key>");
        if (rc == 0)
            rc = client__xml_escape(&xml, ids[i].key);
        if (rc == 0)
            rc = buf_append_str(&xml, "</Key>");
        if (rc == 0 && ids[i].version_id && *ids[i].version_id) {
            rc = buf_append_str(&xml, "<VersionId>");
            if (rc == 0)
                rc = client__xml_escape(&xml, ids[i].version_id);
            if (rc == 0)
                rc = buf_append_str(&xml, "</VersionId>");
        }
        if (rc == 0)
            rc = buf_append_str(&xml, "</Object>");
    }
    if (rc == 0)
        rc = buf_append_str(&xml, "</Delete>");
    char md5[25];
    if (rc == 0)
        rc = client__content_md5(xml.data, xml.len, md5);
    if (rc != 0) {
        buf_done(&xml);
        return rc == SEAU_E_NOMEM || rc == SEAU_E_INTERNAL
                   ? rc
                   : client__invalid(ret_err, op,
                                     "a key is not valid or holds characters XML "
                                     "cannot carry");
    }
    struct s3_body body = s3_body_buffer(xml.data, xml.len);
    struct client__req rq = {.op = op,
                             .method = "POST",
                             .bucket = bucket,
                             .body = &body,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_DELETE_OBJECTS,
                             .ret_xml = ret};
    client__q(&rq, "delete", "");
    client__h(&rq, "Content-Type", "application/xml");
    client__h(&rq, "Content-MD5", md5);
    rc = client__perform(c, &rq, ret_err);
    buf_done(&xml);
    return rc;
}

/* Builds x-amz-copy-source: "/bucket/key" with the key encoded once, and
 * "?versionId=" when a version is named. */
static int client__copy_source(const char *bucket, const char *key, const char *version_id,
                               struct buf *ret)
{
    int rc = buf_printf(ret, "/%s/", bucket);
    if (rc == 0)
        rc = sigv4_uri_encode(slice_from_cstr(key), true, ret);
    if (rc == 0 && version_id && *version_id) {
        rc = buf_append_str(ret, "?versionId=");
        if (rc == 0)
            rc = sigv4_uri_encode(slice_from_cstr(version_id), false, ret);
    }
    return rc;
}

int s3_copy_object(struct s3_client *c, const char *src_bucket, const char *src_key,
                   const char *dst_bucket, const char *dst_key, const struct s3_copy_options *opt,
                   struct s3_put_result *ret, struct s3_error *ret_err)
{
    const char *op = "CopyObject";
    int rc = client__check(op, src_bucket, src_key, true, ret_err);
    if (rc == 0)
        rc = client__check(op, dst_bucket, dst_key, true, ret_err);
    if (rc != 0)
        return rc;
    static const struct s3_copy_options none;
    if (!opt)
        opt = &none;
    if ((opt->source_version_id && !client__header_value_ok(opt->source_version_id)) ||
        (opt->source_if_match && !client__header_value_ok(opt->source_if_match)))
        return client__invalid(ret_err, op, "an option holds control characters");
    struct buf source, names;
    buf_init(&source, CLIENT__MAX_PATH + S3_VERSION_ID_SIZE * 3);
    buf_init(&names, 64 * 1024);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct client__req rq = {.op = op,
                             .method = "PUT",
                             .bucket = dst_bucket,
                             .key = dst_key,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_COPY_OBJECT,
                             .ret_xml = &a,
                             .ret_head = &head};
    rc = client__copy_source(src_bucket, src_key, opt->source_version_id, &source);
    if (rc != 0)
        rc = client__invalid(ret_err, op, "the source is too long");
    if (rc == 0) {
        client__h(&rq, "x-amz-copy-source", buf_cstr(&source));
        client__h(&rq, "x-amz-copy-source-if-match", opt->source_if_match);
        if (opt->replace) {
            client__h(&rq, "x-amz-metadata-directive", "REPLACE");
            rc = client__put_headers(&rq, opt->replace, &names, ret_err);
        }
    }
    if (rc == 0)
        rc = client__perform(c, &rq, ret_err);
    if (rc == 0 && ret) {
        if (a.copy.etag[0]) {
            rc = client__put_result(&head, a.copy.etag, a.copy.last_modified_ms, ret, ret_err, op);
        } else {
            /* A server that leaves the ETag out of CopyObjectResult: ask. */
            struct s3_object_head h2;
            struct s3_get_options go = {.version_id = head.version_id[0] ? head.version_id : NULL};
            rc = s3_head_object(c, dst_bucket, dst_key, &go, &h2, ret_err);
            if (rc == 0) {
                rc = client__put_result(&head, h2.etag, a.copy.last_modified_ms, ret, ret_err, op);
                s3_object_head_done(&h2);
            }
        }
    }
    s3_xml_answer_done(&a);
    s3_object_head_done(&head);
    buf_done(&source);
    buf_done(&names);
    return rc;
}

int s3_upload_part_copy(struct s3_client *c, const char *bucket, const char *key,
                        const char *upload_id, int part_number, const char *src_bucket,
                        const char *src_key, const char *src_version_id, int64_t first,
                        int64_t last, struct s3_put_result *ret, struct s3_error *ret_err)
{
    const char *op = "UploadPartCopy";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc == 0)
        rc = client__check(op, src_bucket, src_key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!ret || !upload_id || !*upload_id || !client__part_number_ok(part_number) ||
        (first >= 0 && (last < first || (uint64_t)(last - first) >= S3_MAX_PART_SIZE)) ||
        (src_version_id && !client__header_value_ok(src_version_id)))
        return client__invalid(ret_err, op,
                               "an upload id, a part number of 1 to 10000 and a "
                               "range of at most 5 GiB are needed");
    char part[16], range[64];
    (void)snprintf(part, sizeof(part), "%d", part_number);
    (void)snprintf(range, sizeof(range), "bytes=%" PRId64 "-%" PRId64, first, last);
    struct buf source;
    buf_init(&source, CLIENT__MAX_PATH + S3_VERSION_ID_SIZE * 3);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct client__req rq = {.op = op,
                             .method = "PUT",
                             .bucket = bucket,
                             .key = key,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_COPY_PART,
                             .ret_xml = &a,
                             .ret_head = &head};
    client__q(&rq, "partNumber", part);
    client__q(&rq, "uploadId", upload_id);
    rc = client__copy_source(src_bucket, src_key, src_version_id, &source);
    if (rc != 0)
        rc = client__invalid(ret_err, op, "the source is too long");
    if (rc == 0) {
        client__h(&rq, "x-amz-copy-source", buf_cstr(&source));
        if (first >= 0)
            client__h(&rq, "x-amz-copy-source-range", range);
        rc = client__perform(c, &rq, ret_err);
    }
    if (rc == 0 && !a.copy.etag[0]) {
        if (ret_err)
            client__err(ret_err, head.http_status, "MalformedAnswer", "%s: no ETag in the answer",
                        op);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0)
        rc = client__put_result(&head, a.copy.etag, a.copy.last_modified_ms, ret, ret_err, op);
    s3_xml_answer_done(&a);
    s3_object_head_done(&head);
    buf_done(&source);
    return rc;
}

int s3_create_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                               const struct s3_put_options *opt, char **ret_upload_id,
                               struct s3_error *ret_err)
{
    const char *op = "CreateMultipartUpload";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!ret_upload_id)
        return client__invalid(ret_err, op, "no place for the upload id");
    struct buf names;
    buf_init(&names, 64 * 1024);
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct client__req rq = {.op = op,
                             .method = "POST",
                             .bucket = bucket,
                             .key = key,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_INITIATE_MULTIPART,
                             .ret_xml = &a};
    client__q(&rq, "uploads", "");
    rc = client__put_headers(&rq, opt, &names, ret_err);
    if (rc == 0)
        rc = client__perform(c, &rq, ret_err);
    if (rc == 0) {
        char *id = str_dup(a.initiated.upload_id);
        if (id)
            *ret_upload_id = id;
        else {
            if (ret_err)
                client__err(ret_err, 0, "InvalidInput", "%s: out of memory", op);
            rc = SEAU_E_NOMEM;
        }
    }
    s3_xml_answer_done(&a);
    buf_done(&names);
    return rc;
}

int s3_upload_part(struct s3_client *c, const char *bucket, const char *key, const char *upload_id,
                   int part_number, const struct s3_body *body, struct s3_put_result *ret,
                   struct s3_error *ret_err)
{
    const char *op = "UploadPart";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc == 0)
        rc = client__check_body(op, body, ret_err);
    if (rc != 0)
        return rc;
    if (!ret || !upload_id || !*upload_id || !client__part_number_ok(part_number))
        return client__invalid(ret_err, op,
                               "an upload id and a part number of 1 to 10000 are "
                               "needed");
    char part[16];
    (void)snprintf(part, sizeof(part), "%d", part_number);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct client__req rq = {.op = op,
                             .method = "PUT",
                             .bucket = bucket,
                             .key = key,
                             .body = body,
                             .streamed = body->read != NULL,
                             .ret_head = &head};
    client__q(&rq, "partNumber", part);
    client__q(&rq, "uploadId", upload_id);
    rc = client__perform(c, &rq, ret_err);
    if (rc == 0 && !head.etag[0]) {
        if (ret_err)
            client__err(ret_err, head.http_status, "MalformedAnswer", "%s: no ETag in the answer",
                        op);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0)
        rc = client__put_result(&head, head.etag, 0, ret, ret_err, op);
    s3_object_head_done(&head);
    return rc;
}

int s3_complete_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                                 const char *upload_id, const struct s3_completed_part *parts,
                                 size_t count, struct s3_put_result *ret, struct s3_error *ret_err)
{
    const char *op = "CompleteMultipartUpload";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!upload_id || !*upload_id || !parts || count == 0 || count > S3_MAX_PARTS)
        return client__invalid(ret_err, op, "an upload id and 1 to 10000 parts are needed");
    struct buf xml;
    buf_init(&xml, CLIENT__MAX_XML_BODY);
    rc = buf_append_str(&xml, "<CompleteMultipartUpload xmlns=\"" CLIENT__S3_NS "\">");
    int prev = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (!client__part_number_ok(parts[i].part_number) || parts[i].part_number <= prev ||
            !parts[i].etag || !*parts[i].etag || strlen(parts[i].etag) >= S3_ETAG_SIZE) {
            rc = SEAU_E_VALIDATION;
            break;
        }
        prev = parts[i].part_number;
        rc = buf_printf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>", parts[i].part_number);
        if (rc == 0)
            rc = client__xml_escape(&xml, parts[i].etag);
        if (rc == 0)
            rc = buf_append_str(&xml, "</ETag></Part>");
    }
    if (rc == 0)
        rc = buf_append_str(&xml, "</CompleteMultipartUpload>");
    if (rc != 0) {
        buf_done(&xml);
        return rc == SEAU_E_NOMEM ? rc
                                  : client__invalid(ret_err, op,
                                                    "parts must be in ascending "
                                                    "order, each with its ETag");
    }
    struct s3_body body = s3_body_buffer(xml.data, xml.len);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct client__req rq = {.op = op,
                             .method = "POST",
                             .bucket = bucket,
                             .key = key,
                             .body = &body,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_COMPLETE_MULTIPART,
                             .ret_xml = &a,
                             .ret_head = &head};
    client__q(&rq, "uploadId", upload_id);
    client__h(&rq, "Content-Type", "application/xml");
    rc = client__perform(c, &rq, ret_err);
    if (rc == 0 && ret) {
        if (a.completed.etag[0]) {
            rc = client__put_result(&head, a.completed.etag, 0, ret, ret_err, op);
        } else {
            /* Ceph RGW answers an empty <ETag>: the object's HEAD has it. */
            struct s3_object_head h2;
            struct s3_get_options go = {.version_id = head.version_id[0] ? head.version_id : NULL};
            rc = s3_head_object(c, bucket, key, &go, &h2, ret_err);
            if (rc == 0) {
                rc = client__put_result(&head, h2.etag, 0, ret, ret_err, op);
                s3_object_head_done(&h2);
            }
        }
    }
    s3_xml_answer_done(&a);
    s3_object_head_done(&head);
    buf_done(&xml);
    return rc;
}

int s3_abort_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                              const char *upload_id, struct s3_error *ret_err)
{
    const char *op = "AbortMultipartUpload";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!upload_id || !*upload_id)
        return client__invalid(ret_err, op, "an upload id is needed");
    struct client__req rq = {.op = op, .method = "DELETE", .bucket = bucket, .key = key};
    client__q(&rq, "uploadId", upload_id);
    return client__perform(c, &rq, ret_err);
}

int s3_list_parts(struct s3_client *c, const char *bucket, const char *key, const char *upload_id,
                  int part_number_marker, int max_parts, struct s3_xml_answer *ret,
                  struct s3_error *ret_err)
{
    const char *op = "ListParts";
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    char max[16], marker[16];
    if (!upload_id || !*upload_id || !client__page_size(max_parts, max) || part_number_marker < 0 ||
        part_number_marker > S3_MAX_PARTS)
        return client__invalid(ret_err, op,
                               "an upload id, a marker of 0 to 10000 and a page "
                               "of 0 to 1000 are needed");
    (void)snprintf(marker, sizeof(marker), "%d", part_number_marker);
    struct client__req rq = {.op = op,
                             .method = "GET",
                             .bucket = bucket,
                             .key = key,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_LIST_PARTS,
                             .ret_xml = ret};
    client__q(&rq, "uploadId", upload_id);
    if (part_number_marker)
        client__q(&rq, "part-number-marker", marker);
    if (max_parts)
        client__q(&rq, "max-parts", max);
    return client__perform(c, &rq, ret_err);
}

int s3_list_multipart_uploads(struct s3_client *c, const char *bucket,
                              const struct s3_list_uploads_params *p, struct s3_xml_answer *ret,
                              struct s3_error *ret_err)
{
    const char *op = "ListMultipartUploads";
    int rc = client__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    static const struct s3_list_uploads_params none;
    if (!p)
        p = &none;
    char max[16];
    if (!client__page_size(p->max_uploads, max))
        return client__invalid(ret_err, op, "max_uploads must be 0 to 1000");
    struct client__req rq = {.op = op,
                             .method = "GET",
                             .bucket = bucket,
                             .want = CLIENT__XML,
                             .xml_kind = S3_XML_LIST_UPLOADS,
                             .ret_xml = ret};
    client__q(&rq, "uploads", "");
    client__q_opt(&rq, "prefix", p->prefix);
    client__q_opt(&rq, "delimiter", p->delimiter);
    client__q_opt(&rq, "key-marker", p->key_marker);
    client__q_opt(&rq, "upload-id-marker", p->upload_id_marker);
    if (p->max_uploads)
        client__q(&rq, "max-uploads", max);
    return client__perform(c, &rq, ret_err);
}

int s3_copy_multipart(struct s3_client *c, const char *src_bucket, const char *src_key,
                      const char *dst_bucket, const char *dst_key,
                      const struct s3_copy_options *opt, uint64_t part_size,
                      struct s3_put_result *ret, struct s3_error *ret_err)
{
    static const struct s3_copy_options none;
    if (!opt)
        opt = &none;
    if (part_size == 0)
        part_size = CLIENT__DEFAULT_COPY_PART;
    if (part_size < S3_MIN_PART_SIZE || part_size > S3_MAX_PART_SIZE)
        return client__invalid(ret_err, "UploadPartCopy", "the part size must be 5 MiB to 5 GiB");
    struct s3_object_head src;
    struct s3_get_options go = {.version_id = opt->source_version_id,
                                .if_match = opt->source_if_match};
    int rc = s3_head_object(c, src_bucket, src_key, &go, &src, ret_err);
    if (rc != 0)
        return rc;
    uint64_t size = src.content_length > 0 ? (uint64_t)src.content_length : 0;
    if (size > S3_MAX_OBJECT_SIZE) {
        s3_object_head_done(&src);
        return client__invalid(ret_err, "UploadPartCopy", "the source is larger than 5 TiB");
    }
    if ((size + part_size - 1) / part_size > S3_MAX_PARTS)
        part_size = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
    size_t nparts = size == 0 ? 1 : (size_t)((size + part_size - 1) / part_size);

    /* Keep the source's headers unless replacing them. */
    struct s3_put_options keep = {
        .content_type = src.content_type[0] ? src.content_type : NULL,
        .content_disposition = src.content_disposition[0] ? src.content_disposition : NULL,
        .cache_control = src.cache_control[0] ? src.cache_control : NULL,
        .meta = src.meta,
        .meta_count = src.meta_count,
    };
    char *upload_id = NULL;
    struct s3_completed_part *parts = calloc(nparts, sizeof(*parts));
    struct s3_put_result *etags = calloc(nparts, sizeof(*etags));
    if (!parts || !etags)
        rc = SEAU_E_NOMEM;
    if (rc == 0)
        rc = s3_create_multipart_upload(c, dst_bucket, dst_key, opt->replace ? opt->replace : &keep,
                                        &upload_id, ret_err);
    /* Parts name the source's version, so a source overwritten meanwhile
     * cannot mix two objects' bytes. */
    const char *version = opt->source_version_id ? opt->source_version_id
                          : src.version_id[0] && strcmp(src.version_id, "null") != 0
                              ? src.version_id
                              : NULL;
    for (size_t i = 0; rc == 0 && i < nparts; i++) {
        int64_t first = size == 0 ? -1 : (int64_t)(i * part_size);
        int64_t last =
            size == 0 ? -1
                      : (int64_t)((i + 1) * part_size > size ? size - 1 : (i + 1) * part_size - 1);
        rc = s3_upload_part_copy(c, dst_bucket, dst_key, upload_id, (int)i + 1, src_bucket, src_key,
                                 version, first, last, &etags[i], ret_err);
        parts[i].part_number = (int)i + 1;
        parts[i].etag = etags[i].etag;
    }
    if (rc == 0)
        rc = s3_complete_multipart_upload(c, dst_bucket, dst_key, upload_id, parts, nparts, ret,
                                          ret_err);
    if (rc != 0 && upload_id)
        (void)s3_abort_multipart_upload(c, dst_bucket, dst_key, upload_id, NULL);
    if (rc == SEAU_E_NOMEM && ret_err && !ret_err->code[0])
        client__err(ret_err, 0, "InvalidInput", "UploadPartCopy: out of memory");
    free(upload_id);
    free(parts);
    free(etags);
    s3_object_head_done(&src);
    return rc;
}

int s3_copy(struct s3_client *c, const char *src_bucket, const char *src_key,
            const char *dst_bucket, const char *dst_key, const struct s3_copy_options *opt,
            uint64_t part_size, struct s3_put_result *ret, struct s3_error *ret_err)
{
    static const struct s3_copy_options none;
    if (!opt)
        opt = &none;
    struct s3_object_head src;
    struct s3_get_options go = {.version_id = opt->source_version_id,
                                .if_match = opt->source_if_match};
    int rc = s3_head_object(c, src_bucket, src_key, &go, &src, ret_err);
    if (rc != 0)
        return rc;
    bool large = src.content_length > 0 && (uint64_t)src.content_length > S3_MAX_COPY_SIZE;
    s3_object_head_done(&src);
    if (large)
        return s3_copy_multipart(c, src_bucket, src_key, dst_bucket, dst_key, opt, part_size, ret,
                                 ret_err);
    return s3_copy_object(c, src_bucket, src_key, dst_bucket, dst_key, opt, ret, ret_err);
}

/* ================================= 4. presigning ================================= */

/* Presigns method on bucket/key with the given (decoded) query parameters. */
static int client__presign(struct s3_client *c, const char *op, const char *method,
                           const char *bucket, const char *key, const struct sigv4_pair *query,
                           size_t nquery, uint32_t expires_s, char **ret_url,
                           struct s3_error *ret_err)
{
    int rc = client__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!ret_url || expires_s == 0 || expires_s > S3_MAX_EXPIRES)
        return client__invalid(ret_err, op, "a presigned URL lives 1 s to 7 days");
    struct s3_error err;
    struct s3_credentials cr = {0};
    rc = s3_credentials_get(c->creds, c->now_ms(c->clock_ctx), &cr);
    if (rc != 0) {
        char why[S3_CRED_WHY_SIZE];
        s3_credentials_last_error(c->creds, why);
        client__err(&err, 0, "CredentialsUnavailable", "%s",
                    why[0] ? why : "the credentials provider failed");
        if (ret_err)
            *ret_err = err;
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_UNAVAILABLE;
    }
    struct buf host, path, q, url;
    buf_init(&host, CLIENT__MAX_HOST);
    buf_init(&path, CLIENT__MAX_PATH);
    buf_init(&q, CLIENT__MAX_URL);
    buf_init(&url, CLIENT__MAX_URL);
    rc = client__target(&c->ep, bucket, key, &host, &path);
    struct sigv4_pair headers[1] = {{SLICE_LIT("Host"), {host.data, host.len}}};
    struct sigv4_request sr = {
        .method = slice_from_cstr(method),
        .path = {path.data, path.len},
        .query = query,
        .query_count = nquery,
        .headers = headers,
        .header_count = 1,
    };
    struct sigv4_credentials sc = s3_credentials_sigv4(&cr);
    struct sigv4_params sp = {
        .credentials = &sc,
        .region = slice_from_cstr(c->ep.region),
        .service = SLICE_LIT("s3"),
        .now = (time_t)(c->now_ms(c->clock_ctx) / 1000),
        .payload_hash = SLICE_LIT(SIGV4_UNSIGNED_PAYLOAD),
        .expires = expires_s,
    };
    if (rc == 0)
        rc = sigv4_presign(&sr, &sp, &q);
    s3_credentials_done(&cr);
    if (rc == 0)
        rc = buf_printf(&url, "%s://%s%s?%s", c->ep.https ? "https" : "http", buf_cstr(&host),
                        buf_cstr(&path), buf_cstr(&q));
    char *s = NULL;
    if (rc == 0 && !(s = buf_take(&url)))
        rc = SEAU_E_NOMEM;
    buf_done(&host);
    buf_done(&path);
    buf_done_secure(&q); /* holds the session token, when there is one */
    buf_done_secure(&url);
    if (rc != 0) {
        client__err(&err, 0, "InvalidInput", "%s: the URL could not be presigned (%s)", op,
                    err_name(rc));
        if (ret_err)
            *ret_err = err;
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_VALIDATION;
    }
    *ret_url = s;
    return 0;
}

int s3_presign_get(struct s3_client *c, const char *bucket, const char *key, uint32_t expires_s,
                   const struct s3_get_options *opt, char **ret_url, struct s3_error *ret_err)
{
    const char *op = "PresignGetObject";
    struct sigv4_pair q[3];
    size_t n = 0;
    if (opt) {
        if (opt->range || opt->if_match || opt->if_none_match)
            return client__invalid(ret_err, op, "range and conditions cannot be presigned");
        const char *vals[] = {opt->version_id, opt->response_content_disposition,
                              opt->response_content_type};
        const char *names[] = {"versionId", "response-content-disposition",
                               "response-content-type"};
        for (size_t i = 0; i < 3; i++) {
            if (!vals[i] || !*vals[i])
                continue;
            if (!client__header_value_ok(vals[i]) || strlen(vals[i]) > 2048)
                return client__invalid(ret_err, op,
                                       "an option holds control characters or is "
                                       "too long");
            q[n++] = (struct sigv4_pair){slice_from_cstr(names[i]), slice_from_cstr(vals[i])};
        }
    }
    return client__presign(c, op, "GET", bucket, key, q, n, expires_s, ret_url, ret_err);
}

int s3_presign_put(struct s3_client *c, const char *bucket, const char *key, uint32_t expires_s,
                   char **ret_url, struct s3_error *ret_err)
{
    return client__presign(c, "PresignPutObject", "PUT", bucket, key, NULL, 0, expires_s, ret_url,
                           ret_err);
}

int s3_presign_upload_part(struct s3_client *c, const char *bucket, const char *key,
                           const char *upload_id, int part_number, uint32_t expires_s,
                           char **ret_url, struct s3_error *ret_err)
{
    const char *op = "PresignUploadPart";
    if (!upload_id || !*upload_id || !client__part_number_ok(part_number) ||
        !client__header_value_ok(upload_id))
        return client__invalid(ret_err, op,
                               "an upload id and a part number of 1 to 10000 are "
                               "needed");
    char part[16];
    (void)snprintf(part, sizeof(part), "%d", part_number);
    struct sigv4_pair q[2] = {{SLICE_LIT("partNumber"), slice_from_cstr(part)},
                              {SLICE_LIT("uploadId"), slice_from_cstr(upload_id)}};
    return client__presign(c, op, "PUT", bucket, key, q, 2, expires_s, ret_url, ret_err);
}

/* ===================================== 5. SQS ===================================== */

void s3_sqs_messages_done(struct s3_sqs_messages *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++) {
        free(m->messages[i].message_id);
        free(m->messages[i].receipt_handle);
        free(m->messages[i].body);
    }
    free(m->messages);
    memset(m, 0, sizeof(*m));
}

/* A queue URL or receipt handle we put in a request: set, bounded, no control characters. */
static bool client__sqs_string_ok(const char *v, size_t max)
{
    return v && *v && strlen(v) <= max && client__header_value_ok(v);
}

/*
 * One SQS call: POSTs body (a JSON object, consumed) as action; on success
 * *ret is the answer's object (a new reference; {} for an empty answer).
 */
static int client__sqs(struct s3_client *c, const char *action, json_t *body, int64_t long_poll_ms,
                       json_t **ret, struct s3_error *ret_err)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        if (ret_err)
            client__err(ret_err, 0, "InvalidInput", "%s: out of memory", action);
        return SEAU_E_NOMEM;
    }
    char target[64];
    (void)snprintf(target, sizeof(target), "AmazonSQS.%s", action);
    struct s3_body b = s3_body_buffer(text, strlen(text));
    struct buf answer;
    buf_init(&answer, S3_SQS_MAX_ANSWER);
    struct client__req rq = {.op = action,
                             .method = "POST",
                             .ep = &c->sqs_ep,
                             .service = "sqs",
                             .body = &b,
                             .want = CLIENT__JSON,
                             .ret_json = &answer,
                             .long_poll_ms = long_poll_ms};
    client__h(&rq, "Content-Type", "application/x-amz-json-1.0");
    client__h(&rq, "X-Amz-Target", target);
    int rc = client__perform(c, &rq, ret_err);
    json_t *o = NULL;
    if (rc == 0 && answer.len == 0)
        o = json_object();
    else if (rc == 0 && jsonx_parse_object(answer.data, answer.len, 16, &o) != 0) {
        if (ret_err)
            client__err(ret_err, 200, "MalformedAnswer", "%s: the answer is not a JSON object",
                        action);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0 && !o)
        rc = SEAU_E_NOMEM;
    if (rc == 0)
        *ret = o;
    buf_done(&answer);
    free(text);
    return rc;
}

/* A copy of a string member of o; NULL when absent (sets *missing) or out of memory. */
static char *client__json_dup(json_t *o, const char *name, bool *missing)
{
    const char *v = json_string_value(json_object_get(o, name));
    if (!v) {
        *missing = true;
        return NULL;
    }
    return str_dup(v);
}

int s3_sqs_receive(struct s3_client *c, const char *queue_url, int max_messages, int wait_s,
                   int visibility_timeout_s, struct s3_sqs_messages *ret, struct s3_error *ret_err)
{
    const char *op = "ReceiveMessage";
    if (!ret || !client__sqs_string_ok(queue_url, 1024) || max_messages < 1 ||
        max_messages > S3_SQS_MAX_MESSAGES || wait_s < 0 || wait_s > S3_SQS_MAX_WAIT ||
        visibility_timeout_s < -1 || visibility_timeout_s > S3_SQS_MAX_VISIBILITY)
        return client__invalid(ret_err, op,
                               "a queue URL, 1 to 10 messages, a wait of 0 to 20 s "
                               "and a visibility of -1 to 43200 s are needed");
    json_t *body = json_pack("{s:s, s:i, s:i, s:[s]}", "QueueUrl", queue_url, "MaxNumberOfMessages",
                             max_messages, "WaitTimeSeconds", wait_s, "MessageSystemAttributeNames",
                             "ApproximateReceiveCount");
    if (body && visibility_timeout_s >= 0 &&
        json_object_set_new(body, "VisibilityTimeout", json_integer(visibility_timeout_s)) != 0) {
        json_decref(body);
        body = NULL;
    }
    json_t *o = NULL;
    int rc = client__sqs(c, op, body, (int64_t)wait_s * 1000, &o, ret_err);
    if (rc != 0)
        return rc;
    struct s3_sqs_messages m = {0};
    json_t *list = json_object_get(o, "Messages");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    if (n > S3_SQS_MAX_MESSAGES)
        rc = SEAU_E_UNAVAILABLE;
    if (rc == 0 && n > 0 && !(m.messages = calloc(n, sizeof(*m.messages))))
        rc = SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *e = json_array_get(list, i);
        struct s3_sqs_message *msg = &m.messages[m.count++];
        bool missing = false;
        msg->message_id = client__json_dup(e, "MessageId", &missing);
        msg->receipt_handle = client__json_dup(e, "ReceiptHandle", &missing);
        msg->body = client__json_dup(e, "Body", &missing);
        if (missing) {
            rc = SEAU_E_UNAVAILABLE;
            break;
        }
        if (!msg->message_id || !msg->receipt_handle || !msg->body) {
            rc = SEAU_E_NOMEM;
            break;
        }
        msg->body_len = strlen(msg->body);
        /* The body's MD5 guards against a message damaged on the way. */
        const char *md5 = json_string_value(json_object_get(e, "MD5OfBody"));
        if (md5) {
            unsigned char d[EVP_MAX_MD_SIZE];
            unsigned int dl = 0;
            char hex[33];
            if (EVP_Digest(msg->body, msg->body_len, d, &dl, EVP_md5(), NULL) != 1 || dl != 16) {
                rc = SEAU_E_INTERNAL;
                break;
            }
            str_hex(d, 16, hex);
            if (!str_ieq(hex, md5)) {
                rc = SEAU_E_UNAVAILABLE;
                break;
            }
        }
        const char *count = json_string_value(
            json_object_get(json_object_get(e, "Attributes"), "ApproximateReceiveCount"));
        int64_t rcount = 0;
        if (count && str_to_int64(count, 0, INT64_MAX, &rcount) == 0)
            msg->receive_count = rcount;
    }
    json_decref(o);
    if (rc != 0) {
        s3_sqs_messages_done(&m);
        if (ret_err)
            client__err(ret_err, 200, rc == SEAU_E_UNAVAILABLE ? "MalformedAnswer" : "InvalidInput",
                        "%s: a message is incomplete or does not match its MD5 (%s)", op,
                        err_name(rc));
        return rc;
    }
    *ret = m;
    return 0;
}

static bool client__sqs_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 80)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!client__alnum_lower(id[i]) && !(id[i] >= 'A' && id[i] <= 'Z') && id[i] != '-' &&
            id[i] != '_')
            return false;
    return true;
}

int s3_sqs_delete_batch(struct s3_client *c, const char *queue_url,
                        const struct s3_sqs_entry *entries, size_t count, size_t *ret_failed,
                        struct s3_error *ret_err)
{
    const char *op = "DeleteMessageBatch";
    if (!client__sqs_string_ok(queue_url, 1024) || !entries || count == 0 ||
        count > S3_SQS_MAX_MESSAGES)
        return client__invalid(ret_err, op, "a queue URL and 1 to 10 entries are needed");
    json_t *list = json_array();
    int rc = list ? 0 : SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (!client__sqs_id_ok(entries[i].id) ||
            !client__sqs_string_ok(entries[i].receipt_handle, 8192)) {
            rc = SEAU_E_VALIDATION;
            break;
        }
        json_t *e = json_pack("{s:s, s:s}", "Id", entries[i].id, "ReceiptHandle",
                              entries[i].receipt_handle);
        if (!e || json_array_append_new(list, e) != 0)
            rc = SEAU_E_NOMEM;
    }
    json_t *body = NULL;
    if (rc == 0 && !(body = json_pack("{s:s, s:O}", "QueueUrl", queue_url, "Entries", list)))
        rc = SEAU_E_NOMEM;
    json_decref(list);
    if (rc != 0) {
        json_decref(body);
        return rc == SEAU_E_NOMEM ? rc
                                  : client__invalid(ret_err, op,
                                                    "entry ids are 1 to 80 of "
                                                    "[A-Za-z0-9_-], with a handle");
    }
    json_t *o = NULL;
    rc = client__sqs(c, op, body, 0, &o, ret_err);
    if (rc != 0)
        return rc;
    json_t *failed = json_object_get(o, "Failed");
    size_t nf = json_is_array(failed) ? json_array_size(failed) : 0;
    if (nf > 0 && ret_err) {
        json_t *f = json_array_get(failed, 0);
        const char *code = json_string_value(json_object_get(f, "Code"));
        const char *msg = json_string_value(json_object_get(f, "Message"));
        const char *id = json_string_value(json_object_get(f, "Id"));
        client__err(ret_err, 200, code ? code : "BatchEntryFailed", "%s: entry %s: %s", op,
                    id ? id : "?", msg ? msg : "not deleted");
    }
    if (ret_failed)
        *ret_failed = nf;
    json_decref(o);
    return 0;
}

int s3_sqs_change_visibility(struct s3_client *c, const char *queue_url, const char *receipt_handle,
                             int visibility_timeout_s, struct s3_error *ret_err)
{
    const char *op = "ChangeMessageVisibility";
    if (!client__sqs_string_ok(queue_url, 1024) || !client__sqs_string_ok(receipt_handle, 8192) ||
        visibility_timeout_s < 0 || visibility_timeout_s > S3_SQS_MAX_VISIBILITY)
        return client__invalid(ret_err, op,
                               "a queue URL, a receipt handle and a timeout of 0 to "
                               "43200 s are needed");
    json_t *body = json_pack("{s:s, s:s, s:i}", "QueueUrl", queue_url, "ReceiptHandle",
                             receipt_handle, "VisibilityTimeout", visibility_timeout_s);
    json_t *o = NULL;
    int rc = client__sqs(c, op, body, 0, &o, ret_err);
    json_decref(o);
    return rc;
}
