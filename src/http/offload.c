#include "http/offload.h"

#include "core/err.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct http__offload {
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct http__job *head, *tail;
    bool stop;
    unsigned n;
    pthread_t threads[];
};

static void *offload__main(void *arg)
{
    struct http__offload *o = arg;
    pthread_mutex_lock(&o->lock);
    for (;;) {
        while (!o->head && !o->stop)
            pthread_cond_wait(&o->more, &o->lock);
        struct http__job *job = o->head;
        if (!job)
            break; /* stopping and nothing left */
        o->head = job->next;
        if (!o->head)
            o->tail = NULL;
        pthread_mutex_unlock(&o->lock);
        job->next = NULL;
        job->run(job);
        pthread_mutex_lock(&o->lock);
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

int http__offload_new(unsigned n, struct http__offload **ret)
{
    struct http__offload *o = calloc(1, sizeof(*o) + n * sizeof(pthread_t));
    if (!o)
        return SEAU_E_NOMEM;
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->more, NULL);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&o->threads[i], NULL, offload__main, o) != 0) {
            o->n = i;
            http__offload_free(o);
            return SEAU_E_IO;
        }
        o->n = i + 1;
    }
    *ret = o;
    return 0;
}

void http__offload_submit(struct http__offload *o, struct http__job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&o->lock);
    if (o->tail)
        o->tail->next = job;
    else
        o->head = job;
    o->tail = job;
    pthread_cond_signal(&o->more);
    pthread_mutex_unlock(&o->lock);
}

void http__offload_free(struct http__offload *o)
{
    if (!o)
        return;
    pthread_mutex_lock(&o->lock);
    o->stop = true;
    pthread_cond_broadcast(&o->more);
    pthread_mutex_unlock(&o->lock);
    for (unsigned i = 0; i < o->n; i++)
        pthread_join(o->threads[i], NULL);
    pthread_cond_destroy(&o->more);
    pthread_mutex_destroy(&o->lock);
    free(o);
}
