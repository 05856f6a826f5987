/*
 * SQS, reached through the S3 client's transport (its endpoint, credentials,
 * retries and signing): what the S3 event consumer needs to read a queue.
 */
#ifndef SEAU_S3_SQS_H
#define SEAU_S3_SQS_H

#include "s3/client.h"

#include <stddef.h>
#include <stdint.h>

/* ===================================== SQS ====================================== */

/*
 * SQS in the AWS JSON protocol (what the event consumer needs): a POST of a
 * JSON document to the SQS endpoint's "/", with X-Amz-Target:
 * AmazonSQS.<Action> and Content-Type: application/x-amz-json-1.0, signed for
 * service "sqs". Errors come as JSON ({"__type": "...#QueueDoesNotExist",
 * "message": ...}) and map like S3's: QueueDoesNotExist → SEAU_E_NOT_FOUND,
 * ReceiptHandleIsInvalid and InvalidParameterValue → SEAU_E_VALIDATION,
 * MessageNotInflight → SEAU_E_CONFLICT, throttling and 5xx retried, then
 * SEAU_E_UNAVAILABLE. The same retry, timeout and credentials rules apply.
 */
#define S3_SQS_MAX_MESSAGES   10                /* per ReceiveMessage and per batch */
#define S3_SQS_MAX_WAIT       20                /* seconds of long polling */
#define S3_SQS_MAX_VISIBILITY 43200             /* seconds (12 h) */
#define S3_SQS_MAX_ANSWER     (8 * 1024 * 1024) /* bytes of an answer: 10 x 256 KiB and more */

/* A received message; strings owned by struct s3_sqs_messages. */
struct s3_sqs_message {
    char *message_id;
    char *receipt_handle; /* for DeleteMessageBatch and ChangeMessageVisibility */
    char *body;           /* NUL-terminated; its MD5 was checked against MD5OfBody */
    size_t body_len;
    int64_t receive_count; /* ApproximateReceiveCount; 0 when not sent */
};
struct s3_sqs_messages {
    struct s3_sqs_message *messages; /* NULL when count is 0 */
    size_t count;
};
/* Frees the messages and zeroes m. Accepts NULL and a zeroed struct. */
void s3_sqs_messages_done(struct s3_sqs_messages *m);

/*
 * ReceiveMessage on queue_url: up to max_messages (1 to 10), waiting up to
 * wait_s seconds (0 to 20: long polling) for the first; visibility_timeout_s
 * (0 to 43200) hides them that long, or -1 for the queue's default. The
 * request's total timeout is request_timeout_ms plus the wait, without the
 * low-speed rule. On success *ret holds 0 or more messages (release with
 * s3_sqs_messages_done()). A message whose body does not match its
 * MD5OfBody fails the call ("MalformedAnswer").
 */
int s3_sqs_receive(struct s3_client *c, const char *queue_url, int max_messages, int wait_s,
                   int visibility_timeout_s, struct s3_sqs_messages *ret, struct s3_error *ret_err);

/* One entry of DeleteMessageBatch: an id unique in the batch ([A-Za-z0-9_-],
 * 1 to 80) and the receipt handle. */
struct s3_sqs_entry {
    const char *id;
    const char *receipt_handle;
};

/*
 * DeleteMessageBatch for 1 to 10 entries. Returns 0 when the call went
 * through, with *ret_failed (may be NULL) the number of entries SQS could not
 * delete; when some failed and ret_err is not NULL it describes the first.
 */
int s3_sqs_delete_batch(struct s3_client *c, const char *queue_url,
                        const struct s3_sqs_entry *entries, size_t count, size_t *ret_failed,
                        struct s3_error *ret_err);

/* ChangeMessageVisibility: the message stays hidden visibility_timeout_s
 * more seconds (0 to 43200; 0 makes it visible again at once). */
int s3_sqs_change_visibility(struct s3_client *c, const char *queue_url, const char *receipt_handle,
                             int visibility_timeout_s, struct s3_error *ret_err);

#endif
