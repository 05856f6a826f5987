/*
 * Tests of files_index_sync_resume() (src/files/index.c): a walk cut short
 * by an S3 failure keeps its place in the store and the next run resumes
 * after the last key stored, with the same start time, so that what the
 * first part listed is not swept and what vanished is; a stopped walk keeps
 * its place too; a finished one records its end. S3 is a fake
 * ListObjectsV2 of two keys a page over k0..k4.
 */
#include "../testutil.h"

#include "core/err.h"
#include "files/index.h"
#include "s3/client.h"
#include "s3/xml.h"

#include <stdio.h>

static const char *const keys[] = {"k0", "k1", "k2", "k3", "k4"};
#define NKEYS 5

static struct {
    int calls;
    int fail_at; /* the call (1-based) that fails; 0: none */
    char first_start_after[64];
    char first_token[64];
} fake;

/* Pages of two keys after start_after (or the token, which is a key too). */
int s3_list_objects_v2(struct s3_client *c, const char *bucket, const struct s3_list_params *p,
                       struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    (void)c;
    assert_string_equal(bucket, "b");
    fake.calls++;
    if (fake.calls == 1) {
        snprintf(fake.first_start_after, sizeof(fake.first_start_after), "%s",
                 p->start_after ? p->start_after : "-");
        snprintf(fake.first_token, sizeof(fake.first_token), "%s",
                 p->continuation_token ? p->continuation_token : "-");
    }
    if (fake.calls == fake.fail_at) {
        if (ret_err) {
            memset(ret_err, 0, sizeof(*ret_err));
            ret_err->http_status = 503;
            snprintf(ret_err->code, sizeof(ret_err->code), "ServiceUnavailable");
        }
        return SEAU_E_UNAVAILABLE;
    }
    const char *after = p->continuation_token ? p->continuation_token : p->start_after;
    size_t i = 0;
    while (after && i < NKEYS && strcmp(keys[i], after) <= 0)
        i++;
    char doc[2048];
    int n = snprintf(doc, sizeof(doc), "<ListBucketResult><Name>b</Name>");
    size_t end = i + 2 < NKEYS ? i + 2 : NKEYS;
    for (size_t k = i; k < end; k++)
        n += snprintf(doc + n, sizeof(doc) - (size_t)n,
                      "<Contents><Key>%s</Key><Size>1</Size><ETag>\"e\"</ETag>"
                      "<LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>",
                      keys[k]);
    if (end < NKEYS)
        n += snprintf(doc + n, sizeof(doc) - (size_t)n,
                      "<IsTruncated>true</IsTruncated><NextContinuationToken>%s"
                      "</NextContinuationToken>",
                      keys[end - 1]);
    else
        n += snprintf(doc + n, sizeof(doc) - (size_t)n, "<IsTruncated>false</IsTruncated>");
    snprintf(doc + n, sizeof(doc) - (size_t)n, "</ListBucketResult>");
    return s3_xml_parse(S3_XML_LIST_OBJECTS_V2, NULL, doc, strlen(doc), ret);
}

int s3_list_objects_v2_cached(struct s3_client *c, const char *bucket,
                              const struct s3_list_params *p, struct s3_xml_answer *ret,
                              struct s3_error *ret_err)
{
    return s3_list_objects_v2(c, bucket, p, ret, ret_err);
}

static bool indexed(struct db *db, const char *key)
{
    struct db_object o;
    return db_object_get(db, "b", key, &o) == 0;
}

static void counting(void *ctx, int64_t listed)
{
    *(int64_t *)ctx = listed;
}

static void test_resume_after_failure(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    /* Known before the walk, gone from S3: the sweep after the whole walk removes it. */
    assert_int_equal(files_index_record(t.db, "b", "gone", 1, "\"e\"", 1, NULL, 0, 1), 0);
    struct s3_client *s3 = (struct s3_client *)16; /* never used by the fake */

    memset(&fake, 0, sizeof(fake));
    fake.fail_at = 2;
    struct files_sync_stats st;
    struct s3_error err;
    bool resumed = true;
    int64_t seen = 0;
    assert_int_equal(files_index_sync_resume(t.db, s3, "b", NULL, counting, &seen, &st, &resumed,
                                             &err),
                     SEAU_E_UNAVAILABLE);
    assert_false(resumed);
    assert_int_equal(st.listed, 2);
    assert_int_equal(seen, 2);
    assert_int_equal(st.removed, 0);
    assert_true(indexed(t.db, "k1") && !indexed(t.db, "k2") && indexed(t.db, "gone"));
    struct db_index_sync s;
    assert_int_equal(db_index_sync_get(t.db, "b", &s), 0);
    assert_true(s.walk_started > 0);
    assert_string_equal(s.after_key, "k1");
    assert_int_equal(s.listed, 2);
    assert_int_equal(s.completed_at, 0);
    int64_t started = s.walk_started;

    /* The next run resumes after k1, and counts from where it stood. */
    memset(&fake, 0, sizeof(fake));
    assert_int_equal(files_index_sync_resume(t.db, s3, "b", NULL, counting, &seen, &st, &resumed,
                                             &err),
                     0);
    assert_true(resumed);
    assert_string_equal(fake.first_start_after, "k1");
    assert_string_equal(fake.first_token, "-");
    assert_int_equal(fake.calls, 2); /* k2 k3, then k4 */
    assert_int_equal(st.listed, NKEYS);
    assert_int_equal(seen, NKEYS);
    assert_int_equal(st.removed, 1);
    for (size_t i = 0; i < NKEYS; i++)
        assert_true(indexed(t.db, keys[i])); /* k0 and k1 were listed by the first part */
    assert_false(indexed(t.db, "gone"));
    assert_int_equal(db_index_sync_get(t.db, "b", &s), 0);
    assert_int_equal(s.walk_started, 0);
    assert_string_equal(s.after_key, "");
    assert_int_equal(s.listed, NKEYS);
    assert_true(s.completed_at >= started);

    /* A walk after a finished one starts over. */
    memset(&fake, 0, sizeof(fake));
    assert_int_equal(files_index_sync_resume(t.db, s3, "b", NULL, NULL, NULL, &st, &resumed, &err),
                     0);
    assert_false(resumed);
    assert_string_equal(fake.first_start_after, "-");
    assert_int_equal(st.unchanged, NKEYS);
    test_db_close(&t);
}

static bool stop_after_first(void *ctx)
{
    return fake.calls >= 1 && ctx;
}

static void test_stopped_walk_keeps_its_place(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    memset(&fake, 0, sizeof(fake));
    struct files_sync_stats st;
    assert_int_equal(files_index_sync_resume(t.db, (struct s3_client *)16, "b", stop_after_first,
                                             NULL, (void *)1, &st, NULL, NULL),
                     SEAU_E_CANCELLED);
    struct db_index_sync s;
    assert_int_equal(db_index_sync_get(t.db, "b", &s), 0);
    assert_string_equal(s.after_key, "k1");
    assert_true(s.walk_started > 0);
    /* Another bucket was never walked: a zeroed state. */
    assert_int_equal(db_index_sync_get(t.db, "other", &s), 0);
    assert_string_equal(s.bucket, "other");
    assert_int_equal(s.walk_started + s.completed_at + s.listed, 0);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_after_failure),
        cmocka_unit_test(test_stopped_walk_keeps_its_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
