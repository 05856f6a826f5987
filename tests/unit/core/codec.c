/* Tests of src/core/codec.c: hex digits, percent-decoding (form and plain), percent-encoding. */
#include "../testutil.h"

#include "core/codec.h"
#include "core/err.h"

static void test_hex_value(void **state)
{
    (void)state;
    static const struct {
        char c;
        int want;
    } cases[] = {
        {'0', 0},  {'9', 9},  {'a', 10}, {'f', 15}, {'A', 10}, {'F', 15},  {'g', -1},    {'G', -1},
        {'/', -1}, {':', -1}, {'@', -1}, {'`', -1}, {' ', -1}, {'\0', -1}, {'\xff', -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(codec_hex_value(cases[i].c), cases[i].want);
}

static void test_percent_decode(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t in_len; /* 0: strlen(in) */
        unsigned flags;
        size_t cap;
        int rc;
        const char *want;
        size_t want_len;
    } cases[] = {
        {"", 0, 0, 1, 0, "", 0},
        {"plain", 0, 0, 16, 0, "plain", 5},
        {"a%20b", 0, 0, 16, 0, "a b", 3},
        {"a%2fb%2F", 0, 0, 16, 0, "a/b/", 4},
        {"caf%C3%A9", 0, 0, 16, 0, "caf\xc3\xa9", 5},
        {"a+b", 0, 0, 16, 0, "a+b", 3},
        {"a+b", 0, CODEC_PLUS_SPACE, 16, 0, "a b", 3},
        {"a%2Bb", 0, CODEC_PLUS_SPACE, 16, 0, "a+b", 3},
        {"%25", 0, 0, 16, 0, "%", 1},
        {"%", 0, 0, 16, SEAU_E_VALIDATION, NULL, 0},
        {"%4", 0, 0, 16, SEAU_E_VALIDATION, NULL, 0},
        {"a%4g", 0, 0, 16, SEAU_E_VALIDATION, NULL, 0},
        {"a%g4", 0, 0, 16, SEAU_E_VALIDATION, NULL, 0},
        {"%00", 0, 0, 16, SEAU_E_VALIDATION, NULL, 0},
        {"x%00", 0, CODEC_PLUS_SPACE, 16, SEAU_E_VALIDATION, NULL, 0},
        /* The slice ends before the escape's second digit. */
        {"%41", 2, 0, 16, SEAU_E_VALIDATION, NULL, 0},
        {"%41%42", 3, 0, 16, 0, "A", 1},
        /* Room: the result and its NUL must fit in cap. */
        {"abc", 0, 0, 4, 0, "abc", 3},
        {"abc", 0, 0, 3, SEAU_E_TOO_LARGE, NULL, 0},
        {"%41%42", 0, 0, 3, 0, "AB", 2},
        {"", 0, 0, 0, SEAU_E_TOO_LARGE, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[16];
        memset(out, 'Z', sizeof(out));
        size_t len = 999;
        struct slice in = {cases[i].in, cases[i].in_len ? cases[i].in_len : strlen(cases[i].in)};
        int rc = codec_percent_decode(in, cases[i].flags, out, cases[i].cap, &len);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_int_equal(len, cases[i].want_len);
            assert_memory_equal(out, cases[i].want, len + 1);
        } else {
            assert_int_equal(len, 999); /* ret_len written only on success */
        }
    }
}

static void test_percent_decode_in_place(void **state)
{
    (void)state;
    char s[] = "a%2Fb+c%20d";
    size_t len;
    assert_int_equal(codec_percent_decode(slice_from_cstr(s), CODEC_PLUS_SPACE, s, sizeof(s), &len),
                     0);
    assert_string_equal(s, "a/b c d");
    assert_int_equal(len, 7);
}

static void test_percent_encode(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *keep;
        const char *want;
    } cases[] = {
        {"", NULL, ""},
        {"AZaz09-._~", NULL, "AZaz09-._~"},
        {"a b", NULL, "a%20b"},
        {"a/b/c", NULL, "a%2Fb%2Fc"},
        {"a/b/c", "/", "a/b/c"},
        {"x+y=z&w", NULL, "x%2By%3Dz%26w"},
        {"caf\xc3\xa9", NULL, "caf%C3%A9"},
        {"\x01\x7f\xff", NULL, "%01%7F%FF"},
        {"%", NULL, "%25"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b;
        buf_init(&b, 1024);
        assert_int_equal(buf_append_str(&b, "pre:"), 0);
        assert_int_equal(codec_percent_encode(&b, slice_from_cstr(cases[i].in), cases[i].keep), 0);
        assert_int_equal(b.len, 4 + strlen(cases[i].want));
        assert_memory_equal(b.data + 4, cases[i].want, b.len - 4);
        buf_done(&b);
    }
}

static void test_percent_encode_limit(void **state)
{
    (void)state;
    /* Past the buf's maximum the buf is left exactly as it was. */
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_append_str(&b, "ab"), 0);
    assert_int_equal(codec_percent_encode(&b, slice_from_cstr("cd ef"), NULL), SEAU_E_TOO_LARGE);
    assert_int_equal(b.len, 2);
    assert_string_equal(buf_cstr(&b), "ab");
    assert_int_equal(codec_percent_encode(&b, slice_from_cstr("c d"), NULL), 0); /* 5 bytes: fits */
    assert_string_equal(buf_cstr(&b), "abc%20d");
    buf_done(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_value),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_percent_decode_in_place),
        cmocka_unit_test(test_percent_encode),
        cmocka_unit_test(test_percent_encode_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
