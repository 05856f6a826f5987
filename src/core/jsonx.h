/*
 * JSON helpers on top of jansson: a bounded parser for request bodies and
 * a field validator that collects every problem of a body at once, so a
 * client learns all that is wrong in one answer (API.md validation_failed).
 */
#ifndef SEAU_CORE_JSONX_H
#define SEAU_CORE_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Nesting depth of the JSON text p[0..n), counted without parsing it fully
 * (strings and escapes are skipped). Returns the maximum depth reached, or
 * -1 when the brackets do not balance. O(n).
 */
int jsonx_depth(const char *p, size_t n);

/*
 * Parses a request body that must be one JSON object, at most max_depth
 * deep, valid UTF-8, without duplicate keys. Returns 0 and a new reference
 * in *ret, SEAU_E_BAD_REQUEST for malformed JSON or a non-object, or
 * SEAU_E_TOO_LARGE when nested deeper than max_depth.
 */
int jsonx_parse_object(const char *p, size_t n, int max_depth, json_t **ret);

/*
 * Makes jansson wipe every block it frees, so that passwords parsed from
 * request bodies do not linger in freed memory (STYLE.md rule 16). Call
 * once at start-up, before any JSON is built.
 */
void jsonx_use_wiping_allocator(void);

/*
 * Collects field errors: details = {"fields": {"name": "message", ...}}.
 * jsonx_check_init() never fails; out of memory only loses details.
 */
struct jsonx_check {
    json_t *fields; /* object: field name -> message */
};

void jsonx_check_init(struct jsonx_check *c);
void jsonx_check_done(struct jsonx_check *c);
void jsonx_check_fail(struct jsonx_check *c, const char *field, const char *message);
bool jsonx_check_ok(const struct jsonx_check *c);
/* Moves the collected errors into a new details object ({"fields": ...}). */
json_t *jsonx_check_take_details(struct jsonx_check *c);

/*
 * Reads a string field. Returns the borrowed value, or NULL when absent
 * (an error when required) or invalid (not a string, empty, longer than
 * max_len bytes, or holding control characters), recording the reason.
 */
const char *jsonx_get_string(struct jsonx_check *c, json_t *obj, const char *field, bool required,
                             size_t max_len);
/* Reads a boolean field; returns false and records an error when it is not one. */
bool jsonx_get_bool(struct jsonx_check *c, json_t *obj, const char *field, bool *ret);

/* Rejects fields of obj not named in allowed (NULL-terminated). */
void jsonx_reject_unknown(struct jsonx_check *c, json_t *obj, const char *const *allowed);

#endif
