/* Wall and monotonic clocks, RFC 3339 formatting and parsing (UTC only). */
#ifndef SEAU_CORE_TIMEUTIL_H
#define SEAU_CORE_TIMEUTIL_H

#include <stdint.h>

#define TIME_RFC3339_LEN 25 /* "2026-11-23T20:15:00.123Z" plus NUL */

/* Milliseconds since the Unix epoch. */
int64_t time_now_ms(void);
/* Monotonic nanoseconds, for durations only. */
int64_t time_mono_ns(void);

/* Writes e.g. "2026-11-23T20:15:00.123Z" into out[TIME_RFC3339_LEN]. */
void time_rfc3339(int64_t ms, char out[TIME_RFC3339_LEN]);

/*
 * Parses an RFC 3339 timestamp ("2026-11-23T20:15:00Z", fractions and
 * numeric offsets allowed) into milliseconds since the epoch.
 * Returns 0 or SEAU_E_VALIDATION.
 */
int time_parse_rfc3339(const char *s, int64_t *ret_ms);

#define TIME_HTTP_DATE_LEN 64 /* "Sun, 06 Nov 1994 08:49:37 GMT" plus NUL, with room for any int */

/* Writes an HTTP date (RFC 9110 IMF-fixdate, whole seconds) into out[TIME_HTTP_DATE_LEN]. */
void time_http_date(int64_t ms, char out[TIME_HTTP_DATE_LEN]);

#endif
