#include "files/fetch.h"

#include "core/err.h"
#include "core/trace.h"
#include "s3/client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct files_fetch {
    struct trace_ctx trace; /* the request's: the GetObject is its child */
    struct s3_client *s3;
    char *bucket, *key, *version_id, *range, *if_match;
    struct bytepipe *pipe;
    pthread_t thread;
    pthread_mutex_t lock;
    bool finished; /* the thread is past its last use of f */
    bool released; /* the owner let go: the thread frees f and the pipe */
};

/*
 * Fetch threads still running, released or not: the process waits for them
 * (files_fetch_wait_all) before the S3 client they use goes away.
 */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_cond = PTHREAD_COND_INITIALIZER;
static unsigned live;

static void fetch_free(struct files_fetch *f)
{
    free(f->bucket);
    free(f->key);
    free(f->version_id);
    free(f->range);
    free(f->if_match);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static int sink_write(void *ctx, const void *data, size_t len)
{
    struct files_fetch *f = ctx;
    return bytepipe_write(f->pipe, data, len);
}

static void *fetch_main(void *arg)
{
    struct files_fetch *f = arg;
    trace_enter(&f->trace, NULL);
    struct s3_get_options opt = {
        .version_id = f->version_id,
        .range = f->range,
        .if_match = f->if_match,
    };
    struct s3_sink sink = {.write = sink_write, .ctx = f};
    struct s3_object_head head;
    struct s3_error err;
    memset(&head, 0, sizeof(head));
    memset(&err, 0, sizeof(err));
    int rc = s3_get_object(f->s3, f->bucket, f->key, &opt, &sink, &head, &err);
    s3_object_head_done(&head);
    bytepipe_close(f->pipe, rc);
    pthread_mutex_lock(&f->lock);
    f->finished = true;
    bool released = f->released;
    pthread_mutex_unlock(&f->lock);
    if (released) {
        bytepipe_free(f->pipe);
        fetch_free(f);
    }
    pthread_mutex_lock(&live_lock);
    if (--live == 0)
        pthread_cond_broadcast(&live_cond);
    pthread_mutex_unlock(&live_lock);
    return NULL;
}

static bool dup_opt(const char *s, char **ret)
{
    *ret = s ? strdup(s) : NULL;
    return !s || *ret;
}

int files_fetch_start(struct s3_client *s3, const struct files_fetch_request *r,
                      struct bytepipe *pipe, struct files_fetch **ret)
{
    struct files_fetch *f = calloc(1, sizeof(*f));
    if (!f)
        return SEAU_E_NOMEM;
    f->s3 = s3;
    f->pipe = pipe;
    pthread_mutex_init(&f->lock, NULL);
    if (!dup_opt(r->bucket, &f->bucket) || !dup_opt(r->key, &f->key) ||
        !dup_opt(r->version_id, &f->version_id) || !dup_opt(r->range, &f->range) ||
        !dup_opt(r->if_match, &f->if_match)) {
        fetch_free(f);
        return SEAU_E_NOMEM;
    }
    pthread_mutex_lock(&live_lock);
    live++;
    pthread_mutex_unlock(&live_lock);
    trace_current(&f->trace);
    if (pthread_create(&f->thread, NULL, fetch_main, f)) {
        pthread_mutex_lock(&live_lock);
        live--;
        pthread_mutex_unlock(&live_lock);
        fetch_free(f);
        return SEAU_E_IO;
    }
    pthread_detach(f->thread);
    *ret = f;
    return 0;
}

void files_fetch_release(struct files_fetch *f, struct bytepipe *pipe)
{
    if (!f) {
        bytepipe_free(pipe);
        return;
    }
    /*
     * Never waits: the caller is a connection's thread, and the fetch may be
     * waiting on S3 for its answer's first bytes; cancelled, it ends at its
     * next write (or when S3 answers) and frees itself.
     */
    bytepipe_cancel(pipe);
    pthread_mutex_lock(&f->lock);
    bool finished = f->finished;
    f->released = !finished;
    pthread_mutex_unlock(&f->lock);
    if (finished) {
        bytepipe_free(pipe);
        fetch_free(f);
    }
}

void files_fetch_wait_all(void)
{
    pthread_mutex_lock(&live_lock);
    while (live > 0)
        pthread_cond_wait(&live_cond, &live_lock);
    pthread_mutex_unlock(&live_lock);
}
