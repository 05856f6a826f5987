/*
 * Streaming parsers for S3's XML answers: one generic driver over expat and a
 * table per kind of answer.
 *
 * A table lists the elements a kind knows by path from the root ("" is the
 * root itself, "Contents/Key" a key in a listing) and says what each one is:
 * a container, an item that opens a new entry of an array (Contents), or a
 * value stored at an offset of the open item, or of the answer when no item
 * is open. Items do not nest, which keeps "the open item" a single pointer.
 * The driver keeps a stack of table indexes, one per open element (-1 for an
 * unknown element, whose whole subtree is then skipped), collects the text of
 * value elements into one bounded buffer and stores it at their end tag.
 *
 * The same tables drive the passes over a finished answer: URL decoding and
 * the checks that need the whole document (EncodingType may come after the
 * keys), replacing absent strings by the shared "", and freeing. Two item
 * nodes may share an array (Version and DeleteMarker entries keep their order
 * in one array), so those passes visit each (array, field) pair once.
 *
 * Input is cut into slices of XML__BATCH bytes at fixed offsets of the
 * document before expat sees it (chunks are coalesced, large ones cut), so
 * expat's work does not depend on the split of the input. expat 2.5 also
 * re-parses an unfinished token from its start on each call: many small
 * chunks and one large token would cost quadratic time (CVE-2023-52425);
 * with 64 KiB slices and tokens of at most S3_XML_MAX_TOKEN it is linear.
 *
 * Allocation goes through XML__MALLOC, XML__REALLOC and XML__FREE, expat's
 * included, so the unit test can make any allocation fail (STYLE.md rule 19).
 */
#include "s3/xml.h"

#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <assert.h>
#include <expat.h>
#include <stdlib.h>
#include <string.h>

#ifndef XML__MALLOC
#define XML__MALLOC(n)     malloc(n)
#define XML__REALLOC(p, n) realloc((p), (n))
#define XML__FREE(p)       free(p)
#endif

#ifndef XML__BATCH
#define XML__BATCH (64 * 1024) /* bytes handed to expat at once; at most S3_XML_MAX_TOKEN */
#endif
#define XML__DEPTH_CAP 1024     /* the most max_depth may ask for */
#define XML__NS_SEP    '\n'     /* cannot occur in an element's local name */
#define XML__NONE      SIZE_MAX /* no offset */
#define XML__MAX_NODES 40       /* entries of the largest table, and then some */

enum xml__type {
    XML__T_NONE,    /* a container: nothing stored */
    XML__T_ITEM,    /* opens a new entry of an array of the answer */
    XML__T_STR,     /* const char * */
    XML__T_STRLIST, /* appends to a const char ** array */
    XML__T_INT,     /* int64_t within [min, max] */
    XML__T_BOOL,    /* bool from "true" or "false" */
    XML__T_TIME,    /* int64_t milliseconds from RFC 3339 */
    XML__T_ENUM,    /* int: 1 + the index of the text in names */
    XML__T_FIXSTR,  /* char[count_off], cut on a UTF-8 boundary */
};

enum xml__flags {
    XML__F_URL = 1u << 0, /* URL-decoded when the answer's EncodingType is "url" */
    XML__F_KEY = 1u << 1, /* at most max_key bytes once decoded */
    XML__F_REQ = 1u << 2, /* may not be absent or empty */
};

struct xml__node {
    const char *path;
    enum xml__type type;
    unsigned flags;
    size_t off;               /* the value, or for ITEM and STRLIST the array pointer */
    size_t count_off;         /* ITEM, STRLIST: the entry count (size_t); FIXSTR: the array size */
    size_t item_size;         /* ITEM: bytes of one entry */
    size_t seen_off;          /* a bool set when the element is stored (ITEM: in the new entry) */
    int64_t min, max;         /* INT */
    const char *const *names; /* ENUM: NULL-terminated */
};

struct xml__shape {
    const char *root;
    const struct xml__node *nodes; /* nodes[0] is the root, path "" */
    size_t node_count;
    size_t max_document;             /* default document limit */
    size_t encoding_off;             /* the EncodingType string, or XML__NONE */
    int (*finish)(struct s3_xml *x); /* optional, after the string pass */
};

struct s3_xml {
    enum s3_xml_kind kind;
    struct s3_xml_limits lim;
    XML_Parser parser;
    const struct xml__shape *shape;   /* set by the root element */
    int8_t parent[XML__MAX_NODES];    /* shape's table: the index of each node's parent */
    const char *leaf[XML__MAX_NODES]; /* and the last segment of its path */
    struct s3_xml_answer ans;         /* the answer being built */
    char *item;                       /* the open item, inside an array of ans */
    int16_t *stack;                   /* table index per open element, -1 when unknown */
    size_t depth;
    char *text; /* the text of the current value, NUL-terminated */
    size_t text_len, text_cap;
    char *pending; /* input not yet handed to expat */
    size_t pending_len, pending_cap;
    size_t fed;        /* bytes received */
    size_t parsed;     /* bytes handed to expat */
    size_t last_event; /* offset of the last expat event */
    int rc;            /* sticky error */
    bool is_error;     /* the root is <Error> */
    bool url;          /* finish: the answer is URL-encoded */
    bool done;         /* finish succeeded */
};

/* The shared "" of absent strings; the passes below never free it. */
static const char xml__empty[1] = "";

/* ==================================== the tables ==================================== */

#define XML__OFF(st, m) offsetof(struct st, m)

#define XML__CONTAINER(p)                                                                          \
    {                                                                                              \
        .path = (p), .type = XML__T_NONE, .seen_off = XML__NONE                                    \
    }
#define XML__STR(p, st, m, fl)                                                                     \
    {                                                                                              \
        .path = (p), .type = XML__T_STR, .flags = (fl), .off = XML__OFF(st, m),                    \
        .seen_off = XML__NONE                                                                      \
    }
#define XML__INT(p, st, m, lo, hi)                                                                 \
    {                                                                                              \
        .path = (p), .type = XML__T_INT, .off = XML__OFF(st, m), .min = (lo), .max = (hi),         \
        .seen_off = XML__NONE                                                                      \
    }
#define XML__INT_SEEN(p, st, m, lo, hi, seen)                                                      \
    {                                                                                              \
        .path = (p), .type = XML__T_INT, .off = XML__OFF(st, m), .min = (lo), .max = (hi),         \
        .seen_off = XML__OFF(st, seen)                                                             \
    }
#define XML__BOOL(p, st, m)                                                                        \
    {                                                                                              \
        .path = (p), .type = XML__T_BOOL, .off = XML__OFF(st, m), .seen_off = XML__NONE            \
    }
#define XML__TIME(p, st, m)                                                                        \
    {                                                                                              \
        .path = (p), .type = XML__T_TIME, .off = XML__OFF(st, m), .seen_off = XML__NONE            \
    }
#define XML__ENUM(p, st, m, n)                                                                     \
    {                                                                                              \
        .path = (p), .type = XML__T_ENUM, .off = XML__OFF(st, m), .seen_off = XML__NONE,           \
        .names = (n)                                                                               \
    }
#define XML__FIXSTR(p, st, m)                                                                      \
    {                                                                                              \
        .path = (p), .type = XML__T_FIXSTR, .off = XML__OFF(st, m),                                \
        .count_off = sizeof(((struct st *)0)->m), .seen_off = XML__NONE                            \
    }
#define XML__ITEM(p, st, arr, cnt, et)                                                             \
    {                                                                                              \
        .path = (p), .type = XML__T_ITEM, .off = XML__OFF(st, arr),                                \
        .count_off = XML__OFF(st, cnt), .item_size = sizeof(struct et), .seen_off = XML__NONE      \
    }
#define XML__ITEM_SEEN(p, st, arr, cnt, et, seen)                                                  \
    {                                                                                              \
        .path = (p), .type = XML__T_ITEM, .off = XML__OFF(st, arr),                                \
        .count_off = XML__OFF(st, cnt), .item_size = sizeof(struct et),                            \
        .seen_off = XML__OFF(et, seen)                                                             \
    }
#define XML__STRLIST(p, st, arr, cnt, fl)                                                          \
    {                                                                                              \
        .path = (p), .type = XML__T_STRLIST, .flags = (fl), .off = XML__OFF(st, arr),              \
        .count_off = XML__OFF(st, cnt), .seen_off = XML__NONE                                      \
    }

#define XML__KEYF (XML__F_URL | XML__F_KEY)

/* Error (any kind). */
static const struct xml__node xml__error_nodes[] = {
    XML__CONTAINER(""),
    XML__FIXSTR("Code", s3_error, code),
    XML__FIXSTR("Message", s3_error, message),
    XML__FIXSTR("RequestId", s3_error, request_id),
};

/* ListAllMyBucketsResult. */
static const struct xml__node xml__buckets_nodes[] = {
    XML__CONTAINER(""),
    XML__CONTAINER("Owner"),
    XML__STR("Owner/ID", s3_bucket_list, owner_id, 0),
    XML__STR("Owner/DisplayName", s3_bucket_list, owner_name, 0),
    XML__CONTAINER("Buckets"),
    XML__ITEM("Buckets/Bucket", s3_bucket_list, buckets, count, s3_bucket),
    XML__STR("Buckets/Bucket/Name", s3_bucket, name, XML__F_REQ),
    XML__TIME("Buckets/Bucket/CreationDate", s3_bucket, creation_date_ms),
    XML__STR("Buckets/Bucket/BucketRegion", s3_bucket, region, 0),
    XML__STR("ContinuationToken", s3_bucket_list, continuation_token, 0),
    XML__STR("Prefix", s3_bucket_list, prefix, 0),
};

/* ListBucketResult, as ListObjectsV2 answers it. */
static const struct xml__node xml__objects_nodes[] = {
    XML__CONTAINER(""),
    XML__STR("Name", s3_object_list, name, 0),
    XML__STR("Prefix", s3_object_list, prefix, XML__KEYF),
    XML__STR("Delimiter", s3_object_list, delimiter, XML__KEYF),
    XML__STR("StartAfter", s3_object_list, start_after, XML__KEYF),
    XML__STR("ContinuationToken", s3_object_list, continuation_token, 0),
    XML__STR("NextContinuationToken", s3_object_list, next_continuation_token, 0),
    XML__STR("EncodingType", s3_object_list, encoding_type, 0),
    XML__INT("KeyCount", s3_object_list, key_count, 0, INT64_MAX),
    XML__INT("MaxKeys", s3_object_list, max_keys, 0, INT64_MAX),
    XML__BOOL("IsTruncated", s3_object_list, is_truncated),
    XML__ITEM("Contents", s3_object_list, objects, object_count, s3_object),
    XML__STR("Contents/Key", s3_object, key, XML__KEYF | XML__F_REQ),
    XML__TIME("Contents/LastModified", s3_object, last_modified_ms),
    XML__STR("Contents/ETag", s3_object, etag, 0),
    XML__INT("Contents/Size", s3_object, size, 0, INT64_MAX),
    XML__STR("Contents/StorageClass", s3_object, storage_class, 0),
    XML__CONTAINER("Contents/Owner"),
    XML__STR("Contents/Owner/ID", s3_object, owner_id, 0),
    XML__STR("Contents/Owner/DisplayName", s3_object, owner_name, 0),
    XML__CONTAINER("CommonPrefixes"),
    XML__STRLIST("CommonPrefixes/Prefix", s3_object_list, common_prefixes, common_prefix_count,
                 XML__KEYF),
};

/* ListVersionsResult: Version and DeleteMarker entries share one array. */
static const struct xml__node xml__versions_nodes[] = {
    XML__CONTAINER(""),
    XML__STR("Name", s3_version_list, name, 0),
    XML__STR("Prefix", s3_version_list, prefix, XML__KEYF),
    XML__STR("Delimiter", s3_version_list, delimiter, XML__KEYF),
    XML__STR("KeyMarker", s3_version_list, key_marker, XML__KEYF),
    XML__STR("NextKeyMarker", s3_version_list, next_key_marker, XML__KEYF),
    XML__STR("VersionIdMarker", s3_version_list, version_id_marker, 0),
    XML__STR("NextVersionIdMarker", s3_version_list, next_version_id_marker, 0),
    XML__STR("EncodingType", s3_version_list, encoding_type, 0),
    XML__INT("MaxKeys", s3_version_list, max_keys, 0, INT64_MAX),
    XML__BOOL("IsTruncated", s3_version_list, is_truncated),
    XML__ITEM("Version", s3_version_list, versions, version_count, s3_object_version),
    XML__STR("Version/Key", s3_object_version, key, XML__KEYF | XML__F_REQ),
    XML__STR("Version/VersionId", s3_object_version, version_id, 0),
    XML__BOOL("Version/IsLatest", s3_object_version, is_latest),
    XML__TIME("Version/LastModified", s3_object_version, last_modified_ms),
    XML__STR("Version/ETag", s3_object_version, etag, 0),
    XML__INT("Version/Size", s3_object_version, size, 0, INT64_MAX),
    XML__STR("Version/StorageClass", s3_object_version, storage_class, 0),
    XML__CONTAINER("Version/Owner"),
    XML__STR("Version/Owner/ID", s3_object_version, owner_id, 0),
    XML__STR("Version/Owner/DisplayName", s3_object_version, owner_name, 0),
    XML__ITEM_SEEN("DeleteMarker", s3_version_list, versions, version_count, s3_object_version,
                   is_delete_marker),
    XML__STR("DeleteMarker/Key", s3_object_version, key, XML__KEYF | XML__F_REQ),
    XML__STR("DeleteMarker/VersionId", s3_object_version, version_id, 0),
    XML__BOOL("DeleteMarker/IsLatest", s3_object_version, is_latest),
    XML__TIME("DeleteMarker/LastModified", s3_object_version, last_modified_ms),
    XML__CONTAINER("DeleteMarker/Owner"),
    XML__STR("DeleteMarker/Owner/ID", s3_object_version, owner_id, 0),
    XML__STR("DeleteMarker/Owner/DisplayName", s3_object_version, owner_name, 0),
    XML__CONTAINER("CommonPrefixes"),
    XML__STRLIST("CommonPrefixes/Prefix", s3_version_list, common_prefixes, common_prefix_count,
                 XML__KEYF),
};

/* LocationConstraint: the root's own text. */
static const struct xml__node xml__location_nodes[] = {
    XML__STR("", s3_bucket_location, region, 0),
};

static const char *const xml__versioning_names[] = {"Enabled", "Suspended", NULL};

/* VersioningConfiguration. */
static const struct xml__node xml__versioning_nodes[] = {
    XML__CONTAINER(""),
    XML__ENUM("Status", s3_bucket_versioning, status, xml__versioning_names),
};

/* CORSConfiguration. */
static const struct xml__node xml__cors_nodes[] = {
    XML__CONTAINER(""),
    XML__ITEM("CORSRule", s3_cors, rules, count, s3_cors_rule),
    XML__STR("CORSRule/ID", s3_cors_rule, id, 0),
    XML__STRLIST("CORSRule/AllowedOrigin", s3_cors_rule, allowed_origins, allowed_origin_count, 0),
    XML__STRLIST("CORSRule/AllowedMethod", s3_cors_rule, allowed_methods, allowed_method_count, 0),
    XML__STRLIST("CORSRule/AllowedHeader", s3_cors_rule, allowed_headers, allowed_header_count, 0),
    XML__STRLIST("CORSRule/ExposeHeader", s3_cors_rule, expose_headers, expose_header_count, 0),
    XML__INT_SEEN("CORSRule/MaxAgeSeconds", s3_cors_rule, max_age_seconds, 0, INT64_MAX,
                  has_max_age_seconds),
};

/* InitiateMultipartUploadResult. */
static const struct xml__node xml__initiate_nodes[] = {
    XML__CONTAINER(""),
    XML__STR("Bucket", s3_multipart_initiated, bucket, 0),
    XML__STR("Key", s3_multipart_initiated, key, XML__F_KEY),
    XML__STR("UploadId", s3_multipart_initiated, upload_id, XML__F_REQ),
};

/* CompleteMultipartUploadResult. */
static const struct xml__node xml__complete_nodes[] = {
    XML__CONTAINER(""),
    XML__STR("Location", s3_multipart_completed, location, 0),
    XML__STR("Bucket", s3_multipart_completed, bucket, 0),
    XML__STR("Key", s3_multipart_completed, key, XML__F_KEY),
    XML__STR("ETag", s3_multipart_completed, etag, 0),
};

/* ListPartsResult. */
static const struct xml__node xml__parts_nodes[] = {
    XML__CONTAINER(""),
    XML__STR("Bucket", s3_part_list, bucket, 0),
    XML__STR("Key", s3_part_list, key, XML__F_KEY),
    XML__STR("UploadId", s3_part_list, upload_id, 0),
    XML__INT("PartNumberMarker", s3_part_list, part_number_marker, 0, INT32_MAX),
    XML__INT("NextPartNumberMarker", s3_part_list, next_part_number_marker, 0, INT32_MAX),
    XML__INT("MaxParts", s3_part_list, max_parts, 0, INT64_MAX),
    XML__BOOL("IsTruncated", s3_part_list, is_truncated),
    XML__ITEM("Part", s3_part_list, parts, count, s3_part),
    XML__INT("Part/PartNumber", s3_part, part_number, 1, INT32_MAX),
    XML__TIME("Part/LastModified", s3_part, last_modified_ms),
    XML__STR("Part/ETag", s3_part, etag, 0),
    XML__INT("Part/Size", s3_part, size, 0, INT64_MAX),
};

/* ListMultipartUploadsResult. */
static const struct xml__node xml__uploads_nodes[] = {
    XML__CONTAINER(""),
    XML__STR("Bucket", s3_upload_list, bucket, 0),
    XML__STR("Prefix", s3_upload_list, prefix, XML__KEYF),
    XML__STR("Delimiter", s3_upload_list, delimiter, XML__KEYF),
    XML__STR("KeyMarker", s3_upload_list, key_marker, XML__KEYF),
    XML__STR("NextKeyMarker", s3_upload_list, next_key_marker, XML__KEYF),
    XML__STR("UploadIdMarker", s3_upload_list, upload_id_marker, 0),
    XML__STR("NextUploadIdMarker", s3_upload_list, next_upload_id_marker, 0),
    XML__STR("EncodingType", s3_upload_list, encoding_type, 0),
    XML__INT("MaxUploads", s3_upload_list, max_uploads, 0, INT64_MAX),
    XML__BOOL("IsTruncated", s3_upload_list, is_truncated),
    XML__ITEM("Upload", s3_upload_list, uploads, count, s3_upload),
    XML__STR("Upload/Key", s3_upload, key, XML__KEYF | XML__F_REQ),
    XML__STR("Upload/UploadId", s3_upload, upload_id, XML__F_REQ),
    XML__TIME("Upload/Initiated", s3_upload, initiated_ms),
    XML__STR("Upload/StorageClass", s3_upload, storage_class, 0),
    XML__CONTAINER("CommonPrefixes"),
    XML__STRLIST("CommonPrefixes/Prefix", s3_upload_list, common_prefixes, common_prefix_count,
                 XML__KEYF),
};

/* DeleteResult. */
static const struct xml__node xml__delete_nodes[] = {
    XML__CONTAINER(""),
    XML__ITEM("Deleted", s3_delete_result, deleted, deleted_count, s3_deleted),
    XML__STR("Deleted/Key", s3_deleted, key, XML__F_KEY),
    XML__STR("Deleted/VersionId", s3_deleted, version_id, 0),
    XML__BOOL("Deleted/DeleteMarker", s3_deleted, delete_marker),
    XML__STR("Deleted/DeleteMarkerVersionId", s3_deleted, delete_marker_version_id, 0),
    XML__ITEM("Error", s3_delete_result, errors, error_count, s3_delete_error),
    XML__STR("Error/Key", s3_delete_error, key, XML__F_KEY),
    XML__STR("Error/VersionId", s3_delete_error, version_id, 0),
    XML__STR("Error/Code", s3_delete_error, code, 0),
    XML__STR("Error/Message", s3_delete_error, message, 0),
};

/* CopyObjectResult and CopyPartResult. */
static const struct xml__node xml__copy_nodes[] = {
    XML__CONTAINER(""),
    XML__STR("ETag", s3_copy_result, etag, 0),
    XML__TIME("LastModified", s3_copy_result, last_modified_ms),
};

/* Tagging (GetObjectTagging). */
static const struct xml__node xml__tagging_nodes[] = {
    XML__CONTAINER(""),
    XML__CONTAINER("TagSet"),
    XML__ITEM("TagSet/Tag", s3_tagging, tags, count, s3_tag),
    XML__STR("TagSet/Tag/Key", s3_tag, key, XML__F_REQ),
    XML__STR("TagSet/Tag/Value", s3_tag, value, 0),
};

/* LifecycleConfiguration (GetBucketLifecycleConfiguration). */
static const struct xml__node xml__lifecycle_nodes[] = {
    XML__CONTAINER(""),
    XML__ITEM("Rule", s3_lifecycle, rules, count, s3_lifecycle_rule),
    XML__STR("Rule/ID", s3_lifecycle_rule, id, 0),
    XML__STR("Rule/Status", s3_lifecycle_rule, status, 0),
    XML__STR("Rule/Prefix", s3_lifecycle_rule, prefix, 0),
    XML__CONTAINER("Rule/Filter"),
    XML__STR("Rule/Filter/Prefix", s3_lifecycle_rule, filter_prefix, 0),
    XML__CONTAINER("Rule/NoncurrentVersionExpiration"),
    XML__INT_SEEN("Rule/NoncurrentVersionExpiration/NoncurrentDays", s3_lifecycle_rule,
                  noncurrent_days, 0, INT32_MAX, has_noncurrent_days),
    XML__CONTAINER("Rule/Expiration"),
    XML__INT("Rule/Expiration/Days", s3_lifecycle_rule, expiration_days, 0, INT32_MAX),
};

static int xml__finish_location(struct s3_xml *x);

#define XML__SHAPE(r, n, doc, enc, fin)                                                            \
    {                                                                                              \
        (r), (n), sizeof(n) / sizeof((n)[0]), (doc), (enc), (fin)                                  \
    }
#define XML__BIG   S3_XML_MAX_DOCUMENT
#define XML__SMALL S3_XML_MAX_SMALL_DOCUMENT

/* Indexed by enum s3_xml_kind. */
static const struct xml__shape xml__shapes[S3_XML_KIND_COUNT] = {
    [S3_XML_ERROR] = XML__SHAPE("Error", xml__error_nodes, XML__SMALL, XML__NONE, NULL),
    [S3_XML_LIST_BUCKETS] =
        XML__SHAPE("ListAllMyBucketsResult", xml__buckets_nodes, XML__BIG, XML__NONE, NULL),
    [S3_XML_LIST_OBJECTS_V2] = XML__SHAPE("ListBucketResult", xml__objects_nodes, XML__BIG,
                                          XML__OFF(s3_object_list, encoding_type), NULL),
    [S3_XML_LIST_VERSIONS] = XML__SHAPE("ListVersionsResult", xml__versions_nodes, XML__BIG,
                                        XML__OFF(s3_version_list, encoding_type), NULL),
    [S3_XML_BUCKET_LOCATION] = XML__SHAPE("LocationConstraint", xml__location_nodes, XML__SMALL,
                                          XML__NONE, xml__finish_location),
    [S3_XML_BUCKET_VERSIONING] =
        XML__SHAPE("VersioningConfiguration", xml__versioning_nodes, XML__SMALL, XML__NONE, NULL),
    [S3_XML_BUCKET_CORS] =
        XML__SHAPE("CORSConfiguration", xml__cors_nodes, XML__SMALL, XML__NONE, NULL),
    [S3_XML_INITIATE_MULTIPART] = XML__SHAPE("InitiateMultipartUploadResult", xml__initiate_nodes,
                                             XML__SMALL, XML__NONE, NULL),
    [S3_XML_COMPLETE_MULTIPART] = XML__SHAPE("CompleteMultipartUploadResult", xml__complete_nodes,
                                             XML__SMALL, XML__NONE, NULL),
    [S3_XML_LIST_PARTS] =
        XML__SHAPE("ListPartsResult", xml__parts_nodes, XML__BIG, XML__NONE, NULL),
    [S3_XML_LIST_UPLOADS] = XML__SHAPE("ListMultipartUploadsResult", xml__uploads_nodes, XML__BIG,
                                       XML__OFF(s3_upload_list, encoding_type), NULL),
    [S3_XML_DELETE_OBJECTS] =
        XML__SHAPE("DeleteResult", xml__delete_nodes, XML__BIG, XML__NONE, NULL),
    [S3_XML_COPY_OBJECT] =
        XML__SHAPE("CopyObjectResult", xml__copy_nodes, XML__SMALL, XML__NONE, NULL),
    [S3_XML_COPY_PART] = XML__SHAPE("CopyPartResult", xml__copy_nodes, XML__SMALL, XML__NONE, NULL),
    [S3_XML_TAGGING] = XML__SHAPE("Tagging", xml__tagging_nodes, XML__SMALL, XML__NONE, NULL),
    [S3_XML_LIFECYCLE] =
        XML__SHAPE("LifecycleConfiguration", xml__lifecycle_nodes, XML__SMALL, XML__NONE, NULL),
};

/* ==================================== small helpers ==================================== */

static bool xml__is_value(enum xml__type t)
{
    return t != XML__T_NONE && t != XML__T_ITEM;
}

static char *xml__strndup(const char *s, size_t n)
{
    char *p = XML__MALLOC(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void xml__free_str(const char *s)
{
    if (s && s != xml__empty)
        XML__FREE((void *)s);
}

/*
 * Makes room for one more entry in an array of *count entries of size bytes.
 * The capacity is implicit, the next power of two from 4 up, so arrays in
 * the answer need no capacity field. Returns 0, SEAU_E_TOO_LARGE past max or
 * SEAU_E_NOMEM.
 */
static int xml__grow(void **arr, size_t count, size_t size, size_t max)
{
    if (count >= max)
        return SEAU_E_TOO_LARGE;
    bool full = count == 0 || (count >= 4 && (count & (count - 1)) == 0);
    if (!full)
        return 0;
    size_t cap = count == 0 ? 4 : count * 2;
    if (cap > SIZE_MAX / size)
        return SEAU_E_TOO_LARGE;
    void *p = XML__REALLOC(*arr, cap * size);
    if (!p)
        return SEAU_E_NOMEM;
    *arr = p;
    return 0;
}

static bool xml__space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The slice without leading and trailing ASCII white space. */
static struct slice xml__trim(const char *s, size_t n)
{
    while (n > 0 && xml__space(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && xml__space(s[n - 1]))
        n--;
    return (struct slice){s, n};
}

/*
 * Decodes s in place as S3's encoding-type=url: "%XX" is the byte XX and "+"
 * is a space. Returns 0 and writes the decoded length, or SEAU_E_UNAVAILABLE
 * for a bad escape or an escaped NUL (our strings are C strings).
 *
 * Why "+" is a space. botocore decodes these fields with unquote_str, which
 * is urllib.parse.unquote_plus (botocore/compat.py: `unquote_str =
 * unquote_plus`; botocore/handlers.py: _decode_list_object, for ListObjects,
 * ListObjectsV2 and ListObjectVersions; checked in botocore 1.43). boto made
 * the same switch because "S3 [...] replace[s] spaces with plus signs"
 * (boto/boto#2654), and a literal "+" then comes as "%2B". MinIO's
 * s3URLEncode is Go's url.QueryEscape (space "+", "+" "%2B") but for keeping
 * "/" and "*" (minio cmd/api-utils.go). Ceph RGW 16.2 sends "%20" and "%2B"
 * (seen in its answers), which decode the same either way. No server sends a
 * bare "+" for a "+", so reading "+" as a space is never ambiguous.
 */
static int xml__url_decode(char *s, size_t *ret_len)
{
    size_t n = strlen(s);
    if (codec_percent_decode((struct slice){s, n}, CODEC_PLUS_SPACE, s, n + 1, ret_len) != 0)
        return SEAU_E_UNAVAILABLE;
    return 0;
}

/* Copies text into a char[size], cut on a UTF-8 boundary. */
static void xml__copy_fixed(char *dst, size_t size, const char *s, size_t n)
{
    if (n > size - 1) {
        n = size - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

/* ============================ walking the strings of an answer ============================ */

/* The item node whose entries hold n's value, or NULL when n belongs to the answer itself. */
static const struct xml__node *xml__item_of(const struct xml__shape *sh, const struct xml__node *n)
{
    for (size_t i = 0; i < sh->node_count; i++) {
        const struct xml__node *it = &sh->nodes[i];
        size_t len = strlen(it->path);
        if (it->type == XML__T_ITEM && strncmp(n->path, it->path, len) == 0 && n->path[len] == '/')
            return it;
    }
    return NULL;
}

/* True when a node before nodes[i] stores the same kind of value at the same place. */
static bool xml__visited(const struct xml__shape *sh, size_t i)
{
    const struct xml__node *n = &sh->nodes[i];
    const struct xml__node *it = xml__item_of(sh, n);
    for (size_t j = 0; j < i; j++) {
        const struct xml__node *m = &sh->nodes[j];
        if (m->type != n->type || m->off != n->off)
            continue;
        if (n->type == XML__T_ITEM)
            return true;
        const struct xml__node *mit = xml__item_of(sh, m);
        if ((it == NULL) == (mit == NULL) && (!it || it->off == mit->off))
            return true;
    }
    return false;
}

typedef int (*xml__slot_fn)(struct s3_xml *x, const struct xml__node *n, const char **slot);

/* Calls fn on one string of a base (the answer or an entry). */
static int xml__visit_base(struct s3_xml *x, const struct xml__node *n, char *base, xml__slot_fn fn)
{
    if (n->type == XML__T_STR)
        return fn(x, n, (const char **)(void *)(base + n->off));
    const char **arr = *(const char ***)(void *)(base + n->off);
    size_t count = *(size_t *)(void *)(base + n->count_off);
    for (size_t k = 0; k < count; k++) {
        int rc = fn(x, n, &arr[k]);
        if (rc)
            return rc;
    }
    return 0;
}

/*
 * Calls fn on every string slot of the answer at base (STR fields and
 * STRLIST entries, in the answer and in every entry of its arrays), each
 * once, in table order. Stops at the first non-zero return. O(strings).
 */
static int xml__walk_strings(struct s3_xml *x, const struct xml__shape *sh, char *base,
                             xml__slot_fn fn)
{
    for (size_t i = 0; i < sh->node_count; i++) {
        const struct xml__node *n = &sh->nodes[i];
        if ((n->type != XML__T_STR && n->type != XML__T_STRLIST) || xml__visited(sh, i))
            continue;
        const struct xml__node *it = xml__item_of(sh, n);
        int rc = 0;
        if (!it) {
            rc = xml__visit_base(x, n, base, fn);
        } else {
            char *items = *(char **)(void *)(base + it->off);
            size_t count = *(size_t *)(void *)(base + it->count_off);
            for (size_t k = 0; k < count && rc == 0; k++)
                rc = xml__visit_base(x, n, items + k * it->item_size, fn);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int xml__slot_free(struct s3_xml *x, const struct xml__node *n, const char **slot)
{
    (void)x;
    (void)n;
    xml__free_str(*slot);
    *slot = NULL;
    return 0;
}

/* Frees every string and array of the answer at base, built from sh's table. */
static void xml__free_answer(const struct xml__shape *sh, char *base)
{
    xml__walk_strings(NULL, sh, base, xml__slot_free);
    /* STRLIST arrays, then ITEM arrays, which may hold the former. */
    for (size_t i = 0; i < sh->node_count; i++) {
        const struct xml__node *n = &sh->nodes[i];
        if (n->type != XML__T_STRLIST || xml__visited(sh, i))
            continue;
        const struct xml__node *it = xml__item_of(sh, n);
        if (!it) {
            XML__FREE(*(void **)(void *)(base + n->off));
            continue;
        }
        char *items = *(char **)(void *)(base + it->off);
        size_t count = *(size_t *)(void *)(base + it->count_off);
        for (size_t k = 0; k < count; k++)
            XML__FREE(*(void **)(void *)(items + k * it->item_size + n->off));
    }
    for (size_t i = 0; i < sh->node_count; i++) {
        const struct xml__node *n = &sh->nodes[i];
        if (n->type == XML__T_ITEM && !xml__visited(sh, i))
            XML__FREE(*(void **)(void *)(base + n->off));
    }
}

/*
 * The string pass of s3_xml_finish(): decodes URL-encoded fields, checks
 * them, and points absent strings at the shared "".
 */
static int xml__slot_finish(struct s3_xml *x, const struct xml__node *n, const char **slot)
{
    if (!*slot) {
        *slot = xml__empty;
        return (n->flags & XML__F_REQ) ? SEAU_E_UNAVAILABLE : 0;
    }
    size_t len = strlen(*slot);
    if ((n->flags & XML__F_URL) && x->url && *slot != xml__empty) {
        char *s = (char *)(void *)*slot; /* allocated by xml__store(), so writable */
        int rc = xml__url_decode(s, &len);
        if (rc)
            return rc;
        if (!str_utf8_valid(s, len))
            return SEAU_E_UNAVAILABLE;
    }
    if ((n->flags & XML__F_KEY) && len > x->lim.max_key)
        return SEAU_E_TOO_LARGE;
    if ((n->flags & XML__F_REQ) && len == 0)
        return SEAU_E_UNAVAILABLE;
    return 0;
}

/* GetBucketLocation: "" is us-east-1 and "EU" is eu-west-1 (AWS API reference). */
static int xml__finish_location(struct s3_xml *x)
{
    const char *region = x->ans.location.region;
    const char *mapped = region[0] == '\0'           ? "us-east-1"
                         : strcmp(region, "EU") == 0 ? "eu-west-1"
                                                     : NULL;
    if (!mapped)
        return 0;
    char *p = xml__strndup(mapped, strlen(mapped));
    if (!p)
        return SEAU_E_NOMEM;
    xml__free_str(region);
    x->ans.location.region = p;
    return 0;
}

/* ==================================== the driver ==================================== */

static void xml__fail(struct s3_xml *x, int rc)
{
    if (!x->rc)
        x->rc = rc;
    XML_StopParser(x->parser, XML_FALSE);
}

/*
 * Records an expat event. Fails when more than S3_XML_MAX_TOKEN bytes
 * separate it from the previous one: some markup is too large.
 */
static int xml__event(struct s3_xml *x)
{
    XML_Index at = XML_GetCurrentByteIndex(x->parser);
    size_t pos = at < 0 || (size_t)at < x->last_event ? x->last_event : (size_t)at;
    if (pos - x->last_event > S3_XML_MAX_TOKEN)
        return SEAU_E_TOO_LARGE;
    x->last_event = pos;
    return 0;
}

/* The local name of an element: what follows the namespace separator, if any. */
static const char *xml__local(const char *name)
{
    const char *sep = strrchr(name, XML__NS_SEP);
    return sep ? sep + 1 : name;
}

/* Indexes the table of x->shape for xml__child(): each node's parent and last path segment. */
static void xml__index(struct s3_xml *x)
{
    const struct xml__shape *sh = x->shape;
    assert(sh->node_count <= XML__MAX_NODES);
    for (size_t i = 1; i < sh->node_count; i++) {
        const char *p = sh->nodes[i].path;
        const char *slash = strrchr(p, '/');
        x->leaf[i] = slash ? slash + 1 : p;
        x->parent[i] = 0;
        for (size_t j = 1; slash && j < sh->node_count; j++)
            if (strlen(sh->nodes[j].path) == (size_t)(slash - p) &&
                strncmp(sh->nodes[j].path, p, (size_t)(slash - p)) == 0)
                x->parent[i] = (int8_t)j;
        assert(!slash || x->parent[i] != 0); /* every path's parent is in the table */
    }
}

/* The node for element name under the node parent, or -1. O(table). */
static int xml__child(const struct s3_xml *x, int parent, const char *name)
{
    for (size_t i = 1; i < x->shape->node_count; i++)
        if (x->parent[i] == parent && strcmp(x->leaf[i], name) == 0)
            return (int)i;
    return -1;
}

/* Where the value of n goes: the open entry, or the answer. */
static char *xml__base(struct s3_xml *x)
{
    return x->item ? x->item : (char *)&x->ans.error;
}

static void xml__seen(char *base, const struct xml__node *n)
{
    if (n->seen_off != XML__NONE)
        *(bool *)(void *)(base + n->seen_off) = true;
}

/* Opens an entry for an ITEM element. */
static int xml__open_item(struct s3_xml *x, const struct xml__node *n)
{
    char *base = (char *)&x->ans.error;
    void **arr = (void **)(void *)(base + n->off);
    size_t *count = (size_t *)(void *)(base + n->count_off);
    int rc = xml__grow(arr, *count, n->item_size, x->lim.max_items);
    if (rc)
        return rc;
    char *item = (char *)*arr + *count * n->item_size;
    memset(item, 0, n->item_size);
    (*count)++;
    x->item = item;
    xml__seen(item, n);
    return 0;
}

/* Stores the collected text of a value element. */
static int xml__store(struct s3_xml *x, const struct xml__node *n)
{
    char *base = xml__base(x);
    const char *text = x->text ? x->text : xml__empty;
    size_t len = x->text_len;
    int rc = 0;
    switch (n->type) {
    case XML__T_STR: {
        const char **slot = (const char **)(void *)(base + n->off);
        const char *s = len ? xml__strndup(text, len) : xml__empty;
        if (!s)
            return SEAU_E_NOMEM;
        xml__free_str(*slot); /* a repeated element: the last one wins */
        *slot = s;
        break;
    }
    case XML__T_STRLIST: {
        void **arr = (void **)(void *)(base + n->off);
        size_t *count = (size_t *)(void *)(base + n->count_off);
        rc = xml__grow(arr, *count, sizeof(char *), x->lim.max_items);
        if (rc)
            return rc;
        const char *s = len ? xml__strndup(text, len) : xml__empty;
        if (!s)
            return SEAU_E_NOMEM;
        ((const char **)*arr)[(*count)++] = s;
        break;
    }
    case XML__T_FIXSTR:
        xml__copy_fixed(base + n->off, n->count_off, text, len);
        break;
    case XML__T_INT:
    case XML__T_BOOL:
    case XML__T_TIME:
    case XML__T_ENUM: {
        struct slice v = xml__trim(text, len);
        if (v.len == 0)
            return 0; /* empty: as if absent */
        if (n->type == XML__T_INT) {
            int64_t i;
            if (slice_to_int64(v, n->min, n->max, &i))
                return SEAU_E_UNAVAILABLE;
            *(int64_t *)(void *)(base + n->off) = i;
        } else if (n->type == XML__T_BOOL) {
            bool b = slice_eq_cstr(v, "true");
            if (!b && !slice_eq_cstr(v, "false"))
                return SEAU_E_UNAVAILABLE;
            *(bool *)(void *)(base + n->off) = b;
        } else if (n->type == XML__T_TIME) {
            /* v is a non-empty part of our text buffer: end it there for the C-string parser. */
            x->text[(size_t)(v.p - x->text) + v.len] = '\0';
            int64_t ms;
            if (time_parse_rfc3339(v.p, &ms))
                return SEAU_E_UNAVAILABLE;
            *(int64_t *)(void *)(base + n->off) = ms;
        } else {
            int value = 0;
            for (int k = 0; n->names[k]; k++)
                if (slice_eq_cstr(v, n->names[k]))
                    value = k + 1;
            if (!value)
                return SEAU_E_UNAVAILABLE;
            *(int *)(void *)(base + n->off) = value;
        }
        break;
    }
    case XML__T_NONE:
    case XML__T_ITEM:
        break;
    }
    xml__seen(base, n);
    return 0;
}

/* Appends character data to the current value; FIXSTR values drop what cannot fit. */
static int xml__append_text(struct s3_xml *x, const struct xml__node *n, const char *s, size_t len)
{
    size_t max = x->lim.max_text;
    if (n->type == XML__T_FIXSTR) {
        max = n->count_off; /* one byte more than fits, so the cut sees the next lead byte */
        if (x->text_len >= max)
            return 0;
        if (len > max - x->text_len)
            len = max - x->text_len;
    } else if (len > max - x->text_len) {
        return SEAU_E_TOO_LARGE;
    }
    if (x->text_len + len + 1 > x->text_cap) {
        size_t cap = x->text_cap ? x->text_cap : 64;
        while (cap < x->text_len + len + 1)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        char *p = XML__REALLOC(x->text, cap);
        if (!p)
            return SEAU_E_NOMEM;
        x->text = p;
        x->text_cap = cap;
    }
    memcpy(x->text + x->text_len, s, len);
    x->text_len += len;
    x->text[x->text_len] = '\0';
    return 0;
}

static void XMLCALL xml__on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct s3_xml *x = ud;
    (void)attrs;
    if (x->rc)
        return;
    int rc = xml__event(x);
    if (rc == 0 && x->depth >= x->lim.max_depth)
        rc = SEAU_E_TOO_LARGE;
    if (rc) {
        xml__fail(x, rc);
        return;
    }
    const char *local = xml__local(name);
    int id;
    if (x->depth == 0) {
        const struct xml__shape *sh = &xml__shapes[x->kind];
        if (strcmp(local, sh->root) == 0) {
            x->is_error = x->kind == S3_XML_ERROR;
        } else if (strcmp(local, "Error") == 0) {
            sh = &xml__shapes[S3_XML_ERROR];
            x->is_error = true;
        } else {
            xml__fail(x, SEAU_E_UNAVAILABLE);
            return;
        }
        x->shape = sh;
        xml__index(x);
        id = 0;
    } else {
        int parent = x->stack[x->depth - 1];
        id = parent < 0 ? -1 : xml__child(x, parent, local);
    }
    x->stack[x->depth++] = (int16_t)id;
    if (id < 0)
        return;
    const struct xml__node *n = &x->shape->nodes[id];
    if (n->type == XML__T_ITEM)
        rc = xml__open_item(x, n);
    else if (xml__is_value(n->type))
        x->text_len = 0;
    if (rc)
        xml__fail(x, rc);
}

static void XMLCALL xml__on_end(void *ud, const XML_Char *name)
{
    struct s3_xml *x = ud;
    (void)name;
    if (x->rc)
        return;
    int rc = xml__event(x);
    if (rc == 0 && x->depth > 0) {
        int id = x->stack[--x->depth];
        if (id >= 0) {
            const struct xml__node *n = &x->shape->nodes[id];
            if (n->type == XML__T_ITEM)
                x->item = NULL;
            else if (xml__is_value(n->type))
                rc = xml__store(x, n);
        }
    }
    if (rc)
        xml__fail(x, rc);
}

static void XMLCALL xml__on_text(void *ud, const XML_Char *s, int len)
{
    struct s3_xml *x = ud;
    if (x->rc)
        return;
    int rc = xml__event(x);
    if (rc == 0 && x->depth > 0 && len > 0) {
        int id = x->stack[x->depth - 1];
        if (id >= 0 && xml__is_value(x->shape->nodes[id].type))
            rc = xml__append_text(x, &x->shape->nodes[id], s, (size_t)len);
    }
    if (rc)
        xml__fail(x, rc);
}

/* Any DOCTYPE, hence any entity declaration, is refused as soon as it starts. */
static void XMLCALL xml__on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                    const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    xml__fail(ud, SEAU_E_UNAVAILABLE);
}

static void XMLCALL xml__on_entity(void *ud, const XML_Char *name, int is_param,
                                   const XML_Char *value, int value_len, const XML_Char *base,
                                   const XML_Char *sysid, const XML_Char *pubid,
                                   const XML_Char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    xml__fail(ud, SEAU_E_UNAVAILABLE);
}

/* Never reached without a DOCTYPE; refuses to load anything if it were. */
static int XMLCALL xml__on_external(XML_Parser p, const XML_Char *context, const XML_Char *base,
                                    const XML_Char *sysid, const XML_Char *pubid)
{
    (void)p;
    (void)context;
    (void)base;
    (void)sysid;
    (void)pubid;
    return XML_STATUS_ERROR;
}

static void *xml__mm_malloc(size_t n)
{
    return XML__MALLOC(n);
}

static void *xml__mm_realloc(void *p, size_t n)
{
    return XML__REALLOC(p, n);
}

static void xml__mm_free(void *p)
{
    XML__FREE(p);
}

static const XML_Memory_Handling_Suite xml__mm = {xml__mm_malloc, xml__mm_realloc, xml__mm_free};

/*
 * Hands n bytes to expat, in slices of XML__BATCH bytes, and checks the
 * distance since the last event after each. Every slice but the last of the
 * document starts and ends at a multiple of XML__BATCH from its start, so
 * expat sees the same slices however the caller split the input: results,
 * errors included, do not depend on the split.
 */
static int xml__parse(struct s3_xml *x, const char *p, size_t n, bool final)
{
    do {
        size_t slice = n > XML__BATCH ? XML__BATCH : n;
        bool last = final && slice == n;
        enum XML_Status st = XML_Parse(x->parser, p, (int)slice, last);
        if (x->rc)
            return x->rc;
        if (st != XML_STATUS_OK)
            return XML_GetErrorCode(x->parser) == XML_ERROR_NO_MEMORY ? SEAU_E_NOMEM
                                                                      : SEAU_E_UNAVAILABLE;
        x->parsed += slice;
        if (x->parsed - x->last_event > S3_XML_MAX_TOKEN)
            return SEAU_E_TOO_LARGE;
        p += slice;
        n -= slice;
    } while (n > 0);
    return 0;
}

/* Keeps input in the pending batch; returns 0 or SEAU_E_NOMEM. */
static int xml__pend(struct s3_xml *x, const char *p, size_t n)
{
    if (x->pending_len + n > x->pending_cap) {
        size_t cap = x->pending_cap ? x->pending_cap : 1024;
        while (cap < x->pending_len + n)
            cap *= 2;
        if (cap > XML__BATCH)
            cap = XML__BATCH;
        char *q = XML__REALLOC(x->pending, cap);
        if (!q)
            return SEAU_E_NOMEM;
        x->pending = q;
        x->pending_cap = cap;
    }
    memcpy(x->pending + x->pending_len, p, n);
    x->pending_len += n;
    return 0;
}

/* ==================================== the API ==================================== */

struct s3_xml *s3_xml_new(enum s3_xml_kind kind, const struct s3_xml_limits *limits)
{
    assert((unsigned)kind < S3_XML_KIND_COUNT);
    struct s3_xml *x = XML__MALLOC(sizeof(*x));
    if (!x)
        return NULL;
    memset(x, 0, sizeof(*x));
    x->kind = kind;
    x->ans.kind = kind;
    if (limits)
        x->lim = *limits;
    if (!x->lim.max_document)
        x->lim.max_document = xml__shapes[kind].max_document;
    if (!x->lim.max_depth)
        x->lim.max_depth = S3_XML_MAX_DEPTH;
    if (x->lim.max_depth > XML__DEPTH_CAP)
        x->lim.max_depth = XML__DEPTH_CAP;
    if (!x->lim.max_text)
        x->lim.max_text = S3_XML_MAX_TEXT;
    if (x->lim.max_text > x->lim.max_document)
        x->lim.max_text = x->lim.max_document; /* no text is longer; keeps sizes from overflowing */
    if (!x->lim.max_key)
        x->lim.max_key = S3_XML_MAX_KEY;
    if (!x->lim.max_items)
        x->lim.max_items = S3_XML_MAX_ITEMS;
    static const XML_Char sep[] = {XML__NS_SEP, '\0'};
    x->stack = XML__MALLOC(x->lim.max_depth * sizeof(*x->stack));
    /* UTF-8 whatever the document declares; namespaces processed, then ignored. */
    x->parser = x->stack ? XML_ParserCreate_MM("UTF-8", &xml__mm, sep) : NULL;
    if (!x->parser) {
        XML__FREE(x->stack);
        XML__FREE(x);
        return NULL;
    }
#ifdef SEAU_HAVE_REPARSE_DEFERRAL
    /* Parse each slice as it comes (see CMakeLists.txt): a bounded answer is judged whole. */
    XML_SetReparseDeferralEnabled(x->parser, XML_FALSE);
#endif
    XML_SetUserData(x->parser, x);
    XML_SetElementHandler(x->parser, xml__on_start, xml__on_end);
    XML_SetCharacterDataHandler(x->parser, xml__on_text);
    XML_SetStartDoctypeDeclHandler(x->parser, xml__on_doctype);
    XML_SetEntityDeclHandler(x->parser, xml__on_entity);
    XML_SetExternalEntityRefHandler(x->parser, xml__on_external);
    XML_SetParamEntityParsing(x->parser, XML_PARAM_ENTITY_PARSING_NEVER);
    return x;
}

void s3_xml_free(struct s3_xml *x)
{
    if (!x)
        return;
    if (x->shape)
        xml__free_answer(x->shape, (char *)&x->ans.error);
    XML_ParserFree(x->parser);
    XML__FREE(x->stack);
    XML__FREE(x->text);
    XML__FREE(x->pending);
    XML__FREE(x);
}

int s3_xml_feed(struct s3_xml *x, const void *data, size_t len)
{
    if (x->rc)
        return x->rc;
    if (x->done)
        return SEAU_E_INTERNAL;
    if (len > x->lim.max_document - x->fed) {
        x->rc = SEAU_E_TOO_LARGE;
        return x->rc;
    }
    x->fed += len;
    const char *p = data;
    int rc = 0;
    while (len > 0 && rc == 0) {
        if (x->pending_len == 0 && len >= XML__BATCH) {
            /* Whole batches straight from the caller's memory. */
            size_t n = len - len % XML__BATCH;
            rc = xml__parse(x, p, n, false);
            p += n;
            len -= n;
            continue;
        }
        size_t n = XML__BATCH - x->pending_len;
        if (n > len)
            n = len;
        rc = xml__pend(x, p, n);
        p += n;
        len -= n;
        if (rc == 0 && x->pending_len == XML__BATCH) {
            rc = xml__parse(x, x->pending, x->pending_len, false);
            x->pending_len = 0;
        }
    }
    x->rc = rc;
    return rc;
}

int s3_xml_finish(struct s3_xml *x, struct s3_xml_answer *ret)
{
    if (x->rc)
        return x->rc;
    if (x->done)
        return SEAU_E_INTERNAL;
    int rc = xml__parse(x, x->pending ? x->pending : "", x->pending_len, true);
    x->pending_len = 0;
    if (rc == 0 && !x->shape)
        rc = SEAU_E_UNAVAILABLE; /* expat requires a root; belt and braces */
    char *base = (char *)&x->ans.error;
    if (rc == 0 && x->shape->encoding_off != XML__NONE) {
        const char *enc = *(const char **)(void *)(base + x->shape->encoding_off);
        x->url = enc && strcmp(enc, "url") == 0;
    }
    if (rc == 0)
        rc = xml__walk_strings(x, x->shape, base, xml__slot_finish);
    if (rc == 0 && x->shape->finish)
        rc = x->shape->finish(x);
    if (rc) {
        x->rc = rc;
        return rc;
    }
    x->ans.kind = x->is_error ? S3_XML_ERROR : x->kind;
    *ret = x->ans;
    memset(&x->ans, 0, sizeof(x->ans));
    x->shape = NULL;
    x->done = true;
    return 0;
}

bool s3_xml_is_error(const struct s3_xml *x)
{
    return x->is_error;
}

int s3_xml_parse(enum s3_xml_kind kind, const struct s3_xml_limits *limits, const void *data,
                 size_t len, struct s3_xml_answer *ret)
{
    struct s3_xml *x = s3_xml_new(kind, limits);
    if (!x)
        return SEAU_E_NOMEM;
    int rc = s3_xml_feed(x, data, len);
    if (rc == 0)
        rc = s3_xml_finish(x, ret);
    s3_xml_free(x);
    return rc;
}

void s3_xml_answer_done(struct s3_xml_answer *a)
{
    if (!a)
        return;
    if ((unsigned)a->kind < S3_XML_KIND_COUNT)
        xml__free_answer(&xml__shapes[a->kind], (char *)&a->error);
    memset(a, 0, sizeof(*a));
}
