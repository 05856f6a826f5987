/*
 * Tests for src/s3/ini.c: the AWS shared-file parser (STYLE.md rules 15, 18).
 *
 * Table-driven cases of whole files and the lookups they must answer, the
 * malformed lines that must fail (with their line numbers), each limit at
 * its value and one past it, and loading from disk. Every function here is
 * static; helpers are prefixed ini_test_.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../../src/s3/ini.c"

#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One expected lookup: profile, key, value (NULL: absent). */
struct ini_test_lookup {
    const char *profile;
    const char *key;
    const char *want;
};

#define INI_TEST_MAX_LOOKUPS 6

static void test_parse_cases(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum s3_ini_kind kind;
        const char *text;
        struct ini_test_lookup lookups[INI_TEST_MAX_LOOKUPS];
    } cases[] = {
        {"basic credentials",
         S3_INI_CREDENTIALS,
         "[default]\naws_access_key_id = AKID\naws_secret_access_key=SECRET\n",
         {{"default", "aws_access_key_id", "AKID"},
          {"default", "aws_secret_access_key", "SECRET"},
          {"default", "aws_session_token", NULL},
          {"other", "aws_access_key_id", NULL}}},
        {"empty file", S3_INI_CREDENTIALS, "", {{"default", "k", NULL}}},
        {"comments",
         S3_INI_CREDENTIALS,
         "# a comment\n; another\n[default] # after a header\n  # indented comment\n"
         "a = v ; inline\nb = x;y\nc = p #q\nd = #only a comment\ne=\tt\t;\tz\n",
         {{"default", "a", "v"},
          {"default", "b", "x;y"},
          {"default", "c", "p"},
          {"default", "d", ""},
          {"default", "e", "t"}}},
        {"white space",
         S3_INI_CREDENTIALS,
         "  [ default ]  \n\tkey\t=\t v w \t\n\nk2 =\n",
         {{"default", "key", "v w"}, {"default", "k2", ""}}},
        {"CRLF and BOM",
         S3_INI_CREDENTIALS,
         "\xEF\xBB\xBF[a]\r\nk = v\r\nk2 = w\r\n",
         {{"a", "k", "v"}, {"a", "k2", "w"}}},
        {"no final newline", S3_INI_CREDENTIALS, "[a]\nk = v", {{"a", "k", "v"}}},
        {"keys are case-insensitive",
         S3_INI_CREDENTIALS,
         "[a]\nAWS_Access_Key_ID = x\n",
         {{"a", "aws_access_key_id", "x"}, {"a", "AWS_ACCESS_KEY_ID", "x"}}},
        {"sections are case-sensitive",
         S3_INI_CREDENTIALS,
         "[Default]\nk = v\n",
         {{"default", "k", NULL}, {"Default", "k", "v"}}},
        {"value with '=' and ':'",
         S3_INI_CREDENTIALS,
         "[a]\nurl = https://x/?a=b\nk : v = w\n",
         {{"a", "url", "https://x/?a=b"}, {"a", "k : v", "w"}}},
        {"credentials: [profile x] is verbatim",
         S3_INI_CREDENTIALS,
         "[profile dev]\nk = v\n",
         {{"dev", "k", NULL}, {"profile dev", "k", "v"}}},
        {"config: profiles and default",
         S3_INI_CONFIG,
         "[profile dev]\nregion = eu-west-3\n[default]\nregion = us-east-1\n",
         {{"dev", "region", "eu-west-3"}, {"default", "region", "us-east-1"}}},
        {"config: [x] is not a profile",
         S3_INI_CONFIG,
         "[dev]\nregion = a\n[sso-session s]\nregion = b\n[profile]\nregion = c\n",
         {{"dev", "region", NULL},
          {"sso-session s", "region", NULL},
          {"s", "region", NULL},
          {"profile", "region", NULL}}},
        {"config: blanks after profile",
         S3_INI_CONFIG,
         "[profile   dev  ]\nk = 1\n[profile\tqa]\nk = 2\n[ profile x ]\nk = 3\n",
         {{"dev", "k", "1"}, {"qa", "k", "2"}, {"x", "k", "3"}}},
        {"config: Profile is not a prefix",
         S3_INI_CONFIG,
         "[Profile dev]\nk = 1\n",
         {{"dev", "k", NULL}, {"Profile dev", "k", NULL}}},
        {"config: [profile default] wins",
         S3_INI_CONFIG,
         "[profile default]\nregion = a\n[default]\nregion = b\nonly_bare = c\n",
         {{"default", "region", "a"}, {"default", "only_bare", NULL}}},
        {"config: [default] alone",
         S3_INI_CONFIG,
         "[default]\nregion = b\n",
         {{"default", "region", "b"}}},
        {"repeated sections merge, last key wins",
         S3_INI_CREDENTIALS,
         "[a]\nk = 1\nj = 1\n[b]\nk = 2\n[a]\nk = 3\n",
         {{"a", "k", "3"}, {"a", "j", "1"}, {"b", "k", "2"}}},
        {"nested settings stay nested",
         S3_INI_CONFIG,
         "[default]\ns3 =\n  region = nested\n  addressing_style = path\nregion = top\n",
         {{"default", "region", "top"},
          {"default", "s3", "\nregion = nested\naddressing_style = path"},
          {"default", "addressing_style", NULL}}},
        {"a blank line ends a value",
         S3_INI_CREDENTIALS,
         "[a]\nk = v\n\n  j = w\n",
         {{"a", "k", "v"}, {"a", "j", "w"}}},
        {"indented property, then same indent",
         S3_INI_CREDENTIALS,
         "[a]\n  k = v\n  j = w\n",
         {{"a", "k", "v"}, {"a", "j", "w"}}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s3_ini *ini = NULL;
        size_t line = 99;
        int rc = s3_ini_parse(cases[i].text, strlen(cases[i].text), cases[i].kind, &ini, &line);
        if (rc != 0)
            fail_msg("%s: parse failed with %s at line %zu", cases[i].name, err_name(rc), line);
        assert_int_equal(line, 99); /* diagnostics are written on failure only */
        for (size_t k = 0; k < INI_TEST_MAX_LOOKUPS && cases[i].lookups[k].profile; k++) {
            const struct ini_test_lookup *l = &cases[i].lookups[k];
            const char *got = s3_ini_get(ini, l->profile, l->key);
            if (!l->want && got)
                fail_msg("%s: [%s] %s should be absent, got \"%s\"", cases[i].name, l->profile,
                         l->key, got);
            if (l->want && (!got || strcmp(got, l->want) != 0))
                fail_msg("%s: [%s] %s: want \"%s\", got \"%s\"", cases[i].name, l->profile, l->key,
                         l->want, got ? got : "(null)");
        }
        s3_ini_free(ini);
    }
}

static void test_has_profile(void **state)
{
    (void)state;
    static const char text[] = "[profile empty]\n[default]\n[sso-session s]\n";
    struct s3_ini *ini = NULL;
    assert_int_equal(s3_ini_parse(text, strlen(text), S3_INI_CONFIG, &ini, NULL), 0);
    assert_true(s3_ini_has_profile(ini, "empty"));
    assert_true(s3_ini_has_profile(ini, "default"));
    assert_false(s3_ini_has_profile(ini, "s"));
    assert_false(s3_ini_has_profile(ini, "sso-session s"));
    assert_false(s3_ini_has_profile(NULL, "default"));
    assert_null(s3_ini_get(NULL, "default", "k"));
    s3_ini_free(ini);
    s3_ini_free(NULL);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *text;
        size_t len; /* 0: strlen */
        size_t line;
    } cases[] = {
        {"property before any section", "k = v\n", 0, 1},
        {"comment then property before any section", "# c\n\nk = v\n", 0, 3},
        {"line without '='", "[a]\nk = v\njunk\n", 0, 3},
        {"unterminated header", "[a\nk = v\n", 0, 1},
        {"empty header", "[]\n", 0, 1},
        {"blank header", "[  ]\n", 0, 1},
        {"text after a header", "[a] b\n", 0, 1},
        {"two closing brackets", "[a]]\n", 0, 1},
        {"empty key", "[a]\n = v\n", 0, 2},
        {"NUL byte", "[a]\nk = v\0w\n", 11, 2},
        {"malformed after CRLF lines", "[a]\r\nk = v\r\n[b\r\n", 0, 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s3_ini *ini = (struct s3_ini *)&cases[i]; /* must be left alone */
        size_t line = 0;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        int rc = s3_ini_parse(cases[i].text, len, S3_INI_CREDENTIALS, &ini, &line);
        if (rc != SEAU_E_VALIDATION)
            fail_msg("%s: want SEAU_E_VALIDATION, got %s", cases[i].name, err_name(rc));
        if (line != cases[i].line)
            fail_msg("%s: want line %zu, got %zu", cases[i].name, cases[i].line, line);
        assert_ptr_equal(ini, &cases[i]);
    }
}

/* Appends n copies of c to b. */
static void ini_test_fill(struct buf *b, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(buf_append_char(b, c), 0);
}

static int ini_test_parse(const struct buf *b, size_t *line)
{
    struct s3_ini *ini = NULL;
    int rc = s3_ini_parse(b->data ? b->data : "", b->len, S3_INI_CREDENTIALS, &ini, line);
    s3_ini_free(ini);
    return rc;
}

static void test_line_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 2 * S3_INI_MAX_FILE);
    size_t line = 0;

    /* A value line of exactly S3_INI_MAX_LINE bytes, CR LF not counted. */
    assert_int_equal(buf_append_str(&b, "[a]\nk = "), 0);
    ini_test_fill(&b, 'v', S3_INI_MAX_LINE - 4);
    assert_int_equal(buf_append_str(&b, "\r\n"), 0);
    assert_int_equal(ini_test_parse(&b, &line), 0);
    /* One byte more. */
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "[a]\nk = "), 0);
    ini_test_fill(&b, 'v', S3_INI_MAX_LINE - 3);
    assert_int_equal(buf_append_str(&b, "\n"), 0);
    assert_int_equal(ini_test_parse(&b, &line), SEAU_E_TOO_LARGE);
    assert_int_equal(line, 2);
    /* Comment lines are lines too. */
    buf_reset(&b);
    assert_int_equal(buf_append_char(&b, '#'), 0);
    ini_test_fill(&b, 'c', S3_INI_MAX_LINE);
    assert_int_equal(ini_test_parse(&b, &line), SEAU_E_TOO_LARGE);
    assert_int_equal(line, 1);

    /* A value grown by continuation lines: up to S3_INI_MAX_LINE bytes, then refused. */
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "[a]\nk = v\n"), 0); /* the value is "v" */
    /* Each continuation adds '\n' + 99 bytes; 40 of them make 1 + 40 * 100 = 4001. */
    for (int i = 0; i < 40; i++) {
        assert_int_equal(buf_append_str(&b, "  "), 0);
        ini_test_fill(&b, 'x', 99);
        assert_int_equal(buf_append_char(&b, '\n'), 0);
    }
    /* 95 more: '\n' + 94 bytes gives exactly 4096. */
    assert_int_equal(buf_append_str(&b, "  "), 0);
    ini_test_fill(&b, 'y', 94);
    assert_int_equal(buf_append_char(&b, '\n'), 0);
    struct s3_ini *ini = NULL;
    assert_int_equal(s3_ini_parse(b.data, b.len, S3_INI_CREDENTIALS, &ini, &line), 0);
    assert_int_equal(strlen(s3_ini_get(ini, "a", "k")), S3_INI_MAX_LINE);
    s3_ini_free(ini);
    assert_int_equal(buf_append_str(&b, "  z\n"), 0);
    assert_int_equal(ini_test_parse(&b, &line), SEAU_E_TOO_LARGE);
    assert_int_equal(line, 44);
    buf_done(&b);
}

static void test_file_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 2 * S3_INI_MAX_FILE);
    size_t line = 7;
    /* Exactly S3_INI_MAX_FILE bytes of comment lines of 1024 bytes each. */
    for (size_t i = 0; i < S3_INI_MAX_FILE / 1024; i++) {
        assert_int_equal(buf_append_char(&b, '#'), 0);
        ini_test_fill(&b, 'c', 1022);
        assert_int_equal(buf_append_char(&b, '\n'), 0);
    }
    assert_int_equal(b.len, S3_INI_MAX_FILE);
    assert_int_equal(ini_test_parse(&b, &line), 0);
    assert_int_equal(buf_append_char(&b, '\n'), 0);
    assert_int_equal(ini_test_parse(&b, &line), SEAU_E_TOO_LARGE);
    assert_int_equal(line, 0);
    buf_done(&b);
}

static void test_count_limits(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, S3_INI_MAX_FILE);
    size_t line = 0;

    for (int i = 0; i < S3_INI_MAX_SECTIONS; i++)
        assert_int_equal(buf_printf(&b, "[s%d]\n", i), 0);
    assert_int_equal(buf_append_str(&b, "[s0]\n"), 0); /* a repeat is not a new section */
    assert_int_equal(ini_test_parse(&b, &line), 0);
    assert_int_equal(buf_append_str(&b, "[one-more]\n"), 0);
    assert_int_equal(ini_test_parse(&b, &line), SEAU_E_TOO_LARGE);
    assert_int_equal(line, S3_INI_MAX_SECTIONS + 2);

    /* Keys are counted with their repeats. */
    buf_reset(&b);
    assert_int_equal(buf_append_str(&b, "[a]\n"), 0);
    for (int i = 0; i < S3_INI_MAX_KEYS; i++)
        assert_int_equal(buf_append_str(&b, "k=v\n"), 0);
    struct s3_ini *ini = NULL;
    assert_int_equal(s3_ini_parse(b.data, b.len, S3_INI_CREDENTIALS, &ini, &line), 0);
    assert_string_equal(s3_ini_get(ini, "a", "k"), "v");
    s3_ini_free(ini);
    assert_int_equal(buf_append_str(&b, "k=v\n"), 0);
    assert_int_equal(ini_test_parse(&b, &line), SEAU_E_TOO_LARGE);
    assert_int_equal(line, S3_INI_MAX_KEYS + 2);
    buf_done(&b);
}

static void test_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/seau-ini-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], big[128], missing[128];
    snprintf(path, sizeof(path), "%s/credentials", dir);
    snprintf(big, sizeof(big), "%s/big", dir);
    snprintf(missing, sizeof(missing), "%s/missing", dir);

    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[default]\naws_access_key_id = AKID\n", f);
    fclose(f);
    struct s3_ini *ini = NULL;
    size_t line = 5;
    assert_int_equal(s3_ini_load(path, S3_INI_CREDENTIALS, &ini, &line), 0);
    assert_string_equal(s3_ini_get(ini, "default", "aws_access_key_id"), "AKID");
    s3_ini_free(ini);

    ini = NULL;
    assert_int_equal(s3_ini_load(missing, S3_INI_CREDENTIALS, &ini, &line), SEAU_E_NOT_FOUND);
    assert_null(ini);
    char below_file[160];
    snprintf(below_file, sizeof(below_file), "%s/x", path);
    assert_int_equal(s3_ini_load(below_file, S3_INI_CREDENTIALS, &ini, &line), SEAU_E_NOT_FOUND);
    assert_int_equal(s3_ini_load(dir, S3_INI_CREDENTIALS, &ini, &line), SEAU_E_IO);

    f = fopen(big, "w");
    assert_non_null(f);
    for (size_t i = 0; i <= S3_INI_MAX_FILE; i += 8)
        fputs("#      \n", f);
    fclose(f);
    assert_int_equal(s3_ini_load(big, S3_INI_CREDENTIALS, &ini, &line), SEAU_E_TOO_LARGE);
    assert_int_equal(line, 0);
    assert_null(ini);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[default]\nnonsense\n", f);
    fclose(f);
    assert_int_equal(s3_ini_load(path, S3_INI_CREDENTIALS, &ini, &line), SEAU_E_VALIDATION);
    assert_int_equal(line, 2);

    unlink(path);
    unlink(big);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_cases), cmocka_unit_test(test_has_profile),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_file_limit),  cmocka_unit_test(test_count_limits),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
