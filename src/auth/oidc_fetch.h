/*
 * The identity providers' HTTP endpoints, for auth/oidc.c only: a GET of a
 * JSON document (discovery, JWKS) and the token endpoint's form POST, over
 * libcurl with the project's safe defaults (s3/curl_defaults.h), bounded
 * in time and size. Nothing here logs; secrets are sent, never kept.
 */
#ifndef SEAU_AUTH_OIDC_FETCH_H
#define SEAU_AUTH_OIDC_FETCH_H

#include "core/buf.h"

#include <jansson.h>
#include <stdbool.h>

#define AUTH_OIDC_FETCH_MAX (256 * 1024) /* the largest answer read */

/*
 * GETs url into body (created by the caller with buf_init and a maximum).
 * Returns 0 with *ret_status, SEAU_E_TOO_LARGE, or SEAU_E_UNAVAILABLE when
 * the endpoint did not answer.
 */
int auth__oidc_get(const char *url, struct buf *body, long *ret_status);

/*
 * POSTs form (application/x-www-form-urlencoded) to url, with HTTP Basic
 * authentication when user is not NULL. Same returns as auth__oidc_get.
 */
int auth__oidc_post_form(const char *url, const char *form, const char *user, const char *password,
                         struct buf *body, long *ret_status);

#endif
