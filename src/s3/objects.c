/*
 * S3 operations on buckets (CORS, versioning, location), listings and
 * objects: each describes a request and lets s3__perform() run it.
 */
#include "s3/internal.h"

#include "core/buf.h"
#include "core/err.h"

#include <openssl/evp.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int s3__invalid(struct s3_error *ret_err, const char *op, const char *what)
{
    if (ret_err)
        s3__err(ret_err, 0, "InvalidInput", "%s: %s", op, what);
    return SEAU_E_VALIDATION;
}

/* Checks a bucket, and a key when key_needed. */
int s3__check(const char *op, const char *bucket, const char *key, bool key_needed,
              struct s3_error *ret_err)
{
    if (!s3__bucket_valid(bucket))
        return s3__invalid(ret_err, op, "the bucket name is not valid");
    if (key_needed && !s3__key_valid(key))
        return s3__invalid(ret_err, op, "the key must be 1 to 1024 bytes of UTF-8");
    return 0;
}

/* Adds a query parameter when the value is set and not empty. */
void s3__q_opt(struct s3__req *rq, const char *name, const char *value)
{
    if (value && *value)
        s3__q(rq, name, value);
}

/* Checks a page size (0 or 1 to 1000) and formats it into out. */
bool s3__page_size(int n, char out[16])
{
    if (n < 0 || n > 1000)
        return false;
    (void)snprintf(out, 16, "%d", n);
    return true;
}

bool s3__part_number_ok(int n)
{
    return n >= 1 && n <= S3_MAX_PARTS;
}

int s3_list_buckets(struct s3_client *c, struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    struct s3__req rq = {.op = "ListBuckets",
                         .method = "GET",
                         .want = S3__XML,
                         .xml_kind = S3_XML_LIST_BUCKETS,
                         .ret_xml = ret};
    return s3__perform(c, &rq, ret_err);
}

int s3_head_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err)
{
    int rc = s3__check("HeadBucket", bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct s3__req rq = {.op = "HeadBucket", .method = "HEAD", .bucket = bucket, .head_only = true};
    return s3__perform(c, &rq, ret_err);
}

int s3_create_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err)
{
    int rc = s3__check("CreateBucket", bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct buf xml;
    buf_init(&xml, 4096);
    struct s3_body body = {0};
    struct s3__req rq = {.op = "CreateBucket", .method = "PUT", .bucket = bucket};
    /* us-east-1 takes no constraint; other S3 implementations have their own
     * idea of region names (Ceph: zone groups), so only AWS gets one. */
    if (c->ep.aws && strcmp(c->ep.region, "us-east-1") != 0) {
        rc = buf_printf(&xml,
                        "<CreateBucketConfiguration xmlns=\"" S3__NS "\">"
                        "<LocationConstraint>%s</LocationConstraint>"
                        "</CreateBucketConfiguration>",
                        c->ep.region);
        body = s3_body_buffer(xml.data, xml.len);
        rq.body = &body;
        s3__h(&rq, "Content-Type", "application/xml");
    }
    if (rc == 0)
        rc = s3__perform(c, &rq, ret_err);
    else
        rc = s3__invalid(ret_err, "CreateBucket", "out of memory");
    buf_done(&xml);
    return rc;
}

int s3_delete_bucket(struct s3_client *c, const char *bucket, struct s3_error *ret_err)
{
    int rc = s3__check("DeleteBucket", bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct s3__req rq = {.op = "DeleteBucket", .method = "DELETE", .bucket = bucket};
    return s3__perform(c, &rq, ret_err);
}

/* A GET of a bucket sub-resource ("location", "versioning", "cors") parsed as kind. */
static int s3__get_bucket_xml(struct s3_client *c, const char *op, const char *bucket,
                              const char *subresource, enum s3_xml_kind kind,
                              struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    int rc = s3__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct s3__req rq = {.op = op,
                         .method = "GET",
                         .bucket = bucket,
                         .want = S3__XML,
                         .xml_kind = kind,
                         .ret_xml = ret};
    s3__q(&rq, subresource, "");
    return s3__perform(c, &rq, ret_err);
}

int s3_get_bucket_location(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                           struct s3_error *ret_err)
{
    return s3__get_bucket_xml(c, "GetBucketLocation", bucket, "location", S3_XML_BUCKET_LOCATION,
                              ret, ret_err);
}

int s3_get_bucket_versioning(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                             struct s3_error *ret_err)
{
    return s3__get_bucket_xml(c, "GetBucketVersioning", bucket, "versioning",
                              S3_XML_BUCKET_VERSIONING, ret, ret_err);
}

int s3_get_bucket_cors(struct s3_client *c, const char *bucket, struct s3_xml_answer *ret,
                       struct s3_error *ret_err)
{
    return s3__get_bucket_xml(c, "GetBucketCors", bucket, "cors", S3_XML_BUCKET_CORS, ret, ret_err);
}

/* A PUT of an XML document to a bucket sub-resource, with Content-MD5. */
static int s3__put_bucket_xml(struct s3_client *c, const char *op, const char *bucket,
                              const char *subresource, const struct buf *xml,
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
    struct s3__req rq = {.op = op, .method = "PUT", .bucket = bucket, .body = &body};
    s3__q(&rq, subresource, "");
    s3__h(&rq, "Content-Type", "application/xml");
    s3__h(&rq, "Content-MD5", md5);
    return s3__perform(c, &rq, ret_err);
}

int s3_put_bucket_versioning(struct s3_client *c, const char *bucket, bool enabled,
                             struct s3_error *ret_err)
{
    int rc = s3__check("PutBucketVersioning", bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    struct buf xml;
    buf_init(&xml, 1024);
    rc = buf_printf(&xml,
                    "<VersioningConfiguration xmlns=\"" S3__NS "\">"
                    "<Status>%s</Status></VersioningConfiguration>",
                    enabled ? "Enabled" : "Suspended");
    if (rc == 0)
        rc = s3__put_bucket_xml(c, "PutBucketVersioning", bucket, "versioning", &xml, ret_err);
    buf_done(&xml);
    return rc;
}

/* Appends <tag>escaped</tag> for each string. */
static int s3__xml_list(struct buf *b, const char *tag, const char *const *v, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = buf_printf(b, "<%s>", tag);
        if (rc == 0)
            rc = s3__xml_escape(b, v[i]);
        if (rc == 0)
            rc = buf_printf(b, "</%s>", tag);
    }
    return rc;
}

int s3_put_bucket_cors(struct s3_client *c, const char *bucket, const struct s3_cors *cors,
                       struct s3_error *ret_err)
{
    const char *op = "PutBucketCors";
    int rc = s3__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    if (!cors || cors->count == 0 || cors->count > 100)
        return s3__invalid(ret_err, op, "a CORS configuration holds 1 to 100 rules");
    struct buf xml;
    buf_init(&xml, 256 * 1024);
    rc = buf_append_str(&xml, "<CORSConfiguration xmlns=\"" S3__NS "\">");
    for (size_t i = 0; rc == 0 && i < cors->count; i++) {
        const struct s3_cors_rule *r = &cors->rules[i];
        if (r->allowed_origin_count == 0 || r->allowed_method_count == 0) {
            rc = SEAU_E_VALIDATION;
            break;
        }
        rc = buf_append_str(&xml, "<CORSRule>");
        if (rc == 0 && r->id && *r->id)
            rc = s3__xml_list(&xml, "ID", &r->id, 1);
        if (rc == 0)
            rc = s3__xml_list(&xml, "AllowedOrigin", r->allowed_origins, r->allowed_origin_count);
        if (rc == 0)
            rc = s3__xml_list(&xml, "AllowedMethod", r->allowed_methods, r->allowed_method_count);
        if (rc == 0)
            rc = s3__xml_list(&xml, "AllowedHeader", r->allowed_headers, r->allowed_header_count);
        if (rc == 0)
            rc = s3__xml_list(&xml, "ExposeHeader", r->expose_headers, r->expose_header_count);
        if (rc == 0 && r->has_max_age_seconds)
            rc = buf_printf(&xml, "<MaxAgeSeconds>%" PRId64 "</MaxAgeSeconds>", r->max_age_seconds);
        if (rc == 0)
            rc = buf_append_str(&xml, "</CORSRule>");
    }
    if (rc == 0)
        rc = buf_append_str(&xml, "</CORSConfiguration>");
    if (rc == 0)
        rc = s3__put_bucket_xml(c, op, bucket, "cors", &xml, ret_err);
    else
        rc = s3__invalid(ret_err, op,
                         "a rule is empty, too large or holds control "
                         "characters");
    buf_done(&xml);
    return rc;
}

int s3_list_objects_v2(struct s3_client *c, const char *bucket, const struct s3_list_params *p,
                       struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    const char *op = "ListObjectsV2";
    int rc = s3__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    static const struct s3_list_params none;
    if (!p)
        p = &none;
    char max_keys[16];
    if (!s3__page_size(p->max_keys, max_keys))
        return s3__invalid(ret_err, op, "max_keys must be 0 to 1000");
    struct s3__req rq = {.op = op,
                         .method = "GET",
                         .bucket = bucket,
                         .want = S3__XML,
                         .xml_kind = S3_XML_LIST_OBJECTS_V2,
                         .ret_xml = ret,
                         .url_listing = true,
                         .sent_prefix = p->prefix,
                         .sent_delimiter = p->delimiter,
                         .sent_marker = p->start_after};
    s3__q(&rq, "list-type", "2");
    s3__q(&rq, "encoding-type", "url");
    s3__q_opt(&rq, "prefix", p->prefix);
    s3__q_opt(&rq, "delimiter", p->delimiter);
    s3__q_opt(&rq, "continuation-token", p->continuation_token);
    s3__q_opt(&rq, "start-after", p->start_after);
    if (p->max_keys)
        s3__q(&rq, "max-keys", max_keys);
    if (p->fetch_owner)
        s3__q(&rq, "fetch-owner", "true");
    return s3__perform(c, &rq, ret_err);
}

int s3_list_object_versions(struct s3_client *c, const char *bucket,
                            const struct s3_list_versions_params *p, struct s3_xml_answer *ret,
                            struct s3_error *ret_err)
{
    const char *op = "ListObjectVersions";
    int rc = s3__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    static const struct s3_list_versions_params none;
    if (!p)
        p = &none;
    char max_keys[16];
    if (!s3__page_size(p->max_keys, max_keys))
        return s3__invalid(ret_err, op, "max_keys must be 0 to 1000");
    struct s3__req rq = {.op = op,
                         .method = "GET",
                         .bucket = bucket,
                         .want = S3__XML,
                         .xml_kind = S3_XML_LIST_VERSIONS,
                         .ret_xml = ret,
                         .url_listing = true,
                         .sent_prefix = p->prefix,
                         .sent_delimiter = p->delimiter,
                         .sent_marker = p->key_marker};
    s3__q(&rq, "versions", "");
    s3__q(&rq, "encoding-type", "url");
    s3__q_opt(&rq, "prefix", p->prefix);
    s3__q_opt(&rq, "delimiter", p->delimiter);
    s3__q_opt(&rq, "key-marker", p->key_marker);
    s3__q_opt(&rq, "version-id-marker", p->version_id_marker);
    if (p->max_keys)
        s3__q(&rq, "max-keys", max_keys);
    return s3__perform(c, &rq, ret_err);
}

/* Adds the conditions and variants of HeadObject and GetObject. */
static int s3__get_options(struct s3__req *rq, const struct s3_get_options *o, bool get,
                           struct s3_error *ret_err)
{
    if (!o)
        return 0;
    const char *checks[] = {o->version_id,
                            o->range,
                            o->if_none_match,
                            o->if_match,
                            o->response_content_disposition,
                            o->response_content_type};
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
        if (checks[i] && (!s3__header_value_ok(checks[i]) || strlen(checks[i]) > 2048))
            return s3__invalid(ret_err, rq->op,
                               "an option holds control characters or is "
                               "too long");
    if (o->range && !s3__range_valid(o->range))
        return s3__invalid(ret_err, rq->op,
                           "the range must be bytes=F-L, bytes=F- or "
                           "bytes=-N");
    if (!get && (o->response_content_disposition || o->response_content_type))
        return s3__invalid(ret_err, rq->op, "response overrides are for GetObject");
    s3__q_opt(rq, "versionId", o->version_id);
    s3__q_opt(rq, "response-content-disposition", o->response_content_disposition);
    s3__q_opt(rq, "response-content-type", o->response_content_type);
    s3__h(rq, "Range", o->range);
    s3__h(rq, "If-None-Match", o->if_none_match);
    s3__h(rq, "If-Match", o->if_match);
    rq->accept_304 = o->if_none_match != NULL;
    return 0;
}

int s3_head_object(struct s3_client *c, const char *bucket, const char *key,
                   const struct s3_get_options *opt, struct s3_object_head *ret,
                   struct s3_error *ret_err)
{
    const char *op = "HeadObject";
    int rc = s3__check(op, bucket, key, true, ret_err);
    struct s3__req rq = {.op = op,
                         .method = "HEAD",
                         .bucket = bucket,
                         .key = key,
                         .head_only = true,
                         .ret_head = ret};
    if (rc == 0)
        rc = s3__get_options(&rq, opt, false, ret_err);
    if (rc == 0)
        rc = s3__perform(c, &rq, ret_err);
    return rc;
}

int s3_get_object(struct s3_client *c, const char *bucket, const char *key,
                  const struct s3_get_options *opt, const struct s3_sink *sink,
                  struct s3_object_head *ret, struct s3_error *ret_err)
{
    const char *op = "GetObject";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc == 0 && (!sink || !sink->write))
        rc = s3__invalid(ret_err, op, "a sink with a write function is needed");
    struct s3__req rq = {.op = op,
                         .method = "GET",
                         .bucket = bucket,
                         .key = key,
                         .want = S3__SINK,
                         .sink = sink,
                         .streamed = true,
                         .ret_head = ret};
    if (rc == 0)
        rc = s3__get_options(&rq, opt, true, ret_err);
    if (rc == 0)
        rc = s3__perform(c, &rq, ret_err);
    return rc;
}

struct s3_body s3_body_buffer(const void *data, size_t len)
{
    struct s3_body b = {.data = data ? data : "", .len = len};
    return b;
}

static bool s3__meta_name_ok(const char *n)
{
    if (!*n)
        return false;
    for (; *n; n++)
        if (!s3__alnum_lower(*n) && !(*n >= 'A' && *n <= 'Z') && *n != '-' && *n != '_')
            return false;
    return true;
}

static bool s3__ascii_printable(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
            return false;
    return true;
}

/*
 * Adds the headers of s3_put_options. The x-amz-meta- names are built in
 * names (the caller's, alive for the request), then pointed at.
 */
int s3__put_headers(struct s3__req *rq, const struct s3_put_options *o, struct buf *names,
                    struct s3_error *ret_err)
{
    if (!o)
        return 0;
    const char *hv[] = {o->content_type, o->content_disposition, o->cache_control};
    for (size_t i = 0; i < 3; i++)
        if (hv[i] && (!s3__header_value_ok(hv[i]) || strlen(hv[i]) >= S3_HEADER_SIZE))
            return s3__invalid(ret_err, rq->op,
                               "a header holds control characters or is "
                               "too long");
    if (o->meta_count > S3_MAX_META_COUNT)
        return s3__invalid(ret_err, rq->op, "too many metadata entries");
    size_t total = 0;
    for (size_t i = 0; i < o->meta_count; i++) {
        const struct s3_meta *m = &o->meta[i];
        if (!m->name || !m->value || !s3__meta_name_ok(m->name) || !s3__ascii_printable(m->value))
            return s3__invalid(ret_err, rq->op,
                               "metadata names are [A-Za-z0-9_-] and "
                               "values printable ASCII");
        total += strlen(m->name) + strlen(m->value);
        if (total > S3_MAX_META)
            return s3__invalid(ret_err, rq->op, "metadata is limited to 2 KiB");
        int rc = buf_printf(names, "x-amz-meta-%s", m->name);
        if (rc == 0)
            rc = buf_append_char(names, '\0');
        if (rc != 0)
            return s3__invalid(ret_err, rq->op, "out of memory");
    }
    s3__h(rq, "Content-Type", o->content_type);
    s3__h(rq, "Content-Disposition", o->content_disposition);
    s3__h(rq, "Cache-Control", o->cache_control);
    const char *name = names->data;
    for (size_t i = 0; i < o->meta_count; i++) {
        s3__h(rq, name, o->meta[i].value);
        name += strlen(name) + 1;
    }
    return 0;
}

/* Checks a request body: set, and at most S3_MAX_PART_SIZE bytes. */
int s3__check_body(const char *op, const struct s3_body *b, struct s3_error *ret_err)
{
    if (!b || (!b->read && !b->data && b->len))
        return s3__invalid(ret_err, op, "a body is needed");
    if (s3__body_len(b) > S3_MAX_PART_SIZE)
        return s3__invalid(ret_err, op, "a body is at most 5 GiB");
    return 0;
}

/* Copies what a write answered into ret (may be NULL). */
int s3__put_result(const struct s3_object_head *h, const char *etag, int64_t last_modified_ms,
                   struct s3_put_result *ret, struct s3_error *ret_err, const char *op)
{
    if (!ret)
        return 0;
    struct s3_put_result r;
    memset(&r, 0, sizeof(r));
    if (!s3__set_etag(r.etag, etag) ||
        !s3__set_field(r.version_id, sizeof(r.version_id), h->version_id, strlen(h->version_id))) {
        if (ret_err)
            s3__err(ret_err, h->http_status, "MalformedAnswer", "%s: the ETag is too long", op);
        return SEAU_E_UNAVAILABLE;
    }
    r.last_modified_ms = last_modified_ms;
    *ret = r;
    return 0;
}

int s3_put_object(struct s3_client *c, const char *bucket, const char *key,
                  const struct s3_body *body, const struct s3_put_options *opt,
                  struct s3_put_result *ret, struct s3_error *ret_err)
{
    const char *op = "PutObject";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc == 0)
        rc = s3__check_body(op, body, ret_err);
    if (rc != 0)
        return rc;
    struct buf names;
    buf_init(&names, 64 * 1024);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3__req rq = {.op = op,
                         .method = "PUT",
                         .bucket = bucket,
                         .key = key,
                         .body = body,
                         .streamed = body->read != NULL,
                         .ret_head = &head};
    rc = s3__put_headers(&rq, opt, &names, ret_err);
    if (rc == 0)
        rc = s3__perform(c, &rq, ret_err);
    if (rc == 0)
        rc = s3__put_result(&head, head.etag, 0, ret, ret_err, op);
    s3_object_head_done(&head);
    buf_done(&names);
    return rc;
}

int s3_delete_object(struct s3_client *c, const char *bucket, const char *key,
                     const char *version_id, struct s3_delete_info *ret, struct s3_error *ret_err)
{
    const char *op = "DeleteObject";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3__req rq = {
        .op = op, .method = "DELETE", .bucket = bucket, .key = key, .ret_head = &head};
    s3__q_opt(&rq, "versionId", version_id);
    rc = s3__perform(c, &rq, ret_err);
    if (rc == 0 && ret) {
        ret->delete_marker = head.delete_marker;
        memcpy(ret->version_id, head.version_id, sizeof(ret->version_id));
    }
    s3_object_head_done(&head);
    return rc;
}

int s3_delete_objects(struct s3_client *c, const char *bucket, const struct s3_object_id *ids,
                      size_t count, bool quiet, struct s3_xml_answer *ret, struct s3_error *ret_err)
{
    const char *op = "DeleteObjects";
    int rc = s3__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    if (count == 0 || !ids)
        return s3__invalid(ret_err, op, "no key to delete");
    if (count > S3_MAX_DELETE_BATCH) {
        if (ret_err)
            s3__err(ret_err, 0, "InvalidInput", "%s: at most %d keys per request", op,
                    S3_MAX_DELETE_BATCH);
        return SEAU_E_TOO_LARGE;
    }
    struct buf xml;
    buf_init(&xml, S3__MAX_XML_BODY);
    rc = buf_printf(&xml, "<Delete xmlns=\"" S3__NS "\">%s", quiet ? "<Quiet>true</Quiet>" : "");
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (!s3__key_valid(ids[i].key)) {
            rc = SEAU_E_VALIDATION;
            break;
        }
        rc = buf_append_str(&xml, "<Object><Key>");
        if (rc == 0)
            rc = s3__xml_escape(&xml, ids[i].key);
        if (rc == 0)
            rc = buf_append_str(&xml, "</Key>");
        if (rc == 0 && ids[i].version_id && *ids[i].version_id) {
            rc = buf_append_str(&xml, "<VersionId>");
            if (rc == 0)
                rc = s3__xml_escape(&xml, ids[i].version_id);
            if (rc == 0)
                rc = buf_append_str(&xml, "</VersionId>");
        }
        if (rc == 0)
            rc = buf_append_str(&xml, "</Object>");
    }
    if (rc == 0)
        rc = buf_append_str(&xml, "</Delete>");
    char md5[25];
    if (rc == 0)
        rc = s3__content_md5(xml.data, xml.len, md5);
    if (rc != 0) {
        buf_done(&xml);
        return rc == SEAU_E_NOMEM || rc == SEAU_E_INTERNAL
                   ? rc
                   : s3__invalid(ret_err, op,
                                 "a key is not valid or holds characters XML "
                                 "cannot carry");
    }
    struct s3_body body = s3_body_buffer(xml.data, xml.len);
    struct s3__req rq = {.op = op,
                         .method = "POST",
                         .bucket = bucket,
                         .body = &body,
                         .want = S3__XML,
                         .xml_kind = S3_XML_DELETE_OBJECTS,
                         .ret_xml = ret};
    s3__q(&rq, "delete", "");
    s3__h(&rq, "Content-Type", "application/xml");
    s3__h(&rq, "Content-MD5", md5);
    rc = s3__perform(c, &rq, ret_err);
    buf_done(&xml);
    return rc;
}

/* Builds x-amz-copy-source: "/bucket/key" with the key encoded once, and
 * "?versionId=" when a version is named. */
