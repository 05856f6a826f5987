/*
 * Work that may block (S3 calls) moved off libmicrohttpd's workers, shared
 * between the files of the http module only.
 *
 * libmicrohttpd runs every connection of a worker on that worker's one
 * thread: a handler waiting on S3 there holds up every other request the
 * worker owns, /api/health included. The server suspends such a request's
 * connection, runs its handler on one of these threads, and resumes the
 * connection when the answer is ready (server.c).
 */
#ifndef SEAU_HTTP_OFFLOAD_H
#define SEAU_HTTP_OFFLOAD_H

#include <stddef.h>

/* One piece of work; embedded in its owner, which must outlive the run. */
struct http__job {
    struct http__job *next;
    void (*run)(struct http__job *job);
};

struct http__offload;

/* Starts n threads. Returns 0, SEAU_E_NOMEM or SEAU_E_IO. */
int http__offload_new(unsigned n, struct http__offload **ret);
/* Queues job; one of the threads runs it soon, in queue order. Never blocks. */
void http__offload_submit(struct http__offload *o, struct http__job *job);
/* Runs what is queued, then joins the threads. Accepts NULL. */
void http__offload_free(struct http__offload *o);

#endif
