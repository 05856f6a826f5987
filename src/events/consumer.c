/*
 * The SQS consumer's thread (see consumer.h). It is the top of its own call
 * chain, so it logs, once per problem (STYLE.md rule 9); message bodies are
 * never logged.
 */
#include "events/consumer.h"
#include "core/trace.h"

#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "events/bus.h"
#include "events/s3event.h"
#include "s3/client.h"
#include "s3/sqs.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { STATE_STARTING, STATE_OK, STATE_FAILING };
static const char *const state_names[] = {"starting", "ok", "failing"};

struct events_consumer {
    struct events_consumer_opts o;
    char *queue_url;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    atomic_int state;
    atomic_uint_fast64_t errors, received, failed;
    atomic_int_fast64_t lag_ms;
};

static bool stopping(struct events_consumer *c)
{
    pthread_mutex_lock(&c->lock);
    bool s = c->stop;
    pthread_mutex_unlock(&c->lock);
    return s;
}

/* Sleeps ms unless the consumer is stopped meanwhile. */
static void pause_ms(struct events_consumer *c, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    int64_t ns = (int64_t)until.tv_nsec + ms * 1000000;
    until.tv_sec += (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&c->lock);
    while (!c->stop)
        if (pthread_cond_timedwait(&c->wake, &c->lock, &until) != 0)
            break;
    pthread_mutex_unlock(&c->lock);
}

/* What SQS (or the network) said, for the log: s3_error_describe() speaks of S3's settings. */
static json_t *describe(int rc, const struct s3_error *e)
{
    char why[768];
    if (e->http_status)
        snprintf(why, sizeof(why), "HTTP %d %s: %s", e->http_status, e->code, e->message);
    else if (e->code[0])
        snprintf(why, sizeof(why), "%s: %s", e->code, e->message);
    else
        snprintf(why, sizeof(why), "%s", err_message(rc));
    return json_string(why);
}

/* The visibility of a message that failed its n-th receive: 2^n s, at most 12 h. */
static int retry_visibility(int64_t receive_count)
{
    if (receive_count < 1)
        receive_count = 1;
    if (receive_count > 15)
        return S3_SQS_MAX_VISIBILITY;
    int64_t s = (int64_t)1 << receive_count;
    return s > S3_SQS_MAX_VISIBILITY ? S3_SQS_MAX_VISIBILITY : (int)s;
}

/* Handles one message's body; 0 when it may be deleted. */
static int handle_body(struct events_consumer *c, const struct s3_sqs_message *m)
{
    struct events_s3_batch b;
    int rc = events_s3_parse(m->body, m->body_len, &b);
    if (rc)
        return rc;
    if (!b.test)
        rc = events_ingest_s3(c->o.ev, &b, EVENTS_VIA_SQS, NULL);
    int64_t now = time_now_ms();
    for (size_t i = 0; rc == 0 && i < b.count; i++)
        if (b.records[i].time > 0)
            atomic_store(&c->lag_ms, now - b.records[i].time);
    events_s3_batch_done(&b);
    return rc;
}

static void failed_message(struct events_consumer *c, const struct s3_sqs_message *m, int rc)
{
    atomic_fetch_add(&c->failed, 1);
    int vis = retry_visibility(m->receive_count);
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int vrc = s3_sqs_change_visibility(c->o.sqs, c->queue_url, m->receipt_handle, vis, &e);
    bool loud = m->receive_count >= EVENTS_SQS_FAIL_LOUD;
    log_event(loud ? LOG_ERROR : LOG_WARN,
              loud ? "an SQS message keeps failing; it stays for the queue's dead-letter policy"
                   : "an SQS message could not be handled; it will be retried",
              json_pack("{s:s, s:I, s:s, s:i, s:b}", "messageId", m->message_id, "receiveCount",
                        (json_int_t)m->receive_count, "error", err_message(rc), "retryInSeconds",
                        vis, "visibilityChanged", vrc == 0));
}

/* Gives the messages from `from` on another full visibility timeout while the batch is handled. */
static void extend(struct events_consumer *c, const struct s3_sqs_messages *ms, size_t from)
{
    for (size_t i = from; i < ms->count; i++) {
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        int rc = s3_sqs_change_visibility(c->o.sqs, c->queue_url, ms->messages[i].receipt_handle,
                                          c->o.visibility_s, &e);
        if (rc) {
            atomic_fetch_add(&c->errors, 1);
            log_event(LOG_WARN, "could not extend an SQS message's visibility",
                      json_pack("{s:s, s:o}", "messageId", ms->messages[i].message_id, "error",
                                describe(rc, &e)));
        }
    }
}

static void handle_batch(struct events_consumer *c, const struct s3_sqs_messages *ms)
{
    struct s3_sqs_entry done[S3_SQS_MAX_MESSAGES];
    char ids[S3_SQS_MAX_MESSAGES][8];
    size_t ndone = 0;
    int64_t window_start = time_mono_ns();
    for (size_t i = 0; i < ms->count && i < S3_SQS_MAX_MESSAGES; i++) {
        const struct s3_sqs_message *m = &ms->messages[i];
        atomic_fetch_add(&c->received, 1);
        /* Slow handling (a store that waits on its lock): keep the rest hidden from others. */
        if ((time_mono_ns() - window_start) / 1000000 > (int64_t)c->o.visibility_s * 500) {
            extend(c, ms, i);
            window_start = time_mono_ns();
        }
        int rc = handle_body(c, m);
        if (rc) {
            failed_message(c, m, rc);
            continue;
        }
        snprintf(ids[ndone], sizeof(ids[ndone]), "m%zu", i);
        done[ndone].id = ids[ndone];
        done[ndone].receipt_handle = m->receipt_handle;
        ndone++;
    }
    if (ndone == 0)
        return;
    size_t undeleted = 0;
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = s3_sqs_delete_batch(c->o.sqs, c->queue_url, done, ndone, &undeleted, &e);
    if (rc || undeleted) {
        atomic_fetch_add(&c->errors, 1);
        /* They come back after their visibility timeout and are dropped as duplicates. */
        log_event(LOG_WARN, "handled SQS messages could not be deleted",
                  json_pack("{s:I, s:o}", "messages", (json_int_t)(rc ? ndone : undeleted), "error",
                            describe(rc ? rc : SEAU_E_UNAVAILABLE, &e)));
    }
}

static void *consumer_main(void *arg)
{
    struct events_consumer *c = arg;
    int failures = 0;
    bool known_up = false;
    while (!stopping(c)) {
        struct s3_sqs_messages ms;
        memset(&ms, 0, sizeof(ms));
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        /* Until SQS has answered once (at start, after a failure), ask without waiting, so
         * that the state says "ok" at once rather than after a 20 s long poll. */
        /* One trace per poll: the receive, then the handling of what came. */
        struct trace_span *poll = trace_span_start("sqs.poll", TRACE_CONSUMER, NULL);
        struct trace_ctx pctx;
        trace_span_ctx(poll, &pctx);
        trace_enter(&pctx, NULL);
        int rc = s3_sqs_receive(c->o.sqs, c->queue_url, S3_SQS_MAX_MESSAGES,
                                known_up ? c->o.wait_s : 0, c->o.visibility_s, &ms, &e);
        known_up = rc == 0;
        trace_span_int(poll, "messaging.batch.message_count", rc == 0 ? (int64_t)ms.count : 0);
        if (rc)
            trace_span_error(poll, e.code[0] ? e.code : NULL);
        if (stopping(c) || rc) {
            trace_leave(NULL);
            trace_span_end(poll);
        }
        if (stopping(c)) {
            s3_sqs_messages_done(&ms);
            break;
        }
        if (rc) {
            atomic_fetch_add(&c->errors, 1);
            atomic_store(&c->state, STATE_FAILING);
            /* Back-off with jitter: half the cap fixed, half random, so it never spins. */
            int shift = failures < 16 ? failures : 16;
            int64_t cap = c->o.backoff_ms << shift;
            if (cap > c->o.backoff_max_ms || cap <= 0)
                cap = c->o.backoff_max_ms;
            int64_t wait = cap / 2 + (int64_t)randombytes_uniform((uint32_t)(cap / 2 + 1));
            if (failures == 0 || failures % 10 == 0)
                log_event(failures == 0 ? LOG_WARN : LOG_ERROR,
                          "the SQS queue cannot be reached; retrying",
                          json_pack("{s:o, s:I, s:i}", "error", describe(rc, &e), "retryInMs",
                                    (json_int_t)wait, "failures", failures + 1));
            failures++;
            pause_ms(c, wait);
            continue;
        }
        if (failures > 0)
            log_event(LOG_INFO, "the SQS queue answers again",
                      json_pack("{s:i}", "failures", failures));
        failures = 0;
        atomic_store(&c->state, STATE_OK);
        handle_batch(c, &ms);
        s3_sqs_messages_done(&ms);
        trace_leave(NULL);
        trace_span_end(poll);
    }
    return NULL;
}

int events_consumer_start(const struct events_consumer_opts *o, struct events_consumer **ret)
{
    struct events_consumer *c = calloc(1, sizeof(*c));
    if (!c)
        return SEAU_E_NOMEM;
    c->o = *o;
    c->queue_url = strdup(o->queue_url);
    c->o.queue_url = c->queue_url;
    if (c->o.wait_s <= 0 || c->o.wait_s > S3_SQS_MAX_WAIT)
        c->o.wait_s = EVENTS_SQS_WAIT_S;
    if (c->o.visibility_s <= 0 || c->o.visibility_s > S3_SQS_MAX_VISIBILITY)
        c->o.visibility_s = EVENTS_SQS_VISIBILITY_S;
    if (c->o.backoff_ms <= 0)
        c->o.backoff_ms = EVENTS_SQS_BACKOFF_MS;
    if (c->o.backoff_max_ms <= 0)
        c->o.backoff_max_ms = EVENTS_SQS_BACKOFF_MAX;
    atomic_init(&c->state, STATE_STARTING);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (!c->queue_url || pthread_create(&c->thread, NULL, consumer_main, c) != 0) {
        int rc = c->queue_url ? SEAU_E_IO : SEAU_E_NOMEM;
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
        free(c->queue_url);
        free(c);
        return rc;
    }
    *ret = c;
    return 0;
}

void events_consumer_stop(struct events_consumer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    s3_client_cancel(c->o.sqs); /* ends a long poll now rather than in up to 20 s */
    pthread_join(c->thread, NULL);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c->queue_url);
    free(c);
}

void events_consumer_stats(struct events_consumer *c, struct events_consumer_stats *ret)
{
    memset(ret, 0, sizeof(*ret));
    int s = atomic_load(&c->state);
    ret->state = state_names[s >= 0 && s <= STATE_FAILING ? s : STATE_FAILING];
    ret->errors = atomic_load(&c->errors);
    ret->received = atomic_load(&c->received);
    ret->failed = atomic_load(&c->failed);
    ret->lag_s = (double)atomic_load(&c->lag_ms) / 1000.0;
}

/* The authority (host[:port]) of an http(s) URL: [*ret_start, *ret_end). */
static int url_authority(const char *url, const char **ret_start, const char **ret_end)
{
    const char *p;
    if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else
        return SEAU_E_VALIDATION;
    const char *end = p + strcspn(p, "/?#");
    if (end == p || memchr(p, '@', (size_t)(end - p)))
        return SEAU_E_VALIDATION;
    *ret_start = p;
    *ret_end = end;
    return 0;
}

int events_sqs_endpoint(const char *queue_url, char *out, size_t n)
{
    const char *start, *end;
    if (!queue_url || url_authority(queue_url, &start, &end))
        return SEAU_E_VALIDATION;
    size_t len = (size_t)(end - queue_url);
    if (len + 1 > n)
        return SEAU_E_VALIDATION;
    memcpy(out, queue_url, len);
    out[len] = '\0';
    return 0;
}

int events_sqs_region(const char *queue_url, char *out, size_t n)
{
    const char *start, *end;
    if (!queue_url || url_authority(queue_url, &start, &end))
        return SEAU_E_NOT_FOUND;
    const char *colon = memchr(start, ':', (size_t)(end - start));
    if (colon)
        end = colon;
    size_t hlen = (size_t)(end - start);
    static const char suffix[] = ".amazonaws.com";
    size_t slen = sizeof(suffix) - 1;
    if (hlen <= 4 + slen || strncasecmp(start, "sqs.", 4) != 0 ||
        strncasecmp(end - slen, suffix, slen) != 0)
        return SEAU_E_NOT_FOUND;
    size_t rlen = hlen - 4 - slen;
    if (rlen == 0 || rlen + 1 > n || memchr(start + 4, '.', rlen))
        return SEAU_E_NOT_FOUND;
    memcpy(out, start + 4, rlen);
    out[rlen] = '\0';
    return 0;
}
