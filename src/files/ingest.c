/*
 * The proxied-upload worker (ingest.h). Its S3 calls go through ingest__s3,
 * a table the unit tests replace with an in-memory S3.
 *
 * Threads: the request side (hands over part buffers), the worker (jobs in
 * order: begin, sniff, scan, create, complete or abort) and, for multipart
 * files with parts_in_flight > 1, sender threads that run UploadPart for
 * the parts the worker queues. One lock guards the queues, the counters, the
 * spare buffers, the failure and the part ETags; the worker owns the current
 * file's fields and changes them only while no part is queued or sending.
 */
#include "files/ingest.h"
#include "core/trace.h"

#include "core/err.h"
#include "core/timeutil.h"
#include "files/clamav.h"
#include "files/index.h"
#include "files/owner.h"
#include "files/rules.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum job_kind {
    JOB_BEGIN,  /* a new file: key */
    JOB_PART,   /* a full part of the current file */
    JOB_END,    /* the current file's last bytes (maybe none) */
    JOB_FINISH, /* no more files */
};

struct job {
    enum job_kind kind;
    char *key;
    unsigned char *data;
    size_t len;
    struct job *next;
};

/* A part queued for a sender thread. */
struct part_job {
    int number;
    unsigned char *data; /* a part buffer, given back to the spares when sent */
    size_t len;
    struct part_job *next;
};

struct files_ingest {
    struct files_ingest_opts o;
    struct trace_ctx trace; /* the creator's: the worker's S3 calls are its children */
    char *bucket;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct job *head, *tail; /* queued for the worker */
    size_t pending;          /* bytes queued or being sent */
    bool cancelled, finished;
    int error;
    char message[FILES_INGEST_MESSAGE_MAX];
    struct files_ingested *results;
    size_t nresults, cap;

    /* Part buffers (part_size bytes each): at most o.parts_in_flight exist at once. */
    unsigned char *spare[FILES_INGEST_IN_FLIGHT_MAX];
    size_t nspare;
    size_t buffers;      /* allocated and not yet freed, spares included */
    size_t buffers_peak; /* the most there were at once */

    /* Sender threads and the parts queued for them. */
    pthread_t senders[FILES_INGEST_IN_FLIGHT_MAX];
    size_t nsenders;
    pthread_cond_t part_ready, part_done;
    struct part_job *phead, *ptail;
    size_t sending; /* parts queued or on the wire */
    bool senders_quit;

    /* Request side: the part being filled. */
    bool finish_sent;
    bool stopped; /* the worker was joined */
    unsigned char *fill;
    size_t fill_len, fill_cap;

    /* Worker side: the file being stored. */
    char *key;
    bool sniffed;
    char type[FILES_MEDIA_TYPE_MAX + 1];
    char *upload_id;
    struct s3_completed_part *parts;
    char (*etags)[S3_ETAG_SIZE];
    size_t nparts, parts_cap;
    int64_t size;
    struct clamav_scan *scan;
};

/* ------------------------------------ queue ------------------------------------------ */

/* ===================================== S3 calls ====================================== */

/* The S3 calls of the worker; the unit tests swap the table for an in-memory S3. */
struct ingest__s3_ops {
    int (*create)(struct s3_client *s3, const char *bucket, const char *key,
                  const struct s3_put_options *opt, char **ret_upload_id, struct s3_error *err);
    int (*part)(struct s3_client *s3, const char *bucket, const char *key, const char *upload_id,
                int part_number, const struct s3_body *body, struct s3_put_result *ret,
                struct s3_error *err);
    int (*complete)(struct s3_client *s3, const char *bucket, const char *key,
                    const char *upload_id, const struct s3_completed_part *parts, size_t n,
                    struct s3_put_result *ret, struct s3_error *err);
    int (*abort)(struct s3_client *s3, const char *bucket, const char *key, const char *upload_id,
                 struct s3_error *err);
    int (*put)(struct s3_client *s3, const char *bucket, const char *key,
               const struct s3_body *body, const struct s3_put_options *opt,
               struct s3_put_result *ret, struct s3_error *err);
};

static const struct ingest__s3_ops ingest__s3_real = {s3_create_multipart_upload, s3_upload_part,
                                                      s3_complete_multipart_upload,
                                                      s3_abort_multipart_upload, s3_put_object};
static const struct ingest__s3_ops *ingest__s3 = &ingest__s3_real;

/* ------------------------------------ part buffers ----------------------------------- */

/* A part buffer: a spare one when there is, else a new one. NULL for out of memory. */
static unsigned char *buffer_take(struct files_ingest *in)
{
    unsigned char *b = NULL;
    pthread_mutex_lock(&in->lock);
    if (in->nspare > 0)
        b = in->spare[--in->nspare];
    else if (++in->buffers > in->buffers_peak)
        in->buffers_peak = in->buffers;
    pthread_mutex_unlock(&in->lock);
    if (!b && !(b = malloc(in->o.part_size))) {
        pthread_mutex_lock(&in->lock);
        in->buffers--;
        pthread_mutex_unlock(&in->lock);
    }
    return b;
}

/* Keeps a part buffer for the next part (its pages stay mapped: no page faults again).
 * Lock held. */
static void buffer_give_locked(struct files_ingest *in, unsigned char *b)
{
    if (!b)
        return;
    if (in->nspare < FILES_INGEST_IN_FLIGHT_MAX) {
        in->spare[in->nspare++] = b;
        return;
    }
    in->buffers--;
    free(b);
}

static void buffer_give(struct files_ingest *in, unsigned char *b)
{
    pthread_mutex_lock(&in->lock);
    buffer_give_locked(in, b);
    pthread_mutex_unlock(&in->lock);
}

static int push(struct files_ingest *in, enum job_kind kind, char *key, unsigned char *data,
                size_t len)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j)
        return SEAU_E_NOMEM;
    j->kind = kind;
    j->key = key;
    j->data = data;
    j->len = len;
    pthread_mutex_lock(&in->lock);
    int rc = in->error;
    if (rc == 0) {
        if (in->tail)
            in->tail->next = j;
        else
            in->head = j;
        in->tail = j;
        in->pending += len;
        pthread_cond_signal(&in->work);
    }
    pthread_mutex_unlock(&in->lock);
    if (rc) {
        free(j->key);
        buffer_give(in, j->data);
        free(j);
    }
    return rc;
}

static void job_free(struct files_ingest *in, struct job *j)
{
    free(j->key);
    buffer_give(in, j->data);
    free(j);
}

/* ------------------------------------ worker ----------------------------------------- */

/* Records the first failure; called by the worker without the lock. */
static void fail(struct files_ingest *in, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct files_ingest *in, int rc, const char *fmt, ...)
{
    pthread_mutex_lock(&in->lock);
    if (in->error == 0) {
        /* Atomic too: current_error reads it without the lock. */
        __atomic_store_n(&in->error, rc, __ATOMIC_RELEASE);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(in->message, sizeof(in->message), fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&in->lock);
}

static void s3_fail(struct files_ingest *in, int rc, const struct s3_error *e)
{
    char why[FILES_INGEST_MESSAGE_MAX];
    s3_error_describe(e, why, sizeof(why));
    fail(in, rc, "%s", why);
}

/*
 * Waits until no part is queued or on the wire; returns the failure, if any.
 * Parts queued after a failure or a cancellation are dropped unsent.
 */
static int parts_drain(struct files_ingest *in)
{
    pthread_mutex_lock(&in->lock);
    while (in->sending > 0)
        pthread_cond_wait(&in->part_done, &in->lock);
    int rc = in->error;
    pthread_mutex_unlock(&in->lock);
    return rc;
}

/* Forgets the current file; aborts its multipart upload when one is open, once no part is
 * on the wire any more. */
static void drop_file(struct files_ingest *in)
{
    (void)parts_drain(in);
    if (in->upload_id) {
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        (void)ingest__s3->abort(in->o.s3, in->bucket, in->key, in->upload_id, &e);
    }
    free(in->upload_id);
    in->upload_id = NULL;
    free(in->key);
    in->key = NULL;
    clamav_scan_free(in->scan);
    in->scan = NULL;
    in->nparts = 0;
    in->size = 0;
    in->sniffed = false;
}

/* The ownership rule and numbered names (files/owner.h), before any byte goes to S3. */
static int settle_key(struct files_ingest *in)
{
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc = 0;
    if (in->o.existing == FILES_INGEST_OWN_ONLY) {
        rc = files_owner_check(in->o.s3, in->o.db, in->bucket, in->key, in->o.uploaded_by, NULL,
                               &e);
        if (rc == SEAU_E_FORBIDDEN)
            fail(in, rc, "%.300s belongs to someone else; it was not replaced.", in->key);
    } else if (in->o.existing == FILES_INGEST_NUMBER) {
        char *free_key = malloc(DB_KEY_MAX + 1);
        rc = free_key ? files_name_free(in->o.s3, in->bucket, in->key, free_key, DB_KEY_MAX + 1, &e)
                      : SEAU_E_NOMEM;
        if (rc == 0) {
            free(in->key);
            in->key = free_key;
            free_key = NULL;
        } else if (rc == SEAU_E_CONFLICT || rc == SEAU_E_VALIDATION) {
            fail(in, rc, "No free name was found for %.300s.", in->key);
        }
        free(free_key);
    }
    if (rc && rc != SEAU_E_FORBIDDEN && rc != SEAU_E_CONFLICT && rc != SEAU_E_VALIDATION)
        s3_fail(in, rc, &e);
    return rc;
}

static int start_file(struct files_ingest *in, char *key)
{
    drop_file(in);
    in->key = key;
    if (in->o.existing != FILES_INGEST_REPLACE) {
        int rc = settle_key(in);
        if (rc)
            return rc;
    }
    if (in->o.clamav) {
        int rc = clamav_scan_start(in->o.clamav, &in->scan);
        if (rc) {
            fail(in, SEAU_E_UNAVAILABLE, "The malware scanner is unreachable; no file was stored.");
            return rc;
        }
    }
    return 0;
}

/* The first bytes of a file decide its type, whatever the client said. */
static int sniff(struct files_ingest *in, const unsigned char *data, size_t len, bool partial)
{
    if (in->sniffed)
        return 0;
    in->sniffed = true;
    int rc = files_rules_sniff(data, len < FILES_SNIFF_BYTES ? len : FILES_SNIFF_BYTES, partial,
                               in->key, in->type, sizeof(in->type));
    if (rc) {
        fail(in, rc, "The file's type could not be determined.");
        return rc;
    }
    if (in->o.allowed_types && !files_rules_type_allowed(in->o.allowed_types, in->type)) {
        fail(in, SEAU_E_MEDIA_TYPE, "%.300s is %s, which is not an accepted type here.", in->key,
             in->type);
        return SEAU_E_MEDIA_TYPE;
    }
    return 0;
}

static int scan_data(struct files_ingest *in, const unsigned char *data, size_t len)
{
    if (!in->scan || len == 0)
        return 0;
    /* A failed send is not final: clamd may have closed to say why; finish reads it. */
    (void)clamav_scan_data(in->scan, data, len);
    return 0;
}

static int scan_verdict(struct files_ingest *in)
{
    if (!in->scan)
        return 0;
    char name[CLAMAV_VERDICT_MAX];
    int rc = clamav_scan_finish(in->scan, name);
    if (rc == SEAU_E_MALWARE)
        fail(in, rc, "%.300s was refused: the malware scanner found %s.", in->key, name);
    else if (rc)
        fail(in, rc, "The malware scanner could not check %.300s (%s); it was not stored.", in->key,
             name);
    return rc;
}

/* ------------------------------------ senders ---------------------------------------- */

static void *sender_main(void *arg)
{
    struct files_ingest *in = arg;
    trace_enter(&in->trace, NULL);
    pthread_mutex_lock(&in->lock);
    for (;;) {
        while (!in->phead && !in->senders_quit)
            pthread_cond_wait(&in->part_ready, &in->lock);
        struct part_job *pj = in->phead;
        if (!pj)
            break;
        in->phead = pj->next;
        if (!in->phead)
            in->ptail = NULL;
        /* The worker changes the file's fields only when nothing is sending: read them freely. */
        bool skip = in->error || in->cancelled;
        pthread_mutex_unlock(&in->lock);

        int rc = 0;
        struct s3_error e;
        memset(&e, 0, sizeof(e));
        struct s3_put_result r;
        memset(&r, 0, sizeof(r));
        if (!skip) {
            struct s3_body body = s3_body_buffer(pj->data, pj->len);
            rc = ingest__s3->part(in->o.s3, in->bucket, in->key, in->upload_id, pj->number, &body,
                                  &r, &e);
            if (rc)
                s3_fail(in, rc, &e);
        }

        pthread_mutex_lock(&in->lock);
        if (!skip && rc == 0)
            memcpy(in->etags[pj->number - 1], r.etag, sizeof(r.etag));
        buffer_give_locked(in, pj->data);
        in->pending -= pj->len;
        in->sending--;
        pthread_cond_broadcast(&in->part_done);
        /* A failure stops the worker at once, not at its next job. */
        if (rc)
            pthread_cond_signal(&in->work);
        if (in->o.wake)
            in->o.wake(in->o.wake_arg);
        free(pj);
    }
    pthread_mutex_unlock(&in->lock);
    return NULL;
}

/*
 * Starts the sender threads at the first part that can use them; true when
 * at least one runs (else the worker sends its parts itself, one at a time).
 */
static bool senders_start(struct files_ingest *in)
{
    if (in->o.parts_in_flight <= 1)
        return false;
    /* Fewer threads than asked (none to spare) only means parts wait in the queue longer. */
    while (in->nsenders < in->o.parts_in_flight &&
           pthread_create(&in->senders[in->nsenders], NULL, sender_main, in) == 0)
        in->nsenders++;
    return in->nsenders > 0;
}

static void senders_stop(struct files_ingest *in)
{
    pthread_mutex_lock(&in->lock);
    in->senders_quit = true;
    pthread_cond_broadcast(&in->part_ready);
    pthread_mutex_unlock(&in->lock);
    for (size_t i = 0; i < in->nsenders; i++)
        pthread_join(in->senders[i], NULL);
    in->nsenders = 0;
}

/*
 * Adds the next part of the current file: sent by a sender thread when
 * *owned (the buffer holding data, whose ownership may move with it) is not
 * NULL and senders run, else here and now. Creates the multipart upload at
 * the first part. Returns 0 or the failure (recorded).
 */
static int upload_part(struct files_ingest *in, const unsigned char *data, size_t len,
                       unsigned char **owned)
{
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    int rc;
    if (!in->upload_id) {
        struct s3_put_options opt = {.content_type = in->type};
        if ((rc = ingest__s3->create(in->o.s3, in->bucket, in->key, &opt, &in->upload_id, &e))) {
            s3_fail(in, rc, &e);
            return rc;
        }
    }
    if (in->nparts == in->parts_cap) {
        size_t cap = in->parts_cap ? in->parts_cap * 2 : 16;
        /* Senders write into etags under the lock: move it under the lock too. */
        pthread_mutex_lock(&in->lock);
        void *p = realloc(in->parts, cap * sizeof(*in->parts));
        void *t = p ? realloc(in->etags, cap * sizeof(*in->etags)) : NULL;
        if (p)
            in->parts = p;
        if (t)
            in->etags = t;
        pthread_mutex_unlock(&in->lock);
        if (!p || !t) {
            fail(in, SEAU_E_NOMEM, "The server ran out of memory.");
            return SEAU_E_NOMEM;
        }
        in->parts_cap = cap;
    }
    if (in->nparts >= S3_MAX_PARTS) {
        fail(in, SEAU_E_TOO_LARGE, "%.300s needs more than %d parts.", in->key, S3_MAX_PARTS);
        return SEAU_E_TOO_LARGE;
    }
    int number = (int)in->nparts + 1;
    in->parts[in->nparts].part_number = number;
    in->etags[in->nparts][0] = '\0';
    in->nparts++;
    in->size += (int64_t)len;
    if (*owned && senders_start(in)) {
        /* To a sender: the buffer goes with the part, and counts as pending until it is sent. */
        struct part_job *pj = calloc(1, sizeof(*pj));
        if (!pj) {
            fail(in, SEAU_E_NOMEM, "The server ran out of memory.");
            return SEAU_E_NOMEM;
        }
        pj->number = number;
        pj->data = *owned;
        pj->len = len;
        *owned = NULL;
        pthread_mutex_lock(&in->lock);
        if (in->ptail)
            in->ptail->next = pj;
        else
            in->phead = pj;
        in->ptail = pj;
        in->sending++; /* its bytes were counted pending when the request side pushed them */
        pthread_cond_signal(&in->part_ready);
        pthread_mutex_unlock(&in->lock);
        return 0;
    }
    struct s3_body body = s3_body_buffer(data, len);
    struct s3_put_result r;
    memset(&r, 0, sizeof(r));
    if ((rc = ingest__s3->part(in->o.s3, in->bucket, in->key, in->upload_id, number, &body, &r,
                               &e))) {
        s3_fail(in, rc, &e);
        return rc;
    }
    pthread_mutex_lock(&in->lock);
    memcpy(in->etags[number - 1], r.etag, sizeof(r.etag));
    pthread_mutex_unlock(&in->lock);
    return 0;
}

static int add_result(struct files_ingest *in, const char *etag)
{
    pthread_mutex_lock(&in->lock);
    int rc = 0;
    if (in->nresults == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 8;
        void *p = realloc(in->results, cap * sizeof(*in->results));
        if (p) {
            in->results = p;
            in->cap = cap;
        } else {
            rc = SEAU_E_NOMEM;
        }
    }
    if (rc == 0) {
        struct files_ingested *f = &in->results[in->nresults++];
        memset(f, 0, sizeof(*f));
        f->key = in->key;
        in->key = NULL; /* the result owns it now */
        f->size = in->size;
        f->stored_at_ms = time_now_ms();
        snprintf(f->etag, sizeof(f->etag), "%s", etag);
        snprintf(f->content_type, sizeof(f->content_type), "%s", in->type);
    }
    pthread_mutex_unlock(&in->lock);
    return rc;
}

/* The last bytes of the current file: scan verdict, then store. */
static int end_file(struct files_ingest *in, unsigned char **data_owned, size_t len)
{
    const unsigned char *data = *data_owned;
    int rc = sniff(in, data, len, false);
    if (rc == 0)
        rc = scan_data(in, data, len);
    if (rc == 0)
        rc = scan_verdict(in);
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    struct s3_put_result r;
    memset(&r, 0, sizeof(r));
    if (rc == 0 && !in->upload_id) {
        struct s3_body body = s3_body_buffer(data, len);
        struct s3_put_options opt = {.content_type = in->type};
        if ((rc = ingest__s3->put(in->o.s3, in->bucket, in->key, &body, &opt, &r, &e)))
            s3_fail(in, rc, &e);
        in->size = (int64_t)len;
    } else if (rc == 0) {
        /* An empty last piece adds no part: the previous one is the last. */
        if (len > 0)
            rc = upload_part(in, data, len, data_owned);
        /* Every part in before Complete names them. */
        if (rc == 0)
            rc = parts_drain(in);
        for (size_t i = 0; rc == 0 && i < in->nparts; i++)
            in->parts[i].etag = in->etags[i];
        if (rc == 0 && (rc = ingest__s3->complete(in->o.s3, in->bucket, in->key, in->upload_id,
                                                  in->parts, in->nparts, &r, &e)))
            s3_fail(in, rc, &e);
        if (rc == 0) {
            free(in->upload_id);
            in->upload_id = NULL;
        }
    }
    if (rc == 0) {
        (void)files_index_record(in->o.db, in->bucket, in->key, in->size, r.etag, time_now_ms(),
                                 in->type, in->o.uploaded_by, time_now_ms());
        rc = add_result(in, r.etag);
    }
    return rc;
}

static void *worker_main(void *arg)
{
    struct files_ingest *in = arg;
    trace_enter(&in->trace, NULL);
    for (;;) {
        pthread_mutex_lock(&in->lock);
        while (!in->head && !in->cancelled && !in->error)
            pthread_cond_wait(&in->work, &in->lock);
        if (in->cancelled || in->error) {
            pthread_mutex_unlock(&in->lock);
            break;
        }
        struct job *j = in->head;
        in->head = j->next;
        if (!in->head)
            in->tail = NULL;
        pthread_mutex_unlock(&in->lock);

        int rc = 0;
        switch (j->kind) {
        case JOB_BEGIN:
            rc = start_file(in, j->key);
            j->key = NULL;
            break;
        case JOB_PART:
            rc = sniff(in, j->data, j->len, true);
            if (rc == 0)
                rc = scan_data(in, j->data, j->len);
            if (rc == 0)
                rc = upload_part(in, j->data, j->len, &j->data);
            break;
        case JOB_END:
            rc = end_file(in, &j->data, j->len);
            break;
        case JOB_FINISH:
            break;
        }
        pthread_mutex_lock(&in->lock);
        /* A part handed to a sender (its buffer went with it) stays pending until it is sent. */
        if (j->data || j->len == 0)
            in->pending -= j->len;
        if (j->kind == JOB_FINISH && rc == 0 && in->error == 0)
            in->finished = true;
        /* The request side may go on: room was made, a file is done, or it failed. */
        if (in->o.wake)
            in->o.wake(in->o.wake_arg);
        pthread_mutex_unlock(&in->lock);
        job_free(in, j);
        if (rc)
            break;
    }
    /* Failed or cancelled: nothing half-written may stay. */
    drop_file(in);
    senders_stop(in);
    pthread_mutex_lock(&in->lock);
    if (in->o.wake)
        in->o.wake(in->o.wake_arg);
    pthread_mutex_unlock(&in->lock);
    return NULL;
}

/* ------------------------------------ request side ----------------------------------- */

int files_ingest_new(const struct files_ingest_opts *o, struct files_ingest **ret)
{
    struct files_ingest *in = calloc(1, sizeof(*in));
    if (!in)
        return SEAU_E_NOMEM;
    in->o = *o;
    if (in->o.part_size < FILES_INGEST_PART_MIN)
        in->o.part_size = FILES_INGEST_PART_MIN;
    in->bucket = strdup(o->bucket);
    if (!in->bucket) {
        free(in);
        return SEAU_E_NOMEM;
    }
    if (in->o.parts_in_flight > FILES_INGEST_IN_FLIGHT_MAX)
        in->o.parts_in_flight = FILES_INGEST_IN_FLIGHT_MAX;
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->work, NULL);
    pthread_cond_init(&in->part_ready, NULL);
    pthread_cond_init(&in->part_done, NULL);
    trace_current(&in->trace);
    if (pthread_create(&in->thread, NULL, worker_main, in)) {
        pthread_mutex_destroy(&in->lock);
        pthread_cond_destroy(&in->work);
        pthread_cond_destroy(&in->part_ready);
        pthread_cond_destroy(&in->part_done);
        free(in->bucket);
        free(in);
        return SEAU_E_IO;
    }
    *ret = in;
    return 0;
}

bool files_ingest_has_room(struct files_ingest *in)
{
    pthread_mutex_lock(&in->lock);
    /* One part at a time: nothing is filled while a part is queued or sent. Several: the
     * part filling may complete while parts_in_flight - 1 are out, then it waits. */
    bool room = in->o.parts_in_flight > 1
                    ? in->pending + in->fill_len < in->o.part_size * in->o.parts_in_flight
                    : in->pending < in->o.part_size;
    room = room || in->error;
    pthread_mutex_unlock(&in->lock);
    return room;
}

/* Without the lock: the multipart parser hands files_ingest_data a piece at every CR of the
 * file (every 256 bytes of random data), and a lock each time was a seventh of the
 * request thread's time. */
static int current_error(struct files_ingest *in)
{
    return __atomic_load_n(&in->error, __ATOMIC_ACQUIRE);
}

int files_ingest_begin(struct files_ingest *in, const char *key)
{
    char *k = strdup(key);
    if (!k)
        return SEAU_E_NOMEM;
    in->fill_len = 0;
    return push(in, JOB_BEGIN, k, NULL, 0);
}

/* Hands the part being filled to the worker. */
static int hand_over(struct files_ingest *in, enum job_kind kind)
{
    unsigned char *data = in->fill;
    size_t len = in->fill_len;
    in->fill = NULL;
    in->fill_len = in->fill_cap = 0;
    return push(in, kind, NULL, data, len);
}

int files_ingest_data(struct files_ingest *in, const void *data, size_t n)
{
    int rc = current_error(in);
    if (rc)
        return rc;
    const unsigned char *p = data;
    while (n > 0) {
        if (!in->fill) {
            in->fill = buffer_take(in);
            if (!in->fill)
                return SEAU_E_NOMEM;
            in->fill_cap = in->o.part_size;
        }
        size_t take = in->fill_cap - in->fill_len;
        if (take > n)
            take = n;
        memcpy(in->fill + in->fill_len, p, take);
        in->fill_len += take;
        p += take;
        n -= take;
        if (in->fill_len == in->fill_cap && (rc = hand_over(in, JOB_PART)))
            return rc;
    }
    return 0;
}

int files_ingest_end(struct files_ingest *in)
{
    return hand_over(in, JOB_END);
}

int files_ingest_finish(struct files_ingest *in)
{
    if (!in->finish_sent) {
        in->finish_sent = true;
        int rc = push(in, JOB_FINISH, NULL, NULL, 0);
        if (rc)
            return rc;
    }
    pthread_mutex_lock(&in->lock);
    int rc = in->error ? in->error : in->finished ? 0 : FILES_INGEST_BUSY;
    pthread_mutex_unlock(&in->lock);
    return rc;
}

void files_ingest_message(struct files_ingest *in, char *out, size_t n)
{
    pthread_mutex_lock(&in->lock);
    snprintf(out, n, "%s", in->message);
    pthread_mutex_unlock(&in->lock);
}

const struct files_ingested *files_ingest_results(struct files_ingest *in, size_t *ret_n)
{
    pthread_mutex_lock(&in->lock);
    *ret_n = in->nresults;
    const struct files_ingested *r = in->results;
    pthread_mutex_unlock(&in->lock);
    return r;
}

void files_ingest_stop(struct files_ingest *in)
{
    if (in->stopped)
        return;
    in->stopped = true;
    pthread_mutex_lock(&in->lock);
    in->cancelled = true;
    in->o.wake = NULL; /* the request is over: nobody to wake */
    pthread_cond_signal(&in->work);
    pthread_mutex_unlock(&in->lock);
    pthread_join(in->thread, NULL);
}

void files_ingest_free(struct files_ingest *in)
{
    if (!in)
        return;
    files_ingest_stop(in);
    for (struct job *j = in->head, *next; j; j = next) {
        next = j->next;
        job_free(in, j);
    }
    /* The senders are joined (files_ingest_stop): no part is queued any more. */
    for (size_t i = 0; i < in->nspare; i++)
        free(in->spare[i]);
    for (size_t i = 0; i < in->nresults; i++)
        free(in->results[i].key);
    free(in->results);
    free(in->parts);
    free(in->etags);
    free(in->fill);
    free(in->bucket);
    pthread_mutex_destroy(&in->lock);
    pthread_cond_destroy(&in->work);
    pthread_cond_destroy(&in->part_ready);
    pthread_cond_destroy(&in->part_done);
    free(in);
}
