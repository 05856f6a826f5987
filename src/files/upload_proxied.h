/*
 * Proxied uploads (POST /api/upload), the service: what the request's
 * multipart form asks for, decided and recorded. The HTTP side
 * (api/upload_proxied.c) parses the form (http/multipart.h) and feeds the
 * parsed fields and file parts here; this module resolves the target,
 * chooses the part size, checks each file (key rules, grants through
 * auth_can, size limit) before any byte of it goes to S3, hands the bytes to
 * the ingest worker (files/ingest.h: sniffing, scanning, S3), and when the
 * request ends writes one audit entry (object.upload) per stored file and
 * publishes its event on the bus, plus one failure entry naming the file
 * and the reason when the upload was refused or failed.
 *
 * Every step returns 0 or a SEAU_E_* code; a refusal's field (for a
 * validation failure) and sentence are then in files_upload_proxied_refusal.
 * Nothing here blocks: the worker does the slow work.
 */
#ifndef SEAU_FILES_UPLOAD_PROXIED_H
#define SEAU_FILES_UPLOAD_PROXIED_H

#include "audit/audit.h"
#include "files/env.h"
#include "files/ingest.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILES_UPLOAD_PROXIED_FILES_MAX 1000 /* files in one request */
#define FILES_UPLOAD_PROXIED_FIELD_MAX 1024 /* bytes of the bucket or prefix */
#define FILES_UPLOAD_PROXIED_PARTS     9000 /* parts a file may use, below S3's 10,000 */
#define FILES_UPLOAD_PROXIED_NAME_MAX  1024 /* bytes of a file name (the form's) */
/* Parts of a file on their way to S3 at once (files_ingest_opts.parts_in_flight): with the
 * one filling, what an upload holds in memory (3 x 8 MiB for files under 70 GiB). Two keep
 * the request's bytes flowing while a part is sent; a third held 8 MiB more (past 32 MiB
 * of growth per upload) for no speed bench/proxy-transfer could tell apart on two cores. */
#define FILES_UPLOAD_PROXIED_IN_FLIGHT 2

struct files_upload_proxied_opts {
    const struct files_env *env;     /* copied */
    const struct files_who *who;     /* borrowed for the upload's life */
    const struct audit_actor *actor; /* borrowed for the upload's life */
    const char *allowed_types;       /* SEAU_ALLOWED_TYPES or NULL: borrowed */
    const char *clamav;              /* SEAU_CLAMAV or NULL: borrowed */
    int64_t max_file_bytes;          /* SEAU_MAX_UPLOAD_BYTES */
    int64_t content_length;          /* the request's, or 0 when unknown: sizes the parts */
    /* Upload links (files/upload_links.h): a taken name gets a number instead of being
     * replaced; uploaded_by (not 0) is recorded as the uploader instead of who's account;
     * via names the path in the audit entries ("proxy" when NULL); event_message (when
     * set, borrowed) is the sentence of each stored file's notification instead of one
     * made from its fields; before_file (when set) is asked as each file begins and may
     * refuse it with its code. */
    bool never_replace;
    int64_t uploaded_by;
    const char *via;
    const char *event_message;
    int (*before_file)(void *arg);
    void *before_file_arg;
    /* Called from the ingest worker when it can take more (files_ingest_opts.wake). */
    void (*wake)(void *arg);
    void *wake_arg;
};

struct files_upload_proxied;

/*
 * Parts big enough that the whole request fits in
 * FILES_UPLOAD_PROXIED_PARTS of them, in whole MiB, at least
 * FILES_INGEST_PART_MIN. content_length 0 (unknown) gives the minimum. Pure.
 */
uint64_t files_upload_proxied_part_size(int64_t content_length);

/* Returns 0 and *ret, or SEAU_E_NOMEM. Release with files_upload_proxied_free. */
int files_upload_proxied_new(const struct files_upload_proxied_opts *o,
                             struct files_upload_proxied **ret);

/*
 * The target, settled at the first file: bucket NULL for the default, prefix
 * "" or a folder ending with '/'. Starts the ingest worker. Returns 0,
 * SEAU_E_VALIDATION (field "bucket" or "prefix"), SEAU_E_NOT_FOUND, or the
 * worker's failure. Called again, it does nothing and returns 0.
 */
int files_upload_proxied_target(struct files_upload_proxied *u, const char *bucket,
                                const char *prefix);
bool files_upload_proxied_has_target(const struct files_upload_proxied *u);

/* The files of the form, in order: begin (checks the key and the grants), data, end. */
int files_upload_proxied_begin(struct files_upload_proxied *u, const char *filename);
int files_upload_proxied_data(struct files_upload_proxied *u, const void *data, size_t n);
int files_upload_proxied_end(struct files_upload_proxied *u);
/* Whether data may be handed over now; when not, wait for the wake callback. */
bool files_upload_proxied_has_room(struct files_upload_proxied *u);
/* Files begun so far. */
size_t files_upload_proxied_count(const struct files_upload_proxied *u);

/*
 * After the last file: 0 when every file is stored, FILES_INGEST_BUSY (wait
 * for wake and call again), or the failure (validation "file" when no file
 * was sent).
 */
int files_upload_proxied_finish(struct files_upload_proxied *u);

/*
 * Why the last step failed: returns the sentence ("" for the default
 * message) and sets *ret_field to the form field at fault, or NULL when the
 * failure is not a validation one. Borrowed until the next step.
 */
const char *files_upload_proxied_refusal(const struct files_upload_proxied *u,
                                         const char **ret_field);

/* The bucket (NULL before the target is settled) and the files stored so far. */
const char *files_upload_proxied_bucket(const struct files_upload_proxied *u);
const struct files_ingested *files_upload_proxied_results(struct files_upload_proxied *u,
                                                          size_t *ret_n);

/* Stops the worker (files_ingest_stop): the results are final after it. NULL is fine. */
void files_upload_proxied_stop(struct files_upload_proxied *u);

/*
 * Ends the upload: stops the worker (a file not yet stored is abandoned and
 * its multipart upload aborted), writes the audit entries and publishes the
 * events for the files stored, then, when failure (what ended the request,
 * 0 for nothing) is not 0, one failure entry for the file it was on. Frees
 * u. NULL is fine.
 */
void files_upload_proxied_free(struct files_upload_proxied *u, int failure);

#endif
