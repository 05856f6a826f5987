/*
 * Reading an S3 object into a byte pipe on a thread of its own: the producer
 * side of proxied downloads and share downloads. The consumer (a streamed
 * HTTP response) drains the pipe without blocking; the S3 transfer blocks
 * on the pipe when the client is slow, so memory stays at the pipe's
 * capacity and a slow client costs one parked connection and one idle
 * thread, never a server thread.
 */
#ifndef SEAU_FILES_FETCH_H
#define SEAU_FILES_FETCH_H

#include "core/bytepipe.h"

#include <stdint.h>

struct s3_client;
struct files_fetch;

/* What to read. Strings are copied by files_fetch_start. */
struct files_fetch_request {
    const char *bucket, *key;
    const char *version_id; /* NULL: the latest */
    const char *range;      /* "bytes=F-L" or NULL for the whole object */
    const char *if_match;   /* the ETag the caller's headers described; a change cuts the stream */
};

/*
 * Starts GetObject into pipe (borrowed until files_fetch_stop). The pipe is
 * closed with 0 after the last byte, or with the failure. Returns 0 or
 * SEAU_E_NOMEM / SEAU_E_IO (no thread could be started).
 */
int files_fetch_start(struct s3_client *s3, const struct files_fetch_request *r,
                      struct bytepipe *pipe, struct files_fetch **ret);

/* Cancels the pipe, waits for the thread and frees f. NULL is a no-op. */
/*
 * Cancels the fetch and gives up f and its pipe without waiting: a fetch
 * still running frees both when it ends. Accepts a NULL f (then frees pipe).
 */
void files_fetch_release(struct files_fetch *f, struct bytepipe *pipe);
/* Waits until every fetch thread has ended (before the S3 client is freed). */
void files_fetch_wait_all(void);

#endif
