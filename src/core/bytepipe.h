/*
 * A bounded byte pipe between one producer thread (which may block) and one
 * consumer that must not (a server thread sending a streamed response).
 *
 * The producer writes and blocks while the pipe is full, so memory stays at
 * the pipe's capacity whatever the size of what flows through it; it ends
 * the pipe with bytepipe_close (0: complete, else a SEAU_E_* failure). The
 * consumer reads without ever blocking: when nothing is ready, read returns
 * 0 and the notify callback is called (from the producer's thread) as soon
 * as bytes or the end arrive. A consumer that goes away cancels the pipe,
 * which wakes a blocked producer with SEAU_E_CANCELLED.
 *
 * Thread-safe for exactly one producer and one consumer.
 */
#ifndef SEAU_CORE_BYTEPIPE_H
#define SEAU_CORE_BYTEPIPE_H

#include <stddef.h>
#include <sys/types.h>

#define BYTEPIPE_END   (-1) /* from read: the producer closed with 0 and all was read */
#define BYTEPIPE_ERROR (-2) /* from read: the producer closed with a failure */

struct bytepipe;

/* A pipe holding at most capacity bytes (> 0). NULL when out of memory. */
struct bytepipe *bytepipe_new(size_t capacity);
/* Frees the pipe; neither side may use it any more. NULL is a no-op. */
void bytepipe_free(struct bytepipe *p);

/*
 * Called, without the pipe's lock held, when something became readable after
 * a read returned 0. Set it before the first read. Any thread.
 */
void bytepipe_set_notify(struct bytepipe *p, void (*notify)(void *arg), void *arg);

/* Producer: appends n bytes, blocking while full. Returns 0 or SEAU_E_CANCELLED. */
int bytepipe_write(struct bytepipe *p, const void *data, size_t n);
/* Producer: no more bytes; status 0 (complete) or a SEAU_E_* failure. */
void bytepipe_close(struct bytepipe *p, int status);

/*
 * Consumer: copies up to max bytes. Returns how many (> 0), 0 when nothing
 * is ready yet (notify follows), BYTEPIPE_END or BYTEPIPE_ERROR. Never blocks.
 */
ssize_t bytepipe_read(struct bytepipe *p, void *buf, size_t max);
/* Consumer: gone; a blocked or later write returns SEAU_E_CANCELLED. */
void bytepipe_cancel(struct bytepipe *p);
/* The producer's close status once closed (0 or a failure); SEAU_E_AGAIN while open. */
int bytepipe_status(struct bytepipe *p);

#endif
