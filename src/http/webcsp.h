/*
 * The Content-Security-Policy of the web client's pages, built once at
 * start-up. Next.js's static export inlines <script> tags; instead of
 * 'unsafe-inline', web/scripts/csp-hashes.mjs lists their SHA-256 in
 * WEB_ROOT/csp.json ({"scriptHashes": ["sha256-…"]}) and they are allowed by
 * hash. Browsers upload straight to S3 and preview media from presigned
 * URLs, so the S3 endpoint's origin joins connect-src, img-src, media-src
 * and frame-src. Never 'unsafe-inline' nor 'unsafe-eval' for scripts.
 */
#ifndef SEAU_HTTP_WEBCSP_H
#define SEAU_HTTP_WEBCSP_H

#include <stdbool.h>
#include <stddef.h>

/* Largest csp.json read, and most hashes accepted from it. */
#define HTTP_WEBCSP_FILE_MAX (64 * 1024)
#define HTTP_WEBCSP_HASHES_MAX 512

/*
 * Builds the policy. web_root may be NULL (no hashes); a missing csp.json
 * means no inline script is allowed. s3_endpoint is SEAU_S3_ENDPOINT as
 * validated by cfg (NULL: AWS, whose buckets live under *.amazonaws.com);
 * with virtual-hosted addressing (path_style false) bucket subdomains of a
 * named host are allowed too.
 * Returns 0 with *ret_csp (free() it) and *ret_hashes; SEAU_E_VALIDATION
 * when csp.json exists but is not a valid list of sha256 sources (nothing
 * is written then); SEAU_E_IO when it cannot be read; SEAU_E_NOMEM.
 */
int http_web_csp(const char *web_root, const char *s3_endpoint, bool path_style, char **ret_csp,
                 size_t *ret_hashes);

#endif
