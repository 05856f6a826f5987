/*
 * SQS in the AWS JSON protocol (see s3/sqs.h), over the S3 client's transport.
 */
#include "s3/internal.h"
#include "s3/sqs.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/jsonx.h"

#include <openssl/evp.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void s3_sqs_messages_done(struct s3_sqs_messages *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++) {
        free(m->messages[i].message_id);
        free(m->messages[i].receipt_handle);
        free(m->messages[i].body);
    }
    free(m->messages);
    memset(m, 0, sizeof(*m));
}

/* A queue URL or receipt handle we put in a request: set, bounded, no control characters. */
static bool s3__sqs_string_ok(const char *v, size_t max)
{
    return v && *v && strlen(v) <= max && s3__header_value_ok(v);
}

/*
 * One SQS call: POSTs body (a JSON object, consumed) as action; on success
 * *ret is the answer's object (a new reference; {} for an empty answer).
 */
static int s3__sqs(struct s3_client *c, const char *action, json_t *body, int64_t long_poll_ms,
                   json_t **ret, struct s3_error *ret_err)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        if (ret_err)
            s3__err(ret_err, 0, "InvalidInput", "%s: out of memory", action);
        return SEAU_E_NOMEM;
    }
    char target[64];
    (void)snprintf(target, sizeof(target), "AmazonSQS.%s", action);
    struct s3_body b = s3_body_buffer(text, strlen(text));
    struct buf answer;
    buf_init(&answer, S3_SQS_MAX_ANSWER);
    struct s3__req rq = {.op = action,
                         .method = "POST",
                         .ep = &c->sqs_ep,
                         .service = "sqs",
                         .body = &b,
                         .want = S3__JSON,
                         .ret_json = &answer,
                         .long_poll_ms = long_poll_ms};
    s3__h(&rq, "Content-Type", "application/x-amz-json-1.0");
    s3__h(&rq, "X-Amz-Target", target);
    int rc = s3__perform(c, &rq, ret_err);
    json_t *o = NULL;
    if (rc == 0 && answer.len == 0)
        o = json_object();
    else if (rc == 0 && jsonx_parse_object(answer.data, answer.len, 16, &o) != 0) {
        if (ret_err)
            s3__err(ret_err, 200, "MalformedAnswer", "%s: the answer is not a JSON object", action);
        rc = SEAU_E_UNAVAILABLE;
    }
    if (rc == 0 && !o)
        rc = SEAU_E_NOMEM;
    if (rc == 0)
        *ret = o;
    buf_done(&answer);
    free(text);
    return rc;
}

/* A copy of a string member of o; NULL when absent (sets *missing) or out of memory. */
static char *s3__json_dup(json_t *o, const char *name, bool *missing)
{
    const char *v = json_string_value(json_object_get(o, name));
    if (!v) {
        *missing = true;
        return NULL;
    }
    return str_dup(v);
}

int s3_sqs_receive(struct s3_client *c, const char *queue_url, int max_messages, int wait_s,
                   int visibility_timeout_s, struct s3_sqs_messages *ret, struct s3_error *ret_err)
{
    const char *op = "ReceiveMessage";
    if (!ret || !s3__sqs_string_ok(queue_url, 1024) || max_messages < 1 ||
        max_messages > S3_SQS_MAX_MESSAGES || wait_s < 0 || wait_s > S3_SQS_MAX_WAIT ||
        visibility_timeout_s < -1 || visibility_timeout_s > S3_SQS_MAX_VISIBILITY)
        return s3__invalid(ret_err, op,
                           "a queue URL, 1 to 10 messages, a wait of 0 to 20 s "
                           "and a visibility of -1 to 43200 s are needed");
    json_t *body = json_pack("{s:s, s:i, s:i, s:[s]}", "QueueUrl", queue_url, "MaxNumberOfMessages",
                             max_messages, "WaitTimeSeconds", wait_s, "MessageSystemAttributeNames",
                             "ApproximateReceiveCount");
    if (body && visibility_timeout_s >= 0 &&
        json_object_set_new(body, "VisibilityTimeout", json_integer(visibility_timeout_s)) != 0) {
        json_decref(body);
        body = NULL;
    }
    json_t *o = NULL;
    int rc = s3__sqs(c, op, body, (int64_t)wait_s * 1000, &o, ret_err);
    if (rc != 0)
        return rc;
    struct s3_sqs_messages m = {0};
    json_t *list = json_object_get(o, "Messages");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    if (n > S3_SQS_MAX_MESSAGES)
        rc = SEAU_E_UNAVAILABLE;
    if (rc == 0 && n > 0 && !(m.messages = calloc(n, sizeof(*m.messages))))
        rc = SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *e = json_array_get(list, i);
        struct s3_sqs_message *msg = &m.messages[m.count++];
        bool missing = false;
        msg->message_id = s3__json_dup(e, "MessageId", &missing);
        msg->receipt_handle = s3__json_dup(e, "ReceiptHandle", &missing);
        msg->body = s3__json_dup(e, "Body", &missing);
        if (missing) {
            rc = SEAU_E_UNAVAILABLE;
            break;
        }
        if (!msg->message_id || !msg->receipt_handle || !msg->body) {
            rc = SEAU_E_NOMEM;
            break;
        }
        msg->body_len = strlen(msg->body);
        /* The body's MD5 guards against a message damaged on the way. */
        const char *md5 = json_string_value(json_object_get(e, "MD5OfBody"));
        if (md5) {
            unsigned char d[EVP_MAX_MD_SIZE];
            unsigned int dl = 0;
            char hex[33];
            if (EVP_Digest(msg->body, msg->body_len, d, &dl, EVP_md5(), NULL) != 1 || dl != 16) {
                rc = SEAU_E_INTERNAL;
                break;
            }
            str_hex(d, 16, hex);
            if (!str_ieq(hex, md5)) {
                rc = SEAU_E_UNAVAILABLE;
                break;
            }
        }
        const char *count = json_string_value(
            json_object_get(json_object_get(e, "Attributes"), "ApproximateReceiveCount"));
        int64_t rcount = 0;
        if (count && str_to_int64(count, 0, INT64_MAX, &rcount) == 0)
            msg->receive_count = rcount;
    }
    json_decref(o);
    if (rc != 0) {
        s3_sqs_messages_done(&m);
        if (ret_err)
            s3__err(ret_err, 200, rc == SEAU_E_UNAVAILABLE ? "MalformedAnswer" : "InvalidInput",
                    "%s: a message is incomplete or does not match its MD5 (%s)", op, err_name(rc));
        return rc;
    }
    *ret = m;
    return 0;
}

static bool s3__sqs_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 80)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s3__alnum_lower(id[i]) && !(id[i] >= 'A' && id[i] <= 'Z') && id[i] != '-' &&
            id[i] != '_')
            return false;
    return true;
}

int s3_sqs_delete_batch(struct s3_client *c, const char *queue_url,
                        const struct s3_sqs_entry *entries, size_t count, size_t *ret_failed,
                        struct s3_error *ret_err)
{
    const char *op = "DeleteMessageBatch";
    if (!s3__sqs_string_ok(queue_url, 1024) || !entries || count == 0 ||
        count > S3_SQS_MAX_MESSAGES)
        return s3__invalid(ret_err, op, "a queue URL and 1 to 10 entries are needed");
    json_t *list = json_array();
    int rc = list ? 0 : SEAU_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (!s3__sqs_id_ok(entries[i].id) || !s3__sqs_string_ok(entries[i].receipt_handle, 8192)) {
            rc = SEAU_E_VALIDATION;
            break;
        }
        json_t *e = json_pack("{s:s, s:s}", "Id", entries[i].id, "ReceiptHandle",
                              entries[i].receipt_handle);
        if (!e || json_array_append_new(list, e) != 0)
            rc = SEAU_E_NOMEM;
    }
    json_t *body = NULL;
    if (rc == 0 && !(body = json_pack("{s:s, s:O}", "QueueUrl", queue_url, "Entries", list)))
        rc = SEAU_E_NOMEM;
    json_decref(list);
    if (rc != 0) {
        json_decref(body);
        return rc == SEAU_E_NOMEM ? rc
                                  : s3__invalid(ret_err, op,
                                                "entry ids are 1 to 80 of "
                                                "[A-Za-z0-9_-], with a handle");
    }
    json_t *o = NULL;
    rc = s3__sqs(c, op, body, 0, &o, ret_err);
    if (rc != 0)
        return rc;
    json_t *failed = json_object_get(o, "Failed");
    size_t nf = json_is_array(failed) ? json_array_size(failed) : 0;
    if (nf > 0 && ret_err) {
        json_t *f = json_array_get(failed, 0);
        const char *code = json_string_value(json_object_get(f, "Code"));
        const char *msg = json_string_value(json_object_get(f, "Message"));
        const char *id = json_string_value(json_object_get(f, "Id"));
        s3__err(ret_err, 200, code ? code : "BatchEntryFailed", "%s: entry %s: %s", op,
                id ? id : "?", msg ? msg : "not deleted");
    }
    if (ret_failed)
        *ret_failed = nf;
    json_decref(o);
    return 0;
}

int s3_sqs_change_visibility(struct s3_client *c, const char *queue_url, const char *receipt_handle,
                             int visibility_timeout_s, struct s3_error *ret_err)
{
    const char *op = "ChangeMessageVisibility";
    if (!s3__sqs_string_ok(queue_url, 1024) || !s3__sqs_string_ok(receipt_handle, 8192) ||
        visibility_timeout_s < 0 || visibility_timeout_s > S3_SQS_MAX_VISIBILITY)
        return s3__invalid(ret_err, op,
                           "a queue URL, a receipt handle and a timeout of 0 to "
                           "43200 s are needed");
    json_t *body = json_pack("{s:s, s:s, s:i}", "QueueUrl", queue_url, "ReceiptHandle",
                             receipt_handle, "VisibilityTimeout", visibility_timeout_s);
    json_t *o = NULL;
    int rc = s3__sqs(c, op, body, 0, &o, ret_err);
    json_decref(o);
    return rc;
}
