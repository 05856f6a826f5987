/*
 * Tests of src/files/delete.c: the refusals that come before S3, and the
 * audited functions the handlers call, which write one object.delete entry
 * per request on failure and on success (S3 is tests/unit/fake_s3.h).
 */
#include "../fake_s3.h"
#include "../testutil.h"

#include "../../../src/files/delete.c"

static const struct audit_actor ACTOR = {7, "u@example.com", "192.0.2.1", "test"};

static size_t entries(struct db *db)
{
    struct db_audit_filter f = {.action = "object.delete", .limit = 1000};
    struct db_audit_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, &e, &n), 0);
    db_audit_entries_free(e, n);
    return n;
}

/* The newest entry is an object.delete by ACTOR with these fields. */
static void assert_entry(struct db *db, const char *status, const char *bucket, const char *key,
                         const char *details)
{
    struct db_audit_filter f = {.limit = 1};
    struct db_audit_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(db_audit_list(db, &f, &e, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(e->action, "object.delete");
    assert_string_equal(e->status, status);
    assert_string_equal(e->bucket, bucket);
    assert_string_equal(e->key, key);
    assert_int_equal(e->user_id, 7);
    assert_string_equal(e->user_email, "u@example.com");
    assert_string_equal(e->ip, "192.0.2.1");
    assert_string_equal(e->user_agent, "test");
    assert_string_equal(e->details, details);
    db_audit_entries_free(e, n);
}

static void test_refused(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct fake_s3 s3;
    fake_s3_start(&s3);
    char *buckets[] = {"b", NULL};
    struct files_env env = {.s3 = s3.client, .db = t.db, .buckets = buckets, .nbuckets = 1};
    struct db_grant g[] = {{"b", "team-a/", "full"}};
    struct files_who user = {
        .subject = {.user_id = 7, .role = AUTH_ROLE_USER, .grants = g, .ngrants = 1}};
    struct s3_error e;
    memset(&e, 0, sizeof(e));

    /* Outside the grants, and another's upload: refused, recorded, S3 never asked. */
    assert_int_equal(files_delete_one_audited(&env, &user, &ACTOR, "b", "other/x", &e),
                     SEAU_E_NOT_FOUND);
    assert_entry(t.db, "failure", "b", "other/x",
                 "{\"count\":0,\"error\":\"not_found\",\"keys\":[]}");
    assert_int_equal(files_index_record(t.db, "b", "team-a/theirs", 1, "\"e\"", 1, NULL, 8, 1), 0);
    assert_int_equal(files_delete_one_audited(&env, &user, &ACTOR, "b", "team-a/theirs", &e),
                     SEAU_E_FORBIDDEN);
    assert_entry(t.db, "failure", "b", "team-a/theirs",
                 "{\"count\":0,\"error\":\"forbidden\",\"keys\":[]}");
    assert_int_equal(atomic_load(&s3.deletes), 0);

    /* A bulk request whose every key is refused: one entry, a failure, naming the first key. */
    const char *keys[] = {"other/x", "team-a/theirs"};
    struct files_delete_outcome out;
    assert_int_equal(files_delete_many_audited(&env, &user, &ACTOR, "b", keys, 2, NULL, 0, &out),
                     0);
    assert_int_equal(out.ndeleted, 0);
    assert_int_equal(out.nerrors, 2);
    files_delete_outcome_done(&out);
    assert_entry(t.db, "failure", "b", "other/x",
                 "{\"count\":0,\"errors\":2,\"keys\":[],\"prefixes\":[]}");
    assert_int_equal(entries(t.db), 3);

    /* Without S3 a bulk request is refused as a whole: nothing recorded. */
    env.s3 = NULL;
    assert_int_equal(files_delete_many_audited(&env, &user, &ACTOR, "b", keys, 2, NULL, 0, &out),
                     SEAU_E_UNAVAILABLE);
    files_delete_outcome_done(&out);
    assert_int_equal(entries(t.db), 3);
    /* A single delete is recorded whatever happened. */
    assert_int_equal(files_delete_one_audited(&env, &user, &ACTOR, "b", "team-a/x", &e),
                     SEAU_E_UNAVAILABLE);
    assert_entry(t.db, "failure", "b", "team-a/x",
                 "{\"count\":0,\"error\":\"upstream_unavailable\",\"keys\":[]}");
    fake_s3_stop(&s3);
    test_db_close(&t);
}

static void test_deleted(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    struct fake_s3 s3;
    fake_s3_start(&s3);
    char *buckets[] = {"b", NULL};
    struct files_env env = {.s3 = s3.client, .db = t.db, .buckets = buckets, .nbuckets = 1};
    struct db_grant g[] = {{"b", "team-a/", "full"}};
    struct files_who user = {
        .subject = {.user_id = 7, .role = AUTH_ROLE_USER, .grants = g, .ngrants = 1}};
    assert_int_equal(files_index_record(t.db, "b", "team-a/mine", 1, "\"e\"", 1, NULL, 7, 1), 0);
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    assert_int_equal(files_delete_one_audited(&env, &user, &ACTOR, "b", "team-a/mine", &e), 0);
    assert_int_equal(atomic_load(&s3.deletes), 1);
    assert_entry(t.db, "success", "b", "team-a/mine", "{\"count\":1,\"keys\":[\"team-a/mine\"]}");
    struct db_object o;
    assert_int_equal(db_object_get(t.db, "b", "team-a/mine", &o), SEAU_E_NOT_FOUND);
    fake_s3_stop(&s3);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_deleted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
