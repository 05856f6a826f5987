/*
 * What only a server that checks signatures can tell (Ceph RGW): a wrong
 * secret, an unknown key, a skewed clock, expired and tampered presigned
 * URLs are refused, and each refusal reaches the caller as the documented
 * error. Also virtual-hosted addressing, through RGW's "rgw dns name"
 * (s3.localhost) with CONNECT_TO, since *.s3.localhost does not resolve here.
 */
#include "common.h"

#include <curl/curl.h>

static struct t_peer peer;
static struct s3_cred_provider *provider;
static struct s3_client *client;
static char bucket[64];

static int group_setup(void **state)
{
    (void)state;
    peer = t_peer_from_env();
    if (!peer.rgw) {
        fprintf(stderr, "s3_auth runs against Ceph RGW only (S3_PEER=%s)\n", peer.name);
        return -1;
    }
    provider = t_provider(peer.access_key, peer.secret_key);
    struct s3_config cfg = {.endpoint = peer.endpoint, .region = peer.region};
    if (s3_client_new(&cfg, provider, &client) != 0)
        return -1;
    t_bucket_name("auth", bucket);
    struct s3_error e;
    if (s3_create_bucket(client, bucket, &e) != 0)
        return -1;
    struct s3_body b = s3_body_buffer("secret data", 11);
    if (s3_put_object(client, bucket, "doc one.txt", &b, NULL, NULL, &e) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    t_bucket_purge(client, bucket, false, false);
    s3_client_free(client);
    s3_credentials_free(provider);
    return 0;
}

/* A client on the same endpoint with other credentials or another clock. */
static struct s3_client *t_client_with(const char *ak, const char *sk, int64_t (*now_ms)(void *),
                                       struct s3_cred_provider **ret_p)
{
    *ret_p = t_provider(ak, sk);
    struct s3_config cfg = {.endpoint = peer.endpoint, .region = peer.region, .now_ms = now_ms};
    struct s3_client *c = NULL;
    assert_int_equal(s3_client_new(&cfg, *ret_p, &c), 0);
    return c;
}

static void test_wrong_secret(void **state)
{
    (void)state;
    struct s3_cred_provider *p;
    struct s3_client *c =
        t_client_with(peer.access_key, "wrong-secret-wrong-secret-wrong-secret0", NULL, &p);
    struct s3_error e;
    struct s3_object_head h;
    assert_int_equal(s3_head_bucket(c, bucket, &e), SEAU_E_UNAVAILABLE);
    assert_int_equal(e.http_status, 403);
    struct s3_xml_answer a;
    assert_int_equal(s3_list_objects_v2(c, bucket, NULL, &a, &e), SEAU_E_UNAVAILABLE);
    assert_int_equal(e.http_status, 403);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    char why[512];
    s3_error_describe(&e, why, sizeof(why));
    printf("# %s\n", why);
    assert_non_null(strstr(why, "AWS_SECRET_ACCESS_KEY"));
    assert_null(strstr(why, "wrong-secret")); /* never the secret */
    assert_int_equal(s3_head_object(c, bucket, "doc one.txt", NULL, &h, &e), SEAU_E_UNAVAILABLE);
    struct s3_body b = s3_body_buffer("x", 1);
    assert_int_equal(s3_put_object(c, bucket, "nope", &b, NULL, NULL, &e), SEAU_E_UNAVAILABLE);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    /* A refusal is not retried. */
    struct s3_client_stats st;
    s3_client_stats(c, &st);
    assert_int_equal(st.retries, 0);
    assert_int_equal(st.requests, 4);
    s3_client_free(c);
    s3_credentials_free(p);
}

static void test_unknown_access_key(void **state)
{
    (void)state;
    struct s3_cred_provider *p;
    struct s3_client *c = t_client_with("NOSUCHACCESSKEY00000", peer.secret_key, NULL, &p);
    struct s3_error e;
    struct s3_xml_answer a;
    assert_int_equal(s3_list_buckets(c, &a, &e), SEAU_E_UNAVAILABLE);
    assert_int_equal(e.http_status, 403);
    assert_string_equal(e.code, "InvalidAccessKeyId");
    char why[512];
    assert_non_null(strstr(s3_error_describe(&e, why, sizeof(why)), "AWS_ACCESS_KEY_ID"));
    s3_client_free(c);
    s3_credentials_free(p);
}

static int64_t t_clock_hour_ahead(void *ctx)
{
    (void)ctx;
    return time_now_ms() + 3600 * 1000;
}

static int64_t t_clock_two_hours_ago(void *ctx)
{
    (void)ctx;
    return time_now_ms() - 2 * 3600 * 1000;
}

static void test_clock_skew(void **state)
{
    (void)state;
    struct s3_cred_provider *p;
    struct s3_client *c = t_client_with(peer.access_key, peer.secret_key, t_clock_hour_ahead, &p);
    struct s3_error e;
    struct s3_xml_answer a;
    assert_int_equal(s3_list_objects_v2(c, bucket, NULL, &a, &e), SEAU_E_UNAVAILABLE);
    assert_int_equal(e.http_status, 403);
    assert_string_equal(e.code, "RequestTimeTooSkewed");
    char why[512];
    assert_non_null(strstr(s3_error_describe(&e, why, sizeof(why)), "clock"));
    s3_client_free(c);
    s3_credentials_free(p);
}

static long t_fetch_status(const char *url)
{
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    fclose(sink);
    return status;
}

static void test_presigned_refusals(void **state)
{
    (void)state;
    struct s3_error e;
    char *url = NULL;
    /* A good URL works. */
    T_OK(s3_presign_get(client, bucket, "doc one.txt", 120, NULL, &url, &e), e);
    assert_int_equal(t_fetch_status(url), 200);

    /* Tampered signature: the last hex digit changed. */
    size_t n = strlen(url);
    char *bad = malloc(n + 1);
    assert_non_null(bad);
    memcpy(bad, url, n + 1);
    bad[n - 1] = bad[n - 1] == '0' ? '1' : '0';
    assert_int_equal(t_fetch_status(bad), 403);
    /* Tampered key: another object with the same signature. */
    memcpy(bad, url, n + 1);
    char *k = strstr(bad, "doc%20one");
    assert_non_null(k);
    memcpy(k, "doc%20onf", 9); /* "doc onf.txt" is not what was signed */
    assert_int_equal(t_fetch_status(bad), 403);
    /* Tampered expiry: a longer life than signed. */
    memcpy(bad, url, n + 1);
    char *x = strstr(bad, "X-Amz-Expires=120");
    assert_non_null(x);
    memcpy(x, "X-Amz-Expires=920", 17);
    assert_int_equal(t_fetch_status(bad), 403);
    free(bad);
    free(url);

    /* Expired: signed two hours ago for one minute. */
    struct s3_cred_provider *p;
    struct s3_client *old =
        t_client_with(peer.access_key, peer.secret_key, t_clock_two_hours_ago, &p);
    T_OK(s3_presign_get(old, bucket, "doc one.txt", 60, NULL, &url, &e), e);
    assert_int_equal(t_fetch_status(url), 403);
    free(url);
    /* Signed with a wrong secret. */
    s3_client_free(old);
    s3_credentials_free(p);
    struct s3_client *wrong =
        t_client_with(peer.access_key, "wrong-secret-wrong-secret-wrong-secret0", NULL, &p);
    T_OK(s3_presign_get(wrong, bucket, "doc one.txt", 60, NULL, &url, &e), e);
    assert_int_equal(t_fetch_status(url), 403);
    free(url);
    s3_client_free(wrong);
    s3_credentials_free(p);
}

static void test_virtual_hosted(void **state)
{
    (void)state;
    /* http://127.0.0.1:PORT -> http://s3.localhost:PORT, connecting to 127.0.0.1. */
    const char *port = strrchr(peer.endpoint, ':');
    assert_non_null(port);
    char endpoint[128], connect_to[128];
    (void)snprintf(endpoint, sizeof(endpoint), "http://s3.localhost%s", port);
    (void)snprintf(connect_to, sizeof(connect_to), "::127.0.0.1%s", port);
    struct s3_config cfg = {.endpoint = endpoint,
                            .region = peer.region,
                            .addressing = S3_ADDRESSING_VIRTUAL,
                            .connect_to = connect_to};
    struct s3_client *c = NULL;
    assert_int_equal(s3_client_new(&cfg, provider, &c), 0);
    struct s3_error e;
    const char *key = "virtual/caf\xC3\xA9 + //x/";
    struct s3_body b = s3_body_buffer("virtually", 9);
    T_OK(s3_put_object(c, bucket, key, &b, NULL, NULL, &e), e);
    struct s3_xml_answer a;
    struct s3_list_params lp = {.prefix = "virtual/"};
    T_OK(s3_list_objects_v2(c, bucket, &lp, &a, &e), e);
    assert_int_equal(a.objects.object_count, 1);
    assert_string_equal(a.objects.objects[0].key, key);
    s3_xml_answer_done(&a);
    /* The path-style client sees the same object. */
    struct s3_object_head h;
    T_OK(s3_head_object(client, bucket, key, NULL, &h, &e), e);
    assert_int_equal(h.content_length, 9);
    s3_object_head_done(&h);
    /* A presigned virtual-hosted URL is refused when fetched path-style
     * (the Host differs from the one signed), accepted as it is. */
    char *url = NULL;
    T_OK(s3_presign_get(c, bucket, key, 60, NULL, &url, &e), e);
    assert_non_null(strstr(url, "http://"));
    assert_non_null(strstr(url, bucket));
    CURL *hh = curl_easy_init();
    struct curl_slist *ct = curl_slist_append(NULL, connect_to);
    curl_easy_setopt(hh, CURLOPT_URL, url);
    curl_easy_setopt(hh, CURLOPT_CONNECT_TO, ct);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(hh, CURLOPT_WRITEDATA, sink);
    assert_int_equal(curl_easy_perform(hh), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(hh, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    curl_easy_cleanup(hh);
    curl_slist_free_all(ct);
    fclose(sink);
    free(url);
    T_OK(s3_delete_object(c, bucket, key, NULL, NULL, &e), e);
    s3_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_secret),   cmocka_unit_test(test_unknown_access_key),
        cmocka_unit_test(test_clock_skew),     cmocka_unit_test(test_presigned_refusals),
        cmocka_unit_test(test_virtual_hosted),
    };
    return cmocka_run_group_tests_name("s3_auth (Ceph RGW)", tests, group_setup, group_teardown);
}
