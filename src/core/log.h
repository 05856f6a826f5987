/*
 * Structured logging: one JSON object (or one key=value text line) per
 * event on stderr, written with a single write() so lines from different
 * threads never interleave.
 *
 * Only the API layer and main log (STYLE.md rule 9). Never pass a token,
 * cookie, password or signature in fields (rule 16).
 */
#ifndef SEAU_CORE_LOG_H
#define SEAU_CORE_LOG_H

#include <jansson.h>
#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_JSON, LOG_FORMAT_TEXT };

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

#endif
