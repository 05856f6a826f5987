/*
 * Tests of src/files/upload_proxied.c without S3: the part size, and the
 * checks made before any byte goes to S3 (target, file names, keys, grants),
 * each refusal naming its field. The bytes' path to S3 is covered by
 * tests/integration/upload.test.ts.
 */
#include "../testutil.h"

#include "core/err.h"
#include "files/upload_proxied.h"

#include <string.h>

#define MiB (1024LL * 1024)

static void test_part_size(void **state)
{
    (void)state;
    static const struct {
        int64_t length;
        uint64_t part;
    } cases[] = {
        {0, FILES_INGEST_PART_MIN},    {-1, FILES_INGEST_PART_MIN}, {1, FILES_INGEST_PART_MIN},
        {8 * MiB * 9000 - 1, 8 * MiB}, {8 * MiB * 9000, 9 * MiB}, /* length / 9000 + 1 is past 8
                                                                     MiB: the next MiB */
        {100 * 1024 * MiB, 12 * MiB},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t p = files_upload_proxied_part_size(cases[i].length);
        assert_int_equal(p, cases[i].part);
        assert_int_equal(p % MiB, 0);
        if (cases[i].length > 0)
            assert_true((uint64_t)cases[i].length / p < FILES_UPLOAD_PROXIED_PARTS);
    }
}

static char bucket_a[] = "team", bucket_b[] = "other";
static char *const buckets[] = {bucket_a, bucket_b};

/* A service for a user granted team/docs/ only; S3 is never reached by these checks. */
static struct files_upload_proxied *service(struct files_who *who, struct db_grant *g)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->bucket, sizeof(g->bucket), "team");
    snprintf(g->prefix, sizeof(g->prefix), "docs/");
    memset(who, 0, sizeof(*who));
    who->subject.user_id = 7;
    who->subject.role = AUTH_ROLE_USER;
    who->subject.grants = g;
    who->subject.ngrants = 1;
    static const struct audit_actor actor = {.user_id = 7, .email = "u@example.com"};
    struct files_env env = {.buckets = buckets, .nbuckets = 2};
    struct files_upload_proxied_opts o = {
        .env = &env, .who = who, .actor = &actor, .max_file_bytes = 10};
    struct files_upload_proxied *u = NULL;
    assert_int_equal(files_upload_proxied_new(&o, &u), 0);
    return u;
}

static void test_target_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *bucket, *prefix;
        int rc;
        const char *field;
    } cases[] = {
        {"Bad_Bucket!", "", SEAU_E_VALIDATION, "bucket"},
        {"missing", "", SEAU_E_NOT_FOUND, NULL},
        {"team", "docs", SEAU_E_VALIDATION, "prefix"}, /* must end with / */
        {"team", "/docs/", SEAU_E_VALIDATION, "prefix"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct files_who who;
        struct db_grant g;
        struct files_upload_proxied *u = service(&who, &g);
        assert_int_equal(files_upload_proxied_target(u, cases[i].bucket, cases[i].prefix),
                         cases[i].rc);
        assert_false(files_upload_proxied_has_target(u));
        const char *field = NULL;
        const char *why = files_upload_proxied_refusal(u, &field);
        if (cases[i].field) {
            assert_non_null(field);
            assert_string_equal(field, cases[i].field);
            assert_true(why[0] != '\0');
        } else {
            assert_null(field);
        }
        files_upload_proxied_free(u, 0);
    }
}

static void test_no_file_is_required(void **state)
{
    (void)state;
    struct files_who who;
    struct db_grant g;
    struct files_upload_proxied *u = service(&who, &g);
    assert_int_equal(files_upload_proxied_finish(u), SEAU_E_VALIDATION);
    const char *field = NULL;
    const char *why = files_upload_proxied_refusal(u, &field);
    assert_string_equal(field, "file");
    assert_string_equal(why, "is required");
    assert_int_equal(files_upload_proxied_count(u), 0);
    files_upload_proxied_free(u, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_part_size),
        cmocka_unit_test(test_target_refusals),
        cmocka_unit_test(test_no_file_is_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
