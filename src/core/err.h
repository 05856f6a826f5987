/*
 * One error convention for all of Seau (STYLE.md rule 6).
 *
 * Fallible functions return int: 0 on success or a negative SEAU_E_* code.
 * The X-macro table below is the single source of truth for the enum, the
 * HTTP status the API answers with, the API error code string (API.md) and
 * a default human message. Modules return these codes and never log; the
 * API layer turns them into responses.
 */
#ifndef SEAU_CORE_ERR_H
#define SEAU_CORE_ERR_H

/*      name                 HTTP  api code                  default message */
#define SEAU_ERRORS(X)                                                                             \
    X(BAD_REQUEST, 400, "bad_request", "The request is malformed.")                                \
    X(VALIDATION, 400, "validation_failed", "Some fields are invalid.")                            \
    X(UNAUTHORIZED, 401, "unauthorized", "Sign in first: the session is missing or expired.")      \
    X(INVALID_CREDENTIALS, 401, "invalid_credentials", "The email or password is wrong.")          \
    X(INVALID_CODE, 401, "invalid_code", "The code is wrong, expired or was already used.")        \
    X(MFA_ENROLMENT, 403, "mfa_enrolment_required",                                                \
      "Set up a second factor (an authenticator app) before doing anything else.")                 \
    X(CURRENT_PASSWORD, 400, "validation_failed", "The current password is wrong.")                \
    X(FORBIDDEN, 403, "forbidden", "You are not allowed to do this.")                              \
    X(CSRF, 403, "csrf_rejected", "Cross-site request refused.")                                   \
    X(NOT_FOUND, 404, "not_found", "Nothing was found here.")                                      \
    X(METHOD, 405, "method_not_allowed", "This method is not allowed on this path.")               \
    X(CONFLICT, 409, "conflict", "The request conflicts with the current state.")                  \
    X(TOO_LARGE, 413, "payload_too_large", "The request body is too large.")                       \
    X(MEDIA_TYPE, 415, "unsupported_media_type", "This content type is not accepted here.")        \
    X(HEADERS_TOO_LARGE, 431, "headers_too_large", "The request headers are too large.")           \
    X(RATE_LIMITED, 429, "rate_limited", "Too many attempts; try again later.")                    \
    X(INTERNAL, 500, "internal", "Something went wrong on the server.")                            \
    X(NOMEM, 500, "internal", "The server ran out of memory.")                                     \
    X(DB, 503, "upstream_unavailable", "The database is unavailable.")                             \
    X(UNAVAILABLE, 503, "upstream_unavailable", "The service is shutting down or unavailable.")    \
    X(IO, 500, "internal", "An input/output error occurred on the server.")                        \
    X(RANGE, 400, "validation_failed", "A value is out of range.")                                \
    X(GONE, 410, "gone", "This link has expired, was revoked or was used up.")                     \
    X(UNSATISFIABLE, 416, "range_not_satisfiable", "The requested range is not in the file.")     \
    X(MALWARE, 422, "malware_detected", "The file was refused: the malware scanner flagged it.")    \
    X(CANCELLED, 499, "cancelled", "The operation was cancelled.")                                 \
    X(AGAIN, 503, "upstream_unavailable", "Not ready yet; try again.")                             \
    X(SCHEMA_NEWER, 503, "upstream_unavailable",                                                   \
      "The database was migrated by a newer version of Seau; upgrade this one.")                  \
    X(PASSWORD_CHANGE, 403, "password_change_required",                                            \
      "Choose a new password before doing anything else.")                                         \
    X(INVALID_INVITATION, 404, "invalid_invitation",                                               \
      "This invitation link is not valid: it is unknown, expired or was already used.")

enum seau_err {
    SEAU_OK = 0,
    SEAU__ERR_FIRST = -1000, /* keeps the codes clear of errno-like values */
#define SEAU__ERR_ENUM(name, status, code, msg) SEAU_E_##name,
    SEAU_ERRORS(SEAU__ERR_ENUM)
#undef SEAU__ERR_ENUM
    SEAU__ERR_LAST
};

/* HTTP status for a code; 500 for anything unknown. */
int err_http_status(int err);
/* API.md error code string ("not_found", ...); static storage. */
const char *err_api_code(int err);
/* Default human message; static storage. */
const char *err_message(int err);
/* Symbolic name ("SEAU_E_NOT_FOUND"), for tests and logs. */
const char *err_name(int err);

#endif
