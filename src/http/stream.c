/*
 * Streamed responses and streamed request bodies: see http/stream.h for the
 * parking rules and request.h for the handlers' contract.
 */
#include "http/stream.h"

#include "core/err.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

/* Preferred read size of a streamed response: libmicrohttpd's buffer per response. */
#define HTTP_STREAM_BLOCK (64 * 1024)
/*
 * Body bytes read and dropped after a streamed body failed, before the
 * connection is cut: libmicrohttpd sends the answer only once the body is
 * read, so a refusal mid-upload (415, 422, 413) reaches clients that keep
 * sending only if the rest is read. Reading is cheap; past this, cut.
 */
#define HTTP_BODY_DISCARD_MAX (64 * 1024 * 1024)

void http_parking_init(struct http_parking *reg)
{
    pthread_mutex_init(&reg->lock, NULL);
    reg->head = NULL;
    reg->stopping = false;
}

void http_parking_done(struct http_parking *reg)
{
    pthread_mutex_destroy(&reg->lock);
}

static void park_link(struct http_parking *reg, struct http_park *p)
{
    pthread_mutex_lock(&reg->lock);
    p->prev = NULL;
    p->next = reg->head;
    if (reg->head)
        reg->head->prev = p;
    reg->head = p;
    pthread_mutex_unlock(&reg->lock);
}

static void park_unlink(struct http_parking *reg, struct http_park *p)
{
    pthread_mutex_lock(&reg->lock);
    if (p->prev)
        p->prev->next = p->next;
    else if (reg->head == p)
        reg->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
    pthread_mutex_unlock(&reg->lock);
}

enum http_park_result http_park_try(struct http_parking *reg, struct http_park *p)
{
    enum http_park_result r;
    pthread_mutex_lock(&reg->lock);
    if (reg->stopping) {
        r = HTTP_STOPPING;
    } else if (p->wake_pending) {
        p->wake_pending = false;
        r = HTTP_RETRY;
    } else {
        p->parked = true;
        MHD_suspend_connection(p->conn);
        r = HTTP_PARKED;
    }
    pthread_mutex_unlock(&reg->lock);
    return r;
}

static void park_wake(struct http_parking *reg, struct http_park *p)
{
    pthread_mutex_lock(&reg->lock);
    if (p->parked) {
        p->parked = false;
        MHD_resume_connection(p->conn);
    } else {
        p->wake_pending = true;
    }
    pthread_mutex_unlock(&reg->lock);
}

void http_parking_stop(struct http_parking *reg)
{
    pthread_mutex_lock(&reg->lock);
    reg->stopping = true;
    for (struct http_park *p = reg->head; p; p = p->next) {
        if (p->parked) {
            p->parked = false;
            MHD_resume_connection(p->conn);
        }
    }
    pthread_mutex_unlock(&reg->lock);
}

/* ===================================== responses ===================================== */

struct http_stream {
    struct http_park park; /* first: the registry links parks */
    struct http_stream_source src;
    void *ctx;
    struct http_parking *reg;
};

struct http_stream *http_stream_new(const struct http_stream_source *src, void *ctx)
{
    struct http_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->src = *src;
    s->ctx = ctx;
    return s;
}

/*
 * A response cut mid-body must reach the client at once: with MHD_USE_TURBO,
 * libmicrohttpd 0.9.75 closes the socket only on a later pass and the client
 * saw the cut only at the idle timeout (60 s). Shutting the socket down first
 * ends the transfer now; libmicrohttpd still closes and frees it.
 */
static ssize_t cut(struct http_stream *s)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(s->park.conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci)
        shutdown(ci->connect_fd, SHUT_RDWR);
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct http_stream *s = cls;
    for (;;) {
        ssize_t n = s->src.read(s->ctx, buf, max);
        if (n > 0)
            return n;
        if (n == HTTP_STREAM_END)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (n != 0)
            return cut(s);
        switch (http_park_try(s->reg, &s->park)) {
        case HTTP_PARKED:
            return 0;
        case HTTP_RETRY:
            continue;
        case HTTP_STOPPING:
            return cut(s);
        }
    }
}

static void stream_free(void *cls)
{
    struct http_stream *s = cls;
    if (s->reg)
        park_unlink(s->reg, &s->park);
    s->src.release(s->ctx);
    free(s);
}

int http_reply_stream(struct http_req *req, int status, const char *content_type, int64_t size,
                      struct http_stream *s)
{
    s->reg = http_server_parking(req->server);
    s->park.conn = req->conn;
    if (s->reg)
        park_link(s->reg, &s->park);
    struct MHD_Response *r = MHD_create_response_from_callback(
        size < 0 ? MHD_SIZE_UNKNOWN : (uint64_t)size, HTTP_STREAM_BLOCK, stream_reader, s,
        stream_free);
    if (!r) {
        stream_free(s);
        return SEAU_E_NOMEM;
    }
    if (content_type)
        MHD_add_response_header(r, "Content-Type", content_type);
    return http_reply_response(req, status, r, size < 0 ? 0 : (uint64_t)size);
}

void http_stream_wake(struct http_stream *s)
{
    if (s->reg)
        park_wake(s->reg, &s->park);
}

/* ===================================== bodies ======================================== */

/*
 * A streamed body waits for its sink on the connection's thread (a condition
 * variable, in slices so shutdown is noticed) rather than parking the
 * connection: with libmicrohttpd 0.9.75, a connection suspended while its
 * read buffer was full missed the socket's later events after resuming (a
 * client that went away stayed a suspended connection for ever), so a body
 * is never parked. The wait lasts while S3 is slower than the client.
 */
#define HTTP_BODY_WAIT_SLICE_MS 200

struct http_body {
    struct http_body_sink sink;
    void *ctx;
    struct http_parking *reg;
    pthread_mutex_t lock;
    pthread_cond_t resumed_cond;
    bool resumed;     /* http_body_resume was called since the last wait */
    bool failed;      /* the sink refused: the rest is dropped */
    size_t discarded; /* bytes dropped since */
};

int http_req_stream_body(struct http_req *req, const struct http_body_sink *sink, void *ctx,
                         struct http_body **ret)
{
    struct http_body *b = calloc(1, sizeof(*b));
    if (!b)
        return SEAU_E_NOMEM;
    b->sink = *sink;
    b->ctx = ctx;
    b->reg = http_server_parking(req->server);
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->resumed_cond, NULL);
    req->body_stream = b;
    *ret = b;
    return 0;
}

void http_body_resume(struct http_body *b)
{
    pthread_mutex_lock(&b->lock);
    b->resumed = true;
    pthread_cond_signal(&b->resumed_cond);
    pthread_mutex_unlock(&b->lock);
}

static bool stopping(struct http_body *b)
{
    if (!b->reg)
        return false;
    pthread_mutex_lock(&b->reg->lock);
    bool s = b->reg->stopping;
    pthread_mutex_unlock(&b->reg->lock);
    return s;
}

/* Waits until the sink resumes: 0 to try again, SEAU_E_UNAVAILABLE when the server stops. */
static int wait_body(struct http_body *b)
{
    pthread_mutex_lock(&b->lock);
    while (!b->resumed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += HTTP_BODY_WAIT_SLICE_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->resumed_cond, &b->lock, &ts);
        if (!b->resumed && stopping(b)) {
            pthread_mutex_unlock(&b->lock);
            return SEAU_E_UNAVAILABLE;
        }
    }
    b->resumed = false;
    pthread_mutex_unlock(&b->lock);
    return 0;
}

enum MHD_Result http_body_feed(struct http_req *req, const char *data, size_t *size)
{
    struct http_body *b = req->body_stream;
    size_t n = *size;
    if (b->failed || req->response) {
        b->failed = true;
        *size = 0;
        b->discarded += n;
        return b->discarded <= HTTP_BODY_DISCARD_MAX ? MHD_YES : MHD_NO;
    }
    for (;;) {
        int rc = b->sink.data(b->ctx, req, data, n);
        if (rc == 0) {
            *size = 0;
            return MHD_YES;
        }
        if (rc == HTTP_BODY_PAUSE && (rc = wait_body(b)) == 0)
            continue;
        b->failed = true;
        if (!req->response)
            http_reply_error(req, rc, NULL, NULL);
        *size = 0;
        b->discarded += n;
        return MHD_YES;
    }
}

void http_body_finish(struct http_req *req)
{
    struct http_body *b = req->body_stream;
    if (b->failed || req->response)
        return;
    for (;;) {
        int rc = b->sink.end(b->ctx, req);
        if (rc == 0)
            return;
        if (rc == HTTP_BODY_PAUSE && (rc = wait_body(b)) == 0)
            continue;
        b->failed = true;
        if (!req->response)
            http_reply_error(req, rc, NULL, NULL);
        return;
    }
}

void http_body_release(struct http_req *req)
{
    struct http_body *b = req->body_stream;
    if (!b)
        return;
    req->body_stream = NULL;
    b->sink.release(b->ctx);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->resumed_cond);
    free(b);
}
