/*
 * Structured logging: one JSON object (or one key=value text line) per
 * event on stderr; lines from different threads never interleave.
 *
 * Until log_async_start(), each line is written at once with a single
 * write(). After it (seau serve), a line is copied into its thread's buffer
 * and a background writer writes the buffers out: every LOG_FLUSH_MS, when
 * a buffer is half full, and at log_async_stop(). A thread therefore never
 * waits on write(); when its buffer is full, the line is counted in
 * log_dropped() and dropped rather than wait. Lines of one thread stay in
 * order; lines of different threads are written batch by batch.
 *
 * Only the API layer and main log (STYLE.md rule 9). Never pass a token,
 * cookie, password or signature in fields (rule 16).
 */
#ifndef SEAU_CORE_LOG_H
#define SEAU_CORE_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_JSON, LOG_FORMAT_TEXT };

/* Each thread's buffer holds this much; lines past it are dropped and counted. */
#define LOG_THREAD_BUFFER (512 * 1024)
/* The longest a queued line waits for the writer. */
#define LOG_FLUSH_MS 100

/* Parses "debug", "info", "warn", "error"; returns 0 or SEAU_E_VALIDATION. */
int log_level_parse(const char *s, enum log_level *ret);
/* Parses "json", "text". */
int log_format_parse(const char *s, enum log_format *ret);

void log_setup(enum log_level level, enum log_format format, int fd);
bool log_enabled(enum log_level level);

/*
 * Logs msg with the given fields (may be NULL). Takes ownership of fields
 * (a JSON object), whether or not the level is enabled.
 */
void log_event(enum log_level level, const char *msg, json_t *fields);

/* One request, as the access log records it (at info, message "request"). */
struct log_request {
    const char *request_id;
    const char *method; /* valid UTF-8 */
    const char *path;   /* valid UTF-8 */
    int status;
    double duration_ms;
    int64_t bytes;
    const char *ip;
    const char *route;
    const char *user; /* NULL: none */
};

/*
 * Logs the access-log line of a request: the same line as log_event(LOG_INFO,
 * "request", {requestId, method, path, status, durationMs, bytes, ip, route[,
 * user]}) would write, built without allocating (JSON format).
 */
void log_request_line(const struct log_request *r);

/* Starts the background writer. Returns 0 or SEAU_E_IO (then lines stay synchronous). */
int log_async_start(void);
/* Writes every queued line, stops the writer; later lines are written at once. */
void log_async_stop(void);
/* Lines dropped so far because their thread's buffer was full. */
uint64_t log_dropped(void);

#endif
