/*
 * Tests for src/s3/sigv4.c (STYLE.md rules 17 and 18).
 *
 * The first half is table-driven tests of each pipeline step, reached by
 * including the .c. The second half replays the conformance data in
 * SEAU_TESTDATA_DIR "/sigv4" at run time: the AWS SigV4 test suite (header
 * and query signing of every case) and the botocore S3/SQS vectors. Both
 * print how many cases passed and fail on any failure, or when no case was
 * found: missing data is a failure, never a skip.
 *
 * Every function here is static (only main is exported), and test helpers
 * are prefixed sigv4_test_ so they cannot clash with the module's statics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../../src/s3/sigv4.c"

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef SEAU_TESTDATA_DIR
#error "SEAU_TESTDATA_DIR must name the shared testdata directory"
#endif

#define SIGV4_TEST_SUITE_DIR    SEAU_TESTDATA_DIR "/sigv4/suite"
#define SIGV4_TEST_VECTORS_FILE SEAU_TESTDATA_DIR "/sigv4/s3-sqs-vectors.json"
#define SIGV4_TEST_MAX_PAIRS    128
#define SIGV4_TEST_MAX_FILE     (1024 * 1024)

/* The suite's instant, 2015-08-30T12:36:00Z, and the vectors' 2024-01-15T12:34:56Z. */
#define SIGV4_TEST_T2015 ((time_t)1440938160)
#define SIGV4_TEST_T2024 ((time_t)1705322096)

static struct slice sigv4_test_s(const char *s)
{
    return slice_from_cstr(s);
}

static void sigv4_test_assert_buf(const struct buf *b, const char *want)
{
    assert_string_equal(buf_cstr(b), want);
    assert_int_equal(b->len, strlen(want));
}

/* ================================ pure steps, table-driven ================================ */

static void test_uri_encode(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len; /* 0: strlen(in) */
        bool keep_slash;
        const char *want;
    } cases[] = {
        {"", 0, false, ""},
        {"AZaz09-_.~", 0, false, "AZaz09-_.~"},
        {" ", 0, false, "%20"},
        {"+", 0, false, "%2B"},
        {"a b+c", 0, true, "a%20b%2Bc"},
        {"/a/b/", 0, true, "/a/b/"},
        {"/a/b/", 0, false, "%2Fa%2Fb%2F"},
        {"!'()*", 0, false, "%21%27%28%29%2A"},
        {"?#[]@$&=;:,", 0, true, "%3F%23%5B%5D%40%24%26%3D%3B%3A%2C"},
        {"%", 0, false, "%25"},
        {"%20", 0, true, "%2520"},
        {"caf\xC3\xA9", 0, false, "caf%C3%A9"},
        {"\xE1\x88\xB4", 0, true, "%E1%88%B4"},
        {"\xFF\x7F", 0, false, "%FF%7F"},
        {"a\0b", 3, false, "a%00b"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct buf b;
        buf_init(&b, 1024);
        struct slice in = {cases[i].in, cases[i].len ? cases[i].len : strlen(cases[i].in)};
        assert_int_equal(sigv4_uri_encode(in, cases[i].keep_slash, &b), 0);
        sigv4_test_assert_buf(&b, cases[i].want);
        buf_done(&b);
    }

    /* It appends, and leaves the buffer as it was when the maximum is hit. */
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_append_str(&b, "x="), 0);
    assert_int_equal(sigv4_uri_encode(sigv4_test_s("a b"), false, &b), 0);
    sigv4_test_assert_buf(&b, "x=a%20b");
    assert_int_equal(sigv4_uri_encode(sigv4_test_s("ab "), false, &b), SEAU_E_TOO_LARGE);
    sigv4_test_assert_buf(&b, "x=a%20b");
    buf_done(&b);
}

static void test_payload_hash(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        bool sign;
        const char *want;
    } cases[] = {
        {"", true, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"Param1=value1", true, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"},
        {"Param1=value1", false, "UNSIGNED-PAYLOAD"},
        {NULL, false, "UNSIGNED-PAYLOAD"},
        {NULL, true, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char h[SIGV4_PAYLOAD_HASH_SIZE];
        size_t len = cases[i].body ? strlen(cases[i].body) : 0;
        assert_int_equal(sigv4_payload_hash(cases[i].body, len, cases[i].sign, h), 0);
        assert_string_equal(h, cases[i].want);
    }
    char h[SIGV4_PAYLOAD_HASH_SIZE];
    assert_int_equal(sigv4_payload_hash(NULL, 3, true, h), SEAU_E_VALIDATION);
}

static void test_amz_date(void **state)
{
    (void)state;
    static const struct {
        time_t t;
        int rc;
        const char *want;
    } cases[] = {
        {SIGV4_TEST_T2015, 0, "20150830T123600Z"},
        {SIGV4_TEST_T2024, 0, "20240115T123456Z"},
        {(time_t)1704067199, 0, "20231231T235959Z"}, /* date boundary */
        {(time_t)1704067200, 0, "20240101T000000Z"},
        {(time_t)0, 0, "19700101T000000Z"},
        {(time_t)253402300799, 0, "99991231T235959Z"},
        {(time_t)253402300800, SEAU_E_RANGE, NULL}, /* year 10000 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char d[SIGV4__AMZ_DATE_SIZE] = "unchanged";
        assert_int_equal(sigv4__amz_date(cases[i].t, d), cases[i].rc);
        assert_string_equal(d, cases[i].want ? cases[i].want : "unchanged");
    }
}

static void test_credential_scope(void **state)
{
    (void)state;
    static const struct {
        const char *date, *region, *service, *want;
    } cases[] = {
        {"20150830T123600Z", "us-east-1", "service", "20150830/us-east-1/service/aws4_request"},
        {"20231231T235959Z", "eu-west-3", "s3", "20231231/eu-west-3/s3/aws4_request"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct buf b;
        buf_init(&b, 256);
        assert_int_equal(sigv4__credential_scope(cases[i].date, sigv4_test_s(cases[i].region),
                                                 sigv4_test_s(cases[i].service), &b),
                         0);
        sigv4_test_assert_buf(&b, cases[i].want);
        buf_done(&b);
    }
}

static void test_canonical_path(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        enum sigv4__path_rule rule;
        int rc;
        const char *want;
    } cases[] = {
        /* S3: the sent path as it stands; "//", "." and ".." are part of keys. */
        {"/", SIGV4__PATH_S3, 0, "/"},
        {"/my-bucket", SIGV4__PATH_S3, 0, "/my-bucket"},
        {"/my-bucket//leading.txt", SIGV4__PATH_S3, 0, "/my-bucket//leading.txt"},
        {"/a//b///c.txt", SIGV4__PATH_S3, 0, "/a//b///c.txt"},
        {"/a/./b/../c.txt", SIGV4__PATH_S3, 0, "/a/./b/../c.txt"},
        {"/100%25/already%2520encoded%252B.txt", SIGV4__PATH_S3, 0,
         "/100%25/already%2520encoded%252B.txt"},
        {"/~user/file~1.txt", SIGV4__PATH_S3, 0, "/~user/file~1.txt"},
        {"/a b", SIGV4__PATH_S3, SEAU_E_VALIDATION, NULL},  /* not encoded */
        {"/a+b", SIGV4__PATH_S3, SEAU_E_VALIDATION, NULL},  /* '+' must be %2B */
        {"/a%2", SIGV4__PATH_S3, SEAU_E_VALIDATION, NULL},  /* cut escape */
        {"/a%zz", SIGV4__PATH_S3, SEAU_E_VALIDATION, NULL}, /* bad escape */
        {"a", SIGV4__PATH_S3, SEAU_E_VALIDATION, NULL},     /* relative */
        {"", SIGV4__PATH_S3, SEAU_E_VALIDATION, NULL},      /* empty */
        {"", SIGV4__PATH_ENCODE, SEAU_E_VALIDATION, NULL},  /* empty */
        /* Other services: the sent path encoded again. */
        {"/example space/", SIGV4__PATH_ENCODE, 0, "/example%20space/"},
        {"/%20", SIGV4__PATH_ENCODE, 0, "/%2520"},
        {"//example//", SIGV4__PATH_ENCODE, 0, "//example//"},
        {"/./", SIGV4__PATH_ENCODE, 0, "/./"},
        {"/\xE1\x88\xB4", SIGV4__PATH_ENCODE, 0, "/%E1%88%B4"},
        /* Other services with normalisation (the suite's *-normalized cases and RFC 3986). */
        {"/", SIGV4__PATH_NORMALIZE, 0, "/"},
        {"//", SIGV4__PATH_NORMALIZE, 0, "/"},
        {"/./", SIGV4__PATH_NORMALIZE, 0, "/"},
        {"/..", SIGV4__PATH_NORMALIZE, 0, "/"},
        {"/example/..", SIGV4__PATH_NORMALIZE, 0, "/"},
        {"/example1/example2/../..", SIGV4__PATH_NORMALIZE, 0, "/"},
        {"/./example", SIGV4__PATH_NORMALIZE, 0, "/example"},
        {"//example//", SIGV4__PATH_NORMALIZE, 0, "/example/"},
        {"/a/b/..", SIGV4__PATH_NORMALIZE, 0, "/a/"},
        {"/a/b/.", SIGV4__PATH_NORMALIZE, 0, "/a/b/"},
        {"/a/./b/../c", SIGV4__PATH_NORMALIZE, 0, "/a/c"},
        {"/.../..a/a..", SIGV4__PATH_NORMALIZE, 0, "/.../..a/a.."},
        {"/a b/../c d", SIGV4__PATH_NORMALIZE, 0, "/c%20d"},
        {"/example space/", SIGV4__PATH_NORMALIZE, 0, "/example%20space/"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct buf b;
        buf_init(&b, 1024);
        assert_int_equal(buf_append_str(&b, "<"), 0);
        int rc = sigv4__canonical_path(sigv4_test_s(cases[i].path), cases[i].rule, &b);
        if (rc != cases[i].rc)
            fail_msg("path '%s' rule %d: rc %d, want %d", cases[i].path, (int)cases[i].rule, rc,
                     cases[i].rc);
        if (rc == 0) {
            assert_int_equal(b.data[0], '<');
            assert_string_equal(buf_cstr(&b) + 1, cases[i].want);
        } else {
            sigv4_test_assert_buf(&b, "<");
        }
        buf_done(&b);
    }
}

static void test_canonical_query(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        struct sigv4_pair q[4];
        const char *want;
    } cases[] = {
        {0, {{{NULL, 0}, {NULL, 0}}}, ""},
        {2,
         {{SLICE_LIT("Param2"), SLICE_LIT("value2")}, {SLICE_LIT("Param1"), SLICE_LIT("value1")}},
         "Param1=value1&Param2=value2"},
        /* Sorted by encoded name: '%' < 'P', and "Param" before "Param-3". */
        {3,
         {{SLICE_LIT("Param-3"), SLICE_LIT("Value3")},
          {SLICE_LIT("Param"), SLICE_LIT("Value2")},
          {SLICE_LIT("\xE1\x88\xB4"), SLICE_LIT("Value1")}},
         "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"},
        /* By encoded, not raw, bytes: raw 'z' < 0xC3, encoded '%' < 'z'. */
        {2,
         {{SLICE_LIT("z"), SLICE_LIT("1")}, {SLICE_LIT("\xC3\xA9"), SLICE_LIT("2")}},
         "%C3%A9=2&z=1"},
        /* Same name: by value. */
        {2, {{SLICE_LIT("a"), SLICE_LIT("2")}, {SLICE_LIT("a"), SLICE_LIT("1")}}, "a=1&a=2"},
        /* Upper case sorts before lower case. */
        {2,
         {{SLICE_LIT("partNumber"), SLICE_LIT("1")}, {SLICE_LIT("X-Amz-Date"), SLICE_LIT("x")}},
         "X-Amz-Date=x&partNumber=1"},
        {1, {{SLICE_LIT("acl"), SLICE_LIT("")}}, "acl="},
        {2,
         {{SLICE_LIT("prefix"), SLICE_LIT("")}, {SLICE_LIT("list-type"), SLICE_LIT("2")}},
         "list-type=2&prefix="},
        {1,
         {{SLICE_LIT("continuation-token"), SLICE_LIT("1/a+b=c&d e~%/Zz==")}},
         "continuation-token=1%2Fa%2Bb%3Dc%26d%20e~%25%2FZz%3D%3D"},
        {1,
         {{SLICE_LIT("X-Amz-SignedHeaders"), SLICE_LIT("content-type;host")}},
         "X-Amz-SignedHeaders=content-type%3Bhost"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct buf b;
        buf_init(&b, 1024);
        assert_int_equal(sigv4_canonical_query(cases[i].q, cases[i].n, &b), 0);
        sigv4_test_assert_buf(&b, cases[i].want);
        buf_done(&b);
    }

    /* Past the limit, or past the output's maximum: an error and an untouched buffer. */
    static struct sigv4_pair many[SIGV4_MAX_QUERY_PARAMS + 7];
    for (size_t i = 0; i < sizeof(many) / sizeof(*many); i++)
        many[i] = (struct sigv4_pair){SLICE_LIT("k"), SLICE_LIT("v")};
    struct buf b;
    buf_init(&b, 1024 * 1024);
    assert_int_equal(sigv4_canonical_query(many, SIGV4_MAX_QUERY_PARAMS + 6, &b), 0);
    assert_int_equal(b.len, (SIGV4_MAX_QUERY_PARAMS + 6) * 4 - 1);
    buf_reset(&b);
    assert_int_equal(sigv4_canonical_query(many, SIGV4_MAX_QUERY_PARAMS + 7, &b), SEAU_E_TOO_LARGE);
    assert_int_equal(b.len, 0);
    buf_done(&b);
    buf_init(&b, 10);
    assert_int_equal(sigv4_canonical_query(many, 3, &b), SEAU_E_TOO_LARGE);
    assert_int_equal(b.len, 0);
    buf_done(&b);
}

static void test_canonical_headers(void **state)
{
    (void)state;
    static const struct {
        size_t n;
        struct sigv4_pair h[4];
        int rc;
        const char *canonical, *signed_headers;
    } cases[] = {
        {1,
         {{SLICE_LIT("Host"), SLICE_LIT("example.amazonaws.com")}},
         0,
         "host:example.amazonaws.com\n",
         "host"},
        /* Trimmed, internal runs collapsed even inside quotes (get-header-value-trim). */
        {3,
         {{SLICE_LIT("My-Header2"), SLICE_LIT("\"a   b   c\"")},
          {SLICE_LIT("Host"), SLICE_LIT("example.amazonaws.com")},
          {SLICE_LIT("My-Header1"), SLICE_LIT(" value1")}},
         0,
         "host:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n",
         "host;my-header1;my-header2"},
        /* Repeats joined with ',' in request order, whatever their case (get-header-value-order).
         */
        {4,
         {{SLICE_LIT("My-Header1"), SLICE_LIT("value4")},
          {SLICE_LIT("Host"), SLICE_LIT("h")},
          {SLICE_LIT("my-header1"), SLICE_LIT("value1")},
          {SLICE_LIT("MY-HEADER1"), SLICE_LIT("value3")}},
         0,
         "host:h\nmy-header1:value4,value1,value3\n",
         "host;my-header1"},
        /* Lower-cased before sorting: "a" < "B". Tabs count as spaces. Empty values stay. */
        {3,
         {{SLICE_LIT("B"), SLICE_LIT("\t x \t\t y \t")},
          {SLICE_LIT("a"), SLICE_LIT("")},
          {SLICE_LIT("x-amz-meta-note"), SLICE_LIT("  padded   value  with  spaces ")}},
         0,
         "a:\nb:x y\nx-amz-meta-note:padded value with spaces\n",
         "a;b;x-amz-meta-note"},
        {1, {{SLICE_LIT("Bad Name"), SLICE_LIT("v")}}, SEAU_E_VALIDATION, NULL, NULL},
        {1, {{SLICE_LIT("Bad:Name"), SLICE_LIT("v")}}, SEAU_E_VALIDATION, NULL, NULL},
        {1, {{SLICE_LIT(""), SLICE_LIT("v")}}, SEAU_E_VALIDATION, NULL, NULL},
        {1, {{SLICE_LIT("X"), SLICE_LIT("a\r\nInjected: 1")}}, SEAU_E_VALIDATION, NULL, NULL},
        {1, {{SLICE_LIT("X"), SLICE_LIT("a\nb")}}, SEAU_E_VALIDATION, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct buf c, s;
        buf_init(&c, 1024);
        buf_init(&s, 1024);
        assert_int_equal(sigv4__canonical_headers(cases[i].h, cases[i].n, &c, &s), cases[i].rc);
        sigv4_test_assert_buf(&c, cases[i].rc ? "" : cases[i].canonical);
        sigv4_test_assert_buf(&s, cases[i].rc ? "" : cases[i].signed_headers);
        buf_done(&c);
        buf_done(&s);
    }

    /* Both outputs or neither: a signed-headers buffer too small leaves both untouched. */
    struct sigv4_pair h[] = {{SLICE_LIT("Host"), SLICE_LIT("h")},
                             {SLICE_LIT("X-A"), SLICE_LIT("1")}};
    struct buf c, s;
    buf_init(&c, 1024);
    buf_init(&s, 5);
    assert_int_equal(sigv4__canonical_headers(h, 2, &c, &s), SEAU_E_TOO_LARGE);
    assert_int_equal(c.len, 0);
    assert_int_equal(s.len, 0);
    buf_done(&c);
    buf_done(&s);
}

static void test_canonical_request(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(
        sigv4__canonical_request(
            SLICE_LIT("GET"), SLICE_LIT("/"), SLICE_LIT(""),
            SLICE_LIT("host:example.amazonaws.com\n"
                      "x-amz-date:20150830T123600Z\n"),
            SLICE_LIT("host;x-amz-date"),
            SLICE_LIT("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), &b),
        0);
    sigv4_test_assert_buf(&b, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                              "\nhost;x-amz-date\n"
                              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    buf_done(&b);
}

static const char sigv4_test_vanilla_creq[] =
    "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char sigv4_test_vanilla_sts[] =
    "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";

static void test_string_to_sign(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(sigv4__string_to_sign("20150830T123600Z",
                                           SLICE_LIT("20150830/us-east-1/service/aws4_request"),
                                           SLICE_LIT(sigv4_test_vanilla_creq), &b),
                     0);
    sigv4_test_assert_buf(&b, sigv4_test_vanilla_sts);
    buf_done(&b);
}

static void test_signing_key(void **state)
{
    (void)state;
    static const struct {
        const char *secret, *date, *region, *service;
        int rc;
        const char *want;
    } cases[] = {
        /* AWS documentation, "Derive a signing key". */
        {"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830T123600Z", "us-east-1", "iam", 0,
         "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"},
        /* s3-sqs-vectors.json, signing_key_hex. */
        {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20240115T123456Z", "us-east-1", "s3", 0,
         "b3561ed98303d4f5d28b6c09e1f0d7221ee39ebcb4d28e83b695050c848662d6"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        unsigned char key[SIGV4__KEY_SIZE];
        char hex[SIGV4__HEX_SIZE];
        assert_int_equal(sigv4__signing_key(sigv4_test_s(cases[i].secret), cases[i].date,
                                            sigv4_test_s(cases[i].region),
                                            sigv4_test_s(cases[i].service), key),
                         cases[i].rc);
        str_hex(key, sizeof(key), hex);
        assert_string_equal(hex, cases[i].want);
    }
    /* A secret at the limit works; one byte more is refused. */
    char secret[SIGV4_MAX_SECRET + 1];
    memset(secret, 'k', sizeof(secret));
    unsigned char key[SIGV4__KEY_SIZE];
    assert_int_equal(sigv4__signing_key((struct slice){secret, SIGV4_MAX_SECRET}, "20240115",
                                        SLICE_LIT("r"), SLICE_LIT("s"), key),
                     0);
    assert_int_equal(sigv4__signing_key((struct slice){secret, SIGV4_MAX_SECRET + 1}, "20240115",
                                        SLICE_LIT("r"), SLICE_LIT("s"), key),
                     SEAU_E_TOO_LARGE);
}

static void test_signature(void **state)
{
    (void)state;
    unsigned char key[SIGV4__KEY_SIZE];
    char sig[SIGV4__HEX_SIZE];
    assert_int_equal(sigv4__signing_key(SLICE_LIT("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                        "20150830T123600Z", SLICE_LIT("us-east-1"),
                                        SLICE_LIT("service"), key),
                     0);
    assert_int_equal(sigv4__signature(key, SLICE_LIT(sigv4_test_vanilla_sts), sig), 0);
    assert_string_equal(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

/* ============================ entry points: contracts and limits ============================ */

static const struct sigv4_credentials sigv4_test_creds = {
    SLICE_LIT("AKIAIOSFODNN7EXAMPLE"),
    SLICE_LIT("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    {NULL, 0}};

static struct sigv4_params sigv4_test_s3_params(void)
{
    return (struct sigv4_params){
        .credentials = &sigv4_test_creds,
        .region = SLICE_LIT("us-east-1"),
        .service = SLICE_LIT("s3"),
        .now = SIGV4_TEST_T2024,
        .payload_hash =
            SLICE_LIT("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        .flags = 0,
        .expires = 3600,
    };
}

static const struct sigv4_pair sigv4_test_host[] = {
    {SLICE_LIT("Host"), SLICE_LIT("my-bucket.s3.amazonaws.com")}};

static void test_sign_headers(void **state)
{
    (void)state;
    struct sigv4_request req = {
        SLICE_LIT("GET"), SLICE_LIT("/photos/2024/cat.jpg"), NULL, 0, sigv4_test_host, 1};
    struct sigv4_params p = sigv4_test_s3_params();
    struct buf auth, lines;
    buf_init(&auth, 1024);
    buf_init(&lines, 1024);
    assert_int_equal(buf_append_str(&lines, "Accept: */*\r\n"), 0);

    assert_int_equal(sigv4_sign_headers(&req, &p, &auth, &lines), 0);
    assert_true(slice_starts_with(sigv4__buf_slice(&auth),
                                  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240115/"
                                  "us-east-1/s3/aws4_request, SignedHeaders=host;"
                                  "x-amz-content-sha256;x-amz-date, Signature="));
    sigv4_test_assert_buf(&lines, "Accept: */*\r\n"
                                  "X-Amz-Date: 20240115T123456Z\r\n"
                                  "X-Amz-Content-SHA256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
                                  "649b934ca495991b7852b855\r\n");

    /* Outputs are written only on success: a full second output undoes the first. */
    size_t auth_len = auth.len;
    struct buf small;
    buf_init(&small, 20);
    assert_int_equal(sigv4_sign_headers(&req, &p, &auth, &small), SEAU_E_TOO_LARGE);
    assert_int_equal(auth.len, auth_len);
    assert_int_equal(auth.data[auth_len], '\0');
    assert_int_equal(small.len, 0);
    buf_done(&small);

    /* A session token is signed and sent, unless it is to be omitted from the signature. */
    struct sigv4_credentials tc = sigv4_test_creds;
    tc.session_token = SLICE_LIT("tok/+=");
    p.credentials = &tc;
    buf_reset(&auth);
    buf_reset(&lines);
    assert_int_equal(sigv4_sign_headers(&req, &p, &auth, &lines), 0);
    assert_non_null(strstr(buf_cstr(&auth), "x-amz-date;x-amz-security-token, Signature="));
    assert_non_null(strstr(buf_cstr(&lines), "X-Amz-Security-Token: tok/+=\r\n"));
    p.flags = SIGV4_OMIT_SESSION_TOKEN;
    buf_reset(&auth);
    buf_reset(&lines);
    assert_int_equal(sigv4_sign_headers(&req, &p, &auth, &lines), 0);
    assert_null(strstr(buf_cstr(&auth), "x-amz-security-token"));
    assert_non_null(strstr(buf_cstr(&lines), "X-Amz-Security-Token: tok/+=\r\n"));

    buf_done(&auth);
    buf_done(&lines);
}

/* Runs header signing on a variant of a valid S3 request and checks its error code. */
static void sigv4_test_sign_error(const struct sigv4_request *req, const struct sigv4_params *p,
                                  int want, const char *what)
{
    struct buf auth, lines;
    buf_init(&auth, SIGV4_MAX_CANONICAL_REQUEST);
    buf_init(&lines, SIGV4_MAX_CANONICAL_REQUEST);
    int rc = sigv4_sign_headers(req, p, &auth, &lines);
    if (rc != want)
        fail_msg("%s: rc %s, want %s", what, err_name(rc), err_name(want));
    if (rc)
        assert_true(auth.len == 0 && lines.len == 0);
    buf_done(&auth);
    buf_done(&lines);
}

static void test_sign_headers_errors(void **state)
{
    (void)state;
    const struct sigv4_request ok = {
        SLICE_LIT("GET"), SLICE_LIT("/k"), NULL, 0, sigv4_test_host, 1};
    const struct sigv4_params okp = sigv4_test_s3_params();
    struct sigv4_request r;
    struct sigv4_params p;
    struct sigv4_credentials c;

    sigv4_test_sign_error(&ok, &okp, 0, "valid request");

    r = ok;
    r.header_count = 0;
    sigv4_test_sign_error(&r, &okp, SEAU_E_VALIDATION, "no Host");
    const struct sigv4_pair empty_host[] = {{SLICE_LIT("host"), SLICE_LIT("  ")}};
    r.headers = empty_host;
    r.header_count = 1;
    sigv4_test_sign_error(&r, &okp, SEAU_E_VALIDATION, "empty Host");
    r = ok;
    r.method = SLICE_LIT("GET /x");
    sigv4_test_sign_error(&r, &okp, SEAU_E_VALIDATION, "method with a space");
    r = ok;
    r.path = SLICE_LIT("/a key");
    sigv4_test_sign_error(&r, &okp, SEAU_E_VALIDATION, "unencoded S3 path");

    const struct sigv4_pair with_auth[] = {{SLICE_LIT("Host"), SLICE_LIT("h")},
                                           {SLICE_LIT("Authorization"), SLICE_LIT("x")}};
    r = ok;
    r.headers = with_auth;
    r.header_count = 2;
    sigv4_test_sign_error(&r, &okp, SEAU_E_VALIDATION, "Authorization given");
    const struct sigv4_pair with_token[] = {{SLICE_LIT("Host"), SLICE_LIT("h")},
                                            {SLICE_LIT("X-Amz-Security-Token"), SLICE_LIT("x")}};
    r.headers = with_token;
    sigv4_test_sign_error(&r, &okp, SEAU_E_VALIDATION, "token header given");
    const struct sigv4_pair bad_date[] = {{SLICE_LIT("Host"), SLICE_LIT("h")},
                                          {SLICE_LIT("X-Amz-Date"), SLICE_LIT("20240115T000000Z")}};
    r.headers = bad_date;
    sigv4_test_sign_error(&r, &okp, SEAU_E_VALIDATION, "X-Amz-Date that disagrees with now");
    const struct sigv4_pair good_date[] = {
        {SLICE_LIT("Host"), SLICE_LIT("h")},
        {SLICE_LIT("X-Amz-Date"), SLICE_LIT(" 20240115T123456Z")}};
    r.headers = good_date;
    sigv4_test_sign_error(&r, &okp, 0, "X-Amz-Date that agrees with now");
    const struct sigv4_pair bad_sha[] = {
        {SLICE_LIT("Host"), SLICE_LIT("h")},
        {SLICE_LIT("x-amz-content-sha256"), SLICE_LIT("UNSIGNED-PAYLOAD")}};
    r.headers = bad_sha;
    sigv4_test_sign_error(&r, &okp, SEAU_E_VALIDATION, "content hash that disagrees");

    p = okp;
    p.payload_hash = SLICE_LIT("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "upper-case payload hash");
    p.payload_hash = SLICE_LIT("abc");
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "short payload hash");
    p.payload_hash = SLICE_LIT("UNSIGNED-PAYLOAD");
    sigv4_test_sign_error(&ok, &p, 0, "UNSIGNED-PAYLOAD");
    p = okp;
    p.flags = SIGV4_NORMALIZE_PATH;
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "s3 with normalisation");
    p.flags = 1u << 7;
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "unknown flag");
    p = okp;
    p.region = SLICE_LIT("us/east");
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "region with '/'");
    p.region = SLICE_LIT("");
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "empty region");
    p = okp;
    p.service = SLICE_LIT("s3\n");
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "service with a newline");
    p = okp;
    p.now = (time_t)253402300800;
    sigv4_test_sign_error(&ok, &p, SEAU_E_RANGE, "year 10000");

    p = okp;
    c = sigv4_test_creds;
    p.credentials = &c;
    c.access_key_id = SLICE_LIT("AKIA/X");
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "access key with '/'");
    c = sigv4_test_creds;
    c.session_token = SLICE_LIT("tok\r\nX-Evil: 1");
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "token with CR LF");
    c = sigv4_test_creds;
    c.secret_access_key = SLICE_LIT("");
    sigv4_test_sign_error(&ok, &p, SEAU_E_VALIDATION, "empty secret");
    static char big[SIGV4_MAX_SESSION_TOKEN + 1];
    memset(big, 'a', sizeof(big));
    c = sigv4_test_creds;
    c.session_token = (struct slice){big, SIGV4_MAX_SESSION_TOKEN};
    sigv4_test_sign_error(&ok, &p, 0, "token at the limit");
    c.session_token = (struct slice){big, SIGV4_MAX_SESSION_TOKEN + 1};
    sigv4_test_sign_error(&ok, &p, SEAU_E_TOO_LARGE, "token past the limit");
    c = sigv4_test_creds;
    c.secret_access_key = (struct slice){big, SIGV4_MAX_SECRET + 1};
    sigv4_test_sign_error(&ok, &p, SEAU_E_TOO_LARGE, "secret past the limit");

    /* Header count: at the limit and one past it. */
    static struct sigv4_pair many[SIGV4_MAX_HEADERS + 1];
    many[0] = (struct sigv4_pair){SLICE_LIT("Host"), SLICE_LIT("h")};
    for (size_t i = 1; i < sizeof(many) / sizeof(*many); i++)
        many[i] = (struct sigv4_pair){SLICE_LIT("x-amz-meta-a"), SLICE_LIT("v")};
    r = ok;
    r.headers = many;
    r.header_count = SIGV4_MAX_HEADERS;
    sigv4_test_sign_error(&r, &okp, 0, "headers at the limit");
    r.header_count = SIGV4_MAX_HEADERS + 1;
    sigv4_test_sign_error(&r, &okp, SEAU_E_TOO_LARGE, "headers past the limit");

    /* Query parameters: at the limit and one past it. */
    static struct sigv4_pair q[SIGV4_MAX_QUERY_PARAMS + 1];
    for (size_t i = 0; i < sizeof(q) / sizeof(*q); i++)
        q[i] = (struct sigv4_pair){SLICE_LIT("k"), SLICE_LIT("v")};
    r = ok;
    r.query = q;
    r.query_count = SIGV4_MAX_QUERY_PARAMS;
    sigv4_test_sign_error(&r, &okp, 0, "query at the limit");
    r.query_count = SIGV4_MAX_QUERY_PARAMS + 1;
    sigv4_test_sign_error(&r, &okp, SEAU_E_TOO_LARGE, "query past the limit");
}

/* Signs req one way or the other, with the canonical request appended to creq. */
static int sigv4_test_sign_either(bool presign, const struct sigv4_request *req,
                                  const struct sigv4_params *p, struct buf *creq)
{
    struct buf a, b;
    buf_init(&a, SIGV4_MAX_CANONICAL_REQUEST);
    buf_init(&b, SIGV4_MAX_CANONICAL_REQUEST);
    int rc = presign ? sigv4__presign_ex(req, p, creq, NULL, &a)
                     : sigv4__sign_headers_ex(req, p, creq, NULL, &a, &b);
    if (rc)
        assert_true(a.len == 0 && b.len == 0);
    buf_done(&a);
    buf_done(&b);
    return rc;
}

/*
 * The canonical request may be exactly SIGV4_MAX_CANONICAL_REQUEST bytes and
 * no more, in both modes. A padding header whose length is chosen from a
 * first run brings it to the limit, then one byte past it.
 */
static void test_canonical_request_limit(void **state)
{
    (void)state;
    static char pad[SIGV4_MAX_CANONICAL_REQUEST];
    memset(pad, 'p', sizeof(pad));
    struct sigv4_pair h[] = {{SLICE_LIT("Host"), SLICE_LIT("h")}, {SLICE_LIT("x-pad"), {pad, 0}}};
    struct sigv4_request req = {SLICE_LIT("PUT"), SLICE_LIT("/k"), NULL, 0, h, 2};
    struct sigv4_params p = sigv4_test_s3_params();
    struct buf creq;
    buf_init(&creq, 2 * SIGV4_MAX_CANONICAL_REQUEST);

    for (int presign = 0; presign <= 1; presign++) {
        if (presign)
            p.payload_hash = SLICE_LIT(SIGV4_UNSIGNED_PAYLOAD);
        h[1].value.len = 0;
        buf_reset(&creq);
        assert_int_equal(sigv4_test_sign_either(presign, &req, &p, &creq), 0);
        h[1].value.len = SIGV4_MAX_CANONICAL_REQUEST - creq.len;
        buf_reset(&creq);
        assert_int_equal(sigv4_test_sign_either(presign, &req, &p, &creq), 0);
        assert_int_equal(creq.len, SIGV4_MAX_CANONICAL_REQUEST);
        h[1].value.len++;
        buf_reset(&creq);
        assert_int_equal(sigv4_test_sign_either(presign, &req, &p, &creq), SEAU_E_TOO_LARGE);
        assert_int_equal(creq.len, 0);
    }
    buf_done(&creq);
}

static void test_presign(void **state)
{
    (void)state;
    struct sigv4_request req = {
        SLICE_LIT("GET"), SLICE_LIT("/photos/2024/cat.jpg"), NULL, 0, sigv4_test_host, 1};
    struct sigv4_params p = sigv4_test_s3_params();
    p.payload_hash = SLICE_LIT(SIGV4_UNSIGNED_PAYLOAD);
    struct buf q;
    buf_init(&q, 4096);
    assert_int_equal(buf_append_str(&q, "https://my-bucket.s3.amazonaws.com/photos/2024/cat.jpg?"),
                     0);

    /* The vector presign-get-virtual-us-east-1-exp3600, in canonical order. */
    assert_int_equal(sigv4_presign(&req, &p, &q), 0);
    sigv4_test_assert_buf(
        &q, "https://my-bucket.s3.amazonaws.com/photos/2024/cat.jpg?"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240115%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20240115T123456Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=7e20f2717d93d05eb207b85a02c179073d1c12414064d1a11c5209fffcb8e8a3");

    /* Expiry bounds. */
    size_t len = q.len;
    p.expires = 0;
    assert_int_equal(sigv4_presign(&req, &p, &q), SEAU_E_RANGE);
    p.expires = SIGV4_MAX_EXPIRES + 1;
    assert_int_equal(sigv4_presign(&req, &p, &q), SEAU_E_RANGE);
    assert_int_equal(q.len, len);
    p.expires = SIGV4_MAX_EXPIRES;
    buf_reset(&q);
    assert_int_equal(sigv4_presign(&req, &p, &q), 0);
    assert_non_null(strstr(buf_cstr(&q), "&X-Amz-Expires=604800&"));

    /* S3 presigned URLs are over UNSIGNED-PAYLOAD, never a body hash. */
    p.payload_hash = SLICE_LIT("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    buf_reset(&q);
    assert_int_equal(sigv4_presign(&req, &p, &q), SEAU_E_VALIDATION);
    assert_int_equal(q.len, 0);
    p.payload_hash = SLICE_LIT(SIGV4_UNSIGNED_PAYLOAD);

    /* The request may not bring its own authentication parameters. */
    const struct sigv4_pair own[] = {{SLICE_LIT("x-amz-signature"), SLICE_LIT("0")}};
    req.query = own;
    req.query_count = 1;
    buf_reset(&q);
    assert_int_equal(sigv4_presign(&req, &p, &q), SEAU_E_VALIDATION);
    assert_int_equal(q.len, 0);
    buf_done(&q);

    /* Past the output's maximum: an error and an untouched buffer. */
    req.query_count = 0;
    buf_init(&q, 64);
    assert_int_equal(buf_append_str(&q, "?"), 0);
    assert_int_equal(sigv4_presign(&req, &p, &q), SEAU_E_TOO_LARGE);
    sigv4_test_assert_buf(&q, "?");
    buf_done(&q);
}

/* ==================================== data-driven tests ==================================== */

/* Reads a whole file into ret (at most SIGV4_TEST_MAX_FILE bytes). False if it cannot. */
static bool sigv4_test_read_file(const char *path, struct buf *ret)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;
    bool ok = f != NULL;
    while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ok = buf_append(ret, chunk, n) == 0;
    if (f && ferror(f))
        ok = false;
    if (f)
        fclose(f);
    if (!ok)
        printf("  cannot read %s\n", path);
    return ok;
}

/* Name/value pairs whose strings this struct owns. */
struct sigv4_test_pairs {
    struct sigv4_pair pair[SIGV4_TEST_MAX_PAIRS];
    char *owned[2 * SIGV4_TEST_MAX_PAIRS];
    size_t n;
};

static void sigv4_test_pairs_free(struct sigv4_test_pairs *ps)
{
    for (size_t i = 0; i < 2 * ps->n; i++)
        free(ps->owned[i]);
    ps->n = 0;
}

/* Percent-decodes s into a new string (a bad escape stays as it is). NULL on out of memory. */
static char *sigv4_test_decode(const char *s, size_t len, size_t *ret_len)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && sigv4__is_hex((unsigned char)s[i + 1]) &&
            sigv4__is_hex((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], '\0'};
            out[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *ret_len = o;
    return out;
}

/* Adds a pair, copying (and when decode is set, percent-decoding) both strings. */
static bool sigv4_test_pairs_add(struct sigv4_test_pairs *ps, const char *name, size_t nlen,
                                 const char *value, size_t vlen, bool decode)
{
    if (ps->n == SIGV4_TEST_MAX_PAIRS)
        return false;
    size_t nl = nlen, vl = vlen;
    char *n = decode ? sigv4_test_decode(name, nlen, &nl) : strndup(name, nlen);
    char *v = decode ? sigv4_test_decode(value, vlen, &vl) : strndup(value, vlen);
    if (!n || !v) {
        free(n);
        free(v);
        return false;
    }
    ps->owned[2 * ps->n] = n;
    ps->owned[2 * ps->n + 1] = v;
    ps->pair[ps->n++] = (struct sigv4_pair){{n, nl}, {v, vl}};
    return true;
}

/* Appends more to the value of the last pair: how a header continuation line is folded. */
static bool sigv4_test_pairs_extend_last(struct sigv4_test_pairs *ps, const char *more, size_t len)
{
    if (ps->n == 0)
        return false;
    struct sigv4_pair *p = &ps->pair[ps->n - 1];
    char *v = realloc(ps->owned[2 * ps->n - 1], p->value.len + len + 1);
    if (!v)
        return false;
    memcpy(v + p->value.len, more, len);
    v[p->value.len + len] = '\0';
    ps->owned[2 * ps->n - 1] = v;
    p->value = (struct slice){v, p->value.len + len};
    return true;
}

/* Splits a raw query string on '&' and '=' and adds its decoded pairs. */
static bool sigv4_test_parse_query(struct slice q, struct sigv4_test_pairs *ps)
{
    size_t i = 0;
    while (i < q.len) {
        size_t start = i;
        while (i < q.len && q.p[i] != '&')
            i++;
        const char *item = q.p + start;
        size_t len = i - start;
        const char *eq = memchr(item, '=', len);
        size_t nlen = eq ? (size_t)(eq - item) : len;
        if (len > 0 &&
            !sigv4_test_pairs_add(ps, item, nlen, eq ? eq + 1 : "", eq ? len - nlen - 1 : 0, true))
            return false;
        i++;
    }
    return true;
}

/*
 * Compares two query strings as sets of decoded parameters, whatever their
 * order and encoding: both are decoded and then canonicalised.
 */
static bool sigv4_test_same_query(struct slice a, struct slice b)
{
    struct sigv4_test_pairs pa = {0}, pb = {0};
    struct buf ca, cb;
    buf_init(&ca, SIGV4_TEST_MAX_FILE);
    buf_init(&cb, SIGV4_TEST_MAX_FILE);
    bool ok = sigv4_test_parse_query(a, &pa) && sigv4_test_parse_query(b, &pb) &&
              sigv4_canonical_query(pa.pair, pa.n, &ca) == 0 &&
              sigv4_canonical_query(pb.pair, pb.n, &cb) == 0 &&
              sigv4__slice_eq(sigv4__buf_slice(&ca), sigv4__buf_slice(&cb));
    if (!ok)
        printf("    query sets differ:\n      got  %s\n      want %s\n", buf_cstr(&ca),
               buf_cstr(&cb));
    sigv4_test_pairs_free(&pa);
    sigv4_test_pairs_free(&pb);
    buf_done(&ca);
    buf_done(&cb);
    return ok;
}

/* Compares got with want byte for byte, and says what differs. */
static bool sigv4_test_same(const char *name, const char *what, struct slice got, struct slice want)
{
    if (sigv4__slice_eq(got, want))
        return true;
    printf("  %s: %s differs\n    got:  [%.*s]\n    want: [%.*s]\n", name, what, (int)got.len,
           got.p, (int)want.len, want.p);
    return false;
}

/* Parses "2015-08-30T12:36:00Z" or "20150830T123600Z" (UTC) into a time_t. */
static bool sigv4_test_parse_time(const char *s, time_t *ret)
{
    int d[14], n = 0;
    for (; *s && n < 14; s++)
        if (*s >= '0' && *s <= '9')
            d[n++] = *s - '0';
    if (n != 14)
        return false;
    struct tm tm = {0};
    tm.tm_year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3] - 1900;
    tm.tm_mon = d[4] * 10 + d[5] - 1;
    tm.tm_mday = d[6] * 10 + d[7];
    tm.tm_hour = d[8] * 10 + d[9];
    tm.tm_min = d[10] * 10 + d[11];
    tm.tm_sec = d[12] * 10 + d[13];
    *ret = timegm(&tm);
    return *ret != (time_t)-1;
}

/* Splits the "Name: value\r\n" lines sigv4_sign_headers() returns into pairs. */
static bool sigv4_test_parse_lines(struct slice lines, struct sigv4_test_pairs *ps)
{
    size_t i = 0;
    while (i < lines.len) {
        const char *line = lines.p + i;
        const char *end = memmem(line, lines.len - i, "\r\n", 2);
        const char *colon = end ? memchr(line, ':', (size_t)(end - line)) : NULL;
        if (!colon || colon + 1 >= end || colon[1] != ' ')
            return false;
        if (!sigv4_test_pairs_add(ps, line, (size_t)(colon - line), colon + 2,
                                  (size_t)(end - colon - 2), false))
            return false;
        i = (size_t)(end - lines.p) + 2;
    }
    return true;
}

static const char *sigv4_test_signature_of(struct slice authorization)
{
    const char *s = memmem(authorization.p, authorization.len, "Signature=", 10);
    return s ? s + 10 : "";
}

/* ---- the AWS suite ---- */

/* A request.txt: method, raw target, headers (continuations folded) and body. */
struct sigv4_test_http {
    struct slice method, path, query, body;
    struct sigv4_test_pairs headers;
};

static bool sigv4_test_parse_http(struct slice text, struct sigv4_test_http *ret)
{
    const char *p = text.p, *end = text.p + text.len;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    const char *sp2 = NULL;
    for (const char *q = eol; q > p; q--)
        if (q[-1] == ' ') {
            sp2 = q - 1;
            break;
        }
    if (!sp1 || !sp2 || sp2 <= sp1)
        return false;
    ret->method = (struct slice){p, (size_t)(sp1 - p)};
    struct slice target = {sp1 + 1, (size_t)(sp2 - sp1 - 1)};
    const char *qm = memchr(target.p, '?', target.len);
    ret->path = (struct slice){target.p, qm ? (size_t)(qm - target.p) : target.len};
    ret->query =
        qm ? (struct slice){qm + 1, target.len - ret->path.len - 1} : (struct slice){"", 0};
    ret->body = (struct slice){"", 0};

    p = eol < end ? eol + 1 : end;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        size_t len = (size_t)(eol - p);
        if (len == 0) { /* the blank line: the body follows */
            ret->body = (struct slice){eol + 1, (size_t)(end - eol - 1)};
            break;
        }
        if (*p == ' ' || *p == '\t') {
            if (!sigv4_test_pairs_extend_last(&ret->headers, p, len))
                return false;
        } else {
            const char *colon = memchr(p, ':', len);
            if (!colon || !sigv4_test_pairs_add(&ret->headers, p, (size_t)(colon - p), colon + 1,
                                                (size_t)(eol - colon - 1), false))
                return false;
        }
        p = eol < end ? eol + 1 : end;
    }
    return true;
}

/* Writes dir + "/" + name into out; false if it does not fit. */
static bool sigv4_test_join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n > 0 && (size_t)n < size;
}

/* Reads dir/name into a fresh buffer that the caller frees with buf_done(). */
static bool sigv4_test_read_case_file(const char *dir, const char *name, struct buf *ret)
{
    char path[1024];
    buf_init(ret, SIGV4_TEST_MAX_FILE);
    return sigv4_test_join(path, sizeof(path), dir, name) && sigv4_test_read_file(path, ret);
}

/*
 * Checks that every header header signing adds, and the Authorization
 * value, appear in the expected signed request, and that it holds nothing
 * else beyond the original headers.
 */
static bool sigv4_test_check_signed_http(const char *name, struct slice signed_text,
                                         size_t original_headers, struct slice auth,
                                         struct slice lines)
{
    struct sigv4_test_http want = {0};
    struct sigv4_test_pairs added = {0};
    bool ok = sigv4_test_parse_http(signed_text, &want) && sigv4_test_parse_lines(lines, &added);
    if (ok)
        ok = sigv4_test_pairs_add(&added, "Authorization", 13, auth.p, auth.len, false);
    for (size_t i = 0; ok && i < added.n; i++) {
        bool found = false;
        for (size_t k = 0; !found && k < want.headers.n; k++) {
            struct slice wn = want.headers.pair[k].name;
            found = wn.len == added.pair[i].name.len &&
                    strncasecmp(wn.p, added.pair[i].name.p, wn.len) == 0 &&
                    sigv4__slice_eq(want.headers.pair[k].value, added.pair[i].value);
        }
        if (!found)
            printf("  %s: signed request lacks %.*s: %.*s\n", name, (int)added.pair[i].name.len,
                   added.pair[i].name.p, (int)added.pair[i].value.len, added.pair[i].value.p);
        ok = found;
    }
    if (ok && want.headers.n != original_headers + added.n) {
        printf("  %s: signed request has %zu headers, want %zu\n", name, want.headers.n,
               original_headers + added.n);
        ok = false;
    }
    sigv4_test_pairs_free(&want.headers);
    sigv4_test_pairs_free(&added);
    return ok;
}

/* Signs one suite case both ways and compares every result. True if all match. */
static bool sigv4_test_suite_case(const char *dir, const char *name)
{
    struct buf request_txt, files[8], creq, sts, auth, lines, query;
    static const char *const file_names[8] = {
        "header-canonical-request.txt", "header-string-to-sign.txt",   "header-signature.txt",
        "header-signed-request.txt",    "query-canonical-request.txt", "query-string-to-sign.txt",
        "query-signature.txt",          "query-signed-request.txt"};
    struct sigv4_test_http http = {0};
    struct sigv4_test_pairs query_pairs = {0};
    json_t *ctx = NULL;
    json_error_t jerr = {.text = "path too long"};
    char path[1024], hash[SIGV4_PAYLOAD_HASH_SIZE];
    bool ok = true;

    buf_init(&creq, SIGV4_TEST_MAX_FILE);
    buf_init(&sts, SIGV4_TEST_MAX_FILE);
    buf_init(&auth, SIGV4_TEST_MAX_FILE);
    buf_init(&lines, SIGV4_TEST_MAX_FILE);
    buf_init(&query, SIGV4_TEST_MAX_FILE);
    ok = sigv4_test_read_case_file(dir, "request.txt", &request_txt);
    for (size_t i = 0; i < 8; i++)
        ok = sigv4_test_read_case_file(dir, file_names[i], &files[i]) && ok;
    ctx = sigv4_test_join(path, sizeof(path), dir, "context.json") ? json_load_file(path, 0, &jerr)
                                                                   : NULL;
    if (!ctx) {
        printf("  %s: context.json: %s\n", name, jerr.text);
        ok = false;
    }
    if (ok && !sigv4_test_parse_http(sigv4__buf_slice(&request_txt), &http)) {
        printf("  %s: cannot parse request.txt\n", name);
        ok = false;
    }
    if (ok && !sigv4_test_parse_query(http.query, &query_pairs)) {
        printf("  %s: cannot parse the query\n", name);
        ok = false;
    }
    if (!ok)
        goto done;

    json_t *cred = json_object_get(ctx, "credentials");
    const char *token = json_string_value(json_object_get(cred, "token"));
    struct sigv4_credentials c = {
        sigv4_test_s(json_string_value(json_object_get(cred, "access_key_id"))),
        sigv4_test_s(json_string_value(json_object_get(cred, "secret_access_key"))),
        token ? sigv4_test_s(token) : (struct slice){NULL, 0}};
    struct sigv4_params p = {
        .credentials = &c,
        .region = sigv4_test_s(json_string_value(json_object_get(ctx, "region"))),
        .service = sigv4_test_s(json_string_value(json_object_get(ctx, "service"))),
        .expires = (uint32_t)json_integer_value(json_object_get(ctx, "expiration_in_seconds")),
    };
    if (json_is_true(json_object_get(ctx, "normalize")))
        p.flags |= SIGV4_NORMALIZE_PATH;
    if (json_is_true(json_object_get(ctx, "sign_body")))
        p.flags |= SIGV4_SIGN_BODY;
    if (json_is_true(json_object_get(ctx, "omit_session_token")))
        p.flags |= SIGV4_OMIT_SESSION_TOKEN;
    if (!sigv4_test_parse_time(json_string_value(json_object_get(ctx, "timestamp")), &p.now)) {
        printf("  %s: bad timestamp\n", name);
        ok = false;
        goto done;
    }
    /* The generic service always hashes the body (never UNSIGNED-PAYLOAD). */
    if (sigv4_payload_hash(http.body.p, http.body.len, true, hash) != 0) {
        ok = false;
        goto done;
    }
    p.payload_hash = sigv4_test_s(hash);
    /*
     * The target's path goes in as the path that is sent: the generic
     * service encodes it (once more), so "/example space/" signs as
     * "/example%20space/". The query is decoded here and encoded by the signer.
     */
    struct sigv4_request req = {http.method,   http.path,         query_pairs.pair,
                                query_pairs.n, http.headers.pair, http.headers.n};

    int rc = sigv4__sign_headers_ex(&req, &p, &creq, &sts, &auth, &lines);
    if (rc) {
        printf("  %s: header signing failed: %s\n", name, err_name(rc));
        ok = false;
    } else {
        ok = sigv4_test_same(name, "header canonical request", sigv4__buf_slice(&creq),
                             sigv4__buf_slice(&files[0])) &&
             ok;
        ok = sigv4_test_same(name, "header string to sign", sigv4__buf_slice(&sts),
                             sigv4__buf_slice(&files[1])) &&
             ok;
        ok = sigv4_test_same(name, "header signature",
                             sigv4_test_s(sigv4_test_signature_of(sigv4__buf_slice(&auth))),
                             sigv4__buf_slice(&files[2])) &&
             ok;
        ok = sigv4_test_check_signed_http(name, sigv4__buf_slice(&files[3]), http.headers.n,
                                          sigv4__buf_slice(&auth), sigv4__buf_slice(&lines)) &&
             ok;
    }

    buf_reset(&creq);
    buf_reset(&sts);
    rc = sigv4__presign_ex(&req, &p, &creq, &sts, &query);
    if (rc) {
        printf("  %s: presigning failed: %s\n", name, err_name(rc));
        ok = false;
    } else {
        const char *sig = strstr(buf_cstr(&query), "X-Amz-Signature=");
        ok = sigv4_test_same(name, "query canonical request", sigv4__buf_slice(&creq),
                             sigv4__buf_slice(&files[4])) &&
             ok;
        ok = sigv4_test_same(name, "query string to sign", sigv4__buf_slice(&sts),
                             sigv4__buf_slice(&files[5])) &&
             ok;
        ok = sigv4_test_same(name, "query signature", sigv4_test_s(sig ? sig + 16 : ""),
                             sigv4__buf_slice(&files[6])) &&
             ok;
        struct sigv4_test_http want = {0};
        if (!sigv4_test_parse_http(sigv4__buf_slice(&files[7]), &want) ||
            !sigv4_test_same_query(sigv4__buf_slice(&query), want.query)) {
            printf("  %s: presigned query differs from query-signed-request.txt\n", name);
            ok = false;
        }
        sigv4_test_pairs_free(&want.headers);
    }

done:
    json_decref(ctx);
    sigv4_test_pairs_free(&http.headers);
    sigv4_test_pairs_free(&query_pairs);
    buf_done(&request_txt);
    for (size_t i = 0; i < 8; i++)
        buf_done(&files[i]);
    buf_done(&creq);
    buf_done(&sts);
    buf_done(&auth);
    buf_done(&lines);
    buf_done(&query);
    return ok;
}

static int sigv4_test_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_aws_suite(void **state)
{
    (void)state;
    char *names[256];
    size_t total = 0, passed = 0;
    DIR *d = opendir(SIGV4_TEST_SUITE_DIR);
    if (!d)
        fail_msg("cannot open %s: the conformance data is required", SIGV4_TEST_SUITE_DIR);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        assert_true(total < sizeof(names) / sizeof(*names));
        names[total] = strdup(e->d_name);
        assert_non_null(names[total]);
        total++;
    }
    closedir(d);
    qsort(names, total, sizeof(*names), sigv4_test_strcmp);
    for (size_t i = 0; i < total; i++) {
        char dir[1024];
        if (sigv4_test_join(dir, sizeof(dir), SIGV4_TEST_SUITE_DIR, names[i]) &&
            sigv4_test_suite_case(dir, names[i]))
            passed++;
        else
            printf("  FAILED %s\n", names[i]);
        free(names[i]);
    }
    printf("sigv4 suite: %zu/%zu cases passed\n", passed, total);
    if (total == 0)
        fail_msg("no case found in %s", SIGV4_TEST_SUITE_DIR);
    assert_int_equal(passed, total);
}

/* ---- the botocore S3 / SQS vectors ---- */

static struct slice sigv4_test_js(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? (struct slice){json_string_value(v), json_string_length(v)}
                             : (struct slice){"", 0};
}

/* Adds the [name, value] arrays of a JSON list to ps, as they are. */
static bool sigv4_test_json_pairs(json_t *list, struct sigv4_test_pairs *ps)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        json_t *n = json_array_get(item, 0), *v = json_array_get(item, 1);
        if (!json_is_string(n) || !json_is_string(v) ||
            !sigv4_test_pairs_add(ps, json_string_value(n), json_string_length(n),
                                  json_string_value(v), json_string_length(v), false))
            return false;
    }
    return true;
}

/* Decodes the case's payload ({"encoding": "utf-8" | "base64", "data": ...}) into ret. */
static bool sigv4_test_payload(json_t *payload, struct buf *ret)
{
    struct slice enc = sigv4_test_js(payload, "encoding");
    struct slice data = sigv4_test_js(payload, "data");
    if (slice_eq_cstr(enc, "utf-8"))
        return buf_append(ret, data.p, data.len) == 0;
    if (!slice_eq_cstr(enc, "base64"))
        return false;
    unsigned char *bin = malloc(data.len + 1);
    size_t len = 0;
    bool ok = bin &&
              sodium_base642bin(bin, data.len + 1, data.p, data.len, NULL, &len, NULL,
                                sodium_base64_VARIANT_ORIGINAL) == 0 &&
              buf_append(ret, bin, len) == 0;
    free(bin);
    return ok;
}

/* Signs one vector the way its kind says and compares every expected field. */
static bool sigv4_test_vector(json_t *vec)
{
    const char *name = json_string_value(json_object_get(vec, "name"));
    json_t *in = json_object_get(vec, "input"), *want = json_object_get(vec, "expected");
    json_t *cred = json_object_get(in, "credentials");
    bool presign = slice_eq_cstr(sigv4_test_js(vec, "kind"), "presign");
    struct sigv4_test_pairs headers = {0}, query_pairs = {0};
    struct buf body, creq, sts, auth, lines, query, scope;
    char hash[SIGV4_PAYLOAD_HASH_SIZE], date[SIGV4__AMZ_DATE_SIZE], key_hex[SIGV4__HEX_SIZE];
    unsigned char key[SIGV4__KEY_SIZE];
    bool ok;

    if (!name)
        name = "(unnamed)";
    buf_init(&body, SIGV4_TEST_MAX_FILE);
    buf_init(&creq, SIGV4_TEST_MAX_FILE);
    buf_init(&sts, SIGV4_TEST_MAX_FILE);
    buf_init(&auth, SIGV4_TEST_MAX_FILE);
    buf_init(&lines, SIGV4_TEST_MAX_FILE);
    buf_init(&query, SIGV4_TEST_MAX_FILE);
    buf_init(&scope, SIGV4_TEST_MAX_FILE);

    struct slice host = sigv4_test_js(in, "host");
    ok = sigv4_test_pairs_add(&headers, "Host", 4, host.p, host.len, false) &&
         sigv4_test_json_pairs(json_object_get(in, "headers"), &headers) &&
         sigv4_test_json_pairs(json_object_get(in, "query"), &query_pairs) &&
         sigv4_test_payload(json_object_get(in, "payload"), &body);
    if (!ok) {
        printf("  %s: cannot read the input\n", name);
        goto done;
    }

    struct sigv4_credentials c = {sigv4_test_js(cred, "access_key_id"),
                                  sigv4_test_js(cred, "secret_access_key"),
                                  sigv4_test_js(cred, "session_token")};
    struct sigv4_params p = {
        .credentials = &c,
        .region = sigv4_test_js(in, "region"),
        .service = sigv4_test_js(in, "service"),
        .expires = (uint32_t)json_integer_value(json_object_get(in, "expires")),
    };
    bool s3 = slice_eq_cstr(p.service, "s3");
    if (!s3)
        p.flags |= SIGV4_NORMALIZE_PATH; /* botocore normalises for every service but S3 */
    if (!sigv4_test_parse_time(json_string_value(json_object_get(in, "timestamp")), &p.now)) {
        printf("  %s: bad timestamp\n", name);
        ok = false;
        goto done;
    }

    /* The payload hash step, against the recorded hash of the recorded body. */
    ok = sigv4_payload_hash(body.data, body.len, true, hash) == 0 &&
         sigv4_test_same(name, "payload_sha256", sigv4_test_s(hash),
                         sigv4_test_js(in, "payload_sha256"));
    if ((presign && s3) || json_is_true(json_object_get(in, "unsigned_payload")))
        sigv4_payload_hash(NULL, 0, false, hash);
    p.payload_hash = sigv4_test_s(hash);
    ok = sigv4_test_same(name, "hashed_payload", p.payload_hash,
                         sigv4_test_js(want, "hashed_payload")) &&
         ok;

    /* The scope and key steps on their own. */
    ok = sigv4__amz_date(p.now, date) == 0 &&
         sigv4__credential_scope(date, p.region, p.service, &scope) == 0 &&
         sigv4_test_same(name, "credential_scope", sigv4__buf_slice(&scope),
                         sigv4_test_js(want, "credential_scope")) &&
         ok;
    ok = sigv4__signing_key(c.secret_access_key, date, p.region, p.service, key) == 0 && ok;
    str_hex(key, sizeof(key), key_hex);
    ok = sigv4_test_same(name, "signing_key_hex", sigv4_test_s(key_hex),
                         sigv4_test_js(want, "signing_key_hex")) &&
         ok;

    struct sigv4_request req = {sigv4_test_js(in, "method"),
                                sigv4_test_js(in, "path"),
                                query_pairs.pair,
                                query_pairs.n,
                                headers.pair,
                                headers.n};
    int rc = presign ? sigv4__presign_ex(&req, &p, &creq, &sts, &query)
                     : sigv4__sign_headers_ex(&req, &p, &creq, &sts, &auth, &lines);
    if (rc) {
        printf("  %s: signing failed: %s\n", name, err_name(rc));
        ok = false;
        goto done;
    }
    ok = sigv4_test_same(name, "canonical_request", sigv4__buf_slice(&creq),
                         sigv4_test_js(want, "canonical_request")) &&
         ok;
    ok = sigv4_test_same(name, "string_to_sign", sigv4__buf_slice(&sts),
                         sigv4_test_js(want, "string_to_sign")) &&
         ok;
    if (presign) {
        const char *sig = strstr(buf_cstr(&query), "X-Amz-Signature=");
        ok = sigv4_test_same(name, "signature", sigv4_test_s(sig ? sig + 16 : ""),
                             sigv4_test_js(want, "signature")) &&
             ok;
        struct slice url = sigv4_test_js(want, "presigned_url");
        const char *qm = memchr(url.p, '?', url.len);
        struct slice wq =
            qm ? (struct slice){qm + 1, url.len - (size_t)(qm + 1 - url.p)} : (struct slice){"", 0};
        if (!sigv4_test_same_query(sigv4__buf_slice(&query), wq)) {
            printf("  %s: presigned query differs from presigned_url\n", name);
            ok = false;
        }
        /* The signature goes last, as in botocore's URL. */
        ok = ok && sig && strlen(sig) == 16 + 64;
    } else {
        ok = sigv4_test_same(name, "signature",
                             sigv4_test_s(sigv4_test_signature_of(sigv4__buf_slice(&auth))),
                             sigv4_test_js(want, "signature")) &&
             ok;
        ok = sigv4_test_same(name, "authorization", sigv4__buf_slice(&auth),
                             sigv4_test_js(want, "authorization")) &&
             ok;
        /* The added headers, by lower-case name, exactly those in added_headers. */
        struct sigv4_test_pairs added = {0};
        json_t *want_added = json_object_get(want, "added_headers");
        bool same = sigv4_test_parse_lines(sigv4__buf_slice(&lines), &added) &&
                    added.n == json_object_size(want_added);
        for (size_t i = 0; same && i < added.n; i++) {
            char lower[64] = {0};
            for (size_t k = 0; k < added.pair[i].name.len && k < sizeof(lower) - 1; k++)
                lower[k] = (char)sigv4__lower((unsigned char)added.pair[i].name.p[k]);
            json_t *v = json_object_get(want_added, lower);
            same = json_is_string(v) && slice_eq_cstr(added.pair[i].value, json_string_value(v));
        }
        if (!same) {
            printf("  %s: added headers differ: got [%s]\n", name, buf_cstr(&lines));
            ok = false;
        }
        sigv4_test_pairs_free(&added);
    }

done:
    str_wipe(key, sizeof(key));
    sigv4_test_pairs_free(&headers);
    sigv4_test_pairs_free(&query_pairs);
    buf_done(&body);
    buf_done(&creq);
    buf_done(&sts);
    buf_done(&auth);
    buf_done(&lines);
    buf_done(&query);
    buf_done(&scope);
    return ok;
}

static void test_s3_sqs_vectors(void **state)
{
    (void)state;
    json_error_t jerr = {.text = "path too long"};
    json_t *root = json_load_file(SIGV4_TEST_VECTORS_FILE, 0, &jerr);
    if (!root)
        fail_msg("cannot load %s: %s", SIGV4_TEST_VECTORS_FILE, jerr.text);
    json_t *cases = json_object_get(root, "cases");
    size_t total = json_array_size(cases), passed = 0, i;
    json_t *vec;
    json_array_foreach(cases, i, vec)
    {
        if (sigv4_test_vector(vec))
            passed++;
        else
            printf("  FAILED %s\n", json_string_value(json_object_get(vec, "name")));
    }
    size_t declared = (size_t)json_integer_value(json_object_get(root, "case_count"));
    json_decref(root);
    printf("sigv4 vectors: %zu/%zu cases passed\n", passed, total);
    if (total == 0)
        fail_msg("no case found in %s", SIGV4_TEST_VECTORS_FILE);
    assert_int_equal(total, declared);
    assert_int_equal(passed, total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_payload_hash),
        cmocka_unit_test(test_amz_date),
        cmocka_unit_test(test_credential_scope),
        cmocka_unit_test(test_canonical_path),
        cmocka_unit_test(test_canonical_query),
        cmocka_unit_test(test_canonical_headers),
        cmocka_unit_test(test_canonical_request),
        cmocka_unit_test(test_string_to_sign),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_sign_headers),
        cmocka_unit_test(test_sign_headers_errors),
        cmocka_unit_test(test_canonical_request_limit),
        cmocka_unit_test(test_presign),
        cmocka_unit_test(test_aws_suite),
        cmocka_unit_test(test_s3_sqs_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
