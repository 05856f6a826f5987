/*
 * The SQS calls of src/s3/client.h (AWS JSON protocol) against fauxqs:
 * long polling, receiving, visibility, batch deletion, and the errors. The
 * test makes its queue and sends its messages with plain libcurl (fauxqs
 * checks no signature; the client always signs). fauxqs's queue URLs name a
 * host that does not resolve here: calls go to SQS_ENDPOINT, the URL is
 * passed as given.
 */
#include "common.h"

#include <curl/curl.h>
#include <jansson.h>

static struct s3_cred_provider *provider;
static struct s3_client *client;
static char queue_url[512];
static const char *endpoint;

static size_t t_collect(char *p, size_t s, size_t n, void *ud)
{
    return buf_append(ud, p, s * n) == 0 ? s * n : 0;
}

/* An unsigned SQS call with plain libcurl; returns the answer's object. */
static json_t *t_sqs_raw(const char *action, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char target[64];
    (void)snprintf(target, sizeof(target), "X-Amz-Target: AmazonSQS.%s", action);
    struct curl_slist *h = curl_slist_append(NULL, target);
    h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.0");
    struct buf out;
    buf_init(&out, 1024 * 1024);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, endpoint);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(text);
    json_t *o = json_loadb(out.data ? out.data : "{}", out.len ? out.len : 2, 0, NULL);
    assert_non_null(o);
    buf_done(&out);
    return o;
}

static void t_send(const char *body)
{
    json_decref(t_sqs_raw("SendMessage",
                          json_pack("{s:s, s:s}", "QueueUrl", queue_url, "MessageBody", body)));
}

static int group_setup(void **state)
{
    (void)state;
    endpoint = getenv("SQS_ENDPOINT");
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (!endpoint || !ak || !sk) {
        fprintf(stderr, "SQS_ENDPOINT and the AWS keys must be set (tests/peers/with-env.sh)\n");
        return -1;
    }
    provider = t_provider(ak, sk);
    struct s3_config cfg = {.endpoint = "http://127.0.0.1:1", /* S3 is not used here */
                            .sqs_endpoint = endpoint,
                            .region = getenv("AWS_REGION")};
    if (s3_client_new(&cfg, provider, &client) != 0)
        return -1;
    char name[64];
    t_bucket_name("q", name);
    json_t *o = t_sqs_raw("CreateQueue", json_pack("{s:s}", "QueueName", name));
    const char *url = json_string_value(json_object_get(o, "QueueUrl"));
    if (!url || strlen(url) >= sizeof(queue_url))
        return -1;
    memcpy(queue_url, url, strlen(url) + 1);
    json_decref(o);
    printf("# queue %s via %s\n", queue_url, endpoint);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    json_decref(t_sqs_raw("DeleteQueue", json_pack("{s:s}", "QueueUrl", queue_url)));
    s3_client_free(client);
    s3_credentials_free(provider);
    return 0;
}

static void test_long_poll_empty(void **state)
{
    (void)state;
    struct s3_sqs_messages m;
    struct s3_error e;
    int64_t t0 = time_mono_ns();
    T_OK(s3_sqs_receive(client, queue_url, 10, 2, -1, &m, &e), e);
    int64_t ms = (time_mono_ns() - t0) / 1000000;
    assert_int_equal(m.count, 0);
    assert_null(m.messages);
    /* It waited for messages, and was not cut by the low-speed rule. */
    assert_in_range(ms, 1800, 10000);
    s3_sqs_messages_done(&m);
}

static void test_receive_visibility_delete(void **state)
{
    (void)state;
    /* Unicode from the BMP only: fauxqs refuses U+10000 and above, which
     * SQS accepts. */
    static const char *bodies[] = {"{\"Records\":[{\"s3\":{\"object\":{\"key\":\"a+b%20c\"}}}]}",
                                   "caf\xC3\xA9 \xE2\x82\xAC \xE4\xB8\xAD", "third"};
    for (size_t i = 0; i < 3; i++)
        t_send(bodies[i]);

    struct s3_sqs_messages m;
    struct s3_error e;
    /* SQS may hand them over in several receives. */
    struct s3_sqs_messages all[10];
    size_t got = 0, received = 0;
    while (received < 3 && got < 10) {
        T_OK(s3_sqs_receive(client, queue_url, 10, 1, 30, &all[got], &e), e);
        received += all[got].count;
        got++;
    }
    size_t total = 0;
    struct s3_sqs_entry entries[3];
    char ids[3][8];
    bool seen[3] = {false, false, false};
    const char *unicode_handle = NULL;
    for (size_t r = 0; r < got; r++)
        for (size_t i = 0; i < all[r].count; i++) {
            const struct s3_sqs_message *msg = &all[r].messages[i];
            assert_true(total < 3);
            assert_true(strlen(msg->message_id) > 0);
            assert_int_equal(msg->receive_count, 1);
            for (size_t k = 0; k < 3; k++)
                if (strcmp(msg->body, bodies[k]) == 0) {
                    seen[k] = true;
                    if (k == 1)
                        unicode_handle = msg->receipt_handle;
                }
            (void)snprintf(ids[total], sizeof(ids[total]), "m%zu", total);
            entries[total] = (struct s3_sqs_entry){ids[total], msg->receipt_handle};
            total++;
        }
    assert_int_equal(total, 3);
    assert_true(seen[0] && seen[1] && seen[2]);
    assert_non_null(unicode_handle);

    /* Hidden now: nothing to receive. */
    T_OK(s3_sqs_receive(client, queue_url, 10, 0, -1, &m, &e), e);
    assert_int_equal(m.count, 0);
    s3_sqs_messages_done(&m);

    /* Visible again at once, with a second receive count. */
    T_OK(s3_sqs_change_visibility(client, queue_url, unicode_handle, 0, &e), e);
    T_OK(s3_sqs_receive(client, queue_url, 10, 1, 30, &m, &e), e);
    assert_int_equal(m.count, 1);
    assert_string_equal(m.messages[0].body, bodies[1]);
    assert_int_equal(m.messages[0].body_len, strlen(bodies[1]));
    assert_int_equal(m.messages[0].receive_count, 2);
    /* Delete all three with the latest handles. */
    for (size_t i = 0; i < 3; i++)
        if (entries[i].receipt_handle == unicode_handle)
            entries[i].receipt_handle = m.messages[0].receipt_handle;
    size_t failed = 99;
    T_OK(s3_sqs_delete_batch(client, queue_url, entries, 3, &failed, &e), e);
    assert_int_equal(failed, 0);
    s3_sqs_messages_done(&m);
    for (size_t r = 0; r < got; r++)
        s3_sqs_messages_done(&all[r]);

    /* Gone for good. */
    T_OK(s3_sqs_receive(client, queue_url, 10, 1, -1, &m, &e), e);
    assert_int_equal(m.count, 0);
    s3_sqs_messages_done(&m);
}

static void test_errors(void **state)
{
    (void)state;
    struct s3_sqs_messages m;
    struct s3_error e;
    char missing[600];
    (void)snprintf(missing, sizeof(missing), "%s-none", queue_url);
    assert_int_equal(s3_sqs_receive(client, missing, 1, 0, -1, &m, &e), SEAU_E_NOT_FOUND);
    assert_int_equal(e.http_status, 400);
    printf("# missing queue: %s (%s)\n", e.code, e.message);
    assert_string_equal(e.code, "QueueDoesNotExist");

    /* Input checked before sending. */
    assert_int_equal(s3_sqs_receive(client, queue_url, 11, 0, -1, &m, &e), SEAU_E_VALIDATION);
    assert_int_equal(s3_sqs_receive(client, queue_url, 1, 21, -1, &m, &e), SEAU_E_VALIDATION);
    struct s3_sqs_entry bad_id = {"not ok", "h"};
    assert_int_equal(s3_sqs_delete_batch(client, queue_url, &bad_id, 1, NULL, &e),
                     SEAU_E_VALIDATION);
    struct s3_sqs_entry eleven[11];
    for (size_t i = 0; i < 11; i++)
        eleven[i] = (struct s3_sqs_entry){"x", "h"};
    assert_int_equal(s3_sqs_delete_batch(client, queue_url, eleven, 11, NULL, &e),
                     SEAU_E_VALIDATION);

    /* A receipt handle SQS never gave: refused per entry, or as a whole. */
    struct s3_sqs_entry bogus = {"b1", "bogus-receipt-handle"};
    size_t failed = 0;
    int rc = s3_sqs_delete_batch(client, queue_url, &bogus, 1, &failed, &e);
    printf("# deleting a bogus handle: rc %s, %zu failed, %s\n", err_name(rc), failed,
           rc != 0 || failed ? e.code : "-");
    assert_true(rc != 0 || failed <= 1);
    rc = s3_sqs_change_visibility(client, queue_url, "bogus-receipt-handle", 10, &e);
    printf("# changing the visibility of a bogus handle: %s %s\n", err_name(rc), rc ? e.code : "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_poll_empty),
        cmocka_unit_test(test_receive_visibility_delete),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("s3_sqs (fauxqs)", tests, group_setup, group_teardown);
}
