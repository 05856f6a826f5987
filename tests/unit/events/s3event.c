/* Tests of src/events/s3event.c: the AWS, SNS-wrapped, MinIO and Ceph shapes of S3 events. */
#include "../testutil.h"

#include "core/err.h"
#include "events/s3event.h"

static int parse(const char *s, struct events_s3_batch *b)
{
    memset(b, 0, sizeof(*b));
    return events_s3_parse(s, strlen(s), b);
}

/* An AWS record as S3 sends it: the key form-encoded. */
static const char aws_put[] =
    "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"us-east-"
    "1\","
    "\"eventTime\":\"2026-11-23T20:15:00.123Z\",\"eventName\":\"ObjectCreated:Put\","
    "\"userIdentity\":{\"principalId\":\"AWS:AIDAEXAMPLE\"},"
    "\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":\"seau\","
    "\"bucket\":{\"name\":\"photos\",\"arn\":\"arn:aws:s3:::photos\"},"
    "\"object\":{\"key\":\"2024/summer+trip/%C3%A9t%C3%A9+100%25.jpg\",\"size\":1024,"
    "\"eTag\":\"d41d8cd98f00b204e9800998ecf8427e\",\"versionId\":\"v1\","
    "\"sequencer\":\"0055AED6DCD90281E5\"}}}]}";

static void test_aws_direct(void **state)
{
    (void)state;
    struct events_s3_batch b;
    assert_int_equal(parse(aws_put, &b), 0);
    assert_false(b.test);
    assert_int_equal(b.count, 1);
    const struct events_s3_record *r = &b.records[0];
    assert_int_equal(r->type, EVENTS_UPLOAD);
    assert_int_equal(r->change, DB_S3_CREATED);
    assert_string_equal(r->event_name, "ObjectCreated:Put");
    assert_string_equal(r->bucket, "photos");
    assert_string_equal(r->key, "2024/summer trip/été 100%.jpg");
    assert_int_equal(r->size, 1024);
    assert_string_equal(r->etag, "d41d8cd98f00b204e9800998ecf8427e");
    assert_string_equal(r->version_id, "v1");
    assert_string_equal(r->sequencer, "0055AED6DCD90281E5");
    assert_string_equal(r->principal, "AWS:AIDAEXAMPLE");
    assert_true(r->ordered);
    assert_int_equal(r->time, 1795464900123LL);
    events_s3_batch_done(&b);
}

static void test_sns_envelope(void **state)
{
    (void)state;
    json_t *inner = json_loads(aws_put, 0, NULL);
    assert_non_null(inner);
    char *text = json_dumps(inner, JSON_COMPACT);
    json_t *env = json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "Notification", "MessageId", "m-1",
                            "TopicArn", "arn:aws:sns:us-east-1:1:seau", "Message", text,
                            "Timestamp", "2026-11-23T20:15:01.000Z");
    char *body = json_dumps(env, JSON_COMPACT);
    struct events_s3_batch b;
    assert_int_equal(parse(body, &b), 0);
    assert_int_equal(b.count, 1);
    assert_string_equal(b.records[0].key, "2024/summer trip/été 100%.jpg");
    events_s3_batch_done(&b);
    free(body);
    free(text);
    json_decref(env);
    json_decref(inner);

    /* Other SNS types, and an envelope whose Message is not an S3 event, are refused. */
    assert_int_equal(parse("{\"Type\":\"SubscriptionConfirmation\",\"Message\":\"{}\"}", &b),
                     SEAU_E_BAD_REQUEST);
    assert_int_equal(parse("{\"Type\":\"Notification\",\"Message\":\"not json\"}", &b),
                     SEAU_E_BAD_REQUEST);
    assert_int_equal(parse("{\"Type\":\"Notification\",\"Message\":\"{}\"}", &b),
                     SEAU_E_BAD_REQUEST);
    assert_int_equal(parse("{\"Type\":\"Notification\"}", &b), SEAU_E_BAD_REQUEST);
}

static void test_test_event(void **state)
{
    (void)state;
    struct events_s3_batch b;
    assert_int_equal(parse("{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":"
                           "\"2026-11-23T20:15:00.000Z\",\"Bucket\":\"photos\",\"RequestId\":"
                           "\"X\",\"HostId\":\"Y\"}",
                           &b),
                     0);
    assert_true(b.test);
    assert_int_equal(b.count, 0);
    events_s3_batch_done(&b);
    /* Also inside an SNS envelope. */
    assert_int_equal(parse("{\"Type\":\"Notification\",\"Message\":\"{\\\"Service\\\":\\\"Amazon "
                           "S3\\\",\\\"Event\\\":\\\"s3:TestEvent\\\"}\"}",
                           &b),
                     0);
    assert_true(b.test);
    events_s3_batch_done(&b);
}

static void test_minio_and_ceph(void **state)
{
    (void)state;
    /* MinIO: "s3:" names, the key QueryEscape'd, EventName and Key beside Records. */
    static const char minio[] =
        "{\"EventName\":\"s3:ObjectRemoved:Delete\",\"Key\":\"docs/a b+c.txt\",\"Records\":[{"
        "\"eventVersion\":\"2.0\",\"eventSource\":\"minio:s3\",\"awsRegion\":\"\","
        "\"eventTime\":\"2026-11-23T20:15:00.000Z\",\"eventName\":\"s3:ObjectRemoved:Delete\","
        "\"userIdentity\":{\"principalId\":\"minioadmin\"},\"s3\":{\"bucket\":{\"name\":\"docs\"},"
        "\"object\":{\"key\":\"a+b%2Bc.txt\",\"sequencer\":\"17B0A7C41C3F5D9A\"}}}]}";
    struct events_s3_batch b;
    assert_int_equal(parse(minio, &b), 0);
    assert_int_equal(b.count, 1);
    assert_int_equal(b.records[0].type, EVENTS_DELETE);
    assert_int_equal(b.records[0].change, DB_S3_REMOVED);
    assert_string_equal(b.records[0].key, "a b+c.txt");
    assert_int_equal(b.records[0].size, -1);
    assert_null(b.records[0].etag);
    events_s3_batch_done(&b);

    /* Ceph RGW 16: names without "s3:", the key as it is (as measured), an empty versionId. */
    static const char ceph[] =
        "{\"Records\":[{\"eventVersion\":\"2.2\",\"eventSource\":\"ceph:s3\",\"awsRegion\":\"\","
        "\"eventTime\":\"2026-11-23T23:58:35.450039Z\",\"eventName\":\"ObjectCreated:Copy\","
        "\"userIdentity\":{\"principalId\":\"tester\"},\"s3\":{\"bucket\":{\"name\":\"ev-probe\"},"
        "\"object\":{\"key\":\"a "
        "b+c%/é.txt\",\"size\":3,\"eTag\":\"764efa883dda1e11db47671c4a3bbd9e\","
        "\"versionId\":\"\",\"sequencer\":\"2BD3046B0807451B\",\"metadata\":[],\"tags\":[]}},"
        "\"eventId\":\"1795478315.457508\",\"opaqueData\":\"\"}]}";
    assert_int_equal(parse(ceph, &b), 0);
    assert_int_equal(b.count, 1);
    assert_int_equal(b.records[0].type, EVENTS_COPY);
    assert_string_equal(b.records[0].key, "a b+c%/é.txt");
    assert_false(b.records[0].ordered); /* Ceph's sequencers carry no order */
    assert_null(b.records[0].version_id);
    assert_int_equal(b.records[0].time, 1795478315450LL);
    events_s3_batch_done(&b);
}

static void test_ignored_kinds(void **state)
{
    (void)state;
    struct events_s3_batch b;
    /* Tagging, restore and other sources are skipped, not refused; lifecycle counts as delete. */
    static const char mixed[] =
        "{\"Records\":["
        "{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectTagging:Put\",\"s3\":{\"bucket\":"
        "{\"name\":\"bk1\"},\"object\":{\"key\":\"k\"}}},"
        "{\"eventSource\":\"aws:sqs\",\"eventName\":\"ObjectCreated:Put\"},"
        "{\"eventSource\":\"aws:s3\",\"eventName\":\"LifecycleExpiration:Delete\",\"s3\":"
        "{\"bucket\":{\"name\":\"bk1\"},\"object\":{\"key\":\"old\"}}}]}";
    assert_int_equal(parse(mixed, &b), 0);
    assert_int_equal(b.count, 1);
    assert_int_equal(b.ignored, 2);
    assert_string_equal(b.records[0].key, "old");
    assert_int_equal(b.records[0].change, DB_S3_REMOVED);
    events_s3_batch_done(&b);
}

static void test_malformed(void **state)
{
    (void)state;
    struct events_s3_batch b;
    static const struct {
        const char *body;
        int rc;
    } cases[] = {
        {"", SEAU_E_BAD_REQUEST},
        {"not json", SEAU_E_BAD_REQUEST},
        {"[]", SEAU_E_BAD_REQUEST},
        {"{}", SEAU_E_BAD_REQUEST},
        {"{\"Records\":{}}", SEAU_E_BAD_REQUEST},
        {"{\"Records\":[1]}", SEAU_E_BAD_REQUEST},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\"}]}", SEAU_E_BAD_REQUEST},
        /* no bucket, a bad bucket, no key, an empty key */
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"object\":{\"key\":\"k\"}}}]}",
         SEAU_E_BAD_REQUEST},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"bucket\":{\"name\":\"NO\"},\"object\":{\"key\":\"k\"}}}]}",
         SEAU_E_BAD_REQUEST},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"bucket\":{\"name\":\"bk1\"},\"object\":{}}}]}",
         SEAU_E_BAD_REQUEST},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"bucket\":{\"name\":\"bk1\"},\"object\":{\"key\":\"\"}}}]}",
         SEAU_E_BAD_REQUEST},
        /* a broken %XX, an encoded NUL, bytes that are not UTF-8, a negative size */
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"bucket\":{\"name\":\"bk1\"},\"object\":{\"key\":\"a%zz\"}}}]}",
         SEAU_E_BAD_REQUEST},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"bucket\":{\"name\":\"bk1\"},\"object\":{\"key\":\"a%00\"}}}]}",
         SEAU_E_BAD_REQUEST},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"bucket\":{\"name\":\"bk1\"},\"object\":{\"key\":\"%FF%FE\"}}}]}",
         SEAU_E_BAD_REQUEST},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"bucket\":{\"name\":\"bk1\"},\"object\":{\"key\":\"k\",\"size\":-1}}}]}",
         SEAU_E_BAD_REQUEST},
        {"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
         "\"s3\":{\"bucket\":{\"name\":\"bk1\"},\"object\":{\"key\":\"k\",\"size\":\"1\"}}}]}",
         SEAU_E_BAD_REQUEST},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&b, 0, sizeof(b));
        int rc = events_s3_parse(cases[i].body, strlen(cases[i].body), &b);
        if (rc != cases[i].rc)
            fail_msg("case %zu: %d, want %d", i, rc, cases[i].rc);
    }
}

/* Limits: the key at 1024 bytes and one past, the records at 1000 and one past. */
static void test_limits(void **state)
{
    (void)state;
    struct events_s3_batch b;
    char key[1100];
    memset(key, 'k', sizeof(key));
    for (size_t len = 1024; len <= 1025; len++) {
        key[len] = '\0';
        char *body = NULL;
        json_t *j = json_pack("{s:[{s:s, s:s, s:{s:{s:s}, s:{s:s}}}]}", "Records", "eventSource",
                              "ceph:s3", "eventName", "ObjectCreated:Put", "s3", "bucket", "name",
                              "bk1", "object", "key", key);
        body = json_dumps(j, JSON_COMPACT);
        memset(&b, 0, sizeof(b));
        int rc = events_s3_parse(body, strlen(body), &b);
        assert_int_equal(rc, len == 1024 ? 0 : SEAU_E_BAD_REQUEST);
        events_s3_batch_done(&b);
        free(body);
        json_decref(j);
        key[len] = 'k';
    }
    for (size_t n = EVENTS_S3_RECORDS_MAX; n <= EVENTS_S3_RECORDS_MAX + 1; n++) {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list,
                                  json_pack("{s:s, s:s, s:{s:{s:s}, s:{s:s}}}", "eventSource",
                                            "aws:s3", "eventName", "ObjectRemoved:Delete", "s3",
                                            "bucket", "name", "bk1", "object", "key", "k"));
        json_t *j = json_pack("{s:o}", "Records", list);
        char *body = json_dumps(j, JSON_COMPACT);
        memset(&b, 0, sizeof(b));
        int rc = events_s3_parse(body, strlen(body), &b);
        assert_int_equal(rc, n == EVENTS_S3_RECORDS_MAX ? 0 : SEAU_E_TOO_LARGE);
        if (rc == 0)
            assert_int_equal(b.count, n);
        events_s3_batch_done(&b);
        free(body);
        json_decref(j);
    }
    /* The body bound comes before any parsing. */
    assert_int_equal(events_s3_parse("{}", EVENTS_S3_BODY_MAX + 1, &b), SEAU_E_TOO_LARGE);
}

static void test_sequencer_and_dedupe(void **state)
{
    (void)state;
    char out[EVENTS_SEQUENCER_LEN + 1];
    assert_string_equal(events_s3_sequencer("0055aed6dcd90281e5", out),
                        "000000000000000055AED6DCD90281E5");
    /* Padding makes text order numeric order, whatever the lengths. */
    char a[EVENTS_SEQUENCER_LEN + 1], b2[EVENTS_SEQUENCER_LEN + 1];
    assert_non_null(events_s3_sequencer("FF", a));
    assert_non_null(events_s3_sequencer("100", b2));
    assert_true(strcmp(a, b2) < 0);
    assert_null(events_s3_sequencer("", out));
    assert_null(events_s3_sequencer("xyz", out));
    assert_null(events_s3_sequencer("123456789012345678901234567890123", out));
    assert_non_null(events_s3_sequencer("12345678901234567890123456789012", out));

    struct events_s3_record r = {
        .event_name = "ObjectCreated:Put", .etag = "e", .time = 5, .sequencer = "ab"};
    char d[128];
    events_s3_dedupe(&r, d, sizeof(d));
    assert_string_equal(d, "s:000000000000000000000000000000AB");
    r.sequencer = NULL;
    events_s3_dedupe(&r, d, sizeof(d));
    assert_string_equal(d, "t:5|ObjectCreated:Put|e|");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws_direct),    cmocka_unit_test(test_sns_envelope),
        cmocka_unit_test(test_test_event),    cmocka_unit_test(test_minio_and_ceph),
        cmocka_unit_test(test_ignored_kinds), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),        cmocka_unit_test(test_sequencer_and_dedupe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
