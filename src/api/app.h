/*
 * The application's state shared by all handlers: configuration, the
 * store, metrics and the readiness flag. Created by `seau serve`, read
 * concurrently by HTTP threads; everything here is immutable after start
 * except the atomics.
 */
#ifndef SEAU_API_APP_H
#define SEAU_API_APP_H

#include "auth/accounts.h"
#include "core/cfg.h"
#include "db/db.h"
#include "files/ready.h"
#include "metrics/metrics.h"

#include <pthread.h>
#include <stdatomic.h>

struct auth_oidc;
struct events;
struct http_server;
struct s3_client;
struct files_index_progress;

struct app {
    const struct cfg *cfg;
    struct db *db;
    struct metrics *metrics;
    struct auth_limits limits;
    atomic_int ready;            /* 1 while serving; 0 once shutdown begins */
    struct http_server *server;  /* for the in-flight gauge; NULL in tests */
    struct s3_client *s3;        /* NULL when S3 is not configured */
    struct s3_client *s3_probe;  /* same storage, short timeouts, no retries */
    struct files_ready_probe probe; /* the last S3 probe, shared by every /api/ready */
    struct events *events;       /* real-time events (events/bus.h); NULL when not running */
    struct s3_client *sqs;       /* the SQS consumer's client (its circuit breaker); may be NULL */
    struct files_index_progress *index_progress; /* the index walks (files/reconcile.h); may be NULL */
    struct auth_oidc *oidc;      /* single sign-on (auth/oidc.h); NULL: passwords only */
};

#endif
