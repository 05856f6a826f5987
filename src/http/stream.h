/*
 * The server's side of streamed responses and streamed request bodies
 * (request.h has the handlers' side). A streamed response's connection is
 * parked while its producer has nothing, and woken from any thread; a
 * streamed body's thread waits for its sink instead (stream.c says why).
 *
 * libmicrohttpd's suspend/resume does the parking. Its rules shape this
 * file: suspend only from the access handler or a content reader (on the
 * connection's own thread); resume from anywhere; never stop the daemon with
 * a connection suspended. So a wake that races a park is remembered
 * (wake_pending) rather than lost, and http_parking_stop() resumes every
 * parked connection, after which parking is refused.
 */
#ifndef SEAU_HTTP_STREAM_H
#define SEAU_HTTP_STREAM_H

#include "http/request.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

/* One parkable connection (a streamed response or body), linked into its server's registry. */
struct http_park {
    struct MHD_Connection *conn;
    bool parked;       /* suspended, waiting for a wake */
    bool wake_pending; /* woken while not parked: the next park returns at once */
    struct http_park *prev, *next;
};

/* Every parkable connection of one server. */
struct http_parking {
    pthread_mutex_t lock;
    struct http_park *head;
    bool stopping;
};

void http_parking_init(struct http_parking *reg);
void http_parking_done(struct http_parking *reg);
/* Refuses further parking and resumes every parked connection. */
void http_parking_stop(struct http_parking *reg);

/* The server's registry (defined in server.c). */
struct http_parking *http_server_parking(void *server);

/* Results of http_park_try. */
enum http_park_result {
    HTTP_PARKED,   /* suspended: return and wait for the wake */
    HTTP_RETRY,    /* a wake came first: try again now */
    HTTP_STOPPING, /* the server stops: give up */
};

/* Parks p's connection unless a wake is pending or the server stops. Connection thread only. */
enum http_park_result http_park_try(struct http_parking *reg, struct http_park *p);

/*
 * The server's hooks for a streamed body (the handler attached it with
 * http_req_stream_body). Each returns what the access handler should return.
 */
enum MHD_Result http_body_feed(struct http_req *req, const char *data, size_t *size);
/* The body is complete: runs the sink's end (waiting while it pauses) so a reply is ready. */
void http_body_finish(struct http_req *req);
/* The request is over: releases the sink. */
void http_body_release(struct http_req *req);

#endif
