/* The ListObjectsV2 walk (see listing.h). */
#include "s3/listing.h"

#include "core/err.h"
#include "core/str.h"

#include <stdlib.h>
#include <string.h>

void s3_listing_init(struct s3_listing *it, struct s3_client *c, const char *bucket,
                     const struct s3_list_params *params)
{
    memset(it, 0, sizeof(*it));
    it->c = c;
    it->bucket = bucket;
    if (params)
        it->params = *params;
}

/* Takes the next page's token from the page held, which is then freed. */
static int listing__advance(struct s3_listing *it)
{
    int rc = 0;
    free(it->token);
    it->token = NULL;
    const struct s3_object_list *l = &it->page.objects;
    if (l->is_truncated && l->next_continuation_token && *l->next_continuation_token) {
        it->token = str_dup(l->next_continuation_token);
        if (!it->token)
            rc = SEAU_E_NOMEM;
    }
    s3_xml_answer_done(&it->page);
    memset(&it->page, 0, sizeof(it->page));
    if (rc || !it->token)
        it->over = true;
    return rc;
}

int s3_listing_next(struct s3_listing *it, const struct s3_object_list **ret_page,
                    struct s3_error *ret_err)
{
    int rc = 0;
    if (it->started && !it->over)
        rc = listing__advance(it);
    if (rc)
        return rc;
    if (it->over) {
        *ret_page = NULL;
        return 0;
    }
    if (it->started)
        it->params.continuation_token = it->token;
    it->started = true;
    rc = it->cached ? s3_list_objects_v2_cached(it->c, it->bucket, &it->params, &it->page, ret_err)
                    : s3_list_objects_v2(it->c, it->bucket, &it->params, &it->page, ret_err);
    if (rc) {
        memset(&it->page, 0, sizeof(it->page));
        it->over = true;
        return rc;
    }
    *ret_page = &it->page.objects;
    return 0;
}

const char *s3_listing_next_token(const struct s3_listing *it)
{
    if (!it->started || it->over)
        return NULL;
    const struct s3_object_list *l = &it->page.objects;
    return l->is_truncated && l->next_continuation_token && *l->next_continuation_token
               ? l->next_continuation_token
               : NULL;
}

void s3_listing_done(struct s3_listing *it)
{
    if (!it)
        return;
    s3_xml_answer_done(&it->page); /* zeroed when no page is held */
    free(it->token);
    memset(it, 0, sizeof(*it));
}
