/*
 * The bound on proxied transfers running at once on this server (uploads
 * and downloads through Seau, ZIP archives): SEAU_MAX_TRANSFERS. Each holds
 * a thread or a parked connection and a pipe of buffered bytes, so the bound
 * is what keeps memory and threads finite under load.
 *
 * It lives in files/ rather than api/ because the services that run
 * transfers (files/zip_download.h, files/fetch.h) take their slot
 * themselves and give it back when their job ends, which is after the
 * handler returned; the API layer only renders a refusal (503 with
 * Retry-After). It is one process-wide counter: the bound is per replica,
 * like the threads and memory it protects.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef SEAU_FILES_TRANSFERS_H
#define SEAU_FILES_TRANSFERS_H

#include <stddef.h>

/*
 * Takes one of max slots. Returns 0 (release it with files_transfer_release
 * once the transfer is over), or SEAU_E_UNAVAILABLE when max are taken.
 */
int files_transfer_acquire(size_t max);

/* Gives back a slot files_transfer_acquire gave. */
void files_transfer_release(void);

/* Slots taken now (for tests and diagnostics). */
size_t files_transfers_running(void);

#endif
