/*
 * S3 copies (CopyObject, UploadPartCopy, and copies over 5 GiB part by
 * part) and multipart uploads.
 */
#include "s3/internal.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s3__copy_source(const char *bucket, const char *key, const char *version_id,
                           struct buf *ret)
{
    int rc = buf_printf(ret, "/%s/", bucket);
    if (rc == 0)
        rc = sigv4_uri_encode(slice_from_cstr(key), true, ret);
    if (rc == 0 && version_id && *version_id) {
        rc = buf_append_str(ret, "?versionId=");
        if (rc == 0)
            rc = sigv4_uri_encode(slice_from_cstr(version_id), false, ret);
    }
    return rc;
}

int s3_copy_object(struct s3_client *c, const char *src_bucket, const char *src_key,
                   const char *dst_bucket, const char *dst_key, const struct s3_copy_options *opt,
                   struct s3_put_result *ret, struct s3_error *ret_err)
{
    const char *op = "CopyObject";
    int rc = s3__check(op, src_bucket, src_key, true, ret_err);
    if (rc == 0)
        rc = s3__check(op, dst_bucket, dst_key, true, ret_err);
    if (rc != 0)
        return rc;
    static const struct s3_copy_options none;
    if (!opt)
        opt = &none;
    if ((opt->source_version_id && !s3__header_value_ok(opt->source_version_id)) ||
        (opt->source_if_match && !s3__header_value_ok(opt->source_if_match)))
        return s3__invalid(ret_err, op, "an option holds control characters");
    struct buf source, names;
    buf_init(&source, S3__MAX_PATH + S3_VERSION_ID_SIZE * 3);
    buf_init(&names, 64 * 1024);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct s3__req rq = {.op = op,
                         .method = "PUT",
                         .bucket = dst_bucket,
                         .key = dst_key,
                         .want = S3__XML,
                         .xml_kind = S3_XML_COPY_OBJECT,
                         .ret_xml = &a,
                         .ret_head = &head};
    rc = s3__copy_source(src_bucket, src_key, opt->source_version_id, &source);
    if (rc != 0)
        rc = s3__invalid(ret_err, op, "the source is too long");
    if (rc == 0) {
        s3__h(&rq, "x-amz-copy-source", buf_cstr(&source));
        s3__h(&rq, "x-amz-copy-source-if-match", opt->source_if_match);
        if (opt->replace) {
            s3__h(&rq, "x-amz-metadata-directive", "REPLACE");
            rc = s3__put_headers(&rq, opt->replace, &names, ret_err);
        }
    }
    if (rc == 0)
        rc = s3__perform(c, &rq, ret_err);
    if (rc == 0 && ret) {
        if (a.copy.etag[0]) {
            rc = s3__put_result(&head, a.copy.etag, a.copy.last_modified_ms, ret, ret_err, op);
        } else {
            /* A server that leaves the ETag out of CopyObjectResult: ask. */
            struct s3_object_head h2;
            struct s3_get_options go = {.version_id = head.version_id[0] ? head.version_id : NULL};
            rc = s3_head_object(c, dst_bucket, dst_key, &go, &h2, ret_err);
            if (rc == 0) {
                rc = s3__put_result(&head, h2.etag, a.copy.last_modified_ms, ret, ret_err, op);
                s3_object_head_done(&h2);
            }
        }
    }
    s3_xml_answer_done(&a);
    s3_object_head_done(&head);
    buf_done(&source);
    buf_done(&names);
    return rc;
}

int s3_upload_part_copy(struct s3_client *c, const char *bucket, const char *key,
                        const char *upload_id, int part_number, const char *src_bucket,
                        const char *src_key, const char *src_version_id, int64_t first,
                        int64_t last, struct s3_put_result *ret, struct s3_error *ret_err)
{
    const char *op = "UploadPartCopy";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc == 0)
        rc = s3__check(op, src_bucket, src_key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!ret || !upload_id || !*upload_id || !s3__part_number_ok(part_number) ||
        (first >= 0 && (last < first || (uint64_t)(last - first) >= S3_MAX_PART_SIZE)) ||
        (src_version_id && !s3__header_value_ok(src_version_id)))
        return s3__invalid(ret_err, op,
                           "an upload id, a part number of 1 to 10000 and a "
                           "range of at most 5 GiB are needed");
    char part[16], range[64];
    (void)snprintf(part, sizeof(part), "%d", part_number);
    (void)snprintf(range, sizeof(range), "bytes=%" PRId64 "-%" PRId64, first, last);
    struct buf source;
    buf_init(&source, S3__MAX_PATH + S3_VERSION_ID_SIZE * 3);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct s3__req rq = {.op = op,
                         .method = "PUT",
                         .bucket = bucket,
                         .key = key,
                         .want = S3__XML,
                         .xml_kind = S3_XML_COPY_PART,
                         .ret_xml = &a,
                         .ret_head = &head};
    s3__q(&rq, "partNumber", part);
    s3__q(&rq, "uploadId", upload_id);
    rc = s3__copy_source(src_bucket, src_key, src_version_id, &source);
    if (rc != 0)
        rc = s3__invalid(ret_err, op, "the source is too long");
    if (rc == 0) {
        s3__h(&rq, "x-amz-copy-source", buf_cstr(&source));
        if (first >= 0)
            s3__h(&rq, "x-amz-copy-source-range", range);
        rc = s3__perform(c, &rq, ret_err);
    }
    if (rc == 0 && !a.copy.etag[0]) {
        if (ret_err)
            s3__err(ret_err, head.http_status, "MalformedAnswer", "%s: no ETag in the answer", op);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0)
        rc = s3__put_result(&head, a.copy.etag, a.copy.last_modified_ms, ret, ret_err, op);
    s3_xml_answer_done(&a);
    s3_object_head_done(&head);
    buf_done(&source);
    return rc;
}

int s3_create_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                               const struct s3_put_options *opt, char **ret_upload_id,
                               struct s3_error *ret_err)
{
    const char *op = "CreateMultipartUpload";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!ret_upload_id)
        return s3__invalid(ret_err, op, "no place for the upload id");
    struct buf names;
    buf_init(&names, 64 * 1024);
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct s3__req rq = {.op = op,
                         .method = "POST",
                         .bucket = bucket,
                         .key = key,
                         .want = S3__XML,
                         .xml_kind = S3_XML_INITIATE_MULTIPART,
                         .ret_xml = &a};
    s3__q(&rq, "uploads", "");
    rc = s3__put_headers(&rq, opt, &names, ret_err);
    if (rc == 0)
        rc = s3__perform(c, &rq, ret_err);
    if (rc == 0) {
        char *id = str_dup(a.initiated.upload_id);
        if (id)
            *ret_upload_id = id;
        else {
            if (ret_err)
                s3__err(ret_err, 0, "InvalidInput", "%s: out of memory", op);
            rc = SEAU_E_NOMEM;
        }
    }
    s3_xml_answer_done(&a);
    buf_done(&names);
    return rc;
}

int s3_upload_part(struct s3_client *c, const char *bucket, const char *key, const char *upload_id,
                   int part_number, const struct s3_body *body, struct s3_put_result *ret,
                   struct s3_error *ret_err)
{
    const char *op = "UploadPart";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc == 0)
        rc = s3__check_body(op, body, ret_err);
    if (rc != 0)
        return rc;
    if (!ret || !upload_id || !*upload_id || !s3__part_number_ok(part_number))
        return s3__invalid(ret_err, op,
                           "an upload id and a part number of 1 to 10000 are "
                           "needed");
    char part[16];
    (void)snprintf(part, sizeof(part), "%d", part_number);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3__req rq = {.op = op,
                         .method = "PUT",
                         .bucket = bucket,
                         .key = key,
                         .body = body,
                         .streamed = body->read != NULL,
                         .ret_head = &head};
    s3__q(&rq, "partNumber", part);
    s3__q(&rq, "uploadId", upload_id);
    rc = s3__perform(c, &rq, ret_err);
    if (rc == 0 && !head.etag[0]) {
        if (ret_err)
            s3__err(ret_err, head.http_status, "MalformedAnswer", "%s: no ETag in the answer", op);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0)
        rc = s3__put_result(&head, head.etag, 0, ret, ret_err, op);
    s3_object_head_done(&head);
    return rc;
}

int s3_complete_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                                 const char *upload_id, const struct s3_completed_part *parts,
                                 size_t count, struct s3_put_result *ret, struct s3_error *ret_err)
{
    const char *op = "CompleteMultipartUpload";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!upload_id || !*upload_id || !parts || count == 0 || count > S3_MAX_PARTS)
        return s3__invalid(ret_err, op, "an upload id and 1 to 10000 parts are needed");
    struct buf xml;
    buf_init(&xml, S3__MAX_XML_BODY);
    rc = buf_append_str(&xml, "<CompleteMultipartUpload xmlns=\"" S3__NS "\">");
    int prev = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (!s3__part_number_ok(parts[i].part_number) || parts[i].part_number <= prev ||
            !parts[i].etag || !*parts[i].etag || strlen(parts[i].etag) >= S3_ETAG_SIZE) {
            rc = SEAU_E_VALIDATION;
            break;
        }
        prev = parts[i].part_number;
        rc = buf_printf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>", parts[i].part_number);
        if (rc == 0)
            rc = s3__xml_escape(&xml, parts[i].etag);
        if (rc == 0)
            rc = buf_append_str(&xml, "</ETag></Part>");
    }
    if (rc == 0)
        rc = buf_append_str(&xml, "</CompleteMultipartUpload>");
    if (rc != 0) {
        buf_done(&xml);
        return rc == SEAU_E_NOMEM ? rc
                                  : s3__invalid(ret_err, op,
                                                "parts must be in ascending "
                                                "order, each with its ETag");
    }
    struct s3_body body = s3_body_buffer(xml.data, xml.len);
    struct s3_object_head head;
    memset(&head, 0, sizeof(head));
    struct s3_xml_answer a;
    memset(&a, 0, sizeof(a));
    struct s3__req rq = {.op = op,
                         .method = "POST",
                         .bucket = bucket,
                         .key = key,
                         .body = &body,
                         .want = S3__XML,
                         .xml_kind = S3_XML_COMPLETE_MULTIPART,
                         .ret_xml = &a,
                         .ret_head = &head};
    s3__q(&rq, "uploadId", upload_id);
    s3__h(&rq, "Content-Type", "application/xml");
    rc = s3__perform(c, &rq, ret_err);
    if (rc == 0 && ret) {
        if (a.completed.etag[0]) {
            rc = s3__put_result(&head, a.completed.etag, 0, ret, ret_err, op);
        } else {
            /* Ceph RGW answers an empty <ETag>: the object's HEAD has it. */
            struct s3_object_head h2;
            struct s3_get_options go = {.version_id = head.version_id[0] ? head.version_id : NULL};
            rc = s3_head_object(c, bucket, key, &go, &h2, ret_err);
            if (rc == 0) {
                rc = s3__put_result(&head, h2.etag, 0, ret, ret_err, op);
                s3_object_head_done(&h2);
            }
        }
    }
    s3_xml_answer_done(&a);
    s3_object_head_done(&head);
    buf_done(&xml);
    return rc;
}

int s3_abort_multipart_upload(struct s3_client *c, const char *bucket, const char *key,
                              const char *upload_id, struct s3_error *ret_err)
{
    const char *op = "AbortMultipartUpload";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!upload_id || !*upload_id)
        return s3__invalid(ret_err, op, "an upload id is needed");
    struct s3__req rq = {.op = op, .method = "DELETE", .bucket = bucket, .key = key};
    s3__q(&rq, "uploadId", upload_id);
    return s3__perform(c, &rq, ret_err);
}

int s3_list_parts(struct s3_client *c, const char *bucket, const char *key, const char *upload_id,
                  int part_number_marker, int max_parts, struct s3_xml_answer *ret,
                  struct s3_error *ret_err)
{
    const char *op = "ListParts";
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    char max[16], marker[16];
    if (!upload_id || !*upload_id || !s3__page_size(max_parts, max) || part_number_marker < 0 ||
        part_number_marker > S3_MAX_PARTS)
        return s3__invalid(ret_err, op,
                           "an upload id, a marker of 0 to 10000 and a page "
                           "of 0 to 1000 are needed");
    (void)snprintf(marker, sizeof(marker), "%d", part_number_marker);
    struct s3__req rq = {.op = op,
                         .method = "GET",
                         .bucket = bucket,
                         .key = key,
                         .want = S3__XML,
                         .xml_kind = S3_XML_LIST_PARTS,
                         .ret_xml = ret};
    s3__q(&rq, "uploadId", upload_id);
    if (part_number_marker)
        s3__q(&rq, "part-number-marker", marker);
    if (max_parts)
        s3__q(&rq, "max-parts", max);
    return s3__perform(c, &rq, ret_err);
}

int s3_list_multipart_uploads(struct s3_client *c, const char *bucket,
                              const struct s3_list_uploads_params *p, struct s3_xml_answer *ret,
                              struct s3_error *ret_err)
{
    const char *op = "ListMultipartUploads";
    int rc = s3__check(op, bucket, NULL, false, ret_err);
    if (rc != 0)
        return rc;
    static const struct s3_list_uploads_params none;
    if (!p)
        p = &none;
    char max[16];
    if (!s3__page_size(p->max_uploads, max))
        return s3__invalid(ret_err, op, "max_uploads must be 0 to 1000");
    struct s3__req rq = {.op = op,
                         .method = "GET",
                         .bucket = bucket,
                         .want = S3__XML,
                         .xml_kind = S3_XML_LIST_UPLOADS,
                         .ret_xml = ret};
    s3__q(&rq, "uploads", "");
    s3__q_opt(&rq, "prefix", p->prefix);
    s3__q_opt(&rq, "delimiter", p->delimiter);
    s3__q_opt(&rq, "key-marker", p->key_marker);
    s3__q_opt(&rq, "upload-id-marker", p->upload_id_marker);
    if (p->max_uploads)
        s3__q(&rq, "max-uploads", max);
    return s3__perform(c, &rq, ret_err);
}

int s3_copy_multipart(struct s3_client *c, const char *src_bucket, const char *src_key,
                      const char *dst_bucket, const char *dst_key,
                      const struct s3_copy_options *opt, uint64_t part_size,
                      struct s3_put_result *ret, struct s3_error *ret_err)
{
    static const struct s3_copy_options none;
    if (!opt)
        opt = &none;
    if (part_size == 0)
        part_size = S3__DEFAULT_COPY_PART;
    if (part_size < S3_MIN_PART_SIZE || part_size > S3_MAX_PART_SIZE)
        return s3__invalid(ret_err, "UploadPartCopy", "the part size must be 5 MiB to 5 GiB");
    struct s3_object_head src;
    struct s3_get_options go = {.version_id = opt->source_version_id,
                                .if_match = opt->source_if_match};
    int rc = s3_head_object(c, src_bucket, src_key, &go, &src, ret_err);
    if (rc != 0)
        return rc;
    uint64_t size = src.content_length > 0 ? (uint64_t)src.content_length : 0;
    if (size > S3_MAX_OBJECT_SIZE) {
        s3_object_head_done(&src);
        return s3__invalid(ret_err, "UploadPartCopy", "the source is larger than 5 TiB");
    }
    if ((size + part_size - 1) / part_size > S3_MAX_PARTS)
        part_size = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
    size_t nparts = size == 0 ? 1 : (size_t)((size + part_size - 1) / part_size);

    /* Keep the source's headers unless replacing them. */
    struct s3_put_options keep = {
        .content_type = src.content_type[0] ? src.content_type : NULL,
        .content_disposition = src.content_disposition[0] ? src.content_disposition : NULL,
        .cache_control = src.cache_control[0] ? src.cache_control : NULL,
        .meta = src.meta,
        .meta_count = src.meta_count,
    };
    char *upload_id = NULL;
    struct s3_completed_part *parts = calloc(nparts, sizeof(*parts));
    struct s3_put_result *etags = calloc(nparts, sizeof(*etags));
    if (!parts || !etags)
        rc = SEAU_E_NOMEM;
    if (rc == 0)
        rc = s3_create_multipart_upload(c, dst_bucket, dst_key, opt->replace ? opt->replace : &keep,
                                        &upload_id, ret_err);
    /* Parts name the source's version, so a source overwritten meanwhile
     * cannot mix two objects' bytes. */
    const char *version = opt->source_version_id ? opt->source_version_id
                          : src.version_id[0] && strcmp(src.version_id, "null") != 0
                              ? src.version_id
                              : NULL;
    for (size_t i = 0; rc == 0 && i < nparts; i++) {
        int64_t first = size == 0 ? -1 : (int64_t)(i * part_size);
        int64_t last =
            size == 0 ? -1
                      : (int64_t)((i + 1) * part_size > size ? size - 1 : (i + 1) * part_size - 1);
        rc = s3_upload_part_copy(c, dst_bucket, dst_key, upload_id, (int)i + 1, src_bucket, src_key,
                                 version, first, last, &etags[i], ret_err);
        parts[i].part_number = (int)i + 1;
        parts[i].etag = etags[i].etag;
    }
    if (rc == 0)
        rc = s3_complete_multipart_upload(c, dst_bucket, dst_key, upload_id, parts, nparts, ret,
                                          ret_err);
    if (rc != 0 && upload_id)
        (void)s3_abort_multipart_upload(c, dst_bucket, dst_key, upload_id, NULL);
    if (rc == SEAU_E_NOMEM && ret_err && !ret_err->code[0])
        s3__err(ret_err, 0, "InvalidInput", "UploadPartCopy: out of memory");
    free(upload_id);
    free(parts);
    free(etags);
    s3_object_head_done(&src);
    return rc;
}

int s3_copy(struct s3_client *c, const char *src_bucket, const char *src_key,
            const char *dst_bucket, const char *dst_key, const struct s3_copy_options *opt,
            uint64_t part_size, struct s3_put_result *ret, struct s3_error *ret_err)
{
    static const struct s3_copy_options none;
    if (!opt)
        opt = &none;
    struct s3_object_head src;
    struct s3_get_options go = {.version_id = opt->source_version_id,
                                .if_match = opt->source_if_match};
    int rc = s3_head_object(c, src_bucket, src_key, &go, &src, ret_err);
    if (rc != 0)
        return rc;
    bool large = src.content_length > 0 && (uint64_t)src.content_length > S3_MAX_COPY_SIZE;
    s3_object_head_done(&src);
    if (large)
        return s3_copy_multipart(c, src_bucket, src_key, dst_bucket, dst_key, opt, part_size, ret,
                                 ret_err);
    return s3_copy_object(c, src_bucket, src_key, dst_bucket, dst_key, opt, ret, ret_err);
}
