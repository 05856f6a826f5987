/* Tests of src/http/disposition.c: file names in Content-Disposition. */
#include "../testutil.h"

#include "http/disposition.h"

static void test_names(void **state)
{
    (void)state;
    static const struct {
        bool inl;
        const char *name, *want;
    } cases[] = {
        {false, "report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"},
        {true, "a b.png", "inline; filename=\"a b.png\"; filename*=UTF-8''a%20b.png"},
        {false, "r\xC3\xA9sum\xC3\xA9.txt",
         "attachment; filename=\"r__sum__.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"},
        {false, "a\"b\\c\r\nSet-Cookie: x",
         "attachment; filename=\"a_b_c__Set-Cookie: x\"; "
         "filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x"},
        {false, "", "attachment; filename=\"download\"; filename*=UTF-8''download"},
        {false, NULL, "attachment; filename=\"download\"; filename*=UTF-8''download"},
        {false, "100%;x=y", "attachment; filename=\"100%;x=y\"; filename*=UTF-8''100%25%3Bx%3Dy"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[HTTP_DISPOSITION_MAX];
        assert_int_equal(http_content_disposition(out, sizeof(out), cases[i].inl, cases[i].name), 0);
        assert_string_equal(out, cases[i].want);
        for (const char *p = out; *p; p++)
            assert_true(*p >= 0x20 && *p < 0x7F); /* a header never carries CR, LF or 8-bit */
    }
}

static void test_long_names(void **state)
{
    (void)state;
    /* 1100 bytes of "é": cut at 1024 bytes, on a character boundary, and it fits. */
    char name[1101];
    for (size_t i = 0; i < 1100; i += 2) {
        name[i] = (char)0xC3;
        name[i + 1] = (char)0xA9;
    }
    name[1100] = '\0';
    char out[HTTP_DISPOSITION_MAX];
    assert_int_equal(http_content_disposition(out, sizeof(out), false, name), 0);
    const char *enc = strstr(out, "UTF-8''");
    assert_non_null(enc);
    assert_int_equal(strlen(enc + 7), 512 * 6); /* 512 characters of %C3%A9 */
    assert_int_equal(http_content_disposition(out, 100, false, name), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_names),
                                       cmocka_unit_test(test_long_names)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
