#include "files/fetch.h"

#include "core/err.h"
#include "core/trace.h"
#include "s3/client.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct files_fetch {
    struct trace_ctx trace; /* the request's: the GetObject is its child */
    struct s3_client *s3;
    char *bucket, *key, *version_id, *range, *if_match;
    struct bytepipe *pipe;
    pthread_t thread;
};

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
    return NULL;
}

static void fetch_free(struct files_fetch *f)
{
    free(f->bucket);
    free(f->key);
    free(f->version_id);
    free(f->range);
    free(f->if_match);
    free(f);
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
    if (!dup_opt(r->bucket, &f->bucket) || !dup_opt(r->key, &f->key) ||
        !dup_opt(r->version_id, &f->version_id) || !dup_opt(r->range, &f->range) ||
        !dup_opt(r->if_match, &f->if_match)) {
        fetch_free(f);
        return SEAU_E_NOMEM;
    }
    trace_current(&f->trace);
    if (pthread_create(&f->thread, NULL, fetch_main, f)) {
        fetch_free(f);
        return SEAU_E_IO;
    }
    *ret = f;
    return 0;
}

void files_fetch_stop(struct files_fetch *f)
{
    if (!f)
        return;
    bytepipe_cancel(f->pipe);
    pthread_join(f->thread, NULL);
    fetch_free(f);
}
