/*
 * S3 operations on object tags and bucket lifecycle rules: GetObjectTagging,
 * PutObjectTagging, GetBucketLifecycleConfiguration and
 * PutBucketLifecycleConfiguration (one rule for noncurrent versions). Each
 * describes a request and lets s3__perform() run it, as objects.c does.
 */
#include "s3/internal.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#include <stdio.h>
#include <string.h>

/* Characters (code points) of a UTF-8 string. */
static size_t s3__chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

int s3_get_object_tagging(struct s3_client *c, const char *bucket, const char *key,
                          const char *version_id, struct s3_xml_answer *ret,
                          struct s3_error *ret_err)
{
    const char *op = "GetObjectTagging";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    struct s3__req rq = {.op = op,
                         .method = "GET",
                         .bucket = bucket,
                         .key = key,
                         .want = S3__XML,
                         .xml_kind = S3_XML_TAGGING,
                         .ret_xml = ret};
    s3__q(&rq, "tagging", "");
    s3__q_opt(&rq, "versionId", version_id);
    return s3__perform(c, &rq, ret_err);
}

/* Sends xml as the body of a PUT on a sub-resource, with Content-MD5. */
static int s3__put_xml(struct s3_client *c, const char *op, const char *bucket, const char *key,
                       const char *subresource, const char *version_id, const struct buf *xml,
                       struct s3_error *ret_err)
{
    char md5[25];
    int rc = s3__content_md5(xml->data ? xml->data : "", xml->len, md5);
    if (rc != 0) {
        if (ret_err)
            s3__err(ret_err, 0, "InvalidInput", "%s: MD5 failed", op);
        return rc;
    }
    struct s3_body body = s3_body_buffer(xml->data ? xml->data : "", xml->len);
    struct s3__req rq = {.op = op, .method = "PUT", .bucket = bucket, .key = key, .body = &body};
    s3__q(&rq, subresource, "");
    s3__q_opt(&rq, "versionId", version_id);
    s3__h(&rq, "Content-Type", "application/xml");
    s3__h(&rq, "Content-MD5", md5);
    return s3__perform(c, &rq, ret_err);
}

int s3_put_object_tagging(struct s3_client *c, const char *bucket, const char *key,
                          const char *version_id, const struct s3_meta *tags, size_t n,
                          struct s3_error *ret_err)
{
    const char *op = "PutObjectTagging";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (n > S3_MAX_TAGS)
        return s3__invalid(ret_err, op, "at most 10 tags");
    for (size_t i = 0; i < n; i++) {
        const char *k = tags[i].name, *v = tags[i].value ? tags[i].value : "";
        if (!k || !*k || !str_utf8_valid(k, strlen(k)) || !str_utf8_valid(v, strlen(v)) ||
            s3__chars(k) > S3_MAX_TAG_KEY || s3__chars(v) > S3_MAX_TAG_VALUE)
            return s3__invalid(ret_err, op, "tag keys are 1 to 128 characters, values at most 256");
    }
    struct buf xml;
    buf_init(&xml, 64 * 1024);
    rc = buf_printf(&xml, "<Tagging xmlns=\"" S3__NS "\"><TagSet>");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = buf_printf(&xml, "<Tag><Key>");
        if (rc == 0)
            rc = s3__xml_escape(&xml, tags[i].name);
        if (rc == 0)
            rc = buf_printf(&xml, "</Key><Value>");
        if (rc == 0)
            rc = s3__xml_escape(&xml, tags[i].value ? tags[i].value : "");
        if (rc == 0)
            rc = buf_printf(&xml, "</Value></Tag>");
    }
    if (rc == 0)
        rc = buf_printf(&xml, "</TagSet></Tagging>");
    if (rc == 0)
        rc = s3__put_xml(c, op, bucket, key, "tagging", version_id, &xml, ret_err);
    else
        rc = s3__invalid(ret_err, op, "a tag holds a character XML cannot carry");
    buf_done(&xml);
    return rc;
}

int s3_get_bucket_lifecycle(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                            struct s3_error *ret_err)
{
    const char *op = "GetBucketLifecycleConfiguration";
    int rc = s3__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct s3__req rq = {.op = op,
                         .method = "GET",
                         .bucket = bucket,
                         .want = S3__XML,
                         .xml_kind = S3_XML_LIFECYCLE,
                         .ret_xml = ret};
    s3__q(&rq, "lifecycle", "");
    return s3__perform(c, &rq, ret_err);
}

int s3_put_bucket_lifecycle_noncurrent(struct s3_client *c, const char *bucket, const char *id,
                                       int noncurrent_days, struct s3_error *ret_err)
{
    const char *op = "PutBucketLifecycleConfiguration";
    int rc = s3__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    if (noncurrent_days < 1 || noncurrent_days > 36500)
        return s3__invalid(ret_err, op, "noncurrent days must be 1 to 36500");
    if (!id || !*id || strlen(id) > 255)
        return s3__invalid(ret_err, op, "a rule id of 1 to 255 bytes is needed");
    struct buf xml;
    buf_init(&xml, 4096);
    rc = buf_printf(&xml, "<LifecycleConfiguration xmlns=\"" S3__NS "\"><Rule><ID>");
    if (rc == 0)
        rc = s3__xml_escape(&xml, id);
    if (rc == 0)
        rc = buf_printf(&xml,
                        "</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
                        "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
                        "</Expiration>"
                        "<NoncurrentVersionExpiration><NoncurrentDays>%d</NoncurrentDays>"
                        "</NoncurrentVersionExpiration></Rule></LifecycleConfiguration>",
                        noncurrent_days);
    if (rc == 0)
        rc = s3__put_xml(c, op, bucket, NULL, "lifecycle", NULL, &xml, ret_err);
    else
        rc = s3__invalid(ret_err, op, "the rule id holds a character XML cannot carry");
    buf_done(&xml);
    return rc;
}
