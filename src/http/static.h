/* The web client's files, served from a folder (SEAU_WEB_ROOT). */
#ifndef SEAU_HTTP_STATIC_H
#define SEAU_HTTP_STATIC_H

#include "http/request.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Answers a GET or HEAD for req->path from web_root: the file itself, a
 * folder's index.html, PATH.html (Next.js export), or, for client-side
 * routes without a file extension, the root index.html. Sends ETag and
 * answers If-None-Match with 304; hashed assets under /_next/static/ are
 * cached for a year, everything else revalidated. Returns 0 after
 * replying, or SEAU_E_NOT_FOUND.
 */
int http_static_reply(struct http_req *req, const char *web_root);

/*
 * Checks a decoded URL path for use under a root folder: it must start
 * with '/', and hold no NUL, backslash, control character, or "." / ".."
 * segment. Pure; fuzzed and unit-tested.
 */
bool http_static_path_ok(const char *path);

/* The MIME type for a file name, by extension; "application/octet-stream" when unknown. */
const char *http_static_mime(const char *name);

#endif
