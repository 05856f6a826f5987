/*
 * Tests for the pure parts of the S3 client (src/s3/endpoint.c, errors.c,
 * fields.c, transport.c, presign.c) (STYLE.md rule 18): endpoint
 * parsing, addressing and key encoding, retry classification, backoff
 * bounds, error mapping, XML escaping, header parsing, Content-MD5, and a
 * presigned URL reproduced from the AWS documentation. Nothing here goes on
 * the network; tests/s3/ runs the client against servers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* The client's files, whole, so that their module-private helpers are in reach. */
#include "../../../src/s3/endpoint.c"
#include "../../../src/s3/errors.c"
#include "../../../src/s3/fields.c"
#include "../../../src/s3/multipart.c"
#include "../../../src/s3/objects.c"
#include "../../../src/s3/presign.c"
#include "../../../src/s3/sqs.c"
#include "../../../src/s3/transport.c"
#include "../fake_s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================ endpoints ================================ */

static void test_endpoint_aws(void **state)
{
    (void)state;
    struct s3__endpoint ep;
    assert_int_equal(s3__parse_endpoint(NULL, NULL, S3_ADDRESSING_AUTO, &ep), 0);
    assert_true(ep.aws);
    assert_true(ep.https);
    assert_string_equal(ep.host, "s3.us-east-1.amazonaws.com");
    assert_string_equal(ep.region, "us-east-1");
    assert_int_equal(ep.port, 0);
    assert_int_equal(s3__parse_endpoint("", "eu-west-3", S3_ADDRESSING_AUTO, &ep), 0);
    assert_string_equal(ep.host, "s3.eu-west-3.amazonaws.com");
    assert_string_equal(ep.region, "eu-west-3");
}

static void test_endpoint_custom(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int rc;
        bool https;
        const char *host;
        long port;
    } cases[] = {
        {"http://127.0.0.1:7480", 0, false, "127.0.0.1", 7480},
        {"http://127.0.0.1:7480/", 0, false, "127.0.0.1", 7480},
        {"https://minio.example.com", 0, true, "minio.example.com", 0},
        {"https://MinIO.Example.com:443", 0, true, "minio.example.com", 0},
        {"http://s3.localhost:80", 0, false, "s3.localhost", 0},
        {"https://s3.example.com:8443", 0, true, "s3.example.com", 8443},
        {"http://[::1]:9000", 0, false, "[::1]", 9000},
        {"ftp://127.0.0.1", SEAU_E_VALIDATION, false, "", 0},
        {"http://127.0.0.1:7480/prefix", SEAU_E_VALIDATION, false, "", 0},
        {"http://user:pw@127.0.0.1:7480", SEAU_E_VALIDATION, false, "", 0},
        {"http://127.0.0.1:7480/?x=1", SEAU_E_VALIDATION, false, "", 0},
        {"http://127.0.0.1:7480/#f", SEAU_E_VALIDATION, false, "", 0},
        {"127.0.0.1:7480", SEAU_E_VALIDATION, false, "", 0},
        {"http://", SEAU_E_VALIDATION, false, "", 0},
        {"not a url", SEAU_E_VALIDATION, false, "", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s3__endpoint ep;
        memset(&ep, 0, sizeof(ep));
        int rc = s3__parse_endpoint(cases[i].url, "us-east-1", S3_ADDRESSING_AUTO, &ep);
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d", cases[i].url, rc, cases[i].rc);
        if (rc != 0)
            continue;
        assert_false(ep.aws);
        assert_int_equal(ep.https, cases[i].https);
        assert_string_equal(ep.host, cases[i].host);
        assert_int_equal(ep.port, cases[i].port);
    }
}

static void test_endpoint_region(void **state)
{
    (void)state;
    struct s3__endpoint ep;
    assert_int_equal(s3__parse_endpoint(NULL, "default", S3_ADDRESSING_AUTO, &ep), 0);
    assert_int_equal(s3__parse_endpoint(NULL, "us east", S3_ADDRESSING_AUTO, &ep),
                     SEAU_E_VALIDATION);
    assert_int_equal(s3__parse_endpoint(NULL, "a/b", S3_ADDRESSING_AUTO, &ep), SEAU_E_VALIDATION);
    char long_region[80];
    memset(long_region, 'a', sizeof(long_region) - 1);
    long_region[sizeof(long_region) - 1] = '\0';
    assert_int_equal(s3__parse_endpoint(NULL, long_region, S3_ADDRESSING_AUTO, &ep),
                     SEAU_E_VALIDATION);
    assert_int_equal(s3__parse_endpoint(NULL, NULL, (enum s3_addressing)7, &ep), SEAU_E_VALIDATION);
}

static void test_bucket_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool valid, dns_dots, dns_nodots;
    } cases[] = {
        {"photos", true, true, true},        {"my-bucket-1", true, true, true},
        {"my.bucket", true, true, false},    {"ab", true, false, false},
        {"My-Bucket", true, false, false},   {"under_score", true, false, false},
        {"-lead", true, false, false},       {"trail-", true, false, false},
        {"a..b", true, false, false},        {"a.-b", true, false, false},
        {"192.168.1.1", true, false, false}, {"", false, false, false},
        {"a/b", false, false, false},        {"a b", false, false, false},
        {"a?b", false, false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *n = cases[i].name;
        if (s3__bucket_valid(n) != cases[i].valid)
            fail_msg("valid(%s)", n);
        if (!cases[i].valid)
            continue;
        if (s3__bucket_dns_ok(n, true) != cases[i].dns_dots)
            fail_msg("dns_ok(%s, dots)", n);
        if (s3__bucket_dns_ok(n, false) != cases[i].dns_nodots)
            fail_msg("dns_ok(%s, no dots)", n);
    }
    char b64[65];
    memset(b64, 'a', 64);
    b64[64] = '\0';
    assert_false(s3__bucket_valid(b64));
    b64[63] = '\0';
    assert_true(s3__bucket_valid(b64));
}

/* ============================= addressing and keys ============================= */

static void unit_target(const char *endpoint, enum s3_addressing addressing, const char *bucket,
                        const char *key, const char *want_host, const char *want_path)
{
    struct s3__endpoint ep;
    assert_int_equal(s3__parse_endpoint(endpoint, "us-east-1", addressing, &ep), 0);
    struct buf host, path;
    buf_init(&host, S3__MAX_HOST);
    buf_init(&path, S3__MAX_PATH);
    assert_int_equal(s3__target(&ep, bucket, key, &host, &path), 0);
    if (strcmp(buf_cstr(&host), want_host) != 0 || strcmp(buf_cstr(&path), want_path) != 0)
        fail_msg("%s %s %s: got %s %s, want %s %s", endpoint ? endpoint : "(aws)",
                 bucket ? bucket : "-", key ? key : "-", buf_cstr(&host), buf_cstr(&path),
                 want_host, want_path);
    buf_done(&host);
    buf_done(&path);
}

static void test_target_addressing(void **state)
{
    (void)state;
    /* AWS: virtual-hosted, path style for names that cannot be a TLS label. */
    unit_target(NULL, S3_ADDRESSING_AUTO, NULL, NULL, "s3.us-east-1.amazonaws.com", "/");
    unit_target(NULL, S3_ADDRESSING_AUTO, "photos", NULL, "photos.s3.us-east-1.amazonaws.com", "/");
    unit_target(NULL, S3_ADDRESSING_AUTO, "photos", "a/b.jpg", "photos.s3.us-east-1.amazonaws.com",
                "/a/b.jpg");
    unit_target(NULL, S3_ADDRESSING_AUTO, "my.photos", "a", "s3.us-east-1.amazonaws.com",
                "/my.photos/a");
    unit_target(NULL, S3_ADDRESSING_AUTO, "Legacy_Bucket", "a", "s3.us-east-1.amazonaws.com",
                "/Legacy_Bucket/a");
    unit_target(NULL, S3_ADDRESSING_PATH, "photos", "a", "s3.us-east-1.amazonaws.com", "/photos/a");
    /* A custom endpoint: path style unless asked. */
    unit_target("http://127.0.0.1:7480", S3_ADDRESSING_AUTO, "photos", "a", "127.0.0.1:7480",
                "/photos/a");
    unit_target("http://127.0.0.1:7480", S3_ADDRESSING_AUTO, "photos", NULL, "127.0.0.1:7480",
                "/photos");
    unit_target("http://127.0.0.1:7480", S3_ADDRESSING_AUTO, NULL, NULL, "127.0.0.1:7480", "/");
    unit_target("http://s3.localhost:7480", S3_ADDRESSING_VIRTUAL, "photos", "a",
                "photos.s3.localhost:7480", "/a");
    /* Dots are fine in virtual hosts over http, not over https. */
    unit_target("http://s3.localhost:7480", S3_ADDRESSING_VIRTUAL, "my.photos", "a",
                "my.photos.s3.localhost:7480", "/a");
    unit_target("https://s3.example.com", S3_ADDRESSING_VIRTUAL, "my.photos", "a", "s3.example.com",
                "/my.photos/a");
    unit_target("https://s3.example.com:443", S3_ADDRESSING_PATH, "b", "k", "s3.example.com",
                "/b/k");
}

static void test_target_keys(void **state)
{
    (void)state;
    static const struct {
        const char *key, *want;
    } cases[] = {
        {"plain.txt", "/b/plain.txt"},
        {"with space.txt", "/b/with%20space.txt"},
        {"plus+sign", "/b/plus%2Bsign"},
        {"per%cent", "/b/per%25cent"},
        {"%20", "/b/%2520"},
        {"tilde~", "/b/tilde~"},
        {"a//b", "/b/a//b"},
        {"folder/", "/b/folder/"},
        {"/leading", "/b//leading"},
        {"./dot/../seg", "/b/./dot/../seg"},
        {"caf\xC3\xA9 \xE2\x82\xAC", "/b/caf%C3%A9%20%E2%82%AC"},
        {"\xF0\x9F\x98\x80", "/b/%F0%9F%98%80"},
        {"q?x=1&y#z", "/b/q%3Fx%3D1%26y%23z"},
        {"star*paren()", "/b/star%2Aparen%28%29"},
        {"colon:semi;at@", "/b/colon%3Asemi%3Bat%40"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        unit_target("http://h:1", S3_ADDRESSING_PATH, "b", cases[i].key, "h:1", cases[i].want);

    /* A 1024-byte key is encoded whole; the path buffer has room for 3x. */
    char key[S3_MAX_KEY + 1];
    memset(key, ' ', S3_MAX_KEY);
    key[S3_MAX_KEY] = '\0';
    struct s3__endpoint ep;
    assert_int_equal(s3__parse_endpoint("http://h:1", NULL, S3_ADDRESSING_PATH, &ep), 0);
    struct buf host, path;
    buf_init(&host, S3__MAX_HOST);
    buf_init(&path, S3__MAX_PATH);
    assert_int_equal(s3__target(&ep, "b", key, &host, &path), 0);
    assert_int_equal(path.len, 3 + 3 * S3_MAX_KEY);
    buf_done(&host);
    buf_done(&path);

    assert_true(s3__key_valid(key));
    char longer[S3_MAX_KEY + 2];
    memset(longer, 'k', S3_MAX_KEY + 1);
    longer[S3_MAX_KEY + 1] = '\0';
    assert_false(s3__key_valid(longer));
    assert_false(s3__key_valid(""));
    assert_false(s3__key_valid(NULL));
    assert_false(s3__key_valid("bad \xC3("));
}

static void test_copy_source(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8192);
    assert_int_equal(s3__copy_source("src", "a b/c+d%", NULL, &b), 0);
    assert_string_equal(buf_cstr(&b), "/src/a%20b/c%2Bd%25");
    buf_reset(&b);
    assert_int_equal(s3__copy_source("src", "k", "v1/+", &b), 0);
    assert_string_equal(buf_cstr(&b), "/src/k?versionId=v1%2F%2B");
    buf_done(&b);
}

/* ============================= retries and backoff ============================= */

static void test_retry_classification(void **state)
{
    (void)state;
    static const CURLcode retry[] = {CURLE_COULDNT_CONNECT,     CURLE_GOT_NOTHING,
                                     CURLE_PARTIAL_FILE,        CURLE_RECV_ERROR,
                                     CURLE_SEND_ERROR,          CURLE_OPERATION_TIMEDOUT,
                                     CURLE_COULDNT_RESOLVE_HOST};
    static const CURLcode no_retry[] = {CURLE_OK,
                                        CURLE_URL_MALFORMAT,
                                        CURLE_WRITE_ERROR,
                                        CURLE_ABORTED_BY_CALLBACK,
                                        CURLE_PEER_FAILED_VERIFICATION,
                                        CURLE_OUT_OF_MEMORY,
                                        CURLE_UNSUPPORTED_PROTOCOL};
    for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++)
        assert_true(s3__retryable_curl(retry[i]));
    for (size_t i = 0; i < sizeof(no_retry) / sizeof(no_retry[0]); i++)
        assert_false(s3__retryable_curl(no_retry[i]));

    static const struct {
        int status;
        const char *code;
        bool retry;
    } answers[] = {
        {500, "InternalError", true},
        {503, "SlowDown", true},
        {503, "ServiceUnavailable", true},
        {502, "", true},
        {504, "", true},
        {400, "RequestTimeout", true},
        {200, "InternalError", true}, /* CompleteMultipartUpload's 200 with an error */
        {200, "SlowDown", true},
        {429, "", true},
        {403, "SignatureDoesNotMatch", false},
        {403, "AccessDenied", false},
        {404, "NoSuchKey", false},
        {412, "PreconditionFailed", false},
        {400, "InvalidArgument", false},
        {501, "NotImplemented", false},
        {200, "NoSuchUpload", false},
    };
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
        if (s3__retryable_answer(answers[i].status, answers[i].code) != answers[i].retry)
            fail_msg("%d %s", answers[i].status, answers[i].code);
}

static void test_backoff_bounds(void **state)
{
    (void)state;
    const int64_t base = S3_DEFAULT_BACKOFF_BASE_MS, cap = S3_DEFAULT_BACKOFF_CAP_MS;
    /* The ceiling doubles from base and stops at cap. */
    static const int64_t ceilings[] = {0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000};
    for (int retry = 1; retry <= 10; retry++) {
        int64_t ceil = ceilings[retry];
        assert_int_equal(s3__backoff_ms(retry, base, cap, 0), 0);
        assert_int_equal(s3__backoff_ms(retry, base, cap, (uint64_t)ceil), ceil);
        assert_int_equal(s3__backoff_ms(retry, base, cap, (uint64_t)ceil + 1), 0);
        for (int i = 0; i < 1000; i++) {
            int64_t ms = s3__backoff_ms(retry, base, cap, s3__random());
            if (ms < 0 || ms > ceil)
                fail_msg("retry %d: %" PRId64 " ms outside [0, %" PRId64 "]", retry, ms, ceil);
        }
    }
    /* Full jitter spreads: over many draws the mean is near half the ceiling. */
    int64_t sum = 0;
    for (int i = 0; i < 10000; i++)
        sum += s3__backoff_ms(7, base, cap, s3__random());
    assert_in_range(sum / 10000, 2000, 3000);
    /* Huge retry numbers do not overflow. */
    assert_in_range(s3__backoff_ms(1000, base, cap, UINT64_MAX), 0, cap);
    assert_int_equal(s3__backoff_ms(3, 0, cap, 12345), 0);
    assert_int_equal(s3__backoff_ms(0, base, cap, 12345), 0);
}

/* ================================ error mapping ================================ */

static void test_error_mapping(void **state)
{
    (void)state;
    static const struct {
        int status;
        const char *code;
        int want;
    } cases[] = {
        {404, "NoSuchKey", SEAU_E_NOT_FOUND},
        {404, "NoSuchBucket", SEAU_E_NOT_FOUND},
        {404, "NoSuchUpload", SEAU_E_NOT_FOUND},
        {404, "NoSuchCORSConfiguration", SEAU_E_NOT_FOUND},
        {404, "NotFound", SEAU_E_NOT_FOUND},
        {404, "", SEAU_E_NOT_FOUND},
        {403, "AccessDenied", SEAU_E_UNAVAILABLE},
        {403, "SignatureDoesNotMatch", SEAU_E_UNAVAILABLE},
        {403, "InvalidAccessKeyId", SEAU_E_UNAVAILABLE},
        {403, "RequestTimeTooSkewed", SEAU_E_UNAVAILABLE},
        {400, "ExpiredToken", SEAU_E_UNAVAILABLE},
        {403, "", SEAU_E_UNAVAILABLE},
        {412, "PreconditionFailed", SEAU_E_CONFLICT},
        {412, "", SEAU_E_CONFLICT},
        {409, "BucketNotEmpty", SEAU_E_CONFLICT},
        {409, "BucketAlreadyOwnedByYou", SEAU_E_CONFLICT},
        {416, "InvalidRange", SEAU_E_RANGE},
        {400, "EntityTooLarge", SEAU_E_TOO_LARGE},
        {400, "EntityTooSmall", SEAU_E_VALIDATION},
        {400, "InvalidPart", SEAU_E_VALIDATION},
        {400, "KeyTooLongError", SEAU_E_VALIDATION},
        {500, "InternalError", SEAU_E_UNAVAILABLE},
        {503, "SlowDown", SEAU_E_UNAVAILABLE},
        {502, "", SEAU_E_UNAVAILABLE},
        {0, "ConnectionFailed", SEAU_E_UNAVAILABLE},
        {0, "BodyShort", SEAU_E_IO},
        {400, "SomethingNew", SEAU_E_UNAVAILABLE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = s3_error_to_err(cases[i].status, cases[i].code);
        if (got != cases[i].want)
            fail_msg("%d %s: %s, want %s", cases[i].status, cases[i].code, err_name(got),
                     err_name(cases[i].want));
    }
    assert_int_equal(s3_error_to_err(404, NULL), SEAU_E_NOT_FOUND);
    /* What the API layer will answer. */
    assert_int_equal(err_http_status(s3_error_to_err(403, "SignatureDoesNotMatch")), 503);
    assert_string_equal(err_api_code(s3_error_to_err(403, "SignatureDoesNotMatch")),
                        "upstream_unavailable");
}

static void test_error_describe(void **state)
{
    (void)state;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    e.http_status = 403;
    memcpy(e.code, "SignatureDoesNotMatch", 22);
    memcpy(e.message, "The signature does not match", 29);
    memcpy(e.request_id, "tx0001", 7);
    char out[512];
    s3_error_describe(&e, out, sizeof(out));
    assert_non_null(strstr(out, "S3 answered 403 SignatureDoesNotMatch"));
    assert_non_null(strstr(out, "request id tx0001"));
    assert_non_null(strstr(out, "AWS_SECRET_ACCESS_KEY"));
    /* Cut to the room given, always terminated. */
    char small[16];
    s3_error_describe(&e, small, sizeof(small));
    assert_int_equal(strlen(small), 15);
    memset(&e, 0, sizeof(e));
    memcpy(e.code, "ConnectionFailed", 17);
    s3_error_describe(&e, out, sizeof(out));
    assert_non_null(strstr(out, "SEAU_S3_ENDPOINT"));
    s3_error_describe(NULL, out, sizeof(out));
    assert_non_null(strstr(out, "UnknownError"));
}

static void test_status_codes(void **state)
{
    (void)state;
    assert_string_equal(s3__status_code(404), "NotFound");
    assert_string_equal(s3__status_code(403), "Forbidden");
    assert_string_equal(s3__status_code(412), "PreconditionFailed");
    assert_string_equal(s3__status_code(503), "ServiceUnavailable");
    assert_string_equal(s3__status_code(418), "UnexpectedStatus");
    /* HEAD 404 becomes not found, HEAD 403 unavailable. */
    assert_int_equal(s3_error_to_err(404, s3__status_code(404)), SEAU_E_NOT_FOUND);
    assert_int_equal(s3_error_to_err(403, s3__status_code(403)), SEAU_E_UNAVAILABLE);
    assert_int_equal(s3_error_to_err(412, s3__status_code(412)), SEAU_E_CONFLICT);
}

/* ============================== small parsers ============================== */

static void test_xml_escape(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(s3__xml_escape(&b, "a&b<c>d\"e'f\tg\nh\ri \xC3\xA9"), 0);
    assert_string_equal(buf_cstr(&b), "a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i \xC3\xA9");
    buf_reset(&b);
    assert_int_equal(s3__xml_escape(&b, "bell\x07"), SEAU_E_VALIDATION);
    buf_done(&b);
    struct buf tiny;
    buf_init(&tiny, 4);
    assert_int_equal(s3__xml_escape(&tiny, "&&"), SEAU_E_TOO_LARGE);
    buf_done(&tiny);
}

static void test_ranges(void **state)
{
    (void)state;
    static const struct {
        const char *r;
        bool ok;
    } cases[] = {
        {"bytes=0-99", true}, {"bytes=100-", true},   {"bytes=-500", true},
        {"bytes=5-5", true},  {"bytes=6-5", false},   {"bytes=-", false},
        {"bytes=", false},    {"bytes=a-b", false},   {"bytes=0-1,5-6", false},
        {"items=0-1", false}, {"bytes=1-2-3", false}, {"bytes=99999999999999999999-", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (s3__range_valid(cases[i].r) != cases[i].ok)
            fail_msg("%s", cases[i].r);

    int64_t f, l, s;
    assert_int_equal(s3__parse_content_range("bytes 0-99/1234", &f, &l, &s), 0);
    assert_int_equal(f, 0);
    assert_int_equal(l, 99);
    assert_int_equal(s, 1234);
    assert_int_equal(s3__parse_content_range("bytes */1234", &f, &l, &s), 0);
    assert_int_equal(f, -1);
    assert_int_equal(s, 1234);
    assert_int_equal(s3__parse_content_range("bytes 0-9/*", &f, &l, &s), 0);
    assert_int_equal(s, -1);
    assert_int_equal(s3__parse_content_range("bytes 9-0/10", &f, &l, &s), SEAU_E_VALIDATION);
    assert_int_equal(s3__parse_content_range("0-9/10", &f, &l, &s), SEAU_E_VALIDATION);
    assert_int_equal(s3__parse_content_range("bytes 0-9", &f, &l, &s), SEAU_E_VALIDATION);
}

static void test_etag_quoting(void **state)
{
    (void)state;
    char e[S3_ETAG_SIZE];
    assert_true(s3__set_etag(e, "\"abc\""));
    assert_string_equal(e, "\"abc\"");
    assert_true(s3__set_etag(e, "abc-3"));
    assert_string_equal(e, "\"abc-3\"");
    assert_true(s3__set_etag(e, ""));
    assert_string_equal(e, "");
    char big[S3_ETAG_SIZE + 1];
    memset(big, 'e', S3_ETAG_SIZE);
    big[S3_ETAG_SIZE] = '\0';
    assert_false(s3__set_etag(e, big));
    big[S3_ETAG_SIZE - 3] = '\0'; /* 253 bytes + 2 quotes + NUL = 256: fits */
    assert_true(s3__set_etag(e, big));
    big[S3_ETAG_SIZE - 3] = 'e'; /* 254 bytes: does not */
    big[S3_ETAG_SIZE - 2] = '\0';
    assert_false(s3__set_etag(e, big));
}

static void test_content_md5(void **state)
{
    (void)state;
    char md5[25];
    assert_int_equal(s3__content_md5("", 0, md5), 0);
    assert_string_equal(md5, "1B2M2Y8AsgTpgAmY7PhCfg==");
    assert_int_equal(s3__content_md5("The quick brown fox jumps over the lazy dog", 43, md5), 0);
    assert_string_equal(md5, "nhB9nTcrtoJr2B01QqQZ1g==");
}

/* Feeds header lines to the parser as libcurl would. */
static void unit_headers(struct s3__xfer *x, const char *const *lines)
{
    for (; *lines; lines++) {
        char line[2048];
        size_t n = strlen(*lines);
        assert_true(n < sizeof(line));
        memcpy(line, *lines, n);
        assert_int_equal(s3__on_header_line(line, 1, n, x), n);
    }
}

static void test_header_parsing(void **state)
{
    (void)state;
    struct s3__req rq = {.op = "HeadObject", .method = "HEAD"};
    struct s3__xfer x;
    s3__xfer_init(&x, NULL, &rq);
    static const char *const lines[] = {
        "HTTP/1.1 100 Continue\r\n",
        "X-Amz-Meta-Stale: yes\r\n",
        "\r\n",
        "HTTP/1.1 206 Partial Content\r\n",
        "ETag: \"d41d8cd98f00b204e9800998ecf8427e\"\r\n",
        "Content-Length: 100\r\n",
        "Content-Type:  text/plain; charset=utf-8 \r\n",
        "Content-Range: bytes 0-99/1000\r\n",
        "Last-Modified: Wed, 12 Oct 2009 17:50:00 GMT\r\n",
        "x-amz-request-id: 4442587FB7D0A2F9\r\n",
        "x-amz-version-id: 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY\r\n",
        "x-amz-delete-marker: false\r\n",
        "X-Amz-Meta-Author: Ada\r\n",
        "x-amz-meta-empty:\r\n",
        "Content-Disposition: attachment; filename=\"a b.txt\"\r\n",
        "\r\n",
        NULL,
    };
    unit_headers(&x, lines);
    assert_int_equal(x.status, 206);
    assert_true(x.headers_done);
    assert_false(x.header_bad);
    assert_string_equal(x.head.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_int_equal(x.head.content_length, 100);
    assert_string_equal(x.head.content_type, "text/plain; charset=utf-8");
    assert_int_equal(x.head.range_first, 0);
    assert_int_equal(x.head.range_last, 99);
    assert_int_equal(x.head.object_size, 1000);
    assert_int_equal(x.head.last_modified_ms, INT64_C(1255369800000));
    assert_string_equal(x.head.request_id, "4442587FB7D0A2F9");
    assert_string_equal(x.head.version_id, "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
    assert_false(x.head.delete_marker);
    assert_string_equal(x.head.content_disposition, "attachment; filename=\"a b.txt\"");
    /* The 100 Continue block's headers were dropped; names are lowercased. */
    assert_int_equal(x.head.meta_count, 2);
    assert_string_equal(x.head.meta[0].name, "author");
    assert_string_equal(x.head.meta[0].value, "Ada");
    assert_string_equal(x.head.meta[1].name, "empty");
    assert_string_equal(x.head.meta[1].value, "");
    s3__xfer_done(&x);

    /* A value too long for its field marks the answer bad; so does a bad length. */
    s3__xfer_init(&x, NULL, &rq);
    char etag[S3_ETAG_SIZE + 16] = "ETag: ";
    memset(etag + 6, 'x', S3_ETAG_SIZE);
    memcpy(etag + 6 + S3_ETAG_SIZE, "\r\n", 3);
    const char *const bad[] = {"HTTP/1.1 200 OK\r\n", etag, "\r\n", NULL};
    unit_headers(&x, bad);
    assert_true(x.header_bad);
    s3__xfer_done(&x);
    s3__xfer_init(&x, NULL, &rq);
    const char *const bad_len[] = {"HTTP/1.1 200 OK\r\n", "Content-Length: -5\r\n",
                                   "x-amz-delete-marker: true\r\n", "\r\n", NULL};
    unit_headers(&x, bad_len);
    assert_true(x.header_bad);
    assert_true(x.head.delete_marker);
    s3__xfer_done(&x);

    /* More than S3_MAX_META_COUNT metadata headers: bad, bounded. */
    s3__xfer_init(&x, NULL, &rq);
    const char *const start[] = {"HTTP/1.1 200 OK\r\n", NULL};
    unit_headers(&x, start);
    for (int i = 0; i <= S3_MAX_META_COUNT; i++) {
        char line[64];
        int n = snprintf(line, sizeof(line), "x-amz-meta-k%d: v\r\n", i);
        s3__on_header_line(line, 1, (size_t)n, &x);
    }
    assert_true(x.header_bad);
    assert_int_equal(x.head.meta_count, S3_MAX_META_COUNT);
    s3__xfer_done(&x);
}

/* ============================== encoded listings ============================== */

/* Parses doc split in two at `split` through the listing filter, as the
 * transport does, then applies the client's decoding. */
static int unit_listing(const char *doc, size_t split, const struct s3_list_params *sent,
                        struct s3_xml_answer *ret)
{
    struct s3__req rq = {.op = "ListObjectsV2",
                         .method = "GET",
                         .want = S3__XML,
                         .xml_kind = S3_XML_LIST_OBJECTS_V2,
                         .url_listing = true,
                         .sent_prefix = sent ? sent->prefix : NULL,
                         .sent_delimiter = sent ? sent->delimiter : NULL,
                         .sent_marker = sent ? sent->start_after : NULL};
    struct s3__xfer x;
    s3__xfer_init(&x, NULL, &rq);
    struct s3_xml_limits lim = {.max_key = 3 * S3_MAX_KEY};
    x.xml = s3_xml_new(S3_XML_LIST_OBJECTS_V2, &lim);
    assert_non_null(x.xml);
    size_t n = strlen(doc);
    int rc = s3__feed_listing(&x, doc, split);
    if (rc == 0)
        rc = s3__feed_listing(&x, doc + split, n - split);
    if (rc == 0 && x.strip > 0)
        rc = s3_xml_feed(x.xml, s3__enc_url, x.strip);
    struct s3_xml_answer a;
    if (rc == 0)
        rc = s3_xml_finish(x.xml, &a);
    if (rc == 0 && x.saw_url) {
        rc = s3__url_fix(&rq, &a);
        if (rc != 0)
            s3_xml_answer_done(&a);
    }
    s3__xfer_done(&x);
    if (rc == 0)
        *ret = a;
    return rc;
}

static void test_listing_decoding(void **state)
{
    (void)state;
    /* Ceph RGW 16: keys and common prefixes encoded, echoes raw. */
    static const char rgw[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
        "<Prefix>50%cent+more/</Prefix><StartAfter>a+b</StartAfter><KeyCount>2</KeyCount>"
        "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>"
        "<EncodingType>url</EncodingType>"
        "<Contents><Key>50%25cent%2Bmore%2Fa%20b%2Bc</Key><Size>1</Size></Contents>"
        "<Contents><Key>50%25cent%2Bmore%2Fcaf%C3%A9</Key><Size>2</Size></Contents>"
        "<CommonPrefixes><Prefix>50%25cent%2Bmore/d%20ir/</Prefix></CommonPrefixes>"
        "</ListBucketResult>";
    /* AWS: everything encoded, EncodingType last. */
    static const char aws[] =
        "<ListBucketResult><Name>b</Name><Prefix>50%25cent%2Bmore%2F</Prefix>"
        "<StartAfter>a%2Bb</StartAfter><Delimiter>%2F</Delimiter>"
        "<Contents><Key>50%25cent%2Bmore%2Fa%20b%2Bc</Key><Size>1</Size></Contents>"
        "<Contents><Key>50%25cent%2Bmore%2Fcaf%C3%A9</Key><Size>2</Size></Contents>"
        "<CommonPrefixes><Prefix>50%25cent%2Bmore%2Fd%20ir%2F</Prefix></CommonPrefixes>"
        "<IsTruncated>false</IsTruncated><EncodingType>url</EncodingType></ListBucketResult>";
    const char *docs[] = {rgw, aws};
    for (size_t d = 0; d < 2; d++) {
        for (size_t split = 0; split <= strlen(docs[d]); split++) {
            struct s3_xml_answer a;
            struct s3_list_params sent = {
                .prefix = "50%cent+more/", .delimiter = "/", .start_after = "a+b"};
            int rc = unit_listing(docs[d], split, &sent, &a);
            if (rc != 0)
                fail_msg("doc %zu split %zu: %s", d, split, err_name(rc));
            const struct s3_object_list *l = &a.objects;
            assert_int_equal(l->object_count, 2);
            assert_string_equal(l->objects[0].key, "50%cent+more/a b+c");
            assert_string_equal(l->objects[1].key, "50%cent+more/caf\xC3\xA9");
            assert_int_equal(l->common_prefix_count, 1);
            assert_string_equal(l->common_prefixes[0], "50%cent+more/d ir/");
            assert_string_equal(l->prefix, "50%cent+more/");
            assert_string_equal(l->delimiter, "/");
            assert_string_equal(l->start_after, "a+b");
            assert_string_equal(l->encoding_type, "");
            s3_xml_answer_done(&a);
        }
    }

    /* A server that ignores encoding-type (s3rver): nothing is decoded. */
    static const char plain[] = "<ListBucketResult><Name>b</Name><Prefix>a+b%20</Prefix>"
                                "<Contents><Key>a+b%20c</Key></Contents>"
                                "<IsTruncated>false</IsTruncated></ListBucketResult>";
    struct s3_xml_answer a;
    struct s3_list_params sent_plain = {.prefix = "a+b%20"};
    assert_int_equal(unit_listing(plain, 7, &sent_plain, &a), 0);
    assert_string_equal(a.objects.objects[0].key, "a+b%20c");
    assert_string_equal(a.objects.prefix, "a+b%20");
    s3_xml_answer_done(&a);

    /* Text that only starts like the element is passed through. */
    static const char near[] = "<ListBucketResult><Name>&lt;EncodingType&gt;</Name>"
                               "<Contents><Key>k%20</Key></Contents>"
                               "<EncodingType>url</EncodingType>"
                               "<IsTruncated>false</IsTruncated></ListBucketResult>";
    for (size_t split = 0; split <= strlen(near); split++) {
        assert_int_equal(unit_listing(near, split, NULL, &a), 0);
        assert_string_equal(a.objects.name, "<EncodingType>");
        assert_string_equal(a.objects.objects[0].key, "k ");
        s3_xml_answer_done(&a);
    }

    /* A bad escape in a key fails the answer; a 1024-byte key encoded to
     * 3072 bytes fits, a 1025-byte one does not. */
    static const char bad[] = "<ListBucketResult><EncodingType>url</EncodingType>"
                              "<Contents><Key>a%zz</Key></Contents></ListBucketResult>";
    assert_int_equal(unit_listing(bad, 0, NULL, &a), SEAU_E_UNAVAILABLE);
    struct buf doc;
    buf_init(&doc, 16384);
    for (int len = 1024; len <= 1025; len++) {
        buf_reset(&doc);
        assert_int_equal(buf_append_str(&doc, "<ListBucketResult><EncodingType>url</EncodingType>"
                                              "<Contents><Key>"),
                         0);
        for (int i = 0; i < len; i++)
            assert_int_equal(buf_append_str(&doc, "%20"), 0);
        assert_int_equal(buf_append_str(&doc, "</Key></Contents></ListBucketResult>"), 0);
        int rc = unit_listing(buf_cstr(&doc), 100, NULL, &a);
        if (len == 1024) {
            assert_int_equal(rc, 0);
            assert_int_equal(strlen(a.objects.objects[0].key), 1024);
            s3_xml_answer_done(&a);
        } else {
            assert_int_equal(rc, SEAU_E_TOO_LARGE);
        }
    }
    buf_done(&doc);
}

/* ========================== request building and config ========================== */

static int64_t unit_clock_2013(void *ctx)
{
    (void)ctx;
    return INT64_C(1369353600000); /* 2013-05-24T00:00:00Z */
}

static struct s3_cred_provider *unit_provider(const char *ak, const char *sk)
{
    struct s3_cred_env env = {.access_key_id = ak, .secret_access_key = sk};
    struct s3_cred_provider *p = NULL;
    assert_int_equal(s3_credentials_open(&env, &p), 0);
    return p;
}

static void test_config_validation(void **state)
{
    (void)state;
    struct s3_cred_provider *p = unit_provider("AKID", "secret");
    struct s3_client *c = NULL;
    struct s3_config cfg = {.endpoint = "http://127.0.0.1:1"};
    assert_int_equal(s3_client_new(&cfg, p, &c), 0);
    assert_string_equal(s3_client_region(c), "us-east-1");
    assert_int_equal(c->max_retries, S3_DEFAULT_MAX_RETRIES);
    assert_int_equal(c->backoff_base_ms, 100);
    assert_int_equal(c->backoff_cap_ms, 5000);
    assert_int_equal(c->low_speed_time_s, 30);
    s3_client_free(c);

    static const struct s3_config bad[] = {
        {.endpoint = "gopher://x"},
        {.endpoint = "http://x/path"},
        {.region = "bad region"},
        {.max_retries = 11},
        {.max_retries = -2},
        {.backoff_base_ms = 6000},
        {.backoff_cap_ms = 120000},
        {.connect_timeout_ms = -1},
        {.user_agent = "evil\r\nX-Injected: 1"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = NULL;
        if (s3_client_new(&bad[i], p, &c) != SEAU_E_VALIDATION)
            fail_msg("bad config %zu accepted", i);
        assert_null(c);
    }
    struct s3_config none = {.max_retries = S3_NO_RETRIES};
    assert_int_equal(s3_client_new(&none, p, &c), 0);
    assert_int_equal(c->max_retries, 0);
    s3_client_free(c);
    s3_credentials_free(p);
}

/* Operations refuse bad input before anything is sent (the endpoint is a
 * closed port: reaching it would fail differently). */
static void test_input_checks(void **state)
{
    (void)state;
    struct s3_cred_provider *p = unit_provider("AKID", "secret");
    struct s3_client *c = NULL;
    struct s3_config cfg = {.endpoint = "http://127.0.0.1:1", .max_retries = S3_NO_RETRIES};
    assert_int_equal(s3_client_new(&cfg, p, &c), 0);
    struct s3_error e;
    struct s3_object_head h;
    struct s3_xml_answer a;
    assert_int_equal(s3_head_object(c, "b", "", NULL, &h, &e), SEAU_E_VALIDATION);
    assert_string_equal(e.code, "InvalidInput");
    assert_int_equal(s3_head_object(c, "b/x", "k", NULL, &h, &e), SEAU_E_VALIDATION);
    struct s3_get_options bad_range = {.range = "bytes=9-1"};
    assert_int_equal(s3_head_object(c, "b", "k", &bad_range, &h, &e), SEAU_E_VALIDATION);
    struct s3_get_options crlf = {.if_match = "\"x\"\r\nX: y"};
    assert_int_equal(s3_head_object(c, "b", "k", &crlf, &h, &e), SEAU_E_VALIDATION);
    struct s3_list_params lp = {.max_keys = 1001};
    assert_int_equal(s3_list_objects_v2(c, "b", &lp, &a, &e), SEAU_E_VALIDATION);

    struct s3_object_id ids[S3_MAX_DELETE_BATCH + 1];
    for (size_t i = 0; i <= S3_MAX_DELETE_BATCH; i++)
        ids[i] = (struct s3_object_id){"k", NULL};
    assert_int_equal(s3_delete_objects(c, "b", ids, S3_MAX_DELETE_BATCH + 1, true, &a, &e),
                     SEAU_E_TOO_LARGE);
    ids[0].key = "bell\x07";
    assert_int_equal(s3_delete_objects(c, "b", ids, 1, true, &a, &e), SEAU_E_VALIDATION);

    struct s3_meta meta_bad[] = {{"bad name", "v"}};
    struct s3_put_options po = {.meta = meta_bad, .meta_count = 1};
    struct s3_body body = s3_body_buffer("x", 1);
    assert_int_equal(s3_put_object(c, "b", "k", &body, &po, NULL, &e), SEAU_E_VALIDATION);
    struct s3_meta meta_utf8[] = {{"name", "caf\xC3\xA9"}};
    po.meta = meta_utf8;
    assert_int_equal(s3_put_object(c, "b", "k", &body, &po, NULL, &e), SEAU_E_VALIDATION);
    char big[S3_MAX_META + 2];
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct s3_meta meta_big[] = {{"n", big}};
    po.meta = meta_big;
    assert_int_equal(s3_put_object(c, "b", "k", &body, &po, NULL, &e), SEAU_E_VALIDATION);
    big[S3_MAX_META - 1] = '\0'; /* name 1 + value 2047: at the limit, accepted (then refused
                                    by the closed port) */
    assert_int_equal(s3_put_object(c, "b", "k", &body, &po, NULL, &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "ConnectionFailed");

    struct s3_put_result pr;
    assert_int_equal(s3_upload_part(c, "b", "k", "id", 0, &body, &pr, &e), SEAU_E_VALIDATION);
    assert_int_equal(s3_upload_part(c, "b", "k", "id", S3_MAX_PARTS + 1, &body, &pr, &e),
                     SEAU_E_VALIDATION);
    struct s3_completed_part parts[2] = {{2, "\"a\""}, {1, "\"b\""}};
    assert_int_equal(s3_complete_multipart_upload(c, "b", "k", "id", parts, 2, NULL, &e),
                     SEAU_E_VALIDATION);
    char *url = NULL;
    assert_int_equal(s3_presign_get(c, "b", "k", 0, NULL, &url, &e), SEAU_E_VALIDATION);
    assert_int_equal(s3_presign_get(c, "b", "k", S3_MAX_EXPIRES + 1, NULL, &url, &e),
                     SEAU_E_VALIDATION);
    assert_int_equal(s3_presign_get(c, "b", "k", S3_MAX_EXPIRES, NULL, &url, &e), 0);
    free(url);
    s3_client_free(c);
    s3_credentials_free(p);
}

/*
 * The presigned GET example of the AWS documentation ("Authenticating
 * Requests: Using Query Parameters"): examplebucket/test.txt, 86400 s, at
 * 2013-05-24T00:00:00Z, virtual-hosted on s3.amazonaws.com.
 */
static void test_presign_aws_example(void **state)
{
    (void)state;
    struct s3_cred_provider *p =
        unit_provider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    struct s3_client *c = NULL;
    struct s3_config cfg = {.endpoint = "https://s3.amazonaws.com",
                            .addressing = S3_ADDRESSING_VIRTUAL,
                            .now_ms = unit_clock_2013};
    assert_int_equal(s3_client_new(&cfg, p, &c), 0);
    char *url = NULL;
    struct s3_error e;
    assert_int_equal(s3_presign_get(c, "examplebucket", "test.txt", 86400, NULL, &url, &e), 0);
    assert_string_equal(
        url, "https://examplebucket.s3.amazonaws.com/test.txt"
             "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
             "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
             "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
             "&X-Amz-Signature="
             "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    free(url);

    /* Part URLs carry partNumber and uploadId, signed. */
    assert_int_equal(
        s3_presign_upload_part(c, "examplebucket", "big file", "up/1", 7, 600, &url, &e), 0);
    assert_non_null(strstr(url, "https://examplebucket.s3.amazonaws.com/big%20file?"));
    assert_non_null(strstr(url, "partNumber=7"));
    assert_non_null(strstr(url, "uploadId=up%2F1"));
    assert_non_null(strstr(url, "X-Amz-Expires=600"));
    free(url);
    url = NULL;
    assert_int_equal(s3_presign_put(c, "examplebucket", "k", 1, &url, &e), 0);
    free(url);
    url = NULL;
    struct s3_get_options go = {.range = "bytes=0-1"};
    assert_int_equal(s3_presign_get(c, "examplebucket", "k", 60, &go, &url, &e), SEAU_E_VALIDATION);
    s3_client_free(c);
    s3_credentials_free(p);
}

/* ================================ the attempt observer ================================ */

struct observed {
    int n;
    char op[8][32];
    int status[8];
    double seconds[8];
};

static void record_attempt(void *ctx, const char *operation, int http_status, double seconds)
{
    struct observed *o = ctx;
    if (o->n < 8) {
        snprintf(o->op[o->n], sizeof(o->op[o->n]), "%s", operation);
        o->status[o->n] = http_status;
        o->seconds[o->n] = seconds;
    }
    o->n++;
}

static void no_sleep(void *ctx, int64_t ms)
{
    (void)ctx;
    (void)ms;
}

static void test_observer(void **state)
{
    (void)state;
    struct fake_s3 fs;
    fake_s3_start(&fs);
    struct observed o = {0};
    s3_client_set_observer(fs.client, record_attempt, &o);
    struct s3_error e;
    struct s3_xml_answer a;
    struct s3_list_params lp = {.max_keys = 10};
    assert_int_equal(s3_list_objects_v2(fs.client, "b", &lp, &a, &e), 0);
    s3_xml_answer_done(&a);
    struct s3_object_head h;
    assert_int_equal(s3_head_object(fs.client, "b", "k", NULL, &h, &e), SEAU_E_NOT_FOUND);
    struct s3_body body = s3_body_buffer("x", 1);
    assert_int_equal(s3_put_object(fs.client, "b", "k", &body, NULL, NULL, &e), 0);
    assert_int_equal(o.n, 3);
    assert_string_equal(o.op[0], "ListObjectsV2");
    assert_int_equal(o.status[0], 200);
    assert_string_equal(o.op[1], "HeadObject");
    assert_int_equal(o.status[1], 404);
    assert_string_equal(o.op[2], "PutObject");
    assert_int_equal(o.status[2], 200);
    for (int i = 0; i < 3; i++)
        assert_true(o.seconds[i] > 0 && o.seconds[i] < 10);
    /* Removed: no more calls. */
    s3_client_set_observer(fs.client, NULL, NULL);
    assert_int_equal(s3_put_object(fs.client, "b", "k", &body, NULL, NULL, &e), 0);
    assert_int_equal(o.n, 3);
    fake_s3_stop(&fs);

    /* Every attempt is seen, retries included; no answer is status 0. */
    struct s3_cred_provider *p = unit_provider("AKID", "secret");
    struct s3_client *c = NULL;
    struct s3_config cfg = {.endpoint = "http://127.0.0.1:1", .max_retries = 2};
    assert_int_equal(s3_client_new(&cfg, p, &c), 0);
    c->sleep_ms = no_sleep;
    struct observed r = {0};
    s3_client_set_observer(c, record_attempt, &r);
    assert_int_equal(s3_put_object(c, "b", "k", &body, NULL, NULL, &e), SEAU_E_UNAVAILABLE);
    assert_int_equal(r.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(r.op[i], "PutObject");
        assert_int_equal(r.status[i], 0);
    }
    s3_client_free(c);
    s3_credentials_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_aws),      cmocka_unit_test(test_endpoint_custom),
        cmocka_unit_test(test_endpoint_region),   cmocka_unit_test(test_bucket_names),
        cmocka_unit_test(test_target_addressing), cmocka_unit_test(test_target_keys),
        cmocka_unit_test(test_copy_source),       cmocka_unit_test(test_retry_classification),
        cmocka_unit_test(test_backoff_bounds),    cmocka_unit_test(test_error_mapping),
        cmocka_unit_test(test_error_describe),    cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_xml_escape),        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_etag_quoting),      cmocka_unit_test(test_content_md5),
        cmocka_unit_test(test_header_parsing),    cmocka_unit_test(test_listing_decoding),
        cmocka_unit_test(test_config_validation), cmocka_unit_test(test_input_checks),
        cmocka_unit_test(test_observer),          cmocka_unit_test(test_presign_aws_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
