/*
 * The circuit breaker of one endpoint (client.h, "Circuit breaker"): a small
 * state machine under a mutex, fed with the outcome of every call.
 *
 *   closed     calls go through. N consecutive failures, or a failure ratio
 *              over the recent calls (at least min_calls of them within
 *              window_ms), opens it.
 *   open       calls fail at once (SEAU_E_UNAVAILABLE, "CircuitOpen") until
 *              open_ms has passed since it opened; then the next call is let
 *              through as the probe and the breaker is half-open.
 *   half-open  the probe is in flight; every other call fails at once. The
 *              probe's success closes the breaker, its failure opens it again
 *              for open_ms. A probe that ends neither way (cancelled, refused
 *              by its caller's callback) hands the probe to the next call.
 *
 * The clock is the caller's (milliseconds, monotonic), so the unit tests
 * drive the state machine exactly.
 */
#include "s3/internal.h"

#include "core/err.h"

#include <string.h>

void s3__breaker_init(struct s3__breaker *b)
{
    memset(b, 0, sizeof(*b));
    pthread_mutex_init(&b->lock, NULL);
}

void s3__breaker_done(struct s3__breaker *b)
{
    pthread_mutex_destroy(&b->lock);
}

void s3__breaker_configure(struct s3__breaker *b, const struct s3_breaker_config *cfg)
{
    pthread_mutex_lock(&b->lock);
    memset(&b->cfg, 0, sizeof(b->cfg));
    if (cfg) {
        b->cfg = *cfg;
        if (b->cfg.min_calls <= 0)
            b->cfg.min_calls = 10;
        if (b->cfg.window_ms <= 0)
            b->cfg.window_ms = 30000;
        if (b->cfg.open_ms <= 0)
            b->cfg.open_ms = 10000;
    }
    b->state = S3_CIRCUIT_CLOSED;
    b->consecutive = 0;
    b->ring_len = 0;
    b->ring_next = 0;
    b->probe_busy = false;
    pthread_mutex_unlock(&b->lock);
}

static bool enabled(const struct s3__breaker *b)
{
    return b->cfg.failures > 0 || b->cfg.ratio > 0;
}

static void open_now(struct s3__breaker *b, int64_t now)
{
    b->state = S3_CIRCUIT_OPEN;
    b->opened_at = now;
    b->opened_total++;
    b->probe_busy = false;
    b->consecutive = 0;
    b->ring_len = 0;
    b->ring_next = 0;
}

/* The failure ratio of the calls in the window trips the breaker. O(ring). */
static bool ratio_trips(const struct s3__breaker *b, int64_t now)
{
    if (b->cfg.ratio <= 0)
        return false;
    int calls = 0, failed = 0;
    for (size_t i = 0; i < b->ring_len; i++) {
        if (now - b->ring[i].at > b->cfg.window_ms)
            continue;
        calls++;
        failed += b->ring[i].failed;
    }
    return calls >= b->cfg.min_calls && (double)failed >= b->cfg.ratio * (double)calls;
}

int s3__breaker_allow(struct s3__breaker *b, int64_t now, bool *ret_probe,
                      int64_t *ret_retry_after_ms)
{
    int rc = 0;
    bool probe = false;
    int64_t wait = 0;
    pthread_mutex_lock(&b->lock);
    if (!enabled(b) || b->state == S3_CIRCUIT_CLOSED) {
        rc = 0;
    } else if (b->state == S3_CIRCUIT_OPEN) {
        int64_t elapsed = now - b->opened_at;
        if (elapsed >= b->cfg.open_ms) {
            b->state = S3_CIRCUIT_HALF_OPEN;
            b->probe_busy = true;
            probe = true;
        } else {
            rc = SEAU_E_UNAVAILABLE;
            wait = b->cfg.open_ms - elapsed;
        }
    } else if (!b->probe_busy) { /* half-open, the last probe ended neither way */
        b->probe_busy = true;
        probe = true;
    } else {
        rc = SEAU_E_UNAVAILABLE;
        wait = 1000; /* the probe decides soon */
    }
    if (rc)
        b->rejected_total++;
    pthread_mutex_unlock(&b->lock);
    *ret_probe = probe;
    *ret_retry_after_ms = wait;
    return rc;
}

void s3__breaker_record(struct s3__breaker *b, int64_t now, bool probe, enum s3__outcome outcome)
{
    pthread_mutex_lock(&b->lock);
    if (!enabled(b)) {
        pthread_mutex_unlock(&b->lock);
        return;
    }
    if (probe) {
        b->probe_busy = false;
        if (outcome == S3__OUTCOME_FAILED)
            open_now(b, now);
        else if (outcome == S3__OUTCOME_OK) {
            b->state = S3_CIRCUIT_CLOSED;
            b->consecutive = 0;
            b->ring_len = 0;
            b->ring_next = 0;
        }
    } else if (b->state == S3_CIRCUIT_CLOSED && outcome != S3__OUTCOME_NEUTRAL) {
        /* Calls that began before the breaker opened and end after say nothing new. */
        bool failed = outcome == S3__OUTCOME_FAILED;
        b->consecutive = failed ? b->consecutive + 1 : 0;
        b->ring[b->ring_next] = (struct s3__breaker_call){.at = now, .failed = failed};
        b->ring_next = (b->ring_next + 1) % S3__BREAKER_RING;
        if (b->ring_len < S3__BREAKER_RING)
            b->ring_len++;
        if ((b->cfg.failures > 0 && b->consecutive >= b->cfg.failures) || ratio_trips(b, now))
            open_now(b, now);
    }
    pthread_mutex_unlock(&b->lock);
}

void s3__breaker_info(struct s3__breaker *b, int64_t now, struct s3_circuit_info *ret)
{
    memset(ret, 0, sizeof(*ret));
    pthread_mutex_lock(&b->lock);
    ret->enabled = enabled(b);
    ret->state = b->state;
    if (b->state == S3_CIRCUIT_OPEN) {
        int64_t left = b->cfg.open_ms - (now - b->opened_at);
        ret->retry_after_ms = left > 0 ? left : 0;
    } else if (b->state == S3_CIRCUIT_HALF_OPEN) {
        ret->retry_after_ms = 1000;
    }
    ret->consecutive_failures = b->consecutive;
    ret->opened_total = b->opened_total;
    ret->rejected_total = b->rejected_total;
    pthread_mutex_unlock(&b->lock);
}

const char *s3_circuit_name(enum s3_circuit state)
{
    switch (state) {
    case S3_CIRCUIT_OPEN:
        return "open";
    case S3_CIRCUIT_HALF_OPEN:
        return "half_open";
    case S3_CIRCUIT_CLOSED:
        break;
    }
    return "closed";
}
