/*
 * Tests of src/events/bus.c with the SQLite store (the notifications part of
 * src/db/sqlite/notifications.c): Seau's own events stored through the bus thread, S3
 * events ingested (duplicates, merges with Seau's own, stale sequencers, the
 * object index), and the history filtered by what each caller may see.
 */
#include "../testutil.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "events/bus.h"

#include <time.h>

static char *const buckets[] = {"bk1", "bk2", NULL};

struct fixture {
    struct test_db t;
    struct events *ev;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    test_db_open(&f->t);
    struct events_config c = {
        .db = f->t.db, .buckets = buckets, .nbuckets = 2, .retention_ms = 24 * 3600 * 1000LL};
    assert_int_equal(events_start(&c, &f->ev), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    events_free(f->ev);
    test_db_close(&f->t);
    free(f);
    return 0;
}

static const struct auth_subject admin = {.user_id = 1, .role = AUTH_ROLE_ADMIN};

/* The history as who sees it, newest first: "type:key" joined by ','. */
static size_t history(struct events *ev, const struct auth_subject *who,
                      const struct db_notification_query *q0, char *out, size_t n)
{
    struct db_notification_query q = {.limit = 1000};
    if (q0)
        q = *q0;
    struct db_notification *rows = NULL;
    size_t count = 0;
    assert_int_equal(events_history(ev, who, &q, &rows, &count), 0);
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%s:%s", i ? "," : "", rows[i].type,
                                rows[i].key ? rows[i].key : "-");
    db_notifications_free(rows, count);
    return count;
}

/* Waits for the bus thread to have stored `want` notifications (it runs asynchronously). */
static void wait_stored(struct events *ev, uint64_t want)
{
    for (int i = 0; i < 400; i++) {
        struct metrics_events m;
        events_stats(ev, &m);
        if (m.stored >= want)
            return;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("the bus did not store %llu notifications in time", (unsigned long long)want);
}

static struct events_s3_record rec(enum db_s3_change change, const char *bucket, const char *key,
                                   const char *etag, const char *seq)
{
    struct events_s3_record r = {
        .type = change == DB_S3_CREATED ? EVENTS_UPLOAD : EVENTS_DELETE,
        .change = change,
        .event_name = change == DB_S3_CREATED ? "ObjectCreated:Put" : "ObjectRemoved:Delete",
        .bucket = (char *)bucket,
        .key = (char *)key,
        .size = change == DB_S3_CREATED ? 42 : -1,
        .etag = (char *)etag,
        .sequencer = (char *)seq,
        .principal = "outsider",
        .ordered = true,
        .time = time_now_ms(),
    };
    return r;
}

static struct events_ingest_result ingest(struct events *ev, struct events_s3_record r)
{
    struct events_s3_batch b = {.records = &r, .count = 1};
    struct events_ingest_result res;
    assert_int_equal(events_ingest_s3(ev, &b, EVENTS_VIA_WEBHOOK, &res), 0);
    return res;
}

static void test_publish_and_merge(void **state)
{
    struct fixture *f = *state;
    events_publish(f->ev, &(struct event){.type = EVENTS_UPLOAD,
                                          .bucket = "bk1",
                                          .key = "team/a.txt",
                                          .size = 5,
                                          .etag = "\"e1\"",
                                          .actor = "alice@example.com",
                                          .actor_id = 2});
    wait_stored(f->ev, 1);
    char out[4096];
    assert_int_equal(history(f->ev, &admin, NULL, out, sizeof(out)), 1);
    assert_string_equal(out, "upload:team/a.txt");

    struct db_notification *rows = NULL;
    size_t n = 0;
    struct db_notification_query q = {.limit = 10};
    assert_int_equal(events_history(f->ev, &admin, &q, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].source, "seau");
    assert_string_equal(rows[0].etag, "e1"); /* kept without quotes, to match S3's */
    assert_string_equal(rows[0].message, "alice@example.com uploaded a.txt to bk1");
    assert_int_equal(rows[0].size, 5);
    db_notifications_free(rows, n);

    /* S3's event for that same upload (same ETag) merges: not shown twice, index untouched. */
    struct events_ingest_result r =
        ingest(f->ev, rec(DB_S3_CREATED, "bk1", "team/a.txt", "e1", "0A"));
    assert_int_equal(r.merged, 1);
    assert_int_equal(r.stored, 0);
    assert_int_equal(history(f->ev, &admin, NULL, out, sizeof(out)), 1);
    struct db_object o;
    assert_int_equal(db_object_get(f->t.db, "bk1", "team/a.txt", &o), SEAU_E_NOT_FOUND);

    /* Another upload of the key from outside (another ETag) is news. */
    r = ingest(f->ev, rec(DB_S3_CREATED, "bk1", "team/a.txt", "e2", "0B"));
    assert_int_equal(r.stored, 1);
    assert_int_equal(history(f->ev, &admin, NULL, out, sizeof(out)), 2);
    assert_int_equal(db_object_get(f->t.db, "bk1", "team/a.txt", &o), 0);
    assert_string_equal(o.etag, "\"e2\"");
    assert_int_equal(o.size, 42);
    assert_int_equal(o.uploaded_by, 0);
}

static void test_duplicates_and_order(void **state)
{
    struct fixture *f = *state;
    char out[4096];
    struct events_ingest_result r = ingest(f->ev, rec(DB_S3_CREATED, "bk2", "x.bin", "e", "10"));
    assert_int_equal(r.stored, 1);
    /* Delivered again (S3 delivers at least once): dropped. */
    r = ingest(f->ev, rec(DB_S3_CREATED, "bk2", "x.bin", "e", "10"));
    assert_int_equal(r.duplicates, 1);
    assert_int_equal(r.stored, 0);
    /* Without a sequencer the time, name and ETag identify it. */
    struct events_s3_record nos = rec(DB_S3_CREATED, "bk2", "y.bin", "e", NULL);
    nos.time = 1000;
    assert_int_equal(ingest(f->ev, nos).stored, 1);
    assert_int_equal(ingest(f->ev, nos).duplicates, 1);

    /* The delete (sequencer 20) arrives before an older creation (0F): the index stays empty. */
    assert_int_equal(ingest(f->ev, rec(DB_S3_REMOVED, "bk2", "x.bin", NULL, "20")).stored, 1);
    struct db_object o;
    assert_int_equal(db_object_get(f->t.db, "bk2", "x.bin", &o), SEAU_E_NOT_FOUND);
    assert_int_equal(ingest(f->ev, rec(DB_S3_CREATED, "bk2", "x.bin", "old", "0F")).stored, 1);
    assert_int_equal(db_object_get(f->t.db, "bk2", "x.bin", &o), SEAU_E_NOT_FOUND);
    /* Both still happened: the history shows them. */
    assert_int_equal(history(f->ev, &admin, NULL, out, sizeof(out)), 4);

    /* A bucket Seau does not serve is ignored. */
    r = ingest(f->ev, rec(DB_S3_CREATED, "other", "z", "e", "1"));
    assert_int_equal(r.ignored, 1);
    assert_int_equal(r.stored, 0);
}

static void test_merge_delete_and_rename(void **state)
{
    struct fixture *f = *state;
    events_publish(f->ev, &(struct event){.type = EVENTS_DELETE,
                                          .bucket = "bk1",
                                          .key = "d.txt",
                                          .size = EVENTS_SIZE_UNKNOWN,
                                          .actor = "a@x"});
    events_publish(f->ev, &(struct event){.type = EVENTS_RENAME,
                                          .bucket = "bk1",
                                          .key = "new.txt",
                                          .from_key = "old.txt",
                                          .size = 3,
                                          .actor = "a@x"});
    wait_stored(f->ev, 2);
    assert_int_equal(ingest(f->ev, rec(DB_S3_REMOVED, "bk1", "d.txt", NULL, "1")).merged, 1);
    /* A rename is a creation of the new key and a removal of the old one: both merge. */
    assert_int_equal(ingest(f->ev, rec(DB_S3_CREATED, "bk1", "new.txt", "e", "1")).merged, 1);
    assert_int_equal(ingest(f->ev, rec(DB_S3_REMOVED, "bk1", "old.txt", NULL, "2")).merged, 1);
    /* Each merges once: the next removal of d.txt is someone else's. */
    assert_int_equal(ingest(f->ev, rec(DB_S3_REMOVED, "bk1", "d.txt", NULL, "3")).stored, 1);
    char out[4096];
    assert_int_equal(history(f->ev, &admin, NULL, out, sizeof(out)), 3);
    assert_string_equal(out, "delete:d.txt,rename:new.txt,delete:d.txt");
}

/* The bucket's report came before Seau published its own change (Ceph RGW pushes while the
 * S3 call answers): Seau's notification takes the report's row over, same id. */
static void test_claim_report_that_came_first(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(ingest(f->ev, rec(DB_S3_REMOVED, "bk1", "gone.txt", NULL, "1")).stored, 1);
    assert_int_equal(ingest(f->ev, rec(DB_S3_CREATED, "bk1", "up.txt", "e9", "1")).stored, 1);
    struct db_notification *rows = NULL;
    size_t n = 0;
    struct db_notification_query q = {.limit = 10};
    assert_int_equal(events_history(f->ev, &admin, &q, &rows, &n), 0);
    assert_int_equal(n, 2);
    int64_t up_id = rows[0].id, gone_id = rows[1].id;
    db_notifications_free(rows, n);
    events_publish(f->ev, &(struct event){.type = EVENTS_DELETE,
                                          .bucket = "bk1",
                                          .key = "gone.txt",
                                          .size = EVENTS_SIZE_UNKNOWN,
                                          .actor = "me@x"});
    /* Another ETag: not the same upload, so not claimed. */
    events_publish(f->ev, &(struct event){.type = EVENTS_UPLOAD,
                                          .bucket = "bk1",
                                          .key = "up.txt",
                                          .size = 1,
                                          .etag = "\"other\"",
                                          .actor = "me@x"});
    events_publish(f->ev, &(struct event){.type = EVENTS_UPLOAD,
                                          .bucket = "bk1",
                                          .key = "up.txt",
                                          .size = 1,
                                          .etag = "\"e9\"",
                                          .actor = "me@x"});
    for (int i = 0; i < 400; i++) {
        struct metrics_events m;
        events_stats(f->ev, &m);
        if (m.stored + m.merged >= 5)
            break;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    struct metrics_events m;
    events_stats(f->ev, &m);
    assert_int_equal(m.merged, 2);
    assert_int_equal(events_history(f->ev, &admin, &q, &rows, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(rows[1].id, up_id);
    assert_string_equal(rows[1].source, "seau");
    assert_string_equal(rows[1].actor, "me@x");
    assert_int_equal(rows[2].id, gone_id);
    assert_string_equal(rows[2].source, "seau");
    assert_string_equal(rows[2].message, "me@x deleted gone.txt from bk1");
    assert_string_equal(rows[0].etag, "other");
    db_notifications_free(rows, n);
    /* The report's duplicate is still dropped; and a claimed row merges no second report. */
    assert_int_equal(ingest(f->ev, rec(DB_S3_REMOVED, "bk1", "gone.txt", NULL, "1")).duplicates, 1);
    assert_int_equal(ingest(f->ev, rec(DB_S3_REMOVED, "bk1", "gone.txt", NULL, "2")).stored, 1);
}

static void test_visibility_and_paging(void **state)
{
    struct fixture *f = *state;
    events_publish(
        f->ev,
        &(struct event){.type = EVENTS_UPLOAD, .bucket = "bk1", .key = "team/in.txt", .size = 1});
    events_publish(
        f->ev,
        &(struct event){.type = EVENTS_UPLOAD, .bucket = "bk1", .key = "teams/out.txt", .size = 1});
    events_publish(
        f->ev,
        &(struct event){.type = EVENTS_UPLOAD, .bucket = "bk2", .key = "team/b2.txt", .size = 1});
    events_publish(f->ev, &(struct event){.type = EVENTS_USER,
                                          .actor = "root@x",
                                          .target_user_id = 7,
                                          .message = "root@x changed bob"});
    wait_stored(f->ev, 4);
    char out[4096];
    struct db_grant g = {"bk1", "team/", "full"};
    struct auth_subject user = {.user_id = 3, .role = AUTH_ROLE_USER, .grants = &g, .ngrants = 1};
    assert_int_equal(history(f->ev, &user, NULL, out, sizeof(out)), 1);
    assert_string_equal(out, "upload:team/in.txt");
    struct auth_subject manager = user;
    manager.role = AUTH_ROLE_MANAGER;
    assert_int_equal(history(f->ev, &manager, NULL, out, sizeof(out)), 2);
    assert_string_equal(out, "user:-,upload:team/in.txt");
    assert_int_equal(history(f->ev, &admin, NULL, out, sizeof(out)), 4);

    /* Type, paging by id, since an id, since a time. */
    struct db_notification_query q = {.type = "upload", .limit = 2};
    assert_int_equal(history(f->ev, &admin, &q, out, sizeof(out)), 2);
    assert_string_equal(out, "upload:team/b2.txt,upload:teams/out.txt");
    struct db_notification *rows = NULL;
    size_t n = 0;
    q = (struct db_notification_query){.limit = 4};
    assert_int_equal(events_history(f->ev, &admin, &q, &rows, &n), 0);
    assert_int_equal(n, 4);
    int64_t second = rows[1].id, newest = rows[0].id;
    db_notifications_free(rows, n);
    q = (struct db_notification_query){.before_id = second, .limit = 10};
    assert_int_equal(history(f->ev, &admin, &q, out, sizeof(out)), 2);
    assert_string_equal(out, "upload:teams/out.txt,upload:team/in.txt");
    q = (struct db_notification_query){.after_id = second, .limit = 10};
    assert_int_equal(history(f->ev, &admin, &q, out, sizeof(out)), 1);
    q = (struct db_notification_query){.upto_id = second, .limit = 10};
    assert_int_equal(history(f->ev, &admin, &q, out, sizeof(out)), 3);
    q = (struct db_notification_query){.since = time_now_ms() + 60000, .limit = 10};
    assert_int_equal(history(f->ev, &admin, &q, out, sizeof(out)), 0);
    q = (struct db_notification_query){.since = time_now_ms() - 60000, .limit = 10};
    assert_int_equal(history(f->ev, &admin, &q, out, sizeof(out)), 4);
    int64_t last = 0;
    assert_int_equal(events_last_id(f->ev, &last), 0);
    assert_int_equal(last, newest);

    /* Purged rows never give their ids again (?since= relies on it). */
    int64_t gone = 0;
    assert_int_equal(db_notification_purge(f->t.db, time_now_ms() + 1, &gone), 0);
    assert_int_equal(gone, 4);
    assert_int_equal(history(f->ev, &admin, NULL, out, sizeof(out)), 0);
    assert_int_equal(events_last_id(f->ev, &last), 0);
    assert_int_equal(last, newest);
    events_publish(f->ev, &(struct event){.type = EVENTS_SHARE, .bucket = "bk1", .key = "s"});
    wait_stored(f->ev, 5);
    q = (struct db_notification_query){.limit = 1};
    assert_int_equal(events_history(f->ev, &admin, &q, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_true(rows[0].id > newest);
    db_notifications_free(rows, n);
}

static void test_publish_null_and_json(void **state)
{
    (void)state;
    events_publish(NULL, &(struct event){.type = EVENTS_UPLOAD}); /* events not running: no-op */
    struct db_notification n = {.id = 9,
                                .time = 1795464900123LL,
                                .type = "rename",
                                .source = "seau",
                                .bucket = "bk1",
                                .key = "a/b/new.txt",
                                .from_key = "a/old.txt",
                                .size = -1,
                                .actor = "x@y",
                                .message = "m"};
    json_t *j = events_notification_json(&n);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"id\":9,\"message\":\"m\",\"metadata\":{\"actor\":\"x@y\","
                              "\"bucket\":\"bk1\",\"fileName\":\"new.txt\",\"fileSize\":null,"
                              "\"fromKey\":\"a/old.txt\",\"key\":\"a/b/new.txt\","
                              "\"source\":\"seau\"},\"timestamp\":\"2026-11-23T20:15:00.123Z\","
                              "\"type\":\"rename\"}");
    free(text);
    json_decref(j);
    struct db_notification u = {
        .id = 1, .time = 1, .type = "user", .source = "seau", .size = -1, .message = "m"};
    j = events_notification_json(&u);
    text = json_dumps(json_object_get(j, "metadata"), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"actor\":null,\"bucket\":null,\"fileName\":null,"
                              "\"fileSize\":null,\"key\":null,\"source\":\"seau\"}");
    free(text);
    json_decref(j);
}

static void test_messages(void **state)
{
    (void)state;
    char m[EVENTS_MESSAGE_MAX + 1];
    events_message(
        &(struct event){
            .type = EVENTS_DELETE, .bucket = "bk1", .key = "a/b/", .source = EVENTS_SOURCE_S3},
        m);
    assert_string_equal(m, "b/ was deleted from bk1");
    events_message(
        &(struct event){
            .type = EVENTS_COPY, .bucket = "bk1", .key = "c/x", .from_key = "a/x", .actor = "u@x"},
        m);
    assert_string_equal(m, "u@x copied x to x");
    events_message(&(struct event){.type = EVENTS_ERROR, .message = "disk \xff full"}, m);
    assert_string_equal(m, "disk ? full"); /* always valid UTF-8 */
    /* Long messages are cut at the limit, on a character boundary (é straddles it here). */
    char big[5000];
    memset(big, 'e', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[EVENTS_MESSAGE_MAX - 1] = '\xc3';
    big[EVENTS_MESSAGE_MAX] = '\xa9';
    events_message(&(struct event){.type = EVENTS_ERROR, .message = big}, m);
    assert_int_equal(strlen(m), EVENTS_MESSAGE_MAX - 1);
    assert_true(str_utf8_valid(m, strlen(m)));
    enum events_type t;
    assert_int_equal(events_type_parse("share", &t), 0);
    assert_int_equal(t, EVENTS_SHARE);
    assert_int_equal(events_type_parse("Share", &t), SEAU_E_VALIDATION);
    assert_int_equal(events_type_parse(NULL, &t), SEAU_E_VALIDATION);
}

/* The events' series in the Prometheus exposition (metrics.c renders what events_stats says). */
static void test_metrics(void **state)
{
    struct fixture *f = *state;
    events_publish(f->ev,
                   &(struct event){.type = EVENTS_UPLOAD, .bucket = "bk1", .key = "m", .size = 1});
    wait_stored(f->ev, 1);
    assert_int_equal(ingest(f->ev, rec(DB_S3_CREATED, "bk2", "m", "e", "5")).stored, 1);
    assert_int_equal(ingest(f->ev, rec(DB_S3_CREATED, "bk2", "m", "e", "5")).duplicates, 1);
    struct metrics_events m;
    events_stats(f->ev, &m);
    assert_int_equal(m.received[METRICS_VIA_SEAU], 1);
    assert_int_equal(m.received[METRICS_VIA_WEBHOOK], 2);
    assert_int_equal(m.stored, 2);
    assert_int_equal(m.duplicates, 1);
    assert_int_equal(m.sqs_up, -1);
    struct metrics *reg = metrics_new();
    struct metrics_gauges g = {.ready = 1, .events = &m};
    struct buf out;
    buf_init(&out, 1 << 20);
    assert_int_equal(metrics_render(reg, &g, &out), 0);
    const char *text = buf_cstr(&out);
    assert_non_null(strstr(text, "seau_events_received_total{source=\"webhook\"} 2\n"));
    assert_non_null(strstr(text, "seau_events_received_total{source=\"sqs\"} 0\n"));
    assert_non_null(strstr(text, "seau_notifications_stored_total 2\n"));
    assert_non_null(strstr(text, "seau_events_duplicates_total 1\n"));
    assert_non_null(strstr(text, "seau_websocket_clients 0\n"));
    assert_null(strstr(text, "seau_sqs_up")); /* no queue, no SQS series */
    m.sqs_up = 0;
    m.sqs_lag_seconds = 1.5;
    buf_reset(&out);
    assert_int_equal(metrics_render(reg, &g, &out), 0);
    assert_non_null(strstr(buf_cstr(&out), "seau_sqs_up 0\n"));
    assert_non_null(strstr(buf_cstr(&out), "seau_sqs_lag_seconds 1.500\n"));
    buf_done(&out);
    metrics_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_and_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_delete_and_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_report_that_came_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_visibility_and_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
        cmocka_unit_test(test_publish_null_and_json),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
