/* Tests of src/files/index.c: kinds, recording, the sync halves, and search within grants. */
#include "../testutil.h"

#include "core/err.h"
#include "files/index.h"
#include "s3/xml.h"

static void test_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *key, *ct, *kind;
    } cases[] = {
        {"a/b.JPG", NULL, "image"},       {"a/b.pdf", "", "pdf"},
        {"a/b.bin", "image/png", "image"}, {"a/b.txt", "application/pdf", "pdf"},
        {"x.tar.gz", NULL, "archive"},    {"a/.bashrc", NULL, "other"},
        {"a.b/noext", NULL, "other"},     {"r.docx", NULL, "document"},
        {"s.mp4", NULL, "video"},         {"m.flac", NULL, "audio"},
        {"n.csv", "text/csv", "text"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(files_kind_of(cases[i].key, cases[i].ct), cases[i].kind);
    assert_true(files_kind_valid("pdf"));
    assert_false(files_kind_valid("exe"));
}

static struct files_search search_of(const char *bucket, const char *q)
{
    struct files_search s = {.bucket = bucket, .q = q, .min_size = -1, .max_size = -1,
                             .limit = 100};
    return s;
}

static void test_record_and_search_grants(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    const char *keys[] = {"team-a/plan.pdf", "team-a/x/plan-2.pdf", "team-b/plan.pdf",
                          "team-ab/plan.pdf", "plan-root.pdf"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(files_index_record(t.db, "b1", keys[i], 10, "\"e\"", 1, NULL, 7, 5), 0);
        assert_int_equal(files_index_record(t.db, "b2", keys[i], 10, "\"e\"", 1, NULL, 7, 5), 0);
    }
    /* Not configured any more: never searched, not even by admins. */
    assert_int_equal(files_index_record(t.db, "gone", "team-a/plan.pdf", 1, NULL, 1, NULL, 0, 5), 0);
    char *buckets[] = {"b1", "b2", NULL};
    struct db_grant grants[] = {{"b1", "team-a/", "full"}, {"b1", "team-a/x/", "full"}};
    struct auth_subject user = {.user_id = 7, .role = AUTH_ROLE_USER, .grants = grants,
                                .ngrants = 2};
    struct auth_subject admin = {.user_id = 1, .role = AUTH_ROLE_ADMIN};
    struct files_search_result r;

    struct files_search s = search_of(NULL, "plan");
    assert_int_equal(files_index_search(t.db, buckets, &admin, &s, &r), 0);
    assert_int_equal(r.n, 10);
    assert_int_equal(r.total, 10);
    files_search_result_done(&r);

    /* The user sees team-a/ of b1 only, once each, and the total says so too. */
    const char *qs[] = {"plan", "PL", "pdf", "team", NULL};
    for (size_t i = 0; i < 5; i++) {
        s = search_of(NULL, qs[i]);
        assert_int_equal(files_index_search(t.db, buckets, &user, &s, &r), 0);
        assert_int_equal(r.n, 2);
        assert_int_equal(r.total, 2);
        for (size_t k = 0; k < r.n; k++) {
            assert_string_equal(r.rows[k].bucket, "b1");
            assert_memory_equal(r.rows[k].key, "team-a/", 7);
        }
        files_search_result_done(&r);
    }
    /* A prefix outside the grants finds nothing; one inside narrows. */
    s = search_of("b1", "plan");
    s.prefix = "team-b/";
    assert_int_equal(files_index_search(t.db, buckets, &user, &s, &r), 0);
    assert_int_equal(r.n, 0);
    files_search_result_done(&r);
    s.prefix = "team-a/x";
    assert_int_equal(files_index_search(t.db, buckets, &user, &s, &r), 0);
    assert_int_equal(r.n, 1);
    files_search_result_done(&r);
    /* A bucket without a grant and an unknown bucket answer alike: not found. */
    s = search_of("b2", "plan");
    assert_int_equal(files_index_search(t.db, buckets, &user, &s, &r), SEAU_E_NOT_FOUND);
    s = search_of("gone", "plan");
    assert_int_equal(files_index_search(t.db, buckets, &user, &s, &r), SEAU_E_NOT_FOUND);
    assert_int_equal(files_index_search(t.db, buckets, &admin, &s, &r), SEAU_E_NOT_FOUND);
    /* Paging: more and the cursor. */
    s = search_of(NULL, "plan");
    s.limit = 3;
    assert_int_equal(files_index_search(t.db, buckets, &admin, &s, &r), 0);
    assert_true(r.more);
    assert_int_equal(r.n, 3);
    char ab[64], ak[1100];
    snprintf(ab, sizeof(ab), "%s", r.rows[2].bucket);
    snprintf(ak, sizeof(ak), "%s", r.rows[2].key);
    files_search_result_done(&r);
    s.after_bucket = ab;
    s.after_key = ak;
    s.limit = 100;
    assert_int_equal(files_index_search(t.db, buckets, &admin, &s, &r), 0);
    assert_false(r.more);
    assert_int_equal(r.n, 7);
    files_search_result_done(&r);
    /* Forget one and a prefix. */
    assert_int_equal(files_index_forget(t.db, "b1", "plan-root.pdf"), 0);
    assert_int_equal(files_index_forget_prefix(t.db, "b2", "team-"), 0);
    s = search_of(NULL, "plan");
    assert_int_equal(files_index_search(t.db, buckets, &admin, &s, &r), 0);
    assert_int_equal(r.n, 5);
    files_search_result_done(&r);
    /* Limits. */
    s.limit = 1001;
    assert_int_equal(files_index_search(t.db, buckets, &admin, &s, &r), SEAU_E_VALIDATION);
    s.limit = 1000;
    s.type = "exe";
    assert_int_equal(files_index_search(t.db, buckets, &admin, &s, &r), SEAU_E_VALIDATION);
    test_db_close(&t);
}

static void test_apply_page_and_sweep(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    assert_int_equal(files_index_record(t.db, "b1", "old.txt", 1, "\"1\"", 1, "text/plain", 3, 5), 0);
    assert_int_equal(files_index_record(t.db, "b1", "keep.txt", 1, "\"1\"", 1, "text/plain", 3, 5), 0);
    struct s3_object listed[] = {
        {.key = "keep.txt", .last_modified_ms = 1, .etag = "\"1\"", .size = 1},
        {.key = "new/photo.png", .last_modified_ms = 2, .etag = "\"2\"", .size = 2},
    };
    struct files_sync_stats st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(files_index_apply_page(t.db, "b1", listed, 2, 10, &st), 0);
    assert_int_equal(files_index_sweep(t.db, "b1", 10, &st), 0);
    assert_int_equal(st.listed, 2);
    assert_int_equal(st.added, 1);
    assert_int_equal(st.unchanged, 1);
    assert_int_equal(st.removed, 1);
    struct db_object o;
    assert_int_equal(db_object_get(t.db, "b1", "old.txt", &o), SEAU_E_NOT_FOUND);
    assert_int_equal(db_object_get(t.db, "b1", "keep.txt", &o), 0);
    assert_string_equal(o.content_type, "text/plain"); /* unchanged: kept what Seau knew */
    assert_int_equal(o.uploaded_by, 3);
    assert_int_equal(db_object_get(t.db, "b1", "new/photo.png", &o), 0);
    assert_string_equal(o.kind, "image");
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_record_and_search_grants),
        cmocka_unit_test(test_apply_page_and_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
