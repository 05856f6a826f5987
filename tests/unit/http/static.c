/* Tests of src/http/static.c: path safety and MIME types. */
#include "../testutil.h"

#include "http/static.h"

static void test_path_ok(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        bool ok;
    } cases[] = {
        {"/", true},
        {"/index.html", true},
        {"/_next/static/chunks/app-123.js", true},
        {"/a..b/c", true}, /* dots inside a name are fine */
        {"/.well-known/x", true},
        {"/../etc/passwd", false},
        {"/a/../../etc", false},
        {"/a/./b", false},
        {"/a/..", false},
        {"/a\\..\\b", false},
        {"relative", false},
        {"/a\x01", false},
        {"/a\x7f", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (http_static_path_ok(cases[i].path) != cases[i].ok)
            fail_msg("%s should be %s", cases[i].path, cases[i].ok ? "ok" : "refused");
}

static void test_mime(void **state)
{
    (void)state;
    assert_string_equal(http_static_mime("/a/b.js"), "text/javascript; charset=utf-8");
    assert_string_equal(http_static_mime("/INDEX.HTML"), "text/html; charset=utf-8");
    assert_string_equal(http_static_mime("/f.woff2"), "font/woff2");
    assert_string_equal(http_static_mime("/dir.v2/file"), "application/octet-stream");
    assert_string_equal(http_static_mime("/noext"), "application/octet-stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_path_ok), cmocka_unit_test(test_mime)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
