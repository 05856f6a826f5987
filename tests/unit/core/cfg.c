/* Tests of src/core/cfg.c: environment, flags, and naming every problem. */
#include "../testutil.h"

#include "core/cfg.h"
#include "core/err.h"

static const char *const seau_vars[] = {
    "SEAU_LISTEN",        "SEAU_DATABASE_URL", "SEAU_PUBLIC_URL",    "SEAU_LOG_LEVEL",
    "SEAU_LOG_FORMAT",    "SEAU_TRUSTED_PROXIES", "SEAU_WEB_ROOT",   "SEAU_ADMIN_EMAIL",
    "SEAU_ADMIN_PASSWORD", "SEAU_SESSION_MAX_AGE", "SEAU_HTTP_THREADS", "SEAU_S3_ENDPOINT",
    "AWS_ENDPOINT_URL_S3", "SEAU_S3_FORCE_PATH_STYLE", "SEAU_BUCKETS", "SEAU_SESSION_CACHE", NULL};

static int clear_env(void **state)
{
    (void)state;
    for (const char *const *v = seau_vars; *v; v++)
        unsetenv(*v);
    return 0;
}

static void test_defaults(void **state)
{
    (void)state;
    struct cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    assert_int_equal(cfg_validate(&c, &p), 0);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.database_url, "sqlite:./data/seau.db");
    assert_null(c.public_url);
    assert_false(c.public_https);
    assert_int_equal(c.log_level, LOG_INFO);
    assert_true(c.session_idle_ms == 12 * 3600 * 1000);
    assert_true(c.session_cache_ms == 1000);
    assert_true(c.login_window_ms == 15 * 60 * 1000);
    cfg_done(&c);
}

static void test_env_and_flags(void **state)
{
    (void)state;
    setenv("SEAU_LISTEN", "127.0.0.1:9000", 1);
    setenv("SEAU_LOG_LEVEL", "debug", 1);
    setenv("SEAU_PUBLIC_URL", "HTTPS://Files.Example.com/base", 1);
    char *argv[] = {"--listen=127.0.0.1:9001", "--log-format", "text"};
    struct cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(cfg_load(&c, 3, argv, &p), 0);
    assert_int_equal(cfg_validate(&c, &p), 0);
    assert_string_equal(c.listen, "127.0.0.1:9001"); /* the flag wins */
    assert_int_equal(c.log_level, LOG_DEBUG);
    assert_int_equal(c.log_format, LOG_FORMAT_TEXT);
    assert_true(c.public_https);
    assert_string_equal(c.public_origin, "https://files.example.com");
    cfg_done(&c);
    clear_env(NULL);
}

static void test_every_problem_named(void **state)
{
    (void)state;
    setenv("SEAU_LISTEN", "nope", 1);
    setenv("SEAU_LOG_LEVEL", "loud", 1);
    setenv("SEAU_SESSION_MAX_AGE", "forever", 1);
    setenv("SEAU_SESSION_CACHE", "1m", 1); /* over 10s: revocation elsewhere would lag */
    setenv("SEAU_TRUSTED_PROXIES", "10.0.0.0/99", 1);
    setenv("SEAU_ADMIN_PASSWORD", "short", 1);
    char *argv[] = {"--bogus=1", "stray"};
    struct cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(cfg_load(&c, 2, argv, &p), SEAU_E_VALIDATION);
    assert_int_equal(cfg_validate(&c, &p), SEAU_E_VALIDATION);
    const char *expect[] = {"--bogus", "stray", "SEAU_LISTEN", "SEAU_LOG_LEVEL",
                            "SEAU_SESSION_MAX_AGE", "SEAU_SESSION_CACHE", "SEAU_TRUSTED_PROXIES",
                            "SEAU_ADMIN_PASSWORD"};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        bool found = false;
        for (size_t k = 0; k < p.len; k++)
            found = found || strstr(p.items[k], expect[i]) != NULL;
        if (!found)
            fail_msg("no problem names %s", expect[i]);
    }
    /* The password's value never appears in a message. */
    for (size_t k = 0; k < p.len; k++)
        assert_null(strstr(p.items[k], "short"));
    cfg_problems_done(&p);
    cfg_done(&c);
    clear_env(NULL);
}

static void test_print_redacts(void **state)
{
    (void)state;
    setenv("SEAU_ADMIN_EMAIL", "root@example.com", 1);
    setenv("SEAU_ADMIN_PASSWORD", "correct horse battery staple", 1);
    struct cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cfg_print(&c, f);
    fclose(f);
    assert_null(strstr(text, "battery"));
    assert_non_null(strstr(text, "SEAU_ADMIN_PASSWORD=(set, redacted)"));
    assert_non_null(strstr(text, "SEAU_ADMIN_EMAIL=root@example.com"));
    free(text);
    cfg_done(&c);
    clear_env(NULL);
}

/* A PostgreSQL URL's password never reaches the screen or the logs. */
static void test_database_url_display(void **state)
{
    (void)state;
    static const struct {
        const char *url, *shown;
    } cases[] = {
        {"sqlite:./data/seau.db", "sqlite:./data/seau.db"},
        {"postgres://seau:s3cret@db:5432/seau", "postgres://seau:(redacted)@db:5432/seau"},
        {"postgresql://u:p%40ss@h/d?sslmode=require",
         "postgresql://u:(redacted)@h/d?sslmode=require"},
        {"postgres://u@h/d", "postgres://u@h/d"},
        {"postgres://h/d?sslmode=require&password=s3cret&application_name=x",
         "postgres://h/d?sslmode=require&password=(redacted)&application_name=x"},
        {"postgres://h/d?password=s3cret", "postgres://h/d?password=(redacted)"},
        {"postgres://", "postgres://"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        assert_string_equal(cfg_database_url_display(cases[i].url, out, sizeof(out)),
                            cases[i].shown);
    }
    char small[12];
    assert_string_equal(cfg_database_url_display("postgres://u:s3cret@h/d", small, sizeof(small)),
                        "postgres://");

    setenv("SEAU_DATABASE_URL", "postgres://seau:s3cret@db/seau", 1);
    struct cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cfg_print(&c, f);
    fclose(f);
    assert_null(strstr(text, "s3cret"));
    assert_non_null(strstr(text, "SEAU_DATABASE_URL=postgres://seau:(redacted)@db/seau"));
    free(text);
    cfg_done(&c);
    unsetenv("SEAU_DATABASE_URL");
}

static void test_s3_settings(void **state)
{
    (void)state;
    setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000", 1);
    setenv("SEAU_BUCKETS", "media, team-a,,archive.2026", 1);
    setenv("SEAU_S3_FORCE_PATH_STYLE", "yes", 1);
    struct cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    assert_int_equal(cfg_validate(&c, &p), 0);
    assert_string_equal(c.s3_endpoint, "http://127.0.0.1:9000"); /* the AWS variable counts */
    assert_true(c.s3_force_path_style);
    assert_int_equal(c.nbuckets, 3);
    assert_string_equal(c.buckets[0], "media"); /* the default bucket */
    assert_string_equal(c.buckets[2], "archive.2026");
    cfg_done(&c);

    setenv("SEAU_S3_ENDPOINT", "ftp://example.com/path", 1); /* SEAU_ wins, and is checked */
    setenv("SEAU_BUCKETS", "Media,ok-bucket,ok-bucket", 1);
    setenv("SEAU_S3_FORCE_PATH_STYLE", "maybe", 1);
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    assert_int_equal(cfg_validate(&c, &p), SEAU_E_VALIDATION);
    const char *expect[] = {"SEAU_S3_ENDPOINT", "'Media'", "'ok-bucket' is listed twice",
                            "SEAU_S3_FORCE_PATH_STYLE"};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        bool found = false;
        for (size_t k = 0; k < p.len; k++)
            found = found || strstr(p.items[k], expect[i]) != NULL;
        if (!found)
            fail_msg("no problem names %s", expect[i]);
    }
    assert_int_equal(c.nbuckets, 1);
    cfg_problems_done(&p);
    cfg_done(&c);
    clear_env(NULL);
}

/* Invitations and first sign-in: SEAU_INVITE_TTL, SEAU_FORCE_PASSWORD_CHANGE, SEAU_SMTP_*. */
static void test_invitation_settings(void **state)
{
    (void)state;
    static const char *const vars[] = {"SEAU_INVITE_TTL", "SEAU_FORCE_PASSWORD_CHANGE",
                                       "SEAU_SMTP_URL", "SEAU_SMTP_FROM", NULL};
    struct cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    assert_int_equal(cfg_validate(&c, &p), 0);
    assert_true(c.invite_ttl_ms == 7LL * 86400 * 1000);
    assert_true(c.force_password_change);
    assert_null(c.smtp_url);
    cfg_done(&c);

    setenv("SEAU_INVITE_TTL", "2h", 1);
    setenv("SEAU_FORCE_PASSWORD_CHANGE", "false", 1);
    setenv("SEAU_SMTP_URL", "smtps://mailer:s3cret@mail.example.com:465", 1);
    setenv("SEAU_SMTP_FROM", "seau@example.com", 1);
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    assert_int_equal(cfg_validate(&c, &p), 0);
    assert_true(c.invite_ttl_ms == 2LL * 3600 * 1000);
    assert_false(c.force_password_change);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cfg_print(&c, f);
    fclose(f);
    assert_null(strstr(text, "s3cret"));
    assert_non_null(strstr(text, "SEAU_SMTP_FROM=seau@example.com"));
    free(text);
    cfg_done(&c);

    setenv("SEAU_INVITE_TTL", "soon", 1);
    setenv("SEAU_FORCE_PASSWORD_CHANGE", "perhaps", 1);
    setenv("SEAU_SMTP_URL", "http://mailer:s3cret@mail.example.com", 1);
    setenv("SEAU_SMTP_FROM", "seau@example.com\r\nBcc: x@evil.example", 1);
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    assert_int_equal(cfg_validate(&c, &p), SEAU_E_VALIDATION);
    assert_int_equal(p.len, 4);
    for (size_t i = 0; i < p.len; i++)
        assert_null(strstr(p.items[i], "s3cret")); /* the URL is a secret, even when wrong */
    cfg_problems_done(&p);
    cfg_done(&c);

    unsetenv("SEAU_SMTP_FROM");
    setenv("SEAU_INVITE_TTL", "7d", 1);
    setenv("SEAU_FORCE_PASSWORD_CHANGE", "true", 1);
    setenv("SEAU_SMTP_URL", "smtp://127.0.0.1:2525", 1);
    assert_int_equal(cfg_load(&c, 0, NULL, &p), 0);
    assert_int_equal(cfg_validate(&c, &p), SEAU_E_VALIDATION);
    assert_int_equal(p.len, 1);
    assert_non_null(strstr(p.items[0], "SEAU_SMTP_FROM is not"));
    cfg_problems_done(&p);
    cfg_done(&c);
    for (const char *const *v = vars; *v; v++)
        unsetenv(*v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_env_and_flags, clear_env),
        cmocka_unit_test_setup(test_every_problem_named, clear_env),
        cmocka_unit_test_setup(test_print_redacts, clear_env),
        cmocka_unit_test_setup(test_database_url_display, clear_env),
        cmocka_unit_test_setup(test_s3_settings, clear_env),
        cmocka_unit_test_setup(test_invitation_settings, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
