/*
 * The ZIP download service (GET /api/download-zip): a folder or a selection
 * as one ZIP, built while it is sent (files/zip.h), without temporary files
 * and in bounded memory.
 *
 * files_zip_start() plans the archive before anything is answered: it asks
 * the policy for every named key and prefix (anything hidden makes the
 * whole request 404, as if it did not exist), takes a transfer slot
 * (files/transfers.h), and resolves the entries: a HeadObject per key (a
 * missing key is 404) and a ListObjectsV2 walk per prefix, where objects the
 * caller may not see are skipped. So every error that has a status is
 * returned with it, and the archive's entries are fixed before its first
 * byte. Then a producer thread writes the archive into a bounded byte pipe
 * (core/bytepipe.h), one GetObject per entry, which the caller drains with
 * files_zip_read() without ever blocking. An object that fails mid-archive
 * ends the read with FILES_ZIP_ERROR: the client must see an incomplete
 * download, never a well-formed archive with a file missing or truncated.
 *
 * Entry names are the keys relative to the selection's common parent
 * folder: zipping the folder a/b/ gives b/..., zipping a/b/c.txt and a/d/
 * gives c.txt and d/.... Keys are unique in a bucket and the selection is
 * deduplicated (a key inside a selected folder, a folder inside another),
 * so names are unique by construction.
 *
 * With audit set, the service writes the audit entry object.download_zip:
 * a refusal after validation (hidden, missing, too large, S3 down) at once,
 * a started archive when the job is freed (success when the reader saw the
 * end, else failure with why).
 *
 * Memory: the resolved entries (key, size, time, ETag) and the writer's
 * central directory, both bounded by FILES_ZIP_ENTRIES_MAX and
 * FILES_ZIP_NAME_BYTES_MAX, plus one pipe of FILES_ZIP_PIPE_BYTES.
 */
#ifndef SEAU_FILES_ZIP_DOWNLOAD_H
#define SEAU_FILES_ZIP_DOWNLOAD_H

#include "audit/audit.h"
#include "core/jsonx.h"
#include "files/browse.h"
#include "s3/client.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Limits (STYLE.md rule 15). */
#define FILES_ZIP_KEYS_MAX       1000
#define FILES_ZIP_PREFIXES_MAX   100
#define FILES_ZIP_ENTRIES_MAX    100000     /* objects in one archive */
#define FILES_ZIP_NAME_BYTES_MAX (16 << 20) /* bytes of all keys in one archive */
#define FILES_ZIP_PIPE_BYTES     (512 * 1024)
#define FILES_ZIP_AUDIT_KEYS     20 /* keys named in the audit entry's details */

/* What the caller asked for: the repeated query parameters, borrowed. */
struct files_zip_selection {
    const char **keys, **prefixes;   /* at most the caps; reordered by files_zip_start */
    size_t nkeys, nprefixes;         /* kept */
    size_t keys_seen, prefixes_seen; /* given (more than kept when past the caps) */
};

/*
 * Checks the selection's shape: the caps, each key a key Seau accepts,
 * each prefix a folder (not empty, ending with '/'), at least one of
 * either. Records the first problem of each list in check.
 */
void files_zip_check(const struct files_zip_selection *s, struct jsonx_check *check);

struct files_zip_request {
    const char *bucket; /* resolved and validated by the caller */
    struct files_zip_selection *sel;
    size_t max_transfers;             /* the transfer bound (SEAU_MAX_TRANSFERS) */
    bool audit;                       /* write object.download_zip entries */
    const struct audit_actor *actor;  /* who asks; copied */
};

/* Why files_zip_start refused, beyond its code. */
struct files_zip_problem {
    struct s3_error err; /* S3's answer, when S3 refused or failed */
    const char *field;   /* SEAU_E_VALIDATION: the field (static) ... */
    char why[256];       /* ... and why */
    bool busy;           /* SEAU_E_UNAVAILABLE because every transfer slot is taken */
};

struct files_zip;

/*
 * Plans the archive and starts its producer (see above). Returns 0 and the
 * job in *ret; or SEAU_E_NOT_FOUND (something named is hidden or missing, or
 * a folder holds nothing the caller may see), SEAU_E_VALIDATION (a key that
 * cannot be named in a ZIP: pb->field and pb->why), SEAU_E_TOO_LARGE (past
 * FILES_ZIP_ENTRIES_MAX or FILES_ZIP_NAME_BYTES_MAX), SEAU_E_UNAVAILABLE
 * (pb->busy: no transfer slot; else S3 down, pb->err), another S3 failure
 * (pb->err), SEAU_E_DB, SEAU_E_NOMEM or SEAU_E_IO (no thread).
 */
int files_zip_start(const struct files_env *env, const struct files_who *who,
                    const struct files_zip_request *r, struct files_zip_problem *pb,
                    struct files_zip **ret);

/* The archive's file name: the folder's when one folder is zipped, else download.zip. */
const char *files_zip_filename(const struct files_zip *z);

#define FILES_ZIP_END   (-1) /* from read: the archive is complete */
#define FILES_ZIP_ERROR (-2) /* from read: the archive failed; cut the connection */

/*
 * Copies up to max bytes of the archive into buf without blocking: returns
 * how many (> 0), 0 when nothing is ready yet (notify says when), FILES_ZIP_END
 * or FILES_ZIP_ERROR.
 */
ssize_t files_zip_read(struct files_zip *z, char *buf, size_t max);

/* fn(ctx) is called, on any thread, whenever read has something new. */
void files_zip_set_notify(struct files_zip *z, void (*fn)(void *ctx), void *ctx);

/*
 * Stops the producer (cancelling what is not written yet), writes the audit
 * entry, gives the transfer slot back and frees z. NULL is a no-op.
 */
void files_zip_free(struct files_zip *z);

#endif
