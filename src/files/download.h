/*
 * The download service (GET /api/download, and the file behind a share
 * link): a short presigned URL to redirect to, or, when downloads go
 * through Seau (SEAU_DOWNLOAD_MODE=proxy), the object's description and a
 * body that a producer thread fills from S3 (files/fetch.h) while the caller
 * drains it without blocking.
 *
 * In proxy mode the service does the HeadObject, decides the answer from the
 * client's Range, If-Range and If-None-Match (http/range.h and
 * http/disposition.h are pure rules, used here without speaking HTTP),
 * takes a transfer slot (files/transfers.h) and starts the GetObject, with
 * If-Match on the ETag it described, so that an object changed between the
 * two requests cuts the stream instead of splicing two versions under one
 * set of headers. The slot is given back when the body is freed.
 *
 * With audit set, the service writes the `object.download` entry: success
 * for a redirect or an answer of 200, 206 or 304; failure for 416, for every
 * transfer slot taken and for S3 being unavailable. A missing object, a
 * refusal by the policy and an internal failure leave no entry (reads that
 * did not happen are not downloads).
 */
#ifndef SEAU_FILES_DOWNLOAD_H
#define SEAU_FILES_DOWNLOAD_H

#include "audit/audit.h"
#include "files/env.h"
#include "s3/client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes buffered per proxied download between S3 and the client. */
#define FILES_DOWNLOAD_PIPE_BYTES (512 * 1024)

struct files_download_request {
    const char *bucket, *key; /* validated by the caller */
    const char *version_id;   /* NULL: the latest */
    bool proxy;               /* stream the bytes (SEAU_DOWNLOAD_MODE=proxy), else redirect */
    /* Redirect: the URL's lifetime (>= 1 s); S3 answers it with our Content-Disposition. */
    uint32_t presign_expiry_s;
    bool inline_; /* Content-Disposition: inline, else attachment (the key's last segment) */
    /* Proxy: the client's headers (NULL when absent); head_only for HEAD (no body). */
    const char *range, *if_range, *if_none_match;
    bool head_only;
    size_t max_transfers;            /* the transfer bound (SEAU_MAX_TRANSFERS) */
    bool audit;                      /* write the object.download entry */
    const struct audit_actor *actor; /* who asks (audit only) */
};

struct files_download_body;

/* What to answer. */
struct files_download {
    char *url; /* a redirect: the presigned URL (owned); NULL in proxy mode */
    /* Proxy mode: */
    int status;                              /* 200, 206, 304 or 416 */
    int64_t size;                            /* the object's */
    int64_t first, last;                     /* 206: the bytes sent, inclusive */
    int64_t length;                          /* bytes of the answer's body (0 for 304 and 416) */
    char etag[S3_ETAG_SIZE];                 /* as S3 gave it, "" when none */
    int64_t last_modified_ms;                /* 0: unknown */
    char content_type[S3_CONTENT_TYPE_SIZE]; /* as S3 gave it, "" when none */
    struct files_download_body *body;        /* NULL: nothing to send (HEAD, empty, 304, 416) */
};

/* Why a download was refused, beyond its code. */
struct files_download_problem {
    struct s3_error err; /* S3's answer, when S3 refused or failed */
    bool busy;           /* SEAU_E_UNAVAILABLE because every transfer slot is taken */
};

/*
 * The caller's download: the policy first (AUTH_OBJECT_READ: SEAU_E_NOT_FOUND
 * or SEAU_E_FORBIDDEN, not audited), then files_download_open.
 */
int files_download(const struct files_env *env, const struct files_who *who,
                   const struct files_download_request *r, struct files_download *ret,
                   struct files_download_problem *pb);

/*
 * A download already allowed (a share link acts with its own authority).
 * Returns 0 and *ret (release with files_download_done); or an S3 failure
 * (pb->err), SEAU_E_UNAVAILABLE (pb->busy, or S3), SEAU_E_NOMEM or SEAU_E_IO.
 * When the HeadObject was done before the failure (pb->busy), ret->status is
 * set and *ret still describes the object (never with a URL or a body).
 */
int files_download_open(const struct files_env *env, const struct files_download_request *r,
                        struct files_download *ret, struct files_download_problem *pb);

/* Frees the URL and the body (files_download_body_free) when still held. */
void files_download_done(struct files_download *d);

#define FILES_DOWNLOAD_END   (-1) /* from read: every byte was given */
#define FILES_DOWNLOAD_ERROR (-2) /* from read: the transfer failed; cut the connection */

/*
 * Copies up to max bytes of the body into buf without blocking: returns how
 * many (> 0), 0 when nothing is ready yet (notify says when),
 * FILES_DOWNLOAD_END or FILES_DOWNLOAD_ERROR.
 */
ssize_t files_download_read(struct files_download_body *b, char *buf, size_t max);

/* fn(ctx) is called, on any thread, whenever read has something new. */
void files_download_set_notify(struct files_download_body *b, void (*fn)(void *ctx), void *ctx);

/* Stops the transfer, gives the transfer slot back and frees b. NULL is a no-op. */
void files_download_body_free(struct files_download_body *b);

#endif
