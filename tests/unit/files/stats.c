/* Tests of src/files/stats.c: numbers within the grants, the 30 days, the activity a role sees. */
#include "../testutil.h"

#include "core/err.h"
#include "files/index.h"
#include "files/stats.h"

#define DAY 86400000LL

static void audit(struct db *db, int64_t user, const char *action, const char *bucket, int64_t t)
{
    struct audit_actor actor = {user, "x@example.com", "127.0.0.1", "test"};
    struct db_audit_entry e;
    audit_entry_init(&e, &actor, action, "success", NULL, t);
    e.bucket = (char *)bucket;
    assert_int_equal(db_audit_append(db, &e), 0);
}

static int64_t type_objects(const struct files_stats *s, const char *type)
{
    for (size_t i = 0; i < FILES_STATS_TYPES; i++)
        if (strcmp(s->types[i].type, type) == 0)
            return s->types[i].objects;
    fail_msg("no type %s", type);
    return -1;
}

static void test_stats(void **state)
{
    (void)state;
    struct test_db t;
    test_db_open(&t);
    int64_t now = 1000 * DAY + 12 * 3600000; /* noon of day 1000 */
    const struct {
        const char *bucket, *key, *ct;
        int64_t size, mtime;
    } rows[] = {
        {"b1", "team-a/p.png", NULL, 10, now - 1000},
        {"b1", "team-a/d.pdf", NULL, 20, now - 29 * DAY},   /* the oldest day shown */
        {"b1", "team-a/old.txt", NULL, 40, now - 30 * DAY}, /* one day too old for the days */
        {"b1", "team-b/v.bin", "video/mp4", 80, now - DAY},
        {"b2", "z.zip", NULL, 160, now},
        {"gone", "x.txt", NULL, 320, now}, /* not configured: never counted */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(files_index_record(t.db, rows[i].bucket, rows[i].key, rows[i].size,
                                            "\"e\"", rows[i].mtime, rows[i].ct, 0, 1),
                         0);
    audit(t.db, 1, "auth.login", NULL, now - 2 * DAY);
    audit(t.db, 7, "object.copy", "b1", now - DAY);
    audit(t.db, 8, "object.delete", "b2", now - 40 * DAY); /* too old to be active */
    audit(t.db, 7, "auth.logout", NULL, now - 10);

    char *buckets[] = {"b1", "b2", NULL};
    struct auth_subject admin = {.user_id = 1, .role = AUTH_ROLE_ADMIN};
    struct files_stats s;
    assert_int_equal(files_stats_get(t.db, buckets, &admin, NULL, now, &s), 0);
    assert_int_equal(s.objects, 5);
    assert_int_equal(s.bytes, 310);
    assert_int_equal(type_objects(&s, "image"), 1);
    assert_int_equal(type_objects(&s, "video"), 1);
    assert_int_equal(type_objects(&s, "archive"), 1);
    assert_int_equal(type_objects(&s, "text"), 1);
    assert_int_equal(type_objects(&s, "audio"), 0);
    assert_string_equal(s.types[0].type, "image");
    assert_string_equal(s.types[FILES_STATS_TYPES - 1].type, "other");
    assert_int_equal(s.days[0].day, 1000 - 29);
    assert_int_equal(s.days[FILES_STATS_DAYS - 1].day, 1000);
    assert_int_equal(s.days[0].count, 1);
    assert_int_equal(s.days[0].bytes, 20);
    assert_int_equal(s.days[FILES_STATS_DAYS - 2].count, 1);
    assert_int_equal(s.days[FILES_STATS_DAYS - 1].count, 2);
    assert_int_equal(s.days[FILES_STATS_DAYS - 1].bytes, 170);
    assert_int_equal(s.active_users, 2);
    assert_int_equal(s.nrecent, 4);
    assert_string_equal(s.recent[0].action, "auth.logout");
    files_stats_done(&s);

    /* One bucket: its objects, and only the activity on it. */
    assert_int_equal(files_stats_get(t.db, buckets, &admin, "b2", now, &s), 0);
    assert_int_equal(s.objects, 1);
    assert_int_equal(s.active_users, 0);
    assert_int_equal(s.nrecent, 1);
    files_stats_done(&s);

    /* A user granted team-a/ of b1: those rows; its own activity only. */
    struct db_grant g[] = {{"b1", "team-a/", "full"}};
    struct auth_subject user = {.user_id = 7, .role = AUTH_ROLE_USER, .grants = g, .ngrants = 1};
    assert_int_equal(files_stats_get(t.db, buckets, &user, NULL, now, &s), 0);
    assert_int_equal(s.objects, 3);
    assert_int_equal(s.bytes, 70);
    assert_int_equal(type_objects(&s, "video"), 0);
    assert_int_equal(s.active_users, 1);
    assert_int_equal(s.nrecent, 2);
    for (size_t i = 0; i < s.nrecent; i++)
        assert_int_equal(s.recent[i].user_id, 7);
    files_stats_done(&s);
    assert_int_equal(files_stats_get(t.db, buckets, &user, "b2", now, &s), SEAU_E_NOT_FOUND);
    assert_int_equal(files_stats_get(t.db, buckets, &admin, "gone", now, &s), SEAU_E_NOT_FOUND);
    /* A user without grants sees zeros, not an error. */
    struct auth_subject none = {.user_id = 9, .role = AUTH_ROLE_USER};
    assert_int_equal(files_stats_get(t.db, buckets, &none, NULL, now, &s), 0);
    assert_int_equal(s.objects, 0);
    assert_int_equal(s.active_users, 0);
    files_stats_done(&s);
    test_db_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stats)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
