/*
 * A walk over ListObjectsV2, page by page: the one loop of continuation
 * tokens that every listing of Seau shares (browse, copy and move, delete,
 * the index sync, the ZIP job, `seau s3 ls`).
 *
 *     struct s3_listing it;
 *     s3_listing_init(&it, s3, bucket, &(struct s3_list_params){.prefix = p, .max_keys = 1000});
 *     const struct s3_object_list *page;
 *     while ((rc = s3_listing_next(&it, &page, &err)) == 0 && page) {
 *         ... page->objects, page->common_prefixes (decoded keys) ...
 *         if (enough) break;                       // ending early is just leaving the loop
 *     }
 *     s3_listing_done(&it);
 *
 * The walk decides nothing about who may see what: the caller applies grants
 * to each key it is handed. Pages are requested only as the caller asks for
 * them, so a caller that stops early costs no further request.
 */
#ifndef SEAU_S3_LISTING_H
#define SEAU_S3_LISTING_H

#include "s3/client.h"

#include <stdbool.h>

struct s3_listing {
    struct s3_client *c;
    const char *bucket;           /* borrowed */
    struct s3_list_params params; /* borrowed strings; continuation_token is token */
    char *token;                  /* owned: the token of the next page */
    bool started, over;
    bool cached; /* set after init: pages come through the client's cache (client.h) */
    struct s3_xml_answer page; /* the page last handed out */
};

/*
 * Prepares a walk of bucket with params (prefix, delimiter, start_after,
 * max_keys, fetch_owner; a continuation_token resumes a walk where an earlier
 * page left it). bucket and the strings of params are borrowed until
 * s3_listing_done(). Sends nothing.
 */
void s3_listing_init(struct s3_listing *it, struct s3_client *c, const char *bucket,
                     const struct s3_list_params *params);

/*
 * Frees the page last handed out and fetches the next. Returns 0 with
 * *ret_page the page (owned by it, valid until the next call or
 * s3_listing_done()), or with *ret_page NULL once the last page was handed
 * out (IsTruncated false, or no NextContinuationToken). Else a negative
 * code: s3_list_objects_v2()'s, with *ret_err filled as it fills it, or
 * SEAU_E_NOMEM (*ret_err untouched); after an error the walk is over.
 */
int s3_listing_next(struct s3_listing *it, const struct s3_object_list **ret_page,
                    struct s3_error *ret_err);

/*
 * The continuation token of the page after the one last handed out, or NULL
 * when it was the last: what a caller that shows one page at a time gives
 * back as its cursor. Owned by it.
 */
const char *s3_listing_next_token(const struct s3_listing *it);

/* Frees what the walk holds. Accepts a walk never started or already done. */
void s3_listing_done(struct s3_listing *it);

#endif
