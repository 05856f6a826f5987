/*
 * Proxied uploads (POST /api/upload): files whose bytes stream through Seau
 * to S3, with memory bounded whatever their size.
 *
 * Two sides. The request side (a server thread, never blocking) hands over
 * each file's bytes: begin, data, end, then finish after the last file. A
 * worker thread of its own does everything slow, in order: sniffs the type
 * from the first bytes (libmagic) and checks it against the allowlist,
 * streams the bytes to clamd when a scanner is configured, and writes to S3:
 * one PutObject for a file smaller than a part, else a multipart upload of
 * part_size parts. A file is only stored once every byte arrived and the
 * scanner found it clean: an infected file, a refused type, a failure or a
 * client gone half way aborts the multipart upload (or never puts), so
 * nothing of it remains.
 *
 * Several parts of a multipart file may be on the wire at once
 * (parts_in_flight), each sent by a sender thread of the upload's own, while
 * the worker goes on sniffing and scanning in order and the request side
 * fills the next part; the file is completed only once every part is in,
 * and aborted only once none is on the wire any more (a part landing after
 * AbortMultipartUpload could otherwise outlive it).
 *
 * Memory: parts_in_flight part buffers queued or being sent and one
 * filling, per upload (one in all when parts_in_flight is 0 or 1: nothing
 * is filled while a part is out); they are reused from part to part. The request side asks
 * files_ingest_has_room() before handing bytes over; when there is none it
 * waits for the wake callback.
 */
#ifndef SEAU_FILES_INGEST_H
#define SEAU_FILES_INGEST_H

#include "s3/client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

#define FILES_INGEST_BUSY 1 /* from finish: the worker is not done yet; wait for wake */
#define FILES_INGEST_PART_MIN (8 * 1024 * 1024)
#define FILES_INGEST_MESSAGE_MAX 512
/* The most parts_in_flight may ask. */
#define FILES_INGEST_IN_FLIGHT_MAX 16

/* What happens when a file's key is already taken in the bucket (files/owner.h). */
enum files_ingest_existing {
    FILES_INGEST_REPLACE = 0, /* the new bytes replace the object (managers, admins) */
    FILES_INGEST_OWN_ONLY,    /* only the uploader's own object; else SEAU_E_FORBIDDEN */
    FILES_INGEST_NUMBER,      /* never replace: the file takes a numbered name (upload links) */
};

struct files_ingest_opts {
    struct s3_client *s3;
    struct db *db;
    const char *bucket;        /* copied */
    const char *allowed_types; /* SEAU_ALLOWED_TYPES or NULL: borrowed for the ingest's life */
    const char *clamav;        /* SEAU_CLAMAV or NULL: borrowed */
    int64_t uploaded_by;       /* the account, for the object index */
    uint64_t part_size;        /* bytes per part, at least FILES_INGEST_PART_MIN */
    enum files_ingest_existing existing; /* asked when each file starts */
    /* Parts queued or on the wire at once (one sender thread each, started at the first
     * part of a multipart file); 0 or 1: one part at a time, sent by the worker itself.
     * At most FILES_INGEST_IN_FLIGHT_MAX. */
    unsigned parts_in_flight;
    /* Called from the worker (with an internal lock held: only wake, never call back). */
    void (*wake)(void *arg);
    void *wake_arg;
};

/* A stored file. */
struct files_ingested {
    char *key; /* where it went: with FILES_INGEST_NUMBER, maybe a numbered name */
    int64_t size;
    int64_t stored_at_ms;
    char etag[S3_ETAG_SIZE];
    char content_type[S3_CONTENT_TYPE_SIZE];
};

struct files_ingest;

/* Starts the worker. Returns 0, SEAU_E_NOMEM or SEAU_E_IO (no thread). */
int files_ingest_new(const struct files_ingest_opts *o, struct files_ingest **ret);

/* Whether the request side may hand over more bytes now. */
bool files_ingest_has_room(struct files_ingest *in);

/*
 * The request side, in order: begin (key validated and authorized by the
 * caller), data (any number), end; again for each file; finish.
 * begin/data/end return 0 or the worker's failure (stop sending);
 * finish returns 0 when every file is stored, FILES_INGEST_BUSY, or the
 * failure.
 */
int files_ingest_begin(struct files_ingest *in, const char *key);
int files_ingest_data(struct files_ingest *in, const void *data, size_t n);
int files_ingest_end(struct files_ingest *in);
int files_ingest_finish(struct files_ingest *in);

/* The failure's human message ("" when none). Copies into out. */
void files_ingest_message(struct files_ingest *in, char *out, size_t n);

/* Files stored so far (borrowed until free). Safe once finish returned or after a failure. */
const struct files_ingested *files_ingest_results(struct files_ingest *in, size_t *ret_n);

/*
 * Stops the worker: a file not yet stored is abandoned (its multipart upload
 * aborted); waits for the S3 call in progress. Results stay readable.
 */
void files_ingest_stop(struct files_ingest *in);

/*
 * Stops (files_ingest_stop) and frees. A file not yet stored is abandoned (its multipart upload aborted);
 * waits for the worker (at most the S3 call in progress) and frees.
 */
void files_ingest_free(struct files_ingest *in);

#endif
