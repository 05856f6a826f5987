#include "events/s3event.h"

#include "core/codec.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/s3name.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void record_done(struct events_s3_record *r)
{
    free(r->event_name);
    free(r->bucket);
    free(r->key);
    free(r->etag);
    free(r->version_id);
    free(r->sequencer);
    free(r->principal);
    free(r->source_ip);
    memset(r, 0, sizeof(*r));
}

void events_s3_batch_done(struct events_s3_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->count; i++)
        record_done(&b->records[i]);
    free(b->records);
    memset(b, 0, sizeof(*b));
}

/* A string member no longer than max bytes, without NULs; NULL when absent or not one. */
static const char *str_field(json_t *o, const char *name, size_t max)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v))
        return NULL;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n > max || strlen(s) != n)
        return NULL;
    return s;
}

/*
 * Form-decodes an AWS or MinIO key ('+' is a space, %XX a byte) into a new
 * string; NULL when a %XX is malformed or decodes to NUL, or out of memory.
 */
static char *key_decode(const char *s)
{
    size_t n = strlen(s), len;
    char *out = malloc(n + 1);
    if (out && codec_percent_decode((struct slice){s, n}, CODEC_PLUS_SPACE, out, n + 1, &len)) {
        free(out);
        out = NULL;
    }
    return out;
}

/* The kind of change an event name stands for; false for those Seau does not show. */
static bool classify(const char *name, enum events_type *type, enum db_s3_change *change)
{
    if (strncmp(name, "ObjectCreated:", 14) == 0) {
        *type = strcmp(name + 14, "Copy") == 0 ? EVENTS_COPY : EVENTS_UPLOAD;
        *change = DB_S3_CREATED;
        return true;
    }
    if (strncmp(name, "ObjectRemoved:", 14) == 0 ||
        strncmp(name, "LifecycleExpiration:", 20) == 0) {
        *type = EVENTS_DELETE;
        *change = DB_S3_REMOVED;
        return true;
    }
    return false;
}

/* A copy of s (may be NULL), or NULL for "" ; *oom set when the copy failed. */
static char *dup_opt(const char *s, bool *oom)
{
    if (!s || !*s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

/*
 * Reads one record into r. Returns 0 (filled), 1 (a kind or source Seau
 * does not show: skipped), SEAU_E_BAD_REQUEST or SEAU_E_NOMEM.
 */
static int read_record(json_t *rec, struct events_s3_record *r)
{
    memset(r, 0, sizeof(*r));
    if (!json_is_object(rec))
        return SEAU_E_BAD_REQUEST;
    const char *source = str_field(rec, "eventSource", EVENTS_S3_FIELD_MAX);
    const char *name = str_field(rec, "eventName", EVENTS_S3_FIELD_MAX);
    if (!source || !name)
        return SEAU_E_BAD_REQUEST;
    /* Ceph RGW 16's sequencers do not grow with time (measured): only identity, no order. */
    bool encoded;
    if (strcmp(source, "aws:s3") == 0 || strcmp(source, "minio:s3") == 0)
        encoded = true;
    else if (strcmp(source, "ceph:s3") == 0)
        encoded = false;
    else
        return 1;
    if (strncmp(name, "s3:", 3) == 0)
        name += 3;
    enum events_type type;
    enum db_s3_change change;
    if (!classify(name, &type, &change))
        return 1;
    json_t *s3 = json_object_get(rec, "s3");
    json_t *b = json_object_get(s3, "bucket"), *o = json_object_get(s3, "object");
    const char *bucket = str_field(b, "name", S3NAME_BUCKET_MAX);
    const char *raw_key = str_field(o, "key", 3 * 1024);
    if (!bucket || s3name_bucket_problem(bucket) || !raw_key || !*raw_key)
        return SEAU_E_BAD_REQUEST;
    json_t *size = json_object_get(o, "size");
    if (size && !json_is_null(size) && (!json_is_integer(size) || json_integer_value(size) < 0))
        return SEAU_E_BAD_REQUEST;
    bool oom = false;
    r->type = type;
    r->change = change;
    r->ordered = encoded;
    r->size = json_is_integer(size) ? json_integer_value(size) : -1;
    r->key = encoded ? key_decode(raw_key) : strdup(raw_key);
    if (!r->key)
        return encoded ? SEAU_E_BAD_REQUEST : SEAU_E_NOMEM;
    size_t klen = strlen(r->key);
    if (klen == 0 || klen > S3NAME_KEY_MAX || !str_utf8_valid(r->key, klen))
        return SEAU_E_BAD_REQUEST;
    r->event_name = dup_opt(name, &oom);
    r->bucket = dup_opt(bucket, &oom);
    char etag[EVENTS_S3_FIELD_MAX + 1];
    r->etag = dup_opt(
        events_etag_bare(str_field(o, "eTag", EVENTS_S3_FIELD_MAX), etag, sizeof(etag)), &oom);
    r->version_id = dup_opt(str_field(o, "versionId", EVENTS_S3_FIELD_MAX), &oom);
    r->sequencer = dup_opt(str_field(o, "sequencer", EVENTS_S3_FIELD_MAX), &oom);
    r->principal =
        dup_opt(str_field(json_object_get(rec, "userIdentity"), "principalId", 256), &oom);
    r->source_ip = dup_opt(
        str_field(json_object_get(rec, "requestParameters"), "sourceIPAddress", 64), &oom);
    const char *t = str_field(rec, "eventTime", 64);
    int64_t ms = 0;
    if (t && time_parse_rfc3339(t, &ms) == 0 && ms > 0)
        r->time = ms;
    return oom ? SEAU_E_NOMEM : 0;
}

static int read_records(json_t *doc, struct events_s3_batch *b)
{
    json_t *list = json_object_get(doc, "Records");
    if (!json_is_array(list))
        return SEAU_E_BAD_REQUEST;
    size_t n = json_array_size(list);
    if (n > EVENTS_S3_RECORDS_MAX)
        return SEAU_E_TOO_LARGE;
    b->records = calloc(n ? n : 1, sizeof(*b->records));
    if (!b->records)
        return SEAU_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct events_s3_record *r = &b->records[b->count];
        int rc = read_record(json_array_get(list, i), r);
        if (rc == 0) {
            b->count++;
            continue;
        }
        /* What a failed or skipped record took is not counted: free it here. */
        record_done(r);
        if (rc < 0)
            return rc;
        b->ignored++;
    }
    return 0;
}

int events_s3_parse(const char *body, size_t len, struct events_s3_batch *ret)
{
    if (len > EVENTS_S3_BODY_MAX)
        return SEAU_E_TOO_LARGE;
    json_t *doc = NULL;
    int rc = jsonx_parse_object(body, len, EVENTS_S3_DEPTH_MAX, &doc);
    if (rc)
        return rc;
    json_t *inner = NULL;
    const char *type = str_field(doc, "Type", 64);
    if (type) {
        /* An SNS envelope: the S3 event is the Message, as text. */
        const char *msg = str_field(doc, "Message", EVENTS_S3_BODY_MAX);
        if (strcmp(type, "Notification") != 0 || !msg) {
            json_decref(doc);
            return SEAU_E_BAD_REQUEST;
        }
        rc = jsonx_parse_object(msg, strlen(msg), EVENTS_S3_DEPTH_MAX, &inner);
        json_decref(doc);
        if (rc)
            return rc;
        doc = inner;
    }
    struct events_s3_batch b = {0};
    const char *ev = str_field(doc, "Event", 64);
    if (ev && strcmp(ev, "s3:TestEvent") == 0 && !json_object_get(doc, "Records")) {
        b.test = true;
        rc = 0;
    } else {
        rc = read_records(doc, &b);
    }
    json_decref(doc);
    if (rc) {
        events_s3_batch_done(&b);
        return rc;
    }
    *ret = b;
    return 0;
}

const char *events_s3_sequencer(const char *seq, char out[EVENTS_SEQUENCER_LEN + 1])
{
    if (!seq)
        return NULL;
    size_t n = strlen(seq);
    if (n == 0 || n > EVENTS_SEQUENCER_LEN)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (codec_hex_value(seq[i]) < 0)
            return NULL;
    size_t pad = EVENTS_SEQUENCER_LEN - n;
    memset(out, '0', pad);
    for (size_t i = 0; i < n; i++) {
        char c = seq[i];
        out[pad + i] = c >= 'a' && c <= 'f' ? (char)(c - 32) : c;
    }
    out[EVENTS_SEQUENCER_LEN] = '\0';
    return out;
}

void events_s3_dedupe(const struct events_s3_record *r, char *out, size_t n)
{
    char seq[EVENTS_SEQUENCER_LEN + 1];
    if (events_s3_sequencer(r->sequencer, seq)) {
        snprintf(out, n, "s:%s", seq);
        return;
    }
    snprintf(out, n, "t:%lld|%s|%s|%s", (long long)r->time, r->event_name ? r->event_name : "",
             r->etag ? r->etag : "", r->version_id ? r->version_id : "");
}
