#include "core/bytepipe.h"

#include "core/err.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A ring buffer: len bytes starting at head, wrapping at cap. */
struct bytepipe {
    pthread_mutex_t lock;
    pthread_cond_t space; /* signalled when bytes were read or the pipe was cancelled */
    unsigned char *ring;
    size_t cap, head, len;
    bool closed, cancelled;
    int status;           /* the producer's close status */
    bool reader_waiting;  /* a read found nothing: notify on the next arrival */
    void (*notify)(void *arg);
    void *notify_arg;
};

struct bytepipe *bytepipe_new(size_t capacity)
{
    if (capacity == 0)
        return NULL;
    struct bytepipe *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->ring = malloc(capacity);
    if (!p->ring) {
        free(p);
        return NULL;
    }
    p->cap = capacity;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->space, NULL);
    return p;
}

void bytepipe_free(struct bytepipe *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->space);
    free(p->ring);
    free(p);
}

void bytepipe_set_notify(struct bytepipe *p, void (*notify)(void *arg), void *arg)
{
    pthread_mutex_lock(&p->lock);
    p->notify = notify;
    p->notify_arg = arg;
    pthread_mutex_unlock(&p->lock);
}

/* Called with the lock held: takes the pending notification, if any, to call once unlocked. */
static void (*take_notify(struct bytepipe *p, void **arg))(void *)
{
    if (!p->reader_waiting || !p->notify)
        return NULL;
    p->reader_waiting = false;
    *arg = p->notify_arg;
    return p->notify;
}

int bytepipe_write(struct bytepipe *p, const void *data, size_t n)
{
    const unsigned char *src = data;
    while (n > 0) {
        pthread_mutex_lock(&p->lock);
        while (p->len == p->cap && !p->cancelled)
            pthread_cond_wait(&p->space, &p->lock);
        if (p->cancelled) {
            pthread_mutex_unlock(&p->lock);
            return SEAU_E_CANCELLED;
        }
        /* Copy what fits, in at most two pieces around the ring's end. */
        size_t room = p->cap - p->len;
        size_t take = n < room ? n : room;
        size_t tail = (p->head + p->len) % p->cap;
        size_t first = take < p->cap - tail ? take : p->cap - tail;
        memcpy(p->ring + tail, src, first);
        memcpy(p->ring, src + first, take - first);
        p->len += take;
        src += take;
        n -= take;
        void *arg = NULL;
        void (*fn)(void *) = take_notify(p, &arg);
        pthread_mutex_unlock(&p->lock);
        if (fn)
            fn(arg);
    }
    return 0;
}

void bytepipe_close(struct bytepipe *p, int status)
{
    pthread_mutex_lock(&p->lock);
    if (!p->closed) {
        p->closed = true;
        p->status = status;
    }
    void *arg = NULL;
    void (*fn)(void *) = take_notify(p, &arg);
    pthread_mutex_unlock(&p->lock);
    if (fn)
        fn(arg);
}

ssize_t bytepipe_read(struct bytepipe *p, void *buf, size_t max)
{
    pthread_mutex_lock(&p->lock);
    ssize_t r;
    if (p->len > 0 && max > 0) {
        size_t take = max < p->len ? max : p->len;
        size_t first = take < p->cap - p->head ? take : p->cap - p->head;
        memcpy(buf, p->ring + p->head, first);
        memcpy((unsigned char *)buf + first, p->ring, take - first);
        p->head = (p->head + take) % p->cap;
        p->len -= take;
        r = (ssize_t)take;
        pthread_cond_signal(&p->space);
    } else if (p->closed && p->len == 0) {
        r = p->status == 0 ? BYTEPIPE_END : BYTEPIPE_ERROR;
    } else {
        p->reader_waiting = true;
        r = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return r;
}

void bytepipe_cancel(struct bytepipe *p)
{
    pthread_mutex_lock(&p->lock);
    p->cancelled = true;
    p->reader_waiting = false;
    pthread_cond_broadcast(&p->space);
    pthread_mutex_unlock(&p->lock);
}

int bytepipe_status(struct bytepipe *p)
{
    pthread_mutex_lock(&p->lock);
    int s = p->closed ? p->status : SEAU_E_AGAIN;
    pthread_mutex_unlock(&p->lock);
    return s;
}
