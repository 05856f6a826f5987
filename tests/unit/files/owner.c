/*
 * Tests of src/files/owner.c: numbered names (pure), and the ownership rule
 * against the in-memory S3 of fake_s3.h and a real store: absent key,
 * one's own object, someone else's, one the index knows no uploader of,
 * a stale index row; managers and admins are never asked.
 */
#include "../fake_s3.h"
#include "../testutil.h"

#include "core/err.h"
#include "files/owner.h"

static void test_numbered(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        unsigned n;
        const char *want;
    } cases[] = {
        {"report.pdf", 1, "report (1).pdf"},
        {"a/b/report.pdf", 2, "a/b/report (2).pdf"},
        {"archive.tar.gz", 1, "archive.tar (1).gz"},
        {"README", 3, "README (3)"},
        {".env", 1, ".env (1)"},
        {"dir.v2/notes", 1, "dir.v2/notes (1)"},
        {"a/folder/", 1, "a/folder (1)/"},
        {"été/café.txt", 12, "été/café (12).txt"},
    };
    char out[DB_KEY_MAX + 1];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(files_name_numbered(cases[i].key, cases[i].n, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].want);
    }
    /* At the key limit: the number does not fit. */
    char longkey[DB_KEY_MAX + 1];
    memset(longkey, 'k', DB_KEY_MAX - 4);
    memcpy(longkey + DB_KEY_MAX - 4, ".txt", 5);
    assert_int_equal(files_name_numbered(longkey, 1, out, sizeof(out)), SEAU_E_VALIDATION);
    char small[8];
    assert_int_equal(files_name_numbered("report.pdf", 1, small, sizeof(small)),
                     SEAU_E_VALIDATION);
}

static void index_row(struct db *db, const char *key, int64_t by)
{
    struct db_object o;
    memset(&o, 0, sizeof(o));
    snprintf(o.bucket, sizeof(o.bucket), "b");
    snprintf(o.key, sizeof(o.key), "%s", key);
    o.size = 1;
    o.uploaded_by = by;
    assert_int_equal(db_object_upsert(db, &o), 0);
}

/*
 * The fake S3 answers every HEAD with 404, so an object "exists" only in the
 * index here: the index alone never blocks (S3 is the truth for what
 * exists), and one's own row needs no S3 request at all. Someone else's
 * existing object (403) is tested on Ceph RGW (tests/integration/ownership).
 */
static void test_ownership(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct fake_s3 fs;
    fake_s3_start(&fs);
    index_row(t.db, "mine.txt", 7);
    index_row(t.db, "gone.txt", 8); /* in the index, deleted from S3 since */
    bool exists = true;
    assert_int_equal(files_owner_check(fs.client, t.db, "b", "new.txt", 7, &exists, NULL), 0);
    assert_false(exists);
    assert_int_equal(atomic_load(&fs.heads), 1);
    assert_int_equal(files_owner_check(fs.client, t.db, "b", "mine.txt", 7, &exists, NULL), 0);
    assert_true(exists);
    assert_int_equal(atomic_load(&fs.heads), 1); /* the index named the caller: no HEAD */
    assert_int_equal(files_owner_check(fs.client, t.db, "b", "gone.txt", 7, &exists, NULL), 0);
    assert_false(exists);
    assert_int_equal(atomic_load(&fs.heads), 2);

    /* Only a `user` is asked: the others cost no request (the client is poisoned). */
    struct s3_client *poison = (struct s3_client *)16;
    struct files_env env = {.s3 = poison, .db = t.db};
    struct files_who manager = {.subject = {.user_id = 7, .role = AUTH_ROLE_MANAGER}};
    struct files_who admin = {.subject = {.user_id = 7, .role = AUTH_ROLE_ADMIN}};
    assert_int_equal(files_owner_may_overwrite(&env, &manager, "b", "gone.txt", NULL), 0);
    assert_int_equal(files_owner_may_overwrite(&env, &admin, "b", "gone.txt", NULL), 0);
    env.s3 = fs.client;
    struct files_who user = {.subject = {.user_id = 9, .role = AUTH_ROLE_USER}};
    assert_int_equal(files_owner_may_overwrite(&env, &user, "b", "gone.txt", NULL), 0);
    assert_int_equal(atomic_load(&fs.heads), 3);

    /* A free name: the key itself when nothing has it. */
    char out[DB_KEY_MAX + 1];
    assert_int_equal(files_name_free(fs.client, "b", "new.txt", out, sizeof(out), NULL), 0);
    assert_string_equal(out, "new.txt");
    fake_s3_stop(&fs);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbered),
        cmocka_unit_test(test_ownership),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
