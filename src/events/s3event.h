/*
 * S3 event notifications as they reach Seau, read into records: the JSON of
 * AWS S3 (delivered to SQS directly, or wrapped in an SNS envelope), and of
 * the MinIO and Ceph RGW webhooks. Network input: every field is checked,
 * every size bounded; a fuzzer (tests/fuzz/s3_event.c) holds it to that.
 *
 * Shapes (all carry {"Records": [record...]}; MinIO adds "EventName" and
 * "Key" beside it):
 *   record = {"eventSource": "aws:s3" | "minio:s3" | "ceph:s3",
 *             "eventName": "[s3:]ObjectCreated:Put", "eventTime": RFC 3339,
 *             "userIdentity": {"principalId"},
 *             "s3": {"bucket": {"name"}, "object": {"key", "size", "eTag",
 *                    "versionId", "sequencer"}}}
 *   SNS envelope = {"Type": "Notification", "Message": "<the above, as text>"}
 *   test event = {"Service": "Amazon S3", "Event": "s3:TestEvent", ...}
 * AWS and MinIO URL-encode the key (form encoding: '+' is a space); Ceph
 * sends it as it is.
 */
#ifndef SEAU_EVENTS_S3EVENT_H
#define SEAU_EVENTS_S3EVENT_H

#include "db/db.h"
#include "events/event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENTS_S3_BODY_MAX    (1024 * 1024) /* bytes of one message or webhook body */
#define EVENTS_S3_RECORDS_MAX 1000          /* records in one */
#define EVENTS_S3_DEPTH_MAX   16            /* JSON nesting */
#define EVENTS_S3_FIELD_MAX   1024          /* bytes of a name, ETag, version, sequencer... */

/* One change on a bucket. Strings owned by the batch. */
struct events_s3_record {
    enum events_type type;    /* EVENTS_UPLOAD, EVENTS_COPY or EVENTS_DELETE */
    enum db_s3_change change; /* created or removed */
    char *event_name;         /* "ObjectCreated:Put" (without "s3:") */
    char *bucket;
    char *key;        /* decoded: 1 to 1024 bytes of UTF-8 */
    int64_t size;     /* -1 when absent (removals) */
    char *etag;       /* without quotes; NULL when absent */
    char *version_id; /* NULL when absent or empty */
    char *sequencer;  /* as sent; NULL when absent or empty */
    bool ordered;     /* the sequencer orders events on a key (AWS, MinIO; not Ceph's) */
    char *principal;  /* userIdentity.principalId; NULL when absent */
    char *source_ip;  /* requestParameters.sourceIPAddress; NULL when absent */
    int64_t time;     /* eventTime in ms; 0 when absent or unreadable */
};

struct events_s3_batch {
    bool test; /* an s3:TestEvent: nothing to do */
    struct events_s3_record *records;
    size_t count;
    size_t ignored; /* records of other kinds (tagging, restore, ...) or other sources */
};

/*
 * Reads body[0..len) (not NUL-terminated). Returns 0 with *ret filled
 * (release with events_s3_batch_done(), also fine on a zeroed batch);
 * SEAU_E_BAD_REQUEST when it is not one of the shapes above (not JSON, no
 * Records, a record without a readable bucket or key); SEAU_E_TOO_LARGE
 * past EVENTS_S3_BODY_MAX, EVENTS_S3_RECORDS_MAX or EVENTS_S3_DEPTH_MAX;
 * SEAU_E_NOMEM.
 */
int events_s3_parse(const char *body, size_t len, struct events_s3_batch *ret);
void events_s3_batch_done(struct events_s3_batch *b);

/*
 * S3's sequencer in a form whose text order is S3's order of events on one
 * key: upper-case hex, left-padded with zeros to 32 digits (AWS: "left pad
 * the shorter value with zeros, then compare"). Returns out, or NULL when
 * seq is not 1 to 32 hex digits.
 */
#define EVENTS_SEQUENCER_LEN 32
const char *events_s3_sequencer(const char *seq, char out[EVENTS_SEQUENCER_LEN + 1]);

/*
 * What identifies a record among redeliveries: "s:" and its padded
 * sequencer, else "t:" with its time, name, ETag and version. Writes into
 * out (n bytes; cut when longer, which keeps it deterministic).
 */
void events_s3_dedupe(const struct events_s3_record *r, char *out, size_t n);

#endif
