/*
 * Streaming parsers for the XML answers of S3 (expat).
 *
 * One parser object reads one answer. Create it for the kind of answer the
 * request expects, feed it the body in chunks as they arrive from the network
 * (any split gives the same result as one chunk), then finish it:
 *
 *     struct s3_xml *x = s3_xml_new(S3_XML_LIST_OBJECTS_V2, NULL);
 *     if (!x) return SEAU_E_NOMEM;
 *     rc = s3_xml_feed(x, chunk, n);            // for each chunk
 *     struct s3_xml_answer a;
 *     if (rc == 0) rc = s3_xml_finish(x, &a);   // a is written only on success
 *     s3_xml_free(x);
 *     if (rc == 0 && a.kind == S3_XML_ERROR) { a.error.http_status = status; ... }
 *     else if (rc == 0) { ... a.objects.objects[i].key ... }
 *     s3_xml_answer_done(&a);
 *
 * Every parser also accepts an <Error> document, whatever its kind: that is
 * how S3 answers a failed request, and how CompleteMultipartUpload and
 * CopyObject report a failure inside a "200 OK". The answer's kind then is
 * S3_XML_ERROR (s3_xml_is_error() may tell it earlier). Any root element
 * other than the expected one or <Error> fails the parse.
 *
 * What is read. Elements are matched by local name: the namespace
 * http://s3.amazonaws.com/doc/2006-03-01/ may be present or not (any
 * namespace is accepted). Unknown elements, and everything inside them, are
 * skipped, so new fields in S3's answers do no harm. Attributes are ignored.
 * Text is taken as it stands (never trimmed), except for numbers, booleans
 * ("true"/"false"), timestamps (RFC 3339, via time_parse_rfc3339, stored as
 * milliseconds since the epoch) and enumerations, which may be surrounded by
 * ASCII white space; an empty one counts as absent. Numbers are checked
 * (int64, ranges as documented per field).
 *
 * Values kept as S3 sends them: ETags keep their double quotes
 * ("\"9b2cf535f27731c974343645a3985328\""), and are reported as they come when
 * a server leaves them out (Ceph RGW's CopyObjectResult) or sends an empty one
 * (Ceph RGW's CompleteMultipartUploadResult: HEAD the object for it).
 *
 * URL-encoded listings. When a ListObjectsV2, ListObjectVersions or
 * ListMultipartUploads answer carries <EncodingType>url</EncodingType>, the
 * fields S3 documents as encoded (keys, prefixes, delimiters, StartAfter, key
 * markers, CommonPrefixes/Prefix; never tokens nor version or upload ids) are
 * decoded once the whole answer is read, wherever EncodingType stood: "%XX" is
 * a byte and "+" is a space, as botocore does (see xml.c for the sources). A
 * bad escape, an escaped NUL or a result that is not UTF-8 fails the answer.
 * Ceph RGW 16 encodes ListMultipartUploads keys without echoing EncodingType,
 * so do not ask it for encoding-type=url there; do ask for it on the two
 * object listings, since keys may hold characters XML 1.0 cannot carry.
 *
 * Limits (STYLE.md rule 15), in struct s3_xml_limits; any field left at 0
 * takes the default below. Past any of them the parser fails with
 * SEAU_E_TOO_LARGE: the document's total size, element nesting, the bytes of
 * one text value (after entity decoding), the bytes of a key, prefix or
 * marker (after URL decoding), and the entries of any one list (objects,
 * versions, common prefixes, CORS rules, the origins of one rule...). The
 * text of <Error>'s fields is cut to fit their arrays (on a UTF-8 boundary)
 * instead. One fixed limit more: at most S3_XML_MAX_TOKEN bytes may separate
 * two parser events (the start of a tag, of an end tag, of a piece of text)
 * or the last one and the end of the input, so no tag, comment or run of
 * markup may be huge; text, known or skipped, is handed over in pieces and
 * never hits it.
 *
 * Streaming. Input is handed to expat in slices cut at fixed offsets of the
 * document (every 64 KiB), whatever the chunks fed, so a result, error
 * included, never depends on how the network split the body. It also keeps
 * expat 2.5's re-parsing of a token that spans slices linear in the input
 * (CVE-2023-52425). Memory: the answer, one 64 KiB batch, one text value,
 * and expat's own buffers (bounded by S3_XML_MAX_TOKEN).
 *
 * Hostile input: any DOCTYPE is refused as soon as it starts, so no entity
 * can be declared (billion laughs, external entities) and nothing is ever
 * fetched. The input must be UTF-8 whatever its XML declaration says.
 *
 * Errors. SEAU_E_UNAVAILABLE for every answer that cannot be read: not XML,
 * not well formed or cut short (a truncated document never yields a partial
 * result), invalid UTF-8, a DOCTYPE, an unexpected root element, a bad number,
 * boolean, timestamp or URL escape, a required field missing (a listing entry
 * without its key, an upload without its id). The S3 endpoint is at fault
 * there, not our caller. SEAU_E_TOO_LARGE past a limit, SEAU_E_NOMEM when
 * memory runs out, SEAU_E_INTERNAL when the API is misused (feeding a
 * finished parser). After any error the parser only returns that error again.
 *
 * Ownership. A parser belongs to one thread at a time; nothing here is shared
 * or logs. The answer handed out by s3_xml_finish() belongs to the caller, who
 * releases it with s3_xml_answer_done(). Its strings are never NULL ("" when
 * the element was absent), NUL-terminated, UTF-8, and owned by the answer:
 * read them, copy them, never free them one by one. Arrays are heap arrays of
 * `count` entries (NULL when empty), also owned by the answer.
 */
#ifndef SEAU_S3_XML_H
#define SEAU_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default limits (STYLE.md rule 15). */
#define S3_XML_MAX_DOCUMENT       (64u * 1024 * 1024) /* listings and DeleteObjects */
#define S3_XML_MAX_SMALL_DOCUMENT (1u * 1024 * 1024)  /* every other kind */
#define S3_XML_MAX_DEPTH          32                  /* element nesting, the root being 1 */
#define S3_XML_MAX_TEXT           4096                /* bytes of one text value */
#define S3_XML_MAX_KEY            1024  /* bytes of a key, prefix or marker, decoded */
#define S3_XML_MAX_ITEMS          10000 /* entries of one list (S3 pages hold 1000) */
/* Fixed: bytes from one parser event to the next (see above). */
#define S3_XML_MAX_TOKEN (64 * 1024)

/* What a parser expects; the root element it accepts besides <Error>. */
enum s3_xml_kind {
    S3_XML_ERROR,              /* Error only */
    S3_XML_LIST_BUCKETS,       /* ListAllMyBucketsResult      -> answer.buckets */
    S3_XML_LIST_OBJECTS_V2,    /* ListBucketResult            -> answer.objects */
    S3_XML_LIST_VERSIONS,      /* ListVersionsResult          -> answer.versions */
    S3_XML_BUCKET_LOCATION,    /* LocationConstraint          -> answer.location */
    S3_XML_BUCKET_VERSIONING,  /* VersioningConfiguration     -> answer.versioning */
    S3_XML_BUCKET_CORS,        /* CORSConfiguration           -> answer.cors */
    S3_XML_INITIATE_MULTIPART, /* InitiateMultipartUploadResult -> answer.initiated */
    S3_XML_COMPLETE_MULTIPART, /* CompleteMultipartUploadResult -> answer.completed */
    S3_XML_LIST_PARTS,         /* ListPartsResult             -> answer.parts */
    S3_XML_LIST_UPLOADS,       /* ListMultipartUploadsResult  -> answer.uploads */
    S3_XML_DELETE_OBJECTS,     /* DeleteResult                -> answer.deleted */
    S3_XML_COPY_OBJECT,        /* CopyObjectResult            -> answer.copy */
    S3_XML_COPY_PART,          /* CopyPartResult              -> answer.copy */
    S3_XML_TAGGING,            /* Tagging                     -> answer.tagging */
    S3_XML_LIFECYCLE,          /* LifecycleConfiguration      -> answer.lifecycle */
    S3_XML_KIND_COUNT
};

/* Per-parse limits; 0 in a field means its default. */
struct s3_xml_limits {
    size_t max_document; /* S3_XML_MAX_DOCUMENT or S3_XML_MAX_SMALL_DOCUMENT by kind */
    size_t max_depth;    /* S3_XML_MAX_DEPTH; at most 1024 */
    size_t max_text;     /* S3_XML_MAX_TEXT */
    size_t max_key;      /* S3_XML_MAX_KEY */
    size_t max_items;    /* S3_XML_MAX_ITEMS */
};

/*
 * An S3 error. The parser fills the strings (cut to fit on a UTF-8 boundary,
 * "" when absent) and leaves http_status at 0 for the caller to set.
 * <Resource>, <Key>, <BucketName>, <HostId> and the rest are read and dropped.
 */
struct s3_error {
    int http_status;
    char code[64]; /* "NoSuchKey", "SignatureDoesNotMatch", ... */
    char message[512];
    char request_id[128];
};

/* ListBuckets. */
struct s3_bucket {
    const char *name;         /* required */
    int64_t creation_date_ms; /* 0 when absent */
    const char *region;       /* BucketRegion, AWS only */
};
struct s3_bucket_list {
    const char *owner_id, *owner_name; /* Owner/ID, Owner/DisplayName */
    const char *continuation_token;    /* AWS's paginated ListBuckets */
    const char *prefix;
    struct s3_bucket *buckets;
    size_t count;
};

/* ListObjectsV2: one Contents. */
struct s3_object {
    const char *key; /* required; decoded */
    int64_t last_modified_ms;
    const char *etag; /* with its quotes */
    int64_t size;     /* 0 to INT64_MAX */
    const char *storage_class;
    const char *owner_id, *owner_name; /* with fetch-owner=true */
};
struct s3_object_list {
    const char *name;
    const char *prefix, *delimiter, *start_after; /* decoded */
    const char *continuation_token, *next_continuation_token;
    const char *encoding_type; /* "url" when the fields above were decoded */
    int64_t key_count, max_keys;
    bool is_truncated;
    struct s3_object *objects;
    size_t object_count;
    const char **common_prefixes; /* CommonPrefixes/Prefix, decoded */
    size_t common_prefix_count;
};

/* ListObjectVersions: a Version or a DeleteMarker, in document order. */
struct s3_object_version {
    const char *key; /* required; decoded */
    const char *version_id;
    bool is_delete_marker; /* true for a <DeleteMarker> entry */
    bool is_latest;
    int64_t last_modified_ms;
    const char *etag; /* "" for delete markers */
    int64_t size;     /* 0 for delete markers */
    const char *storage_class;
    const char *owner_id, *owner_name;
};
struct s3_version_list {
    const char *name;
    const char *prefix, *delimiter, *key_marker, *next_key_marker; /* decoded */
    const char *version_id_marker, *next_version_id_marker;
    const char *encoding_type;
    int64_t max_keys;
    bool is_truncated;
    struct s3_object_version *versions;
    size_t version_count;
    const char **common_prefixes; /* decoded */
    size_t common_prefix_count;
};

/*
 * GetBucketLocation. An empty LocationConstraint means "us-east-1" and the
 * legacy "EU" means "eu-west-1" (AWS API reference, GetBucketLocation); both
 * are reported as the region. Anything else is reported as sent (Ceph RGW
 * answers its zone group's name, "default" on a fresh cluster).
 */
struct s3_bucket_location {
    const char *region;
};

/* GetBucketVersioning: no Status means versioning was never enabled. */
enum s3_versioning_status {
    S3_VERSIONING_OFF = 0,
    S3_VERSIONING_ENABLED = 1,
    S3_VERSIONING_SUSPENDED = 2,
};
struct s3_bucket_versioning {
    int status; /* enum s3_versioning_status; any other Status fails the parse */
};

/* GetBucketCors. */
struct s3_cors_rule {
    const char *id;
    const char **allowed_origins;
    size_t allowed_origin_count;
    const char **allowed_methods;
    size_t allowed_method_count;
    const char **allowed_headers;
    size_t allowed_header_count;
    const char **expose_headers;
    size_t expose_header_count;
    int64_t max_age_seconds; /* 0 to INT64_MAX, meaningful when has_max_age_seconds */
    bool has_max_age_seconds;
};
struct s3_cors {
    struct s3_cors_rule *rules;
    size_t count;
};

/* CreateMultipartUpload. */
struct s3_multipart_initiated {
    const char *bucket, *key;
    const char *upload_id; /* required */
};

/* CompleteMultipartUpload (a failure comes as an <Error>, see above). */
struct s3_multipart_completed {
    const char *location, *bucket, *key;
    const char *etag; /* may be "" (Ceph RGW) */
};

/* ListParts. */
struct s3_part {
    int64_t part_number; /* 1 to INT32_MAX */
    int64_t last_modified_ms;
    const char *etag;
    int64_t size;
};
struct s3_part_list {
    const char *bucket, *key, *upload_id;
    int64_t part_number_marker, next_part_number_marker, max_parts;
    bool is_truncated;
    struct s3_part *parts;
    size_t count;
};

/* ListMultipartUploads. */
struct s3_upload {
    const char *key;       /* required; decoded */
    const char *upload_id; /* required */
    int64_t initiated_ms;
    const char *storage_class;
};
struct s3_upload_list {
    const char *bucket;
    const char *prefix, *delimiter, *key_marker, *next_key_marker; /* decoded */
    const char *upload_id_marker, *next_upload_id_marker;
    const char *encoding_type;
    int64_t max_uploads;
    bool is_truncated;
    struct s3_upload *uploads;
    size_t count;
    const char **common_prefixes; /* decoded */
    size_t common_prefix_count;
};

/* DeleteObjects: what was deleted, and what was not. */
struct s3_deleted {
    const char *key, *version_id;
    bool delete_marker; /* a delete marker was created or removed */
    const char *delete_marker_version_id;
};
struct s3_delete_error {
    const char *key, *version_id;
    const char *code, *message;
};
struct s3_delete_result {
    struct s3_deleted *deleted;
    size_t deleted_count;
    struct s3_delete_error *errors;
    size_t error_count;
};

/* CopyObject and UploadPartCopy. */
struct s3_copy_result {
    const char *etag; /* as sent: quoted on AWS, bare on Ceph RGW */
    int64_t last_modified_ms;
};

/* GetObjectTagging: TagSet/Tag entries in document order. */
struct s3_tag {
    const char *key; /* required */
    const char *value;
};
struct s3_tagging {
    struct s3_tag *tags;
    size_t count;
};

/*
 * GetBucketLifecycleConfiguration: what Seau reads of each rule (the rest of
 * a rule, transitions and the like, is skipped). Filter/Prefix and the older
 * Rule/Prefix are both reported.
 */
struct s3_lifecycle_rule {
    const char *id;
    const char *status; /* "Enabled" or "Disabled" */
    const char *prefix; /* Rule/Prefix or Rule/Filter/Prefix, "" when absent */
    const char *filter_prefix;
    int64_t noncurrent_days; /* NoncurrentVersionExpiration/NoncurrentDays */
    bool has_noncurrent_days;
    int64_t expiration_days; /* Expiration/Days; 0 when absent */
};
struct s3_lifecycle {
    struct s3_lifecycle_rule *rules;
    size_t count;
};

/* A parsed answer: kind is S3_XML_ERROR or the parser's kind. */
struct s3_xml_answer {
    enum s3_xml_kind kind;
    union {
        struct s3_error error;
        struct s3_bucket_list buckets;
        struct s3_object_list objects;
        struct s3_version_list versions;
        struct s3_bucket_location location;
        struct s3_bucket_versioning versioning;
        struct s3_cors cors;
        struct s3_multipart_initiated initiated;
        struct s3_multipart_completed completed;
        struct s3_part_list parts;
        struct s3_upload_list uploads;
        struct s3_delete_result deleted;
        struct s3_copy_result copy;
        struct s3_tagging tagging;
        struct s3_lifecycle lifecycle;
    };
};

struct s3_xml;

/*
 * A parser for one answer of the given kind, with limits (NULL: all defaults;
 * copied). Returns NULL only for out of memory; a kind out of the enum is a
 * programmer error (assert).
 */
struct s3_xml *s3_xml_new(enum s3_xml_kind kind, const struct s3_xml_limits *limits);

/* Frees the parser and whatever it holds. Accepts NULL. */
void s3_xml_free(struct s3_xml *x);

/*
 * Reads the next len bytes of the answer. Returns 0 or an error (see above);
 * as input is parsed in batches, an error may concern bytes fed earlier, and
 * a malformed body may only be reported by s3_xml_finish(). O(len), plus the
 * answer's growth.
 */
int s3_xml_feed(struct s3_xml *x, const void *data, size_t len);

/*
 * Ends the answer: on success moves the result into *ret (its kind says which
 * member holds it) and the parser holds nothing more; *ret is untouched on
 * failure. A second call returns SEAU_E_INTERNAL.
 */
int s3_xml_finish(struct s3_xml *x, struct s3_xml_answer *ret);

/*
 * True once the root element has been parsed and was <Error>. Input is parsed
 * 64 KiB at a time, so before s3_xml_finish() it can tell only for longer
 * bodies; after a successful finish it equals answer.kind == S3_XML_ERROR.
 */
bool s3_xml_is_error(const struct s3_xml *x);

/* s3_xml_new, one s3_xml_feed and s3_xml_finish, for a body held whole. */
int s3_xml_parse(enum s3_xml_kind kind, const struct s3_xml_limits *limits, const void *data,
                 size_t len, struct s3_xml_answer *ret);

/*
 * Frees everything an answer owns and leaves it empty (kind S3_XML_ERROR, all
 * zero), so calling it twice is harmless. Accepts NULL and a zeroed answer.
 */
void s3_xml_answer_done(struct s3_xml_answer *a);

#endif
