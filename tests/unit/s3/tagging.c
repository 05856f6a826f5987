/*
 * Tests for src/s3/tagging.c and the answers it reads (s3/xml.h kinds
 * S3_XML_TAGGING and S3_XML_LIFECYCLE), with ListObjectVersions as Seau's
 * versions and recycle bin read it: documents as AWS's API reference shows
 * them and as Ceph RGW answers, the required fields, the limits of a tag
 * set refused before anything is sent, and every split of the input.
 */
#include "../testutil.h"

#include "core/err.h"
#include "s3/client.h"
#include "s3/credentials.h"
#include "s3/xml.h"

static const char TAGGING_AWS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <TagSet>\n"
    "    <Tag><Key>project</Key><Value>apollo &amp; gemini</Value></Tag>\n"
    "    <Tag><Key>r\xc3\xa9vision</Key><Value></Value></Tag>\n"
    "  </TagSet>\n"
    "</Tagging>";

/* Ceph RGW 16: one line, no namespace prefix issue, an empty TagSet when none. */
static const char TAGGING_RGW_EMPTY[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Tagging "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet></TagSet></Tagging>";

static const char VERSIONS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>b</Name><Prefix>docs%2Fa%20b.txt</Prefix><KeyMarker></KeyMarker>"
    "<VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys>"
    "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
    "<NextKeyMarker>docs%2Fa%20b.txt</NextKeyMarker><NextVersionIdMarker>v1</NextVersionIdMarker>"
    "<DeleteMarker><Key>docs%2Fa%20b.txt</Key><VersionId>m3</VersionId><IsLatest>true</IsLatest>"
    "<LastModified>2026-11-23T20:15:03.000Z</LastModified></DeleteMarker>"
    "<Version><Key>docs%2Fa%20b.txt</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest>"
    "<LastModified>2026-11-23T20:15:02.000Z</LastModified><ETag>\"e2\"</ETag><Size>7</Size>"
    "<StorageClass>STANDARD</StorageClass></Version>"
    "<Version><Key>docs%2Fa%20b.txt</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest>"
    "<LastModified>2026-11-23T20:15:01.000Z</LastModified><ETag>\"e1\"</ETag><Size>5</Size>"
    "</Version></ListVersionsResult>";

static const char LIFECYCLE[] =
    "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Rule><ID>seau-noncurrent-versions</ID><Filter><Prefix></Prefix></Filter>"
    "<Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true"
    "</ExpiredObjectDeleteMarker></Expiration><NoncurrentVersionExpiration>"
    "<NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration></Rule>"
    "<Rule><ID>old-logs</ID><Prefix>logs/</Prefix><Status>Disabled</Status>"
    "<Expiration><Days>90</Days></Expiration><Transition><Days>10</Days>"
    "<StorageClass>GLACIER</StorageClass></Transition></Rule>"
    "</LifecycleConfiguration>";

/* Parses doc fed in chunks of size step (0: whole). */
static int parse_split(enum s3_xml_kind kind, const char *doc, size_t step,
                       struct s3_xml_answer *ret)
{
    size_t n = strlen(doc);
    if (step == 0)
        return s3_xml_parse(kind, NULL, doc, n, ret);
    struct s3_xml *x = s3_xml_new(kind, NULL);
    assert_non_null(x);
    int rc = 0;
    for (size_t off = 0; rc == 0 && off < n; off += step)
        rc = s3_xml_feed(x, doc + off, off + step > n ? n - off : step);
    if (rc == 0)
        rc = s3_xml_finish(x, ret);
    s3_xml_free(x);
    return rc;
}

static void test_tagging_answers(void **state)
{
    (void)state;
    static const size_t steps[] = {0, 1, 3, 17};
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        struct s3_xml_answer a;
        assert_int_equal(parse_split(S3_XML_TAGGING, TAGGING_AWS, steps[s], &a), 0);
        assert_int_equal(a.kind, S3_XML_TAGGING);
        assert_int_equal(a.tagging.count, 2);
        assert_string_equal(a.tagging.tags[0].key, "project");
        assert_string_equal(a.tagging.tags[0].value, "apollo & gemini");
        assert_string_equal(a.tagging.tags[1].key, "r\xc3\xa9vision");
        assert_string_equal(a.tagging.tags[1].value, "");
        s3_xml_answer_done(&a);
    }
    struct s3_xml_answer a;
    assert_int_equal(
        s3_xml_parse(S3_XML_TAGGING, NULL, TAGGING_RGW_EMPTY, strlen(TAGGING_RGW_EMPTY), &a), 0);
    assert_int_equal(a.tagging.count, 0);
    assert_null(a.tagging.tags);
    s3_xml_answer_done(&a);

    /* A tag without its key is no answer at all; nor is another root, or a cut document. */
    static const char nokey[] = "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>";
    assert_int_equal(s3_xml_parse(S3_XML_TAGGING, NULL, nokey, strlen(nokey), &a),
                     SEAU_E_UNAVAILABLE);
    static const char other[] = "<ListBucketResult></ListBucketResult>";
    assert_int_equal(s3_xml_parse(S3_XML_TAGGING, NULL, other, strlen(other), &a),
                     SEAU_E_UNAVAILABLE);
    assert_int_equal(s3_xml_parse(S3_XML_TAGGING, NULL, TAGGING_AWS, strlen(TAGGING_AWS) - 5, &a),
                     SEAU_E_UNAVAILABLE);
    /* An S3 error answers whatever the kind. */
    static const char err[] = "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>";
    assert_int_equal(s3_xml_parse(S3_XML_TAGGING, NULL, err, strlen(err), &a), 0);
    assert_int_equal(a.kind, S3_XML_ERROR);
    assert_string_equal(a.error.code, "NoSuchKey");
    s3_xml_answer_done(&a);
    /* The item limit holds for tag sets too. */
    struct s3_xml_limits lim = {.max_items = 1};
    assert_int_equal(s3_xml_parse(S3_XML_TAGGING, &lim, TAGGING_AWS, strlen(TAGGING_AWS), &a),
                     SEAU_E_TOO_LARGE);
}

static void test_versions_in_order(void **state)
{
    (void)state;
    static const size_t steps[] = {0, 1, 7};
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        struct s3_xml_answer a;
        assert_int_equal(parse_split(S3_XML_LIST_VERSIONS, VERSIONS, steps[s], &a), 0);
        const struct s3_version_list *l = &a.versions;
        assert_int_equal(l->version_count, 3);
        /* Delete markers and versions keep document order in one array. */
        assert_true(l->versions[0].is_delete_marker);
        assert_true(l->versions[0].is_latest);
        assert_string_equal(l->versions[0].version_id, "m3");
        assert_string_equal(l->versions[0].etag, "");
        assert_int_equal(l->versions[0].size, 0);
        assert_false(l->versions[1].is_delete_marker);
        assert_string_equal(l->versions[1].key, "docs/a b.txt");
        assert_string_equal(l->versions[1].etag, "\"e2\"");
        assert_int_equal(l->versions[1].size, 7);
        assert_int_equal(l->versions[2].size, 5);
        assert_true(l->versions[1].last_modified_ms > l->versions[2].last_modified_ms);
        assert_true(l->is_truncated);
        assert_string_equal(l->next_key_marker, "docs/a b.txt");
        assert_string_equal(l->next_version_id_marker, "v1");
        s3_xml_answer_done(&a);
    }
}

static void test_lifecycle_rules(void **state)
{
    (void)state;
    struct s3_xml_answer a;
    assert_int_equal(s3_xml_parse(S3_XML_LIFECYCLE, NULL, LIFECYCLE, strlen(LIFECYCLE), &a), 0);
    assert_int_equal(a.lifecycle.count, 2);
    const struct s3_lifecycle_rule *r = a.lifecycle.rules;
    assert_string_equal(r[0].id, "seau-noncurrent-versions");
    assert_string_equal(r[0].status, "Enabled");
    assert_true(r[0].has_noncurrent_days);
    assert_int_equal(r[0].noncurrent_days, 30);
    assert_string_equal(r[0].filter_prefix, "");
    assert_string_equal(r[1].id, "old-logs");
    assert_string_equal(r[1].prefix, "logs/");
    assert_false(r[1].has_noncurrent_days);
    assert_int_equal(r[1].expiration_days, 90);
    s3_xml_answer_done(&a);
    static const char bad[] = "<LifecycleConfiguration><Rule><NoncurrentVersionExpiration>"
                              "<NoncurrentDays>-1</NoncurrentDays></NoncurrentVersionExpiration>"
                              "</Rule></LifecycleConfiguration>";
    assert_int_equal(s3_xml_parse(S3_XML_LIFECYCLE, NULL, bad, strlen(bad), &a),
                     SEAU_E_UNAVAILABLE);
}

/* Inputs refused before a byte is sent: the endpoint here answers nothing. */
static void test_tag_limits_checked_first(void **state)
{
    (void)state;
    struct s3_cred_env env = {.access_key_id = "AKID", .secret_access_key = "secret"};
    struct s3_cred_provider *p = NULL;
    assert_int_equal(s3_credentials_open(&env, &p), 0);
    struct s3_client *c = NULL;
    struct s3_config cfg = {.endpoint = "http://127.0.0.1:1", .max_retries = S3_NO_RETRIES};
    assert_int_equal(s3_client_new(&cfg, p, &c), 0);
    struct s3_error e;
    struct s3_meta tags[S3_MAX_TAGS + 1];
    for (size_t i = 0; i <= S3_MAX_TAGS; i++)
        tags[i] = (struct s3_meta){.name = "k", .value = "v"};
    memset(&e, 0, sizeof(e));
    assert_int_equal(s3_put_object_tagging(c, "bucket", "key", NULL, tags, S3_MAX_TAGS + 1, &e),
                     SEAU_E_VALIDATION);
    assert_string_equal(e.code, "InvalidInput");

    char key129[130], value257[258], key128[400];
    memset(key129, 'k', 129);
    key129[129] = '\0';
    memset(value257, 'v', 257);
    value257[257] = '\0';
    /* 128 characters of two bytes each: within S3's limit, which counts characters. */
    for (size_t i = 0; i < 128; i++)
        memcpy(key128 + 2 * i, "\xc3\xa9", 2);
    key128[256] = '\0';
    struct s3_meta one = {.name = key129, .value = "v"};
    assert_int_equal(s3_put_object_tagging(c, "bucket", "key", NULL, &one, 1, &e),
                     SEAU_E_VALIDATION);
    one = (struct s3_meta){.name = "k", .value = value257};
    assert_int_equal(s3_put_object_tagging(c, "bucket", "key", NULL, &one, 1, &e),
                     SEAU_E_VALIDATION);
    one = (struct s3_meta){.name = "", .value = "v"};
    assert_int_equal(s3_put_object_tagging(c, "bucket", "key", NULL, &one, 1, &e),
                     SEAU_E_VALIDATION);
    one = (struct s3_meta){.name = "\xff", .value = "v"};
    assert_int_equal(s3_put_object_tagging(c, "bucket", "key", NULL, &one, 1, &e),
                     SEAU_E_VALIDATION);
    /* At the limits the request is sent, and fails only for want of a server. */
    one = (struct s3_meta){.name = key128, .value = "v"};
    assert_int_equal(s3_put_object_tagging(c, "bucket", "key", NULL, &one, 1, &e),
                     SEAU_E_UNAVAILABLE);
    assert_int_equal(s3_put_object_tagging(c, "bucket", "", NULL, &one, 1, &e), SEAU_E_VALIDATION);
    assert_int_equal(s3_put_bucket_lifecycle_noncurrent(c, "bucket", "id", 0, &e),
                     SEAU_E_VALIDATION);
    assert_int_equal(s3_put_bucket_lifecycle_noncurrent(c, "bucket", "id", 36501, &e),
                     SEAU_E_VALIDATION);
    assert_int_equal(s3_put_bucket_lifecycle_noncurrent(c, "bucket", "", 30, &e),
                     SEAU_E_VALIDATION);
    assert_int_equal(s3_put_bucket_lifecycle_noncurrent(c, "bucket", "id", 30, &e),
                     SEAU_E_UNAVAILABLE);
    s3_client_free(c);
    s3_credentials_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tagging_answers),
        cmocka_unit_test(test_versions_in_order),
        cmocka_unit_test(test_lifecycle_rules),
        cmocka_unit_test(test_tag_limits_checked_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
