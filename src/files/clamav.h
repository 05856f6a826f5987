/*
 * A clamd client for INSTREAM scans: the bytes of one file are sent as they
 * arrive (4-byte big-endian length, then the chunk; a zero length ends), and
 * clamd answers "stream: OK", "stream: NAME FOUND" or "... ERROR". Blocking
 * I/O with timeouts: run it on a worker thread, never on a server thread.
 *
 * Fail closed: anything but a clean "OK" (no scanner, a timeout, a stream
 * over clamd's StreamMaxLength) refuses the file.
 */
#ifndef SEAU_FILES_CLAMAV_H
#define SEAU_FILES_CLAMAV_H

#include <stddef.h>

#define CLAMAV_VERDICT_MAX 256
#define CLAMAV_TIMEOUT_MS  30000 /* per send and for the verdict */

struct clamav_scan;

/*
 * Connects to address (tcp://HOST:PORT or an absolute Unix socket path) and
 * starts an INSTREAM scan. Returns 0, SEAU_E_VALIDATION for a malformed
 * address, SEAU_E_UNAVAILABLE when clamd cannot be reached.
 */
int clamav_scan_start(const char *address, struct clamav_scan **ret);

/* Sends n more bytes. Returns 0 or SEAU_E_UNAVAILABLE (clamd went away or stopped reading). */
int clamav_scan_data(struct clamav_scan *s, const void *data, size_t n);

/*
 * Ends the stream and reads the verdict. Returns 0 (clean), SEAU_E_MALWARE
 * with the signature's name in ret_name (CLAMAV_VERDICT_MAX bytes), or
 * SEAU_E_UNAVAILABLE with clamd's complaint in ret_name (e.g. "INSTREAM size
 * limit exceeded").
 */
int clamav_scan_finish(struct clamav_scan *s, char *ret_name);

/* Closes the connection (also after a failure). NULL is a no-op. */
void clamav_scan_free(struct clamav_scan *s);

#endif
