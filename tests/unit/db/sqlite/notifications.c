/*
 * Tests of src/db/sqlite/notifications.c: history pages by id (before,
 * since-id, up to), by time and type, inside the caller's scopes; the last
 * id across purges; S3 events deduplicated, merged into Seau's own report
 * of the same change, or claimed by it when S3 reported first.
 */
#include "../../testutil.h"

#include "core/err.h"

static int64_t note(struct db *db, int64_t time, const char *type, const char *bucket,
                    const char *key)
{
    struct db_notification n = {.time = time,
                                .type = (char *)type,
                                .source = "seau",
                                .bucket = (char *)bucket,
                                .key = (char *)key,
                                .size = -1,
                                .message = "m"};
    assert_int_equal(db_notifications_insert(db, &n, 1, 0, NULL), 0);
    assert_true(n.id > 0);
    return n.id;
}

/* Runs q and writes the ids, newest first, as "5,4,..." into out. */
static size_t ids(struct db *db, const struct db_notification_query *q, char *out, size_t outlen)
{
    struct db_notification *rows = NULL;
    size_t n = 0, len = 0;
    assert_int_equal(db_notification_list(db, q, &rows, &n), 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, outlen - len, "%s%lld", i ? "," : "",
                                (long long)rows[i].id);
    db_notifications_free(rows, n);
    return n;
}

static const struct db_object_scope everything[] = {{"a", ""}, {"b", ""}};

static void test_paging_by_id_and_time(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    for (int i = 1; i <= 6; i++)
        assert_int_equal(note(t.db, i * 1000, i % 2 ? "upload" : "delete", "a", "k"), i);
    char got[64];
    struct db_notification_query q = {.scopes = everything, .nscopes = 2, .limit = 2};
    assert_int_equal(ids(t.db, &q, got, sizeof(got)), 2);
    assert_string_equal(got, "6,5");
    q.before_id = 5; /* the next page */
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "4,3");
    /* since=<id>: only newer rows, newest first, still at most limit. */
    q = (struct db_notification_query){.scopes = everything, .nscopes = 2, .limit = 10};
    q.after_id = 3;
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "6,5,4");
    q.upto_id = 5;
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "5,4");
    q.after_id = 6;
    q.upto_id = 0;
    assert_int_equal(ids(t.db, &q, got, sizeof(got)), 0);
    /* By time (at or after) and by type. */
    q = (struct db_notification_query){.scopes = everything, .nscopes = 2, .limit = 10};
    q.since = 4000;
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "6,5,4");
    q.type = "delete";
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "6,4");
    q.since = 0;
    q.before_id = 4;
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "2");
    /* Bad limits are refused. */
    q.limit = 0;
    struct db_notification *rows = NULL;
    size_t n = 0;
    assert_int_equal(db_notification_list(t.db, &q, &rows, &n), SEAU_E_VALIDATION);
    test_db_close(&t);
}

static void test_scopes(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    note(t.db, 1, "upload", "a", "x/1"); /* 1 */
    note(t.db, 2, "upload", "a", "y/1"); /* 2 */
    note(t.db, 3, "upload", "b", "x/1"); /* 3 */
    note(t.db, 4, "user", NULL, NULL);   /* 4: about no bucket */
    note(t.db, 5, "upload", "a", "x/2"); /* 5 */
    char got[64];
    struct db_object_scope ax = {"a", "x/"};
    struct db_notification_query q = {.scopes = &ax, .nscopes = 1, .limit = 10};
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "5,1");
    q.unscoped = true;
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "5,4,1");
    /* No scopes: only the unscoped rows, when allowed. */
    q.nscopes = 0;
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "4");
    /* Paging skips rows outside the scopes without ending early. */
    q = (struct db_notification_query){.scopes = &ax, .nscopes = 1, .limit = 1, .before_id = 5};
    ids(t.db, &q, got, sizeof(got));
    assert_string_equal(got, "1");
    test_db_close(&t);
}

static void test_last_id_survives_purge(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t last = -1;
    assert_int_equal(db_notification_last_id(t.db, &last), 0);
    assert_int_equal(last, 0);
    for (int i = 1; i <= 4; i++)
        note(t.db, i * 10, "upload", "a", "k");
    int64_t purged = 0;
    assert_int_equal(db_notification_purge(t.db, 30, &purged), 0);
    assert_int_equal(purged, 2);
    assert_int_equal(db_notification_purge(t.db, 1000, NULL), 0);
    assert_int_equal(db_notification_last_id(t.db, &last), 0);
    assert_int_equal(last, 4);
    /* Ids are never reused, so a client's since=<id> stays meaningful. */
    assert_int_equal(note(t.db, 50, "upload", "a", "k"), 5);
    test_db_close(&t);
}

static struct db_s3_event s3(const char *key, const char *dedupe, enum db_s3_change change,
                             const char *etag, int64_t now)
{
    struct db_s3_event e = {.bucket = "a",
                            .key = key,
                            .dedupe = dedupe,
                            .change = change,
                            .etag = etag,
                            .merge_since = now - 100,
                            .now = now};
    return e;
}

static void test_s3_events(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    /* Seau's upload first: the bucket's report of it merges into it, once. */
    struct db_notification up = {.time = 1000,
                                 .type = "upload",
                                 .source = "seau",
                                 .bucket = "a",
                                 .key = "k",
                                 .size = 3,
                                 .etag = "e1",
                                 .message = "m"};
    assert_int_equal(db_notifications_insert(t.db, &up, 1, 0, NULL), 0);
    struct db_s3_event e = s3("k", "d1", DB_S3_CREATED, "e1", 1050);
    struct db_s3_check check;
    assert_int_equal(db_notification_s3_check(t.db, &e, &check), 0);
    assert_false(check.seen);
    assert_int_equal(check.merge_id, up.id);
    struct db_notification n = {
        .time = 1050, .type = "upload", .source = "s3", .size = 3, .etag = "e1", .message = "s3"};
    enum db_s3_outcome out;
    assert_int_equal(db_notification_s3_ingest(t.db, &e, &n, &out), 0);
    assert_int_equal(out, DB_S3_MERGED);
    assert_int_equal(n.id, up.id);
    assert_int_equal(db_notification_s3_ingest(t.db, &e, &n, &out), 0);
    assert_int_equal(out, DB_S3_DUPLICATE);
    assert_int_equal(db_notification_s3_check(t.db, &e, &check), 0);
    assert_true(check.seen);
    /* A second report of another change is not merged into the same row. */
    struct db_s3_event e2 = s3("k", "d2", DB_S3_CREATED, "e1", 1060);
    struct db_notification n2 = {
        .time = 1060, .type = "upload", .source = "s3", .size = 3, .etag = "e1", .message = "s3"};
    assert_int_equal(db_notification_s3_ingest(t.db, &e2, &n2, &out), 0);
    assert_int_equal(out, DB_S3_INSERTED);
    assert_true(n2.id > up.id);

    /* S3 first: Seau's own report of the deletion claims the stored row. */
    struct db_s3_event del = s3("gone", "d3", DB_S3_REMOVED, NULL, 2000);
    struct db_notification ns = {
        .time = 2000, .type = "delete", .source = "s3", .size = -1, .message = "s3"};
    assert_int_equal(db_notification_s3_ingest(t.db, &del, &ns, &out), 0);
    assert_int_equal(out, DB_S3_INSERTED);
    struct db_notification mine = {.time = 2001,
                                   .type = "delete",
                                   .source = "seau",
                                   .bucket = "a",
                                   .key = "gone",
                                   .size = -1,
                                   .actor = "a@x.io",
                                   .actor_id = 1,
                                   .message = "deleted"};
    bool claimed = false;
    assert_int_equal(db_notifications_insert(t.db, &mine, 1, 1900, &claimed), 0);
    assert_true(claimed);
    assert_int_equal(mine.id, ns.id);
    struct db_object_scope a = {"a", ""};
    struct db_notification_query q = {.scopes = &a, .nscopes = 1, .limit = 1};
    struct db_notification *rows = NULL;
    size_t cnt = 0;
    assert_int_equal(db_notification_list(t.db, &q, &rows, &cnt), 0);
    assert_int_equal(cnt, 1);
    assert_int_equal(rows[0].id, ns.id);
    assert_string_equal(rows[0].source, "seau");
    assert_string_equal(rows[0].actor, "a@x.io");
    db_notifications_free(rows, cnt);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging_by_id_and_time),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_last_id_survives_purge),
        cmocka_unit_test(test_s3_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
