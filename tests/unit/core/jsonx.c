/* Tests of src/core/jsonx.c: bounded parsing and field validation. */
#include "../testutil.h"

#include "core/err.h"
#include "core/jsonx.h"

static void test_depth(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int depth;
    } cases[] = {
        {"{}", 1},
        {"{\"a\":[1,{\"b\":[]}]}", 4},
        {"{\"a\":\"[[[[\"}", 1}, /* brackets inside strings do not count */
        {"{\"a\":\"\\\"[[\"}", 1},  /* nor after an escaped quote */
        {"{\"a\":[}", -1},
        {"]", -1},
        {"1", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(jsonx_depth(cases[i].in, strlen(cases[i].in)), cases[i].depth);
}

static void test_parse_limits(void **state)
{
    (void)state;
    char deep[64] = "";
    /* 16 levels is the limit; 17 is one past it. */
    for (int levels = 16; levels <= 17; levels++) {
        char text[128] = "";
        size_t n = 0;
        text[n++] = '{';
        memcpy(text + n, "\"a\":", 4);
        n += 4;
        for (int i = 1; i < levels; i++)
            text[n++] = '[';
        text[n++] = '1';
        for (int i = 1; i < levels; i++)
            text[n++] = ']';
        text[n++] = '}';
        json_t *j = NULL;
        int rc = jsonx_parse_object(text, n, 16, &j);
        assert_int_equal(rc, levels == 16 ? 0 : SEAU_E_TOO_LARGE);
        json_decref(j);
    }
    (void)deep;
    json_t *j = NULL;
    assert_int_equal(jsonx_parse_object("[1]", 3, 16, &j), SEAU_E_BAD_REQUEST);
    assert_int_equal(jsonx_parse_object("{\"a\":1,\"a\":2}", 13, 16, &j), SEAU_E_BAD_REQUEST);
    assert_int_equal(jsonx_parse_object("{\"a\":\"\xff\"}", 9, 16, &j), SEAU_E_BAD_REQUEST);
    assert_int_equal(jsonx_parse_object("{\"a\":1", 6, 16, &j), SEAU_E_BAD_REQUEST);
    assert_int_equal(jsonx_parse_object("", 0, 16, &j), SEAU_E_BAD_REQUEST);
    /* A NUL inside a string would cut C strings short: refused at parse time. */
    assert_int_equal(jsonx_parse_object("{\"a\":\"x\\u0000y\"}", strlen("{\"a\":\"x\\u0000y\"}"), 16, &j),
                     SEAU_E_BAD_REQUEST);
    assert_null(j);
}

static void test_check(void **state)
{
    (void)state;
    json_t *body = json_loads("{\"email\":\"a@b.c\",\"name\":\"\",\"n\":3,\"tab\":\"a\\tb\","
                              "\"long\":\"abcdef\",\"flag\":\"yes\",\"extra\":1}",
                              0, NULL);
    assert_non_null(body);
    struct jsonx_check c;
    jsonx_check_init(&c);
    assert_string_equal(jsonx_get_string(&c, body, "email", true, 254), "a@b.c");
    assert_true(jsonx_check_ok(&c));
    assert_null(jsonx_get_string(&c, body, "name", true, 10));
    assert_null(jsonx_get_string(&c, body, "missing", true, 10));
    assert_null(jsonx_get_string(&c, body, "optional", false, 10));
    assert_null(jsonx_get_string(&c, body, "n", true, 10));
    assert_null(jsonx_get_string(&c, body, "long", true, 5));
    assert_null(jsonx_get_string(&c, body, "tab", true, 10));
    bool b;
    assert_false(jsonx_get_bool(&c, body, "flag", &b));
    static const char *const allowed[] = {"email", "name", "n", "tab", "long", "flag", NULL};
    jsonx_reject_unknown(&c, body, allowed);
    json_t *details = jsonx_check_take_details(&c);
    json_t *fields = json_object_get(details, "fields");
    assert_string_equal(json_string_value(json_object_get(fields, "name")), "must not be empty");
    assert_string_equal(json_string_value(json_object_get(fields, "missing")), "is required");
    assert_null(json_object_get(fields, "optional"));
    assert_string_equal(json_string_value(json_object_get(fields, "n")), "must be a string");
    assert_string_equal(json_string_value(json_object_get(fields, "tab")),
                        "must not contain control characters");
    assert_string_equal(json_string_value(json_object_get(fields, "long")), "is too long");
    assert_string_equal(json_string_value(json_object_get(fields, "flag")),
                        "must be true or false");
    assert_string_equal(json_string_value(json_object_get(fields, "extra")),
                        "is not a known field");
    json_decref(details);
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
