/*
 * The SQS consumer: S3 event notifications that reach an SQS queue (from
 * S3 directly, or through an SNS topic, as AWS sends them), handled on one
 * thread of their own.
 *
 * Loop: ReceiveMessage (long polling: 20 s, batches of 10, a visibility
 * timeout of 60 s); each message is read (events/s3event.h: direct or SNS
 * envelope; s3:TestEvent ignored) and ingested (events_ingest_s3); the
 * handled ones are deleted in one DeleteMessageBatch, only after handling.
 * When handling a batch takes more than half the visibility timeout, the
 * messages not yet handled get another full timeout (ChangeMessageVisibility)
 * so that no other consumer takes them meanwhile.
 *
 * A message that fails (unreadable, or the store is down) is not deleted:
 * its visibility is set to 2^(receive count) seconds (capped at 12 h) so
 * that it comes back soon, then less and less often, until the queue's
 * redrive policy moves it to the dead-letter queue. Each failure is logged,
 * as an error from the fifth receive on.
 *
 * When SQS cannot be reached, the consumer waits (full jitter, 1 s doubling
 * to 60 s) and tries again; its state ("starting", "ok", "failing") shows
 * on /api/ready and in the metrics. Stopping cancels a long poll at once.
 */
#ifndef SEAU_EVENTS_CONSUMER_H
#define SEAU_EVENTS_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

struct events;
struct s3_client;
struct events_consumer;

#define EVENTS_SQS_WAIT_S       20
#define EVENTS_SQS_BATCH        10
#define EVENTS_SQS_VISIBILITY_S 60
#define EVENTS_SQS_BACKOFF_MS   1000
#define EVENTS_SQS_BACKOFF_MAX  60000
#define EVENTS_SQS_FAIL_LOUD    5 /* receives after which a failing message is an error */

struct events_consumer_opts {
    struct s3_client *sqs; /* borrowed; used by this consumer only */
    const char *queue_url; /* copied */
    struct events *ev;
    int wait_s;             /* 0: EVENTS_SQS_WAIT_S */
    int visibility_s;       /* 0: EVENTS_SQS_VISIBILITY_S */
    int64_t backoff_ms;     /* 0: EVENTS_SQS_BACKOFF_MS */
    int64_t backoff_max_ms; /* 0: EVENTS_SQS_BACKOFF_MAX */
};

/* Starts the thread. Returns 0, SEAU_E_NOMEM or SEAU_E_IO. */
int events_consumer_start(const struct events_consumer_opts *o, struct events_consumer **ret);

/* Cancels the SQS call in flight, joins the thread and frees. Accepts NULL. */
void events_consumer_stop(struct events_consumer *c);

struct events_consumer_stats {
    const char *state; /* "starting", "ok", "failing" (static) */
    uint64_t errors;   /* failed SQS calls */
    uint64_t received; /* messages received */
    uint64_t failed;   /* messages left after failing */
    double lag_s;      /* S3 event time to handling, last record */
};
void events_consumer_stats(struct events_consumer *c, struct events_consumer_stats *ret);

/*
 * Where SQS calls go for queue_url when AWS_ENDPOINT_URL_SQS is not set:
 * the queue URL's own scheme, host and port ("https://sqs.eu-west-1.
 * amazonaws.com"), into out (n bytes). Returns 0, or SEAU_E_VALIDATION for
 * a URL that is not http(s)://host[:port]/....
 */
int events_sqs_endpoint(const char *queue_url, char *out, size_t n);

/*
 * The region of an AWS queue URL's host ("sqs.eu-west-1.amazonaws.com" ->
 * "eu-west-1") into out; SEAU_E_NOT_FOUND for other hosts.
 */
int events_sqs_region(const char *queue_url, char *out, size_t n);

#endif
