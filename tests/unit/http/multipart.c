/* Tests of src/http/multipart.c: every split of a body gives the same parts. */
#include "../testutil.h"

#include "core/err.h"
#include "http/multipart.h"

struct record {
    char log[4096]; /* "B(name|filename|type)", data bytes, "E" */
    size_t len;
    int fail_at_begin; /* 0: never; else fail the nth begin */
    int begins;
};

static void add(struct record *r, const char *s, size_t n)
{
    assert_true(r->len + n < sizeof(r->log));
    memcpy(r->log + r->len, s, n);
    r->len += n;
    r->log[r->len] = '\0';
}

static int on_begin(void *ctx, const struct http_multipart_part *p)
{
    struct record *r = ctx;
    if (++r->begins == r->fail_at_begin)
        return SEAU_E_FORBIDDEN;
    char b[1400];
    snprintf(b, sizeof(b), "B(%s|%s|%s)", p->name, p->filename ? p->filename : "-",
             p->content_type);
    add(r, b, strlen(b));
    return 0;
}

static int on_data(void *ctx, const char *d, size_t n)
{
    add(ctx, d, n);
    return 0;
}

static int on_end(void *ctx)
{
    add(ctx, "E", 1);
    return 0;
}

static const struct http_multipart_handler H = {on_begin, on_data, on_end};

static const char BODY[] =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"prefix\"\r\n\r\n"
    "team-a/\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a %22b%22.txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "line1\r\n--XyNot the boundary\r\r\n-\r\n--XyQ? no: still content\r\n"
    "--XyZ  \r\n"
    "content-disposition: form-data; name=file; filename*=UTF-8''r%C3%A9sum%C3%A9.bin\r\n\r\n"
    "\r\n"
    "--XyZ--\r\n"
    "epilogue\r\n";

static const char WANT[] = "B(prefix|-|)team-a/E"
                           "B(file|a \"b\".txt|text/plain)"
                           "line1\r\n--XyNot the boundary\r\r\n-\r\n--XyQ? no: still content"
                           "E"
                           "B(file|r\xC3\xA9sum\xC3\xA9.bin|)E";

static void test_every_split(void **state)
{
    (void)state;
    size_t n = sizeof(BODY) - 1;
    for (size_t cut = 0; cut <= n; cut++) {
        struct record r = {.len = 0};
        struct http_multipart *m = http_multipart_new("XyZ", &H, &r);
        assert_non_null(m);
        assert_int_equal(http_multipart_feed(m, BODY, cut), 0);
        assert_int_equal(http_multipart_feed(m, BODY + cut, n - cut), 0);
        assert_int_equal(http_multipart_finish(m), 0);
        assert_string_equal(r.log, WANT);
        http_multipart_free(m);
    }
    /* One byte at a time. */
    struct record r = {.len = 0};
    struct http_multipart *m = http_multipart_new("XyZ", &H, &r);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(http_multipart_feed(m, BODY + i, 1), 0);
    assert_int_equal(http_multipart_finish(m), 0);
    assert_string_equal(r.log, WANT);
    http_multipart_free(m);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",            /* no disposition */
        "--XyZ\r\nContent-Disposition: attachment\r\n\r\nx\r\n--XyZ--",     /* not form-data */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx",       /* unterminated */
        "--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--",
        "--XyZ\r\n\r\nx\r\n--XyZ--",                                         /* no headers */
        "--XyZxx\r\n",                                                       /* junk after boundary */
        "--XyZ\r\nContent-Disposition: form-data; name=f; filename*=UTF-8''a%00b\r\n\r\n",
        "--XyZ\r\nContent-Disposition: form-data; name=f; filename*=latin1''a\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct record r = {.len = 0};
        struct http_multipart *m = http_multipart_new("XyZ", &H, &r);
        int rc = http_multipart_feed(m, bad[i], strlen(bad[i]));
        if (rc == 0)
            rc = http_multipart_finish(m);
        if (rc != SEAU_E_BAD_REQUEST)
            fail_msg("case %zu: %d", i, rc);
        /* Once failed, it stays failed. */
        assert_int_equal(http_multipart_feed(m, "x", 1), SEAU_E_BAD_REQUEST);
        http_multipart_free(m);
    }
    /* Headers past the limit. */
    struct record r = {.len = 0};
    struct http_multipart *m = http_multipart_new("XyZ", &H, &r);
    assert_int_equal(http_multipart_feed(m, "--XyZ\r\nX: ", 10), 0);
    char big[HTTP_MULTIPART_HEADERS_MAX];
    memset(big, 'a', sizeof(big));
    assert_int_equal(http_multipart_feed(m, big, sizeof(big)), SEAU_E_BAD_REQUEST);
    http_multipart_free(m);
    /* A body cut before the closing boundary. */
    m = http_multipart_new("XyZ", &H, &r);
    assert_int_equal(http_multipart_feed(m, BODY, 200), 0);
    assert_int_equal(http_multipart_finish(m), SEAU_E_BAD_REQUEST);
    http_multipart_free(m);
}

static void test_callback_failure_stops(void **state)
{
    (void)state;
    struct record r = {.len = 0, .fail_at_begin = 2};
    struct http_multipart *m = http_multipart_new("XyZ", &H, &r);
    assert_int_equal(http_multipart_feed(m, BODY, sizeof(BODY) - 1), SEAU_E_FORBIDDEN);
    assert_string_equal(r.log, "B(prefix|-|)team-a/E");
    http_multipart_free(m);
}

static void test_boundary_header(void **state)
{
    (void)state;
    char b[HTTP_MULTIPART_BOUNDARY_MAX + 1];
    assert_int_equal(http_multipart_boundary("multipart/form-data; boundary=abc", b, sizeof(b)), 0);
    assert_string_equal(b, "abc");
    assert_int_equal(http_multipart_boundary("Multipart/Form-Data; charset=x; boundary=\"a b:c\"",
                                             b, sizeof(b)),
                     0);
    assert_string_equal(b, "a b:c");
    assert_int_equal(http_multipart_boundary("----WebKitFormBoundary", b, sizeof(b)),
                     SEAU_E_MEDIA_TYPE);
    assert_int_equal(http_multipart_boundary("application/json", b, sizeof(b)), SEAU_E_MEDIA_TYPE);
    assert_int_equal(http_multipart_boundary(NULL, b, sizeof(b)), SEAU_E_MEDIA_TYPE);
    assert_int_equal(http_multipart_boundary("multipart/form-data", b, sizeof(b)),
                     SEAU_E_BAD_REQUEST);
    assert_int_equal(http_multipart_boundary("multipart/form-data; boundary=", b, sizeof(b)),
                     SEAU_E_BAD_REQUEST);
    assert_int_equal(http_multipart_boundary("multipart/form-data; boundary=a\x01", b, sizeof(b)),
                     SEAU_E_BAD_REQUEST);
    char longb[160];
    snprintf(longb, sizeof(longb), "multipart/form-data; boundary=%071d", 0);
    assert_int_equal(http_multipart_boundary(longb, b, sizeof(b)), SEAU_E_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_split), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_callback_failure_stops), cmocka_unit_test(test_boundary_header)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
