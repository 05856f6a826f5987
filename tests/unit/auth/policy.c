/* Tests of src/auth/policy.c: the role table of API.md, grants, ownership. */
#include "../testutil.h"

#include "auth/policy.h"
#include "core/err.h"

static const struct db_grant grants[] = {
    {"team-a", "", "full"},       /* the whole bucket */
    {"shared", "reports/", "full"}, /* one prefix */
};

static void test_roles(void **state)
{
    (void)state;
    assert_int_equal(auth_role_parse("admin"), AUTH_ROLE_ADMIN);
    assert_int_equal(auth_role_parse("manager"), AUTH_ROLE_MANAGER);
    assert_int_equal(auth_role_parse("user"), AUTH_ROLE_USER);
    assert_int_equal(auth_role_parse("Admin"), AUTH_ROLE_NONE);
    assert_int_equal(auth_role_parse(NULL), AUTH_ROLE_NONE);
    assert_string_equal(auth_role_name(AUTH_ROLE_MANAGER), "manager");
}

static void test_table(void **state)
{
    (void)state;
    static const struct auth_subject admin = {1, AUTH_ROLE_ADMIN, NULL, 0};
    static const struct auth_subject manager = {2, AUTH_ROLE_MANAGER, grants, 2};
    static const struct auth_subject user = {3, AUTH_ROLE_USER, grants, 2};
    static const struct auth_subject nobody = {4, AUTH_ROLE_NONE, NULL, 0};
    static const struct auth_resource self3 = {.target_user_id = 3};
    static const struct auth_resource other = {.target_user_id = 9};
    static const struct auth_resource in_a = {.bucket = "team-a", .key = "x/y.pdf", .owner_id = 3};
    static const struct auth_resource in_a_other = {.bucket = "team-a", .key = "z.pdf", .owner_id = 7};
    static const struct auth_resource in_a_unknown = {.bucket = "team-a", .key = "z.pdf"};
    static const struct auth_resource report = {.bucket = "shared", .key = "reports/q3.xlsx"};
    static const struct auth_resource secret = {.bucket = "shared", .key = "hr/salaries.xlsx"};
    static const struct auth_resource elsewhere = {.bucket = "finance", .key = "a"};
    static const struct {
        const struct auth_subject *who;
        enum auth_action action;
        const struct auth_resource *what;
        int want;
    } cases[] = {
        {&admin, AUTH_USER_MANAGE, &other, 0},
        {&admin, AUTH_OBJECT_DELETE, &elsewhere, 0}, /* admins see every bucket */
        {&admin, AUTH_SETTINGS, &other, 0},
        {&manager, AUTH_USERS_LIST, &other, 0},
        {&manager, AUTH_ACTIVITY_READ, &other, 0},
        {&manager, AUTH_USER_MANAGE, &other, SEAU_E_FORBIDDEN},
        {&manager, AUTH_GRANTS_MANAGE, &other, SEAU_E_FORBIDDEN},
        {&manager, AUTH_OBJECT_DELETE, &in_a_other, 0},
        {&manager, AUTH_SHARE_CREATE, &report, 0},
        {&manager, AUTH_FOLDER_CREATE, &in_a, 0},
        {&manager, AUTH_OBJECT_READ, &secret, SEAU_E_NOT_FOUND},
        {&manager, AUTH_OBJECT_READ, &elsewhere, SEAU_E_NOT_FOUND},
        {&user, AUTH_USERS_LIST, &other, SEAU_E_FORBIDDEN},
        {&user, AUTH_ACTIVITY_READ, &other, SEAU_E_FORBIDDEN},
        {&user, AUTH_USER_EDIT_SELF, &self3, 0},
        {&user, AUTH_USER_EDIT_SELF, &other, SEAU_E_FORBIDDEN},
        {&user, AUTH_OBJECT_READ, &report, 0},
        {&user, AUTH_OBJECT_WRITE, &in_a, 0},
        {&user, AUTH_OBJECT_DELETE, &in_a, 0},               /* its own upload */
        {&user, AUTH_OBJECT_DELETE, &in_a_other, SEAU_E_FORBIDDEN},
        {&user, AUTH_OBJECT_DELETE, &in_a_unknown, SEAU_E_FORBIDDEN},
        {&user, AUTH_SHARE_CREATE, &report, SEAU_E_FORBIDDEN},
        {&user, AUTH_FOLDER_CREATE, &in_a, SEAU_E_FORBIDDEN},
        {&user, AUTH_OBJECT_READ, &secret, SEAU_E_NOT_FOUND}, /* hidden, not forbidden */
        {&user, AUTH_OBJECT_WRITE, &elsewhere, SEAU_E_NOT_FOUND},
        {&nobody, AUTH_OBJECT_READ, &in_a, SEAU_E_FORBIDDEN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = auth_can(cases[i].who, cases[i].action, cases[i].what);
        if (got != cases[i].want)
            fail_msg("case %zu: got %s, want %s", i, err_name(got), err_name(cases[i].want));
    }
    assert_int_equal(auth_can(NULL, AUTH_OBJECT_READ, &in_a), SEAU_E_FORBIDDEN);
}

static void test_grants_cover(void **state)
{
    (void)state;
    static const struct auth_subject user = {3, AUTH_ROLE_USER, grants, 2};
    assert_true(auth_grants_cover(&user, "team-a", NULL));
    assert_true(auth_grants_cover(&user, "shared", "reports/"));
    assert_false(auth_grants_cover(&user, "shared", "reports")); /* the prefix, not a lookalike */
    assert_false(auth_grants_cover(&user, "shared", "reportsX/a"));
    assert_false(auth_grants_cover(&user, "team-ab", "x"));
    assert_false(auth_grants_cover(&user, NULL, "x"));
}

/* A grant's level caps what its holder may do there; the most permissive covering grant counts. */
static void test_levels(void **state)
{
    (void)state;
    static const struct db_grant levelled[] = {
        {"b", "ro/", "read"},
        {"b", "up/", "upload"},
        {"b", "all/", "full"},
        {"b", "ro/deep/", "full"}, /* a deeper grant may give more */
        {"b", "old/", ""},         /* stored before levels: full */
    };
    static const struct auth_subject manager = {2, AUTH_ROLE_MANAGER, levelled, 5};
    static const struct auth_subject user = {3, AUTH_ROLE_USER, levelled, 5};
    static const struct {
        const struct auth_subject *who;
        enum auth_action action;
        const char *key;
        int want;
    } cases[] = {
        {&manager, AUTH_OBJECT_READ, "ro/a.txt", 0},
        {&manager, AUTH_OBJECT_WRITE, "ro/a.txt", SEAU_E_FORBIDDEN},
        {&manager, AUTH_FOLDER_CREATE, "ro/new/", SEAU_E_FORBIDDEN},
        {&manager, AUTH_OBJECT_DELETE, "ro/a.txt", SEAU_E_FORBIDDEN},
        {&manager, AUTH_SHARE_CREATE, "ro/a.txt", SEAU_E_FORBIDDEN},
        {&manager, AUTH_OBJECT_WRITE, "up/a.txt", 0},
        {&manager, AUTH_FOLDER_CREATE, "up/new/", 0},
        {&manager, AUTH_OBJECT_DELETE, "up/a.txt", SEAU_E_FORBIDDEN},
        {&manager, AUTH_SHARE_CREATE, "up/a.txt", SEAU_E_FORBIDDEN},
        {&manager, AUTH_OBJECT_DELETE, "all/a.txt", 0},
        {&manager, AUTH_SHARE_CREATE, "all/a.txt", 0},
        {&manager, AUTH_OBJECT_DELETE, "ro/deep/a.txt", 0},
        {&manager, AUTH_OBJECT_DELETE, "old/a.txt", 0},
        {&manager, AUTH_OBJECT_READ, "elsewhere/a.txt", SEAU_E_NOT_FOUND},
        {&user, AUTH_OBJECT_WRITE, "ro/a.txt", SEAU_E_FORBIDDEN},
        {&user, AUTH_OBJECT_WRITE, "up/a.txt", 0},
        {&user, AUTH_FOLDER_CREATE, "up/new/", SEAU_E_FORBIDDEN}, /* the role still decides */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct auth_resource r = {.bucket = "b", .key = cases[i].key, .owner_id = 3};
        int got = auth_can(cases[i].who, cases[i].action, &r);
        if (got != cases[i].want)
            fail_msg("case %zu (%s): got %d, want %d", i, cases[i].key, got, cases[i].want);
    }
    assert_int_equal(auth_grants_level(&manager, "b", "ro/x"), AUTH_LEVEL_READ);
    assert_int_equal(auth_grants_level(&manager, "b", "ro/deep/x"), AUTH_LEVEL_FULL);
    assert_int_equal(auth_grants_level(&manager, "c", "ro/x"), AUTH_LEVEL_NONE);
    assert_int_equal(auth_level_parse("upload"), AUTH_LEVEL_UPLOAD);
    assert_int_equal(auth_level_parse("Full"), AUTH_LEVEL_NONE);
    assert_string_equal(auth_level_name(AUTH_LEVEL_READ), "read");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_grants_cover),
        cmocka_unit_test(test_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
