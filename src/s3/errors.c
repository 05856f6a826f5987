/*
 * What a failure means: which libcurl errors and S3 answers are retried,
 * full-jitter backoff, S3 error codes to Seau's, and their descriptions.
 */
#include "s3/internal.h"

#include "core/buf.h"
#include "core/err.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

bool s3__retryable_curl(CURLcode cc)
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
bool s3__retryable_answer(int status, const char *code)
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
int64_t s3__backoff_ms(int retry, int64_t base, int64_t cap, uint64_t rnd)
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
const char *s3__status_code(int status)
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

static bool s3__in(const char *code, const char *const *list)
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
    if (s3__in(code, not_found))
        return SEAU_E_NOT_FOUND;
    if (s3__in(code, conflict))
        return SEAU_E_CONFLICT;
    if (strcmp(code, "InvalidRange") == 0)
        return SEAU_E_RANGE;
    if (strcmp(code, "EntityTooLarge") == 0)
        return SEAU_E_TOO_LARGE;
    if (strcmp(code, "BodyShort") == 0)
        return SEAU_E_IO;
    if (s3__in(code, validation))
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
static const char *s3__hint(const char *code)
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
    const char *hint = s3__hint(code);
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
