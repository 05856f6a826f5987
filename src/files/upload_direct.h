/*
 * Direct uploads (API.md POST /api/uploads and /api/uploads/{uploadId}...):
 * the browser sends the bytes straight to S3 through presigned URLs; Seau
 * authorizes the key, opens the upload, hands out URLs, and at the end
 * completes it, checks what arrived against the upload rules
 * (files/rules.h) and records it.
 *
 * Every session is an S3 multipart upload, also the "single PUT" ones below
 * the configured threshold (a one-part upload whose one URL takes the whole
 * file). So no byte reaches the key until Seau's CompleteMultipartUpload,
 * which only Seau can sign: a client cannot leave an unchecked object behind
 * by skipping /complete, and an abandoned session is one AbortMultipartUpload
 * away from leaving nothing at all.
 *
 * Checks at completion, on the object as S3 then holds it: its size against
 * the limit (413) and the declared size (409), and the type sniffed from its
 * first FILES_SNIFF_BYTES (a ranged GET) against the allowlist (415). A
 * refused object is deleted (its version, in a versioned bucket), so nothing
 * of it stays. The object index then records it with the sniffed type and
 * the session's owner as uploader.
 *
 * Sessions belong to who started them: anyone else gets SEAU_E_NOT_FOUND,
 * except admins, who may act on every session. The grants are asked again at
 * every step, so a grant withdrawn mid-upload stops it.
 *
 * Concurrency: complete, abort and the janitor take the session's lease
 * (db_upload_claim) before talking to S3, so they never work on one session
 * at once; a second one gets SEAU_E_CONFLICT.
 *
 * Every function returns 0 or a SEAU_E_* code, writes results only on
 * success, and describes S3's failures in *ret_err (when not NULL). Audit
 * entries are written here, in the transaction of the store change they
 * record, with the actor the caller names: "upload.start", "object.upload"
 * (success or failure, with the reason), "upload.abort".
 */
#ifndef SEAU_FILES_UPLOADS_H
#define SEAU_FILES_UPLOADS_H

#include "audit/audit.h"
#include "files/browse.h"
#include "s3/client.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct jsonx_check;
struct s3_error;

/* Limits (STYLE.md rule 15). */
#define FILES_UPLOAD_URLS_MAX   100                 /* part URLs in one answer */
#define FILES_UPLOAD_PART_MIN   (8LL * 1024 * 1024) /* smallest part size chosen */
#define FILES_UPLOAD_PART_ALIGN (1024LL * 1024)     /* part sizes are multiples of this */
#define FILES_UPLOAD_PART_AIM   32                  /* parts a file is cut into... */
#define FILES_UPLOAD_PART_CAP   (64LL * 1024 * 1024) /* ...when they stay this small */
#define FILES_UPLOAD_OPEN_MAX   1000                /* unfinished sessions per user */
#define FILES_UPLOAD_LEASE_MS   (15LL * 60 * 1000)  /* longest one complete or abort may take */
#define FILES_UPLOAD_ID_LEN     32                  /* base64url of 24 random bytes */

/*
 * The part size for a file of size bytes: the size over FILES_UPLOAD_PART_AIM
 * parts, kept within FILES_UPLOAD_PART_MIN and FILES_UPLOAD_PART_CAP
 * (each part costs a browser a request, a CORS preflight and several
 * milliseconds of CPU, so a large file goes in fewer, larger parts; a lost
 * or retried part re-sends at most 64 MiB), yet large enough that at most
 * S3_MAX_PARTS parts are needed; a multiple of FILES_UPLOAD_PART_ALIGN.
 * 8 MiB up to 256 MiB, 32 MiB for 1 GiB, 64 MiB from 2 GiB to 625 GiB. Pure.
 */
int64_t files_upload_part_size(int64_t size);

/* The number of parts of a session: 1 for a single PUT (and an empty file). Pure. */
int64_t files_upload_part_count(const struct db_upload *u);

/* What POST /api/uploads asks; bucket configured and key valid (checked by the caller). */
struct files_upload_request {
    const char *bucket;
    const char *key;
    int64_t size;
    const char *content_type; /* a valid media type (files_rules_media_type_problem) */
};

struct files_upload_url {
    int part_number;
    char *url; /* owned */
};

/* A session as the API shows it. Release with files_upload_view_done(). */
struct files_upload_view {
    struct db_upload row;
    int64_t part_count;            /* 1 for a single PUT */
    struct files_upload_url *urls; /* presigned, in the requested order */
    size_t nurls;
    int64_t urls_expire_at; /* ms */
};
void files_upload_view_done(struct files_upload_view *v);

/*
 * Opens a session: checks the grants (SEAU_E_NOT_FOUND), the size
 * (SEAU_E_TOO_LARGE) and the declared type (SEAU_E_MEDIA_TYPE), opens the
 * S3 multipart upload, stores the session (SEAU_E_CONFLICT when the caller
 * already has FILES_UPLOAD_OPEN_MAX unfinished ones; the S3 upload is then
 * aborted) and presigns the URLs of the first FILES_UPLOAD_URLS_MAX parts.
 * Cost: 1 S3 request and one presign per URL (local).
 */
int files_upload_start(const struct files_env *env, const struct cfg *cfg,
                       const struct files_who *who, const struct audit_actor *actor,
                       const struct files_upload_request *r, int64_t now,
                       struct files_upload_view *ret, struct s3_error *ret_err);

/*
 * The session id names, if the caller may see it (its own, or any for an
 * admin) and its key is still within the caller's grants; else
 * SEAU_E_NOT_FOUND. Any string is accepted as id (a malformed one is not
 * found).
 */
int files_upload_find(const struct files_env *env, const struct files_who *who, const char *id,
                      struct db_upload *ret);

/* A part S3 holds (ListParts). */
struct files_upload_part {
    int part_number;
    char etag[S3_ETAG_SIZE]; /* with its quotes, as S3 gave it */
    int64_t size;
};

/*
 * Every part S3 holds for the session, ascending (ListParts, 1000 a page):
 * S3 is the truth, so a client resumes from this. *ret is a new array
 * (free(); NULL when none). Cost: one request per 1000 parts.
 */
int files_upload_parts(const struct files_env *env, const struct db_upload *u,
                       struct files_upload_part **ret, size_t *ret_n, struct s3_error *ret_err);

/*
 * Fresh presigned URLs for the given part numbers (each 1 to the session's
 * part count, at most FILES_UPLOAD_URLS_MAX of them; else SEAU_E_VALIDATION
 * with "partNumbers" recorded in check). Fills ret->urls, ->nurls,
 * ->urls_expire_at and ->part_count (ret->row is copied from u).
 */
int files_upload_presign(const struct files_env *env, const struct cfg *cfg,
                         const struct db_upload *u, const int *numbers, size_t n, int64_t now,
                         struct jsonx_check *check, struct files_upload_view *ret,
                         struct s3_error *ret_err);

/* A part as the client lists it for completion. */
struct files_upload_done_part {
    int part_number;
    const char *etag; /* borrowed; quotes optional */
};

/* The object a completed upload made (API.md object). */
struct files_upload_result {
    struct db_object object; /* content_type: the sniffed type; uploaded_by: the owner */
};

/*
 * Completes the session: the parts must be exactly 1..part count in order,
 * each with the ETag S3 holds and the sizes adding up to the declared size
 * (else SEAU_E_VALIDATION with "parts" recorded in check; the session stays,
 * so the client can upload the missing or wrong parts and try again). A
 * single-PUT session may list no parts (n 0): its one part is taken from S3;
 * when it has not arrived yet, SEAU_E_CONFLICT and the session stays.
 *
 * Then CompleteMultipartUpload and the checks of this header; a
 * refused object is deleted and the answer is SEAU_E_TOO_LARGE,
 * SEAU_E_MEDIA_TYPE or SEAU_E_CONFLICT (size differs from the declared).
 * Once S3 has completed the upload, the session is gone whatever the
 * outcome (a second complete is SEAU_E_NOT_FOUND); when S3 fails during the
 * checks, the object is deleted if S3 allows it and the answer is S3's
 * failure. Another operation on the session: SEAU_E_CONFLICT.
 *
 * why (optional, whylen bytes) receives a sentence for the client on a
 * refusal or a conflict. An accepted object is published on the bus
 * (EVENTS_UPLOAD, by actor).
 *
 * Cost: ListParts (1 per 1000 parts), CompleteMultipartUpload, HeadObject,
 * one ranged GetObject of at most 64 KiB, a libmagic pass, 2 store writes.
 */
int files_upload_complete(const struct files_env *env, const struct cfg *cfg,
                          const struct files_who *who, const struct audit_actor *actor,
                          const char *id, const struct files_upload_done_part *parts, size_t n,
                          int64_t now, struct jsonx_check *check, char *why, size_t whylen,
                          struct files_upload_result *ret, struct s3_error *ret_err);

/*
 * Aborts the session's S3 upload (one that S3 no longer knows counts as
 * aborted) and forgets the session. SEAU_E_NOT_FOUND for a session the
 * caller may not see, SEAU_E_CONFLICT while another operation holds it.
 */
int files_upload_abort(const struct files_env *env, const struct files_who *who,
                       const struct audit_actor *actor, const char *id, int64_t now,
                       struct s3_error *ret_err);

struct files_upload_sweep_stats {
    int64_t aborted; /* sessions aborted in S3 and forgotten */
    int64_t failed;  /* S3 refused or failed: kept, retried after FILES_UPLOAD_SWEEP_RETRY_MS */
};

#define FILES_UPLOAD_SWEEP_BATCH    100
#define FILES_UPLOAD_SWEEP_MAX      100000            /* sessions one sweep looks at */
#define FILES_UPLOAD_SWEEP_RETRY_MS (5LL * 60 * 1000) /* a failed abort is retried after this */

/*
 * Aborts every session created more than older_than_ms before now that no
 * operation holds, oldest first, each with an "upload.abort" entry by the
 * system. A session S3 fails to abort stays (its lease set so it is retried
 * after FILES_UPLOAD_SWEEP_RETRY_MS). cancel (optional), once true, stops
 * the sweep before the next session. *ret (optional) counts what happened,
 * also on failure. Returns 0, or SEAU_E_DB / SEAU_E_NOMEM, which stop it.
 * Cost: a store read per FILES_UPLOAD_SWEEP_BATCH sessions, an S3 request
 * and two store writes per session.
 */
int files_upload_sweep(const struct files_env *env, int64_t older_than_ms, int64_t now,
                       const atomic_bool *cancel, struct files_upload_sweep_stats *ret);

/*
 * The janitor: a thread that sweeps sessions older than
 * cfg->upload_session_max_age_ms at start and then every
 * min(60 s, max age / 10). report (optional) is called on the janitor's
 * thread after each sweep that did something or failed, for the caller to
 * log. env and cfg are borrowed until stop.
 */
struct files_upload_janitor;
typedef void (*files_upload_janitor_report)(void *ctx, int rc,
                                            const struct files_upload_sweep_stats *stats);
int files_upload_janitor_start(const struct files_env *env, const struct cfg *cfg,
                               files_upload_janitor_report report, void *ctx,
                               struct files_upload_janitor **ret);
/* Wakes the thread, waits for a sweep in progress to end, joins and frees. Accepts NULL. */
void files_upload_janitor_stop(struct files_upload_janitor *j);

#endif
