/*
 * Readiness (GET /api/ready): whether the store and S3 answer.
 *
 * It lives in files/ because what it checks is what the object service
 * depends on and nothing else: the store and S3 of files_env (S3 through
 * the probe client, which has short timeouts and no retries). The handler
 * adds what only the server knows (shutting down, the SQS consumer's
 * state) and renders; the checks themselves are here, below the API layer.
 */
#ifndef SEAU_FILES_READY_H
#define SEAU_FILES_READY_H

#include "db/db.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s3_client;

/* A probe answer is reused this long: readiness is polled often, S3 requests cost. */
#define FILES_READY_S3_TTL_MS 5000

/*
 * The last S3 probe, shared by every readiness check of a server (one probe
 * at a time). The owner initializes lock and zeroes the rest.
 */
struct files_ready_probe {
    pthread_mutex_t lock;
    int64_t checked_at; /* ms; 0: never */
    int rc;
    char why[512];
};

struct files_ready {
    bool db_ok;     /* the store answered a ping */
    const char *s3; /* "ok", "failed" or "not_configured" (static) */
    char why[512];  /* when s3 is "failed": one sentence naming the bucket (never a secret) */
};

/*
 * Pings the store and, when probe_s3 is not NULL, probes S3 (HeadBucket on
 * each bucket, s3/probe.h) at most once per FILES_READY_S3_TTL_MS: a fresh
 * answer in cache is reused, and concurrent callers wait for the one probe.
 * Never fails: *ret says what answered.
 */
void files_ready_check(struct db *db, struct s3_client *probe_s3, char *const *buckets,
                       size_t nbuckets, struct files_ready_probe *cache, int64_t now,
                       struct files_ready *ret);

#endif
